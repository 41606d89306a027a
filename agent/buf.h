/*
 * buf.h -- a growable byte buffer with a hard cap (in the spirit of curl's
 * dynbuf and git's strbuf).
 *
 * The data is always NUL-terminated.  An append that would grow the buffer
 * past its cap fails with -1, leaves the buffer as it was and sets
 * `overflow`, so a caller can keep appending and check once at the end.
 * The buffer owns `data`; buf_release() frees it, buf_detach() hands it over.
 */
#ifndef DBPULSE_BUF_H
#define DBPULSE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char *data;      /* NUL-terminated; NULL until the first append */
	size_t len;      /* bytes used, not counting the NUL */
	size_t alloc;    /* bytes allocated */
	size_t max;      /* hard cap on len */
	int overflow;    /* set once an append hit the cap */
};

#define BUF_UNLIMITED ((size_t)1 << 40)
#define BUF_INIT(cap) { NULL, 0, 0, (cap), 0 }

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory and cap; clears overflow. */
void buf_reset(struct buf *b);
/* Makes room for `extra` more bytes; -1 if that passes the cap.  The first
 * reservation of an empty buffer allocates just that; later growth doubles. */
int buf_reserve(struct buf *b, size_t extra);
int buf_append_slow(struct buf *b, const void *data, size_t len);

/* Appends len bytes; -1 (and overflow set) if that passes the cap.  The
 * common case, room already there, is inline: renderers call this for
 * every piece of every line. */
static inline int buf_append(struct buf *b, const void *data, size_t len)
{
	if (b->alloc - b->len > len && len <= b->max - b->len) {
		/* alloc > 0 here, so data is allocated: the analyzer does not
		 * know that invariant of struct buf */
		memcpy(b->data + b->len, data, len); // NOLINT(clang-analyzer-core.NonNullParamChecker)
		b->len += len;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_append_slow(b, data, len);
}

static inline int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

static inline int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}
/* Appends name as SQL writes an identifier, always quoted ("a""b"). */
int buf_put_sql_ident(struct buf *b, const char *name);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Returns the data (caller frees) and its length; leaves the buffer empty. */
char *buf_detach(struct buf *b, size_t *len);
/* The same in an allocation of the data's size, for data kept long (the
 * buffer grew by doubling: up to half of it would be slack). */
char *buf_detach_fit(struct buf *b, size_t *len);
/* Shortens the buffer to len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* A pointer that is never NULL, for printing. */
static inline const char *buf_str(const struct buf *b) { return b->data ? b->data : ""; }

#endif
