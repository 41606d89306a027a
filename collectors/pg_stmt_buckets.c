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
 *
 * A packed bucket is a byte string of its entries sorted by index: the
 * index as a varint of its difference to the previous one, three bytes of
 * two-bit field tags (zero, varint, float), then each non-zero field: a
 * float that holds a whole number below 2^21 (calls, rows, blocks: most
 * of them) as a varint of that number, any other as its 4 bytes.  Both
 * give back the very float that was stored, so a packed bucket answers
 * exactly what the head did; a SELECT's entry takes about 11 bytes.
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

/* packed: idx difference (varint, at most 5 bytes), the field tags (3
 * bytes), the fields (at most 4 bytes each) */
#define TAG_BYTES 3
#define PACKED_MAX (5 + TAG_BYTES + NF * sizeof(float))
#define TAG_ZERO 0u
#define TAG_VARINT 1u
#define TAG_FLOAT 2u
#define VARINT_BELOW (1u << 21) /* whole numbers below it take at most 3 bytes */

/* Reads a packed bucket's entries in order. */
struct cursor {
	size_t off;
	uint32_t idx;
};

struct bucket {
	int64_t start;          /* EMPTY: unused */
	size_t n, alloc;        /* entries; alloc: of e */
	struct entry *e;        /* the head's entries, else NULL */
	uint32_t *order;        /* the head's: positions in e, by index */
	size_t sorted, order_alloc; /* order holds the first sorted entries */
	unsigned char *packed;  /* a closed bucket's entries, else NULL */
	size_t plen;
};

struct ring {
	int64_t window, width;
	size_t nb, head;
	struct bucket *b;
	size_t cursor;          /* where the last add found or would put its index
				 * in the head's order */
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
			free(b->rings[r].b[i].order);
			free(b->rings[r].b[i].packed);
		}
		free(b->rings[r].b);
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

static unsigned char *varint_put(unsigned char *q, uint32_t x)
{
	while (x >= 0x80) {
		*q++ = (unsigned char)(x | 0x80);
		x >>= 7;
	}
	*q++ = (unsigned char)x;
	return q;
}

static const unsigned char *varint_get(const unsigned char *q, uint32_t *x)
{
	uint32_t v = 0;
	unsigned shift = 0;
	while (*q & 0x80) {
		v |= (uint32_t)(*q++ & 0x7f) << shift;
		shift += 7;
	}
	*x = v | (uint32_t)*q++ << shift;
	return q;
}

/* The tag a field's value is packed with. */
static unsigned field_tag(float v)
{
	if (v == 0)
		return TAG_ZERO;
	if (v > 0 && v < (float)VARINT_BELOW && v == (float)(uint32_t)v)
		return TAG_VARINT;
	return TAG_FLOAT;
}

/* Reads entry i of bucket k (c: where a packed one is, advanced) into idx
 * and v.  Entries are read in order, from a zeroed cursor. */
static void entry_read(const struct bucket *k, size_t i, struct cursor *c, uint32_t *idx, float *v)
{
	if (k->e) {
		*idx = k->e[i].idx;
		memcpy(v, k->e[i].v, sizeof(k->e[i].v));
		return;
	}
	const unsigned char *q = k->packed + c->off;
	uint32_t diff, tags;
	q = varint_get(q, &diff);
	c->idx += diff;
	*idx = c->idx;
	tags = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16;
	q += TAG_BYTES;
	for (int f = 0; f < NF; f++) {
		unsigned tag = (tags >> (2 * f)) & 3u;
		uint32_t x;
		v[f] = 0;
		if (tag == TAG_VARINT) {
			q = varint_get(q, &x);
			v[f] = (float)x;
		} else if (tag == TAG_FLOAT) {
			memcpy(&v[f], q, sizeof(float));
			q += sizeof(float);
		}
	}
	c->off = (size_t)(q - k->packed);
}

static void bucket_clear(struct pgss_buckets *b, size_t r, struct bucket *k)
{
	uint32_t idx;
	float v[NF];
	struct cursor c = { 0 };
	for (size_t i = 0; i < k->n; i++) {
		entry_read(k, i, &c, &idx, v);
		b->refs[idx]--;
		score_add(b, r, idx, -us(v[PGSS_EXEC_MS]));
	}
	free(k->e);
	free(k->order);
	free(k->packed);
	memset(k, 0, sizeof(*k));
	k->start = EMPTY;
}

static int cmp_position(const void *x, const void *y, void *ctx)
{
	const struct entry *e = ctx;
	uint32_t a = e[*(const uint32_t *)x].idx, b = e[*(const uint32_t *)y].idx;
	return a < b ? -1 : a > b;
}

/* Merges the positions of the entries added since the head was last
 * settled (in index order themselves when the adds were) into its order,
 * from the back. */
static void head_settle(struct bucket *k)
{
	size_t nsorted = k->sorted, nnew = k->n - nsorted;
	if (!nnew)
		return;
	uint32_t *added = xmalloc(nnew * sizeof(*added));
	for (size_t a = 0; a < nnew; a++)
		added[a] = (uint32_t)(nsorted + a);
	for (size_t a = 1; a < nnew; a++)
		if (k->e[added[a - 1]].idx > k->e[added[a]].idx) {
			qsort_r(added, nnew, sizeof(*added), cmp_position, k->e);
			break;
		}
	k->order = xgrow(k->order, &k->order_alloc, k->n, sizeof(*k->order));
	size_t i = nsorted, j = nnew, out = k->n;
	while (j > 0) {
		if (i > 0 && k->e[k->order[i - 1]].idx > k->e[added[j - 1]].idx)
			k->order[--out] = k->order[--i];
		else
			k->order[--out] = added[--j];
	}
	free(added);
	k->sorted = k->n;
}

/* Packs entry e after the one of index prev at q; returns the end. */
static unsigned char *entry_pack(unsigned char *q, const struct entry *e, uint32_t prev)
{
	uint32_t tags = 0;
	unsigned char *t;
	q = varint_put(q, e->idx - prev);
	t = q;
	q += TAG_BYTES;
	for (int f = 0; f < NF; f++) {
		unsigned tag = field_tag(e->v[f]);
		tags |= (uint32_t)tag << (2 * f);
		if (tag == TAG_VARINT) {
			q = varint_put(q, (uint32_t)e->v[f]);
		} else if (tag == TAG_FLOAT) {
			memcpy(q, &e->v[f], sizeof(float));
			q += sizeof(float);
		}
	}
	t[0] = (unsigned char)tags;
	t[1] = (unsigned char)(tags >> 8);
	t[2] = (unsigned char)(tags >> 16);
	return q;
}

static void bucket_pack(struct bucket *k)
{
	if (!k->e)
		return;
	head_settle(k);
	unsigned char *q = k->packed = xmalloc(k->n * PACKED_MAX);
	uint32_t prev = 0;
	for (size_t i = 0; i < k->n; i++) {
		const struct entry *e = &k->e[k->order[i]];
		q = entry_pack(q, e, prev);
		prev = e->idx;
	}
	k->plen = (size_t)(q - k->packed);
	k->packed = xrealloc(k->packed, k->plen);
	free(k->e);
	free(k->order);
	k->e = NULL;
	k->order = NULL;
	k->alloc = k->order_alloc = k->sorted = 0;
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
		else
			head_settle(&g->b[slot]);
		g->head = slot;
		g->cursor = 0;
	}
}

/* Idx's entry among the head's sorted entries, or NULL.  An observe adds
 * its statements in index order, so the search goes on from where the
 * last one ended, in steps that double until they pass idx, then halve. */
static struct entry *head_find(struct ring *g, struct bucket *k, uint32_t idx)
{
	const uint32_t *order = k->order;
	size_t lo = g->cursor, hi = k->sorted, step = 1;
	if (lo > hi || (lo > 0 && k->e[order[lo - 1]].idx >= idx))
		lo = 0; /* out of order: search it all */
	/* the first entry at or after idx is in [lo, lo + step] */
	while (lo + step < hi && k->e[order[lo + step]].idx < idx) {
		lo += step;
		step *= 2;
	}
	size_t end = lo + step < hi ? lo + step : hi;
	while (lo < end) {
		size_t mid = lo + (end - lo) / 2;
		if (k->e[order[mid]].idx < idx)
			lo = mid + 1;
		else
			end = mid;
	}
	g->cursor = lo;
	return lo < hi && k->e[order[lo]].idx == idx ? &k->e[order[lo]] : NULL;
}

void pgss_buckets_add(struct pgss_buckets *b, uint32_t idx, const double *d)
{
	for (size_t r = 0; r < b->nrings; r++) {
		struct ring *g = &b->rings[r];
		struct bucket *k = &g->b[g->head];
		struct entry *e = head_find(g, k, idx);
		if (!e) { /* after the sorted ones, until head_settle */
			k->e = xgrow(k->e, &k->alloc, k->n + 1, sizeof(*k->e));
			e = &k->e[k->n++];
			memset(e, 0, sizeof(*e));
			e->idx = idx;
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

int64_t pgss_buckets_width(const struct pgss_buckets *b, size_t r)
{
	return b->rings[r].width;
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
		struct cursor c = { 0 };
		for (size_t j = 0; j < k->n; j++) {
			entry_read(k, j, &c, &idx, v);
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
			*bytes += k->alloc * sizeof(struct entry) +
				  k->order_alloc * sizeof(uint32_t) + k->plen;
		}
	*index_bytes = b->cap * (sizeof(*b->refs) + 2 * sizeof(*b->exec_us));
}

size_t pgss_buckets_head_entry_size(void)
{
	return sizeof(struct entry);
}
