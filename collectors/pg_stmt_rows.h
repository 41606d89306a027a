/*
 * pg_stmt_rows.h -- a row of the read of pg_stat_statements' counters
 * (pg_sql_pgss / pg_sql_pgss_texts), in binary format, as the statement
 * engine takes it.  Used by pg_stmt_collect.c on the target's worker for
 * every row; pure functions of the result (or of the COPY message), so
 * tests build one without a server (PQmakeEmptyPGresult).
 */
#ifndef DBPULSE_PG_STMT_ROWS_H
#define DBPULSE_PG_STMT_ROWS_H

#include "pg_libpq.h"
#include "pg_stmt_engine.h"

#include <stddef.h>

/* Whether r's columns are those of the read and of types decoded: dbid,
 * userid and queryid integers (oid, int8), the PGSS_NFIELDS counters
 * numbers (pg_binary.h: integers or float8), then with_texts the text.
 * Returns 0, or -1 with err naming the first column that is not (the SQL
 * changed without its decoding). */
int pg_stmt_rows_check(const PGresult *r, int with_texts, char *err, size_t errlen);

/* Decodes row i of r (checked) into row's key and counters; a NULL
 * counter is 0, a NULL or out-of-range key no row.  row->own is left for
 * the caller.  Returns 0, or -1 with the 1-based column that does not
 * decode in *bad. */
int pg_stmt_row_decode(const PGresult *r, int i, struct pgss_row *row, int *bad);

/* Decodes one message of the binary COPY of the counters (pg_sql_pgss:
 * dbid and userid oid, queryid int8, the PGSS_NFIELDS counters cast to
 * float8) into row, as pg_stmt_row_decode() does; *started as
 * pg_copy_split() takes it.  Returns 1 for a row, 0 at the stream's end,
 * or -1 with the 1-based column that does not decode in *bad (0: the
 * message itself is malformed or has another number of columns). */
int pg_stmt_copy_decode(const char *msg, int len, int *started, struct pgss_row *row, int *bad);

#endif
