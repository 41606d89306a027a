/*
 * payload.c -- the webhook formats (payload.h).
 */
#include "autoconfig.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "buf.h"
#include "netlib.h"
#include "payload.h"
#include "xalloc.h"

const char *const webhook_format_names[] = { "alertmanager", "alertmanager-api", "slack",
					     "pagerduty", "json", NULL };

#define PAGERDUTY_SUMMARY_MAX 1024
#define BATCH_MAX 100

size_t payload_max_batch(enum webhook_format f)
{
	return f == WEBHOOK_PAGERDUTY ? 1 : BATCH_MAX;
}

void payload_time(double epoch, char out[40])
{
	if (epoch <= 0) {
		snprintf(out, 40, "0001-01-01T00:00:00Z");
		return;
	}
	time_t secs = (time_t)floor(epoch);
	int ms = (int)((epoch - floor(epoch)) * 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char s[32];
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%03dZ", s, ms);
}

static json_t *labels_json(const struct alert_labels *l)
{
	json_t *o = json_object();
	for (size_t i = 0; i < l->n; i++)
		json_object_set_new(o, l->v[i].name, json_string(l->v[i].value));
	return o;
}

/* A number, or "NaN"/"+Inf"/"-Inf", which JSON has no numbers for. */
static json_t *number_json(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "+Inf" : "-Inf");
	return json_real(v);
}

static const char *status_name(const struct alert_note *n)
{
	return n->status == ALERT_FIRING ? "firing" : "resolved";
}

static json_t *time_json(double t)
{
	char s[40];
	payload_time(t, s);
	return json_string(s);
}

static int any_firing(struct alert_note *const *notes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (notes[i]->status == ALERT_FIRING)
			return 1;
	return 0;
}

/* The pairs every note has with the same value. */
static json_t *common(struct alert_note *const *notes, size_t n, int annotations)
{
	json_t *o = json_object();
	const struct alert_labels *first = annotations ? &notes[0]->annotations : &notes[0]->labels;
	for (size_t i = 0; i < first->n; i++) {
		int shared = 1;
		for (size_t j = 1; j < n && shared; j++) {
			const struct alert_labels *l = annotations ? &notes[j]->annotations : &notes[j]->labels;
			const char *v = alert_labels_get(l, first->v[i].name);
			shared = v && strcmp(v, first->v[i].value) == 0;
		}
		if (shared)
			json_object_set_new(o, first->v[i].name, json_string(first->v[i].value));
	}
	return o;
}

/* Go's %q of a label value, as Alertmanager's group keys print them. */
static void append_quoted(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static json_t *alertmanager_body(const struct payload_ctx *ctx, struct alert_note *const *notes,
				 size_t n)
{
	json_t *alerts = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct alert_note *a = notes[i];
		char fp[17];
		alert_fingerprint_hex(a->fingerprint, fp);
		json_array_append_new(alerts, json_pack("{s:s, s:o, s:o, s:o, s:o, s:s, s:s}",
			"status", status_name(a), "labels", labels_json(&a->labels),
			"annotations", labels_json(&a->annotations), "startsAt", time_json(a->starts_at),
			"endsAt", time_json(a->status == ALERT_RESOLVED ? a->ends_at : 0),
			"generatorURL", a->generator_url ? a->generator_url : "", "fingerprint", fp));
	}
	/* grouped by alertname when the batch has one, like a route with
	 * group_by: [alertname]; the key is Alertmanager's "{}:{...}" */
	json_t *group = json_object();
	struct buf key = BUF_INIT(1 << 16);
	const char *name = alert_labels_get(&notes[0]->labels, "alertname");
	for (size_t i = 1; i < n && name; i++) {
		const char *other = alert_labels_get(&notes[i]->labels, "alertname");
		if (!other || strcmp(other, name) != 0)
			name = NULL;
	}
	buf_puts(&key, "{}:{");
	if (name) {
		json_object_set_new(group, "alertname", json_string(name));
		buf_puts(&key, "alertname=");
		append_quoted(&key, name);
	}
	buf_putc(&key, '}');
	json_t *body = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:i, s:o}",
		"version", "4", "groupKey", buf_str(&key), "status",
		any_firing(notes, n) ? "firing" : "resolved", "receiver", json_string(ctx->receiver),
		"groupLabels", group, "commonLabels", common(notes, n, 0),
		"commonAnnotations", common(notes, n, 1), "externalURL",
		ctx->external_url ? ctx->external_url : "", "truncatedAlerts", 0, "alerts", alerts);
	buf_release(&key);
	return body;
}

static json_t *alertmanager_api_body(struct alert_note *const *notes, size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct alert_note *a = notes[i];
		json_t *o = json_pack("{s:o, s:o, s:o, s:s}", "labels", labels_json(&a->labels),
				      "annotations", labels_json(&a->annotations), "startsAt",
				      time_json(a->starts_at), "generatorURL",
				      a->generator_url ? a->generator_url : "");
		if (a->ends_at > 0)
			json_object_set_new(o, "endsAt", time_json(a->ends_at));
		json_array_append_new(list, o);
	}
	return list;
}

/* Slack's mrkdwn wants &, < and > escaped. */
static void slack_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			buf_puts(b, "&amp;");
		else if (*s == '<')
			buf_puts(b, "&lt;");
		else if (*s == '>')
			buf_puts(b, "&gt;");
		else
			buf_putc(b, *s);
	}
}

static json_t *slack_body(struct alert_note *const *notes, size_t n)
{
	int firing = any_firing(notes, n), critical = 0;
	size_t nfiring = 0;
	for (size_t i = 0; i < n; i++) {
		const char *sev = alert_labels_get(&notes[i]->labels, "severity");
		nfiring += notes[i]->status == ALERT_FIRING;
		critical |= notes[i]->status == ALERT_FIRING && sev && strcmp(sev, "critical") == 0;
	}
	const char *name = alert_labels_get(&notes[0]->labels, "alertname");
	struct buf title = BUF_INIT(1 << 16), text = BUF_INIT(1 << 20);
	if (firing)
		buf_printf(&title, "[FIRING:%zu] ", nfiring);
	else
		buf_puts(&title, "[RESOLVED] ");
	slack_escape(&title, n == 1 || !name ? (name ? name : "alert") : name);
	if (n > 1)
		buf_printf(&title, " and %zu more", n - 1);
	const char *link = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct alert_note *a = notes[i];
		const char *summary = alert_labels_get(&a->annotations, "summary");
		const char *descr = alert_labels_get(&a->annotations, "description");
		const char *target = alert_labels_get(&a->labels, "target");
		buf_printf(&text, "%s*%s* ", i ? "\n" : "", a->status == ALERT_FIRING ? "Firing" : "Resolved");
		slack_escape(&text, alert_labels_get(&a->labels, "alertname"));
		if (target) {
			buf_puts(&text, " on ");
			slack_escape(&text, target);
		}
		if (summary) {
			buf_puts(&text, ": ");
			slack_escape(&text, summary);
		}
		if (descr) {
			buf_puts(&text, "\n");
			slack_escape(&text, descr);
		}
		if (!link)
			link = alert_labels_get(&a->annotations, "runbook_url");
	}
	if (!link)
		link = notes[0]->generator_url;
	const char *color = !firing ? "good" : critical ? "danger" : "warning";
	json_t *att = json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "color", color, "title",
				buf_str(&title), "text", buf_str(&text), "fallback", buf_str(&title),
				"mrkdwn_in", "text");
	if (link)
		json_object_set_new(att, "title_link", json_string(link));
	json_t *body = json_pack("{s:s, s:[o]}", "text", buf_str(&title), "attachments", att);
	buf_release(&title);
	buf_release(&text);
	return body;
}

static const char *pagerduty_severity(const char *s)
{
	if (s && (strcmp(s, "critical") == 0 || strcmp(s, "error") == 0 || strcmp(s, "warning") == 0))
		return s;
	return "info";
}

static json_t *pagerduty_body(const struct payload_ctx *ctx, const struct alert_note *a)
{
	char fp[17], dedup[64];
	alert_fingerprint_hex(a->fingerprint, fp);
	snprintf(dedup, sizeof(dedup), "%s-%lld", fp, (long long)a->starts_at);
	if (a->status == ALERT_RESOLVED)
		return json_pack("{s:s, s:s, s:s}", "routing_key", ctx->routing_key, "event_action",
				 "resolve", "dedup_key", dedup);
	const char *name = alert_labels_get(&a->labels, "alertname");
	const char *summary = alert_labels_get(&a->annotations, "summary");
	const char *target = alert_labels_get(&a->labels, "target");
	struct buf s = BUF_INIT(1 << 16);
	if (summary)
		buf_puts(&s, summary);
	else
		buf_printf(&s, "%s%s%s", name ? name : "alert", target ? " on " : "", target ? target : "");
	if (s.len > PAGERDUTY_SUMMARY_MAX) {
		s.len = PAGERDUTY_SUMMARY_MAX - 3;
		while (s.len && ((unsigned char)s.data[s.len] & 0xc0) == 0x80)
			s.len--;   /* not in the middle of a UTF-8 sequence */
		buf_puts(&s, "...");
	}
	json_t *details = json_pack("{s:o, s:o, s:o}", "labels", labels_json(&a->labels),
				    "annotations", labels_json(&a->annotations), "value",
				    number_json(a->value));
	json_t *payload = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:o}", "summary",
				    buf_str(&s), "source", ctx->source ? ctx->source : "dbpulse",
				    "severity", pagerduty_severity(alert_labels_get(&a->labels, "severity")),
				    "timestamp", time_json(a->starts_at), "component", target ? target : "",
				    "group", name ? name : "", "class", a->rule ? a->rule : "",
				    "custom_details", details);
	buf_release(&s);
	json_t *links = json_array();
	const char *runbook = alert_labels_get(&a->annotations, "runbook_url");
	if (runbook)
		json_array_append_new(links, json_pack("{s:s, s:s}", "href", runbook, "text", "Runbook"));
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s}", "routing_key", ctx->routing_key,
			 "event_action", "trigger", "dedup_key", dedup, "payload", payload, "links",
			 links, "client", "dbpulse", "client_url",
			 ctx->external_url ? ctx->external_url : "");
}

static json_t *json_body(const struct payload_ctx *ctx, struct alert_note *const *notes, size_t n,
			 double now)
{
	char id[64];
	payload_message_id(ctx->receiver, notes, n, id);
	json_t *alerts = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct alert_note *a = notes[i];
		char fp[17];
		alert_fingerprint_hex(a->fingerprint, fp);
		json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:I}", "status",
				      status_name(a), "rule", a->rule ? a->rule : "", "labels",
				      labels_json(&a->labels), "annotations", labels_json(&a->annotations),
				      "value", number_json(a->value), "startsAt", time_json(a->starts_at),
				      "fingerprint", fp, "generatorURL",
				      a->generator_url ? a->generator_url : "", "seq", (json_int_t)a->seq);
		if (a->ends_at > 0)
			json_object_set_new(o, "endsAt", time_json(a->ends_at));
		json_array_append_new(alerts, o);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "version", "1", "id", id, "receiver",
			 ctx->receiver, "status", any_firing(notes, n) ? "firing" : "resolved",
			 "sentAt", time_json(now), "alerts", alerts);
}

int payload_build(enum webhook_format f, const struct payload_ctx *ctx,
		  struct alert_note *const *notes, size_t n, double now, struct buf *body, char *err,
		  size_t errlen)
{
	json_t *root = NULL;
	if (n == 0 || n > payload_max_batch(f)) {
		snprintf(err, errlen, "a %s request carries 1 to %zu alerts", webhook_format_names[f],
			 payload_max_batch(f));
		return -1;
	}
	switch (f) {
	case WEBHOOK_ALERTMANAGER: root = alertmanager_body(ctx, notes, n); break;
	case WEBHOOK_ALERTMANAGER_API: root = alertmanager_api_body(notes, n); break;
	case WEBHOOK_SLACK: root = slack_body(notes, n); break;
	case WEBHOOK_PAGERDUTY:
		if (!ctx->routing_key || !*ctx->routing_key) {
			snprintf(err, errlen, "pagerduty needs a routing key (secret_file)");
			return -1;
		}
		root = pagerduty_body(ctx, notes[0]);
		break;
	case WEBHOOK_JSON: root = json_body(ctx, notes, n, now); break;
	}
	char *text = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(root);
	if (!text) {
		snprintf(err, errlen, "cannot encode the payload");
		return -1;
	}
	int rc = buf_puts(body, text);
	free(text);
	if (rc < 0)
		snprintf(err, errlen, "the payload is too large");
	return rc;
}

void payload_message_id(const char *receiver, struct alert_note *const *notes, size_t n,
			char out[64])
{
	/* two independent FNV-1a 64 streams make 128 bits */
	uint64_t h1 = 14695981039346656037ULL, h2 = 0x84222325cbf29ce4ULL;
	char part[64];
	for (const char *s = receiver; *s; s++) {
		h1 = (h1 ^ (unsigned char)*s) * 1099511628211ULL;
		h2 = (h2 ^ (unsigned char)*s) * 0x100000001b3ULL + 1;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(part, sizeof(part), "|%016llx:%llu", (unsigned long long)notes[i]->fingerprint,
			 (unsigned long long)notes[i]->seq);
		for (const char *s = part; *s; s++) {
			h1 = (h1 ^ (unsigned char)*s) * 1099511628211ULL;
			h2 = (h2 ^ (unsigned char)*s) * 0x100000001b3ULL + 1;
		}
	}
	snprintf(out, 64, "msg_%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

int standard_webhooks_key(const char *secret, unsigned char *key, size_t *keylen, size_t keycap)
{
	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	size_t len = strlen(secret);
	if (len == 0 || (len / 4) * 3 > keycap)
		return -1;
	long n = base64_decode(secret, len, key);
	if (n <= 0)
		return -1;
	*keylen = (size_t)n;
	return 0;
}

int standard_webhooks_sign(const unsigned char *key, size_t keylen, const char *msg_id,
			   long long timestamp, const char *body, size_t len, struct buf *out)
{
	struct buf content = BUF_INIT(128u << 20);
	buf_printf(&content, "%s.%lld.", msg_id, timestamp);
	if (buf_append(&content, body, len) < 0) {
		buf_release(&content);
		return -1;
	}
	unsigned char mac[32];
	char b64[64];
	int rc = hmac_sha256(key, keylen, content.data, content.len, mac);
	buf_release(&content);
	if (rc < 0 || base64_encode(mac, sizeof(mac), b64) < 0)
		return -1;
	return buf_printf(out, "v1,%s", b64);
}
