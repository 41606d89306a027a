/*
 * host_fixtures.h -- what the host collector's two test programs share:
 * where the captured /proc, /sys, os-release and udev files are
 * (tests/data/{proc,sys,root,udev}, found through $top_srcdir, which the
 * test harness exports), and small helpers.
 * Include after <cmocka.h>.
 */
#ifndef DBPULSE_HOST_FIXTURES_H
#define DBPULSE_HOST_FIXTURES_H

#include <math.h>
#include <stdlib.h>

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

#endif
