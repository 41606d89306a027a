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
 */
#include "autoconfig.h"
#include "memtrim.h"
#include "banned.h"

int memtrim_due(struct memtrim *t, size_t free_bytes, size_t used_bytes)
{
	size_t slack = used_bytes / 4 > MEMTRIM_SLACK_MIN ? used_bytes / 4 : MEMTRIM_SLACK_MIN;
	if (!t->started || free_bytes < t->low) {
		t->low = free_bytes;
		t->started = 1;
		return 0;
	}
	if (free_bytes - t->low <= slack)
		return 0;
	t->low = free_bytes;
	return 1;
}
