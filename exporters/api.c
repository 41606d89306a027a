/*
 * api.c -- the JSON API (see api.h): targets, statements over a window,
 * sessions, the advisor's findings, TimescaleDB's jobs and their errors,
 * the Redis slow log, PgBouncer's pools.
 *
 * Each handler takes references to the entries it needs from the store,
 * builds its answer with jansson from their immutable views and lets go.
 * The statement table is filtered and sorted per request (at most
 * DBVIEW_MAX_STATEMENTS rows per window), which costs well under a
 * millisecond and keeps the collector free of per-request work.
 */
#include "autoconfig.h"
#include "api.h"
#include "buf.h"
#include "dbview.h"
#include "store.h"
#include "strutil.h"
#include "xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "banned.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 1000

/* ---- helpers ------------------------------------------------------------ */

void api_time(double epoch, char out[32])
{
	time_t sec = (time_t)floor(epoch);
	int ms = (int)((epoch - (double)sec) * 1000.0);
	if (ms > 999)
		ms = 999;
	struct tm tm;
	gmtime_r(&sec, &tm);
	char day[24];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", day, ms < 0 ? 0 : ms);
}

static json_t *jtime(double epoch)
{
	if (!(epoch > 0))
		return json_null();
	char s[32];
	api_time(epoch, s);
	return json_string(s);
}

/* A number, or null for NaN and infinities (JSON has none). */
static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* Counts are whole numbers: written without a fraction. */
static json_t *jcount(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v >= -9007199254740992.0 && v <= 9007199254740992.0 && v == floor(v))
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A JSON string of n bytes of s that may not be valid UTF-8 (anything
 * from the request: json_string() would return NULL, and setting NULL
 * silently drops the key), cleaned and cut to at most max bytes. */
static json_t *jclean(const char *s, size_t n, size_t max)
{
	char *clean = xmalloc(UTF8_CLEAN_SIZE(n, max));
	size_t len = utf8_clean(clean, s, n, max);
	json_t *j = json_stringn(clean, len);
	free(clean);
	return j;
}

/* The longest value of a request parameter echoed in an answer. */
#define ECHO_MAX 256
/* Error messages are cut to MSG_MAX bytes between two characters; they
 * are formatted into twice that, so that a cut of vsnprintf's, which can
 * fall inside a character, is never reached. */
#define MSG_MAX 512
#define MSG_FORMAT_SIZE (2 * MSG_MAX)

static json_t *jparam(const char *s)
{
	return jclean(s, strlen(s), ECHO_MAX);
}

static int respond(struct http_response *resp, json_t *body)
{
	resp->content_type = "application/json";
	resp->cache_control = "no-store";
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15) | JSON_ESCAPE_SLASH) : NULL;
	json_decref(body);
	if (!text)
		return -1;
	int rc = buf_puts(&resp->body, text);
	free(text);
	return rc;
}

static int error_json(struct http_response *resp, unsigned status, const char *parameter,
		      json_t *allowed, const char *msg)
{
	json_t *o = json_object();
	/* msg may hold request input (a ?target= that is not UTF-8) */
	json_object_set_new(o, "error", jclean(msg, strlen(msg), MSG_MAX));
	if (parameter)
		json_object_set_new(o, "parameter", json_string(parameter));
	if (allowed)
		json_object_set_new(o, "allowed", allowed);
	resp->status = status;
	return respond(resp, o);
}

int api_error(struct http_response *resp, unsigned status, const char *fmt, ...)
{
	char msg[MSG_FORMAT_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_json(resp, status, NULL, NULL, msg);
}

/* A 400 about one parameter: "parameter 'sort': expected one of ...". */
static int bad_parameter(struct http_response *resp, const char *parameter, json_t *allowed,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bad_parameter(struct http_response *resp, const char *parameter, json_t *allowed,
			 const char *fmt, ...)
{
	char msg[MSG_FORMAT_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_json(resp, 400, parameter, allowed, msg);
}

/* The names of the targets whose entries have a database view. */
static json_t *database_targets(struct store *store)
{
	struct store_target *t;
	size_t n = store_targets(store, &t);
	json_t *names = json_array();
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].kind, "postgres") == 0)
			json_array_append_new(names, json_string(t[i].name));
	store_targets_release(t, n);
	return names;
}

/* An answer about ?target= naming the PostgreSQL targets there are:
 * status 400, or 404 (/api/timescaledb, as /api/pools answers). */
static int bad_target(struct store *store, struct http_response *resp, unsigned status,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bad_target(struct store *store, struct http_response *resp, unsigned status,
		      const char *fmt, ...)
{
	char msg[MSG_FORMAT_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_json(resp, status, "target", database_targets(store), msg);
}

/* The published database view of ?target=, with its entry referenced in
 * *entry; or an error answer already made (returns NULL, *rc set):
 * missing, 400; not collected yet, 503; unknown or not PostgreSQL,
 * status_unknown. */
static const struct db_view *database_view_or(struct store *store, const struct http_request *req,
					      struct http_response *resp, struct store_entry **entry,
					      int *rc, unsigned status_unknown)
{
	const char *target = http_arg(req, "target");
	*entry = NULL;
	if (!target || !*target) {
		*rc = bad_parameter(resp, "target", database_targets(store),
				    "parameter 'target' is required: the name of a [postgres] section");
		return NULL;
	}
	struct store_entry *e = store_find(store, NULL, target);
	if (!e) {
		if (store_has(store, target))
			*rc = api_error(resp, 503, "target '%s' has not been collected yet", target);
		else
			*rc = bad_target(store, resp, status_unknown,
					 "parameter 'target': no [postgres] section named '%s'", target);
		return NULL;
	}
	if (e->view_kind != VIEW_DATABASE || !e->view) {
		store_entry_unref(e);
		*rc = bad_target(store, resp, status_unknown,
				 "parameter 'target': '%s' is not a PostgreSQL target", target);
		return NULL;
	}
	*entry = e;
	return e->view;
}

static const struct db_view *database_view(struct store *store, const struct http_request *req,
					   struct http_response *resp, struct store_entry **entry,
					   int *rc)
{
	return database_view_or(store, req, resp, entry, rc, 400);
}

/* ---- /api/targets ----------------------------------------------------- */

static json_t *target_json(const struct store_target *t)
{
	const struct store_entry *e = t->entry;
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(t->name));
	json_object_set_new(o, "kind", json_string(t->kind));
	json_object_set_new(o, "up", e ? json_boolean(e->up) : json_null());
	json_object_set_new(o, "interval_seconds",
			    e ? jcount((double)e->interval_ms / 1000.0) : json_null());
	json_object_set_new(o, "last_collect", e ? jtime(e->published_at) : json_null());
	json_t *views = json_array();
	if (e && e->view_kind == VIEW_DATABASE && e->view) {
		const struct db_view *v = e->view;
		json_t *windows = json_array();
		for (size_t w = 0; w < v->nwindows; w++)
			json_array_append_new(windows, json_string(v->windows[w].name));
		json_object_set_new(o, "windows", windows);
		json_array_append_new(views, json_string("queries"));
		json_array_append_new(views, json_string("activity"));
		if (v->advice_enabled)
			json_array_append_new(views, json_string("advice"));
		if (v->tsdb)
			json_array_append_new(views, json_string("timescaledb"));
	} else if (strcmp(t->kind, "postgres") == 0) {
		json_object_set_new(o, "windows", json_array());
		json_array_append_new(views, json_string("queries"));
		json_array_append_new(views, json_string("activity"));
	}
	if (strcmp(t->kind, "redis") == 0)
		json_array_append_new(views, json_string("slowlog"));
	if (strcmp(t->kind, "pgbouncer") == 0)
		json_array_append_new(views, json_string("pools"));
	json_object_set_new(o, "views", views);
	return o;
}

int api_targets(struct store *store, const struct http_request *req, struct http_response *resp)
{
	(void)req;
	struct store_target *t;
	size_t n = store_targets(store, &t);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, target_json(&t[i]));
	store_targets_release(t, n);
	return respond(resp, json_pack("{s:o}", "targets", list));
}

/* ---- /api/queries ----------------------------------------------------- */

enum sort_key { SORT_TOTAL, SORT_MEAN, SORT_CALLS, SORT_ROWS, SORT_IO, SORT_TEMP, SORT_COUNT };
static const char *const sort_names[SORT_COUNT] = { "total", "mean", "calls", "rows", "io", "temp" };

struct ranked {
	double k1, k2;
	const struct statement_stat *st;
};

static void sort_keys(enum sort_key k, const struct statement_stat *st, struct ranked *r)
{
	double mean = st->calls > 0 ? st->exec_ms / st->calls : 0;
	r->st = st;
	r->k2 = st->exec_ms;
	switch (k) {
	case SORT_TOTAL: r->k1 = st->exec_ms; r->k2 = st->calls; break;
	case SORT_MEAN: r->k1 = mean; break;
	case SORT_CALLS: r->k1 = st->calls; break;
	case SORT_ROWS: r->k1 = st->rows; break;
	case SORT_IO: r->k1 = st->io_ms; r->k2 = st->shared_read; break;
	case SORT_TEMP: r->k1 = st->temp_written; break;
	case SORT_COUNT: break;
	}
}

/* Descending on both keys, then by queryid for a stable order. */
static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->k1 != y->k1)
		return x->k1 > y->k1 ? -1 : 1;
	if (x->k2 != y->k2)
		return x->k2 > y->k2 ? -1 : 1;
	return strcmp(x->st->queryid, y->st->queryid);
}

static json_t *statement_json(const struct statement_stat *st, double covered)
{
	double blocks = st->shared_hit + st->shared_read;
	json_t *o = json_object();
	json_object_set_new(o, "queryid", json_string(st->queryid));
	json_object_set_new(o, "datname", jstr(st->datname));
	json_object_set_new(o, "user", jstr(st->user));
	json_object_set_new(o, "query", jstr(st->query));
	json_object_set_new(o, "query_missing", jstr(st->query ? NULL : st->query_missing));
	json_object_set_new(o, "own", json_boolean(st->own));
	json_object_set_new(o, "calls", jcount(st->calls));
	json_object_set_new(o, "calls_per_second", covered > 0 ? jnum(st->calls / covered) : json_null());
	json_object_set_new(o, "total_seconds", jnum(st->exec_ms / 1000.0));
	json_object_set_new(o, "mean_seconds", jnum(st->exec_ms / st->calls / 1000.0));
	json_object_set_new(o, "baseline_mean_seconds",
			    st->baseline_calls > 0 ? jnum(st->baseline_exec_ms / st->baseline_calls / 1000.0)
						   : json_null());
	json_object_set_new(o, "rows", jcount(st->rows));
	json_object_set_new(o, "rows_per_call", jnum(st->rows / st->calls));
	json_object_set_new(o, "shared_blocks_hit", jcount(st->shared_hit));
	json_object_set_new(o, "shared_blocks_read", jcount(st->shared_read));
	json_object_set_new(o, "hit_ratio", blocks > 0 ? jnum(st->shared_hit / blocks) : json_null());
	json_object_set_new(o, "temp_blocks_written", jcount(st->temp_written));
	json_object_set_new(o, "io_seconds", jnum(st->io_ms / 1000.0));
	json_object_set_new(o, "plan_seconds", jnum(st->plan_ms / 1000.0));
	json_object_set_new(o, "wal_bytes", jcount(st->wal_bytes));
	return o;
}

struct queries_params {
	const struct statement_window *win;
	enum sort_key sort;
	long limit;
	const char *db, *user;
	int include_own;     /* list the agent's own statements too */
};

/* A yes/no parameter: 1, 0, or -1 when it is neither (missing or empty:
 * no). */
static int flag_param(const char *v)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "", "0", "false", "no", "off" };
	if (!v)
		return 0;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcmp(v, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcmp(v, no[i]) == 0)
			return 0;
	return -1;
}

/* Reads window, sort and limit; on a bad one answers 400 and returns -1
 * with *rc set. */
static int queries_params(const struct db_view *v, const struct http_request *req,
			  struct http_response *resp, struct queries_params *q, int *rc)
{
	const char *window = http_arg(req, "window"), *sort = http_arg(req, "sort");
	const char *limit = http_arg(req, "limit");
	q->win = &v->windows[0];
	if (window && *window) {
		q->win = NULL;
		for (size_t w = 0; w < v->nwindows; w++)
			if (strcmp(v->windows[w].name, window) == 0)
				q->win = &v->windows[w];
		if (!q->win) {
			json_t *allowed = json_array();
			for (size_t w = 0; w < v->nwindows; w++)
				json_array_append_new(allowed, json_string(v->windows[w].name));
			*rc = bad_parameter(resp, "window", allowed,
					    "parameter 'window': expected one of the target's windows");
			return -1;
		}
	}
	q->sort = SORT_TOTAL;
	if (sort && *sort) {
		q->sort = SORT_COUNT;
		for (int k = 0; k < SORT_COUNT; k++)
			if (strcmp(sort_names[k], sort) == 0)
				q->sort = (enum sort_key)k;
		if (q->sort == SORT_COUNT) {
			json_t *allowed = json_array();
			for (int k = 0; k < SORT_COUNT; k++)
				json_array_append_new(allowed, json_string(sort_names[k]));
			*rc = bad_parameter(resp, "sort", allowed,
					    "parameter 'sort': expected total, mean, calls, rows, io or temp");
			return -1;
		}
	}
	q->limit = LIMIT_DEFAULT;
	if (limit && *limit) {
		int64_t n;
		if (parse_int64(limit, &n) < 0 || n < 1 || n > LIMIT_MAX) {
			*rc = bad_parameter(resp, "limit", json_pack("{s:i, s:i}", "min", 1, "max", LIMIT_MAX),
					    "parameter 'limit': expected a whole number from 1 to %d", LIMIT_MAX);
			return -1;
		}
		q->limit = (long)n;
	}
	q->include_own = flag_param(http_arg(req, "include_own"));
	if (q->include_own < 0) {
		*rc = bad_parameter(resp, "include_own", json_pack("[s, s]", "0", "1"),
				    "parameter 'include_own': expected 0 or 1");
		return -1;
	}
	q->db = http_arg(req, "db");
	q->user = http_arg(req, "user");
	if (q->db && !*q->db)
		q->db = NULL;
	if (q->user && !*q->user)
		q->user = NULL;
	return 0;
}

static int statement_matches(const struct statement_stat *st, const struct queries_params *q)
{
	return (!q->db || (st->datname && strcmp(st->datname, q->db) == 0)) &&
	       (!q->user || (st->user && strcmp(st->user, q->user) == 0));
}

/* Statements, calls and execution time summed. */
struct stmt_sums {
	size_t statements;
	double calls, exec_ms;
};

static void sums_add(struct stmt_sums *s, const struct statement_stat *st)
{
	s->statements++;
	s->calls += st->calls;
	s->exec_ms += st->exec_ms;
}

static json_t *queries_json(const char *target, const struct db_view *v,
			    const struct queries_params *q)
{
	const struct statement_window *win = q->win;
	struct ranked *r = xcalloc(win->n + 1, sizeof(*r));
	size_t n = 0;
	/* the totals are the server's: the agent's own statements count,
	 * listed or not */
	struct stmt_sums all = { 0 }, own = { 0 };
	for (size_t i = 0; i < win->n; i++) {
		const struct statement_stat *st = &win->rows[i];
		if (!statement_matches(st, q))
			continue;
		sums_add(&all, st);
		if (st->own)
			sums_add(&own, st);
		if (!st->own || q->include_own)
			sort_keys(q->sort, st, &r[n++]);
	}
	qsort(r, n, sizeof(*r), cmp_ranked);
	json_t *list = json_array();
	for (size_t i = 0; i < n && i < (size_t)q->limit; i++)
		json_array_append_new(list, statement_json(r[i].st, win->covered_seconds));
	free(r);
	json_t *o = json_object();
	json_object_set_new(o, "target", jparam(target));
	json_object_set_new(o, "window", json_string(win->name));
	json_object_set_new(o, "window_seconds", jcount((double)win->window_ms / 1000.0));
	json_object_set_new(o, "covered_seconds", jnum(win->covered_seconds));
	json_object_set_new(o, "baseline_window", json_string(v->windows[v->nwindows - 1].name));
	json_object_set_new(o, "sort", json_string(sort_names[q->sort]));
	json_object_set_new(o, "limit", json_integer(q->limit));
	json_object_set_new(o, "include_own", json_boolean(q->include_own));
	json_object_set_new(o, "collected_at", jtime(v->collected_at));
	json_object_set_new(o, "matched", json_integer((json_int_t)n));
	json_object_set_new(o, "totals", json_pack("{s:o, s:o}", "calls", jcount(all.calls),
						    "total_seconds", jnum(all.exec_ms / 1000.0)));
	json_object_set_new(o, "own", json_pack("{s:I, s:o, s:o}", "statements",
						 (json_int_t)own.statements, "calls", jcount(own.calls),
						 "total_seconds", jnum(own.exec_ms / 1000.0)));
	json_object_set_new(o, "statements", list);
	return o;
}

int api_queries(struct store *store, const struct http_request *req, struct http_response *resp)
{
	struct store_entry *e;
	int rc = 0;
	const struct db_view *v = database_view(store, req, resp, &e, &rc);
	if (!v)
		return rc;
	const char *target = http_arg(req, "target");
	if (!v->has_statements || !v->nwindows) {
		if (!e->up)
			rc = api_error(resp, 503, "target '%s' is down: its last collection failed", target);
		else
			rc = api_error(resp, 404,
				       "target '%s' has no statement statistics: pg_stat_statements is not "
				       "installed in its database or not in shared_preload_libraries", target);
		store_entry_unref(e);
		return rc;
	}
	struct queries_params q;
	if (queries_params(v, req, resp, &q, &rc) == 0)
		rc = respond(resp, queries_json(target, v, &q));
	store_entry_unref(e);
	return rc;
}

/* ---- /api/advice ------------------------------------------------------ */

/* A ?kind= or ?severity= value: NULL when absent or empty, else it must be
 * one of allowed (else a 400 is made: returns -1). */
static int choice_param(const struct http_request *req, struct http_response *resp,
			const char *name, const char *const *allowed, const char **out, int *rc)
{
	const char *v = http_arg(req, name);
	*out = NULL;
	if (!v || !*v)
		return 0;
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(allowed[i], v) == 0) {
			*out = allowed[i];
			return 0;
		}
	json_t *list = json_array();
	for (size_t i = 0; allowed[i]; i++)
		json_array_append_new(list, json_string(allowed[i]));
	*rc = bad_parameter(resp, name, list, "parameter '%s': expected one of the values allowed",
			    name);
	return -1;
}

static int str_is(const char *a, const char *want)
{
	return !want || (a && strcmp(a, want) == 0);
}

static json_t *finding_json(const struct advice_finding *f)
{
	json_t *evidence = f->evidence ? json_loads(f->evidence, 0, NULL) : NULL;
	json_t *o = json_object();
	json_object_set_new(o, "datname", jstr(f->datname));
	json_object_set_new(o, "kind", jstr(f->kind));
	json_object_set_new(o, "severity", jstr(f->severity));
	json_object_set_new(o, "schema", jstr(f->schema));
	json_object_set_new(o, "table", jstr(f->table));
	json_object_set_new(o, "object", jstr(f->object));
	json_object_set_new(o, "summary", jstr(f->summary));
	json_object_set_new(o, "evidence", json_is_object(evidence) ? evidence : json_object());
	if (!json_is_object(evidence))
		json_decref(evidence);
	json_object_set_new(o, "action_sql", jstr(f->action));
	return o;
}

static json_t *advice_json(const char *target, const struct advice_view *a, const char *db,
			   const char *kind, const char *severity)
{
	json_t *findings = json_array(), *notes = json_array(), *dbs = json_array();
	json_t *counts = json_object();
	for (size_t i = 0; advice_severities[i]; i++)
		json_object_set_new(counts, advice_severities[i], json_integer(0));
	for (size_t i = 0; i < a->nfindings; i++) {
		const struct advice_finding *f = &a->findings[i];
		if (!str_is(f->datname, db) || !str_is(f->kind, kind) || !str_is(f->severity, severity) ||
		    (!kind && !advice_is_finding(f)))
			continue; /* plans only when asked for */
		json_array_append_new(findings, finding_json(f));
		json_t *n = json_object_get(counts, f->severity);
		if (n)
			json_integer_set(n, json_integer_value(n) + 1);
	}
	for (size_t i = 0; i < a->nnotes; i++) {
		const struct advice_note *n = &a->notes[i];
		if ((db && n->datname && strcmp(n->datname, db) != 0) ||
		    (kind && n->kind && strcmp(n->kind, kind) != 0))
			continue;
		json_array_append_new(notes, json_pack("{s:o, s:o, s:o}", "datname", jstr(n->datname),
						       "kind", jstr(n->kind), "text", jstr(n->text)));
	}
	for (size_t i = 0; i < a->ndatabases; i++)
		json_array_append_new(dbs, json_pack("{s:o, s:b}", "datname", jstr(a->databases[i]),
						     "ok", a->database_ok[i]));
	json_t *o = json_object();
	json_object_set_new(o, "target", jparam(target));
	json_object_set_new(o, "started_at", jtime(a->started_at));
	json_object_set_new(o, "duration_seconds", jnum(a->duration));
	json_object_set_new(o, "cpu_seconds", jnum(a->cpu));
	json_object_set_new(o, "plans", json_boolean(a->plans));
	json_object_set_new(o, "databases", dbs);
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "findings", findings);
	json_object_set_new(o, "notes", notes);
	return o;
}

int api_advice(struct store *store, const struct http_request *req, struct http_response *resp)
{
	struct store_entry *e;
	int rc = 0;
	const struct db_view *v = database_view(store, req, resp, &e, &rc);
	if (!v)
		return rc;
	const char *target = http_arg(req, "target");
	const char *kind, *severity, *db = http_arg(req, "db");
	if (choice_param(req, resp, "kind", advice_kinds, &kind, &rc) < 0 ||
	    choice_param(req, resp, "severity", advice_severities, &severity, &rc) < 0) {
		store_entry_unref(e);
		return rc;
	}
	if (!v->advice_enabled)
		rc = api_error(resp, 404, "target '%s' has the advisor off (advice = false)", target);
	else if (!v->advice)
		rc = api_error(resp, 503, "target '%s': the advisor's first pass has not finished yet",
			       target);
	else
		rc = respond(resp, advice_json(target, v->advice, db && *db ? db : NULL, kind,
					       severity));
	store_entry_unref(e);
	return rc;
}

/* ---- /api/timescaledb ------------------------------------------------- */

static json_t *tsdb_job_json(const struct tsdb_job *j)
{
	json_t *o = json_object();
	json_object_set_new(o, "datname", jstr(j->datname));
	json_object_set_new(o, "job_id", json_integer((json_int_t)j->job_id));
	json_object_set_new(o, "application_name", jstr(j->application_name));
	json_object_set_new(o, "proc_name", jstr(j->proc_name));
	json_object_set_new(o, "hypertable", jstr(j->hypertable));
	json_object_set_new(o, "scheduled", json_boolean(j->scheduled));
	json_object_set_new(o, "last_run", j->last_run > 0    ? json_string("success")
					   : j->last_run == 0 ? json_string("failure")
							      : json_null());
	json_object_set_new(o, "last_success", jtime(j->last_success));
	json_object_set_new(o, "next_start", jtime(j->next_start));
	json_object_set_new(o, "schedule_interval_seconds", jcount(j->schedule_interval));
	json_object_set_new(o, "runs", jcount(j->runs));
	json_object_set_new(o, "failures", jcount(j->failures));
	return o;
}

static json_t *tsdb_error_json(const struct tsdb_job_error *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "datname", jstr(e->datname));
	json_object_set_new(o, "job_id", json_integer((json_int_t)e->job_id));
	json_object_set_new(o, "proc_name", jstr(e->proc_name));
	json_object_set_new(o, "hypertable", jstr(e->hypertable));
	json_object_set_new(o, "start_time", jtime(e->start_time));
	json_object_set_new(o, "finish_time", jtime(e->finish_time));
	json_object_set_new(o, "sqlerrcode", jstr(e->sqlerrcode));
	json_object_set_new(o, "message", jstr(e->message));
	return o;
}

/* The answer for a target's TimescaleDB view t; NULL t (no database has
 * the extension, or not read yet): empty lists, collected_at null. */
static json_t *tsdb_json(const char *target, const struct tsdb_view *t)
{
	json_t *dbs = json_array(), *jobs = json_array(), *errors = json_array();
	for (size_t i = 0; t && i < t->ndatabases; i++) {
		const struct tsdb_database *d = &t->databases[i];
		json_array_append_new(dbs, json_pack("{s:o, s:o, s:b, s:b}", "datname", jstr(d->datname),
						     "version", jstr(d->version), "ok", d->ok,
						     "job_errors", d->has_job_errors));
	}
	for (size_t i = 0; t && i < t->njobs; i++)
		json_array_append_new(jobs, tsdb_job_json(&t->jobs[i]));
	for (size_t i = 0; t && i < t->nerrors; i++)
		json_array_append_new(errors, tsdb_error_json(&t->errors[i]));
	json_t *o = json_object();
	json_object_set_new(o, "target", jparam(target));
	json_object_set_new(o, "collected_at", t ? jtime(t->collected_at) : json_null());
	json_object_set_new(o, "databases", dbs);
	json_object_set_new(o, "jobs", jobs);
	json_object_set_new(o, "job_errors", errors);
	return o;
}

int api_timescaledb(struct store *store, const struct http_request *req, struct http_response *resp)
{
	struct store_entry *e;
	int rc = 0;
	const struct db_view *v = database_view_or(store, req, resp, &e, &rc, 404);
	if (!v)
		return rc;
	rc = respond(resp, tsdb_json(http_arg(req, "target"), v->tsdb));
	store_entry_unref(e);
	return rc;
}

/* ---- /api/activity ---------------------------------------------------- */

static json_t *age(double now, double since)
{
	return since > 0 ? jnum(now - since > 0 ? now - since : 0) : json_null();
}

static json_t *session_json(const struct session_stat *s, double now)
{
	json_t *blocked_by = json_array();
	for (size_t i = 0; i < s->nblocked_by; i++)
		json_array_append_new(blocked_by, json_integer(s->blocked_by[i]));
	json_t *o = json_object();
	json_object_set_new(o, "pid", json_integer(s->pid));
	json_object_set_new(o, "datname", jstr(s->datname));
	json_object_set_new(o, "user", jstr(s->user));
	json_object_set_new(o, "application", jstr(s->application));
	json_object_set_new(o, "client", jstr(s->client));
	json_object_set_new(o, "backend_type", jstr(s->backend_type));
	json_object_set_new(o, "state", jstr(s->state));
	json_object_set_new(o, "wait_event_type", jstr(s->wait_event_type));
	json_object_set_new(o, "wait_event", jstr(s->wait_event));
	json_object_set_new(o, "backend_start", jtime(s->backend_start));
	json_object_set_new(o, "xact_start", jtime(s->xact_start));
	json_object_set_new(o, "query_start", jtime(s->query_start));
	json_object_set_new(o, "state_change", jtime(s->state_change));
	json_object_set_new(o, "xact_seconds", age(now, s->xact_start));
	json_object_set_new(o, "query_seconds", age(now, s->query_start));
	json_object_set_new(o, "state_seconds", age(now, s->state_change));
	json_object_set_new(o, "blocked_by", blocked_by);
	json_object_set_new(o, "query", jstr(s->query));
	return o;
}

int api_activity(struct store *store, const struct http_request *req, struct http_response *resp)
{
	struct store_entry *e;
	int rc = 0;
	const struct db_view *v = database_view(store, req, resp, &e, &rc);
	if (!v)
		return rc;
	const char *target = http_arg(req, "target");
	if (!v->has_sessions) {
		rc = api_error(resp, 503, "target '%s': %s", target,
			       e->up ? "its sessions could not be read in the last collection"
				     : "the target is down: its last collection failed");
		store_entry_unref(e);
		return rc;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < v->nsessions; i++)
		json_array_append_new(list, session_json(&v->sessions[i], v->collected_at));
	json_t *o = json_object();
	json_object_set_new(o, "target", jparam(target));
	json_object_set_new(o, "collected_at", jtime(v->collected_at));
	json_object_set_new(o, "summary",
			    json_pack("{s:I, s:I, s:I, s:I}", "sessions", (json_int_t)v->sessions_total,
				      "active", (json_int_t)v->active, "idle_in_transaction",
				      (json_int_t)v->idle_in_transaction, "blocked", (json_int_t)v->blocked));
	json_object_set_new(o, "truncated", json_boolean(v->sessions_truncated));
	json_object_set_new(o, "sessions", list);
	store_entry_unref(e);
	return respond(resp, o);
}

/* ---- /api/slowlog ----------------------------------------------------- */

int api_slowlog(struct store *store, const struct http_request *req, struct http_response *resp)
{
	resp->content_type = "application/json";
	resp->cache_control = "no-store";
	const char *target = http_arg(req, "target");
	if (!target || !*target)
		return api_error(resp, 400, "parameter 'target' is required: the name of a [redis] section");
	struct store_entry *e = store_find(store, NULL, target);
	if (!e) {
		if (store_has(store, target))
			return api_error(resp, 503, "target '%s' has not been collected yet", target);
		return api_error(resp, 404, "no target '%s'", target);
	}
	/* the agent's own commands (INFO, SLOWLOG ...) only when asked */
	const char *own = http_arg(req, "include_own");
	int include_own = own && (strcmp(own, "1") == 0 || strcmp(own, "true") == 0);
	int rc = 1;
	if (e->view && e->view_json)
		rc = e->view_json(e->view, include_own ? "slowlog+own" : "slowlog", &resp->body);
	store_entry_unref(e);
	if (rc > 0)
		return api_error(resp, 404, "target '%s' has no slow log", target);
	return rc;
}

/* ---- /api/pools ------------------------------------------------------- */

/* The names of the PgBouncer targets. */
static json_t *pgbouncer_targets(struct store *store)
{
	struct store_target *t;
	size_t n = store_targets(store, &t);
	json_t *names = json_array();
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].kind, "pgbouncer") == 0)
			json_array_append_new(names, json_string(t[i].name));
	store_targets_release(t, n);
	return names;
}

/* Most waiting clients first, then the longest wait, then by name. */
static int cmp_pools(const void *a, const void *b)
{
	const struct pool_stat *x = *(const struct pool_stat *const *)a;
	const struct pool_stat *y = *(const struct pool_stat *const *)b;
	if (x->cl_waiting != y->cl_waiting)
		return x->cl_waiting > y->cl_waiting ? -1 : 1;
	if (x->maxwait != y->maxwait)
		return x->maxwait > y->maxwait ? -1 : 1;
	int c = strcmp(x->database, y->database);
	return c ? c : strcmp(x->user, y->user);
}

static json_t *pool_json(const struct pool_stat *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "database", jstr(p->database));
	json_object_set_new(o, "user", jstr(p->user));
	json_object_set_new(o, "client_active", jcount(p->cl_active));
	json_object_set_new(o, "client_waiting", jcount(p->cl_waiting));
	json_object_set_new(o, "server_active", jcount(p->sv_active));
	json_object_set_new(o, "server_idle", jcount(p->sv_idle));
	json_object_set_new(o, "server_used", jcount(p->sv_used));
	json_object_set_new(o, "maxwait_seconds", jnum(p->maxwait));
	json_object_set_new(o, "pool_mode", jstr(p->pool_mode));
	return o;
}

static json_t *pools_json(const char *target, const struct pools_view *v)
{
	const struct pool_stat **sorted = xcalloc(v->npools + 1, sizeof(const struct pool_stat *));
	for (size_t i = 0; i < v->npools; i++)
		sorted[i] = &v->pools[i];
	qsort(sorted, v->npools, sizeof(const struct pool_stat *), cmp_pools);
	json_t *list = json_array();
	for (size_t i = 0; i < v->npools; i++)
		json_array_append_new(list, pool_json(sorted[i]));
	free(sorted);
	json_t *o = json_object();
	json_object_set_new(o, "target", jparam(target));
	json_object_set_new(o, "collected_at", jtime(v->collected_at));
	json_object_set_new(o, "truncated", json_boolean(v->pools_cut > 0));
	json_object_set_new(o, "pools", list);
	return o;
}

/* A 404 naming the PgBouncer targets there are. */
static int no_pgbouncer(struct store *store, struct http_response *resp, const char *target,
			const char *why)
{
	char msg[MSG_FORMAT_SIZE];
	snprintf(msg, sizeof(msg), "parameter 'target': '%s' %s", target, why);
	return error_json(resp, 404, "target", pgbouncer_targets(store), msg);
}

int api_pools(struct store *store, const struct http_request *req, struct http_response *resp)
{
	const char *target = http_arg(req, "target");
	if (!target || !*target)
		return bad_parameter(resp, "target", pgbouncer_targets(store),
				     "parameter 'target' is required: the name of a [pgbouncer] section");
	struct store_entry *e = store_find(store, "pgbouncer", target);
	if (!e) {
		struct store_entry *other = store_find(store, NULL, target);
		if (other) {
			store_entry_unref(other);
			return no_pgbouncer(store, resp, target, "is not a PgBouncer target");
		}
		if (store_has(store, target))
			return api_error(resp, 503, "target '%s' has not been collected yet", target);
		return no_pgbouncer(store, resp, target, "is no [pgbouncer] section");
	}
	const struct pools_view *v = e->view_kind == VIEW_POOLS ? e->view : NULL;
	int rc;
	if (!v || !v->has_pools)
		rc = api_error(resp, 503, "target '%s': %s", target,
			       e->up ? "SHOW POOLS failed in the last collection"
				     : "the target is down: its last collection failed");
	else
		rc = respond(resp, pools_json(target, v));
	store_entry_unref(e);
	return rc;
}
