/*
 * fuzz_payload.c -- the webhook bodies (alerts/payload.c payload_build
 * in all five formats) made of alerts whose labels and annotations hold
 * the fuzzer's bytes (label values come from monitored servers, and
 * annotations are templates rendered with them): the JSON of jansson
 * with its UTF-8 repair, Slack's &/</> escaping, Go's %q of the group key
 * and regexp.QuoteMeta of the receiver.
 *
 * Input: byte 0 picks the status, the value and one or two notes; then
 * NUL-separated fields: receiver, alertname, summary, description,
 * target, severity, runbook_url, generator_url, label name, label value.
 *
 * Properties: no crash, leak or UB; every body is built and parses back
 * strictly (jansson, duplicate keys refused); labels and annotations
 * (alertmanager, alertmanager-api, json) read back as the input with each
 * invalid UTF-8 byte as U+FFFD; the receiver of alertmanager unquotes
 * (QuoteMeta) to the same; the groupKey of one note is
 * {}:{alertname=<Go %q>} and unquotes to the alertname's bytes (an
 * empty alertname is no label, as in Alertmanager); Slack's
 * texts hold no raw < or >, '&' only as &amp; &lt; &gt;, and the text
 * holds the summary; pagerduty's summary has at most 1024 characters.
 */
#include "autoconfig.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "fuzz_util.h"
#include "payload.h"

enum { F_RECEIVER, F_ALERTNAME, F_SUMMARY, F_DESCRIPTION, F_TARGET, F_SEVERITY, F_RUNBOOK,
       F_GENURL, F_LNAME, F_LVALUE, F_N };

static const double values[] = { 0.95, NAN, INFINITY, -INFINITY, 1e21, 3, -0.0, 1.0 / 3 };

/* A label name made of the input: [a-z_] only, "extra" when empty. */
static void label_name(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	for (; *in && n + 1 < outlen; in++) {
		int c = (unsigned char)*in % 27;
		out[n++] = c == 26 ? '_' : (char)('a' + c);
	}
	out[n] = '\0';
	if (!n || !strcmp(out, "alertname") || !strcmp(out, "target") || !strcmp(out, "severity"))
		snprintf(out, outlen, "extra");
}

static struct alert_note *make_note(char **f, uint8_t flags, const char *alertname)
{
	struct alert_note *n = alert_note_new();
	n->receiver = strdup(f[F_RECEIVER]);
	n->rule = strdup(alertname);
	alert_labels_set(&n->labels, "alertname", alertname);
	alert_labels_set(&n->labels, "target", f[F_TARGET]);
	alert_labels_set(&n->labels, "severity", f[F_SEVERITY]);
	char name[64];
	label_name(f[F_LNAME], name, sizeof(name));
	alert_labels_set(&n->labels, name, f[F_LVALUE]);
	alert_labels_set(&n->annotations, "summary", f[F_SUMMARY]);
	alert_labels_set(&n->annotations, "description", f[F_DESCRIPTION]);
	if (*f[F_RUNBOOK])
		alert_labels_set(&n->annotations, "runbook_url", f[F_RUNBOOK]);
	n->generator_url = *f[F_GENURL] ? strdup(f[F_GENURL]) : NULL;
	n->status = flags & 1 ? ALERT_RESOLVED : ALERT_FIRING;
	n->starts_at = 1764616800.123;
	n->ends_at = n->status == ALERT_RESOLVED ? 1764617000.5 : 0;
	n->value = values[(flags >> 1) % (sizeof(values) / sizeof(values[0]))];
	n->fingerprint = alert_labels_fingerprint(&n->labels);
	n->seq = 7;
	n->created_at = 1764616800;
	return n;
}

static void check_fixed(const char *got, const char *in, const char *what)
{
	char *want = fuzz_utf8_fixed(in, strlen(in));
	FUZZ_CHECK(got && strcmp(got, want) == 0, "%s '%s' came back as '%s'", what, want,
		   got ? got : "(none)");
	free(want);
}

/* Every label and annotation of note is in o's "labels"/"annotations". */
static void check_labels(json_t *o, const struct alert_note *n)
{
	json_t *l = json_object_get(o, "labels"), *a = json_object_get(o, "annotations");
	FUZZ_CHECK(json_is_object(l) && json_is_object(a), "no labels or annotations");
	FUZZ_CHECK(json_object_size(l) == n->labels.n, "%zu labels for %zu",
		   json_object_size(l), n->labels.n);
	for (size_t i = 0; i < n->labels.n; i++)
		check_fixed(json_string_value(json_object_get(l, n->labels.v[i].name)),
			    n->labels.v[i].value, n->labels.v[i].name);
	for (size_t i = 0; i < n->annotations.n; i++)
		check_fixed(json_string_value(json_object_get(a, n->annotations.v[i].name)),
			    n->annotations.v[i].value, n->annotations.v[i].name);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void put_utf8(struct buf *b, uint32_t r)
{
	if (r < 0x80) {
		buf_putc(b, (char)r);
	} else if (r < 0x800) {
		buf_putc(b, (char)(0xc0 | r >> 6));
		buf_putc(b, (char)(0x80 | (r & 0x3f)));
	} else if (r < 0x10000) {
		buf_putc(b, (char)(0xe0 | r >> 12));
		buf_putc(b, (char)(0x80 | (r >> 6 & 0x3f)));
		buf_putc(b, (char)(0x80 | (r & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | r >> 18));
		buf_putc(b, (char)(0x80 | (r >> 12 & 0x3f)));
		buf_putc(b, (char)(0x80 | (r >> 6 & 0x3f)));
		buf_putc(b, (char)(0x80 | (r & 0x3f)));
	}
}

/* Go's strconv.Unquote of the quoted string at s (up to its closing
 * quote, which must end s); -1 when it is not one. */
static int go_unquote(const char *s, struct buf *out)
{
	static const char simple[] = "\"\"\\\\a\ab\bf\fn\nr\rt\tv\v";
	if (*s++ != '"')
		return -1;
	for (; *s && *s != '"'; s++) {
		if (*s != '\\') {
			if ((unsigned char)*s < 0x20)
				return -1;
			buf_putc(out, *s);
			continue;
		}
		s++;
		const char *m = *s ? strchr(simple, *s) : NULL;
		if (m && (m - simple) % 2 == 0) {
			buf_putc(out, m[1]);
			continue;
		}
		int digits = *s == 'x' ? 2 : *s == 'u' ? 4 : *s == 'U' ? 8 : 0;
		if (!digits)
			return -1;
		uint32_t r = 0;
		for (int i = 0; i < digits; i++) {
			int h = hexval(*++s);
			if (h < 0)
				return -1;
			r = r << 4 | (uint32_t)h;
		}
		if (digits == 2)
			buf_putc(out, (char)r);
		else
			put_utf8(out, r);
	}
	return *s == '"' && s[1] == '\0' ? 0 : -1;
}

static void check_group_key(json_t *root, const char *alertname)
{
	const char *key = json_string_value(json_object_get(root, "groupKey"));
	const char *head = "{}:{alertname=";
	FUZZ_CHECK(key && strncmp(key, head, strlen(head)) == 0, "groupKey '%s'", key ? key : "");
	struct buf q = BUF_INIT(BUF_UNLIMITED), back = BUF_INIT(BUF_UNLIMITED);
	size_t n = strlen(key);
	FUZZ_CHECK(key[n - 1] == '}', "groupKey '%s'", key);
	buf_append(&q, key + strlen(head), n - strlen(head) - 1);
	FUZZ_CHECK(go_unquote(buf_str(&q), &back) == 0 && strcmp(buf_str(&back), alertname) == 0,
		   "groupKey '%s' for alertname '%s' unquotes to '%s'", key, alertname,
		   buf_str(&back));
	buf_release(&q);
	buf_release(&back);
}

static void check_receiver(json_t *root, const char *receiver)
{
	const char *got = json_string_value(json_object_get(root, "receiver"));
	FUZZ_CHECK(got != NULL, "no receiver");
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	for (const char *p = got; *p; p++) {
		if (*p == '\\') {
			p++;
			FUZZ_CHECK(*p && strchr("\\.+*?()|[]{}^$", *p), "receiver '%s'", got);
		}
		buf_putc(&b, *p);
	}
	check_fixed(buf_str(&b), receiver, "receiver");
	buf_release(&b);
}

/* A Slack text: escaped, and unescaped into out. */
static void slack_text(const char *s, struct buf *out)
{
	FUZZ_CHECK(s != NULL, "no text");
	for (; *s; s++) {
		FUZZ_CHECK(*s != '<' && *s != '>', "raw < or > in '%s'", s);
		if (*s != '&') {
			buf_putc(out, *s);
			continue;
		}
		const char *ent[] = { "&amp;", "&lt;", "&gt;" }, chr[] = "&<>";
		int k = 0;
		while (k < 3 && strncmp(s, ent[k], strlen(ent[k])) != 0)
			k++;
		FUZZ_CHECK(k < 3, "bare & in '%s'", s);
		buf_putc(out, chr[k]);
		s += strlen(ent[k]) - 1;
	}
}

static void check_slack(json_t *root, const struct alert_note *n)
{
	json_t *att = json_array_get(json_object_get(root, "attachments"), 0);
	const char *fields[] = { "title", "text", "fallback", "footer" };
	struct buf text = BUF_INIT(BUF_UNLIMITED), other = BUF_INIT(BUF_UNLIMITED);
	slack_text(json_string_value(json_object_get(root, "text")), &other);
	for (size_t i = 0; i < 4; i++)
		slack_text(json_string_value(json_object_get(att, fields[i])), i == 1 ? &text : &other);
	char *summary = fuzz_utf8_fixed(alert_labels_get(&n->annotations, "summary"),
					strlen(alert_labels_get(&n->annotations, "summary")));
	FUZZ_CHECK(strstr(buf_str(&text), summary), "text '%s' lacks the summary '%s'",
		   buf_str(&text), summary);
	free(summary);
	buf_release(&text);
	buf_release(&other);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void check_body(enum webhook_format f, const struct buf *body,
		       struct alert_note *const *notes, size_t n)
{
	json_error_t jerr;
	json_t *root = json_loadb(buf_str(body), body->len, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK(root != NULL, "%s body does not parse: %s: %s", webhook_format_names[f],
		   jerr.text, buf_str(body));
	if (f == WEBHOOK_ALERTMANAGER) {
		check_receiver(root, notes[0]->receiver);
		for (size_t i = 0; i < n; i++)
			check_labels(json_array_get(json_object_get(root, "alerts"), i), notes[i]);
		if (n == 1 && *alert_labels_get(&notes[0]->labels, "alertname"))
			check_group_key(root, alert_labels_get(&notes[0]->labels, "alertname"));
	} else if (f == WEBHOOK_ALERTMANAGER_API) {
		for (size_t i = 0; i < n; i++)
			check_labels(json_array_get(root, i), notes[i]);
	} else if (f == WEBHOOK_JSON) {
		check_fixed(json_string_value(json_object_get(root, "receiver")), notes[0]->receiver,
			    "receiver");
		for (size_t i = 0; i < n; i++)
			check_labels(json_array_get(json_object_get(root, "alerts"), i), notes[i]);
	} else if (f == WEBHOOK_SLACK) {
		check_slack(root, notes[0]);
	} else {
		const char *s = json_string_value(
			json_object_get(json_object_get(root, "payload"), "summary"));
		FUZZ_CHECK(!s || utf8_chars(s) <= 1024, "pagerduty summary of %zu characters",
			   utf8_chars(s));
	}
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t pos = 1;
	char *f[F_N];
	for (int i = 0; i < F_N; i++) {
		f[i] = fuzz_field(data, size, &pos, 0);
		if (!f[i])
			f[i] = fuzz_strndup((const uint8_t *)"", 0);
	}
	struct alert_note *notes[2] = { make_note(f, data[0], f[F_ALERTNAME]),
					make_note(f, data[0] ^ 1, "Other") };
	size_t n = data[0] & 0x80 ? 2 : 1;
	struct payload_ctx ctx = { f[F_RECEIVER], "http://db1:9930/", "R0UTINGKEY", f[F_TARGET] };
	for (int fmt = WEBHOOK_ALERTMANAGER; fmt <= WEBHOOK_JSON; fmt++) {
		size_t k = fmt == WEBHOOK_PAGERDUTY ? 1 : n;
		struct buf body = BUF_INIT(BUF_UNLIMITED);
		char err[256] = "";
		int rc = payload_build(fmt, &ctx, notes, k, 1764617000.0, &body, err, sizeof(err));
		FUZZ_CHECK(rc == 0, "%s: %s", webhook_format_names[fmt], err);
		check_body(fmt, &body, notes, k);
		buf_release(&body);
	}
	char id[64];
	payload_message_id(f[F_RECEIVER], notes, n, id);
	FUZZ_CHECK(!strchr(id, '.') && strncmp(id, "msg_", 4) == 0, "message id '%s'", id);
	alert_note_free(notes[0]);
	alert_note_free(notes[1]);
	for (int i = 0; i < F_N; i++)
		free(f[i]);
	return 0;
}
