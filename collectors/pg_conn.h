/*
 * pg_conn.h -- one libpq connection, used within deadlines.
 *
 * Connecting and every query are asynchronous under the hood and bounded
 * by the caller's deadline (monotonic ms), so a server that accepts TCP
 * and never answers, or a query stuck behind a lock, costs at most the
 * target's timeout: past the deadline the connection is dropped.  Used by one
 * collector instance on its worker thread only.  pg_conn_open_dsn() opens
 * it from a target's DSN and password source, as both the PostgreSQL and
 * the PgBouncer collectors do.
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

/* What pg_conn_open_dsn() connects with: a target's DSN and password
 * source, and what the collector sets itself. */
struct pg_dsn {
	const char *dsn;              /* libpq connection string or URI, no password */
	const char *password_file;    /* at most one of the two, or neither */
	const char *password_env;
	int64_t timeout_ms;           /* connect_timeout: in whole seconds, at least 2 */
	const char *dbname;           /* replaces the DSN's database; NULL keeps it */
	const char *default_dbname;   /* when the DSN names none; NULL: libpq's default */
	const char *session_options;  /* appended to the DSN's `options`; NULL: those
				       * are sent as the DSN has them */
};

/*
 * The keyword/value pairs pg_conn_open_dsn() connects with, but the
 * password: the DSN's non-empty keywords, less those the collector sets
 * itself (application_name, fallback_application_name, connect_timeout and
 * password always; dbname when d->dbname is set, options when
 * d->session_options is), then dbname, options, application_name=dbpulse
 * and connect_timeout.  The arrays have room for one more pair at n (the
 * password's).  Returns 0, or -1 with "dsn: <libpq's reason>" in err.
 * Release with pg_dsn_params_release() after a 0.
 */
struct pg_dsn_params {
	PQconninfoOption *opts;       /* the parsed DSN, which kw/val point into */
	const char **kw;              /* NULL-terminated, as PQconnectStartParams */
	const char **val;             /* takes them */
	size_t n;                     /* pairs before the terminator */
	char options[1024];
	char timeout_s[32];
};
int pg_dsn_params_init(struct pg_dsn_params *p, const struct pg_dsn *d, char *err, size_t errlen);
void pg_dsn_params_release(struct pg_dsn_params *p);

/* Reads the password (secret.h), then connects as pg_conn_open() with
 * pg_dsn_params_init()'s pairs.  Returns 0, or -1 with the reason in err
 * (never the password). */
int pg_conn_open_dsn(struct pg_conn *c, const struct pg_dsn *d, int64_t deadline_ms, char *err,
		     size_t errlen);

/* A section's check of its dsn key (a config load): set, libpq loadable,
 * parsed by libpq, and without a password.  Returns 0, or -1 with the
 * reason in err ("dsn: ..."). */
int pg_dsn_check(const char *dsn, char *err, size_t errlen);

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

/* One query of pg_conn_pipeline(): its text and text parameters (the
 * extended protocol: one statement); then its result, which the caller
 * PQclear()s, or the server's error in err; and seconds, the time from
 * the end of the query before it (or from the send, for the first) to the
 * end of its own: about its execution, as the server runs them in turn. */
struct pg_pipelined {
	const char *sql;
	int nparams;
	const char *const *params;
	PGresult *result;
	double seconds;
	char err[256];
};

/*
 * Runs the n queries as pg_conn_query() would one after the other, but
 * sends them all at once (libpq's pipeline mode) and reads their results
 * in order: one round trip instead of one for each.  A query's error
 * fails only that query (the ones after it are sent again).  With a
 * libpq older than 14 (no pipeline mode), one after the other.  Returns 0 when the connection survived:
 * every query then has its result or its err.  -1 with the reason in err
 * when the deadline passed or the connection broke (then closed): the
 * queries whose result had not come have neither (their err says so).
 */
int pg_conn_pipeline(struct pg_conn *c, struct pg_pipelined *q, size_t n, int64_t deadline_ms,
		     char *err, size_t errlen);

/* What pg_conn_query_rows() hands each piece of a result to: r holds one
 * row (single-row mode), a chunk of them (libpq 17's chunked mode) or,
 * when libpq read the result whole, all of them; never zero.  r is
 * libpq's and cleared after the call.  Returns 0, or -1 with the reason
 * in err: then no more pieces come (the rest is read and dropped). */
typedef int pg_rows_fn(void *ctx, const PGresult *r, char *err, size_t errlen);

/* Rows per piece in chunked mode (libpq 17+). */
#define PG_ROWS_CHUNK 256

/*
 * Runs sql as pg_conn_query() does with parameters (the extended protocol,
 * text parameters), but hands the rows to fn piece by piece as they arrive
 * (single-row mode; chunked mode where libpq has it), so that a large
 * result is never held whole: a cycle then neither allocates nor gives
 * back megabytes.  flags: PG_ROWS_BINARY, the columns come in binary
 * format (PQftype says how to decode them); PG_ROWS_WHOLE, the result
 * comes whole and goes to fn at once (no result per row: for a read
 * that is rare and whose cost counts, the one with texts).  Within
 * deadline_ms as pg_conn_query.
 * Returns 0 once every row went to fn, or -1 with the reason in err: the
 * server's error (which may come after some rows did: the caller drops
 * what it took), fn's, the deadline or a broken connection (then closed).
 */
#define PG_ROWS_BINARY 1u
#define PG_ROWS_WHOLE 2u
int pg_conn_query_rows(struct pg_conn *c, const char *sql, int nparams, const char *const *params,
		       unsigned flags, pg_rows_fn *fn, void *ctx, int64_t deadline_ms, char *err,
		       size_t errlen);

/* What pg_conn_copy_rows() hands each message of a COPY out to: msg
 * (len bytes) is one CopyData message, libpq's, freed after the call.
 * Returns 0, or -1 with the reason in err: then no more messages come
 * (the rest is read and dropped). */
typedef int pg_copy_fn(void *ctx, const char *msg, int len, char *err, size_t errlen);

/*
 * Runs sql, a `COPY ... TO STDOUT` (the extended protocol, no parameters:
 * COPY takes none), and hands the data to fn a message at a time as it
 * arrives (PQgetCopyData): no PGresult is made per row or held whole,
 * which makes it the cheapest way to read a large result row by row.
 * Within deadline_ms as pg_conn_query.  Returns 0 once every message went
 * to fn and the command succeeded, or -1 with the reason in err as
 * pg_conn_query_rows.
 */
int pg_conn_copy_rows(struct pg_conn *c, const char *sql, pg_copy_fn *fn, void *ctx,
		      int64_t deadline_ms, char *err, size_t errlen);

/* Has the server parse sql (the extended protocol's Parse, into the
 * unnamed statement, its parameter types left to the server) without
 * planning or running it.  0, or -1 with err as pg_conn_query's. */
int pg_conn_parse(struct pg_conn *c, const char *sql, int64_t deadline_ms, char *err, size_t errlen);

/* Prepares sql as the statement name ("" the unnamed one; its parameter
 * types left to the server: the extended protocol's Parse, so nothing of
 * it reaches pg_stat_statements) and describes it: how many parameters it
 * takes, or -1 with err as pg_conn_query's.  The statement lives until
 * DEALLOCATE or the end of the session. */
int pg_conn_prepare(struct pg_conn *c, const char *name, const char *sql, int64_t deadline_ms,
		    char *err, size_t errlen);

/* The server process of the connection (PQbackendPID), 0 when none. */
int pg_conn_backend_pid(const struct pg_conn *c);

/* Runs a command whose result is not needed; 0 or -1 with err. */
int pg_conn_exec(struct pg_conn *c, const char *sql, int64_t deadline_ms, char *err, size_t errlen);

/* A value of a result cell: NULL for SQL NULL. */
static inline const char *pg_cell(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* The text of cell (row, col), "" when NULL or the column is missing. */
static inline const char *pg_cell_str(const PGresult *r, int row, int col)
{
	const char *s = col < PQnfields(r) ? pg_cell(r, row, col) : NULL;
	return s ? s : "";
}

/* The number in cell (row, col) into *v: 0, or -1 when the column is
 * missing, the cell NULL or not a number. */
int pg_cell_num(const PGresult *r, int row, int col, double *v);

/* The number in cell (row, col); 0 when the column is missing, the cell
 * NULL or not a number (postgres_exporter's value for NULL). */
double pg_cell_or_zero(const PGresult *r, int row, int col);

#endif
