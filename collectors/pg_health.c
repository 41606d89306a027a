/*
 * pg_health.c -- samples from the health queries of pg_sql.c (see
 * pg_health.h).  Called on a PostgreSQL target's worker thread.
 */
#include "autoconfig.h"
#include "pg_health.h"
#include "metrics.h"
#include "pg_conn.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>

/* The number in cell (row, col), or -1 when NULL or not a number. */
static int cell_num(const PGresult *r, int row, int col, double *v)
{
	const char *s = pg_cell(r, row, col);
	return s && parse_double(s, v) == 0 ? 0 : -1;
}

static int cell_bool(const PGresult *r, int row, int col)
{
	const char *s = pg_cell(r, row, col);
	return s && s[0] == 't';
}

static const char *cell_str(const PGresult *r, int row, int col)
{
	const char *s = pg_cell(r, row, col);
	return s ? s : "";
}

/* Adds the number in (row, col) times mul, if there is one. */
static void add_cell(struct batch *b, const struct metric_desc *d, const PGresult *r, int row,
		     int col, double mul, const char *const *labels, size_t nlabels)
{
	double v;
	if (cell_num(r, row, col, &v) == 0)
		batch_addv(b, d->name, d->help, d->type, v * mul, labels, nlabels);
}

/* ---- server ---------------------------------------------------------- */

static const struct metric_desc m_version = {
	"pg_version_info", "The server's version.", METRIC_GAUGE };
static const struct metric_desc m_start = {
	"pg_postmaster_start_time_seconds", "When the postmaster started, in seconds since the epoch.",
	METRIC_GAUGE };
static const struct metric_desc m_recovery = {
	"pg_in_recovery", "Whether the server is a standby in recovery (1) or a primary (0).",
	METRIC_GAUGE };
static const struct metric_desc m_max_conn = {
	"pg_settings_max_connections", "The max_connections setting.", METRIC_GAUGE };
static const struct metric_desc m_reserved = {
	"pg_settings_superuser_reserved_connections",
	"The superuser_reserved_connections setting.", METRIC_GAUGE };

void pg_emit_server(struct batch *b, const char *target, const PGresult *r,
		    struct pg_server_info *info)
{
	const char *t[] = { "target", target };
	double v, reserved = 0, extra = 0;
	if (PQntuples(r) < 1 || PQnfields(r) < 7)
		return;
	if (cell_num(r, 0, 0, &v) == 0)
		info->version_num = (int)v;
	char short_version[32];
	snprintf(short_version, sizeof(short_version), "%d.%d", info->version_num / 10000,
		 info->version_num % 10000);
	const char *full = cell_str(r, 0, 1);
	const char *vl[] = { "target", target, "version", full, "short_version", short_version };
	batch_addv(b, m_version.name, m_version.help, m_version.type, 1, vl, 3);
	add_cell(b, &m_start, r, 0, 2, 1, t, 1);
	info->in_recovery = cell_bool(r, 0, 3);
	batch_addv(b, m_recovery.name, m_recovery.help, m_recovery.type, info->in_recovery, t, 1);
	if (cell_num(r, 0, 4, &v) == 0) {
		info->max_connections = v;
		batch_addv(b, m_max_conn.name, m_max_conn.help, m_max_conn.type, v, t, 1);
	}
	if (cell_num(r, 0, 5, &reserved) == 0)
		batch_addv(b, m_reserved.name, m_reserved.help, m_reserved.type, reserved, t, 1);
	cell_num(r, 0, 6, &extra);
	info->reserved = reserved + extra;
}

/* ---- pg_stat_database ----------------------------------------------- */

struct column {
	int col;
	double mul;
	struct metric_desc d;
};

static const struct column stat_database[] = {
	{ 1, 1, { "pg_stat_database_numbackends", "Backends connected to the database.", METRIC_GAUGE } },
	{ 2, 1, { "pg_stat_database_xact_commit_total", "Transactions committed.", METRIC_COUNTER } },
	{ 3, 1, { "pg_stat_database_xact_rollback_total", "Transactions rolled back.", METRIC_COUNTER } },
	{ 4, 1, { "pg_stat_database_blks_read_total", "Disk blocks read.", METRIC_COUNTER } },
	{ 5, 1, { "pg_stat_database_blks_hit_total", "Disk blocks found in the buffer cache.", METRIC_COUNTER } },
	{ 6, 1, { "pg_stat_database_tup_returned_total", "Rows returned by queries.", METRIC_COUNTER } },
	{ 7, 1, { "pg_stat_database_tup_fetched_total", "Rows fetched by queries.", METRIC_COUNTER } },
	{ 8, 1, { "pg_stat_database_tup_inserted_total", "Rows inserted.", METRIC_COUNTER } },
	{ 9, 1, { "pg_stat_database_tup_updated_total", "Rows updated.", METRIC_COUNTER } },
	{ 10, 1, { "pg_stat_database_tup_deleted_total", "Rows deleted.", METRIC_COUNTER } },
	{ 11, 1, { "pg_stat_database_conflicts_total", "Queries cancelled by recovery conflicts.", METRIC_COUNTER } },
	{ 12, 1, { "pg_stat_database_temp_files_total", "Temporary files created.", METRIC_COUNTER } },
	{ 13, 1, { "pg_stat_database_temp_bytes_total", "Bytes written to temporary files.", METRIC_COUNTER } },
	{ 14, 1, { "pg_stat_database_deadlocks_total", "Deadlocks detected.", METRIC_COUNTER } },
	{ 15, 1e-3, { "pg_stat_database_blk_read_time_seconds_total",
		      "Time spent reading data file blocks (track_io_timing).", METRIC_COUNTER } },
	{ 16, 1e-3, { "pg_stat_database_blk_write_time_seconds_total",
		      "Time spent writing data file blocks (track_io_timing).", METRIC_COUNTER } },
	{ 17, 1, { "pg_stat_database_stats_reset_timestamp_seconds",
		   "When the database's statistics were last reset, in seconds since the epoch.",
		   METRIC_GAUGE } },
};

static void emit_columns(struct batch *b, const PGresult *r, const struct column *cols, size_t n,
			 const char *const *labels, size_t nlabels, int row)
{
	for (size_t i = 0; i < n; i++)
		if (cols[i].col < PQnfields(r))
			add_cell(b, &cols[i].d, r, row, cols[i].col, cols[i].mul, labels, nlabels);
}

void pg_emit_stat_database(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "datname", cell_str(r, row, 0) };
		emit_columns(b, r, stat_database, sizeof(stat_database) / sizeof(stat_database[0]), l, 2,
			     row);
	}
}

static const struct metric_desc m_db_size = {
	"pg_database_size_bytes", "Disk space used by the database.", METRIC_GAUGE };

void pg_emit_database_size(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "datname", cell_str(r, row, 0) };
		add_cell(b, &m_db_size, r, row, 1, 1, l, 2);
	}
}

static const struct metric_desc m_xid_age = {
	"pg_database_wraparound_age_datfrozenxid",
	"Age of the database's oldest unfrozen transaction ID (wraparound at 2^31).", METRIC_GAUGE };
static const struct metric_desc m_mxid_age = {
	"pg_database_wraparound_age_datminmxid", "Age of the database's oldest multixact ID.",
	METRIC_GAUGE };

void pg_emit_wraparound(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "datname", cell_str(r, row, 0) };
		add_cell(b, &m_xid_age, r, row, 1, 1, l, 2);
		add_cell(b, &m_mxid_age, r, row, 2, 1, l, 2);
	}
}

/* ---- connections and locks ------------------------------------------- */

static const struct metric_desc m_act_count = {
	"pg_stat_activity_connections", "Client connections by database and state (postgres_exporter: pg_stat_activity_count).", METRIC_GAUGE };
static const struct metric_desc m_act_tx = {
	"pg_stat_activity_max_tx_duration_seconds",
	"Age of the oldest open transaction by database and state.", METRIC_GAUGE };
static const struct metric_desc m_act_query = {
	"pg_stat_activity_max_query_duration_seconds",
	"Age of the oldest running query (state active) by database.", METRIC_GAUGE };
static const struct metric_desc m_act_waiting = {
	"pg_stat_activity_lock_waiters", "Client connections waiting for a lock.",
	METRIC_GAUGE };
static const struct metric_desc m_util = {
	"pg_connections_utilization_ratio",
	"Client connections over the connections available to them "
	"(max_connections less the reserved ones).", METRIC_GAUGE };

void pg_emit_activity(struct batch *b, const char *target, const PGresult *r,
		      struct pg_server_info *info)
{
	double clients = 0;
	/* per database: the oldest query and the lock waiters over all states */
	for (int row = 0; row < PQntuples(r); row++) {
		const char *db = cell_str(r, row, 0);
		const char *l[] = { "target", target, "datname", db, "state", cell_str(r, row, 1) };
		double n, q, w;
		if (cell_num(r, row, 2, &n) == 0) {
			batch_addv(b, m_act_count.name, m_act_count.help, m_act_count.type, n, l, 3);
			clients += n;
		}
		add_cell(b, &m_act_tx, r, row, 3, 1, l, 3);
		if (row > 0 && strcmp(db, cell_str(r, row - 1, 0)) == 0)
			continue;
		double qmax = 0, wsum = 0;
		for (int k = row; k < PQntuples(r) && strcmp(db, cell_str(r, k, 0)) == 0; k++) {
			if (cell_num(r, k, 4, &q) == 0 && q > qmax)
				qmax = q;
			if (cell_num(r, k, 5, &w) == 0)
				wsum += w;
		}
		const char *dl[] = { "target", target, "datname", db };
		batch_addv(b, m_act_query.name, m_act_query.help, m_act_query.type, qmax, dl, 2);
		batch_addv(b, m_act_waiting.name, m_act_waiting.help, m_act_waiting.type, wsum, dl, 2);
	}
	info->client_backends = clients;
	double usable = info->max_connections - info->reserved;
	if (usable > 0) {
		const char *t[] = { "target", target };
		batch_addv(b, m_util.name, m_util.help, m_util.type, clients / usable, t, 1);
	}
}

static const struct metric_desc m_locks = {
	"pg_locks", "Locks held or awaited by database and mode (postgres_exporter: pg_locks_count).", METRIC_GAUGE };

void pg_emit_locks(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "datname", cell_str(r, row, 0), "mode",
				    cell_str(r, row, 1) };
		add_cell(b, &m_locks, r, row, 2, 1, l, 3);
	}
}

/* ---- replication, archiving, WAL, checkpoints ---------------------- */

static const struct column replication[] = {
	{ 4, 1, { "pg_stat_replication_write_lag_seconds",
		  "Time for recent WAL to be written on the standby (0 when idle).", METRIC_GAUGE } },
	{ 5, 1, { "pg_stat_replication_flush_lag_seconds",
		  "Time for recent WAL to be flushed on the standby (0 when idle).", METRIC_GAUGE } },
	{ 6, 1, { "pg_stat_replication_replay_lag_seconds",
		  "Time for recent WAL to be replayed on the standby (0 when idle).", METRIC_GAUGE } },
	{ 7, 1, { "pg_stat_replication_replay_lag_bytes",
		  "WAL the standby has not replayed yet.", METRIC_GAUGE } },
};

void pg_emit_replication(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "application_name", cell_str(r, row, 0),
				    "client_addr", cell_str(r, row, 1) };
		for (size_t i = 0; i < sizeof(replication) / sizeof(replication[0]); i++) {
			const struct column *c = &replication[i];
			double v = 0;
			/* the lag columns are NULL when the standby is idle and caught up */
			if (cell_num(r, row, c->col, &v) < 0 && c->col == 7)
				continue;
			batch_addv(b, c->d.name, c->d.help, c->d.type, v, l, 3);
		}
	}
}

static const struct metric_desc m_lag = {
	"pg_replication_lag_seconds",
	"Standby: age of the last replayed transaction while WAL received is not yet replayed, "
	"else 0.", METRIC_GAUGE };
static const struct metric_desc m_replay_age = {
	"pg_replication_last_replay_age_seconds",
	"Standby: age of the last replayed transaction, whatever was received.", METRIC_GAUGE };
static const struct metric_desc m_streaming = {
	"pg_stat_wal_receiver_streaming", "Standby: whether the WAL receiver is streaming.",
	METRIC_GAUGE };
static const struct metric_desc m_last_msg = {
	"pg_stat_wal_receiver_last_msg_age_seconds",
	"Standby: time since the last message from the primary.", METRIC_GAUGE };

void pg_emit_standby(struct batch *b, const char *target, const PGresult *r)
{
	if (PQntuples(r) < 1)
		return; /* a primary */
	const char *t[] = { "target", target };
	double age = 0;
	int has_age = cell_num(r, 0, 1, &age) == 0;
	/* receive = replay: nothing waits to be replayed, so no replay lag;
	 * a stuck receiver shows in the streaming and last message metrics */
	int caught_up = cell_bool(r, 0, 0);
	batch_addv(b, m_lag.name, m_lag.help, m_lag.type, caught_up || !has_age ? 0 : age, t, 1);
	if (has_age)
		batch_addv(b, m_replay_age.name, m_replay_age.help, m_replay_age.type, age, t, 1);
	batch_addv(b, m_streaming.name, m_streaming.help, m_streaming.type,
		   strcmp(cell_str(r, 0, 2), "streaming") == 0, t, 1);
	add_cell(b, &m_last_msg, r, 0, 3, 1, t, 1);
}

static const struct metric_desc m_slot_active = {
	"pg_replication_slots_active", "Whether the replication slot is in use.", METRIC_GAUGE };
static const struct metric_desc m_slot_bytes = {
	"pg_replication_slots_retained_bytes", "WAL kept for the replication slot.", METRIC_GAUGE };

void pg_emit_slots(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "slot_name", cell_str(r, row, 0), "slot_type",
				    cell_str(r, row, 1) };
		batch_addv(b, m_slot_active.name, m_slot_active.help, m_slot_active.type,
			   cell_bool(r, row, 2), l, 3);
		add_cell(b, &m_slot_bytes, r, row, 3, 1, l, 3);
	}
}

static const struct column archiver[] = {
	{ 0, 1, { "pg_stat_archiver_archived_total", "WAL files archived.", METRIC_COUNTER } },
	{ 1, 1, { "pg_stat_archiver_failed_total", "Failed attempts to archive WAL files.",
		  METRIC_COUNTER } },
	{ 2, 1, { "pg_stat_archiver_last_archive_timestamp_seconds",
		  "When a WAL file was last archived, in seconds since the epoch.", METRIC_GAUGE } },
	{ 3, 1, { "pg_stat_archiver_last_archive_age_seconds",
		  "Time since a WAL file was last archived.", METRIC_GAUGE } },
};

void pg_emit_archiver(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) >= 1)
		emit_columns(b, r, archiver, sizeof(archiver) / sizeof(archiver[0]), t, 1, 0);
}

static const struct column wal[] = {
	{ 0, 1, { "pg_stat_wal_records_total", "WAL records generated.", METRIC_COUNTER } },
	{ 1, 1, { "pg_stat_wal_fpi_total", "WAL full page images generated.", METRIC_COUNTER } },
	{ 2, 1, { "pg_stat_wal_bytes_total", "WAL generated, in bytes.", METRIC_COUNTER } },
	{ 3, 1, { "pg_stat_wal_buffers_full_total", "Times WAL was written because the buffers were full.",
		  METRIC_COUNTER } },
	{ 4, 1, { "pg_stat_wal_write_total", "WAL buffer writes to disk.", METRIC_COUNTER } },
	{ 5, 1, { "pg_stat_wal_sync_total", "WAL file syncs to disk.", METRIC_COUNTER } },
	{ 6, 1e-3, { "pg_stat_wal_write_time_seconds_total", "Time spent writing WAL (track_wal_io_timing).",
		     METRIC_COUNTER } },
	{ 7, 1e-3, { "pg_stat_wal_sync_time_seconds_total", "Time spent syncing WAL (track_wal_io_timing).",
		     METRIC_COUNTER } },
};

void pg_emit_wal(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) >= 1)
		emit_columns(b, r, wal, sizeof(wal) / sizeof(wal[0]), t, 1, 0);
}

static const struct column bgwriter[] = {
	{ 0, 1, { "pg_stat_bgwriter_checkpoints_timed_total", "Scheduled checkpoints.", METRIC_COUNTER } },
	{ 1, 1, { "pg_stat_bgwriter_checkpoints_req_total", "Requested checkpoints.", METRIC_COUNTER } },
	{ 2, 1e-3, { "pg_stat_bgwriter_checkpoint_write_time_seconds_total",
		     "Time spent writing files in checkpoints.", METRIC_COUNTER } },
	{ 3, 1e-3, { "pg_stat_bgwriter_checkpoint_sync_time_seconds_total",
		     "Time spent syncing files in checkpoints.", METRIC_COUNTER } },
	{ 4, 1, { "pg_stat_bgwriter_buffers_checkpoint_total", "Buffers written during checkpoints.",
		  METRIC_COUNTER } },
	{ 5, 1, { "pg_stat_bgwriter_buffers_clean_total", "Buffers written by the background writer.",
		  METRIC_COUNTER } },
	{ 6, 1, { "pg_stat_bgwriter_maxwritten_clean_total",
		  "Times the background writer stopped for writing too many buffers.", METRIC_COUNTER } },
	{ 7, 1, { "pg_stat_bgwriter_buffers_backend_total",
		  "Buffers written by backends themselves (before 17).", METRIC_COUNTER } },
	{ 8, 1, { "pg_stat_bgwriter_buffers_alloc_total", "Buffers allocated.", METRIC_COUNTER } },
};

void pg_emit_bgwriter(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) >= 1)
		emit_columns(b, r, bgwriter, sizeof(bgwriter) / sizeof(bgwriter[0]), t, 1, 0);
}

/* ---- tables ----------------------------------------------------------- */

static const struct column tables[] = {
	{ 2, 1, { "pg_stat_user_tables_n_live_tup", "Estimated live rows.", METRIC_GAUGE } },
	{ 3, 1, { "pg_stat_user_tables_n_dead_tup", "Estimated dead rows.", METRIC_GAUGE } },
	{ 4, 1, { "pg_stat_user_tables_seq_scan_total", "Sequential scans.", METRIC_COUNTER } },
	{ 5, 1, { "pg_stat_user_tables_idx_scan_total", "Index scans.", METRIC_COUNTER } },
	{ 6, 1, { "pg_stat_user_tables_last_vacuum_age_seconds",
		  "Time since the table was last vacuumed (by hand or autovacuum).", METRIC_GAUGE } },
	{ 7, 1, { "pg_stat_user_tables_last_analyze_age_seconds",
		  "Time since the table was last analyzed (by hand or autovacuum).", METRIC_GAUGE } },
	{ 8, 1, { "pg_stat_user_tables_vacuum_total", "Vacuums of the table, manual and automatic.",
		  METRIC_COUNTER } },
	{ 9, 1, { "pg_stat_user_tables_analyze_total", "Analyzes of the table, manual and automatic.",
		  METRIC_COUNTER } },
};

void pg_emit_tables(struct batch *b, const char *target, const char *datname, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "datname", datname, "schemaname",
				    cell_str(r, row, 0), "relname", cell_str(r, row, 1) };
		emit_columns(b, r, tables, sizeof(tables) / sizeof(tables[0]), l, 4, row);
	}
}

static const struct metric_desc m_table_size = {
	"pg_stat_user_tables_total_size_bytes", "Disk space of the table with its indexes and TOAST.",
	METRIC_GAUGE };

void pg_emit_table_sizes(struct batch *b, const char *target, const char *datname,
			 const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "datname", datname, "schemaname",
				    cell_str(r, row, 0), "relname", cell_str(r, row, 1) };
		add_cell(b, &m_table_size, r, row, 2, 1, l, 4);
	}
}
