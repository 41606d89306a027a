/*
 * dbview.c -- the typed views of a database target and of a PgBouncer
 * target's pools (see dbview.h): their arena of strings and their release.
 */
#include "autoconfig.h"
#include "dbview.h"
#include "buf.h"
#include "store.h"
#include "strutil.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include "banned.h"

#define CHUNK_MIN ((size_t)16 << 10)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

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
	view_arena_free(&v->arena);
	free(v);
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
