/*
 * test_store.c -- the store: publish swaps entries, snapshots keep what
 * they referenced alive, removed slots drop later publishes, and
 * concurrent publishers and scrapers never see a freed entry.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "exposition.h"
#include "metrics.h"
#include "store.h"

static const struct metric_desc m_v = { "v", "V.", METRIC_GAUGE };

static struct store_entry *entry_with(double value)
{
	struct batch *b = batch_new();
	batch_add(b, &m_v, value, NULL);
	struct store_entry *e = store_entry_new(expo_render(b));
	batch_free(b);
	return e;
}

static void test_publish_and_snapshot(void **state)
{
	(void)state;
	struct store *s = store_new();
	struct store_slot *a = store_slot_add(s, "host", "host");
	struct store_slot *b = store_slot_add(s, "postgres", "main");
	struct store_snapshot snap;

	store_snapshot(s, &snap);
	assert_int_equal(snap.n, 0); /* nothing published yet */
	store_snapshot_release(&snap);

	struct store_entry *e1 = entry_with(1);
	store_publish(s, a, e1);
	store_publish(s, b, entry_with(2));
	store_snapshot(s, &snap);
	assert_int_equal(snap.n, 2);
	assert_ptr_equal(snap.entries[0], e1);
	assert_int_equal(atomic_load(&e1->refs), 2);

	/* a new publish swaps e1 out; the snapshot still holds it */
	store_publish(s, a, entry_with(3));
	assert_int_equal(atomic_load(&e1->refs), 1);
	char *text = expo_block_text(snap.entries[0]->metrics, NULL);
	assert_string_equal(text, "# HELP v V.\n# TYPE v gauge\nv 1\n");
	free(text);
	uint64_t gen = snap.generation;
	store_snapshot_release(&snap);
	assert_true(store_generation(s) > gen);

	struct store_entry *found = store_find(s, "postgres", "main");
	assert_non_null(found);
	text = expo_block_text(found->metrics, NULL);
	assert_string_equal(text, "# HELP v V.\n# TYPE v gauge\nv 2\n");
	free(text);
	store_entry_unref(found);
	assert_null(store_find(s, "postgres", "other"));

	/* removal: the entry leaves scrapes, later publishes are dropped */
	store_slot_remove(s, b);
	store_publish(s, b, entry_with(4));
	store_snapshot(s, &snap);
	assert_int_equal(snap.n, 1);
	store_snapshot_release(&snap);
	assert_null(store_find(s, "postgres", "main"));

	store_slot_release(b);
	store_slot_remove(s, a);
	store_slot_release(a);
	store_free(s);
}

struct race {
	struct store *s;
	struct store_slot *slot;
	int iterations;
};

static void *publisher(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < r->iterations; i++)
		store_publish(r->s, r->slot, entry_with(i));
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	struct store *s = store_new();
	struct race r[2] = {
		{ s, store_slot_add(s, "host", "a"), 3000 },
		{ s, store_slot_add(s, "host", "b"), 3000 },
	};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, publisher, &r[i]);
	for (int i = 0; i < 3000; i++) {
		struct store_snapshot snap;
		store_snapshot(s, &snap);
		struct expo_block *blocks[2];
		for (size_t k = 0; k < snap.n; k++)
			blocks[k] = snap.entries[k]->metrics;
		struct expo_merged *m = expo_merged_new(blocks, snap.n, snap.generation);
		struct buf out = BUF_INIT(1 << 20);
		assert_int_equal(expo_respond(m, NULL, 1, &out), 0);
		buf_release(&out);
		expo_merged_unref(m);
		store_snapshot_release(&snap);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		store_slot_remove(s, r[i].slot);
		store_slot_release(r[i].slot);
	}
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_and_snapshot),
		cmocka_unit_test(test_concurrent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
