/*
 * pg_stmt_engine.c -- the statement engine (see pg_stmt_engine.h): deltas of
 * pg_stat_statements snapshots, kept per window in sparse time buckets
 * (pg_stmt_buckets.c) and accumulated into the top-N + `other`
 * Prometheus series.
 *
 * Driven by the PostgreSQL collector of one target, once per interval, on
 * that target's worker thread.  It owns the statement table: one struct
 * stmt per key (32 bytes: the key, the index of its export accumulator,
 * flags; the times that decide when an accumulator is forgotten are kept
 * with it, since only the statements that were in the top have one),
 * plus its last values: 8 bytes for each field that is not 0 for every
 * statement (without track_planning and track_io_timing, PostgreSQL's
 * defaults, 7 of the 10), kept per chunk beside it and laid out again in
 * the rare observe a field comes to life.  Statements are kept in chunks
 * of STMT_CHUNK whose slot index is stable (the
 * buckets refer to statements by it; freed slots are reused; a chunk
 * never moves, so the table grows without copying or slack), found
 * through an open-addressing hash of the key (linear probing, at most 3/4
 * full, backward-shift deletion).  The accumulators (NF doubles each, only
 * for statements that were in the top) live in one pool.  An observe
 * reads the current values from the caller's rows (only keys with several
 * rows are summed apart, in p->dups) and works each delta out twice, for
 * the buckets and, once the top is known, for the accumulators, rather
 * than keeping NF doubles per statement for it.  It also owns
 * the `other` and `own` accumulators and the sums of the rows it had no
 * room to track.
 *
 * observe() is O(rows + table + expired bucket entries + table log top_n);
 * tests/test_pg_stmt_engine.c measures it: 0.36 ms mean for 5,500 rows of
 * 5,000 statements with 10 % of them active per interval, 0.66 ms (worst
 * 1.3 ms) with all of them active (gcc -O2, one core of the dev VM); the
 * compact table (deltas worked out twice, last values apart) costs about
 * 7 % more than the 216-byte statements did, side by side on one machine.
 */
#include "autoconfig.h"
#include "pg_stmt_engine.h"
#include "pg_stmt_buckets.h"
#include "pg_own.h"
#include "xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

#define NF PGSS_NFIELDS

#define STMT_CHUNK 256         /* statements per chunk of the table */

/* A statement.  Its last values (summed values of the last snapshot it
 * was in) are apart: last_get(). */
struct stmt {
	struct pgss_key key;
	uint32_t seen_gen;       /* last observe it was present in */
	uint32_t acc;            /* export accumulator: index in the pool + 1, 0 none */
	uint32_t cur;            /* in observe: its row, or (dup) its sum in p->dups */
	unsigned used : 1, fresh : 1, was : 1, dup : 1;
	unsigned own : 2;        /* the agent's own (PG_OWN_*), as of the last snapshot it was in */
	unsigned delta : 2;      /* in observe: enum delta_kind */
};

/* An export accumulator, and the times that decide when it is forgotten:
 * only a statement that was in the top has one, so the times live here
 * rather than in every statement. */
struct acc {
	double v[NF];
	int64_t last_top_ms;     /* last observe its statement was in the top */
	int64_t last_active_ms;  /* its statement's last non-zero window delta
				  * since the accumulator was made */
	uint32_t top_gen;        /* last observe its statement was in the top */
};

/* A present statement's export delta in the observe under way, until
 * accumulate() takes it and moves last to the current values. */
enum delta_kind {
	DELTA_NONE,              /* no change */
	DELTA_CURRENT,           /* the current values (first snapshot, new, restarted) */
	DELTA_DIFF,              /* current - last */
};

struct pgss {
	size_t top_n, max;
	struct pgss_buckets *buckets;

	struct stmt **chunks;    /* the table: statement i is chunks[i / STMT_CHUNK][i % STMT_CHUNK] */
	double **lastv;          /* per chunk: its statements' last values, ncols each */
	size_t nchunks, chunks_alloc, lastv_alloc;
	signed char col[NF];     /* a field's place among the ncols, -1: 0 for all */
	size_t ncols;
	size_t cap, hi, count;   /* allocated, high-water, in use */
	uint32_t *freel;
	size_t nfree, free_alloc;
	uint32_t *slots;         /* hash: statement index + 1, 0 empty */
	size_t hsize;

	uint32_t gen;            /* observes so far */
	int64_t now;
	uint32_t *top;           /* statement indexes, rank order */
	size_t ntop, top_alloc;
	double (*dups)[NF];      /* in observe: the sums of keys with several rows */
	size_t ndups, dups_alloc;
	const struct pgss_row *rows; /* in observe: the caller's rows, else NULL */
	struct acc *accs;        /* the accumulators' pool */
	size_t naccs_hi, accs_alloc;
	uint32_t *acc_free;      /* free places in the pool */
	size_t nacc_free, acc_free_alloc;

	double other[NF];
	double own[NF];          /* the agent's own statements' deltas */
	double forgotten[NF];
	double ovf_prev[NF];     /* sum of the untracked rows of the last snapshot */
	size_t ovf_prev_rows;
	size_t naccs;
	uint64_t resets, restarted, evicted, dropped_new;
};

static inline struct stmt *stmt_at(const struct pgss *p, size_t i)
{
	return &p->chunks[i / STMT_CHUNK][i % STMT_CHUNK];
}

/* Field f of statement idx's last values. */
static double last_get(const struct pgss *p, uint32_t idx, int f)
{
	if (p->col[f] < 0)
		return 0.0;
	return p->lastv[idx / STMT_CHUNK][(size_t)(idx % STMT_CHUNK) * p->ncols + (size_t)p->col[f]];
}

/* Makes field f a column of every chunk's last values (all 0). */
static void column_add(struct pgss *p, int f)
{
	size_t old = p->ncols, n = old + 1;
	for (size_t c = 0; c < p->nchunks; c++) {
		double *nv = xcalloc(STMT_CHUNK * n, sizeof(double));
		for (size_t j = 0; j < STMT_CHUNK && old; j++)
			memcpy(nv + j * n, p->lastv[c] + j * old, old * sizeof(double));
		free(p->lastv[c]);
		p->lastv[c] = nv;
	}
	p->col[f] = (signed char)old;
	p->ncols = n;
}

static void last_set(struct pgss *p, uint32_t idx, int f, double v)
{
	if (p->col[f] < 0) {
		if (v == 0)
			return;
		column_add(p, f);
	}
	p->lastv[idx / STMT_CHUNK][(size_t)(idx % STMT_CHUNK) * p->ncols + (size_t)p->col[f]] = v;
}

/* ---- keys and the hash ------------------------------------------------ */

static uint64_t key_hash(const struct pgss_key *k)
{
	uint64_t x = (uint64_t)k->queryid ^ (((uint64_t)k->dbid << 32 | k->userid) * 0x9e3779b97f4a7c15ull);
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int key_eq(const struct pgss_key *a, const struct pgss_key *b)
{
	return a->dbid == b->dbid && a->userid == b->userid && a->queryid == b->queryid;
}

static int key_cmp(const struct pgss_key *a, const struct pgss_key *b)
{
	if (a->dbid != b->dbid)
		return a->dbid < b->dbid ? -1 : 1;
	if (a->userid != b->userid)
		return a->userid < b->userid ? -1 : 1;
	if (a->queryid != b->queryid)
		return a->queryid < b->queryid ? -1 : 1;
	return 0;
}

/* Slot holding key, or the empty slot where it would go. */
static size_t hash_slot(const struct pgss *p, const struct pgss_key *k)
{
	size_t mask = p->hsize - 1;
	size_t i = (size_t)key_hash(k) & mask;
	while (p->slots[i] && !key_eq(&stmt_at(p, p->slots[i] - 1)->key, k))
		i = (i + 1) & mask;
	return i;
}

static void hash_grow(struct pgss *p)
{
	uint32_t *old = p->slots;
	size_t oldsize = p->hsize;
	p->hsize = oldsize ? oldsize * 2 : 256;
	p->slots = xcalloc(p->hsize, sizeof(*p->slots));
	for (size_t i = 0; i < oldsize; i++)
		if (old[i])
			p->slots[hash_slot(p, &stmt_at(p, old[i] - 1)->key)] = old[i];
	free(old);
}

static void hash_del(struct pgss *p, const struct pgss_key *k)
{
	size_t mask = p->hsize - 1;
	size_t i = hash_slot(p, k), j = i;
	p->slots[i] = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!p->slots[j])
			return;
		size_t h = (size_t)key_hash(&stmt_at(p, p->slots[j] - 1)->key) & mask;
		/* slots[j] stays if its home h lies cyclically in (i, j] */
		int stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
		if (!stays) {
			p->slots[i] = p->slots[j];
			p->slots[j] = 0;
			i = j;
		}
	}
}

/* ---- the statement table ---------------------------------------------- */

/* Adds key (absent, slot: where hash_slot() put it). */
static uint32_t stmt_new(struct pgss *p, const struct pgss_key *k, size_t slot)
{
	uint32_t idx;
	if (p->nfree) {
		idx = p->freel[--p->nfree];
	} else {
		if (p->hi == p->cap) {
			p->chunks = xgrow(p->chunks, &p->chunks_alloc, p->nchunks + 1,
					  sizeof(struct stmt *));
			p->lastv = xgrow(p->lastv, &p->lastv_alloc, p->nchunks + 1, sizeof(double *));
			p->lastv[p->nchunks] = xcalloc(STMT_CHUNK * (p->ncols ? p->ncols : 1),
						       sizeof(double));
			p->chunks[p->nchunks++] = xmalloc(STMT_CHUNK * sizeof(struct stmt));
			p->cap += STMT_CHUNK;
			pgss_buckets_reserve(p->buckets, p->cap);
		}
		idx = (uint32_t)p->hi++;
	}
	struct stmt *s = stmt_at(p, idx);
	memset(s, 0, sizeof(*s));
	memset(p->lastv[idx / STMT_CHUNK] + (size_t)(idx % STMT_CHUNK) * p->ncols, 0,
	       p->ncols * sizeof(double));
	s->key = *k;
	s->used = 1;
	p->count++;
	if ((p->count + 1) * 4 > p->hsize * 3) {
		hash_grow(p);
		slot = hash_slot(p, k);
	}
	p->slots[slot] = idx + 1;
	return idx;
}

static void stmt_free(struct pgss *p, uint32_t idx)
{
	struct stmt *s = stmt_at(p, idx);
	hash_del(p, &s->key);
	s->used = 0;
	p->count--;
	p->freel = xgrow(p->freel, &p->free_alloc, p->nfree + 1, sizeof(*p->freel));
	p->freel[p->nfree++] = idx;
}

/* ---- life cycle ----------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

struct pgss *pgss_new(const struct pgss_options *o)
{
	static const int64_t defaults[] = { 60000, 300000, 3600000 };
	struct pgss *p = xcalloc(1, sizeof(*p));
	int64_t w[PGSS_MAX_WINDOWS];
	size_t nw = 0, nd = 0;

	p->top_n = o->top_n;
	p->max = o->max_statements ? o->max_statements : PGSS_DEFAULT_MAX;
	if (p->max > UINT32_MAX / 4)
		p->max = UINT32_MAX / 4;
	for (size_t i = 0; o->windows_ms && i < o->nwindows && nw < PGSS_MAX_WINDOWS; i++)
		if (o->windows_ms[i] > 0)
			w[nw++] = o->windows_ms[i];
	if (!nw) {
		memcpy(w, defaults, sizeof(defaults));
		nw = sizeof(defaults) / sizeof(defaults[0]);
	}
	qsort(w, nw, sizeof(w[0]), cmp_i64);
	for (size_t i = 0; i < nw; i++)
		if (i == 0 || w[i] != w[nd - 1])
			w[nd++] = w[i];
	p->buckets = pgss_buckets_new(w, nd, o->interval_ms > 0 ? o->interval_ms : 15000);
	hash_grow(p);
	memset(p->col, -1, sizeof(p->col));
	return p;
}

void pgss_free(struct pgss *p)
{
	if (!p)
		return;
	pgss_buckets_free(p->buckets);
	for (size_t i = 0; i < p->nchunks; i++) {
		free(p->chunks[i]);
		free(p->lastv[i]);
	}
	free(p->chunks);
	free(p->lastv);
	free(p->dups);
	free(p->accs);
	free(p->acc_free);
	free(p->freel);
	free(p->slots);
	free(p->top);
	free(p);
}

/* ---- observe -------------------------------------------------------------- */

static double clean(double v)
{
	return v >= 0 && isfinite(v) ? v : 0;
}

/* The second row of key s in this snapshot: from now on its current
 * values are summed in p->dups (from 0, in row order, as one sum). */
static void dup_start(struct pgss *p, struct stmt *s, const struct pgss_row *rows)
{
	p->dups = xgrow(p->dups, &p->dups_alloc, p->ndups + 1, sizeof(*p->dups));
	double *sum = p->dups[p->ndups];
	for (int f = 0; f < NF; f++)
		sum[f] = 0.0 + clean(rows[s->cur].v[f]);
	s->cur = (uint32_t)p->ndups++;
	s->dup = 1;
}

/* Reads one snapshot into the table (each present statement's first row,
 * duplicate keys summed in p->dups, creating the statements it has room
 * for) and the untracked rows into ovf.  Returns the number of untracked
 * rows. */
static size_t read_rows(struct pgss *p, const struct pgss_row *rows, size_t n, double *ovf)
{
	size_t untracked = 0;
	p->ndups = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pgss_row *row = &rows[i];
		size_t slot = hash_slot(p, &row->key);
		struct stmt *s;
		if (p->slots[slot]) {
			s = stmt_at(p, p->slots[slot] - 1);
			if (s->seen_gen == p->gen) { /* a key's second (or later) row */
				if (!s->dup)
					dup_start(p, s, rows);
				for (int f = 0; f < NF; f++)
					p->dups[s->cur][f] += clean(row->v[f]);
				s->own |= row->own;
				continue;
			}
			s->was = s->seen_gen + 1 == p->gen;
			s->seen_gen = p->gen;
			s->fresh = 0;
		} else if (p->count < p->max) {
			s = stmt_at(p, stmt_new(p, &row->key, slot));
			s->fresh = 1;
			s->seen_gen = p->gen;
		} else {
			for (int f = 0; f < NF; f++)
				ovf[f] += clean(row->v[f]);
			untracked++;
			continue;
		}
		s->own = row->own;
		s->dup = 0;
		s->cur = (uint32_t)i;
	}
	return untracked;
}

/* Field f's current value of statement s, present in the observe under
 * way (what its rows sum to). */
static double current(const struct pgss *p, const struct stmt *s, int f)
{
	return s->dup ? p->dups[s->cur][f] : 0.0 + clean(p->rows[s->cur].v[f]);
}

/* Statement idx's export delta in this observe (DELTA_NONE: zero). */
static void delta_of(const struct pgss *p, uint32_t idx, double *d)
{
	const struct stmt *s = stmt_at(p, idx);
	for (int f = 0; f < NF; f++) {
		double cur = current(p, s, f);
		d[f] = s->delta == DELTA_DIFF ? cur - last_get(p, idx, f)
		     : s->delta == DELTA_CURRENT ? cur : 0;
	}
}

/* Decides the export delta of each present statement (kept in
 * stmt.delta, taken by accumulate()) and adds the window deltas to the
 * buckets. */
static void compute_deltas(struct pgss *p, int reset, double *ovf_now)
{
	int first = p->gen == 1, ovf_admit = !first && p->ovf_prev_rows > 0;
	double d[NF];
	for (uint32_t i = 0; i < p->hi; i++) {
		struct stmt *s = stmt_at(p, i);
		if (!s->used)
			continue;
		s->delta = DELTA_NONE;
		if (s->seen_gen != p->gen) {
			if (!first && !reset && s->seen_gen + 1 == p->gen)
				p->evicted++;
			continue;
		}
		if (s->fresh && ovf_admit) {
			/* may have been among last time's untracked rows: its
			 * delta is taken through the untracked sums, to other */
			for (int f = 0; f < NF; f++) {
				double cur = current(p, s, f);
				ovf_now[f] += cur;
				last_set(p, i, f, cur);
			}
			continue;
		}
		int restart = 0, nonzero = 0;
		if (!first && s->was) {
			restart = reset;
			for (int f = 0; f < NF && !restart; f++)
				restart = current(p, s, f) < last_get(p, i, f);
			p->restarted += (uint64_t)restart;
		}
		s->delta = first || !s->was || restart ? DELTA_CURRENT : DELTA_DIFF;
		delta_of(p, i, d);
		for (int f = 0; f < NF; f++)
			nonzero |= d[f] != 0;
		if (!nonzero) {
			/* the last values are the current ones already (x - y == 0
			 * only when x == y) but after a restart to all zeros */
			if (s->delta == DELTA_CURRENT)
				for (int f = 0; f < NF; f++)
					last_set(p, i, f, d[f]);
			s->delta = DELTA_NONE;
			continue;
		}
		if (!first) { /* a baseline is not recent activity */
			pgss_buckets_add(p->buckets, i, d);
			if (s->acc)
				p->accs[s->acc - 1].last_active_ms = p->now;
		}
	}
}

/* Statement s's lifetime exec time: its current value when present in
 * the observe under way, else that of the last snapshot it was in. */
static double lifetime_exec(const struct pgss *p, uint32_t idx)
{
	const struct stmt *s = stmt_at(p, idx);
	return p->rows && s->seen_gen == p->gen ? current(p, s, PGSS_EXEC_MS)
						: last_get(p, idx, PGSS_EXEC_MS);
}

/* Does statement a rank before b?  Exec over the shortest window, then
 * over the longest, then lifetime exec, then the key. */
static int rank_before(const struct pgss *p, uint32_t a, uint32_t b)
{
	for (int longest = 0; longest < 2; longest++) {
		int64_t x = pgss_buckets_exec_us(p->buckets, a, longest);
		int64_t y = pgss_buckets_exec_us(p->buckets, b, longest);
		if (x != y)
			return x > y;
	}
	const struct stmt *sa = stmt_at(p, a), *sb = stmt_at(p, b);
	double x = lifetime_exec(p, a), y = lifetime_exec(p, b);
	if (x != y)
		return x > y;
	return key_cmp(&sa->key, &sb->key) < 0;
}

/* A heap of the k best so far, the worst of them at the root. */
static void heap_down(const struct pgss *p, uint32_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && rank_before(p, h[w], h[l]))
			w = l;
		if (r < n && rank_before(p, h[w], h[r]))
			w = r;
		if (w == i)
			return;
		uint32_t t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

/* The top: the best top_n of the statements present now or still in a
 * bucket, in rank order; the agent's own never compete. */
static void rank_top(struct pgss *p)
{
	size_t k = p->top_n < p->count ? p->top_n : p->count, n = 0;
	uint32_t *h;
	p->ntop = 0;
	if (!k)
		return;
	h = p->top = xgrow(p->top, &p->top_alloc, k, sizeof(*p->top));
	for (uint32_t i = 0; i < p->hi; i++) {
		const struct stmt *s = stmt_at(p, i);
		if (!s->used || s->own || (s->seen_gen != p->gen && !pgss_buckets_refs(p->buckets, i)))
			continue;
		if (n < k) {
			size_t j = n++;
			h[j] = i;
			while (j > 0 && rank_before(p, h[(j - 1) / 2], h[j])) {
				uint32_t t = h[j];
				h[j] = h[(j - 1) / 2];
				h[(j - 1) / 2] = t;
				j = (j - 1) / 2;
			}
		} else if (rank_before(p, i, h[0])) {
			h[0] = i;
			heap_down(p, h, n, 0);
		}
	}
	/* heap sort in place: the worst goes to the end */
	for (size_t m = n; m > 1; m--) {
		uint32_t t = h[0];
		h[0] = h[m - 1];
		h[m - 1] = t;
		heap_down(p, h, m - 1, 0);
	}
	p->ntop = n;
}

/* Whether s is in the top of the observe under way (or the last one). */
static int in_top(const struct pgss *p, const struct stmt *s)
{
	return s->acc && p->accs[s->acc - 1].top_gen == p->gen;
}

/* A zeroed accumulator from the pool; returns its index + 1. */
static uint32_t acc_new(struct pgss *p)
{
	uint32_t a;
	if (p->nacc_free) {
		a = p->acc_free[--p->nacc_free];
	} else {
		p->accs = xgrow(p->accs, &p->accs_alloc, p->naccs_hi + 1, sizeof(*p->accs));
		a = (uint32_t)p->naccs_hi++;
	}
	p->accs[a] = (struct acc){ .last_top_ms = p->now, .last_active_ms = p->now };
	p->naccs++;
	return a + 1;
}

static void acc_free(struct pgss *p, uint32_t acc)
{
	p->acc_free = xgrow(p->acc_free, &p->acc_free_alloc, p->nacc_free + 1,
			    sizeof(*p->acc_free));
	p->acc_free[p->nacc_free++] = acc - 1;
	p->naccs--;
}

static void accumulate(struct pgss *p)
{
	for (size_t i = 0; i < p->ntop; i++) {
		struct stmt *s = stmt_at(p, p->top[i]);
		if (!s->acc)
			s->acc = acc_new(p);
		p->accs[s->acc - 1].top_gen = p->gen;
		p->accs[s->acc - 1].last_top_ms = p->now;
	}
	for (uint32_t i = 0; i < p->hi; i++) {
		struct stmt *s = stmt_at(p, i);
		if (!s->used || s->seen_gen != p->gen || s->delta == DELTA_NONE)
			continue;
		double d[NF];
		/* an own statement that runs only inside another counts nowhere:
		 * its time is in the other's */
		double *to = in_top(p, s) ? p->accs[s->acc - 1].v
			     : s->own & PG_OWN_TOP ? p->own
			     : s->own ? NULL : p->other;
		delta_of(p, i, d);
		for (int f = 0; f < NF; f++) {
			if (to)
				to[f] += d[f];
			last_set(p, i, f, current(p, s, f));
		}
		s->delta = DELTA_NONE;
	}
}

/* Forgets the accumulators out of the top and idle for longer than the
 * longest window, then the absent statements nothing refers to. */
static void sweep(struct pgss *p)
{
	int64_t longest = pgss_buckets_longest(p->buckets);
	for (uint32_t i = 0; i < p->hi; i++) {
		struct stmt *s = stmt_at(p, i);
		if (!s->used)
			continue;
		const struct acc *a = s->acc ? &p->accs[s->acc - 1] : NULL;
		if (a && !in_top(p, s) && p->now - a->last_top_ms > longest &&
		    p->now - a->last_active_ms > longest) {
			for (int f = 0; f < NF; f++)
				p->forgotten[f] += a->v[f];
			acc_free(p, s->acc);
			s->acc = 0;
		}
		if (s->seen_gen != p->gen && !s->acc && !pgss_buckets_refs(p->buckets, i))
			stmt_free(p, i);
	}
}

void pgss_observe(struct pgss *p, const struct pgss_row *rows, size_t n, int64_t now_ms, int reset)
{
	double ovf_in[NF] = { 0 }, ovf_now[NF];

	if (p->gen && now_ms < p->now)
		now_ms = p->now;
	p->now = now_ms;
	p->gen++;
	if (reset && p->gen > 1)
		p->resets++;
	pgss_buckets_advance(p->buckets, now_ms);

	size_t untracked = read_rows(p, rows, n, ovf_in);
	p->dropped_new += untracked;
	memcpy(ovf_now, ovf_in, sizeof(ovf_now));
	p->rows = rows;
	compute_deltas(p, reset, ovf_now);
	/* the untracked rows as one pseudo-statement whose members change:
	 * a shrinking sum is held, not taken as a restart */
	for (int f = 0; f < NF; f++) {
		double d = reset ? ovf_now[f] : ovf_now[f] - p->ovf_prev[f];
		if (d > 0)
			p->other[f] += d;
	}
	memcpy(p->ovf_prev, ovf_in, sizeof(ovf_in));
	p->ovf_prev_rows = untracked;

	rank_top(p);
	accumulate(p);
	p->rows = NULL;
	sweep(p);
}

/* ---- reading out ------------------------------------------------------------ */

size_t pgss_export(const struct pgss *p, struct pgss_series *out, size_t max)
{
	if (!max)
		return 0;
	size_t k = p->ntop < max - 1 ? p->ntop : max - 1;
	for (size_t i = 0; i < k; i++) {
		const struct stmt *s = stmt_at(p, p->top[i]);
		out[i].other = 0;
		out[i].key = s->key;
		memcpy(out[i].v, p->accs[s->acc - 1].v, sizeof(out[i].v));
	}
	memset(&out[k], 0, sizeof(out[k]));
	out[k].other = 1;
	memcpy(out[k].v, p->other, sizeof(out[k].v));
	return k + 1;
}

struct window_acc {
	const struct pgss *p;
	uint32_t *map;           /* by statement index: row + 1 */
	struct pgss_window_row *rows;
	size_t n, alloc;
};

static void window_visit(void *ctx, uint32_t idx, const float *v)
{
	struct window_acc *w = ctx;
	if (!w->map[idx]) {
		w->rows = xgrow(w->rows, &w->alloc, w->n + 1, sizeof(*w->rows));
		memset(&w->rows[w->n], 0, sizeof(w->rows[w->n]));
		w->rows[w->n].key = stmt_at(w->p, idx)->key;
		w->rows[w->n].own = stmt_at(w->p, idx)->own;
		w->map[idx] = (uint32_t)++w->n;
	}
	struct pgss_window_row *row = &w->rows[w->map[idx] - 1];
	for (int f = 0; f < NF; f++)
		row->v[f] += v[f];
}

static int cmp_window_row(const void *x, const void *y)
{
	const struct pgss_window_row *a = x, *b = y;
	if (a->v[PGSS_EXEC_MS] != b->v[PGSS_EXEC_MS])
		return a->v[PGSS_EXEC_MS] > b->v[PGSS_EXEC_MS] ? -1 : 1;
	return key_cmp(&a->key, &b->key);
}

size_t pgss_window_into(const struct pgss *p, int64_t window_ms, struct pgss_window_row **rows,
			size_t *alloc)
{
	struct window_acc w = { .p = p, .rows = *rows, .alloc = *alloc };
	w.map = xcalloc(p->hi ? p->hi : 1, sizeof(*w.map));
	pgss_buckets_query(p->buckets, window_ms, window_visit, &w);
	free(w.map);
	if (!w.rows)
		w.rows = xgrow(w.rows, &w.alloc, 1, sizeof(*w.rows));
	qsort(w.rows, w.n, sizeof(*w.rows), cmp_window_row);
	*rows = w.rows;
	*alloc = w.alloc;
	return w.n;
}

size_t pgss_window(const struct pgss *p, int64_t window_ms, struct pgss_window_row **out)
{
	size_t alloc = 0;
	*out = NULL;
	return pgss_window_into(p, window_ms, out, &alloc);
}

void pgss_own(const struct pgss *p, double out[PGSS_NFIELDS])
{
	memcpy(out, p->own, sizeof(p->own));
}

void pgss_get_stats(const struct pgss *p, struct pgss_stats *st)
{
	size_t index_bytes;
	memset(st, 0, sizeof(*st));
	st->statements = p->count;
	st->accumulators = p->naccs;
	st->untracked_rows = p->ovf_prev_rows;
	st->observes = p->gen;
	st->resets = p->resets;
	st->restarted_entries = p->restarted;
	st->evicted = p->evicted;
	st->dropped_new = p->dropped_new;
	st->head_entry_size = pgss_buckets_head_entry_size();
	pgss_buckets_usage(p->buckets, &st->bucket_entries, &st->bucket_bytes, &index_bytes);
	st->table_bytes = p->cap * (sizeof(struct stmt) + (p->ncols ? p->ncols : 1) * sizeof(double)) +
			  p->chunks_alloc * sizeof(struct stmt *) + p->lastv_alloc * sizeof(double *) +
			  index_bytes + p->hsize * sizeof(uint32_t) + p->free_alloc * sizeof(uint32_t) +
			  p->top_alloc * sizeof(uint32_t) + p->accs_alloc * sizeof(*p->accs) +
			  p->acc_free_alloc * sizeof(uint32_t) + p->dups_alloc * sizeof(*p->dups);
	memcpy(st->unexported, p->forgotten, sizeof(st->unexported));
	for (size_t i = 0; i < p->hi; i++) {
		const struct stmt *s = stmt_at(p, i);
		st->own += s->used && s->own;
		if (s->used && s->acc && !in_top(p, s))
			for (int f = 0; f < NF; f++)
				st->unexported[f] += p->accs[s->acc - 1].v[f];
	}
}
