/*
 * prober.c -- calls with a deadline on an abandonable helper thread (see
 * prober.h).
 *
 * A prober is reference-counted: one reference for its thread, one for
 * its caller.  Its mutex guards everything in it; one condition variable
 * (on CLOCK_MONOTONIC, so that the deadline is the collector's clock)
 * carries both "a job is posted" and "the job is done".  The job is used
 * by the thread without the lock, which is safe because the caller only
 * posts one when none is in flight and never touches a job it left with
 * an abandoned prober.  A prober in use has a joinable thread, joined by
 * prober_free(); an abandoned one is detached, frees its job when the
 * call returns and drops its reference, freeing the prober if the caller
 * has let go of it already.
 */
#include "autoconfig.h"
#include "prober.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include "banned.h"

#define PROBER_STACK_SIZE ((size_t)128 << 10)

struct prober {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int refs;
	void (*fn)(void *job);
	void *job;
	void (*job_free)(void *job);
	int pending;         /* a job waits for the thread */
	int done;            /* the last job is done */
	int abandoned;       /* the caller gave up: free the job, exit after this call */
	int quit;            /* prober_free: exit now (only while idle) */
	int exited;          /* the thread has let go of its reference */
};

static void prober_destroy(struct prober *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Drops one reference, under the lock held; the last one frees p. */
static void prober_unref_locked(struct prober *p)
{
	int last = --p->refs == 0;
	pthread_mutex_unlock(&p->lock);
	if (last)
		prober_destroy(p);
}

static void *prober_main(void *arg)
{
	struct prober *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->pending && !p->quit)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->quit)
			break;
		p->pending = 0;
		void (*fn)(void *) = p->fn;
		void *job = p->job;
		pthread_mutex_unlock(&p->lock);

		fn(job);

		pthread_mutex_lock(&p->lock);
		p->done = 1;
		pthread_cond_broadcast(&p->cond);
		if (p->abandoned) {
			p->job_free(p->job);
			p->job = NULL;
			break;
		}
	}
	p->exited = 1;
	prober_unref_locked(p);
	return NULL;
}

struct prober *prober_start(int *errnum)
{
	struct prober *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	sigset_t all, old;

	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	p->refs = 2; /* the thread's and the caller's */

	pthread_attr_init(&ta);
	long stack_min = PTHREAD_STACK_MIN;
	size_t stack = PROBER_STACK_SIZE;
	if (stack_min > 0 && (size_t)stack_min > stack)
		stack = (size_t)stack_min;
	pthread_attr_setstacksize(&ta, stack);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&p->thread, &ta, prober_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&ta);
	if (rc != 0) {
		*errnum = rc;
		prober_destroy(p);
		return NULL;
	}
	return p;
}

enum prober_status prober_call(struct prober *p, void (*fn)(void *job), void *job,
			       void (*job_free)(void *job), int64_t deadline_ms)
{
	struct timespec until = {
		.tv_sec = (time_t)(deadline_ms / 1000),
		.tv_nsec = (long)(deadline_ms % 1000) * 1000000L,
	};
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec))
		return PROBER_LATE;

	pthread_mutex_lock(&p->lock);
	p->fn = fn;
	p->job = job;
	p->job_free = job_free;
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
		pthread_detach(p->thread);
		return PROBER_TIMEOUT;
	}
	p->job = NULL;
	pthread_mutex_unlock(&p->lock);
	return PROBER_DONE;
}

int prober_returned(struct prober *p)
{
	pthread_mutex_lock(&p->lock);
	int back = p->exited;
	pthread_mutex_unlock(&p->lock);
	return back;
}

void prober_free(struct prober *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (!p->abandoned) {
		p->quit = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		pthread_mutex_lock(&p->lock);
	}
	prober_unref_locked(p);
}
