/*
 * pg_query_lib.c -- loads libpg_query at run time (see pg_query_lib.h).
 * pthread_once makes the load happen once, whatever the thread; the table
 * is read-only afterwards.
 */
#include "autoconfig.h"
#define DBPULSE_PG_QUERY_LIB_NO_MACROS /* the table names its members like the functions */
#include "pg_query_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

struct pg_query_lib pg_query_lib;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256]; /* written once, under load_once */
static atomic_int loaded;

static void load(void)
{
	/* the soname of the libpg_query this was built against (configure) */
	void *lib = dlopen(PG_QUERY_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(load_error, sizeof(load_error), "cannot load libpg_query: %s", dlerror());
		return;
	}
	static const struct {
		const char *name;
		size_t offset;
	} symbols[] = {
		{ "pg_query_parse", offsetof(struct pg_query_lib, pg_query_parse) },
		{ "pg_query_free_parse_result", offsetof(struct pg_query_lib, pg_query_free_parse_result) },
		{ "pg_query_exit", offsetof(struct pg_query_lib, pg_query_exit) },
	};
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *sym = dlsym(lib, symbols[i].name);
		if (!sym) {
			snprintf(load_error, sizeof(load_error), "libpg_query has no %s", symbols[i].name);
			return;
		}
		memcpy((char *)&pg_query_lib + symbols[i].offset, &sym, sizeof(sym));
	}
	atomic_store(&loaded, 1);
}

int pg_query_lib_load(char *err, size_t errlen)
{
	pthread_once(&load_once, load);
	if (load_error[0]) {
		snprintf(err, errlen, "%s", load_error);
		return -1;
	}
	return 0;
}

int pg_query_lib_loaded(void)
{
	return atomic_load(&loaded);
}
