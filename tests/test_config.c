/*
 * test_config.c -- agent.ini parsing: typed values, a table of good and bad
 * files (each bad case with its exact message and line), defaults, and
 * the comparison a reload uses.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "host.h"
#include "postgres.h"
#include "xalloc.h"

static struct config *load(const char *text, struct buf *errors)
{
	return config_load_string(text, strlen(text), "cfg.ini", errors);
}

/* ---- typed values ------------------------------------------------------ */

static void test_durations(void **state)
{
	static const struct { const char *in; int64_t ms; } good[] = {
		{ "500ms", 500 }, { "15s", 15000 }, { "2m", 120000 }, { "1h", 3600000 },
		{ "1d", 86400000 }, { "1m30s", 90000 }, { "1h2m3s4ms", 3723004 }, { "0s", 0 },
	};
	static const char *const bad[] = { "", "fast", "15", "s", "-1s", "1.5s", "1s1m", "10 s",
					   "1x", "5mss", "99999999999999999999s" };
	char err[128];
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t ms = -1;
		assert_int_equal(conf_parse_duration(good[i].in, &ms, err, sizeof(err)), 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms;
		err[0] = '\0';
		assert_int_equal(conf_parse_duration(bad[i], &ms, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
	}
	char out[32];
	conf_format_duration(90000, out, sizeof(out));
	assert_string_equal(out, "1m30s");
	conf_format_duration(250, out, sizeof(out));
	assert_string_equal(out, "250ms");
	conf_format_duration(0, out, sizeof(out));
	assert_string_equal(out, "0s");
}

static void test_sizes(void **state)
{
	static const struct { const char *in; uint64_t bytes; } good[] = {
		{ "0", 0 }, { "512", 512 }, { "512B", 512 }, { "64KiB", 65536 }, { "1MiB", 1048576 },
		{ "2GiB", 2147483648ull }, { "1kB", 1000 }, { "3MB", 3000000 }, { "1 GB", 1000000000ull },
	};
	static const char *const bad[] = { "", "big", "1XB", "-1", "1.5MiB", "MiB" };
	char err[128];
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t b = 1;
		assert_int_equal(conf_parse_size(good[i].in, &b, err, sizeof(err)), 0);
		assert_true(b == good[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t b;
		assert_int_equal(conf_parse_size(bad[i], &b, err, sizeof(err)), -1);
	}
}

static void test_bools_lists_addresses(void **state)
{
	char err[128];
	int v;
	(void)state;
	static const char *const yes[] = { "true", "TRUE", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "Off", "0" };
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(conf_parse_bool(yes[i], &v, err, sizeof(err)), 0);
		assert_int_equal(v, 1);
	}
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(conf_parse_bool(no[i], &v, err, sizeof(err)), 0);
		assert_int_equal(v, 0);
	}
	assert_int_equal(conf_parse_bool("maybe", &v, err, sizeof(err)), -1);
	assert_string_equal(err, "expected true or false");

	struct conf_list l;
	assert_int_equal(conf_parse_list(" 1m, 5m ,1h ", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0], "1m");
	assert_string_equal(l.items[1], "5m");
	assert_string_equal(l.items[2], "1h");
	conf_list_release(&l);
	assert_int_equal(conf_parse_list("", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(conf_parse_list("a,,b", &l, err, sizeof(err)), -1);

	struct conf_address a;
	assert_int_equal(conf_parse_address("127.0.0.1:9930", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 9930);
	conf_address_release(&a);
	assert_int_equal(conf_parse_address("[::1]:80", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "::1");
	conf_address_release(&a);
	assert_int_equal(conf_parse_address(":9930", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "");
	conf_address_release(&a);
	static const char *const bad[] = { "9930", "host:", "host:99999", "::1:80", "[::1]80",
					   "a b:1", "host:x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(conf_parse_address(bad[i], &a, err, sizeof(err)), -1);
}

/* ---- whole files ----------------------------------------------------- */

static void test_defaults(void **state)
{
	struct buf errors = BUF_INIT(1 << 16);
	(void)state;
	struct config *cfg = load("", &errors);
	assert_non_null(cfg);
	const struct agent_config *a = config_get(cfg, "agent");
	assert_non_null(a);
	assert_string_equal(a->listen.host, "127.0.0.1");
	assert_int_equal(a->listen.port, 9930);
	assert_string_equal(a->state_dir, "/var/lib/dbpulse");
	assert_int_equal(a->http_max_connections, 64);
	const struct host_config *h = config_get(cfg, "host");
	assert_non_null(h);
	assert_int_equal(h->common.enabled, 1);
	assert_int_equal(h->common.interval_ms, 15000);
	assert_true(conf_regex_match(&h->fstype_exclude, "proc"));
	assert_false(conf_regex_match(&h->fstype_exclude, "ext4"));
	assert_true(conf_regex_match(&h->mountpoint_exclude, "/proc/sys"));
	assert_false(conf_regex_match(&h->mountpoint_exclude, "/home"));
	assert_true(conf_regex_match(&h->disk_device_exclude, "sda1"));
	assert_false(conf_regex_match(&h->disk_device_exclude, "sda"));
	config_unref(cfg);
	buf_release(&errors);
}

static void test_example_file(void **state)
{
	struct buf errors = BUF_INIT(1 << 16);
	char path[4096];
	const char *top = getenv("top_srcdir");
	(void)state;
	snprintf(path, sizeof(path), "%s/agent.ini", top ? top : ".");
	struct config *cfg = config_load(path, &errors);
	if (!cfg)
		fprintf(stderr, "%s", buf_str(&errors));
	assert_non_null(cfg);
	config_unref(cfg);
	buf_release(&errors);
}

static void test_good_values(void **state)
{
	struct buf errors = BUF_INIT(1 << 16);
	(void)state;
	struct config *cfg = load("; a comment\n"
				  "# another\n"
				  "\n"
				  "[agent]\r\n"
				  "listen = [::1]:0\n"
				  "log_level = debug\n"
				  "log_format = json\n"
				  "state_dir = /tmp/x;y\n"
				  "http_timeout = 1m30s\n"
				  "  http_memory_limit = 1MiB\n"
				  "[host]\n"
				  "interval = 5s\n"
				  "timeout = 5s\n"
				  "fstype_exclude =\n"
				  "memory_names = snake_case\n",
				  &errors);
	if (!cfg)
		fprintf(stderr, "%s", buf_str(&errors));
	assert_non_null(cfg);
	const struct agent_config *a = config_get(cfg, "agent");
	assert_string_equal(a->listen.host, "::1");
	assert_int_equal(a->listen.port, 0);
	assert_int_equal(a->log_level, 0);
	assert_int_equal(a->log_format, 1);
	assert_string_equal(a->state_dir, "/tmp/x;y");
	assert_int_equal(a->http_timeout_ms, 90000);
	assert_int_equal(a->http_memory_limit, 1048576);
	const struct host_config *h = config_get(cfg, "host");
	assert_int_equal(h->common.interval_ms, 5000);
	assert_false(conf_regex_match(&h->fstype_exclude, "proc"));
	config_unref(cfg);
	buf_release(&errors);
}

struct bad_case {
	const char *text;
	const char *message; /* the whole error output */
};

static void test_bad_files(void **state)
{
	static char long_line[6000];
	char xs[5001];
	memset(xs, 'x', 5000);
	xs[5000] = '\0';
	snprintf(long_line, sizeof(long_line), "[agent]\nstate_dir = %s\nlog_level = info\n", xs);

	const struct bad_case cases[] = {
		{ "[host]\ninterval = fast\n",
		  "cfg.ini:2: [host] interval: expected a duration like '15s' (units ms, s, m, h, d), got 'fast'\n" },
		{ "[host]\nintervall = 5s\n",
		  "cfg.ini:2: [host] intervall: unknown key; did you mean 'interval'?\n" },
		{ "[host]\nfrobnicate = 5s\n", "cfg.ini:2: [host] frobnicate: unknown key\n" },
		{ "[hots]\ninterval = 5s\n", "cfg.ini:1: [hots]: unknown section; did you mean [host]?\n" },
		{ "[nosuchthing]\n", "cfg.ini:1: [nosuchthing]: unknown section\n" },
		{ long_line, "cfg.ini:2: line too long (5012 characters, at most 4096)\n" },
		{ "listen = 127.0.0.1:1\n",
		  "cfg.ini:1: listen: key outside of any section; put it under [agent] or another section\n" },
		{ "[agent]\nlog_level = info\nlog_level = debug\n",
		  "cfg.ini:3: [agent] log_level: key repeated; first set on line 2\n" },
		{ "[host]\n[agent]\n[host]\n", "cfg.ini:3: [host]: section repeated; first defined on line 1\n" },
		{ "[host]\nenabled\n", "cfg.ini:2: expected 'key = value', got 'enabled'\n" },
		{ "[agent]\nlisten: 127.0.0.1:1\n",
		  "cfg.ini:2: expected 'key = value', got 'listen: 127.0.0.1:1'\n" },
		{ "[host\n", "cfg.ini:1: expected ']' at the end of the section line\n" },
		{ "[host \"x\"]\n", "cfg.ini:1: [host \"x\"]: this section takes no name; write [host]\n" },
		{ "[host]\nenabled = maybe\n",
		  "cfg.ini:2: [host] enabled: expected true or false, got 'maybe'\n" },
		{ "[agent]\nlog_level = loud\n",
		  "cfg.ini:2: [agent] log_level: expected one of debug, info, warn, error, got 'loud'\n" },
		{ "[agent]\nlisten = localhost\n",
		  "cfg.ini:2: [agent] listen: expected host:port, [ipv6]:port or :port, got 'localhost'\n" },
		{ "[agent]\nhttp_max_connections = 0\n",
		  "cfg.ini:2: [agent] http_max_connections: expected an integer from 1 to 10000, got '0'\n" },
		{ "[host]\ninterval = 100ms\n",
		  "cfg.ini:2: [host] interval: expected a duration from 1s to 1h, got '100ms'\n" },
		{ "[host]\nfstype_exclude = ^(a\n",
		  "cfg.ini:2: [host] fstype_exclude: expected a POSIX extended regular expression: Unmatched ( or \\(, got '^(a'\n" },
		/* refused before regcomp, which would run out of memory */
		{ "[host]\nfstype_exclude = ^(tmp|a++++++++++++++++++++++++++++++)$\n",
		  "cfg.ini:2: [host] fstype_exclude: expected a POSIX extended regular expression: "
		  "invalid nested repetition operator '++' at column 8, got '^(tmp|a++++++++++++++++++++++++++++++)$'\n" },
		{ "[host]\ninterval = 5s\ntimeout = 10s\n",
		  "cfg.ini:1: [host] timeout (10s) must not be longer than interval (5s)\n" },
		{ "[agent]\nstate_dir = a\0b\n", NULL }, /* NUL: checked separately */
		{ "[agent]\nlog_level = fast\n[host]\ninterval = slow\nbogus = 1\n[what]\nx = 1\n",
		  "cfg.ini:2: [agent] log_level: expected one of debug, info, warn, error, got 'fast'\n"
		  "cfg.ini:4: [host] interval: expected a duration like '15s' (units ms, s, m, h, d), got 'slow'\n"
		  "cfg.ini:5: [host] bogus: unknown key\n"
		  "cfg.ini:6: [what]: unknown section\n" },
		{ "[agent]\n= value\n", "cfg.ini:2: expected a key before '='\n" },
		{ "[pgbouncer \"p\"]\ndsn = host=127.0.0.1 dbname=pgbouncer password=x\n",
		  "cfg.ini:1: [pgbouncer \"p\"] dsn: holds a password; use password_file or password_env\n" },
		{ "[pgbouncer \"p\"]\ndsn = port=6432\npassword_file = /f\npassword_env = E\n",
		  "cfg.ini:1: [pgbouncer \"p\"] password_file and password_env exclude each other\n" },
		{ "[pgbouncer \"p\"]\ndsn = port=6432\ninterval = 2s\ntimeout = 3s\n",
		  "cfg.ini:1: [pgbouncer \"p\"] timeout (3s) must not be longer than interval (2s)\n" },
		{ "[pgbouncer \"p\"]\ndsn = host='unterminated\n",
		  "cfg.ini:1: [pgbouncer \"p\"] dsn: unterminated quoted string in connection info string\n" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].message)
			continue;
		struct buf errors = BUF_INIT(1 << 16);
		struct config *cfg = load(cases[i].text, &errors);
		if (cfg || strcmp(buf_str(&errors), cases[i].message) != 0)
			fprintf(stderr, "case %zu: got:\n%s", i, buf_str(&errors));
		assert_null(cfg);
		assert_string_equal(buf_str(&errors), cases[i].message);
		buf_release(&errors);
	}
}

/* A target without its required key is reported as such; its kind's
 * validate, which relies on the key (PQconninfoParse(dsn), redis's
 * address parser), must not run on it: it used to crash --check-config,
 * startup and SIGHUP (tests/fuzz/corpus/fuzz_config/fuzz_config-*). */
static void test_required_key_missing(void **state)
{
	const struct bad_case cases[] = {
		{ "[postgres \"a\"]\n", "cfg.ini:1: [postgres \"a\"] dsn: required key missing\n" },
		{ "[redis \"a\"]\n", "cfg.ini:1: [redis \"a\"] address: required key missing\n" },
		{ "[pgbouncer \"a\"]\n", "cfg.ini:1: [pgbouncer \"a\"] dsn: required key missing\n" },
		{ "[redis \"a\"]\ntimeout = 1m\n",
		  "cfg.ini:1: [redis \"a\"] address: required key missing\n" },
		/* a section with a bad value is not validated either ... */
		{ "[postgres \"a\"]\ninterval = fast\n",
		  "cfg.ini:2: [postgres \"a\"] interval: expected a duration like '15s' (units ms, s, m, h, d), got 'fast'\n"
		  "cfg.ini:1: [postgres \"a\"] dsn: required key missing\n" },
		/* ... but the other sections still are */
		{ "[redis \"a\"]\n[redis \"b\"]\naddress = /x\ntimeout = 1m\n",
		  "cfg.ini:1: [redis \"a\"] address: required key missing\n"
		  "cfg.ini:2: [redis \"b\"] timeout (1m) must not be longer than interval (15s)\n" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf errors = BUF_INIT(1 << 16);
		struct config *cfg = load(cases[i].text, &errors);
		if (cfg || strcmp(buf_str(&errors), cases[i].message) != 0)
			fprintf(stderr, "case %zu: got:\n%s", i, buf_str(&errors));
		assert_null(cfg);
		assert_string_equal(buf_str(&errors), cases[i].message);
		buf_release(&errors);
	}
}

static void test_nul_byte(void **state)
{
	static const char text[] = "[agent]\nstate_dir = a\0b\n";
	struct buf errors = BUF_INIT(1 << 16);
	(void)state;
	struct config *cfg = config_load_string(text, sizeof(text) - 1, "cfg.ini", &errors);
	assert_null(cfg);
	assert_string_equal(buf_str(&errors), "cfg.ini:2: line contains a NUL byte\n");
	buf_release(&errors);
}

static void test_missing_file(void **state)
{
	struct buf errors = BUF_INIT(1 << 16);
	(void)state;
	struct config *cfg = config_load("/nonexistent/agent.ini", &errors);
	assert_null(cfg);
	assert_string_equal(buf_str(&errors),
			    "/nonexistent/agent.ini: cannot read: No such file or directory\n");
	buf_release(&errors);
}

static void test_section_same(void **state)
{
	struct buf errors = BUF_INIT(1 << 16);
	(void)state;
	struct config *a = load("[host]\ninterval = 5s\ntimeout = 2s\n", &errors);
	struct config *b = load("[host]\ntimeout = 2s\ninterval = 5s\n", &errors);
	struct config *c = load("[host]\ninterval = 6s\ntimeout = 2s\n", &errors);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(config_section_same(config_find(a, "host", NULL), config_find(b, "host", NULL)));
	assert_false(config_section_same(config_find(a, "host", NULL), config_find(c, "host", NULL)));
	/* references keep a config alive */
	config_ref(a);
	config_unref(a);
	assert_non_null(config_get(a, "host"));
	config_unref(a);
	config_unref(b);
	config_unref(c);
	buf_release(&errors);
}

/* A default that would collide with what the user wrote fits it: an
 * unset timeout is the smaller of its default and the interval (as
 * Prometheus' scrape_timeout), unset statement windows shorter than the
 * interval are left out.  What the user wrote is never changed: a written
 * timeout longer than the interval, or a written window shorter than it,
 * stays an error. */
static void test_fitted_defaults(void **state)
{
	(void)state;
	struct buf errors = BUF_INIT(1 << 16);
	struct config *cfg = load("[host]\ninterval = 1s\n"
				  "[postgres \"p\"]\ndsn = host=x\ninterval = 1s\n"
				  "[redis \"r\"]\naddress = 127.0.0.1:1\ninterval = 1s\n"
				  "[pgbouncer \"b\"]\ndsn = host=x dbname=pgbouncer\ninterval = 1s\n"
				  "[postgres \"slow\"]\ndsn = host=x\ninterval = 5m\n"
				  "[postgres \"hourly\"]\ndsn = host=x\ninterval = 1h\ntimeout = 30s\n"
				  "[textfile]\ndirectory = /tmp\ninterval = 1s\n",
				  &errors);
	if (!cfg)
		fail_msg("%s", buf_str(&errors));
	static const struct { const char *kind, *name; int64_t timeout_ms; } want[] = {
		{ "host", NULL, 1000 }, { "postgres", "p", 1000 }, { "redis", "r", 1000 },
		{ "pgbouncer", "b", 1000 }, { "postgres", "slow", 5000 }, { "postgres", "hourly", 30000 },
		{ "textfile", NULL, 1000 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct config_section *s = config_find(cfg, want[i].kind, want[i].name);
		assert_non_null(s);
		const struct target_common *t = s->conf;
		assert_int_equal(t->timeout_ms, want[i].timeout_ms);
	}
	const struct pg_config *slow = config_find(cfg, "postgres", "slow")->conf;
	assert_int_equal(slow->nwindows, 2);
	assert_int_equal(slow->statements_window_ms[0], 300000);
	assert_int_equal(slow->statements_window_ms[1], 3600000);
	const struct pg_config *hourly = config_find(cfg, "postgres", "hourly")->conf;
	assert_int_equal(hourly->nwindows, 1);
	assert_int_equal(hourly->statements_window_ms[0], 3600000);
	const struct pg_config *p = config_find(cfg, "postgres", "p")->conf;
	assert_int_equal(p->nwindows, 3);
	struct buf out = BUF_INIT(4096);
	const struct config_section *s = config_find(cfg, "redis", "r");
	s->kind->describe(s, &out);
	assert_non_null(strstr(buf_str(&out), "every 1s, timeout 1s"));
	buf_release(&out);
	config_unref(cfg);

	/* every kind with an interval fits its default timeout to it (a
	 * plain "interval = 1s" must not be refused for a default it did not
	 * write; textfile once was) */
	for (size_t k = 0; config_kinds[k]; k++) {
		const struct config_key *key, *timeout = NULL, *interval = NULL;
		for (size_t i = 0; (key = conf_kind_key(config_kinds[k], i)); i++) {
			if (strcmp(key->name, "timeout") == 0)
				timeout = key;
			if (strcmp(key->name, "interval") == 0)
				interval = key;
		}
		if (timeout && interval && !timeout->fit_default)
			fail_msg("[%s] timeout has no fit_default: interval = %s would be refused",
				 config_kinds[k]->name, interval->def);
	}

	/* written values stay the user's: errors */
	assert_null(load("[redis \"r\"]\naddress = 127.0.0.1:1\ninterval = 1s\ntimeout = 2s\n"
			 "[postgres \"p\"]\ndsn = host=x\ninterval = 2m\nstatements_windows = 1m, 1h\n",
			 &errors));
	assert_non_null(strstr(buf_str(&errors),
			       "[redis \"r\"] timeout (2s) must not be longer than interval (1s)"));
	assert_non_null(strstr(buf_str(&errors), "[postgres \"p\"] statements_windows: '1m' is not a "
						 "duration of at least the interval"));
	buf_release(&errors);
}

/* regex_memo: the verdict of a name at its position, asked again only
 * when another name takes the position */
static void test_regex_memo(void **state)
{
	(void)state;
	struct conf_regex re = { 0 };
	char err[128];
	assert_int_equal(conf_parse_regex("^Tcp_", &re, err, sizeof(err)), 0);
	struct regex_memo m = { 0 };
	assert_true(regex_memo_match(&m, &re, 0, "Tcp_InSegs"));
	assert_false(regex_memo_match(&m, &re, 1, "Udp_NoPorts"));
	assert_true(regex_memo_match(&m, &re, 0, "Tcp_InSegs"));   /* remembered */
	assert_true(regex_memo_match(&m, &re, 1, "Tcp_OutSegs"));  /* another name there */
	assert_false(regex_memo_match(&m, &re, 40, "Ip_Forwarding")); /* past the end */
	assert_int_equal(m.n, 41);
	assert_false(regex_memo_match(&m, &re, 20, "Udp_InErrors"));
	assert_true(regex_memo_match(&m, &re, 20, "Tcp_InErrs"));
	regex_memo_release(&m);
	assert_int_equal(m.n, 0);
	conf_regex_release(&re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bools_lists_addresses),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_required_key_missing),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_section_same),
		cmocka_unit_test(test_fitted_defaults),
		cmocka_unit_test(test_regex_memo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
