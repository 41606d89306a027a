/*
 * top_render.h -- internal to `dbpulse top`: what top.c uses of
 * top_render.c beyond the public top.h.  Not for other callers.
 */
#ifndef DBPULSE_TOP_RENDER_H
#define DBPULSE_TOP_RENDER_H

struct buf;

/* Appends clean text (what top_clean_text() wrote) as lines of at most
 * width columns, the last one ending with '\n' too. */
void top_put_wrapped(struct buf *out, const char *s, unsigned width);

#endif
