/*
 * pg_statements.c -- the statement engine (see pg_statements.h): deltas of
 * pg_stat_statements snapshots, kept in sparse time buckets per window and
 * accumulated into the top-N + `other` Prometheus series.
 *
 * Driven by the PostgreSQL collector of one target, once per interval, on
 * that target's worker thread.  It owns:
 *   - the statement table: one struct stmt per key (last values, export
 *     accumulator, ranking scores), in an array indexed by a stable index,
 *     found through an open-addressing hash of the key (linear probing,
 *     backward-shift deletion); freed indexes are reused;
 *   - one ring of buckets per window; a bucket holds one compact entry
 *     (index + float deltas, 44 bytes) per statement with a non-zero delta
 *     in it, so memory follows activity, not the number of statements.  A
 *     per-ring index array remembers where each statement sits in the head
 *     bucket, so the observes that fall into one bucket merge in O(1);
 *   - the `other` accumulator and the sums of untracked rows (table full).
 *
 * observe() is O(rows + table + active entries + table log top_n):
 * measured about 0.25 ms for 5,000 rows with 3 windows (tests/
 * test_pg_statements.c prints the figure of the machine it runs on).
 */
#include "autoconfig.h"
#include "pg_statements.h"
#include "xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NF PGSS_NFIELDS
#define EMPTY INT64_MIN

struct stmt {
	struct pgss_key key;
	double last[NF];         /* summed values of the last snapshot it was in */
	double d[NF];            /* in observe: current values, then export delta */
	double *acc;             /* export accumulator (NF doubles) or NULL */
	double score_short;      /* exec over the shortest window */
	double score_long;       /* exec over the longest window */
	int64_t last_top_ms;     /* last observe it was in the top */
	int64_t last_active_ms;  /* last non-zero window delta (or creation) */
	uint32_t seen_gen;       /* last observe it was present in */
	uint32_t top_gen;        /* last observe it was in the top */
	uint32_t refs;           /* bucket entries referencing it */
	unsigned char used, fresh, was, has_delta;
};

/* An entry of the head bucket, where the observes of its time span merge. */
struct bentry {
	uint32_t idx;
	float v[NF];
};

/* A closed bucket packs each entry as idx (4 bytes), a mask of the non-zero
 * fields (2 bytes) and those fields as floats: 22 bytes for a SELECT
 * (calls, exec, rows, hits) instead of 44.  PACKED_MAX is the largest. */
#define PACKED_HDR 6
#define PACKED_MAX (PACKED_HDR + NF * sizeof(float))

struct bucket {
	int64_t start;           /* EMPTY: unused */
	size_t n, alloc;         /* entries; alloc: of e */
	struct bentry *e;        /* the head's entries, else NULL */
	unsigned char *packed;   /* a closed bucket's entries, else NULL */
	size_t plen;
};

struct ring {
	int64_t window, width;
	size_t nb, head;
	struct bucket *b;
	uint32_t *headpos;       /* by statement index: position in the head bucket */
};

struct pgss {
	size_t top_n, max;
	int64_t interval;
	struct ring rings[PGSS_MAX_WINDOWS];
	size_t nrings;

	struct stmt *st;
	size_t cap, hi, count;   /* allocated, high-water, in use */
	uint32_t *freel;
	size_t nfree, free_alloc;
	uint32_t *slots;         /* hash: statement index + 1, 0 empty */
	size_t hsize;

	uint32_t gen;
	int64_t now;
	uint32_t *top;           /* statement indexes, rank order */
	size_t ntop, top_alloc;
	struct stmt **heap;
	size_t heap_alloc;

	double other[NF];
	double forgotten[NF];
	double ovf_prev[NF];     /* sum of the untracked rows of the last snapshot */
	size_t ovf_prev_rows;
	size_t naccs;
	uint64_t resets, restarted, evicted, dropped_new;
};

/* ---- keys and the hash ------------------------------------------------ */

static uint64_t key_hash(const struct pgss_key *k)
{
	uint64_t x = (uint64_t)k->queryid ^ (((uint64_t)k->dbid << 32 | k->userid) * 0x9e3779b97f4a7c15ull);
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
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
	while (p->slots[i] && !key_eq(&p->st[p->slots[i] - 1].key, k))
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
			p->slots[hash_slot(p, &p->st[old[i] - 1].key)] = old[i];
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
		size_t h = (size_t)key_hash(&p->st[p->slots[j] - 1].key) & mask;
		/* leave slots[j] where it is if its home h lies cyclically in (i, j] */
		int stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
		if (!stays) {
			p->slots[i] = p->slots[j];
			p->slots[j] = 0;
			i = j;
		}
	}
}

/* ---- the statement table ---------------------------------------------- */

static uint32_t stmt_new(struct pgss *p, const struct pgss_key *k, size_t slot_hint)
{
	uint32_t idx;
	if (p->nfree) {
		idx = p->freel[--p->nfree];
	} else {
		if (p->hi == p->cap) {
			size_t old = p->cap;
			p->st = xgrow(p->st, &p->cap, p->hi + 1, sizeof(*p->st));
			for (size_t r = 0; r < p->nrings; r++) {
				p->rings[r].headpos = xrealloc(p->rings[r].headpos,
							       p->cap * sizeof(uint32_t));
				memset(p->rings[r].headpos + old, 0, (p->cap - old) * sizeof(uint32_t));
			}
		}
		idx = (uint32_t)p->hi++;
	}
	struct stmt *s = &p->st[idx];
	memset(s, 0, sizeof(*s));
	s->key = *k;
	s->used = 1;
	s->last_top_ms = EMPTY;
	s->last_active_ms = p->now;
	p->count++;
	if ((p->count + 1) * 2 > p->hsize)
		hash_grow(p);
	else if (!p->slots[slot_hint]) {
		p->slots[slot_hint] = idx + 1;
		return idx;
	}
	p->slots[hash_slot(p, k)] = idx + 1;
	return idx;
}

static void stmt_free(struct pgss *p, uint32_t idx)
{
	struct stmt *s = &p->st[idx];
	hash_del(p, &s->key);
	free(s->acc);
	s->acc = NULL;
	s->used = 0;
	p->count--;
	p->freel = xgrow(p->freel, &p->free_alloc, p->nfree + 1, sizeof(*p->freel));
	p->freel[p->nfree++] = idx;
}

/* ---- rings of buckets --------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

static const int64_t nice_ms[] = {
	1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000,
	1800000, 3600000, 7200000, 21600000, 43200000, 86400000,
};

/* About ten buckets per window, of a round width, never below the interval:
 * 1h -> 12 x 5 min, 5m -> 10 x 30 s, 1m -> 4 x 15 s at a 15 s interval. */
static void ring_init(struct ring *r, int64_t window, int64_t interval)
{
	int64_t target = window / 10, width = target > 0 ? target : 1;
	for (size_t i = 0; i < sizeof(nice_ms) / sizeof(nice_ms[0]) && nice_ms[i] <= target; i++)
		width = nice_ms[i];
	if (width < interval)
		width = interval;
	r->window = window;
	r->width = width;
	r->nb = (size_t)((window + width - 1) / width);
	r->head = 0;
	r->b = xcalloc(r->nb, sizeof(*r->b));
	for (size_t i = 0; i < r->nb; i++)
		r->b[i].start = EMPTY;
}

/* Reads entry i of b (off: its byte offset when packed, advanced) into
 * idx and v.  Entries are read in order. */
static void bucket_read(const struct bucket *b, size_t i, size_t *off, uint32_t *idx, float *v)
{
	if (b->e) {
		*idx = b->e[i].idx;
		memcpy(v, b->e[i].v, sizeof(b->e[i].v));
		return;
	}
	const unsigned char *q = b->packed + *off;
	uint16_t mask;
	memcpy(idx, q, sizeof(*idx));
	memcpy(&mask, q + 4, sizeof(mask));
	q += PACKED_HDR;
	for (int f = 0; f < NF; f++) {
		v[f] = 0;
		if (mask & (1u << f)) {
			memcpy(&v[f], q, sizeof(float));
			q += sizeof(float);
		}
	}
	*off = (size_t)(q - b->packed);
}

static void bucket_clear(struct pgss *p, struct bucket *b)
{
	uint32_t idx;
	float v[NF];
	for (size_t i = 0, off = 0; i < b->n; i++) {
		bucket_read(b, i, &off, &idx, v);
		p->st[idx].refs--;
	}
	free(b->e);
	free(b->packed);
	memset(b, 0, sizeof(*b));
	b->start = EMPTY;
}

/* A bucket that stops being the head gets no more entries: pack it. */
static void bucket_pack(struct bucket *b)
{
	if (!b->e)
		return;
	unsigned char *q = b->packed = xmalloc(b->n * PACKED_MAX);
	for (size_t i = 0; i < b->n; i++) {
		uint16_t mask = 0;
		memcpy(q, &b->e[i].idx, sizeof(uint32_t));
		unsigned char *fields = q + PACKED_HDR;
		for (int f = 0; f < NF; f++)
			if (b->e[i].v[f] != 0) {
				mask |= (uint16_t)(1u << f);
				memcpy(fields, &b->e[i].v[f], sizeof(float));
				fields += sizeof(float);
			}
		memcpy(q + 4, &mask, sizeof(mask));
		q = fields;
	}
	b->plen = (size_t)(q - b->packed);
	b->packed = xrealloc(b->packed, b->plen);
	free(b->e);
	b->e = NULL;
	b->alloc = 0;
}

/* Makes the bucket of now the head of every ring, emptying the buckets that
 * no window query can reach any more. */
static void rings_advance(struct pgss *p, int64_t now)
{
	for (size_t r = 0; r < p->nrings; r++) {
		struct ring *g = &p->rings[r];
		int64_t q = floor_div(now, g->width), start = q * g->width;
		size_t slot = (size_t)(((q % (int64_t)g->nb) + (int64_t)g->nb) % (int64_t)g->nb);
		for (size_t i = 0; i < g->nb; i++) {
			struct bucket *b = &g->b[i];
			if (b->start != EMPTY && b->start != start && b->start <= now - g->window)
				bucket_clear(p, b);
		}
		if (g->b[slot].start != start) {
			if (g->b[slot].start != EMPTY)
				bucket_clear(p, &g->b[slot]);
			g->b[slot].start = start;
		}
		if (g->head != slot)
			bucket_pack(&g->b[g->head]);
		g->head = slot;
	}
}

static void rings_add(struct pgss *p, uint32_t idx, const double *d)
{
	for (size_t r = 0; r < p->nrings; r++) {
		struct ring *g = &p->rings[r];
		struct bucket *b = &g->b[g->head];
		uint32_t pos = g->headpos[idx];
		struct bentry *e;
		if (pos < b->n && b->e[pos].idx == idx) {
			e = &b->e[pos];
		} else {
			b->e = xgrow(b->e, &b->alloc, b->n + 1, sizeof(*b->e));
			e = &b->e[b->n];
			memset(e, 0, sizeof(*e));
			e->idx = idx;
			g->headpos[idx] = (uint32_t)b->n++;
			p->st[idx].refs++;
		}
		for (int f = 0; f < NF; f++)
			e->v[f] += (float)d[f];
	}
}

/* Does bucket b of ring g fall in the last w ms before now?  The head
 * bucket (the last observe) always does. */
static int bucket_in(const struct ring *g, size_t i, int64_t now, int64_t w)
{
	const struct bucket *b = &g->b[i];
	return b->start != EMPTY && (i == g->head || b->start > now - w);
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
	size_t nw = 0;

	p->top_n = o->top_n;
	p->max = o->max_statements ? o->max_statements : PGSS_DEFAULT_MAX;
	if (p->max > UINT32_MAX - 1)
		p->max = UINT32_MAX - 1;
	p->interval = o->interval_ms > 0 ? o->interval_ms : 15000;
	hash_grow(p);
	for (size_t i = 0; o->windows_ms && i < o->nwindows && nw < PGSS_MAX_WINDOWS; i++)
		if (o->windows_ms[i] > 0)
			w[nw++] = o->windows_ms[i];
	if (!nw) {
		memcpy(w, defaults, sizeof(defaults));
		nw = sizeof(defaults) / sizeof(defaults[0]);
	}
	qsort(w, nw, sizeof(w[0]), cmp_i64);
	for (size_t i = 0; i < nw; i++)
		if (i == 0 || w[i] != w[i - 1])
			ring_init(&p->rings[p->nrings++], w[i], p->interval);
	return p;
}

void pgss_free(struct pgss *p)
{
	if (!p)
		return;
	for (size_t r = 0; r < p->nrings; r++) {
		for (size_t i = 0; i < p->rings[r].nb; i++) {
			free(p->rings[r].b[i].e);
			free(p->rings[r].b[i].packed);
		}
		free(p->rings[r].b);
		free(p->rings[r].headpos);
	}
	for (size_t i = 0; i < p->hi; i++)
		if (p->st[i].used)
			free(p->st[i].acc);
	free(p->st);
	free(p->freel);
	free(p->slots);
	free(p->top);
	free(p->heap);
	free(p);
}

/* ---- observe -------------------------------------------------------------- */

static double clean(double v)
{
	return v >= 0 && isfinite(v) ? v : 0;
}

/* Reads one snapshot into the table (sums duplicate keys into d, creating
 * the statements it has room for) and the untracked rows into ovf. */
static size_t read_rows(struct pgss *p, const struct pgss_row *rows, size_t n, double *ovf)
{
	size_t untracked = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pgss_row *row = &rows[i];
		size_t slot = hash_slot(p, &row->key);
		struct stmt *s;
		if (p->slots[slot]) {
			s = &p->st[p->slots[slot] - 1];
			if (s->seen_gen != p->gen) {
				s->was = s->seen_gen + 1 == p->gen;
				s->seen_gen = p->gen;
				s->fresh = 0;
				memset(s->d, 0, sizeof(s->d));
			}
		} else if (p->count < p->max) {
			uint32_t idx = stmt_new(p, &row->key, slot); /* may move p->st */
			s = &p->st[idx];
			s->fresh = 1;
			s->seen_gen = p->gen;
		} else {
			for (int f = 0; f < NF; f++)
				ovf[f] += clean(row->v[f]);
			untracked++;
			continue;
		}
		for (int f = 0; f < NF; f++)
			s->d[f] += clean(row->v[f]);
	}
	return untracked;
}

/* Turns the current values of the present statements into export deltas
 * (left in d) and adds their window deltas to the head buckets. */
static void compute_deltas(struct pgss *p, int reset, double *ovf_now)
{
	int first = p->gen == 1, ovf_admit = !first && p->ovf_prev_rows > 0;
	for (uint32_t i = 0; i < p->hi; i++) {
		struct stmt *s = &p->st[i];
		if (!s->used)
			continue;
		s->has_delta = 0;
		s->score_short = s->score_long = 0;
		if (s->seen_gen != p->gen) {
			if (!first && !reset && s->seen_gen + 1 == p->gen)
				p->evicted++;
			continue;
		}
		int window = !first, restart = 0;
		if (s->fresh && ovf_admit) {
			/* may have been among last time's untracked rows: its
			 * delta is taken through the untracked sums, to other */
			for (int f = 0; f < NF; f++)
				ovf_now[f] += s->d[f];
			memcpy(s->last, s->d, sizeof(s->last));
			continue;
		}
		if (!first && s->was) {
			restart = reset;
			for (int f = 0; f < NF && !restart; f++)
				restart = s->d[f] < s->last[f];
			if (restart)
				p->restarted++;
		}
		int nonzero = 0;
		for (int f = 0; f < NF; f++) {
			double cur = s->d[f];
			s->d[f] = first || !s->was || restart ? cur : cur - s->last[f];
			s->last[f] = cur;
			nonzero |= s->d[f] != 0;
		}
		s->has_delta = (unsigned char)nonzero;
		if (window && nonzero) {
			rings_add(p, i, s->d);
			s->last_active_ms = p->now;
		}
	}
}

static void ring_scores(struct pgss *p, const struct ring *g, int longest)
{
	for (size_t i = 0; i < g->nb; i++) {
		if (!bucket_in(g, i, p->now, g->window))
			continue;
		const struct bucket *b = &g->b[i];
		uint32_t idx;
		float v[NF];
		for (size_t j = 0, off = 0; j < b->n; j++) {
			bucket_read(b, j, &off, &idx, v);
			if (longest)
				p->st[idx].score_long += v[PGSS_EXEC_MS];
			else
				p->st[idx].score_short += v[PGSS_EXEC_MS];
		}
	}
}

/* Does a rank before b? */
static int rank_before(const struct stmt *a, const struct stmt *b)
{
	if (a->score_short != b->score_short)
		return a->score_short > b->score_short;
	if (a->score_long != b->score_long)
		return a->score_long > b->score_long;
	if (a->last[PGSS_EXEC_MS] != b->last[PGSS_EXEC_MS])
		return a->last[PGSS_EXEC_MS] > b->last[PGSS_EXEC_MS];
	return key_cmp(&a->key, &b->key) < 0;
}

static int cmp_rank(const void *x, const void *y)
{
	const struct stmt *a = *(struct stmt *const *)x, *b = *(struct stmt *const *)y;
	if (a == b)
		return 0;
	return rank_before(a, b) ? -1 : 1;
}

/* The heap keeps the k best so far with the worst of them at the root. */
static void heap_down(struct stmt **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && rank_before(h[w], h[l]))
			w = l;
		if (r < n && rank_before(h[w], h[r]))
			w = r;
		if (w == i)
			return;
		struct stmt *t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void heap_up(struct stmt **h, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!rank_before(h[parent], h[i]))
			return;
		struct stmt *t = h[i];
		h[i] = h[parent];
		h[parent] = t;
		i = parent;
	}
}

static void rank_top(struct pgss *p)
{
	size_t k = p->top_n < p->count ? p->top_n : p->count, n = 0;
	p->ntop = 0;
	if (!k)
		return;
	ring_scores(p, &p->rings[0], 0);
	ring_scores(p, &p->rings[p->nrings - 1], 1);
	p->heap = xgrow(p->heap, &p->heap_alloc, k, sizeof(*p->heap));
	p->top = xgrow(p->top, &p->top_alloc, k, sizeof(*p->top));
	for (uint32_t i = 0; i < p->hi; i++) {
		struct stmt *s = &p->st[i];
		if (!s->used || (s->seen_gen != p->gen && s->score_short == 0 && s->score_long == 0))
			continue;
		if (n < k) {
			p->heap[n] = s;
			heap_up(p->heap, n++);
		} else if (rank_before(s, p->heap[0])) {
			p->heap[0] = s;
			heap_down(p->heap, n, 0);
		}
	}
	qsort(p->heap, n, sizeof(*p->heap), cmp_rank);
	for (size_t i = 0; i < n; i++)
		p->top[i] = (uint32_t)(p->heap[i] - p->st);
	p->ntop = n;
}

static void accumulate(struct pgss *p)
{
	for (size_t i = 0; i < p->ntop; i++) {
		struct stmt *s = &p->st[p->top[i]];
		s->top_gen = p->gen;
		s->last_top_ms = p->now;
		if (!s->acc) {
			s->acc = xcalloc(NF, sizeof(double));
			p->naccs++;
		}
	}
	for (uint32_t i = 0; i < p->hi; i++) {
		struct stmt *s = &p->st[i];
		if (!s->used || !s->has_delta)
			continue;
		double *to = s->top_gen == p->gen ? s->acc : p->other;
		for (int f = 0; f < NF; f++)
			to[f] += s->d[f];
	}
}

/* Forgets the accumulators out of the top and idle for longer than the
 * longest window, then the statements nothing refers to any more. */
static void sweep(struct pgss *p)
{
	int64_t longest = p->rings[p->nrings - 1].window;
	for (uint32_t i = 0; i < p->hi; i++) {
		struct stmt *s = &p->st[i];
		if (!s->used)
			continue;
		if (s->acc && s->top_gen != p->gen && p->now - s->last_top_ms > longest &&
		    p->now - s->last_active_ms > longest) {
			for (int f = 0; f < NF; f++)
				p->forgotten[f] += s->acc[f];
			free(s->acc);
			s->acc = NULL;
			p->naccs--;
		}
		if (s->seen_gen != p->gen && !s->refs && !s->acc)
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
	rings_advance(p, now_ms);

	size_t untracked = read_rows(p, rows, n, ovf_in);
	p->dropped_new += untracked;
	memcpy(ovf_now, ovf_in, sizeof(ovf_now));
	compute_deltas(p, reset, ovf_now);
	/* the untracked rows as one pseudo-statement whose members may change:
	 * a shrinking sum is held at zero rather than taken as a restart */
	for (int f = 0; f < NF; f++) {
		double d = reset ? ovf_now[f] : ovf_now[f] - p->ovf_prev[f];
		if (d > 0)
			p->other[f] += d;
	}
	memcpy(p->ovf_prev, ovf_in, sizeof(ovf_in));
	p->ovf_prev_rows = untracked;

	rank_top(p);
	accumulate(p);
	sweep(p);
}

/* ---- reading out ------------------------------------------------------------ */

size_t pgss_export(const struct pgss *p, struct pgss_series *out, size_t max)
{
	if (!max)
		return 0;
	size_t k = p->ntop < max - 1 ? p->ntop : max - 1;
	for (size_t i = 0; i < k; i++) {
		const struct stmt *s = &p->st[p->top[i]];
		out[i].other = 0;
		out[i].key = s->key;
		memcpy(out[i].v, s->acc, sizeof(out[i].v));
	}
	memset(&out[k], 0, sizeof(out[k]));
	out[k].other = 1;
	memcpy(out[k].v, p->other, sizeof(out[k].v));
	return k + 1;
}

static int cmp_window_row(const void *x, const void *y)
{
	const struct pgss_window_row *a = x, *b = y;
	if (a->v[PGSS_EXEC_MS] != b->v[PGSS_EXEC_MS])
		return a->v[PGSS_EXEC_MS] > b->v[PGSS_EXEC_MS] ? -1 : 1;
	return key_cmp(&a->key, &b->key);
}

size_t pgss_window(const struct pgss *p, int64_t window_ms, struct pgss_window_row **out)
{
	struct pgss_window_row *rows = NULL;
	size_t n = 0, alloc = 0;

	if (!p->gen) {
		*out = xcalloc(1, sizeof(**out));
		return 0;
	}
	const struct ring *g = &p->rings[p->nrings - 1];
	for (size_t r = 0; r < p->nrings; r++)
		if (p->rings[r].window >= window_ms) {
			g = &p->rings[r];
			break;
		}
	if (window_ms > g->window)
		window_ms = g->window;
	uint32_t *map = xcalloc(p->hi ? p->hi : 1, sizeof(*map)); /* row + 1 */
	for (size_t i = 0; i < g->nb; i++) {
		if (!bucket_in(g, i, p->now, window_ms))
			continue;
		const struct bucket *b = &g->b[i];
		uint32_t idx;
		float v[NF];
		for (size_t j = 0, off = 0; j < b->n; j++) {
			bucket_read(b, j, &off, &idx, v);
			if (!map[idx]) {
				rows = xgrow(rows, &alloc, n + 1, sizeof(*rows));
				memset(&rows[n], 0, sizeof(rows[n]));
				rows[n].key = p->st[idx].key;
				map[idx] = (uint32_t)++n;
			}
			struct pgss_window_row *row = &rows[map[idx] - 1];
			for (int f = 0; f < NF; f++)
				row->v[f] += v[f];
		}
	}
	free(map);
	if (!rows)
		rows = xcalloc(1, sizeof(*rows));
	qsort(rows, n, sizeof(*rows), cmp_window_row);
	*out = rows;
	return n;
}

void pgss_get_stats(const struct pgss *p, struct pgss_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->statements = p->count;
	st->accumulators = p->naccs;
	st->untracked_rows = p->ovf_prev_rows;
	st->observes = p->gen;
	st->resets = p->resets;
	st->restarted_entries = p->restarted;
	st->evicted = p->evicted;
	st->dropped_new = p->dropped_new;
	st->head_entry_size = sizeof(struct bentry);
	st->table_bytes = p->cap * (sizeof(struct stmt) + p->nrings * sizeof(uint32_t)) +
			  p->hsize * sizeof(uint32_t) + p->free_alloc * sizeof(uint32_t) +
			  p->top_alloc * sizeof(uint32_t) + p->heap_alloc * sizeof(struct stmt *) +
			  p->naccs * NF * sizeof(double);
	for (size_t r = 0; r < p->nrings; r++)
		for (size_t i = 0; i < p->rings[r].nb; i++) {
			st->bucket_entries += p->rings[r].b[i].n;
			st->bucket_bytes += p->rings[r].b[i].alloc * sizeof(struct bentry) +
					    p->rings[r].b[i].plen;
		}
	memcpy(st->unexported, p->forgotten, sizeof(st->unexported));
	for (size_t i = 0; i < p->hi; i++) {
		const struct stmt *s = &p->st[i];
		if (s->used && s->acc && s->top_gen != p->gen)
			for (int f = 0; f < NF; f++)
				st->unexported[f] += s->acc[f];
	}
}
