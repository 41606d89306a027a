/*
 * scheduler.h -- one worker thread per enabled target.
 *
 * A worker owns its collector instance, wakes at its interval, collects
 * with a deadline (the target's timeout), adds its self-metrics, renders
 * the batch once and publishes it into its store slot.  One thread per
 * target means a target is never collected twice at once: a cycle that
 * overruns its interval makes the missed ticks skipped and counted.  A
 * failed cycle is retried sooner (1 s, 2 s, 4 s ... up to the interval) so
 * that a recovery shows quickly, and never stops the other targets.
 */
#ifndef DBPULSE_SCHEDULER_H
#define DBPULSE_SCHEDULER_H

#include <stdint.h>

struct batch;
struct config;
struct store;
struct scheduler;

struct scheduler *scheduler_new(struct store *store);
/* Called on the worker's thread after each collection was published, with
 * the batch and whether the collection succeeded (the alert engine). */
typedef void (*scheduler_observer_fn)(void *ctx, const char *target, const struct batch *b,
				      int up);
/* Sets the observer; before the first scheduler_apply(). */
void scheduler_set_observer(struct scheduler *s, scheduler_observer_fn fn, void *ctx);
/* Makes the running workers match cfg's enabled targets: a target whose
 * section is unchanged keeps running untouched; changed and removed ones
 * are stopped (their metrics leave the store at once); new ones start. */
void scheduler_apply(struct scheduler *s, struct config *cfg);
/* Asks every worker to stop and waits up to timeout_ms for them.  Returns
 * 0 when all finished (the scheduler may then be freed), -1 otherwise. */
int scheduler_stop(struct scheduler *s, int64_t timeout_ms);
void scheduler_free(struct scheduler *s);
/* The number of running workers. */
unsigned scheduler_count(struct scheduler *s);

/* Where in its interval a target of that kind and name collects: its
 * first collection runs at once, its second this many milliseconds later,
 * in (0, interval_ms]; then one every interval. */
int64_t scheduler_phase_ms(const char *kind, const char *name, int64_t interval_ms);

/* Collects every enabled target of cfg once, in the calling thread,
 * publishing into store.  Returns the number of targets that failed. */
int scheduler_run_once(const struct config *cfg, struct store *store);

#endif
