/*
 * strutil.h -- checked number parsing, shortest float printing, field
 * splitting and small file reads and durable writes.
 *
 * The only way dbpulse turns text into numbers (curl's banned list: no atoi,
 * no unchecked sscanf).  All parsers return 0 on success and -1 when the
 * whole string is not a number of the asked kind; they never log.
 */
#ifndef DBPULSE_STRUTIL_H
#define DBPULSE_STRUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

/* The whole of s (no sign for the unsigned one, no spaces) as a number. */
int parse_int64(const char *s, int64_t *out);
int parse_uint64(const char *s, uint64_t *out);
int parse_double(const char *s, double *out);
/* The whole of s as a hexadecimal number (no "0x"), as /proc/net writes
 * its counters. */
int parse_hex_uint64(const char *s, uint64_t *out);
/* The whole of s as a number in C's notation (decimal, 0x hexadecimal, 0
 * octal, a sign), as sysfs writes an interface's flags (0x1003). */
int parse_int64_prefixed(const char *s, int64_t *out);
/* Like the above on the first n bytes of s. */
int parse_uint64_n(const char *s, size_t n, uint64_t *out);
int parse_double_n(const char *s, size_t n, double *out);

/* "NaN", "+Inf" or "-Inf", as Prometheus writes them, or NULL when v is
 * finite. */
const char *nonfinite_name(double v);
/* The fewest significant digits (1 to 17) with which "%.*g" prints v so
 * that strtod reads it back as v (v finite).  Callers keep their own
 * spelling of NaN, infinities and integers. */
int shortest_digits(double v);
/* v with shortest_digits(v) digits, as "%.*g" prints it: "0.93", "1e-07".
 * Returns what snprintf returns. */
int format_double_shortest(char *out, size_t len, double v);

/* Splits s in place at runs of spaces and tabs (a trailing newline ends the
 * line).  Stores up to max field pointers and returns how many fields the
 * line has, which may be more than max. */
size_t split_fields(char *s, char **fields, size_t max);

/* Removes leading and trailing white space in place; returns s moved. */
char *trim(char *s);

/* Reads a whole (small) file into b, which is reset first.  Returns 0, or -1
 * with errno set (EFBIG when the file passes the buffer's cap). */
int read_file(const char *path, struct buf *b);

/* Replaces path with len bytes of data so that a crash leaves the old or
 * the new content, never half: a temporary file ".tmp-NAME.XXXXXX" in the
 * same directory (mode 0600), written, fsync'ed, renamed over path, then
 * the directory fsync'ed.  Returns 0, or -1 with errno set and, when err
 * is not NULL, "cannot write PATH: <reason>" in err; the temporary file is
 * removed. */
int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);
/* Removes the temporary files of write_file_atomic(path) that a crash
 * left behind (.tmp-NAME.XXXXXX beside path); for a single writer of path
 * to call before its first write.  Returns how many it removed. */
int write_file_atomic_leftovers(const char *path);
/* fsync()s the directory dir (after a rename or unlink in it): 0, or -1
 * with errno set. */
int fsync_dir(const char *dir);
/* Creates dir and its missing parents with mode (mkdir -p); existing ones
 * are fine.  Returns 0, or -1 with errno set and, when err is not NULL,
 * "cannot create COMPONENT: <reason>" in err. */
int mkdir_p(const char *dir, mode_t mode, char *err, size_t errlen);

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0 for a
 * byte that does not start one (overlong forms and surrogates included). */
size_t utf8_sequence_len(const unsigned char *s, size_t n);

/* Copies s[0..n) into dst as valid UTF-8 without NUL bytes: a NUL, or a
 * byte that does not start a valid sequence, becomes U+FFFD.  Keeps at most max bytes of
 * output, cut between characters and then marked "...".  dst must hold
 * UTF8_CLEAN_SIZE(n, max) bytes; it is NUL-terminated.  Returns the
 * length written. */
#define UTF8_CLEAN_SIZE(n, max) (((n) < (max) / 3 ? 3 * (n) : (max)) + 4)
size_t utf8_clean(char *dst, const char *s, size_t n, size_t max);
/* The same, appended to out; -1 when that passes out's cap. */
int buf_put_utf8(struct buf *out, const char *s, size_t n, size_t max);

/* FNV-1a of n bytes: names into open-addressing tables. */
uint32_t hash_bytes(const char *s, size_t n);
/* A 64-bit id (a queryid) mixed into a table index. */
size_t hash_id(int64_t id);

/* Levenshtein distance, for "did you mean" hints. */
size_t edit_distance(const char *a, const char *b);

/* Returns the next line of a buffer: *pos advances past it; the line is
 * NUL-terminated in place (the '\n' is replaced).  NULL at the end. */
char *next_line(char *text, size_t len, size_t *pos);

/* Monotonic and wall clocks, in seconds and milliseconds. */
double now_wall(void);
double now_mono(void);
/* The CPU time of the calling thread, seconds. */
double thread_cpu_seconds(void);
int64_t now_mono_ms(void);

#endif
