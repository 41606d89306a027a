/*
 * host_fs.c -- statvfs(2) with a deadline, through a prober (prober.h)
 * that is abandoned, not killed, when a mount is stuck (see host_fs.h).
 *
 * Driven by the host collector's worker thread during the filesystem part
 * of a collection.  A struct host_fs owns the live prober (if any), the
 * job it reuses for every path, and a list of stuck probers, each with the
 * mount point it was probing (an abandoned prober owns its job).
 */
#include "autoconfig.h"
#include "host_fs.h"
#include "prober.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

/* One statvfs call and its answer. */
struct statvfs_job {
	int (*statfn)(const char *path, struct statvfs *out);
	char *path;
	int rc, errnum;
	struct statvfs st;
};

struct host_fs_stuck {
	char *path;
	struct prober *prober;
};

struct host_fs {
	int (*statfn)(const char *path, struct statvfs *out);
	size_t max_stuck;
	struct prober *live;           /* NULL until needed, or after an abandonment */
	struct statvfs_job *job;       /* the live prober's, reused; NULL after an abandonment */
	struct host_fs_stuck *stuck;
	size_t nstuck, stuck_alloc;
};

static void statvfs_job_run(void *arg)
{
	struct statvfs_job *j = arg;
	memset(&j->st, 0, sizeof(j->st));
	j->rc = j->statfn(j->path, &j->st);
	j->errnum = j->rc < 0 ? errno : 0;
}

static void statvfs_job_free(void *arg)
{
	struct statvfs_job *j = arg;
	if (!j)
		return;
	free(j->path);
	free(j);
}

struct host_fs *host_fs_new(int (*statfn)(const char *path, struct statvfs *out),
			    size_t max_stuck)
{
	struct host_fs *fs = xcalloc(1, sizeof(*fs));
	fs->statfn = statfn ? statfn : statvfs;
	fs->max_stuck = max_stuck ? max_stuck : 1;
	return fs;
}

void host_fs_free(struct host_fs *fs)
{
	if (!fs)
		return;
	prober_free(fs->live);
	statvfs_job_free(fs->job);
	for (size_t i = 0; i < fs->nstuck; i++) {
		free(fs->stuck[i].path);
		prober_free(fs->stuck[i].prober);
	}
	free(fs->stuck);
	free(fs);
}

size_t host_fs_stuck(struct host_fs *fs)
{
	size_t kept = 0;
	for (size_t i = 0; i < fs->nstuck; i++) {
		struct host_fs_stuck *s = &fs->stuck[i];
		if (prober_returned(s->prober)) {
			free(s->path);
			prober_free(s->prober);
		} else {
			fs->stuck[kept++] = *s;
		}
	}
	fs->nstuck = kept;
	return kept;
}

static int host_fs_is_stuck(const struct host_fs *fs, const char *path)
{
	for (size_t i = 0; i < fs->nstuck; i++)
		if (strcmp(fs->stuck[i].path, path) == 0)
			return 1;
	return 0;
}

/* The live prober gave no answer in time: it goes to the stuck list with
 * the job it now owns. */
static void host_fs_abandon(struct host_fs *fs, const char *path)
{
	fs->stuck = xgrow(fs->stuck, &fs->stuck_alloc, fs->nstuck + 1, sizeof(*fs->stuck));
	fs->stuck[fs->nstuck++] = (struct host_fs_stuck){ xstrdup(path), fs->live };
	fs->live = NULL;
	fs->job = NULL;
}

enum host_fs_status host_fs_stat(struct host_fs *fs, const char *path, int64_t deadline_ms,
				 struct statvfs *out, int *errnum)
{
	*errnum = 0;
	size_t nstuck = host_fs_stuck(fs);
	if (host_fs_is_stuck(fs, path))
		return HOST_FS_STUCK;
	if (!fs->live) {
		if (nstuck >= fs->max_stuck)
			return HOST_FS_OVERLOADED;
		fs->live = prober_start(errnum);
		if (!fs->live)
			return HOST_FS_FAILED;
	}
	if (!fs->job) {
		fs->job = xcalloc(1, sizeof(*fs->job));
		fs->job->statfn = fs->statfn;
	}
	struct statvfs_job *j = fs->job;
	free(j->path);
	j->path = xstrdup(path);
	switch (prober_call(fs->live, statvfs_job_run, j, statvfs_job_free, deadline_ms)) {
	case PROBER_LATE:
		return HOST_FS_TIMEOUT;
	case PROBER_TIMEOUT:
		host_fs_abandon(fs, path);
		return HOST_FS_TIMEOUT;
	case PROBER_DONE:
		break;
	}
	*errnum = j->errnum;
	*out = j->st;
	return j->rc == 0 ? HOST_FS_OK : HOST_FS_FAILED;
}

const char *host_fs_status_name(enum host_fs_status status)
{
	switch (status) {
	case HOST_FS_OK:
		return "ok";
	case HOST_FS_FAILED:
		return "failed";
	case HOST_FS_TIMEOUT:
		return "timed out";
	case HOST_FS_STUCK:
		return "still stuck";
	case HOST_FS_OVERLOADED:
		return "too many stuck mounts";
	}
	return "unknown";
}
