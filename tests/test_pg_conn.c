/*
 * test_pg_conn.c -- how the PostgreSQL and PgBouncer collectors turn a
 * target's DSN into a libpq connection (pg_conn.h), without a server: the
 * dsn key's check (missing, unparsable, holding a password), the
 * keyword/value pairs (the keywords the collector sets itself dropped from
 * the DSN, dbname replaced or defaulted, the session's options appended
 * to the DSN's, connect_timeout in whole seconds of at least 2), and the
 * failures of pg_conn_open_dsn() before and at the connection.
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

#include "pg_conn.h"
#include "strutil.h"
#include "pg_fixtures.h"

/* The value pairs p gives keyword, NULL when none; asserts it is given
 * at most once. */
static const char *param(const struct pg_dsn_params *p, const char *keyword)
{
	const char *v = NULL;
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->kw[i], keyword) == 0) {
			assert_null(v);
			v = p->val[i];
		}
	}
	return v;
}

static void test_check(void **state)
{
	static const struct {
		const char *dsn;
		const char *err;  /* NULL: accepted; else the start of the message */
	} cases[] = {
		{ "host=127.0.0.1 port=5432 dbname=postgres user=dbpulse", NULL },
		{ "postgresql://dbpulse@localhost:5432/postgres?sslmode=disable", NULL },
		{ "", NULL },
		{ NULL, "dsn: required key missing" },
		{ "host=127.0.0.1 nosuchkeyword=1", "dsn: invalid connection option" },
		{ "host='unterminated", "dsn: unterminated quoted string" },
		{ "host=127.0.0.1 password=secret", "dsn: holds a password; use password_file or password_env" },
		{ "postgresql://u:secret@localhost/db", "dsn: holds a password" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		int rc = pg_dsn_check(cases[i].dsn, err, sizeof(err));
		if (!cases[i].err) {
			assert_int_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, -1);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("'%s': got '%s'", cases[i].dsn ? cases[i].dsn : "(null)", err);
		assert_null(strstr(err, "secret"));
	}
}

/* The keywords the collectors set themselves are dropped from the DSN
 * (for both: PgBouncer's list and PostgreSQL's were one union). */
static void test_own_keywords_dropped(void **state)
{
	struct pg_dsn_params p;
	char err[256];
	const struct pg_dsn d = {
		.dsn = "host=db port=6432 user=u application_name=mine fallback_application_name=fb "
		       "connect_timeout=60 sslmode=require",
		.timeout_ms = 5000,
	};
	(void)state;
	assert_int_equal(pg_dsn_params_init(&p, &d, err, sizeof(err)), 0);
	assert_string_equal(param(&p, "host"), "db");
	assert_string_equal(param(&p, "port"), "6432");
	assert_string_equal(param(&p, "user"), "u");
	assert_string_equal(param(&p, "sslmode"), "require");
	assert_string_equal(param(&p, "application_name"), "dbpulse");
	assert_null(param(&p, "fallback_application_name"));
	assert_string_equal(param(&p, "connect_timeout"), "5");
	assert_null(param(&p, "password"));
	assert_null(param(&p, "dbname"));   /* libpq's default */
	assert_null(param(&p, "options"));
	/* the terminator, and room for the password before it */
	assert_null(p.kw[p.n]);
	assert_null(p.kw[p.n + 1]);
	pg_dsn_params_release(&p);
}

static void test_dbname(void **state)
{
	struct pg_dsn_params p;
	char err[256];
	(void)state;
	/* PgBouncer: the console's database when the DSN names none */
	struct pg_dsn d = { .dsn = "host=db", .timeout_ms = 1000, .default_dbname = "pgbouncer" };
	assert_int_equal(pg_dsn_params_init(&p, &d, err, sizeof(err)), 0);
	assert_string_equal(param(&p, "dbname"), "pgbouncer");
	pg_dsn_params_release(&p);
	d.dsn = "host=db dbname=other";
	assert_int_equal(pg_dsn_params_init(&p, &d, err, sizeof(err)), 0);
	assert_string_equal(param(&p, "dbname"), "other");
	pg_dsn_params_release(&p);
	/* PostgreSQL: another database of `databases` replaces the DSN's */
	d = (struct pg_dsn){ .dsn = "host=db dbname=main", .timeout_ms = 1000, .dbname = "second" };
	assert_int_equal(pg_dsn_params_init(&p, &d, err, sizeof(err)), 0);
	assert_string_equal(param(&p, "dbname"), "second");
	pg_dsn_params_release(&p);
	d.dbname = NULL;
	assert_int_equal(pg_dsn_params_init(&p, &d, err, sizeof(err)), 0);
	assert_string_equal(param(&p, "dbname"), "main");
	pg_dsn_params_release(&p);
}

static void test_options(void **state)
{
	struct pg_dsn_params p;
	char err[256];
	(void)state;
	/* without session options, the DSN's go as they are (PgBouncer) */
	struct pg_dsn d = { .dsn = "host=db options='-c search_path=x'", .timeout_ms = 1000 };
	assert_int_equal(pg_dsn_params_init(&p, &d, err, sizeof(err)), 0);
	assert_string_equal(param(&p, "options"), "-c search_path=x");
	pg_dsn_params_release(&p);
	/* with them, appended to the DSN's (PostgreSQL) */
	d.session_options = "-c statement_timeout=1000";
	assert_int_equal(pg_dsn_params_init(&p, &d, err, sizeof(err)), 0);
	assert_string_equal(param(&p, "options"), "-c search_path=x -c statement_timeout=1000");
	pg_dsn_params_release(&p);
	d.dsn = "host=db";
	assert_int_equal(pg_dsn_params_init(&p, &d, err, sizeof(err)), 0);
	assert_string_equal(param(&p, "options"), "-c statement_timeout=1000");
	pg_dsn_params_release(&p);
}

static void test_connect_timeout(void **state)
{
	static const struct {
		int64_t ms;
		const char *s;
	} cases[] = { { 100, "2" }, { 1000, "2" }, { 2000, "2" }, { 2001, "3" }, { 5000, "5" },
		      { 3600000, "3600" } };
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pg_dsn_params p;
		char err[256];
		const struct pg_dsn d = { .dsn = "host=db", .timeout_ms = cases[i].ms };
		assert_int_equal(pg_dsn_params_init(&p, &d, err, sizeof(err)), 0);
		assert_string_equal(param(&p, "connect_timeout"), cases[i].s);
		pg_dsn_params_release(&p);
	}
}

static void test_open_failures(void **state)
{
	struct pg_conn c = { 0 };
	char err[512];
	(void)state;
	/* an unparsable DSN: nothing is read or opened */
	struct pg_dsn d = { .dsn = "host='x", .timeout_ms = 1000,
			    .password_file = "/nonexistent/dbpulse-test" };
	assert_int_equal(pg_conn_open_dsn(&c, &d, now_mono_ms() + 2000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "dsn: "));
	/* a password file that cannot be read */
	d.dsn = "host=127.0.0.1 port=1";
	assert_int_equal(pg_conn_open_dsn(&c, &d, now_mono_ms() + 2000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "password_file"));
	assert_null(c.conn);
	/* nothing listens on port 1: libpq's reason, no connection kept */
	d.password_file = NULL;
	setenv("DBPULSE_TEST_PG_PASSWORD", "hunter2", 1);
	d.password_env = "DBPULSE_TEST_PG_PASSWORD";
	assert_int_equal(pg_conn_open_dsn(&c, &d, now_mono_ms() + 2000, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_null(strstr(err, "hunter2"));
	assert_null(c.conn);
	assert_false(pg_conn_ok(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_own_keywords_dropped),
		cmocka_unit_test(test_dbname),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_open_failures),
	};
	return cmocka_run_group_tests(tests, load_libpq, NULL);
}
