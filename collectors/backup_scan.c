/*
 * backup_scan.c -- the files of a [backup] pattern (backup_scan.h): the
 * pattern's components expanded one directory level at a time with
 * opendir/readdir and fnmatch(3), each match stat(2)ed, only the newest
 * two kept.
 *
 * Called by the backup collector on its worker thread each interval; it
 * owns nothing between calls but the two paths it returns.  The walk
 * goes no deeper than the pattern has components, reads at most
 * max_entries directory entries and examines at most max_matches
 * matches, so a directory of millions of files costs a bounded time; the
 * deadline is checked every 256 entries.
 */
#include "autoconfig.h"
#include "backup_scan.h"
#include "strutil.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "banned.h"

#define SCAN_MAX_COMPONENTS 64
#define SCAN_DEADLINE_EVERY 256   /* entries between looks at the clock */

struct scan_walk {
	char *comps[SCAN_MAX_COMPONENTS];   /* the pattern's components, in copy */
	size_t ncomps;
	char *copy;                         /* what comps point into */
	char path[PATH_MAX];                /* the directory or file at hand */
	size_t max_matches, max_entries;
	size_t examined;                    /* matches stat(2)ed */
	int64_t deadline_ms;
	int timed_out;
	struct backup_scan *out;
};

static int scan_has_wildcard(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

__attribute__((format(printf, 2, 3))) static void scan_problem(struct backup_scan *s,
							     const char *fmt, ...)
{
	if (s->nproblems++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->problem, sizeof(s->problem), fmt, ap);
		va_end(ap);
	}
}

/* Splits the pattern into w->comps; -1 when it is not absolute, has no
 * file name (ends in '/') or too many components. */
static int scan_split(struct scan_walk *w, const char *pattern)
{
	size_t len = strlen(pattern);
	if (pattern[0] != '/' || len < 2 || pattern[len - 1] == '/' || len >= PATH_MAX)
		return -1;
	w->copy = xstrdup(pattern);
	w->ncomps = 0;
	for (char *p = w->copy; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		if (w->ncomps == SCAN_MAX_COMPONENTS)
			return -1;
		w->comps[w->ncomps++] = p;
		char *slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	for (size_t i = 0; i < w->ncomps; i++)
		if (strcmp(w->comps[i], ".") == 0 || strcmp(w->comps[i], "..") == 0)
			return -1;
	return w->ncomps > 0 ? 0 : -1;
}

/* How many leading components are the directory (see backup_scan.h). */
static size_t scan_base_components(const struct scan_walk *w)
{
	size_t i = 0;
	while (i + 1 < w->ncomps && !scan_has_wildcard(w->comps[i]))
		i++;
	return i;
}

/* Writes "/c0/c1/.../c(n-1)" into out ("/" for n == 0); -1 if too long. */
static int scan_join(const struct scan_walk *w, size_t n, char *out, size_t outlen)
{
	size_t len = 0;
	if (n == 0)
		return snprintf(out, outlen, "/") < (int)outlen ? 0 : -1;
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(out + len, outlen - len, "/%s", w->comps[i]);
		if (k < 0 || (size_t)k >= outlen - len)
			return -1;
		len += (size_t)k;
	}
	return 0;
}

int backup_scan_dir(const char *pattern, char *dir, size_t dirlen)
{
	struct scan_walk w = { 0 };
	int rc = scan_split(&w, pattern);
	if (rc == 0)
		rc = scan_join(&w, scan_base_components(&w), dir, dirlen);
	free(w.copy);
	return rc;
}

/* Whether file a is newer than b (mtime, then path: the same order
 * whatever order the directory lists them in). */
static int scan_newer(const struct backup_file *a, const struct backup_file *b)
{
	if (a->mtime_sec != b->mtime_sec)
		return a->mtime_sec > b->mtime_sec;
	if (a->mtime_nsec != b->mtime_nsec)
		return a->mtime_nsec > b->mtime_nsec;
	return strcmp(a->path, b->path) > 0;
}

/* A match at w->path: counted and kept among the newest two when it is a
 * regular file. */
static void scan_match(struct scan_walk *w)
{
	struct backup_scan *s = w->out;
	if (w->examined >= w->max_matches) {
		s->skipped++;
		return;
	}
	w->examined++;
	struct stat st;
	if (stat(w->path, &st) < 0) {
		scan_problem(s, "cannot stat '%s': %s", w->path, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		return;
	s->files++;
	struct backup_file f = { w->path, (int64_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
				 (uint64_t)st.st_size };
	if (!s->newest.path || scan_newer(&f, &s->newest)) {
		free(s->previous.path);
		s->previous = s->newest;
		s->newest = f;
		s->newest.path = xstrdup(w->path);
	} else if (!s->previous.path || scan_newer(&f, &s->previous)) {
		free(s->previous.path);
		s->previous = f;
		s->previous.path = xstrdup(w->path);
	}
}

static void scan_level(struct scan_walk *w, size_t len, size_t ci);

/* w->path[0, len) is a directory; name is an entry of it that matched
 * component ci: on to the next component, or a match when ci is the last. */
static void scan_step(struct scan_walk *w, size_t len, size_t ci, const char *name)
{
	size_t nlen = strlen(name);
	size_t sep = len > 0 && w->path[len - 1] == '/' ? 0 : 1;
	if (len + sep + nlen >= sizeof(w->path)) {
		scan_problem(w->out, "a path under '%.*s' is too long", (int)len, w->path);
		return;
	}
	if (sep)
		w->path[len] = '/';
	memcpy(w->path + len + sep, name, nlen + 1);
	if (ci + 1 == w->ncomps) {
		scan_match(w);
	} else {
		struct stat st;
		if (stat(w->path, &st) == 0 && S_ISDIR(st.st_mode))
			scan_level(w, len + sep + nlen, ci + 1);
	}
	w->path[len] = '\0';
}

/* Expands component ci in the directory w->path[0, len). */
static void scan_level(struct scan_walk *w, size_t len, size_t ci)
{
	struct backup_scan *s = w->out;
	const char *comp = w->comps[ci];
	if (w->timed_out || s->entries_capped)
		return;
	if (!scan_has_wildcard(comp)) {
		struct stat st;
		char *full = xasprintf("%s%s%s", w->path, len > 1 ? "/" : "", comp);
		int there = lstat(full, &st) == 0;
		free(full);
		if (there)
			scan_step(w, len, ci, comp);
		return;
	}
	DIR *d = opendir(w->path);
	if (!d) {
		scan_problem(s, "cannot read directory '%s': %s", w->path, strerror(errno));
		return;
	}
	const struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (s->entries >= w->max_entries) {
			s->entries_capped = 1;
			break;
		}
		if (++s->entries % SCAN_DEADLINE_EVERY == 0 && now_mono_ms() >= w->deadline_ms) {
			w->timed_out = 1;
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fnmatch(comp, e->d_name, FNM_PERIOD) != 0)
			continue;
		scan_step(w, len, ci, e->d_name);
		if (w->timed_out || s->entries_capped)
			break;
	}
	closedir(d);
}

void backup_scan_release(struct backup_scan *s)
{
	free(s->newest.path);
	free(s->previous.path);
	memset(s, 0, sizeof(*s));
}

int backup_scan(const char *pattern, size_t max_matches, size_t max_entries, int64_t deadline_ms,
		struct backup_scan *out, char *err, size_t errlen)
{
	struct scan_walk w = { .max_matches = max_matches, .max_entries = max_entries,
			       .deadline_ms = deadline_ms, .out = out };
	backup_scan_release(out);
	int rc = -1;
	if (scan_split(&w, pattern) < 0) {
		snprintf(err, errlen, "'%s' is not an absolute path to files", pattern);
		goto done;
	}
	size_t base = scan_base_components(&w);
	if (scan_join(&w, base, w.path, sizeof(w.path)) < 0) {
		snprintf(err, errlen, "'%s' is too long", pattern);
		goto done;
	}
	/* the directory itself: readable, or the scan fails */
	DIR *d = opendir(w.path);
	if (!d) {
		snprintf(err, errlen, "cannot read directory '%s': %s", w.path, strerror(errno));
		goto done;
	}
	closedir(d);
	scan_level(&w, strlen(w.path), base);
	if (w.timed_out) {
		snprintf(err, errlen, "deadline reached after reading %zu entries under '%s'",
			 out->entries, w.path);
		goto done;
	}
	rc = 0;
done:
	free(w.copy);
	return rc;
}
