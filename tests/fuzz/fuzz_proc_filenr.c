/*
 * fuzz_proc_filenr.c -- /proc/sys/fs/file-nr (collectors/host_proc.c
 * host_parse_filenr).
 *
 * Properties (see fuzz_proc.h): no crash, leak or UB; -1 only with a
 * reason; a result parsed into again equals a fresh one.
 */
#include "autoconfig.h"

#include <inttypes.h>

#include "fuzz_proc.h"

static int parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_filenr(text, len, out, err, errlen);
}

static void dump(const void *res, struct buf *out)
{
	const struct host_filenr *f = res;
	buf_printf(out, "%" PRIu64 " %" PRIu64 " %" PRIu64, f->allocated, f->unused, f->max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_proc p = { parse, dump, NULL, NULL };
	struct host_filenr fresh = { 0 }, reused = { 0 };
	fuzz_proc_run(&p, &fresh, &reused, data, size);
	return 0;
}
