/*
 * test_pgbouncer.c -- the PgBouncer collector without a PgBouncer: the
 * samples made from SHOW results of the column sets of PgBouncer 1.16,
 * 1.18, 1.21, 1.23 and 1.24 (and one with a column no version has), built
 * with libpq's own PQsetvalue; a value that is not a number skips its row
 * and is counted; a column under its old and new name gives one series;
 * SHOW STATS_TOTALS (pgbouncer_stats_totals_*; SHOW STATS' columns give
 * nothing); SHOW CLIENTS counted by database, user, application name and
 * state (1.18's columns and rows as Debian's 1.18.0 gives them);
 * SHOW CONFIG of 3 and 4 columns; the utilization ratio; SHOW POOLS as
 * the pools view (maxwait in seconds, names cleaned, at most
 * DBVIEW_MAX_POOLS rows).
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

#include "dbview.h"
#include "exposition.h"
#include "metrics.h"
#include "pgb_show.h"
#include "pg_fixtures.h"

/* A text result with the given column names and rows (NULL: SQL NULL). */
static PGresult *result(int ncols, const char *const *names, int nrows, const char *const *cells)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc *attrs = calloc((size_t)ncols, sizeof(*attrs));
	for (int c = 0; c < ncols; c++) {
		attrs[c].name = (char *)(uintptr_t)names[c];
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

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static char *render(struct batch *b)
{
	struct expo_block *blk = expo_render(b);
	char *text = expo_block_text(blk, NULL);
	assert_non_null(text);
	expo_block_unref(blk);
	return text;
}

static void has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing '%s' in:\n%s", line, text);
}

static void lacks(const char *text, const char *what)
{
	if (strstr(text, what))
		fail_msg("unexpected '%s' in:\n%s", what, text);
}

/* ---- SHOW POOLS --------------------------------------------------------- */

static const char *const pools_116[] = {
	"database", "user", "cl_active", "cl_waiting", "cl_cancel_req", "sv_active", "sv_idle",
	"sv_used", "sv_tested", "sv_login", "maxwait", "maxwait_us", "pool_mode",
};
static const char *const pools_118[] = {
	"database", "user", "cl_active", "cl_waiting", "cl_active_cancel_req",
	"cl_waiting_cancel_req", "sv_active", "sv_active_cancel", "sv_being_canceled", "sv_idle",
	"sv_used", "sv_tested", "sv_login", "maxwait", "maxwait_us", "pool_mode",
};
/* 1.24: load_balance_hosts; and a column of the future */
static const char *const pools_future[] = {
	"database", "user", "cl_active", "cl_waiting", "cl_active_cancel_req",
	"cl_waiting_cancel_req", "sv_active", "sv_active_cancel", "sv_being_canceled", "sv_idle",
	"sv_used", "sv_tested", "sv_login", "maxwait", "maxwait_us", "pool_mode",
	"load_balance_hosts", "thread_id",
};

static void test_pools_116(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"app", "web", "2", "1", "3", "2", "0", "0", "0", "0", "4", "250000", "session",
	};
	struct batch *b = batch_new();
	struct pgb_info info = { 0 };
	PGresult *r = result(N(pools_116), pools_116, 1, rows);
	pgb_emit_pools(b, "pool", r, &info);
	PQclear(r);
	char *text = render(b);
	has(text, "pgbouncer_pools_client_active_connections{target=\"pool\",database=\"app\",user=\"web\"} 2\n");
	has(text, "pgbouncer_pools_client_waiting_connections{target=\"pool\",database=\"app\",user=\"web\"} 1\n");
	/* cl_cancel_req: cancellations not forwarded yet */
	has(text, "pgbouncer_pools_client_waiting_cancel_connections{target=\"pool\",database=\"app\",user=\"web\"} 3\n");
	lacks(text, "pgbouncer_pools_client_active_cancel_connections");
	lacks(text, "pgbouncer_pools_server_active_cancel_connections");
	has(text, "pgbouncer_pools_server_active_connections{target=\"pool\",database=\"app\",user=\"web\"} 2\n");
	has(text, "pgbouncer_pools_server_login_connections{target=\"pool\",database=\"app\",user=\"web\"} 0\n");
	/* maxwait + maxwait_us */
	has(text, "pgbouncer_pools_client_maxwait_seconds{target=\"pool\",database=\"app\",user=\"web\"} 4.25\n");
	lacks(text, "pool_mode");
	assert_int_equal(info.bad_rows, 0);
	free(text);
	batch_free(b);
}

static void check_pools_118(const char *const *names, int ncols, const char *const *rows)
{
	struct batch *b = batch_new();
	struct pgb_info info = { 0 };
	PGresult *r = result(ncols, names, 2, rows);
	pgb_emit_pools(b, "pool", r, &info);
	PQclear(r);
	char *text = render(b);
	static const char *const want[] = {
		"pgbouncer_pools_client_active_connections{target=\"pool\",database=\"app\",user=\"web\"} 2\n",
		"pgbouncer_pools_client_waiting_connections{target=\"pool\",database=\"app\",user=\"web\"} 1\n",
		"pgbouncer_pools_client_active_cancel_connections{target=\"pool\",database=\"app\",user=\"web\"} 5\n",
		"pgbouncer_pools_client_waiting_cancel_connections{target=\"pool\",database=\"app\",user=\"web\"} 6\n",
		"pgbouncer_pools_server_active_connections{target=\"pool\",database=\"app\",user=\"web\"} 2\n",
		"pgbouncer_pools_server_active_cancel_connections{target=\"pool\",database=\"app\",user=\"web\"} 7\n",
		"pgbouncer_pools_server_being_canceled_connections{target=\"pool\",database=\"app\",user=\"web\"} 8\n",
		"pgbouncer_pools_server_idle_connections{target=\"pool\",database=\"app\",user=\"web\"} 9\n",
		"pgbouncer_pools_server_used_connections{target=\"pool\",database=\"app\",user=\"web\"} 10\n",
		"pgbouncer_pools_server_testing_connections{target=\"pool\",database=\"app\",user=\"web\"} 11\n",
		"pgbouncer_pools_server_login_connections{target=\"pool\",database=\"app\",user=\"web\"} 12\n",
		"pgbouncer_pools_client_maxwait_seconds{target=\"pool\",database=\"app\",user=\"web\"} 0.000001\n",
		"pgbouncer_pools_client_maxwait_seconds{target=\"pool\",database=\"pgbouncer\",user=\"pgbouncer\"} 0\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		has(text, want[i]);
	lacks(text, "thread_id");
	lacks(text, "load_balance");
	assert_int_equal(info.bad_rows, 0);
	free(text);
	batch_free(b);
}

static void test_pools_118_to_123(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"app", "web", "2", "1", "5", "6", "2", "7", "8", "9", "10", "11", "12", "0", "1", "transaction",
		"pgbouncer", "pgbouncer", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "statement",
	};
	check_pools_118(pools_118, N(pools_118), rows);
}

static void test_pools_future(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"app", "web", "2", "1", "5", "6", "2", "7", "8", "9", "10", "11", "12", "0", "1", "transaction", NULL, "3",
		"pgbouncer", "pgbouncer", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "statement", NULL, "0",
	};
	check_pools_118(pools_future, N(pools_future), rows);
}

static void test_bad_row_skipped(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"app", "web", "2", "lots", "3", "2", "0", "0", "0", "0", "4", "250000", "session",
		"app", "batch", "1", "0", "0", "1", "0", "0", "0", "0", "0", "0", "session",
		"app", "odd", "1", "", "0", "1", "0", "0", "0", "0", "0", "0", "session",
	};
	struct batch *b = batch_new();
	struct pgb_info info = { 0 };
	PGresult *r = result(N(pools_116), pools_116, 3, rows);
	pgb_emit_pools(b, "pool", r, &info);
	PQclear(r);
	char *text = render(b);
	lacks(text, "user=\"web\"");
	lacks(text, "user=\"odd\"");
	has(text, "pgbouncer_pools_client_active_connections{target=\"pool\",database=\"app\",user=\"batch\"} 1\n");
	assert_int_equal(info.bad_rows, 2);
	free(text);
	batch_free(b);
}

/* ---- SHOW STATS_TOTALS -------------------------------------------------- */

/* 1.18's columns, as Debian's PgBouncer 1.18.0 answers (1.16 and 1.17 the same) */
static const char *const totals_118[] = {
	"database", "xact_count", "query_count", "bytes_received", "bytes_sent", "xact_time",
	"query_time", "wait_time",
};
/* 1.21 added the prepared statements' counts, 1.23 server_assignment_count */
static const char *const totals_121[] = {
	"database", "xact_count", "query_count", "bytes_received", "bytes_sent", "xact_time",
	"query_time", "wait_time", "client_parse_count", "server_parse_count", "bind_count",
};
static const char *const totals_123[] = {
	"database", "server_assignment_count", "xact_count", "query_count", "bytes_received",
	"bytes_sent", "xact_time", "query_time", "wait_time", "client_parse_count",
	"server_parse_count", "bind_count",
};
/* SHOW STATS' columns: not SHOW STATS_TOTALS', nothing is read */
static const char *const stats_118[] = {
	"database", "total_xact_count", "total_query_count", "total_received", "total_sent",
	"total_xact_time", "total_query_time", "total_wait_time", "avg_xact_count",
	"avg_query_count", "avg_recv", "avg_sent", "avg_xact_time", "avg_query_time",
	"avg_wait_time",
};

static const char *const totals_common[] = {
	"pgbouncer_stats_totals_sql_transactions_pooled_total{target=\"pool\",database=\"app\"} 10\n",
	"pgbouncer_stats_totals_queries_pooled_total{target=\"pool\",database=\"app\"} 20\n",
	"pgbouncer_stats_totals_received_bytes_total{target=\"pool\",database=\"app\"} 3000\n",
	"pgbouncer_stats_totals_sent_bytes_total{target=\"pool\",database=\"app\"} 4000\n",
	"pgbouncer_stats_totals_server_in_transaction_seconds_total{target=\"pool\",database=\"app\"} 1.5\n",
	"pgbouncer_stats_totals_queries_duration_seconds_total{target=\"pool\",database=\"app\"} 0.25\n",
	"pgbouncer_stats_totals_client_wait_seconds_total{target=\"pool\",database=\"app\"} 12\n",
	"# TYPE pgbouncer_stats_totals_queries_pooled_total counter\n",
};

static char *emit_totals(const char *const *names, int ncols, const char *const *rows)
{
	struct batch *b = batch_new();
	struct pgb_info info = { 0 };
	PGresult *r = result(ncols, names, 1, rows);
	pgb_emit_stats_totals(b, "pool", r, &info);
	PQclear(r);
	char *text = render(b);
	batch_free(b);
	for (size_t i = 0; i < sizeof(totals_common) / sizeof(totals_common[0]); i++)
		has(text, totals_common[i]);
	lacks(text, "pgbouncer_stats_queries");
	assert_int_equal(info.bad_rows, 0);
	return text;
}

static void test_stats_totals(void **state)
{
	(void)state;
	static const char *const r118[] = {
		"app", "10", "20", "3000", "4000", "1500000", "250000", "12000000",
	};
	static const char *const r121[] = {
		"app", "10", "20", "3000", "4000", "1500000", "250000", "12000000", "44", "55", "66",
	};
	static const char *const r123[] = {
		"app", "33", "10", "20", "3000", "4000", "1500000", "250000", "12000000", "44", "55", "66",
	};
	char *text = emit_totals(totals_118, N(totals_118), r118);
	lacks(text, "server_assignments");
	lacks(text, "parses");
	free(text);
	text = emit_totals(totals_121, N(totals_121), r121);
	has(text, "pgbouncer_stats_totals_client_parses_total{target=\"pool\",database=\"app\"} 44\n");
	has(text, "pgbouncer_stats_totals_server_parses_total{target=\"pool\",database=\"app\"} 55\n");
	has(text, "pgbouncer_stats_totals_binds_total{target=\"pool\",database=\"app\"} 66\n");
	lacks(text, "server_assignments");
	free(text);
	text = emit_totals(totals_123, N(totals_123), r123);
	has(text, "pgbouncer_stats_totals_server_assignments_total{target=\"pool\",database=\"app\"} 33\n");
	free(text);

	/* SHOW STATS' columns are not read */
	static const char *const r[] = {
		"app", "10", "20", "3000", "4000", "1500000", "250000", "12000000",
		"1", "2", "3", "4", "5", "6", "7",
	};
	struct batch *b = batch_new();
	struct pgb_info info = { 0 };
	PGresult *res = result(N(stats_118), stats_118, 1, r);
	pgb_emit_stats_totals(b, "pool", res, &info);
	PQclear(res);
	assert_int_equal(b->nsamples, 0);
	batch_free(b);
}

/* ---- SHOW CLIENTS ------------------------------------------------------- */

/* PgBouncer 1.18's columns (Debian's 1.18.0) */
static const char *const clients_118[] = {
	"type", "user", "database", "state", "addr", "port", "local_addr", "local_port",
	"connect_time", "request_time", "wait", "wait_us", "close_needed", "ptr", "link",
	"remote_pid", "tls", "application_name",
};

static void test_clients(void **state)
{
	(void)state;
	/* rows as 1.18 gave them, two psql on app, the console's own, a
	 * waiting one, one with an application name that is not UTF-8 */
	static const char *const rows[] = {
		"C", "dbpulse", "app", "active", "127.0.0.1", "40862", "127.0.0.1", "25081",
		"2026-12-05 14:55:23 UTC", "2026-12-05 14:55:23 UTC", "0", "504260", "0",
		"0x55faa55909b0", "0x55faa559bdd0", "0", NULL, "psql",
		"C", "pgbadmin", "pgbouncer", "active", "127.0.0.1", "40876", "127.0.0.1", "25081",
		"2026-12-05 14:55:24 UTC", "2026-12-05 14:55:24 UTC", "0", "0", "0",
		"0x55faa5590c10", NULL, "0", NULL, "psql",
		"C", "dbpulse", "app", "active", "127.0.0.1", "40870", "127.0.0.1", "25081",
		"2026-12-05 14:55:23 UTC", "2026-12-05 14:55:23 UTC", "0", "0", "0",
		"0x55faa5590d10", "0x55faa559be00", "0", NULL, "psql",
		"C", "dbpulse", "app", "waiting", "127.0.0.1", "40880", "127.0.0.1", "25081",
		"2026-12-05 14:55:25 UTC", "2026-12-05 14:55:25 UTC", "1", "5", "0",
		"0x55faa5590e10", NULL, "0", NULL, "",
		"C", "dbpulse", "app", "active", "127.0.0.1", "40890", "127.0.0.1", "25081",
		"2026-12-05 14:55:25 UTC", "2026-12-05 14:55:25 UTC", "0", "0", "0",
		"0x55faa5590f10", NULL, "0", NULL, "caf\xe9",
	};
	struct batch *b = batch_new();
	struct pgb_info info = { 0 };
	PGresult *r = result(N(clients_118), clients_118, 5, rows);
	pgb_emit_clients(b, "pool", r, &info);
	PQclear(r);
	char *text = render(b);
	has(text, "# TYPE pgbouncer_client_connections gauge\n");
	has(text, "pgbouncer_client_connections{target=\"pool\",database=\"app\",user=\"dbpulse\","
		  "application_name=\"psql\",state=\"active\"} 2\n");
	has(text, "pgbouncer_client_connections{target=\"pool\",database=\"pgbouncer\","
		  "user=\"pgbadmin\",application_name=\"psql\",state=\"active\"} 1\n");
	has(text, "pgbouncer_client_connections{target=\"pool\",database=\"app\",user=\"dbpulse\","
		  "application_name=\"\",state=\"waiting\"} 1\n");
	has(text, "pgbouncer_client_connections{target=\"pool\",database=\"app\",user=\"dbpulse\","
		  "application_name=\"<invalid>\",state=\"active\"} 1\n");
	assert_int_equal(b->nsamples, 4);
	free(text);
	batch_free(b);

	/* no application_name column: ""; no state column: nothing */
	static const char *const old[] = { "type", "user", "database", "state" };
	static const char *const old_rows[] = { "C", "u", "d", "active", "C", "u", "d", "active" };
	b = batch_new();
	r = result(N(old), old, 2, old_rows);
	pgb_emit_clients(b, "pool", r, &info);
	PQclear(r);
	text = render(b);
	has(text, "pgbouncer_client_connections{target=\"pool\",database=\"d\",user=\"u\","
		  "application_name=\"\",state=\"active\"} 2\n");
	free(text);
	batch_reset(b);
	static const char *const nostate[] = { "type", "user", "database" };
	r = result(N(nostate), nostate, 2, old_rows);
	pgb_emit_clients(b, "pool", r, &info);
	PQclear(r);
	assert_int_equal(b->nsamples, 0);
	/* no rows */
	r = result(N(clients_118), clients_118, 0, rows);
	pgb_emit_clients(b, "pool", r, &info);
	PQclear(r);
	assert_int_equal(b->nsamples, 0);
	assert_int_equal(info.bad_rows, 0);
	batch_free(b);
}

/* ---- SHOW DATABASES ----------------------------------------------------- */

static void test_databases(void **state)
{
	(void)state;
	static const char *const db_121[] = {
		"name", "host", "port", "database", "force_user", "pool_size", "min_pool_size",
		"reserve_pool", "pool_mode", "max_connections", "current_connections", "paused",
		"disabled",
	};
	static const char *const db_123[] = {
		"name", "host", "port", "database", "force_user", "pool_size", "min_pool_size",
		"reserve_pool", "server_lifetime", "pool_mode", "max_connections",
		"current_connections", "paused", "disabled",
	};
	static const char *const db_124[] = {
		"name", "host", "port", "database", "force_user", "pool_size", "min_pool_size",
		"reserve_pool_size", "server_lifetime", "pool_mode", "load_balance_hosts",
		"max_connections", "current_connections", "max_client_connections",
		"current_client_connections", "paused", "disabled",
	};
	static const char *const r121[] = {
		"app", "127.0.0.1", "5432", "appdb", NULL, "2", "0", "1", "transaction", "0", "2", "0", "0",
		"pgbouncer", NULL, "6432", "pgbouncer", "pgbouncer", "2", "0", "0", "statement", "0", "0", "0", "0",
	};
	static const char *const r123[] = {
		"app", "127.0.0.1", "5432", "appdb", NULL, "2", "0", "1", "3600", "transaction", "0", "2", "0", "0",
		"pgbouncer", NULL, "6432", "pgbouncer", "pgbouncer", "2", "0", "0", "0", "statement", "0", "0", "0", "0",
	};
	static const char *const r124[] = {
		"app", "127.0.0.1", "5432", "appdb", NULL, "2", "0", "1", "3600", "transaction", NULL, "0", "2", "0", "0", "0", "0",
		"pgbouncer", NULL, "6432", "pgbouncer", "pgbouncer", "2", "0", "0", "0", "statement", NULL, "0", "0", "0", "0", "0", "0",
	};
	struct { const char *const *names; int ncols; const char *const *rows; } cases[] = {
		{ db_121, N(db_121), r121 }, { db_123, N(db_123), r123 }, { db_124, N(db_124), r124 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct batch *b = batch_new();
		struct pgb_info info = { 0 };
		PGresult *r = result(cases[i].ncols, cases[i].names, 2, cases[i].rows);
		pgb_emit_databases(b, "pool", r, &info);
		PQclear(r);
		char *text = render(b);
		const char *l = "{target=\"pool\",name=\"app\",host=\"127.0.0.1\",port=\"5432\","
				"database=\"appdb\",force_user=\"\",pool_mode=\"transaction\"}";
		char line[512];
		static const char *const want[][2] = {
			{ "pool_size", "2" }, { "reserve_pool", "1" }, { "max_connections", "0" },
			{ "current_connections", "2" }, { "paused", "0" }, { "disabled", "0" },
		};
		for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
			snprintf(line, sizeof(line), "pgbouncer_databases_%s%s %s\n", want[w][0], l, want[w][1]);
			has(text, line);
		}
		has(text, "pgbouncer_databases_pool_size{target=\"pool\",name=\"pgbouncer\",host=\"\",port=\"6432\",database=\"pgbouncer\",force_user=\"pgbouncer\",pool_mode=\"statement\"} 2\n");
		lacks(text, "lifetime");
		lacks(text, "min_pool");
		free(text);
		batch_free(b);
	}
}

/* Both names of a renamed column in one result: one series, not two. */
static void test_renamed_column_once(void **state)
{
	(void)state;
	static const char *const names[] = { "name", "reserve_pool", "reserve_pool_size" };
	static const char *const rows[] = { "app", "1", "5" };
	struct batch *b = batch_new();
	struct pgb_info info = { 0 };
	PGresult *r = result(3, names, 1, rows);
	pgb_emit_databases(b, "pool", r, &info);
	PQclear(r);
	assert_int_equal(b->nsamples, 1);
	char *text = render(b);
	has(text, "pgbouncer_databases_reserve_pool{target=\"pool\",name=\"app\",host=\"\",port=\"\",database=\"\",force_user=\"\",pool_mode=\"\"} 1\n");
	free(text);
	batch_free(b);
}

/* ---- SHOW LISTS, CONFIG, VERSION; the ratio ------------------------------ */

static void test_lists_config_version(void **state)
{
	(void)state;
	static const char *const lists_names[] = { "list", "items" };
	static const char *const lists[] = {
		"databases", "2", "users", "1", "peers", "0", "pools", "2", "peer_pools", "0",
		"free_clients", "45", "used_clients", "5", "login_clients", "0", "free_servers", "48",
		"used_servers", "2", "dns_names", "0", "dns_zones", "0", "dns_queries", "-3",
		"dns_pending", "0",
	};
	static const char *const cfg3_names[] = { "key", "value", "changeable" };
	static const char *const cfg3[] = {
		"max_client_conn", "20", "yes", "default_pool_size", "2", "yes",
		"max_user_connections", "0", "yes", "listen_addr", "127.0.0.1", "no",
	};
	static const char *const cfg4_names[] = { "key", "value", "default", "changeable" };
	static const char *const cfg4[] = {
		"listen_addr", "127.0.0.1", "", "no", "max_client_conn", "20", "100", "yes",
		"default_pool_size", "2", "20", "yes", "max_user_connections", "0", "0", "yes",
	};
	static const char *const version_names[] = { "version" };
	static const char *const version[] = { "PgBouncer 1.18.0" };
	struct { const char *const *names; int ncols; const char *const *rows; } cfgs[] = {
		{ cfg3_names, 3, cfg3 }, { cfg4_names, 4, cfg4 },
	};
	for (size_t i = 0; i < 2; i++) {
		struct batch *b = batch_new();
		struct pgb_info info = { 0 };
		PGresult *r = result(2, lists_names, N(lists) / 2, lists);
		pgb_emit_lists(b, "pool", r, &info);
		PQclear(r);
		r = result(cfgs[i].ncols, cfgs[i].names, 4, cfgs[i].rows);
		pgb_emit_config(b, "pool", r, &info);
		PQclear(r);
		r = result(1, version_names, 1, version);
		pgb_emit_version(b, "pool", r, &info);
		PQclear(r);
		pgb_emit_utilization(b, "pool", &info);
		char *text = render(b);
		has(text, "pgbouncer_databases{target=\"pool\"} 2\n");
		has(text, "pgbouncer_pools{target=\"pool\"} 2\n");
		has(text, "pgbouncer_used_clients{target=\"pool\"} 5\n");
		has(text, "pgbouncer_free_servers{target=\"pool\"} 48\n");
		has(text, "pgbouncer_in_flight_dns_queries{target=\"pool\"} -3\n");
		has(text, "pgbouncer_cached_dns_zones{target=\"pool\"} 0\n");
		lacks(text, "peer");
		lacks(text, "pending");
		has(text, "pgbouncer_config_max_client_connections{target=\"pool\"} 20\n");
		has(text, "pgbouncer_config_max_user_connections{target=\"pool\"} 0\n");
		has(text, "pgbouncer_config_default_pool_size{target=\"pool\"} 2\n");
		lacks(text, "listen_addr");
		has(text, "pgbouncer_version_info{target=\"pool\",version=\"PgBouncer 1.18.0\"} 1\n");
		has(text, "pgbouncer_client_connections_utilization_ratio{target=\"pool\"} 0.25\n");
		free(text);
		batch_free(b);
	}
}

static void test_no_ratio_without_config(void **state)
{
	(void)state;
	static const char *const names[] = { "key", "value", "changeable" };
	static const char *const bad[] = { "max_client_conn", "many", "yes" };
	struct batch *b = batch_new();
	struct pgb_info info = { .have_used_clients = 1, .used_clients = 3 };
	PGresult *r = result(3, names, 1, bad);
	pgb_emit_config(b, "pool", r, &info);
	PQclear(r);
	pgb_emit_utilization(b, "pool", &info);
	assert_int_equal(info.bad_rows, 1);
	assert_int_equal(b->nsamples, 0);
	batch_free(b);
}

/* ---- SHOW POOLS as the pools view --------------------------------------- */

static void test_pools_view(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"app", "web", "2", "1", "3", "2", "0", "1", "0", "0", "4", "250000", "session",
		"b\xff</td>", NULL, "1", "0", "0", "0", "3", "0", "0", "0", "0", "0", NULL,
		"bad", "web", "x", "0", "0", "0", "0", "0", "0", "0", "0", "0", "session",
	};
	PGresult *r = result(N(pools_116), pools_116, 3, rows);
	struct pools_view *v = pools_view_new();
	pgb_pools_fill(v, r);
	PQclear(r);
	assert_true(v->has_pools);
	assert_int_equal(v->npools, 2);    /* the row with "x" is left out */
	assert_int_equal(v->pools_cut, 0);
	const struct pool_stat *p = &v->pools[0];
	assert_string_equal(p->database, "app");
	assert_string_equal(p->user, "web");
	assert_string_equal(p->pool_mode, "session");
	assert_true(p->cl_active == 2 && p->cl_waiting == 1 && p->sv_active == 2);
	assert_true(p->sv_idle == 0 && p->sv_used == 1);
	assert_true(p->maxwait == 4.25);
	p = &v->pools[1];
	assert_string_equal(p->database, "b\xef\xbf\xbd</td>");
	assert_string_equal(p->user, "");
	assert_null(p->pool_mode);
	assert_true(p->sv_idle == 3);
	pools_view_free(v);
}

static void test_pools_view_cut(void **state)
{
	(void)state;
	enum { NROWS = DBVIEW_MAX_POOLS + 20, NCOLS = 13 };
	const char **cells = calloc((size_t)NROWS * NCOLS, sizeof(*cells));
	for (int i = 0; i < NROWS * NCOLS; i++)
		cells[i] = (i % NCOLS) < 2 || (i % NCOLS) == 12 ? "db" : "0";
	PGresult *r = result(N(pools_116), pools_116, NROWS, cells);
	free(cells);
	struct pools_view *v = pools_view_new();
	pgb_pools_fill(v, r);
	PQclear(r);
	assert_int_equal(v->npools, DBVIEW_MAX_POOLS);
	assert_int_equal(v->pools_cut, 20);
	pools_view_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pools_116),
		cmocka_unit_test(test_pools_118_to_123),
		cmocka_unit_test(test_pools_future),
		cmocka_unit_test(test_bad_row_skipped),
		cmocka_unit_test(test_stats_totals),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_databases),
		cmocka_unit_test(test_renamed_column_once),
		cmocka_unit_test(test_lists_config_version),
		cmocka_unit_test(test_no_ratio_without_config),
		cmocka_unit_test(test_pools_view),
		cmocka_unit_test(test_pools_view_cut),
	};
	return cmocka_run_group_tests(tests, load_libpq, NULL);
}
