/*
 * exposition.h -- the Prometheus text format (version 0.0.4).
 *
 * A batch is rendered once, when it is published, into an immutable block:
 * its text with families sorted by name and samples sorted by labels, an
 * index of the families, and (optionally) each family's head and body
 * compressed on its own as a byte-aligned raw deflate stream.  A scrape then
 * only merges blocks: families of the same name from different blocks come
 * out together under one HELP/TYPE, and a gzip response is the
 * concatenation of the ready compressed pieces behind a gzip header (as
 * pigz joins its pieces), so even compressed scrapes copy bytes instead of
 * compressing them.
 *
 * Pure functions of their inputs: no locks, no I/O; safe from any thread.
 */
#ifndef DBPULSE_EXPOSITION_H
#define DBPULSE_EXPOSITION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct batch;
struct buf;

struct expo_family {
	uint32_t name_off, name_len;   /* in text */
	uint32_t head_off, head_len;   /* "# HELP ...\n# TYPE ...\n" */
	uint32_t body_off, body_len;   /* the sample lines */
	uint32_t zhead_off, zhead_len; /* in z: head as raw deflate, sync-flushed */
	uint32_t zbody_off, zbody_len;
};

struct expo_block {
	atomic_int refs;
	char *text;
	size_t text_len;
	unsigned char *z;              /* NULL when not compressed */
	size_t z_len;
	struct expo_family *families;
	size_t nfamilies;
	size_t nseries;
	size_t duplicates;             /* series dropped for repeating a label set */
};

/* Renders a batch; compress also prepares the gzip pieces.  The block
 * starts with one reference, owned by the caller. */
struct expo_block *expo_render(const struct batch *b, int compress);
struct expo_block *expo_block_ref(struct expo_block *blk);
void expo_block_unref(struct expo_block *blk);

/*
 * Merges blocks into one exposition.  The text goes to out; when gz is not
 * NULL a complete gzip stream of the same text goes there too (every block
 * must then have been rendered with compress).  Blocks may be NULL (skipped).
 * Returns 0, or -1 if a buffer reached its cap.
 */
int expo_merge(struct expo_block *const *blocks, size_t n, struct buf *out, struct buf *gz);

/* Escapers and the number format of the text format (also for tests). */
void expo_escape_label_value(struct buf *out, const char *s);
void expo_escape_help(struct buf *out, const char *s);
/* Writes v as the format wants it ("NaN", "+Inf", integers without an
 * exponent, otherwise the shortest text that reads back the same); out
 * needs 32 bytes.  Returns the length. */
size_t expo_format_value(double v, char *out);

/* gzip of arbitrary data (for responses built without pieces). */
int expo_gzip(const void *data, size_t len, struct buf *gz);

#endif
