/*
 * expr_match.c -- instant vectors and vector matching (expr_match.h).
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "expr.h"
#include "expr_match.h"
#include "xalloc.h"
#include "banned.h"

#define MAX_LABELS 32
#define KEYS_MAX (64u << 20)
#define NO_OFF SIZE_MAX      /* lab_off: the labels point into the source */
#define NOT_FOUND SIZE_MAX

/* ---- labels ------------------------------------------------------------------ */

/* The label after the one at p in packed labels (name\0value\0...). */
static const char *next_label(const char *p)
{
	const char *v = p + strlen(p) + 1;
	return v + strlen(v) + 1;
}

static size_t packed_len(const char *labels, uint32_t n)
{
	const char *p = labels;
	for (uint32_t i = 0; i < n; i++)
		p = next_label(p);
	return (size_t)(p - labels);
}

static int listed(const struct match_mod *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->labels[i], name) == 0)
			return 1;
	return 0;
}

/* Whether matching under m (NULL: none) looks at label name. */
static int kept(const struct match_mod *m, const char *name)
{
	if (!m || m->kind == MATCH_SAME)
		return 1;
	return m->kind == MATCH_ON ? listed(m, name) : !listed(m, name);
}

uint64_t vec_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void vec_append_escaped(struct buf *b, const char *v)
{
	size_t plain = strcspn(v, "\\\"\n");
	if (!v[plain]) {
		buf_append(b, v, plain);
		return;
	}
	for (; *v; v++) {
		if (*v == '\\')
			buf_puts(b, "\\\\");
		else if (*v == '"')
			buf_puts(b, "\\\"");
		else if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *v);
	}
}

/* Appends the canonical key of the labels m keeps: {a="x",b="y"}, sorted. */
static void append_key_kept(struct buf *b, const char *labels, uint32_t n, const struct match_mod *m)
{
	const char *names[MAX_LABELS], *values[MAX_LABELS];
	uint32_t k = 0;
	const char *p = labels;
	for (uint32_t i = 0; i < n && k < MAX_LABELS; i++, p = next_label(p)) {
		if (!kept(m, p))
			continue;
		/* insertion sort: a handful of labels */
		uint32_t j = k++;
		while (j > 0 && strcmp(names[j - 1], p) > 0) {
			names[j] = names[j - 1];
			values[j] = values[j - 1];
			j--;
		}
		names[j] = p;
		values[j] = p + strlen(p) + 1;
	}
	buf_putc(b, '{');
	for (uint32_t i = 0; i < k; i++) {
		if (i)
			buf_putc(b, ',');
		buf_puts(b, names[i]);
		buf_puts(b, "=\"");
		vec_append_escaped(b, values[i]);
		buf_putc(b, '"');
	}
	buf_putc(b, '}');
}

void vec_append_key(struct buf *b, const char *labels, uint32_t n)
{
	append_key_kept(b, labels, n, NULL);
}

/* Packs the labels m keeps into b, in their order; returns their number. */
static uint32_t pack_kept(struct buf *b, const char *labels, uint32_t n, const struct match_mod *m)
{
	uint32_t k = 0;
	const char *p = labels;
	for (uint32_t i = 0; i < n; i++) {
		const char *next = next_label(p);
		if (kept(m, p)) {
			buf_append(b, p, (size_t)(next - p));
			k++;
		}
		p = next;
	}
	return k;
}

/* ---- vectors ---------------------------------------------------------------- */

/* Room for one more item, its key appended; the caller sets its labels. */
static struct expr_result_item *vec_push(struct expr_result *r, const char *labels,
					 uint32_t nlabels, double value)
{
	r->v = xgrow(r->v, &r->alloc, r->n + 1, sizeof(*r->v));
	r->key_off = xgrow(r->key_off, &r->key_alloc, r->n + 1, sizeof(*r->key_off));
	r->lab_off = xgrow(r->lab_off, &r->lab_alloc, r->n + 1, sizeof(*r->lab_off));
	r->key_off[r->n] = r->keys.len;
	r->lab_off[r->n] = NO_OFF;
	vec_append_key(&r->keys, labels, nlabels);
	buf_putc(&r->keys, '\0');
	struct expr_result_item *it = &r->v[r->n++];
	*it = (struct expr_result_item){ .key = NULL, .labels = labels, .nlabels = nlabels,
					 .value = value };
	return it;
}

void vec_add(struct expr_result *r, const char *labels, uint32_t nlabels, double value)
{
	vec_push(r, labels, nlabels, value);
}

/* Appends an item that owns a copy of its packed labels (len bytes). */
static void vec_add_owned(struct expr_result *r, const char *labels, size_t len,
			  uint32_t nlabels, double value)
{
	struct expr_result_item *it = vec_push(r, labels, nlabels, value);
	size_t off = r->keys.len;
	it->labels = NULL;   /* set by vec_fix */
	if (len && buf_append(&r->keys, labels, len) < 0) {
		it->nlabels = 0;   /* past the cap: no labels rather than a bad read */
		return;
	}
	r->lab_off[r->n - 1] = off;
}

void vec_copy(struct expr_result *r, const struct expr_result *from, size_t i, double value)
{
	const struct expr_result_item *it = &from->v[i];
	if (from->lab_off[i] == NO_OFF)
		vec_add(r, it->labels, it->nlabels, value);
	else
		vec_add_owned(r, it->labels, packed_len(it->labels, it->nlabels), it->nlabels, value);
}

void vec_fix(struct expr_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		r->v[i].key = r->keys.data + r->key_off[i];
		if (r->lab_off[i] != NO_OFF)
			r->v[i].labels = r->keys.data + r->lab_off[i];
		else if (!r->v[i].labels)
			r->v[i].labels = "";   /* owned labels that did not fit */
	}
}

void vec_filter(struct expr_result *r, int (*keep)(const void *ctx, double value), const void *ctx)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (!keep(ctx, r->v[i].value))
			continue;
		r->v[n] = r->v[i];
		r->key_off[n] = r->key_off[i];
		r->lab_off[n] = r->lab_off[i];
		n++;
	}
	r->n = n;
}

void expr_result_reset(struct expr_result *r)
{
	r->n = 0;
	if (r->keys.max == 0)
		buf_init(&r->keys, KEYS_MAX);
	buf_reset(&r->keys);
}

void expr_result_release(struct expr_result *r)
{
	free(r->v);
	free(r->key_off);
	free(r->lab_off);
	if (r->keys.max)
		buf_release(&r->keys);
	memset(r, 0, sizeof(*r));
}

void expr_item_labels(const struct expr_result_item *it, struct alert_labels *out)
{
	const char *p = it->labels;
	for (uint32_t i = 0; i < it->nlabels; i++, p = next_label(p))
		alert_labels_set(out, p, p + strlen(p) + 1);
}

/* ---- modifiers ------------------------------------------------------------------ */

void match_mod_add(struct match_mod *m, char *label)
{
	m->labels = xrealloc(m->labels, (m->n + 1) * sizeof(*m->labels));
	m->labels[m->n++] = label;
}

void match_mod_release(struct match_mod *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->labels[i]);
	free(m->labels);
	memset(m, 0, sizeof(*m));
}

const char *match_kind_name(enum match_kind k)
{
	return k == MATCH_ON ? "on" : k == MATCH_IGNORING ? "ignoring" : "";
}

void match_mod_format(const struct match_mod *m, struct buf *out)
{
	if (m->kind == MATCH_SAME)
		return;
	buf_printf(out, " %s(", match_kind_name(m->kind));
	for (size_t i = 0; i < m->n; i++)
		buf_printf(out, "%s%s", i ? ", " : "", m->labels[i]);
	buf_putc(out, ')');
}

/* ---- matching ------------------------------------------------------------------- */

/* The matching keys of a vector's items under a modifier, hashed. */
struct match_index {
	const struct expr_result *r;
	int own;                 /* keys computed here (a modifier), else the items' */
	struct buf keys;
	size_t *off;             /* per item: its key in keys */
	unsigned char *dup;      /* per item: another item has its key */
	uint32_t *slot;          /* open addressing over the first item of each key */
	size_t size;
};

static const char *index_key(const struct match_index *x, size_t i)
{
	return x->own ? x->keys.data + x->off[i] : x->r->v[i].key;
}

/* The first item with key, or NOT_FOUND. */
static size_t index_find(const struct match_index *x, const char *key)
{
	size_t mask = x->size - 1;
	for (size_t j = vec_hash(key) & mask; x->slot[j] != UINT32_MAX; j = (j + 1) & mask)
		if (strcmp(index_key(x, x->slot[j]), key) == 0)
			return x->slot[j];
	return NOT_FOUND;
}

static void index_build(struct match_index *x, const struct match_mod *m, const struct expr_result *r)
{
	memset(x, 0, sizeof(*x));
	x->r = r;
	x->own = m->kind != MATCH_SAME;
	if (x->own) {
		buf_init(&x->keys, KEYS_MAX);
		x->off = xmalloc((r->n + 1) * sizeof(*x->off));
		for (size_t i = 0; i < r->n; i++) {
			x->off[i] = x->keys.len;
			append_key_kept(&x->keys, r->v[i].labels, r->v[i].nlabels, m);
			buf_putc(&x->keys, '\0');
		}
	}
	x->dup = xcalloc(r->n + 1, 1);
	x->size = 16;
	while (x->size < r->n * 2 + 2)
		x->size *= 2;
	x->slot = xmalloc(x->size * sizeof(*x->slot));
	memset(x->slot, 0xff, x->size * sizeof(*x->slot));
	size_t mask = x->size - 1;
	for (size_t i = 0; i < r->n; i++) {
		const char *key = index_key(x, i);
		size_t j = vec_hash(key) & mask;
		while (x->slot[j] != UINT32_MAX && strcmp(index_key(x, x->slot[j]), key) != 0)
			j = (j + 1) & mask;
		if (x->slot[j] == UINT32_MAX)
			x->slot[j] = (uint32_t)i;
		else
			x->dup[x->slot[j]] = x->dup[i] = 1;
	}
}

static void index_release(struct match_index *x)
{
	if (x->own)
		buf_release(&x->keys);
	free(x->off);
	free(x->dup);
	free(x->slot);
}

static double arith(char op, double a, double b)
{
	switch (op) {
	case '+': return a + b;
	case '-': return a - b;
	case '*': return a * b;
	default: return a / b;
	}
}

void match_scalar(char op, double k, const struct expr_result *r, int k_left,
		  struct expr_result *out)
{
	for (size_t i = 0; i < r->n; i++) {
		double v = k_left ? arith(op, k, r->v[i].value) : arith(op, r->v[i].value, k);
		vec_copy(out, r, i, v);
	}
	vec_fix(out);
}

void match_arith(char op, const struct match_mod *m, const struct expr_result *a,
		 const struct expr_result *b, struct expr_result *out)
{
	struct match_index ib;
	index_build(&ib, m, b);
	if (m->kind == MATCH_SAME) {
		/* identical label sets; the first right series of a key */
		for (size_t i = 0; i < a->n; i++) {
			size_t j = index_find(&ib, a->v[i].key);
			if (j != NOT_FOUND)
				vec_add(out, a->v[i].labels, a->v[i].nlabels,
					arith(op, a->v[i].value, b->v[j].value));
		}
		index_release(&ib);
		vec_fix(out);
		return;
	}
	struct match_index ia;
	index_build(&ia, m, a);
	struct buf lab = BUF_INIT(KEYS_MAX);
	for (size_t i = 0; i < a->n; i++) {
		if (ia.dup[i])
			continue;
		size_t j = index_find(&ib, index_key(&ia, i));
		if (j == NOT_FOUND || ib.dup[j])
			continue;
		/* the result's labels: what the left side was matched on */
		buf_reset(&lab);
		uint32_t n = pack_kept(&lab, a->v[i].labels, a->v[i].nlabels, m);
		if (lab.overflow)
			continue;
		vec_add_owned(out, buf_str(&lab), lab.len, n, arith(op, a->v[i].value, b->v[j].value));
	}
	buf_release(&lab);
	index_release(&ia);
	index_release(&ib);
	vec_fix(out);
}

void match_and(const struct match_mod *m, const struct expr_result *a,
	       const struct expr_result *b, struct expr_result *out)
{
	struct match_index ib;
	index_build(&ib, m, b);
	struct buf key = BUF_INIT(KEYS_MAX);
	for (size_t i = 0; i < a->n; i++) {
		const char *k = a->v[i].key;
		if (m->kind != MATCH_SAME) {
			buf_reset(&key);
			append_key_kept(&key, a->v[i].labels, a->v[i].nlabels, m);
			k = buf_str(&key);
		}
		if (index_find(&ib, k) != NOT_FOUND)
			vec_copy(out, a, i, a->v[i].value);
	}
	buf_release(&key);
	index_release(&ib);
	vec_fix(out);
}
