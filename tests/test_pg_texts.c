/*
 * test_pg_texts.c -- the statement text cache and the budget of text reads
 * (collectors/pg_texts.c) without a server: a statement wanted in one
 * cycle is asked for by the next read and has its text after it; texts
 * PostgreSQL has not (evicted, reset, no privilege) say why and are asked
 * again only now and then, alongside others; the read's count and the
 * cache's bytes and entries are bounded; texts are cleaned and cut, and
 * shared with the views that show them rather than copied; and
 * the budget keeps what reads with texts cost within PG_TEXT_BUDGET of the
 * cycles on average while letting a burst of new statements through at
 * once.  tests/integration/dba.sh checks the same against PostgreSQL 15.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dbview.h"
#include "pg_texts.h"

#define MiB ((size_t)1 << 20)

static void test_want_fetch_put(void **state)
{
	(void)state;
	struct pg_texts *t = pg_texts_new(MiB, 100, 800);
	int64_t ids[8];
	size_t pending;

	assert_null(pg_texts_find(t, 42));
	assert_string_equal(pg_texts_missing(NULL), "text not fetched yet");
	/* cycle 1: 42 enters a view without a text */
	struct pg_text *e = pg_texts_want(t, 42, 1);
	assert_int_equal(e->state, PG_TEXT_PENDING);
	assert_string_equal(pg_texts_missing(e), "text not fetched yet");
	pg_texts_want(t, -7, 1);
	pg_texts_want(t, 42, 1); /* once */
	assert_int_equal(pg_texts_to_fetch(t, 1, 0, 60000, ids, 8, &pending), 2);
	assert_int_equal(pending, 2);
	/* not wanted in cycle 2 any more: not asked */
	assert_int_equal(pg_texts_to_fetch(t, 2, 0, 60000, ids, 8, &pending), 0);
	assert_int_equal(pending, 0);

	/* cycle 2's read brings 42's text; -7 came without one */
	assert_int_equal(pg_texts_to_fetch(t, 1, 0, 60000, ids, 8, &pending), 2);
	assert_int_equal(pg_texts_put(t, 42, "SELECT $1", 2), 0);
	pg_texts_fetched(t, ids, 2, 5000);
	e = pg_texts_find(t, 42);
	assert_int_equal(e->state, PG_TEXT_OK);
	assert_string_equal(e->text, "SELECT $1");
	assert_null(pg_texts_missing(e));
	e = pg_texts_find(t, -7);
	assert_int_equal(e->state, PG_TEXT_DROPPED);
	assert_null(e->text);
	assert_string_equal(pg_texts_missing(e), "text dropped by pg_stat_statements");

	/* a text once had is never asked again; one PostgreSQL had not is asked
	 * again a minute later, and only alongside a pending one */
	pg_texts_want(t, 42, 3);
	pg_texts_want(t, -7, 3);
	assert_int_equal(pg_texts_to_fetch(t, 3, 6000, 60000, ids, 8, &pending), 0);
	assert_int_equal(pg_texts_to_fetch(t, 3, 65000, 60000, ids, 8, &pending), 1);
	assert_int_equal(pending, 0); /* a retry alone is no reason to read */
	assert_true(ids[0] == -7);
	pg_texts_want(t, 9, 3);
	assert_int_equal(pg_texts_to_fetch(t, 3, 65000, 60000, ids, 8, &pending), 2);
	assert_int_equal(pending, 1);
	assert_true(ids[0] == 9 && ids[1] == -7); /* the new one first */
	/* the statement came back to pg_stat_statements: its text too */
	pg_texts_put(t, -7, "UPDATE t SET x = $1", 4);
	assert_int_equal(pg_texts_find(t, -7)->state, PG_TEXT_OK);
	pg_texts_free(t);
	pg_texts_free(NULL);
}

static void test_no_privilege(void **state)
{
	(void)state;
	struct pg_texts *t = pg_texts_new(MiB, 100, 800);
	int64_t id = 5;
	pg_texts_want(t, id, 1);
	pg_texts_put(t, id, "<insufficient privilege>", 2);
	pg_texts_fetched(t, &id, 1, 100);
	struct pg_text *e = pg_texts_find(t, id);
	assert_int_equal(e->state, PG_TEXT_NO_PRIVILEGE);
	assert_null(e->text);
	assert_string_equal(pg_texts_missing(e), "no privilege");
	assert_int_equal(e->checked_ms, 100);
	size_t n, bytes;
	pg_texts_usage(t, &n, &bytes);
	assert_int_equal(bytes, 0);
	pg_texts_free(t);
}

static void test_fetch_bounded(void **state)
{
	(void)state;
	struct pg_texts *t = pg_texts_new(MiB, 10000, 800);
	int64_t ids[100];
	size_t pending;
	for (int64_t i = 0; i < 250; i++)
		pg_texts_want(t, i * 1000003, 7);
	assert_int_equal(pg_texts_to_fetch(t, 7, 0, 60000, ids, 100, &pending), 100);
	assert_int_equal(pending, 250);
	/* what one read brought leaves the rest for the next */
	for (size_t i = 0; i < 100; i++)
		pg_texts_put(t, ids[i], "SELECT 1", 8);
	pg_texts_fetched(t, ids, 100, 0);
	for (int64_t i = 0; i < 250; i++)
		pg_texts_want(t, i * 1000003, 8);
	assert_int_equal(pg_texts_to_fetch(t, 8, 0, 60000, ids, 100, &pending), 100);
	assert_int_equal(pending, 150);
	pg_texts_free(t);
}

static void test_clean_and_cut(void **state)
{
	(void)state;
	struct pg_texts *t = pg_texts_new(MiB, 100, 16);
	assert_int_equal(pg_texts_put(t, 1, "SELECT \xff$1", 1), 0);
	assert_string_equal(pg_texts_find(t, 1)->text, "SELECT \xef\xbf\xbd$1");
	assert_int_equal(pg_texts_put(t, 2, "SELECT a, b, c, d FROM t", 1), 1);
	const char *cut = pg_texts_find(t, 2)->text;
	assert_true(strlen(cut) <= 16 + 3);
	assert_memory_equal(cut, "SELECT a, b, c", 14);
	pg_texts_free(t);
}

static void test_trim(void **state)
{
	(void)state;
	/* 10 entries at most */
	struct pg_texts *t = pg_texts_new(MiB, 10, 800);
	for (int64_t i = 0; i < 15; i++) {
		pg_texts_want(t, i, (uint64_t)i + 1);
		pg_texts_put(t, i, "SELECT 1", (uint64_t)i + 1);
	}
	pg_texts_want(t, 0, 100); /* wanted again: kept */
	assert_int_equal(pg_texts_trim(t), 5);
	size_t n, bytes;
	pg_texts_usage(t, &n, &bytes);
	assert_int_equal(n, 10);
	assert_int_equal(bytes, 10 * strlen("SELECT 1") + 10);
	assert_non_null(pg_texts_find(t, 0));
	for (int64_t i = 1; i <= 5; i++)
		assert_null(pg_texts_find(t, i)); /* the least recently wanted */
	for (int64_t i = 6; i < 15; i++) {
		struct pg_text *e = pg_texts_find(t, i);
		assert_non_null(e);
		assert_true(pg_texts_index(t, e) < n);
	}
	pg_texts_free(t);

	/* 64 bytes at most */
	t = pg_texts_new(64, 100, 800);
	for (int64_t i = 0; i < 10; i++)
		pg_texts_put(t, i, "0123456789abcdef", (uint64_t)i); /* 17 bytes each */
	assert_int_equal(pg_texts_trim(t), 7);
	pg_texts_usage(t, &n, &bytes);
	assert_true(bytes <= 64);
	assert_int_equal(pg_texts_trim(t), 0);
	pg_texts_free(t);
}

/* A statement entering a view in cycle k has its text in cycle k + 1 when
 * the budget allows, and the read that brings it is the counters' own. */
static void test_second_cycle(void **state)
{
	(void)state;
	struct pg_texts *t = pg_texts_new(MiB, 1000, 800);
	struct pg_text_budget b = { 0 };
	int64_t ids[16];
	size_t pending = 0, n = 0;
	for (uint64_t cycle = 1; cycle <= 50; cycle++) {
		/* the read of this cycle: with the texts of last cycle's new ones */
		int allow = pg_text_budget_allow(&b, 14.0);
		int with = pending > 0 && allow;
		for (size_t i = 0; with && i < n; i++)
			pg_texts_put(t, ids[i], "SELECT 1", cycle);
		if (with)
			pg_texts_fetched(t, ids, n, 0);
		/* a read with texts costs 1 ms more than one without (4 ms) */
		pg_text_budget_spend(&b, with ? 5.0 : 4.0, with);
		/* every cycle a new statement shape, plus the older ones */
		for (uint64_t k = 1; k <= cycle; k++) {
			struct pg_text *e = pg_texts_want(t, (int64_t)k, cycle);
			if (k < cycle)
				assert_int_equal(e->state, PG_TEXT_OK); /* from its second cycle on */
		}
		n = pg_texts_to_fetch(t, cycle, 0, 60000, ids, 16, &pending);
		assert_int_equal(pending, 1);
	}
	pg_texts_free(t);
}

/* The budget: over a long run, what reads with texts cost more is at most
 * PG_TEXT_BUDGET of the cycles' cost (plus the saved-up allowance), and a
 * burst after a quiet time is served at once. */
static void test_budget(void **state)
{
	(void)state;
	static const double extras[] = { 0.5, 2, 5, 20, 80 }; /* ms, for cycles of 10 + 4 ms */
	for (size_t k = 0; k < sizeof(extras) / sizeof(extras[0]); k++) {
		struct pg_text_budget b = { 0 };
		double base = 0, spent = 0;
		int reads = 0;
		/* the first cycle wants no text yet: its read measures a plain one */
		pg_text_budget_allow(&b, 14.0);
		pg_text_budget_spend(&b, 4.0, 0);
		for (int cycle = 0; cycle < 2000; cycle++) {
			/* every cycle wants texts (a steady stream of new statements) */
			int with = pg_text_budget_allow(&b, 14.0);
			double read = 4.0 + (with ? extras[k] : 0);
			pg_text_budget_spend(&b, read, with);
			base += 10.0 + 4.0;
			spent += with ? extras[k] : 0;
			reads += with;
		}
		print_message("# extra %.1f ms: %d reads with texts of 2000, %.3f of the cost\n", extras[k],
			      reads, spent / base);
		assert_true(spent <= PG_TEXT_BUDGET * base + PG_TEXT_SAVE_CYCLES * PG_TEXT_BUDGET * 14 +
					     extras[k]);
		if (extras[k] <= PG_TEXT_BUDGET * 14)
			assert_true(reads >= 1990); /* cheap enough: every cycle */
		else { /* dearer: as often as the budget pays for, in whole cycles, never starved */
			double share = PG_TEXT_BUDGET * 14;
			int every = (int)(extras[k] / share);
			every += every * share < extras[k];
			assert_true(reads >= 2000 / every - 2);
		}
	}

	/* a start, every cycle wanting texts: the first read at once, before
	 * a plain one is measured, then none until one is, then as the budget
	 * allows: never a run of cycles without texts while it learns */
	{
		struct pg_text_budget b = { 0 };
		int with[6];
		for (int cycle = 0; cycle < 6; cycle++) {
			with[cycle] = pg_text_budget_allow(&b, 10.0 + b.plain_ms);
			pg_text_budget_spend(&b, 4.0 + (with[cycle] ? 1.0 : 0), with[cycle]);
		}
		print_message("# a start: reads with texts %d %d %d %d %d %d\n", with[0], with[1], with[2],
			      with[3], with[4], with[5]);
		assert_true(with[0] && !with[1] && with[2]);
		assert_true(with[3] || with[4]);
	}

	/* a loaded machine: now and then a read is timed 50 ms slower than it
	 * costs (with texts or without); the texts still come every cycle
	 * when they are cheap: what is spent is the estimate, the least of
	 * the recent timings, not the delay */
	{
		struct pg_text_budget b = { 0 };
		pg_text_budget_allow(&b, 14.0);
		pg_text_budget_spend(&b, 4.0, 0);
		int without = 0;
		for (int cycle = 0; cycle < 300; cycle++) {
			int with = pg_text_budget_allow(&b, 14.0);
			double delay = cycle % 37 == 5 || cycle % 53 == 9 ? 50.0 : 0;
			pg_text_budget_spend(&b, 4.0 + (with ? 0.5 : 0) + delay, with);
			without += cycle > 2 && !with;
		}
		print_message("# a loaded machine: %d of 300 cycles without texts\n", without);
		assert_int_equal(without, 0);
	}

	/* quiet for a while, then a burst: several reads with texts in a row */
	struct pg_text_budget b = { 0 };
	pg_text_budget_allow(&b, 14.0);
	pg_text_budget_spend(&b, 4.0, 0);
	assert_true(pg_text_budget_allow(&b, 14.0)); /* the first, not measured yet */
	pg_text_budget_spend(&b, 4.0 + 5.0, 1);      /* costs 5 ms more */
	for (int i = 0; i < 50; i++) {
		pg_text_budget_allow(&b, 14.0);
		pg_text_budget_spend(&b, 4.0, 0);
	}
	int in_a_row = 0;
	while (pg_text_budget_allow(&b, 14.0)) {
		pg_text_budget_spend(&b, 9.0, 1);
		in_a_row++;
		assert_true(in_a_row < 100);
	}
	print_message("# after a quiet time: %d reads with texts in a row\n", in_a_row);
	assert_true(in_a_row >= 2);
	/* nonsense measurements change nothing */
	double saved = b.saved_ms, plain = b.plain_ms;
	pg_text_budget_spend(&b, -1, 0);
	assert_true(b.saved_ms == saved && b.plain_ms == plain);
}

/* A view holds the cache's text rather than a copy: the text outlives
 * the entry trimmed from the cache, and goes with the last of them (the
 * suite's ASan build sees a leak or a use after free); shared texts are
 * cleaned and cut as view_strndup() does. */
static void test_texts_shared_with_views(void **state)
{
	(void)state;
	struct pg_texts *t = pg_texts_new(1 << 20, 1, 800);
	struct view_arena a1 = { 0 }, a2 = { 0 };
	assert_int_equal(pg_texts_put(t, 1, "SELECT 1", 1), 0);
	const char *text = pg_texts_find(t, 1)->text;
	assert_ptr_equal(view_hold(&a1, text), text);
	assert_ptr_equal(view_hold(&a2, text), text);
	assert_int_equal(pg_texts_put(t, 2, "SELECT 2", 2), 0);
	assert_int_equal(pg_texts_trim(t), 1); /* 1 goes: one entry at most */
	assert_null(pg_texts_find(t, 1));
	view_arena_free(&a1);
	assert_string_equal(text, "SELECT 1");
	view_arena_free(&a2);
	pg_texts_free(t);

	static const struct { const char *in; size_t n, max; } cases[] = {
		{ "plain", 5, 100 }, { "bad \xff byte", 10, 100 }, { "cut here please", 15, 8 },
		{ "nul\0inside", 10, 100 }, { "", 0, 10 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct view_arena a = { 0 };
		const char *shared = view_text_new(cases[i].in, cases[i].n, cases[i].max);
		const char *copy = view_strndup(&a, cases[i].in, cases[i].n, cases[i].max);
		assert_string_equal(shared, copy);
		view_text_unref(shared);
		view_arena_free(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_want_fetch_put),
		cmocka_unit_test(test_texts_shared_with_views),
		cmocka_unit_test(test_no_privilege),
		cmocka_unit_test(test_fetch_bounded),
		cmocka_unit_test(test_clean_and_cut),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_second_cycle),
		cmocka_unit_test(test_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
