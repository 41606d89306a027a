/*
 * pg_texts.c -- the statement text cache and the budget of text reads (see
 * pg_texts.h).  Driven by pg_stmt_collect.c on its target's worker thread, once
 * per cycle.  Owns the entries (an array, found through an open-addressing
 * hash of the query id rebuilt after a trim) and a reference to each of
 * their texts: shared texts (dbview.h) of their own size, which a view
 * may hold too (view_hold) rather than copy.
 */
#include "autoconfig.h"
#include "pg_texts.h"
#include "dbview.h"
#include "strutil.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include "banned.h"

#define NO_PRIVILEGE_TEXT "<insufficient privilege>"

struct pg_texts {
	struct pg_text *e;
	size_t n, alloc, bytes;
	uint32_t *slots;           /* entry index + 1, 0 empty */
	size_t mask;               /* slots holds mask + 1 */
	size_t max_bytes, max_entries, max_text;
};

struct pg_texts *pg_texts_new(size_t max_bytes, size_t max_entries, size_t max_text)
{
	struct pg_texts *t = xcalloc(1, sizeof(*t));
	t->max_bytes = max_bytes;
	t->max_entries = max_entries ? max_entries : 1;
	t->max_text = max_text;
	return t;
}

void pg_texts_free(struct pg_texts *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		view_text_unref(t->e[i].text);
	free(t->e);
	free(t->slots);
	free(t);
}

static void slot_put(struct pg_texts *t, size_t i)
{
	size_t h = hash_id(t->e[i].queryid) & t->mask;
	while (t->slots[h])
		h = (h + 1) & t->mask;
	t->slots[h] = (uint32_t)i + 1;
}

/* Rebuilds the hash (after a trim, or when it is too full). */
static void reindex(struct pg_texts *t)
{
	size_t size = 64;
	while (size < 2 * t->n + 2)
		size *= 2;
	free(t->slots);
	t->slots = xcalloc(size, sizeof(*t->slots));
	t->mask = size - 1;
	for (size_t i = 0; i < t->n; i++)
		slot_put(t, i);
}

struct pg_text *pg_texts_find(struct pg_texts *t, int64_t queryid)
{
	if (!t->slots)
		return NULL;
	for (size_t h = hash_id(queryid) & t->mask; t->slots[h]; h = (h + 1) & t->mask)
		if (t->e[t->slots[h] - 1].queryid == queryid)
			return &t->e[t->slots[h] - 1];
	return NULL;
}

const char *pg_texts_missing(const struct pg_text *e)
{
	if (!e)
		return "text not fetched yet";
	switch (e->state) {
	case PG_TEXT_OK:
		return NULL;
	case PG_TEXT_DROPPED:
		return "text dropped by pg_stat_statements";
	case PG_TEXT_NO_PRIVILEGE:
		return "no privilege";
	case PG_TEXT_PENDING:
		break;
	}
	return "text not fetched yet";
}

struct pg_text *pg_texts_want(struct pg_texts *t, int64_t queryid, uint64_t cycle)
{
	struct pg_text *e = pg_texts_find(t, queryid);
	if (!e) {
		t->e = xgrow(t->e, &t->alloc, t->n + 1, sizeof(*t->e));
		t->e[t->n] = (struct pg_text){ .queryid = queryid, .state = PG_TEXT_PENDING };
		t->n++;
		if (!t->slots || 2 * t->n + 2 > t->mask + 1)
			reindex(t);
		else
			slot_put(t, t->n - 1);
		e = &t->e[t->n - 1];
	}
	e->used = cycle;
	return e;
}

size_t pg_texts_to_fetch(const struct pg_texts *t, uint64_t cycle, int64_t now_ms, int64_t retry_ms,
			 int64_t *ids, size_t max, size_t *pending)
{
	size_t n = 0;
	*pending = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct pg_text *e = &t->e[i];
		if (e->used != cycle || e->state != PG_TEXT_PENDING)
			continue;
		if (n < max)
			ids[n++] = e->queryid;
		(*pending)++;
	}
	for (size_t i = 0; i < t->n && n < max; i++) {
		const struct pg_text *e = &t->e[i];
		if (e->used == cycle && (e->state == PG_TEXT_DROPPED || e->state == PG_TEXT_NO_PRIVILEGE) &&
		    now_ms - e->checked_ms >= retry_ms)
			ids[n++] = e->queryid;
	}
	return n;
}

int pg_texts_put(struct pg_texts *t, int64_t queryid, const char *text, uint64_t cycle)
{
	struct pg_text *e = pg_texts_want(t, queryid, cycle);
	if (e->state == PG_TEXT_OK)
		return 0;
	if (strcmp(text, NO_PRIVILEGE_TEXT) == 0) {
		e->state = PG_TEXT_NO_PRIVILEGE;
		return 0;
	}
	size_t len = strlen(text), max = t->max_text;
	int cut = len > max;
	if (cut)
		len = max;
	e->text = (char *)view_text_new(text, len, max);
	e->state = PG_TEXT_OK;
	t->bytes += strlen(e->text) + 1;
	return cut;
}

void pg_texts_fetched(struct pg_texts *t, const int64_t *ids, size_t n, int64_t now_ms)
{
	for (size_t i = 0; i < n; i++) {
		struct pg_text *e = pg_texts_find(t, ids[i]);
		if (!e || e->state == PG_TEXT_OK)
			continue;
		if (e->state != PG_TEXT_NO_PRIVILEGE)
			e->state = PG_TEXT_DROPPED;
		e->checked_ms = now_ms;
	}
}

size_t pg_texts_trim(struct pg_texts *t)
{
	size_t dropped = 0;
	while ((t->bytes > t->max_bytes || t->n > t->max_entries) && t->n) {
		size_t oldest = 0;
		for (size_t i = 1; i < t->n; i++)
			if (t->e[i].used < t->e[oldest].used)
				oldest = i;
		const char *gone = t->e[oldest].text;
		/* the analyzer loses the struct copy below and takes the moved
		 * entry's text for the one freed on the previous turn */
		if (gone)
			t->bytes -= strlen(gone) + 1; // NOLINT(clang-analyzer-unix.Malloc)
		view_text_unref(gone);
		t->e[oldest] = t->e[--t->n];
		dropped++;
	}
	if (dropped)
		reindex(t);
	return dropped;
}

size_t pg_texts_index(const struct pg_texts *t, const struct pg_text *e)
{
	return (size_t)(e - t->e);
}

void pg_texts_usage(const struct pg_texts *t, size_t *entries, size_t *bytes)
{
	*entries = t->n;
	*bytes = t->bytes;
}

/* ---- the budget ------------------------------------------------------------ */

double pg_text_ewma(double avg, double x)
{
	return avg > 0 ? avg + PG_TEXT_EWMA * (x - avg) : x;
}

int pg_text_budget_allow(struct pg_text_budget *b, double cycle_ms)
{
	double share = PG_TEXT_BUDGET * (cycle_ms > 0 ? cycle_ms : 0);
	/* saved up to the cap, but always up to one read's worth: a read
	 * dearer than the cap comes every extra_ms / share cycles */
	double cap = PG_TEXT_SAVE_CYCLES * share;
	if (cap < b->extra_ms)
		cap = b->extra_ms;
	b->saved_ms += share;
	if (b->saved_ms > cap)
		b->saved_ms = cap;
	if (b->plain_ms <= 0) {
		int first = !b->first_allowed;
		b->first_allowed = 1;
		return first;
	}
	return b->extra_ms <= 0 || b->saved_ms >= b->extra_ms;
}

/* Adds x to the recent measurements; returns the least of them. */
static double recent_least(struct pg_text_recent *r, double x)
{
	r->v[r->next] = x;
	r->next = (r->next + 1) % PG_TEXT_SAMPLES;
	if (r->n < PG_TEXT_SAMPLES)
		r->n++;
	double least = r->v[0];
	for (unsigned i = 1; i < r->n; i++)
		if (r->v[i] < least)
			least = r->v[i];
	return least;
}

double pg_text_budget_spend(struct pg_text_budget *b, double ms, int with_texts)
{
	if (!(ms >= 0))
		return 0;
	if (!with_texts) {
		b->plain_ms = recent_least(&b->plain, ms);
		return 0;
	}
	if (b->plain_ms <= 0)
		return 0;
	double extra = ms - b->plain_ms;
	if (extra < 0)
		extra = 0;
	b->extra_ms = recent_least(&b->extra, extra);
	b->saved_ms -= b->extra_ms;
	return extra;
}
