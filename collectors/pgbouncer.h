/*
 * pgbouncer.h -- [pgbouncer "NAME"] sections and the PgBouncer collector.
 *
 * One instance per section, driven by that target's worker thread: it
 * keeps one connection to PgBouncer's admin console (dbname=pgbouncer, a
 * user of stats_users), runs SHOW VERSION, LISTS, CONFIG, DATABASES, STATS
 * and POOLS each interval over the simple query protocol (the only one the
 * console speaks), and names the series as pgbouncer_exporter does
 * (pgb_show.h).  Every series carries target="NAME".
 */
#ifndef DBPULSE_PGBOUNCER_H
#define DBPULSE_PGBOUNCER_H

#include "collector.h"
#include "config.h"

struct pgb_config {
	struct target_common common;     /* enabled, interval, timeout, password */
	char *dsn;                       /* libpq conninfo or URI, without a password */
};

/* The limits of a PgBouncer target counted in dbpulse_limit_reached_total. */
enum pgb_limit {
	PGBL_ROWS,          /* a SHOW result had more than PGB_MAX_ROWS rows: the rest are ignored */
	PGBL_POOLS_VIEW,    /* SHOW POOLS had more than DBVIEW_MAX_POOLS rows for /api/pools */
	PGBL_COUNT
};

extern const struct config_kind pgbouncer_kind;
extern const struct collector pgbouncer_collector;

#endif
