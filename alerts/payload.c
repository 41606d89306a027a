/*
 * payload.c -- the webhook formats (payload.h); message ids and Standard
 * Webhooks signing are in payload_sign.c.
 *
 * Called by each webhook's sender thread for every delivery attempt, and
 * by the engine for times in /api/alerts.  Pure functions: a batch of
 * notes in, bytes appended to the caller's buffer out; no globals beyond
 * constant tables, no locks, no I/O.  Every JSON document is built as a
 * jansson tree and freed before returning; key order follows the structs
 * of the tools that define each format (Alertmanager's template.Data and
 * webhook.Message, Prometheus' notifier alert, Alertmanager's Slack and
 * PagerDuty messages), so bodies read like theirs.
 */
#include "autoconfig.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alert.h"
#include "buf.h"
#include "payload.h"
#include "strutil.h"
#include "xalloc.h"
#include "banned.h"

const char *const webhook_format_names[] = { "alertmanager", "alertmanager-api", "slack",
					     "pagerduty", "json", NULL };

#define BATCH_MAX 100
#define PAGERDUTY_SUMMARY_RUNES 1024      /* Events API v2 limit on payload.summary */
#define ZERO_TIME "0001-01-01T00:00:00Z"  /* Go's time.Time{} */
#define MAX_EPOCH 253402300799.999        /* 9999-12-31T23:59:59.999Z */
#define EXACT_INT 9007199254740992.0      /* 2^53: integers doubles hold exactly */
#define REPLACEMENT "\xef\xbf\xbd"        /* U+FFFD */

size_t payload_max_batch(enum webhook_format f)
{
	return f == WEBHOOK_PAGERDUTY ? 1 : BATCH_MAX;
}

/* ---- times ----------------------------------------------------------------------- */

void payload_time(double epoch, char out[40])
{
	if (!(epoch > 0)) {
		memcpy(out, ZERO_TIME, sizeof(ZERO_TIME));
		return;
	}
	if (epoch > MAX_EPOCH)
		epoch = MAX_EPOCH;
	long long ms = llround(epoch * 1000.0);
	time_t secs = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {
		memcpy(out, ZERO_TIME, sizeof(ZERO_TIME));
		return;
	}
	size_t len = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac) {
		/* Go's RFC3339Nano: the fraction without trailing zeros */
		int digits = 3;
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		len += (size_t)snprintf(out + len, 40 - len, ".%0*d", digits, frac);
	}
	snprintf(out + len, 40 - len, "Z");
}

/* ---- strings --------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 (see
 * utf8_sequence_len); never reads past a NUL, which no continuation byte
 * matches. */
static size_t utf8_seq(const unsigned char *p)
{
	return utf8_sequence_len(p, 4);
}

static uint32_t utf8_decode(const unsigned char *p, size_t len)
{
	if (len == 1)
		return p[0];
	uint32_t r = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++)
		r = r << 6 | (p[i] & 0x3f);
	return r;
}

/* s with every byte that is not part of valid UTF-8 replaced by U+FFFD
 * (what Go's encoding/json does), or NULL when s is valid.  The caller
 * frees the copy. */
static char *utf8_fixed(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;
	for (; *p; p += len)
		if (!(len = utf8_seq(p)))
			break;
	if (!*p)
		return NULL;
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	size_t n = strlen(s);
	buf_put_utf8(&b, s, n, 3 * n);
	return buf_detach(&b, NULL);
}

/* A JSON string of s; NULL gives "". */
static json_t *jstr(const char *s)
{
	if (!s)
		return json_string("");
	char *fixed = utf8_fixed(s);
	json_t *j = json_string(fixed ? fixed : s);
	free(fixed);
	return j ? j : json_string(REPLACEMENT);
}

/* Sets o[key] = v, taking v's reference; a key that is not UTF-8 is
 * repaired rather than dropped. */
static void put(json_t *o, const char *key, json_t *v)
{
	char *fixed = utf8_fixed(key);
	json_object_set_new_nocheck(o, fixed ? fixed : key, v);
	free(fixed);
}

static int empty(const char *s)
{
	return !s || !*s;
}

/* Slack treats &, < and > as control characters in every text field:
 * they must go as HTML entities, and nothing else may be encoded. */
static void slack_escape(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
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

/* Whether Go's strconv.Quote prints rune r as is (unicode.IsPrint).  An
 * approximation without Unicode tables: controls, the non-ASCII spaces,
 * format characters, private use and non-characters are escaped;
 * unassigned code points pass (Go would escape them). */
static int go_printable(uint32_t r)
{
	if (r < 0xa0)
		return r >= 0x20 && r < 0x7f;
	if (r == 0xa0 || r == 0xad || r == 0x61c || r == 0x1680 || r == 0x180e ||
	    (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
	    (r >= 0x205f && r <= 0x206f) || r == 0x3000 || r == 0xfeff ||
	    (r >= 0xe000 && r <= 0xf8ff) || (r >= 0xfff9 && r <= 0xfffb) ||
	    (r & 0xfffe) == 0xfffe || r >= 0xf0000)
		return 0;
	return 1;
}

/* Go's %q of s (strconv.Quote), as model.LabelSet.String() prints label
 * values in Alertmanager's group keys. */
static void go_quote(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	buf_putc(b, '"');
	while (*p) {
		size_t len = utf8_seq(p);
		if (!len) {
			buf_printf(b, "\\x%02x", *p++);
			continue;
		}
		uint32_t r = utf8_decode(p, len);
		const char *esc = NULL;
		switch (r) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\a': esc = "\\a"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\v': esc = "\\v"; break;
		}
		if (esc)
			buf_puts(b, esc);
		else if (go_printable(r))
			buf_append(b, p, len);
		else if (r < 0x80)
			buf_printf(b, "\\x%02x", (unsigned)r);
		else if (r < 0x10000)
			buf_printf(b, "\\u%04x", (unsigned)r);
		else
			buf_printf(b, "\\U%08x", (unsigned)r);
		p += len;
	}
	buf_putc(b, '"');
}

/* Go's regexp.QuoteMeta, which Alertmanager applies to the receiver name
 * of its template data, and so of its webhook payload. */
static void quote_meta(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (strchr("\\.+*?()|[]{}^$", *s))
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

/* ---- values ---------------------------------------------------------------------- */

static int is_exact_integer(double v)
{
	return isfinite(v) && v == floor(v) && fabs(v) < EXACT_INT;
}

/* For people: "0", "0.93", "1e-07", "NaN", "+Inf". */
static void value_text(double v, char *out, size_t len)
{
	const char *name = nonfinite_name(v);
	if (name)
		snprintf(out, len, "%s", name);
	else if (is_exact_integer(v))
		snprintf(out, len, "%.0f", v);
	else
		format_double_shortest(out, len, v);
}

/* A JSON number as Go would write it (integers without ".0"), or the
 * string Prometheus uses for what JSON cannot hold. */
static json_t *value_json(double v)
{
	const char *name = nonfinite_name(v);
	if (name)
		return json_string(name);
	if (is_exact_integer(v))
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* jansson prints every real with one precision: the most any value of the
 * batch needs to read back exactly, so 0.93 stays "0.93". */
static int real_precision(struct alert_note *const *notes, size_t n)
{
	int p = 1;
	for (size_t i = 0; i < n; i++) {
		double v = notes[i]->value;
		if (isfinite(v) && !is_exact_integer(v)) {
			int d = shortest_digits(v);
			if (d > p)
				p = d;
		}
	}
	return p;
}

/* ---- shared pieces --------------------------------------------------------------- */

static json_t *time_json(double t)
{
	char s[40];
	payload_time(t, s);
	return json_string(s);
}

static json_t *labels_json(const struct alert_labels *l)
{
	json_t *o = json_object();
	for (size_t i = 0; i < l->n; i++)   /* sorted by name, as Go prints maps */
		put(o, l->v[i].name, jstr(l->v[i].value));
	return o;
}

static const char *status_name(const struct alert_note *a)
{
	return a->status == ALERT_FIRING ? "firing" : "resolved";
}

static size_t count_firing(struct alert_note *const *notes, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += notes[i]->status == ALERT_FIRING;
	return k;
}

static const char *batch_status(struct alert_note *const *notes, size_t n)
{
	return count_firing(notes, n) ? "firing" : "resolved";
}

static void fingerprint_hex(const struct alert_note *a, char out[17])
{
	alert_fingerprint_hex(a->fingerprint, out);
}

/* The alert's name for people: alertname, else the rule, else "alert". */
static const char *alert_name(const struct alert_note *a)
{
	const char *name = alert_labels_get(&a->labels, "alertname");
	if (!empty(name))
		return name;
	return !empty(a->rule) ? a->rule : "alert";
}

static const char *annotation(const struct alert_note *a, const char *name)
{
	const char *v = alert_labels_get(&a->annotations, name);
	return empty(v) ? NULL : v;
}

static const char *label(const struct alert_note *a, const char *name)
{
	const char *v = alert_labels_get(&a->labels, name);
	return empty(v) ? NULL : v;
}

/* ---- alertmanager ---------------------------------------------------------------- */

/* The pairs every note has with the same value.  As in Alertmanager's
 * template.Data, a missing pair counts as the empty value. */
static json_t *common_json(struct alert_note *const *notes, size_t n, int annotations)
{
	json_t *o = json_object();
	const struct alert_labels *first = annotations ? &notes[0]->annotations : &notes[0]->labels;
	for (size_t i = 0; i < first->n; i++) {
		int shared = 1;
		for (size_t j = 1; j < n && shared; j++) {
			const struct alert_labels *l =
				annotations ? &notes[j]->annotations : &notes[j]->labels;
			const char *v = alert_labels_get(l, first->v[i].name);
			shared = strcmp(v ? v : "", first->v[i].value) == 0;
		}
		if (shared)
			put(o, first->v[i].name, jstr(first->v[i].value));
	}
	return o;
}

/* The alertname every note has, or NULL. */
static const char *common_alertname(struct alert_note *const *notes, size_t n)
{
	const char *name = alert_labels_get(&notes[0]->labels, "alertname");
	for (size_t i = 1; i < n && name; i++) {
		const char *other = alert_labels_get(&notes[i]->labels, "alertname");
		if (!other || strcmp(other, name) != 0)
			name = NULL;
	}
	return empty(name) ? NULL : name;
}

static json_t *alertmanager_body(const struct payload_ctx *ctx, struct alert_note *const *notes,
				 size_t n)
{
	json_t *alerts = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct alert_note *a = notes[i];
		char fp[17];
		fingerprint_hex(a, fp);
		json_t *o = json_object();
		put(o, "status", jstr(status_name(a)));
		put(o, "labels", labels_json(&a->labels));
		put(o, "annotations", labels_json(&a->annotations));
		put(o, "startsAt", time_json(a->starts_at));
		/* the dispatcher zeroes EndsAt of alerts that still fire */
		put(o, "endsAt", time_json(a->status == ALERT_RESOLVED ? a->ends_at : 0));
		put(o, "generatorURL", jstr(a->generator_url));
		put(o, "fingerprint", jstr(fp));
		json_array_append_new(alerts, o);
	}

	/* a root route grouping by alertname: route key "{}", group labels
	 * printed by model.LabelSet.String() */
	const char *name = common_alertname(notes, n);
	json_t *group = json_object();
	struct buf key = BUF_INIT(BUF_UNLIMITED), receiver = BUF_INIT(BUF_UNLIMITED);
	buf_puts(&key, "{}:{");
	if (name) {
		put(group, "alertname", jstr(name));
		buf_puts(&key, "alertname=");
		go_quote(&key, name);
	}
	buf_putc(&key, '}');
	quote_meta(&receiver, ctx->receiver);

	json_t *root = json_object();
	put(root, "receiver", jstr(buf_str(&receiver)));
	put(root, "status", jstr(batch_status(notes, n)));
	put(root, "alerts", alerts);
	put(root, "groupLabels", group);
	put(root, "commonLabels", common_json(notes, n, 0));
	put(root, "commonAnnotations", common_json(notes, n, 1));
	put(root, "externalURL", jstr(ctx->external_url));
	put(root, "version", jstr("4"));
	put(root, "groupKey", jstr(buf_str(&key)));
	put(root, "truncatedAlerts", json_integer(0));
	buf_release(&key);
	buf_release(&receiver);
	return root;
}

static json_t *alertmanager_api_body(struct alert_note *const *notes, size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct alert_note *a = notes[i];
		json_t *o = json_object();
		put(o, "labels", labels_json(&a->labels));
		put(o, "annotations", labels_json(&a->annotations));
		put(o, "startsAt", time_json(a->starts_at));
		if (a->ends_at > 0)
			put(o, "endsAt", time_json(a->ends_at));
		if (!empty(a->generator_url))
			put(o, "generatorURL", jstr(a->generator_url));
		json_array_append_new(list, o);
	}
	return list;
}

/* ---- slack ----------------------------------------------------------------------- */

#define SLACK_TITLE_NAMES 3   /* names in a title before "and N more" */

/* "[FIRING:2] PostgresDown, RedisDown" or "[RESOLVED] PostgresDown",
 * escaped. */
static void slack_title(struct buf *t, struct alert_note *const *notes, size_t n)
{
	size_t firing = count_firing(notes, n), shown = 0, more = 0;
	if (firing)
		buf_printf(t, "[FIRING:%zu] ", firing);
	else
		buf_puts(t, "[RESOLVED] ");
	for (size_t i = 0; i < n; i++) {
		const char *name = alert_name(notes[i]);
		size_t j = 0;
		while (j < i && strcmp(alert_name(notes[j]), name) != 0)
			j++;
		if (j < i)
			continue;   /* named already */
		if (shown == SLACK_TITLE_NAMES) {
			more++;
			continue;
		}
		if (shown++)
			buf_puts(t, ", ");
		slack_escape(t, name);
	}
	if (more)
		buf_printf(t, " and %zu more", more);
}

/* One paragraph per alert:
 *   *[FIRING] PostgresDown* on main (critical)
 *   summary
 *   description
 *   value: 0, since 2025-11-25T03:26:13.25Z */
static void slack_alert_text(struct buf *t, const struct alert_note *a)
{
	const char *target = label(a, "target"), *severity = label(a, "severity");
	const char *summary = annotation(a, "summary"), *description = annotation(a, "description");
	char value[40], when[40];
	buf_puts(t, a->status == ALERT_FIRING ? "*[FIRING] " : "*[RESOLVED] ");
	slack_escape(t, alert_name(a));
	buf_putc(t, '*');
	if (target) {
		buf_puts(t, " on ");
		slack_escape(t, target);
	}
	if (severity) {
		buf_puts(t, " (");
		slack_escape(t, severity);
		buf_putc(t, ')');
	}
	if (summary) {
		buf_putc(t, '\n');
		slack_escape(t, summary);
	}
	if (description) {
		buf_putc(t, '\n');
		slack_escape(t, description);
	}
	value_text(a->value, value, sizeof(value));
	buf_printf(t, "\nvalue: %s", value);
	if (a->status == ALERT_FIRING) {
		payload_time(a->starts_at, when);
		buf_printf(t, ", since %s", when);
	} else if (a->ends_at > 0) {
		payload_time(a->ends_at, when);
		buf_printf(t, ", resolved at %s", when);
	}
}

static json_t *slack_body(const struct payload_ctx *ctx, struct alert_note *const *notes,
			  size_t n, double now)
{
	int firing = 0, critical = 0;
	for (size_t i = 0; i < n; i++) {
		if (notes[i]->status != ALERT_FIRING)
			continue;
		const char *sev = label(notes[i], "severity");
		firing = 1;
		critical |= sev && strcasecmp(sev, "critical") == 0;
	}
	const char *link = NULL;
	for (size_t i = 0; i < n && !link; i++)
		link = annotation(notes[i], "runbook_url");
	for (size_t i = 0; i < n && !link; i++)
		link = empty(notes[i]->generator_url) ? NULL : notes[i]->generator_url;

	struct buf title = BUF_INIT(BUF_UNLIMITED), text = BUF_INIT(BUF_UNLIMITED),
		   footer = BUF_INIT(BUF_UNLIMITED);
	slack_title(&title, notes, n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_puts(&text, "\n\n");
		slack_alert_text(&text, notes[i]);
	}
	buf_puts(&footer, "dbpulse");
	if (!empty(ctx->source)) {
		buf_puts(&footer, " on ");
		slack_escape(&footer, ctx->source);
	}

	json_t *att = json_object();
	put(att, "title", jstr(buf_str(&title)));
	if (link)
		put(att, "title_link", jstr(link));
	put(att, "text", jstr(buf_str(&text)));
	put(att, "fallback", jstr(buf_str(&title)));
	put(att, "footer", jstr(buf_str(&footer)));
	if (now > 0 && now < MAX_EPOCH)
		put(att, "ts", json_integer((json_int_t)now));
	put(att, "color", jstr(!firing ? "good" : critical ? "danger" : "warning"));
	put(att, "mrkdwn_in", json_pack("[s]", "text"));

	json_t *root = json_object();
	put(root, "text", jstr(buf_str(&title)));   /* what notifications show */
	put(root, "attachments", json_pack("[o]", att));
	buf_release(&title);
	buf_release(&text);
	buf_release(&footer);
	return root;
}

/* ---- pagerduty ------------------------------------------------------------------- */

static const char *pagerduty_severity(const char *s)
{
	static const char *const known[] = { "critical", "error", "warning" };
	for (size_t i = 0; s && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcasecmp(s, known[i]) == 0)
			return known[i];
	return "info";
}

/* Cuts valid UTF-8 in b to max characters, Alertmanager's way
 * (notify.TruncateInRunes): max-1 characters and "…". */
static void truncate_runes(struct buf *b, size_t max)
{
	size_t runes = 0, keep = 0, step;
	for (size_t i = 0; i < b->len; i += step) {
		step = utf8_seq((const unsigned char *)b->data + i);
		if (!step)
			step = 1;   /* not reached: b is valid UTF-8 */
		if (runes == max - 1)
			keep = i;
		runes++;
	}
	if (runes <= max)
		return;
	buf_truncate(b, keep);
	buf_puts(b, "\xe2\x80\xa6");
}

static json_t *pagerduty_body(const struct payload_ctx *ctx, const struct alert_note *a)
{
	char fp[17], dedup[64];
	fingerprint_hex(a, fp);
	double start = isfinite(a->starts_at) && a->starts_at > 0 && a->starts_at < MAX_EPOCH
			       ? floor(a->starts_at) : 0;
	snprintf(dedup, sizeof(dedup), "%s-%lld", fp, (long long)start);
	json_t *root = json_object();
	put(root, "routing_key", jstr(ctx->routing_key));
	put(root, "dedup_key", jstr(dedup));
	if (a->status == ALERT_RESOLVED) {
		put(root, "event_action", jstr("resolve"));
		return root;
	}
	put(root, "event_action", jstr("trigger"));

	const char *name = label(a, "alertname"), *target = label(a, "target");
	const char *summary = annotation(a, "summary"), *runbook = annotation(a, "runbook_url");
	struct buf s = BUF_INIT(BUF_UNLIMITED);
	if (summary) {
		buf_puts(&s, summary);
	} else {
		buf_puts(&s, alert_name(a));
		if (target)
			buf_printf(&s, " on %s", target);
	}
	char *fixed = utf8_fixed(buf_str(&s));
	if (fixed) {
		buf_reset(&s);
		buf_puts(&s, fixed);
		free(fixed);
	}
	truncate_runes(&s, PAGERDUTY_SUMMARY_RUNES);

	json_t *details = json_object();
	put(details, "labels", labels_json(&a->labels));
	put(details, "annotations", labels_json(&a->annotations));
	put(details, "value", value_json(a->value));

	json_t *payload = json_object();
	put(payload, "summary", jstr(buf_str(&s)));
	put(payload, "source", jstr(!empty(ctx->source) ? ctx->source : "dbpulse"));
	put(payload, "severity", jstr(pagerduty_severity(label(a, "severity"))));
	put(payload, "timestamp", time_json(a->starts_at));
	if (target)
		put(payload, "component", jstr(target));
	if (name)
		put(payload, "group", jstr(name));
	if (!empty(a->rule))
		put(payload, "class", jstr(a->rule));
	put(payload, "custom_details", details);
	buf_release(&s);

	put(root, "payload", payload);
	put(root, "client", jstr("dbpulse"));
	if (!empty(ctx->external_url))
		put(root, "client_url", jstr(ctx->external_url));
	if (runbook)
		put(root, "links", json_pack("[{s:o, s:s}]", "href", jstr(runbook), "text", "Runbook"));
	return root;
}

/* ---- json ------------------------------------------------------------------------ */

static json_t *json_body(const struct payload_ctx *ctx, struct alert_note *const *notes, size_t n,
			 double now)
{
	char id[64];
	if (ctx->message_id)
		snprintf(id, sizeof(id), "%s", ctx->message_id);
	else
		payload_message_id(ctx->receiver, notes, n, id);
	json_t *alerts = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct alert_note *a = notes[i];
		char fp[17];
		fingerprint_hex(a, fp);
		json_t *o = json_object();
		put(o, "status", jstr(status_name(a)));
		put(o, "rule", jstr(a->rule));
		put(o, "labels", labels_json(&a->labels));
		put(o, "annotations", labels_json(&a->annotations));
		put(o, "value", value_json(a->value));
		put(o, "startsAt", time_json(a->starts_at));
		put(o, "endsAt", a->status == ALERT_RESOLVED && a->ends_at > 0 ? time_json(a->ends_at)
									   : json_null());
		put(o, "fingerprint", jstr(fp));
		put(o, "generatorURL", jstr(a->generator_url));
		put(o, "seq", json_integer((json_int_t)a->seq));
		json_array_append_new(alerts, o);
	}
	json_t *root = json_object();
	put(root, "version", jstr("1"));
	put(root, "id", jstr(id));
	put(root, "receiver", jstr(ctx->receiver));
	put(root, "status", jstr(batch_status(notes, n)));
	put(root, "alerts", alerts);
	put(root, "sentAt", time_json(now));
	return root;
}

/* ---- building -------------------------------------------------------------------- */

int payload_build(enum webhook_format f, const struct payload_ctx *ctx,
		  struct alert_note *const *notes, size_t n, double now, struct buf *body, char *err,
		  size_t errlen)
{
	if ((unsigned)f > WEBHOOK_JSON) {
		snprintf(err, errlen, "unknown webhook format %d", (int)f);
		return -1;
	}
	const char *fname = webhook_format_names[f];
	if (!ctx || !notes || n == 0) {
		snprintf(err, errlen, "%s: no alerts to send", fname);
		return -1;
	}
	if (n > payload_max_batch(f)) {
		snprintf(err, errlen, "%s: %zu alerts in one request, at most %zu allowed", fname, n,
			 payload_max_batch(f));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!notes[i]) {
			snprintf(err, errlen, "%s: alert %zu of the batch is missing", fname, i);
			return -1;
		}
	if (f == WEBHOOK_PAGERDUTY && empty(ctx->routing_key)) {
		snprintf(err, errlen, "pagerduty: no routing key (the webhook's secret_file)");
		return -1;
	}

	json_t *root = NULL;
	switch (f) {
	case WEBHOOK_ALERTMANAGER: root = alertmanager_body(ctx, notes, n); break;
	case WEBHOOK_ALERTMANAGER_API: root = alertmanager_api_body(notes, n); break;
	case WEBHOOK_SLACK: root = slack_body(ctx, notes, n, now); break;
	case WEBHOOK_PAGERDUTY: root = pagerduty_body(ctx, notes[0]); break;
	case WEBHOOK_JSON: root = json_body(ctx, notes, n, now); break;
	}
	char *text = root ? json_dumps(root, JSON_COMPACT |
					     JSON_REAL_PRECISION(real_precision(notes, n)))
			  : NULL;
	json_decref(root);
	if (!text) {
		snprintf(err, errlen, "%s: cannot encode the body", fname);
		return -1;
	}
	size_t len = strlen(text);
	int rc = buf_append(body, text, len);
	free(text);
	if (rc < 0)
		snprintf(err, errlen, "%s: a body of %zu bytes passes the limit of %zu", fname, len,
			 body->max);
	return rc;
}
