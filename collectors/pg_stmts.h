/*
 * pg_stmts.h -- pg_stat_statements for one PostgreSQL target: reads the
 * counters (pg_stat_statements(false), never the query texts) each cycle,
 * feeds them to the statement engine (pg_statements.h), and exports its
 * bounded top-N series with database and user names; fetches the texts of
 * exported statements only when they are new to it, into a bounded cache.
 * Used by the PostgreSQL collector on its target's worker thread.
 */
#ifndef DBPULSE_PG_STMTS_H
#define DBPULSE_PG_STMTS_H

#include <stddef.h>
#include <stdint.h>

struct batch;
struct db_view;
struct pg_config;
struct pg_conn;
struct pg_stmts;

struct limit_counts;

/* limits: the collector's counts (enum pg_limit of postgres.h), kept by
 * the caller for as long as the pg_stmts. */
struct pg_stmts *pg_stmts_new(const struct pg_config *conf, struct limit_counts *limits);
void pg_stmts_free(struct pg_stmts *s);

/* Adds the pg_stat_statements_* families to b.  A missing extension is
 * not a failure (pg_stat_statements_available 0, said once in the log).
 * Returns 0, or -1 with err when a query failed. */
int pg_stmts_collect(struct pg_stmts *s, struct pg_conn *conn, const char *target,
		     struct batch *b, int64_t deadline_ms, char *err, size_t errlen);

/* Fills v's statement windows from this cycle's collection (the costliest
 * statements of each window, names and texts resolved); leaves v alone
 * when the statements could not be read.  Same thread as collect. */
void pg_stmts_view(struct pg_stmts *s, struct db_view *v);

#endif
