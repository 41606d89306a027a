/*
 * pg_conn.c -- a libpq connection bounded by deadlines (see pg_conn.h).
 *
 * Everything goes through libpq's non-blocking calls and poll(2) on the
 * connection's socket, so the worker thread never blocks past its deadline
 * inside libpq.  The session's statement_timeout and lock_timeout (set by
 * the collector) end slow queries on the server; when the client deadline
 * passes anyway, the server is not answering and the connection is closed
 * (PQcancel would block on such a server).
 *
 * It also turns a target's DSN into the connection both PostgreSQL and
 * PgBouncer collectors open (pg_conn_open_dsn): the keywords the agent sets
 * itself are taken out of the DSN, and the password is read from its file
 * or variable at each connect and wiped after.
 */
#include "autoconfig.h"
#include "pg_conn.h"
#include "secret.h"
#include "strutil.h"
#include "xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "banned.h"

static void set_err(char *err, size_t errlen, const char *prefix, const char *msg)
{
	char clean[512];
	snprintf(clean, sizeof(clean), "%s", msg ? msg : "");
	/* libpq messages end with a newline and may hold several lines */
	for (char *p = clean; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	snprintf(err, errlen, "%s%s", prefix, trim(clean));
}

/* Waits for the socket until deadline; 1 ready, 0 timed out, -1 error. */
static int wait_socket(PGconn *conn, int for_write, int64_t deadline_ms)
{
	int fd = PQsocket(conn);
	if (fd < 0)
		return -1;
	for (;;) {
		int64_t left = deadline_ms - now_mono_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = for_write ? POLLOUT : POLLIN };
		int rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

int pg_conn_open(struct pg_conn *c, const char *const *keywords, const char *const *values,
		 int64_t deadline_ms, char *err, size_t errlen)
{
	pg_conn_close(c);
	PGconn *conn = PQconnectStartParams(keywords, values, 0);
	if (!conn) {
		snprintf(err, errlen, "out of memory starting a connection");
		return -1;
	}
	if (PQstatus(conn) == CONNECTION_BAD) {
		set_err(err, errlen, "", PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			set_err(err, errlen, "", PQerrorMessage(conn));
			PQfinish(conn);
			return -1;
		}
		int rc = wait_socket(conn, st == PGRES_POLLING_WRITING, deadline_ms);
		if (rc <= 0) {
			snprintf(err, errlen, rc == 0 ? "connection timed out" : "connection failed: %s",
				 strerror(errno));
			PQfinish(conn);
			return -1;
		}
		st = PQconnectPoll(conn);
	}
	if (PQsetnonblocking(conn, 1) != 0) {
		set_err(err, errlen, "", PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	c->conn = conn;
	c->server_version = PQserverVersion(conn);
	return 0;
}

/* Whether the DSN's options give keyword a non-empty value. */
static int dsn_has(const PQconninfoOption *opts, const char *keyword)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0 && o->val && *o->val)
			return 1;
	return 0;
}

int pg_dsn_check(const char *dsn, char *err, size_t errlen)
{
	char *perr = NULL;
	/* config.c runs validate only when the required dsn is set; this is
	 * for any other caller (PQconninfoParse(NULL) would crash) */
	if (!dsn) {
		snprintf(err, errlen, "dsn: required key missing");
		return -1;
	}
	if (pg_libpq_load(err, errlen) < 0)
		return -1;
	PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
	if (!opts) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", perr ? perr : "out of memory");
		PQfreemem(perr);
		snprintf(err, errlen, "dsn: %s", trim(msg));
		return -1;
	}
	int has_password = dsn_has(opts, "password");
	PQconninfoFree(opts);
	if (has_password) {
		snprintf(err, errlen, "dsn: holds a password; use password_file or password_env");
		return -1;
	}
	return 0;
}

/* Whether the DSN's keyword k is one the collector sets itself, whatever
 * the DSN says. */
static int own_keyword(const char *k)
{
	return strcmp(k, "application_name") == 0 || strcmp(k, "connect_timeout") == 0 ||
	       strcmp(k, "password") == 0 || strcmp(k, "fallback_application_name") == 0;
}

int pg_dsn_params_init(struct pg_dsn_params *p, const struct pg_dsn *d, char *err, size_t errlen)
{
	char *perr = NULL;
	memset(p, 0, sizeof(*p));
	p->opts = PQconninfoParse(d->dsn, &perr);
	if (!p->opts) {
		snprintf(err, errlen, "dsn: %s", perr ? perr : "cannot parse");
		PQfreemem(perr);
		return -1;
	}
	size_t n = 0;
	for (PQconninfoOption *o = p->opts; o->keyword; o++)
		n++;
	/* dbname, options, application_name, connect_timeout, the password
	 * and the terminator at the most */
	p->kw = xcalloc(n + 6, sizeof(*p->kw));
	p->val = xcalloc(n + 6, sizeof(*p->val));
	size_t k = 0;
	const char *user_options = NULL;
	for (PQconninfoOption *o = p->opts; o->keyword; o++) {
		if (!o->val || !*o->val || own_keyword(o->keyword))
			continue;
		if (d->session_options && strcmp(o->keyword, "options") == 0) {
			user_options = o->val;
			continue;
		}
		if (d->dbname && strcmp(o->keyword, "dbname") == 0)
			continue;
		p->kw[k] = o->keyword;
		p->val[k++] = o->val;
	}
	if (d->dbname) {
		p->kw[k] = "dbname";
		p->val[k++] = d->dbname;
	} else if (d->default_dbname && !dsn_has(p->opts, "dbname")) {
		p->kw[k] = "dbname";
		p->val[k++] = d->default_dbname;
	}
	if (d->session_options) {
		snprintf(p->options, sizeof(p->options), "%s%s%s", user_options ? user_options : "",
			 user_options ? " " : "", d->session_options);
		p->kw[k] = "options";
		p->val[k++] = p->options;
	}
	long long seconds = (d->timeout_ms + 999) / 1000;
	snprintf(p->timeout_s, sizeof(p->timeout_s), "%lld", seconds < 2 ? 2 : seconds);
	p->kw[k] = "application_name";
	p->val[k++] = "dbpulse";
	p->kw[k] = "connect_timeout";
	p->val[k++] = p->timeout_s;
	p->n = k;
	return 0;
}

void pg_dsn_params_release(struct pg_dsn_params *p)
{
	free(p->kw);
	free(p->val);
	PQconninfoFree(p->opts);
	memset(p, 0, sizeof(*p));
}

int pg_conn_open_dsn(struct pg_conn *c, const struct pg_dsn *d, int64_t deadline_ms, char *err,
		     size_t errlen)
{
	struct pg_dsn_params p;
	if (pg_dsn_params_init(&p, d, err, errlen) < 0)
		return -1;
	char password[1024];
	int has_password = secret_read(d->password_file, "password_file", d->password_env, password,
				       sizeof(password), err, errlen);
	if (has_password < 0) {
		pg_dsn_params_release(&p);
		return -1;
	}
	if (has_password) { /* in the room params_init left */
		p.kw[p.n] = "password";
		p.val[p.n] = password;
	}
	int rc = pg_conn_open(c, p.kw, p.val, deadline_ms, err, errlen);
	explicit_bzero(password, sizeof(password));
	pg_dsn_params_release(&p);
	return rc;
}

void pg_conn_close(struct pg_conn *c)
{
	if (c->conn)
		PQfinish(c->conn);
	c->conn = NULL;
	c->server_version = 0;
}

int pg_conn_ok(const struct pg_conn *c)
{
	return c->conn && PQstatus(c->conn) == CONNECTION_OK;
}

/* Pushes out what PQsend* queued; 0, or -1 with err and the connection
 * closed. */
static int flush_query(struct pg_conn *c, int64_t deadline_ms, char *err, size_t errlen)
{
	for (;;) {
		int f = PQflush(c->conn);
		if (f == 0)
			return 0;
		if (f < 0 || wait_socket(c->conn, 1, deadline_ms) <= 0) {
			snprintf(err, errlen, "cannot send the query");
			pg_conn_close(c);
			return -1;
		}
	}
}

/* Whether r is a piece of a result read row by row (single-row or chunked
 * mode), which goes to the row sink rather than being the result. */
static int is_rows_piece(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
#if HAVE_DECL_PQSETCHUNKEDROWSMODE
	if (st == PGRES_TUPLES_CHUNK)
		return 1;
#endif
	return st == PGRES_SINGLE_TUPLE;
}

/* Where the rows of a result read piece by piece go (pg_conn_query_rows:
 * fn; pg_conn_copy_rows: copy_fn): called until it fails, the rest is read
 * and dropped. */
struct row_sink {
	pg_rows_fn *fn;
	pg_copy_fn *copy_fn;
	void *ctx;
	int failed;            /* fn returned -1; its reason is in ferr */
	char ferr[256];
};

/* Hands r's rows to the sink (when there is one and it has not failed)
 * and clears r. */
static void sink_rows(struct row_sink *sink, PGresult *r)
{
	if (sink && !sink->failed && PQntuples(r) > 0 &&
	    sink->fn(sink->ctx, r, sink->ferr, sizeof(sink->ferr)) < 0)
		sink->failed = 1;
	PQclear(r);
}

/* Waits for more of the result to arrive and reads it in; 0, or -1 with
 * err and the connection closed (the deadline passed, or it broke). */
static int await_input(struct pg_conn *c, int64_t deadline_ms, char *err, size_t errlen)
{
	int rc = wait_socket(c->conn, 0, deadline_ms);
	if (rc == 0) {
		/* statement_timeout and lock_timeout normally end a query on
		 * the server first; a server that does not answer at all is
		 * left behind (PQcancel could block on it) */
		snprintf(err, errlen, "query timed out; connection dropped");
		pg_conn_close(c);
		return -1;
	}
	if (rc < 0 || PQconsumeInput(c->conn) == 0) {
		set_err(err, errlen, "connection lost: ", PQerrorMessage(c->conn));
		pg_conn_close(c);
		return -1;
	}
	return 0;
}

/* While a COPY streams in, the socket counts as readable only once this
 * much arrived (SO_RCVLOWAT), or COPY_BATCH_MS passed: the server sends
 * its rows in 8 KiB pieces slower than they are decoded, and waking for
 * each piece costs more (poll, recv, a switch) than the rows it brings. */
#define COPY_LOWAT (64 * 1024)
#define COPY_BATCH_MS 2

/* Sets the socket's SO_RCVLOWAT (best effort: unset, every wait is only
 * shorter). */
static void set_lowat(PGconn *conn, int bytes)
{
	int fd = PQsocket(conn);
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof(bytes));
}

/* Waits for COPY_LOWAT bytes, at most COPY_BATCH_MS (whatever came is
 * read then), within deadline_ms; then reads in what arrived.  0, or -1
 * as await_input. */
static int await_batch(struct pg_conn *c, int64_t deadline_ms, char *err, size_t errlen)
{
	int64_t until = now_mono_ms() + COPY_BATCH_MS;
	if (until >= deadline_ms)
		return await_input(c, deadline_ms, err, errlen);
	int rc = wait_socket(c->conn, 0, until);
	if (rc < 0 || PQconsumeInput(c->conn) == 0) {
		set_err(err, errlen, "connection lost: ", PQerrorMessage(c->conn));
		pg_conn_close(c);
		return -1;
	}
	return 0;
}

/* copy_drain's loop: a message (a row) at a time into the sink's copy_fn,
 * until the COPY's end; 0, or -1 as await_input. */
static int copy_messages(struct pg_conn *c, struct row_sink *sink, int64_t deadline_ms, char *err,
			 size_t errlen)
{
	int took = 0; /* messages since the last read */
	for (;;) {
		char *msg = NULL;
		int n = PQgetCopyData(c->conn, &msg, 1);
		if (n > 0) {
			if (!sink->failed &&
			    sink->copy_fn(sink->ctx, msg, n, sink->ferr, sizeof(sink->ferr)) < 0)
				sink->failed = 1;
			PQfreemem(msg);
			took = 1;
			continue;
		}
		if (n == -1)
			return 0;
		if (n < -1 || (took && PQconsumeInput(c->conn) == 0)) {
			set_err(err, errlen, "connection lost: ", PQerrorMessage(c->conn));
			pg_conn_close(c);
			return -1;
		}
		/* libpq reads 16 kB at a time: what else arrived is read at once
		 * (above), and the socket is waited for only once nothing more
		 * had (else the rest of a batch would wait for the next one) */
		if (took) {
			took = 0;
			continue;
		}
		if (await_batch(c, deadline_ms, err, errlen) < 0)
			return -1;
	}
}

/* Reads the data of a COPY out into the sink's copy_fn, a message (a row)
 * at a time, until its end (the command's outcome then comes from
 * PQgetResult); 0, or -1 as await_input. */
static int copy_drain(struct pg_conn *c, struct row_sink *sink, int64_t deadline_ms, char *err,
		      size_t errlen)
{
	set_lowat(c->conn, COPY_LOWAT);
	int rc = copy_messages(c, sink, deadline_ms, err, errlen);
	if (c->conn)
		set_lowat(c->conn, 1);
	return rc;
}

/* A finished query's last result: kept when it is one, else its error
 * goes to err (the connection closed when it broke). */
static PGresult *checked_result(struct pg_conn *c, PGresult *last, char *err, size_t errlen)
{
	if (!last) {
		snprintf(err, errlen, "no result");
		return NULL;
	}
	ExecStatusType st = PQresultStatus(last);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		set_err(err, errlen, "", PQresultErrorMessage(last));
		PQclear(last);
		if (PQstatus(c->conn) != CONNECTION_OK)
			pg_conn_close(c);
		return NULL;
	}
	return last;
}

/* Reads the results of what was sent until the last; returns it, or NULL
 * with err (the connection closed when it broke or the deadline passed).
 * Only the last result of a multi-statement string is returned; with a
 * sink, the row pieces of single-row or chunked mode go to it as they
 * come, so the whole result is never held at once. */
static PGresult *await_result(struct pg_conn *c, struct row_sink *sink, int64_t deadline_ms,
			      char *err, size_t errlen)
{
	if (flush_query(c, deadline_ms, err, errlen) < 0)
		return NULL;
	PGresult *last = NULL;
	for (;;) {
		while (!PQisBusy(c->conn)) {
			PGresult *r = PQgetResult(c->conn);
			if (!r)
				goto done;
			if (sink && sink->fn && is_rows_piece(r)) {
				sink_rows(sink, r);
				continue;
			}
			if (sink && sink->copy_fn && PQresultStatus(r) == PGRES_COPY_OUT) {
				PQclear(r);
				if (copy_drain(c, sink, deadline_ms, err, errlen) < 0) {
					PQclear(last);
					return NULL;
				}
				continue;
			}
			PQclear(last);
			last = r;
		}
		if (await_input(c, deadline_ms, err, errlen) < 0) {
			PQclear(last);
			return NULL;
		}
	}
done:
	return checked_result(c, last, err, errlen);
}

/* A PQsend* call's failure: the connection is of no use any more. */
static int send_failed(struct pg_conn *c, char *err, size_t errlen)
{
	set_err(err, errlen, "", PQerrorMessage(c->conn));
	pg_conn_close(c);
	return -1;
}

PGresult *pg_conn_query(struct pg_conn *c, const char *sql, int nparams,
			const char *const *params, int64_t deadline_ms, char *err, size_t errlen)
{
	if (!pg_conn_ok(c)) {
		snprintf(err, errlen, "not connected");
		return NULL;
	}
	int sent = nparams ? PQsendQueryParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0)
			   : PQsendQuery(c->conn, sql);
	if (!sent) {
		send_failed(c, err, errlen);
		return NULL;
	}
	return await_result(c, NULL, deadline_ms, err, errlen);
}

#if HAVE_DECL_PQENTERPIPELINEMODE
/* Reads the results of the next query of a pipeline (up to libpq's NULL
 * that ends them) into q: 1, or 0 when an error before it in the
 * pipeline aborted it (PGRES_PIPELINE_ABORTED: it did not run), or -1
 * with err when the connection broke or the deadline passed (closed). */
static int pipelined_result(struct pg_conn *c, struct pg_pipelined *q, int64_t deadline_ms,
			    char *err, size_t errlen)
{
	PGresult *last = NULL;
	int aborted = 0;
	for (;;) {
		if (PQisBusy(c->conn)) {
			if (await_input(c, deadline_ms, err, errlen) < 0) {
				PQclear(last);
				return -1;
			}
			continue;
		}
		PGresult *r = PQgetResult(c->conn);
		if (!r)
			break;
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_PIPELINE_ABORTED || st == PGRES_PIPELINE_SYNC) {
			/* a sync here would mean libpq lost count: as aborted, the
			 * check of the sync below closes the connection */
			aborted = 1;
			PQclear(r);
			continue;
		}
		PQclear(last);
		last = r;
	}
	if (aborted && !last)
		return 0;
	q->result = checked_result(c, last, q->err, sizeof(q->err));
	if (!q->result && !pg_conn_ok(c)) {
		snprintf(err, errlen, "%s", q->err);
		return -1;
	}
	return 1;
}

/* Waits for the pipeline's sync (its end); 0, or -1 with err (closed). */
static int pipeline_synced(struct pg_conn *c, int64_t deadline_ms, char *err, size_t errlen)
{
	for (;;) {
		if (PQisBusy(c->conn)) {
			if (await_input(c, deadline_ms, err, errlen) < 0)
				return -1;
			continue;
		}
		PGresult *r = PQgetResult(c->conn);
		int synced = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
		if (synced)
			return 0;
		snprintf(err, errlen, "pipeline out of step; connection dropped");
		pg_conn_close(c);
		return -1;
	}
}

/* pg_conn_pipeline() in pipeline mode: the queries and one sync in one
 * send (a flush request after each query, so that each result comes as
 * it is ready and its time is its own); an error aborts the queries
 * after it, which are sent again, after it, the same way.  Queries
 * before a sync are one transaction, which makes no difference to reads
 * of statistics (each statement has its own snapshot). */
static int pipeline_sent_at_once(struct pg_conn *c, struct pg_pipelined *q, size_t n,
				 int64_t deadline_ms, char *err, size_t errlen)
{
	while (n > 0) {
		if (!pg_libpq.PQenterPipelineMode(c->conn))
			return send_failed(c, err, errlen);
		for (size_t i = 0; i < n; i++)
			if (!PQsendQueryParams(c->conn, q[i].sql, q[i].nparams, NULL, q[i].params,
					       NULL, NULL, 0) ||
			    !pg_libpq.PQsendFlushRequest(c->conn))
				return send_failed(c, err, errlen);
		if (!pg_libpq.PQpipelineSync(c->conn) || flush_query(c, deadline_ms, err, errlen) < 0)
			return c->conn ? send_failed(c, err, errlen) : -1;
		double t = now_mono();
		size_t done = 0;
		for (size_t i = 0; i < n; i++) {
			int rc = pipelined_result(c, &q[i], deadline_ms, err, errlen);
			if (rc < 0)
				return -1;
			double now = now_mono();
			q[i].seconds = now - t;
			t = now;
			if (rc > 0 && done == i)
				done = i + 1;
		}
		if (pipeline_synced(c, deadline_ms, err, errlen) < 0)
			return -1;
		if (!pg_libpq.PQexitPipelineMode(c->conn))
			return send_failed(c, err, errlen);
		if (done == 0) { /* cannot be: the first query is never aborted */
			snprintf(err, errlen, "pipeline out of step; connection dropped");
			pg_conn_close(c);
			return -1;
		}
		q += done;
		n -= done;
	}
	return 0;
}
#endif

int pg_conn_pipeline(struct pg_conn *c, struct pg_pipelined *q, size_t n, int64_t deadline_ms,
		     char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		q[i].result = NULL;
		q[i].seconds = 0;
		snprintf(q[i].err, sizeof(q[i].err), "not run: the connection was lost before it");
	}
	if (!pg_conn_ok(c)) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
#if HAVE_DECL_PQENTERPIPELINEMODE
	if (pg_libpq.PQenterPipelineMode && pg_libpq.PQsendFlushRequest)
		return pipeline_sent_at_once(c, q, n, deadline_ms, err, errlen);
#endif
	for (size_t i = 0; i < n; i++) {
		double t = now_mono();
		q[i].result = pg_conn_query(c, q[i].sql, q[i].nparams, q[i].params, deadline_ms,
					    q[i].err, sizeof(q[i].err));
		q[i].seconds = now_mono() - t;
		if (!pg_conn_ok(c)) {
			snprintf(err, errlen, "%s", q[i].err);
			return -1;
		}
	}
	return 0;
}

/* Puts the query just sent in chunked mode where libpq has it (17+),
 * else single-row mode.  A refusal only means the result comes whole,
 * which the caller handles the same. */
static void set_row_mode(PGconn *conn)
{
#if HAVE_DECL_PQSETCHUNKEDROWSMODE
	if (pg_libpq.PQsetChunkedRowsMode && pg_libpq.PQsetChunkedRowsMode(conn, PG_ROWS_CHUNK))
		return;
#endif
	PQsetSingleRowMode(conn);
}

int pg_conn_query_rows(struct pg_conn *c, const char *sql, int nparams, const char *const *params,
		       unsigned flags, pg_rows_fn *fn, void *ctx, int64_t deadline_ms, char *err,
		       size_t errlen)
{
	if (!pg_conn_ok(c)) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	int format = flags & PG_ROWS_BINARY ? 1 : 0;
	if (!PQsendQueryParams(c->conn, sql, nparams, NULL, params, NULL, NULL, format))
		return send_failed(c, err, errlen);
	if (!(flags & PG_ROWS_WHOLE))
		set_row_mode(c->conn);
	struct row_sink sink = { .fn = fn, .ctx = ctx };
	PGresult *r = await_result(c, &sink, deadline_ms, err, errlen);
	if (!r)
		return -1;
	/* the whole result when the row mode was refused (or the rows of a
	 * result that was not a query's) */
	sink_rows(&sink, r);
	if (sink.failed) {
		snprintf(err, errlen, "%s", sink.ferr);
		return -1;
	}
	return 0;
}

int pg_conn_copy_rows(struct pg_conn *c, const char *sql, pg_copy_fn *fn, void *ctx,
		      int64_t deadline_ms, char *err, size_t errlen)
{
	if (!pg_conn_ok(c)) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	if (!PQsendQueryParams(c->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
		return send_failed(c, err, errlen);
	struct row_sink sink = { .copy_fn = fn, .ctx = ctx };
	PGresult *r = await_result(c, &sink, deadline_ms, err, errlen);
	if (!r)
		return -1;
	PQclear(r);
	if (sink.failed) {
		snprintf(err, errlen, "%s", sink.ferr);
		return -1;
	}
	return 0;
}

int pg_conn_parse(struct pg_conn *c, const char *sql, int64_t deadline_ms, char *err, size_t errlen)
{
	return pg_conn_prepare(c, "", sql, deadline_ms, err, errlen) < 0 ? -1 : 0;
}

int pg_conn_prepare(struct pg_conn *c, const char *name, const char *sql, int64_t deadline_ms,
		    char *err, size_t errlen)
{
	if (!pg_conn_ok(c)) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	if (!PQsendPrepare(c->conn, name, sql, 0, NULL))
		return send_failed(c, err, errlen);
	PGresult *r = await_result(c, NULL, deadline_ms, err, errlen);
	if (!r)
		return -1;
	PQclear(r);
	if (!PQsendDescribePrepared(c->conn, name))
		return send_failed(c, err, errlen);
	if (!(r = await_result(c, NULL, deadline_ms, err, errlen)))
		return -1;
	int nparams = PQnparams(r);
	PQclear(r);
	return nparams;
}

int pg_conn_backend_pid(const struct pg_conn *c)
{
	return c->conn ? PQbackendPID(c->conn) : 0;
}

int pg_conn_exec(struct pg_conn *c, const char *sql, int64_t deadline_ms, char *err, size_t errlen)
{
	PGresult *r = pg_conn_query(c, sql, 0, NULL, deadline_ms, err, errlen);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int pg_cell_num(const PGresult *r, int row, int col, double *v)
{
	const char *s = col < PQnfields(r) ? pg_cell(r, row, col) : NULL;
	return s && parse_double(s, v) == 0 ? 0 : -1;
}

double pg_cell_or_zero(const PGresult *r, int row, int col)
{
	double v;
	return pg_cell_num(r, row, col, &v) == 0 ? v : 0;
}
