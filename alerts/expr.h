/*
 * expr.h -- the expressions of alert rules: a small PromQL subset.
 *
 *   rule     := cond [ 'and' [ modifier ] cond ]
 *   cond     := term [ ARITH [ modifier ] term ] CMP NUMBER
 *   modifier := ( 'ignoring' | 'on' ) '(' LABEL { ',' LABEL } [','] ')'
 *   term     := selector | FUNC '(' selector '[' DURATION ']' ')' | NUMBER
 *   FUNC     := rate | increase | avg_over_time | max_over_time | min_over_time
 *   selector := METRIC [ '{' matcher { ',' matcher } [','] '}' ]
 *   matcher  := LABEL ( = | != | =~ | !~ ) "string"
 *
 * Parsed once at config load (an error names the offset of the bad token
 * for a caret), evaluated after each collection of a target over that
 * target's samples.  expr_eval() returns the value of every series the
 * rule selects, before the comparison: the engine compares with the
 * threshold, or with a second `clear` threshold while an alert fires.
 *
 * Two metrics in one cond are matched one to one (expr_match.h): without
 * a modifier on identical label sets, the result having the left labels;
 * with ignoring(l, ...) on the labels but those, the result having the
 * left labels minus those; with on(l, ...) on those labels only, the
 * result having only them.  A matching key shared by several series of
 * one side matches nothing (PromQL refuses such a query).  A modifier
 * needs a metric on both sides.
 *
 * `A and [modifier] B` selects A's series, with A's labels and values
 * before A's comparison, for which some series of B, with the same
 * matching key (the modifier applied to the result labels of A and of
 * B), passes B's comparison.  B's comparison is applied here, A's by the
 * engine; expr_threshold(), expr_op_name() and expr_compare() describe
 * A's.  Keywords are lower case; a metric may still be called `on` or
 * `and` where no keyword can stand.
 *
 * Window functions keep, per term, a bounded history of the series they
 * select and of nothing else; the terms after `and` too, every
 * evaluation.
 */
#ifndef DBPULSE_EXPR_H
#define DBPULSE_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct alert_labels;

/* A sample as the evaluator reads it: labels packed as in struct batch. */
struct expr_series {
	const char *labels;
	uint32_t labels_len, nlabels;
	double value;
};

struct expr_source {
	/* The samples of family `name` in this collection: their number, with
	 * *out pointing at them (valid during expr_eval). */
	size_t (*family)(void *ctx, const char *name, const struct expr_series **out);
	void *ctx;
};

/* One selected series: its identity (key, the canonical text of its sorted
 * labels) and value.  labels points into the source's samples, or into the
 * result when vector matching dropped some: valid only until the source
 * changes or the result is reset. */
struct expr_result_item {
	const char *key;
	const char *labels;
	uint32_t nlabels;
	double value;
};

struct expr_result {
	struct expr_result_item *v;
	size_t n, alloc;
	struct buf keys;        /* the keys, and the labels the result owns */
	size_t *key_off;
	size_t key_alloc;
	size_t *lab_off;        /* per item: its own labels in keys, or SIZE_MAX */
	size_t lab_alloc;
};

struct expr;

int expr_parse(const char *src, struct expr **out, char *err, size_t errlen, size_t *err_pos);
void expr_free(struct expr *e);
/* Appends "  SRC\n  <spaces>^\n": the expression with a caret under pos. */
void expr_caret(const char *src, size_t pos, struct buf *out);

int expr_eval(struct expr *e, const struct expr_source *src, double now, struct expr_result *out);
void expr_result_reset(struct expr_result *r);
void expr_result_release(struct expr_result *r);
/* The item's labels as a sorted set (added to out). */
void expr_item_labels(const struct expr_result_item *it, struct alert_labels *out);

/* value CMP threshold (the first cond's CMP); comparisons with NaN are
 * false (but != is true). */
int expr_compare(const struct expr *e, double value, double threshold);
double expr_threshold(const struct expr *e);
const char *expr_op_name(const struct expr *e);
/* The metric names the rule reads, each once (1 to EXPR_MAX_METRICS). */
#define EXPR_MAX_METRICS 4
size_t expr_metrics(const struct expr *e, const char *names[EXPR_MAX_METRICS]);
void expr_set_limits(struct expr *e, size_t max_series, size_t max_points_per_series);
uint64_t expr_history_dropped(const struct expr *e);
size_t expr_history_series(const struct expr *e);
/* The expression in normal form, which parses back to the same rule. */
void expr_format(const struct expr *e, struct buf *out);
/* The expression as PromQL, for Prometheus to evaluate the same query
 * (expr_promql.c): windows as Prometheus spells durations (1h30m), label
 * values quoted with Go's escapes, a metric whose name PromQL reserves
 * (on, and, sum, ...) as {__name__="on"}.  With threshold non-NULL the
 * first comparison is against *threshold instead (a rule's clear). */
void expr_format_promql(const struct expr *e, const double *threshold, struct buf *out);

#endif
