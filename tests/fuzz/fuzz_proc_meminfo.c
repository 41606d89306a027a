/*
 * fuzz_proc_meminfo.c -- /proc/meminfo (collectors/host_proc.c
 * host_parse_meminfo, host_meminfo_find), and the metric names made of
 * its field names (collectors/host_metrics.c host_memory_metric_name, in
 * both namings).
 *
 * Properties (see fuzz_proc.h): no crash, leak or UB; -1 only with a
 * reason; a result parsed into again equals a fresh one; each field is
 * found by its name; a metric name made of a field, when made, is a
 * valid Prometheus metric name.
 */
#include "autoconfig.h"

#include <inttypes.h>

#include "fuzz_proc.h"
#include "host_metrics.h"
#include "metrics.h"

static int parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_meminfo(text, len, out, err, errlen);
}

static void dump(const void *res, struct buf *out)
{
	const struct host_meminfo *m = res;
	buf_printf(out, "bad=%u", m->bad_lines);
	for (size_t i = 0; i < m->n; i++)
		buf_printf(out, " %s=%" PRIu64 "%s", m->fields[i].name, m->fields[i].value,
			   m->fields[i].kb ? "kB" : "");
}

static void check(const void *res, int rc)
{
	const struct host_meminfo *m = res;
	for (size_t i = 0; i < m->n; i++) {
		const struct host_meminfo_field *f = &m->fields[i];
		const struct host_meminfo_field *found = host_meminfo_find(m, f->name);
		FUZZ_CHECK(found && strcmp(found->name, f->name) == 0, "'%s' not found", f->name);
		for (int snake = 0; snake < 2; snake++) {
			char name[256];
			if (host_memory_metric_name(f->name, f->kb, snake, name, sizeof(name)) == 0)
				FUZZ_CHECK(metric_name_valid(name), "field '%s' gave name '%s'",
					   f->name, name);
		}
	}
}

static void release(void *res)
{
	host_meminfo_release(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_proc p = { parse, dump, release, check };
	struct host_meminfo fresh = { 0 }, reused = { 0 };
	fuzz_proc_run(&p, &fresh, &reused, data, size);
	return 0;
}
