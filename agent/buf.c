/*
 * buf.c -- growable byte buffer with a hard cap (see buf.h).
 */
#include "autoconfig.h"
#include "buf.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>
#include "banned.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->overflow = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->overflow = 0;
	if (b->data)
		b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra) {
		b->overflow = 1;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need > b->alloc) {
		/* the first reservation is exact (a caller sizing a buffer
		 * from the last one's length must not get twice that); growth
		 * after it doubles */
		size_t n = b->alloc ? b->alloc : need > 64 ? need : 64;
		while (n < need)
			n *= 2;
		b->data = xrealloc(b->data, n);
		b->alloc = n;
		b->data[b->len] = '\0'; /* reserved, not yet appended to: still a string */
	}
	return 0;
}

int buf_append_slow(struct buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	if (buf_reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p = b->data ? b->data : xstrdup("");
	if (len)
		*len = b->len;
	buf_init(b, b->max);
	return p;
}

char *buf_detach_fit(struct buf *b, size_t *len)
{
	size_t used = b->len, alloc = b->alloc;
	char *p = buf_detach(b, len);
	if (alloc > used + 1) {
		p = xrealloc(p, used + 1);
		p[used] = '\0';
	}
	return p;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

int buf_put_sql_ident(struct buf *b, const char *name)
{
	if (buf_putc(b, '"') < 0)
		return -1;
	for (const char *p = name; *p; p++)
		if ((*p == '"' && buf_putc(b, '"') < 0) || buf_putc(b, *p) < 0)
			return -1;
	return buf_putc(b, '"');
}
