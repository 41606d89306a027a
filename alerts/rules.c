/*
 * rules.c -- config kinds for alert rules and webhooks (rules.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expr.h"
#include "metrics.h"
#include "payload.h"
#include "rules.h"
#include "secret.h"
#include "strutil.h"
#include "template.h"
#include "xalloc.h"
#include "banned.h"

/* ---- custom values: expressions and templates ---------------------------- */

/* A syntax error of value at byte pos: "MSG at column N", then the value
 * with a caret under the column, in err; returns -1. */
static int syntax_error(const char *value, const char *msg, size_t pos, char *err, size_t errlen)
{
	struct buf out = BUF_INIT(4096);
	buf_printf(&out, "%s at column %zu\n", msg, pos + 1);
	expr_caret(value, pos, &out);
	/* the caller ends the line */
	if (out.len && out.data[out.len - 1] == '\n')
		out.len--;
	snprintf(err, errlen, "%.*s", (int)out.len, out.data);
	buf_release(&out);
	return -1;
}

static int parse_expr(const char *value, void *slot, char *err, size_t errlen)
{
	char msg[256];
	size_t pos = 0;
	struct expr *e = NULL;
	if (expr_parse(value, &e, msg, sizeof(msg), &pos) < 0)
		return syntax_error(value, msg, pos, err, errlen);
	*(struct expr **)slot = e;
	return 0;
}

static void release_expr(void *slot)
{
	expr_free(*(struct expr **)slot);
	*(struct expr **)slot = NULL;
}

static int parse_template(const char *value, void *slot, char *err, size_t errlen)
{
	char msg[256];
	size_t pos = 0;
	struct template *t = template_parse(value, msg, sizeof(msg), &pos);
	if (!t)
		return syntax_error(value, msg, pos, err, errlen);
	*(struct template **)slot = t;
	return 0;
}

static void release_template(void *slot)
{
	template_free(*(struct template **)slot);
	*(struct template **)slot = NULL;
}

/* ---- [alert "NAME"] -------------------------------------------------------- */

#define RULE_KEY(k) offsetof(struct alert_rule_config, k)

static const struct config_key alert_keys[] = {
	{ .name = "expr", .type = CONF_CUSTOM, .offset = RULE_KEY(expr), .required = 1,
	  .parse = parse_expr, .release = release_expr },
	{ .name = "for", .type = CONF_DURATION, .offset = RULE_KEY(for_ms), .def = "0s" },
	{ .name = "keep_firing_for", .type = CONF_DURATION, .offset = RULE_KEY(keep_firing_for_ms),
	  .def = "0s" },
	{ .name = "clear", .type = CONF_STRING, .offset = RULE_KEY(clear) },
	{ .name = "severity", .type = CONF_STRING, .offset = RULE_KEY(severity), .def = "warning" },
	{ .name = "labels", .type = CONF_LIST, .offset = RULE_KEY(labels) },
	{ .name = "summary", .type = CONF_CUSTOM, .offset = RULE_KEY(summary),
	  .parse = parse_template, .release = release_template },
	{ .name = "description", .type = CONF_CUSTOM, .offset = RULE_KEY(description),
	  .parse = parse_template, .release = release_template },
	{ .name = "runbook_url", .type = CONF_CUSTOM, .offset = RULE_KEY(runbook_url),
	  .parse = parse_template, .release = release_template },
	{ .name = "receivers", .type = CONF_LIST, .offset = RULE_KEY(receivers) },
	{ .name = "repeat", .type = CONF_DURATION, .offset = RULE_KEY(repeat_ms), .def = "0s" },
	{ .name = NULL },
};

static int alert_validate(void *conf, char *err, size_t errlen)
{
	struct alert_rule_config *r = conf;
	if (r->clear) {
		if (parse_double(r->clear, &r->clear_value) < 0) {
			snprintf(err, errlen, "clear: expected a number, got '%s'", r->clear);
			return -1;
		}
		r->has_clear = 1;
	}
	for (size_t i = 0; i < r->labels.n; i++) {
		const char *item = r->labels.items[i];
		const char *eq = strchr(item, '=');
		char name[128];
		if (!eq || eq == item || (size_t)(eq - item) >= sizeof(name)) {
			snprintf(err, errlen, "labels: expected name=value, got '%s'", item);
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - item), item);
		char *t = trim(name);
		if (!label_name_valid(t)) {
			snprintf(err, errlen, "labels: '%s' is not a valid label name", t);
			return -1;
		}
		if (strcmp(t, "alertname") == 0) {
			snprintf(err, errlen, "labels: alertname is the section's name");
			return -1;
		}
	}
	if (!*r->severity) {
		snprintf(err, errlen, "severity: must not be empty");
		return -1;
	}
	return 0;
}

static int alert_check_config(const struct config *cfg, const struct config_section *s,
			      char *err, size_t errlen)
{
	const struct alert_rule_config *r = s->conf;
	for (size_t i = 0; i < r->receivers.n; i++)
		if (!config_find(cfg, "webhook", r->receivers.items[i])) {
			snprintf(err, errlen, "receivers: no [webhook \"%s\"] section",
				 r->receivers.items[i]);
			return -1;
		}
	return 0;
}

static void alert_describe(const struct config_section *s, struct buf *out)
{
	const struct alert_rule_config *r = s->conf;
	buf_printf(out, "%s: ", s->label);
	expr_format(r->expr, out);
	if (r->for_ms) {
		char d[32];
		conf_format_duration(r->for_ms, d, sizeof(d));
		buf_printf(out, " for %s", d);
	}
	buf_printf(out, ", severity %s", r->severity);
}

const struct config_kind alert_kind = {
	.name = "alert",
	.named = 1,
	.keys = alert_keys,
	.conf_size = sizeof(struct alert_rule_config),
	.validate = alert_validate,
	.check_config = alert_check_config,
	.describe = alert_describe,
};

int alert_rule_is_down_rule(const struct alert_rule_config *r)
{
	const char *names[EXPR_MAX_METRICS];
	size_t n = expr_metrics(r->expr, names);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]);
		if (strcmp(names[i], "up") == 0 || (l > 3 && strcmp(names[i] + l - 3, "_up") == 0))
			return 1;
	}
	return 0;
}

int alert_rule_notifies(const struct alert_rule_config *r, const char *webhook)
{
	if (!r->receivers.n)
		return 1;
	for (size_t i = 0; i < r->receivers.n; i++)
		if (strcmp(r->receivers.items[i], webhook) == 0)
			return 1;
	return 0;
}

/* ---- [webhook "NAME"] ------------------------------------------------------ */

#define HOOK_KEY(k) offsetof(struct webhook_config, k)

static const struct config_key webhook_keys[] = {
	{ .name = "url", .type = CONF_LIST, .offset = HOOK_KEY(url), .required = 1 },
	{ .name = "format", .type = CONF_ENUM, .offset = HOOK_KEY(format), .def = "alertmanager",
	  .choices = webhook_format_names },
	{ .name = "secret_file", .type = CONF_STRING, .offset = HOOK_KEY(secret_file) },
	{ .name = "headers", .type = CONF_LIST, .offset = HOOK_KEY(headers) },
	{ .name = "timeout", .type = CONF_DURATION, .offset = HOOK_KEY(timeout_ms), .def = "10s",
	  .min = 100, .max = 300000 },
	{ .name = "send_resolved", .type = CONF_BOOL, .offset = HOOK_KEY(send_resolved),
	  .def = "true" },
	{ .name = "group_wait", .type = CONF_DURATION, .offset = HOOK_KEY(group_wait_ms),
	  .def = "0s", .max = 3600000 },
	{ .name = "max_age", .type = CONF_DURATION, .offset = HOOK_KEY(max_age_ms), .def = "24h" },
	{ .name = "max_age_resolved", .type = CONF_DURATION, .offset = HOOK_KEY(max_age_resolved_ms),
	  .def = "1h" },
	{ .name = "max_backoff", .type = CONF_DURATION, .offset = HOOK_KEY(max_backoff_ms),
	  .def = "1m", .min = 100, .max = 3600000 },
	{ .name = "resend", .type = CONF_DURATION, .offset = HOOK_KEY(resend_ms), .def = "1m",
	  .min = 1000, .max = 3600000 },
	{ .name = NULL },
};

#define AM_API_PATH "/api/v2/alerts"

/* The offset of a URL's path (its first '/' after "scheme://"), of its end
 * (a '?' or '#', or the string's end) in *end; the path may be empty. */
static size_t url_path(const char *u, size_t *end)
{
	const char *auth = strstr(u, "://");
	auth = auth ? auth + 3 : u;
	size_t start = (size_t)(auth - u) + strcspn(auth, "/?#");
	*end = start + strcspn(u + start, "?#");
	return start;
}

/* An Alertmanager URL as Prometheus' alertmanagers config takes it: the
 * base ("http://am:9093", with a path prefix if Alertmanager is behind
 * one) gets /api/v2/alerts appended, a URL that ends with it stays as
 * written.  Replaces *url (owned by the list) and returns 0, or -1 with err
 * for the API of Alertmanager < 0.27's v1, which is gone. */
static int am_api_url(char **url, char *err, size_t errlen)
{
	size_t end, start = url_path(*url, &end);
	size_t n = end - start;
	const char *path = *url + start;
	while (n > 0 && path[n - 1] == '/')
		n--;
	size_t suffix = strlen(AM_API_PATH);
	if (n >= suffix && memcmp(path + n - suffix, AM_API_PATH, suffix) == 0)
		return 0;
	if (n >= strlen("/api/v1/alerts") &&
	    memcmp(path + n - strlen("/api/v1/alerts"), "/api/v1/alerts", strlen("/api/v1/alerts")) == 0) {
		snprintf(err, errlen, "url: Alertmanager's v1 API (/api/v1/alerts) is gone since 0.27; "
				      "give its base URL (http://host:9093), /api/v2/alerts is appended");
		return -1;
	}
	char *with = xasprintf("%.*s%.*s" AM_API_PATH "%s", (int)start, *url, (int)n, path,
			       *url + end);
	free(*url);
	*url = with;
	return 0;
}

/* The URL as --check-config shows it: no user:password, no query. */
static void url_shown(const char *u, struct buf *out)
{
	const char *auth = strstr(u, "://");
	auth = auth ? auth + 3 : u;
	size_t host = strcspn(auth, "/?#");
	const char *at = memchr(auth, '@', host);
	buf_printf(out, "%.*s", (int)(auth - u), u);
	if (at) {
		buf_puts(out, "***@");
		host -= (size_t)(at + 1 - auth);
		auth = at + 1;
	}
	size_t path = strcspn(auth + host, "?#");
	buf_printf(out, "%.*s%s", (int)(host + path), auth, auth[host + path] == '?' ? "?..." : "");
}

static int webhook_validate(void *conf, char *err, size_t errlen)
{
	struct webhook_config *w = conf;
	if (w->url.n > WEBHOOK_URLS_MAX) {
		snprintf(err, errlen, "url: at most %d URLs", WEBHOOK_URLS_MAX);
		return -1;
	}
	if (w->url.n > 1 && w->format != WEBHOOK_ALERTMANAGER_API) {
		snprintf(err, errlen, "url: several URLs only with format = alertmanager-api");
		return -1;
	}
	for (size_t i = 0; i < w->url.n; i++) {
		const char *u = w->url.items[i];
		if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) {
			snprintf(err, errlen, "url: expected an http:// or https:// URL");
			return -1;
		}
		if (w->format == WEBHOOK_ALERTMANAGER_API && am_api_url(&w->url.items[i], err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; i < w->headers.n; i++) {
		const char *h = w->headers.items[i];
		const char *colon = strchr(h, ':');
		if (!colon || colon == h || strpbrk(h, "\r\n")) {
			snprintf(err, errlen, "headers: expected 'Name: value' items");
			return -1;
		}
	}
	if (w->format == WEBHOOK_PAGERDUTY && !w->secret_file) {
		snprintf(err, errlen, "secret_file: required for pagerduty (the routing key)");
		return -1;
	}
	return 0;
}

static void webhook_describe(const struct config_section *s, struct buf *out)
{
	const struct webhook_config *w = s->conf;
	buf_printf(out, "%s: %s to %zu URL%s%s", s->label, webhook_format_names[w->format], w->url.n,
		   w->url.n == 1 ? "" : "s", w->secret_file ? ", signed" : "");
	if (w->format != WEBHOOK_ALERTMANAGER_API)
		return; /* a receiver's URL may hold its token: not shown */
	for (size_t i = 0; i < w->url.n; i++) {
		buf_puts(out, i ? ", " : ": ");
		url_shown(w->url.items[i], out);
	}
}

/* The secret file, as the sender will read it (--check-config, reload). */
static int webhook_check_files(const struct config *cfg, const struct config_section *s,
			       char *err, size_t errlen)
{
	(void)cfg;
	const struct webhook_config *w = s->conf;
	return secret_file_check(w->secret_file, "secret_file", err, errlen);
}

const struct config_kind webhook_kind = {
	.name = "webhook",
	.named = 1,
	.keys = webhook_keys,
	.conf_size = sizeof(struct webhook_config),
	.validate = webhook_validate,
	.describe = webhook_describe,
	.check_config = webhook_check_files,
};
