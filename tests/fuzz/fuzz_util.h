/*
 * fuzz_util.h -- what the libFuzzer targets of tests/fuzz share: copying
 * the fuzzer's bytes into a NUL-terminated string, cutting them into
 * fields, a check that aborts (so that libFuzzer keeps the input), and
 * the UTF-8 repair the escapers are expected to apply.
 *
 * Header-only (static functions), included by each fuzz_*.c.
 */
#ifndef DBPULSE_FUZZ_UTIL_H
#define DBPULSE_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with a message when cond does not hold: the property failed. */
#define FUZZ_CHECK(cond, ...)                                                      \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, \
				__LINE__, #cond);                                  \
			fprintf(stderr, __VA_ARGS__);                              \
			fputc('\n', stderr);                                       \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* A malloc'd copy of data[0..size) with a NUL after it (NUL bytes inside
 * are kept: C-string parsers then see a prefix). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Cuts [*pos, size) at the next byte sep (or the end) into a malloc'd
 * NUL-terminated string and moves *pos past it; NULL once all is used. */
static inline char *fuzz_field(const uint8_t *data, size_t size, size_t *pos, uint8_t sep)
{
	if (*pos > size)
		return NULL;
	const uint8_t *start = data + *pos;
	const uint8_t *end = *pos < size ? memchr(start, sep, size - *pos) : NULL;
	size_t n = end ? (size_t)(end - start) : size - *pos;
	*pos += n + 1;
	return fuzz_strndup(start, n);
}

/* s[0..n) with every byte that does not start valid UTF-8 (and NUL)
 * replaced by U+FFFD, uncut: what every escaper promises to emit. */
static inline char *fuzz_utf8_fixed(const char *s, size_t n)
{
	size_t max = 3 * n + 4;
	char *out = malloc(UTF8_CLEAN_SIZE(n, max));
	if (!out)
		abort();
	utf8_clean(out, s, n, max);
	return out;
}

/* Whether s[0..n) is valid UTF-8 without NUL bytes. */
static inline int fuzz_utf8_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t adv = s[i] ? utf8_sequence_len((const unsigned char *)s + i, n - i) : 0;
		if (!adv)
			return 0;
		i += adv;
	}
	return 1;
}

#endif
