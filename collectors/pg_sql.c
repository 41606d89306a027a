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

const char *pg_sql_server(int version)
{
	if (version >= 160000)
		return "SELECT current_setting('server_version_num')::int, current_setting('server_version'),"
		       " extract(epoch FROM pg_postmaster_start_time()), pg_is_in_recovery(),"
		       " current_setting('max_connections')::int,"
		       " current_setting('superuser_reserved_connections')::int,"
		       " current_setting('reserved_connections')::int";
	return "SELECT current_setting('server_version_num')::int, current_setting('server_version'),"
	       " extract(epoch FROM pg_postmaster_start_time()), pg_is_in_recovery(),"
	       " current_setting('max_connections')::int,"
	       " current_setting('superuser_reserved_connections')::int, 0";
}

const char *pg_sql_stat_database(int version)
{
	(void)version;
	return "SELECT datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit,"
	       " tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts,"
	       " temp_files, temp_bytes, deadlocks, blk_read_time, blk_write_time,"
	       " extract(epoch FROM stats_reset)"
	       " FROM pg_stat_database WHERE datname IS NOT NULL";
}

const char *pg_sql_database_size(int version)
{
	(void)version;
	return "SELECT datname, pg_database_size(oid) FROM pg_database"
	       " WHERE datallowconn AND NOT datistemplate";
}

const char *pg_sql_wraparound(int version)
{
	(void)version;
	return "SELECT datname, age(datfrozenxid), mxid_age(datminmxid) FROM pg_database"
	       " WHERE datallowconn";
}

const char *pg_sql_activity(int version)
{
	(void)version;
	return "SELECT d.datname, s.state, count(a.pid),"
	       " coalesce(max(extract(epoch FROM now() - a.xact_start)), 0),"
	       " coalesce(max(extract(epoch FROM now() - a.query_start))"
	       "   FILTER (WHERE a.state = 'active'), 0),"
	       " count(a.pid) FILTER (WHERE a.wait_event_type = 'Lock')"
	       " FROM pg_database d"
	       " CROSS JOIN (VALUES ('active'), ('idle'), ('idle in transaction'),"
	       "   ('idle in transaction (aborted)'), ('fastpath function call'), ('disabled')) s(state)"
	       " LEFT JOIN pg_stat_activity a ON a.datname = d.datname AND a.state = s.state"
	       "   AND a.backend_type = 'client backend'"
	       " WHERE d.datallowconn GROUP BY 1, 2 ORDER BY 1, 2";
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
	return "SELECT d.datname, m.mode, count(l.pid) FROM pg_database d"
	       " CROSS JOIN (VALUES ('accesssharelock'), ('rowsharelock'), ('rowexclusivelock'),"
	       "   ('shareupdateexclusivelock'), ('sharelock'), ('sharerowexclusivelock'),"
	       "   ('exclusivelock'), ('accessexclusivelock'), ('sireadlock')) m(mode)"
	       " LEFT JOIN pg_locks l ON l.database = d.oid AND lower(l.mode) = m.mode"
	       " WHERE d.datallowconn GROUP BY 1, 2";
}

const char *pg_sql_replication(int version)
{
	(void)version;
	return "SELECT coalesce(application_name, ''), coalesce(client_addr::text, ''), state,"
	       " sync_state, extract(epoch FROM write_lag), extract(epoch FROM flush_lag),"
	       " extract(epoch FROM replay_lag),"
	       " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()"
	       "   ELSE pg_current_wal_lsn() END, replay_lsn)"
	       " FROM pg_stat_replication";
}

const char *pg_sql_standby(int version)
{
	(void)version;
	return "SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),"
	       " extract(epoch FROM now() - pg_last_xact_replay_timestamp()),"
	       " (SELECT status FROM pg_stat_wal_receiver),"
	       " (SELECT extract(epoch FROM now() - last_msg_receipt_time) FROM pg_stat_wal_receiver)"
	       " WHERE pg_is_in_recovery()";
}

const char *pg_sql_slots(int version)
{
	(void)version;
	return "SELECT slot_name, slot_type, active,"
	       " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery()"
	       "   THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
	       "   ELSE pg_current_wal_lsn() END, restart_lsn)"
	       " FROM pg_replication_slots";
}

const char *pg_sql_archiver(int version)
{
	(void)version;
	return "SELECT archived_count, failed_count, extract(epoch FROM last_archived_time),"
	       " extract(epoch FROM now() - last_archived_time) FROM pg_stat_archiver";
}

const char *pg_sql_wal(int version)
{
	if (version < 140000)
		return NULL;
	return "SELECT wal_records, wal_fpi, wal_bytes, wal_buffers_full, wal_write, wal_sync,"
	       " wal_write_time, wal_sync_time FROM pg_stat_wal";
}

const char *pg_sql_bgwriter(int version)
{
	if (version >= 170000)
		return "SELECT c.num_timed, c.num_requested, c.write_time, c.sync_time,"
		       " c.buffers_written, b.buffers_clean, b.maxwritten_clean, NULL::bigint,"
		       " b.buffers_alloc FROM pg_stat_checkpointer c, pg_stat_bgwriter b";
	return "SELECT checkpoints_timed, checkpoints_req, checkpoint_write_time,"
	       " checkpoint_sync_time, buffers_checkpoint, buffers_clean, maxwritten_clean,"
	       " buffers_backend, buffers_alloc FROM pg_stat_bgwriter";
}

const char *pg_sql_tables(int version)
{
	(void)version;
	return "SELECT schemaname, relname, n_live_tup, n_dead_tup, seq_scan, coalesce(idx_scan, 0),"
	       " extract(epoch FROM now() - greatest(last_vacuum, last_autovacuum)),"
	       " extract(epoch FROM now() - greatest(last_analyze, last_autoanalyze)),"
	       " vacuum_count + autovacuum_count, analyze_count + autoanalyze_count"
	       " FROM pg_stat_user_tables ORDER BY n_dead_tup DESC, relid LIMIT $1::int";
}

const char *pg_sql_table_sizes(int version)
{
	(void)version;
	return "SELECT schemaname, relname, pg_total_relation_size(relid)"
	       " FROM pg_stat_user_tables ORDER BY n_dead_tup DESC, relid LIMIT $1::int";
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

const char *pg_sql_pgss(int version)
{
	if (version >= 170000)
		return "SELECT dbid, userid, queryid, calls, total_exec_time, total_plan_time, rows,"
		       " shared_blks_hit, shared_blks_read, temp_blks_written,"
		       " shared_blk_read_time + local_blk_read_time,"
		       " shared_blk_write_time + local_blk_write_time, wal_bytes"
		       " FROM %s.pg_stat_statements(false) WHERE queryid IS NOT NULL";
	if (version >= 130000)
		return "SELECT dbid, userid, queryid, calls, total_exec_time, total_plan_time, rows,"
		       " shared_blks_hit, shared_blks_read, temp_blks_written, blk_read_time,"
		       " blk_write_time, wal_bytes"
		       " FROM %s.pg_stat_statements(false) WHERE queryid IS NOT NULL";
	return "SELECT dbid, userid, queryid, calls, total_time, 0, rows, shared_blks_hit,"
	       " shared_blks_read, temp_blks_written, blk_read_time, blk_write_time, 0"
	       " FROM %s.pg_stat_statements(false) WHERE queryid IS NOT NULL";
}

const char *pg_sql_pgss_texts(int version)
{
	(void)version;
	return "SELECT DISTINCT ON (queryid) queryid, left(query, $2::int)"
	       " FROM %s.pg_stat_statements(true) WHERE queryid = ANY($1::bigint[])";
}

const char *pg_sql_names(int version)
{
	(void)version;
	return "SELECT 'd', oid, datname FROM pg_database"
	       " UNION ALL SELECT 'r', oid, rolname FROM pg_roles";
}
