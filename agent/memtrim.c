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
 * resident without ever moving the mark.  Once a minute a trim gives back
 * what is free then; the pages the cycles do reuse fault back in once
 * (bench/targets, 20 PostgreSQL + 20 Redis targets: 10 MiB of free heap
 * resident without the sweep).
 */
#include "autoconfig.h"
#include "memtrim.h"
#include "banned.h"

int memtrim_due(struct memtrim *t, size_t free_bytes, size_t used_bytes, int64_t now_ms)
{
	size_t slack = used_bytes / 4 > MEMTRIM_SLACK_MIN ? used_bytes / 4 : MEMTRIM_SLACK_MIN;
	if (!t->started) {
		t->low = free_bytes;
		t->last_ms = now_ms;
		t->started = 1;
		return 0;
	}
	if (free_bytes > MEMTRIM_SWEEP_MIN && now_ms - t->last_ms >= MEMTRIM_SWEEP_MS) {
		t->low = free_bytes;
		t->last_ms = now_ms;
		return 1;
	}
	if (free_bytes < t->low) {
		t->low = free_bytes;
		return 0;
	}
	if (free_bytes - t->low <= slack)
		return 0;
	t->low = free_bytes;
	t->last_ms = now_ms;
	return 1;
}
