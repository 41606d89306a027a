/*
 * pg_fixtures.h -- what the test programs of the PostgreSQL and PgBouncer
 * collectors share: the group setup that loads libpq (pg_libpq.h), which
 * they call without a server (PQconninfoParse, PQmakeEmptyPGresult ...).
 * Include after <cmocka.h>.
 */
#ifndef DBPULSE_PG_FIXTURES_H
#define DBPULSE_PG_FIXTURES_H

#include <stdio.h>

#include "pg_libpq.h"

/* cmocka group setup: loads libpq, or fails the group with the reason. */
static inline int load_libpq(void **state)
{
	char err[256];
	(void)state;
	if (pg_libpq_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

#endif
