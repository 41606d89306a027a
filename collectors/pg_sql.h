/*
 * pg_sql.h -- the SQL the PostgreSQL collector runs, chosen by server
 * version (server_version_num).  Pure: each function returns a static
 * string, or NULL when the server has nothing to ask (e.g. pg_stat_wal
 * before 14).  Every query needs no more than the pg_monitor role, and
 * reads whole views at once (all databases where the view allows).
 * Column order is part of each query's contract with postgres.c, and is
 * written beside each query.
 */
#ifndef DBPULSE_PG_SQL_H
#define DBPULSE_PG_SQL_H

/* version_num, server_version, start time (epoch), in recovery,
 * max_connections, superuser_reserved_connections, reserved_connections
 * (0 before 16), version() */
const char *pg_sql_server(int version);
/* datid, datname, numbackends, xact_commit, xact_rollback, blks_read,
 * blks_hit, tup_returned, tup_fetched, tup_inserted, tup_updated,
 * tup_deleted, conflicts, temp_files, temp_bytes, deadlocks, blk_read_time
 * (ms), blk_write_time (ms), stats_reset (whole epoch seconds or NULL),
 * active_time (ms; NULL before 14) */
const char *pg_sql_stat_database(int version);
/* datid, datname, confl_tablespace, confl_lock, confl_snapshot,
 * confl_bufferpin, confl_deadlock */
const char *pg_sql_conflicts(int version);
/* every database: datname, datconnlimit, datallowconn, age(datfrozenxid),
 * mxid_age(datminmxid) */
const char *pg_sql_database(int version);
/* every database: datname, size bytes (slow interval) */
const char *pg_sql_database_size(int version);
/* rolname, rolconnlimit */
const char *pg_sql_roles(int version);
/* pg_stat_activity read once, without the agent's own session; rows of
 * three kinds (column 0):
 *   'a': datname, state, usename, application_name, backend_type,
 *        wait_event_type, wait_event, count, max transaction age s, max
 *        query age s of the active ones (NULL when none): one row per
 *        group, and a row of zeros (the names NULL) for every database and
 *        state without a session, as postgres_exporter's stat_activity
 *   'l': transactions that are not idle (autovacuum left out), age s of
 *        the oldest (NULL when none), as long_running_transactions
 *   'i': per idle state and application_name: sessions, the sum of their
 *        idle seconds (each rounded), and '{n,...}' the sessions idle at
 *        most 1, 2, 5, 15, 30, 60, 90, 120, 300 s, as process_idle
 * columns: kind, datname, state, usename, application_name, backend_type,
 * wait_event_type, wait_event, n, v1, v2, buckets */
const char *pg_sql_activity(int version);
/* Params: $1 query text length, $2 sessions at most.  total client
 * sessions, active, idle in transaction, waiting on a lock, not idle;
 * then for each session that is not idle (NULLs when none), oldest
 * transaction first: pid, datname, usename, application_name, client
 * address, backend_type, state, wait_event_type, wait_event,
 * backend_start, xact_start, query_start, state_change (epoch),
 * blocking pids ('{1,2}', NULL unless waiting on a lock), query */
const char *pg_sql_sessions(int version);
/* every database and mode (lower case): datname, mode, count */
const char *pg_sql_locks(int version);
/* application_name, client_addr, state, slot_name, current WAL position
 * bytes, replay lag bytes (pg_wal_lsn_diff), write_lag s, flush_lag s,
 * replay_lag s (the lags NULL when idle) */
const char *pg_sql_replication(int version);
/* one row: replay lag s (0 on a primary or when replay has caught up with
 * what was received), in recovery (1/0), age of the last replayed
 * transaction s (0 when none) */
const char *pg_sql_standby(int version);
/* standby only (no row otherwise): upstream_host, slot_name, status,
 * receive_start_lsn, flushed_lsn (NULL before 13), receive_start_tli,
 * received_tli, last_msg_send_time, last_msg_receipt_time (epoch),
 * latest_end_lsn, latest_end_time (epoch), upstream_node (repmgr), age of
 * the last message from the primary s; LSNs modulo 2^52 */
const char *pg_sql_wal_receiver(int version);
/* slot_name, database, slot_type, active, retained WAL bytes
 * (pg_wal_lsn_diff), current WAL position bytes, confirmed_flush_lsn
 * bytes (0 when NULL), safe_wal_size (NULL before 13), wal_status (NULL
 * before 13) */
const char *pg_sql_slots(int version);
/* archived_count, failed_count, age of the last archived file s */
const char *pg_sql_archiver(int version);
/* wal_records, wal_fpi, wal_bytes, wal_buffers_full, wal_write, wal_sync,
 * wal_write_time ms, wal_sync_time ms; NULL before 14 */
const char *pg_sql_wal(int version);
/* WAL segments in pg_wal, their total size bytes (NULL when none) */
const char *pg_sql_wal_dir(int version);
/* checkpoints_timed, checkpoints_req, checkpoint_write_time ms,
 * checkpoint_sync_time ms, buffers_checkpoint, buffers_clean,
 * maxwritten_clean, buffers_backend, buffers_backend_fsync, buffers_alloc,
 * stats_reset (whole epoch seconds); from 17 the columns that moved to
 * pg_stat_checkpointer or went away are NULL */
const char *pg_sql_bgwriter(int version);
/* 17 and later (NULL before): num_timed, num_requested,
 * restartpoints_timed, restartpoints_req, restartpoints_done, write_time
 * ms, sync_time ms, buffers_written, stats_reset (whole epoch seconds) */
const char *pg_sql_checkpointer(int version);
/* $1 = limit: the tables with the most dead tuples first, from
 * pg_stat_user_tables joined to pg_statio_user_tables: schemaname,
 * relname, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins,
 * n_tup_upd, n_tup_del, n_tup_hot_upd, n_live_tup, n_dead_tup,
 * n_mod_since_analyze, last_vacuum, last_autovacuum, last_analyze,
 * last_autoanalyze (whole epoch seconds, 0 when never), vacuum_count,
 * autovacuum_count, analyze_count, autoanalyze_count, heap_blks_read,
 * heap_blks_hit, idx_blks_read, idx_blks_hit, toast_blks_read,
 * toast_blks_hit, tidx_blks_read, tidx_blks_hit */
const char *pg_sql_tables(int version);
/* $1 = limit: schemaname, relname, pg_indexes_size, pg_table_size (slow
 * interval; takes AccessShareLock on each table, so it runs last, under
 * lock_timeout) */
const char *pg_sql_table_sizes(int version);
/* running vacuums: datname, relname, phase (0-6), heap_blks_total,
 * heap_blks_scanned, heap_blks_vacuumed, index_vacuum_count,
 * max_dead_tuples, num_dead_tuples */
const char *pg_sql_progress_vacuum(int version);
/* the numeric settings: name, setting, unit ('' when none), vartype
 * (slow interval) */
const char *pg_sql_settings(int version);
/* schema of the extension, extversion; no row when not installed */
const char *pg_sql_pgss_installed(int version);
/* dealloc, stats_reset (epoch); NULL before 14.  %s: the schema, quoted */
const char *pg_sql_pgss_info(int version);
/* dbid, userid, queryid, calls, exec ms, plan ms, rows, shared_blks_hit,
 * shared_blks_read, temp_blks_written, blk read ms, blk write ms,
 * wal_bytes: counters only, pg_stat_statements(false) (no query text),
 * as `COPY (pg_sql_pgss_select) TO STDOUT (FORMAT binary)`: oid, oid,
 * int8, then float8 counters.  %s: the schema, quoted */
const char *pg_sql_pgss(int version);
/* The query pg_sql_pgss copies out (which pg_stat_statements.track = all
 * records apart, as a nested statement).  %s: the schema, quoted */
const char *pg_sql_pgss_select(int version);
/* The columns of pg_sql_pgss, then the text of the statements whose
 * queryid is in $1 = '{id,...}', cut to $2 characters (NULL for the
 * others, and when PostgreSQL has none): the counters and the texts in one
 * read of pg_stat_statements(true), which reads the whole query text file
 * whatever it is asked.  %s: the schema, quoted */
const char *pg_sql_pgss_texts(int version);
/* oid, name of databases and of roles, to name statements */
const char *pg_sql_names(int version);
/* $1 = a backend's pid: its role's oid (usesysid), its latest query id
 * and text, and the query id of this statement itself (pg_own.h); NULL
 * before 14, whose pg_stat_activity has no query_id */
const char *pg_sql_own(int version);

#endif
