/*
 * fuzz_proc_loadavg.c -- /proc/loadavg (collectors/host_proc.c
 * host_parse_loadavg).
 *
 * Properties (see fuzz_proc.h): no crash, leak or UB; -1 only with a
 * reason; a result parsed into again equals a fresh one; the loads read
 * are finite numbers (the header's "not a made-up number").
 */
#include "autoconfig.h"

#include <math.h>

#include "fuzz_proc.h"

static int parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_loadavg(text, len, out, err, errlen);
}

static void dump(const void *res, struct buf *out)
{
	const struct host_loadavg *l = res;
	buf_printf(out, "%a %a %a", l->load1, l->load5, l->load15);
}

static void check(const void *res, int rc)
{
	const struct host_loadavg *l = res;
	if (rc == 0)
		FUZZ_CHECK(isfinite(l->load1) && isfinite(l->load5) && isfinite(l->load15),
			   "loads %g %g %g", l->load1, l->load5, l->load15);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_proc p = { parse, dump, NULL, check };
	struct host_loadavg fresh = { 0 }, reused = { 0 };
	fuzz_proc_run(&p, &fresh, &reused, data, size);
	return 0;
}
