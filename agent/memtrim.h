/*
 * memtrim.h -- when the agent gives free heap memory back to the system.
 *
 * glibc keeps what a program frees for its next allocations; malloc_trim()
 * hands the free pages back (madvise), and the next allocation that lands
 * on them faults them in again, one page fault each, with a TLB shootdown
 * across the process's threads.  Trimming after every collection made a
 * steady agent give back and fault in the same megabytes each cycle.  So
 * the scheduler asks memtrim_due() after each collection, and trims only
 * when the free memory grew well past what the cycles since the last trim
 * left free at their lowest: memory taken for something out of the
 * ordinary (a large result, a burst of new statements, a reload) that the
 * next cycles would not reuse; and a sweep, for what is free and resident
 * without the cycles coming back to it.  A steady state trims only by the
 * sweep: its cycles then fault in again the pages they reuse, once per
 * sweep, so the sweep comes once MEMTRIM_SWEEP_CYCLES collections have
 * shared that cost (and not within MEMTRIM_SWEEP_MIN_MS), or once a
 * minute when collections are fewer.  One target collecting every second
 * sweeps once a minute; 40 targets every 5 s, every 12.5 s.
 */
#ifndef DBPULSE_MEMTRIM_H
#define DBPULSE_MEMTRIM_H

#include <stddef.h>
#include <stdint.h>

/* Growth of the free memory, past the low mark, that makes a trim: at
 * least this much, and at least a quarter of the memory in use (the
 * transient memory of many targets' cycles grows with them). */
#define MEMTRIM_SLACK_MIN ((size_t)4 << 20)
/* The sweep, when at least MEMTRIM_SWEEP_MIN is free: after
 * MEMTRIM_SWEEP_CYCLES collections since the last trim but not within
 * MEMTRIM_SWEEP_MIN_MS of it, and MEMTRIM_SWEEP_MS after it at the latest. */
#define MEMTRIM_SWEEP_MS 60000
#define MEMTRIM_SWEEP_MIN_MS 10000
#define MEMTRIM_SWEEP_CYCLES 100
#define MEMTRIM_SWEEP_MIN ((size_t)1 << 20)

/* The policy's state: one per heap, i.e. per process.  Zero it to start. */
struct memtrim {
	size_t low;            /* the lowest free bytes seen since the last trim */
	int64_t last_ms;       /* the last trim (or the first call) */
	unsigned cycles;       /* collections since then */
	int started;           /* low and last_ms are set */
};

/* After a collection: free_bytes and used_bytes as mallinfo2() counts them
 * (fordblks, uordblks), at now_ms on a monotonic clock.  Returns 1 when the
 * caller should trim now (the
 * state then counts from free_bytes: a trim leaves the free bytes as they
 * are, only their pages go), else 0.  Not thread-safe: callers that share
 * the state hold a lock. */
int memtrim_due(struct memtrim *t, size_t free_bytes, size_t used_bytes, int64_t now_ms);

#endif
