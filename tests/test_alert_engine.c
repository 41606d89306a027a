/*
 * test_alert_engine.c -- the alert state machine driven by synthetic
 * collections over simulated time: for, keep_firing_for, clear
 * hysteresis, oscillation, repeat, missing data, inhibition by the
 * target's down rule, receivers, and state kept across a restart.
 */
#include "autoconfig.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "alert.h"
#include "buf.h"
#include "config.h"
#include "engine.h"
#include "metrics.h"
#include "rules.h"

#define T0 1700000000.0

struct captured {
	struct alert_note *notes[64];
	size_t n;
};

static void capture(void *ctx, struct alert_note *note)
{
	struct captured *c = ctx;
	if (c->n < 64)
		c->notes[c->n++] = note;
	else
		alert_note_free(note);
}

static void captured_clear(struct captured *c)
{
	for (size_t i = 0; i < c->n; i++)
		alert_note_free(c->notes[i]);
	c->n = 0;
}

static struct config *load(const char *text)
{
	struct buf errors = BUF_INIT(1 << 16);
	struct config *cfg = config_load_string(text, strlen(text), "test.ini", &errors);
	if (!cfg)
		fprintf(stderr, "%s", buf_str(&errors));
	buf_release(&errors);
	assert_non_null(cfg);
	return cfg;
}

static struct alert_engine *engine_for(struct config *cfg, struct captured *c, const char *state)
{
	struct alert_engine_options opt = {
		.state_file = state, .external_url = "http://agent:9930/", .notify = capture,
		.notify_ctx = c,
	};
	return alert_engine_new(cfg, &opt);
}

static const struct metric_desc m_x = { "pg_x", "X.", METRIC_GAUGE };
static const struct metric_desc m_up = { "pg_up", "Up.", METRIC_GAUGE };

/* One collection of target "main": pg_up, and pg_x unless x is NAN. */
static void observe(struct alert_engine *e, double t, int up, double x)
{
	struct batch *b = batch_new();
	batch_add(b, &m_up, up, "target", "main", NULL);
	if (x == x)
		batch_add(b, &m_x, x, "target", "main", "db", "app", NULL);
	alert_engine_observe(e, "main", b, up, T0 + t);
	batch_free(b);
}

static const char *status_of(const struct alert_note *n)
{
	return n->status == ALERT_FIRING ? "firing" : "resolved";
}

static const char base[] =
	"[agent]\nstate_dir = /nonexistent\n[host]\nenabled = false\n"
	"[webhook \"hook\"]\nurl = http://127.0.0.1:1/\n";

static struct config *rules(const char *extra)
{
	char *text = NULL;
	if (asprintf(&text, "%s%s", base, extra) < 0)
		fail();
	struct config *cfg = load(text);
	free(text);
	return cfg;
}

static void test_for_pending_then_firing(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct config *cfg = rules("[alert \"High\"]\nexpr = pg_x > 5\nfor = 30s\nseverity = critical\n"
				   "summary = x is {{ $value }} on {{ $labels.target }}\n");
	struct alert_engine *e = engine_for(cfg, &c, NULL);
	size_t firing;
	observe(e, 0, 1, 10);
	assert_int_equal(alert_engine_active(e, &firing), 1);
	assert_int_equal(firing, 0);
	observe(e, 15, 1, 10);
	assert_int_equal(c.n, 0);
	observe(e, 30, 1, 10);
	assert_int_equal(c.n, 1);
	assert_string_equal(status_of(c.notes[0]), "firing");
	assert_string_equal(c.notes[0]->receiver, "hook");
	assert_string_equal(alert_labels_get(&c.notes[0]->labels, "alertname"), "High");
	assert_string_equal(alert_labels_get(&c.notes[0]->labels, "severity"), "critical");
	assert_string_equal(alert_labels_get(&c.notes[0]->labels, "db"), "app");
	assert_null(alert_labels_get(&c.notes[0]->labels, "__name__"));
	assert_string_equal(alert_labels_get(&c.notes[0]->annotations, "summary"), "x is 10 on main");
	assert_true(c.notes[0]->starts_at == T0 + 30);
	observe(e, 45, 1, 10);
	assert_int_equal(c.n, 1);   /* no repeat by default */

	struct batch *b = batch_new();
	alert_engine_metrics(e, b);
	long fam = batch_find_family(b, "ALERTS");
	assert_true(fam >= 0);
	batch_free(b);

	observe(e, 60, 1, 1);
	assert_int_equal(c.n, 2);
	assert_string_equal(status_of(c.notes[1]), "resolved");
	assert_true(c.notes[1]->ends_at == T0 + 60);
	assert_true(c.notes[1]->seq > c.notes[0]->seq);
	assert_int_equal(alert_engine_active(e, NULL), 0);
	captured_clear(&c);
	alert_engine_free(e);
	config_unref(cfg);
}

static void test_oscillation_sends_nothing(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct config *cfg = rules("[alert \"High\"]\nexpr = pg_x > 5\nfor = 30s\n");
	struct alert_engine *e = engine_for(cfg, &c, NULL);
	for (int i = 0; i < 40; i++)
		observe(e, i * 10, 1, i % 2 ? 1 : 10);
	assert_int_equal(c.n, 0);
	alert_engine_free(e);
	config_unref(cfg);
}

static void test_clear_hysteresis(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct config *cfg = rules("[alert \"Full\"]\nexpr = pg_x > 0.9\nclear = 0.8\n");
	struct alert_engine *e = engine_for(cfg, &c, NULL);
	observe(e, 0, 1, 0.95);
	assert_int_equal(c.n, 1);
	for (int i = 1; i < 10; i++)
		observe(e, i * 10, 1, i % 2 ? 0.85 : 0.93);   /* around 0.9, above 0.8 */
	assert_int_equal(c.n, 1);
	observe(e, 100, 1, 0.8);
	assert_int_equal(c.n, 2);
	assert_string_equal(status_of(c.notes[1]), "resolved");
	/* below the firing threshold again: not firing */
	observe(e, 110, 1, 0.85);
	assert_int_equal(c.n, 2);
	captured_clear(&c);
	alert_engine_free(e);
	config_unref(cfg);
}

static void test_keep_firing_for(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct config *cfg = rules("[alert \"High\"]\nexpr = pg_x > 5\nkeep_firing_for = 1m\n");
	struct alert_engine *e = engine_for(cfg, &c, NULL);
	observe(e, 0, 1, 10);
	assert_int_equal(c.n, 1);
	observe(e, 15, 1, 1);
	observe(e, 30, 1, 1);
	observe(e, 60, 1, 10);    /* back before keep_firing_for ran out */
	observe(e, 90, 1, 1);
	observe(e, 110, 1, 1);
	assert_int_equal(c.n, 1);
	observe(e, 120, 1, 1);    /* 60 s after it last held */
	assert_int_equal(c.n, 2);
	assert_string_equal(status_of(c.notes[1]), "resolved");
	captured_clear(&c);
	alert_engine_free(e);
	config_unref(cfg);
}

static void test_repeat(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct config *cfg = rules("[alert \"High\"]\nexpr = pg_x > 5\nrepeat = 1m\n");
	struct alert_engine *e = engine_for(cfg, &c, NULL);
	for (int i = 0; i <= 12; i++)
		observe(e, i * 10, 1, 10);
	assert_int_equal(c.n, 3);   /* at 0, 60 and 120 s */
	assert_true(c.notes[2]->starts_at == T0);
	assert_true(c.notes[2]->fingerprint == c.notes[0]->fingerprint);
	captured_clear(&c);
	alert_engine_free(e);
	config_unref(cfg);
}

static void test_missing_series_resolves_when_up(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct config *cfg = rules("[alert \"High\"]\nexpr = pg_x > 5\n");
	struct alert_engine *e = engine_for(cfg, &c, NULL);
	observe(e, 0, 1, 10);
	observe(e, 10, 1, NAN);   /* the target answered without the series */
	assert_int_equal(c.n, 2);
	assert_string_equal(status_of(c.notes[1]), "resolved");
	captured_clear(&c);
	alert_engine_free(e);
	config_unref(cfg);
}

static void test_down_target_inhibits(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct config *cfg = rules("[alert \"PostgresDown\"]\nexpr = pg_up == 0\n"
				   "[alert \"High\"]\nexpr = pg_x > 5\n"
				   "[alert \"Higher\"]\nexpr = pg_x > 15\n");
	struct alert_engine *e = engine_for(cfg, &c, NULL);
	observe(e, 0, 1, 10);
	assert_int_equal(c.n, 1);   /* High */
	for (int i = 1; i <= 5; i++)
		observe(e, i * 10, 0, NAN);   /* down: High held, not resolved */
	assert_int_equal(c.n, 2);
	assert_string_equal(alert_labels_get(&c.notes[1]->labels, "alertname"), "PostgresDown");
	/* a symptom that shows while the target is down notifies nothing */
	observe(e, 60, 0, 20);
	assert_int_equal(c.n, 2);
	size_t firing;
	assert_int_equal(alert_engine_active(e, &firing), 3);
	struct buf json = BUF_INIT(1 << 20);
	assert_int_equal(alert_engine_json(e, &json), 0);
	assert_non_null(strstr(buf_str(&json), "\"inhibited\":true"));
	buf_release(&json);
	/* up again and healthy: High and PostgresDown resolve, Higher was never
	 * notified so it resolves silently */
	observe(e, 70, 1, 1);
	assert_int_equal(c.n, 4);
	for (size_t i = 2; i < 4; i++)
		assert_string_equal(status_of(c.notes[i]), "resolved");
	assert_int_equal(alert_engine_active(e, NULL), 0);
	captured_clear(&c);
	alert_engine_free(e);
	config_unref(cfg);
}

static void test_receivers_and_send_resolved(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct config *cfg = rules("[webhook \"quiet\"]\nurl = http://127.0.0.1:1/\nsend_resolved = false\n"
				   "[webhook \"other\"]\nurl = http://127.0.0.1:1/\n"
				   "[alert \"High\"]\nexpr = pg_x > 5\nreceivers = quiet, hook\n");
	struct alert_engine *e = engine_for(cfg, &c, NULL);
	observe(e, 0, 1, 10);
	assert_int_equal(c.n, 2);
	observe(e, 10, 1, 1);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.notes[2]->receiver, "hook");
	captured_clear(&c);
	alert_engine_free(e);
	config_unref(cfg);
}

static void test_restart_keeps_state(void **state)
{
	(void)state;
	char dir[] = "/tmp/dbpulse-engine-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/alerts.state", dir);
	struct captured c = { 0 };
	struct config *cfg = rules("[alert \"High\"]\nexpr = pg_x > 5\n"
				   "[alert \"Slow\"]\nexpr = pg_x > 5\nfor = 1h\n");
	struct alert_engine *e = engine_for(cfg, &c, path);
	observe(e, 0, 1, 10);
	assert_int_equal(c.n, 1);
	alert_engine_free(e);   /* "killed" */

	e = engine_for(cfg, &c, path);
	size_t firing;
	assert_int_equal(alert_engine_active(e, &firing), 2);
	assert_int_equal(firing, 1);
	observe(e, 20, 1, 10);
	assert_int_equal(c.n, 1);   /* no re-page */
	observe(e, 3600, 1, 10);   /* Slow's hour counted from before the restart */
	assert_int_equal(c.n, 2);
	assert_string_equal(alert_labels_get(&c.notes[1]->labels, "alertname"), "Slow");
	observe(e, 3610, 1, 1);
	assert_int_equal(c.n, 4);
	assert_true(c.notes[2]->starts_at == T0 || c.notes[3]->starts_at == T0);
	captured_clear(&c);
	alert_engine_free(e);

	/* a damaged state file is set aside, not fatal */
	FILE *f = fopen(path, "w");
	fputs("{\"v\":1,\"instances\":[{\"rule\":", f);
	fclose(f);
	e = engine_for(cfg, &c, path);
	assert_int_equal(alert_engine_active(e, NULL), 0);
	alert_engine_free(e);
	char aside[80];
	snprintf(aside, sizeof(aside), "%s.corrupt", path);
	assert_int_equal(access(aside, F_OK), 0);
	unlink(aside);
	unlink(path);
	rmdir(dir);
	config_unref(cfg);
}

static void test_bad_rules_are_config_errors(void **state)
{
	(void)state;
	struct buf errors = BUF_INIT(1 << 16);
	const char *text = "[host]\nenabled = false\n[alert \"Bad\"]\nexpr = pg_x >> 5\n"
			   "[alert \"NoHook\"]\nexpr = pg_x > 1\nreceivers = nowhere\n"
			   "[alert \"Tpl\"]\nexpr = pg_x > 1\nsummary = {{ $value | humanise }}\n";
	struct config *cfg = config_load_string(text, strlen(text), "agent.ini", &errors);
	assert_null(cfg);
	const char *out = buf_str(&errors);
	assert_non_null(strstr(out, "agent.ini:4: [alert \"Bad\"] expr: "));
	assert_non_null(strstr(out, "\n  pg_x >> 5\n"));
	assert_non_null(strstr(out, "^"));
	assert_non_null(strstr(out, "receivers: no [webhook \"nowhere\"] section"));
	assert_non_null(strstr(out, "agent.ini:10: [alert \"Tpl\"] summary: "));
	buf_release(&errors);
}

/* alertmanager-api URLs as Prometheus' alertmanagers config takes them:
 * a base URL (with a path prefix or not) gets /api/v2/alerts, a full one
 * stays; the v1 API is refused; --check-config shows them without
 * credentials or query. */
static void test_alertmanager_base_urls(void **state)
{
	(void)state;
	struct config *cfg = load("[host]\nenabled = false\n[webhook \"am\"]\nformat = alertmanager-api\n"
				  "url = http://am:9093, http://am:9093/, https://u:pw@am:9093/prefix/, "
				  "http://am:9093/api/v2/alerts, http://am:9093/api/v2/alerts/, "
				  "http://am:9093?k=secret\n"
				  "[webhook \"plain\"]\nurl = http://hook:8080\n");
	const struct config_section *s = config_find(cfg, "webhook", "am");
	const struct webhook_config *w = s->conf;
	static const char *const want[] = {
		"http://am:9093/api/v2/alerts", "http://am:9093/api/v2/alerts",
		"https://u:pw@am:9093/prefix/api/v2/alerts", "http://am:9093/api/v2/alerts",
		"http://am:9093/api/v2/alerts/", "http://am:9093/api/v2/alerts?k=secret",
	};
	assert_int_equal(w->url.n, 6);
	for (size_t i = 0; i < w->url.n; i++)
		assert_string_equal(w->url.items[i], want[i]);
	struct buf out = BUF_INIT(4096);
	s->kind->describe(s, &out);
	assert_string_equal(buf_str(&out),
			    "[webhook \"am\"]: alertmanager-api to 6 URLs: http://am:9093/api/v2/alerts, "
			    "http://am:9093/api/v2/alerts, https://***@am:9093/prefix/api/v2/alerts, "
			    "http://am:9093/api/v2/alerts, http://am:9093/api/v2/alerts/, "
			    "http://am:9093/api/v2/alerts?...");
	buf_release(&out);
	/* another format's URL is posted to as written, and not shown */
	s = config_find(cfg, "webhook", "plain");
	assert_string_equal(((const struct webhook_config *)s->conf)->url.items[0], "http://hook:8080");
	out = (struct buf)BUF_INIT(4096);
	s->kind->describe(s, &out);
	assert_string_equal(buf_str(&out), "[webhook \"plain\"]: alertmanager to 1 URL");
	buf_release(&out);
	config_unref(cfg);

	struct buf errors = BUF_INIT(1 << 16);
	const char *v1 = "[webhook \"am\"]\nformat = alertmanager-api\nurl = http://am:9093/api/v1/alerts\n";
	assert_null(config_load_string(v1, strlen(v1), "agent.ini", &errors));
	assert_non_null(strstr(buf_str(&errors), "url: Alertmanager's v1 API (/api/v1/alerts) is gone"));
	buf_release(&errors);
}

/* A rule on a summary family sees its quantiles, not its _sum and _count
 * samples (series of other names, with the same labels less quantile). */
static void test_summary_parts_unseen(void **state)
{
	(void)state;
	struct captured c = { 0 };
	struct config *cfg = rules("[alert \"Slow\"]\nexpr = pg_lat > 100\nseverity = warning\n");
	struct alert_engine *e = engine_for(cfg, &c, NULL);
	struct batch *b = batch_new();
	batch_add(b, &m_up, 1, "target", "main", NULL);
	const char *q[] = { "target", "main", "cmd", "get", "quantile", "99" };
	const char *l[] = { "target", "main", "cmd", "get" };
	batch_addv(b, "pg_lat", "Lat.", METRIC_SUMMARY, 5, q, 3);
	batch_addv_part(b, "pg_lat", "Lat.", METRIC_SUMMARY, METRIC_PART_SUM, 5000, l, 2);
	batch_addv_part(b, "pg_lat", "Lat.", METRIC_SUMMARY, METRIC_PART_COUNT, 1000, l, 2);
	alert_engine_observe(e, "main", b, 1, T0);
	assert_int_equal(alert_engine_active(e, NULL), 0);
	batch_free(b);

	b = batch_new();
	batch_add(b, &m_up, 1, "target", "main", NULL);
	batch_addv(b, "pg_lat", "Lat.", METRIC_SUMMARY, 500, q, 3);
	alert_engine_observe(e, "main", b, 1, T0 + 15);
	assert_int_equal(c.n, 1);
	assert_string_equal(alert_labels_get(&c.notes[0]->labels, "quantile"), "99");
	batch_free(b);
	captured_clear(&c);
	alert_engine_free(e);
	config_unref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alertmanager_base_urls),
		cmocka_unit_test(test_for_pending_then_firing),
		cmocka_unit_test(test_oscillation_sends_nothing),
		cmocka_unit_test(test_clear_hysteresis),
		cmocka_unit_test(test_keep_firing_for),
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_missing_series_resolves_when_up),
		cmocka_unit_test(test_down_target_inhibits),
		cmocka_unit_test(test_receivers_and_send_resolved),
		cmocka_unit_test(test_restart_keeps_state),
		cmocka_unit_test(test_bad_rules_are_config_errors),
		cmocka_unit_test(test_summary_parts_unseen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
