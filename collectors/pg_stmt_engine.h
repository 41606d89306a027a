/*
 * pg_stmt_engine.h -- the statement engine: turns successive snapshots of
 * pg_stat_statements into per-statement deltas in time buckets ("top
 * statements over the last W") and into a bounded set of monotonic
 * Prometheus series (the top N statements plus one `other`).
 *
 * Pure computation: no I/O, no libpq, no logging, no globals.  One engine
 * per PostgreSQL target, used by that target's worker thread only (nothing
 * here is thread-safe; publish copies of what pgss_export / pgss_window
 * return, never the engine).
 *
 * The rules, in the order observe() applies them:
 *   - rows with the same key in one snapshot (the PG 14+ `toplevel`
 *     true/false pair) are summed into one statement;
 *   - delta = current - previous, per statement and field; when `reset` is
 *     given or any field went down, the entry restarted and delta = current;
 *     a statement absent from the previous snapshot (new, or evicted and
 *     re-created) has delta = current.  No delta is ever negative;
 *   - first snapshot ever: every statement is a baseline, window delta 0
 *     (its history is not "the last minute"), export delta = its whole
 *     value (so exported sums equal the sums over pg_stat_statements);
 *   - each statement's export delta is added to its own accumulator when it
 *     is in the top N this time, else to `other`.  Every series therefore
 *     only grows; a statement that leaves the top and comes back resumes its
 *     own accumulator.  It is forgotten (and would restart from 0, after a
 *     gap of more than the longest window in the exposition) once it has
 *     been out of the top and idle or absent for longer than the longest
 *     window.
 *   - the top N is ranked by exec time over the shortest window, then over
 *     the longest window, then by lifetime exec time (cumulative value), then
 *     by key; idle statements fill it when fewer than N are active.  Only
 *     statements present in the snapshot or still in a window compete;
 *   - the agent's own statements (pgss_row.own in the last snapshot they
 *     were in) never compete for the top: their export deltas go to a third
 *     accumulator, `own` (pgss_own()), never to `other`.  A statement that
 *     becomes own leaves the top as any other would (its accumulator is kept
 *     out of the exposition); one that stops being own competes again.
 *     The windows keep them, flagged (pgss_window_row.own);
 *   - an absent statement is dropped once no bucket refers to it and it has
 *     no accumulator.  The table holds at most max_statements; rows of
 *     further keys are summed as one untracked group whose growth goes to
 *     `other` (a member leaving the group can hide the others' growth for
 *     that one observe, never make anything go down).  While the table is
 *     full, a key that gets a place is a baseline whose delta in that
 *     observe goes to `other` as well (it may have been in the group).
 *
 * Sums: the accumulators of every statement (exported or not) plus `other`
 * and `own` always add up to the sum of all export deltas, which equals the
 * sum over pg_stat_statements until a reset or an eviction.  An own row
 * the full table could not track is summed in `other` with the rest.  A statement that left
 * the top keeps its accumulator out of the exposition, so the point-in-time
 * sum of the exported series is short by pgss_stats.unexported; rates and
 * increases (what Prometheus computes) are exact.
 */
#ifndef DBPULSE_PG_STMT_ENGINE_H
#define DBPULSE_PG_STMT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/* Counter columns, all cumulative in pg_stat_statements.  Times are in
 * milliseconds as PostgreSQL reports them (divide by 1000 for _seconds). */
enum pgss_field {
	PGSS_CALLS,
	PGSS_EXEC_MS,        /* total_exec_time (total_time before 13) */
	PGSS_PLAN_MS,        /* total_plan_time (0 without track_planning) */
	PGSS_ROWS,
	PGSS_SHARED_HIT,     /* shared_blks_hit */
	PGSS_SHARED_READ,    /* shared_blks_read */
	PGSS_TEMP_WRITTEN,   /* temp_blks_written */
	PGSS_BLK_READ_MS,    /* blk_read_time (17: shared_ + local_blk_read_time) */
	PGSS_BLK_WRITE_MS,   /* blk_write_time (17: shared_ + local_blk_write_time) */
	PGSS_WAL_BYTES,
	PGSS_NFIELDS
};

struct pgss_key {
	uint32_t dbid, userid;
	int64_t queryid;
};

/* One row of pg_stat_statements(false) as read.  Negative or NaN values
 * are taken as 0.  own: the statement is one the agent runs itself (its
 * caller knows which); rows of one key should agree. */
struct pgss_row {
	struct pgss_key key;
	double v[PGSS_NFIELDS];
	unsigned char own;
};

struct pgss_options {
	size_t top_n;               /* statement series to export (0: only other) */
	const int64_t *windows_ms;  /* copied; NULL or nwindows 0: 1m, 5m, 1h */
	size_t nwindows;            /* at most PGSS_MAX_WINDOWS are used */
	int64_t interval_ms;        /* observe cadence; 0: 15 s; buckets are never narrower */
	size_t max_statements;      /* cap of the statement table; 0: PGSS_DEFAULT_MAX */
};

#define PGSS_MAX_WINDOWS 8
#define PGSS_DEFAULT_MAX 20000

struct pgss;

/* Allocates an engine; never NULL (allocation failures abort).  The options
 * are copied; the caller keeps ownership of o and o->windows_ms.  Windows
 * that are not positive are ignored; duplicates are merged. */
struct pgss *pgss_new(const struct pgss_options *o);
/* Frees the engine and everything it holds; NULL is fine. */
void pgss_free(struct pgss *p);

/*
 * One snapshot: all rows of pg_stat_statements(false) read at now_ms (a
 * monotonic clock in ms; a value below the previous one is taken as the
 * previous one).  reset: the caller saw pg_stat_statements_info.stats_reset
 * change since the previous snapshot (every entry restarted).  rows stay
 * the caller's.  Pass complete snapshots only: a statement missing from a
 * snapshot is taken as evicted, and when it comes back its whole value
 * counts as new activity.  A failed read is no snapshot: skip the call.
 */
void pgss_observe(struct pgss *p, const struct pgss_row *rows, size_t n, int64_t now_ms,
		  int reset);

/* One exported series: a statement (other 0, key set) or the aggregate of
 * all the rest (other 1, key zero).  v holds accumulated deltas, in the
 * units of enum pgss_field; each v[f] never decreases for a given series. */
struct pgss_series {
	int other;
	struct pgss_key key;
	double v[PGSS_NFIELDS];
};

/*
 * The series to export after the last observe: the top statements in rank
 * order (at most top_n), then exactly one `other`.  Writes min(count, max)
 * series into the caller's out and returns how many it wrote; when max is
 * below the count the last statements are left out, never `other` (so pass
 * max >= top_n + 1).  Before any observe: just `other`, all zero.
 */
size_t pgss_export(const struct pgss *p, struct pgss_series *out, size_t max);

/* A statement's deltas summed over a window; own as of the last observe. */
struct pgss_window_row {
	struct pgss_key key;
	double v[PGSS_NFIELDS];
	unsigned char own;
};

/*
 * Statements with activity in the last window_ms before the last observe,
 * their deltas summed, sorted by PGSS_EXEC_MS descending then by key.  The
 * answer has the resolution of the buckets of the smallest configured window
 * >= window_ms (a larger window_ms is cut to the longest configured one);
 * the deltas of the last observe are always included.  *out is allocated
 * (also when 0 rows come back) and the caller frees it with free().
 * Returns the number of rows.
 */
size_t pgss_window(const struct pgss *p, int64_t window_ms, struct pgss_window_row **out);
/* The same into *rows, an array of *alloc rows the caller keeps from one
 * call to the next (grown as needed; NULL and 0 at first; freed with
 * free()), so that a collector asking every cycle does not allocate. */
size_t pgss_window_into(const struct pgss *p, int64_t window_ms, struct pgss_window_row **rows,
			size_t *alloc);

/* The accumulated export deltas of the agent's own statements (every v[f]
 * only grows); zero before any observe.  Written into out. */
void pgss_own(const struct pgss *p, double out[PGSS_NFIELDS]);

struct pgss_stats {
	size_t statements;          /* entries in the statement table */
	size_t own;                 /* of them the agent's own, as of the last observe */
	size_t accumulators;        /* statements holding an export accumulator */
	size_t untracked_rows;      /* rows of the last snapshot not tracked (table full) */
	uint64_t observes;
	uint64_t resets;            /* observes with the reset flag */
	uint64_t restarted_entries; /* entries seen going back to zero (flag or decrease) */
	uint64_t evicted;           /* statements that disappeared between two snapshots
				       (not counted in an observe with the reset flag) */
	uint64_t dropped_new;       /* rows not tracked because the table was full, summed
				       over observes (their deltas went to other) */
	size_t bucket_entries;      /* statement entries in all window buckets */
	size_t bucket_bytes;        /* bytes allocated for them */
	size_t head_entry_size;     /* bytes of an entry in a head bucket (44); closed
				       buckets pack entries (a SELECT's: about 11 bytes) */
	size_t table_bytes;         /* bytes of the statement table, hash and indexes */
	/* Accumulated deltas not in the exposition: accumulators of statements
	 * out of the top and of forgotten ones.  sum(export) + unexported ==
	 * sum of all export deltas (== sum over pg_stat_statements while no
	 * reset or eviction happened). */
	double unexported[PGSS_NFIELDS];
};

/* Fills *st with counters and sizes (cost: one pass over the table). */
void pgss_get_stats(const struct pgss *p, struct pgss_stats *st);

#endif
