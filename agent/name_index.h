/*
 * name_index.h -- an index of names kept elsewhere: the owner holds an
 * array of entries, each with a name, and the index maps a name to its
 * entry's position (open addressing over FNV-1a, grown at half full).  Used
 * for the metric families of a batch and of the textfile collector.
 */
#ifndef DBPULSE_NAME_INDEX_H
#define DBPULSE_NAME_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* The name of the owner's entry i. */
typedef const char *(*name_at_fn)(const void *owner, size_t i);

struct name_index {
	uint32_t *slots;       /* entry + 0, UINT32_MAX empty */
	size_t size;           /* a power of two, 0 before the first add */
};

/* After the owner appended its entry count - 1: indexes it (and all
 * count entries again when the index grows). */
void name_index_add(struct name_index *x, size_t count, name_at_fn name_at, const void *owner);

/* The position of the entry named by the n bytes at name, or -1. */
long name_index_find(const struct name_index *x, const char *name, size_t n, name_at_fn name_at,
		     const void *owner);

/* Empties the index (for an owner that starts its entries over). */
void name_index_clear(struct name_index *x);
void name_index_free(struct name_index *x);

#endif
