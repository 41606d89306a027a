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

static int fake_collect(void *inst, struct batch *b, int64_t deadline_ms, char *err, size_t errlen)
{
	struct fake *f = inst;
	(void)deadline_ms;
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
	atomic_fetch_sub(&in_flight, 1);
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
	for (const char *p = e->metrics->text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			char *end;
			v = strtod(p + n + 1, &end);
			break;
		}
	}
	store_entry_unref(e);
	return v;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
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
	atomic_store(&max_in_flight, 0);
	struct config *c = parse("[fake \"slow\"]\ninterval = 100ms\ntimeout = 100ms\nsleep = 250ms\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c);
	sleep_ms(1200);
	double skipped = published(s, "slow", "dbpulse_collect_skipped_total{target=\"slow\"}");
	double n = published(s, "slow", "fake_collections_total");
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	assert_true(skipped >= 2);
	assert_true(n >= 2 && n <= 6);
	assert_int_equal(atomic_load(&max_in_flight), 1);
	store_free(s);
	config_unref(c);
}

static void test_failure_is_retried_sooner(void **state)
{
	(void)state;
	struct config *c = parse("[fake \"down\"]\ninterval = 1h\ntimeout = 1s\nfail = yes\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c);
	sleep_ms(3500); /* retries after 1 s and 2 s more: 3 collections */
	double n = published(s, "down", "fake_collections_total");
	double errors = published(s, "down", "dbpulse_collect_errors_total{target=\"down\"}");
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	assert_true(n >= 2 && n <= 4);
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
	sleep_ms(2500); /* over 64 failures in a row */
	double n = published(s, "down", "fake_collections_total");
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	assert_true(n >= 60 && n <= 130);
	store_free(s);
	config_unref(c);
}

/* A changed target's new worker waits for the old one's collection. */
static void test_changed_target_never_overlaps(void **state)
{
	(void)state;
	atomic_store(&max_in_flight, 0);
	struct config *c1 = parse("[fake \"slow\"]\ninterval = 1s\nsleep = 400ms\n");
	struct config *c2 = parse("[fake \"slow\"]\ninterval = 2s\nsleep = 400ms\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c1);
	sleep_ms(100); /* the first collection is running */
	scheduler_apply(sched, c2);
	sleep_ms(900);
	assert_int_equal(atomic_load(&max_in_flight), 1);
	assert_true(published(s, "slow", "fake_collections_total") == 1); /* the new worker's */
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
	sleep_ms(550);
	double keep_before = published(s, "keep", "fake_collections_total");
	assert_true(keep_before >= 3);

	struct config *c2 = parse("[fake \"keep\"]\ninterval = 100ms\n[fake \"change\"]\ninterval = 200ms\n"
				  "[fake \"new\"]\ninterval = 100ms\n");
	scheduler_apply(sched, c2);
	config_unref(c1); /* the kept worker holds its own reference */
	assert_int_equal(scheduler_count(sched), 3);
	assert_true(published(s, "drop", "fake_collections_total") == -1); /* gone at once */
	sleep_ms(350);
	/* the kept target counts on; the changed one started afresh */
	assert_true(published(s, "keep", "fake_collections_total") > keep_before);
	assert_true(published(s, "change", "fake_collections_total") <= 3);
	assert_true(published(s, "new", "fake_collections_total") >= 1);
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	scheduler_free(sched);
	assert_int_equal(atomic_load(&instances), 0);
	store_free(s);
	config_unref(c2);
}

static void test_stop_waits_for_a_collection(void **state)
{
	(void)state;
	struct config *c = parse("[fake \"busy\"]\ninterval = 1s\nsleep = 300ms\n");
	struct store *s = store_new();
	struct scheduler *sched = scheduler_new(s);
	scheduler_apply(sched, c);
	sleep_ms(100); /* in the middle of the first collection */
	int64_t t0 = now_mono_ms();
	assert_int_equal(scheduler_stop(sched, 2000), 0);
	assert_true(now_mono_ms() - t0 < 1000);
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
		cmocka_unit_test(test_failure_is_retried_sooner),
		cmocka_unit_test(test_long_failure_keeps_pace),
		cmocka_unit_test(test_changed_target_never_overlaps),
		cmocka_unit_test(test_apply_keeps_unchanged),
		cmocka_unit_test(test_stop_waits_for_a_collection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
