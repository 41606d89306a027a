/*
 * xalloc.h -- allocation wrappers that abort on out-of-memory.
 *
 * Every allocation in dbpulse goes through these so that error paths are
 * about real errors (a bad config line, a dead database), never about a
 * failed malloc.  The caller owns what comes back and frees it with free().
 */
#ifndef DBPULSE_XALLOC_H
#define DBPULSE_XALLOC_H

#include <stddef.h>
#include <stdlib.h> /* free() */

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows an array of *alloc elements of elem_size so that it holds at least
 * need elements; doubles the capacity.  Returns the (possibly moved) array. */
void *xgrow(void *ptr, size_t *alloc, size_t need, size_t elem_size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a newly allocated string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
