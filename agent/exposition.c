/*
 * exposition.c -- renders batches into Prometheus text blocks and their
 * compressed pieces, lays blocks out for scrapes and writes the answer as
 * text or gzip (see exposition.h).  Called by collector workers when they
 * publish (render, compress) and by HTTP threads when they answer (lay
 * out, respond).
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

/* ---- the compressed segments ------------------------------------------ */

/* Parts [first, end) of a block (part 2f is family f's head, 2f + 1 its
 * body): consecutive text, compressed as one raw deflate stretch that ends
 * in a full flush. */
struct expo_piece {
	uint32_t first, end;
	uint32_t text_off, text_len;
	uint32_t z_off, z_len;
	uint32_t crc;                  /* CRC-32 of the text */
	uint32_t adler;                /* and its Adler-32: with both, a piece is
					* known again without its text (piece_index) */
	uint64_t crc_op;               /* crc32_combine_gen(text_len) */
};

/* A zlib checksum (crc32, adler32) of len bytes, fed in chunks uInt holds. */
static uint32_t checksum(uLong (*sum)(uLong, const Bytef *, uInt), const void *data, size_t len)
{
	uLong v = sum(0L, Z_NULL, 0);
	const unsigned char *p = data;
	while (len) {
		uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;
		v = sum(v, p, chunk);
		p += chunk;
		len -= chunk;
	}
	return (uint32_t)v;
}

static uint32_t crc_of(const void *data, size_t len)
{
	return checksum(crc32, data, len);
}

/* The window a text needs (a smaller one costs less to set up: the agent's
 * own block is compressed on every scrape), and a hash table to match. */
static int deflate_start(z_stream *zs, size_t len)
{
	int bits = 9;
	while (bits < 15 && ((size_t)1 << bits) < len)
		bits++;
	memset(zs, 0, sizeof(*zs));
	return deflateInit2(zs, 1, Z_DEFLATED, -bits, bits - 7, Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

/* Deflates len bytes of data onto z, ending in a full flush: the output is
 * byte-aligned, has no final block and refers to nothing before it. */
static int deflate_piece(z_stream *zs, const char *data, size_t len, struct buf *z)
{
	if (len == 0)
		return 0; /* nothing to say, and a second flush in a row is an error */
	zs->next_in = (unsigned char *)(uintptr_t)data;
	zs->avail_in = (uInt)len;
	for (;;) {
		if (z->alloc < z->len + 65 && buf_reserve(z, z->alloc / 2 + 4096) < 0)
			return -1;
		zs->next_out = (unsigned char *)z->data + z->len;
		zs->avail_out = (uInt)(z->alloc - z->len - 1); /* buf keeps room for its NUL */
		size_t room = zs->avail_out;
		int rc = deflate(zs, Z_FULL_FLUSH);
		z->len += room - zs->avail_out;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -1;
		if (zs->avail_in == 0 && zs->avail_out > 0)
			return 0; /* deflate had room to spare: all is out */
	}
}

static int inflate_start(z_stream *zs)
{
	memset(zs, 0, sizeof(*zs));
	return inflateInit2(zs, -15) == Z_OK ? 0 : -1;
}

/* Inflates len bytes of pieces (deflate_piece's: no final block) onto out. */
static int inflate_pieces(z_stream *zs, const unsigned char *z, size_t len, struct buf *out)
{
	zs->next_in = (unsigned char *)(uintptr_t)z;
	zs->avail_in = (uInt)len;
	for (;;) {
		/* callers reserve the inflated length: grown only if that was short */
		if (out->alloc <= out->len + 1 && buf_reserve(out, out->alloc / 2 + 4096) < 0)
			return -1;
		zs->next_out = (unsigned char *)out->data + out->len;
		zs->avail_out = (uInt)(out->alloc - out->len - 1); /* buf keeps room for its NUL */
		size_t room = zs->avail_out, had = zs->avail_in;
		int rc = inflate(zs, Z_NO_FLUSH);
		out->len += room - zs->avail_out;
		out->data[out->len] = '\0';
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -1; /* a final block, or damage: not a block's pieces */
		if (zs->avail_in == 0 && zs->avail_out > 0)
			return 0;
		if (zs->avail_in == had && zs->avail_out == room)
			return -1; /* no progress */
	}
}

static int name_cmp(const struct expo_block *a, const struct expo_family *fa,
		    const struct expo_block *b, const struct expo_family *fb)
{
	size_t n = fa->name_len < fb->name_len ? fa->name_len : fb->name_len;
	int c = memcmp(a->heads + fa->name_off, b->heads + fb->name_off, n);
	if (c)
		return c;
	return fa->name_len < fb->name_len ? -1 : fa->name_len > fb->name_len;
}

/*
 * Where another block's families fall among this block's: shared[f] when
 * one has family f's name (its head and body then stand alone, to be laid
 * out with the others'), between[f] when one sorts between families f - 1
 * and f (a scrape cuts there).  Families in between are never cut apart
 * while the others stay as they were; if they change, the layout
 * compresses what it must cut (expo_merged_new) until this target
 * publishes again.
 */
static void mark_others(const struct expo_block *blk, struct expo_block *const *others,
			size_t nothers, unsigned char *shared, unsigned char *between)
{
	for (size_t o = 0; o < nothers; o++) {
		const struct expo_block *ob = others[o];
		if (!ob || ob == blk)
			continue;
		size_t f = 0;
		for (size_t j = 0; j < ob->nfamilies; j++) {
			const struct expo_family *x = &ob->families[j];
			while (f < blk->nfamilies && name_cmp(blk, &blk->families[f], ob, x) < 0)
				f++;
			if (f == blk->nfamilies)
				break;
			if (name_cmp(blk, &blk->families[f], ob, x) == 0)
				shared[f] = 1;
			else if (f > 0)
				between[f] = 1;
		}
	}
}

/* Whether a segment starts at part p. */
static int segment_starts(size_t p, const unsigned char *shared, const unsigned char *between)
{
	size_t f = p / 2;
	if (p == 0)
		return 1;
	if (p % 2)
		return shared[f];
	return shared[f] || shared[f - 1] || between[f];
}

static uint32_t part_off(const struct expo_block *blk, size_t p)
{
	const struct expo_family *f = &blk->families[p / 2];
	return p % 2 ? f->body_off : f->head_off;
}

static uint32_t part_len(const struct expo_block *blk, size_t p)
{
	const struct expo_family *f = &blk->families[p / 2];
	return p % 2 ? f->body_len : f->head_len;
}

/*
 * The pieces of the target's previous block by their text's CRC and length,
 * to be found again: a piece whose text has not changed since (a head, a
 * family of constant values) takes its compressed bytes instead of being
 * compressed anew.  The previous text is gone (a block keeps its pieces
 * compressed only); a piece is the same when its length, CRC-32 and
 * Adler-32 are: two checksums of different construction, 64 bits that a
 * changed text would have to match by chance in both.
 */
struct piece_index {
	const struct expo_block *prev;
	uint32_t *slots;               /* piece + 1; 0 is empty */
	size_t mask;
};

static uint32_t piece_hash(uint32_t crc, uint32_t len)
{
	return (crc ^ (len * 2654435761u)) * 2246822519u;
}

static void piece_index_init(struct piece_index *ix, const struct expo_block *prev)
{
	memset(ix, 0, sizeof(*ix));
	if (!prev || !prev->npieces || !prev->z)
		return;
	size_t size = 16;
	while (size < 2 * prev->npieces)
		size *= 2;
	ix->prev = prev;
	ix->slots = xcalloc(size, sizeof(*ix->slots));
	ix->mask = size - 1;
	for (size_t i = 0; i < prev->npieces; i++) {
		const struct expo_piece *p = &prev->pieces[i];
		size_t j = piece_hash(p->crc, p->text_len) & ix->mask;
		while (ix->slots[j])
			j = (j + 1) & ix->mask;
		ix->slots[j] = (uint32_t)i + 1;
	}
}

/* The previous block's piece with this text, or NULL. */
static const struct expo_piece *piece_index_find(const struct piece_index *ix,
						 const struct expo_piece *pc)
{
	if (!ix->slots)
		return NULL;
	for (size_t j = piece_hash(pc->crc, pc->text_len) & ix->mask; ix->slots[j];
	     j = (j + 1) & ix->mask) {
		const struct expo_piece *p = &ix->prev->pieces[ix->slots[j] - 1];
		if (p->crc == pc->crc && p->adler == pc->adler && p->text_len == pc->text_len)
			return p;
	}
	return NULL;
}

/* Compresses one piece, or copies what the previous block had for it. */
static int compress_piece(z_stream *zs, const struct piece_index *ix, const char *block_text,
			  struct expo_piece *pc, struct buf *z)
{
	const char *text = block_text + pc->text_off;
	pc->crc = crc_of(text, pc->text_len);
	pc->adler = checksum(adler32, text, pc->text_len);
	pc->crc_op = crc32_combine_gen((z_off_t)pc->text_len);
	pc->z_off = (uint32_t)z->len;
	const struct expo_piece *same = piece_index_find(ix, pc);
	int rc = same ? buf_append(z, ix->prev->z + same->z_off, same->z_len)
		      : deflate_piece(zs, text, pc->text_len, z);
	pc->z_len = (uint32_t)(z->len - pc->z_off);
	return rc;
}

/*
 * Families whose samples change stand alone, so that what does not change
 * is taken from the previous block (compress_piece) rather than
 * compressed again with them: a family is "changing" once its body has
 * differed from the previous block's (CRC-32 and length), and stays so
 * while the target publishes it.  Its head and body are then pieces of
 * their own and the family after it starts one.  A PostgreSQL target
 * alone has a dozen such families (durations, pg_stat_database's
 * counters, the agent's own) among 340; each cycle compresses their few
 * kB, not the stretches around them.
 */
static void mark_changing(struct expo_block *blk, const char *text, const struct expo_block *prev,
			  unsigned char *shared)
{
	size_t g = 0;
	for (size_t f = 0; f < blk->nfamilies; f++) {
		struct expo_family *fam = &blk->families[f];
		fam->body_crc = crc_of(text + fam->body_off, fam->body_len);
		if (!prev)
			continue;
		while (g < prev->nfamilies && name_cmp(blk, fam, prev, &prev->families[g]) > 0)
			g++;
		if (g == prev->nfamilies)
			continue; /* new families are taken as steady until they change */
		const struct expo_family *was = &prev->families[g];
		if (name_cmp(blk, fam, prev, was) != 0)
			continue;
		fam->changing = was->changing || was->body_crc != fam->body_crc ||
				was->body_len != fam->body_len;
		if (fam->changing)
			shared[f] = 1;
	}
}

/* A piece that reached this much text ends at the next family: a block
 * whose families never change is still in pieces of about this size,
 * which a family that starts changing cuts no further than its own. */
#define PIECE_SOFT_MAX (16u << 10)

/* Whether a segment starts at part p of a piece that began at text_off. */
static int piece_ends(const struct expo_block *blk, size_t p, uint32_t text_off,
		      const unsigned char *shared, const unsigned char *between)
{
	return segment_starts(p, shared, between) ||
	       (p % 2 == 0 && part_off(blk, p) - text_off >= PIECE_SOFT_MAX);
}

/* Cuts the block's parts into segments (mark_others, mark_changing) and
 * compresses each, or takes it from prev (the target's previous block, or
 * NULL).  Returns 0, or -1 when zlib fails or the output passed the cap. */
static int compress_segments(struct expo_block *blk, const char *text,
			     struct expo_block *const *others, size_t nothers,
			     const struct expo_block *prev)
{
	size_t nparts = 2 * blk->nfamilies;
	unsigned char *shared = xcalloc(blk->nfamilies + 1, 2);
	unsigned char *between = shared + blk->nfamilies + 1;
	mark_others(blk, others, nothers, shared, between);
	mark_changing(blk, text, prev, shared);
	blk->part_piece = xcalloc(nparts + 1, sizeof(*blk->part_piece));
	blk->pieces = xcalloc(nparts + 1, sizeof(*blk->pieces));
	z_stream zs;
	struct buf z = BUF_INIT(EXPO_TEXT_CAP);
	buf_reserve(&z, prev ? prev->z_len + prev->z_len / 8 + 256 : blk->text_len / 5 + 256);
	struct piece_index ix;
	piece_index_init(&ix, prev);
	int rc = nparts ? deflate_start(&zs, blk->text_len) : 0;
	for (size_t p = 0; p < nparts && rc == 0;) {
		struct expo_piece *pc = &blk->pieces[blk->npieces];
		pc->first = (uint32_t)p;
		pc->text_off = part_off(blk, p);
		do
			blk->part_piece[p++] = (uint32_t)blk->npieces;
		while (p < nparts && !piece_ends(blk, p, pc->text_off, shared, between));
		pc->end = (uint32_t)p;
		pc->text_len = part_off(blk, p - 1) + part_len(blk, p - 1) - pc->text_off;
		rc = compress_piece(&zs, &ix, text, pc, &z);
		blk->crc = (uint32_t)crc32_combine_op(blk->crc, pc->crc, (uLong)pc->crc_op);
		blk->npieces++;
	}
	if (nparts)
		deflateEnd(&zs);
	free(ix.slots);
	free(shared);
	blk->z = (unsigned char *)buf_detach_fit(&z, &blk->z_len);
	return rc;
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


/* A block's families' heads, one after the other; shared by the blocks
 * whose heads are the same text (targets of one kind on servers alike). */
struct expo_heads {
	atomic_int refs;
	size_t len;
	char text[];
};

static void heads_unref(struct expo_heads *h)
{
	if (h && atomic_fetch_sub(&h->refs, 1) == 1)
		free(h);
}

/* The heads of prev or of one of the others that are the same as h, or
 * NULL. */
static struct expo_heads *heads_alike(const struct expo_heads *h, const struct expo_block *prev,
				      struct expo_block *const *others, size_t nothers)
{
	for (size_t i = 0; i <= nothers; i++) {
		const struct expo_block *o = i < nothers ? others[i] : prev;
		struct expo_heads *oh = o ? o->heads_shared : NULL;
		if (oh && oh->len == h->len && memcmp(oh->text, h->text, h->len) == 0)
			return oh;
	}
	return NULL;
}

/* Keeps the families' heads (HELP and TYPE, the name in them) apart from
 * the text, which the block holds compressed only: the layout orders and
 * compares families by them.  Heads the same as those of prev or of one of
 * the others are shared with it. */
static void keep_heads(struct expo_block *blk, const char *text, const struct expo_block *prev,
		       struct expo_block *const *others, size_t nothers)
{
	size_t len = 0;
	for (size_t f = 0; f < blk->nfamilies; f++)
		len += blk->families[f].head_len;
	struct expo_heads *h = xmalloc(sizeof(*h) + len + 1);
	atomic_init(&h->refs, 1);
	h->len = 0;
	for (size_t f = 0; f < blk->nfamilies; f++) {
		struct expo_family *fam = &blk->families[f];
		fam->heads_off = (uint32_t)h->len;
		fam->name_off = fam->heads_off + (uint32_t)(sizeof("# HELP ") - 1);
		memcpy(h->text + h->len, text + fam->head_off, fam->head_len);
		h->len += fam->head_len;
	}
	h->text[h->len] = '\0';
	struct expo_heads *same = heads_alike(h, prev, others, nothers);
	if (same) {
		free(h);
		atomic_fetch_add(&same->refs, 1);
		h = same;
	}
	blk->heads_shared = h;
	blk->heads = h->text;
}

struct expo_block *expo_render_among(const struct batch *b, struct expo_block *const *others,
				     size_t nothers, const struct expo_block *prev)
{
	struct expo_block *blk = xcalloc(1, sizeof(*blk));
	atomic_init(&blk->refs, 1);
	struct buf text = BUF_INIT(EXPO_TEXT_CAP);
	/* about the size of the last one: no copies while it grows */
	buf_reserve(&text, prev ? prev->text_len + prev->text_len / 8 + 256 : 4096);

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
	blk->text_len = text.len;
	keep_heads(blk, text.data, prev, others, nothers);
	if (compress_segments(blk, text.data ? text.data : "", others, nothers, prev) < 0) {
		/* zlib failed (out of memory): a block that cannot be served */
		blk->truncated = 1;
		blk->nfamilies = 0;
		blk->nseries = 0;
	}
	buf_release(&text);
	return blk;
}

struct expo_block *expo_render(const struct batch *b)
{
	return expo_render_among(b, NULL, 0, NULL);
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
	free(atomic_load(&blk->text_cache));
	heads_unref(blk->heads_shared);
	free(blk->families);
	free(blk->pieces);
	free(blk->part_piece);
	free(blk->z);
	free(blk);
}

/* ---- laying blocks out ------------------------------------------------- */

int expo_block_has_family(const struct expo_block *blk, const char *name)
{
	size_t len = strlen(name), lo = 0, hi = blk->nfamilies;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct expo_family *f = &blk->families[mid];
		size_t n = f->name_len < len ? f->name_len : len;
		int c = memcmp(blk->heads + f->name_off, name, n);
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

char *expo_block_text(const struct expo_block *blk, size_t *len)
{
	struct buf text = BUF_INIT(EXPO_TEXT_CAP);
	z_stream zs;
	if (buf_reserve(&text, blk->text_len) < 0 || inflate_start(&zs) < 0)
		return NULL;
	int rc = inflate_pieces(&zs, blk->z, blk->z_len, &text);
	inflateEnd(&zs);
	if (rc < 0 || text.len != blk->text_len) {
		buf_release(&text);
		return NULL;
	}
	return buf_detach(&text, len);
}

static int same_head(const struct expo_block *a, const struct expo_family *fa,
		     const struct expo_block *b, const struct expo_family *fb)
{
	return fa->head_len == fb->head_len &&
	       memcmp(a->heads + fa->heads_off, b->heads + fb->heads_off, fa->head_len) == 0;
}

/* A stretch of the answer: text of one block, and its compressed form in
 * that block's bytes, or (blk NULL) in the layout's own. */
struct expo_run {
	const struct expo_block *blk;
	size_t text_off, text_len;     /* in the block's text (blk NULL: none) */
	size_t z_off, z_len;
	uint32_t last_piece;           /* the block's piece that ends the run */
};

/* One part of one block, in the order the answer has them. */
struct layout_item {
	const struct expo_block *blk;
	uint32_t part;
};

struct layout {
	struct layout_item *items;
	size_t n, alloc;
};

static void layout_push(struct layout *l, const struct expo_block *blk, size_t part)
{
	l->items = xgrow(l->items, &l->alloc, l->n + 1, sizeof(*l->items));
	l->items[l->n++] = (struct layout_item){ blk, (uint32_t)part };
}

/* The block of the smallest family name among the cursors, or -1. */
static ssize_t smallest_family(struct expo_block *const *blocks, size_t n, const size_t *cursor)
{
	ssize_t min = -1;
	for (size_t i = 0; i < n; i++) {
		const struct expo_block *b = blocks[i];
		if (cursor[i] >= b->nfamilies)
			continue;
		if (min < 0 || name_cmp(b, &b->families[cursor[i]], blocks[min],
					&blocks[min]->families[cursor[min]]) < 0)
			min = (ssize_t)i;
	}
	return min;
}

/* Lays out the family at the cursor of blocks[min]: the head of the first
 * block that has it and is no guest, then every block's body of it (a
 * guest's only if its head is the same). */
static void layout_family(struct layout *l, struct expo_block *const *blocks, size_t n,
			  size_t min, size_t *cursor)
{
	const struct expo_block *mb = blocks[min];
	const struct expo_family *mf = &mb->families[cursor[min]];
	const struct expo_block *hb = mb;
	size_t hfam = cursor[min];
	for (size_t i = min + 1; i < n && hb->guest; i++) {
		const struct expo_block *b = blocks[i];
		if (!b->guest && cursor[i] < b->nfamilies &&
		    name_cmp(b, &b->families[cursor[i]], mb, mf) == 0) {
			hb = b;
			hfam = cursor[i];
		}
	}
	layout_push(l, hb, 2 * hfam);
	for (size_t i = min; i < n; i++) {
		const struct expo_block *b = blocks[i];
		if (cursor[i] >= b->nfamilies)
			continue;
		const struct expo_family *f = &b->families[cursor[i]];
		if (name_cmp(b, f, mb, mf) != 0)
			continue;
		if (!b->guest || hb->guest || same_head(b, f, hb, &hb->families[hfam]))
			layout_push(l, b, 2 * cursor[i] + 1);
		cursor[i]++;
	}
}

/* Whether items[i...] are the parts of the block's piece, all of them in
 * order: then the piece's compressed bytes serve them. */
static int whole_piece(const struct layout *l, size_t i, const struct expo_piece *pc)
{
	const struct layout_item *it = &l->items[i];
	if (it->part != pc->first || l->n - i < pc->end - pc->first)
		return 0;
	for (size_t k = 1; k < pc->end - pc->first; k++)
		if (l->items[i + k].blk != it->blk || l->items[i + k].part != pc->first + k)
			return 0;
	return 1;
}

static void add_run(struct expo_merged *m, size_t *alloc, const struct expo_run *r)
{
	struct expo_run *last = m->nruns ? &m->runs[m->nruns - 1] : NULL;
	if (r->blk && last && last->blk == r->blk && last->last_piece + 1 == r->last_piece) {
		last->text_len += r->text_len; /* the next piece of the same block */
		last->z_len += r->z_len;
		last->last_piece = r->last_piece;
		return;
	}
	m->runs = xgrow(m->runs, alloc, m->nruns + 1, sizeof(*m->runs));
	m->runs[m->nruns++] = *r;
}

/* What the layout needs to cut pieces: the text of the last piece it
 * inflated, and a stream to compress the parts it cuts from it. */
struct cutter {
	z_stream deflater;
	int deflating;
	const struct expo_piece *piece; /* whose text is in text */
	struct buf text;
};

/* The text of a block's piece, inflated once for the parts cut from it. */
static const char *cut_piece_text(struct cutter *c, const struct expo_block *blk,
				  const struct expo_piece *pc)
{
	if (c->piece == pc)
		return c->text.data;
	z_stream zs;
	c->piece = NULL;
	buf_reset(&c->text);
	if (inflate_start(&zs) < 0)
		return NULL;
	int rc = inflate_pieces(&zs, blk->z + pc->z_off, pc->z_len, &c->text);
	inflateEnd(&zs);
	if (rc < 0 || c->text.len != pc->text_len)
		return NULL;
	c->piece = pc;
	return c->text.data;
}

/*
 * A part of a piece that the layout cuts (another target's family now sorts
 * inside it, unknown when the block was rendered): compressed here, once
 * per layout, until the target publishes again.
 */
static int add_cut_part(struct expo_merged *m, size_t *alloc, struct cutter *c,
			const struct layout_item *it, const struct expo_piece *pc)
{
	uint32_t off = part_off(it->blk, it->part), len = part_len(it->blk, it->part);
	const char *piece_text = cut_piece_text(c, it->blk, pc);
	if (!piece_text)
		return -1;
	if (!c->deflating) {
		if (deflate_start(&c->deflater, (size_t)1 << 15) < 0)
			return -1;
		c->deflating = 1;
	}
	const char *text = piece_text + (off - pc->text_off);
	struct expo_run r = { NULL, 0, len, m->own_z.len, 0, 0 };
	if (deflate_piece(&c->deflater, text, len, &m->own_z) < 0)
		return -1;
	r.z_len = m->own_z.len - r.z_off;
	m->crc = (uint32_t)crc32_combine(m->crc, crc_of(text, len), (z_off_t)len);
	m->len += len;
	m->z_len += r.z_len;
	add_run(m, alloc, &r);
	return 0;
}

/* Turns the layout's parts into runs of whole pieces, compressing the parts
 * of pieces it cuts. */
static int layout_runs(struct expo_merged *m, const struct layout *l)
{
	size_t alloc = 0;
	struct cutter cut = { .text = BUF_INIT(EXPO_TEXT_CAP) };
	int rc = 0;
	for (size_t i = 0; i < l->n && rc == 0;) {
		const struct layout_item *it = &l->items[i];
		uint32_t piece = it->blk->part_piece[it->part];
		const struct expo_piece *pc = &it->blk->pieces[piece];
		if (!whole_piece(l, i, pc)) {
			rc = add_cut_part(m, &alloc, &cut, it, pc);
			i++;
			continue;
		}
		struct expo_run r = { it->blk, pc->text_off, pc->text_len, pc->z_off, pc->z_len, piece };
		m->crc = (uint32_t)crc32_combine_op(m->crc, pc->crc, (uLong)pc->crc_op);
		m->len += pc->text_len;
		m->z_len += pc->z_len;
		add_run(m, &alloc, &r);
		i += pc->end - pc->first;
	}
	if (cut.deflating)
		deflateEnd(&cut.deflater);
	buf_release(&cut.text);
	return rc;
}

struct expo_merged *expo_merged_new(struct expo_block *const *blocks, size_t n, uint64_t generation)
{
	struct expo_merged *m = xcalloc(1, sizeof(*m));
	atomic_init(&m->refs, 1);
	m->generation = generation;
	m->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	buf_init(&m->own_z, EXPO_TEXT_CAP);
	m->blocks = xcalloc(n + 1, sizeof(struct expo_block *));
	for (size_t i = 0; i < n; i++)
		if (blocks[i])
			m->blocks[m->nblocks++] = expo_block_ref(blocks[i]);
	size_t *cursor = xcalloc(m->nblocks + 1, sizeof(*cursor));
	struct layout l = { 0 };
	for (ssize_t min; (min = smallest_family(m->blocks, m->nblocks, cursor)) >= 0;)
		layout_family(&l, m->blocks, m->nblocks, (size_t)min, cursor);
	free(cursor);
	m->truncated = layout_runs(m, &l) < 0 || m->len > EXPO_TEXT_CAP;
	free(l.items);
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
	for (size_t i = 0; i < m->nblocks; i++)
		expo_block_unref(m->blocks[i]);
	free(m->blocks);
	free(m->runs);
	buf_release(&m->own_z);
	free(m);
}

/* ---- answering a scrape ------------------------------------------------ */

int expo_merge(struct expo_block *const *blocks, size_t n, struct buf *out)
{
	struct expo_merged *m = expo_merged_new(blocks, n, 0);
	int rc = expo_respond(m, NULL, 0, out);
	expo_merged_unref(m);
	return rc;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* The compressed bytes of a run. */
static const unsigned char *run_z(const struct expo_merged *m, const struct expo_run *r)
{
	return (r->blk ? r->blk->z : (const unsigned char *)m->own_z.data) + r->z_off;
}

/* The block's text, inflated by the first caller (concurrent first
 * callers may each inflate it; one keeps it), or NULL if it does not
 * inflate. */
static const char *block_text(const struct expo_block *blk)
{
	struct expo_block *b = (struct expo_block *)(uintptr_t)blk; /* a cache in a shared block */
	char *text = atomic_load(&b->text_cache);
	if (text)
		return text;
	char *mine = expo_block_text(blk, NULL), *none = NULL;
	if (!mine)
		return NULL;
	if (atomic_compare_exchange_strong(&b->text_cache, &none, mine))
		return mine;
	free(mine);
	return none; /* another thread's, set meanwhile */
}

/* The plain answer: each run's text, from its block's text (inflated once
 * and kept), or the parts the layout cut and the own block (made for this
 * answer alone) inflated from their compressed bytes. */
static int respond_plain(const struct expo_merged *m, const struct expo_block *own, struct buf *out)
{
	size_t start = out->len;
	if (buf_reserve(out, m->len + own->text_len) < 0)
		return -1;
	z_stream zs;
	int zs_open = 0, rc = 0;
	for (size_t i = 0; i < m->nruns && rc == 0; i++) {
		const struct expo_run *r = &m->runs[i];
		const char *text = r->blk ? block_text(r->blk) : NULL;
		if (text) {
			buf_append(out, text + r->text_off, r->text_len);
			continue;
		}
		if (r->blk || (!zs_open && inflate_start(&zs) < 0))
			return -1;
		zs_open = 1;
		rc = inflate_pieces(&zs, run_z(m, r), r->z_len, out);
	}
	if (rc == 0 && own->z_len) {
		if (!zs_open && inflate_start(&zs) < 0)
			return -1;
		zs_open = 1;
		rc = inflate_pieces(&zs, own->z, own->z_len, out);
	}
	if (zs_open)
		inflateEnd(&zs);
	if (rc < 0 || out->overflow || out->len - start != m->len + own->text_len)
		return -1;
	return 0;
}

int expo_respond(const struct expo_merged *m, const struct expo_block *own, int gzip, struct buf *out)
{
	static const struct expo_block nothing = { .text_len = 0 };
	if (m->truncated || (own && own->truncated))
		return -1;
	if (!own)
		own = &nothing;
	if (!gzip)
		return respond_plain(m, own, out);
	/* a gzip header, the pieces, an empty final block, the trailer */
	static const unsigned char header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };
	static const unsigned char last_block[2] = { 0x03, 0x00 };
	unsigned char trailer[8];
	uint32_t crc = (uint32_t)crc32_combine(m->crc, own->crc, (z_off_t)own->text_len);
	put_le32(trailer, crc);
	put_le32(trailer + 4, (uint32_t)(m->len + own->text_len));
	buf_reserve(out, sizeof(header) + m->z_len + own->z_len + sizeof(last_block) +
				 sizeof(trailer));
	buf_append(out, header, sizeof(header));
	for (size_t i = 0; i < m->nruns; i++)
		if (m->runs[i].z_len)
			buf_append(out, run_z(m, &m->runs[i]), m->runs[i].z_len);
	if (own->z_len)
		buf_append(out, own->z, own->z_len);
	buf_append(out, last_block, sizeof(last_block));
	buf_append(out, trailer, sizeof(trailer));
	return out->overflow ? -1 : 0;
}
