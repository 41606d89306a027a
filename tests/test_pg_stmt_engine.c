/*
 * test_pg_stmt_engine.c -- the statement engine on synthetic snapshots of
 * pg_stat_statements over simulated time: toplevel duplicates summed,
 * exact deltas, baselines, resets, counters going backwards, eviction and
 * re-insertion, top N + other with exact sums, monotonic series under
 * membership churn (randomized, fixed seed), the agent's own statements
 * kept apart, windows forgetting as time
 * passes, bounded memory, the table cap, the packed sparse buckets
 * against a dense model (randomized), and the cost of one observe.
 */
#include "autoconfig.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "pg_stmt_buckets.h"
#include "pg_own.h"
#include "pg_stmt_engine.h"

#define NF PGSS_NFIELDS
#define SEC 1000
#define MIN (60 * SEC)
#define T0 1000007       /* an unaligned monotonic start */

static const int64_t default_windows[] = { 1 * MIN, 5 * MIN, 60 * MIN };

static struct pgss *engine(size_t top_n, size_t max_statements)
{
	struct pgss_options o = {
		.top_n = top_n, .windows_ms = default_windows, .nwindows = 3,
		.interval_ms = 15 * SEC, .max_statements = max_statements,
	};
	return pgss_new(&o);
}

static struct pgss_key key_of(size_t i)
{
	/* spread over databases and users, negative query ids included */
	struct pgss_key k = { (uint32_t)(1 + i % 3), (uint32_t)(10 + i % 5),
			      (int64_t)((uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull) };
	return k;
}

static int same_key(const struct pgss_key *a, const struct pgss_key *b)
{
	return a->dbid == b->dbid && a->userid == b->userid && a->queryid == b->queryid;
}

static int is_key(const struct pgss_key *a, size_t i)
{
	struct pgss_key k = key_of(i);
	return same_key(a, &k);
}

static struct pgss_row row_of(size_t i, double calls, double exec)
{
	struct pgss_row r;
	memset(&r, 0, sizeof(r));
	r.key = key_of(i);
	r.v[PGSS_CALLS] = calls;
	r.v[PGSS_EXEC_MS] = exec;
	r.v[PGSS_ROWS] = calls;
	r.v[PGSS_SHARED_HIT] = 3 * calls;
	r.v[PGSS_WAL_BYTES] = 100 * calls;
	return r;
}

/* Exports into a fresh array; the caller frees it.  Checks the shape:
 * other last and only there, no key twice. */
static size_t export_all(const struct pgss *p, size_t top_n, struct pgss_series **out)
{
	struct pgss_series *s = calloc(top_n + 1, sizeof(*s));
	assert_non_null(s);
	size_t n = pgss_export(p, s, top_n + 1);
	assert_true(n >= 1 && n <= top_n + 1);
	assert_int_equal(s[n - 1].other, 1);
	for (size_t i = 0; i + 1 < n; i++) {
		assert_int_equal(s[i].other, 0);
		for (size_t j = i + 1; j + 1 < n; j++)
			assert_false(same_key(&s[i].key, &s[j].key));
	}
	*out = s;
	return n;
}

static const struct pgss_series *find_series(const struct pgss_series *s, size_t n, size_t i)
{
	struct pgss_key k = key_of(i);
	for (size_t j = 0; j < n; j++)
		if (!s[j].other && same_key(&s[j].key, &k))
			return &s[j];
	return NULL;
}

static double series_sum(const struct pgss_series *s, size_t n, int f)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += s[i].v[f];
	return sum;
}

/* Field f of statement i summed over window w (0 when not in it); checks
 * that no window value is negative. */
static double window_value(const struct pgss *p, int64_t w, size_t i, int f, size_t *nrows)
{
	struct pgss_window_row *rows;
	size_t n = pgss_window(p, w, &rows);
	struct pgss_key k = key_of(i);
	double v = 0;
	for (size_t j = 0; j < n; j++) {
		for (int g = 0; g < NF; g++)
			assert_true(rows[j].v[g] >= 0);
		if (same_key(&rows[j].key, &k))
			v = rows[j].v[f];
	}
	if (nrows)
		*nrows = n;
	free(rows);
	return v;
}

static double window_total(const struct pgss *p, int64_t w, int f)
{
	struct pgss_window_row *rows;
	size_t n = pgss_window(p, w, &rows);
	double v = 0;
	for (size_t j = 0; j < n; j++)
		v += rows[j].v[f];
	free(rows);
	return v;
}

static void test_before_any_observe(void **state)
{
	(void)state;
	struct pgss *p = engine(10, 0);
	struct pgss_series *s;
	struct pgss_window_row *rows;
	assert_int_equal(export_all(p, 10, &s), 1);
	assert_true(s[0].v[PGSS_CALLS] == 0);
	free(s);
	assert_int_equal(pgss_window(p, MIN, &rows), 0);
	free(rows);
	pgss_free(p);
	pgss_free(NULL);
}

static void test_toplevel_duplicates_summed(void **state)
{
	(void)state;
	struct pgss *p = engine(10, 0);
	/* PG 14+: a toplevel true/false pair of one statement, plus another */
	struct pgss_row snap1[] = { row_of(0, 4, 40), row_of(1, 1, 1), row_of(0, 6, 60) };
	struct pgss_row snap2[] = { row_of(0, 5, 50), row_of(1, 1, 1), row_of(0, 9, 90) };
	struct pgss_series *s;
	struct pgss_stats st;

	pgss_observe(p, snap1, 3, T0, 0);
	size_t n = export_all(p, 10, &s);
	assert_int_equal(n, 3); /* two statements + other, never two series for key 0 */
	assert_true(find_series(s, n, 0)->v[PGSS_CALLS] == 10);
	assert_true(find_series(s, n, 0)->v[PGSS_EXEC_MS] == 100);
	free(s);

	pgss_observe(p, snap2, 3, T0 + 15 * SEC, 0);
	n = export_all(p, 10, &s);
	assert_int_equal(n, 3);
	assert_true(find_series(s, n, 0)->v[PGSS_CALLS] == 14);
	assert_true(window_value(p, MIN, 0, PGSS_CALLS, NULL) == 4);
	assert_true(window_value(p, MIN, 0, PGSS_EXEC_MS, NULL) == 40);
	free(s);
	pgss_get_stats(p, &st);
	assert_int_equal(st.statements, 2);
	assert_int_equal(st.restarted_entries, 0);
	pgss_free(p);
}

static void test_exact_deltas(void **state)
{
	(void)state;
	struct pgss *p = engine(10, 0);
	struct pgss_row r[] = { row_of(0, 1000, 5000), row_of(1, 7, 7) };
	struct pgss_series *s;

	pgss_observe(p, r, 2, T0, 0);
	size_t n = export_all(p, 10, &s);
	double before[NF];
	memcpy(before, find_series(s, n, 0)->v, sizeof(before));
	free(s);

	/* the statement is run 37 times, 2.5 ms each, 3 rows each */
	r[0].v[PGSS_CALLS] += 37;
	r[0].v[PGSS_EXEC_MS] += 37 * 2.5;
	r[0].v[PGSS_ROWS] += 111;
	pgss_observe(p, r, 2, T0 + 15 * SEC, 0);
	n = export_all(p, 10, &s);
	const struct pgss_series *a = find_series(s, n, 0);
	assert_true(a->v[PGSS_CALLS] - before[PGSS_CALLS] == 37);
	assert_true(a->v[PGSS_EXEC_MS] - before[PGSS_EXEC_MS] == 92.5);
	assert_true(a->v[PGSS_ROWS] - before[PGSS_ROWS] == 111);
	assert_true(a->v[PGSS_SHARED_HIT] == before[PGSS_SHARED_HIT]);
	free(s);
	static const int64_t windows[] = { 15 * SEC, MIN, 5 * MIN, 60 * MIN, 24 * 60 * MIN };
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		size_t nrows;
		assert_true(window_value(p, windows[i], 0, PGSS_CALLS, &nrows) == 37);
		assert_true(window_value(p, windows[i], 0, PGSS_EXEC_MS, NULL) == 92.5);
		assert_true(window_value(p, windows[i], 0, PGSS_ROWS, NULL) == 111);
		assert_int_equal(nrows, 1); /* statement 1 idle: not in any window */
	}
	pgss_free(p);
}

static void test_baseline_and_new(void **state)
{
	(void)state;
	struct pgss *p = engine(10, 0);
	struct pgss_row r[] = { row_of(0, 50, 500), row_of(1, 20, 200) };
	struct pgss_series *s;
	size_t nrows;

	/* first snapshot: baselines, nothing in the windows, all exported */
	pgss_observe(p, r, 1, T0, 0);
	assert_true(window_value(p, MIN, 0, PGSS_CALLS, &nrows) == 0);
	assert_int_equal(nrows, 0);
	size_t n = export_all(p, 10, &s);
	assert_true(find_series(s, n, 0)->v[PGSS_CALLS] == 50);
	assert_true(series_sum(s, n, PGSS_CALLS) == 50);
	free(s);

	/* statement 1 appears later: new since the previous snapshot */
	pgss_observe(p, r, 2, T0 + 15 * SEC, 0);
	assert_true(window_value(p, MIN, 1, PGSS_CALLS, &nrows) == 20);
	assert_true(window_value(p, MIN, 1, PGSS_EXEC_MS, NULL) == 200);
	assert_int_equal(nrows, 1);
	n = export_all(p, 10, &s);
	assert_true(find_series(s, n, 1)->v[PGSS_CALLS] == 20);
	assert_true(series_sum(s, n, PGSS_CALLS) == 70);
	free(s);

	/* an empty first snapshot makes every later statement new */
	struct pgss *q = engine(10, 0);
	pgss_observe(q, NULL, 0, T0, 0);
	pgss_observe(q, r, 2, T0 + 15 * SEC, 0);
	assert_true(window_total(q, MIN, PGSS_CALLS) == 70);
	pgss_free(q);
	pgss_free(p);
}

/* Statement 0 goes base -> prev -> (absent) -> cur; the last observe
 * carries the reset flag or not. */
static const struct restart_case {
	const char *name;
	double base, prev, cur;
	double cur_rows;         /* rows of the last snapshot; < 0: = cur */
	int absent_between, reset;
	double want;             /* calls delta of the last observe */
	uint64_t restarted, evicted; /* the reset flag restarts statement 1 too */
} restart_cases[] = {
	{ "plain increase", 100, 110, 147, -1, 0, 0, 37, 0, 0 },
	{ "unchanged", 100, 110, 110, -1, 0, 0, 0, 0, 0 },
	{ "reset flag, value higher", 100, 110, 150, -1, 0, 1, 150, 2, 0 },
	{ "reset flag, value lower", 100, 110, 5, -1, 0, 1, 5, 2, 0 },
	{ "backwards without the flag", 100, 110, 30, -1, 0, 0, 30, 1, 0 },
	{ "one field backwards", 100, 110, 120, 50, 0, 0, 120, 1, 0 },
	{ "evicted, re-inserted lower", 100, 110, 4, -1, 1, 0, 4, 0, 1 },
	{ "evicted, re-inserted higher", 100, 110, 500, -1, 1, 0, 500, 0, 1 },
	{ "evicted, re-inserted, reset flag", 100, 110, 3, -1, 1, 1, 3, 1, 1 },
};

static void test_restarts(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(restart_cases) / sizeof(restart_cases[0]); c++) {
		const struct restart_case *tc = &restart_cases[c];
		struct pgss *p = engine(5, 0);
		struct pgss_row r[] = { row_of(0, tc->base, 2 * tc->base), row_of(1, 1, 1) };
		struct pgss_series *s;
		struct pgss_stats st;
		int64_t t = T0;
		double last_a = 0, last_other = 0;

		print_message("# case %s\n", tc->name);
		for (int step = 0; step < 4; step++) {
			size_t nr = 2;
			int reset = 0;
			if (step == 1) {
				r[0] = row_of(0, tc->prev, 2 * tc->prev);
			} else if (step == 2) {
				if (!tc->absent_between)
					continue;
				r[0] = r[1];
				nr = 1;
			} else if (step == 3) {
				r[0] = row_of(0, tc->cur, 2 * tc->cur);
				if (tc->cur_rows >= 0)
					r[0].v[PGSS_ROWS] = tc->cur_rows;
				reset = tc->reset;
			}
			pgss_observe(p, r, nr, t, reset);
			t += 15 * SEC;
			size_t n = export_all(p, 5, &s);
			const struct pgss_series *a = find_series(s, n, 0);
			assert_non_null(a); /* top 5 of 2: always exported */
			assert_true(a->v[PGSS_CALLS] >= last_a);
			assert_true(s[n - 1].v[PGSS_CALLS] >= last_other);
			last_a = a->v[PGSS_CALLS];
			last_other = s[n - 1].v[PGSS_CALLS];
			if (step == 3) {
				double want_total = tc->base + (tc->prev - tc->base) + tc->want;
				assert_true(a->v[PGSS_CALLS] == want_total);
				assert_true(a->v[PGSS_EXEC_MS] == 2 * want_total);
				/* the last observe alone, then the whole hour */
				assert_true(window_value(p, 1, 0, PGSS_CALLS, NULL) == tc->want);
				assert_true(window_value(p, 60 * MIN, 0, PGSS_CALLS, NULL) ==
					    tc->prev - tc->base + tc->want);
			}
			free(s);
		}
		pgss_get_stats(p, &st);
		assert_int_equal(st.restarted_entries, tc->restarted);
		assert_int_equal(st.evicted, tc->evicted);
		assert_int_equal(st.resets, (uint64_t)tc->reset);
		pgss_free(p);
	}
}

/* A statement that leaves the top and comes back resumes its accumulator;
 * it is forgotten once out of the top and idle for the longest window. */
static void test_leave_return_forget(void **state)
{
	(void)state;
	static const int64_t w[] = { MIN, 5 * MIN };
	struct pgss_options o = { .top_n = 1, .windows_ms = w, .nwindows = 2,
				  .interval_ms = 15 * SEC };
	struct pgss *p = pgss_new(&o);
	struct pgss_row r[] = { row_of(0, 10, 10), row_of(1, 1, 1) };
	struct pgss_series *s;
	struct pgss_stats st;
	int64_t t = T0;
	size_t n;

	pgss_observe(p, r, 2, t, 0); /* baselines: A leads by lifetime exec */
	n = export_all(p, 1, &s);
	assert_int_equal(n, 2);
	assert_true(find_series(s, n, 0)->v[PGSS_CALLS] == 10);
	assert_true(s[1].v[PGSS_CALLS] == 1);
	free(s);

	r[1] = row_of(1, 6, 51); /* B busy: B takes the only place */
	pgss_observe(p, r, 2, t += 15 * SEC, 0);
	n = export_all(p, 1, &s);
	assert_null(find_series(s, n, 0));
	assert_true(find_series(s, n, 1)->v[PGSS_CALLS] == 5);
	assert_true(s[1].v[PGSS_CALLS] == 1);
	free(s);
	pgss_get_stats(p, &st);
	assert_true(st.unexported[PGSS_CALLS] == 10); /* A's, kept */

	r[0] = row_of(0, 13, 310); /* A busier: back with its own history */
	pgss_observe(p, r, 2, t += 15 * SEC, 0);
	n = export_all(p, 1, &s);
	assert_true(find_series(s, n, 0)->v[PGSS_CALLS] == 13);
	assert_true(s[1].v[PGSS_CALLS] == 1);
	free(s);
	pgss_get_stats(p, &st);
	assert_int_equal(st.accumulators, 2);
	assert_true(st.unexported[PGSS_CALLS] == 5);

	/* A stays busy; B idles: forgotten 5 min after its last activity */
	int64_t b_active = t - 15 * SEC;
	for (int k = 14; t - b_active <= 5 * MIN + 15 * SEC; k++) {
		double calls = k;
		r[0] = row_of(0, calls, 310 + 10 * (calls - 13));
		pgss_observe(p, r, 2, t += 15 * SEC, 0);
		pgss_get_stats(p, &st);
		assert_int_equal(st.accumulators, t - b_active > 5 * MIN ? 1 : 2);
		assert_true(st.unexported[PGSS_CALLS] == 5); /* forgotten ones count too */
	}
	pgss_free(p);
}

/* 2,000 statements, top 50: exactly 50 + other, sums equal.  Activity in
 * proportion to lifetime keeps the membership, so the point-in-time sums
 * stay exact at every observe. */
static void test_top_50_of_2000(void **state)
{
	(void)state;
	enum { N = 2000, TOP = 50 };
	struct pgss *p = engine(TOP, 0);
	struct pgss_row *r = calloc(N, sizeof(*r));
	struct pgss_series *s;
	assert_non_null(r);
	for (size_t i = 0; i < N; i++)
		r[i] = row_of(i, (double)(i + 1), 10.0 * (double)(i + 1));
	for (int step = 0; step < 6; step++) {
		double want[NF] = { 0 };
		for (size_t i = 0; step > 0 && i < N; i++) {
			r[i].v[PGSS_CALLS] += (double)(i + 1);
			r[i].v[PGSS_EXEC_MS] += 2.0 * (double)(i + 1);
		}
		for (size_t i = 0; i < N; i++)
			for (int f = 0; f < NF; f++)
				want[f] += r[i].v[f];
		pgss_observe(p, r, N, T0 + step * 15 * SEC, 0);
		size_t n = export_all(p, TOP, &s);
		assert_int_equal(n, TOP + 1);
		for (int f = 0; f < NF; f++)
			assert_true(series_sum(s, n, f) == want[f]);
		for (size_t i = 0; i < TOP; i++) /* heaviest first */
			assert_true(is_key(&s[i].key, N - 1 - i));
		free(s);
	}

	pgss_free(p);

	/* only ten statements active: they lead, the idle ones fill up to 50
	 * by lifetime exec time */
	p = engine(TOP, 0);
	pgss_observe(p, r, N, T0, 0);
	for (size_t i = 0; i < 10; i++) {
		r[i].v[PGSS_CALLS] += 1;
		r[i].v[PGSS_EXEC_MS] += 1e6 * (double)(i + 1);
	}
	pgss_observe(p, r, N, T0 + 15 * SEC, 0);
	size_t n = export_all(p, TOP, &s);
	assert_int_equal(n, TOP + 1);
	for (size_t i = 0; i < 10; i++)
		assert_true(is_key(&s[i].key, 9 - i));
	for (size_t i = 10; i < TOP; i++)
		assert_true(is_key(&s[i].key, N - 1 - (i - 10)));
	free(s);
	free(r);
	pgss_free(p);
}

/* The agent's own statements: out of the top and of other, summed in own,
 * flagged in the windows; a statement that becomes own leaves the top,
 * one that stops being own competes again with its own history. */
static void test_own_statements(void **state)
{
	(void)state;
	struct pgss *p = engine(2, 0);
	/* statement 0, the agent's, costs most; 1 and 2 are the workload's */
	struct pgss_row r[] = { row_of(0, 100, 9000), row_of(1, 10, 500), row_of(2, 5, 100),
				row_of(3, 1, 1) };
	struct pgss_series *s;
	struct pgss_stats st;
	double own[NF];
	int64_t t = T0;
	r[0].own = 1;

	pgss_observe(p, r, 4, t, 0); /* baselines: own gets 0's whole value */
	size_t n = export_all(p, 2, &s);
	assert_int_equal(n, 3);
	assert_null(find_series(s, n, 0));
	assert_non_null(find_series(s, n, 1));
	assert_non_null(find_series(s, n, 2));
	assert_true(s[2].v[PGSS_CALLS] == 1); /* other: statement 3 alone */
	pgss_own(p, own);
	assert_true(own[PGSS_CALLS] == 100 && own[PGSS_EXEC_MS] == 9000);
	free(s);

	/* activity: 0's delta to own, never to other; flagged in the windows */
	r[0].v[PGSS_CALLS] += 7;
	r[0].v[PGSS_EXEC_MS] += 70;
	r[3].v[PGSS_CALLS] += 2;
	pgss_observe(p, r, 4, t += 15 * SEC, 0);
	n = export_all(p, 2, &s);
	assert_null(find_series(s, n, 0));
	assert_true(s[n - 1].v[PGSS_CALLS] == 3);
	pgss_own(p, own);
	assert_true(own[PGSS_CALLS] == 107 && own[PGSS_EXEC_MS] == 9070);
	free(s);
	struct pgss_window_row *w;
	size_t nw = pgss_window(p, MIN, &w);
	assert_int_equal(nw, 2);
	for (size_t i = 0; i < nw; i++)
		assert_int_equal(w[i].own, is_key(&w[i].key, 0));
	free(w);
	pgss_get_stats(p, &st);
	assert_int_equal(st.own, 1);

	/* statement 1, exported so far, turns out to be the agent's: it leaves
	 * the top (its series kept out of the exposition), its growth goes to
	 * own, 3 takes its place */
	r[1].own = 1;
	r[1].v[PGSS_CALLS] += 4;
	r[1].v[PGSS_EXEC_MS] += 40;
	pgss_observe(p, r, 4, t += 15 * SEC, 0);
	n = export_all(p, 2, &s);
	assert_null(find_series(s, n, 1));
	assert_non_null(find_series(s, n, 3));
	pgss_own(p, own);
	assert_true(own[PGSS_CALLS] == 111);
	pgss_get_stats(p, &st);
	assert_true(st.unexported[PGSS_CALLS] == 10); /* 1's accumulator, kept */
	assert_int_equal(st.own, 2);
	free(s);

	/* and is no longer the agent's: it competes again, with its history */
	r[1].own = 0;
	r[1].v[PGSS_CALLS] += 1;
	r[1].v[PGSS_EXEC_MS] += 1000;
	pgss_observe(p, r, 4, t += 15 * SEC, 0);
	n = export_all(p, 2, &s);
	assert_true(find_series(s, n, 1)->v[PGSS_CALLS] == 11);
	pgss_own(p, own);
	assert_true(own[PGSS_CALLS] == 111);
	double other_calls = s[n - 1].v[PGSS_CALLS];
	free(s);

	/* statement 2 runs only inside one of the agent's (the COPY's SELECT
	 * with track = all): out of the top and of other, and not in own
	 * either, where the statement it runs in has its time already */
	r[2].own = PG_OWN_NESTED;
	r[2].v[PGSS_CALLS] += 5;
	r[2].v[PGSS_EXEC_MS] += 50;
	pgss_observe(p, r, 4, t + 15 * SEC, 0);
	n = export_all(p, 2, &s);
	assert_null(find_series(s, n, 2));
	assert_true(s[n - 1].v[PGSS_CALLS] == other_calls);
	pgss_own(p, own);
	assert_true(own[PGSS_CALLS] == 111);
	free(s);
	pgss_free(p);
}

/* ---- randomized churn ---------------------------------------------------- */

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static double rnd(uint64_t *x, unsigned n)
{
	return (double)(rng_next(x) % n);
}

struct churn_case {
	const char *name;
	unsigned evict_pct10, reset_pct10;   /* per mille per statement / observe */
	int steps;
	unsigned own_every;                  /* every own_every-th statement is the agent's
						(0: none), in turns of 50 observes */
};

static const struct churn_case churn_cases[] = {
	{ "membership churn", 0, 0, 400, 0 },
	{ "churn with evictions and resets", 5, 8, 400, 0 },
	{ "churn with own statements coming and going", 5, 8, 400, 7 },
};

/* Whether statement i is the agent's own at step (they change in turns). */
static int churn_own(const struct churn_case *cc, size_t i, int step)
{
	return cc->own_every && i % cc->own_every == 0 && (i / cc->own_every + (size_t)step / 50) % 2 == 0;
}

/* Each statement's values live in val; every snapshot sends each present
 * statement as a toplevel pair.  total = all activity ever (baselines plus
 * every increment), which the engine's accumulators must add up to because
 * every reset is flagged and every eviction leaves a snapshot without the
 * statement. */
static void run_churn(const struct churn_case *cc)
{
	enum { N = 400, TOP = 20 };
	static double val[N][NF], seen[N][NF];
	static int present[N];
	static int64_t last_exported[N];
	struct pgss *p = engine(TOP, 0);
	struct pgss_row *rows = calloc(2 * N, sizeof(*rows));
	double total[NF] = { 0 }, window_activity = 0, other_seen[NF] = { 0 }, own_seen[NF] = { 0 };
	uint64_t x = 0x5eed5eed12345ull;
	int64_t t = T0;
	assert_non_null(rows);

	memset(val, 0, sizeof(val));
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < N; i++) {
		present[i] = 1;
		last_exported[i] = INT64_MIN;
		val[i][PGSS_CALLS] = 1 + rnd(&x, 1000);
		val[i][PGSS_EXEC_MS] = rnd(&x, 100000);
		val[i][PGSS_ROWS] = rnd(&x, 5000);
		for (int f = 0; f < NF; f++)
			total[f] += val[i][f];
	}
	for (int step = 0; step < cc->steps; step++) {
		int reset = step > 0 && rnd(&x, 1000) < cc->reset_pct10;
		if (reset) {
			memset(val, 0, sizeof(val));
			memset(present, 0, sizeof(present));
		}
		size_t n = 0;
		for (size_t i = 0; step > 0 && i < N; i++) {
			if (present[i] && rnd(&x, 1000) < cc->evict_pct10) {
				present[i] = 0;
				memset(val[i], 0, sizeof(val[i]));
				continue;
			}
			/* a skewed, shifting load: a few hot statements at a time */
			unsigned busy = ((i + (size_t)step / 20) % 37 == 0) ? 80 : 10;
			if (rnd(&x, 100) >= busy || (!present[i] && rnd(&x, 100) < 50))
				continue;
			double inc[NF] = { 0 };
			inc[PGSS_CALLS] = 1 + rnd(&x, 5);
			inc[PGSS_EXEC_MS] = inc[PGSS_CALLS] * rnd(&x, 100);
			inc[PGSS_ROWS] = rnd(&x, 20);
			inc[PGSS_SHARED_READ] = rnd(&x, 7);
			inc[PGSS_WAL_BYTES] = 512 * rnd(&x, 3);
			present[i] = 1;
			for (int f = 0; f < NF; f++) {
				val[i][f] += inc[f];
				total[f] += inc[f];
				window_activity += f == PGSS_CALLS ? inc[f] : 0;
			}
		}
		for (size_t i = 0; i < N; i++) {
			if (!present[i])
				continue;
			struct pgss_row a, b;
			a.key = b.key = key_of(i);
			a.own = b.own = (unsigned char)churn_own(cc, i, step);
			for (int f = 0; f < NF; f++) {
				a.v[f] = (double)(int64_t)(val[i][f] / 3);
				b.v[f] = val[i][f] - a.v[f];
			}
			rows[n++] = a;
			rows[n++] = b;
		}
		/* shuffle so that pairs are not adjacent */
		for (size_t i = n; i > 1; i--) {
			size_t j = (size_t)(rng_next(&x) % i);
			struct pgss_row tmp = rows[i - 1];
			rows[i - 1] = rows[j];
			rows[j] = tmp;
		}
		pgss_observe(p, rows, n, t, reset);

		struct pgss_series *s;
		struct pgss_stats st;
		size_t ns = export_all(p, TOP, &s);
		assert_int_equal(ns, TOP + 1);
		for (size_t j = 0; j + 1 < ns; j++) {
			size_t i = 0;
			while (i + 1 < N && !is_key(&s[j].key, i))
				i++;
			assert_true(is_key(&s[j].key, i));
			assert_false(churn_own(cc, i, step)); /* the agent's own are never exported */
			int forgotten = last_exported[i] != INT64_MIN &&
					t - last_exported[i] > 60 * MIN;
			for (int f = 0; f < NF; f++) {
				/* never decreases, unless gone from the exposition
				 * for longer than the longest window */
				if (!forgotten)
					assert_true(s[j].v[f] >= seen[i][f]);
				seen[i][f] = s[j].v[f];
			}
			last_exported[i] = t;
		}
		for (int f = 0; f < NF; f++) {
			assert_true(s[ns - 1].v[f] >= other_seen[f]);
			other_seen[f] = s[ns - 1].v[f];
		}
		double own[NF];
		pgss_own(p, own);
		for (int f = 0; f < NF; f++) {
			assert_true(own[f] >= own_seen[f]);
			own_seen[f] = own[f];
		}
		pgss_get_stats(p, &st);
		for (int f = 0; f < NF; f++)
			assert_true(series_sum(s, ns, f) + st.unexported[f] + own[f] == total[f]);
		if (!cc->own_every)
			assert_true(own[PGSS_CALLS] == 0);
		if (!cc->evict_pct10 && !cc->reset_pct10 && t - T0 <= 60 * MIN) {
			/* without restarts, and before anything can be forgotten:
			 * the last exported value of every series ever exported,
			 * plus other, is the sum over the snapshot */
			double sum = other_seen[PGSS_CALLS], cur = 0;
			for (size_t i = 0; i < N; i++) {
				sum += seen[i][PGSS_CALLS];
				cur += val[i][PGSS_CALLS];
			}
			assert_true(sum == cur);
		}
		/* windows: nothing negative, the hour holds every increment */
		if (step % 10 == 0 || step == cc->steps - 1) {
			double w1 = window_total(p, MIN, PGSS_CALLS);
			double w5 = window_total(p, 5 * MIN, PGSS_CALLS);
			double w60 = window_total(p, 60 * MIN, PGSS_CALLS);
			assert_true(w1 <= w5 && w5 <= w60);
			(void)window_value(p, 60 * MIN, 0, PGSS_CALLS, NULL);
			if (t - T0 < 55 * MIN)
				assert_true(w60 == window_activity);
		}
		free(s);
		t += 15 * SEC;
	}
	struct pgss_stats st;
	pgss_get_stats(p, &st);
	print_message("# %s: %llu restarted, %llu evicted, %zu statements, %zu bucket entries\n",
		      cc->name, (unsigned long long)st.restarted_entries,
		      (unsigned long long)st.evicted, st.statements, st.bucket_entries);
	if (cc->evict_pct10)
		assert_true(st.evicted > 0 && st.restarted_entries > 0);
	if (cc->own_every)
		assert_true(own_seen[PGSS_CALLS] > 0 && st.own > 0);
	free(rows);
	pgss_free(p);
}

static void test_churn(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(churn_cases) / sizeof(churn_cases[0]); c++)
		run_churn(&churn_cases[c]);
}

static void test_windows_over_time(void **state)
{
	(void)state;
	struct pgss *p = engine(10, 0);
	struct pgss_row r[] = { row_of(0, 5, 50), row_of(1, 5, 50) };
	struct pgss_stats st;
	int64_t t = T0;

	pgss_observe(p, r, 2, t, 0);
	r[0].v[PGSS_CALLS] += 10;
	pgss_observe(p, r, 2, t += 15 * SEC, 0);
	int64_t active = t;
	static const struct {
		int64_t after;          /* since the activity */
		double w1, w2, w5, w60; /* calls of statement 0 in each window */
	} points[] = {
		{ 0, 10, 10, 10, 10 },
		{ 30 * SEC, 10, 10, 10, 10 },
		{ 90 * SEC, 0, 10, 10, 10 },
		{ 3 * MIN, 0, 0, 10, 10 },
		{ 6 * MIN, 0, 0, 0, 10 },
		{ 50 * MIN, 0, 0, 0, 10 },
		{ 66 * MIN, 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		while (t < active + points[i].after)
			pgss_observe(p, r, 2, t += 15 * SEC, 0);
		assert_true(window_value(p, MIN, 0, PGSS_CALLS, NULL) == points[i].w1);
		assert_true(window_value(p, 2 * MIN, 0, PGSS_CALLS, NULL) == points[i].w2);
		assert_true(window_value(p, 5 * MIN, 0, PGSS_CALLS, NULL) == points[i].w5);
		assert_true(window_value(p, 60 * MIN, 0, PGSS_CALLS, NULL) == points[i].w60);
		/* beyond the longest window: cut to it */
		assert_true(window_value(p, 24 * 60 * MIN, 0, PGSS_CALLS, NULL) == points[i].w60);
	}
	pgss_get_stats(p, &st);
	assert_int_equal(st.bucket_entries, 0);

	/* time going backwards is taken as standing still */
	r[0].v[PGSS_CALLS] += 1;
	pgss_observe(p, r, 2, t - 10 * MIN, 0);
	assert_true(window_value(p, MIN, 0, PGSS_CALLS, NULL) == 1);
	pgss_free(p);
}

/* Activity costs memory for the longest window; idle and vanished
 * statements do not. */
static void test_memory_bounded(void **state)
{
	(void)state;
	enum { N = 5000, TOP = 100 };
	struct pgss *p = engine(TOP, 0);
	struct pgss_row *r = calloc(N, sizeof(*r));
	struct pgss_stats st;
	int64_t t = T0;
	assert_non_null(r);
	for (size_t i = 0; i < N; i++)
		r[i] = row_of(i, 1, 1);
	pgss_observe(p, r, N, t, 0);
	for (size_t i = 0; i < N; i++) { /* a SELECT: four fields move */
		r[i].v[PGSS_CALLS] += 1;
		r[i].v[PGSS_EXEC_MS] += 2.5;
		r[i].v[PGSS_ROWS] += 3;
		r[i].v[PGSS_SHARED_HIT] += 10;
	}
	pgss_observe(p, r, N, t += 15 * SEC, 0);
	pgss_get_stats(p, &st);
	assert_int_equal(st.bucket_entries, 3 * N); /* one per window */
	assert_true(st.bucket_bytes >= 3 * N * st.head_entry_size);
	size_t busy_table = st.table_bytes;

	/* 6 minutes on, only the hour holds them, in a closed bucket */
	while (t < T0 + 6 * MIN + 15 * SEC)
		pgss_observe(p, r, N, t += 15 * SEC, 0);
	pgss_get_stats(p, &st);
	assert_int_equal(st.bucket_entries, N);
	assert_int_equal(st.bucket_bytes, N * 11); /* 1 + 3 tag bytes + 1 + 4 + 1 + 1 */
	print_message("# %zu statements: table %zu bytes (%zu per statement); bucket entries "
		      "%zu bytes in the head, %zu packed for a SELECT\n", st.statements,
		      st.table_bytes, st.table_bytes / st.statements, st.head_entry_size,
		      st.bucket_bytes / st.bucket_entries);

	/* all idle for more than the longest window */
	while (t < T0 + 65 * MIN)
		pgss_observe(p, r, N, t += 15 * SEC, 0);
	pgss_get_stats(p, &st);
	assert_int_equal(st.statements, N);
	assert_int_equal(st.bucket_entries, 0);
	assert_int_equal(st.bucket_bytes, 0);
	assert_int_equal(st.accumulators, TOP);
	assert_true(st.table_bytes <= busy_table);

	/* all gone: nothing left once the hour has passed */
	while (t < T0 + 135 * MIN)
		pgss_observe(p, NULL, 0, t += 15 * SEC, 0);
	pgss_get_stats(p, &st);
	assert_int_equal(st.statements, 0);
	assert_int_equal(st.accumulators, 0);
	assert_int_equal(st.evicted, N);
	struct pgss_series s[TOP + 1];
	assert_int_equal(pgss_export(p, s, TOP + 1), 1);
	assert_true(s[0].other && s[0].v[PGSS_CALLS] == 2 * N - 2 * TOP);
	assert_true(st.unexported[PGSS_CALLS] == 2 * TOP); /* forgotten */

	/* the same keys again: new statements, reusing the freed slots */
	pgss_observe(p, r, N, t + 15 * SEC, 0);
	pgss_get_stats(p, &st);
	assert_int_equal(st.statements, N);
	assert_true(window_total(p, MIN, PGSS_CALLS) == 2 * N);
	free(r);
	pgss_free(p);
}

/* A full table: further keys go to other, and sums stay right, also when
 * room frees up and they are admitted. */
static void test_max_statements(void **state)
{
	(void)state;
	static const int64_t w[] = { MIN };
	struct pgss_options o = { .top_n = 3, .windows_ms = w, .nwindows = 1,
				  .interval_ms = 15 * SEC, .max_statements = 10 };
	struct pgss *p = pgss_new(&o);
	struct pgss_row r[15];
	struct pgss_series s[4];
	struct pgss_stats st;
	double last[15] = { 0 };
	int64_t t = T0;

	for (size_t i = 0; i < 15; i++)
		r[i] = row_of(i, 10, 10.0 * (double)i);
	for (int step = 0; step < 20; step++) {
		size_t n = 15, first = step >= 4 ? 5 : 0; /* 0..4 vanish at step 4 */
		pgss_observe(p, r + first, n - first, t += 15 * SEC, 0);
		pgss_get_stats(p, &st);
		assert_true(st.statements <= 10);
		if (step == 0) {
			assert_int_equal(st.untracked_rows, 5);
			assert_int_equal(st.dropped_new, 5);
		}
		double want = 0;
		for (size_t i = 0; i < 15; i++) {
			last[i] = i >= first ? r[i].v[PGSS_CALLS] : last[i];
			want += last[i];
		}
		size_t ns = pgss_export(p, s, 4);
		assert_int_equal(ns, 4);
		assert_true(series_sum(s, ns, PGSS_CALLS) + st.unexported[PGSS_CALLS] == want);
		for (size_t i = first; i < 15; i++) {
			r[i].v[PGSS_CALLS] += 1;
			r[i].v[PGSS_EXEC_MS] += (double)i;
		}
	}
	pgss_get_stats(p, &st);
	assert_int_equal(st.statements, 10); /* 5..14, all tracked now */
	assert_int_equal(st.untracked_rows, 0);
	assert_true(window_value(p, MIN, 14, PGSS_CALLS, NULL) > 0);
	pgss_free(p);
}

static void test_options(void **state)
{
	(void)state;
	/* no windows: the defaults; bad and duplicate windows are ignored */
	static const int64_t w[] = { 5 * MIN, -1, MIN, 5 * MIN, 0 };
	struct pgss_options a = { .top_n = 0 }, b = { .top_n = 2, .windows_ms = w, .nwindows = 5 };
	struct pgss *p = pgss_new(&a), *q = pgss_new(&b);
	struct pgss_row r[] = { row_of(0, 1, 1), row_of(1, 2, 2) };
	struct pgss_series s[3];
	for (int i = 0; i < 3; i++) {
		pgss_observe(p, r, 2, T0 + i * 15 * SEC, 0);
		pgss_observe(q, r, 2, T0 + i * 15 * SEC, 0);
		r[0].v[PGSS_CALLS] += 1;
	}
	assert_int_equal(pgss_export(p, s, 3), 1); /* top 0: only other */
	assert_true(s[0].other && s[0].v[PGSS_CALLS] == 5);
	assert_int_equal(pgss_export(q, s, 3), 3);
	assert_int_equal(pgss_export(q, s, 1), 1); /* too small: other kept */
	assert_true(s[0].other);
	assert_int_equal(pgss_export(q, s, 0), 0);
	assert_true(window_total(p, 60 * MIN, PGSS_CALLS) == 2);
	assert_true(window_total(q, 60 * MIN, PGSS_CALLS) == 2); /* cut to 5 min */

	/* garbage in: negative and NaN values count as 0 */
	struct pgss_row bad = row_of(2, -5, NAN);
	bad.v[PGSS_ROWS] = INFINITY;
	pgss_observe(q, &bad, 1, T0 + MIN, 0);
	assert_true(window_value(q, MIN, 2, PGSS_CALLS, NULL) == 0);
	size_t ns = pgss_export(q, s, 3);
	for (size_t i = 0; i < ns; i++)
		for (int f = 0; f < NF; f++)
			assert_true(isfinite(s[i].v[f]) && s[i].v[f] >= 0);
	pgss_free(p);
	pgss_free(q);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The cost of observe() for 5,000 statements (pg_stat_statements.max's
 * default) sent as 5,500 rows (a tenth as toplevel pairs), with 10 % and
 * with all of them active per interval, over an hour of 15 s cycles:
 * printed for whoever reads the log, never bounded (a wall-clock bound in
 * a unit test only measures how loaded the machine is; bench/postgres
 * measures the collector's cost per cycle against a real server). */
static void bench(unsigned active_pct)
{
	enum { N = 5000, ROWS = N + N / 10, TOP = 100, STEPS = 250 };
	struct pgss *p = engine(TOP, 0);
	struct pgss_row *r = calloc(ROWS, sizeof(*r));
	uint64_t x = 42;
	double spent = 0, worst = 0;
	size_t peak = 0;
	int64_t t = T0;
	struct pgss_stats st;
	assert_non_null(r);
	for (size_t i = 0; i < ROWS; i++)
		r[i] = row_of(i % N, 1 + rnd(&x, 100), rnd(&x, 10000));
	for (int step = 0; step < STEPS; step++) {
		for (size_t i = 0; i < ROWS; i++)
			if (rnd(&x, 100) < active_pct) {
				double calls = 1 + rnd(&x, 3);
				r[i].v[PGSS_CALLS] += calls;
				r[i].v[PGSS_EXEC_MS] += calls * rnd(&x, 50) / 8;
				r[i].v[PGSS_ROWS] += calls * rnd(&x, 10);
				r[i].v[PGSS_SHARED_HIT] += calls * rnd(&x, 40);
				r[i].v[PGSS_SHARED_READ] += rnd(&x, 4) == 0 ? calls : 0;
			}
		double t0 = now_ms();
		pgss_observe(p, r, ROWS, t += 15 * SEC, 0);
		double dt = now_ms() - t0;
		spent += dt;
		worst = dt > worst ? dt : worst;
		pgss_get_stats(p, &st);
		peak = st.bucket_bytes > peak ? st.bucket_bytes : peak;
	}
	print_message("# observe of %d rows, %u%% active: %.3f ms mean, %.3f ms worst; "
		      "%zu bucket entries in %zu bytes (%.1f per entry, peak %zu), table %zu bytes\n",
		      ROWS, active_pct, spent / STEPS, worst, st.bucket_entries, st.bucket_bytes,
		      (double)st.bucket_bytes / (double)st.bucket_entries, peak, st.table_bytes);
	free(r);
	pgss_free(p);
}

static void test_bench_observe(void **state)
{
	(void)state;
	bench(10);
	bench(100);
}

/* ---- the sparse buckets against a dense model ------------------------- */

enum { DN = 40, DMAX_NB = 64 };

/* The rings as plain arrays: every statement has a slot in every bucket. */
struct dense_ring {
	int64_t window, width, start[DMAX_NB];
	size_t nb, head;
	float v[DMAX_NB][DN][NF];
};

static int64_t floor_div(int64_t a, int64_t d)
{
	int64_t q = a / d;
	return a % d != 0 && (a < 0) != (d < 0) ? q - 1 : q;
}

static void dense_advance(struct dense_ring *g, int64_t now)
{
	int64_t q = floor_div(now, g->width), start = q * g->width;
	size_t slot = (size_t)(((q % (int64_t)g->nb) + (int64_t)g->nb) % (int64_t)g->nb);
	for (size_t i = 0; i < g->nb; i++)
		if (g->start[i] != INT64_MIN && g->start[i] != start && g->start[i] <= now - g->window) {
			g->start[i] = INT64_MIN;
			memset(g->v[i], 0, sizeof(g->v[i]));
		}
	if (g->start[slot] != start) {
		memset(g->v[slot], 0, sizeof(g->v[slot]));
		g->start[slot] = start;
	}
	g->head = slot;
}

struct dense_sum {
	double v[DN][NF];
};

static void sparse_visit(void *ctx, uint32_t idx, const float *v)
{
	struct dense_sum *s = ctx;
	for (int f = 0; f < NF; f++)
		s->v[idx][f] += v[f];
}

/* Random deltas: zeros, whole numbers small and large (past a float's
 * 2^24 and the packing's 2^21), fractions; every 1,5,60-minute window's
 * sums, queried after each observe, equal the dense model's, bit for bit. */
static void test_buckets_sparse_equals_dense(void **state)
{
	(void)state;
	static const int64_t w[] = { 1 * MIN, 5 * MIN, 60 * MIN };
	struct pgss_buckets *b = pgss_buckets_new(w, 3, 15 * SEC);
	static struct dense_ring dr[3];
	uint64_t x = 7;
	int64_t t = T0;
	pgss_buckets_reserve(b, DN);
	for (size_t r = 0; r < 3; r++) {
		memset(&dr[r], 0, sizeof(dr[r]));
		dr[r].window = w[r];
		dr[r].width = pgss_buckets_width(b, r);
		dr[r].nb = (size_t)((w[r] + dr[r].width - 1) / dr[r].width);
		assert_true(dr[r].nb <= DMAX_NB);
		for (size_t i = 0; i < DMAX_NB; i++)
			dr[r].start[i] = INT64_MIN;
	}
	for (int step = 0; step < 400; step++) {
		t += 15 * SEC + (int64_t)rnd(&x, 4) * (rnd(&x, 10) == 0 ? 60 * SEC : 1000);
		pgss_buckets_advance(b, t);
		for (size_t r = 0; r < 3; r++)
			dense_advance(&dr[r], t);
		for (uint32_t i = 0; i < DN; i++) {
			double d[NF] = { 0 };
			if (rnd(&x, 3) == 0)
				continue;
			for (int f = 0; f < NF; f++) {
				unsigned kind = (unsigned)rnd(&x, 5);
				d[f] = kind == 0 ? 0 : kind == 1 ? (double)rnd(&x, 100)
				     : kind == 2 ? (double)(rnd(&x, 1u << 26))
				     : kind == 3 ? rnd(&x, 100000) / 7.0 : 0.5;
			}
			pgss_buckets_add(b, i, d);
			for (size_t r = 0; r < 3; r++)
				for (int f = 0; f < NF; f++)
					dr[r].v[dr[r].head][i][f] += (float)d[f];
		}
		for (size_t r = 0; r < 3; r++) {
			static struct dense_sum got, want;
			memset(&got, 0, sizeof(got));
			memset(&want, 0, sizeof(want));
			pgss_buckets_query(b, w[r], sparse_visit, &got);
			for (size_t k = 0; k < dr[r].nb; k++) {
				if (dr[r].start[k] == INT64_MIN ||
				    (k != dr[r].head && dr[r].start[k] <= t - w[r]))
					continue;
				for (size_t i = 0; i < DN; i++)
					for (int f = 0; f < NF; f++)
						want.v[i][f] += dr[r].v[k][i][f];
			}
			assert_memory_equal(&got, &want, sizeof(got));
		}
	}
	pgss_buckets_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_any_observe),
		cmocka_unit_test(test_toplevel_duplicates_summed),
		cmocka_unit_test(test_exact_deltas),
		cmocka_unit_test(test_baseline_and_new),
		cmocka_unit_test(test_restarts),
		cmocka_unit_test(test_leave_return_forget),
		cmocka_unit_test(test_top_50_of_2000),
		cmocka_unit_test(test_own_statements),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_windows_over_time),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_max_statements),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_buckets_sparse_equals_dense),
		cmocka_unit_test(test_bench_observe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
