/*
 * test_pg_own.c -- the agent's own statements without a server: the set of
 * query ids (sorted, no repeats, bounded, matched with the agent's role
 * only), the check that the text pg_stat_activity shows (cut at
 * track_activity_query_size) is the text parsed, and the reading query by
 * server version.  tests/integration/dba.sh learns the ids from a real
 * PostgreSQL 15.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pg_own.h"
#include "pg_sql.h"

static void test_set(void **state)
{
	(void)state;
	struct pg_own o = { 0 };
	static const int64_t ids[] = { 42, -7, INT64_MIN, INT64_MAX, 0, 42, -7 };
	assert_false(pg_own_is(&o, 0, 42)); /* nothing learned: nothing is own */
	assert_false(pg_own_is(NULL, 10, 42));
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_int_equal(pg_own_add(&o, ids[i]), 0);
	assert_int_equal(o.n, 5);
	for (size_t i = 1; i < o.n; i++)
		assert_true(o.ids[i - 1] < o.ids[i]);
	assert_false(pg_own_is(&o, 10, 42)); /* no role learned yet */
	o.userid = 10;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_true(pg_own_is(&o, 10, ids[i]));
		assert_false(pg_own_is(&o, 11, ids[i])); /* the same statement of another role */
	}
	assert_false(pg_own_is(&o, 10, 41));
	assert_false(pg_own_is(&o, 10, 1));
	assert_false(pg_own_is(&o, 10, INT64_MAX - 1));
	/* one that runs only inside another of them */
	assert_int_equal(pg_own_is(&o, 10, 42), PG_OWN_TOP);
	o.nested[o.nnested++] = 42;
	assert_int_equal(pg_own_is(&o, 10, 42), PG_OWN_NESTED);
	assert_int_equal(pg_own_is(&o, 10, -7), PG_OWN_TOP);
	assert_false(pg_own_is(&o, 11, 42));
}

static void test_set_bounded(void **state)
{
	(void)state;
	struct pg_own o = { .userid = 1 };
	for (int64_t i = 0; i < PG_OWN_MAX; i++)
		assert_int_equal(pg_own_add(&o, 1000 - 3 * i), 0);
	assert_int_equal(o.n, PG_OWN_MAX);
	assert_int_equal(pg_own_add(&o, 5), -1);
	assert_int_equal(pg_own_add(&o, 1000), 0); /* already there */
	assert_int_equal(o.n, PG_OWN_MAX);
	assert_false(pg_own_is(&o, 1, 5));
	for (int64_t i = 0; i < PG_OWN_MAX; i++)
		assert_true(pg_own_is(&o, 1, 1000 - 3 * i));
}

static void test_text_is(void **state)
{
	(void)state;
	char sql[2048], shown[2048];
	for (size_t i = 0; i + 1 < sizeof(sql); i++)
		sql[i] = (char)('a' + i % 26);
	sql[sizeof(sql) - 1] = '\0';
	static const struct {
		size_t len;        /* of the shown prefix */
		int want;
	} cut[] = {
		{ 2047, 1 },  /* all of it */
		{ 1023, 1 },  /* the default track_activity_query_size */
		{ 99, 1 },    /* its least */
		{ 98, 0 },    /* shorter than any setting cuts */
		{ 1, 0 },
		{ 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		memcpy(shown, sql, cut[i].len);
		shown[cut[i].len] = '\0';
		assert_int_equal(pg_own_text_is(shown, sql), cut[i].want);
	}
	assert_true(pg_own_text_is("SELECT 1", "SELECT 1"));
	assert_false(pg_own_text_is("SELECT 1", "SELECT 12"));  /* short and incomplete */
	assert_false(pg_own_text_is("SELECT 2", "SELECT 1"));
	assert_false(pg_own_text_is("SELECT 1 ", "SELECT 1"));
	assert_false(pg_own_text_is(NULL, "SELECT 1"));
	assert_false(pg_own_text_is("", ""));
	/* another backend's text of the same length and start */
	memcpy(shown, sql, 1023);
	shown[1023] = '\0';
	shown[500] = 'X';
	assert_false(pg_own_text_is(shown, sql));
}

static void test_sql(void **state)
{
	(void)state;
	assert_null(pg_sql_own(120000));
	assert_null(pg_sql_own(130000));
	for (int v = 140000; v <= 170000; v += 10000) {
		const char *sql = pg_sql_own(v);
		assert_non_null(sql);
		assert_non_null(strstr(sql, "a.usesysid, a.query_id, a.query, s.query_id"));
		assert_non_null(strstr(sql, "pg_stat_get_activity($1::int)"));
		assert_non_null(strstr(sql, "pg_stat_get_activity(pg_backend_pid())"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_bounded),
		cmocka_unit_test(test_text_is),
		cmocka_unit_test(test_sql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
