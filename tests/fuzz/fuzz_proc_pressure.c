/*
 * fuzz_proc_pressure.c -- /proc/pressure/{cpu,memory,io} (collectors/
 * host_proc.c host_parse_pressure).
 *
 * Properties (see fuzz_proc.h): no crash, leak or UB; -1 only with a
 * reason, and only without a usable "some" line; a result parsed into
 * again equals a fresh one.
 */
#include "autoconfig.h"

#include <inttypes.h>

#include "fuzz_proc.h"

static int parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_pressure(text, len, out, err, errlen);
}

static void dump(const void *res, struct buf *out)
{
	const struct host_pressure *p = res;
	buf_printf(out, "bad=%u", p->bad_lines);
	if (p->have_some)
		buf_printf(out, " some=%" PRIu64, p->some_total);
	if (p->have_full)
		buf_printf(out, " full=%" PRIu64, p->full_total);
}

static void check(const void *res, int rc)
{
	const struct host_pressure *p = res;
	FUZZ_CHECK((rc == 0) == (p->have_some != 0), "rc %d with have_some %d", rc, p->have_some);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_proc p = { parse, dump, NULL, check };
	struct host_pressure fresh = { 0 }, reused = { 0 };
	fuzz_proc_run(&p, &fresh, &reused, data, size);
	return 0;
}
