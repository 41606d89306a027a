/*
 * host_fixtures.h -- what the host collector's test programs share:
 * where the captured /proc, /sys, os-release and udev files are
 * (tests/data/{proc,sys,root,udev}, found through $top_srcdir, which the
 * test harness exports), a rig that host sources emit into, and small
 * helpers.
 * Include after <cmocka.h>.
 */
#ifndef DBPULSE_HOST_FIXTURES_H
#define DBPULSE_HOST_FIXTURES_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "counter.h"
#include "host.h"
#include "host_metrics.h"
#include "metrics.h"
#include "strutil.h"
#include "xalloc.h"

#define assert_double_equal(a, b) \
	assert_true(fabs((double)(a) - (double)(b)) <= 1e-9 * fmax(1.0, fabs((double)(b))))

/* The two header lines of /proc/net/dev. */
#define NET_HEADER                                                                    \
	"Inter-|   Receive                            |  Transmit\n"                     \
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes packets\n"

/* The absolute path of tests/data/SUB; the caller frees it. */
static inline char *data_dir(const char *sub)
{
	const char *top = getenv("top_srcdir");
	char *rel = xasprintf("%s/tests/data/%s", top && *top ? top : ".", sub);
	char *abs = realpath(rel, NULL);
	free(rel);
	assert_non_null(abs);
	return abs;
}

/* The absolute path of tests/data/proc; the caller frees it. */
static inline char *fixture_dir(void)
{
	return data_dir("proc");
}

/* tests/data/REL into b (initialised here; the caller releases it). */
static inline void data_file(const char *rel, struct buf *b)
{
	char *dir = data_dir(".");
	char *path = xasprintf("%s/%s", dir, rel);
	buf_init(b, 1 << 20);
	assert_int_equal(read_file(path, b), 0);
	free(path);
	free(dir);
}

/* The first sample of family name whose labels include the pairs given
 * (NULL-terminated); its value in *value (may be NULL).  1 if found. */
static inline int sample(const struct batch *b, double *value, const char *name, ...)
{
	const char *want[16];
	size_t nw = 0;
	const char *s;
	va_list ap;
	va_start(ap, name);
	while ((s = va_arg(ap, const char *)) != NULL && nw < 16)
		want[nw++] = s;
	va_end(ap);
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct batch_sample *sm = &b->samples[i];
		if (strcmp(batch_str(b, b->families[sm->family].name_off), name) != 0)
			continue;
		size_t matched = 0;
		for (size_t w = 0; w + 1 < nw; w += 2) {
			const char *p = batch_str(b, sm->labels_off);
			for (uint32_t l = 0; l < sm->nlabels; l++) {
				const char *v = p + strlen(p) + 1;
				if (strcmp(p, want[w]) == 0 && strcmp(v, want[w + 1]) == 0)
					matched++;
				p = v + strlen(v) + 1;
			}
		}
		if (matched == nw / 2) {
			if (value)
				*value = sm->value;
			return 1;
		}
	}
	return 0;
}

/* What a host source writes into: a batch, the counters, a config whose
 * regexes the test sets after emit_start. */
struct emit_rig {
	struct host_config conf;
	struct batch *batch;
	struct counter_map *counters;
	struct buf key;
	struct host_emit e;
};

static inline void emit_start(struct emit_rig *r)
{
	memset(r, 0, sizeof(*r));
	r->batch = batch_new();
	r->counters = counter_map_new();
	buf_init(&r->key, 1024);
	r->e = (struct host_emit){ .batch = r->batch, .counters = r->counters, .key = &r->key,
				   .conf = &r->conf, .clk_tck = 100, .source = "test" };
}

/* Frees the rig and the regexes the test set. */
static inline void emit_stop(struct emit_rig *r)
{
	conf_regex_release(&r->conf.netstat_fields);
	conf_regex_release(&r->conf.network_device_exclude);
	conf_regex_release(&r->conf.vmstat_fields);
	conf_regex_release(&r->conf.disk_device_exclude);
	batch_free(r->batch);
	counter_map_free(r->counters);
	buf_release(&r->key);
}

#endif
