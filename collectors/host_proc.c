/*
 * host_proc.c -- pure parsers for /proc/stat, meminfo, loadavg, diskstats,
 * net/dev, pressure/{cpu,memory,io}, sys/fs/file-nr and self/mountinfo
 * (see host_proc.h).
 *
 * Called by the host collector on its worker thread, once per collection
 * and file, on text the collector has just read; also called directly by
 * the unit tests on fixtures.  Every parser walks the text line by line
 * (next_line), splits a line into fields in place (split_fields) and
 * compares the first field against the keys it expects; numbers go through
 * strutil's checked parsers.  The parsers own nothing but the arrays of
 * their results, which they grow with xgrow and reuse on the next parse.
 * The text must be NUL-terminated at len (struct buf always is).
 */
#include "autoconfig.h"
#include "host_proc.h"
#include "strutil.h"
#include "xalloc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

/* Parses n fields into out[]; -1 if any is not an unsigned number. */
static int host_parse_u64s(char *const *fields, size_t n, uint64_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (parse_uint64(fields[i], &out[i]) < 0)
			return -1;
	return 0;
}

static int host_parse_uint(const char *s, unsigned *out)
{
	uint64_t v;
	if (parse_uint64(s, &v) < 0 || v > 0xffffffffu)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int host_is_blank(const char *line)
{
	return line[strspn(line, " \t\r")] == '\0';
}

/* A parser of one line into out (the result struct); -1 when it refuses
 * the line. */
typedef int host_line_fn(void *out, char *line);

/* Calls parse on every line of the text that is not blank; returns how
 * many it refused (the parser's bad_lines). */
static unsigned host_each_line(char *text, size_t len, host_line_fn *parse, void *out)
{
	size_t pos = 0;
	unsigned bad = 0;
	char *line;
	while ((line = next_line(text, len, &pos)) != NULL)
		if (!host_is_blank(line) && parse(out, line) < 0)
			bad++;
	return bad;
}

/* ---- /proc/stat ------------------------------------------------------- */

static const struct host_stat_key {
	const char *key;
	unsigned bit;
	size_t offset;
} host_stat_keys[] = {
	{ "ctxt", HOST_STAT_CTXT, offsetof(struct host_stat, ctxt) },
	{ "btime", HOST_STAT_BTIME, offsetof(struct host_stat, btime) },
	{ "processes", HOST_STAT_PROCESSES, offsetof(struct host_stat, processes) },
	{ "procs_running", HOST_STAT_PROCS_RUNNING, offsetof(struct host_stat, procs_running) },
	{ "procs_blocked", HOST_STAT_PROCS_BLOCKED, offsetof(struct host_stat, procs_blocked) },
	{ "intr", HOST_STAT_INTR, offsetof(struct host_stat, intr) },
};

/* A "cpuN ..." line; returns -1 when it is malformed. */
static int host_stat_cpu(struct host_stat *out, char *const *f, size_t nf)
{
	struct host_cpu cpu = { 0 };
	if (host_parse_uint(f[0] + 3, &cpu.id) < 0)
		return -1;
	size_t n = nf - 1;
	if (n > HOST_CPU_NMODES)
		n = HOST_CPU_NMODES; /* later kernels may add columns */
	/* user, nice, system and idle at least */
	if (n < HOST_CPU_IOWAIT || host_parse_u64s(f + 1, n, cpu.ticks) < 0)
		return -1;
	cpu.nmodes = (unsigned)n;
	out->cpus = xgrow(out->cpus, &out->cpus_alloc, out->ncpus + 1, sizeof(*out->cpus));
	out->cpus[out->ncpus++] = cpu;
	return 0;
}

/* "ctxt N" and the like; returns 1 if the key is not one of ours. */
static int host_stat_value(struct host_stat *out, char *const *f, size_t nf)
{
	for (size_t i = 0; i < sizeof(host_stat_keys) / sizeof(host_stat_keys[0]); i++) {
		const struct host_stat_key *k = &host_stat_keys[i];
		if (strcmp(f[0], k->key) != 0)
			continue;
		uint64_t *slot = (uint64_t *)((char *)out + k->offset);
		if (nf < 2 || parse_uint64(f[1], slot) < 0)
			return -1;
		out->have |= k->bit;
		return 0;
	}
	return 1;
}

int host_parse_stat(char *text, size_t len, struct host_stat *out, char *err, size_t errlen)
{
	size_t pos = 0;
	char *line;
	out->ncpus = 0;
	out->have = 0;
	out->bad_lines = 0;
	while ((line = next_line(text, len, &pos)) != NULL) {
		char *f[HOST_CPU_NMODES + 2];
		size_t nf = split_fields(line, f, sizeof(f) / sizeof(f[0]));
		if (nf == 0)
			continue;
		if (nf > sizeof(f) / sizeof(f[0]))
			nf = sizeof(f) / sizeof(f[0]);
		int rc;
		if (strncmp(f[0], "cpu", 3) == 0 && f[0][3] >= '0' && f[0][3] <= '9')
			rc = host_stat_cpu(out, f, nf);
		else if (strncmp(f[0], "cpu", 3) == 0)
			rc = 1; /* the aggregate "cpu" line: Prometheus sums per CPU */
		else
			rc = host_stat_value(out, f, nf);
		if (rc < 0)
			out->bad_lines++;
	}
	if (out->ncpus == 0 && out->have == 0) {
		snprintf(err, errlen, "no 'cpuN', 'ctxt' or 'btime' line");
		return -1;
	}
	return 0;
}

void host_stat_release(struct host_stat *s)
{
	free(s->cpus);
	memset(s, 0, sizeof(*s));
}

/* ---- /proc/meminfo ---------------------------------------------------- */

/* node_exporter's rule: "\((.*)\)" becomes "_$1" (Active(anon) ->
 * Active_anon); then anything not [A-Za-z0-9_] becomes '_'.  In place. */
static void host_meminfo_clean(char *name)
{
	char *open = strchr(name, '(');
	char *close = open ? strrchr(open, ')') : NULL;
	if (open && close) {
		*open = '_';
		memmove(close, close + 1, strlen(close + 1) + 1);
	}
	for (char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			*p = '_';
	}
}

/* "Name:   123 kB"; returns -1 when malformed. */
static int host_meminfo_line(void *arg, char *line)
{
	struct host_meminfo *out = arg;
	char *colon = strchr(line, ':');
	if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
		return -1;
	*colon = '\0';
	char *f[3];
	size_t nf = split_fields(colon + 1, f, 3);
	struct host_meminfo_field field = { .name = line };
	if (nf == 0 || parse_uint64(f[0], &field.value) < 0)
		return -1;
	if (nf >= 2) {
		if (strcmp(f[1], "kB") != 0)
			return -1;
		field.kb = 1;
	}
	host_meminfo_clean(line);
	out->fields = xgrow(out->fields, &out->alloc, out->n + 1, sizeof(*out->fields));
	out->fields[out->n++] = field;
	return 0;
}

int host_parse_meminfo(char *text, size_t len, struct host_meminfo *out, char *err,
		       size_t errlen)
{
	out->n = 0;
	out->bad_lines = host_each_line(text, len, host_meminfo_line, out);
	if (out->n == 0) {
		snprintf(err, errlen, "no 'Name: value' line");
		return -1;
	}
	return 0;
}

const struct host_meminfo_field *host_meminfo_find(const struct host_meminfo *m,
						   const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return &m->fields[i];
	return NULL;
}

void host_meminfo_release(struct host_meminfo *m)
{
	free(m->fields);
	memset(m, 0, sizeof(*m));
}

/* ---- /proc/loadavg ---------------------------------------------------- */

int host_parse_loadavg(char *text, size_t len, struct host_loadavg *out, char *err,
		       size_t errlen)
{
	size_t pos = 0;
	char *line = next_line(text, len, &pos);
	char *f[3];
	if (!line || split_fields(line, f, 3) < 3 || parse_double(f[0], &out->load1) < 0 ||
	    parse_double(f[1], &out->load5) < 0 || parse_double(f[2], &out->load15) < 0) {
		snprintf(err, errlen, "expected three load averages at the start of the file");
		return -1;
	}
	return 0;
}

/* ---- /proc/diskstats -------------------------------------------------- */

/* "major minor name f1 ... fN"; returns -1 when malformed. */
static int host_diskstats_line(void *arg, char *line)
{
	struct host_disks *out = arg;
	char *f[3 + HOST_DISK_NFIELDS];
	size_t nf = split_fields(line, f, sizeof(f) / sizeof(f[0]));
	if (nf < 3 + HOST_DISK_CLASSIC_FIELDS)
		return -1;
	struct host_disk d = { .name = f[2] };
	size_t n = nf - 3;
	if (n >= HOST_DISK_NFIELDS)
		d.nfields = HOST_DISK_NFIELDS;
	else if (n >= HOST_DISK_DISCARD_FIELDS)
		d.nfields = HOST_DISK_DISCARD_FIELDS;
	else
		d.nfields = HOST_DISK_CLASSIC_FIELDS;
	if (host_parse_uint(f[0], &d.major) < 0 || host_parse_uint(f[1], &d.minor) < 0 ||
	    host_parse_u64s(f + 3, d.nfields, d.f) < 0)
		return -1;
	out->disks = xgrow(out->disks, &out->alloc, out->n + 1, sizeof(*out->disks));
	out->disks[out->n++] = d;
	return 0;
}

int host_parse_diskstats(char *text, size_t len, struct host_disks *out, char *err,
			 size_t errlen)
{
	out->n = 0;
	out->bad_lines = host_each_line(text, len, host_diskstats_line, out);
	return 0;
}

void host_disks_release(struct host_disks *d)
{
	free(d->disks);
	memset(d, 0, sizeof(*d));
}

/* ---- /proc/net/dev ---------------------------------------------------- */

/* "  eth0: 1 2 ... 16" or "eth0:1 2 ..."; returns -1 when malformed. */
static int host_netdev_line(void *arg, char *line)
{
	struct host_netdevs *out = arg;
	char *colon = strchr(line, ':');
	if (!colon)
		return strchr(line, '|') ? 0 : -1; /* the two header lines */
	*colon = '\0';
	char *name = trim(line);
	if (*name == '\0' || strpbrk(name, " \t"))
		return -1;
	char *f[HOST_NET_NFIELDS];
	struct host_netdev dev = { .name = name };
	if (split_fields(colon + 1, f, HOST_NET_NFIELDS) < HOST_NET_NFIELDS ||
	    host_parse_u64s(f, HOST_NET_NFIELDS, dev.f) < 0)
		return -1;
	out->devs = xgrow(out->devs, &out->alloc, out->n + 1, sizeof(*out->devs));
	out->devs[out->n++] = dev;
	return 0;
}

int host_parse_netdev(char *text, size_t len, struct host_netdevs *out, char *err,
		      size_t errlen)
{
	out->n = 0;
	out->bad_lines = host_each_line(text, len, host_netdev_line, out);
	return 0;
}

void host_netdevs_release(struct host_netdevs *n)
{
	free(n->devs);
	memset(n, 0, sizeof(*n));
}

/* ---- /proc/pressure/{cpu,memory,io} ---------------------------------- */

/* The total= of "some avg10=.. avg60=.. avg300=.. total=N"; -1 if none. */
static int host_pressure_total(char *const *f, size_t nf, uint64_t *total)
{
	for (size_t i = 1; i < nf; i++)
		if (strncmp(f[i], "total=", 6) == 0)
			return parse_uint64(f[i] + 6, total);
	return -1;
}

int host_parse_pressure(char *text, size_t len, struct host_pressure *out, char *err,
			size_t errlen)
{
	size_t pos = 0;
	char *line;
	memset(out, 0, sizeof(*out));
	while ((line = next_line(text, len, &pos)) != NULL) {
		char *f[8];
		size_t nf = split_fields(line, f, 8);
		if (nf > 8)
			nf = 8;
		if (nf == 0)
			continue;
		if (strcmp(f[0], "some") == 0) {
			if (host_pressure_total(f, nf, &out->some_total) == 0)
				out->have_some = 1;
			else
				out->bad_lines++;
		} else if (strcmp(f[0], "full") == 0) {
			if (host_pressure_total(f, nf, &out->full_total) == 0)
				out->have_full = 1;
			else
				out->bad_lines++;
		}
	}
	if (!out->have_some) {
		snprintf(err, errlen, "no 'some ... total=N' line");
		return -1;
	}
	return 0;
}

/* ---- /proc/sys/fs/file-nr --------------------------------------------- */

int host_parse_filenr(char *text, size_t len, struct host_filenr *out, char *err,
		      size_t errlen)
{
	size_t pos = 0;
	char *line = next_line(text, len, &pos);
	char *f[3];
	uint64_t v[3];
	if (!line || split_fields(line, f, 3) < 3 || host_parse_u64s(f, 3, v) < 0) {
		snprintf(err, errlen, "expected three numbers: allocated, unused, maximum");
		return -1;
	}
	out->allocated = v[0];
	out->unused = v[1];
	out->max = v[2];
	return 0;
}

/* ---- /proc/self/mountinfo --------------------------------------------- */

static int host_is_octal(char c)
{
	return c >= '0' && c <= '7';
}

char *host_unescape_octal(char *s)
{
	char *w = s;
	for (const char *r = s; *r;) {
		if (r[0] == '\\' && host_is_octal(r[1]) && host_is_octal(r[2]) &&
		    host_is_octal(r[3])) {
			unsigned v = (unsigned)(r[1] - '0') * 64 + (unsigned)(r[2] - '0') * 8 +
				     (unsigned)(r[3] - '0');
			if (v != 0 && v <= 0xff) {
				*w++ = (char)v;
				r += 4;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	return s;
}

/* Whether the comma-separated list holds exactly opt. */
static int host_has_option(const char *options, const char *opt)
{
	size_t len = strlen(opt);
	for (const char *p = options; *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && memcmp(p, opt, len) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* "id parent maj:min root mountpoint options [optional...] - fstype source
 * superoptions"; returns -1 when malformed. */
static int host_mountinfo_line(void *arg, char *line)
{
	struct host_mounts *out = arg;
	char *f[64];
	size_t nf = split_fields(line, f, 64);
	if (nf > 64)
		return -1;
	size_t sep = 6;
	while (sep < nf && strcmp(f[sep], "-") != 0)
		sep++;
	if (sep + 2 >= nf)
		return -1; /* no separator, or no fstype and source after it */
	const char *super = sep + 3 < nf ? f[sep + 3] : "";
	struct host_mount m = {
		.mountpoint = host_unescape_octal(f[4]),
		.fstype = host_unescape_octal(f[sep + 1]),
		.source = host_unescape_octal(f[sep + 2]),
		.readonly = host_has_option(f[5], "ro") || host_has_option(super, "ro") ||
			    host_has_option(super, "emergency_ro"),
	};
	char *colon = strchr(f[2], ':');
	if (!colon)
		return -1;
	*colon = '\0';
	if (host_parse_uint(f[2], &m.major) < 0 || host_parse_uint(colon + 1, &m.minor) < 0)
		return -1;
	out->mounts = xgrow(out->mounts, &out->alloc, out->n + 1, sizeof(*out->mounts));
	out->mounts[out->n++] = m;
	return 0;
}

int host_parse_mountinfo(char *text, size_t len, struct host_mounts *out, char *err,
			 size_t errlen)
{
	out->n = 0;
	out->bad_lines = host_each_line(text, len, host_mountinfo_line, out);
	return 0;
}

void host_mounts_release(struct host_mounts *m)
{
	free(m->mounts);
	memset(m, 0, sizeof(*m));
}
