/*
 * pg_own.c -- the query ids of the agent's own statements (see pg_own.h).
 *
 * Driven by the PostgreSQL collector on its target's worker thread, once
 * per connection (pg_own_learn), and asked for every row of
 * pg_stat_statements it reads (pg_own_is: a binary search in at most
 * PG_OWN_MAX ids).  Owns nothing but the fixed set in struct pg_own.
 */
#include "autoconfig.h"
#include "pg_own.h"
#include "pg_conn.h"
#include "pg_sql.h"
#include "strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

#define SHOWN_LEAST 99  /* track_activity_query_size's least (100) less its NUL */

/* Index of the first id >= queryid. */
static size_t lower_bound(const struct pg_own *o, int64_t queryid)
{
	size_t lo = 0, hi = o->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->ids[mid] < queryid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int pg_own_is(const struct pg_own *o, uint32_t userid, int64_t queryid)
{
	if (!o || !o->userid || userid != o->userid)
		return 0;
	size_t i = lower_bound(o, queryid);
	if (i == o->n || o->ids[i] != queryid)
		return 0;
	for (size_t k = 0; k < o->nnested; k++)
		if (o->nested[k] == queryid)
			return PG_OWN_NESTED;
	return PG_OWN_TOP;
}

/* Whether sql[i] runs only inside another of the texts, as a COPY's query. */
static int runs_inside(const char *const *sql, size_t n, size_t i)
{
	size_t len = strlen(sql[i]);
	for (size_t j = 0; j < n; j++)
		if (j != i && sql[j] && strncmp(sql[j], "COPY (", 6) == 0 &&
		    strncmp(sql[j] + 6, sql[i], len) == 0 && sql[j][6 + len] == ')')
			return 1;
	return 0;
}

int pg_own_add(struct pg_own *o, int64_t queryid)
{
	size_t i = lower_bound(o, queryid);
	if (i < o->n && o->ids[i] == queryid)
		return 0;
	if (o->n == PG_OWN_MAX)
		return -1;
	memmove(&o->ids[i + 1], &o->ids[i], (o->n - i) * sizeof(o->ids[0]));
	o->ids[i] = queryid;
	o->n++;
	return 0;
}

int pg_own_text_is(const char *shown, const char *sql)
{
	size_t len = shown ? strlen(shown) : 0;
	if (!len || strncmp(shown, sql, len) != 0)
		return 0;
	return sql[len] == '\0' || len >= SHOWN_LEAST;
}

/* Reads the backend pid's latest query id and text through observer into
 * learned (and the role and the reading statement's id).  1 when the id
 * is sql's, 0 when the backend shows another text or no id, -1 with err
 * when the query failed. */
static int read_id(struct pg_own *learned, struct pg_conn *observer, const char *pid,
		   const char *sql, int64_t *idp, int64_t deadline_ms, char *err, size_t errlen)
{
	const char *params[] = { pid };
	PGresult *r = pg_conn_query(observer, pg_sql_own(observer->server_version), 1, params,
				    deadline_ms, err, errlen);
	if (!r)
		return -1;
	int found = 0;
	uint64_t userid;
	int64_t id = 0, self;
	if (PQntuples(r) == 1 && parse_uint64(PQgetvalue(r, 0, 0), &userid) == 0 &&
	    userid > 0 && userid <= UINT32_MAX && parse_int64(PQgetvalue(r, 0, 3), &self) == 0 &&
	    pg_own_add(learned, self) == 0) {
		learned->userid = (uint32_t)userid;
		found = !PQgetisnull(r, 0, 1) && parse_int64(PQgetvalue(r, 0, 1), &id) == 0 &&
			pg_own_text_is(pg_cell(r, 0, 2), sql) && pg_own_add(learned, id) == 0;
		if (found)
			*idp = id;
	}
	PQclear(r);
	return found;
}

int pg_own_learn(struct pg_own *o, struct pg_conn *conn, struct pg_conn *observer,
		 const char *const *sql, size_t n, int64_t deadline_ms, char *err, size_t errlen)
{
	if (!pg_sql_own(observer->server_version)) {
		snprintf(err, errlen, "PostgreSQL %d shows no query ids (14 and later do)",
			 observer->server_version / 10000);
		return -1;
	}
	struct pg_own learned = { 0 };
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", pg_conn_backend_pid(conn));
	size_t found = 0;
	for (size_t i = 0; i < n; i++) {
		if (!sql[i])
			continue;
		if (pg_conn_parse(conn, sql[i], deadline_ms, err, errlen) < 0) {
			if (!pg_conn_ok(conn))
				return -1;
			continue; /* a text the server refuses: it would fail when run too */
		}
		int64_t id = 0;
		int rc = read_id(&learned, observer, pid, sql[i], &id, deadline_ms, err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0 && runs_inside(sql, n, i))
			learned.nested[learned.nnested++] = id;
		found += (size_t)rc;
	}
	if (!found) {
		snprintf(err, errlen, "no query id could be read (track_activities or "
			 "compute_query_id is off, or a pooler is in between)");
		return -1;
	}
	*o = learned;
	return (int)o->n;
}
