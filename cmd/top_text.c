/*
 * top_text.c -- text that is safe to print, for `dbpulse top`: strings of
 * the API (query texts, names: user data) cleaned of everything a terminal
 * would interpret (top_clean_text, see top.h), measured and cut in display
 * columns, and wrapped (top_text.h).  Pure functions, no terminal.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "strutil.h"
#include "top.h"
#include "top_text.h"
#include "banned.h"

#define ELLIPSIS "\xE2\x80\xA6"    /* U+2026, one column */
#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The code point at s (n > 0 bytes left) in *cp and its length; an invalid
 * byte reads as U+FFFD of length 1 (*valid = 0). */
static size_t next_code_point(const unsigned char *s, size_t n, uint32_t *cp, int *valid)
{
	size_t len = utf8_sequence_len(s, n);
	*valid = len != 0;
	if (!len) {
		*cp = 0xFFFD;
		return 1;
	}
	static const unsigned char lead_mask[] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
	uint32_t v = s[0] & lead_mask[len];
	for (size_t i = 1; i < len; i++)
		v = (v << 6) | (s[i] & 0x3F);
	*cp = v;
	return len;
}

struct cp_range {
	uint32_t first, last;
};

static int in_ranges(uint32_t cp, const struct cp_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i].first && cp <= r[i].last)
			return 1;
	return 0;
}

/* Display columns of a printable code point: a locale-free approximation
 * of wcwidth() (combining marks 0, East Asian wide and emoji 2). */
static unsigned cp_columns(uint32_t cp)
{
	static const struct cp_range zero[] = {
		{ 0x0300, 0x036F }, { 0x0483, 0x0489 }, { 0x0591, 0x05BD }, { 0x0610, 0x061A },
		{ 0x064B, 0x065F }, { 0x1AB0, 0x1AFF }, { 0x1DC0, 0x1DFF }, { 0x200B, 0x200D },
		{ 0x20D0, 0x20FF }, { 0xFE00, 0xFE0F }, { 0xFE20, 0xFE2F },
	};
	static const struct cp_range wide[] = {
		{ 0x1100, 0x115F },   { 0x231A, 0x231B },   { 0x2329, 0x232A }, { 0x2E80, 0x303E },
		{ 0x3041, 0xA4CF },   { 0xAC00, 0xD7A3 },   { 0xF900, 0xFAFF }, { 0xFE30, 0xFE4F },
		{ 0xFF00, 0xFF60 },   { 0xFFE0, 0xFFE6 },   { 0x1F300, 0x1F64F }, { 0x1F680, 0x1F6FF },
		{ 0x1F900, 0x1F9FF }, { 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
	};
	if (cp < 0x300)
		return 1;
	if (in_ranges(cp, zero, ARRAY_LEN(zero)))
		return 0;
	return in_ranges(cp, wide, ARRAY_LEN(wide)) ? 2 : 1;
}

static int is_space_cp(uint32_t cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

/* Controls and invisible formatting that could hide or reorder text. */
static int is_invisible_cp(uint32_t cp)
{
	static const struct cp_range invisible[] = {
		{ 0x0000, 0x001F }, { 0x007F, 0x009F }, { 0x061C, 0x061C }, { 0x200E, 0x200F },
		{ 0x202A, 0x202E }, { 0x2060, 0x2064 }, { 0x2066, 0x2069 }, { 0xFEFF, 0xFEFF },
		{ 0xFFF9, 0xFFFB }, { 0xE0000, 0xE007F },
	};
	return in_ranges(cp, invisible, ARRAY_LEN(invisible));
}

/* Where the escape-sequence filter is (ECMA-48). */
enum escape_state { IN_TEXT, IN_ESCAPE, IN_ESCAPE_INTERMEDIATE, IN_CSI, IN_STRING, IN_STRING_ESCAPE };

/* Feeds one code point through the filter: returns 1 when it is text, 0
 * when it is part of an escape sequence (which is dropped whole: ESC x,
 * ESC [ ... final, ESC ] / P / X / ^ / _ ... BEL or ST, and the C1 forms
 * CSI, OSC, DCS, SOS, PM, APC).  A sequence broken by something that
 * cannot be in it ends there and that code point is looked at as text. */
static int escape_filter(enum escape_state *st, uint32_t cp)
{
	for (;;) {
		switch (*st) {
		case IN_TEXT:
			if (cp == 0x1B)
				*st = IN_ESCAPE;
			else if (cp == 0x9B)
				*st = IN_CSI;
			else if (cp == 0x90 || cp == 0x98 || cp == 0x9D || cp == 0x9E || cp == 0x9F)
				*st = IN_STRING;
			else
				return 1;
			return 0;
		case IN_ESCAPE:
			if (cp == '[')
				*st = IN_CSI;
			else if (cp == ']' || cp == 'P' || cp == 'X' || cp == '^' || cp == '_')
				*st = IN_STRING;
			else if (cp >= 0x20 && cp <= 0x2F)
				*st = IN_ESCAPE_INTERMEDIATE;
			else if (cp >= 0x30 && cp <= 0x7E)
				*st = IN_TEXT;
			else {
				*st = IN_TEXT;
				continue;
			}
			return 0;
		case IN_ESCAPE_INTERMEDIATE:
		case IN_CSI: {
			uint32_t last_inner = *st == IN_CSI ? 0x3F : 0x2F;
			if (cp >= 0x20 && cp <= last_inner)
				return 0;
			*st = IN_TEXT;
			if (cp >= last_inner + 1 && cp <= 0x7E)
				return 0;
			continue;
		}
		case IN_STRING:
			if (cp == 0x07 || cp == 0x9C)
				*st = IN_TEXT;
			else if (cp == 0x1B)
				*st = IN_STRING_ESCAPE;
			return 0;
		case IN_STRING_ESCAPE:
			if (cp == '\\') {
				*st = IN_TEXT;
				return 0;
			}
			*st = IN_ESCAPE; /* that ESC starts another sequence */
			continue;
		}
	}
}

unsigned top_clean_text(struct buf *out, const char *s, unsigned max_cols)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	enum escape_state st = IN_TEXT;
	unsigned cols = 0, fit_cols = 0;   /* fit: the last cut with room for the ellipsis */
	size_t fit_len = out->len;
	int started = 0, space_pending = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int valid;
		const char *bytes = (const char *)p + i;
		size_t len = next_code_point(p + i, n - i, &cp, &valid);
		i += len;
		if (!escape_filter(&st, cp))
			continue;
		if (is_space_cp(cp)) {
			space_pending = started;
			continue;
		}
		if (is_invisible_cp(cp))
			continue;
		unsigned w = cp_columns(cp);
		if (cols + (unsigned)space_pending + w > max_cols) {
			buf_truncate(out, fit_len);
			if (max_cols == 0)
				return 0;
			buf_puts(out, ELLIPSIS);
			return fit_cols + 1;
		}
		if (space_pending) {
			buf_putc(out, ' ');
			cols++;
			space_pending = 0;
		}
		buf_append(out, valid ? bytes : REPLACEMENT, valid ? len : 3);
		cols += w;
		started = 1;
		if (cols < max_cols) {
			fit_len = out->len;
			fit_cols = cols;
		}
	}
	return cols;
}

/* Display columns of clean text (what top_clean_text() wrote). */
unsigned top_text_columns(const char *s, size_t n)
{
	unsigned cols = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int valid;
		i += next_code_point((const unsigned char *)s + i, n - i, &cp, &valid);
		cols += cp_columns(cp);
	}
	return cols;
}

/* Cuts clean text in b after `start` to at most max_cols columns, ending a
 * cut one with the ellipsis. */
void top_fit_columns(struct buf *b, size_t start, unsigned max_cols)
{
	const char *s = b->data ? b->data + start : "";
	size_t n = b->len - start;
	if (top_text_columns(s, n) <= max_cols)
		return;
	size_t keep = 0;
	unsigned cols = 0;
	while (keep < n) {
		uint32_t cp;
		int valid;
		size_t len = next_code_point((const unsigned char *)s + keep, n - keep, &cp, &valid);
		if (cols + cp_columns(cp) + 1 > max_cols)
			break;
		cols += cp_columns(cp);
		keep += len;
	}
	buf_truncate(b, start + keep);
	if (max_cols > 0)
		buf_puts(b, ELLIPSIS);
}

/* Clean text into a fixed array (for messages). */
void top_clean_into(char *dst, size_t dstlen, const char *s, unsigned max_cols)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	top_clean_text(&b, s, max_cols);
	snprintf(dst, dstlen, "%s", buf_str(&b));
	buf_release(&b);
}

/* Appends clean text as lines of at most width columns. */
void top_put_wrapped(struct buf *out, const char *s, unsigned width)
{
	size_t n = strlen(s);
	unsigned cols = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int valid;
		size_t len = next_code_point((const unsigned char *)s + i, n - i, &cp, &valid);
		if (cols + cp_columns(cp) > width && cols > 0) {
			buf_putc(out, '\n');
			cols = 0;
		}
		buf_append(out, s + i, len);
		cols += cp_columns(cp);
		i += len;
	}
	buf_putc(out, '\n');
}
