/*
 * dbview.c -- the typed views of a database target and of a PgBouncer
 * target's pools (see dbview.h): their arena of strings, the shared texts
 * they may hold references to, and their release.  Views are built on a
 * collector's worker thread and freed by whichever thread drops them last.
 */
#include "autoconfig.h"
#include "dbview.h"
#include "buf.h"
#include "store.h"
#include "strutil.h"
#include "xalloc.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

#define CHUNK_MIN ((size_t)16 << 10)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

/* A shared text: its count, then its characters (what callers see). */
struct view_text {
	atomic_uint refs;
	char s[];
};

/* A reference an arena holds, in the arena's own memory. */
struct arena_held {
	struct arena_held *next;
	const char *text;
};

static struct view_text *text_of(const char *t)
{
	return (struct view_text *)(void *)(t - offsetof(struct view_text, s));
}

const char *view_text_new(const char *s, size_t n, size_t max)
{
	struct view_text *v = xmalloc(sizeof(*v) + UTF8_CLEAN_SIZE(n, max));
	size_t len = utf8_clean(v->s, s, n, max);
	v = xrealloc(v, sizeof(*v) + len + 1);
	atomic_init(&v->refs, 1);
	return v->s;
}

void view_text_unref(const char *t)
{
	if (!t)
		return;
	struct view_text *v = text_of(t);
	if (atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1)
		free(v);
}

const char *view_hold(struct view_arena *a, const char *t)
{
	struct arena_held *h = view_alloc(a, sizeof(*h));
	atomic_fetch_add_explicit(&text_of(t)->refs, 1, memory_order_relaxed);
	h->text = t;
	h->next = a->held;
	a->held = h;
	return t;
}

void *view_alloc(struct view_arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	struct arena_chunk *c = a->chunks;
	if (!c || c->size - c->used < size) {
		size_t want = size > CHUNK_MIN ? size : CHUNK_MIN;
		c = xmalloc(sizeof(*c) + want);
		c->size = want;
		c->used = 0;
		c->next = a->chunks;
		a->chunks = c;
		a->bytes += sizeof(*c) + want;
	}
	void *p = c->data + c->used;
	c->used += size;
	return p;
}

const char *view_strndup(struct view_arena *a, const char *s, size_t n, size_t max)
{
	if (!s)
		return NULL;
	if (n == (size_t)-1)
		n = strlen(s);
	char *out = view_alloc(a, UTF8_CLEAN_SIZE(n, max));
	utf8_clean(out, s, n, max);
	return out;
}

void view_arena_free(struct view_arena *a)
{
	for (struct arena_held *h = a->held; h; h = h->next)
		view_text_unref(h->text);
	a->held = NULL;
	while (a->chunks) {
		struct arena_chunk *next = a->chunks->next;
		free(a->chunks);
		a->chunks = next;
	}
	a->bytes = 0;
}

int db_view_query_text(void *store, const char *target, const char *queryid, struct buf *out)
{
	struct store_entry *e = store_find(store, NULL, target);
	if (!e)
		return -1;
	const struct db_view *v = e->view_kind == VIEW_DATABASE ? e->view : NULL;
	const char *text = NULL;
	for (size_t w = v ? v->nwindows : 0; w-- > 0 && !text;)
		for (size_t i = 0; i < v->windows[w].n && !text; i++)
			if (strcmp(v->windows[w].rows[i].queryid, queryid) == 0)
				text = v->windows[w].rows[i].query;
	int rc = text ? buf_puts(out, text) : -1;
	store_entry_unref(e);
	return rc;
}

struct db_view *db_view_new(void)
{
	return xcalloc(1, sizeof(struct db_view));
}

void db_view_free(void *view)
{
	struct db_view *v = view;
	if (!v)
		return;
	advice_view_unref(v->advice);
	tsdb_view_unref(v->tsdb);
	view_arena_free(&v->arena);
	free(v);
}

const char *const advice_kinds[] = {
	"unused_index", "duplicate_index", "redundant_index", "invalid_index", "fk_without_index",
	"seq_scan_heavy", "table_bloat", "index_bloat", "wraparound", "sequence_exhaustion",
	"suggested_index", "plan", NULL,
};
const char *const advice_severities[] = { "critical", "warning", "info", NULL };

int advice_is_finding(const struct advice_finding *f)
{
	return !f->kind || strcmp(f->kind, "plan") != 0;
}

struct advice_view *advice_view_new(void)
{
	struct advice_view *a = xcalloc(1, sizeof(*a));
	atomic_init(&a->refs, 1);
	return a;
}

struct advice_view *advice_view_ref(struct advice_view *a)
{
	if (a)
		atomic_fetch_add(&a->refs, 1);
	return a;
}

void advice_view_unref(struct advice_view *a)
{
	if (!a || atomic_fetch_sub(&a->refs, 1) != 1)
		return;
	view_arena_free(&a->arena);
	free(a->findings);
	free(a->notes);
	free(a);
}

struct tsdb_view *tsdb_view_new(void)
{
	struct tsdb_view *t = xcalloc(1, sizeof(*t));
	atomic_init(&t->refs, 1);
	return t;
}

struct tsdb_view *tsdb_view_ref(struct tsdb_view *t)
{
	if (t)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

void tsdb_view_unref(struct tsdb_view *t)
{
	if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	view_arena_free(&t->arena);
	free(t);
}

struct pools_view *pools_view_new(void)
{
	return xcalloc(1, sizeof(struct pools_view));
}

void pools_view_free(void *view)
{
	struct pools_view *v = view;
	if (!v)
		return;
	view_arena_free(&v->arena);
	free(v);
}
