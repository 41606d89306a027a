/*
 * backup.c -- the [backup "NAME"] section and the backup collector (see
 * backup.h).
 *
 * The scheduler creates one instance per section (backup_init) on its
 * worker thread and calls backup_collect() there every interval:
 *   - format = files: backup_scan() lists the pattern's matches, keeping
 *     the newest two; a pattern directory that cannot be read, or a scan
 *     past the deadline, fails the collection;
 *   - format = pgbackrest: the stanza directory's backup.info is read and
 *     parsed (pgbr_info_parse); when it is refused, backup.info.copy is
 *     read instead, as pgBackRest does; when both are, the collection
 *     fails.
 * What is read becomes the backup_* series (a pure function of the scan
 * or the parse and the section's bounds).  Problems below the pattern's
 * directory (a matched directory that cannot be listed) and a refused
 * backup.info that its copy replaced are logged rate-limited, as is every
 * failure by the scheduler; the caps count in dbpulse_limit_reached_total.
 *
 * The reading (directories, stat, open) runs on a prober thread
 * (prober.h) under the collection's deadline: a hung network mount, or a
 * FIFO named backup.info, fails the collection at its timeout (backup_up
 * 0), leaves that prober stuck, and no other read is tried until the stuck
 * one returns, so a hung mount costs one thread, never one per cycle.
 *
 * An instance owns its probers and the live one's job (what a read found,
 * kept between collections); the config section is borrowed.
 */
#include "autoconfig.h"
#include "backup.h"
#include "backup_pgbr.h"
#include "backup_scan.h"
#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "prober.h"
#include "strutil.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

/* ---- configuration ---------------------------------------------------- */

#define BK_KEY(k) offsetof(struct backup_config, k)
#define BK_MS_DAY (24 * CONF_MS_HOUR)

static const char *const backup_formats[] = { "files", "pgbackrest", NULL };

static int backup_path_parse(const char *value, void *slot, char *err, size_t errlen);
static void backup_path_release(void *slot);

/* enabled, interval and timeout are the targets' keys, with an interval
 * of a minute by default: backups are made daily, not every 15 s. */
static const struct config_key backup_keys[] = {
	{ .name = "enabled", .type = CONF_BOOL, .offset = BK_KEY(common.enabled), .def = "true" },
	{ .name = "path", .type = CONF_CUSTOM, .offset = BK_KEY(path), .required = 1,
	  .parse = backup_path_parse, .release = backup_path_release },
	{ .name = "format", .type = CONF_ENUM, .offset = BK_KEY(format), .def = "files",
	  .choices = backup_formats },
	{ .name = "max_age", .type = CONF_DURATION, .offset = BK_KEY(max_age_ms), .def = "26h",
	  .min = CONF_MS_SECOND, .max = 400 * (int64_t)BK_MS_DAY },
	{ .name = "min_size", .type = CONF_SIZE, .offset = BK_KEY(min_size), .def = "0" },
	{ .name = "interval", .type = CONF_DURATION, .offset = BK_KEY(common.interval_ms),
	  .def = "1m", .min = CONF_MS_SECOND, .max = CONF_MS_HOUR },
	{ .name = "timeout", .type = CONF_DURATION, .offset = BK_KEY(common.timeout_ms),
	  .def = "10s", .min = 100, .max = CONF_MS_HOUR, .fit_default = conf_fit_timeout },
	{ .name = NULL },
};

/* path: an absolute path with a name at its end and no '.' or '..'
 * component (a pattern of files, or a stanza's directory; which, and
 * whether it may hold wildcards, is for backup_validate to say). */
static int backup_path_parse(const char *value, void *slot, char *err, size_t errlen)
{
	size_t len = strlen(value);
	char dir[PATH_MAX];
	if (value[0] != '/') {
		snprintf(err, errlen, "expected an absolute path, got '%s'", value);
		return -1;
	}
	if (len >= PATH_MAX - 32) {
		snprintf(err, errlen, "expected a path of at most %d bytes", PATH_MAX - 33);
		return -1;
	}
	if (len > 1 && value[len - 1] == '/') {
		snprintf(err, errlen, "expected a pattern of files like '/var/backups/postgres/*.dump' "
			 "or a stanza's directory, without a final '/', got '%s'", value);
		return -1;
	}
	if (backup_scan_dir(value, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "expected a path without '.' or '..' components, got '%s'",
			 value);
		return -1;
	}
	*(char **)slot = xstrdup(value);
	return 0;
}

static void backup_path_release(void *slot)
{
	free(*(char **)slot);
	*(char **)slot = NULL;
}

static int backup_validate(void *conf, char *err, size_t errlen)
{
	const struct backup_config *c = conf;
	if (conf_check_target(&c->common, err, errlen) < 0)
		return -1;
	if (c->format == BACKUP_FORMAT_PGBACKREST && strpbrk(c->path, "*?[\\")) {
		snprintf(err, errlen, "path: expected the stanza's directory (REPO/backup/STANZA) "
			 "without wildcards, got '%s'", c->path);
		return -1;
	}
	return 0;
}

static void backup_describe(const struct config_section *s, struct buf *out)
{
	const struct backup_config *c = s->conf;
	if (!c->common.enabled) {
		buf_puts(out, s->label);
		return;
	}
	char age[32];
	conf_format_duration(c->max_age_ms, age, sizeof(age));
	conf_describe_target(s->label, &c->common, out);
	if (c->format == BACKUP_FORMAT_PGBACKREST)
		buf_printf(out, ": pgBackRest %s/backup.info", c->path);
	else
		buf_printf(out, ": %s", c->path);
	buf_printf(out, ", newest within %s", age);
	if (c->min_size)
		buf_printf(out, ", at least %llu bytes", (unsigned long long)c->min_size);
}

/* ---- the series --------------------------------------------------------- */

static const struct metric_desc m_up = {
	"backup_up",
	"Whether the backups' directory (and for pgBackRest its backup.info) could be read.",
	METRIC_GAUGE };
static const struct metric_desc m_files = {
	"backup_files",
	"Files the path matches (format files), or backups that backup.info lists (pgbackrest).",
	METRIC_GAUGE };
static const struct metric_desc m_newest_ts = {
	"backup_newest_timestamp_seconds",
	"Modification time of the newest file, or stop time of the newest backup of the type, "
	"in seconds since the epoch.", METRIC_GAUGE };
static const struct metric_desc m_newest_age = {
	"backup_newest_age_seconds",
	"Seconds from the newest file's modification, or the newest backup's stop, to the "
	"collection.", METRIC_GAUGE };
static const struct metric_desc m_newest_size = {
	"backup_newest_size_bytes",
	"Size of the newest file, or what the newest backup of the type stored in the repository.",
	METRIC_GAUGE };
static const struct metric_desc m_previous_size = {
	"backup_previous_size_bytes",
	"Size of the file before the newest, or what the backup of the type before the newest "
	"stored in the repository.", METRIC_GAUGE };
static const struct metric_desc m_max_age = {
	"backup_max_age_seconds", "The section's max_age: how old the newest backup may be.",
	METRIC_GAUGE };
static const struct metric_desc m_min_size = {
	"backup_min_size_bytes", "The section's min_size: how small the newest backup may be.",
	METRIC_GAUGE };
static const struct metric_desc m_newest_start = {
	"backup_newest_start_timestamp_seconds",
	"Start time of the newest backup of the type, in seconds since the epoch.", METRIC_GAUGE };
static const struct metric_desc m_newest_db_size = {
	"backup_newest_database_size_bytes",
	"Size of the database that the newest backup of the type copied.", METRIC_GAUGE };
static const struct metric_desc m_newest_info = {
	"backup_newest_info",
	"The newest backup of the type: its label and the first and last WAL segments it needs.",
	METRIC_GAUGE };

static void backup_bounds(const struct backup_config *c, const char *target, struct batch *b)
{
	batch_add(b, &m_max_age, (double)c->max_age_ms / 1000.0, "target", target, NULL);
	batch_add(b, &m_min_size, (double)c->min_size, "target", target, NULL);
}

/* The series of a scan (format files), at wall-clock time now. */
static void backup_emit_scan(const struct backup_scan *s, const char *target, double now,
			     struct batch *b)
{
	batch_add(b, &m_up, 1, "target", target, NULL);
	batch_add(b, &m_files, (double)s->files, "target", target, NULL);
	if (s->newest.path) {
		double mtime = (double)s->newest.mtime_sec + (double)s->newest.mtime_nsec / 1e9;
		batch_add(b, &m_newest_ts, (double)s->newest.mtime_sec, "target", target, NULL);
		batch_add(b, &m_newest_age, now - mtime, "target", target, NULL);
		batch_add(b, &m_newest_size, (double)s->newest.size, "target", target, NULL);
	}
	if (s->previous.path)
		batch_add(b, &m_previous_size, (double)s->previous.size, "target", target, NULL);
}

/* The series of a backup.info (format pgbackrest), at wall-clock time now. */
static void backup_emit_pgbr(const struct pgbr_info *info, const char *target, double now,
			     struct batch *b)
{
	batch_add(b, &m_up, 1, "target", target, NULL);
	batch_add(b, &m_files, (double)info->nbackups, "target", target, NULL);
	int64_t newest = -1;
	for (int t = 0; t < PGBR_NTYPES; t++) {
		if (!info->ntype[t])
			continue;
		const struct pgbr_backup *n = &info->newest[t];
		const char *type = pgbr_type_name((enum pgbr_type)t);
		if (n->stop > newest)
			newest = n->stop;
		batch_add(b, &m_newest_ts, (double)n->stop, "target", target, "type", type, NULL);
		batch_add(b, &m_newest_start, (double)n->start, "target", target, "type", type, NULL);
		batch_add(b, &m_newest_size, (double)n->repo_size_delta, "target", target, "type",
			  type, NULL);
		batch_add(b, &m_newest_db_size, (double)n->size, "target", target, "type", type,
			  NULL);
		batch_add(b, &m_newest_info, 1, "target", target, "type", type, "label", n->label,
			  "wal_start", n->wal_start, "wal_stop", n->wal_stop, NULL);
		if (info->ntype[t] > 1)
			batch_add(b, &m_previous_size, (double)info->previous[t].repo_size_delta,
				  "target", target, "type", type, NULL);
	}
	if (newest >= 0)
		batch_add(b, &m_newest_age, now - (double)newest, "target", target, NULL);
}

/* ---- the instance ----------------------------------------------------- */

enum { BL_MATCHES, BL_ENTRIES, BL_COUNT };
static const char *const backup_limit_names[BL_COUNT + 1] = {
	"backup_matches", "backup_entries", NULL,
};

/* One read of a section's backups, run on the instance's prober (the
 * directory listings, stat and open can block forever on a hung network
 * mount, open on a FIFO): its inputs are copies, since a job left with an
 * abandoned prober may outlive the instance and the configuration; then
 * what it found. */
struct backup_job {
	char *path;                        /* the section's path */
	int format;                        /* BACKUP_FORMAT_* */
	int64_t deadline_ms;
	int rc;                            /* 0, or -1 with err */
	char err[1600];
	struct backup_scan scan;           /* format files */
	struct buf text;                   /* backup.info, while it is parsed */
	struct pgbr_info info;             /* format pgbackrest */
	char main_err[768];                /* backup.info refused, its copy read */
};

struct backup {
	const struct backup_config *conf;
	const char *target;                /* the section's name */
	struct prober *live;               /* NULL until the first read, or after
					    * an abandonment */
	struct backup_job *job;            /* the live prober's, reused */
	struct prober *stuck;              /* abandoned on a read that did not
					    * return; none is made while it is */
	struct limit_counts limits;
	struct log_complaint complaint;    /* problems that do not fail a collection */
};

static struct backup_job *backup_job_new(const struct backup_config *c)
{
	struct backup_job *j = xcalloc(1, sizeof(*j));
	j->path = xstrdup(c->path);
	j->format = c->format;
	buf_init(&j->text, PGBR_INFO_BYTES_MAX);
	return j;
}

static void backup_job_free(void *arg)
{
	struct backup_job *j = arg;
	if (!j)
		return;
	backup_scan_release(&j->scan);
	buf_release(&j->text);
	free(j->path);
	free(j);
}

static void *backup_init(const struct config_section *section, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct backup *k = xcalloc(1, sizeof(*k));
	k->conf = section->conf;
	k->target = section->name;
	limit_counts_init(&k->limits, backup_limit_names);
	return k;
}

/* What a scan found (format files), taken on the worker thread. */
static void backup_take_scan(struct backup *k, struct backup_scan *s, struct batch *b)
{
	backup_emit_scan(s, k->target, now_wall(), b);
	if (s->skipped)
		limit_reached_n(&k->limits, BL_MATCHES, s->skipped, "backup", k->target,
				"'%s' matches more than %d files: %zu not looked at (the newest may "
				"be among them)", k->conf->path, BACKUP_SCAN_MATCHES_MAX, s->skipped);
	if (s->entries_capped)
		limit_reached(&k->limits, BL_ENTRIES, "backup", k->target,
			      "'%s': more than %d directory entries to read; the rest is not looked "
			      "at (the newest may be there)", k->conf->path, BACKUP_SCAN_ENTRIES_MAX);
	if (s->nproblems)
		log_complain(&k->complaint, LOG_LEVEL_WARN, "backup", k->target, "%s%s", s->problem,
			     s->nproblems > 1 ? " (and more like it)" : "");
	else
		log_complaint_clear(&k->complaint, "backup", k->target,
				    "every match of '%s' read again", k->conf->path);
	backup_scan_release(s);
}

/* snprintf into err, where a path may well cut the message short. */
__attribute__((format(printf, 3, 4))) static void backup_errf(char *err, size_t errlen,
							    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reads and parses DIR/NAME into j->info; -1 with err ("cannot read ...",
 * "refused ..."). */
static int backup_read_info(struct backup_job *j, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", j->path, name);
	if (read_file(path, &j->text) < 0) {
		if (errno == EFBIG)
			backup_errf(err, errlen, "'%s' is larger than %zu bytes", path,
				 PGBR_INFO_BYTES_MAX);
		else
			backup_errf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	char why[512];
	int rc = pgbr_info_parse(buf_str(&j->text), j->text.len, &j->info, why, sizeof(why));
	if (rc < 0)
		backup_errf(err, errlen, "'%s' refused: %s", path, why);
	buf_release(&j->text);
	buf_init(&j->text, PGBR_INFO_BYTES_MAX);
	return rc;
}

/* format pgbackrest: backup.info, or its copy when it is refused. */
static int backup_read_pgbr(struct backup_job *j)
{
	DIR *d = opendir(j->path);
	if (!d) {
		backup_errf(j->err, sizeof(j->err), "cannot read directory '%s': %s", j->path,
			 strerror(errno));
		return -1;
	}
	closedir(d);
	char copy_err[768];
	j->main_err[0] = '\0';
	if (backup_read_info(j, "backup.info", j->main_err, sizeof(j->main_err)) == 0)
		return 0;
	if (backup_read_info(j, "backup.info.copy", copy_err, sizeof(copy_err)) == 0)
		return 0;
	backup_errf(j->err, sizeof(j->err), "%s (and backup.info.copy: %s)", j->main_err,
		    copy_err);
	j->main_err[0] = '\0';
	return -1;
}

/* The job, on the prober's thread. */
static void backup_job_run(void *arg)
{
	struct backup_job *j = arg;
	j->err[0] = '\0';
	j->rc = j->format == BACKUP_FORMAT_PGBACKREST ?
			backup_read_pgbr(j) :
			backup_scan(j->path, BACKUP_SCAN_MATCHES_MAX, BACKUP_SCAN_ENTRIES_MAX,
				    j->deadline_ms, &j->scan, j->err, sizeof(j->err));
}

/* Runs the job on the live prober (started when there is none) before
 * deadline_ms; 0 with the job's results in k->job, or -1 with err.  A
 * read that does not return in time leaves its prober stuck with the job;
 * until that read returns no other is tried. */
static int backup_read(struct backup *k, int64_t deadline_ms, char *err, size_t errlen)
{
	if (k->stuck && prober_returned(k->stuck)) {
		prober_free(k->stuck);
		k->stuck = NULL;
	}
	if (k->stuck) {
		backup_errf(err, errlen, "'%s' has not answered yet the read that timed out (a hung "
			    "network mount?); not read again until it does", k->conf->path);
		return -1;
	}
	int errnum = 0;
	if (!k->live && !(k->live = prober_start(&errnum))) {
		backup_errf(err, errlen, "cannot start a thread to read '%s': %s", k->conf->path,
			    strerror(errnum));
		return -1;
	}
	if (!k->job)
		k->job = backup_job_new(k->conf);
	k->job->deadline_ms = deadline_ms;
	switch (prober_call(k->live, backup_job_run, k->job, backup_job_free, deadline_ms)) {
	case PROBER_LATE:
		backup_errf(err, errlen, "no time left to read '%s'", k->conf->path);
		return -1;
	case PROBER_TIMEOUT:
		k->stuck = k->live;
		k->live = NULL;
		k->job = NULL;
		backup_errf(err, errlen, "reading '%s' did not return within the timeout (a hung "
			    "network mount, a FIFO?); not read again until it does", k->conf->path);
		return -1;
	case PROBER_DONE:
		break;
	}
	if (k->job->rc < 0)
		backup_errf(err, errlen, "%s", k->job->err);
	return k->job->rc;
}

static int backup_collect(void *instance, struct batch *b, int64_t deadline_ms, char *err,
			  size_t errlen)
{
	struct backup *k = instance;
	if (errlen)
		err[0] = '\0';
	backup_bounds(k->conf, k->target, b);
	int rc = backup_read(k, deadline_ms, err, errlen);
	if (rc < 0) {
		batch_add(b, &m_up, 0, "target", k->target, NULL);
	} else if (k->conf->format == BACKUP_FORMAT_PGBACKREST) {
		if (k->job->main_err[0])
			log_complain(&k->complaint, LOG_LEVEL_WARN, "backup", k->target,
				     "%s; read backup.info.copy instead", k->job->main_err);
		else
			log_complaint_clear(&k->complaint, "backup", k->target,
					    "backup.info read again");
		backup_emit_pgbr(&k->job->info, k->target, now_wall(), b);
	} else {
		backup_take_scan(k, &k->job->scan, b);
	}
	limit_counts_add(&k->limits, b, "target", k->target);
	return rc;
}

static void backup_free(void *instance)
{
	struct backup *k = instance;
	if (!k)
		return;
	prober_free(k->live);
	prober_free(k->stuck);
	backup_job_free(k->job);
	free(k);
}

const struct collector backup_collector = {
	.name = "backup",
	.init = backup_init,
	.collect = backup_collect,
	.free = backup_free,
};

const struct config_kind backup_kind = {
	.name = "backup",
	.named = 1,
	.implicit = 0,
	.keys = backup_keys,
	.conf_size = sizeof(struct backup_config),
	.validate = backup_validate,
	.describe = backup_describe,
	.collector = &backup_collector,
};
