/*
 * pg_own.h -- which statements of pg_stat_statements are the agent's own.
 *
 * PostgreSQL 14 and later computes a statement's query id when it parses
 * it, and pg_stat_activity shows each backend's latest one (query_id)
 * beside the text it was given (query).  To learn the ids of the SQL the
 * collector runs, its connection parses each text (the extended
 * protocol's Parse: neither planned nor run, so nothing lands in
 * pg_stat_statements) and a second, short connection reads that backend's
 * query_id and query: an id counts only when the text read back is the
 * text just parsed (a pooler between the agent and the server could hand
 * the Parse to another backend).  The reading statement reports its own
 * id in the same row.  Two round trips per text, once per connection; no
 * query text is ever read from pg_stat_statements for it.
 *
 * A statement is the agent's when it runs as the agent's role and its
 * query id is one of those: the agent's queries against other databases
 * (`databases`) have the same ids.  Before 14, or with track_activities or
 * compute_query_id off, nothing is learned and nothing is the agent's.
 *
 * Used by one collector instance on its worker thread.
 */
#ifndef DBPULSE_PG_OWN_H
#define DBPULSE_PG_OWN_H

#include <stddef.h>
#include <stdint.h>

struct pg_conn;

#define PG_OWN_MAX 128  /* query ids: the collector runs about 30 texts, the advisor 20 to 40 */

struct pg_own {
	uint32_t userid;        /* the role the agent's statements run as; 0: none learned */
	int64_t ids[PG_OWN_MAX];/* sorted, distinct */
	size_t n;
	int64_t nested[PG_OWN_MAX]; /* those that run only inside another (unsorted) */
	size_t nnested;
};

/* What pg_own_is says of one of the agent's statements: its time counts
 * (PG_OWN_TOP), or it runs only inside another of them (PG_OWN_NESTED:
 * the SELECT of the counters' COPY; with pg_stat_statements.track = all
 * it has a row of its own whose time is in the COPY's already). */
#define PG_OWN_TOP 1
#define PG_OWN_NESTED 2

/* Whether the statement of role userid and query id queryid is the
 * agent's: 0, PG_OWN_TOP or PG_OWN_NESTED. */
int pg_own_is(const struct pg_own *o, uint32_t userid, int64_t queryid);

/* Adds queryid to the set (kept sorted); 0, or -1 when the set is full. */
int pg_own_add(struct pg_own *o, int64_t queryid);

/* Whether shown, a backend's text as pg_stat_activity gives it (cut at
 * track_activity_query_size bytes), is sql: a non-empty prefix of it that
 * is either all of it or at least 99 bytes long (the setting's least,
 * 100, less its terminating zero). */
int pg_own_text_is(const char *shown, const char *sql);

/*
 * Learns the ids of sql[0..n) (each parsed on conn, read through
 * observer, a connection to the same server as the same role) and of the
 * reading statement itself.  A text that another is "COPY (" followed by
 * runs only inside that one: its id is PG_OWN_NESTED.  On success replaces
 * *o and returns how many ids it holds; returns -1 with the reason in err when a query failed or
 * no id could be read (the set then stays as it was).  Texts whose
 * reading shows another text are skipped.
 */
int pg_own_learn(struct pg_own *o, struct pg_conn *conn, struct pg_conn *observer,
		 const char *const *sql, size_t n, int64_t deadline_ms, char *err, size_t errlen);

#endif
