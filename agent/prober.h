/*
 * prober.h -- a call that may block forever, made with a deadline: on a
 * persistent helper thread that is abandoned, not killed, when the call
 * does not return in time.
 *
 * A stuck network mount (NFS, CIFS, FUSE) blocks statvfs, opendir, stat or
 * open for as long as the server is away, and a FIFO blocks open until a
 * writer comes; none of that may hang a collection, nor leak a thread per
 * collection (node_exporter #244, #868).  A prober is one thread taking one
 * job at a time.  The caller posts a job (prober_call) and waits until its
 * deadline.  When the job is done in time the caller has it back, results
 * in it.  When not, the prober is abandoned: it keeps the job, frees it
 * with the job's free function once the call returns, and its thread ends
 * then.  The caller keeps its reference, to tell when that happened
 * (prober_returned), until it lets go (prober_free).  Probers block every
 * signal and have a small stack.
 *
 * A prober belongs to one thread of the caller's (a collector's worker),
 * which alone calls these functions on it.
 */
#ifndef DBPULSE_PROBER_H
#define DBPULSE_PROBER_H

#include <stdint.h>

struct prober;

/* Starts a prober thread; NULL with *errnum set when none could start. */
struct prober *prober_start(int *errnum);

enum prober_status {
	PROBER_DONE,     /* fn(job) returned in time: job is the caller's again */
	PROBER_TIMEOUT,  /* not in time: the prober is abandoned and owns job */
	PROBER_LATE,     /* the deadline had passed: nothing ran, job is the caller's */
};

/* Runs fn(job) on p's thread and waits for it until deadline_ms
 * (monotonic, now_mono_ms()).  job_free frees a job left with an
 * abandoned prober.  p must not be abandoned. */
enum prober_status prober_call(struct prober *p, void (*fn)(void *job), void *job,
			       void (*job_free)(void *job), int64_t deadline_ms);

/* Whether an abandoned prober's call has returned (its thread is gone). */
int prober_returned(struct prober *p);

/* Lets go of p: a prober in use is stopped and its thread joined; an
 * abandoned one frees itself when its call returns (at once if it has).
 * NULL is allowed. */
void prober_free(struct prober *p);

#endif
