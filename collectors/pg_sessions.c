/*
 * pg_sessions.c -- pg_stat_activity's busy sessions into a db_view (see
 * pg_sessions.h).
 */
#include "autoconfig.h"
#include "pg_sessions.h"
#include "dbview.h"
#include "strutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

#define NAME_MAX_BYTES 256

/* Columns of pg_sql_sessions(). */
enum {
	C_TOTAL, C_ACTIVE, C_IDLE_TX, C_BLOCKED, C_BUSY, C_PID, C_DATNAME, C_USER, C_APP, C_CLIENT,
	C_BACKEND_TYPE, C_STATE, C_WAIT_TYPE, C_WAIT, C_BACKEND_START, C_XACT_START, C_QUERY_START,
	C_STATE_CHANGE, C_BLOCKING, C_QUERY, C_COUNT
};

static const char *cell(struct db_view *v, const PGresult *r, int row, int col, size_t max)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return view_strndup(&v->arena, PQgetvalue(r, row, col), (size_t)-1, max);
}

static double epoch_cell(const PGresult *r, int row, int col)
{
	double t;
	if (PQgetisnull(r, row, col) || parse_double(PQgetvalue(r, row, col), &t) < 0)
		return 0;
	return t;
}

static size_t count_cell(const PGresult *r, int col)
{
	uint64_t n;
	if (PQntuples(r) < 1 || PQgetisnull(r, 0, col) || parse_uint64(PQgetvalue(r, 0, col), &n) < 0)
		return 0;
	return (size_t)n;
}

/* '{12,34}' into pids in the arena. */
static void parse_pids(struct db_view *v, const char *text, struct session_stat *s)
{
	if (!text || text[0] != '{')
		return;
	size_t n = 0;
	for (const char *p = text; *p; p++)
		n += *p == ',';
	if (strcmp(text, "{}") != 0)
		n++;
	if (!n)
		return;
	s->blocked_by = view_alloc(&v->arena, n * sizeof(*s->blocked_by));
	const char *p = text + 1;
	while (*p && *p != '}' && s->nblocked_by < n) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		s->blocked_by[s->nblocked_by++] = (int)pid;
		p = *end == ',' ? end + 1 : end;
	}
}

void pg_sessions_fill(struct db_view *v, const PGresult *r, size_t query_max)
{
	if (PQnfields(r) < C_COUNT)
		return;
	v->has_sessions = 1;
	v->sessions_total = count_cell(r, C_TOTAL);
	v->active = count_cell(r, C_ACTIVE);
	v->idle_in_transaction = count_cell(r, C_IDLE_TX);
	v->blocked = count_cell(r, C_BLOCKED);
	size_t busy = count_cell(r, C_BUSY);
	int rows = PQntuples(r);
	v->sessions = view_alloc(&v->arena, (size_t)(rows ? rows : 1) * sizeof(*v->sessions));
	v->nsessions = 0;
	for (int i = 0; i < rows && v->nsessions < DBVIEW_MAX_SESSIONS; i++) {
		int64_t pid;
		if (PQgetisnull(r, i, C_PID) || parse_int64(PQgetvalue(r, i, C_PID), &pid) < 0)
			continue;
		struct session_stat *s = &v->sessions[v->nsessions++];
		memset(s, 0, sizeof(*s));
		s->pid = (int)pid;
		s->datname = cell(v, r, i, C_DATNAME, NAME_MAX_BYTES);
		s->user = cell(v, r, i, C_USER, NAME_MAX_BYTES);
		s->application = cell(v, r, i, C_APP, NAME_MAX_BYTES);
		s->client = cell(v, r, i, C_CLIENT, NAME_MAX_BYTES);
		s->backend_type = cell(v, r, i, C_BACKEND_TYPE, NAME_MAX_BYTES);
		s->state = cell(v, r, i, C_STATE, NAME_MAX_BYTES);
		s->wait_event_type = cell(v, r, i, C_WAIT_TYPE, NAME_MAX_BYTES);
		s->wait_event = cell(v, r, i, C_WAIT, NAME_MAX_BYTES);
		s->query = cell(v, r, i, C_QUERY, query_max);
		s->backend_start = epoch_cell(r, i, C_BACKEND_START);
		s->xact_start = epoch_cell(r, i, C_XACT_START);
		s->query_start = epoch_cell(r, i, C_QUERY_START);
		s->state_change = epoch_cell(r, i, C_STATE_CHANGE);
		if (!PQgetisnull(r, i, C_BLOCKING))
			parse_pids(v, PQgetvalue(r, i, C_BLOCKING), s);
	}
	v->sessions_truncated = busy > v->nsessions;
}
