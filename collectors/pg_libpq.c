/*
 * pg_libpq.c -- loads libpq at run time (see pg_libpq.h).  Called from any
 * thread that is about to use libpq; pthread_once makes the load happen
 * once, and the table is read-only afterwards.
 */
#include "autoconfig.h"
#define DBPULSE_PG_LIBPQ_NO_MACROS /* the table names its members like the functions */
#include "pg_libpq.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

struct pg_libpq pg_libpq;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256]; /* written once, under load_once */

struct symbol {
	const char *name;
	size_t offset;
};

static const struct symbol symbols[] = {
	{ "PQconnectStartParams", offsetof(struct pg_libpq, PQconnectStartParams) },
	{ "PQconnectPoll", offsetof(struct pg_libpq, PQconnectPoll) },
	{ "PQstatus", offsetof(struct pg_libpq, PQstatus) },
	{ "PQerrorMessage", offsetof(struct pg_libpq, PQerrorMessage) },
	{ "PQfinish", offsetof(struct pg_libpq, PQfinish) },
	{ "PQsetnonblocking", offsetof(struct pg_libpq, PQsetnonblocking) },
	{ "PQserverVersion", offsetof(struct pg_libpq, PQserverVersion) },
	{ "PQsocket", offsetof(struct pg_libpq, PQsocket) },
	{ "PQdb", offsetof(struct pg_libpq, PQdb) },
	{ "PQuser", offsetof(struct pg_libpq, PQuser) },
	{ "PQsendQuery", offsetof(struct pg_libpq, PQsendQuery) },
	{ "PQsendQueryParams", offsetof(struct pg_libpq, PQsendQueryParams) },
	{ "PQsendPrepare", offsetof(struct pg_libpq, PQsendPrepare) },
	{ "PQsendDescribePrepared", offsetof(struct pg_libpq, PQsendDescribePrepared) },
	{ "PQnparams", offsetof(struct pg_libpq, PQnparams) },
	{ "PQbackendPID", offsetof(struct pg_libpq, PQbackendPID) },
	{ "PQflush", offsetof(struct pg_libpq, PQflush) },
	{ "PQisBusy", offsetof(struct pg_libpq, PQisBusy) },
	{ "PQconsumeInput", offsetof(struct pg_libpq, PQconsumeInput) },
	{ "PQgetResult", offsetof(struct pg_libpq, PQgetResult) },
	{ "PQclear", offsetof(struct pg_libpq, PQclear) },
	{ "PQresultStatus", offsetof(struct pg_libpq, PQresultStatus) },
	{ "PQresultErrorMessage", offsetof(struct pg_libpq, PQresultErrorMessage) },
	{ "PQntuples", offsetof(struct pg_libpq, PQntuples) },
	{ "PQnfields", offsetof(struct pg_libpq, PQnfields) },
	{ "PQfname", offsetof(struct pg_libpq, PQfname) },
	{ "PQgetvalue", offsetof(struct pg_libpq, PQgetvalue) },
	{ "PQgetisnull", offsetof(struct pg_libpq, PQgetisnull) },
	{ "PQconninfoParse", offsetof(struct pg_libpq, PQconninfoParse) },
	{ "PQconninfoFree", offsetof(struct pg_libpq, PQconninfoFree) },
	{ "PQfreemem", offsetof(struct pg_libpq, PQfreemem) },
	{ "PQmakeEmptyPGresult", offsetof(struct pg_libpq, PQmakeEmptyPGresult) },
	{ "PQsetResultAttrs", offsetof(struct pg_libpq, PQsetResultAttrs) },
	{ "PQsetvalue", offsetof(struct pg_libpq, PQsetvalue) },
	{ "PQsetSingleRowMode", offsetof(struct pg_libpq, PQsetSingleRowMode) },
	{ "PQftype", offsetof(struct pg_libpq, PQftype) },
	{ "PQgetlength", offsetof(struct pg_libpq, PQgetlength) },
	{ "PQgetCopyData", offsetof(struct pg_libpq, PQgetCopyData) },
};

/* Newer than the oldest libpq the agent runs with: left NULL when missing */
static const struct symbol optional_symbols[] = {
	{ "PQsetChunkedRowsMode", offsetof(struct pg_libpq, PQsetChunkedRowsMode) },
	{ "PQenterPipelineMode", offsetof(struct pg_libpq, PQenterPipelineMode) },
	{ "PQexitPipelineMode", offsetof(struct pg_libpq, PQexitPipelineMode) },
	{ "PQpipelineSync", offsetof(struct pg_libpq, PQpipelineSync) },
	{ "PQsendFlushRequest", offsetof(struct pg_libpq, PQsendFlushRequest) },
};

static void load(void)
{
	/* the soname of the libpq this was built against (5 since 8.x) */
	void *lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(load_error, sizeof(load_error), "cannot load libpq: %s", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *sym = dlsym(lib, symbols[i].name);
		if (!sym) {
			snprintf(load_error, sizeof(load_error), "libpq has no %s", symbols[i].name);
			return;
		}
		memcpy((char *)&pg_libpq + symbols[i].offset, &sym, sizeof(sym));
	}
	for (size_t i = 0; i < sizeof(optional_symbols) / sizeof(optional_symbols[0]); i++) {
		void *sym = dlsym(lib, optional_symbols[i].name);
		memcpy((char *)&pg_libpq + optional_symbols[i].offset, &sym, sizeof(sym));
	}
}

int pg_libpq_load(char *err, size_t errlen)
{
	pthread_once(&load_once, load);
	if (load_error[0]) {
		snprintf(err, errlen, "%s", load_error);
		return -1;
	}
	return 0;
}
