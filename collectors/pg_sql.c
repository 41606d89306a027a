/*
 * pg_sql.c -- the collector's SQL by server version (see pg_sql.h).
 *
 * Version notes: pg_stat_statements renamed total_time to total_exec_time
 * and gained total_plan_time and wal_bytes in 13, pg_stat_statements_info
 * and pg_stat_wal arrived in 14, reserved_connections in 16, and 17 moved
 * the checkpoint columns of pg_stat_bgwriter to pg_stat_checkpointer and
 * renamed blk_read_time/blk_write_time to shared_blk_*_time (adding local
 * and temp ones).  Oldest supported: 12.
 */
#include "autoconfig.h"
#include "pg_sql.h"

#include <stddef.h>
#include "banned.h"

const char *pg_sql_server(int version)
{
	if (version >= 160000)
		return "SELECT current_setting('server_version_num')::int, current_setting('server_version'),"
		       " extract(epoch FROM pg_postmaster_start_time()), pg_is_in_recovery(),"
		       " current_setting('max_connections')::int,"
		       " current_setting('superuser_reserved_connections')::int,"
		       " current_setting('reserved_connections')::int, version()";
	return "SELECT current_setting('server_version_num')::int, current_setting('server_version'),"
	       " extract(epoch FROM pg_postmaster_start_time()), pg_is_in_recovery(),"
	       " current_setting('max_connections')::int,"
	       " current_setting('superuser_reserved_connections')::int, 0, version()";
}

const char *pg_sql_stat_database(int version)
{
	if (version >= 140000)
		return "SELECT datid, datname, numbackends, xact_commit, xact_rollback, blks_read,"
		       " blks_hit, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted,"
		       " conflicts, temp_files, temp_bytes, deadlocks, blk_read_time, blk_write_time,"
		       " floor(extract(epoch FROM stats_reset)), active_time"
		       " FROM pg_stat_database WHERE datname IS NOT NULL";
	return "SELECT datid, datname, numbackends, xact_commit, xact_rollback, blks_read,"
	       " blks_hit, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted,"
	       " conflicts, temp_files, temp_bytes, deadlocks, blk_read_time, blk_write_time,"
	       " floor(extract(epoch FROM stats_reset)), NULL::float8"
	       " FROM pg_stat_database WHERE datname IS NOT NULL";
}

const char *pg_sql_conflicts(int version)
{
	(void)version;
	return "SELECT datid, datname, confl_tablespace, confl_lock, confl_snapshot,"
	       " confl_bufferpin, confl_deadlock FROM pg_stat_database_conflicts";
}

const char *pg_sql_database(int version)
{
	(void)version;
	return "SELECT datname, datconnlimit, datallowconn, age(datfrozenxid), mxid_age(datminmxid)"
	       " FROM pg_database";
}

const char *pg_sql_database_size(int version)
{
	(void)version;
	return "SELECT datname, pg_database_size(oid) FROM pg_database";
}

const char *pg_sql_roles(int version)
{
	(void)version;
	return "SELECT rolname, rolconnlimit FROM pg_roles";
}

const char *pg_sql_activity(int version)
{
	(void)version;
	/* postgres_exporter's stat_activity (a row for every database and
	 * state, zeros where no session is), long_running_transactions and
	 * process_idle over one read of the view */
	return "WITH a AS MATERIALIZED (SELECT datname, state, usename, application_name,"
	       "   backend_type, wait_event_type, wait_event, xact_start, query_start, state_change,"
	       "   query FROM pg_stat_activity WHERE pid <> pg_backend_pid()),"
	       " g AS (SELECT datname, state, usename, application_name, backend_type,"
	       "   wait_event_type, wait_event, count(*) AS n,"
	       "   max(extract(epoch FROM now() - xact_start))::float8 AS tx,"
	       "   (max(extract(epoch FROM now() - query_start)) FILTER (WHERE state = 'active'))"
	       "     ::float8 AS q"
	       "   FROM a GROUP BY 1, 2, 3, 4, 5, 6, 7)"
	       " SELECT 'a', d.datname, s.state, g.usename, g.application_name, g.backend_type,"
	       "   g.wait_event_type, g.wait_event, coalesce(g.n, 0)::float8, coalesce(g.tx, 0), g.q,"
	       "   NULL"
	       " FROM (VALUES ('active'), ('idle'), ('idle in transaction'),"
	       "   ('idle in transaction (aborted)'), ('fastpath function call'), ('disabled')) s(state)"
	       " CROSS JOIN pg_database d"
	       " LEFT JOIN g ON g.state = s.state AND g.datname = d.datname"
	       " UNION ALL"
	       " SELECT 'l', NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*)::float8,"
	       "   max(extract(epoch FROM clock_timestamp() - xact_start))::float8, NULL, NULL"
	       " FROM a WHERE state IS DISTINCT FROM 'idle' AND query NOT LIKE 'autovacuum:%'"
	       "   AND xact_start IS NOT NULL"
	       " UNION ALL"
	       " SELECT 'i', NULL, state, NULL, application_name, NULL, NULL, NULL, count(*)::float8,"
	       "   sum(age::bigint)::float8, NULL,"
	       "   ARRAY[count(*) FILTER (WHERE age <= 1), count(*) FILTER (WHERE age <= 2),"
	       "     count(*) FILTER (WHERE age <= 5), count(*) FILTER (WHERE age <= 15),"
	       "     count(*) FILTER (WHERE age <= 30), count(*) FILTER (WHERE age <= 60),"
	       "     count(*) FILTER (WHERE age <= 90), count(*) FILTER (WHERE age <= 120),"
	       "     count(*) FILTER (WHERE age <= 300)]::text"
	       " FROM (SELECT state, application_name,"
	       "   extract(epoch FROM current_timestamp - state_change) AS age"
	       "   FROM a WHERE state ~ '^idle') i GROUP BY state, application_name"
	       " ORDER BY 2, 3";
}

const char *pg_sql_sessions(int version)
{
	(void)version;
	/* one summary row joined to the busy sessions, so the counts arrive
	 * when every session is idle too; pg_blocking_pids only for lock
	 * waits (it takes the lock manager's locks) */
	return "WITH a AS (SELECT * FROM pg_stat_activity"
	       "   WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()),"
	       " n AS (SELECT count(*) AS total,"
	       "   count(*) FILTER (WHERE state = 'active') AS active,"
	       "   count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS idle_tx,"
	       "   count(*) FILTER (WHERE wait_event_type = 'Lock') AS blocked,"
	       "   count(*) FILTER (WHERE state IS DISTINCT FROM 'idle') AS busy FROM a),"
	       " s AS (SELECT * FROM a WHERE state IS DISTINCT FROM 'idle'"
	       "   ORDER BY xact_start NULLS LAST, query_start NULLS LAST, pid LIMIT $2)"
	       " SELECT n.total, n.active, n.idle_tx, n.blocked, n.busy,"
	       " s.pid, s.datname, s.usename, s.application_name, host(s.client_addr), s.backend_type,"
	       " s.state, s.wait_event_type, s.wait_event,"
	       " extract(epoch FROM s.backend_start), extract(epoch FROM s.xact_start),"
	       " extract(epoch FROM s.query_start), extract(epoch FROM s.state_change),"
	       " CASE WHEN s.wait_event_type = 'Lock' THEN pg_blocking_pids(s.pid) END,"
	       " left(s.query, $1::int)"
	       " FROM n LEFT JOIN s ON true"
	       " ORDER BY s.xact_start NULLS LAST, s.query_start NULLS LAST, s.pid";
}

const char *pg_sql_locks(int version)
{
	(void)version;
	return "SELECT d.datname, m.mode, coalesce(l.count, 0) FROM"
	       " (VALUES ('accesssharelock'), ('rowsharelock'), ('rowexclusivelock'),"
	       "   ('shareupdateexclusivelock'), ('sharelock'), ('sharerowexclusivelock'),"
	       "   ('exclusivelock'), ('accessexclusivelock'), ('sireadlock')) m(mode)"
	       " CROSS JOIN pg_database d"
	       " LEFT JOIN (SELECT database, lower(mode) AS mode, count(*) AS count FROM pg_locks"
	       "   WHERE database IS NOT NULL GROUP BY 1, 2) l"
	       "   ON l.mode = m.mode AND l.database = d.oid ORDER BY 1";
}

const char *pg_sql_replication(int version)
{
	(void)version;
	/* slot_name is pg_replication_slots', found by the WAL sender's pid */
	return "SELECT r.application_name, r.client_addr::text, r.state, s.slot_name,"
	       " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()"
	       "   ELSE pg_current_wal_lsn() END, '0/0')::float8,"
	       " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()"
	       "   ELSE pg_current_wal_lsn() END, r.replay_lsn)::float8,"
	       " extract(epoch FROM r.write_lag), extract(epoch FROM r.flush_lag),"
	       " extract(epoch FROM r.replay_lag)"
	       " FROM pg_stat_replication r"
	       " LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid";
}

const char *pg_sql_standby(int version)
{
	(void)version;
	return "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
	       "   WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
	       "   ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp())) END,"
	       " CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END,"
	       " greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()))";
}

const char *pg_sql_wal_receiver(int version)
{
	if (version >= 130000)
		return "SELECT trim(both '''' from substring(conninfo from 'host=([^ ]*)')), slot_name,"
		       " status, (receive_start_lsn - '0/0') % (2^52)::bigint,"
		       " (flushed_lsn - '0/0') % (2^52)::bigint, receive_start_tli, received_tli,"
		       " extract(epoch FROM last_msg_send_time), extract(epoch FROM last_msg_receipt_time),"
		       " (latest_end_lsn - '0/0') % (2^52)::bigint, extract(epoch FROM latest_end_time),"
		       " substring(slot_name from 'repmgr_slot_([0-9]*)'),"
		       " extract(epoch FROM now() - last_msg_receipt_time)"
		       " FROM pg_stat_wal_receiver";
	return "SELECT trim(both '''' from substring(conninfo from 'host=([^ ]*)')), slot_name,"
	       " status, (receive_start_lsn - '0/0') % (2^52)::bigint, NULL, receive_start_tli,"
	       " received_tli, extract(epoch FROM last_msg_send_time),"
	       " extract(epoch FROM last_msg_receipt_time),"
	       " (latest_end_lsn - '0/0') % (2^52)::bigint, extract(epoch FROM latest_end_time),"
	       " substring(slot_name from 'repmgr_slot_([0-9]*)'),"
	       " extract(epoch FROM now() - last_msg_receipt_time)"
	       " FROM pg_stat_wal_receiver";
}

const char *pg_sql_slots(int version)
{
	if (version >= 130000)
		return "SELECT slot_name, database, slot_type, active,"
		       " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()"
		       "   ELSE pg_current_wal_lsn() END, restart_lsn),"
		       " CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() - '0/0'"
		       "   ELSE pg_current_wal_lsn() - '0/0' END,"
		       " coalesce(confirmed_flush_lsn, '0/0') - '0/0', safe_wal_size, wal_status"
		       " FROM pg_replication_slots";
	return "SELECT slot_name, database, slot_type, active,"
	       " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()"
	       "   ELSE pg_current_wal_lsn() END, restart_lsn),"
	       " CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() - '0/0'"
	       "   ELSE pg_current_wal_lsn() - '0/0' END,"
	       " coalesce(confirmed_flush_lsn, '0/0') - '0/0', NULL, NULL"
	       " FROM pg_replication_slots";
}

const char *pg_sql_archiver(int version)
{
	(void)version;
	return "SELECT archived_count, failed_count, extract(epoch FROM now() - last_archived_time)"
	       " FROM pg_stat_archiver";
}

const char *pg_sql_wal(int version)
{
	if (version < 140000)
		return NULL;
	return "SELECT wal_records, wal_fpi, wal_bytes, wal_buffers_full, wal_write, wal_sync,"
	       " wal_write_time, wal_sync_time FROM pg_stat_wal";
}

const char *pg_sql_wal_dir(int version)
{
	(void)version;
	return "SELECT count(*), sum(size) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'";
}

const char *pg_sql_bgwriter(int version)
{
	if (version >= 170000)
		return "SELECT NULL, NULL, NULL, NULL, NULL, buffers_clean, maxwritten_clean, NULL,"
		       " NULL, buffers_alloc, floor(extract(epoch FROM stats_reset))"
		       " FROM pg_stat_bgwriter";
	return "SELECT checkpoints_timed, checkpoints_req, checkpoint_write_time,"
	       " checkpoint_sync_time, buffers_checkpoint, buffers_clean, maxwritten_clean,"
	       " buffers_backend, buffers_backend_fsync, buffers_alloc,"
	       " floor(extract(epoch FROM stats_reset)) FROM pg_stat_bgwriter";
}

const char *pg_sql_checkpointer(int version)
{
	if (version < 170000)
		return NULL;
	return "SELECT num_timed, num_requested, restartpoints_timed, restartpoints_req,"
	       " restartpoints_done, write_time, sync_time, buffers_written,"
	       " floor(extract(epoch FROM stats_reset)) FROM pg_stat_checkpointer";
}

const char *pg_sql_tables(int version)
{
	(void)version;
	return "SELECT t.schemaname, t.relname, t.seq_scan, t.seq_tup_read, t.idx_scan,"
	       " t.idx_tup_fetch, t.n_tup_ins, t.n_tup_upd, t.n_tup_del, t.n_tup_hot_upd,"
	       " t.n_live_tup, t.n_dead_tup, t.n_mod_since_analyze,"
	       " floor(extract(epoch FROM coalesce(t.last_vacuum, '1970-01-01Z'))),"
	       " floor(extract(epoch FROM coalesce(t.last_autovacuum, '1970-01-01Z'))),"
	       " floor(extract(epoch FROM coalesce(t.last_analyze, '1970-01-01Z'))),"
	       " floor(extract(epoch FROM coalesce(t.last_autoanalyze, '1970-01-01Z'))),"
	       " t.vacuum_count, t.autovacuum_count, t.analyze_count, t.autoanalyze_count,"
	       " io.heap_blks_read, io.heap_blks_hit, io.idx_blks_read, io.idx_blks_hit,"
	       " io.toast_blks_read, io.toast_blks_hit, io.tidx_blks_read, io.tidx_blks_hit"
	       " FROM pg_stat_user_tables t JOIN pg_statio_user_tables io ON io.relid = t.relid"
	       " ORDER BY t.n_dead_tup DESC, t.relid LIMIT $1::int";
}

const char *pg_sql_table_sizes(int version)
{
	(void)version;
	return "SELECT schemaname, relname, pg_indexes_size(relid), pg_table_size(relid)"
	       " FROM pg_stat_user_tables ORDER BY n_dead_tup DESC, relid LIMIT $1::int";
}

const char *pg_sql_progress_vacuum(int version)
{
	(void)version;
	/* postgres_exporter's: the view's definition with the phase as a number;
	 * relname schema-qualified in the connected database, else the oid */
	return "SELECT d.datname,"
	       " coalesce(CASE WHEN d.datname = current_database() THEN s.relid::regclass::text END,"
	       "   s.relid::text),"
	       " s.param1, s.param2, s.param3, s.param4, s.param5, s.param6, s.param7"
	       " FROM pg_stat_get_progress_info('VACUUM'::text)"
	       " s(pid, datid, relid, param1, param2, param3, param4, param5, param6, param7, param8,"
	       "   param9, param10, param11, param12, param13, param14, param15, param16, param17,"
	       "   param18, param19, param20)"
	       " LEFT JOIN pg_database d ON s.datid = d.oid";
}

const char *pg_sql_settings(int version)
{
	(void)version;
	/* postgres_exporter's: two settings of hosted services have values
	 * that are no numbers */
	return "SELECT name, setting, coalesce(unit, ''), vartype FROM pg_settings"
	       " WHERE vartype IN ('bool', 'integer', 'real')"
	       " AND name NOT IN ('sync_commit_cancel_wait', 'google_dataplex.max_messages')";
}

const char *pg_sql_pgss_installed(int version)
{
	(void)version;
	return "SELECT quote_ident(n.nspname), e.extversion FROM pg_extension e"
	       " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'";
}

const char *pg_sql_pgss_info(int version)
{
	if (version < 140000)
		return NULL;
	return "SELECT dealloc, extract(epoch FROM stats_reset) FROM %s.pg_stat_statements_info";
}

/* pg_stat_statements' counter columns by version, shared by the reads
 * with and without texts.  They are read in binary format
 * (pg_stmt_collect.c, pg_stmt_rows.c): the keys as they are (oid, oid,
 * int8) and every counter cast to float8, the type the COPY's decoding takes (no
 * type travels with a binary COPY).  A float8 column's cast is no
 * operation; an int8's is the conversion strtod made of its text, and a
 * numeric's (wal_bytes) goes through the same text and strtod. */
#define PGSS_KEYS "SELECT dbid, userid, queryid, calls::float8,"
#define PGSS_COUNTERS_17 \
	PGSS_KEYS " total_exec_time::float8, total_plan_time::float8, rows::float8," \
	" shared_blks_hit::float8, shared_blks_read::float8, temp_blks_written::float8," \
	" (shared_blk_read_time + local_blk_read_time)::float8," \
	" (shared_blk_write_time + local_blk_write_time)::float8, wal_bytes::float8"
#define PGSS_COUNTERS_13 \
	PGSS_KEYS " total_exec_time::float8, total_plan_time::float8, rows::float8," \
	" shared_blks_hit::float8, shared_blks_read::float8, temp_blks_written::float8," \
	" blk_read_time::float8, blk_write_time::float8, wal_bytes::float8"
#define PGSS_COUNTERS_12 \
	PGSS_KEYS " total_time::float8, 0::float8, rows::float8, shared_blks_hit::float8," \
	" shared_blks_read::float8, temp_blks_written::float8, blk_read_time::float8," \
	" blk_write_time::float8, 0::float8"
#define PGSS_PLAIN " FROM %s.pg_stat_statements(false) WHERE queryid IS NOT NULL"
#define PGSS_TEXTS \
	", CASE WHEN queryid = ANY($1::bigint[]) THEN left(query, $2::int) END" \
	" FROM %s.pg_stat_statements(true) WHERE queryid IS NOT NULL"
/* the plain read as a binary COPY: rows without a PGresult each */
#define PGSS_COPY(counters) "COPY (" counters PGSS_PLAIN ") TO STDOUT (FORMAT binary)"

const char *pg_sql_pgss(int version)
{
	if (version >= 170000)
		return PGSS_COPY(PGSS_COUNTERS_17);
	if (version >= 130000)
		return PGSS_COPY(PGSS_COUNTERS_13);
	return PGSS_COPY(PGSS_COUNTERS_12);
}

const char *pg_sql_pgss_select(int version)
{
	if (version >= 170000)
		return PGSS_COUNTERS_17 PGSS_PLAIN;
	if (version >= 130000)
		return PGSS_COUNTERS_13 PGSS_PLAIN;
	return PGSS_COUNTERS_12 PGSS_PLAIN;
}

const char *pg_sql_pgss_texts(int version)
{
	if (version >= 170000)
		return PGSS_COUNTERS_17 PGSS_TEXTS;
	if (version >= 130000)
		return PGSS_COUNTERS_13 PGSS_TEXTS;
	return PGSS_COUNTERS_12 PGSS_TEXTS;
}

const char *pg_sql_names(int version)
{
	(void)version;
	return "SELECT 'd', oid, datname FROM pg_database"
	       " UNION ALL SELECT 'r', oid, rolname FROM pg_roles";
}

const char *pg_sql_own(int version)
{
	if (version < 140000)
		return NULL;
	return "SELECT a.usesysid, a.query_id, a.query, s.query_id"
	       " FROM pg_stat_get_activity($1::int) a, pg_stat_get_activity(pg_backend_pid()) s";
}
