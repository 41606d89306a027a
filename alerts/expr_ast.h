/*
 * expr_ast.h -- the parsed form of an alert expression (internal to
 * expr.c, which parses it and prints it back, expr_eval.c, which
 * evaluates it, and expr_promql.c, which prints it as PromQL; the
 * language is described in expr.h).
 */
#ifndef DBPULSE_EXPR_AST_H
#define DBPULSE_EXPR_AST_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "expr.h"
#include "expr_match.h"

enum match_op { M_EQ, M_NE, M_RE, M_NRE };
enum func { FN_NONE, FN_RATE, FN_INCREASE, FN_AVG, FN_MAX, FN_MIN };
enum cmp_op { C_GT, C_GE, C_LT, C_LE, C_EQ, C_NE };

struct matcher {
	char *name;
	char *value;
	enum match_op op;
	regex_t re;
};

struct point {
	double t, v;
};

/* The kept points of one series, oldest first in a ring. */
struct history {
	char *key;
	uint64_t hash;
	struct point *pts;
	size_t head, n;
};

struct term {
	int is_number;
	double number;
	char *metric;
	struct matcher *m;
	size_t nm;
	enum func fn;
	double window;          /* seconds */
	char *window_text;
	struct history **hist;  /* window functions only */
	size_t nhist, hist_alloc;
	uint32_t *index;        /* open addressing over hist, UINT32_MAX empty */
	size_t index_size;
};

/* term [ ARITH [modifier] term ] CMP NUMBER */
struct cond {
	struct term t[2];
	size_t nterms;
	char arith;             /* '+', '-', '*', '/' or 0 */
	struct match_mod mod;   /* of the arithmetic */
	enum cmp_op cmp;
	double threshold;
};

struct expr {
	struct cond c[2];       /* c[1]: the cond after 'and' */
	size_t nconds;
	struct match_mod and_mod;
	size_t max_series, max_points;
	uint64_t dropped;
	struct expr_result scratch[4];   /* a cond's terms; the two conds */
};

/* The spellings of the enums above, indexed by them. */
extern const char *const expr_func_names[];
extern const char *const expr_match_names[];
extern const char *const expr_cmp_names[];

/* Frees the points the term's window function keeps (expr_eval.c). */
void expr_term_history_release(struct term *t);

/* A number as the expression writes it: integers plainly, NaN, +Inf,
 * -Inf, else the shortest %g that reads back the same. */
void expr_format_number(struct buf *out, double v);

#endif
