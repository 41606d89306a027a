/*
 * backup_pgbr.h -- a pgBackRest stanza's backup.info, read as pgBackRest
 * itself writes it (format 5, pgBackRest 2.x), for the [backup] sections
 * with format = pgbackrest.  The pgbackrest command is never run.
 *
 * backup.info is an INI file whose values are JSON:
 *   [backup:current]
 *   20240105-010002F_20240106-010003I={"backup-type":"incr",
 *       "backup-timestamp-stop":1704502983,"backup-info-repo-size-delta":430,...}
 * inih splits it into sections and keys, jansson reads each value, and
 * the file's own checksum (a SHA-1 over its sections, keys and values, in
 * [backrest] backrest-checksum) must match, as pgBackRest requires: a
 * truncated, half-written or altered file is refused, never half read.
 * Of the backups in [backup:current] the newest two of each type (full,
 * diff, incr; by stop time) are kept.
 */
#ifndef DBPULSE_BACKUP_PGBR_H
#define DBPULSE_BACKUP_PGBR_H

#include <stddef.h>
#include <stdint.h>

/* The caps on what is read: the file (pgBackRest's own for 2,000 backups
 * is about 2 MB) and one line of it (a backup's JSON, which lists the
 * backups it references). */
#define PGBR_INFO_BYTES_MAX ((size_t)32 << 20)
#define PGBR_INFO_LINE_MAX (1 << 20)

enum pgbr_type { PGBR_FULL, PGBR_DIFF, PGBR_INCR, PGBR_NTYPES };

struct pgbr_backup {
	char label[64];          /* 20240105-010002F_20240106-010003I */
	int64_t start, stop;     /* backup-timestamp-start, -stop: epoch seconds */
	/* backup-info-size, -size-delta: the database's bytes, and those this
	 * backup copied; backup-info-repo-size, -repo-size-delta: the same
	 * in the repository (compressed) */
	int64_t size, size_delta, repo_size, repo_size_delta;
	/* backup-archive-start, -stop: the WAL segments the backup needs to
	 * be consistent; "" for an offline backup, which has none */
	char wal_start[25], wal_stop[25];
	int error;               /* backup-error: pages with checksum errors */
};

struct pgbr_info {
	char version[32];        /* [backrest] backrest-version: who wrote it */
	char db_version[16];     /* [db] db-version: "15" */
	size_t nbackups;         /* in [backup:current] */
	size_t ntype[PGBR_NTYPES];
	/* the newest and the one before it of each type; valid while ntype
	 * says there are that many */
	struct pgbr_backup newest[PGBR_NTYPES], previous[PGBR_NTYPES];
};

/* "full", "diff", "incr". */
const char *pgbr_type_name(enum pgbr_type t);

/* Parses the len bytes of text (need not be NUL-terminated).  0 with out
 * filled, or -1 with the first problem in err, naming its line:
 * "line 7: backup-type: expected full, diff or incr, got \"x\"".  Pure:
 * no I/O, no logging. */
int pgbr_info_parse(const char *text, size_t len, struct pgbr_info *out, char *err, size_t errlen);

#endif
