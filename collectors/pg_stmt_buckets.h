/*
 * pg_stmt_buckets.h -- sparse time buckets for the statement engine
 * (pg_stmt_engine.h), its only user.
 *
 * One ring of buckets per window (about ten per window, each at least one
 * interval wide: 1h -> 12 x 5 min, 5m -> 10 x 30 s, 1m -> 4 x 15 s at a
 * 15 s interval).  A bucket holds an entry only for the statements whose
 * delta in it is non-zero: 44 bytes while it is the head (where the
 * observes of its time span merge), packed once closed to about 4 bytes
 * + 1 per non-zero whole-number field + 4 per other non-zero field
 * (pg_stmt_buckets.c).  Statements are known by a dense index the engine
 * gives (its table slot); per index the store also keeps how many entries
 * refer to it and its exec time over the shortest and the longest window,
 * kept exact in integer microseconds as entries come and go.  No I/O, no
 * globals; used by one thread.
 */
#ifndef DBPULSE_PG_STMT_BUCKETS_H
#define DBPULSE_PG_STMT_BUCKETS_H

#include <stddef.h>
#include <stdint.h>

#include "pg_stmt_engine.h"

struct pgss_buckets;

/* windows_ms: sorted ascending, positive, distinct, 1 to PGSS_MAX_WINDOWS
 * of them (copied); interval_ms > 0.  Never NULL. */
struct pgss_buckets *pgss_buckets_new(const int64_t *windows_ms, size_t n, int64_t interval_ms);
void pgss_buckets_free(struct pgss_buckets *b);

/* Makes indexes below cap usable (new ones start with nothing). */
void pgss_buckets_reserve(struct pgss_buckets *b, size_t cap);

/* Moves every ring's head to the bucket of now (not below the previous
 * now) and empties the buckets no window can reach any more. */
void pgss_buckets_advance(struct pgss_buckets *b, int64_t now);

/* Adds statement idx's deltas to the head bucket of every ring. */
void pgss_buckets_add(struct pgss_buckets *b, uint32_t idx, const double *d);

/* Entries referring to idx: the engine forgets no statement while > 0. */
uint32_t pgss_buckets_refs(const struct pgss_buckets *b, uint32_t idx);

/* Exec time of idx over the shortest (longest 0) or the longest window, in
 * microseconds, as of the last advance and adds. */
int64_t pgss_buckets_exec_us(const struct pgss_buckets *b, uint32_t idx, int longest);

int64_t pgss_buckets_longest(const struct pgss_buckets *b);

/* The width of ring r's buckets (rings in the order of the windows). */
int64_t pgss_buckets_width(const struct pgss_buckets *b, size_t r);

/* Calls fn for every entry in the last window_ms (see pgss_window() for
 * which ring answers); an index may come several times, v is only valid
 * during the call. */
typedef void pgss_buckets_visit_fn(void *ctx, uint32_t idx, const float *v);
void pgss_buckets_query(const struct pgss_buckets *b, int64_t window_ms, pgss_buckets_visit_fn *fn,
			void *ctx);

/* Entries in all buckets, bytes allocated for them, bytes of the per-index
 * arrays. */
void pgss_buckets_usage(const struct pgss_buckets *b, size_t *entries, size_t *bytes,
			size_t *index_bytes);

/* Bytes of an entry in a head bucket. */
size_t pgss_buckets_head_entry_size(void);

#endif
