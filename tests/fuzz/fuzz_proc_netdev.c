/*
 * fuzz_proc_netdev.c -- /proc/net/dev (collectors/host_proc.c
 * host_parse_netdev).
 *
 * Properties (see fuzz_proc.h): no crash, leak or UB; never fails (as
 * documented); a result parsed into again equals a fresh one; device
 * names are not empty and hold no ':' or space.
 */
#include "autoconfig.h"

#include <inttypes.h>

#include "fuzz_proc.h"

static int parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_netdev(text, len, out, err, errlen);
}

static void dump(const void *res, struct buf *out)
{
	const struct host_netdevs *n = res;
	buf_printf(out, "bad=%u", n->bad_lines);
	for (size_t i = 0; i < n->n; i++) {
		buf_printf(out, " %s:", n->devs[i].name);
		for (unsigned f = 0; f < HOST_NET_NFIELDS; f++)
			buf_printf(out, "%" PRIu64 ",", n->devs[i].f[f]);
	}
}

static void check(const void *res, int rc)
{
	const struct host_netdevs *n = res;
	FUZZ_CHECK(rc == 0, "host_parse_netdev failed");
	for (size_t i = 0; i < n->n; i++)
		FUZZ_CHECK(n->devs[i].name[0] && !strpbrk(n->devs[i].name, ": \t"),
			   "device name '%s'", n->devs[i].name);
}

static void release(void *res)
{
	host_netdevs_release(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_proc p = { parse, dump, release, check };
	struct host_netdevs fresh = { 0 }, reused = { 0 };
	fuzz_proc_run(&p, &fresh, &reused, data, size);
	return 0;
}
