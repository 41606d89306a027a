/*
 * name_index.c -- an index of names kept elsewhere (see name_index.h).
 */
#include "autoconfig.h"
#include "name_index.h"

#include "strutil.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include "banned.h"

static void put(struct name_index *x, const char *name, size_t i)
{
	size_t mask = x->size - 1;
	size_t h = hash_bytes(name, strlen(name)) & mask;
	while (x->slots[h] != UINT32_MAX)
		h = (h + 1) & mask;
	x->slots[h] = (uint32_t)i;
}

void name_index_add(struct name_index *x, size_t count, name_at_fn name_at, const void *owner)
{
	if (count * 2 <= x->size) {
		put(x, name_at(owner, count - 1), count - 1);
		return;
	}
	size_t size = x->size ? x->size * 2 : 64;
	while (count * 2 > size)
		size *= 2;
	free(x->slots);
	x->slots = xmalloc(size * sizeof(*x->slots));
	x->size = size;
	name_index_clear(x);
	for (size_t i = 0; i < count; i++)
		put(x, name_at(owner, i), i);
}

long name_index_find(const struct name_index *x, const char *name, size_t n, name_at_fn name_at,
		     const void *owner)
{
	if (!x->size)
		return -1;
	size_t mask = x->size - 1;
	for (size_t h = hash_bytes(name, n) & mask; x->slots[h] != UINT32_MAX; h = (h + 1) & mask) {
		const char *s = name_at(owner, x->slots[h]);
		if (strncmp(s, name, n) == 0 && s[n] == '\0')
			return (long)x->slots[h];
	}
	return -1;
}

void name_index_clear(struct name_index *x)
{
	if (x->slots)
		memset(x->slots, 0xff, x->size * sizeof(*x->slots));
}

void name_index_free(struct name_index *x)
{
	free(x->slots);
	x->slots = NULL;
	x->size = 0;
}
