/*
 * pg_query_lib.h -- libpg_query, loaded when the advisor first parses a
 * statement (advice_plans).
 *
 * libpg_query is the PostgreSQL parser: 2.7 MB of code and tables whose
 * data, relocated at load, would cost every process about 1 MiB of
 * resident memory, whether it ever parses or not.  So it is not linked:
 * pg_query_lib_load() dlopen()s it (RTLD_LOCAL, so that neither it nor
 * libpq, loaded the same way, sees the other's copies of PostgreSQL's
 * functions) and fills a table of its three functions; the macros below
 * make their usual names call through the table.  Include this instead of
 * <pg_query.h>.
 */
#ifndef DBPULSE_PG_QUERY_LIB_H
#define DBPULSE_PG_QUERY_LIB_H

#include <pg_query.h>
#include <stddef.h>

struct pg_query_lib {
	PgQueryParseResult (*pg_query_parse)(const char *input);
	void (*pg_query_free_parse_result)(PgQueryParseResult result);
	void (*pg_query_exit)(void);
};

extern struct pg_query_lib pg_query_lib;

/* Loads libpg_query (once, thread-safe); 0, or -1 with why in err. */
int pg_query_lib_load(char *err, size_t errlen);
/* Whether it was loaded. */
int pg_query_lib_loaded(void);

#ifndef DBPULSE_PG_QUERY_LIB_NO_MACROS
#define pg_query_parse (pg_query_lib.pg_query_parse)
#define pg_query_free_parse_result (pg_query_lib.pg_query_free_parse_result)
#define pg_query_exit (pg_query_lib.pg_query_exit)
#endif

#endif
