/*
 * pg_sessions.h -- what runs on a PostgreSQL server right now, for the
 * API's /api/activity: the result of pg_sql_sessions() turned into the
 * sessions of a db_view.  Pure: no I/O.
 */
#ifndef DBPULSE_PG_SESSIONS_H
#define DBPULSE_PG_SESSIONS_H

#include <stddef.h>

#include "pg_libpq.h"

struct db_view;

/* Fills v's sessions and counts from a pg_sql_sessions() result (columns
 * as documented there); query texts are cut at query_max bytes.  Rows
 * that do not parse are skipped. */
void pg_sessions_fill(struct db_view *v, const PGresult *r, size_t query_max);

#endif
