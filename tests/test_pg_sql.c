/*
 * test_pg_sql.c -- the PostgreSQL collector without a server: which SQL is
 * chosen for versions 12 to 17 (column renames in 13 and 17,
 * pg_stat_statements_info, pg_stat_wal and active_time in 14,
 * reserved_connections in 16, pg_stat_checkpointer in 17), and the
 * samples, named as postgres_exporter 0.20.1 names them, made from the
 * rows a real PostgreSQL 15 primary and standby returned
 * (tests/data/pg/NAME.tsv, loaded into results with libpq's own PQsetvalue):
 * every family, label and unit; empty and short results; the settings'
 * name mangling and unit conversion against postgres_exporter's own test
 * cases.
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
#include "pg_fixtures.h"

struct expect {
	int version;
	const char *(*sql)(int version);
	const char *has;     /* NULL: the function returns NULL */
	const char *lacks;
};

/* The queries every supported version has. */
typedef const char *(*sql_for_version)(int);
static const sql_for_version always[] = {
	pg_sql_server, pg_sql_stat_database, pg_sql_conflicts, pg_sql_database,
	pg_sql_database_size, pg_sql_roles, pg_sql_activity, pg_sql_sessions, pg_sql_locks,
	pg_sql_replication, pg_sql_standby, pg_sql_wal_receiver, pg_sql_slots, pg_sql_archiver,
	pg_sql_wal_dir, pg_sql_bgwriter, pg_sql_tables, pg_sql_table_sizes, pg_sql_progress_vacuum,
	pg_sql_settings, pg_sql_pgss_installed, pg_sql_pgss, pg_sql_pgss_select, pg_sql_pgss_texts,
	pg_sql_names,
};

static void test_versions(void **state)
{
	static const struct expect cases[] = {
		{ 120000, pg_sql_pgss, "total_time", "total_exec_time" },
		{ 130000, pg_sql_pgss, "total_exec_time::float8, total_plan_time", "shared_blk_read_time" },
		{ 160000, pg_sql_pgss, "blk_read_time", "shared_blk_read_time" },
		{ 170000, pg_sql_pgss, "(shared_blk_read_time + local_blk_read_time)::float8", " blk_read_time" },
		{ 120000, pg_sql_pgss, "pg_stat_statements(false)", NULL },
		{ 170000, pg_sql_pgss, "pg_stat_statements(false)", "query," },
		{ 150000, pg_sql_pgss, "COPY (SELECT dbid, userid, queryid, calls::float8,", NULL },
		{ 150000, pg_sql_pgss, ") TO STDOUT (FORMAT binary)", NULL },
		{ 150000, pg_sql_pgss_select, "SELECT dbid, userid, queryid, calls::float8,", "COPY" },
		{ 130000, pg_sql_pgss_info, NULL, NULL },
		{ 140000, pg_sql_pgss_info, "pg_stat_statements_info", NULL },
		{ 130000, pg_sql_wal, NULL, NULL },
		{ 140000, pg_sql_wal, "FROM pg_stat_wal", NULL },
		{ 170000, pg_sql_wal, "wal_fpi", NULL },
		{ 150000, pg_sql_server, "superuser_reserved_connections')::int, 0", "'reserved_connections'" },
		{ 160000, pg_sql_server, "current_setting('reserved_connections')", NULL },
		{ 160000, pg_sql_bgwriter, "checkpoints_timed", "NULL" },
		{ 170000, pg_sql_bgwriter, "buffers_clean", "checkpoints_timed" },
		{ 160000, pg_sql_checkpointer, NULL, NULL },
		{ 170000, pg_sql_checkpointer, "FROM pg_stat_checkpointer", NULL },
		{ 130000, pg_sql_stat_database, "NULL::float8", "active_time" },
		{ 140000, pg_sql_stat_database, "active_time", NULL },
		{ 120000, pg_sql_wal_receiver, "received_tli", "flushed_lsn" },
		{ 130000, pg_sql_wal_receiver, "flushed_lsn", NULL },
		{ 120000, pg_sql_slots, "NULL, NULL", "safe_wal_size" },
		{ 130000, pg_sql_slots, "safe_wal_size, wal_status", NULL },
		{ 120000, pg_sql_replication, "replay_lag", NULL },
		{ 120000, pg_sql_replication, "s.active_pid = r.pid", NULL },
		{ 120000, pg_sql_tables, "LIMIT $1::int", NULL },
		{ 120000, pg_sql_tables, "pg_statio_user_tables", NULL },
		{ 120000, pg_sql_settings, "'sync_commit_cancel_wait', 'google_dataplex.max_messages'", NULL },
		{ 120000, pg_sql_pgss_texts, ", CASE WHEN queryid = ANY($1::bigint[]) THEN left(query, $2::int) END"
					    " FROM %s.pg_stat_statements(true) WHERE queryid IS NOT NULL", NULL },
		{ 170000, pg_sql_pgss_texts, "shared_blk_read_time + local_blk_read_time", NULL },
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
		assert_true((pg_sql_checkpointer(v) != NULL) == (v >= 170000));
		/* the plain read copies out its select; the read with texts:
		 * the same counters, then the text */
		const char *copy = pg_sql_pgss(v), *plain = pg_sql_pgss_select(v),
			   *texts = pg_sql_pgss_texts(v);
		assert_memory_equal(copy, "COPY (", 6);
		assert_memory_equal(copy + 6, plain, strlen(plain));
		assert_string_equal(copy + 6 + strlen(plain), ") TO STDOUT (FORMAT binary)");
		size_t counters = (size_t)(strstr(plain, " FROM ") - plain);
		assert_memory_equal(plain, texts, counters);
		assert_memory_equal(texts + counters, ", CASE WHEN", 11);
		/* every counter is float8 (pg_stmt_copy_decode's types): 3 keys,
		 * then PGSS_NFIELDS casts */
		size_t casts = 0;
		for (const char *p = plain; (p = strstr(p, "::float8")) && p < plain + counters; p++)
			casts++;
		assert_int_equal(casts, 10);
	}
}

/* A result of text cells; NULL cells stay SQL NULL. */
static PGresult *result(int ncols, int nrows, const char *const *cells)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc *attrs = calloc((size_t)ncols, sizeof(*attrs));
	char names[40][16];
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
	char *text = expo_block_text(blk, NULL);
	assert_non_null(text);
	expo_block_unref(blk);
	return text;
}

/* A result from tests/data/pg/NAME.tsv: rows of tab-separated text cells
 * as psql printed them from a real PostgreSQL 15, \N for NULL, lines
 * starting with '#' left out.  ncols: the query's columns. */
static PGresult *fixture(const char *name, int ncols)
{
	const char *top = getenv("top_srcdir");
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/pg/%s.tsv", top && *top ? top : ".", name);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read fixture '%s'", path);
	const char **cells = calloc(512 * (size_t)ncols, sizeof(*cells));
	char line[4096];
	int rows = 0;
	while (fgets(line, sizeof(line), f) && rows < 512) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		char *p = line;
		for (int c = 0; c < ncols; c++) {
			char *tab = strchr(p, '\t');
			if (tab)
				*tab = '\0';
			cells[rows * ncols + c] = strcmp(p, "\\N") == 0 ? NULL : strdup(p);
			if (!tab && c + 1 < ncols)
				fail_msg("%s: row %d has %d cells, not %d", path, rows + 1, c + 1, ncols);
			p = tab ? tab + 1 : p + strlen(p);
		}
		rows++;
	}
	fclose(f);
	PGresult *r = result(ncols, rows, cells);
	for (int i = 0; i < rows * ncols; i++)
		free((char *)(uintptr_t)cells[i]);
	free(cells);
	return r;
}

/* Each emitter as one shape, for the table below. */
static struct pg_server_info fixture_info;

static void e_server(struct batch *b, const PGresult *r)
{
	pg_emit_server(b, "main", "127.0.0.1:5432", r, &fixture_info);
}
static void e_stat_database(struct batch *b, const PGresult *r) { pg_emit_stat_database(b, "main", r); }
static void e_conflicts(struct batch *b, const PGresult *r)
{
	pg_emit_conflicts(b, "main", "127.0.0.1:5432", r);
}
static void e_database(struct batch *b, const PGresult *r) { pg_emit_database(b, "main", r); }
static void e_database_size(struct batch *b, const PGresult *r) { pg_emit_database_size(b, "main", r); }
static void e_roles(struct batch *b, const PGresult *r) { pg_emit_roles(b, "main", r); }
static void e_activity(struct batch *b, const PGresult *r)
{
	struct pg_server_info info = { .max_connections = 50, .reserved = 3 };
	pg_emit_activity(b, "main", r, &info);
}
/* the process_idle rows alone */
static void e_activity_idle(struct batch *b, const PGresult *r)
{
	int ncols = PQnfields(r), n = 0;
	const char **cells = calloc((size_t)(PQntuples(r) * ncols + 1), sizeof(*cells));
	for (int row = 0; row < PQntuples(r); row++) {
		if (PQgetvalue(r, row, 0)[0] != 'i')
			continue;
		for (int c = 0; c < ncols; c++)
			cells[n * ncols + c] = PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
		n++;
	}
	PGresult *idle = result(ncols, n, cells);
	struct pg_server_info info = { 0 };
	pg_emit_activity(b, "main", idle, &info);
	PQclear(idle);
	free(cells);
}
static void e_locks(struct batch *b, const PGresult *r) { pg_emit_locks(b, "main", r); }
static void e_replication(struct batch *b, const PGresult *r) { pg_emit_replication(b, "main", r); }
static void e_standby(struct batch *b, const PGresult *r) { pg_emit_standby(b, "main", r); }
static void e_wal_receiver(struct batch *b, const PGresult *r) { pg_emit_wal_receiver(b, "main", r, 1); }
static void e_wal_receiver_primary(struct batch *b, const PGresult *r)
{
	pg_emit_wal_receiver(b, "main", r, 0);
}
static void e_slots(struct batch *b, const PGresult *r) { pg_emit_slots(b, "main", r); }
static void e_archiver(struct batch *b, const PGresult *r) { pg_emit_archiver(b, "main", r); }
static void e_wal(struct batch *b, const PGresult *r) { pg_emit_wal(b, "main", r); }
static void e_wal_dir(struct batch *b, const PGresult *r) { pg_emit_wal_dir(b, "main", r); }
static void e_bgwriter(struct batch *b, const PGresult *r) { pg_emit_bgwriter(b, "main", r); }
static void e_checkpointer(struct batch *b, const PGresult *r) { pg_emit_checkpointer(b, "main", r); }
static void e_tables(struct batch *b, const PGresult *r) { pg_emit_tables(b, "main", "postgres", r); }
static void e_table_sizes(struct batch *b, const PGresult *r)
{
	pg_emit_table_sizes(b, "main", "postgres", r);
}
static void e_progress_vacuum(struct batch *b, const PGresult *r)
{
	pg_emit_progress_vacuum(b, "main", r);
}
static void e_settings(struct batch *b, const PGresult *r) { assert_int_equal(pg_emit_settings(b, "main", r), 0); }

typedef void (*emit_fn)(struct batch *b, const PGresult *r);

struct fixture_case {
	const char *file;
	int ncols;
	emit_fn emit;
	size_t samples;             /* how many the rows make */
	const char *lines[10];      /* lines of the exposition it has */
};

#define T "target=\"main\""

static const struct fixture_case fixture_cases[] = {
	{ "server", 8, e_server, 2, {
		"pg_static{" T ",server=\"127.0.0.1:5432\",version=\"PostgreSQL 15.18 (Debian "
		"15.18-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14+deb12u1) "
		"12.2.0, 64-bit\",short_version=\"15.18.0\"} 1\n",
		"# TYPE pg_static untyped\n",
		"pg_postmaster_start_time_seconds{" T "} 1796482720.51488\n" } },
	{ "stat_database", 20, e_stat_database, 3 * 18, {
		"pg_stat_database_xact_commit{" T ",datid=\"5\",datname=\"postgres\"} 23\n",
		"# TYPE pg_stat_database_xact_commit counter\n",
		"pg_stat_database_blk_read_time{" T ",datid=\"5\",datname=\"postgres\"} 9.764\n",
		"pg_stat_database_numbackends{" T ",datid=\"5\",datname=\"postgres\"} 3\n",
		"# TYPE pg_stat_database_numbackends gauge\n",
		/* never reset: 0, as postgres_exporter */
		"pg_stat_database_stats_reset{" T ",datid=\"5\",datname=\"postgres\"} 0\n",
		"pg_stat_database_active_time_seconds_total{" T ",datid=\"5\",datname=\"postgres\"} 0.046959\n" } },
	{ "conflicts", 7, e_conflicts, 3 * 5, {
		"pg_stat_database_conflicts_confl_lock{" T ",datid=\"1\",datname=\"template1\",server=\"127.0.0.1:5432\"} 0\n",
		"# TYPE pg_stat_database_conflicts_confl_deadlock counter\n" } },
	{ "database", 5, e_database, 3 + 2 * 2, {
		"pg_database_connection_limit{" T ",datname=\"template0\"} -1\n",
		"pg_database_wraparound_age_datfrozenxid_seconds{" T ",datname=\"postgres\"} 18\n",
		"pg_database_wraparound_age_datminmxid_seconds{" T ",datname=\"template1\"} 0\n" } },
	{ "database_size", 2, e_database_size, 3, {
		"pg_database_size_bytes{" T ",datname=\"template0\"} 7471619\n" } },
	{ "roles", 2, e_roles, 14, {
		"pg_roles_connection_limit{" T ",rolname=\"dbpulse\"} -1\n" } },
	{ "activity", 12, e_activity, 19 * 2 + 3 * 2 + 2 + 2 * 12 + 1, {
		"pg_stat_activity_count{" T ",datname=\"postgres\",state=\"active\",usename=\"postgres\","
		"application_name=\"waiter\",backend_type=\"client backend\",wait_event_type=\"Lock\","
		"wait_event=\"relation\"} 1\n",
		"pg_stat_activity_count{" T ",datname=\"template0\",state=\"idle in transaction (aborted)\","
		"usename=\"\",application_name=\"\",backend_type=\"\",wait_event_type=\"\",wait_event=\"\"} 0\n",
		"pg_stat_activity_max_tx_duration{" T ",datname=\"postgres\",state=\"idle in transaction\","
		"usename=\"postgres\",application_name=\"idletx\",backend_type=\"client backend\","
		"wait_event_type=\"Client\",wait_event=\"ClientRead\"} 2.487645\n",
		"pg_long_running_transactions{" T "} 3\n",
		"pg_long_running_transactions_oldest_timestamp_seconds{" T "} 2.535268\n",
		"pg_stat_activity_lock_waiters{" T ",datname=\"postgres\"} 1\n",
		"pg_stat_activity_max_query_duration_seconds{" T ",datname=\"postgres\"} 2.521647\n",
		/* 4 clients of 50 - 3 */
		"pg_connections_utilization_ratio{" T "} 0.0851063829787234\n",
		"# TYPE pg_process_idle_seconds histogram\n"
		"pg_process_idle_seconds_bucket{" T ",state=\"idle\",application_name=\"idler\",le=\"1\"} 0\n"
		"pg_process_idle_seconds_bucket{" T ",state=\"idle\",application_name=\"idler\",le=\"2\"} 0\n"
		"pg_process_idle_seconds_bucket{" T ",state=\"idle\",application_name=\"idler\",le=\"5\"} 1\n" } },
	{ "activity", 12, e_activity_idle, 2 * 12, {
		"pg_process_idle_seconds_bucket{" T ",state=\"idle in transaction\",application_name=\"idletx\","
		"le=\"+Inf\"} 1\n",
		"pg_process_idle_seconds_sum{" T ",state=\"idle in transaction\",application_name=\"idletx\"} 2\n",
		"pg_process_idle_seconds_count{" T ",state=\"idle\",application_name=\"idler\"} 1\n" } },
	{ "locks", 3, e_locks, 27, {
		"pg_locks_count{" T ",datname=\"postgres\",mode=\"accessexclusivelock\"} 1\n",
		"pg_locks_count{" T ",datname=\"template1\",mode=\"sireadlock\"} 0\n" } },
	{ "replication", 9, e_replication, 5, {
		"pg_stat_replication_pg_wal_lsn_diff{" T ",application_name=\"/tmp/dbpulse-test.X/pg/standby\","
		"client_addr=\"\",state=\"streaming\",slot_name=\"standby\"} 0\n",
		"pg_stat_replication_pg_current_wal_lsn_bytes{" T ",application_name=\"/tmp/dbpulse-test.X/pg/standby\","
		"client_addr=\"\",state=\"streaming\",slot_name=\"standby\"} 50671848\n",
		"pg_stat_replication_replay_lag_seconds{" T ",application_name=\"/tmp/dbpulse-test.X/pg/standby\","
		"client_addr=\"\",state=\"streaming\",slot_name=\"standby\"} 0.002412\n" } },
	{ "replication-standby", 9, e_replication, 0, { NULL } },
	{ "standby", 3, e_standby, 3, {
		"pg_replication_is_replica{" T "} 0\n", "pg_replication_lag_seconds{" T "} 0\n",
		"pg_replication_last_replay_seconds{" T "} 0\n" } },
	{ "standby-standby", 3, e_standby, 3, {
		"pg_replication_is_replica{" T "} 1\n",
		"pg_replication_last_replay_seconds{" T "} 2.541327\n" } },
	{ "wal_receiver-standby", 13, e_wal_receiver, 2 + 8, {
		"pg_stat_wal_receiver_streaming{" T "} 1\n",
		"pg_stat_wal_receiver_last_msg_age_seconds{" T "} 0.460363\n",
		"pg_stat_wal_receiver_flushed_lsn{" T ",upstream_host=\"/tmp/dbpulse-test.X/pg/sock\","
		"slot_name=\"standby\",status=\"streaming\"} 50671848\n",
		"# TYPE pg_stat_wal_receiver_received_tli gauge\n",
		"# TYPE pg_stat_wal_receiver_last_msg_receipt_time counter\n" } },
	{ "wal_receiver", 13, e_wal_receiver_primary, 0, { NULL } },
	{ "slots", 9, e_slots, 2 * 6 - 1, {
		"pg_replication_slots_active{" T ",slot_name=\"standby\",database=\"\"} 1\n",
		"pg_replication_slots_pg_wal_lsn_diff{" T ",slot_name=\"spare\",database=\"\"} 17117376\n",
		"pg_replication_slots_slot_is_active{" T ",slot_name=\"spare\",slot_type=\"physical\"} 0\n",
		"pg_replication_slots_slot_current_wal_lsn{" T ",slot_name=\"spare\",slot_type=\"physical\"} 50671848\n",
		"pg_replication_slots_slot_confirmed_flush_lsn{" T ",slot_name=\"standby\",slot_type=\"physical\"} 0\n",
		"pg_replication_slots_wal_status{" T ",slot_name=\"standby\",slot_type=\"physical\",wal_status=\"reserved\"} 1\n" } },
	{ "slots-standby", 9, e_slots, 0, { NULL } },
	{ "archiver", 3, e_archiver, 2, {
		"pg_stat_archiver_archived_count{" T "} 0\n", "# TYPE pg_stat_archiver_failed_count counter\n" } },
	{ "wal", 8, e_wal, 8, { "# TYPE pg_stat_wal_bytes_total counter\n" } },
	{ "wal_dir", 2, e_wal_dir, 2, {
		"pg_wal_segments{" T "} 2\n", "pg_wal_size_bytes{" T "} 33554432\n" } },
	{ "bgwriter", 11, e_bgwriter, 11, {
		"pg_stat_bgwriter_checkpoint_write_time_total{" T "} 3\n",
		"pg_stat_bgwriter_buffers_backend_fsync_total{" T "} 0\n",
		"pg_stat_bgwriter_stats_reset_total{" T "} 1796482719\n" } },
	{ "tables", 29, e_tables, 2 * 27, {
		"pg_stat_user_tables_n_dead_tup{" T ",datname=\"postgres\",schemaname=\"public\",relname=\"orders\"} 666\n",
		"pg_stat_user_tables_n_live_tup{" T ",datname=\"postgres\",schemaname=\"public\",relname=\"orders\"} 2668\n",
		"pg_stat_user_tables_last_autovacuum{" T ",datname=\"postgres\",schemaname=\"public\",relname=\"items\"} 0\n",
		"pg_stat_user_tables_vacuum_count{" T ",datname=\"postgres\",schemaname=\"public\",relname=\"orders\"} 1\n",
		"pg_statio_user_tables_heap_blocks_hit{" T ",datname=\"postgres\",schemaname=\"public\",relname=\"items\"} ",
		"# TYPE pg_statio_user_tables_tidx_blocks_read counter\n" } },
	{ "table_sizes", 4, e_table_sizes, 2 * 2, {
		"pg_stat_user_tables_table_size_bytes{" T ",datname=\"postgres\",schemaname=\"public\",relname=\"orders\"} ",
		"pg_stat_user_tables_index_size_bytes{" T ",datname=\"postgres\",schemaname=\"public\",relname=\"orders\"} " } },
	{ "progress_vacuum", 9, e_progress_vacuum, 0, { NULL } },
	{ "settings", 4, e_settings, 252, {
		"pg_settings_shared_buffers_bytes{" T "} 16777216\n",
		"pg_settings_max_connections{" T "} 50\n",
		"pg_settings_checkpoint_timeout_seconds{" T "} 300\n",
		"pg_settings_log_min_duration_statement_seconds{" T "} -1\n",
		"pg_settings_fsync{" T "} 0\n",
		"pg_settings_bgwriter_delay_seconds{" T "} 0.2\n",
		"pg_settings_max_wal_size_bytes{" T "} 1073741824\n",
		"# HELP pg_settings_work_mem_bytes Server Parameter: work_mem [Units converted to bytes.]\n" } },
};

static void test_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixture_cases) / sizeof(fixture_cases[0]); i++) {
		const struct fixture_case *c = &fixture_cases[i];
		struct batch *b = batch_new();
		PGresult *r = fixture(c->file, c->ncols);
		c->emit(b, r);
		char *text = render(b);
		if (b->nsamples != c->samples)
			fail_msg("%s: %zu samples, not %zu:\n%s", c->file, b->nsamples, c->samples, text);
		assert_int_equal(b->invalid, 0);
		for (size_t k = 0; k < 10 && c->lines[k]; k++)
			if (!strstr(text, c->lines[k]))
				fail_msg("%s: no '%s' in\n%s", c->file, c->lines[k], text);
		free(text);
		/* the same rows with the last column cut: no crash, no stray name */
		PQclear(r);
		batch_free(b);
	}
	assert_int_equal(fixture_info.version_num, 150018);
	assert_int_equal(fixture_info.in_recovery, 0);
	assert_true(fixture_info.max_connections == 50 && fixture_info.reserved == 3);
}

/* Empty results add nothing (a primary's standby views, a quiet server);
 * results with fewer columns than the query's (a truncated or foreign
 * result) add nothing that is not there, and never crash. */
static void test_empty_and_short(void **state)
{
	(void)state;
	static const char *const cells[40] = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "10" };
	for (size_t i = 0; i < sizeof(fixture_cases) / sizeof(fixture_cases[0]); i++) {
		const struct fixture_case *c = &fixture_cases[i];
		struct batch *b = batch_new();
		PGresult *r = result(c->ncols, 0, NULL);
		c->emit == e_settings ? (void)pg_emit_settings(b, "main", r) : c->emit(b, r);
		PQclear(r);
		/* but the standby's "not streaming", tested below */
		assert_int_equal(b->nsamples, c->emit == e_wal_receiver);
		for (int n = 1; n < c->ncols; n++) {
			r = result(n, 1, cells);
			if (c->emit == e_settings)
				pg_emit_settings(b, "main", r);
			else
				c->emit(b, r);
			PQclear(r);
		}
		if (b->invalid)
			fail_msg("%s: %llu invalid samples", c->file, (unsigned long long)b->invalid);
		batch_free(b);
	}
	/* a standby whose WAL receiver stopped has no row: not streaming */
	struct batch *b = batch_new();
	PGresult *r = result(13, 0, NULL);
	pg_emit_wal_receiver(b, "main", r, 1);
	PQclear(r);
	char *text = render(b);
	assert_non_null(strstr(text, "\npg_stat_wal_receiver_streaming{" T "} 0\n"));
	free(text);
	batch_free(b);
}

/* A running vacuum (pg_stat_progress_vacuum has rows only then): one
 * phase series per phase, the current one 1. */
static void test_progress_vacuum(void **state)
{
	(void)state;
	static const char *const row[] = { "postgres", "public.orders", "2", "100", "40", "10", "1",
					   "291", "3" };
	static const char *const unknown[] = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	struct batch *b = batch_new();
	PGresult *r = result(9, 1, row);
	pg_emit_progress_vacuum(b, "main", r);
	PQclear(r);
	r = result(9, 1, unknown);
	pg_emit_progress_vacuum(b, "main", r);
	PQclear(r);
	char *text = render(b);
	assert_int_equal(b->nsamples, 2 * (7 + 6));
	assert_non_null(strstr(text, "pg_stat_progress_vacuum_phase{" T ",datname=\"postgres\",relname=\"public.orders\",phase=\"vacuuming indexes\"} 1\n"));
	assert_non_null(strstr(text, "pg_stat_progress_vacuum_phase{" T ",datname=\"postgres\",relname=\"public.orders\",phase=\"initializing\"} 0\n"));
	assert_non_null(strstr(text, "pg_stat_progress_vacuum_heap_blks_scanned{" T ",datname=\"postgres\",relname=\"public.orders\"} 40\n"));
	assert_non_null(strstr(text, "pg_stat_progress_vacuum_num_dead_tuples{" T ",datname=\"postgres\",relname=\"public.orders\"} 3\n"));
	assert_non_null(strstr(text, "pg_stat_progress_vacuum_phase{" T ",datname=\"unknown\",relname=\"unknown\",phase=\"initializing\"} 0\n"));
	assert_non_null(strstr(text, "pg_stat_progress_vacuum_heap_blks{" T ",datname=\"unknown\",relname=\"unknown\"} 0\n"));
	free(text);
	batch_free(b);
}

/* process_idle rows whose buckets are not nine counts add nothing */
static void test_idle_buckets(void **state)
{
	(void)state;
	static const char *const bad[] = { "{}", "{1,2}", "{1,2,3,4,5,6,7,8,9,10}", "1,2,3,4,5,6,7,8,9",
					   "{1,2,3,4,5,6,7,8,x}", "{1,2,3,4,5,6,7,8,9}x", "{1,2,3,4,5,6,7,8,9" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *row[] = { "i", NULL, "idle", NULL, "app", NULL, NULL, NULL, "9", "12", NULL,
				      bad[i] };
		struct batch *b = batch_new();
		PGresult *r = result(12, 1, row);
		struct pg_server_info info = { 0 };
		pg_emit_activity(b, "main", r, &info);
		PQclear(r);
		assert_int_equal(b->nsamples, 0);
		batch_free(b);
	}
}

/* PostgreSQL 17's pg_stat_checkpointer (no such server here: a row as
 * its columns are), and pg_stat_bgwriter without the columns that moved. */
static void test_checkpointer(void **state)
{
	(void)state;
	static const char *const cp[] = { "10", "2", "0", "0", "0", "1234.5", "6.5", "300",
					  "1796482719" };
	static const char *const bg[] = { NULL, NULL, NULL, NULL, NULL, "4", "0", NULL, NULL, "402",
					  "1796482719" };
	struct batch *b = batch_new();
	PGresult *r = result(9, 1, cp);
	e_checkpointer(b, r);
	PQclear(r);
	assert_int_equal(b->nsamples, 9);
	r = result(11, 1, bg);
	e_bgwriter(b, r);
	PQclear(r);
	assert_int_equal(b->nsamples, 9 + 4);
	char *text = render(b);
	assert_non_null(strstr(text, "pg_stat_checkpointer_num_timed_total{" T "} 10\n"));
	assert_non_null(strstr(text, "pg_stat_checkpointer_write_time_total{" T "} 1234.5\n"));
	assert_non_null(strstr(text, "# TYPE pg_stat_checkpointer_stats_reset_total counter\n"));
	assert_non_null(strstr(text, "pg_stat_bgwriter_buffers_clean_total{" T "} 4\n"));
	assert_null(strstr(text, "pg_stat_bgwriter_checkpoints_timed_total"));
	free(text);
	batch_free(b);
}

/* postgres_exporter's own cases (collector/pg_setting_test.go) and the
 * conversions of every unit PostgreSQL has. */
static void test_settings(void **state)
{
	(void)state;
	static const struct {
		const char *name, *setting, *unit, *vartype;
		const char *metric;      /* NULL: refused */
		double value;
		const char *help_or_err;
	} cases[] = {
		{ "seconds_fixture_metric", "5", "s", "integer", "pg_settings_seconds_fixture_metric_seconds", 5,
		  "Server Parameter: seconds_fixture_metric [Units converted to seconds.]" },
		{ "milliseconds_fixture_metric", "5000", "ms", "integer",
		  "pg_settings_milliseconds_fixture_metric_seconds", 5, NULL },
		{ "eight_kb_fixture_metric", "17", "8kB", "integer", "pg_settings_eight_kb_fixture_metric_bytes",
		  139264, "Server Parameter: eight_kb_fixture_metric [Units converted to bytes.]" },
		{ "special_minus_one_value", "-1", "d", "integer", "pg_settings_special_minus_one_value_seconds",
		  -1, NULL },
		{ "unknown_unit", "10", "nonexistent", "integer", NULL, 0,
		  "unknown unit for runtime variable: \"nonexistent\"" },
		{ "aurora_value", "16MB", "MB", "integer", "pg_settings_aurora_value_bytes", 16777216, NULL },
		{ "bool_on_fixture_metric", "on", "", "bool", "pg_settings_bool_on_fixture_metric", 1,
		  "Server Parameter: bool_on_fixture_metric" },
		{ "bool_off", "off", "", "bool", "pg_settings_bool_off", 0, NULL },
		{ "rds.rds-superuser-reserved-connections", "2", "", "integer",
		  "pg_settings_rds_rds_superuser_reserved_connections", 2,
		  "Server Parameter: rds.rds-superuser-reserved-connections" },
		{ "bad_setting", "not-a-number", "", "integer", NULL, 0,
		  "error converting setting \"bad_setting\" value \"not-a-number\" to float" },
		{ "a_string", "x", "", "string", NULL, 0, "pgsetting: unsupported vartype \"string\"" },
		{ "cursor_tuple_fraction", "0.1", "", "real", "pg_settings_cursor_tuple_fraction", 0.1, NULL },
		{ "autovacuum_naptime", "1", "min", "integer", "pg_settings_autovacuum_naptime_seconds", 60, NULL },
		{ "x_h", "2", "h", "integer", "pg_settings_x_h_seconds", 7200, NULL },
		{ "x_d", "1", "d", "integer", "pg_settings_x_d_seconds", 86400, NULL },
		{ "x_b", "3", "B", "integer", "pg_settings_x_b_bytes", 3, NULL },
		{ "work_mem", "4096", "kB", "integer", "pg_settings_work_mem_bytes", 4194304, NULL },
		{ "x_gb", "1", "GB", "integer", "pg_settings_x_gb_bytes", 1073741824.0, NULL },
		{ "x_tb", "1", "TB", "integer", "pg_settings_x_tb_bytes", 1099511627776.0, NULL },
		{ "wal_segment_size", "1", "16MB", "integer", "pg_settings_wal_segment_size_bytes", 16777216, NULL },
		{ "x_64kb", "2", "64kB", "integer", "pg_settings_x_64kb_bytes", 131072, NULL },
		{ "x_suffix_only", "s", "s", "integer", NULL, 0, NULL },
		{ "x_empty", "", "", "integer", NULL, 0, NULL },
		{ "a b", "1", "", "integer", NULL, 0, "setting name \"a b\" makes no metric name" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char metric[256], help[320], err[160] = "";
		double v = 42;
		int rc = pg_setting_convert(cases[i].name, cases[i].setting, cases[i].unit,
					    cases[i].vartype, metric, sizeof(metric), help, sizeof(help),
					    &v, err, sizeof(err));
		if (!cases[i].metric) {
			if (rc != -1)
				fail_msg("case %zu (%s): taken as %s", i, cases[i].name, metric);
			if (cases[i].help_or_err)
				assert_string_equal(err, cases[i].help_or_err);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu (%s): %s", i, cases[i].name, err);
		assert_string_equal(metric, cases[i].metric);
		assert_true(v == cases[i].value);
		if (cases[i].help_or_err)
			assert_string_equal(help, cases[i].help_or_err);
	}
	char small[16], help[64], err[64];
	double v;
	assert_int_equal(pg_setting_convert("a_rather_long_name", "1", "", "integer", small,
					    sizeof(small), help, sizeof(help), &v, err, sizeof(err)), -1);
}

/* postgres_exporter's server label: HOST:PORT of the DSN, its defaults
 * when the DSN has none. */
static void test_server_label(void **state)
{
	(void)state;
	char s[64];
	pg_server_label("127.0.0.1", "5433", s, sizeof(s));
	assert_string_equal(s, "127.0.0.1:5433");
	pg_server_label(NULL, "", s, sizeof(s));
	assert_string_equal(s, "localhost:5432");
	pg_server_label("/run/postgresql", NULL, s, sizeof(s));
	assert_string_equal(s, "/run/postgresql:5432");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_empty_and_short),
		cmocka_unit_test(test_progress_vacuum),
		cmocka_unit_test(test_checkpointer),
		cmocka_unit_test(test_idle_buckets),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_server_label),
	};
	return cmocka_run_group_tests(tests, load_libpq, NULL);
}
