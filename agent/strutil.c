/*
 * strutil.c -- checked number parsing, shortest float printing, field
 * splitting and small file reads and durable writes (see strutil.h).  No
 * state of their own: safe from any thread.
 */
#include "autoconfig.h"
#include "strutil.h"
#include "buf.h"
#include "xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "banned.h"

int parse_int64(const char *s, int64_t *out)
{
	char *end;
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_hex_uint64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !isxdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 16);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_int64_prefixed(const char *s, int64_t *out)
{
	char *end;
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

int parse_uint64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_double(const char *s, double *out)
{
	char *end;
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || (errno == ERANGE && fabs(v) == HUGE_VAL))
		return -1;
	*out = v;
	return 0;
}

int parse_uint64_n(const char *s, size_t n, uint64_t *out)
{
	char tmp[32];
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return parse_uint64(tmp, out);
}

int parse_double_n(const char *s, size_t n, double *out)
{
	char tmp[64];
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return parse_double(tmp, out);
}

const char *nonfinite_name(double v)
{
	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	return NULL;
}

int shortest_digits(double v)
{
	char s[40];
	for (int p = 1; p < 17; p++) {
		snprintf(s, sizeof(s), "%.*g", p, v);
		if (strtod(s, NULL) == v)
			return p;
	}
	return 17;
}

int format_double_shortest(char *out, size_t len, double v)
{
	return snprintf(out, len, "%.*g", shortest_digits(v), v);
}

size_t split_fields(char *s, char **fields, size_t max)
{
	size_t n = 0;
	char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n' || *p == '\r')
			break;
		if (n < max)
			fields[n] = p;
		n++;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		if (*p == '\0')
			break;
		int end = (*p == '\n' || *p == '\r');
		*p++ = '\0';
		if (end)
			break;
	}
	return n;
}

char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int read_file(const char *path, struct buf *b)
{
	buf_reset(b);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		if (buf_reserve(b, 4096) < 0) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
		ssize_t n = read(fd, b->data + b->len, b->alloc - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
	close(fd);
	if (!b->data)
		buf_append(b, "", 0);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* The directory of path: "." for a bare name, "/" for one at the root.
 * The caller frees. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? xasprintf("%.*s", slash == path ? 1 : (int)(slash - path), path)
		     : xstrdup(".");
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	char *dir = dir_of(path);
	char *tmp = xasprintf("%s/.tmp-%s.XXXXXX", dir, base_of(path));
	int fd = mkostemp(tmp, O_CLOEXEC);
	int rc = -1;
	if (fd >= 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0) {
		close(fd);
		fd = -1;
		rc = rename(tmp, path);
		if (rc == 0)
			fsync_dir(dir);   /* the rename is done: a failure here loses nothing */
	}
	if (rc < 0) {
		int e = errno;
		if (err)
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		errno = e;
	}
	free(tmp);
	free(dir);
	return rc;
}

int write_file_atomic_leftovers(const char *path)
{
	char *dir = dir_of(path);
	char *prefix = xasprintf(".tmp-%s.", base_of(path));
	size_t plen = strlen(prefix);
	int removed = 0;
	DIR *d = opendir(dir);
	struct dirent *ent;
	while (d && (ent = readdir(d)) != NULL)
		if (strncmp(ent->d_name, prefix, plen) == 0 && strlen(ent->d_name) == plen + 6 &&
		    unlinkat(dirfd(d), ent->d_name, 0) == 0)
			removed++;
	if (d)
		closedir(d);
	free(prefix);
	free(dir);
	return removed;
}

int mkdir_p(const char *dir, mode_t mode, char *err, size_t errlen)
{
	char *path = xstrdup(dir);
	int rc = 0;
	for (char *p = path + (*path != '\0');; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST) {
			if (err)
				snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(path);
	return rc;
}

#define REPLACEMENT_CHAR "\xef\xbf\xbd" /* U+FFFD */

size_t utf8_clean(char *dst, const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len = 0;
	while (i < n) {
		size_t adv = p[i] ? utf8_sequence_len(p + i, n - i) : 0;
		size_t out = adv ? adv : 3;
		if (len + out > max) {
			memcpy(dst + len, "...", 3);
			len += 3;
			break;
		}
		memcpy(dst + len, adv ? s + i : REPLACEMENT_CHAR, out);
		len += out;
		i += adv ? adv : 1;
	}
	dst[len] = '\0';
	return len;
}

int buf_put_utf8(struct buf *out, const char *s, size_t n, size_t max)
{
	if (buf_reserve(out, UTF8_CLEAN_SIZE(n, max)) < 0)
		return -1;
	out->len += utf8_clean(out->data + out->len, s, n, max);
	return 0;
}

size_t utf8_sequence_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

size_t edit_distance(const char *a, const char *b)
{
	/* optimal string alignment: insertions, deletions, substitutions and
	 * transpositions of neighbours each cost 1 (case is ignored) */
	size_t la = strlen(a), lb = strlen(b), w = lb + 1;
	size_t *d = xcalloc((la + 1) * w, sizeof(*d));
	for (size_t i = 0; i <= la; i++)
		d[i * w] = i;
	for (size_t j = 0; j <= lb; j++)
		d[j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			size_t best = d[(i - 1) * w + j - 1] + (ca != cb);
			if (d[(i - 1) * w + j] + 1 < best)
				best = d[(i - 1) * w + j] + 1;
			if (d[i * w + j - 1] + 1 < best)
				best = d[i * w + j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[(i - 2) * w + j - 2] + 1 < best)
				best = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = best;
		}
	}
	size_t dist = d[la * w + lb];
	free(d);
	return dist;
}

char *next_line(char *text, size_t len, size_t *pos)
{
	if (*pos >= len)
		return NULL;
	char *line = text + *pos;
	char *nl = memchr(line, '\n', len - *pos);
	if (nl) {
		*nl = '\0';
		*pos = (size_t)(nl - text) + 1;
	} else {
		*pos = len;
	}
	return line;
}

double now_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double thread_cpu_seconds(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t now_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint32_t hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

size_t hash_id(int64_t id)
{
	uint64_t x = (uint64_t)id * 0x9e3779b97f4a7c15ull;
	return (size_t)(x ^ (x >> 29));
}
