/*
 * fuzz_proc_stat.c -- /proc/stat (collectors/host_proc.c host_parse_stat).
 *
 * Properties (see fuzz_proc.h): no crash, leak or UB; -1 only with a
 * reason; a result parsed into again equals a fresh one, ticks past
 * nmodes included (0); 4 <= nmodes <= HOST_CPU_NMODES.
 */
#include "autoconfig.h"

#include <inttypes.h>

#include "fuzz_proc.h"

static int parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_stat(text, len, out, err, errlen);
}

static void dump(const void *res, struct buf *out)
{
	const struct host_stat *s = res;
	buf_printf(out, "bad=%u have=%u", s->bad_lines, s->have);
	for (size_t i = 0; i < s->ncpus; i++) {
		buf_printf(out, " cpu%u/%u:", s->cpus[i].id, s->cpus[i].nmodes);
		for (unsigned m = 0; m < HOST_CPU_NMODES; m++)
			buf_printf(out, "%" PRIu64 ",", s->cpus[i].ticks[m]);
	}
	const uint64_t v[] = { s->ctxt, s->btime, s->processes, s->procs_running, s->procs_blocked };
	for (unsigned k = 0; k < 5; k++)
		if (s->have & (1u << k))
			buf_printf(out, " %u=%" PRIu64, k, v[k]);
}

static void check(const void *res, int rc)
{
	const struct host_stat *s = res;
	for (size_t i = 0; i < s->ncpus; i++)
		FUZZ_CHECK(s->cpus[i].nmodes >= 4 && s->cpus[i].nmodes <= HOST_CPU_NMODES,
			   "cpu%u has %u modes", s->cpus[i].id, s->cpus[i].nmodes);
}

static void release(void *res)
{
	host_stat_release(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_proc p = { parse, dump, release, check };
	struct host_stat fresh = { 0 }, reused = { 0 };
	fuzz_proc_run(&p, &fresh, &reused, data, size);
	return 0;
}
