/*
 * pg_health.c -- samples from the health queries of pg_sql.c (see
 * pg_health.h), named after postgres_exporter 0.20.1's collectors
 * (collector/pg_*.go) and its legacy metric map (pg_static,
 * pg_stat_database_conflicts).  Called on a PostgreSQL target's worker
 * thread.
 *
 * Why this file is long: one short emitter per health query of pg_sql.c
 * (20, mostly tables of columns), all on the cell helpers below; split,
 * they would only spread those helpers over a private header.
 */
#include "autoconfig.h"
#include "pg_health.h"
#include "metrics.h"
#include "pg_conn.h"
#include "strutil.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

static int cell_bool(const PGresult *r, int row, int col)
{
	const char *s = col < PQnfields(r) ? pg_cell(r, row, col) : NULL;
	return s && s[0] == 't';
}

static int cell_null(const PGresult *r, int row, int col)
{
	return col >= PQnfields(r) || PQgetisnull(r, row, col);
}

static void add(struct batch *b, const struct metric_desc *d, double v, const char *const *labels,
		size_t nlabels)
{
	batch_addv(b, d->name, d->help, d->type, v, labels, nlabels);
}

void pg_emit_cell(struct batch *b, const struct metric_desc *d, const PGresult *r, int row,
		  int col, double mul, const char *const *labels, size_t nlabels)
{
	double v;
	if (pg_cell_num(r, row, col, &v) == 0)
		add(b, d, v * mul, labels, nlabels);
}

/* A column of a result and its family: NULL cells add nothing, or 0 with
 * zero set (postgres_exporter's `metric := 0.0; if x.Valid {...}`). */
struct column {
	int col;
	double mul;
	int zero;
	struct metric_desc d;
};

static void emit_columns(struct batch *b, const PGresult *r, const struct column *cols, size_t n,
			 const char *const *labels, size_t nlabels, int row)
{
	for (size_t i = 0; i < n; i++) {
		double v;
		if (pg_cell_num(r, row, cols[i].col, &v) == 0)
			add(b, &cols[i].d, v * cols[i].mul, labels, nlabels);
		else if (cols[i].zero && cols[i].col < PQnfields(r))
			add(b, &cols[i].d, 0, labels, nlabels);
	}
}

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- server ---------------------------------------------------------- */

void pg_server_label(const char *host, const char *port, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s:%s", host && *host ? host : "localhost",
		 port && *port ? port : "5432");
}

static const struct metric_desc m_static = {
	"pg_static", "Version string as reported by postgres", METRIC_UNTYPED };
static const struct metric_desc m_start = {
	"pg_postmaster_start_time_seconds", "Time at which postmaster started", METRIC_GAUGE };

void pg_emit_server(struct batch *b, const char *target, const char *server, const PGresult *r,
		    struct pg_server_info *info)
{
	const char *t[] = { "target", target };
	double v, reserved = 0, extra = 0;
	if (PQntuples(r) < 1 || PQnfields(r) < 8)
		return;
	/* a server_version_num that is no int (a hostile or broken server)
	 * leaves the version unknown */
	if (pg_cell_num(r, 0, 0, &v) == 0 && v >= 0 && v <= INT_MAX)
		info->version_num = (int)v;
	/* postgres_exporter's short_version is the semver of version()'s
	 * "15.4": 15.4.0 */
	char short_version[32];
	snprintf(short_version, sizeof(short_version), "%d.%d.0", info->version_num / 10000,
		 info->version_num % 10000);
	const char *vl[] = { "target", target, "server", server, "version", pg_cell_str(r, 0, 7),
			     "short_version", short_version };
	add(b, &m_static, 1, vl, 4);
	add(b, &m_start, pg_cell_or_zero(r, 0, 2), t, 1);
	info->in_recovery = cell_bool(r, 0, 3);
	if (pg_cell_num(r, 0, 4, &v) == 0)
		info->max_connections = v;
	pg_cell_num(r, 0, 5, &reserved);
	pg_cell_num(r, 0, 6, &extra);
	info->reserved = reserved + extra;
}

/* ---- pg_stat_database, its conflicts, pg_database, pg_roles ------------ */

#define SD(col, name, help, type) { col, 1, 0, { "pg_stat_database_" name, help, type } }

static const struct column stat_database[] = {
	SD(2, "numbackends", "Number of backends currently connected to this database.", METRIC_GAUGE),
	SD(3, "xact_commit", "Number of transactions in this database that have been committed",
	   METRIC_COUNTER),
	SD(4, "xact_rollback", "Number of transactions in this database that have been rolled back",
	   METRIC_COUNTER),
	SD(5, "blks_read", "Number of disk blocks read in this database", METRIC_COUNTER),
	SD(6, "blks_hit", "Number of times disk blocks were found already in the buffer cache",
	   METRIC_COUNTER),
	SD(7, "tup_returned", "Number of rows returned by queries in this database", METRIC_COUNTER),
	SD(8, "tup_fetched", "Number of rows fetched by queries in this database", METRIC_COUNTER),
	SD(9, "tup_inserted", "Number of rows inserted by queries in this database", METRIC_COUNTER),
	SD(10, "tup_updated", "Number of rows updated by queries in this database", METRIC_COUNTER),
	SD(11, "tup_deleted", "Number of rows deleted by queries in this database", METRIC_COUNTER),
	SD(12, "conflicts", "Number of queries canceled due to conflicts with recovery in this database",
	   METRIC_COUNTER),
	SD(13, "temp_files", "Number of temporary files created by queries in this database",
	   METRIC_COUNTER),
	SD(14, "temp_bytes", "Total amount of data written to temporary files by queries in this database",
	   METRIC_COUNTER),
	SD(15, "deadlocks", "Number of deadlocks detected in this database", METRIC_COUNTER),
	SD(16, "blk_read_time",
	   "Time spent reading data file blocks by backends in this database, in milliseconds",
	   METRIC_COUNTER),
	SD(17, "blk_write_time",
	   "Time spent writing data file blocks by backends in this database, in milliseconds",
	   METRIC_COUNTER),
	{ 18, 1, 1, { "pg_stat_database_stats_reset", "Time at which these statistics were last reset",
		      METRIC_COUNTER } },
	{ 19, 1e-3, 0, { "pg_stat_database_active_time_seconds_total",
			 "Time spent executing SQL statements in this database, in seconds",
			 METRIC_COUNTER } },
};

void pg_emit_stat_database(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		if (cell_null(r, row, 0) || cell_null(r, row, 1))
			continue;
		const char *l[] = { "target", target, "datid", pg_cell_str(r, row, 0), "datname",
				    pg_cell_str(r, row, 1) };
		emit_columns(b, r, stat_database, NCOLS(stat_database), l, 3, row);
	}
}

#define CONFL(col, what, why) \
	{ col, 1, 0, { "pg_stat_database_conflicts_confl_" what, \
		       "Number of queries in this database that have been canceled due to " why, \
		       METRIC_COUNTER } }

static const struct column conflicts[] = {
	CONFL(2, "tablespace", "dropped tablespaces"),
	CONFL(3, "lock", "lock timeouts"),
	CONFL(4, "snapshot", "old snapshots"),
	CONFL(5, "bufferpin", "pinned buffers"),
	CONFL(6, "deadlock", "deadlocks"),
};

void pg_emit_conflicts(struct batch *b, const char *target, const char *server, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "datid", pg_cell_str(r, row, 0), "datname",
				    pg_cell_str(r, row, 1), "server", server };
		emit_columns(b, r, conflicts, NCOLS(conflicts), l, 4, row);
	}
}

static const struct metric_desc m_db_connlimit = {
	"pg_database_connection_limit", "Connection limit set for the database", METRIC_GAUGE };
static const struct metric_desc m_xid_age = {
	"pg_database_wraparound_age_datfrozenxid_seconds",
	"Age of the oldest transaction ID that has not been frozen.", METRIC_GAUGE };
static const struct metric_desc m_mxid_age = {
	"pg_database_wraparound_age_datminmxid_seconds",
	"Age of the oldest multi-transaction ID that has been replaced with a transaction ID.",
	METRIC_GAUGE };

void pg_emit_database(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		if (cell_null(r, row, 0))
			continue;
		const char *l[] = { "target", target, "datname", pg_cell_str(r, row, 0) };
		add(b, &m_db_connlimit, pg_cell_or_zero(r, row, 1), l, 2);
		double xid, mxid;
		if (cell_bool(r, row, 2) && pg_cell_num(r, row, 3, &xid) == 0 &&
		    pg_cell_num(r, row, 4, &mxid) == 0) {
			add(b, &m_xid_age, xid, l, 2);
			add(b, &m_mxid_age, mxid, l, 2);
		}
	}
}

static const struct metric_desc m_db_size = {
	"pg_database_size_bytes", "Disk space used by the database", METRIC_GAUGE };

void pg_emit_database_size(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		if (cell_null(r, row, 0))
			continue;
		const char *l[] = { "target", target, "datname", pg_cell_str(r, row, 0) };
		add(b, &m_db_size, pg_cell_or_zero(r, row, 1), l, 2);
	}
}

static const struct metric_desc m_role_connlimit = {
	"pg_roles_connection_limit", "Connection limit set for the role", METRIC_GAUGE };

void pg_emit_roles(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "rolname", pg_cell_str(r, row, 0) };
		add(b, &m_role_connlimit, pg_cell_or_zero(r, row, 1), l, 2);
	}
}

/* ---- connections and locks ------------------------------------------- */

static const struct metric_desc m_act_count = {
	"pg_stat_activity_count", "number of connections in this state", METRIC_GAUGE };
static const struct metric_desc m_act_tx = {
	"pg_stat_activity_max_tx_duration",
	"max duration in seconds any active transaction has been running", METRIC_GAUGE };
static const struct metric_desc m_act_query = {
	"pg_stat_activity_max_query_duration_seconds",
	"Age of the oldest running query (state active) by database.", METRIC_GAUGE };
static const struct metric_desc m_act_waiting = {
	"pg_stat_activity_lock_waiters", "Client connections waiting for a lock.",
	METRIC_GAUGE };
static const struct metric_desc m_long_tx = {
	"pg_long_running_transactions", "Current number of long running transactions",
	METRIC_GAUGE };
static const struct metric_desc m_long_tx_age = {
	"pg_long_running_transactions_oldest_timestamp_seconds",
	"The current maximum transaction age in seconds", METRIC_GAUGE };
static const struct metric_desc m_util = {
	"pg_connections_utilization_ratio",
	"Client connections (the agent's own left out) over the connections available to them "
	"(max_connections less the reserved ones).", METRIC_GAUGE };

static const struct metric_desc m_idle = {
	"pg_process_idle_seconds", "Idle time of server processes", METRIC_HISTOGRAM };

/* Columns of pg_sql_activity(). */
enum {
	A_KIND, A_DATNAME, A_STATE, A_USER, A_APP, A_BACKEND, A_WAIT_TYPE, A_WAIT, A_N, A_V1, A_V2,
	A_BUCKETS
};

/* postgres_exporter's process_idle buckets (seconds), as its le labels */
static const char *const idle_bounds[] = { "1", "2", "5", "15", "30", "60", "90", "120", "300" };
#define IDLE_BUCKETS (sizeof(idle_bounds) / sizeof(idle_bounds[0]))

/* '{n,n,...}' of exactly IDLE_BUCKETS counts into counts; 0 or -1. */
static int parse_idle_buckets(const char *s, double *counts)
{
	if (!s || *s != '{')
		return -1;
	s++;
	for (size_t i = 0; i < IDLE_BUCKETS; i++) {
		size_t n = strcspn(s, ",}");
		uint64_t v;
		if (parse_uint64_n(s, n, &v) < 0)
			return -1;
		counts[i] = (double)v;
		s += n;
		if (*s != (i + 1 < IDLE_BUCKETS ? ',' : '}'))
			return -1;
		s++;
	}
	return *s ? -1 : 0;
}

/* One histogram per idle state and application (postgres_exporter reads
 * the first of its rows only: dbpulse serves them all), "unknown" for a
 * NULL name. */
static void emit_idle(struct batch *b, const char *target, const PGresult *r, int row)
{
	double counts[IDLE_BUCKETS], n, sum;
	if (cell_null(r, row, A_BUCKETS) || parse_idle_buckets(pg_cell(r, row, A_BUCKETS), counts) < 0 ||
	    pg_cell_num(r, row, A_N, &n) < 0 || pg_cell_num(r, row, A_V1, &sum) < 0)
		return;
	const char *state = cell_null(r, row, A_STATE) ? "unknown" : pg_cell_str(r, row, A_STATE);
	const char *app = cell_null(r, row, A_APP) ? "unknown" : pg_cell_str(r, row, A_APP);
	const char *le = "";
	const char *l[] = { "target", target, "state", state, "application_name", app, "le", le };
	for (size_t i = 0; i <= IDLE_BUCKETS; i++) {
		l[7] = i < IDLE_BUCKETS ? idle_bounds[i] : "+Inf";
		batch_addv_part(b, m_idle.name, m_idle.help, m_idle.type, METRIC_PART_BUCKET,
				i < IDLE_BUCKETS ? counts[i] : n, l, 4);
	}
	batch_addv_part(b, m_idle.name, m_idle.help, m_idle.type, METRIC_PART_SUM, sum, l, 3);
	batch_addv_part(b, m_idle.name, m_idle.help, m_idle.type, METRIC_PART_COUNT, n, l, 3);
}

void pg_emit_activity(struct batch *b, const char *target, const PGresult *r,
		      struct pg_server_info *info)
{
	double clients = 0, qmax = 0, waiters = 0;
	int rows = PQntuples(r);
	if (PQnfields(r) < A_V2 + 1 || rows < 1)
		return;
	for (int row = 0; row < rows; row++) {
		const char *kind = pg_cell_str(r, row, A_KIND);
		if (kind[0] == 'l') {
			const char *t[] = { "target", target };
			add(b, &m_long_tx, pg_cell_or_zero(r, row, A_N), t, 1);
			add(b, &m_long_tx_age, pg_cell_or_zero(r, row, A_V1), t, 1);
			continue;
		}
		if (kind[0] == 'i') {
			emit_idle(b, target, r, row);
			continue;
		}
		const char *db = pg_cell_str(r, row, A_DATNAME);
		const char *l[] = { "target", target, "datname", db, "state", pg_cell_str(r, row, A_STATE),
				    "usename", pg_cell_str(r, row, A_USER),
				    "application_name", pg_cell_str(r, row, A_APP),
				    "backend_type", pg_cell_str(r, row, A_BACKEND),
				    "wait_event_type", pg_cell_str(r, row, A_WAIT_TYPE),
				    "wait_event", pg_cell_str(r, row, A_WAIT) };
		double n = pg_cell_or_zero(r, row, A_N), q;
		add(b, &m_act_count, n, l, 8);
		pg_emit_cell(b, &m_act_tx, r, row, A_V1, 1, l, 8);
		/* the agent's own figures per database: rows come by datname */
		int client = strcmp(pg_cell_str(r, row, A_BACKEND), "client backend") == 0;
		if (client) {
			clients += n;
			if (strcmp(pg_cell_str(r, row, A_WAIT_TYPE), "Lock") == 0)
				waiters += n;
		}
		if (pg_cell_num(r, row, A_V2, &q) == 0 && q > qmax)
			qmax = q;
		if (row + 1 < rows && pg_cell_str(r, row + 1, A_KIND)[0] == 'a' &&
		    strcmp(db, pg_cell_str(r, row + 1, A_DATNAME)) == 0)
			continue;
		const char *dl[] = { "target", target, "datname", db };
		add(b, &m_act_query, qmax, dl, 2);
		add(b, &m_act_waiting, waiters, dl, 2);
		qmax = waiters = 0;
	}
	info->client_backends = clients;
	double usable = info->max_connections - info->reserved;
	if (usable > 0) {
		const char *t[] = { "target", target };
		add(b, &m_util, clients / usable, t, 1);
	}
}

static const struct metric_desc m_locks = { "pg_locks_count", "Number of locks", METRIC_GAUGE };

void pg_emit_locks(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		if (cell_null(r, row, 0) || cell_null(r, row, 1))
			continue;
		const char *l[] = { "target", target, "datname", pg_cell_str(r, row, 0), "mode",
				    pg_cell_str(r, row, 1) };
		add(b, &m_locks, pg_cell_or_zero(r, row, 2), l, 3);
	}
}

/* ---- replication ------------------------------------------------------ */

static const struct column replication[] = {
	{ 4, 1, 0, { "pg_stat_replication_pg_current_wal_lsn_bytes", "WAL position in bytes",
		     METRIC_GAUGE } },
	{ 5, 1, 0, { "pg_stat_replication_pg_wal_lsn_diff", "Lag in bytes between master and slave",
		     METRIC_GAUGE } },
	/* the agent's own: NULL when the standby is idle and caught up */
	{ 6, 1, 1, { "pg_stat_replication_write_lag_seconds",
		     "Time for recent WAL to be written on the standby (0 when idle).", METRIC_GAUGE } },
	{ 7, 1, 1, { "pg_stat_replication_flush_lag_seconds",
		     "Time for recent WAL to be flushed on the standby (0 when idle).", METRIC_GAUGE } },
	{ 8, 1, 1, { "pg_stat_replication_replay_lag_seconds",
		     "Time for recent WAL to be replayed on the standby (0 when idle).", METRIC_GAUGE } },
};

void pg_emit_replication(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "application_name", pg_cell_str(r, row, 0),
				    "client_addr", pg_cell_str(r, row, 1), "state", pg_cell_str(r, row, 2),
				    "slot_name", pg_cell_str(r, row, 3) };
		emit_columns(b, r, replication, NCOLS(replication), l, 5, row);
	}
}

static const struct metric_desc m_lag = {
	"pg_replication_lag_seconds", "Replication lag behind master in seconds", METRIC_GAUGE };
static const struct metric_desc m_is_replica = {
	"pg_replication_is_replica", "Indicates if the server is a replica", METRIC_GAUGE };
static const struct metric_desc m_last_replay = {
	"pg_replication_last_replay_seconds", "Age of last replay in seconds", METRIC_GAUGE };

void pg_emit_standby(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) < 1)
		return;
	add(b, &m_lag, pg_cell_or_zero(r, 0, 0), t, 1);
	add(b, &m_is_replica, pg_cell_or_zero(r, 0, 1), t, 1);
	add(b, &m_last_replay, pg_cell_or_zero(r, 0, 2), t, 1);
}

#define WR(col, name, help, type) { col, 1, 0, { "pg_stat_wal_receiver_" name, help, type } }

/* Columns 3 to 10 of pg_sql_wal_receiver(); postgres_exporter skips a row
 * when one of them is NULL (flushed_lsn only from 13). */
static const struct column wal_receiver[] = {
	WR(3, "receive_start_lsn", "First write-ahead log location used when WAL receiver is "
	   "started represented as a decimal", METRIC_COUNTER),
	WR(4, "flushed_lsn", "Last write-ahead log location already received and flushed to disk",
	   METRIC_COUNTER),
	WR(5, "receive_start_tli", "First timeline number used when WAL receiver is started",
	   METRIC_GAUGE),
	WR(6, "received_tli", "Timeline number of last write-ahead log location received and "
	   "flushed to disk", METRIC_GAUGE),
	WR(7, "last_msg_send_time", "Send time of last message received from origin WAL sender",
	   METRIC_COUNTER),
	WR(8, "last_msg_receipt_time", "Send time of last message received from origin WAL sender",
	   METRIC_COUNTER),
	WR(9, "latest_end_lsn", "Last write-ahead log location reported to origin WAL sender as "
	   "integer", METRIC_COUNTER),
	WR(10, "latest_end_time", "Time of last write-ahead log location reported to origin WAL "
	   "sender", METRIC_COUNTER),
	WR(11, "upstream_node", "Node ID of the upstream node", METRIC_GAUGE),
};

static const struct metric_desc m_streaming = {
	"pg_stat_wal_receiver_streaming", "Standby: whether the WAL receiver is streaming.",
	METRIC_GAUGE };
static const struct metric_desc m_last_msg = {
	"pg_stat_wal_receiver_last_msg_age_seconds",
	"Standby: time since the last message from the primary.", METRIC_GAUGE };

/* postgres_exporter emits a WAL receiver's row only when its labels and
 * every value but upstream_node are there. */
static int wal_receiver_complete(const PGresult *r, int row, int has_flushed)
{
	for (int col = 0; col <= 10; col++)
		if (cell_null(r, row, col) && (col != 4 || has_flushed))
			return 0;
	return 1;
}

void pg_emit_wal_receiver(struct batch *b, const char *target, const PGresult *r,
			  int in_recovery)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) < 1) {
		if (in_recovery) /* a standby whose receiver is not running */
			add(b, &m_streaming, 0, t, 1);
		return;
	}
	add(b, &m_streaming, strcmp(pg_cell_str(r, 0, 2), "streaming") == 0, t, 1);
	pg_emit_cell(b, &m_last_msg, r, 0, 12, 1, t, 1);
	/* flushed_lsn is NULL before 13, where the column did not exist */
	int has_flushed = !cell_null(r, 0, 4);
	if (!wal_receiver_complete(r, 0, has_flushed))
		return;
	const char *l[] = { "target", target, "upstream_host", pg_cell_str(r, 0, 0), "slot_name",
			    pg_cell_str(r, 0, 1), "status", pg_cell_str(r, 0, 2) };
	emit_columns(b, r, wal_receiver, NCOLS(wal_receiver), l, 4, 0);
}

static const struct metric_desc m_slot_active = {
	"pg_replication_slots_active", "Flag indicating if the slot is active", METRIC_GAUGE };
static const struct metric_desc m_slot_diff = {
	"pg_replication_slots_pg_wal_lsn_diff", "Replication lag in bytes", METRIC_GAUGE };
static const struct metric_desc m_slot_wal = {
	"pg_replication_slots_slot_current_wal_lsn", "current wal lsn value", METRIC_GAUGE };
static const struct metric_desc m_slot_flush = {
	"pg_replication_slots_slot_confirmed_flush_lsn",
	"last lsn confirmed flushed to the replication slot", METRIC_GAUGE };
static const struct metric_desc m_slot_is_active = {
	"pg_replication_slots_slot_is_active", "whether the replication slot is active or not",
	METRIC_GAUGE };
static const struct metric_desc m_slot_safe = {
	"pg_replication_slots_safe_wal_size_bytes",
	"number of bytes that can be written to WAL such that this slot is not in danger of "
	"getting in state lost", METRIC_GAUGE };
static const struct metric_desc m_slot_status = {
	"pg_replication_slots_wal_status", "availability of WAL files claimed by this slot",
	METRIC_GAUGE };

/* Columns of pg_sql_slots(). */
enum { S_NAME, S_DATABASE, S_TYPE, S_ACTIVE, S_DIFF, S_WAL, S_FLUSH, S_SAFE, S_STATUS };

void pg_emit_slots(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *name = pg_cell_str(r, row, S_NAME);
		const char *l[] = { "target", target, "slot_name", name, "database",
				    pg_cell_str(r, row, S_DATABASE) };
		/* the slot's own series name a missing name or type "unknown" */
		const char *sn = cell_null(r, row, S_NAME) ? "unknown" : name;
		const char *st = cell_null(r, row, S_TYPE) ? "unknown" : pg_cell_str(r, row, S_TYPE);
		const char *sl[] = { "target", target, "slot_name", sn, "slot_type", st };
		int active = cell_bool(r, row, S_ACTIVE);
		if (!cell_null(r, row, S_ACTIVE)) {
			add(b, &m_slot_active, active, l, 3);
			add(b, &m_slot_is_active, active, sl, 3);
		}
		pg_emit_cell(b, &m_slot_diff, r, row, S_DIFF, 1, l, 3);
		pg_emit_cell(b, &m_slot_wal, r, row, S_WAL, 1, sl, 3);
		if (active)
			pg_emit_cell(b, &m_slot_flush, r, row, S_FLUSH, 1, sl, 3);
		pg_emit_cell(b, &m_slot_safe, r, row, S_SAFE, 1, sl, 3);
		if (!cell_null(r, row, S_STATUS)) {
			const char *wl[] = { "target", target, "slot_name", sn, "slot_type", st,
					     "wal_status", pg_cell_str(r, row, S_STATUS) };
			add(b, &m_slot_status, 1, wl, 4);
		}
	}
}

/* ---- archiving, WAL, checkpoints -------------------------------------- */

static const struct column archiver[] = {
	{ 0, 1, 0, { "pg_stat_archiver_archived_count",
		     "Number of WAL files that have been successfully archived", METRIC_COUNTER } },
	{ 1, 1, 0, { "pg_stat_archiver_failed_count",
		     "Number of failed attempts for archiving WAL files", METRIC_COUNTER } },
	{ 2, 1, 0, { "pg_stat_archiver_last_archive_age",
		     "Time in seconds since last WAL segment was successfully archived",
		     METRIC_GAUGE } },
};

void pg_emit_archiver(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) >= 1)
		emit_columns(b, r, archiver, NCOLS(archiver), t, 1, 0);
}

/* pg_stat_wal (14 and later): the agent's own, postgres_exporter has none */
static const struct column wal[] = {
	{ 0, 1, 0, { "pg_stat_wal_records_total", "WAL records generated.", METRIC_COUNTER } },
	{ 1, 1, 0, { "pg_stat_wal_fpi_total", "WAL full page images generated.", METRIC_COUNTER } },
	{ 2, 1, 0, { "pg_stat_wal_bytes_total", "WAL generated, in bytes.", METRIC_COUNTER } },
	{ 3, 1, 0, { "pg_stat_wal_buffers_full_total",
		     "Times WAL was written because the buffers were full.", METRIC_COUNTER } },
	{ 4, 1, 0, { "pg_stat_wal_write_total", "WAL buffer writes to disk.", METRIC_COUNTER } },
	{ 5, 1, 0, { "pg_stat_wal_sync_total", "WAL file syncs to disk.", METRIC_COUNTER } },
	{ 6, 1e-3, 0, { "pg_stat_wal_write_time_seconds_total",
			"Time spent writing WAL (track_wal_io_timing).", METRIC_COUNTER } },
	{ 7, 1e-3, 0, { "pg_stat_wal_sync_time_seconds_total",
			"Time spent syncing WAL (track_wal_io_timing).", METRIC_COUNTER } },
};

void pg_emit_wal(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) >= 1)
		emit_columns(b, r, wal, NCOLS(wal), t, 1, 0);
}

static const struct column wal_dir[] = {
	{ 0, 1, 1, { "pg_wal_segments", "Number of WAL segments", METRIC_GAUGE } },
	{ 1, 1, 0, { "pg_wal_size_bytes", "Total size of WAL segments", METRIC_GAUGE } },
};

void pg_emit_wal_dir(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) >= 1)
		emit_columns(b, r, wal_dir, NCOLS(wal_dir), t, 1, 0);
}

#define BG(col, name, help) { col, 1, 0, { "pg_stat_bgwriter_" name, help, METRIC_COUNTER } }

/* NULL cells (from 17, the columns that moved) add nothing; before 17
 * postgres_exporter writes 0 for a NULL, which the view never has */
static const struct column bgwriter[] = {
	BG(0, "checkpoints_timed_total", "Number of scheduled checkpoints that have been performed"),
	BG(1, "checkpoints_req_total", "Number of requested checkpoints that have been performed"),
	BG(2, "checkpoint_write_time_total", "Total amount of time that has been spent in the "
	   "portion of checkpoint processing where files are written to disk, in milliseconds"),
	BG(3, "checkpoint_sync_time_total", "Total amount of time that has been spent in the "
	   "portion of checkpoint processing where files are synchronized to disk, in milliseconds"),
	BG(4, "buffers_checkpoint_total", "Number of buffers written during checkpoints"),
	BG(5, "buffers_clean_total", "Number of buffers written by the background writer"),
	BG(6, "maxwritten_clean_total", "Number of times the background writer stopped a cleaning "
	   "scan because it had written too many buffers"),
	BG(7, "buffers_backend_total", "Number of buffers written directly by a backend"),
	BG(8, "buffers_backend_fsync_total", "Number of times a backend had to execute its own "
	   "fsync call"),
	BG(9, "buffers_alloc_total", "Number of buffers allocated"),
	{ 10, 1, 1, { "pg_stat_bgwriter_stats_reset_total",
		      "Time at which these statistics were last reset", METRIC_COUNTER } },
};

void pg_emit_bgwriter(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) >= 1)
		emit_columns(b, r, bgwriter, NCOLS(bgwriter), t, 1, 0);
}

#define CP(col, name, help) \
	{ col, 1, 1, { "pg_stat_checkpointer_" name, help, METRIC_COUNTER } }

static const struct column checkpointer[] = {
	CP(0, "num_timed_total", "Number of scheduled checkpoints due to timeout"),
	CP(1, "num_requested_total", "Number of requested checkpoints that have been performed"),
	CP(2, "restartpoints_timed_total", "Number of scheduled restartpoints due to timeout or "
	   "after a failed attempt to perform it"),
	CP(3, "restartpoints_req_total", "Number of requested restartpoints"),
	CP(4, "restartpoints_done_total", "Number of restartpoints that have been performed"),
	CP(5, "write_time_total", "Total amount of time that has been spent in the portion of "
	   "processing checkpoints and restartpoints where files are written to disk, in "
	   "milliseconds"),
	CP(6, "sync_time_total", "Total amount of time that has been spent in the portion of "
	   "processing checkpoints and restartpoints where files are synchronized to disk, in "
	   "milliseconds"),
	CP(7, "buffers_written_total", "Number of buffers written during checkpoints and "
	   "restartpoints"),
	CP(8, "stats_reset_total", "Time at which these statistics were last reset"),
};

void pg_emit_checkpointer(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	if (PQntuples(r) >= 1)
		emit_columns(b, r, checkpointer, NCOLS(checkpointer), t, 1, 0);
}

/* ---- tables ----------------------------------------------------------- */

#define UT(col, name, help, type) { col, 1, 1, { "pg_stat_user_tables_" name, help, type } }
#define IO(col, name, help) \
	{ col, 1, 1, { "pg_statio_user_tables_" name, help, METRIC_COUNTER } }

static const struct column tables[] = {
	UT(2, "seq_scan", "Number of sequential scans initiated on this table", METRIC_COUNTER),
	UT(3, "seq_tup_read", "Number of live rows fetched by sequential scans", METRIC_COUNTER),
	UT(4, "idx_scan", "Number of index scans initiated on this table", METRIC_COUNTER),
	UT(5, "idx_tup_fetch", "Number of live rows fetched by index scans", METRIC_COUNTER),
	UT(6, "n_tup_ins", "Number of rows inserted", METRIC_COUNTER),
	UT(7, "n_tup_upd", "Number of rows updated", METRIC_COUNTER),
	UT(8, "n_tup_del", "Number of rows deleted", METRIC_COUNTER),
	UT(9, "n_tup_hot_upd", "Number of rows HOT updated (i.e., with no separate index update "
	   "required)", METRIC_COUNTER),
	UT(10, "n_live_tup", "Estimated number of live rows", METRIC_GAUGE),
	UT(11, "n_dead_tup", "Estimated number of dead rows", METRIC_GAUGE),
	UT(12, "n_mod_since_analyze", "Estimated number of rows changed since last analyze",
	   METRIC_GAUGE),
	UT(13, "last_vacuum", "Last time at which this table was manually vacuumed (not counting "
	   "VACUUM FULL)", METRIC_GAUGE),
	UT(14, "last_autovacuum", "Last time at which this table was vacuumed by the autovacuum "
	   "daemon", METRIC_GAUGE),
	UT(15, "last_analyze", "Last time at which this table was manually analyzed", METRIC_GAUGE),
	UT(16, "last_autoanalyze", "Last time at which this table was analyzed by the autovacuum "
	   "daemon", METRIC_GAUGE),
	UT(17, "vacuum_count", "Number of times this table has been manually vacuumed (not "
	   "counting VACUUM FULL)", METRIC_COUNTER),
	UT(18, "autovacuum_count", "Number of times this table has been vacuumed by the autovacuum "
	   "daemon", METRIC_COUNTER),
	UT(19, "analyze_count", "Number of times this table has been manually analyzed",
	   METRIC_COUNTER),
	UT(20, "autoanalyze_count", "Number of times this table has been analyzed by the "
	   "autovacuum daemon", METRIC_COUNTER),
	IO(21, "heap_blocks_read", "Number of disk blocks read from this table"),
	IO(22, "heap_blocks_hit", "Number of buffer hits in this table"),
	IO(23, "idx_blocks_read", "Number of disk blocks read from all indexes on this table"),
	IO(24, "idx_blocks_hit", "Number of buffer hits in all indexes on this table"),
	IO(25, "toast_blocks_read", "Number of disk blocks read from this table's TOAST table (if "
	   "any)"),
	IO(26, "toast_blocks_hit", "Number of buffer hits in this table's TOAST table (if any)"),
	IO(27, "tidx_blocks_read", "Number of disk blocks read from this table's TOAST table "
	   "indexes (if any)"),
	IO(28, "tidx_blocks_hit", "Number of buffer hits in this table's TOAST table indexes (if "
	   "any)"),
};

void pg_emit_tables(struct batch *b, const char *target, const char *datname, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "datname", datname, "schemaname",
				    pg_cell_str(r, row, 0), "relname", pg_cell_str(r, row, 1) };
		emit_columns(b, r, tables, NCOLS(tables), l, 4, row);
	}
}

static const struct column table_sizes[] = {
	UT(2, "index_size_bytes", "Total disk space used by this index, in bytes", METRIC_GAUGE),
	UT(3, "table_size_bytes", "Total disk space used by this table, in bytes", METRIC_GAUGE),
};

void pg_emit_table_sizes(struct batch *b, const char *target, const char *datname,
			 const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *l[] = { "target", target, "datname", datname, "schemaname",
				    pg_cell_str(r, row, 0), "relname", pg_cell_str(r, row, 1) };
		emit_columns(b, r, table_sizes, NCOLS(table_sizes), l, 4, row);
	}
}

#define PV(col, name, help) \
	{ col, 1, 1, { "pg_stat_progress_vacuum_" name, help, METRIC_GAUGE } }

static const struct column progress_vacuum[] = {
	PV(3, "heap_blks", "Total number of heap blocks in the table being vacuumed."),
	PV(4, "heap_blks_scanned", "Number of heap blocks scanned so far."),
	PV(5, "heap_blks_vacuumed", "Number of heap blocks vacuumed so far."),
	PV(6, "index_vacuums", "Number of completed index vacuum cycles."),
	PV(7, "max_dead_tuples", "Maximum number of dead tuples that can be stored before cleanup "
	   "is performed."),
	PV(8, "num_dead_tuples", "Current number of dead tuples found so far."),
};

static const struct metric_desc m_vacuum_phase = {
	"pg_stat_progress_vacuum_phase",
	"Current vacuum phase (1 = active, 0 = inactive). Label 'phase' is human-readable.",
	METRIC_GAUGE };

/* pg_stat_progress_vacuum's phases 0 to 6, as postgres_exporter names them */
static const char *const vacuum_phases[] = {
	"initializing", "scanning heap", "vacuuming indexes", "vacuuming heap",
	"cleaning up indexes", "truncating heap", "performing final cleanup",
};

void pg_emit_progress_vacuum(struct batch *b, const char *target, const PGresult *r)
{
	for (int row = 0; row < PQntuples(r); row++) {
		const char *db = cell_null(r, row, 0) ? "unknown" : pg_cell_str(r, row, 0);
		const char *rel = cell_null(r, row, 1) ? "unknown" : pg_cell_str(r, row, 1);
		double phase;
		int has_phase = pg_cell_num(r, row, 2, &phase) == 0;
		for (size_t i = 0; i < NCOLS(vacuum_phases); i++) {
			const char *l[] = { "target", target, "datname", db, "relname", rel, "phase",
					    vacuum_phases[i] };
			add(b, &m_vacuum_phase, has_phase && phase == (double)i, l, 4);
		}
		const char *l[] = { "target", target, "datname", db, "relname", rel };
		emit_columns(b, r, progress_vacuum, NCOLS(progress_vacuum), l, 3, row);
	}
}

/* ---- settings --------------------------------------------------------- */

/* A unit's suffix of the value itself, as postgres_exporter strips it
 * (Aurora's "16MB"): the first of these that ends the value, with one
 * character more. */
static const char *const setting_suffixes[] = {
	"ms", "s", "min", "h", "d", "B", "kB", "MB", "GB", "TB",
};

struct setting_unit {
	const char *unit;
	int bytes;        /* else seconds */
	double mul;
};

static const struct setting_unit setting_units[] = {
	{ "ms", 0, 1e-3 }, { "s", 0, 1 }, { "min", 0, 60 }, { "h", 0, 3600 }, { "d", 0, 86400 },
	{ "B", 1, 1 }, { "kB", 1, 1024.0 }, { "MB", 1, 1048576.0 }, { "GB", 1, 1073741824.0 },
	{ "TB", 1, 1099511627776.0 }, { "1kB", 1, 1024.0 }, { "2kB", 1, 2048.0 },
	{ "4kB", 1, 4096.0 }, { "8kB", 1, 8192.0 }, { "16kB", 1, 16384.0 },
	{ "32kB", 1, 32768.0 }, { "64kB", 1, 65536.0 }, { "16MB", 1, 16777216.0 },
	{ "32MB", 1, 33554432.0 }, { "64MB", 1, 67108864.0 },
};

static int setting_number(const char *setting, double *v)
{
	char value[64];
	size_t n = strlen(setting);
	if (n >= sizeof(value))
		return -1;
	memcpy(value, setting, n + 1);
	for (size_t i = 0; i < NCOLS(setting_suffixes); i++) {
		size_t sl = strlen(setting_suffixes[i]);
		if (n >= sl && strcmp(value + n - sl, setting_suffixes[i]) == 0) {
			if (n < sl + 1)
				return -1;
			value[n - sl - 1] = '\0';
			break;
		}
	}
	return parse_double(value, v);
}

int pg_setting_convert(const char *name, const char *setting, const char *unit,
		       const char *vartype, char *metric, size_t metriclen, char *help,
		       size_t helplen, double *value, char *err, size_t errlen)
{
	const char *suffix = "";
	*value = 0;
	if (strcmp(vartype, "bool") == 0) {
		*value = strcmp(setting, "on") == 0;
	} else if (strcmp(vartype, "integer") == 0 || strcmp(vartype, "real") == 0) {
		if (setting_number(setting, value) < 0) {
			snprintf(err, errlen, "error converting setting \"%s\" value \"%s\" to float",
				 name, setting);
			return -1;
		}
		const struct setting_unit *u = NULL;
		for (size_t i = 0; *unit && i < NCOLS(setting_units); i++)
			if (strcmp(unit, setting_units[i].unit) == 0)
				u = &setting_units[i];
		if (*unit && !u) {
			snprintf(err, errlen, "unknown unit for runtime variable: \"%s\"", unit);
			return -1;
		}
		if (u) {
			suffix = u->bytes ? "_bytes" : "_seconds";
			if (*value != -1) /* -1 is special, kept as it is */
				*value *= u->mul;
		}
	} else {
		snprintf(err, errlen, "pgsetting: unsupported vartype \"%s\"", vartype);
		return -1;
	}
	int n = snprintf(metric, metriclen, "pg_settings_%s%s", name, suffix);
	if (n < 0 || (size_t)n >= metriclen) {
		snprintf(err, errlen, "setting name \"%s\" too long", name);
		return -1;
	}
	for (char *p = metric; *p; p++)
		if (*p == '.' || *p == '-')
			*p = '_';
	if (!metric_name_valid(metric)) {
		snprintf(err, errlen, "setting name \"%s\" makes no metric name", name);
		return -1;
	}
	if (*suffix)
		snprintf(help, helplen, "Server Parameter: %s [Units converted to %s.]", name,
			 suffix + 1);
	else
		snprintf(help, helplen, "Server Parameter: %s", name);
	return 0;
}

size_t pg_emit_settings(struct batch *b, const char *target, const PGresult *r)
{
	const char *t[] = { "target", target };
	size_t refused = 0;
	if (PQnfields(r) < 4)
		return 0;
	for (int row = 0; row < PQntuples(r); row++) {
		char metric[256], help[320], err[160];
		double v;
		if (pg_setting_convert(pg_cell_str(r, row, 0), pg_cell_str(r, row, 1), pg_cell_str(r, row, 2),
				       pg_cell_str(r, row, 3), metric, sizeof(metric), help, sizeof(help),
				       &v, err, sizeof(err)) < 0 ||
		    batch_addv(b, metric, help, METRIC_GAUGE, v, t, 1) < 0)
			refused++;
	}
	return refused;
}
