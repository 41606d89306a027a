/*
 * exposition.c -- renders batches into Prometheus text blocks, merges them
 * for scrapes and makes the gzip form (see exposition.h).  Called by
 * collector workers when they publish (render) and by HTTP threads when
 * they answer (merge, respond).
 */
#include "autoconfig.h"
#include "exposition.h"
#include "buf.h"
#include "metrics.h"
#include "strutil.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>
#include "banned.h"

#define EXPO_TEXT_CAP ((size_t)512 << 20)

/* ---- escaping ---------------------------------------------------------- */

/* Escapes backslash and newline (and the double quote when quote is set);
 * invalid UTF-8 becomes U+FFFD so that the output always parses. */
static void escape(struct buf *out, const char *s, int quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	size_t run = 0; /* bytes copied verbatim in one go */
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		const char *rep = NULL;
		size_t adv = 1;
		if (c == '\\')
			rep = "\\\\";
		else if (c == '\n')
			rep = "\\n";
		else if (c == '"' && quote)
			rep = "\\\"";
		else if (c >= 0x80 && (adv = utf8_sequence_len(p + i, n - i)) == 0) {
			rep = "\xEF\xBF\xBD";
			adv = 1;
		}
		if (rep) {
			buf_append(out, p + i - run, run);
			run = 0;
			buf_puts(out, rep);
		} else {
			run += adv;
		}
		i += adv;
	}
	buf_append(out, p + n - run, run);
}

void expo_escape_label_value(struct buf *out, const char *s)
{
	escape(out, s, 1);
}

void expo_escape_help(struct buf *out, const char *s)
{
	escape(out, s, 0);
}

/*
 * Most values are counters scaled to seconds (x/1e3, x/1e6, x/1e9): when v
 * is exactly the double nearest to r/scale for an integer r, r's digits
 * with the point put in read back as v, and cost no snprintf.  Returns the
 * length, or 0 when v is not of that form (or is an integer).
 */
static size_t format_decimal(double v, double scale, int places, char *out)
{
	double r = nearbyint(v * scale);
	if (fabs(r) >= 9e15 || r == 0 || r / scale != v)
		return 0;
	unsigned long long u = (unsigned long long)fabs(r);
	char digits[24];
	int nd = 0;
	do {
		digits[nd++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (nd < places + 1)
		digits[nd++] = '0'; /* at least one digit before the point */
	int frac_end = 0;       /* trailing zeros of the fraction are not written */
	while (frac_end < places && digits[frac_end] == '0')
		frac_end++;
	if (frac_end == places)
		return 0; /* an integer: the caller's own format */
	size_t len = 0;
	if (v < 0)
		out[len++] = '-';
	for (int i = nd - 1; i >= places; i--)
		out[len++] = digits[i];
	out[len++] = '.';
	for (int i = places - 1; i >= frac_end; i--)
		out[len++] = digits[i];
	out[len] = '\0';
	return len;
}

size_t expo_format_value(double v, char *out)
{
	if (isnan(v))
		return (size_t)snprintf(out, 32, "NaN");
	if (isinf(v))
		return (size_t)snprintf(out, 32, v > 0 ? "+Inf" : "-Inf");
	if (v == floor(v) && fabs(v) < 1e15) {
		long long i = (long long)v;
		char tmp[24];
		size_t n = 0, len = 0;
		unsigned long long u = i < 0 ? 0ull - (unsigned long long)i : (unsigned long long)i;
		do {
			tmp[n++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (i < 0)
			out[len++] = '-';
		while (n)
			out[len++] = tmp[--n];
		out[len] = '\0';
		return len;
	}
	size_t len = format_decimal(v, 1e6, 6, out);
	if (len == 0 && fabs(v) < 1e6)
		len = format_decimal(v, 1e9, 9, out);
	if (len)
		return len;
	int n = snprintf(out, 32, "%.15g", v);
	if (strtod(out, NULL) != v)
		n = snprintf(out, 32, "%.17g", v);
	return (size_t)n;
}

/* ---- rendering --------------------------------------------------------- */

static int cmp_family(const void *x, const void *y, void *ctx)
{
	const struct batch *b = ctx;
	uint32_t fx = *(const uint32_t *)x, fy = *(const uint32_t *)y;
	return strcmp(batch_str(b, b->families[fx].name_off), batch_str(b, b->families[fy].name_off));
}

static int same_labels(const struct batch *b, const struct batch_sample *x,
		       const struct batch_sample *y)
{
	return x->part == y->part && x->labels_len == y->labels_len &&
	       memcmp(batch_str(b, x->labels_off), batch_str(b, y->labels_off), x->labels_len) == 0;
}

/* Hash of a sample's family and labels, for spotting repeated series. */
static uint64_t series_hash(const struct batch *b, const struct batch_sample *s)
{
	uint64_t h = 1469598103934665603ull ^ s->family ^ ((uint64_t)s->part << 32);
	const unsigned char *p = (const unsigned char *)batch_str(b, s->labels_off);
	for (uint32_t i = 0; i < s->labels_len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Marks the samples that repeat an earlier sample's family and labels
 * (the first one wins); returns how many. */
static size_t mark_duplicates(const struct batch *b, unsigned char *dup)
{
	size_t size = 16;
	while (size < 2 * b->nsamples)
		size *= 2;
	uint32_t *slots = xmalloc(size * sizeof(*slots));
	memset(slots, 0xff, size * sizeof(*slots));
	size_t n = 0;
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct batch_sample *s = &b->samples[i];
		size_t j = series_hash(b, s) & (size - 1);
		for (; slots[j] != UINT32_MAX; j = (j + 1) & (size - 1)) {
			const struct batch_sample *o = &b->samples[slots[j]];
			if (o->family == s->family && same_labels(b, o, s))
				break;
		}
		if (slots[j] != UINT32_MAX) {
			dup[i] = 1;
			n++;
		} else {
			slots[j] = (uint32_t)i;
		}
	}
	free(slots);
	return n;
}

static const char *type_name(enum metric_type t)
{
	switch (t) {
	case METRIC_COUNTER:
		return "counter";
	case METRIC_GAUGE:
		return "gauge";
	case METRIC_SUMMARY:
		return "summary";
	case METRIC_HISTOGRAM:
		return "histogram";
	default:
		return "untyped";
	}
}

/* The name suffix of each enum metric_part. */
static const char *const part_suffix[] = { "", "_sum", "_count", "_bucket" };

static void render_sample(struct buf *out, const struct batch *b, const char *name,
			  const struct batch_sample *s)
{
	char num[32];
	buf_puts(out, name);
	if (s->part < sizeof(part_suffix) / sizeof(part_suffix[0]))
		buf_puts(out, part_suffix[s->part]);
	if (s->nlabels) {
		const char *p = batch_str(b, s->labels_off);
		buf_putc(out, '{');
		for (uint32_t i = 0; i < s->nlabels; i++) {
			size_t ln = strlen(p);
			if (i)
				buf_putc(out, ',');
			buf_append(out, p, ln);
			buf_puts(out, "=\"");
			p += ln + 1;
			expo_escape_label_value(out, p);
			buf_putc(out, '"');
			p += strlen(p) + 1;
		}
		buf_putc(out, '}');
	}
	buf_putc(out, ' ');
	buf_append(out, num, expo_format_value(s->value, num));
	buf_putc(out, '\n');
}


struct expo_block *expo_render(const struct batch *b)
{
	struct expo_block *blk = xcalloc(1, sizeof(*blk));
	atomic_init(&blk->refs, 1);
	struct buf text = BUF_INIT(EXPO_TEXT_CAP);

	/* families in name order; samples grouped by family in the order the
	 * collector added them (a counting sort), repeated series dropped */
	uint32_t *order = xmalloc((b->nfamilies + 1) * sizeof(*order));
	uint32_t *start = xcalloc(b->nfamilies + 2, sizeof(*start));
	for (size_t i = 0; i < b->nfamilies; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, b->nfamilies, sizeof(*order), cmp_family, (void *)b);
	for (size_t i = 0; i < b->nsamples; i++)
		start[b->samples[i].family + 1]++;
	for (size_t f = 0; f < b->nfamilies; f++)
		start[f + 1] += start[f];
	uint32_t *by_family = xmalloc((b->nsamples + 1) * sizeof(*by_family));
	for (size_t i = 0; i < b->nsamples; i++)
		by_family[start[b->samples[i].family]++] = (uint32_t)i;
	/* start[f] now ends family f; it began where family f - 1 ended */
	unsigned char *dup = xcalloc(b->nsamples + 1, 1);
	blk->duplicates = mark_duplicates(b, dup);

	blk->families = xcalloc(b->nfamilies + 1, sizeof(*blk->families));
	for (size_t r = 0; r < b->nfamilies; r++) {
		uint32_t fam = order[r];
		const struct batch_family *bf = &b->families[fam];
		const char *name = batch_str(b, bf->name_off);
		struct expo_family *f = &blk->families[blk->nfamilies];
		uint32_t first = fam ? start[fam - 1] : 0, end = start[fam];
		if (first == end)
			continue; /* a family without samples */
		f->head_off = (uint32_t)text.len;
		buf_puts(&text, "# HELP ");
		f->name_off = (uint32_t)text.len;
		f->name_len = (uint32_t)strlen(name);
		buf_puts(&text, name);
		buf_putc(&text, ' ');
		expo_escape_help(&text, batch_str(b, bf->help_off));
		buf_printf(&text, "\n# TYPE %s %s\n", name, type_name(bf->type));
		f->head_len = (uint32_t)(text.len - f->head_off);
		f->body_off = (uint32_t)text.len;
		for (uint32_t k = first; k < end; k++) {
			if (dup[by_family[k]])
				continue;
			render_sample(&text, b, name, &b->samples[by_family[k]]);
			blk->nseries++;
		}
		f->body_len = (uint32_t)(text.len - f->body_off);
		blk->nfamilies++;
	}
	free(dup);
	free(by_family);
	free(start);
	free(order);

	if (text.overflow) {
		/* past the cap a block would end mid-family: publish none of it */
		blk->truncated = 1;
		blk->nfamilies = 0;
		blk->nseries = 0;
		buf_reset(&text);
	}
	blk->text = buf_detach(&text, &blk->text_len);
	return blk;
}

struct expo_block *expo_block_ref(struct expo_block *blk)
{
	atomic_fetch_add(&blk->refs, 1);
	return blk;
}

void expo_block_unref(struct expo_block *blk)
{
	if (!blk || atomic_fetch_sub(&blk->refs, 1) != 1)
		return;
	free(blk->text);
	free(blk->families);
	free(blk);
}

/* ---- merging ----------------------------------------------------------- */

static int name_cmp(const struct expo_block *a, const struct expo_family *fa,
		    const struct expo_block *b, const struct expo_family *fb)
{
	size_t n = fa->name_len < fb->name_len ? fa->name_len : fb->name_len;
	int c = memcmp(a->text + fa->name_off, b->text + fb->name_off, n);
	if (c)
		return c;
	return fa->name_len < fb->name_len ? -1 : fa->name_len > fb->name_len;
}

int expo_block_has_family(const struct expo_block *blk, const char *name)
{
	size_t len = strlen(name), lo = 0, hi = blk->nfamilies;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct expo_family *f = &blk->families[mid];
		size_t n = f->name_len < len ? f->name_len : len;
		int c = memcmp(blk->text + f->name_off, name, n);
		if (c == 0)
			c = f->name_len < len ? -1 : f->name_len > len;
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int same_head(const struct expo_block *a, const struct expo_family *fa,
		     const struct expo_block *b, const struct expo_family *fb)
{
	return fa->head_len == fb->head_len &&
	       memcmp(a->text + fa->head_off, b->text + fb->head_off, fa->head_len) == 0;
}

int expo_merge(struct expo_block *const *blocks, size_t n, struct buf *out)
{
	size_t cursor_small[16];
	size_t *cursor = n <= 16 ? cursor_small : xcalloc(n, sizeof(*cursor));
	size_t total = 0;

	for (size_t i = 0; i < n; i++) {
		cursor[i] = 0;
		if (blocks[i])
			total += blocks[i]->text_len;
	}
	buf_reserve(out, total);
	for (;;) {
		/* the smallest family name among the blocks' cursors */
		ssize_t min = -1;
		for (size_t i = 0; i < n; i++) {
			const struct expo_block *b = blocks[i];
			if (!b || cursor[i] >= b->nfamilies)
				continue;
			if (min < 0 || name_cmp(b, &b->families[cursor[i]], blocks[min],
						&blocks[min]->families[cursor[min]]) < 0)
				min = (ssize_t)i;
		}
		if (min < 0)
			break;
		const struct expo_block *mb = blocks[min];
		const struct expo_family *mf = &mb->families[cursor[min]];
		/* the head: the first block that has the family and is no guest */
		const struct expo_block *hb = mb;
		const struct expo_family *hf = mf;
		for (size_t i = (size_t)min + 1; i < n && hb->guest; i++) {
			const struct expo_block *b = blocks[i];
			if (b && !b->guest && cursor[i] < b->nfamilies &&
			    name_cmp(b, &b->families[cursor[i]], mb, mf) == 0) {
				hb = b;
				hf = &b->families[cursor[i]];
			}
		}
		buf_append(out, hb->text + hf->head_off, hf->head_len);
		for (size_t i = (size_t)min; i < n; i++) {
			const struct expo_block *b = blocks[i];
			if (!b || cursor[i] >= b->nfamilies)
				continue;
			const struct expo_family *f = &b->families[cursor[i]];
			if (name_cmp(b, f, mb, mf) != 0)
				continue;
			if (!b->guest || hb->guest || same_head(b, f, hb, hf))
				buf_append(out, b->text + f->body_off, f->body_len);
			cursor[i]++;
		}
	}
	if (cursor != cursor_small)
		free(cursor);
	return out->overflow ? -1 : 0;
}

/* ---- the cached merge and its gzip form ------------------------------ */

struct expo_deflated {
	size_t len;
	unsigned char data[];
};

static uint32_t crc_of(const void *data, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	const unsigned char *p = data;
	while (len) {
		uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = crc32(crc, p, chunk);
		p += chunk;
		len -= chunk;
	}
	return (uint32_t)crc;
}

/*
 * Raw deflate of data.  A middle piece ends with a sync flush (byte-aligned,
 * not final) so that another piece may follow; the last piece is finished.
 * small selects a tiny window and hash for the per-scrape piece.
 */
static struct expo_deflated *deflate_raw(const void *data, size_t len, int last, int small)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 1, Z_DEFLATED, small ? -10 : -15, small ? 2 : 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t bound = deflateBound(&zs, (uLong)len) + 16;
	struct expo_deflated *d = xmalloc(sizeof(*d) + bound);
	zs.next_in = (unsigned char *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = d->data;
	zs.avail_out = (uInt)bound;
	int rc = deflate(&zs, last ? Z_FINISH : Z_SYNC_FLUSH);
	d->len = bound - zs.avail_out;
	deflateEnd(&zs);
	if ((last && rc != Z_STREAM_END) || (!last && rc != Z_OK) || zs.avail_in) {
		free(d);
		return NULL;
	}
	return d;
}

struct expo_merged *expo_merged_new(struct expo_block *const *blocks, size_t n, uint64_t generation)
{
	struct expo_merged *m = xcalloc(1, sizeof(*m));
	atomic_init(&m->refs, 1);
	atomic_init(&m->deflated, NULL);
	m->generation = generation;
	struct buf text = BUF_INIT(EXPO_TEXT_CAP);
	m->truncated = expo_merge(blocks, n, &text) < 0;
	m->text = buf_detach(&text, &m->len);
	m->crc = crc_of(m->text, m->len);
	return m;
}

struct expo_merged *expo_merged_ref(struct expo_merged *m)
{
	atomic_fetch_add(&m->refs, 1);
	return m;
}

void expo_merged_unref(struct expo_merged *m)
{
	if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	free(atomic_load(&m->deflated));
	free(m->text);
	free(m);
}

/* The compressed form of the merged text, made by the first scrape that
 * wants it; a scrape that loses the race frees its own copy. */
static const struct expo_deflated *merged_deflated(struct expo_merged *m)
{
	struct expo_deflated *d = atomic_load(&m->deflated);
	if (d)
		return d;
	struct expo_deflated *mine = deflate_raw(m->text, m->len, 0, 0);
	if (!mine)
		return NULL;
	if (atomic_compare_exchange_strong(&m->deflated, &d, mine))
		return mine;
	free(mine);
	return d;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

int expo_respond(struct expo_merged *m, const struct expo_block *own, int gzip, struct buf *out)
{
	const char *own_text = own ? own->text : "";
	size_t own_len = own ? own->text_len : 0;
	if (m->truncated)
		return -1;
	if (!gzip) {
		buf_reserve(out, m->len + own_len);
		buf_append(out, m->text, m->len);
		buf_append(out, own_text, own_len);
		return out->overflow ? -1 : 0;
	}
	static const unsigned char header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };
	const struct expo_deflated *body = merged_deflated(m);
	struct expo_deflated *tail = deflate_raw(own_text, own_len, 1, 1);
	if (!body || !tail) {
		free(tail);
		return -1;
	}
	unsigned char trailer[8];
	uint32_t crc = (uint32_t)crc32_combine(m->crc, crc_of(own_text, own_len), (z_off_t)own_len);
	put_le32(trailer, crc);
	put_le32(trailer + 4, (uint32_t)(m->len + own_len));
	buf_reserve(out, sizeof(header) + body->len + tail->len + sizeof(trailer));
	buf_append(out, header, sizeof(header));
	buf_append(out, body->data, body->len);
	buf_append(out, tail->data, tail->len);
	buf_append(out, trailer, sizeof(trailer));
	free(tail);
	return out->overflow ? -1 : 0;
}
