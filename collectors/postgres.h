/*
 * postgres.h -- [postgres "NAME"] sections and the PostgreSQL collector.
 *
 * One instance per section, driven by that target's worker thread: it
 * keeps one connection (application_name=dbpulse, statement_timeout and
 * lock_timeout from `timeout`), reads the pg_stat views and
 * pg_stat_statements each interval, and the expensive things (database
 * and table sizes, other databases' tables) each slow_interval.  Every
 * series carries target="NAME".  Works with a role that has pg_monitor.
 */
#ifndef DBPULSE_POSTGRES_H
#define DBPULSE_POSTGRES_H

#include <stdint.h>

#include "collector.h"
#include "config.h"

struct pg_config {
	struct target_common common;     /* enabled, interval, timeout, password */
	char *dsn;                       /* libpq conninfo or URI, without a password */
	int64_t statements_top;
	struct conf_list statements_windows;
	int64_t statements_window_ms[8]; /* parsed from statements_windows, ascending */
	size_t nwindows;
	int64_t statements_query_length;
	int statements_query_info;       /* export pg_stat_statements_query_id */
	int64_t slow_interval_ms;
	struct conf_list databases;      /* per-table statistics; empty: the DSN's */
	int64_t tables_top;
	int advice;                      /* the optimization advisor (pg_advice.h) */
	int64_t advice_interval_ms;
	int64_t advice_min_stats_age_ms; /* unused indexes: statistics at least this old */
	int advice_plans;                /* plans and suggested indexes (EXPLAIN) */
	int64_t advice_statements;       /* how many of the costliest statements */
	int timescaledb;                 /* read TimescaleDB where installed (pg_tsdb.h) */
};

/* The limits of a PostgreSQL target counted in dbpulse_limit_reached_total
 * (the collector's struct limit_counts, shared with pg_stmt_collect.c). */
enum pg_limit {
	PL_SESSIONS,        /* more busy sessions than DBVIEW_MAX_SESSIONS: the oldest are shown */
	PL_STATEMENTS,      /* the statement table was full: new statements go to "other" */
	PL_TEXT_CACHE,      /* statement texts evicted from the cache (fetched again when wanted) */
	PL_QUERY_TEXT,      /* a statement text longer than statements_query_length: cut */
	PL_TEXT_FETCH,      /* more statements without a text than one read brings: they wait */
	PL_COUNT
};
extern const char *const pg_limit_names[PL_COUNT + 1];

extern const struct config_kind postgres_kind;
extern const struct collector postgres_collector;

#endif
