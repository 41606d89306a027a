/*
 * dbview.h -- the typed view of a database target that the API serves:
 * its statements over each window, its sessions right now, the advisor's
 * findings and TimescaleDB's jobs.
 *
 * A collector builds one per collection on its worker thread and publishes
 * it in the store beside the metrics (store_entry.view, view_kind
 * VIEW_DATABASE; a PgBouncer target's pools: VIEW_POOLS); from then on it is immutable and read by the HTTP
 * threads (exporters/api.c), which never touch a database or a collector.
 * Every string lives in the view's arena and is valid UTF-8 (bad bytes
 * become U+FFFD), so it can go into JSON as is; one free releases all.
 */
#ifndef DBPULSE_DBVIEW_H
#define DBPULSE_DBVIEW_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* What store_entry.view holds. */
enum view_kind { VIEW_NONE, VIEW_DATABASE, VIEW_POOLS };

#define DBVIEW_MAX_WINDOWS 8
#define DBVIEW_MAX_STATEMENTS 2000   /* per window, the costliest */
#define DBVIEW_MAX_SESSIONS 200
#define DBVIEW_MAX_POOLS 500      /* per PgBouncer target, in SHOW POOLS order */

/* Bump allocation of many small strings freed together, and the shared
 * texts (view_hold) the view refers to. */
struct view_arena {
	struct arena_chunk *chunks;
	struct arena_held *held;
	size_t bytes;                /* allocated, for accounting */
};

/* A copy of s[0..n) (n = (size_t)-1: up to its NUL) as utf8_clean()
 * makes it: valid UTF-8, at most max bytes then "...".  NULL s gives
 * NULL. */
const char *view_strndup(struct view_arena *a, const char *s, size_t n, size_t max);
void *view_alloc(struct view_arena *a, size_t size);
/* Releases the arena's memory and its references to shared texts. */
void view_arena_free(struct view_arena *a);

/*
 * Shared texts: an immutable string with a reference count, so that a
 * cache (pg_texts.c) and the views published from it hold one copy of a
 * statement's text rather than one per view.  The count is atomic: a view
 * is freed by whichever thread drops it last.
 *
 * view_text_new: a text holding s[0..n) as view_strndup() cleans it, one
 * reference, in an allocation of its size.  Never NULL.
 * view_text_unref: drops one reference (the last frees it); NULL is fine.
 * view_hold: a reference for arena a, dropped by view_arena_free(a);
 * returns t, to use as the view's string.  t must come from
 * view_text_new().
 */
const char *view_text_new(const char *s, size_t n, size_t max);
void view_text_unref(const char *t);
const char *view_hold(struct view_arena *a, const char *t);

/* One statement's activity over a window (sums of its deltas). */
struct statement_stat {
	char queryid[24];            /* decimal; a string because JSON numbers lose bits */
	const char *datname, *user;
	const char *query;           /* NULL without a text: */
	const char *query_missing;   /* then why (a static string): "text not fetched yet",
					"text dropped by pg_stat_statements", "no privilege" */
	int own;                     /* one of the agent's own statements */
	double calls, exec_ms, plan_ms, rows;
	double shared_hit, shared_read, temp_written;
	double io_ms;                /* block read + write time */
	double wal_bytes;
	double baseline_calls, baseline_exec_ms; /* over the longest window */
};

struct statement_window {
	int64_t window_ms;
	char name[16];               /* as configured: "5m" */
	double covered_seconds;      /* the part of the window the agent has seen */
	struct statement_stat *rows; /* costliest first (exec_ms), calls > 0 */
	size_t n;
};

/* A client session that is not idle.  Times are epoch seconds, 0 when
 * unknown. */
struct session_stat {
	int pid;
	const char *datname, *user, *application, *client, *backend_type;
	const char *state, *wait_event_type, *wait_event, *query; /* may be NULL */
	double backend_start, xact_start, query_start, state_change;
	int *blocked_by;             /* pids (pg_blocking_pids) */
	size_t nblocked_by;
};

/* One finding of the optimization advisor (collectors/pg_advice.h):
 * what it is about and the SQL to act on it, as text (never run by the
 * agent).  schema, table, object and action may be NULL; evidence is a
 * JSON object's text. */
struct advice_finding {
	const char *datname, *kind, *severity;
	const char *schema, *table, *object;
	const char *evidence, *summary, *action;
};

/* A line about a database that is not a finding: what a kind needs and
 * did not have, what was not judged and why, a query that failed. */
struct advice_note {
	const char *datname;         /* NULL: the whole pass */
	const char *kind;            /* the kind it concerns, or NULL */
	const char *text;
};

/* The result of one advisor pass over a target's databases.  Made on the
 * pass's thread, immutable once handed over, shared by the views of the
 * cycles that follow (advice_view_ref) until the next pass: the last
 * holder frees it. */
struct advice_view {
	struct view_arena arena;
	atomic_int refs;
	double started_at;           /* epoch seconds */
	double duration;             /* seconds */
	double cpu;                  /* the pass's thread's CPU, seconds */
	const char **databases;      /* visited (arena), in the order of `databases` */
	int *database_ok;            /* each: its queries could run (arena) */
	size_t ndatabases;
	struct advice_finding *findings; /* owned; by severity (critical first),
					  * then database, kind, object */
	size_t nfindings;
	struct advice_note *notes;   /* owned; in the order they were made */
	size_t nnotes;
	int plans;                   /* advice_plans: plans and suggested indexes */
};

/* The kinds a pass finds and the severities, most urgent first;
 * NULL-terminated.  A "plan" (advice_plans) is a statement's generic plan
 * for the page, not a finding: it is listed only when asked for by kind,
 * and neither counted nor in pg_advice_findings (advice_is_finding). */
extern const char *const advice_kinds[];
extern const char *const advice_severities[];

int advice_is_finding(const struct advice_finding *f);

struct advice_view *advice_view_new(void);
struct advice_view *advice_view_ref(struct advice_view *a);
/* Drops one reference; the last frees the view.  NULL is fine. */
void advice_view_unref(struct advice_view *a);

/* A TimescaleDB background job (timescaledb_information.jobs and
 * job_stats).  Times are epoch seconds, 0 when unknown or never. */
struct tsdb_job {
	const char *datname, *application_name;
	const char *proc_name;       /* "schema.name" of its procedure */
	const char *hypertable;      /* "schema.name", or NULL: not about one */
	int64_t job_id;
	int scheduled;
	int last_run;                /* 1 succeeded, 0 failed, -1 never ran */
	double last_success, next_start;
	double schedule_interval;    /* seconds */
	double runs, failures;       /* since the extension was created */
};

/* A failed run of a job (timescaledb_information.job_errors, TimescaleDB
 * 2.12 and later).  sqlerrcode and hypertable may be NULL. */
struct tsdb_job_error {
	const char *datname, *proc_name, *hypertable, *sqlerrcode, *message;
	int64_t job_id;
	double start_time, finish_time; /* epoch seconds, 0 when unknown */
};

/* A database where the timescaledb extension is installed. */
struct tsdb_database {
	const char *datname, *version; /* extversion */
	int ok;                      /* its TimescaleDB queries succeeded */
	int has_job_errors;          /* the job_errors view exists (2.12+) */
};

#define DBVIEW_MAX_JOB_ERRORS 50 /* per database, the newest */

/* TimescaleDB in the databases of a PostgreSQL target
 * (collectors/pg_tsdb.c): made every slow_interval, immutable once made,
 * shared by the views of the cycles that follow (tsdb_view_ref) until the
 * next one.  Every array lives in the arena. */
struct tsdb_view {
	struct view_arena arena;
	atomic_int refs;
	double collected_at;         /* epoch seconds */
	struct tsdb_database *databases; /* in the order they are watched */
	size_t ndatabases;
	struct tsdb_job *jobs;       /* by database, then job id */
	size_t njobs;
	struct tsdb_job_error *errors; /* by database, newest first */
	size_t nerrors;
};

struct tsdb_view *tsdb_view_new(void);
struct tsdb_view *tsdb_view_ref(struct tsdb_view *t);
/* Drops one reference; the last frees the view.  NULL is fine. */
void tsdb_view_unref(struct tsdb_view *t);

struct db_view {
	struct view_arena arena;
	int advice_enabled;          /* the target's `advice` */
	struct advice_view *advice;  /* the last advisor pass (a reference), or NULL */
	struct tsdb_view *tsdb;      /* TimescaleDB as last read (a reference), or
				      * NULL: no database has it, or not read yet */
	double collected_at;         /* epoch seconds */
	int has_statements;          /* pg_stat_statements was read */
	struct statement_window windows[DBVIEW_MAX_WINDOWS]; /* shortest first */
	size_t nwindows;
	int has_sessions;            /* the sessions query succeeded */
	struct session_stat *sessions; /* oldest transaction first */
	size_t nsessions;
	size_t sessions_total, active, idle_in_transaction, blocked;
	int sessions_truncated;      /* more than DBVIEW_MAX_SESSIONS */
};

/* One PgBouncer pool (a SHOW POOLS row).  pool_mode is NULL before 1.8. */
struct pool_stat {
	const char *database, *user, *pool_mode;
	double cl_active, cl_waiting, sv_active, sv_idle, sv_used;
	double maxwait;              /* seconds: maxwait + maxwait_us / 1e6 */
};

/* A PgBouncer target's pools (store_entry.view, view_kind VIEW_POOLS). */
struct pools_view {
	struct view_arena arena;
	double collected_at;         /* epoch seconds */
	int has_pools;               /* SHOW POOLS succeeded in this collection */
	struct pool_stat *pools;
	size_t npools;
	size_t pools_cut;            /* rows past DBVIEW_MAX_POOLS */
};

struct buf;
struct store;

/* Appends the text of statement queryid (decimal) as the store's current
 * view of target has it; 0, or -1 when it is not there.  A query_text
 * for struct template_env, with the store as ctx. */
int db_view_query_text(void *store, const char *target, const char *queryid, struct buf *out);

struct db_view *db_view_new(void);
/* Frees the view and its arena; NULL is fine.  A view_free for the store. */
void db_view_free(void *view);

struct pools_view *pools_view_new(void);
/* Frees the view and its arena; NULL is fine.  A view_free for the store. */
void pools_view_free(void *view);

#endif
