/*
 * alert.c -- label sets, Alertmanager fingerprints and notes (alert.h).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "xalloc.h"
#include "banned.h"

static size_t find_slot(const struct alert_labels *l, const char *name, int *found)
{
	size_t lo = 0, hi = l->n;
	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->v[mid].name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void alert_labels_set(struct alert_labels *l, const char *name, const char *value)
{
	int found;
	size_t i = find_slot(l, name, &found);
	if (found) {
		free(l->v[i].value);
		l->v[i].value = xstrdup(value);
		return;
	}
	l->v = xgrow(l->v, &l->alloc, l->n + 1, sizeof(*l->v));
	memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof(*l->v));
	l->v[i].name = xstrdup(name);
	l->v[i].value = xstrdup(value);
	l->n++;
}

const char *alert_labels_get(const struct alert_labels *l, const char *name)
{
	int found;
	size_t i = find_slot(l, name, &found);
	return found ? l->v[i].value : NULL;
}

void alert_labels_copy(struct alert_labels *dst, const struct alert_labels *src)
{
	alert_labels_release(dst);
	if (!src->n)
		return;
	dst->v = xcalloc(src->n, sizeof(*dst->v));
	dst->alloc = dst->n = src->n;
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i].name = xstrdup(src->v[i].name);
		dst->v[i].value = xstrdup(src->v[i].value);
	}
}

void alert_labels_release(struct alert_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int alert_labels_equal(const struct alert_labels *a, const struct alert_labels *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, b->v[i].name) != 0 ||
		    strcmp(a->v[i].value, b->v[i].value) != 0)
			return 0;
	return 1;
}

#define FNV64_OFFSET 14695981039346656037ULL
#define FNV64_PRIME 1099511628211ULL

static uint64_t fnv_add(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FNV64_PRIME;
	}
	h ^= 0xff;   /* model.SeparatorByte */
	return h * FNV64_PRIME;
}

uint64_t alert_labels_fingerprint(const struct alert_labels *l)
{
	uint64_t h = FNV64_OFFSET;
	for (size_t i = 0; i < l->n; i++) {
		h = fnv_add(h, l->v[i].name);
		h = fnv_add(h, l->v[i].value);
	}
	return h;
}

void alert_fingerprint_hex(uint64_t fp, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)fp);
}

struct alert_note *alert_note_new(void)
{
	return xcalloc(1, sizeof(struct alert_note));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct alert_note *alert_note_dup(const struct alert_note *n)
{
	struct alert_note *c = alert_note_new();
	*c = *n;
	c->receiver = dup_or_null(n->receiver);
	c->rule = dup_or_null(n->rule);
	c->generator_url = dup_or_null(n->generator_url);
	memset(&c->labels, 0, sizeof(c->labels));
	memset(&c->annotations, 0, sizeof(c->annotations));
	alert_labels_copy(&c->labels, &n->labels);
	alert_labels_copy(&c->annotations, &n->annotations);
	return c;
}

void alert_note_free(struct alert_note *n)
{
	if (!n)
		return;
	free(n->receiver);
	free(n->rule);
	free(n->generator_url);
	alert_labels_release(&n->labels);
	alert_labels_release(&n->annotations);
	free(n);
}
