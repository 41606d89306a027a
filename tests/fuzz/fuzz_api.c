/*
 * fuzz_api.c -- the JSON API's query parameters and answers (exporters/
 * api.c api_targets, api_queries, api_activity, api_slowlog, api_advice,
 * api_timescaledb, with
 * http_arg of exporters/http.c) over a store holding a PostgreSQL
 * target with statements, sessions and an advisor pass (hostile names,
 * evidence that is not JSON), a Redis target that is down and
 * one not collected yet, as tests/test_api.c sets it up (one statement
 * is the agent's own).  The parameters come straight from the request's
 * URL.
 *
 * Input: the query string, "name=value&name=value..." (NUL bytes allowed
 * in the input cut a value short, as a decoded %00 would).
 *
 * Properties: no crash, leak or UB; every answer is JSON that parses back
 * strictly (jansson, duplicate keys refused); it never holds "</" (the
 * API writes with JSON_ESCAPE_SLASH so that it can be inlined in a page:
 * the <\/ rule); an error answer (status >= 400) is an object whose
 * "error" is a non-empty string.
 */
#include "autoconfig.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "buf.h"
#include "dbview.h"
#include "fuzz_util.h"
#include "http.h"
#include "store.h"

#define MAX_ARGS 8

static struct store *store;

static void add_row(struct db_view *v, struct statement_window *w, const char *id, const char *db,
		    const char *query, double calls, double exec_ms)
{
	struct statement_stat *st = &w->rows[w->n++];
	memset(st, 0, sizeof(*st));
	snprintf(st->queryid, sizeof(st->queryid), "%s", id);
	st->datname = view_strndup(&v->arena, db, (size_t)-1, 64);
	st->user = view_strndup(&v->arena, "app", (size_t)-1, 64);
	st->query = query ? view_strndup(&v->arena, query, (size_t)-1, 1000) : NULL;
	st->calls = calls;
	st->exec_ms = exec_ms;
	st->rows = calls;
	st->shared_hit = 90;
	st->shared_read = 10;
	st->baseline_calls = calls * 10;
	st->baseline_exec_ms = exec_ms * 2;
}

/* An advisor pass with a finding whose names are hostile, one whose
 * evidence is not JSON, and a note. */
static struct advice_view *make_advice(void)
{
	struct advice_view *a = advice_view_new();
	a->started_at = 1764616700.5;
	a->duration = 0.25;
	a->databases = view_alloc(&a->arena, sizeof(*a->databases));
	a->database_ok = view_alloc(&a->arena, sizeof(*a->database_ok));
	a->databases[0] = "shop";
	a->database_ok[0] = 1;
	a->ndatabases = 1;
	a->findings = calloc(2, sizeof(*a->findings));
	a->nfindings = 2;
	a->findings[0] = (struct advice_finding){
		.datname = "shop", .kind = "invalid_index", .severity = "critical", .schema = "s </script>",
		.table = "t\"; DROP TABLE x; --", .object = "i \"\u00fc\"",
		.evidence = "{\"index_bytes\": 8192, \"def\": \"</script>\"}",
		.summary = "invalid </script>", .action = "DROP INDEX CONCURRENTLY \"s\".\"i\";",
	};
	a->findings[1] = (struct advice_finding){
		.datname = "shop", .kind = "unused_index", .severity = "warning", .evidence = "not json",
	};
	a->notes = calloc(1, sizeof(*a->notes));
	a->nnotes = 1;
	a->notes[0] = (struct advice_note){ .datname = "shop", .kind = "table_bloat", .text = "no SELECT" };
	return a;
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
		add_row(v, win, "-9000000000000000001", "shop", "SELECT pg_sleep($1)", 5, 1000);
		add_row(v, win, "42", "shop", "SELECT 1 /* </script> \"q\" \\ \n */", 120, 60);
		add_row(v, win, "7", "crm", NULL, 0, 30);
		add_row(v, win, "8", "shop", "SELECT dbid FROM pg_stat_statements(false)", 9, 40);
		win->rows[win->n - 1].own = 1; /* the agent's: include_own=1 lists it */
	}
	v->has_sessions = 1;
	v->sessions_total = 3;
	v->active = 2;
	v->blocked = 1;
	v->sessions = view_alloc(&v->arena, 2 * sizeof(*v->sessions));
	v->nsessions = 2;
	memset(v->sessions, 0, 2 * sizeof(*v->sessions));
	v->sessions[0].pid = 100;
	v->sessions[0].state = "active";
	v->sessions[0].xact_start = v->collected_at - 30;
	v->sessions[0].query = "LOCK TABLE t </script>";
	v->sessions[1].pid = 101;
	v->sessions[1].state = "active";
	v->sessions[1].wait_event_type = "Lock";
	v->sessions[1].blocked_by = view_alloc(&v->arena, sizeof(int));
	v->sessions[1].blocked_by[0] = 100;
	v->sessions[1].nblocked_by = 1;
	v->advice_enabled = 1;
	v->advice = make_advice();
	return v;
}

/* The store lives as long as the process (the slots' references are
 * dropped; the store keeps its targets). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	store = store_new();
	struct store_slot *pg = store_slot_add(store, "postgres", "main");
	struct store_slot *redis = store_slot_add(store, "redis", "cache");
	struct store_slot *pending = store_slot_add(store, "postgres", "later");
	struct store_entry *e = store_entry_new(NULL);
	e->view = make_view();
	e->view_kind = VIEW_DATABASE;
	e->view_free = db_view_free;
	e->up = 1;
	e->interval_ms = 15000;
	e->published_at = 1764616800.25;
	store_publish(store, pg, e);
	e = store_entry_new(NULL);
	e->up = 0;
	e->interval_ms = 1500;
	e->published_at = 1764616801;
	store_publish(store, redis, e);
	store_slot_release(pg);
	store_slot_release(redis);
	store_slot_release(pending);
	return 0;
}

static void check_answer(const char *what, int rc, const struct http_response *resp)
{
	unsigned status = resp->status ? resp->status : 200;
	const char *body = buf_str(&resp->body);
	if (rc < 0)
		return; /* a 500: http.c answers it without this body */
	FUZZ_CHECK(!strstr(body, "</"), "%s: '</' in %s", what, body);
	json_error_t jerr;
	json_t *j = json_loadb(body, resp->body.len, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK(j != NULL, "%s (%u): not JSON: %s: %s", what, status, jerr.text, body);
	if (status >= 400) {
		const char *err = json_string_value(json_object_get(j, "error"));
		FUZZ_CHECK(err && *err, "%s (%u): no error message: %s", what, status, body);
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *query = fuzz_strndup(data, size);
	const char *args[2 * MAX_ARGS + 2] = { 0 };
	size_t n = 0;
	for (char *p = query, *next; p && n < MAX_ARGS; p = next) {
		next = strchr(p, '&');
		if (next)
			*next++ = '\0';
		char *eq = strchr(p, '=');
		if (eq)
			*eq++ = '\0';
		args[2 * n] = p;
		args[2 * n + 1] = eq ? eq : "";
		n++;
	}
	static const struct {
		const char *name;
		int (*fn)(struct store *, const struct http_request *, struct http_response *);
	} handlers[] = {
		{ "targets", api_targets }, { "queries", api_queries },
		{ "activity", api_activity }, { "slowlog", api_slowlog }, { "advice", api_advice },
		{ "timescaledb", api_timescaledb },
	};
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		struct http_request req = { .path = handlers[i].name, .args = args };
		struct http_response resp = { .status = 0 };
		buf_init(&resp.body, 1 << 24);
		int rc = handlers[i].fn(store, &req, &resp);
		check_answer(handlers[i].name, rc, &resp);
		buf_release(&resp.body);
	}
	free(query);
	return 0;
}
