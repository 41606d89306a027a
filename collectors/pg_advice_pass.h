/*
 * pg_advice_pass.h -- inside the optimization advisor: one pass, as the
 * files that make its findings see it (pg_advice.c: the catalog kinds and
 * the pass's thread; pg_advice_plan.c: the statements' plans and the
 * suggested indexes).  Not for the rest of the agent: pg_advice.h is.
 *
 * Everything here runs on the pass's thread and touches only the pass.
 */
#ifndef DBPULSE_PG_ADVICE_PASS_H
#define DBPULSE_PG_ADVICE_PASS_H

#include "pg_conn.h"

#include <stddef.h>

struct advice_finding;
struct buf;
struct advice_view;
struct pg_advisor;
struct pg_config;

/* Tables smaller than this are not judged for sequential scans, bloat or
 * indexes: reading them whole is cheap. */
#define ADVICE_MIN_TABLE_BYTES "4194304"
/* the longest text kept of a finding's columns */
#define ADVICE_FIELD_MAX 8192
/* a plan's evidence: more and the plan itself is left out (said) */
#define ADVICE_PLAN_EVIDENCE_MAX 65536

/* One of the costliest statements: what the collector's longest window
 * (or, before it has one, pg_stat_statements since its reset) says of it,
 * and its whole text, read by the pass. */
struct advice_statement {
	char queryid[24];
	char *datname;
	char *user;                  /* the role that ran it, NULL: not the agent's */
	char *query;                 /* NULL until read; then the whole text */
	double calls, exec_ms, rows;
	/* this pass's plan of it (pg_advice_plan.c), in its database */
	int nparams;                 /* of its prepared form; -1: it could not be prepared */
	double cost;                 /* the generic plan's total cost, 0: none */
};

struct pass {
	struct pg_advisor *a;
	const struct pg_config *conf;
	const char *target;
	struct advice_view *v;
	size_t findings_alloc, notes_alloc;
	struct pg_conn conn;
	const char *datname;         /* the database visited, NULL between them */
	int version;
	struct advice_statement *top; /* the advisor's (pg_advice.c), filled here, room
				       * for advice_statements */
	size_t ntop;
	char *const *dbs;            /* the databases of the pass */
	size_t ndbs;
	const char *session_db;      /* the database of conn */
	struct pg_conn observer;     /* conn's second session, that learns the
				      * ids of its statements (pg_own.h) */
};

/* s kept in the pass's view (NULL stays NULL), cut at max bytes. */
const char *pass_keep_max(struct pass *ps, const char *s, size_t max);
/* The same, cut at ADVICE_FIELD_MAX. */
const char *pass_keep(struct pass *ps, const char *s);
/* A note of the visited database (kind may be NULL). */
void pass_note(struct pass *ps, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A new finding of the visited database, zeroed but for datname. */
struct advice_finding *pass_finding(struct pass *ps);
/* Runs one query of the pass (marked as the advisor's); NULL (noted
 * under kind) when it failed, or when the pass is asked to stop. */
PGresult *pass_ask(struct pass *ps, const char *kind, const char *sql, int nparams,
		   const char *const *params);
/* The same without the note: the error in err, "" when the pass stops. */
PGresult *pass_try(struct pass *ps, const char *sql, int nparams, const char *const *params,
		   char *err, size_t errlen);
/* fmt with schema put in for its one "%s", into out (initialised here). */
void pass_with_schema(const char *fmt, const char *schema, struct buf *out);
/* The quoted schema of the installed extension name, NULL when it is not
 * installed (or the query failed: noted under kind); the caller frees. */
char *pass_extension_schema(struct pass *ps, const char *kind, const char *name);

/* Learns the query id of text as the session's connection parses it, as
 * one of the advisors' statements (pg_advisor_own_ids), unless known. */
void advice_learn_text(struct pass *ps, const char *text);

/* pg_advice_plan.c: the whole texts of ps->top, from the connection's
 * database (the one whose pg_stat_statements the collector reads). */
void advice_read_statements(struct pass *ps);
/* pg_advice_plan.c: in the visited database, each top statement's
 * generic plan (kind "plan") and the indexes that would serve it
 * (kind "suggested_index"). */
void advice_plan_statements(struct pass *ps);

#endif
