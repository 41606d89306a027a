/*
 * pgb_show.h -- turns the results of PgBouncer's admin console SHOW
 * commands into samples named as pgbouncer_exporter 0.12 names them (SHOW
 * STATS_TOTALS as pgbouncer_stats_totals_*, SHOW CLIENTS counted as
 * pgbouncer_client_connections), with _total on counters and seconds as
 * the time unit, as it has them.  Pure functions of a PGresult: no I/O.
 *
 * Columns are found by name (PQfname), never by position, so the column
 * sets of PgBouncer 1.16 to 1.24 all work: unknown columns are ignored, a
 * known column that a version lacks adds no sample (a missing label column
 * gives the label ""), and a NULL value adds no sample.  A row holding a
 * value that is not a number is skipped whole and counted in
 * info->bad_rows.  At most PGB_MAX_ROWS rows of one result are read; the
 * rest are counted in info->rows_cut.  Every series gets target="NAME".
 */
#ifndef DBPULSE_PGB_SHOW_H
#define DBPULSE_PGB_SHOW_H

#include "pg_libpq.h"

#include <stdint.h>

struct batch;
struct pools_view;

/* Rows of one SHOW result read at most (pools are one per database and
 * user: thousands on a large server are possible, millions are not). */
#define PGB_MAX_ROWS 10000

/* What the emitters learn along the way, for the collector. */
struct pgb_info {
	uint64_t bad_rows;          /* rows skipped for a value that is not a number */
	uint64_t rows_cut;          /* rows past PGB_MAX_ROWS */
	int have_used_clients;
	double used_clients;        /* SHOW LISTS used_clients */
	int have_max_client_conn;
	double max_client_conn;     /* SHOW CONFIG max_client_conn */
};

/* SHOW VERSION: pgbouncer_version_info{version="PgBouncer 1.23.1"} 1. */
void pgb_emit_version(struct batch *b, const char *target, const PGresult *r,
		      struct pgb_info *info);
/* SHOW LISTS: pgbouncer_free_clients, pgbouncer_used_clients, ... */
void pgb_emit_lists(struct batch *b, const char *target, const PGresult *r,
		    struct pgb_info *info);
/* SHOW CONFIG (3 or 4 columns): pgbouncer_config_max_client_connections,
 * pgbouncer_config_max_user_connections, pgbouncer_config_default_pool_size. */
void pgb_emit_config(struct batch *b, const char *target, const PGresult *r,
		     struct pgb_info *info);
/* SHOW DATABASES: pgbouncer_databases_*{name,host,port,database,force_user,pool_mode}. */
void pgb_emit_databases(struct batch *b, const char *target, const PGresult *r,
			struct pgb_info *info);
/* SHOW STATS_TOTALS: pgbouncer_stats_totals_*_total{database}. */
void pgb_emit_stats_totals(struct batch *b, const char *target, const PGresult *r,
			   struct pgb_info *info);
/* SHOW CLIENTS: pgbouncer_client_connections{database,user,application_name,
 * state}, the number of clients of each; a value that is not UTF-8 is
 * "<invalid>", a missing application_name column "" (pgbouncer_exporter's).
 * Nothing without the database, user or state column. */
void pgb_emit_clients(struct batch *b, const char *target, const PGresult *r,
		      struct pgb_info *info);
/* SHOW POOLS: pgbouncer_pools_*{database,user}. */
void pgb_emit_pools(struct batch *b, const char *target, const PGresult *r,
		    struct pgb_info *info);
/* SHOW POOLS as the pools view for /api/pools: every row (at most
 * DBVIEW_MAX_POOLS, the rest counted in v->pools_cut), names cleaned to
 * UTF-8; a row with a value that is not a number is left out. */
void pgb_pools_fill(struct pools_view *v, const PGresult *r);
/* pgbouncer_client_connections_utilization_ratio = used_clients /
 * max_client_conn, when both were read this cycle. */
void pgb_emit_utilization(struct batch *b, const char *target, const struct pgb_info *info);

#endif
