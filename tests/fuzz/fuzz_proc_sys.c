/*
 * fuzz_proc_sys.c -- the parsers of the host's system sources
 * (collectors/host_sys_proc.c): the first byte picks one, the rest is its
 * input.
 *
 *   0  /proc/vmstat        host_parse_vmstat
 *   1  /proc/schedstat     host_parse_schedstat
 *   2  os-release          host_parse_os_release, and node_os_version and
 *                          SUPPORT_END of what it read
 *   3  udev's device data  host_parse_udev, host_udev_get
 *   4  SELinux's config    host_selinux_config_mode
 *   5  one number          host_parse_uint_text, host_parse_int_text,
 *                          host_os_version_of, host_parse_date, and a list
 *                          of CPUs (host_parse_cpu_range)
 *
 * Properties (see fuzz_proc.h for the first four): no crash, leak or UB;
 * -1 only with a reason; a result parsed into again equals a fresh one;
 * names and values stay inside the text; a property found is found again
 * by its name; a date is a whole day; the SELinux mode is -1, 0 or 1.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <math.h>

#include "fuzz_proc.h"
#include "host_sys_proc.h"

/* ---- vmstat ----------------------------------------------------------- */

static int vmstat_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_vmstat(text, len, out, err, errlen);
}

static void vmstat_dump(const void *res, struct buf *out)
{
	const struct host_vmstat *v = res;
	buf_printf(out, "bad=%u", v->bad_lines);
	for (size_t i = 0; i < v->n; i++)
		buf_printf(out, " %s=%a", v->fields[i].name, v->fields[i].value);
}

static void vmstat_release(void *res)
{
	host_vmstat_release(res);
}

/* ---- schedstat -------------------------------------------------------- */

static int schedstat_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_schedstat(text, len, out, err, errlen);
}

static void schedstat_dump(const void *res, struct buf *out)
{
	const struct host_schedstat *s = res;
	for (size_t i = 0; i < s->n; i++)
		buf_printf(out, " cpu%s=%" PRIu64 ",%" PRIu64 ",%" PRIu64, s->cpus[i].cpu,
			   s->cpus[i].running_ns, s->cpus[i].waiting_ns, s->cpus[i].timeslices);
}

static void schedstat_check(const void *res, int rc)
{
	const struct host_schedstat *s = res;
	for (size_t i = 0; i < s->n; i++)
		FUZZ_CHECK(s->cpus[i].cpu[0] >= '0' && s->cpus[i].cpu[0] <= '9', "cpu '%s'",
			   s->cpus[i].cpu);
}

static void schedstat_release(void *res)
{
	host_schedstat_release(res);
}

/* ---- os-release ------------------------------------------------------- */

static int os_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_os_release(text, len, out, err, errlen);
}

static void os_dump(const void *res, struct buf *out)
{
	const struct host_os_release *os = res;
	for (int k = 0; k < HOST_OS_NKEYS; k++)
		buf_printf(out, "%s=%s\n", host_os_variables[k], os->values[k]);
}

static void os_check(const void *res, int rc)
{
	const struct host_os_release *os = res;
	double v;
	int64_t ts;
	for (int k = 0; k < HOST_OS_NKEYS; k++)
		FUZZ_CHECK(os->values[k] != NULL, "key %d unset", k);
	if (host_os_version_of(os->values[HOST_OS_VERSION_ID], &v) == 0)
		FUZZ_CHECK(isfinite(v) && v >= 0, "version %g", v);
	if (host_parse_date(os->values[HOST_OS_SUPPORT_END], &ts) == 0)
		FUZZ_CHECK(ts % 86400 == 0, "date %" PRId64, ts);
}

/* ---- udev ------------------------------------------------------------- */

static int udev_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_udev(text, len, out, err, errlen);
}

static void udev_dump(const void *res, struct buf *out)
{
	const struct host_udev *u = res;
	for (size_t i = 0; i < u->n; i++)
		buf_printf(out, "%s=%s\n", u->props[i].name, u->props[i].value);
}

static void udev_check(const void *res, int rc)
{
	const struct host_udev *u = res;
	for (size_t i = 0; i < u->n; i++) {
		const char *v = host_udev_get(u, u->props[i].name);
		FUZZ_CHECK(v != NULL, "'%s' not found", u->props[i].name);
		FUZZ_CHECK(strchr(u->props[i].name, '=') == NULL, "name '%s'", u->props[i].name);
	}
}

static void udev_release(void *res)
{
	host_udev_release(res);
}

/* ---- the rest --------------------------------------------------------- */

static void fuzz_selinux(const uint8_t *data, size_t size)
{
	char *t = fuzz_strndup(data, size);
	int mode = host_selinux_config_mode(t, size);
	FUZZ_CHECK(mode >= -1 && mode <= 1, "mode %d", mode);
	free(t);
}

static void fuzz_numbers(const uint8_t *data, size_t size)
{
	char *a = fuzz_strndup(data, size), *b = fuzz_strndup(data, size);
	uint64_t u;
	int64_t s, ts;
	double v;
	if (host_parse_uint_text(a, &u) == 0 && host_parse_int_text(b, &s) == 0)
		FUZZ_CHECK(u > INT64_MAX || (uint64_t)s == u, "%" PRIu64 " vs %" PRId64, u, s);
	free(a);
	free(b);
	a = fuzz_strndup(data, size);
	if (host_os_version_of(a, &v) == 0)
		FUZZ_CHECK(isfinite(v) && v >= 0, "version %g", v);
	if (host_parse_date(a, &ts) == 0)
		FUZZ_CHECK(ts % 86400 == 0 && strlen(a) == 10, "date '%s' %" PRId64, a, ts);
	unsigned *cpus = NULL;
	size_t n, alloc = 0;
	if (host_parse_cpu_range(a, &cpus, &n, &alloc) == 0)
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(cpus[i] < HOST_CPU_RANGE_MAX, "cpu %u", cpus[i]);
	free(cpus);
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint8_t which = data[0] % 6;
	data++;
	size--;
	switch (which) {
	case 0: {
		static const struct fuzz_proc p = { vmstat_parse, vmstat_dump, vmstat_release, NULL };
		struct host_vmstat fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(&p, &fresh, &reused, data, size);
		break;
	}
	case 1: {
		static const struct fuzz_proc p = { schedstat_parse, schedstat_dump, schedstat_release,
						    schedstat_check };
		struct host_schedstat fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(&p, &fresh, &reused, data, size);
		break;
	}
	case 2: {
		static const struct fuzz_proc p = { os_parse, os_dump, NULL, os_check };
		struct host_os_release fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(&p, &fresh, &reused, data, size);
		break;
	}
	case 3: {
		static const struct fuzz_proc p = { udev_parse, udev_dump, udev_release, udev_check };
		struct host_udev fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(&p, &fresh, &reused, data, size);
		break;
	}
	case 4:
		fuzz_selinux(data, size);
		break;
	default:
		fuzz_numbers(data, size);
		break;
	}
	return 0;
}
