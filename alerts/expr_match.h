/*
 * expr_match.h -- instant vectors and vector matching for the alert
 * expressions (internal to expr.c; the language is described in expr.h).
 *
 * A vector is a struct expr_result: items with a canonical key and packed
 * labels.  Labels point into the source's samples, or, when vector
 * matching rewrote them (ignoring/on), into the result's own key buffer.
 *
 * Matching is one-to-one, as in PromQL without group_left/group_right:
 *   - no modifier: on identical label sets; the result has the left labels;
 *   - ignoring(l, ...): on the labels minus l, ...; the result has the left
 *     labels minus l, ...;
 *   - on(l, ...): on the labels l, ... only; the result has those labels.
 * With a modifier, a matching key that several series share on one side
 * (PromQL's "many-to-many matching not allowed") matches nothing: all the
 * series of that key are skipped, on the right side and on the left (two
 * left series would give one result identity twice).  Without a modifier
 * the first right series with the left's labels is taken, as before.
 * 'and' is a filter, many-to-many: a left series stays when at least one
 * right series has its matching key.
 */
#ifndef DBPULSE_EXPR_MATCH_H
#define DBPULSE_EXPR_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "expr.h"

/* ---- vectors ------------------------------------------------------------- */

uint64_t vec_hash(const char *s);
/* v with '\\', '"' and newlines escaped as in a PromQL string. */
void vec_append_escaped(struct buf *b, const char *v);
/* Appends the canonical key of packed labels: {a="x",b="y"}, sorted. */
void vec_append_key(struct buf *b, const char *labels, uint32_t n);
/* Appends an item whose labels point into the source (or outlive r). */
void vec_add(struct expr_result *r, const char *labels, uint32_t nlabels, double value);
/* Appends a copy of item i of another vector, with a new value. */
void vec_copy(struct expr_result *r, const struct expr_result *from, size_t i, double value);
/* Points the items' keys and own labels into the (now stable) key buffer:
 * after the last vec_add of an evaluation, before r is read. */
void vec_fix(struct expr_result *r);
/* Keeps the items for which keep(ctx, value) holds, in order. */
void vec_filter(struct expr_result *r, int (*keep)(const void *ctx, double value), const void *ctx);

/* ---- matching ------------------------------------------------------------ */

enum match_kind { MATCH_SAME, MATCH_IGNORING, MATCH_ON };

/* A vector matching modifier: ignoring(labels) or on(labels); MATCH_SAME
 * (no modifier) has no labels.  Owns labels and their strings. */
struct match_mod {
	enum match_kind kind;
	char **labels;
	size_t n;
};

void match_mod_add(struct match_mod *m, char *label);   /* takes label */
void match_mod_release(struct match_mod *m);
/* " ignoring(a, b)", " on(a)", or nothing. */
void match_mod_format(const struct match_mod *m, struct buf *out);
const char *match_kind_name(enum match_kind k);

/* out gets k op r (k_left) or r op k for every series of r. */
void match_scalar(char op, double k, const struct expr_result *r, int k_left,
		  struct expr_result *out);
/* out gets a op b for every left series that matches one right series. */
void match_arith(char op, const struct match_mod *m, const struct expr_result *a,
		 const struct expr_result *b, struct expr_result *out);
/* out gets the series of a (labels and values) that match a series of b. */
void match_and(const struct match_mod *m, const struct expr_result *a,
	       const struct expr_result *b, struct expr_result *out);

#endif
