/*
 * fuzz_proc_mountinfo.c -- /proc/self/mountinfo (collectors/host_proc.c
 * host_parse_mountinfo, with its octal unescaping host_unescape_octal),
 * and host_unescape_octal on its own over the whole input.
 *
 * Properties (see fuzz_proc.h): no crash, leak or UB; never fails (as
 * documented); a result parsed into again equals a fresh one; mount
 * points, types and sources are set; unescaping never lengthens a string
 * and leaves one without a backslash as it was.
 */
#include "autoconfig.h"

#include "fuzz_proc.h"

static int parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_mountinfo(text, len, out, err, errlen);
}

static void dump(const void *res, struct buf *out)
{
	const struct host_mounts *m = res;
	buf_printf(out, "bad=%u", m->bad_lines);
	for (size_t i = 0; i < m->n; i++)
		buf_printf(out, " [%s|%s|%s|%d]", m->mounts[i].mountpoint, m->mounts[i].fstype,
			   m->mounts[i].source, m->mounts[i].readonly);
}

static void check(const void *res, int rc)
{
	const struct host_mounts *m = res;
	FUZZ_CHECK(rc == 0, "host_parse_mountinfo failed");
	for (size_t i = 0; i < m->n; i++)
		FUZZ_CHECK(m->mounts[i].mountpoint && m->mounts[i].fstype && m->mounts[i].source,
			   "mount %zu has a NULL string", i);
}

static void release(void *res)
{
	host_mounts_release(res);
}

static void check_unescape(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	size_t before = strlen(s);
	int plain = strchr(s, '\\') == NULL;
	char *copy = plain ? fuzz_strndup(data, size) : NULL;
	FUZZ_CHECK(host_unescape_octal(s) == s, "did not return its argument");
	FUZZ_CHECK(strlen(s) <= before, "unescaping lengthened %zu to %zu", before, strlen(s));
	if (plain)
		FUZZ_CHECK(strcmp(s, copy) == 0, "changed a string without escapes");
	free(copy);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_proc p = { parse, dump, release, check };
	struct host_mounts fresh = { 0 }, reused = { 0 };
	fuzz_proc_run(&p, &fresh, &reused, data, size);
	check_unescape(data, size);
	return 0;
}
