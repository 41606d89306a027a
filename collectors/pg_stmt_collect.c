/*
 * pg_stmt_collect.c -- the collector side of pg_stat_statements for one
 * target: reads it each cycle and feeds the statement engine
 * (pg_stmt_engine.c; see pg_stmt_collect.h).
 *
 * Each cycle costs one read of the counters, two of pg_stat_statements_info
 * (PostgreSQL 14+: the reset time and evictions, before and after) and one
 * of the database and role names.  The counters are read without the texts
 * (reading the query text file on every scrape is what users of other
 * exporters complain about most), except in the cycle after statements
 * without a text entered a view or the exported top: then the same read
 * brings the texts of those (pg_texts.h: one query, at most TEXT_FETCH_MAX
 * texts, when the budget of text reads allows).  Owns the statement engine,
 * the name maps and the text cache.
 *
 * Why this file is long: reading, the windowed series and the API view
 * all work on the one struct pg_stmts (its name maps, text cache and
 * window tables), which stays private to this file.
 */
#include "autoconfig.h"
#include "pg_stmt_collect.h"
#include "buf.h"
#include "dbview.h"
#include "log.h"
#include "metrics.h"
#include "pg_conn.h"
#include "pg_own.h"
#include "pg_sql.h"
#include "pg_stmt_engine.h"
#include "pg_stmt_rows.h"
#include "pg_texts.h"
#include "postgres.h"
#include "strutil.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

/* The text cache holds the texts of the exported and shown statements:
 * statements_top + 2000 per window of statements_query_length (200)
 * characters is about 2 MiB at the defaults; 4 MiB leave room, and a
 * longer statements_query_length evicts (counted) rather than grows. */
#define TEXT_CACHE_BYTES ((size_t)4 << 20)
#define TEXT_FETCH_MAX 2000         /* texts one read brings */
#define TEXT_RETRY_MS 60000         /* a text PostgreSQL had not is asked again, with others */

struct name_entry {
	char kind;             /* 'd' database, 'r' role */
	uint32_t oid;
	char *name;
};

/* One window's statements after the last observe, with a hash of their
 * keys (row index + 1, 0 empty). */
struct stmt_window {
	struct pgss_window_row *rows;
	size_t n, alloc;
	uint32_t *slots;
	size_t mask;          /* slots holds mask + 1 entries */
};

struct pg_stmts {
	const struct pg_config *conf;
	struct limit_counts *limits;   /* the collector's, enum pg_limit */
	const struct pg_own *own;      /* the collector's: the agent's own statements */
	const char *target;            /* for the log, set by collect */
	struct pgss *engine;
	int available;         /* -1 unknown, 0 no, 1 yes */
	int said_missing;
	char schema[130];      /* quoted */
	double stats_reset;    /* epoch of pg_stat_statements_info.stats_reset */
	struct name_entry *names;
	size_t nnames, names_alloc;
	struct pg_texts *texts;
	struct pg_text_budget budget;
	/* the budget's base, what a cycle costs the server: its time on the
	 * agent's statements (pgss_own) when it knows them, else the client's
	 * timing; a read's extra is always the client's timing of that read
	 * (the server's figures of a cycle mix in whatever else ran in it) */
	double own_exec_ms;    /* the agent's statements' execution time at the last observe */
	double server_plain_ms;/* moving average of that per cycle after a plain read; 0: unknown */
	int read_with;         /* this cycle's read brought texts */
	int64_t fetch_ids[TEXT_FETCH_MAX]; /* texts the next read brings */
	size_t nfetch, fetch_pending;      /* how many; of them wanted for the first time */
	uint64_t cycle;
	struct pgss_row *rows; /* during a cycle's read (rows_open) */
	size_t rows_alloc, rows_hint;
	struct pgss_series *series;
	size_t series_alloc;
	int64_t first_observe_ms, last_observe_ms; /* 0 before the first */
	struct stmt_window win[PGSS_MAX_WINDOWS]; /* after the last observe */
	int windows_ready;     /* win holds this cycle's windows */
};

/* The longest text kept: statements_query_length characters of at most 4
 * bytes.  The query cuts texts to that many characters already; this keeps
 * a server that answers otherwise from filling the cache. */
static size_t text_max_bytes(const struct pg_config *conf)
{
	return (size_t)conf->statements_query_length * 4;
}

struct pg_stmts *pg_stmts_new(const struct pg_config *conf, struct limit_counts *limits,
			      const struct pg_own *own)
{
	struct pg_stmts *s = xcalloc(1, sizeof(*s));
	s->conf = conf;
	s->limits = limits;
	s->own = own;
	s->available = -1;
	struct pgss_options o = {
		.top_n = (size_t)conf->statements_top,
		.windows_ms = conf->statements_window_ms,
		.nwindows = conf->nwindows,
		.interval_ms = conf->common.interval_ms,
		.max_statements = PGSS_DEFAULT_MAX,
	};
	s->engine = pgss_new(&o);
	s->texts = pg_texts_new(TEXT_CACHE_BYTES,
				4 * (size_t)conf->statements_top + 1000 + DBVIEW_MAX_STATEMENTS,
				text_max_bytes(conf));
	return s;
}

static void names_clear(struct pg_stmts *s)
{
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i].name);
	s->nnames = 0;
}

/* Forgets this cycle's windows; their arrays stay for the next one. */
static void windows_clear(struct pg_stmts *s)
{
	for (size_t w = 0; w < PGSS_MAX_WINDOWS; w++)
		s->win[w].n = 0;
	s->windows_ready = 0;
}

static void windows_free(struct pg_stmts *s)
{
	for (size_t w = 0; w < PGSS_MAX_WINDOWS; w++) {
		free(s->win[w].rows);
		free(s->win[w].slots);
		s->win[w] = (struct stmt_window){ 0 };
	}
}

void pg_stmts_free(struct pg_stmts *s)
{
	if (!s)
		return;
	pgss_free(s->engine);
	names_clear(s);
	free(s->names);
	pg_texts_free(s->texts);
	free(s->rows);
	free(s->series);
	windows_free(s);
	free(s);
}

static int cmp_name(const void *a, const void *b)
{
	const struct name_entry *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->oid < y->oid ? -1 : x->oid > y->oid;
}

/* names is sorted by (kind, oid) after each read */
static const char *name_of(const struct pg_stmts *s, char kind, uint32_t oid)
{
	struct name_entry k = { .kind = kind, .oid = oid };
	const struct name_entry *e = s->nnames ? bsearch(&k, s->names, s->nnames, sizeof(k), cmp_name)
					       : NULL;
	return e ? e->name : NULL;
}

/* Keeps the text cache within its bounds, counting what it dropped. */
static void texts_trim(struct pg_stmts *s)
{
	size_t dropped = pg_texts_trim(s->texts);
	if (dropped)
		limit_reached_n(s->limits, PL_TEXT_CACHE, dropped, "postgres", s->target,
				"the statement text cache is full (%zu MiB, %zu texts); the least "
				"recently shown texts are dropped and fetched again when wanted",
				TEXT_CACHE_BYTES >> 20,
				4 * (size_t)s->conf->statements_top + 1000 + DBVIEW_MAX_STATEMENTS);
}

/* fmt with the extension's schema put in for its one "%s" (if any), into
 * sql. */
static void with_schema(const struct pg_stmts *s, const char *fmt, struct buf *sql)
{
	const char *at = strstr(fmt, "%s");
	if (at) {
		buf_append(sql, fmt, (size_t)(at - fmt));
		buf_puts(sql, s->schema);
		buf_puts(sql, at + 2);
	} else {
		buf_puts(sql, fmt);
	}
}

/* Runs sql with the extension's schema put in for %s. */
static PGresult *query_schema(struct pg_stmts *s, struct pg_conn *conn, const char *fmt,
			      int nparams, const char *const *params, int64_t deadline, char *err,
			      size_t errlen)
{
	struct buf sql = BUF_INIT(1 << 16);
	with_schema(s, fmt, &sql);
	PGresult *r = pg_conn_query(conn, sql.data, nparams, params, deadline, err, errlen);
	buf_release(&sql);
	return r;
}

size_t pg_stmts_sql(const struct pg_stmts *s, int version, char **out, size_t max)
{
	const char *fmt[] = { pg_sql_pgss_installed(version), pg_sql_pgss_info(version),
			      pg_sql_pgss(version), pg_sql_pgss_select(version),
			      pg_sql_pgss_texts(version), pg_sql_names(version) };
	size_t n = 0;
	if (!s->schema[0])
		return 0;
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]) && n < max; i++) {
		if (!fmt[i])
			continue;
		struct buf sql = BUF_INIT(1 << 16);
		with_schema(s, fmt[i], &sql);
		out[n++] = xstrdup(buf_str(&sql));
		buf_release(&sql);
	}
	return n;
}

/* Whether the extension is installed in the DSN's database (once per
 * connection); says so once in the log when it is not. */
static int check_installed(struct pg_stmts *s, struct pg_conn *conn, const char *target,
			   int64_t deadline, char *err, size_t errlen)
{
	PGresult *r = pg_conn_query(conn, pg_sql_pgss_installed(conn->server_version), 0, NULL,
				    deadline, err, errlen);
	if (!r)
		return -1;
	if (PQntuples(r) < 1) {
		s->available = 0;
		if (!s->said_missing)
			log_warn("postgres", target, "pg_stat_statements is not installed in this database "
				 "(CREATE EXTENSION pg_stat_statements); statement statistics are off");
		s->said_missing = 1;
	} else {
		snprintf(s->schema, sizeof(s->schema), "%s", PQgetvalue(r, 0, 0));
		s->available = 1;
	}
	PQclear(r);
	return 0;
}

static int read_names(struct pg_stmts *s, struct pg_conn *conn, int64_t deadline, char *err,
		      size_t errlen)
{
	PGresult *r = pg_conn_query(conn, pg_sql_names(conn->server_version), 0, NULL, deadline,
				    err, errlen);
	if (!r)
		return -1;
	names_clear(s);
	for (int i = 0; i < PQntuples(r); i++) {
		uint64_t oid;
		if (parse_uint64(PQgetvalue(r, i, 1), &oid) < 0)
			continue;
		s->names = xgrow(s->names, &s->names_alloc, s->nnames + 1, sizeof(*s->names));
		s->names[s->nnames++] = (struct name_entry){ PQgetvalue(r, i, 0)[0], (uint32_t)oid,
							     xstrdup(PQgetvalue(r, i, 2)) };
	}
	PQclear(r);
	if (s->nnames)
		qsort(s->names, s->nnames, sizeof(*s->names), cmp_name);
	return 0;
}

/* pg_stat_statements_info: an evicted-entries count and the reset time;
 * a reset time that moved means every entry restarted. */
static const struct metric_desc m_dealloc = {
	"pg_stat_statements_dealloc_total",
	"Times pg_stat_statements evicted its least used entries (pg_stat_statements.max reached).",
	METRIC_COUNTER };
static const struct metric_desc m_reset = {
	"pg_stat_statements_stats_reset_timestamp_seconds",
	"When pg_stat_statements was last reset, in seconds since the epoch.", METRIC_GAUGE };

/* Reads dealloc and stats_reset (epoch, 0 if NULL); adds their samples
 * when b is given. */
static int read_info(struct pg_stmts *s, struct pg_conn *conn, const char *target,
		     struct batch *b, double *stats_reset, int64_t deadline, char *err, size_t errlen)
{
	const char *fmt = pg_sql_pgss_info(conn->server_version);
	*stats_reset = 0;
	if (!fmt)
		return 0;
	PGresult *r = query_schema(s, conn, fmt, 0, NULL, deadline, err, errlen);
	if (!r)
		return -1;
	const char *t[] = { "target", target };
	double v;
	if (PQntuples(r) > 0) {
		if (b && !PQgetisnull(r, 0, 0) && parse_double(PQgetvalue(r, 0, 0), &v) == 0)
			batch_addv(b, m_dealloc.name, m_dealloc.help, m_dealloc.type, v, t, 1);
		if (!PQgetisnull(r, 0, 1) && parse_double(PQgetvalue(r, 0, 1), &v) == 0) {
			*stats_reset = v;
			if (b)
				batch_addv(b, m_reset.name, m_reset.help, m_reset.type, v, t, 1);
		}
	}
	PQclear(r);
	return 0;
}

/* Runs sql with the extension's schema put in for %s, handing its rows
 * to fn in binary format (pg_conn_query_rows).  It is the read with texts,
 * rare (the budget keeps what it costs more within a tenth of a cycle's):
 * its result comes whole, not a result per row, so that the texts, not
 * single-row mode, are what it costs more than the plain read's COPY. */
static int query_schema_rows(struct pg_stmts *s, struct pg_conn *conn, const char *fmt,
			     int nparams, const char *const *params, pg_rows_fn *fn, void *ctx,
			     int64_t deadline, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(1 << 16);
	with_schema(s, fmt, &sql);
	int rc = pg_conn_query_rows(conn, sql.data, nparams, params, PG_ROWS_BINARY | PG_ROWS_WHOLE,
				    fn, ctx, deadline, err, errlen);
	buf_release(&sql);
	return rc;
}

/* One read of the counters as it comes in, row by row, into s->rows. */
struct counters_read {
	struct pg_stmts *s;
	int with_texts;        /* column 3 + PGSS_NFIELDS: the texts asked, else NULL */
	size_t n;              /* rows taken */
	int checked;           /* the columns' types were checked */
	int started;           /* the COPY's header was read (pg_copy_split) */
};

/* The text a read with texts brought for row i (NULL but for the ids
 * asked), into the cache. */
static void take_text(struct pg_stmts *s, const PGresult *r, int i, int64_t queryid)
{
	int c = 3 + PGSS_NFIELDS;
	if (PQgetisnull(r, i, c))
		return;
	if (pg_texts_put(s->texts, queryid, PQgetvalue(r, i, c), s->cycle))
		limit_reached(s->limits, PL_QUERY_TEXT, "postgres", s->target,
			      "a statement text came back longer than %lld characters; it is cut",
			      (long long)s->conf->statements_query_length);
}

/* pg_rows_fn of the read of the counters: takes a piece's rows into
 * s->rows (grown if the read is larger than the last one). */
static int counters_rows(void *ctx, const PGresult *r, char *err, size_t errlen)
{
	struct counters_read *cr = ctx;
	struct pg_stmts *s = cr->s;
	if (!cr->checked && pg_stmt_rows_check(r, cr->with_texts, err, errlen) < 0)
		return -1;
	cr->checked = 1;
	int rows = PQntuples(r);
	s->rows = xgrow(s->rows, &s->rows_alloc, cr->n + (size_t)rows + 1, sizeof(*s->rows));
	for (int i = 0; i < rows; i++) {
		struct pgss_row *row = &s->rows[cr->n];
		int bad;
		if (pg_stmt_row_decode(r, i, row, &bad) < 0) {
			snprintf(err, errlen, "pg_stat_statements row %zu does not parse (column %d)",
				 cr->n, bad);
			return -1;
		}
		row->own = (unsigned char)pg_own_is(s->own, row->key.userid, row->key.queryid);
		if (cr->with_texts)
			take_text(s, r, i, row->key.queryid);
		cr->n++;
	}
	return 0;
}

/* pg_copy_fn of the plain read of the counters (a binary COPY): takes
 * a message's row into s->rows (grown if need be). */
static int counters_copy(void *ctx, const char *msg, int len, char *err, size_t errlen)
{
	struct counters_read *cr = ctx;
	struct pg_stmts *s = cr->s;
	if (cr->n + 1 > s->rows_alloc)
		s->rows = xgrow(s->rows, &s->rows_alloc, cr->n + 1, sizeof(*s->rows));
	struct pgss_row *row = &s->rows[cr->n];
	int bad;
	int rc = pg_stmt_copy_decode(msg, len, &cr->started, row, &bad);
	if (rc < 0) {
		if (bad)
			snprintf(err, errlen, "pg_stat_statements row %zu does not parse (column %d)",
				 cr->n, bad);
		else
			snprintf(err, errlen, "pg_stat_statements row %zu does not parse (not a "
				 "binary COPY row of %d columns)", cr->n, 3 + PGSS_NFIELDS);
		return -1;
	}
	if (rc == 0)
		return 0;
	row->own = (unsigned char)pg_own_is(s->own, row->key.userid, row->key.queryid);
	cr->n++;
	return 0;
}

/* The plain read (pg_sql_pgss, a COPY) with the extension's schema put in. */
static int copy_counters(struct pg_stmts *s, struct pg_conn *conn, struct counters_read *cr,
			 int64_t deadline, char *err, size_t errlen)
{
	struct buf sql = BUF_INIT(1 << 16);
	with_schema(s, pg_sql_pgss(conn->server_version), &sql);
	int rc = pg_conn_copy_rows(conn, sql.data, counters_copy, cr, deadline, err, errlen);
	buf_release(&sql);
	return rc;
}

/* The read of this cycle: the counters, and the texts of the statements
 * the last cycle wanted when the budget allows (cr->with_texts says
 * which), row by row into cr. */
static int query_counters(struct pg_stmts *s, struct pg_conn *conn, double others_ms,
			  struct counters_read *cr, int64_t deadline, char *err, size_t errlen)
{
	/* what a cycle costs the server without texts: measured in the
	 * server's time, or the read and the others as the client timed them */
	double cycle_ms = s->server_plain_ms > 0 ? s->server_plain_ms : others_ms + s->budget.plain_ms;
	int allow = pg_text_budget_allow(&s->budget, cycle_ms);
	cr->with_texts = s->fetch_pending > 0 && allow;
	s->read_with = cr->with_texts;
	if (!cr->with_texts)
		return copy_counters(s, conn, cr, deadline, err, errlen);
	struct buf ids = BUF_INIT(BUF_UNLIMITED);
	char len[24];
	buf_putc(&ids, '{');
	for (size_t i = 0; i < s->nfetch; i++)
		buf_printf(&ids, "%s%" PRId64, i ? "," : "", s->fetch_ids[i]);
	buf_putc(&ids, '}');
	snprintf(len, sizeof(len), "%lld", (long long)s->conf->statements_query_length);
	const char *params[] = { buf_str(&ids), len };
	int rc = query_schema_rows(s, conn, pg_sql_pgss_texts(conn->server_version), 2, params,
				   counters_rows, cr, deadline, err, errlen);
	buf_release(&ids);
	return rc;
}

/* The rows array lives for one cycle: a read fills it, the engine takes
 * it in, and it is freed, so that between cycles its memory (100 bytes a
 * statement) serves the other targets' cycles.  It is allocated at the
 * size the last read needed and an eighth more, so a read about as large
 * fills it without growing. */
static void rows_open(struct pg_stmts *s)
{
	if (s->rows || !s->rows_hint)
		return;
	s->rows = xmalloc(s->rows_hint * sizeof(*s->rows));
	s->rows_alloc = s->rows_hint;
}

static void rows_close(struct pg_stmts *s, size_t n)
{
	if (n) /* a failed read keeps the last size */
		s->rows_hint = n + n / 8 + 8;
	free(s->rows);
	s->rows = NULL;
	s->rows_alloc = 0;
}

/* Reads the counters of every statement (and texts, see query_counters),
 * in binary format and row by row: the result is never held whole, so a
 * cycle neither allocates nor gives back megabytes, and no number goes
 * through text.  A row that does not decode fails the whole snapshot: the
 * engine would take a missing statement for an evicted one, and count its
 * history again when it comes back. */
static int read_counters(struct pg_stmts *s, struct pg_conn *conn, double others_ms, size_t *n,
			 int64_t deadline, char *err, size_t errlen)
{
	struct counters_read cr = { .s = s };
	double t0 = now_mono();
	*n = 0;
	rows_open(s);
	if (query_counters(s, conn, others_ms, &cr, deadline, err, errlen) < 0)
		return -1;
	/* the client's timing of the read, its decoding included (cheap in
	 * binary; the text parse it replaced was left out) */
	pg_text_budget_spend(&s->budget, (now_mono() - t0) * 1000.0, cr.with_texts);
	if (cr.with_texts)
		pg_texts_fetched(s->texts, s->fetch_ids, s->nfetch, now_mono_ms());
	*n = cr.n;
	return 0;
}

/* Marks the texts wanted this cycle: the exported statements' and those
 * the API shows (the costliest of each window).  The ones the cache lacks
 * are what the next cycle's read brings (at most TEXT_FETCH_MAX; more are
 * counted and wait for the read after). */
static void want_texts(struct pg_stmts *s, const struct pgss_series *series, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!series[i].other)
			pg_texts_want(s->texts, series[i].key.queryid, s->cycle);
	for (size_t w = 0; w < s->conf->nwindows && w < PGSS_MAX_WINDOWS; w++) {
		const struct stmt_window *sw = &s->win[w];
		size_t count = sw->n < DBVIEW_MAX_STATEMENTS ? sw->n : DBVIEW_MAX_STATEMENTS;
		for (size_t i = 0; i < count; i++)
			pg_texts_want(s->texts, sw->rows[i].key.queryid, s->cycle);
	}
	texts_trim(s);
	s->nfetch = pg_texts_to_fetch(s->texts, s->cycle, now_mono_ms(), TEXT_RETRY_MS, s->fetch_ids,
				      TEXT_FETCH_MAX, &s->fetch_pending);
	if (s->fetch_pending > TEXT_FETCH_MAX)
		limit_reached(s->limits, PL_TEXT_FETCH, "postgres", s->target,
			      "%zu statements wait for their text; one read brings %d, the others "
			      "come with the next", s->fetch_pending, TEXT_FETCH_MAX);
}

/* ---- windows: what the API shows and the windowed gauges ------------- */

static size_t key_hash(const struct pgss_key *k)
{
	return hash_id(k->queryid ^ (int64_t)(((uint64_t)k->dbid << 32) | k->userid));
}

static int key_equal(const struct pgss_key *a, const struct pgss_key *b)
{
	return a->queryid == b->queryid && a->dbid == b->dbid && a->userid == b->userid;
}

/* Each configured window's statements after the last observe, hashed. */
static void windows_compute(struct pg_stmts *s)
{
	windows_clear(s);
	if (!s->last_observe_ms)
		return;
	for (size_t w = 0; w < s->conf->nwindows && w < PGSS_MAX_WINDOWS; w++) {
		struct stmt_window *sw = &s->win[w];
		sw->n = pgss_window_into(s->engine, s->conf->statements_window_ms[w], &sw->rows,
					 &sw->alloc);
		size_t size = 64;
		while (size < 2 * sw->n + 2)
			size *= 2;
		if (!sw->slots || sw->mask + 1 < size) {
			free(sw->slots);
			sw->slots = xmalloc(size * sizeof(*sw->slots));
			sw->mask = size - 1;
		}
		memset(sw->slots, 0, (sw->mask + 1) * sizeof(*sw->slots));
		for (size_t i = 0; i < sw->n; i++) {
			size_t h = key_hash(&sw->rows[i].key) & sw->mask;
			while (sw->slots[h])
				h = (h + 1) & sw->mask;
			sw->slots[h] = (uint32_t)i + 1;
		}
	}
	s->windows_ready = 1;
}

static const struct pgss_window_row *window_find(const struct stmt_window *sw,
						 const struct pgss_key *k)
{
	if (!sw->slots || !sw->n)
		return NULL;
	for (size_t h = key_hash(k) & sw->mask; sw->slots[h]; h = (h + 1) & sw->mask)
		if (key_equal(&sw->rows[sw->slots[h] - 1].key, k))
			return &sw->rows[sw->slots[h] - 1];
	return NULL;
}

/* The part of window w the agent has observed, in seconds (deltas start
 * after the first observe). */
static double window_covered(const struct pg_stmts *s, size_t w)
{
	int64_t seen = s->last_observe_ms - s->first_observe_ms;
	int64_t win = s->conf->statements_window_ms[w];
	return (double)(seen < win ? seen : win) / 1000.0;
}

static const struct metric_desc m_mean = {
	"pg_statement_mean_seconds",
	"Mean execution time of the statement over the window (exported statements with calls in it).",
	METRIC_GAUGE };
static const struct metric_desc m_calls_rate = {
	"pg_statement_calls_per_second", "Calls of the statement per second over the window.",
	METRIC_GAUGE };

/* pg_statement_mean_seconds and _calls_per_second of one exported
 * statement, for every window. */
static void export_windowed(const struct pg_stmts *s, const struct pgss_series *se, const char *const l[8],
			    struct batch *b)
{
	for (size_t w = 0; s->windows_ready && w < s->conf->nwindows; w++) {
		double covered = window_covered(s, w);
		if (covered <= 0)
			continue;
		const struct pgss_window_row *row = window_find(&s->win[w], &se->key);
		double calls = row ? row->v[PGSS_CALLS] : 0;
		const char *wl[] = { l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7],
				     "window", s->conf->statements_windows.items[w] };
		batch_addv(b, m_calls_rate.name, m_calls_rate.help, m_calls_rate.type, calls / covered,
			   wl, 5);
		if (row && calls > 0)
			batch_addv(b, m_mean.name, m_mean.help, m_mean.type,
				   row->v[PGSS_EXEC_MS] / calls / 1000.0, wl, 5);
	}
}

static const struct pgss_field_metric {
	enum pgss_field field;
	double mul;
	struct metric_desc d;
} field_metrics[] = {
	{ PGSS_CALLS, 1, { "pg_stat_statements_calls_total", "Times the statement was executed.",
			   METRIC_COUNTER } },
	{ PGSS_EXEC_MS, 1e-3, { "pg_stat_statements_seconds_total", "Time spent executing the statement.",
				METRIC_COUNTER } },
	{ PGSS_PLAN_MS, 1e-3, { "pg_stat_statements_plan_seconds_total", "Time spent planning the statement.",
				METRIC_COUNTER } },
	{ PGSS_ROWS, 1, { "pg_stat_statements_rows_total", "Rows retrieved or affected by the statement.",
			  METRIC_COUNTER } },
	{ PGSS_SHARED_HIT, 1, { "pg_stat_statements_shared_blocks_hit_total",
				"Shared buffer hits of the statement.", METRIC_COUNTER } },
	{ PGSS_SHARED_READ, 1, { "pg_stat_statements_shared_blocks_read_total",
				 "Shared blocks the statement read.", METRIC_COUNTER } },
	{ PGSS_TEMP_WRITTEN, 1, { "pg_stat_statements_temp_blocks_written_total",
				  "Temporary blocks the statement wrote.", METRIC_COUNTER } },
	{ PGSS_BLK_READ_MS, 1e-3, { "pg_stat_statements_block_read_seconds_total",
				    "Time the statement spent reading blocks (track_io_timing).",
				    METRIC_COUNTER } },
	{ PGSS_BLK_WRITE_MS, 1e-3, { "pg_stat_statements_block_write_seconds_total",
				     "Time the statement spent writing blocks (track_io_timing).",
				     METRIC_COUNTER } },
	{ PGSS_WAL_BYTES, 1, { "pg_stat_statements_wal_bytes_total", "WAL the statement generated.",
			       METRIC_COUNTER } },
};

static const struct metric_desc m_available = {
	"pg_stat_statements_available",
	"Whether pg_stat_statements is installed and loaded (shared_preload_libraries).",
	METRIC_GAUGE };
static const struct metric_desc m_tracked = {
	"pg_stat_statements_tracked", "Statements the agent keeps statistics for.", METRIC_GAUGE };
static const struct metric_desc m_untracked = {
	"pg_stat_statements_untracked",
	"Statements of the last read the agent could not track (its table was full); "
	"they are counted in queryid=\"other\".", METRIC_GAUGE };
static const struct metric_desc m_restarts = {
	"dbpulse_pg_statements_restarted_total",
	"Statement entries seen restarting from zero (reset or eviction): "
	"their counters continue, never go back.", METRIC_COUNTER };
/* postgres_exporter's stat_statements include_query family: a counter of
 * value 1, one series per queryid (a statement run by several users or in
 * several databases has one text) */
static const struct metric_desc m_query_id = {
	"pg_stat_statements_query_id", "SQL Query to queryid mapping", METRIC_COUNTER };

static void export_series(struct pg_stmts *s, const char *target, struct batch *b,
			  const struct pgss_series *series, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pgss_series *se = &series[i];
		char qid[24], dbid[16], uid[16];
		const char *db = "", *user = "";
		if (se->other) {
			snprintf(qid, sizeof(qid), "other");
		} else {
			snprintf(qid, sizeof(qid), "%" PRId64, se->key.queryid);
			db = name_of(s, 'd', se->key.dbid);
			user = name_of(s, 'r', se->key.userid);
			if (!db) {
				snprintf(dbid, sizeof(dbid), "%u", se->key.dbid);
				db = dbid;
			}
			if (!user) {
				snprintf(uid, sizeof(uid), "%u", se->key.userid);
				user = uid;
			}
		}
		const char *l[] = { "target", target, "datname", db, "user", user, "queryid", qid };
		for (size_t f = 0; f < sizeof(field_metrics) / sizeof(field_metrics[0]); f++) {
			const struct pgss_field_metric *m = &field_metrics[f];
			batch_addv(b, m->d.name, m->d.help, m->d.type, se->v[m->field] * m->mul, l, 4);
		}
		if (!se->other)
			export_windowed(s, se, l, b);
		struct pg_text *te = se->other ? NULL : pg_texts_find(s->texts, se->key.queryid);
		if (te && te->state == PG_TEXT_OK && te->exported != s->cycle &&
		    s->conf->statements_query_info) {
			const char *ql[] = { "target", target, "queryid", qid, "query", te->text };
			batch_addv(b, m_query_id.name, m_query_id.help, m_query_id.type, 1, ql, 3);
			te->exported = s->cycle;
		}
	}
}

int pg_stmts_check(struct pg_stmts *s, struct pg_conn *conn, const char *target,
		   int64_t deadline)
{
	char err[256];
	if (s->available < 0 && check_installed(s, conn, target, deadline, err, sizeof(err)) < 0)
		return 0;
	return s->available > 0;
}

/* The agent's own statements' cost (pgss_own()). */
static const struct metric_desc m_own_seconds = {
	"dbpulse_pg_own_statement_seconds_total",
	"Time the agent's own statements spent executing; the statement series and views leave "
	"them out.", METRIC_COUNTER };
static const struct metric_desc m_own_calls = {
	"dbpulse_pg_own_statement_calls_total",
	"Times the agent's own statements were executed; the statement series and views leave "
	"them out.", METRIC_COUNTER };

static void export_own(const struct pg_stmts *s, const char *target, struct batch *b)
{
	const char *t[] = { "target", target };
	double own[PGSS_NFIELDS];
	pgss_own(s->engine, own);
	batch_addv(b, m_own_seconds.name, m_own_seconds.help, m_own_seconds.type,
		   own[PGSS_EXEC_MS] / 1000.0, t, 1);
	batch_addv(b, m_own_calls.name, m_own_calls.help, m_own_calls.type, own[PGSS_CALLS], t, 1);
}

/* After an observe: what the agent's statements cost the server since the
 * one before (the last cycle's, its read included, this one's not yet),
 * averaged over the cycles whose read was plain: the budget's base. */
static void server_cycle(struct pg_stmts *s, int last_with)
{
	double own[PGSS_NFIELDS];
	pgss_own(s->engine, own);
	double delta = own[PGSS_EXEC_MS] - s->own_exec_ms;
	if (s->own_exec_ms > 0 && delta > 0 && !last_with)
		s->server_plain_ms = pg_text_ewma(s->server_plain_ms, delta);
	s->own_exec_ms = own[PGSS_EXEC_MS];
}

int pg_stmts_collect(struct pg_stmts *s, struct pg_conn *conn, const char *target,
		     double others_ms, struct batch *b, int64_t deadline, char *err, size_t errlen)
{
	const char *t[] = { "target", target };
	s->cycle++;
	s->target = target;
	windows_clear(s);
	/* 0: pg_stmts_check found it missing in this cycle */
	if (s->available < 0 && check_installed(s, conn, target, deadline, err, errlen) < 0)
		return -1;
	if (s->available == 0) {
		s->available = -1; /* ask again next cycle: it may be created */
		batch_addv(b, m_available.name, m_available.help, m_available.type, 0, t, 1);
		return 0;
	}
	double reset_before, reset_after;
	int last_with = s->read_with;
	size_t n = 0;
	/* stats_reset before and after the counters: a reset in between would
	 * mix restarted and old counters, so that snapshot is skipped */
	if (read_info(s, conn, target, b, &reset_before, deadline, err, errlen) < 0 ||
	    read_counters(s, conn, others_ms, &n, deadline, err, errlen) < 0 ||
	    read_info(s, conn, target, NULL, &reset_after, deadline, err, errlen) < 0) {
		rows_close(s, n);
		if (strstr(err, "shared_preload_libraries")) {
			if (!s->said_missing)
				log_warn("postgres", target, "pg_stat_statements is not loaded "
					 "(shared_preload_libraries); statement statistics are off");
			s->said_missing = 1;
			s->available = -1;
			batch_addv(b, m_available.name, m_available.help, m_available.type, 0, t, 1);
			return 0;
		}
		return -1;
	}
	if (s->said_missing)
		log_info("postgres", target, "pg_stat_statements is available again");
	s->said_missing = 0;
	batch_addv(b, m_available.name, m_available.help, m_available.type, 1, t, 1);
	if (reset_before == reset_after) {
		int reset = s->stats_reset != 0 && reset_before != s->stats_reset;
		int64_t now = now_mono_ms();
		pgss_observe(s->engine, s->rows, n, now, reset);
		server_cycle(s, last_with);
		s->stats_reset = reset_before;
		if (!s->first_observe_ms)
			s->first_observe_ms = now;
		s->last_observe_ms = now;
	}
	rows_close(s, n);
	windows_compute(s);
	if (read_names(s, conn, deadline, err, errlen) < 0)
		return -1;
	s->series = xgrow(s->series, &s->series_alloc, (size_t)s->conf->statements_top + 2,
			  sizeof(*s->series));
	size_t ns = pgss_export(s->engine, s->series, (size_t)s->conf->statements_top + 1);
	want_texts(s, s->series, ns);
	export_series(s, target, b, s->series, ns);
	export_own(s, target, b);
	struct pgss_stats st;
	pgss_get_stats(s->engine, &st);
	batch_addv(b, m_tracked.name, m_tracked.help, m_tracked.type, (double)st.statements, t, 1);
	batch_addv(b, m_untracked.name, m_untracked.help, m_untracked.type, (double)st.untracked_rows,
		   t, 1);
	if (st.untracked_rows)
		limit_reached(s->limits, PL_STATEMENTS, "postgres", target,
			      "the agent's statement table is full (%d statements); the others are "
			      "summed in queryid=\"other\"", PGSS_DEFAULT_MAX);
	batch_addv(b, m_restarts.name, m_restarts.help, m_restarts.type,
		   (double)st.restarted_entries, t, 1);
	return 0;
}

/* ---- the view for the API ---------------------------------------------- */

/* Copies the view needs, made once per name and text. */
struct view_copies {
	const char **names;    /* parallel to s->names */
	const char **texts;    /* parallel to s->texts */
};

static const char *view_name(const struct pg_stmts *s, struct db_view *v, struct view_copies *c,
			     char kind, uint32_t oid)
{
	struct name_entry k = { .kind = kind, .oid = oid };
	const struct name_entry *e = s->nnames ? bsearch(&k, s->names, s->nnames, sizeof(k), cmp_name)
					       : NULL;
	if (!e) {
		char num[16];
		snprintf(num, sizeof(num), "%u", oid);
		return view_strndup(&v->arena, num, (size_t)-1, sizeof(num));
	}
	size_t i = (size_t)(e - s->names);
	if (!c->names[i])
		c->names[i] = view_strndup(&v->arena, e->name, (size_t)-1, 256);
	return c->names[i];
}

/* The text of queryid, or NULL with why in *missing. */
static const char *view_text(struct pg_stmts *s, struct db_view *v, struct view_copies *c,
			     int64_t queryid, const char **missing)
{
	struct pg_text *te = pg_texts_find(s->texts, queryid);
	*missing = pg_texts_missing(te);
	if (*missing)
		return NULL;
	size_t i = pg_texts_index(s->texts, te);
	if (!c->texts[i])
		c->texts[i] = view_hold(&v->arena, te->text); /* the cache's, shared */
	return c->texts[i];
}

static void view_row(struct pg_stmts *s, struct db_view *v, struct view_copies *c,
		     const struct pgss_window_row *r, const struct stmt_window *longest,
		     struct statement_stat *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->queryid, sizeof(st->queryid), "%" PRId64, r->key.queryid);
	st->datname = view_name(s, v, c, 'd', r->key.dbid);
	st->user = view_name(s, v, c, 'r', r->key.userid);
	st->query = view_text(s, v, c, r->key.queryid, &st->query_missing);
	st->own = r->own;
	st->calls = r->v[PGSS_CALLS];
	st->exec_ms = r->v[PGSS_EXEC_MS];
	st->plan_ms = r->v[PGSS_PLAN_MS];
	st->rows = r->v[PGSS_ROWS];
	st->shared_hit = r->v[PGSS_SHARED_HIT];
	st->shared_read = r->v[PGSS_SHARED_READ];
	st->temp_written = r->v[PGSS_TEMP_WRITTEN];
	st->io_ms = r->v[PGSS_BLK_READ_MS] + r->v[PGSS_BLK_WRITE_MS];
	st->wal_bytes = r->v[PGSS_WAL_BYTES];
	const struct pgss_window_row *base = window_find(longest, &r->key);
	if (base) {
		st->baseline_calls = base->v[PGSS_CALLS];
		st->baseline_exec_ms = base->v[PGSS_EXEC_MS];
	}
}

void pg_stmts_view(struct pg_stmts *s, struct db_view *v)
{
	if (!s->windows_ready || !s->conf->nwindows)
		return;
	size_t ntexts, text_bytes;
	pg_texts_usage(s->texts, &ntexts, &text_bytes);
	struct view_copies c = { xcalloc(s->nnames + 1, sizeof(*c.names)),
				 xcalloc(ntexts + 1, sizeof(*c.texts)) };
	const struct stmt_window *longest = &s->win[s->conf->nwindows - 1];
	v->has_statements = 1;
	v->nwindows = s->conf->nwindows < DBVIEW_MAX_WINDOWS ? s->conf->nwindows : DBVIEW_MAX_WINDOWS;
	for (size_t w = 0; w < v->nwindows; w++) {
		const struct stmt_window *sw = &s->win[w];
		struct statement_window *out = &v->windows[w];
		out->window_ms = s->conf->statements_window_ms[w];
		snprintf(out->name, sizeof(out->name), "%s", s->conf->statements_windows.items[w]);
		out->covered_seconds = window_covered(s, w);
		out->rows = view_alloc(&v->arena, (sw->n < DBVIEW_MAX_STATEMENTS ? sw->n : DBVIEW_MAX_STATEMENTS) *
							  sizeof(*out->rows) + 1);
		for (size_t i = 0; i < sw->n && out->n < DBVIEW_MAX_STATEMENTS; i++)
			if (sw->rows[i].v[PGSS_CALLS] > 0)
				view_row(s, v, &c, &sw->rows[i], longest, &out->rows[out->n++]);
	}
	free(c.names);
	free(c.texts);
}
