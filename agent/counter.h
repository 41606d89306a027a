/*
 * counter.h -- keeps counters monotonic across wraps, resets and jitter.
 *
 * Sources such as /proc/diskstats expose 32-bit fields that wrap, per-CPU
 * times that can step back a little (iowait) or restart after a CPU
 * hot-plug, and device counters that restart when a device is re-created.
 * A counter map remembers the last raw reading of each series (by a key the
 * caller builds) and returns a value that never goes backwards:
 *   - a 32-bit field that wraps keeps counting past 2^32;
 *   - a decrease up to `jitter` is held at the previous value;
 *   - a larger decrease is taken as a restart from zero, and the value goes
 *     on from where it was.
 * Series not updated between two sweeps are forgotten.  One map per
 * collector instance, used by that instance's worker thread only.
 */
#ifndef DBPULSE_COUNTER_H
#define DBPULSE_COUNTER_H

#include <stddef.h>
#include <stdint.h>

struct counter_policy {
	unsigned wrap_bits;   /* 32 for fields that wrap at 2^32, else 0 */
	uint64_t jitter;      /* decreases up to this are held, not restarts */
};

struct counter_map;

struct counter_map *counter_map_new(void);
void counter_map_free(struct counter_map *m);
/* Returns the monotonic value of series `key` for its new raw reading. */
uint64_t counter_map_update(struct counter_map *m, const char *key, uint64_t raw,
			    const struct counter_policy *policy);
/* Counts the series whose key starts with prefix as updated: a source that
 * could not be read this time keeps its series through the next sweep. */
void counter_map_keep(struct counter_map *m, const char *prefix);
/* Forgets the series that were not updated since the previous sweep. */
void counter_map_sweep(struct counter_map *m);
size_t counter_map_size(const struct counter_map *m);

#endif
