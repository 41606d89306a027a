/*
 * host_fs.c -- statvfs(2) with a deadline, by a persistent prober thread
 * that is abandoned, not killed, when a mount is stuck (see host_fs.h).
 *
 * Driven by the host collector's worker thread during the filesystem part
 * of a collection.  A struct host_fs owns the live prober (if any) and a
 * list of stuck ones, each with the mount point it was probing.
 *
 * A prober is reference-counted: one reference for its thread, one for
 * whoever holds it on the host_fs side (the live slot or a stuck entry).
 * Its mutex guards everything in it; one condition variable (on
 * CLOCK_MONOTONIC, so that the deadline is the collector's clock) carries
 * both "a request is posted" and "the answer is ready".  The path being
 * probed is read by the thread without the lock, which is safe because the
 * caller only replaces it when no request is in flight, and never touches
 * an abandoned prober's path again.  The live prober's thread is joinable
 * and joined by host_fs_free(); an abandoned one is detached and releases
 * its own reference when its call returns, freeing the prober if the
 * host_fs has let go of it already.
 */
#include "autoconfig.h"
#include "host_fs.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include "banned.h"

#define HOST_FS_STACK_SIZE ((size_t)128 << 10)

struct host_fs_prober {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int refs;
	int (*statfn)(const char *path, struct statvfs *out);
	char *path;          /* the request; owned by the prober */
	int pending;         /* a request waits for the thread */
	int done;            /* the answer to the last request is ready */
	int abandoned;       /* the caller gave up: exit after this call */
	int quit;            /* host_fs_free: exit now (only while idle) */
	int exited;          /* the thread has let go of its reference */
	int rc, errnum;
	struct statvfs st;
};

struct host_fs_stuck {
	char *path;
	struct host_fs_prober *prober;
};

struct host_fs {
	int (*statfn)(const char *path, struct statvfs *out);
	size_t max_stuck;
	struct host_fs_prober *live;   /* NULL until needed, or after an abandonment */
	struct host_fs_stuck *stuck;
	size_t nstuck, stuck_alloc;
};

static void host_fs_prober_destroy(struct host_fs_prober *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->path);
	free(p);
}

/* Drops one reference; the last one frees the prober. */
static void host_fs_prober_unref(struct host_fs_prober *p)
{
	pthread_mutex_lock(&p->lock);
	int last = --p->refs == 0;
	pthread_mutex_unlock(&p->lock);
	if (last)
		host_fs_prober_destroy(p);
}

static void *host_fs_prober_main(void *arg)
{
	struct host_fs_prober *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->pending && !p->quit)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->quit)
			break;
		p->pending = 0;
		const char *path = p->path;
		pthread_mutex_unlock(&p->lock);

		struct statvfs st;
		memset(&st, 0, sizeof(st));
		int rc = p->statfn(path, &st);
		int errnum = rc < 0 ? errno : 0;

		pthread_mutex_lock(&p->lock);
		p->rc = rc;
		p->errnum = errnum;
		p->st = st;
		p->done = 1;
		pthread_cond_broadcast(&p->cond);
		if (p->abandoned)
			break;
	}
	p->exited = 1;
	int last = --p->refs == 0;
	pthread_mutex_unlock(&p->lock);
	if (last)
		host_fs_prober_destroy(p);
	return NULL;
}

/* Starts a prober thread with every signal blocked and a small stack.
 * Returns NULL with *errnum set when no thread could be started. */
static struct host_fs_prober *host_fs_prober_start(struct host_fs *fs, int *errnum)
{
	struct host_fs_prober *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	sigset_t all, old;

	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	p->statfn = fs->statfn;
	p->refs = 2; /* the thread's and the host_fs's */

	pthread_attr_init(&ta);
	long stack_min = PTHREAD_STACK_MIN;
	size_t stack = HOST_FS_STACK_SIZE;
	if (stack_min > 0 && (size_t)stack_min > stack)
		stack = (size_t)stack_min;
	pthread_attr_setstacksize(&ta, stack);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&p->thread, &ta, host_fs_prober_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&ta);
	if (rc != 0) {
		*errnum = rc;
		host_fs_prober_destroy(p);
		return NULL;
	}
	return p;
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
	if (fs->live) {
		struct host_fs_prober *p = fs->live;
		pthread_mutex_lock(&p->lock);
		p->quit = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		host_fs_prober_unref(p);
	}
	for (size_t i = 0; i < fs->nstuck; i++) {
		free(fs->stuck[i].path);
		host_fs_prober_unref(fs->stuck[i].prober);
	}
	free(fs->stuck);
	free(fs);
}

size_t host_fs_stuck(struct host_fs *fs)
{
	size_t kept = 0;
	for (size_t i = 0; i < fs->nstuck; i++) {
		struct host_fs_stuck *s = &fs->stuck[i];
		pthread_mutex_lock(&s->prober->lock);
		int back = s->prober->exited;
		pthread_mutex_unlock(&s->prober->lock);
		if (back) {
			free(s->path);
			host_fs_prober_unref(s->prober);
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

/* The live prober gave no answer in time: hand it over to the stuck list. */
static void host_fs_abandon(struct host_fs *fs, const char *path)
{
	struct host_fs_prober *p = fs->live;
	fs->live = NULL;
	pthread_detach(p->thread);
	fs->stuck = xgrow(fs->stuck, &fs->stuck_alloc, fs->nstuck + 1, sizeof(*fs->stuck));
	fs->stuck[fs->nstuck++] = (struct host_fs_stuck){ xstrdup(path), p };
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
		fs->live = host_fs_prober_start(fs, errnum);
		if (!fs->live)
			return HOST_FS_FAILED;
	}
	struct timespec until = {
		.tv_sec = (time_t)(deadline_ms / 1000),
		.tv_nsec = (long)(deadline_ms % 1000) * 1000000L,
	};
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec))
		return HOST_FS_TIMEOUT;

	struct host_fs_prober *p = fs->live;
	pthread_mutex_lock(&p->lock);
	free(p->path);
	p->path = xstrdup(path);
	p->done = 0;
	p->pending = 1;
	pthread_cond_broadcast(&p->cond);
	while (!p->done) {
		if (pthread_cond_timedwait(&p->cond, &p->lock, &until) == ETIMEDOUT && !p->done)
			break;
	}
	if (!p->done) {
		p->abandoned = 1;
		pthread_mutex_unlock(&p->lock);
		host_fs_abandon(fs, path);
		return HOST_FS_TIMEOUT;
	}
	int rc = p->rc;
	*errnum = p->errnum;
	*out = p->st;
	pthread_mutex_unlock(&p->lock);
	return rc == 0 ? HOST_FS_OK : HOST_FS_FAILED;
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
