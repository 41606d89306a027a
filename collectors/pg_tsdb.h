/*
 * pg_tsdb.h -- TimescaleDB in a database of a PostgreSQL target: whether
 * the extension is installed, and then its hypertables (chunks, sizes,
 * compression), background jobs (runs, failures, schedule), continuous
 * aggregates (watermark, lag, size) and recent job errors.
 *
 * The PostgreSQL collector (postgres.c) calls pg_tsdb_collect() every
 * slow_interval for each database it watches, on the target's worker
 * thread and connection for that database.  Everything comes from the
 * timescaledb_information views and the size functions of TimescaleDB 2.x
 * (the job_errors view where it exists); nothing is ever changed.
 */
#ifndef DBPULSE_PG_TSDB_H
#define DBPULSE_PG_TSDB_H

#include <stddef.h>
#include <stdint.h>

struct batch;
struct pg_conn;
struct tsdb_view;

/* The texts pg_tsdb_collect() may run, NULL-terminated, for the collector
 * to learn as its own (pg_own.h).  Those a database without the extension
 * refuses are simply not learned there. */
extern const char *const pg_tsdb_sql[];

/* At most this many jobs and continuous aggregates per database (the
 * hypertables: `limit`, the collector's tables_top). */
#define PG_TSDB_MAX_JOBS 500

/*
 * Reads TimescaleDB in the database conn is connected to (datname): when
 * the extension is installed, its samples go to b (labels target and
 * datname) and its jobs and job errors to t (in t's arena), with the
 * database in t->databases.  At most `limit` hypertables and continuous
 * aggregates (the largest).  Returns 1 when the extension is there and
 * every query succeeded, 0 when it is not installed, -1 with the reason in
 * err when a query failed (what the others read is kept; t->databases then
 * has the database with ok 0).  A query that fails costs only its own
 * samples.
 */
int pg_tsdb_collect(struct pg_conn *conn, const char *target, const char *datname, int64_t limit,
		    struct batch *b, struct tsdb_view *t, int64_t deadline_ms, char *err,
		    size_t errlen);

#endif
