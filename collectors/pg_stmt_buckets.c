/*
 * pg_stmt_buckets.c -- sparse time buckets of statement deltas (see
 * pg_stmt_buckets.h).  Driven by the statement engine on its
 * target's worker thread, once per observe.  Owns the rings, their
 * buckets and the per-index arrays (references, exec over the shortest
 * and the longest window, position in each head bucket).
 *
 * A ring's slot for time t is floor(t / width) mod nb; a bucket covers
 * [start, start + width).  A window of W answers from the buckets that
 * start after now - W, plus the head (the last observe, always), so its
 * edge has the resolution of one bucket.  A bucket that stops being the
 * head is packed; a bucket no query can reach is emptied at once.
 */
#include "autoconfig.h"
#include "pg_stmt_buckets.h"
#include "xalloc.h"

#include <math.h>
#include <string.h>
#include "banned.h"

#define NF PGSS_NFIELDS
#define EMPTY INT64_MIN

struct entry {
	uint32_t idx;
	float v[NF];
};

/* packed: idx (4 bytes), mask of the non-zero fields (2), those as floats */
#define PACKED_HDR 6
#define PACKED_MAX (PACKED_HDR + NF * sizeof(float))

struct bucket {
	int64_t start;          /* EMPTY: unused */
	size_t n, alloc;        /* entries; alloc: of e */
	struct entry *e;        /* the head's entries, else NULL */
	unsigned char *packed;  /* a closed bucket's entries, else NULL */
	size_t plen;
};

struct ring {
	int64_t window, width;
	size_t nb, head;
	struct bucket *b;
	uint32_t *headpos;      /* by index: its position in the head bucket */
};

struct pgss_buckets {
	struct ring rings[PGSS_MAX_WINDOWS];
	size_t nrings, cap;
	int64_t now;
	int started;
	uint32_t *refs;         /* by index */
	int64_t *exec_us;       /* by index: [2 * idx] shortest, [2 * idx + 1] longest */
};

static const int64_t nice_ms[] = {
	1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000,
	1800000, 3600000, 7200000, 21600000, 43200000, 86400000,
};

struct pgss_buckets *pgss_buckets_new(const int64_t *windows_ms, size_t n, int64_t interval_ms)
{
	struct pgss_buckets *b = xcalloc(1, sizeof(*b));
	b->nrings = n;
	for (size_t r = 0; r < n; r++) {
		struct ring *g = &b->rings[r];
		/* about ten buckets of a round width, never below the interval */
		int64_t target = windows_ms[r] / 10, width = target > 0 ? target : 1;
		for (size_t i = 0; i < sizeof(nice_ms) / sizeof(nice_ms[0]) && nice_ms[i] <= target; i++)
			width = nice_ms[i];
		if (width < interval_ms)
			width = interval_ms;
		g->window = windows_ms[r];
		g->width = width;
		g->nb = (size_t)((g->window + width - 1) / width);
		g->b = xcalloc(g->nb, sizeof(*g->b));
		for (size_t i = 0; i < g->nb; i++)
			g->b[i].start = EMPTY;
	}
	return b;
}

void pgss_buckets_free(struct pgss_buckets *b)
{
	if (!b)
		return;
	for (size_t r = 0; r < b->nrings; r++) {
		for (size_t i = 0; i < b->rings[r].nb; i++) {
			free(b->rings[r].b[i].e);
			free(b->rings[r].b[i].packed);
		}
		free(b->rings[r].b);
		free(b->rings[r].headpos);
	}
	free(b->refs);
	free(b->exec_us);
	free(b);
}

void pgss_buckets_reserve(struct pgss_buckets *b, size_t cap)
{
	if (cap <= b->cap)
		return;
	size_t old = b->cap, more = cap - old;
	for (size_t r = 0; r < b->nrings; r++) {
		b->rings[r].headpos = xrealloc(b->rings[r].headpos, cap * sizeof(uint32_t));
		memset(b->rings[r].headpos + old, 0, more * sizeof(uint32_t));
	}
	b->refs = xrealloc(b->refs, cap * sizeof(*b->refs));
	memset(b->refs + old, 0, more * sizeof(*b->refs));
	b->exec_us = xrealloc(b->exec_us, 2 * cap * sizeof(*b->exec_us));
	memset(b->exec_us + 2 * old, 0, 2 * more * sizeof(*b->exec_us));
	b->cap = cap;
}

/* Exec ms as integer microseconds: scores then add and subtract exactly. */
static int64_t us(float ms)
{
	double x = (double)ms * 1000.0;
	return x < 1e18 ? (int64_t)llround(x) : (int64_t)1e18;
}

/* Ring r's exec goes into the shortest-window score (r == 0) and into the
 * longest-window one (r == nrings - 1); with one ring, into both. */
static void score_add(struct pgss_buckets *b, size_t r, uint32_t idx, int64_t change)
{
	if (r == 0)
		b->exec_us[2 * (size_t)idx] += change;
	if (r == b->nrings - 1)
		b->exec_us[2 * (size_t)idx + 1] += change;
}

/* Reads entry i of bucket k (off: its byte offset when packed, advanced)
 * into idx and v.  Entries are read in order. */
static void entry_read(const struct bucket *k, size_t i, size_t *off, uint32_t *idx, float *v)
{
	if (k->e) {
		*idx = k->e[i].idx;
		memcpy(v, k->e[i].v, sizeof(k->e[i].v));
		return;
	}
	const unsigned char *q = k->packed + *off;
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
	*off = (size_t)(q - k->packed);
}

static void bucket_clear(struct pgss_buckets *b, size_t r, struct bucket *k)
{
	uint32_t idx;
	float v[NF];
	for (size_t i = 0, off = 0; i < k->n; i++) {
		entry_read(k, i, &off, &idx, v);
		b->refs[idx]--;
		score_add(b, r, idx, -us(v[PGSS_EXEC_MS]));
	}
	free(k->e);
	free(k->packed);
	memset(k, 0, sizeof(*k));
	k->start = EMPTY;
}

static void bucket_pack(struct bucket *k)
{
	if (!k->e)
		return;
	unsigned char *q = k->packed = xmalloc(k->n * PACKED_MAX);
	for (size_t i = 0; i < k->n; i++) {
		uint16_t mask = 0;
		unsigned char *fields = q + PACKED_HDR;
		memcpy(q, &k->e[i].idx, sizeof(uint32_t));
		for (int f = 0; f < NF; f++)
			if (k->e[i].v[f] != 0) {
				mask |= (uint16_t)(1u << f);
				memcpy(fields, &k->e[i].v[f], sizeof(float));
				fields += sizeof(float);
			}
		memcpy(q + 4, &mask, sizeof(mask));
		q = fields;
	}
	k->plen = (size_t)(q - k->packed);
	k->packed = xrealloc(k->packed, k->plen);
	free(k->e);
	k->e = NULL;
	k->alloc = 0;
}

static int64_t floor_div(int64_t a, int64_t d)
{
	int64_t q = a / d;
	return a % d != 0 && (a < 0) != (d < 0) ? q - 1 : q;
}

void pgss_buckets_advance(struct pgss_buckets *b, int64_t now)
{
	if (b->started && now < b->now)
		now = b->now;
	b->now = now;
	b->started = 1;
	for (size_t r = 0; r < b->nrings; r++) {
		struct ring *g = &b->rings[r];
		int64_t q = floor_div(now, g->width), start = q * g->width;
		int64_t nb = (int64_t)g->nb;
		size_t slot = (size_t)(((q % nb) + nb) % nb);
		for (size_t i = 0; i < g->nb; i++) {
			struct bucket *k = &g->b[i];
			if (k->start != EMPTY && k->start != start && k->start <= now - g->window)
				bucket_clear(b, r, k);
		}
		if (g->b[slot].start != start) {
			if (g->b[slot].start != EMPTY)
				bucket_clear(b, r, &g->b[slot]);
			g->b[slot].start = start;
		}
		if (g->head != slot)
			bucket_pack(&g->b[g->head]);
		g->head = slot;
	}
}

void pgss_buckets_add(struct pgss_buckets *b, uint32_t idx, const double *d)
{
	for (size_t r = 0; r < b->nrings; r++) {
		struct ring *g = &b->rings[r];
		struct bucket *k = &g->b[g->head];
		uint32_t pos = g->headpos[idx];
		struct entry *e;
		if (pos < k->n && k->e[pos].idx == idx) {
			e = &k->e[pos];
		} else {
			k->e = xgrow(k->e, &k->alloc, k->n + 1, sizeof(*k->e));
			e = &k->e[k->n];
			memset(e, 0, sizeof(*e));
			e->idx = idx;
			g->headpos[idx] = (uint32_t)k->n++;
			b->refs[idx]++;
		}
		int64_t before = us(e->v[PGSS_EXEC_MS]);
		for (int f = 0; f < NF; f++)
			e->v[f] += (float)d[f];
		/* the score moves by what the entry will give back on expiry */
		score_add(b, r, idx, us(e->v[PGSS_EXEC_MS]) - before);
	}
}

uint32_t pgss_buckets_refs(const struct pgss_buckets *b, uint32_t idx)
{
	return b->refs[idx];
}

int64_t pgss_buckets_exec_us(const struct pgss_buckets *b, uint32_t idx, int longest)
{
	return b->exec_us[2 * (size_t)idx + (longest ? 1 : 0)];
}

int64_t pgss_buckets_longest(const struct pgss_buckets *b)
{
	return b->rings[b->nrings - 1].window;
}

void pgss_buckets_query(const struct pgss_buckets *b, int64_t window_ms, pgss_buckets_visit_fn *fn,
			void *ctx)
{
	const struct ring *g = &b->rings[b->nrings - 1];
	if (!b->started)
		return;
	for (size_t r = 0; r < b->nrings; r++)
		if (b->rings[r].window >= window_ms) {
			g = &b->rings[r];
			break;
		}
	if (window_ms > g->window)
		window_ms = g->window;
	for (size_t i = 0; i < g->nb; i++) {
		const struct bucket *k = &g->b[i];
		if (k->start == EMPTY || (i != g->head && k->start <= b->now - window_ms))
			continue;
		uint32_t idx;
		float v[NF];
		for (size_t j = 0, off = 0; j < k->n; j++) {
			entry_read(k, j, &off, &idx, v);
			fn(ctx, idx, v);
		}
	}
}

void pgss_buckets_usage(const struct pgss_buckets *b, size_t *entries, size_t *bytes,
			size_t *index_bytes)
{
	*entries = *bytes = 0;
	for (size_t r = 0; r < b->nrings; r++)
		for (size_t i = 0; i < b->rings[r].nb; i++) {
			const struct bucket *k = &b->rings[r].b[i];
			*entries += k->n;
			*bytes += k->alloc * sizeof(struct entry) + k->plen;
		}
	*index_bytes = b->cap * (sizeof(*b->refs) + 2 * sizeof(*b->exec_us) +
				 b->nrings * sizeof(uint32_t));
}

size_t pgss_buckets_head_entry_size(void)
{
	return sizeof(struct entry);
}
