/*
 * pg_stmts.c -- pg_stat_statements for one target (see pg_stmts.h).
 *
 * Each cycle costs one read of the counters (no text: reading the query
 * text file on every scrape is what users of other exporters complain
 * about most), one read of pg_stat_statements_info (PostgreSQL 14+: the
 * reset time and evictions) and one of the database and role names.  The
 * texts of exported statements the cache does not hold yet are fetched in
 * one query at most once a minute (or a slow_interval, if shorter).  Owns the statement engine, the name
 * maps and the text cache.
 */
#include "autoconfig.h"
#include "pg_stmts.h"
#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "pg_conn.h"
#include "pg_sql.h"
#include "pg_statements.h"
#include "postgres.h"
#include "strutil.h"
#include "xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TEXT_CACHE_BYTES ((size_t)4 << 20)
#define TEXT_FETCH_EVERY_MS 60000   /* at most, or slow_interval if shorter */
#define TEXT_FETCH_MAX 500

struct name_entry {
	char kind;             /* 'd' database, 'r' role */
	uint32_t oid;
	char *name;
};

struct text_entry {
	int64_t queryid;
	char *text;
	uint64_t used;         /* cycle it was last exported in */
};

struct pg_stmts {
	const struct pg_config *conf;
	struct pgss *engine;
	int available;         /* -1 unknown, 0 no, 1 yes */
	int said_missing;
	char schema[130];      /* quoted */
	double stats_reset;    /* epoch of pg_stat_statements_info.stats_reset */
	struct name_entry *names;
	size_t nnames, names_alloc;
	struct text_entry *texts;
	size_t ntexts, texts_alloc, text_bytes;
	int64_t next_text_fetch_ms;
	uint64_t cycle;
	struct pgss_row *rows;
	size_t rows_alloc;
	struct pgss_series *series;
	size_t series_alloc;
};

struct pg_stmts *pg_stmts_new(const struct pg_config *conf)
{
	struct pg_stmts *s = xcalloc(1, sizeof(*s));
	s->conf = conf;
	s->available = -1;
	struct pgss_options o = {
		.top_n = (size_t)conf->statements_top,
		.windows_ms = conf->statements_window_ms,
		.nwindows = conf->nwindows,
		.interval_ms = conf->common.interval_ms,
		.max_statements = PGSS_DEFAULT_MAX,
	};
	s->engine = pgss_new(&o);
	return s;
}

static void names_clear(struct pg_stmts *s)
{
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i].name);
	s->nnames = 0;
}

void pg_stmts_free(struct pg_stmts *s)
{
	if (!s)
		return;
	pgss_free(s->engine);
	names_clear(s);
	free(s->names);
	for (size_t i = 0; i < s->ntexts; i++)
		free(s->texts[i].text);
	free(s->texts);
	free(s->rows);
	free(s->series);
	free(s);
}

static const char *name_of(const struct pg_stmts *s, char kind, uint32_t oid)
{
	for (size_t i = 0; i < s->nnames; i++)
		if (s->names[i].kind == kind && s->names[i].oid == oid)
			return s->names[i].name;
	return NULL;
}

static struct text_entry *text_of(struct pg_stmts *s, int64_t queryid)
{
	for (size_t i = 0; i < s->ntexts; i++)
		if (s->texts[i].queryid == queryid)
			return &s->texts[i];
	return NULL;
}

/* Keeps the text cache under its size (bytes and entries, which bounds its
 * linear lookups) by dropping the least recently exported texts. */
static void texts_trim(struct pg_stmts *s)
{
	size_t max_entries = 4 * (size_t)s->conf->statements_top + 1000;
	while ((s->text_bytes > TEXT_CACHE_BYTES || s->ntexts > max_entries) && s->ntexts) {
		size_t oldest = 0;
		for (size_t i = 1; i < s->ntexts; i++)
			if (s->texts[i].used < s->texts[oldest].used)
				oldest = i;
		s->text_bytes -= strlen(s->texts[oldest].text) + 1;
		free(s->texts[oldest].text);
		s->texts[oldest] = s->texts[--s->ntexts];
	}
}

/* Runs sql with the extension's schema put in for %s. */
static PGresult *query_schema(struct pg_stmts *s, struct pg_conn *conn, const char *fmt,
			      int nparams, const char *const *params, int64_t deadline, char *err,
			      size_t errlen)
{
	/* fmt holds one "%s" where the schema goes */
	struct buf sql = BUF_INIT(1 << 16);
	const char *at = strstr(fmt, "%s");
	if (at) {
		buf_append(&sql, fmt, (size_t)(at - fmt));
		buf_puts(&sql, s->schema);
		buf_puts(&sql, at + 2);
	} else {
		buf_puts(&sql, fmt);
	}
	PGresult *r = pg_conn_query(conn, sql.data, nparams, params, deadline, err, errlen);
	buf_release(&sql);
	return r;
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

/* Reads the counters of every statement.  A row that does not parse fails
 * the whole snapshot: the engine would take a missing statement for an
 * evicted one, and count its history again when it comes back. */
static int read_counters(struct pg_stmts *s, struct pg_conn *conn, size_t *n, int64_t deadline,
			 char *err, size_t errlen)
{
	PGresult *r = query_schema(s, conn, pg_sql_pgss(conn->server_version), 0, NULL, deadline,
				   err, errlen);
	if (!r)
		return -1;
	size_t rows = (size_t)PQntuples(r);
	s->rows = xgrow(s->rows, &s->rows_alloc, rows + 1, sizeof(*s->rows));
	*n = 0;
	for (size_t i = 0; i < rows; i++) {
		struct pgss_row *row = &s->rows[*n];
		uint64_t dbid, userid;
		int64_t queryid;
		if (parse_uint64(PQgetvalue(r, (int)i, 0), &dbid) < 0 ||
		    parse_uint64(PQgetvalue(r, (int)i, 1), &userid) < 0 ||
		    parse_int64(PQgetvalue(r, (int)i, 2), &queryid) < 0) {
			snprintf(err, errlen, "pg_stat_statements row %zu does not parse", i);
			PQclear(r);
			return -1;
		}
		row->key = (struct pgss_key){ (uint32_t)dbid, (uint32_t)userid, queryid };
		for (int f = 0; f < PGSS_NFIELDS; f++) {
			const char *cell = PQgetisnull(r, (int)i, 3 + f) ? "0" : PQgetvalue(r, (int)i, 3 + f);
			if (parse_double(cell, &row->v[f]) < 0) {
				snprintf(err, errlen, "pg_stat_statements row %zu does not parse", i);
				PQclear(r);
				return -1;
			}
		}
		(*n)++;
	}
	PQclear(r);
	return 0;
}

/* Fetches the texts of exported statements the cache lacks, at most once
 * a minute or a slow_interval (each fetch makes the server read its whole
 * query text file). */
static void fetch_texts(struct pg_stmts *s, struct pg_conn *conn, const struct pgss_series *series,
			size_t n, int64_t deadline)
{
	int64_t now = now_mono_ms();
	if (now < s->next_text_fetch_ms)
		return;
	struct buf ids = BUF_INIT(1 << 20);
	size_t missing = 0;
	buf_putc(&ids, '{');
	for (size_t i = 0; i < n && missing < TEXT_FETCH_MAX; i++) {
		if (series[i].other || text_of(s, series[i].key.queryid))
			continue;
		buf_printf(&ids, "%s%" PRId64, missing ? "," : "", series[i].key.queryid);
		missing++;
	}
	buf_putc(&ids, '}');
	if (missing) {
		char len[24], err[256];
		snprintf(len, sizeof(len), "%lld", (long long)s->conf->statements_query_length);
		const char *params[] = { ids.data, len };
		int64_t every = s->conf->slow_interval_ms < TEXT_FETCH_EVERY_MS ? s->conf->slow_interval_ms
									: TEXT_FETCH_EVERY_MS;
		s->next_text_fetch_ms = now + every;
		PGresult *r = query_schema(s, conn, pg_sql_pgss_texts(conn->server_version), 2, params,
					   deadline, err, sizeof(err));
		for (int i = 0; r && i < PQntuples(r); i++) {
			int64_t id;
			if (parse_int64(PQgetvalue(r, i, 0), &id) < 0 || text_of(s, id))
				continue;
			s->texts = xgrow(s->texts, &s->texts_alloc, s->ntexts + 1, sizeof(*s->texts));
			char *text = xstrdup(PQgetvalue(r, i, 1));
			s->text_bytes += strlen(text) + 1;
			s->texts[s->ntexts++] = (struct text_entry){ id, text, s->cycle };
		}
		PQclear(r);
		texts_trim(s);
	}
	buf_release(&ids);
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
static const struct metric_desc m_query_info = {
	"pg_stat_statements_query_info", "The text of an exported statement, truncated.",
	METRIC_GAUGE };

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
		struct text_entry *te = se->other ? NULL : text_of(s, se->key.queryid);
		if (te)
			te->used = s->cycle;
		if (te && s->conf->statements_query_info) {
			const char *ql[] = { "target", target, "datname", db, "user", user,
					     "queryid", qid, "query", te->text };
			batch_addv(b, m_query_info.name, m_query_info.help, m_query_info.type, 1, ql, 5);
		}
	}
}

int pg_stmts_collect(struct pg_stmts *s, struct pg_conn *conn, const char *target,
		     struct batch *b, int64_t deadline, char *err, size_t errlen)
{
	const char *t[] = { "target", target };
	s->cycle++;
	if (s->available <= 0 && check_installed(s, conn, target, deadline, err, errlen) < 0)
		return -1;
	if (s->available == 0) {
		s->available = -1; /* ask again next cycle: it may be created */
		batch_addv(b, m_available.name, m_available.help, m_available.type, 0, t, 1);
		return 0;
	}
	double reset_before, reset_after;
	size_t n = 0;
	/* stats_reset before and after the counters: a reset in between would
	 * mix restarted and old counters, so that snapshot is skipped */
	if (read_info(s, conn, target, b, &reset_before, deadline, err, errlen) < 0 ||
	    read_counters(s, conn, &n, deadline, err, errlen) < 0 ||
	    read_info(s, conn, target, NULL, &reset_after, deadline, err, errlen) < 0) {
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
		pgss_observe(s->engine, s->rows, n, now_mono_ms(), reset);
		s->stats_reset = reset_before;
	}
	if (read_names(s, conn, deadline, err, errlen) < 0)
		return -1;
	s->series = xgrow(s->series, &s->series_alloc, (size_t)s->conf->statements_top + 2,
			  sizeof(*s->series));
	size_t ns = pgss_export(s->engine, s->series, (size_t)s->conf->statements_top + 1);
	fetch_texts(s, conn, s->series, ns, deadline);
	export_series(s, target, b, s->series, ns);
	struct pgss_stats st;
	pgss_get_stats(s->engine, &st);
	batch_addv(b, m_tracked.name, m_tracked.help, m_tracked.type, (double)st.statements, t, 1);
	batch_addv(b, m_untracked.name, m_untracked.help, m_untracked.type, (double)st.untracked_rows,
		   t, 1);
	batch_addv(b, m_restarts.name, m_restarts.help, m_restarts.type,
		   (double)st.restarted_entries, t, 1);
	return 0;
}
