/*
 * exposition.h -- the Prometheus text format (version 0.0.4).
 *
 * A batch is rendered once, when it is published, into an immutable block:
 * its text with families sorted by name (samples in the order the collector
 * added them, a repeated label set dropped), an index of the families, and
 * that text compressed: each family's head (HELP and TYPE) and body (the
 * samples) is a piece of raw deflate that ends in a full flush, so it
 * refers to nothing before it and may follow anything.  The block keeps
 * the compressed pieces and the heads, not the text: a tenth of the memory
 * (a PostgreSQL target's 250 kB of text is 30 kB compressed).  A scrape
 * lays the blocks of all targets out in family order (families of the same
 * name from different blocks come out together under one HELP/TYPE) as
 * runs of consecutive pieces, which the caller caches until a target
 * publishes again, and writes the runs' compressed bytes between a gzip
 * header and trailer (the CRC joined from the pieces' own), or their text
 * for a client without gzip (a block's text is inflated for the first such
 * answer after it was published, and kept with it: memory that only a
 * deployment scraping without gzip pays for).  Nothing is merged or
 * compressed per scrape but the agent's own small block, which is appended
 * after it (its families are the agent's alone).
 *
 * Pure functions of their inputs but for one cache (a block's text, made
 * by the first answer without gzip that needs it); no locks, no I/O; safe
 * from any thread.
 */
#ifndef DBPULSE_EXPOSITION_H
#define DBPULSE_EXPOSITION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct batch;

struct expo_family {
	uint32_t head_off, head_len;   /* "# HELP ...\n# TYPE ...\n", in the text */
	uint32_t body_off, body_len;   /* the sample lines, in the text */
	uint32_t heads_off;            /* the head in heads */
	uint32_t name_off, name_len;   /* the name in heads */
	uint32_t body_crc;             /* CRC-32 of the body */
	unsigned char changing;        /* its body differed from the target's
					* block before (exposition.c) */
};

/* A stretch of a block's families: its text and raw deflate (exposition.c). */
struct expo_piece;
/* The families' heads, shared by the blocks that have the same (exposition.c). */
struct expo_heads;

struct expo_block {
	atomic_int refs;
	size_t text_len;               /* of the text, which the block holds compressed
					* (expo_block_text inflates it) */
	_Atomic(char *) text_cache;    /* and inflated, once an answer without gzip
					* wanted it: NULL before */
	const char *heads;             /* the families' heads, one after the other */
	struct expo_heads *heads_shared; /* their owner, shared with the blocks
					  * whose heads are the same text */
	struct expo_family *families;
	size_t nfamilies;
	struct expo_piece *pieces;     /* stretches of parts, each compressed on its own */
	size_t npieces;
	uint32_t *part_piece;          /* the piece of each part: 2f head, 2f + 1 body */
	unsigned char *z;              /* the pieces' raw deflate, in order */
	size_t z_len;
	uint32_t crc;                  /* CRC-32 of the text */
	size_t nseries;
	size_t duplicates;             /* series dropped for repeating a label set */
	int truncated;                 /* the text passed its cap: the block is empty */
	int guest;                     /* a guest collector's (collector.h): set by the
					* scheduler before the block is published */
};

/* Renders a batch.  The block starts with one reference, the caller's.
 * expo_render_among knows the other targets' blocks the answer will hold
 * (NULL ones are skipped): families they have, or that sort between this
 * block's, are compressed apart, so that a scrape finds every piece it
 * needs whole; the rest of the block is compressed in stretches as long as
 * possible.  A piece whose text is the same as one of prev (the target's
 * previous block, or NULL) takes its compressed bytes. */
struct expo_block *expo_render(const struct batch *b);
struct expo_block *expo_render_among(const struct batch *b, struct expo_block *const *others,
				     size_t nothers, const struct expo_block *prev);
struct expo_block *expo_block_ref(struct expo_block *blk);
void expo_block_unref(struct expo_block *blk);

/* Whether the block has a family of that name. */
int expo_block_has_family(const struct expo_block *blk, const char *name);
/* The block's text, inflated into a new string (NUL-terminated; its length
 * in *len when len is not NULL), or NULL if the pieces do not inflate. */
char *expo_block_text(const struct expo_block *blk, size_t *len);

/*
 * Merges blocks (NULL ones are skipped) into out.  A family in several
 * blocks comes out once, under the HELP and TYPE of the first block that
 * is no guest; a guest block's part of it is left out unless its HELP and
 * TYPE lines are the same.  Returns 0, or -1 if the buffer reached its cap.
 */
int expo_merge(struct expo_block *const *blocks, size_t n, struct buf *out);

struct expo_run;

/* The layout of every target's exposition, as cached between publishes:
 * runs of consecutive pieces of the blocks it holds references to. */
struct expo_merged {
	atomic_int refs;
	uint64_t generation;           /* the store's, when it was laid out */
	struct expo_block **blocks;
	size_t nblocks;
	struct expo_run *runs;
	size_t nruns;
	struct buf own_z;              /* parts it had to compress itself */
	size_t len;                    /* of the text */
	size_t z_len;                  /* of the compressed pieces */
	uint32_t crc;                  /* CRC-32 of the text */
	int truncated;                 /* passed the cap: not to be served */
};

/* Lays blocks out into a new merged exposition with one reference. */
struct expo_merged *expo_merged_new(struct expo_block *const *blocks, size_t n, uint64_t generation);
struct expo_merged *expo_merged_ref(struct expo_merged *m);
void expo_merged_unref(struct expo_merged *m);

/*
 * The body of a scrape: the merged exposition followed by the agent's own
 * block (which may be NULL), as one gzip stream when gzip is set (a copy
 * of ready bytes), or as text (the same bytes inflated).  Returns 0, or -1
 * if out reached its cap or the merge was cut.
 */
int expo_respond(const struct expo_merged *m, const struct expo_block *own, int gzip, struct buf *out);

/* Escapers and the number format of the text format (also for tests). */
void expo_escape_label_value(struct buf *out, const char *s);
void expo_escape_help(struct buf *out, const char *s);
/* Writes v as the format wants it ("NaN", "+Inf", integers without an
 * exponent, otherwise the shortest text that reads back the same); out
 * needs 32 bytes.  Returns the length. */
size_t expo_format_value(double v, char *out);

#endif
