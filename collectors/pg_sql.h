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

/* version_num, version, start time (epoch), in recovery, max_connections,
 * superuser_reserved_connections, reserved_connections (0 before 16) */
const char *pg_sql_server(int version);
/* datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit,
 * tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted,
 * conflicts, temp_files, temp_bytes, deadlocks, blk_read_time (ms),
 * blk_write_time (ms), stats_reset (epoch or NULL) */
const char *pg_sql_stat_database(int version);
/* datname, size bytes (slow interval) */
const char *pg_sql_database_size(int version);
/* datname, age(datfrozenxid), mxid_age(datminmxid) */
const char *pg_sql_wraparound(int version);
/* datname, state, count, max transaction age s, max query age s (active),
 * waiting on a lock */
const char *pg_sql_activity(int version);
/* Params: $1 query text length, $2 sessions at most.  total client
 * sessions, active, idle in transaction, waiting on a lock, not idle;
 * then for each session that is not idle (NULLs when none), oldest
 * transaction first: pid, datname, usename, application_name, client
 * address, backend_type, state, wait_event_type, wait_event,
 * backend_start, xact_start, query_start, state_change (epoch),
 * blocking pids ('{1,2}', NULL unless waiting on a lock), query */
const char *pg_sql_sessions(int version);
/* datname, mode (lower case), count */
const char *pg_sql_locks(int version);
/* application_name, client_addr, state, sync_state, write_lag s,
 * flush_lag s, replay_lag s (NULL when idle), replay lag bytes */
const char *pg_sql_replication(int version);
/* standby only: receive_lsn = replay_lsn (bool), age of the last replayed
 * transaction s, receiver status, age of the last message from the
 * primary s; one row, NULLs on a primary */
const char *pg_sql_standby(int version);
/* slot_name, slot_type, active, retained WAL bytes */
const char *pg_sql_slots(int version);
/* archived_count, failed_count, last_archived_time (epoch), age s */
const char *pg_sql_archiver(int version);
/* wal_records, wal_fpi, wal_bytes, wal_buffers_full, wal_write, wal_sync,
 * wal_write_time ms, wal_sync_time ms; NULL before 14 */
const char *pg_sql_wal(int version);
/* checkpoints_timed, checkpoints_req, checkpoint_write_time ms,
 * checkpoint_sync_time ms, buffers_checkpoint, buffers_clean,
 * maxwritten_clean, buffers_backend (NULL from 17), buffers_alloc */
const char *pg_sql_bgwriter(int version);
/* $1 = limit: schemaname, relname, n_live_tup, n_dead_tup, seq_scan,
 * idx_scan, vacuum age s, analyze age s, vacuums, analyzes; the tables
 * with the most dead tuples first */
const char *pg_sql_tables(int version);
/* $1 = limit: schemaname, relname, total size bytes (slow interval; takes
 * AccessShareLock on each table, so it runs last, under lock_timeout) */
const char *pg_sql_table_sizes(int version);
/* schema of the extension, extversion; no row when not installed */
const char *pg_sql_pgss_installed(int version);
/* dealloc, stats_reset (epoch); NULL before 14.  %s: the schema, quoted */
const char *pg_sql_pgss_info(int version);
/* dbid, userid, queryid, calls, exec ms, plan ms, rows, shared_blks_hit,
 * shared_blks_read, temp_blks_written, blk read ms, blk write ms,
 * wal_bytes: counters only, pg_stat_statements(false) (no query text).
 * %s: the schema, quoted */
const char *pg_sql_pgss(int version);
/* $1 = '{id,...}', $2 = max length: queryid, text; reads the text file once
 * for all the ids asked.  %s: the schema, quoted */
const char *pg_sql_pgss_texts(int version);
/* oid, name of databases and of roles, to name statements */
const char *pg_sql_names(int version);

#endif
