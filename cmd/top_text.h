/*
 * top_text.h -- internal to `dbpulse top`: measuring, cutting and wrapping
 * text that top_clean_text() (top.h) made safe to print.  Not for other
 * callers.
 */
#ifndef DBPULSE_TOP_TEXT_H
#define DBPULSE_TOP_TEXT_H

#include <stddef.h>

struct buf;

/* Display columns of clean text (n bytes at s). */
unsigned top_text_columns(const char *s, size_t n);
/* Cuts clean text in b after `start` to at most max_cols columns, ending a
 * cut one with U+2026 (...). */
void top_fit_columns(struct buf *b, size_t start, unsigned max_cols);
/* top_clean_text() of s into a fixed array (for messages). */
void top_clean_into(char *dst, size_t dstlen, const char *s, unsigned max_cols);
/* Appends clean text as lines of at most width columns, the last one
 * ending with '\n' too. */
void top_put_wrapped(struct buf *out, const char *s, unsigned width);

#endif
