/*
 * backup.h -- the [backup "NAME"] sections and their collector: proof
 * that backups happen.  Each section watches one place where backups
 * land and tells how many there are, when the newest was made and how
 * large it and the one before it are, beside the bounds it was given
 * (max_age, min_size), so that alert rules can compare:
 *   format = files       the files a glob pattern matches (pg_dump
 *                        output, base-backup tarballs; backup_scan.h);
 *   format = pgbackrest  a pgBackRest stanza's backup directory, through
 *                        its backup.info (backup_pgbr.h), per backup type.
 *
 * registry.c lists backup_kind; the scheduler runs backup_collector on
 * the section's worker thread every interval (default 1m).  A pattern's
 * directory (or the stanza's directory, or its backup.info) that cannot
 * be read fails the collection: backup_up 0, the reason logged by the
 * scheduler (rate-limited), the recovery once.  Every series carries
 * target="NAME".
 */
#ifndef DBPULSE_BACKUP_H
#define DBPULSE_BACKUP_H

#include <stdint.h>

#include "collector.h"
#include "config.h"

enum backup_format { BACKUP_FORMAT_FILES, BACKUP_FORMAT_PGBACKREST };

struct backup_config {
	struct target_common common;   /* enabled, interval, timeout */
	char *path;                    /* the pattern, or the stanza's directory */
	int format;                    /* enum backup_format */
	int64_t max_age_ms;            /* served as backup_max_age_seconds */
	uint64_t min_size;             /* served as backup_min_size_bytes */
};

extern const struct config_kind backup_kind;
extern const struct collector backup_collector;

#endif
