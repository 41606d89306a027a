/*
 * backup_scan.h -- the files a [backup] section's `path` pattern matches,
 * found without following into the tree: the newest two by modification
 * time, how many there are, and whether the pattern's directory can be
 * read.
 *
 * A pattern is an absolute path whose components may hold the wildcards
 * of fnmatch(3) (* ? [...] and \ escapes): the files "*.dump" of
 * /var/backups/pg, or "base.tar.gz" in each "20??-*" of /srv/base.  Its
 * directory is where the literal part ends: the parent of the first
 * component with a wildcard (/var/backups/pg, /srv/base), or of the file
 * itself when there is none.  Only the
 * directories a component names are read, one level per component, never
 * deeper; a leading '.' is matched only by a component that starts with
 * one (FNM_PERIOD, as the shell does), so a dump written to ".NAME.tmp"
 * and renamed is never seen half written.  Matches are regular files
 * (symbolic links followed); directories and the rest are not counted.
 */
#ifndef DBPULSE_BACKUP_SCAN_H
#define DBPULSE_BACKUP_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* The caps of one scan: the matching names examined (stat) and the
 * directory entries read.  Past the first, further matches are counted
 * in `skipped` and not examined; past the second, reading stops. */
#define BACKUP_SCAN_MATCHES_MAX 10000
#define BACKUP_SCAN_ENTRIES_MAX 200000

struct backup_file {
	char *path;          /* owned; NULL when there is no such file */
	int64_t mtime_sec;   /* st_mtim */
	long mtime_nsec;
	uint64_t size;       /* st_size */
};

struct backup_scan {
	size_t files;           /* regular files matched and examined */
	size_t skipped;         /* matches past the cap, not examined */
	size_t entries;         /* directory entries read */
	int entries_capped;     /* reading stopped at BACKUP_SCAN_ENTRIES_MAX */
	struct backup_file newest, previous;  /* by mtime, then path */
	/* What could not be read below the directory (a matched directory
	 * that cannot be listed, a match that vanished): the first one, and
	 * how many there were.  The scan goes on past them. */
	char problem[512];
	unsigned nproblems;
};

/* A pattern's directory (see above) into dir; -1 when pattern is not an
 * absolute path with a file name, or too long. */
int backup_scan_dir(const char *pattern, char *dir, size_t dirlen);

/* Scans pattern with the caps max_matches and max_entries, before
 * deadline_ms (monotonic, now_mono_ms()).  0 with out filled, or -1 with
 * the reason in err when the pattern's directory cannot be read ("cannot
 * read directory '/x': Permission denied") or the deadline passed.  out
 * is reset first (what it held is freed); free it with
 * backup_scan_release. */
int backup_scan(const char *pattern, size_t max_matches, size_t max_entries, int64_t deadline_ms,
		struct backup_scan *out, char *err, size_t errlen);
void backup_scan_release(struct backup_scan *s);

#endif
