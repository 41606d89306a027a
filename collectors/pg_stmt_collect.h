/*
 * pg_stmt_collect.h -- pg_stat_statements for one PostgreSQL target: reads
 * the counters (pg_stat_statements(false), never the query texts) each cycle,
 * feeds them to the statement engine (pg_stmt_engine.h), and exports its
 * bounded top-N series with database and user names; brings the texts of
 * the statements it exports or shows with the next read of the counters
 * after they appear (pg_texts.h), into a bounded cache.
 * Used by the PostgreSQL collector on its target's worker thread.
 */
#ifndef DBPULSE_PG_STMT_COLLECT_H
#define DBPULSE_PG_STMT_COLLECT_H

#include <stddef.h>
#include <stdint.h>

struct batch;
struct db_view;
struct pg_config;
struct pg_conn;
struct pg_stmts;

struct limit_counts;
struct pg_own;

/* limits: the collector's counts (enum pg_limit of postgres.h); own: the
 * agent's own statements (pg_own.h), which the statement views and series
 * leave out; both kept by the caller for as long as the pg_stmts. */
struct pg_stmts *pg_stmts_new(const struct pg_config *conf, struct limit_counts *limits,
			      const struct pg_own *own);
void pg_stmts_free(struct pg_stmts *s);

/* Whether pg_stat_statements is installed in the DSN's database: asks the
 * server when it is not known yet (once per cycle at most, pg_stmts_collect
 * then asks no more).  1 yes, 0 no or unknown (the query failed). */
int pg_stmts_check(struct pg_stmts *s, struct pg_conn *conn, const char *target,
		   int64_t deadline_ms);

/* The SQL texts pg_stmts runs on a server of version, the extension's
 * schema put in, into out[0..max): each string the caller's, freed with
 * free().  Returns how many (0 while the schema is not known). */
size_t pg_stmts_sql(const struct pg_stmts *s, int version, char **out, size_t max);

/* Adds the pg_stat_statements_* families to b.  A missing extension is
 * not a failure (pg_stat_statements_available 0, said once in the log).
 * others_ms: what the cycle's other queries took, the cost the budget of
 * text reads is a share of (pg_texts.h).  Returns 0, or -1 with err when
 * a query failed. */
int pg_stmts_collect(struct pg_stmts *s, struct pg_conn *conn, const char *target,
		     double others_ms, struct batch *b, int64_t deadline_ms, char *err,
		     size_t errlen);

/* Fills v's statement windows from this cycle's collection (the costliest
 * statements of each window, names and texts resolved); leaves v alone
 * when the statements could not be read.  Same thread as collect. */
void pg_stmts_view(struct pg_stmts *s, struct db_view *v);

#endif
