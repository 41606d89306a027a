/*
 * fuzz_proc_diskstats.c -- /proc/diskstats (collectors/host_proc.c
 * host_parse_diskstats).
 *
 * Properties (see fuzz_proc.h): no crash, leak or UB; -1 only with a
 * reason; a result parsed into again equals a fresh one, fields past
 * nfields included (0); nfields is 11, 15 or 17.
 */
#include "autoconfig.h"

#include <inttypes.h>

#include "fuzz_proc.h"

static int parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_diskstats(text, len, out, err, errlen);
}

static void dump(const void *res, struct buf *out)
{
	const struct host_disks *d = res;
	buf_printf(out, "bad=%u", d->bad_lines);
	for (size_t i = 0; i < d->n; i++) {
		buf_printf(out, " %u:%u:%s/%u:", d->disks[i].major, d->disks[i].minor,
			   d->disks[i].name, d->disks[i].nfields);
		for (unsigned f = 0; f < HOST_DISK_NFIELDS; f++)
			buf_printf(out, "%" PRIu64 ",", d->disks[i].f[f]);
	}
}

static void check(const void *res, int rc)
{
	const struct host_disks *d = res;
	for (size_t i = 0; i < d->n; i++) {
		unsigned n = d->disks[i].nfields;
		FUZZ_CHECK(n == HOST_DISK_CLASSIC_FIELDS || n == HOST_DISK_DISCARD_FIELDS ||
				   n == HOST_DISK_NFIELDS,
			   "%s has %u fields", d->disks[i].name, n);
	}
}

static void release(void *res)
{
	host_disks_release(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_proc p = { parse, dump, release, check };
	struct host_disks fresh = { 0 }, reused = { 0 };
	fuzz_proc_run(&p, &fresh, &reused, data, size);
	return 0;
}
