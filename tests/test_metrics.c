/*
 * test_metrics.c -- batches (names, labels, caps) and the counter map that
 * keeps counters monotonic across wraps, jitter and restarts.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "counter.h"
#include "metrics.h"

static const struct metric_desc m_ok = { "ok_total", "Ok.", METRIC_COUNTER };

static void test_names(void **state)
{
	static const struct { const char *name; int metric, label; } cases[] = {
		{ "a", 1, 1 }, { "node_cpu_seconds_total", 1, 1 }, { "a:b", 1, 0 }, { "_x", 1, 1 },
		{ "__reserved", 1, 0 }, { "9lives", 0, 0 }, { "", 0, 0 }, { "has-dash", 0, 0 },
		{ "sp ace", 0, 0 }, { "Mem(anon)", 0, 0 }, { "MemTotal", 1, 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(metric_name_valid(cases[i].name), cases[i].metric);
		assert_int_equal(label_name_valid(cases[i].name), cases[i].label);
	}
}

static void test_batch(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	char label[16];
	for (int i = 0; i < 100; i++) {
		snprintf(label, sizeof(label), "%d", i);
		assert_int_equal(batch_add(b, &m_ok, i, "n", label, NULL), 0);
		assert_int_equal(batch_add_named(b, i % 2 ? "odd" : "even", "Parity.", METRIC_GAUGE, i,
						 NULL), 0);
	}
	assert_int_equal(b->nfamilies, 3);
	assert_int_equal(b->nsamples, 200);
	assert_string_equal(batch_str(b, b->samples[0].labels_off), "n");
	assert_string_equal(batch_str(b, b->samples[0].labels_off + 2), "0");

	assert_int_equal(batch_add_named(b, "bad-name", "", METRIC_GAUGE, 1, NULL), -1);
	assert_int_equal(batch_add(b, &m_ok, 1, "bad-label", "x", NULL), -1);
	assert_int_equal(batch_add(b, &m_ok, 1, "odd", NULL), -1); /* odd number of strings */
	assert_int_equal(b->invalid, 3);
	assert_int_equal(b->nsamples, 200);

	b->max_samples = 201;
	assert_int_equal(batch_add(b, &m_ok, 1, NULL), 0);
	assert_int_equal(batch_add(b, &m_ok, 1, NULL), -1);
	assert_int_equal(b->overflow, 1);

	/* a reset batch reuses its memory and forgets families */
	batch_reset(b);
	assert_int_equal(b->nsamples, 0);
	assert_int_equal(b->nfamilies, 0);
	assert_int_equal(batch_add(b, &m_ok, 5, NULL), 0);
	assert_int_equal(b->nfamilies, 1);
	batch_free(b);
}

/* A shed batch holds no memory; the next reset reserves what the last fill
 * took, so the same fill does not grow it, and the batch works as new. */
static void test_batch_shed(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	char label[16];
	for (int round = 0; round < 3; round++) {
		batch_reset(b);
		size_t strings_alloc = b->strings.alloc, samples_alloc = b->samples_alloc;
		for (int i = 0; i < 300; i++) {
			snprintf(label, sizeof(label), "%d", i);
			assert_int_equal(batch_add(b, &m_ok, i, "n", label, NULL), 0);
		}
		assert_int_equal(b->nsamples, 300);
		assert_int_equal(b->nfamilies, 1);
		assert_string_equal(batch_str(b, b->samples[299].labels_off + 2), "299");
		if (round > 0) { /* reserved at the reset: nothing grew */
			assert_int_equal(b->strings.alloc, strings_alloc);
			assert_int_equal(b->samples_alloc, samples_alloc);
		}
		batch_shed(b);
		assert_null(b->strings.data);
		assert_null(b->samples);
		assert_null(b->families);
		assert_int_equal(b->nsamples, 0);
	}
	batch_free(b);
}

static void test_counter_map(void **state)
{
	static const struct counter_policy plain = { 0, 0 };
	static const struct counter_policy wraps = { 32, 0 };
	static const struct counter_policy cpu = { 0, 300 };
	(void)state;
	struct counter_map *m = counter_map_new();

	/* steady growth passes through */
	assert_true(counter_map_update(m, "a", 10, &plain) == 10);
	assert_true(counter_map_update(m, "a", 25, &plain) == 25);
	/* a 32-bit field wraps: counting goes on past 2^32 */
	assert_true(counter_map_update(m, "w", 4294967000ull, &wraps) == 4294967000ull);
	assert_true(counter_map_update(m, "w", 200, &wraps) == 4294967296ull + 200);
	assert_true(counter_map_update(m, "w", 500, &wraps) == 4294967296ull + 500);
	/* small step back (iowait jitter): held */
	assert_true(counter_map_update(m, "c", 10000, &cpu) == 10000);
	assert_true(counter_map_update(m, "c", 9900, &cpu) == 10000);
	assert_true(counter_map_update(m, "c", 10100, &cpu) == 10100);
	/* a large drop (hot-plug, device re-created): continues from there */
	assert_true(counter_map_update(m, "c", 50, &cpu) == 10150);
	assert_true(counter_map_update(m, "c", 60, &cpu) == 10160);
	assert_true(counter_map_update(m, "a", 5, &plain) == 30);

	/* many series force growth */
	char key[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_true(counter_map_update(m, key, (uint64_t)i, &plain) == (uint64_t)i);
	}
	assert_int_equal(counter_map_size(m), 1003);
	/* a sweep forgets nothing updated since the last one... */
	counter_map_sweep(m);
	assert_int_equal(counter_map_size(m), 1003);
	/* ...and then everything not updated in between */
	assert_true(counter_map_update(m, "a", 40, &plain) == 65);
	counter_map_sweep(m);
	assert_int_equal(counter_map_size(m), 1);
	assert_true(counter_map_update(m, "c", 1, &cpu) == 1); /* forgotten: starts afresh */
	counter_map_free(m);
}

/* A source that could not be read keeps its series through sweeps, while
 * the series of other sources that vanished are forgotten. */
static void test_counter_map_keep(void **state)
{
	static const struct counter_policy wraps = { 32, 0 };
	(void)state;
	struct counter_map *m = counter_map_new();
	counter_map_update(m, "disk\x1esda", 4294967000ull, &wraps);
	counter_map_update(m, "disk\x1esda", 100, &wraps); /* wrapped once */
	counter_map_update(m, "net\x1eveth1", 5, NULL);
	counter_map_sweep(m);
	for (int cycle = 0; cycle < 3; cycle++) { /* disk unreadable, veth1 gone */
		counter_map_update(m, "net\x1elo", 1, NULL);
		counter_map_keep(m, "disk\x1e");
		counter_map_sweep(m);
	}
	assert_int_equal(counter_map_size(m), 2); /* sda and lo */
	assert_true(counter_map_update(m, "disk\x1esda", 200, &wraps) == 4294967296ull + 200);
	counter_map_free(m);
}

/* Caps reached: counted per limit, exported with zeros, unknown indexes
 * ignored. */
static void test_limit_counts(void **state)
{
	(void)state;
	static const char *const names[] = { "a_bytes", "b_items", NULL };
	struct limit_counts c;
	limit_counts_init(&c, names);
	assert_int_equal(c.n, 2);
	limit_reached(&c, 0, "test", "t", "a is %d bytes", 5);
	limit_reached(&c, 0, "test", "t", "a again");
	limit_reached_n(&c, 1, 7, "test", "t", "b");
	limit_reached(&c, 5, "test", "t", "no such limit");
	assert_int_equal(limit_count(&c, 0), 2);
	assert_int_equal(limit_count(&c, 1), 7);
	assert_int_equal(limit_count(&c, 5), 0);
	struct limit_counts zero;
	limit_counts_init(&zero, names);
	struct batch *b = batch_new();
	limit_counts_add(&c, b, "target", "main");
	limit_counts_add(&zero, b, "receiver", "ops");
	assert_int_equal(b->nsamples, 4);
	/* receivers' limits are a family of their own (rendered apart) */
	assert_int_equal(b->nfamilies, 2);
	assert_string_equal(batch_str(b, b->families[0].name_off), "dbpulse_limit_reached_total");
	assert_string_equal(batch_str(b, b->families[1].name_off),
			    "dbpulse_webhook_limit_reached_total");
	assert_true(b->samples[0].value == 2 && b->samples[1].value == 7);
	assert_true(b->samples[2].value == 0 && b->samples[3].value == 0);
	const char *l = batch_str(b, b->samples[3].labels_off);
	assert_string_equal(l, "limit");
	assert_string_equal(l + 6, "b_items");
	assert_string_equal(l + 14, "receiver");
	batch_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_batch_shed),
		cmocka_unit_test(test_counter_map),
		cmocka_unit_test(test_counter_map_keep),
		cmocka_unit_test(test_limit_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
