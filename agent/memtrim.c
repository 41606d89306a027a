/*
 * memtrim.c -- the trim policy (see memtrim.h): a low mark of the free
 * heap after collections, and a trim when the free memory grows well past
 * it.  Called by every worker after each collection, under the
 * scheduler's lock; pure arithmetic, no allocation.
 *
 * Why a low mark: the free memory right after a steady cycle is what the
 * cycles keep reusing (their transient memory), resident and cheap to
 * keep.  It moves a little with what other workers hold at that moment;
 * the slack absorbs that.  A cycle that leaves much more free than the
 * quietest one since the last trim freed memory the others do not need:
 * that is worth a trim, once, after which the mark starts from there.
 * mallinfo2's fordblks still counts the trimmed pages as free (they stay
 * in the free lists, only unbacked), so it does not fall after a trim,
 * and the mark stays put until memory is used and freed again.
 *
 * Why a sweep as well: free memory the cycles do not reuse (holes between
 * blocks that live on, the free memory of a spike within the slack) stays
 * resident without ever moving the mark.  A sweep gives back what is free
 * then; the pages the cycles do reuse fault back in once, a cost shared by
 * the collections since the last trim: hence a sweep after
 * MEMTRIM_SWEEP_CYCLES of them (every 12.5 s for 40 targets every 5 s),
 * else once a minute (bench/targets, 20 PostgreSQL + 20 Redis targets:
 * 10 MiB of free heap resident without the sweep, 5 MiB with one a
 * minute, 2-3 MiB with one every 12.5 s; bench/postgres, one target every
 * second: 3 faults a cycle with one a minute, 63 with one every 10 s).
 */
#include "autoconfig.h"
#include "memtrim.h"
#include "banned.h"

/* A trim is due now: the state counts from here. */
static int trimmed(struct memtrim *t, size_t free_bytes, int64_t now_ms)
{
	t->low = free_bytes;
	t->last_ms = now_ms;
	t->cycles = 0;
	return 1;
}

int memtrim_due(struct memtrim *t, size_t free_bytes, size_t used_bytes, int64_t now_ms)
{
	size_t slack = used_bytes / 4 > MEMTRIM_SLACK_MIN ? used_bytes / 4 : MEMTRIM_SLACK_MIN;
	if (!t->started) {
		t->low = free_bytes;
		t->last_ms = now_ms;
		t->started = 1;
		return 0;
	}
	t->cycles++;
	int64_t since = now_ms - t->last_ms;
	int sweep = since >= MEMTRIM_SWEEP_MS ||
		    (since >= MEMTRIM_SWEEP_MIN_MS && t->cycles >= MEMTRIM_SWEEP_CYCLES);
	if (free_bytes > MEMTRIM_SWEEP_MIN && sweep)
		return trimmed(t, free_bytes, now_ms);
	if (free_bytes < t->low) {
		t->low = free_bytes;
		return 0;
	}
	if (free_bytes - t->low <= slack)
		return 0;
	return trimmed(t, free_bytes, now_ms);
}
