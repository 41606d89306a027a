/*
 * exposition.h -- the Prometheus text format (version 0.0.4).
 *
 * A batch is rendered once, when it is published, into an immutable block:
 * its text with families sorted by name (samples in the order the collector
 * added them, a repeated label set dropped), and an index of the families.  A scrape merges the blocks of all targets
 * (families of the same name from different blocks come out together under
 * one HELP/TYPE) into a merged exposition, which the caller caches until a
 * target publishes again; its gzip form is made at most once per merged
 * exposition.  The agent's own per-scrape figures are a small block
 * appended after it (their families are the agent's alone), compressed on
 * its own and joined to the cached stream as pigz joins its pieces.
 *
 * Pure functions of their inputs apart from the lazily made gzip form;
 * no locks, no I/O; safe from any thread.
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
};

struct expo_block {
	atomic_int refs;
	char *text;
	size_t text_len;
	struct expo_family *families;
	size_t nfamilies;
	size_t nseries;
	size_t duplicates;             /* series dropped for repeating a label set */
	int truncated;                 /* the text passed its cap: the block is empty */
	int guest;                     /* a guest collector's (collector.h): set by the
					* scheduler before the block is published */
};

/* Renders a batch.  The block starts with one reference, the caller's. */
struct expo_block *expo_render(const struct batch *b);
struct expo_block *expo_block_ref(struct expo_block *blk);
void expo_block_unref(struct expo_block *blk);

/* Whether the block has a family of that name. */
int expo_block_has_family(const struct expo_block *blk, const char *name);

/*
 * Merges blocks (NULL ones are skipped) into out.  A family in several
 * blocks comes out once, under the HELP and TYPE of the first block that
 * is no guest; a guest block's part of it is left out unless its HELP and
 * TYPE lines are the same.  Returns 0, or -1 if the buffer reached its cap.
 */
int expo_merge(struct expo_block *const *blocks, size_t n, struct buf *out);

struct expo_deflated;

/* A merged exposition of every target, as cached between publishes. */
struct expo_merged {
	atomic_int refs;
	uint64_t generation;           /* the store's, when it was merged */
	char *text;
	size_t len;
	uint32_t crc;                  /* CRC-32 of text */
	int truncated;                 /* passed the cap: not to be served */
	_Atomic(struct expo_deflated *) deflated; /* made on first demand */
};

/* Merges blocks into a new merged exposition with one reference. */
struct expo_merged *expo_merged_new(struct expo_block *const *blocks, size_t n, uint64_t generation);
struct expo_merged *expo_merged_ref(struct expo_merged *m);
void expo_merged_unref(struct expo_merged *m);

/*
 * The body of a scrape: the merged exposition followed by the agent's own
 * block (which may be NULL), as text, or as one gzip stream when gzip is
 * set.  Returns 0, or -1 if out reached its cap or the merge was cut.
 */
int expo_respond(struct expo_merged *m, const struct expo_block *own, int gzip, struct buf *out);

/* Escapers and the number format of the text format (also for tests). */
void expo_escape_label_value(struct buf *out, const char *s);
void expo_escape_help(struct buf *out, const char *s);
/* Writes v as the format wants it ("NaN", "+Inf", integers without an
 * exponent, otherwise the shortest text that reads back the same); out
 * needs 32 bytes.  Returns the length. */
size_t expo_format_value(double v, char *out);

#endif
