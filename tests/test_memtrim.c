/*
 * test_memtrim.c -- the heap trim policy (agent/memtrim.c): steady cycles
 * never trim, whatever their free memory; a cycle that frees far more
 * than the quietest one since the last trim trims once; free memory that
 * stays high after that does not trim again; the slack grows with the
 * memory in use; and a sweep trims what is free once a minute, or after
 * MEMTRIM_SWEEP_CYCLES collections but not within MEMTRIM_SWEEP_MIN_MS.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "memtrim.h"

#define MiB ((size_t)1 << 20)

static void test_steady_sweeps_once_a_minute(void **state)
{
	(void)state;
	struct memtrim t = { 0 };
	/* 3 MiB free after each cycle, give or take a MiB, a cycle a second:
	 * what the cycles reuse, trimmed by the sweep only */
	int trims = 0;
	for (int i = 0; i < 1000; i++)
		trims += memtrim_due(&t, 3 * MiB + (size_t)(i % 3) * MiB / 2, 8 * MiB, i * 1000);
	assert_int_equal(trims, 999 / (MEMTRIM_SWEEP_MS / 1000));
	/* 40 targets every 5 s, 8 collections a second: a sweep every
	 * MEMTRIM_SWEEP_CYCLES of them, 12.5 s */
	struct memtrim many = { 0 };
	trims = 0;
	for (int i = 0; i < 8000; i++)
		trims += memtrim_due(&many, 3 * MiB, 20 * MiB, i * 125);
	assert_int_equal(trims, 7999 / MEMTRIM_SWEEP_CYCLES);
	/* 100 targets every second: not more often than every 10 s */
	struct memtrim busy = { 0 };
	trims = 0;
	for (int i = 0; i < 100000; i++)
		trims += memtrim_due(&busy, 3 * MiB, 50 * MiB, i * 10);
	assert_int_equal(trims, 99999 / (MEMTRIM_SWEEP_MIN_MS / 10));
	/* under a MiB free: no sweep */
	struct memtrim u = { 0 };
	for (int i = 0; i < 1000; i++)
		assert_int_equal(memtrim_due(&u, MiB / 2, 8 * MiB, i * 1000), 0);
}

static void test_spike_trims_once(void **state)
{
	(void)state;
	struct memtrim t = { 0 };
	int64_t now = 0;
	assert_int_equal(memtrim_due(&t, 2 * MiB, 8 * MiB, now += 100), 0);
	assert_int_equal(memtrim_due(&t, 2 * MiB, 8 * MiB, now += 100), 0);
	/* a large result came and went: 40 MiB free */
	assert_int_equal(memtrim_due(&t, 42 * MiB, 8 * MiB, now += 100), 1);
	/* the trimmed pages still count as free: no second trim */
	for (int i = 0; i < 50; i++)
		assert_int_equal(memtrim_due(&t, 42 * MiB, 8 * MiB, now += 100), 0);
	/* most of it used again, then freed again: trimmed once more */
	assert_int_equal(memtrim_due(&t, 5 * MiB, 45 * MiB, now += 100), 0);
	assert_int_equal(memtrim_due(&t, 42 * MiB, 8 * MiB, now += 100), 1);
	/* a minute after that trim (fewer than MEMTRIM_SWEEP_CYCLES
	 * collections), the sweep */
	assert_int_equal(memtrim_due(&t, 42 * MiB, 8 * MiB, now + MEMTRIM_SWEEP_MS - 1), 0);
	assert_int_equal(memtrim_due(&t, 42 * MiB, 8 * MiB, now + MEMTRIM_SWEEP_MS), 1);
}

static void test_slack(void **state)
{
	(void)state;
	struct memtrim t = { 0 };
	assert_int_equal(memtrim_due(&t, 1 * MiB, 1 * MiB, 0), 0);
	/* just the minimum slack: no trim; past it: a trim */
	assert_int_equal(memtrim_due(&t, 1 * MiB + MEMTRIM_SLACK_MIN, 1 * MiB, 1), 0);
	assert_int_equal(memtrim_due(&t, 2 * MiB + MEMTRIM_SLACK_MIN, 1 * MiB, 2), 1);
	/* with 100 MiB in use (40 targets), 20 MiB more free is within the slack */
	struct memtrim u = { 0 };
	assert_int_equal(memtrim_due(&u, 10 * MiB, 100 * MiB, 0), 0);
	assert_int_equal(memtrim_due(&u, 30 * MiB, 100 * MiB, 1), 0);
	assert_int_equal(memtrim_due(&u, 40 * MiB, 100 * MiB, 2), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_sweeps_once_a_minute),
		cmocka_unit_test(test_spike_trims_once),
		cmocka_unit_test(test_slack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
