/*
 * pg_conn.h -- one libpq connection, used within deadlines.
 *
 * Connecting and every query are asynchronous under the hood and bounded
 * by the caller's deadline (monotonic ms), so a server that accepts TCP
 * and never answers, or a query stuck behind a lock, costs at most the
 * target's timeout: past the deadline the connection is dropped.  Used by one
 * collector instance on its worker thread only.
 */
#ifndef DBPULSE_PG_CONN_H
#define DBPULSE_PG_CONN_H

#include "pg_libpq.h"
#include <stddef.h>
#include <stdint.h>

struct pg_conn {
	PGconn *conn;             /* NULL while disconnected */
	int server_version;       /* server_version_num, once connected */
};

/* Connects with the given keyword/value pairs (NULL-terminated arrays as
 * PQconnectStartParams takes them) before deadline_ms.  Returns 0, or -1
 * with libpq's reason in err (never a password: libpq does not print it). */
int pg_conn_open(struct pg_conn *c, const char *const *keywords, const char *const *values,
		 int64_t deadline_ms, char *err, size_t errlen);
void pg_conn_close(struct pg_conn *c);
/* Whether the connection is usable. */
int pg_conn_ok(const struct pg_conn *c);

/*
 * Runs sql (with nparams text parameters) and returns its result, which the
 * caller PQclear()s, or NULL with the reason in err: the server's error
 * (the connection stays), the deadline or a broken connection (then the
 * connection is closed; pg_conn_ok() says so).  Only the last
 * result of a multi-statement string is returned.  With nparams 0 the
 * query goes over the simple query protocol (PQsendQuery), the only one
 * PgBouncer's admin console speaks; with parameters, the extended one.
 */
PGresult *pg_conn_query(struct pg_conn *c, const char *sql, int nparams,
			const char *const *params, int64_t deadline_ms, char *err, size_t errlen);

/* Has the server parse sql (the extended protocol's Parse, into the
 * unnamed statement, its parameter types left to the server) without
 * planning or running it.  0, or -1 with err as pg_conn_query's. */
int pg_conn_parse(struct pg_conn *c, const char *sql, int64_t deadline_ms, char *err, size_t errlen);

/* The server process of the connection (PQbackendPID), 0 when none. */
int pg_conn_backend_pid(const struct pg_conn *c);

/* Runs a command whose result is not needed; 0 or -1 with err. */
int pg_conn_exec(struct pg_conn *c, const char *sql, int64_t deadline_ms, char *err, size_t errlen);

/* A value of a result cell: NULL for SQL NULL. */
static inline const char *pg_cell(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

#endif
