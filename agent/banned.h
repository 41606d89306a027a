/*
 * banned.h -- functions that must not be used (git's idea, its banned.h).
 *
 * Each of these writes past its buffer as soon as a length is wrong, or
 * (strncpy) leaves it unterminated; snprintf, buf_printf/buf_append
 * (buf.h) and memcpy with a known length say what they do.  Every C file
 * of the source folders includes this header after all the others, so a
 * call to one of them fails to compile, naming the function:
 *
 *   error: 'sorry_strcpy_is_a_banned_function' undeclared
 *
 * tests/integration/layering.sh checks the sources for them too.
 */
#ifndef DBPULSE_BANNED_H
#define DBPULSE_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)

#endif
