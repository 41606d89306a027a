/*
 * host_sys_proc.c -- pure parsers for /proc/vmstat, /proc/schedstat,
 * os-release, udev's device data, SELinux's config and one-number files
 * (see host_sys_proc.h).
 *
 * Called by the host collector (host_sys.c) on its worker thread, once
 * per collection and file, on text it has just read; also by the unit
 * tests and the fuzzer.  Every parser walks the text line by line
 * (next_line) and compares each line against what it expects, anchored at
 * the line start; numbers go through strutil's checked parsers.  The
 * parsers own nothing but the arrays of their results.
 */
#include "autoconfig.h"
#include "host_sys_proc.h"
#include "strutil.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

/* ---- one number ------------------------------------------------------- */

static int host_sys_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Go's strings.TrimSpace for ASCII, in place. */
static char *host_sys_trim(char *s)
{
	while (host_sys_is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n && host_sys_is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

int host_parse_uint_text(char *text, uint64_t *out)
{
	return parse_uint64(host_sys_trim(text), out);
}

int host_parse_int_text(char *text, int64_t *out)
{
	return parse_int64(host_sys_trim(text), out);
}

/* ---- /proc/vmstat ----------------------------------------------------- */

int host_parse_vmstat(char *text, size_t len, struct host_vmstat *out, char *err, size_t errlen)
{
	size_t pos = 0;
	char *line;
	out->n = 0;
	out->bad_lines = 0;
	while ((line = next_line(text, len, &pos)) != NULL) {
		char *f[3];
		size_t nf = split_fields(line, f, 3);
		if (nf == 0)
			continue;
		struct host_vmstat_field field = { .name = f[0] };
		if (nf < 2 || parse_double(f[1], &field.value) < 0) {
			out->bad_lines++;
			continue;
		}
		out->fields = xgrow(out->fields, &out->alloc, out->n + 1, sizeof(*out->fields));
		out->fields[out->n++] = field;
	}
	if (out->n == 0) {
		snprintf(err, errlen, "no 'name value' line");
		return -1;
	}
	return 0;
}

void host_vmstat_release(struct host_vmstat *v)
{
	free(v->fields);
	memset(v, 0, sizeof(*v));
}

/* ---- /proc/schedstat -------------------------------------------------- */

/* The digits at *p (the caller ends them); advances *p past them.  NULL
 * when there is none. */
static char *host_sys_digits(char **p)
{
	char *start = *p;
	while (**p >= '0' && **p <= '9')
		(*p)++;
	return *p > start ? start : NULL;
}

/* "cpuN a b c d e f g h i ..." as procfs' regexp: single spaces, the
 * 7th, 8th and 9th numbers kept. */
static int host_schedstat_line(struct host_schedstat *out, char *line)
{
	if (strncmp(line, "cpu", 3) != 0)
		return 1;
	char *p = line + 3;
	char *id = host_sys_digits(&p);
	char *nums[9];
	if (!id)
		return 1;
	for (int k = 0; k < 9; k++) {
		if (*p != ' ')
			return 1;
		*p++ = '\0'; /* ends the previous number */
		if (!(nums[k] = host_sys_digits(&p)))
			return 1;
	}
	*p = '\0'; /* whatever follows the 9th number is not ours */
	struct host_schedstat_cpu cpu = { .cpu = id };
	if (parse_uint64(nums[6], &cpu.running_ns) < 0 || parse_uint64(nums[7], &cpu.waiting_ns) < 0 ||
	    parse_uint64(nums[8], &cpu.timeslices) < 0)
		return 1; /* out of range: procfs skips the line */
	out->cpus = xgrow(out->cpus, &out->alloc, out->n + 1, sizeof(*out->cpus));
	out->cpus[out->n++] = cpu;
	return 0;
}

int host_parse_schedstat(char *text, size_t len, struct host_schedstat *out, char *err,
			 size_t errlen)
{
	size_t pos = 0;
	char *line;
	out->n = 0;
	while ((line = next_line(text, len, &pos)) != NULL)
		host_schedstat_line(out, line);
	return 0;
}

void host_schedstat_release(struct host_schedstat *s)
{
	free(s->cpus);
	memset(s, 0, sizeof(*s));
}

/* ---- os-release ------------------------------------------------------- */

const char *const host_os_variables[HOST_OS_NKEYS] = {
	"BUILD_ID", "ID", "ID_LIKE", "IMAGE_ID", "IMAGE_VERSION", "NAME", "PRETTY_NAME",
	"VARIANT", "VARIANT_ID", "VERSION", "VERSION_CODENAME", "VERSION_ID", "SUPPORT_END",
};
const char *const host_os_labels[HOST_OS_NKEYS] = {
	"build_id", "id", "id_like", "image_id", "image_version", "name", "pretty_name",
	"variant", "variant_id", "version", "version_codename", "version_id", NULL,
};

static int host_os_hex4(const char *s, size_t left, unsigned *out, const char **why)
{
	unsigned r = 0;
	if (left < 4) {
		*why = "incomplete hex sequence";
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else {
			*why = "invalid hex character";
			return -1;
		}
		r = r * 16 + d;
	}
	*out = r;
	return 0;
}

/* Go's utf8.EncodeRune for a rune below 0x110000 that is no surrogate. */
static size_t host_os_utf8(unsigned r, char *w)
{
	if (r < 0x80) {
		w[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		w[0] = (char)(0xc0 | (r >> 6));
		w[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		w[0] = (char)(0xe0 | (r >> 12));
		w[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		w[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	w[0] = (char)(0xf0 | (r >> 18));
	w[1] = (char)(0x80 | ((r >> 12) & 0x3f));
	w[2] = (char)(0x80 | ((r >> 6) & 0x3f));
	w[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}

/* \uXXXX (and the \uXXXX of a surrogate pair) at v[i] ('u'), written at
 * w; advances *i to the last byte used.  -1 with why. */
static int host_os_unicode(const char *v, size_t n, size_t *i, char **w, const char **why)
{
	unsigned r, r2;
	if (host_os_hex4(v + *i + 1, n - *i - 1, &r, why) < 0)
		return -1;
	*i += 4;
	if (r >= 0xd800 && r < 0xe000) { /* a surrogate: another \u must follow */
		if (n < *i + 6 + 1 || v[*i + 1] != '\\' || v[*i + 2] != 'u') {
			*why = "incomplete Unicode surrogate pair";
			return -1;
		}
		if (host_os_hex4(v + *i + 3, n - *i - 3, &r2, why) < 0)
			return -1;
		*i += 6;
		if (r < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000)
			r = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
		else
			r = 0xfffd;
	}
	*w += host_os_utf8(r, *w);
	return 0;
}

/* The value of one assignment, unescaped in place as envparse does. */
static int host_os_value(char *v, const char **why)
{
	enum { NORMAL, DOUBLE, SINGLE, ESCAPE } mode = NORMAL;
	size_t n = strlen(v);
	char *w = v, *last = v; /* last: past the last significant byte */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 32) {
			*why = "invalid value character";
			return -1;
		}
		if (c > 127) {
			if (mode == ESCAPE) {
				*why = "multibyte characters disallowed in escape sequences";
				return -1;
			}
			*w++ = (char)c;
			last = w;
			continue;
		}
		if (mode == NORMAL) {
			if (c == '"') {
				mode = DOUBLE;
			} else if (c == '\'') {
				mode = SINGLE;
			} else if (c == '#') {
				*last = '\0'; /* a comment: what precedes it, without its blanks */
				return 0;
			} else {
				*w++ = (char)c;
				if (c != ' ')
					last = w;
			}
		} else if (mode == DOUBLE) {
			if (c == '"') {
				mode = NORMAL;
			} else if (c == '\\') {
				mode = ESCAPE;
			} else {
				*w++ = (char)c;
				last = w;
			}
		} else if (mode == SINGLE) {
			if (c == '\'') {
				mode = NORMAL;
			} else {
				*w++ = (char)c;
				last = w;
			}
		} else {
			static const char from[] = "\"\\/bfrnt", to[] = "\"\\/\b\f\r\n\t";
			const char *k = strchr(from, (char)c);
			if (c == 'u') {
				if (host_os_unicode(v, n, &i, &w, why) < 0)
					return -1;
			} else if (k && c) {
				*w++ = to[k - from];
			} else {
				*why = "invalid escape sequence";
				return -1;
			}
			last = w;
			mode = DOUBLE;
		}
	}
	if (mode != NORMAL) {
		*why = mode == DOUBLE ? "unmatched \"" : mode == SINGLE ? "unmatched '" :
			"incomplete escape sequence";
		return -1;
	}
	*w = '\0';
	return 0;
}

/* A key: [A-Za-z_][A-Za-z0-9_./]*. */
static int host_os_key_valid(const char *k)
{
	if (!((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z') || k[0] == '_'))
		return 0;
	for (const char *p = k + 1; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '/'))
			return 0;
	return 1;
}

static int host_os_line(struct host_os_release *out, char *line, const char **why)
{
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r') /* bufio.ScanLines drops it */
		line[n - 1] = '\0';
	line = host_sys_trim(line);
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	char *eq = strchr(line, '=');
	if (!eq) {
		*why = "missing =";
		return -1;
	}
	*eq = '\0';
	char *key = host_sys_trim(line), *value = host_sys_trim(eq + 1);
	if (strlen(key) > 7 && strncmp(key, "export ", 7) == 0)
		key += 7;
	if (key[0] == '\0') {
		*why = "empty key";
		return -1;
	}
	if (!host_os_key_valid(key)) {
		*why = "key characters must be [A-Za-z0-9/_.] (and not start with a digit)";
		return -1;
	}
	if (host_os_value(value, why) < 0)
		return -1;
	for (int k = 0; k < HOST_OS_NKEYS; k++)
		if (strcmp(key, host_os_variables[k]) == 0)
			out->values[k] = value;
	return 0;
}

int host_parse_os_release(char *text, size_t len, struct host_os_release *out, char *err,
			  size_t errlen)
{
	size_t pos = 0;
	unsigned n = 0;
	char *line;
	for (int k = 0; k < HOST_OS_NKEYS; k++)
		out->values[k] = "";
	while ((line = next_line(text, len, &pos)) != NULL) {
		const char *why = NULL;
		n++;
		if (host_os_line(out, line, &why) < 0) {
			snprintf(err, errlen, "line %u: %s", n, why);
			for (int k = 0; k < HOST_OS_NKEYS; k++)
				out->values[k] = "";
			return -1;
		}
	}
	return 0;
}

int host_os_version_of(const char *version_id, double *out)
{
	char num[64];
	size_t n = 0;
	const char *p = version_id;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == version_id) {
		*out = 0;
		return 0;
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	n = (size_t)(p - version_id);
	if (n >= sizeof(num))
		return -1;
	memcpy(num, version_id, n);
	num[n] = '\0';
	return parse_double(num, out);
}

static int host_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int host_parse_date(const char *s, int64_t *out)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	for (int i = 0; i < 10; i++) {
		int dash = i == 4 || i == 7;
		if (dash ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
			return -1;
	}
	if (s[10] != '\0')
		return -1;
	int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > days[m - 1] + (m == 2 && host_is_leap(y)))
		return -1;
	/* days from 1970-01-01 (Howard Hinnant's days_from_civil) */
	int64_t yy = m <= 2 ? y - 1 : y;
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*out = (era * 146097 + doe - 719468) * 86400;
	return 0;
}

/* ---- udev ------------------------------------------------------------- */

int host_parse_udev(char *text, size_t len, struct host_udev *out, char *err, size_t errlen)
{
	size_t pos = 0;
	char *line;
	out->n = 0;
	while ((line = next_line(text, len, &pos)) != NULL) {
		if (strncmp(line, "E:", 2) != 0)
			continue;
		char *eq = strchr(line + 2, '=');
		if (!eq)
			continue;
		*eq = '\0';
		out->props = xgrow(out->props, &out->alloc, out->n + 1, sizeof(*out->props));
		out->props[out->n++] = (struct host_udev_property){ line + 2, eq + 1 };
	}
	return 0;
}

const char *host_udev_get(const struct host_udev *u, const char *name)
{
	for (size_t i = u->n; i-- > 0;)
		if (strcmp(u->props[i].name, name) == 0)
			return u->props[i].value;
	return NULL;
}

void host_udev_release(struct host_udev *u)
{
	free(u->props);
	memset(u, 0, sizeof(*u));
}

/* ---- /sys/devices/system/cpu/isolated ---------------------------------- */

/* A CPU number as Go's strconv.Atoi takes it: an optional sign, digits. */
static int host_cpu_number(const char *s, int64_t *out)
{
	return parse_int64(s, out) < 0 || !(s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9'))
		       ? -1 : 0;
}

int host_parse_cpu_range(char *text, unsigned **cpus, size_t *n, size_t *alloc)
{
	size_t len = strlen(text);
	*n = 0;
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
	for (char *p = text; *p;) {
		char *item = p;
		size_t k = strcspn(p, ",");
		p += k;
		if (*p == ',')
			*p++ = '\0';
		if (!*item)
			continue;
		char *dash = strchr(item, '-');
		int64_t lo, hi = 0;
		if (dash && strchr(dash + 1, '-'))
			return -1; /* "a-b-c": not two parts */
		if (dash)
			*dash = '\0';
		if (host_cpu_number(item, &lo) < 0 || (dash && host_cpu_number(dash + 1, &hi) < 0))
			return -1;
		if (!dash)
			hi = lo;
		if (lo < 0 || hi - lo >= HOST_CPU_RANGE_MAX || hi >= HOST_CPU_RANGE_MAX)
			return -1;
		for (int64_t c = lo; c <= hi; c++) {
			if (*n >= HOST_CPU_RANGE_MAX)
				return -1;
			*cpus = xgrow(*cpus, alloc, *n + 1, sizeof(**cpus));
			(*cpus)[(*n)++] = (unsigned)c;
		}
	}
	return 0;
}

/* ---- SELinux ---------------------------------------------------------- */

int host_selinux_config_mode(char *text, size_t len)
{
	size_t pos = 0;
	char *line;
	while ((line = next_line(text, len, &pos)) != NULL) {
		line = host_sys_trim(line);
		if (line[0] == '\0' || line[0] == ';' || line[0] == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(line, "SELINUX") != 0)
			continue;
		char *v = eq + 1;
		size_t n = strlen(v);
		while (n && v[n - 1] == '"')
			v[--n] = '\0';
		while (*v == '"')
			v++;
		if (strcmp(v, "enforcing") == 0)
			return 1;
		if (strcmp(v, "permissive") == 0)
			return 0;
		return -1;
	}
	return -1;
}
