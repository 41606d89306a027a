/*
 * host_fs.h -- statvfs(2) with a deadline, for the filesystem metrics.
 *
 * A stuck network mount (NFS, CIFS, FUSE) can block statvfs forever; that
 * must neither hang a collection nor leak a thread per collection
 * (node_exporter #244, #868).  A host_fs keeps one persistent prober thread
 * that takes one path at a time.  The caller waits for the answer until its
 * deadline; if none comes, the prober is abandoned (it frees itself when
 * its statvfs finally returns), the mount point is recorded as stuck, and a
 * fresh prober serves later paths.  A stuck mount point is not probed again
 * (host_fs_stat answers HOST_FS_STUCK at once) until its abandoned prober
 * has returned.  At most max_stuck probers may be stuck at a time; beyond
 * that nothing is probed (HOST_FS_OVERLOADED) until one comes back.
 *
 * A host_fs belongs to one collector instance and is used by that
 * instance's worker thread only; the probers it starts are its private
 * helpers and block every signal.
 */
#ifndef DBPULSE_HOST_FS_H
#define DBPULSE_HOST_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/statvfs.h>

enum host_fs_status {
	HOST_FS_OK,          /* *out is filled */
	HOST_FS_FAILED,      /* statvfs failed (or no thread could be started): *errnum */
	HOST_FS_TIMEOUT,     /* no answer before the deadline: now recorded as stuck */
	HOST_FS_STUCK,       /* skipped: an earlier probe of this path has not returned */
	HOST_FS_OVERLOADED,  /* skipped: max_stuck probes have not returned */
};

struct host_fs;

/* statfn is the call to make (statvfs when NULL; tests pass a slow fake);
 * max_stuck caps the abandoned probers (at least 1).  Starts no thread
 * yet: the first prober is started by the first host_fs_stat().  The
 * caller owns the result and frees it with host_fs_free(). */
struct host_fs *host_fs_new(int (*statfn)(const char *path, struct statvfs *out),
			    size_t max_stuck);
/* Stops the live prober (joins it) and lets go of the stuck ones, which
 * free themselves when their call returns.  NULL is allowed. */
void host_fs_free(struct host_fs *fs);

/* statvfs(path) answered before deadline_ms (monotonic, now_mono_ms()).
 * A deadline already past returns HOST_FS_TIMEOUT without probing and
 * without marking the path stuck. */
enum host_fs_status host_fs_stat(struct host_fs *fs, const char *path, int64_t deadline_ms,
				 struct statvfs *out, int *errnum);

/* Forgets the stuck probers that have returned; returns how many are
 * still stuck. */
size_t host_fs_stuck(struct host_fs *fs);

/* A few words for a status, for logs and tests ("timed out", ...). */
const char *host_fs_status_name(enum host_fs_status status);

#endif
