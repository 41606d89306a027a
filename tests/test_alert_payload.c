/*
 * test_alert_payload.c -- the webhook formats (payload.h).
 *
 * Each format is built from fixed notes with fixed times and compared, as
 * JSON values (jansson's json_equal, so formatting does not matter), with
 * a golden file in tests/data/alerts/, found through $top_srcdir.  The
 * golden files were written by hand, not from this code's output: the
 * fingerprints and the message id in them were computed separately (a
 * Python FNV-1a, first checked against the Prometheus vectors below) and
 * the times with Python's datetime.  Also: Alertmanager fingerprints
 * against Prometheus' own test vectors, the Standard Webhooks signature
 * against the specification's vector, Go's time format, stable message
 * ids, PagerDuty's summary limit and severities, Slack's escaping, values
 * JSON has no numbers for, Alertmanager's quoting quirks, and errors.
 */
#include "autoconfig.h"

#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert.h"
#include "buf.h"
#include "payload.h"
#include "xalloc.h"

#define RUNBOOK "https://runbooks.example/pg-down"
#define GENERATOR "http://db1:9187/api/alerts"
#define NOW 1764041480.0   /* 2025-11-25T03:31:20Z */

static const struct payload_ctx ctx = {
	.receiver = "ops",
	.external_url = "http://db1:9187/",
	.routing_key = "R0UT1NGKEY0123456789abcdef012345",
	.source = "db1",
};

/* ---- fixtures ---------------------------------------------------------- */

struct note_spec {
	const char *rule, *target, *severity;
	const char *summary, *description, *runbook;
	enum alert_status status;
	double starts_at, ends_at, value;
	uint64_t seq;
};

/* A: PostgresDown firing on main; B: resolved on replica; C: a Redis
 * warning firing, with &, < and > in its description. */
enum { NOTE_A, NOTE_B, NOTE_C, NOTES };
static const struct note_spec specs[NOTES] = {
	{ "PostgresDown", "main", "critical", "PostgreSQL main is down",
	  "connect to 10.0.0.5:5432 failed: Connection refused", RUNBOOK, ALERT_FIRING,
	  1764041173.25 /* 03:26:13.25Z */, 0, 0, 41 },
	{ "PostgresDown", "replica", "critical", "PostgreSQL replica is down",
	  "connect to 10.0.0.6:5432 failed: timeout expired", RUNBOOK, ALERT_RESOLVED,
	  1764040800 /* 03:20:00Z */, 1764041473.5 /* 03:31:13.5Z */, 1, 42 },
	{ "RedisMemoryHigh", "cache", "warning", "Redis cache at 93% of maxmemory",
	  "used_memory/maxmemory > 0.9 & evictions <soon>", NULL, ALERT_FIRING,
	  1764041000.125 /* 03:23:20.125Z */, 0, 0.93, 43 },
};

static struct alert_note *make_note(const struct note_spec *s)
{
	struct alert_note *n = alert_note_new();
	n->receiver = xstrdup("ops");
	n->rule = xstrdup(s->rule);
	alert_labels_set(&n->labels, "alertname", s->rule);
	alert_labels_set(&n->labels, "severity", s->severity);
	alert_labels_set(&n->labels, "target", s->target);
	alert_labels_set(&n->annotations, "summary", s->summary);
	alert_labels_set(&n->annotations, "description", s->description);
	if (s->runbook)
		alert_labels_set(&n->annotations, "runbook_url", s->runbook);
	n->status = s->status;
	n->starts_at = s->starts_at;
	n->ends_at = s->ends_at;
	n->value = s->value;
	n->generator_url = xstrdup(GENERATOR);
	n->fingerprint = alert_labels_fingerprint(&n->labels);
	n->seq = s->seq;
	n->created_at = s->starts_at;
	return n;
}

static int setup_notes(void **state)
{
	struct alert_note **n = xcalloc(NOTES, sizeof(struct alert_note *));
	for (int i = 0; i < NOTES; i++)
		n[i] = make_note(&specs[i]);
	*state = n;
	return 0;
}

static int teardown_notes(void **state)
{
	struct alert_note **n = *state;
	for (int i = 0; i < NOTES; i++)
		alert_note_free(n[i]);
	free(n);
	return 0;
}

/* Builds the body; fails the test if that fails.  The caller frees. */
static char *build(enum webhook_format f, const struct payload_ctx *c, struct alert_note **notes,
		   size_t n)
{
	struct buf body = BUF_INIT(1 << 20);
	char err[256] = "";
	if (payload_build(f, c, notes, n, NOW, &body, err, sizeof(err)) != 0)
		fail_msg("payload_build(%s): %s", webhook_format_names[f], err);
	return buf_detach(&body, NULL);
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);
	if (!v)
		fail_msg("not JSON (%s): %s", jerr.text, text);
	return v;
}

/* ---- golden files ------------------------------------------------------ */

static const struct golden {
	enum webhook_format format;
	const char *file;
	int notes[NOTES + 1];   /* indices into specs, ended by -1 */
} goldens[] = {
	{ WEBHOOK_ALERTMANAGER, "alertmanager.json", { NOTE_A, NOTE_B, -1 } },
	{ WEBHOOK_ALERTMANAGER, "alertmanager-mixed.json", { NOTE_B, NOTE_C, -1 } },
	{ WEBHOOK_ALERTMANAGER_API, "alertmanager-api.json", { NOTE_A, NOTE_B, -1 } },
	{ WEBHOOK_SLACK, "slack.json", { NOTE_A, NOTE_B, NOTE_C, -1 } },
	{ WEBHOOK_SLACK, "slack-resolved.json", { NOTE_B, -1 } },
	{ WEBHOOK_PAGERDUTY, "pagerduty-trigger.json", { NOTE_A, -1 } },
	{ WEBHOOK_PAGERDUTY, "pagerduty-resolve.json", { NOTE_B, -1 } },
	{ WEBHOOK_JSON, "json.json", { NOTE_A, NOTE_B, NOTE_C, -1 } },
};

static void test_golden_files(void **state)
{
	struct alert_note **all = *state;
	const char *top = getenv("top_srcdir");
	for (size_t g = 0; g < sizeof(goldens) / sizeof(goldens[0]); g++) {
		struct alert_note *batch[NOTES];
		size_t n = 0;
		for (; goldens[g].notes[n] >= 0; n++)
			batch[n] = all[goldens[g].notes[n]];
		char *path = xasprintf("%s/tests/data/alerts/%s", top && *top ? top : ".",
				       goldens[g].file);
		json_error_t jerr;
		json_t *want = json_load_file(path, 0, &jerr);
		if (!want)
			fail_msg("cannot load golden file '%s': %s", path, jerr.text);
		char *text = build(goldens[g].format, &ctx, batch, n);
		json_t *got = parse(text);
		if (!json_equal(want, got))
			fail_msg("%s: the body differs from the golden file; got\n%s", goldens[g].file,
				 text);
		json_decref(want);
		json_decref(got);
		free(text);
		free(path);
	}
}

/* Compact, and keys in the order of Alertmanager's Go structs. */
static void test_key_order(void **state)
{
	struct alert_note **all = *state;
	char *text = build(WEBHOOK_ALERTMANAGER, &ctx, all, 1);
	const char *want = "{\"receiver\":\"ops\",\"status\":\"firing\",\"alerts\":[{\"status\":"
			   "\"firing\",\"labels\":{\"alertname\":\"PostgresDown\",\"severity\":"
			   "\"critical\",\"target\":\"main\"},\"annotations\":{";
	assert_memory_equal(text, want, strlen(want));
	const char *tail = "\"externalURL\":\"http://db1:9187/\",\"version\":\"4\",\"groupKey\":"
			   "\"{}:{alertname=\\\"PostgresDown\\\"}\",\"truncatedAlerts\":0}";
	assert_true(strlen(text) > strlen(tail));
	assert_string_equal(text + strlen(text) - strlen(tail), tail);
	free(text);
}

/* ---- fingerprints ------------------------------------------------------ */

/* Vectors from prometheus/common model/signature_test.go:
 * TestMetricToFingerprint (labelSetToFingerprint, which LabelSet.Fingerprint()
 * calls and Alertmanager's alert fingerprint is) and the
 * BenchmarkMetricToFingerprint{Single,Double,Triple} expectations, which
 * also call labelSetToFingerprint.  (TestMetricToFastFingerprint is another
 * hash and does not apply.) */
static void test_fingerprints(void **state)
{
	(void)state;
	static const struct {
		const char *pairs[7];   /* name, value, ..., NULL */
		uint64_t fp;
	} cases[] = {
		{ { NULL }, 14695981039346656037ULL },
		{ { "name", "garland, briggs", "fear", "love is not enough", NULL },
		  5799056148416392346ULL },
		{ { "first-label", "first-label-value", NULL }, 5146282821936882169ULL },
		{ { "first-label", "first-label-value", "second-label", "second-label-value", NULL },
		  3195800080984914717ULL },
		{ { "first-label", "first-label-value", "second-label", "second-label-value",
		    "third-label", "third-label-value", NULL },
		  13843036195897128121ULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alert_labels l = { 0 };
		for (size_t j = 0; cases[i].pairs[j]; j += 2)
			alert_labels_set(&l, cases[i].pairs[j], cases[i].pairs[j + 1]);
		if (alert_labels_fingerprint(&l) != cases[i].fp)
			fail_msg("case %zu: fingerprint %llu, want %llu", i,
				 (unsigned long long)alert_labels_fingerprint(&l),
				 (unsigned long long)cases[i].fp);
		alert_labels_release(&l);
	}
	/* model.Fingerprint.String() is %016x */
	char hex[17];
	alert_fingerprint_hex(5799056148416392346ULL, hex);
	assert_string_equal(hex, "507a62d79ee76c9a");
	alert_fingerprint_hex(42, hex);
	assert_string_equal(hex, "000000000000002a");
}

/* ---- times ------------------------------------------------------------- */

static void test_time(void **state)
{
	(void)state;
	static const struct {
		double epoch;
		const char *want;
	} cases[] = {
		{ 1764041173.25, "2025-11-25T03:26:13.25Z" },
		{ 1764041173.123, "2025-11-25T03:26:13.123Z" },
		{ 1764041173.1, "2025-11-25T03:26:13.1Z" },
		{ 1764040800, "2025-11-25T03:20:00Z" },
		{ 1764040800.0004, "2025-11-25T03:20:00Z" },      /* rounded to the ms */
		{ 1764040799.9996, "2025-11-25T03:20:00Z" },
		{ 1, "1970-01-01T00:00:01Z" },
		{ 0, "0001-01-01T00:00:00Z" },                    /* Go's zero time */
		{ -5, "0001-01-01T00:00:00Z" },
		{ NAN, "0001-01-01T00:00:00Z" },
		{ 1e300, "9999-12-31T23:59:59.999Z" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char s[40];
		payload_time(cases[i].epoch, s);
		if (strcmp(s, cases[i].want) != 0)
			fail_msg("payload_time(%.4f) = %s, want %s", cases[i].epoch, s, cases[i].want);
	}
}

/* ---- Standard Webhooks ------------------------------------------------- */

/* The vector of standard-webhooks/standard-webhooks,
 * libraries/python/tests/test_webhooks.py test_sign_function (secret,
 * msg id, timestamp and body as there), also recomputed with Python's
 * hmac for the references. */
static void test_standard_webhooks(void **state)
{
	(void)state;
	static const char *const secrets[] = { "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
					       "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
					       "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n" };
	const char *body = "{\"test\": 2432232314}";
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		unsigned char key[64];
		size_t keylen = 0;
		assert_int_equal(standard_webhooks_key(secrets[i], key, &keylen, sizeof(key)), 0);
		assert_int_equal(keylen, 24);
		struct buf sig = BUF_INIT(4096);
		buf_puts(&sig, "webhook-signature: ");   /* appended, not overwritten */
		assert_int_equal(standard_webhooks_sign(key, keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek",
							1614265330, body, strlen(body), &sig),
				 0);
		assert_string_equal(buf_str(&sig), "webhook-signature: "
						   "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
		/* another timestamp, another signature */
		buf_reset(&sig);
		assert_int_equal(standard_webhooks_sign(key, keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek",
							1614265331, body, strlen(body), &sig),
				 0);
		assert_string_not_equal(buf_str(&sig), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
		/* ids with '.' would make the signed content ambiguous */
		assert_int_equal(standard_webhooks_sign(key, keylen, "msg.1", 1, body, strlen(body), &sig),
				 -1);
		buf_release(&sig);
	}

	unsigned char key[64];
	size_t keylen = 0;
	/* unpadded base64, as the reference libraries accept: "hello" */
	assert_int_equal(standard_webhooks_key("whsec_aGVsbG8", key, &keylen, sizeof(key)), 0);
	assert_int_equal(keylen, 5);
	assert_memory_equal(key, "hello", 5);
	assert_int_equal(standard_webhooks_key("whsec_", key, &keylen, sizeof(key)), -1);
	assert_int_equal(standard_webhooks_key("", key, &keylen, sizeof(key)), -1);
	assert_int_equal(standard_webhooks_key("not base64!", key, &keylen, sizeof(key)), -1);
	assert_int_equal(standard_webhooks_key("whsec_a", key, &keylen, sizeof(key)), -1);
	assert_int_equal(standard_webhooks_key(NULL, key, &keylen, sizeof(key)), -1);
	/* longer than the caller's room */
	assert_int_equal(standard_webhooks_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key, &keylen,
					       16), -1);
}

/* ---- message ids ------------------------------------------------------- */

static void test_message_id(void **state)
{
	struct alert_note **all = *state;
	char id1[64], id2[64], other[64];

	/* FNV-1a 128 of "ops", 0xff and each (fingerprint, seq) as big-endian
	 * 64-bit numbers, computed separately in Python; json.json holds the
	 * same id for the three notes */
	payload_message_id("ops", all, NOTES, id1);
	assert_string_equal(id1, "msg_868de7591bad2797a09c4b7589e26f37");
	payload_message_id("ops", all, 1, id1);
	assert_string_equal(id1, "msg_af0610999e3ee7baf12d544fa2723343");

	/* stable: the same batch retried */
	payload_message_id("ops", all, 1, id2);
	assert_string_equal(id1, id2);
	struct alert_note *copy = alert_note_dup(all[NOTE_A]);
	copy->attempts = 7;   /* a later attempt of the same note */
	payload_message_id("ops", &copy, 1, id2);
	assert_string_equal(id1, id2);

	/* another seq, receiver or order is another message */
	copy->seq++;
	payload_message_id("ops", &copy, 1, other);
	assert_string_not_equal(id1, other);
	payload_message_id("pager", all, 1, other);
	assert_string_not_equal(id1, other);
	struct alert_note *swapped[2] = { all[NOTE_B], all[NOTE_A] };
	payload_message_id("ops", all, 2, id2);
	payload_message_id("ops", swapped, 2, other);
	assert_string_not_equal(id2, other);
	alert_note_free(copy);

	assert_int_equal(strlen(id1), 36);
	assert_memory_equal(id1, "msg_", 4);
	assert_int_equal(strspn(id1 + 4, "0123456789abcdef"), 32);
	assert_null(strchr(id1, '.'));

	/* the json body carries the id the headers use */
	char *text = build(WEBHOOK_JSON, &ctx, all, 2);
	json_t *v = parse(text);
	payload_message_id(ctx.receiver, all, 2, id1);
	assert_string_equal(json_string_value(json_object_get(v, "id")), id1);
	json_decref(v);
	free(text);
}

/* ---- pagerduty --------------------------------------------------------- */

/* payload.summary of a one-note trigger; the caller frees. */
static char *pd_summary(struct alert_note *n)
{
	char *text = build(WEBHOOK_PAGERDUTY, &ctx, &n, 1);
	json_t *v = parse(text);
	char *s = xstrdup(json_string_value(json_object_get(json_object_get(v, "payload"),
							    "summary")));
	json_decref(v);
	free(text);
	return s;
}

static size_t runes(const char *s)
{
	size_t k = 0;
	for (; *s; s++)
		k += ((unsigned char)*s & 0xc0) != 0x80;
	return k;
}

static void test_pagerduty_summary(void **state)
{
	struct alert_note *n = alert_note_dup(((struct alert_note **)*state)[NOTE_A]);
	struct buf big = BUF_INIT(BUF_UNLIMITED);

	/* 2000 ASCII characters: 1023 of them and "…" (Alertmanager's
	 * TruncateInRunes), 1024 characters in all */
	for (int i = 0; i < 2000; i++)
		buf_putc(&big, 'x');
	alert_labels_set(&n->annotations, "summary", buf_str(&big));
	char *s = pd_summary(n);
	assert_int_equal(runes(s), 1024);
	assert_int_equal(strlen(s), 1023 + 3);
	assert_int_equal(strspn(s, "x"), 1023);
	assert_string_equal(s + 1023, "\xe2\x80\xa6");
	free(s);

	/* the limit is in characters: 600 two-byte ones pass whole... */
	buf_reset(&big);
	for (int i = 0; i < 600; i++)
		buf_puts(&big, "\xc3\xa9");   /* é */
	alert_labels_set(&n->annotations, "summary", buf_str(&big));
	s = pd_summary(n);
	assert_string_equal(s, buf_str(&big));
	free(s);

	/* ...1100 are cut at a character boundary */
	for (int i = 600; i < 1100; i++)
		buf_puts(&big, "\xc3\xa9");
	alert_labels_set(&n->annotations, "summary", buf_str(&big));
	s = pd_summary(n);
	assert_int_equal(runes(s), 1024);
	assert_int_equal(strlen(s), 1023 * 2 + 3);
	assert_memory_equal(s, buf_str(&big), 1023 * 2);
	free(s);

	/* exactly 1024 characters stay as they are */
	buf_reset(&big);
	for (int i = 0; i < 1024; i++)
		buf_putc(&big, 'y');
	alert_labels_set(&n->annotations, "summary", buf_str(&big));
	s = pd_summary(n);
	assert_string_equal(s, buf_str(&big));
	free(s);
	buf_release(&big);

	/* without a summary: the alert's name and target */
	alert_labels_set(&n->annotations, "summary", "");
	s = pd_summary(n);
	assert_string_equal(s, "PostgresDown on main");
	free(s);
	alert_note_free(n);
}

static void test_pagerduty_severity(void **state)
{
	static const struct {
		const char *label;   /* NULL: no severity label */
		const char *want;
	} cases[] = {
		{ "critical", "critical" }, { "error", "error" }, { "warning", "warning" },
		{ "WARNING", "warning" },   { "info", "info" },   { "none", "info" },
		{ "page", "info" },         { NULL, "info" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alert_note *n = alert_note_dup(((struct alert_note **)*state)[NOTE_A]);
		alert_labels_release(&n->labels);
		alert_labels_set(&n->labels, "alertname", "PostgresDown");
		if (cases[i].label)
			alert_labels_set(&n->labels, "severity", cases[i].label);
		char *text = build(WEBHOOK_PAGERDUTY, &ctx, &n, 1);
		json_t *v = parse(text);
		const char *got = json_string_value(
			json_object_get(json_object_get(v, "payload"), "severity"));
		if (!got || strcmp(got, cases[i].want) != 0)
			fail_msg("severity %s -> %s, want %s", cases[i].label ? cases[i].label : "(none)",
				 got ? got : "(none)", cases[i].want);
		/* no target label: no component */
		assert_null(json_object_get(json_object_get(v, "payload"), "component"));
		json_decref(v);
		free(text);
		alert_note_free(n);
	}
}

/* ---- slack ------------------------------------------------------------- */

static void test_slack_escaping(void **state)
{
	struct alert_note *n = alert_note_dup(((struct alert_note **)*state)[NOTE_C]);
	alert_labels_set(&n->labels, "alertname", "Big <&>");
	alert_labels_set(&n->annotations, "summary", "<!channel> & <https://evil.example|click>");
	char *text = build(WEBHOOK_SLACK, &ctx, &n, 1);
	json_t *v = parse(text);
	json_t *att = json_array_get(json_object_get(v, "attachments"), 0);
	const char *body = json_string_value(json_object_get(att, "text"));
	const char *title = json_string_value(json_object_get(att, "title"));
	assert_non_null(strstr(body, "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"));
	assert_null(strchr(body, '<'));
	assert_null(strchr(body, '>'));
	assert_string_equal(title, "[FIRING:1] Big &lt;&amp;&gt;");
	assert_string_equal(json_string_value(json_object_get(v, "text")), title);
	assert_string_equal(json_string_value(json_object_get(att, "fallback")), title);
	/* a warning fires: warning; no runbook: the generator URL */
	assert_string_equal(json_string_value(json_object_get(att, "color")), "warning");
	assert_string_equal(json_string_value(json_object_get(att, "title_link")), GENERATOR);
	json_decref(v);
	free(text);
	alert_note_free(n);
}

/* More names than the title shows. */
static void test_slack_title(void **state)
{
	struct alert_note *n[5];
	static const char *const names[] = { "A1", "A2", "A1", "A3", "A4" };
	for (int i = 0; i < 5; i++) {
		n[i] = alert_note_dup(((struct alert_note **)*state)[NOTE_B]);
		alert_labels_set(&n[i]->labels, "alertname", names[i]);
	}
	char *text = build(WEBHOOK_SLACK, &ctx, n, 5);
	json_t *v = parse(text);
	assert_string_equal(json_string_value(json_object_get(v, "text")),
			    "[RESOLVED] A1, A2, A3 and 1 more");
	json_decref(v);
	free(text);
	for (int i = 0; i < 5; i++)
		alert_note_free(n[i]);
}

/* ---- values JSON has no numbers for ------------------------------------ */

static void test_special_values(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = { { NAN, "NaN" }, { INFINITY, "+Inf" }, { -INFINITY, "-Inf" } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alert_note *n = alert_note_dup(((struct alert_note **)*state)[NOTE_A]);
		n->value = cases[i].v;

		char *text = build(WEBHOOK_JSON, &ctx, &n, 1);
		json_t *v = parse(text);
		json_t *value = json_object_get(json_array_get(json_object_get(v, "alerts"), 0), "value");
		assert_true(json_is_string(value));
		assert_string_equal(json_string_value(value), cases[i].want);
		json_decref(v);
		free(text);

		text = build(WEBHOOK_PAGERDUTY, &ctx, &n, 1);
		v = parse(text);
		value = json_object_get(json_object_get(json_object_get(v, "payload"), "custom_details"),
					"value");
		assert_string_equal(json_string_value(value), cases[i].want);
		json_decref(v);
		free(text);

		text = build(WEBHOOK_SLACK, &ctx, &n, 1);
		char *want = xasprintf("value: %s, since", cases[i].want);
		assert_non_null(strstr(text, want));
		free(want);
		free(text);
		alert_note_free(n);
	}

	/* finite values read back exactly, integers without a fraction */
	static const double finite[] = { 0.1, 1.0 / 3, 123456.5, 1e-7, 2e20, -42, 4096 };
	for (size_t i = 0; i < sizeof(finite) / sizeof(finite[0]); i++) {
		struct alert_note *n[2] = { alert_note_dup(((struct alert_note **)*state)[NOTE_A]),
					    alert_note_dup(((struct alert_note **)*state)[NOTE_C]) };
		n[0]->value = finite[i];
		char *text = build(WEBHOOK_JSON, &ctx, n, 2);
		json_t *v = parse(text);
		json_t *alerts = json_object_get(v, "alerts");
		json_t *value = json_object_get(json_array_get(alerts, 0), "value");
		assert_true(json_is_number(value));
		assert_true(json_number_value(value) == finite[i]);
		if (finite[i] == floor(finite[i]) && fabs(finite[i]) < 1e15)
			assert_true(json_is_integer(value));
		/* jansson prints all reals of a body with one precision: 0.93
		 * stays short unless another value needs more digits */
		if (finite[i] == 0.1 || finite[i] == floor(finite[i]))
			assert_non_null(strstr(text, "\"value\":0.93,"));
		assert_true(json_number_value(json_object_get(json_array_get(alerts, 1), "value")) == 0.93);
		json_decref(v);
		free(text);
		alert_note_free(n[0]);
		alert_note_free(n[1]);
	}
}

/* ---- Alertmanager's quirks and odd input ------------------------------- */

static void test_alertmanager_quoting(void **state)
{
	struct alert_note *n = alert_note_dup(((struct alert_note **)*state)[NOTE_A]);
	alert_labels_set(&n->labels, "alertname", "Say \"hi\"\\\n");
	struct payload_ctx c = ctx;
	c.receiver = "db.team (pager)";
	char *text = build(WEBHOOK_ALERTMANAGER, &c, &n, 1);
	json_t *v = parse(text);
	/* template.Data.Receiver is regexp.QuoteMeta(name) */
	assert_string_equal(json_string_value(json_object_get(v, "receiver")),
			    "db\\.team \\(pager\\)");
	/* group labels printed with Go's %q */
	assert_string_equal(json_string_value(json_object_get(v, "groupKey")),
			    "{}:{alertname=\"Say \\\"hi\\\"\\\\\\n\"}");
	json_decref(v);
	free(text);
	alert_note_free(n);
}

/* Label values are not always UTF-8 (a database name, a Redis key): each
 * bad byte becomes U+FFFD, as in Go, rather than the body failing. */
static void test_invalid_utf8(void **state)
{
	struct alert_note *n = alert_note_dup(((struct alert_note **)*state)[NOTE_A]);
	alert_labels_set(&n->labels, "database", "caf\xe9\xff");
	alert_labels_set(&n->labels, "na\xffme", "x");
	for (int f = WEBHOOK_ALERTMANAGER; f <= WEBHOOK_JSON; f++) {
		char *text = build((enum webhook_format)f, &ctx, &n, 1);
		json_decref(parse(text));
		if (f == WEBHOOK_ALERTMANAGER || f == WEBHOOK_JSON) {
			assert_non_null(strstr(text, "\"database\":\"caf\xef\xbf\xbd\xef\xbf\xbd\""));
			assert_non_null(strstr(text, "\"na\xef\xbf\xbdme\":\"x\""));
		}
		free(text);
	}
	alert_note_free(n);
}

/* ---- errors and limits ------------------------------------------------- */

static void test_errors(void **state)
{
	struct alert_note **all = *state;
	struct buf body = BUF_INIT(1 << 20);
	char err[256];

	buf_puts(&body, "kept");
	struct payload_ctx no_key = ctx;
	no_key.routing_key = NULL;
	assert_int_equal(payload_build(WEBHOOK_PAGERDUTY, &no_key, all, 1, NOW, &body, err,
				       sizeof(err)), -1);
	assert_non_null(strstr(err, "routing key"));
	no_key.routing_key = "";
	assert_int_equal(payload_build(WEBHOOK_PAGERDUTY, &no_key, all, 1, NOW, &body, err,
				       sizeof(err)), -1);
	assert_int_equal(payload_build(WEBHOOK_PAGERDUTY, &ctx, all, 2, NOW, &body, err,
				       sizeof(err)), -1);
	assert_int_equal(payload_build(WEBHOOK_JSON, &ctx, all, 0, NOW, &body, err, sizeof(err)), -1);
	assert_string_equal(buf_str(&body), "kept");

	/* a body past the buffer's cap fails and leaves the buffer alone */
	struct buf small = BUF_INIT(64);
	buf_puts(&small, "kept");
	assert_int_equal(payload_build(WEBHOOK_JSON, &ctx, all, 1, NOW, &small, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "limit"));
	assert_string_equal(buf_str(&small), "kept");
	buf_release(&small);

	/* bodies are appended */
	assert_int_equal(payload_build(WEBHOOK_ALERTMANAGER_API, &ctx, all, 1, NOW, &body, err,
				       sizeof(err)), 0);
	assert_memory_equal(body.data, "kept[{", 6);
	buf_release(&body);

	/* the largest batch each format takes */
	assert_int_equal(payload_max_batch(WEBHOOK_PAGERDUTY), 1);
	for (int f = WEBHOOK_ALERTMANAGER; f <= WEBHOOK_JSON; f++) {
		size_t max = payload_max_batch((enum webhook_format)f);
		assert_true(max >= 1);
		struct alert_note **many = xcalloc(max + 1, sizeof(struct alert_note *));
		for (size_t i = 0; i <= max; i++)
			many[i] = all[i % NOTES];
		struct buf b = BUF_INIT(BUF_UNLIMITED);
		assert_int_equal(payload_build((enum webhook_format)f, &ctx, many, max, NOW, &b, err,
					       sizeof(err)), 0);
		json_decref(parse(buf_str(&b)));
		buf_reset(&b);
		assert_int_equal(payload_build((enum webhook_format)f, &ctx, many, max + 1, NOW, &b,
					       err, sizeof(err)), -1);
		buf_release(&b);
		free(many);
	}
}

static void test_format_names(void **state)
{
	(void)state;
	static const char *const want[] = { "alertmanager", "alertmanager-api", "slack", "pagerduty",
					    "json" };
	assert_string_equal(webhook_format_names[WEBHOOK_ALERTMANAGER], want[0]);
	assert_string_equal(webhook_format_names[WEBHOOK_ALERTMANAGER_API], want[1]);
	assert_string_equal(webhook_format_names[WEBHOOK_SLACK], want[2]);
	assert_string_equal(webhook_format_names[WEBHOOK_PAGERDUTY], want[3]);
	assert_string_equal(webhook_format_names[WEBHOOK_JSON], want[4]);
	assert_null(webhook_format_names[WEBHOOK_JSON + 1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_golden_files, setup_notes, teardown_notes),
		cmocka_unit_test_setup_teardown(test_key_order, setup_notes, teardown_notes),
		cmocka_unit_test(test_fingerprints),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_standard_webhooks),
		cmocka_unit_test_setup_teardown(test_message_id, setup_notes, teardown_notes),
		cmocka_unit_test_setup_teardown(test_pagerduty_summary, setup_notes, teardown_notes),
		cmocka_unit_test_setup_teardown(test_pagerduty_severity, setup_notes, teardown_notes),
		cmocka_unit_test_setup_teardown(test_slack_escaping, setup_notes, teardown_notes),
		cmocka_unit_test_setup_teardown(test_slack_title, setup_notes, teardown_notes),
		cmocka_unit_test_setup_teardown(test_special_values, setup_notes, teardown_notes),
		cmocka_unit_test_setup_teardown(test_alertmanager_quoting, setup_notes, teardown_notes),
		cmocka_unit_test_setup_teardown(test_invalid_utf8, setup_notes, teardown_notes),
		cmocka_unit_test_setup_teardown(test_errors, setup_notes, teardown_notes),
		cmocka_unit_test(test_format_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
