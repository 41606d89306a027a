/*
 * test_scheduler.c -- worker threads against a fake collector kind: one
 * collection of a target at a time (late ticks skipped and counted),
 * failures retried before the interval, self-metrics in every publish,
 * reloads that keep unchanged targets running, --once, and stopping.
 * Also the named sections of the config parser, through the fake kind.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <cmocka.h>

#include "buf.h"
#include "collector.h"
#include "config.h"
#include "exposition.h"
#include "metrics.h"
#include "scheduler.h"
#include "store.h"
#include "strutil.h"
#include "xalloc.h"

struct fake_config {
	struct target_common common;
	int64_t sleep_ms;
	int fail;
};

struct fake {
	const struct fake_config *conf;
	uint64_t collections;
};

static atomic_int in_flight;
static atomic_int max_in_flight;
static atomic_int instances;
static atomic_int started;     /* collections begun, every target */
static atomic_int finished;    /* collections ended, every target */
#define STARTS_KEPT 8
static _Atomic int64_t start_ms[STARTS_KEPT]; /* when the first collections began */
static atomic_int finished_before[STARTS_KEPT]; /* how many had ended when each began */

static void *fake_init(const struct config_section *s, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct fake *f = xcalloc(1, sizeof(*f));
	f->conf = s->conf;
	atomic_fetch_add(&instances, 1);
	return f;
}

static const struct metric_desc m_fake = { "fake_collections_total", "Collections.", METRIC_COUNTER };
static const struct metric_desc m_fake_began = { "fake_began_ms", "When the last collection began.",
						 METRIC_GAUGE };

static int fake_collect(void *inst, struct batch *b, int64_t deadline_ms, char *err, size_t errlen)
{
	struct fake *f = inst;
	(void)deadline_ms;
	int begun = atomic_fetch_add(&started, 1);
	if (begun < STARTS_KEPT) {
		atomic_store(&start_ms[begun], now_mono_ms());
		atomic_store(&finished_before[begun], atomic_load(&finished));
	}
	int now = atomic_fetch_add(&in_flight, 1) + 1;
	int max = atomic_load(&max_in_flight);
	while (now > max && !atomic_compare_exchange_weak(&max_in_flight, &max, now))
		;
	if (f->conf->sleep_ms) {
		struct timespec ts = { f->conf->sleep_ms / 1000, (f->conf->sleep_ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
	f->collections++;
	batch_add(b, &m_fake, (double)f->collections, NULL);
	batch_add(b, &m_fake_began, (double)now_mono_ms(), NULL);
	atomic_fetch_sub(&in_flight, 1);
	atomic_fetch_add(&finished, 1);
	if (f->conf->fail) {
		snprintf(err, errlen, "told to fail");
		return -1;
	}
	return 0;
}

static void fake_free(void *inst)
{
	atomic_fetch_sub(&instances, 1);
	free(inst);
}

static const struct collector fake_collector = {
	.name = "fake", .init = fake_init, .collect = fake_collect, .free = fake_free,
};

#define FAKE_KEY(k) offsetof(struct fake_config, k)
static const struct config_key fake_keys[] = {
	{ .name = "enabled", .type = CONF_BOOL, .offset = FAKE_KEY(common.enabled), .def = "true" },
	{ .name = "interval", .type = CONF_DURATION, .offset = FAKE_KEY(common.interval_ms),
	  .def = "1s" },
	{ .name = "timeout", .type = CONF_DURATION, .offset = FAKE_KEY(common.timeout_ms), .def = "1s" },
	{ .name = "sleep", .type = CONF_DURATION, .offset = FAKE_KEY(sleep_ms), .def = "0s" },
	{ .name = "fail", .type = CONF_BOOL, .offset = FAKE_KEY(fail), .def = "false" },
	{ .name = NULL },
};

static const struct config_kind fake_kind = {
	.name = "fake", .named = 1, .keys = fake_keys, .conf_size = sizeof(struct fake_config),
	.collector = &fake_collector,
};

static const struct config_kind other_kind = {
	.name = "other", .named = 1, .keys = fake_keys, .conf_size = sizeof(struct fake_config),
	.collector = &fake_collector,
};

static const struct config_kind *const kinds[] = { &fake_kind, &other_kind, NULL };

static struct config *parse(const char *text)
{
	struct buf errors = BUF_INIT(1 << 16);
	struct config *c = config_parse(text, strlen(text), "t.ini", kinds, &errors);
	if (!c)
		fprintf(stderr, "%s", buf_str(&errors));
	buf_release(&errors);
	assert_non_null(c);
	return c;
}

/* The value of series `series` (name and labels as printed) of a target's
 * published block, or -1 when it is not there. */
static double published(struct store *s, const char *target, const char *series)
{
	struct store_entry *e = store_find(s, "fake", target);
	if (!e)
		return -1;
	double v = -1;
	size_t n = strlen(series);
	char *text = expo_block_text(e->metrics, NULL);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			char *end;
			v = strtod(p + n + 1, &end);
			break;
		}
	}
	free(text);
	store_entry_unref(e);
	return v;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The checks below wait for events (collections begun, ended, published),
 * never for a span of wall-clock time: a loaded machine or a sanitizer
 * build only makes them wait longer.  The limit is generous and only ends
 * a test that would otherwise hang. */
#define WAIT_LIMIT_MS 30000

static void counters_reset(void)
{
	atomic_store(&max_in_flight, 0);
	atomic_store(&started, 0);
	atomic_store(&finished, 0);
}

/* Waits until the target's published fake_collections_total is at least
 * n; returns it. */
static double wait_published(struct store *s, const char *target, double n)
{
	int64_t until = now_mono_ms() + WAIT_LIMIT_MS;
	double v;
	while ((v = published(s, target, "fake_collections_total")) < n && now_mono_ms() < until)
		sleep_ms(5);
	if (v < n)
		fail_msg("%s: %g collections published after %d ms, expected %g", target, v,
			 WAIT_LIMIT_MS, n);
	return v;
}

/* Waits until at least n collections have begun (every target). */
static void wait_started(int n)
{
	int64_t until = now_mono_ms() + WAIT_LIMIT_MS;
	while (atomic_load(&started) < n && now_mono_ms() < until)
		sleep_ms(1);
	if (atomic_load(&started) < n)
		fail_msg("%d collections begun after %d ms, expected %d", atomic_load(&started),
			 WAIT_LIMIT_MS, n);
}

static void test_named_sections(void **state)
{
	(void)state;
	struct config *c = parse("[fake \"a\"]\ninterval = 2s\n[fake \"b-2.x\"]\n[other \"c\"]\n");
	assert_int_equal(c->nsections, 3);
	const struct config_section *a = config_find(c, "fake", "a");
	assert_non_null(a);
	assert_string_equal(a->label, "[fake \"a\"]");
	assert_int_equal(((const struct fake_config *)a->conf)->common.interval_ms, 2000);
	assert_non_null(config_find(c, "fake", "b-2.x"));
	assert_null(config_find(c, "fake", "c"));
	config_unref(c);

	static const struct { const char *text, *message; } bad[] = {
		{ "[fake]\n", "t.ini:1: [fake]: this section needs a name, like [fake \"main\"]\n" },
		{ "[fake main]\n", "t.ini:1: [fake main]: expected the section's name in double quotes, like [fake \"main\"]\n" },
		{ "[fake \"a b\"]\n", "t.ini:1: [fake \"a b\"]: expected a name of letters, digits and - _ . :\n" },
		{ "[fake \"a\"]\n[fake \"a\"]\n", "t.ini:2: [fake \"a\"]: section repeated; first defined on line 1\n" },
		{ "[fake \"a\"]\n[other \"a\"]\n", "t.ini:2: [other \"a\"]: the target name 'a' is taken by [fake \"a\"] on line 1\n" },
		{ "[fkae \"a\"]\n", "t.ini:1: [fkae \"a\"]: unknown section; did you mean [fake]?\n" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf errors = BUF_INIT(1 << 16);
		assert_null(config_parse(bad[i].text, strlen(bad[i].text), "t.ini", kinds, &errors));
		assert_string_equal(buf_str(&errors), bad[i].message);
		buf_release(&errors);
	}
}

static void test_run_once(void **state)
{
	(void)state;
	struct config *c = parse("[fake \"good\"]\n[fake \"bad\"]\nfail = yes\n[fake \"off\"]\nenabled = no\n");
	struct store *s = store_new();
	assert_int_equal(scheduler_run_once(c, s), 1);
	assert_true(published(s, "good", "dbpulse_up{target=\"good\",collector=\"fake\"}") == 1);
	assert_true(published(s, "bad", "dbpulse_up{target=\"bad\",collector=\"fake\"}") == 0);
	assert_true(published(s, "bad", "dbpulse_collect_errors_total{target=\"bad\"}") == 1);
	/* a failed collection still publishes what it collected */
	assert_true(published(s, "bad", "fake_collections_total") == 1);
	assert_true(published(s, "off", "fake_collections_total") == -1);
	assert_int_equal(atomic_load(&instances), 0);
	store_free(s);
	config_unref(c);
}

static void test_overrun_is_skipped(void **state)
{
	(void)state;
	counters_reset();
	struct config *c = parse("[fake \"slow\"]\ninterval = 100ms\ntimeout = 100ms\nsleep = 250ms\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c);
	/* each collection outlasts two ticks: they are skipped, never stacked */
	double n = wait_published(s, "slow", 3);
	double skipped = published(s, "slow", "dbpulse_collect_skipped_total{target=\"slow\"}");
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	print_message("# %g collections, %g ticks skipped\n", n, skipped);
	assert_true(skipped >= n - 1);
	assert_int_equal(atomic_load(&max_in_flight), 1);
	store_free(s);
	config_unref(c);
}

/* Targets on the same interval collect at once, then each at its phase
 * (from its kind and name), in (0, interval]: two whose phases are far
 * apart publish their second collections that far apart. */
static void test_targets_spread_over_the_interval(void **state)
{
	(void)state;
	const char *names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" };
	const char *x = names[0], *y = NULL;
	int64_t px = scheduler_phase_ms("fake", x, 1000), py = 0;
	for (size_t i = 1; i < sizeof(names) / sizeof(names[0]) && !y; i++) {
		int64_t p = scheduler_phase_ms("fake", names[i], 1000);
		assert_true(p > 0 && p <= 1000);
		if (llabs(p - px) >= 400) {
			y = names[i];
			py = p;
		}
	}
	assert_non_null(y);
	char text[128];
	snprintf(text, sizeof(text), "[fake \"%s\"]\n[fake \"%s\"]\n", x, y);
	struct config *c = parse(text);
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	int64_t t0 = now_mono_ms();
	scheduler_apply(sched, c);
	wait_published(s, x, 2);
	wait_published(s, y, 2);
	double bx = published(s, x, "fake_began_ms"), by = published(s, y, "fake_began_ms");
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	print_message("# second collections %.0f and %.0f ms after the start, phases %lld and %lld\n",
		      bx - (double)t0, by - (double)t0, (long long)px, (long long)py);
	assert_true(fabs((bx - by) - (double)(px - py)) < 250);
	assert_true(fabs(bx - (double)t0 - (double)px) < 250);
	store_free(s);
	config_unref(c);
}

static void test_failure_is_retried_sooner(void **state)
{
	(void)state;
	counters_reset();
	struct config *c = parse("[fake \"down\"]\ninterval = 1h\ntimeout = 1s\nfail = yes\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c);
	/* three collections of an hourly target: retried long before the hour,
	 * the second wait longer than the first (1 s, then 2 s) */
	double n = wait_published(s, "down", 3);
	double errors = published(s, "down", "dbpulse_collect_errors_total{target=\"down\"}");
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	int64_t first = atomic_load(&start_ms[1]) - atomic_load(&start_ms[0]);
	int64_t second = atomic_load(&start_ms[2]) - atomic_load(&start_ms[1]);
	print_message("# retries after %lld ms, then %lld ms\n", (long long)first, (long long)second);
	assert_true(second > first);
	assert_true(errors == n);
	store_free(s);
	config_unref(c);
}

/* A target that stays down keeps its pace: the retry delay stops growing
 * at the interval instead of doubling until it overflows. */
static void test_long_failure_keeps_pace(void **state)
{
	(void)state;
	struct config *c = parse("[fake \"down\"]\ninterval = 20ms\ntimeout = 20ms\nfail = yes\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c);
	/* over 64 failures in a row: a delay that kept doubling would be
	 * 20 ms * 2^10 = 20 s after the tenth, and never get there */
	wait_published(s, "down", 70);
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	store_free(s);
	config_unref(c);
}

/* A changed target's new worker waits for the old one's collection. */
static void test_changed_target_never_overlaps(void **state)
{
	(void)state;
	counters_reset();
	struct config *c1 = parse("[fake \"slow\"]\ninterval = 1h\nsleep = 400ms\n");
	struct config *c2 = parse("[fake \"slow\"]\ninterval = 2h\nsleep = 400ms\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c1);
	wait_started(1); /* the old worker's first collection is running */
	assert_int_equal(atomic_load(&finished), 0);
	scheduler_apply(sched, c2);
	wait_started(2); /* the new worker's first */
	assert_int_equal(atomic_load(&finished_before[1]), 1); /* began after the old one's ended */
	assert_true(wait_published(s, "slow", 1) == 1);
	assert_int_equal(atomic_load(&max_in_flight), 1);
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	assert_int_equal(atomic_load(&instances), 0);
	store_free(s);
	config_unref(c1);
	config_unref(c2);
}

static void test_apply_keeps_unchanged(void **state)
{
	(void)state;
	struct config *c1 = parse("[fake \"keep\"]\ninterval = 100ms\n[fake \"change\"]\ninterval = 100ms\n"
				  "[fake \"drop\"]\ninterval = 100ms\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c1);
	assert_int_equal(scheduler_count(sched), 3);
	double keep_before = wait_published(s, "keep", 3);
	double change_before = wait_published(s, "change", 5);

	struct config *c2 = parse("[fake \"keep\"]\ninterval = 100ms\n[fake \"change\"]\ninterval = 200ms\n"
				  "[fake \"new\"]\ninterval = 100ms\n");
	scheduler_apply(sched, c2);
	config_unref(c1); /* the kept worker holds its own reference */
	assert_int_equal(scheduler_count(sched), 3);
	assert_true(published(s, "drop", "fake_collections_total") == -1); /* gone at once */
	/* the kept target counts on; the changed one starts afresh (its first
	 * published count is below the old worker's); the new one starts */
	int64_t until = now_mono_ms() + WAIT_LIMIT_MS;
	double change;
	while (((change = published(s, "change", "fake_collections_total")) < 1 ||
		change >= change_before) && now_mono_ms() < until)
		sleep_ms(1);
	assert_true(change >= 1 && change < change_before);
	assert_true(wait_published(s, "keep", keep_before + 1) > keep_before);
	wait_published(s, "new", 1);
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	assert_int_equal(atomic_load(&instances), 0);
	store_free(s);
	config_unref(c2);
}

static void test_stop_waits_for_a_collection(void **state)
{
	(void)state;
	counters_reset();
	struct config *c = parse("[fake \"busy\"]\ninterval = 1h\nsleep = 300ms\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c);
	wait_started(1); /* in the middle of the first collection */
	assert_int_equal(atomic_load(&finished), 0);
	/* stop waits for that collection (it has ended when stop returns) and
	 * not for the next tick, an hour away (stop would give up at 2 s) */
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	assert_int_equal(atomic_load(&finished), 1);
	assert_int_equal(atomic_load(&started), 1);
	scheduler_free(sched);
	assert_int_equal(atomic_load(&instances), 0);
	store_free(s);
	config_unref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named_sections),
		cmocka_unit_test(test_run_once),
		cmocka_unit_test(test_overrun_is_skipped),
		cmocka_unit_test(test_targets_spread_over_the_interval),
		cmocka_unit_test(test_failure_is_retried_sooner),
		cmocka_unit_test(test_long_failure_keeps_pace),
		cmocka_unit_test(test_changed_target_never_overlaps),
		cmocka_unit_test(test_apply_keeps_unchanged),
		cmocka_unit_test(test_stop_waits_for_a_collection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
