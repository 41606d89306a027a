/*
 * test_alert_payload.c -- the webhook formats against golden JSON files
 * (tests/data/alerts/, compared as JSON values), Alertmanager fingerprints
 * against the values Prometheus' own tests give, the Standard Webhooks
 * signature against the specification's test vector, stable message ids,
 * and the edges: PagerDuty's summary limit, Slack's escaping, NaN values.
 * DBPULSE_WRITE_GOLDEN=1 rewrites the golden files from the output.
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

#define T_START 1764041173.25   /* 2025-11-25T03:26:13.250Z */
#define T_END 1764041473.5

static struct alert_note *note(const char *name, const char *target, enum alert_status st,
			       uint64_t seq)
{
	struct alert_note *n = alert_note_new();
	n->receiver = strdup("ops");
	n->rule = strdup(name);
	alert_labels_set(&n->labels, "alertname", name);
	alert_labels_set(&n->labels, "severity", "critical");
	alert_labels_set(&n->labels, "target", target);
	alert_labels_set(&n->annotations, "summary", "PostgreSQL main is down");
	alert_labels_set(&n->annotations, "runbook_url", "https://runbooks.example/pg-down");
	n->status = st;
	n->starts_at = T_START;
	n->ends_at = st == ALERT_RESOLVED ? T_END : 0;
	n->value = 0;
	n->generator_url = strdup("http://db1:9930/api/alerts");
	n->fingerprint = alert_labels_fingerprint(&n->labels);
	n->seq = seq;
	n->created_at = T_START;
	return n;
}

static const struct payload_ctx ctx = { .receiver = "ops", .external_url = "http://db1:9930/",
					.routing_key = "R0UT1NGKEY", .source = "db1" };

static void check_golden(enum webhook_format f, struct alert_note **notes, size_t n,
			 const char *file)
{
	struct buf body = BUF_INIT(1 << 20);
	char err[256];
	assert_int_equal(payload_build(f, &ctx, notes, n, T_END, &body, err, sizeof(err)), 0);
	const char *top = getenv("top_srcdir");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/data/alerts/%s", top ? top : ".", file);
	if (getenv("DBPULSE_WRITE_GOLDEN")) {
		json_t *v = json_loads(buf_str(&body), 0, NULL);
		json_dump_file(v, path, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(v);
	}
	json_error_t jerr;
	json_t *want = json_load_file(path, 0, &jerr);
	if (!want)
		fail_msg("%s: %s", path, jerr.text);
	json_t *got = json_loads(buf_str(&body), 0, &jerr);
	assert_non_null(got);
	if (!json_equal(want, got))
		fail_msg("%s differs; got %s", file, buf_str(&body));
	json_decref(want);
	json_decref(got);
	buf_release(&body);
}

static void test_fingerprints(void **state)
{
	(void)state;
	/* prometheus/common model/signature_test.go, TestMetricToFingerprint */
	struct alert_labels l = { 0 };
	assert_true(alert_labels_fingerprint(&l) == 14695981039346656037ULL);
	alert_labels_set(&l, "name", "garland, briggs");
	alert_labels_set(&l, "fear", "love is not enough");
	assert_true(alert_labels_fingerprint(&l) == 5799056148416392346ULL);
	char hex[17];
	alert_fingerprint_hex(5799056148416392346ULL, hex);
	assert_string_equal(hex, "507a62d79ee76c9a");
	alert_labels_release(&l);
}

static void test_standard_webhooks_vector(void **state)
{
	(void)state;
	/* standard-webhooks/standard-webhooks, spec/standard-webhooks.md */
	unsigned char key[64];
	size_t keylen;
	assert_int_equal(standard_webhooks_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key, &keylen,
					       sizeof(key)), 0);
	const char *body = "{\"test\": 2432232314}";
	struct buf sig = BUF_INIT(4096);
	assert_int_equal(standard_webhooks_sign(key, keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek",
						1614265330, body, strlen(body), &sig), 0);
	assert_string_equal(buf_str(&sig), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	buf_release(&sig);
	assert_int_equal(standard_webhooks_key("whsec_", key, &keylen, sizeof(key)), -1);
	assert_int_equal(standard_webhooks_key("not base64!", key, &keylen, sizeof(key)), -1);
}

static void test_message_id(void **state)
{
	(void)state;
	struct alert_note *a = note("PostgresDown", "main", ALERT_FIRING, 7);
	struct alert_note *b = note("PostgresDown", "main", ALERT_FIRING, 8);
	char id1[64], id2[64], id3[64];
	payload_message_id("ops", &a, 1, id1);
	payload_message_id("ops", &a, 1, id2);
	payload_message_id("ops", &b, 1, id3);
	assert_string_equal(id1, id2);
	assert_string_not_equal(id1, id3);
	assert_int_equal(strlen(id1), 36);
	assert_memory_equal(id1, "msg_", 4);
	alert_note_free(a);
	alert_note_free(b);
}

static void test_time(void **state)
{
	(void)state;
	char s[40];
	payload_time(T_START, s);
	assert_string_equal(s, "2025-11-25T03:26:13.250Z");
	payload_time(0, s);
	assert_string_equal(s, "0001-01-01T00:00:00Z");
}

static void test_formats(void **state)
{
	(void)state;
	struct alert_note *n[2] = { note("PostgresDown", "main", ALERT_FIRING, 1),
				    note("PostgresDown", "replica", ALERT_RESOLVED, 2) };
	check_golden(WEBHOOK_ALERTMANAGER, n, 2, "alertmanager.json");
	check_golden(WEBHOOK_ALERTMANAGER_API, n, 2, "alertmanager-api.json");
	check_golden(WEBHOOK_SLACK, n, 2, "slack.json");
	check_golden(WEBHOOK_JSON, n, 2, "json.json");
	check_golden(WEBHOOK_PAGERDUTY, n, 1, "pagerduty-trigger.json");
	check_golden(WEBHOOK_PAGERDUTY, n + 1, 1, "pagerduty-resolve.json");
	alert_note_free(n[0]);
	alert_note_free(n[1]);
}

static void test_edges(void **state)
{
	(void)state;
	struct alert_note *n = note("Big <&>", "main", ALERT_FIRING, 1);
	n->value = NAN;
	struct buf big = BUF_INIT(1 << 16);
	for (int i = 0; i < 600; i++)
		buf_puts(&big, "é");   /* two bytes each */
	alert_labels_set(&n->annotations, "summary", buf_str(&big));
	buf_release(&big);
	struct buf body = BUF_INIT(1 << 20);
	char err[256];
	assert_int_equal(payload_build(WEBHOOK_PAGERDUTY, &ctx, &n, 1, T_END, &body, err, sizeof(err)), 0);
	json_t *v = json_loads(buf_str(&body), 0, NULL);
	const char *summary = json_string_value(json_object_get(json_object_get(v, "payload"), "summary"));
	assert_true(strlen(summary) <= 1024);
	assert_memory_equal(summary + strlen(summary) - 3, "...", 3);
	json_t *value = json_object_get(json_object_get(json_object_get(v, "payload"), "custom_details"), "value");
	assert_string_equal(json_string_value(value), "NaN");
	json_decref(v);
	buf_reset(&body);
	assert_int_equal(payload_build(WEBHOOK_SLACK, &ctx, &n, 1, T_END, &body, err, sizeof(err)), 0);
	assert_non_null(strstr(buf_str(&body), "Big &lt;&amp;&gt;"));
	buf_reset(&body);
	struct payload_ctx no_key = ctx;
	no_key.routing_key = NULL;
	assert_int_equal(payload_build(WEBHOOK_PAGERDUTY, &no_key, &n, 1, T_END, &body, err, sizeof(err)), -1);
	assert_int_equal(payload_max_batch(WEBHOOK_PAGERDUTY), 1);
	struct alert_note *two[2] = { n, n };
	assert_int_equal(payload_build(WEBHOOK_PAGERDUTY, &ctx, two, 2, T_END, &body, err, sizeof(err)), -1);
	buf_release(&body);
	alert_note_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprints),
		cmocka_unit_test(test_standard_webhooks_vector),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
