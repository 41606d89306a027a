/*
 * expr_eval.c -- evaluating a parsed alert expression (expr.h, expr_ast.h)
 * over one collection of a target: selecting series by their matchers,
 * the window functions over the points each term keeps (a ring per
 * series, bounded by expr_set_limits()), arithmetic and `and` through
 * expr_match.c, the comparisons.  Driven by the engine after every
 * collection, under its lock; the history it keeps belongs to the expr.
 */
#include "autoconfig.h"

#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "expr_ast.h"
#include "expr_match.h"
#include "xalloc.h"
#include "banned.h"

/* ---- selecting -------------------------------------------------------------- */

/* The value of label name in packed labels, "" when absent. */
static const char *label_value(const char *labels, uint32_t n, const char *name)
{
	const char *p = labels;
	for (uint32_t i = 0; i < n; i++) {
		const char *v = p + strlen(p) + 1;
		if (strcmp(p, name) == 0)
			return v;
		p = v + strlen(v) + 1;
	}
	return "";
}

static int matches(const struct term *t, const struct expr_series *s)
{
	for (size_t i = 0; i < t->nm; i++) {
		const struct matcher *m = &t->m[i];
		const char *v = label_value(s->labels, s->nlabels, m->name);
		int hit;
		switch (m->op) {
		case M_EQ: hit = strcmp(v, m->value) == 0; break;
		case M_NE: hit = strcmp(v, m->value) != 0; break;
		case M_RE: hit = regexec(&m->re, v, 0, NULL, 0) == 0; break;
		default: hit = regexec(&m->re, v, 0, NULL, 0) != 0; break;
		}
		if (!hit)
			return 0;
	}
	return 1;
}

/* ---- history ------------------------------------------------------------------- */

static void history_free(struct history *h)
{
	free(h->key);
	free(h->pts);
	free(h);
}

void expr_term_history_release(struct term *t)
{
	for (size_t i = 0; i < t->nhist; i++)
		history_free(t->hist[i]);
	free(t->hist);
	free(t->index);
}

static void index_rebuild(struct term *t)
{
	size_t size = 64;
	while (size < t->nhist * 2 + 2)
		size *= 2;
	free(t->index);
	t->index = xmalloc(size * sizeof(*t->index));
	memset(t->index, 0xff, size * sizeof(*t->index));
	t->index_size = size;
	for (size_t i = 0; i < t->nhist; i++) {
		size_t j = t->hist[i]->hash & (size - 1);
		while (t->index[j] != UINT32_MAX)
			j = (j + 1) & (size - 1);
		t->index[j] = (uint32_t)i;
	}
}

static struct history *history_find(struct term *t, const char *key, uint64_t h)
{
	if (!t->index_size)
		return NULL;
	size_t mask = t->index_size - 1;
	for (size_t j = h & mask; t->index[j] != UINT32_MAX; j = (j + 1) & mask) {
		struct history *x = t->hist[t->index[j]];
		if (x->hash == h && strcmp(x->key, key) == 0)
			return x;
	}
	return NULL;
}

static struct history *history_add(struct expr *e, struct term *t, const char *key, uint64_t h)
{
	if (t->nhist >= e->max_series) {
		e->dropped++;
		return NULL;
	}
	struct history *x = xcalloc(1, sizeof(*x));
	x->key = xstrdup(key);
	x->hash = h;
	x->pts = xmalloc(e->max_points * sizeof(*x->pts));
	t->hist = xgrow(t->hist, &t->hist_alloc, t->nhist + 1, sizeof(struct history *));
	t->hist[t->nhist++] = x;
	if (t->nhist * 2 + 2 > t->index_size) {
		index_rebuild(t);
	} else {
		size_t mask = t->index_size - 1, j = h & mask;
		while (t->index[j] != UINT32_MAX)
			j = (j + 1) & mask;
		t->index[j] = (uint32_t)(t->nhist - 1);
	}
	return x;
}

static struct point *point_at(const struct history *x, size_t i, size_t cap)
{
	return &x->pts[(x->head + i) % cap];
}

static void history_expire(struct history *x, double oldest, size_t cap)
{
	while (x->n && point_at(x, 0, cap)->t <= oldest) {
		x->head = (x->head + 1) % cap;
		x->n--;
	}
}

/* Drops the series whose every point left the window. */
static void history_prune(struct term *t, double now, size_t cap)
{
	size_t kept = 0;
	for (size_t i = 0; i < t->nhist; i++) {
		struct history *x = t->hist[i];
		history_expire(x, now - t->window, cap);
		if (x->n)
			t->hist[kept++] = x;
		else
			history_free(x);
	}
	if (kept != t->nhist) {
		t->nhist = kept;
		index_rebuild(t);
	}
}

/* Appends (now, v) and computes the window function; 0, or -1 when the
 * window holds too little (rate and increase need two points). */
static int history_apply(struct expr *e, struct term *t, struct history *x, double now, double v,
			 double *out)
{
	size_t cap = e->max_points;
	if (cap == 0)
		return -1; /* never: expr_set_limits keeps it positive */
	if (x->n && point_at(x, x->n - 1, cap)->t >= now)
		x->n--;   /* the same instant twice: keep the newer value */
	if (x->n == cap) {
		x->head = (x->head + 1) % cap;
		x->n--;
		e->dropped++;
	}
	*point_at(x, x->n, cap) = (struct point){ now, v };
	x->n++;
	history_expire(x, now - t->window, cap);
	const struct point *first = point_at(x, 0, cap);
	if (t->fn == FN_RATE || t->fn == FN_INCREASE) {
		if (x->n < 2)
			return -1;
		double inc = 0, prev = first->v;
		for (size_t i = 1; i < x->n; i++) {
			double cur = point_at(x, i, cap)->v;
			inc += cur >= prev ? cur - prev : cur;   /* a drop is a counter reset */
			prev = cur;
		}
		double dt = point_at(x, x->n - 1, cap)->t - first->t;
		if (t->fn == FN_INCREASE)
			*out = inc;
		else if (dt > 0)
			*out = inc / dt;
		else
			return -1;
		return 0;
	}
	double acc = first->v;
	for (size_t i = 1; i < x->n; i++) {
		double cur = point_at(x, i, cap)->v;
		if (t->fn == FN_AVG)
			acc += cur;
		else if (t->fn == FN_MAX ? cur > acc || isnan(acc) : cur < acc || isnan(acc))
			acc = cur;
	}
	*out = t->fn == FN_AVG ? acc / (double)x->n : acc;
	return 0;
}

/* ---- evaluation -------------------------------------------------------------- */

/* The term's value for every series it selects, into r. */
static void eval_term(struct expr *e, struct term *t, const struct expr_source *src, double now,
		      struct expr_result *r)
{
	expr_result_reset(r);
	const struct expr_series *s;
	size_t n = src->family(src->ctx, t->metric, &s);
	if (t->fn != FN_NONE)
		history_prune(t, now, e->max_points);
	for (size_t i = 0; i < n; i++) {
		if (!matches(t, &s[i]))
			continue;
		if (t->fn == FN_NONE) {
			vec_add(r, s[i].labels, s[i].nlabels, s[i].value);
			continue;
		}
		size_t mark = r->keys.len;
		vec_append_key(&r->keys, s[i].labels, s[i].nlabels);
		buf_putc(&r->keys, '\0');
		const char *key = r->keys.data + mark;
		uint64_t h = vec_hash(key);
		struct history *x = history_find(t, key, h);
		if (!x)
			x = history_add(e, t, key, h);
		double v;
		int ok = x && history_apply(e, t, x, now, s[i].value, &v) == 0;
		r->keys.len = mark;
		if (ok)
			vec_add(r, s[i].labels, s[i].nlabels, v);
	}
	vec_fix(r);
}

static int cmp_holds(enum cmp_op op, double value, double threshold)
{
	switch (op) {
	case C_GT: return value > threshold;
	case C_GE: return value >= threshold;
	case C_LT: return value < threshold;
	case C_LE: return value <= threshold;
	case C_EQ: return value == threshold;
	default: return value != threshold;
	}
}

/* vec_filter: whether value passes the cond's comparison. */
static int cond_holds(const void *ctx, double value)
{
	const struct cond *c = ctx;
	return cmp_holds(c->cmp, value, c->threshold);
}

/* The cond's values before its comparison, into out (the terms' values in
 * scratch[0] and scratch[1]). */
static void eval_cond(struct expr *e, struct cond *c, const struct expr_source *src, double now,
		      struct expr_result *out)
{
	expr_result_reset(out);
	if (c->nterms == 1) {
		eval_term(e, &c->t[0], src, now, out);
		return;
	}
	struct term *a = &c->t[0], *b = &c->t[1];
	if (a->is_number || b->is_number) {
		eval_term(e, a->is_number ? b : a, src, now, &e->scratch[0]);
		if (a->is_number)
			match_scalar(c->arith, a->number, &e->scratch[0], 1, out);
		else
			match_scalar(c->arith, b->number, &e->scratch[0], 0, out);
		return;
	}
	eval_term(e, a, src, now, &e->scratch[0]);
	eval_term(e, b, src, now, &e->scratch[1]);
	match_arith(c->arith, &c->mod, &e->scratch[0], &e->scratch[1], out);
}

int expr_eval(struct expr *e, const struct expr_source *src, double now, struct expr_result *out)
{
	if (e->nconds == 1) {
		eval_cond(e, &e->c[0], src, now, out);
		return 0;
	}
	/* both sides every time: their window functions keep their history */
	struct expr_result *l = &e->scratch[2], *r = &e->scratch[3];
	eval_cond(e, &e->c[0], src, now, l);
	eval_cond(e, &e->c[1], src, now, r);
	vec_filter(r, cond_holds, &e->c[1]);
	expr_result_reset(out);
	match_and(&e->and_mod, l, r, out);
	return 0;
}

/* ---- the limits and what the engine asks ---------------------------------------- */

int expr_compare(const struct expr *e, double value, double threshold)
{
	return cmp_holds(e->c[0].cmp, value, threshold);
}

/* The series the window functions of all terms keep. */
static size_t history_series(const struct expr *e)
{
	size_t n = 0;
	for (size_t c = 0; c < 2; c++)
		n += e->c[c].t[0].nhist + e->c[c].t[1].nhist;
	return n;
}

void expr_set_limits(struct expr *e, size_t max_series, size_t max_points_per_series)
{
	/* before the first evaluation: the rings are sized by max_points */
	if (max_series)
		e->max_series = max_series;
	if (max_points_per_series && !history_series(e))
		e->max_points = max_points_per_series;
}

uint64_t expr_history_dropped(const struct expr *e)
{
	return e->dropped;
}

size_t expr_history_series(const struct expr *e)
{
	return history_series(e);
}
