/*
 * build_info.c -- the peers' build info families (see build_info.h).
 * Called by the collectors on their worker threads; keeps nothing.
 */
#include "autoconfig.h"
#include "build_info.h"
#include "metrics.h"
#include "version.h"

#include <stdio.h>
#include "banned.h"

/* Go's name of the architecture dbpulse was built for (GOARCH). */
static const char *go_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "386";
#elif defined(__arm__)
	return "arm";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#else
	return "";
#endif
}

void build_info_add(struct batch *b, const char *exporter, enum build_info_style style,
		    const char *target)
{
	char name[96], help[256];
	snprintf(name, sizeof(name), "%s_build_info", exporter);
	snprintf(help, sizeof(help),
		 "dbpulse serving %s's families: a constant 1 labelled by dbpulse's version and git "
		 "revision (the peer's dashboards list their instances by it).", exporter);
	const char *l[18];
	size_t n = 0;
	if (target) {
		l[n++] = "target";
		l[n++] = target;
	}
	if (style == BUILD_INFO_REDIS_EXPORTER) {
		const char *pairs[] = { "build_date", "", "commit_sha", dbpulse_revision,
					"golang_version", "", "version", PACKAGE_VERSION };
		for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
			l[n++] = pairs[i];
	} else {
		const char *pairs[] = { "branch", "", "goarch", go_arch(), "goos", "linux",
					"goversion", "", "revision", dbpulse_revision, "tags", "",
					"version", PACKAGE_VERSION };
		for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
			l[n++] = pairs[i];
	}
	batch_addv(b, name, help, METRIC_GAUGE, 1, l, n / 2);
}
