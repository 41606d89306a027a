/*
 * test_pg_advice_sql.c -- the optimization advisor's SQL without a server:
 * every version from 12 to 18 has every query; each query uses exactly the
 * parameters its header documents ($1 .. $n, none missing, none more);
 * only the pgstattuple query holds the "%s" the caller puts the schema in;
 * the quotes and parentheses of each balance (a slip in the C string
 * concatenation shows here before a server sees it); every finding query
 * names its kinds and the needs_privilege row where the header says.  What
 * the queries find is checked against a real server with
 * tests/integration/advice_fixture.sql.
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

#include "pg_advice_sql.h"

struct query {
	const char *name;
	const char *(*sql)(int version);
	int params;             /* the highest $n */
	const char *kinds[3];   /* literals the query must hold */
};

static const struct query queries[] = {
	{ "stats_age", pg_advice_sql_stats_age, 0, { "'postmaster_start'", "'stats_reset'" } },
	{ "extensions", pg_advice_sql_extensions, 0, { "pg_extension" } },
	{ "unused_index", pg_advice_sql_unused_index, 1, { "'unused_index'" } },
	{ "duplicate_index", pg_advice_sql_duplicate_index, 0,
	  { "'duplicate_index'", "'redundant_index'" } },
	{ "invalid_index", pg_advice_sql_invalid_index, 0, { "'invalid_index'" } },
	{ "fk_without_index", pg_advice_sql_fk_without_index, 0, { "'fk_without_index'" } },
	{ "seq_scan_counters", pg_advice_sql_seq_scan_counters, 1, { "seq_tup_read" } },
	{ "table_bloat", pg_advice_sql_table_bloat, 2, { "'table_bloat'", "'needs_privilege'", "'estimate'" } },
	{ "index_bloat", pg_advice_sql_index_bloat, 2, { "'index_bloat'", "'needs_privilege'", "'estimate'" } },
	{ "table_bloat_pgstattuple", pg_advice_sql_table_bloat_pgstattuple, 2,
	  { "'table_bloat'", "'pgstattuple_approx'", "%s.pgstattuple_approx(" } },
	{ "wraparound", pg_advice_sql_wraparound, 1, { "'wraparound'" } },
	{ "sequence_exhaustion", pg_advice_sql_sequence_exhaustion, 2,
	  { "'sequence_exhaustion'", "'needs_privilege'" } },
};

/* The highest $n in sql, 0 when none; every $1 .. $n must be there. */
static int highest_param(const char *name, const char *sql)
{
	int seen[10] = { 0 }, high = 0;
	for (const char *p = sql; (p = strchr(p, '$')); p++) {
		if (p[1] < '1' || p[1] > '9')
			continue;
		int n = p[1] - '0';
		seen[n] = 1;
		if (n > high)
			high = n;
	}
	for (int n = 1; n <= high; n++)
		if (!seen[n])
			fail_msg("%s: has $%d but not $%d", name, high, n);
	return high;
}

/* Quotes (', ") balance, and parentheses outside them. */
static void balanced(const char *name, const char *sql)
{
	int depth = 0;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;   /* a doubled quote closes and opens again */
			continue;
		}
		if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			fail_msg("%s: a ')' closes nothing at offset %td", name, p - sql);
	}
	if (quote)
		fail_msg("%s: a %c quote is not closed", name, quote);
	if (depth)
		fail_msg("%s: %d parentheses are not closed", name, depth);
}

static void test_queries(void **state)
{
	(void)state;
	for (int v = 120000; v <= 180000; v += 10000)
		for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
			const struct query *q = &queries[i];
			const char *sql = q->sql(v);
			if (!sql) {
				fail_msg("%s: NULL for %d", q->name, v);
				return;
			}
			assert_int_equal(highest_param(q->name, sql), q->params);
			balanced(q->name, sql);
			const char *s = strstr(sql, "%s");
			if (q->sql == pg_advice_sql_table_bloat_pgstattuple) {
				if (!s) {
					fail_msg("%s: no %%s for the schema", q->name);
					return;
				}
				assert_null(strstr(s + 2, "%s"));
			} else if (s) {
				fail_msg("%s: holds a %%s", q->name);
			}
			for (size_t k = 0; k < 3 && q->kinds[k]; k++)
				if (!strstr(sql, q->kinds[k]))
					fail_msg("%s (%d): lacks %s", q->name, v, q->kinds[k]);
			/* nothing that writes */
			assert_null(strstr(sql, "INSERT "));
			assert_null(strstr(sql, "UPDATE "));
			assert_null(strstr(sql, "DELETE "));
		}
}

/* The finding queries build their evidence as the header promises:
 * jsonb_build_object(...)::text. */
static void test_evidence_is_json(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		const struct query *q = &queries[i];
		if (q->kinds[0][0] != '\'' || q->sql == pg_advice_sql_stats_age)
			continue;
		const char *sql = q->sql(150000);
		const char *j = sql ? strstr(sql, "jsonb_build_object(") : NULL;
		if (!j) {
			fail_msg("%s: no jsonb_build_object", q->name);
			return;
		}
		assert_non_null(strstr(j, ")::text"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_evidence_is_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
