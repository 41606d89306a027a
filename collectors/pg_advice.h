/*
 * pg_advice.h -- the optimization advisor of a PostgreSQL target: what to
 * index, what to drop, what is about to break.
 *
 * Every advice_interval, a pass visits each database the target watches
 * (`databases`, else the DSN's) on a connection of its own and on the
 * agent's advisor thread, where the passes of all targets take turns, so
 * that it never delays or fails the metrics cycle.  It runs the
 * queries of pg_advice_sql.h in read-only transactions (the session's
 * default_transaction_read_only), under a statement_timeout and a
 * lock_timeout of its own, and never changes a database: the SQL of a finding is text for the DBA.  Sequential scans
 * are judged over the advisor's own window: the counters of one pass
 * against the last one's.  The result is an advice_view (dbview.h) that
 * the collector takes at its next cycle and publishes with its views and
 * its pg_advice_* metrics until the next pass.
 *
 * The collector's thread calls pg_advisor_poll() each cycle; the pass's
 * thread touches nothing else of the collector.
 */
#ifndef DBPULSE_PG_ADVICE_H
#define DBPULSE_PG_ADVICE_H

#include <stddef.h>
#include <stdint.h>

struct advice_view;
struct pg_config;
struct statement_window;

struct pg_advisor;

/* An advisor for the target `target` of conf (both outlive it). */
struct pg_advisor *pg_advisor_new(const struct pg_config *conf, const char *target);

/* On the collector's thread, every cycle.  Starts a pass when one is due
 * and none runs (dbname: the DSN's database, the one visited when
 * `databases` is empty and whose pg_stat_statements the collector reads;
 * longest: the statements of the collector's longest window, whose
 * costliest the pass plans with advice_plans, or NULL); returns the result
 * of a pass that finished since the last call (a reference for the
 * caller), else NULL.  The result's own_ids are the query ids of the
 * statements the pass ran, for pg_own. */
struct advice_view *pg_advisor_poll(struct pg_advisor *a, const char *dbname, int64_t now_ms,
				    const struct statement_window *longest);

/* Asks a running pass to stop after its current query, waits for it, and
 * frees the advisor.  NULL is fine. */
void pg_advisor_free(struct pg_advisor *a);

#endif
