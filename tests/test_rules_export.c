/*
 * test_rules_export.c -- `dbpulse rules --format prometheus`: YAML quoting
 * (quotes, backslashes, newlines, tabs, Unicode, characters YAML will not
 * print, bytes that are not UTF-8, template braces), the group of a rule
 * from its metrics, expressions as PromQL (durations, reserved names,
 * escapes, the clear threshold), annotation templates for Prometheus
 * (queryText, comments), a rule with every key, and a configuration
 * without rules.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "expr.h"
#include "rules.h"
#include "rules_export.h"

static struct config *load(const char *text)
{
	struct buf errors = BUF_INIT(1 << 16);
	struct config *cfg = config_load_string(text, strlen(text), "agent.ini", &errors);
	if (!cfg)
		fprintf(stderr, "%s", buf_str(&errors));
	buf_release(&errors);
	assert_non_null(cfg);
	return cfg;
}

static const struct alert_rule_config *rule(const struct config *cfg, const char *name)
{
	const struct config_section *s = config_find(cfg, "alert", name);
	assert_non_null(s);
	return s->conf;
}

/* ---- YAML ------------------------------------------------------------------ */

static void test_yaml_quote(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "C:\\dir\\", "\"C:\\\\dir\\\\\"" },
		{ "line 1\nline 2", "\"line 1\\nline 2\"" },
		{ "a\tb\r\n", "\"a\\tb\\r\\n\"" },
		{ "{{ $labels.target }}: {{ $value | humanize }} # not a comment",
		  "\"{{ $labels.target }}: {{ $value | humanize }} # not a comment\"" },
		{ "- [a, b]: {c: d} & *e !f %g @h `i' |", "\"- [a, b]: {c: d} & *e !f %g @h `i' |\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "bell\x07" "esc\x1b" "del\x7f", "\"bell\\x07esc\\x1Bdel\\x7F\"" },
		{ "nel\xc2\x85" "ls\xe2\x80\xa8" "ps\xe2\x80\xa9" "bom\xef\xbb\xbf",
		  "\"nel\\u0085ls\\u2028ps\\u2029bom\\uFEFF\"" },
		{ "bad\xff" "cut\xc3", "\"bad\\uFFFDcut\\uFFFD\"" },
		{ "overlong\xc0\xaf", "\"overlong\\uFFFD\\uFFFD\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT(1 << 16);
		yaml_quote(&b, cases[i].in);
		assert_string_equal(buf_str(&b), cases[i].out);
		buf_release(&b);
	}
}

/* ---- groups ---------------------------------------------------------------- */

static void test_groups(void **state)
{
	(void)state;
	static const struct {
		const char *expr;
		enum rules_group g;
	} cases[] = {
		{ "node_load15 > 8", RULES_HOST },
		{ "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1", RULES_HOST },
		{ "pg_up == 0", RULES_POSTGRES },
		{ "rate(pg_stat_database_xact_rollback[10m]) > 1", RULES_POSTGRES },
		{ "redis_up == 0", RULES_REDIS },
		{ "pgbouncer_up == 0", RULES_PGBOUNCER },
		{ "pgbouncer_pools_client_waiting_connections > 0 and pgbouncer_up == 1",
		  RULES_PGBOUNCER },
		{ "backup_up == 0", RULES_BACKUP },
		{ "backup_newest_age_seconds - backup_max_age_seconds > 0", RULES_BACKUP },
		{ "dbpulse_up == 0", RULES_AGENT },
		{ "dbpulse_notifications_dropped_total > 0", RULES_AGENT },
		{ "some_other_metric > 1", RULES_AGENT },
		/* dbpulse_* beside one kind: that kind */
		{ "dbpulse_last_collect_timestamp_seconds - redis_rdb_last_save_timestamp_seconds > 86400",
		  RULES_REDIS },
		{ "pg_up == 1 and dbpulse_up == 1", RULES_POSTGRES },
		/* two kinds: the agent's group */
		{ "pg_connections / redis_connected_clients > 1", RULES_AGENT },
		{ "node_load1 > 1 and on(target) pg_up == 1", RULES_AGENT },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "[alert \"A\"]\nexpr = %s\n", cases[i].expr);
		struct config *cfg = load(text);
		enum rules_group g = rules_export_group(rule(cfg, "A"));
		if (g != cases[i].g)
			fail_msg("%s: group %s, expected %s", cases[i].expr, rules_export_group_name(g),
				 rules_export_group_name(cases[i].g));
		config_unref(cfg);
	}
	assert_string_equal(rules_export_group_name(RULES_HOST), "dbpulse-host");
	assert_string_equal(rules_export_group_name(RULES_POSTGRES), "dbpulse-postgres");
	assert_string_equal(rules_export_group_name(RULES_REDIS), "dbpulse-redis");
	assert_string_equal(rules_export_group_name(RULES_PGBOUNCER), "dbpulse-pgbouncer");
	assert_string_equal(rules_export_group_name(RULES_BACKUP), "dbpulse-backup");
	assert_string_equal(rules_export_group_name(RULES_AGENT), "dbpulse-agent");
}

/* ---- expressions ----------------------------------------------------------- */

static void test_promql(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "pg_up == 0", "pg_up == 0" },
		{ "x{a=\"1\", b!=\"2\", c=~\"d.*\", e!~'f|g'} >= 1.5",
		  "x{a=\"1\",b!=\"2\",c=~\"d.*\",e!~\"f|g\"} >= 1.5" },
		/* Go's escapes; a regex backslash stays doubled */
		{ "x{a=\"q\\\"t\\\\n\", b='it\\'s', c=\"tab\\there\\r\\n\", d=~\"a\\\\.b\"} > 0",
		  "x{a=\"q\\\"t\\\\n\",b=\"it's\",c=\"tab\\there\\r\\n\",d=~\"a\\\\.b\"} > 0" },
		{ "x{a=\"caf\xc3\xa9\"} > 0", "x{a=\"caf\xc3\xa9\"} > 0" },
		/* durations as Prometheus spells them */
		{ "rate(x[5m]) > 1", "rate(x[5m]) > 1" },
		{ "increase(x[90m]) > 1", "increase(x[1h30m]) > 1" },
		{ "avg_over_time(x[30m1h]) > 1", "avg_over_time(x[1h30m]) > 1" },
		{ "max_over_time(x[1500ms]) > 1", "max_over_time(x[1s500ms]) > 1" },
		{ "min_over_time(x[8d]) > 1", "min_over_time(x[1w1d]) > 1" },
		{ "rate(x[1y]) > 1", "rate(x[1y]) > 1" },
		/* names PromQL reserves */
		{ "sum > 1", "{__name__=\"sum\"} > 1" },
		{ "rate(offset{a=\"b\"}[5m]) > 1", "rate({__name__=\"offset\",a=\"b\"}[5m]) > 1" },
		{ "x > 1 and on(bool) Count < 2", "x > 1 and on(bool) {__name__=\"Count\"} < 2" },
		/* arithmetic, modifiers, numbers */
		{ "a / ignoring(window) b > 3 and ignoring(window) c >= 1",
		  "a / ignoring(window) b > 3 and ignoring(window) c >= 1" },
		{ "a - on(target, db) b != -2", "a - on(target, db) b != -2" },
		{ "100 * x < 1e-05", "100 * x < 1e-05" },
		{ "x / 0 > +Inf", "x / 0 > +Inf" },
		{ "x * -1 <= NaN", "x * -1 <= NaN" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct expr *e = NULL;
		char err[256];
		size_t pos;
		if (expr_parse(cases[i].in, &e, err, sizeof(err), &pos) < 0)
			fail_msg("%s: %s at %zu", cases[i].in, err, pos);
		struct buf b = BUF_INIT(1 << 16);
		expr_format_promql(e, NULL, &b);
		assert_string_equal(buf_str(&b), cases[i].out);
		buf_release(&b);
		expr_free(e);
	}
	/* the clear threshold replaces the first comparison's only */
	struct expr *e = NULL;
	char err[256];
	assert_int_equal(expr_parse("a > 0.9 and b > 1", &e, err, sizeof(err), NULL), 0);
	struct buf b = BUF_INIT(1 << 16);
	double clear = 0.8;
	expr_format_promql(e, &clear, &b);
	assert_string_equal(buf_str(&b), "a > 0.8 and b > 1");
	buf_release(&b);
	expr_free(e);
}

/* ---- templates ------------------------------------------------------------- */

static void test_templates(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
		int replaced;
	} cases[] = {
		{ "{{ $labels.target }} at {{ $value | humanizePercentage }}",
		  "{{ $labels.target }} at {{ $value | humanizePercentage }}", 0 },
		{ "{{ $labels.queryid | queryText }}", "{{ $labels.queryid | print }}", 1 },
		{ "query: {{queryText $labels.queryid}}!", "query: {{print $labels.queryid}}!", 1 },
		{ "{{ $labels.queryText }} {{ \"queryText | \\\"}}\" }} queryText",
		  "{{ $labels.queryText }} {{ \"queryText | \\\"}}\" }} queryText", 0 },
		{ "a {{ /* note */ }} b", "a {{/* note */}} b", 0 },
		{ "a {{- /* note */ -}} b", "a {{- /* note */ -}} b", 0 },
		{ "no braces: } { }}", "no braces: } { }}", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT(1 << 16);
		int replaced = rules_export_template(cases[i].in, &b);
		assert_string_equal(buf_str(&b), cases[i].out);
		assert_int_equal(replaced, cases[i].replaced);
		buf_release(&b);
	}
}

/* ---- whole files ----------------------------------------------------------- */

static char *export(const char *text)
{
	struct config *cfg = load(text);
	struct buf b = BUF_INIT(1 << 20);
	rules_export_prometheus(cfg, "9.9.9", &b);
	config_unref(cfg);
	return buf_detach(&b, NULL);
}

static void test_every_key(void **state)
{
	(void)state;
	char *out = export(
		"[webhook \"ops\"]\nurl = http://127.0.0.1:1/hook\n"
		"[webhook \"chat\"]\nurl = http://127.0.0.1:1/chat\n"
		"[alert \"PostgresTooManyConnections\"]\n"
		"expr = pg_connections_utilization_ratio{datname!~\"template.*\"} > 0.9\n"
		"for = 2m\n"
		"keep_firing_for = 90s\n"
		"clear = 0.8\n"
		"severity = critical\n"
		"labels = team = db, on=yes, team=dba, severity=ignored, tmpl={{x}}\n"
		"summary = {{ $labels.target }} uses {{ $value | humanizePercentage }}: \"busy\" # \xe2\x9a\xa0\n"
		"description = {{ $labels.queryid | queryText }}\n"
		"runbook_url = https://runbooks.example/{{ $labels.target }}#conn\n"
		"receivers = ops, chat\n"
		"repeat = 30m\n");
	const char *want =
		"groups:\n"
		"  - name: \"dbpulse-postgres\"\n"
		"    rules:\n"
		"      # clear = 0.8: the hysteresis reads this alert's own ALERTS{alertstate=\"firing\"}\n"
		"      # receivers = ops, chat: in Alertmanager, a route with matchers: [alertname=\"PostgresTooManyConnections\"] to each receiver (continue: true)\n"
		"      # repeat = 30m: in Alertmanager, repeat_interval: 30m on its route\n"
		"      # queryText (the statement's text) is not among Prometheus' template functions: print shows the queryid\n"
		"      - alert: \"PostgresTooManyConnections\"\n"
		"        expr: \"(pg_connections_utilization_ratio{datname!~\\\"template.*\\\"} > 0.9) or "
		"((pg_connections_utilization_ratio{datname!~\\\"template.*\\\"} > 0.8) and "
		"ignoring(alertname, alertstate, severity, team, on, tmpl) "
		"ALERTS{alertname=\\\"PostgresTooManyConnections\\\",alertstate=\\\"firing\\\"})\"\n"
		"        for: \"2m\"\n"
		"        keep_firing_for: \"1m30s\"\n"
		"        labels:\n"
		"          severity: \"critical\"\n"
		"          team: \"dba\"\n"
		"          \"on\": \"yes\"\n"
		"          tmpl: \"{{ \\\"{{x}}\\\" }}\"\n"
		"        annotations:\n"
		"          summary: \"{{ $labels.target }} uses {{ $value | humanizePercentage }}: \\\"busy\\\" # \xe2\x9a\xa0\"\n"
		"          description: \"{{ $labels.queryid | print }}\"\n"
		"          runbook_url: \"https://runbooks.example/{{ $labels.target }}#conn\"\n";
	const char *groups = strstr(out, "\ngroups:\n");
	assert_non_null(groups);
	assert_string_equal(groups + 1, want);
	assert_non_null(strstr(out, "# Prometheus alerting rules generated by dbpulse 9.9.9 from agent.ini\n"));
	assert_null(strstr(out, "inhibit_rules"));   /* no down rule */
	free(out);
}

static void test_groups_in_order(void **state)
{
	(void)state;
	char *out = export("[alert \"B\"]\nexpr = dbpulse_up == 0\n"
			   "[alert \"RedisDown\"]\nexpr = redis_up == 0\n"
			   "[alert \"Disk\"]\nexpr = node_load1 > 1\n"
			   "[alert \"PgDown\"]\nexpr = pg_up == 0\nseverity = critical\n"
			   "[alert \"Link\"]\nexpr = redis_master_link_up == 0\n"
			   "[alert \"A\"]\nexpr = pg_connections > 1\n"
			   "[alert \"Both\"]\nexpr = pg_connections > 1 and pg_up == 1\n");
	const char *order[] = { "- name: \"dbpulse-host\"", "- alert: \"Disk\"",
				"- name: \"dbpulse-postgres\"", "- alert: \"PgDown\"", "- alert: \"A\"",
				"- alert: \"Both\"",
				"- name: \"dbpulse-redis\"", "- alert: \"RedisDown\"", "- alert: \"Link\"",
				"- name: \"dbpulse-agent\"", "- alert: \"B\"" };
	const char *at = out;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *next = strstr(at, order[i]);
		if (!next) {
			fail_msg("'%s' missing or out of order in:\n%s", order[i], out);
			break;
		}
		at = next;
	}
	assert_null(strstr(out, "dbpulse-pgbouncer"));
	/* the down rules of targets inhibit (not one over more than pg_up);
	 * every down rule is spared */
	assert_non_null(strstr(out, "source_matchers: ['alertname=~\"B|RedisDown|PgDown\"']\n"));
	assert_non_null(strstr(out, "target_matchers: ['alertname!~\"B|RedisDown|PgDown|Link|Both\"']\n"));
	assert_non_null(strstr(out, "equal: [instance, target]\n"));
	free(out);
}

static void test_no_rules(void **state)
{
	(void)state;
	char *out = export("[agent]\nlisten = 127.0.0.1:9930\n");
	size_t n = strlen(out);
	assert_true(n > 13);
	assert_string_equal(out + n - 11, "groups: []\n");
	assert_null(strstr(out, "groups:\n"));
	/* every line before it is a comment */
	for (const char *l = out; *l && strncmp(l, "groups:", 7) != 0; l = strchr(l, '\n') + 1)
		assert_int_equal(l[0], '#');
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_quote),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_promql),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_groups_in_order),
		cmocka_unit_test(test_no_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
