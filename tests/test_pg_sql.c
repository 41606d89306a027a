/*
 * test_pg_sql.c -- the PostgreSQL collector without a server: which SQL is
 * chosen for versions 12 to 17 (column renames in 13 and 17,
 * pg_stat_statements_info and pg_stat_wal in 14, reserved_connections in
 * 16, pg_stat_checkpointer in 17), and the samples made from results
 * built with libpq's own PQsetvalue (the connection ratio, the honest
 * standby lag, NULL cells).
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

#include "exposition.h"
#include "metrics.h"
#include "pg_health.h"
#include "pg_sql.h"

struct expect {
	int version;
	const char *(*sql)(int version);
	const char *has;     /* NULL: the function returns NULL */
	const char *lacks;
};

/* The queries every supported version has. */
typedef const char *(*sql_for_version)(int);
static const sql_for_version always[] = {
	pg_sql_server, pg_sql_stat_database, pg_sql_database_size, pg_sql_wraparound,
	pg_sql_activity, pg_sql_sessions, pg_sql_locks, pg_sql_replication, pg_sql_standby,
	pg_sql_slots, pg_sql_archiver, pg_sql_bgwriter, pg_sql_tables, pg_sql_table_sizes,
	pg_sql_pgss_installed, pg_sql_pgss, pg_sql_pgss_texts, pg_sql_names,
};

static void test_versions(void **state)
{
	static const struct expect cases[] = {
		{ 120000, pg_sql_pgss, "total_time", "total_exec_time" },
		{ 130000, pg_sql_pgss, "total_exec_time, total_plan_time", "shared_blk_read_time" },
		{ 160000, pg_sql_pgss, "blk_read_time", "shared_blk_read_time" },
		{ 170000, pg_sql_pgss, "shared_blk_read_time + local_blk_read_time", " blk_read_time," },
		{ 120000, pg_sql_pgss, "pg_stat_statements(false)", NULL },
		{ 170000, pg_sql_pgss, "pg_stat_statements(false)", "query," },
		{ 130000, pg_sql_pgss_info, NULL, NULL },
		{ 140000, pg_sql_pgss_info, "pg_stat_statements_info", NULL },
		{ 130000, pg_sql_wal, NULL, NULL },
		{ 140000, pg_sql_wal, "FROM pg_stat_wal", NULL },
		{ 170000, pg_sql_wal, "wal_fpi", NULL },
		{ 150000, pg_sql_server, "superuser_reserved_connections')::int, 0", "'reserved_connections'" },
		{ 160000, pg_sql_server, "current_setting('reserved_connections')", NULL },
		{ 160000, pg_sql_bgwriter, "checkpoints_timed", "pg_stat_checkpointer" },
		{ 170000, pg_sql_bgwriter, "pg_stat_checkpointer", "checkpoints_timed" },
		{ 120000, pg_sql_replication, "replay_lag", NULL },
		{ 120000, pg_sql_tables, "LIMIT $1::int", NULL },
		{ 120000, pg_sql_pgss_texts, "pg_stat_statements(true) WHERE queryid = ANY($1::bigint[])", NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *sql = cases[i].sql(cases[i].version);
		if (!cases[i].has) {
			assert_null(sql);
			continue;
		}
		assert_non_null(sql);
		if (!strstr(sql, cases[i].has))
			fail_msg("case %zu (%d): '%s' lacks '%s'", i, cases[i].version, sql, cases[i].has);
		if (cases[i].lacks && strstr(sql, cases[i].lacks))
			fail_msg("case %zu (%d): '%s' has '%s'", i, cases[i].version, sql, cases[i].lacks);
	}
	/* every version from 12 to 17 has every query but those that came later */
	for (int v = 120000; v <= 170000; v += 10000) {
		for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
			assert_non_null(always[i](v));
		assert_true((pg_sql_wal(v) != NULL) == (v >= 140000));
		assert_true((pg_sql_pgss_info(v) != NULL) == (v >= 140000));
	}
}

/* A result of text cells; NULL cells stay SQL NULL. */
static PGresult *result(int ncols, int nrows, const char *const *cells)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc *attrs = calloc((size_t)ncols, sizeof(*attrs));
	char names[16][8];
	for (int c = 0; c < ncols; c++) {
		snprintf(names[c], sizeof(names[c]), "c%d", c);
		attrs[c].name = names[c];
		attrs[c].format = 0;
		attrs[c].typid = 25;
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	assert_true(PQsetResultAttrs(r, ncols, attrs));
	free(attrs);
	for (int row = 0; row < nrows; row++)
		for (int c = 0; c < ncols; c++) {
			const char *v = cells[row * ncols + c];
			assert_true(PQsetvalue(r, row, c, (char *)(uintptr_t)v, v ? (int)strlen(v) : -1));
		}
	return r;
}

static char *render(struct batch *b)
{
	struct expo_block *blk = expo_render(b);
	char *text = strdup(blk->text);
	expo_block_unref(blk);
	return text;
}

static void test_activity_and_ratio(void **state)
{
	(void)state;
	static const char *const server[] = { "150004", "15.4", "1700000000.5", "f", "100", "3", "0" };
	static const char *const activity[] = {
		"app", "active", "3", "12.5", "2.5", "1",
		"app", "idle", "5", "0", "0", "0",
		"postgres", "active", "1", "0.1", "0.1", "0",
	};
	struct batch *b = batch_new();
	struct pg_server_info info = { 0 };
	PGresult *r = result(7, 1, server);
	pg_emit_server(b, "main", r, &info);
	PQclear(r);
	assert_int_equal(info.version_num, 150004);
	r = result(6, 3, activity);
	pg_emit_activity(b, "main", r, &info);
	PQclear(r);
	char *text = render(b);
	/* 9 clients of 100 - 3 reserved */
	assert_non_null(strstr(text, "pg_connections_utilization_ratio{target=\"main\"} 0.092783505154639179\n"));
	assert_non_null(strstr(text, "pg_stat_activity_connections{target=\"main\",datname=\"app\",state=\"idle\"} 5\n"));
	assert_non_null(strstr(text, "pg_stat_activity_max_query_duration_seconds{target=\"main\",datname=\"app\"} 2.5\n"));
	assert_non_null(strstr(text, "pg_stat_activity_lock_waiters{target=\"main\",datname=\"app\"} 1\n"));
	assert_non_null(strstr(text, "pg_stat_activity_lock_waiters{target=\"main\",datname=\"postgres\"} 0\n"));
	assert_non_null(strstr(text, "pg_version_info{target=\"main\",version=\"15.4\",short_version=\"15.4\"} 1\n"));
	free(text);
	batch_free(b);
}

static void test_standby_lag(void **state)
{
	(void)state;
	/* replay behind what was received: the lag is the replay age */
	static const char *const behind[] = { "f", "42.5", "streaming", "0.2" };
	/* caught up with everything received (a quiet primary): no lag, even
	 * though the last replayed transaction is old */
	static const char *const idle[] = { "t", "900", "streaming", "0.5" };
	/* the receiver stopped: not streaming, old last message */
	static const char *const stuck[] = { "t", "900", NULL, NULL };
	struct { const char *const *cells; const char *lag, *streaming; } cases[] = {
		{ behind, "pg_replication_lag_seconds{target=\"s\"} 42.5\n", "pg_stat_wal_receiver_streaming{target=\"s\"} 1\n" },
		{ idle, "pg_replication_lag_seconds{target=\"s\"} 0\n", "pg_stat_wal_receiver_streaming{target=\"s\"} 1\n" },
		{ stuck, "pg_replication_lag_seconds{target=\"s\"} 0\n", "pg_stat_wal_receiver_streaming{target=\"s\"} 0\n" },
	};
	for (size_t i = 0; i < 3; i++) {
		struct batch *b = batch_new();
		PGresult *r = result(4, 1, cases[i].cells);
		pg_emit_standby(b, "s", r);
		PQclear(r);
		char *text = render(b);
		assert_non_null(strstr(text, cases[i].lag));
		assert_non_null(strstr(text, cases[i].streaming));
		assert_non_null(strstr(text, "pg_replication_last_replay_age_seconds{target=\"s\"}"));
		free(text);
		batch_free(b);
	}
	/* a primary: no row, no standby metrics */
	struct batch *b = batch_new();
	PGresult *r = result(4, 0, NULL);
	pg_emit_standby(b, "p", r);
	PQclear(r);
	assert_int_equal(b->nsamples, 0);
	batch_free(b);
}

static void test_null_cells(void **state)
{
	(void)state;
	/* a standby that is idle: lag columns NULL mean 0; no replay bytes */
	static const char *const repl[] = { "walreceiver", "10.0.0.2", "streaming", "async",
					    NULL, NULL, NULL, NULL };
	static const char *const archiver[] = { "0", "0", NULL, NULL };
	struct batch *b = batch_new();
	PGresult *r = result(8, 1, repl);
	pg_emit_replication(b, "m", r);
	PQclear(r);
	r = result(4, 1, archiver);
	pg_emit_archiver(b, "m", r);
	PQclear(r);
	char *text = render(b);
	assert_non_null(strstr(text, "pg_stat_replication_replay_lag_seconds{target=\"m\",application_name=\"walreceiver\",client_addr=\"10.0.0.2\"} 0\n"));
	assert_null(strstr(text, "pg_stat_replication_replay_lag_bytes"));
	assert_non_null(strstr(text, "pg_stat_archiver_archived_total{target=\"m\"} 0\n"));
	assert_null(strstr(text, "pg_stat_archiver_last_archive_age_seconds"));
	free(text);
	batch_free(b);
}

static int load_libpq(void **state)
{
	char err[256];
	(void)state;
	if (pg_libpq_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_activity_and_ratio),
		cmocka_unit_test(test_standby_lag),
		cmocka_unit_test(test_null_cells),
	};
	return cmocka_run_group_tests(tests, load_libpq, NULL);
}
