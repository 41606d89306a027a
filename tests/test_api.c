/*
 * test_api.c -- the typed database view (its arena and UTF-8 cleaning)
 * and the JSON API over a store holding synthetic views: sorting,
 * filters, limits, the agent's own statements (listed on request, always
 * in the totals), parameter errors, hostile texts, NaN-free numbers,
 * targets not collected yet or down; a PgBouncer target's pools;
 * TimescaleDB's jobs and job errors (/api/timescaledb).
 */
#include "autoconfig.h"

#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api.h"
#include "buf.h"
#include "dbview.h"
#include "http.h"
#include "store.h"

static void test_strndup_cleans(void **state)
{
	(void)state;
	struct view_arena a = { 0 };
	assert_null(view_strndup(&a, NULL, 0, 10));
	assert_string_equal(view_strndup(&a, "plain", (size_t)-1, 100), "plain");
	/* a bad byte becomes U+FFFD; a valid multi-byte sequence stays */
	assert_string_equal(view_strndup(&a, "a\xff" "b\xc3\xa9", (size_t)-1, 100),
			    "a\xef\xbf\xbd" "b\xc3\xa9");
	/* an overlong form and a lone continuation byte are bad too */
	assert_string_equal(view_strndup(&a, "\xc0\xaf\x80", (size_t)-1, 100),
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* cut at max bytes, never inside a character, marked with ... */
	assert_string_equal(view_strndup(&a, "abc\xc3\xa9z", (size_t)-1, 4), "abc...");
	assert_string_equal(view_strndup(&a, "abcdef", 3, 100), "abc");
	/* a NUL within n is not text either */
	assert_string_equal(view_strndup(&a, "ab\0cd", 5, 100), "ab\xef\xbf\xbd" "cd");
	/* large allocations get chunks of their own */
	char *big = view_alloc(&a, 100000);
	memset(big, 'x', 100000);
	assert_true(a.bytes >= 100000);
	view_arena_free(&a);
	assert_null(a.chunks);
}

/* ---- a store with one PostgreSQL target, one Redis target ---------------- */

struct fixture {
	struct store *store;
	struct store_slot *pg, *redis, *pending;
};

static void add_row(struct db_view *v, struct statement_window *w, const char *id, const char *db,
		    const char *query, double calls, double exec_ms, double rows)
{
	struct statement_stat *st = &w->rows[w->n++];
	memset(st, 0, sizeof(*st));
	snprintf(st->queryid, sizeof(st->queryid), "%s", id);
	st->datname = view_strndup(&v->arena, db, (size_t)-1, 64);
	st->user = view_strndup(&v->arena, "app", (size_t)-1, 64);
	st->query = query ? view_strndup(&v->arena, query, (size_t)-1, 1000) : NULL;
	st->query_missing = query ? NULL : "text dropped by pg_stat_statements";
	st->calls = calls;
	st->exec_ms = exec_ms;
	st->rows = rows;
	st->shared_hit = 90;
	st->shared_read = calls == 1 ? 0 : 10;
	st->temp_written = calls == 1 ? 500 : 0;
	st->baseline_calls = calls * 10;
	st->baseline_exec_ms = exec_ms * 2;
}

static struct db_view *make_view(void)
{
	struct db_view *v = db_view_new();
	v->collected_at = 1764616800.25;
	v->has_statements = 1;
	v->nwindows = 2;
	const char *names[] = { "1m", "1h" };
	for (size_t w = 0; w < 2; w++) {
		struct statement_window *win = &v->windows[w];
		win->window_ms = w ? 3600000 : 60000;
		snprintf(win->name, sizeof(win->name), "%s", names[w]);
		win->covered_seconds = w ? 600 : 60;
		win->rows = view_alloc(&v->arena, 4 * sizeof(*win->rows));
		/* costliest first, as the collector gives them */
		add_row(v, win, "-9000000000000000001", "shop", "SELECT pg_sleep($1)", 5, 1000, 5);
		add_row(v, win, "42", "shop", "SELECT 1 /* </script><script>alert(1)</script> \"q\" \\ \n */",
			120, 60, 120);
		add_row(v, win, "7", "crm", NULL, 1, 30, 1000);
		/* the agent's own, costliest of all: listed on request only */
		add_row(v, win, "111", "shop", "SELECT dbid, userid, queryid FROM pg_stat_statements(false)",
			50, 5000, 2000);
		win->rows[win->n - 1].own = 1;
	}
	v->has_sessions = 1;
	v->sessions_total = 9;
	v->active = 2;
	v->blocked = 1;
	v->sessions = view_alloc(&v->arena, 2 * sizeof(*v->sessions));
	v->nsessions = 2;
	memset(v->sessions, 0, 2 * sizeof(*v->sessions));
	v->sessions[0].pid = 100;
	v->sessions[0].state = "active";
	v->sessions[0].xact_start = v->collected_at - 30;
	v->sessions[0].query = "LOCK TABLE t";
	v->sessions[1].pid = 101;
	v->sessions[1].state = "active";
	v->sessions[1].wait_event_type = "Lock";
	v->sessions[1].blocked_by = view_alloc(&v->arena, sizeof(int));
	v->sessions[1].blocked_by[0] = 100;
	v->sessions[1].nblocked_by = 1;
	return v;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->store = store_new();
	f->pg = store_slot_add(f->store, "postgres", "main");
	f->redis = store_slot_add(f->store, "redis", "cache");
	f->pending = store_slot_add(f->store, "postgres", "later");
	struct store_entry *e = store_entry_new(NULL);
	e->view = make_view();
	e->view_kind = VIEW_DATABASE;
	e->view_free = db_view_free;
	e->up = 1;
	e->interval_ms = 15000;
	e->published_at = 1764616800.25;
	store_publish(f->store, f->pg, e);
	e = store_entry_new(NULL);
	e->up = 0;
	e->interval_ms = 1500;
	e->published_at = 1764616801;
	store_publish(f->store, f->redis, e);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_slot_release(f->pg);
	store_slot_release(f->redis);
	store_slot_release(f->pending);
	store_free(f->store);
	free(f);
	return 0;
}

typedef int (*api_fn)(struct store *, const struct http_request *, struct http_response *);

/* Calls fn with args (name, value, ..., NULL); returns the parsed body
 * (caller decrefs) and the status in *status. */
static json_t *call(struct fixture *f, api_fn fn, const char *const *args, unsigned *status,
		    char **raw)
{
	struct http_request req = { .path = "/api/x", .args = args };
	struct http_response resp = { .status = 200 };
	buf_init(&resp.body, 1 << 24);
	assert_int_equal(fn(f->store, &req, &resp), 0);
	assert_string_equal(resp.content_type, "application/json");
	assert_string_equal(resp.cache_control, "no-store");
	*status = resp.status;
	json_error_t err;
	json_t *j = json_loads(buf_str(&resp.body), 0, &err);
	if (!j)
		fail_msg("not JSON: %s: %s", err.text, buf_str(&resp.body));
	if (raw)
		*raw = strdup(buf_str(&resp.body));
	buf_release(&resp.body);
	return j;
}

static const char *first_query(json_t *j)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(j, "statements"), 0),
						 "query"));
}

static void test_queries_sorts(void **state)
{
	struct fixture *f = *state;
	unsigned status;
	const char *total[] = { "target", "main", NULL };
	json_t *j = call(f, api_queries, total, &status, NULL);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(j, "window")), "1m");
	assert_string_equal(json_string_value(json_object_get(j, "baseline_window")), "1h");
	assert_string_equal(json_string_value(json_object_get(j, "sort")), "total");
	assert_int_equal(json_integer_value(json_object_get(j, "matched")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "window_seconds")), 60);
	assert_string_equal(first_query(j), "SELECT pg_sleep($1)");
	json_t *s0 = json_array_get(json_object_get(j, "statements"), 0);
	assert_string_equal(json_string_value(json_object_get(s0, "queryid")), "-9000000000000000001");
	assert_true(json_is_null(json_object_get(s0, "query_missing")));
	assert_int_equal(json_integer_value(json_object_get(s0, "calls")), 5);
	assert_true(json_real_value(json_object_get(s0, "mean_seconds")) == 0.2);
	assert_true(json_real_value(json_object_get(s0, "baseline_mean_seconds")) == 0.04);
	assert_true(json_real_value(json_object_get(s0, "hit_ratio")) == 0.9);
	assert_true(fabs(json_real_value(json_object_get(s0, "calls_per_second")) - 5.0 / 60) < 1e-12);
	json_decref(j);

	const char *calls[] = { "target", "main", "sort", "calls", NULL };
	j = call(f, api_queries, calls, &status, NULL);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(j, "statements"), 0), "queryid")), "42");
	json_decref(j);
	const char *rows[] = { "target", "main", "sort", "rows", "window", "1h", NULL };
	j = call(f, api_queries, rows, &status, NULL);
	json_t *r0 = json_array_get(json_object_get(j, "statements"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "queryid")), "7");
	assert_true(json_is_null(json_object_get(r0, "query"))); /* PostgreSQL has none, */
	assert_string_equal(json_string_value(json_object_get(r0, "query_missing")),
			    "text dropped by pg_stat_statements"); /* and why */
	assert_string_equal(json_string_value(json_object_get(j, "window")), "1h");
	json_decref(j);
	const char *temp[] = { "target", "main", "sort", "temp", NULL };
	j = call(f, api_queries, temp, &status, NULL);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(j, "statements"), 0), "queryid")), "7");
	json_decref(j);
}

static void test_queries_filters(void **state)
{
	struct fixture *f = *state;
	unsigned status;
	const char *db[] = { "target", "main", "db", "crm", NULL };
	json_t *j = call(f, api_queries, db, &status, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "matched")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "statements")), 1);
	json_decref(j);
	const char *user[] = { "target", "main", "user", "nobody", NULL };
	j = call(f, api_queries, user, &status, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "statements")), 0);
	json_decref(j);
	const char *limit[] = { "target", "main", "limit", "2", NULL };
	j = call(f, api_queries, limit, &status, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "statements")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "matched")), 3);
	json_decref(j);
}

static void expect_400(struct fixture *f, api_fn fn, const char *const *args, const char *parameter,
		       const char *allowed_first);

static json_t *statement_of(json_t *j, size_t i)
{
	return json_array_get(json_object_get(j, "statements"), i);
}

/* The agent's own statements: out of the list unless include_own, always
 * in the totals, summed apart in "own". */
static void test_queries_own(void **state)
{
	struct fixture *f = *state;
	unsigned status;
	const char *dflt[] = { "target", "main", NULL };
	const char *no[] = { "target", "main", "include_own", "0", NULL };
	const char *const *without[] = { dflt, no };
	for (size_t k = 0; k < 2; k++) {
		json_t *j = call(f, api_queries, without[k], &status, NULL);
		assert_int_equal(status, 200);
		assert_false(json_boolean_value(json_object_get(j, "include_own")));
		assert_int_equal(json_integer_value(json_object_get(j, "matched")), 3);
		for (size_t i = 0; i < 3; i++) {
			assert_string_not_equal(json_string_value(json_object_get(statement_of(j, i), "queryid")),
						"111");
			assert_false(json_boolean_value(json_object_get(statement_of(j, i), "own")));
		}
		json_t *totals = json_object_get(j, "totals"), *own = json_object_get(j, "own");
		assert_int_equal(json_integer_value(json_object_get(totals, "calls")), 176);
		assert_true(fabs(json_real_value(json_object_get(totals, "total_seconds")) - 6.09) < 1e-9);
		assert_int_equal(json_integer_value(json_object_get(own, "statements")), 1);
		assert_int_equal(json_integer_value(json_object_get(own, "calls")), 50);
		assert_true(json_real_value(json_object_get(own, "total_seconds")) == 5);
		json_decref(j);
	}
	const char *yes[] = { "target", "main", "include_own", "1", NULL };
	json_t *j = call(f, api_queries, yes, &status, NULL);
	assert_true(json_boolean_value(json_object_get(j, "include_own")));
	assert_int_equal(json_integer_value(json_object_get(j, "matched")), 4);
	assert_string_equal(json_string_value(json_object_get(statement_of(j, 0), "queryid")), "111");
	assert_true(json_boolean_value(json_object_get(statement_of(j, 0), "own")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "totals"), "calls")), 176);
	json_decref(j);
	/* filters apply to the agent's statements and their sums too */
	const char *crm[] = { "target", "main", "db", "crm", "include_own", "true", NULL };
	j = call(f, api_queries, crm, &status, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "matched")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "own"), "statements")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "totals"), "calls")), 1);
	json_decref(j);
	const char *bad[] = { "target", "main", "include_own", "maybe", NULL };
	expect_400(f, api_queries, bad, "include_own", "0");
}

static void test_queries_hostile_text(void **state)
{
	struct fixture *f = *state;
	unsigned status;
	char *raw;
	const char *args[] = { "target", "main", "sort", "calls", NULL };
	json_t *j = call(f, api_queries, args, &status, &raw);
	assert_string_equal(first_query(j),
			    "SELECT 1 /* </script><script>alert(1)</script> \"q\" \\ \n */");
	assert_null(strstr(raw, "</script>")); /* written <\/script> */
	free(raw);
	json_decref(j);
}

static void expect_400(struct fixture *f, api_fn fn, const char *const *args, const char *parameter,
		       const char *allowed_first)
{
	unsigned status;
	json_t *j = call(f, fn, args, &status, NULL);
	assert_int_equal(status, 400);
	assert_non_null(json_string_value(json_object_get(j, "error")));
	assert_string_equal(json_string_value(json_object_get(j, "parameter")), parameter);
	if (allowed_first)
		assert_string_equal(json_string_value(json_array_get(json_object_get(j, "allowed"), 0)),
				    allowed_first);
	json_decref(j);
}

static void test_queries_errors(void **state)
{
	struct fixture *f = *state;
	const char *none[] = { NULL };
	expect_400(f, api_queries, none, "target", "main");
	const char *unknown[] = { "target", "nosuch", NULL };
	expect_400(f, api_queries, unknown, "target", "main");
	const char *redis[] = { "target", "cache", NULL };
	expect_400(f, api_queries, redis, "target", "main");
	const char *window[] = { "target", "main", "window", "5m", NULL };
	expect_400(f, api_queries, window, "window", "1m");
	const char *sort[] = { "target", "main", "sort", "slowest", NULL };
	expect_400(f, api_queries, sort, "sort", "total");
	const char *limits[][5] = { { "target", "main", "limit", "0", NULL },
				    { "target", "main", "limit", "1001", NULL },
				    { "target", "main", "limit", "ten", NULL } };
	for (size_t i = 0; i < 3; i++)
		expect_400(f, api_queries, limits[i], "limit", NULL);
	unsigned status;
	const char *later[] = { "target", "later", NULL };
	json_t *j = call(f, api_queries, later, &status, NULL);
	assert_int_equal(status, 503); /* not collected yet */
	json_decref(j);
}

static const char *error_of(json_t *j)
{
	return json_string_value(json_object_get(j, "error"));
}

/* A parameter that is not UTF-8 is echoed cleaned: json_string() of it
 * was NULL and the error key went missing (fuzz_api-invalid-utf8-target-
 * drops-error, in tests/fuzz/corpus/fuzz_api/). */
static void test_errors_not_utf8(void **state)
{
	struct fixture *f = *state;
	unsigned status;
	const char *bad[] = { "target", "\x92", NULL };
	json_t *j = call(f, api_queries, bad, &status, NULL);
	assert_int_equal(status, 400);
	assert_string_equal(error_of(j),
			    "parameter 'target': no [postgres] section named '\xef\xbf\xbd'");
	json_decref(j);
	j = call(f, api_activity, bad, &status, NULL);
	assert_int_equal(status, 400);
	assert_non_null(error_of(j));
	json_decref(j);
	const char *bad_redis[] = { "target", "a\xc3(\xff", NULL };
	j = call(f, api_slowlog, bad_redis, &status, NULL);
	assert_int_equal(status, 404);
	assert_string_equal(error_of(j), "no target 'a\xef\xbf\xbd(\xef\xbf\xbd'");
	json_decref(j);
}

/* A long message is cut between two characters, never inside one. */
static void test_error_cut(void **state)
{
	(void)state;
	char x[600];
	memset(x, 'x', sizeof(x));
	x[511] = '\0';
	/* 511 + 2 bytes: vsnprintf into 512 bytes used to keep half the é */
	struct http_response resp = { .status = 200 };
	buf_init(&resp.body, 1 << 20);
	assert_int_equal(api_error(&resp, 404, "%s\xc3\xa9", x), 0);
	assert_int_equal(resp.status, 404);
	json_error_t err;
	json_t *j = json_loads(buf_str(&resp.body), 0, &err);   /* strict UTF-8 */
	assert_non_null(j);
	const char *msg = error_of(j);
	assert_non_null(msg);
	assert_int_equal(strlen(msg), 511 + 3);
	assert_string_equal(msg + 511, "...");
	json_decref(j);
	buf_release(&resp.body);
	/* a message that just fits is kept whole */
	buf_init(&resp.body, 1 << 20);
	x[510] = '\0';
	assert_int_equal(api_error(&resp, 404, "%s\xc3\xa9", x), 0);
	j = json_loads(buf_str(&resp.body), 0, &err);
	assert_non_null(j);
	assert_int_equal(strlen(error_of(j)), 512);
	assert_string_equal(error_of(j) + 510, "\xc3\xa9");
	json_decref(j);
	buf_release(&resp.body);
}

static void test_activity(void **state)
{
	struct fixture *f = *state;
	unsigned status;
	const char *args[] = { "target", "main", NULL };
	json_t *j = call(f, api_activity, args, &status, NULL);
	assert_int_equal(status, 200);
	json_t *summary = json_object_get(j, "summary");
	assert_int_equal(json_integer_value(json_object_get(summary, "sessions")), 9);
	assert_int_equal(json_integer_value(json_object_get(summary, "blocked")), 1);
	json_t *s = json_object_get(j, "sessions");
	assert_int_equal(json_array_size(s), 2);
	json_t *holder = json_array_get(s, 0), *waiter = json_array_get(s, 1);
	assert_true(json_real_value(json_object_get(holder, "xact_seconds")) == 30);
	assert_true(json_is_null(json_object_get(holder, "query_start")));
	assert_int_equal(json_integer_value(json_array_get(json_object_get(waiter, "blocked_by"), 0)), 100);
	assert_true(json_is_null(json_object_get(waiter, "datname")));
	json_decref(j);
	const char *none[] = { NULL };
	expect_400(f, api_activity, none, "target", "main");
}

static void test_targets(void **state)
{
	struct fixture *f = *state;
	unsigned status;
	const char *none[] = { NULL };
	json_t *j = call(f, api_targets, none, &status, NULL);
	json_t *t = json_object_get(j, "targets");
	assert_int_equal(json_array_size(t), 3);
	json_t *pg = json_array_get(t, 0), *redis = json_array_get(t, 1), *later = json_array_get(t, 2);
	assert_string_equal(json_string_value(json_object_get(pg, "kind")), "postgres");
	assert_true(json_is_true(json_object_get(pg, "up")));
	assert_int_equal(json_integer_value(json_object_get(pg, "interval_seconds")), 15);
	assert_string_equal(json_string_value(json_object_get(pg, "last_collect")), "2025-12-01T19:20:00.250Z");
	assert_string_equal(json_string_value(json_array_get(json_object_get(pg, "windows"), 1)), "1h");
	assert_string_equal(json_string_value(json_array_get(json_object_get(pg, "views"), 0)), "queries");
	assert_true(json_is_false(json_object_get(redis, "up")));
	assert_true(json_real_value(json_object_get(redis, "interval_seconds")) == 1.5);
	assert_string_equal(json_string_value(json_array_get(json_object_get(redis, "views"), 0)), "slowlog");
	assert_true(json_is_null(json_object_get(later, "up")));
	assert_true(json_is_null(json_object_get(later, "last_collect")));
	json_decref(j);
}

/* ---- /api/pools: a store with PgBouncer targets --------------------------- */

static void add_pool(struct pools_view *v, const char *db, const char *user, double waiting,
		     double maxwait)
{
	struct pool_stat *p = &v->pools[v->npools++];
	memset(p, 0, sizeof(*p));
	p->database = view_strndup(&v->arena, db, (size_t)-1, 64);
	p->user = view_strndup(&v->arena, user, (size_t)-1, 64);
	p->pool_mode = "transaction";
	p->cl_active = 3;
	p->cl_waiting = waiting;
	p->sv_active = 2;
	p->sv_idle = 1;
	p->sv_used = 4;
	p->maxwait = maxwait;
}

static void publish_pools(struct store *s, struct store_slot *slot, struct pools_view *v, int up)
{
	struct store_entry *e = store_entry_new(NULL);
	e->view = v;
	e->view_kind = VIEW_POOLS;
	e->view_free = pools_view_free;
	e->up = up;
	e->interval_ms = 15000;
	e->published_at = 1764616800.25;
	store_publish(s, slot, e);
}

struct pools_fixture {
	struct fixture f;
	struct store_slot *bouncer, *down, *waiting;
};

static int setup_pools(void **state)
{
	setup(state);
	struct pools_fixture *pf = calloc(1, sizeof(*pf));
	pf->f = *(struct fixture *)*state;
	free(*state);
	pf->bouncer = store_slot_add(pf->f.store, "pgbouncer", "bouncer");
	pf->down = store_slot_add(pf->f.store, "pgbouncer", "gone");
	pf->waiting = store_slot_add(pf->f.store, "pgbouncer", "soon");
	struct pools_view *v = pools_view_new();
	v->collected_at = 1764616800.25;
	v->has_pools = 1;
	v->pools = view_alloc(&v->arena, 4 * sizeof(*v->pools));
	add_pool(v, "idle", "app", 0, 0);
	add_pool(v, "shop", "app", 1, 0.5);
	add_pool(v, "crm\xff</script>", "\"u\"", 1, 7.25);
	add_pool(v, "big", "app", 3, 0.1);
	v->pools[0].pool_mode = NULL;
	publish_pools(pf->f.store, pf->bouncer, v, 1);
	publish_pools(pf->f.store, pf->down, pools_view_new(), 0);
	*state = pf;
	return 0;
}

static int teardown_pools(void **state)
{
	struct pools_fixture *pf = *state;
	store_slot_release(pf->bouncer);
	store_slot_release(pf->down);
	store_slot_release(pf->waiting);
	struct fixture *f = calloc(1, sizeof(*f));
	*f = pf->f;
	free(pf);
	*state = f;
	return teardown(state);
}

static void test_pools_sorted(void **state)
{
	struct pools_fixture *pf = *state;
	unsigned status;
	char *raw;
	const char *args[] = { "target", "bouncer", NULL };
	json_t *j = call(&pf->f, api_pools, args, &status, &raw);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(j, "target")), "bouncer");
	assert_string_equal(json_string_value(json_object_get(j, "collected_at")), "2025-12-01T19:20:00.250Z");
	json_t *pools = json_object_get(j, "pools");
	assert_int_equal(json_array_size(pools), 4);
	/* most waiting first, then the longest wait */
	const char *order[] = { "big", "crm\xef\xbf\xbd</script>", "shop", "idle" };
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(pools, i), "database")),
				    order[i]);
	json_t *crm = json_array_get(pools, 1);
	assert_string_equal(json_string_value(json_object_get(crm, "user")), "\"u\"");
	assert_int_equal(json_integer_value(json_object_get(crm, "client_waiting")), 1);
	assert_int_equal(json_integer_value(json_object_get(crm, "client_active")), 3);
	assert_int_equal(json_integer_value(json_object_get(crm, "server_active")), 2);
	assert_int_equal(json_integer_value(json_object_get(crm, "server_idle")), 1);
	assert_int_equal(json_integer_value(json_object_get(crm, "server_used")), 4);
	assert_true(json_real_value(json_object_get(crm, "maxwait_seconds")) == 7.25);
	assert_string_equal(json_string_value(json_object_get(crm, "pool_mode")), "transaction");
	assert_true(json_is_null(json_object_get(json_array_get(pools, 3), "pool_mode")));
	/* no raw </script> in the answer */
	assert_null(strstr(raw, "</script>"));
	free(raw);
	json_decref(j);
}

static void expect_status(struct fixture *f, const char *target, unsigned want)
{
	unsigned status;
	const char *args[] = { "target", target, NULL };
	json_t *j = call(f, api_pools, args, &status, NULL);
	assert_int_equal(status, want);
	assert_non_null(json_string_value(json_object_get(j, "error")));
	json_decref(j);
}

static void test_pools_errors(void **state)
{
	struct pools_fixture *pf = *state;
	const char *none[] = { NULL };
	expect_400(&pf->f, api_pools, none, "target", "bouncer");
	expect_status(&pf->f, "nosuch", 404);
	expect_status(&pf->f, "main", 404);    /* PostgreSQL */
	expect_status(&pf->f, "cache", 404);   /* Redis, down */
	expect_status(&pf->f, "gone", 503);    /* down */
	expect_status(&pf->f, "soon", 503);    /* not collected yet */
	expect_status(&pf->f, "\xff\xfe", 404);
	unsigned status;
	const char *args[] = { "target", "nosuch", NULL };
	json_t *j = call(&pf->f, api_pools, args, &status, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "parameter")), "target");
	json_decref(j);
	/* /api/targets lists the pools view */
	j = call(&pf->f, api_targets, none, &status, NULL);
	json_t *t = json_array_get(json_object_get(j, "targets"), 3);
	assert_string_equal(json_string_value(json_object_get(t, "kind")), "pgbouncer");
	assert_string_equal(json_string_value(json_array_get(json_object_get(t, "views"), 0)), "pools");
	t = json_array_get(json_object_get(j, "targets"), 5);
	assert_string_equal(json_string_value(json_array_get(json_object_get(t, "views"), 0)), "pools");
	json_decref(j);
}

/* ---- /api/timescaledb: a PostgreSQL target whose view has TimescaleDB ---- */

#define HOSTILE_JOB "<img src=x onerror=alert(1)>"

static struct tsdb_view *make_tsdb(void)
{
	struct tsdb_view *t = tsdb_view_new();
	struct view_arena *a = &t->arena;
	t->collected_at = 1765000000.25;
	t->ndatabases = 2;
	t->databases = view_alloc(a, 2 * sizeof(*t->databases));
	t->databases[0] = (struct tsdb_database){ .datname = "postgres", .version = "2.23.0-dev",
						  .ok = 1, .has_job_errors = 1 };
	t->databases[1] = (struct tsdb_database){ .datname = "old", .version = "2.11.2", .ok = 0 };
	t->njobs = 3;
	t->jobs = view_alloc(a, 3 * sizeof(*t->jobs));
	t->jobs[0] = (struct tsdb_job){
		.datname = "postgres", .application_name = "Columnstore Policy [1000]",
		.proc_name = "_timescaledb_functions.policy_compression", .hypertable = "public.metrics",
		.job_id = 1000, .scheduled = 1, .last_run = 1, .last_success = 1765000000,
		.next_start = 1765043200.5, .schedule_interval = 43200, .runs = 3, .failures = 1,
	};
	t->jobs[1] = (struct tsdb_job){
		.datname = "postgres", .application_name = view_strndup(a, HOSTILE_JOB "\xff", (size_t)-1, 64),
		.proc_name = "public.failing_action", .job_id = 1002, .scheduled = 1, .last_run = 0,
		.schedule_interval = 60, .runs = 2, .failures = 2,
	};
	/* never ran, paused, an id beyond 32 bits */
	t->jobs[2] = (struct tsdb_job){
		.datname = "postgres", .application_name = "Refresh Continuous Aggregate Policy [1001]",
		.proc_name = "_timescaledb_functions.policy_refresh_continuous_aggregate",
		.hypertable = "public.metrics_hourly", .job_id = 5000000000, .scheduled = 0,
		.last_run = -1, .schedule_interval = 3600.5,
	};
	t->nerrors = 2;
	t->errors = view_alloc(a, 2 * sizeof(*t->errors));
	t->errors[0] = (struct tsdb_job_error){
		.datname = "postgres", .proc_name = "public.failing_action", .job_id = 1002,
		.start_time = 1765000000.5, .finish_time = 1765000000.625, .sqlerrcode = "P0001",
		.message = "disk quota exceeded in archive </script><b>x</b>",
	};
	t->errors[1] = (struct tsdb_job_error){
		.datname = "postgres", .proc_name = "public.failing_action", .job_id = 1002,
		.start_time = 1764990000,
		.message = "\"quoted\" \\ and\nnewline",
	};
	return t;
}

struct tsdb_fixture {
	struct fixture f;
	struct store_slot *ts;
	struct tsdb_view *held;      /* a reference of the test's, as a next view would hold */
};

static int setup_tsdb(void **state)
{
	setup(state);
	struct tsdb_fixture *tf = calloc(1, sizeof(*tf));
	tf->f = *(struct fixture *)*state;
	free(*state);
	tf->ts = store_slot_add(tf->f.store, "postgres", "ts");
	struct db_view *v = make_view();
	v->tsdb = make_tsdb();
	tf->held = tsdb_view_ref(v->tsdb);
	struct store_entry *e = store_entry_new(NULL);
	e->view = v;
	e->view_kind = VIEW_DATABASE;
	e->view_free = db_view_free;
	e->up = 1;
	e->interval_ms = 1000;
	e->published_at = 1765000000.25;
	store_publish(tf->f.store, tf->ts, e);
	*state = tf;
	return 0;
}

static int teardown_tsdb(void **state)
{
	struct tsdb_fixture *tf = *state;
	store_slot_release(tf->ts);
	struct fixture *f = calloc(1, sizeof(*f));
	*f = tf->f;
	/* the view outlives the store's entry while a reference is held */
	assert_int_equal(atomic_load(&tf->held->refs), 2);
	teardown((void **)&f);
	assert_int_equal(atomic_load(&tf->held->refs), 1);
	assert_string_equal(tf->held->jobs[0].application_name, "Columnstore Policy [1000]");
	tsdb_view_unref(tf->held);
	free(tf);
	*state = NULL;
	return 0;
}

static json_t *get_key(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		fail_msg("no key '%s'", k);
	return v;
}

static void test_tsdb_answer(void **state)
{
	struct tsdb_fixture *tf = *state;
	unsigned status;
	char *raw;
	const char *args[] = { "target", "ts", NULL };
	json_t *j = call(&tf->f, api_timescaledb, args, &status, &raw);
	assert_int_equal(status, 200);
	assert_int_equal(json_object_size(j), 5);
	assert_string_equal(json_string_value(get_key(j, "target")), "ts");
	/* times as everywhere in the API: RFC 3339, UTC, milliseconds */
	assert_string_equal(json_string_value(get_key(j, "collected_at")), "2025-12-06T05:46:40.250Z");

	json_t *dbs = get_key(j, "databases");
	assert_int_equal(json_array_size(dbs), 2);
	json_t *d0 = json_array_get(dbs, 0), *d1 = json_array_get(dbs, 1);
	assert_int_equal(json_object_size(d0), 4);
	assert_string_equal(json_string_value(get_key(d0, "datname")), "postgres");
	assert_string_equal(json_string_value(get_key(d0, "version")), "2.23.0-dev");
	assert_true(json_is_true(get_key(d0, "ok")));
	assert_true(json_is_true(get_key(d0, "job_errors")));
	assert_string_equal(json_string_value(get_key(d1, "datname")), "old");
	assert_true(json_is_false(get_key(d1, "ok")));
	assert_true(json_is_false(get_key(d1, "job_errors")));

	/* the jobs in the view's order: by database, then job id */
	json_t *jobs = get_key(j, "jobs");
	assert_int_equal(json_array_size(jobs), 3);
	json_t *c = json_array_get(jobs, 0);
	assert_int_equal(json_object_size(c), 12);
	assert_string_equal(json_string_value(get_key(c, "datname")), "postgres");
	assert_true(json_is_integer(get_key(c, "job_id")));
	assert_int_equal(json_integer_value(get_key(c, "job_id")), 1000);
	assert_string_equal(json_string_value(get_key(c, "application_name")), "Columnstore Policy [1000]");
	assert_string_equal(json_string_value(get_key(c, "proc_name")),
			    "_timescaledb_functions.policy_compression");
	assert_string_equal(json_string_value(get_key(c, "hypertable")), "public.metrics");
	assert_true(json_is_true(get_key(c, "scheduled")));
	assert_string_equal(json_string_value(get_key(c, "last_run")), "success");
	assert_string_equal(json_string_value(get_key(c, "last_success")), "2025-12-06T05:46:40.000Z");
	assert_string_equal(json_string_value(get_key(c, "next_start")), "2025-12-06T17:46:40.500Z");
	assert_int_equal(json_integer_value(get_key(c, "schedule_interval_seconds")), 43200);
	assert_int_equal(json_integer_value(get_key(c, "runs")), 3);
	assert_int_equal(json_integer_value(get_key(c, "failures")), 1);

	json_t *failing = json_array_get(jobs, 1);
	assert_int_equal(json_integer_value(get_key(failing, "job_id")), 1002);
	assert_string_equal(json_string_value(get_key(failing, "last_run")), "failure");
	assert_string_equal(json_string_value(get_key(failing, "application_name")),
			    HOSTILE_JOB "\xef\xbf\xbd");
	assert_true(json_is_null(get_key(failing, "hypertable")));
	assert_true(json_is_null(get_key(failing, "last_success")));   /* never succeeded */
	assert_true(json_is_null(get_key(failing, "next_start")));     /* unknown */
	assert_int_equal(json_integer_value(get_key(failing, "failures")), 2);

	json_t *never = json_array_get(jobs, 2);
	assert_int_equal(json_integer_value(get_key(never, "job_id")), 5000000000);
	assert_true(json_is_null(get_key(never, "last_run")));
	assert_true(json_is_false(get_key(never, "scheduled")));
	assert_true(json_real_value(get_key(never, "schedule_interval_seconds")) == 3600.5);
	assert_int_equal(json_integer_value(get_key(never, "runs")), 0);
	assert_int_equal(json_integer_value(get_key(never, "failures")), 0);

	/* the errors, newest first, texts as they are */
	json_t *errors = get_key(j, "job_errors");
	assert_int_equal(json_array_size(errors), 2);
	json_t *e0 = json_array_get(errors, 0), *e1 = json_array_get(errors, 1);
	assert_int_equal(json_object_size(e0), 8);
	assert_string_equal(json_string_value(get_key(e0, "datname")), "postgres");
	assert_int_equal(json_integer_value(get_key(e0, "job_id")), 1002);
	assert_string_equal(json_string_value(get_key(e0, "proc_name")), "public.failing_action");
	assert_true(json_is_null(get_key(e0, "hypertable")));
	assert_string_equal(json_string_value(get_key(e0, "start_time")), "2025-12-06T05:46:40.500Z");
	assert_string_equal(json_string_value(get_key(e0, "finish_time")), "2025-12-06T05:46:40.625Z");
	assert_string_equal(json_string_value(get_key(e0, "sqlerrcode")), "P0001");
	assert_string_equal(json_string_value(get_key(e0, "message")),
			    "disk quota exceeded in archive </script><b>x</b>");
	assert_true(json_is_null(get_key(e1, "finish_time")));
	assert_true(json_is_null(get_key(e1, "sqlerrcode")));
	assert_string_equal(json_string_value(get_key(e1, "message")), "\"quoted\" \\ and\nnewline");
	assert_null(strstr(raw, "</script>")); /* written <\/script> */
	free(raw);
	json_decref(j);
}

/* A PostgreSQL target without TimescaleDB (or not read yet): empty lists. */
static void test_tsdb_none(void **state)
{
	struct tsdb_fixture *tf = *state;
	unsigned status;
	const char *args[] = { "target", "main", NULL };
	json_t *j = call(&tf->f, api_timescaledb, args, &status, NULL);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(get_key(j, "target")), "main");
	assert_true(json_is_null(get_key(j, "collected_at")));
	const char *lists[] = { "databases", "jobs", "job_errors" };
	for (size_t i = 0; i < 3; i++) {
		assert_true(json_is_array(get_key(j, lists[i])));
		assert_int_equal(json_array_size(get_key(j, lists[i])), 0);
	}
	json_decref(j);
	/* /api/targets lists the timescaledb view of ts only */
	const char *none[] = { NULL };
	j = call(&tf->f, api_targets, none, &status, NULL);
	json_t *t = get_key(j, "targets");
	for (size_t i = 0; i < json_array_size(t); i++) {
		json_t *o = json_array_get(t, i), *views = get_key(o, "views");
		int has = 0;
		for (size_t k = 0; k < json_array_size(views); k++)
			has |= strcmp(json_string_value(json_array_get(views, k)), "timescaledb") == 0;
		assert_int_equal(has, strcmp(json_string_value(get_key(o, "name")), "ts") == 0);
	}
	json_decref(j);
}

static void test_tsdb_errors(void **state)
{
	struct tsdb_fixture *tf = *state;
	const char *none[] = { NULL }, *empty[] = { "target", "", NULL };
	expect_400(&tf->f, api_timescaledb, none, "target", "main");
	expect_400(&tf->f, api_timescaledb, empty, "target", "main");
	struct {
		const char *target;
		unsigned status;
		const char *error;
	} cases[] = {
		{ "nosuch", 404, "parameter 'target': no [postgres] section named 'nosuch'" },
		{ "cache", 404, "parameter 'target': 'cache' is not a PostgreSQL target" },
		{ "\xff<b>", 404, "parameter 'target': no [postgres] section named '\xef\xbf\xbd<b>'" },
		{ "later", 503, "target 'later' has not been collected yet" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned status;
		const char *args[] = { "target", cases[i].target, NULL };
		json_t *j = call(&tf->f, api_timescaledb, args, &status, NULL);
		assert_int_equal(status, cases[i].status);
		assert_string_equal(error_of(j), cases[i].error);
		if (status == 404) {
			/* which targets there are: the PostgreSQL ones */
			assert_string_equal(json_string_value(get_key(j, "parameter")), "target");
			json_t *allowed = get_key(j, "allowed");
			assert_int_equal(json_array_size(allowed), 3);
			assert_string_equal(json_string_value(json_array_get(allowed, 2)), "ts");
		}
		json_decref(j);
	}
	/* the other endpoints keep their 400 for an unknown target */
	const char *unknown[] = { "target", "nosuch", NULL };
	expect_400(&tf->f, api_advice, unknown, "target", "main");
}

static void test_time(void **state)
{
	(void)state;
	char s[32];
	api_time(0.5, s);
	assert_string_equal(s, "1970-01-01T00:00:00.500Z");
	api_time(1764616800.999, s);
	assert_string_equal(s, "2025-12-01T19:20:00.999Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strndup_cleans),
		cmocka_unit_test_setup_teardown(test_queries_sorts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries_hostile_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_not_utf8, setup, teardown),
		cmocka_unit_test(test_error_cut),
		cmocka_unit_test_setup_teardown(test_activity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_targets, setup, teardown),
		cmocka_unit_test(test_time),
		cmocka_unit_test_setup_teardown(test_pools_sorted, setup_pools, teardown_pools),
		cmocka_unit_test_setup_teardown(test_pools_errors, setup_pools, teardown_pools),
		cmocka_unit_test_setup_teardown(test_tsdb_answer, setup_tsdb, teardown_tsdb),
		cmocka_unit_test_setup_teardown(test_tsdb_none, setup_tsdb, teardown_tsdb),
		cmocka_unit_test_setup_teardown(test_tsdb_errors, setup_tsdb, teardown_tsdb),
	};
	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
