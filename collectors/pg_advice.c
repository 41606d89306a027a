/*
 * pg_advice.c -- the optimization advisor's passes (see pg_advice.h).
 *
 * pg_advisor_poll() queues a pass when one is due; the agent's advisor
 * thread (one for every target: passes are not urgent, and take turns)
 * runs the passes one after the other.  While queued and running, a pass
 * owns its connections, the advice_view it fills and the advisor's
 * sequential-scan counters and statements.  The collector's thread looks
 * at its pass only through `done`, so the two never share anything while
 * both run.  One long-lived thread also because libpg_query takes a
 * pthread key for every thread that parses and never gives it back.
 */
#include "autoconfig.h"
#include "pg_advice.h"
#include "buf.h"
#include "config.h"
#include "dbview.h"
#include "log.h"
#include "pg_advice_pass.h"
#include "pg_advice_sql.h"
#include "pg_conn.h"
#include "pg_own.h"
#include "postgres.h"
#include "strutil.h"
#include "xalloc.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

/* The session of a pass: its own limits, read-only by default as well as
 * by its transaction. */
#define ADVICE_STATEMENT_TIMEOUT_MS 10000
#define ADVICE_LOCK_TIMEOUT_MS 1000
/* ADVICE_MIN_TABLE_BYTES (pg_advice_pass.h) also keeps small tables out of
 * the bloat estimate, which is off by a page or so: small relations would
 * look bloated. */
#define ADVICE_MIN_BLOAT_BYTES "1048576"
#define ADVICE_MIN_BLOAT_RATIO "0.3"
#define ADVICE_WRAPAROUND_LIMIT "2147483648"
#define ADVICE_SEQUENCE_WARNING "75"
#define ADVICE_SEQUENCE_CRITICAL "90"
/* What every query of a pass begins with. */
#define ADVICE_SQL_MARK "/* dbpulse advisor */ "
/* seq_scan_heavy: over the window, at least this share of the rows read
 * came from sequential scans, and at least this many scans */
#define SEQ_SHARE_MIN 0.9
#define SEQ_SCANS_MIN 10
/* findings listed per query (a kind in a database): a database near
 * wraparound has every table in it */
#define FINDINGS_MAX 500
/* texts (in a database) whose query ids an advisor learns: its own
 * statements are some tens per database */
#define KNOWN_TEXTS_MAX 512

/* A table's scan counters at one pass (pg_advice_sql_seq_scan_counters). */
struct scan_counters {
	char *datname, *schema, *table;
	unsigned relid;
	double bytes, live_rows, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch;
};

struct scan_set {
	struct scan_counters *t;
	size_t n, alloc;
	double at;                   /* epoch seconds of the pass */
};

struct pg_advisor {
	const struct pg_config *conf;
	const char *target;
	int64_t next_ms;             /* the next pass starts then */
	int running;                 /* a pass was queued and not taken back */
	atomic_int done;             /* set by the pass as its last act */
	atomic_int stop;             /* pg_advisor_free asks it to end */
	/* owned by the pass while it runs, by the advisor in between */
	char **dbs;
	size_t ndbs;
	char *text_db;               /* the DSN's database: pg_stat_statements' */
	struct known_text {          /* the texts whose ids were learned (or tried) */
		char *datname, *text;
	} *known;
	size_t nknown, known_alloc;
	struct advice_statement *top; /* the costliest statements, for the plans */
	size_t ntop;
	struct scan_set scans;       /* the last pass's */
	struct advice_view *result;  /* the finished pass's, until taken */
	int said_unused_young;       /* stats too young: said once */
};

/* A pass and what only pg_advice.c keeps of it. */
struct catalog_pass {
	struct pass ps;
	struct scan_set scans;       /* this pass's counters */
	struct catalog_pass *next;   /* in the worker's queue */
};

/* The advisor thread of the agent and its queue of passes, under lock;
 * it runs while an advisor exists. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;         /* a pass queued, or the end */
	pthread_cond_t pass_ended;
	struct catalog_pass *head, *tail;
	struct catalog_pass *current; /* the pass running */
	int advisors;                /* pg_advisor_new - pg_advisor_free */
	int started, end;
	pthread_t thread;
} worker = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
	     .pass_ended = PTHREAD_COND_INITIALIZER };

static void scan_set_free(struct scan_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->t[i].datname);
		free(s->t[i].schema);
		free(s->t[i].table);
	}
	free(s->t);
	memset(s, 0, sizeof(*s));
}

const char *pass_keep_max(struct pass *ps, const char *s, size_t max)
{
	return s ? view_strndup(&ps->v->arena, s, (size_t)-1, max) : NULL;
}

const char *pass_keep(struct pass *ps, const char *s)
{
	return pass_keep_max(ps, s, ADVICE_FIELD_MAX);
}

void pass_note(struct pass *ps, const char *kind, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	struct advice_view *v = ps->v;
	v->notes = xgrow(v->notes, &ps->notes_alloc, v->nnotes + 1, sizeof(*v->notes));
	v->notes[v->nnotes++] = (struct advice_note){
		.datname = pass_keep(ps, ps->datname), .kind = pass_keep(ps, kind), .text = pass_keep(ps, text),
	};
}

struct advice_finding *pass_finding(struct pass *ps)
{
	struct advice_view *v = ps->v;
	v->findings = xgrow(v->findings, &ps->findings_alloc, v->nfindings + 1,
			    sizeof(*v->findings));
	struct advice_finding *f = &v->findings[v->nfindings++];
	memset(f, 0, sizeof(*f));
	f->datname = pass_keep(ps, ps->datname);
	return f;
}

/* The "check" of a needs_privilege row's evidence: the kind it leaves
 * incomplete (NULL when the evidence does not say). */
static char *evidence_check(const char *evidence)
{
	json_t *j = evidence ? json_loads(evidence, 0, NULL) : NULL;
	const char *check = json_string_value(json_object_get(j, "check"));
	char *out = check ? xstrdup(check) : NULL;
	json_decref(j);
	return out;
}

/* Takes the finding rows of r (pg_advice_sql.h's eight columns), at
 * most FINDINGS_MAX of one query (its kind, in this database: the
 * queries list the worst first); the rest are counted in a note. */
static void take_findings(struct pass *ps, const PGresult *r, const char *kind_of_query)
{
	int taken = 0, left = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *kind = pg_cell(r, i, 0);
		if (!kind)
			continue;
		if (strcmp(kind, "needs_privilege") == 0) {
			char *check = evidence_check(pg_cell(r, i, 5));
			pass_note(ps, check, "%s", pg_cell(r, i, 6) ? pg_cell(r, i, 6) : "");
			free(check);
			continue;
		}
		if (taken == FINDINGS_MAX) {
			left++;
			continue;
		}
		taken++;
		struct advice_finding *f = pass_finding(ps);
		f->kind = pass_keep(ps, kind);
		f->severity = pass_keep(ps, pg_cell(r, i, 1));
		f->schema = pass_keep(ps, pg_cell(r, i, 2));
		f->table = pass_keep(ps, pg_cell(r, i, 3));
		f->object = pass_keep(ps, pg_cell(r, i, 4));
		f->evidence = pass_keep(ps, pg_cell(r, i, 5) ? pg_cell(r, i, 5) : "{}");
		f->summary = pass_keep(ps, pg_cell(r, i, 6));
		f->action = pass_keep(ps, pg_cell(r, i, 7));
	}
	if (left)
		pass_note(ps, kind_of_query, "%d more findings are not listed (the first %d are); "
		     "pg_advice_findings counts only those listed", left, FINDINGS_MAX);
}

/* The query ids of the advisors' statements (pg_own.h), agent-wide:
 * every collector counts them as its own (advisor_ids_merge), those its
 * advisor ran and those of the other targets' advisors on the same server
 * alike.  Each text is learned before it first runs in a database. */
static struct {
	pthread_mutex_t lock;
	struct pg_own own;
	unsigned gen;                /* bumped by each id added */
} advisor_ids = { .lock = PTHREAD_MUTEX_INITIALIZER };

unsigned pg_advisor_own_ids(struct pg_own *into, unsigned seen)
{
	pthread_mutex_lock(&advisor_ids.lock);
	unsigned gen = advisor_ids.gen;
	for (size_t i = 0; gen != seen && i < advisor_ids.own.n; i++)
		if (pg_own_add(into, advisor_ids.own.ids[i]) < 0)
			break;
	pthread_mutex_unlock(&advisor_ids.lock);
	return gen;
}

static int open_session(struct pass *ps, struct pg_conn *conn, const char *datname, char *err,
			size_t errlen);

static void add_own_id(int64_t id)
{
	pthread_mutex_lock(&advisor_ids.lock);
	if (pg_own_add(&advisor_ids.own, id) == 0)
		advisor_ids.gen++;
	pthread_mutex_unlock(&advisor_ids.lock);
}


/* Whether the advisor learned (or tried to) the id of text in the
 * session's database; if not, it is now counted as learned. */
static int known_text(struct pass *ps, const char *text)
{
	struct pg_advisor *a = ps->a;
	for (size_t i = 0; i < a->nknown; i++)
		if (strcmp(a->known[i].datname, ps->session_db) == 0 &&
		    strcmp(a->known[i].text, text) == 0)
			return 1;
	if (a->nknown == KNOWN_TEXTS_MAX)
		return 1; /* no more: the rest shows among the DBA's */
	a->known = xgrow(a->known, &a->known_alloc, a->nknown + 1, sizeof(*a->known));
	a->known[a->nknown].datname = xstrdup(ps->session_db);
	a->known[a->nknown++].text = xstrdup(text);
	return 0;
}

/* Learns the query id of text before it runs for the first time in the
 * session's database: parsed on the session's connection, read through a
 * second one, opened for it (pg_own.h). */
void advice_learn_text(struct pass *ps, const char *text)
{
	char err[512];
	if (known_text(ps, text))
		return;
	if (!pg_conn_ok(&ps->observer) &&
	    open_session(ps, &ps->observer, ps->session_db, err, sizeof(err)) < 0) {
		log_debug("postgres", ps->target, "advice: cannot learn a statement's query id: %s",
			  err);
		return;
	}
	struct pg_own learned = { 0 };
	const char *const texts[] = { text };
	if (pg_own_learn(&learned, &ps->conn, &ps->observer, texts, 1,
			 now_mono_ms() + ADVICE_STATEMENT_TIMEOUT_MS, err, sizeof(err)) < 0) {
		log_debug("postgres", ps->target, "advice: a statement's query id is not known: %s",
			  err);
		return;
	}
	for (size_t i = 0; i < learned.n; i++)
		add_own_id(learned.ids[i]);
}

PGresult *pass_try(struct pass *ps, const char *sql, int nparams, const char *const *params,
		   char *err, size_t errlen)
{
	err[0] = '\0';
	if (!sql || atomic_load(&ps->a->stop) || !pg_conn_ok(&ps->conn))
		return NULL;
	int64_t deadline = now_mono_ms() + ADVICE_STATEMENT_TIMEOUT_MS + 2000;
	/* marked, for the DBA who sees it in pg_stat_activity or
	 * pg_stat_statements (the query id ignores comments) */
	struct buf marked;
	buf_init(&marked, BUF_UNLIMITED);
	buf_puts(&marked, ADVICE_SQL_MARK);
	buf_puts(&marked, sql);
	advice_learn_text(ps, buf_str(&marked));
	PGresult *r = pg_conn_query(&ps->conn, buf_str(&marked), nparams, params, deadline, err,
				    errlen);
	buf_release(&marked);
	return r;
}

PGresult *pass_ask(struct pass *ps, const char *kind, const char *sql, int nparams,
		   const char *const *params)
{
	char err[512];
	PGresult *r = pass_try(ps, sql, nparams, params, err, sizeof(err));
	if (!r && err[0])
		pass_note(ps, kind, "the query failed: %s", err);
	return r;
}

void pass_with_schema(const char *fmt, const char *schema, struct buf *out)
{
	const char *at = strstr(fmt, "%s");
	buf_init(out, BUF_UNLIMITED);
	if (!at) {
		buf_puts(out, fmt);
		return;
	}
	buf_append(out, fmt, (size_t)(at - fmt));
	buf_puts(out, schema);
	buf_puts(out, at + 2);
}

/* Runs a finding query and takes its rows. */
static void find(struct pass *ps, const char *kind, const char *sql, int nparams,
		 const char *const *params)
{
	PGresult *r = pass_ask(ps, kind, sql, nparams, params);
	if (r) {
		take_findings(ps, r, kind);
		PQclear(r);
	}
}

/* unused_index, unless the statistics are younger than
 * advice_min_stats_age (then said in a note, and once in the log). */
static void find_unused(struct pass *ps)
{
	const struct pg_config *c = ps->a->conf;
	PGresult *r = pass_ask(ps, "unused_index", pg_advice_sql_stats_age(ps->version), 0, NULL);
	if (!r)
		return;
	double age = PQntuples(r) == 1 ? pg_cell_or_zero(r, 0, 2) : 0;
	const char *source = PQntuples(r) == 1 ? pg_cell(r, 0, 1) : NULL;
	int young = age * 1000 < (double)c->advice_min_stats_age_ms;
	if (young) {
		char have[32], want[32];
		conf_format_duration((int64_t)age * 1000, have, sizeof(have));
		conf_format_duration(c->advice_min_stats_age_ms, want, sizeof(want));
		pass_note(ps, "unused_index", "the statistics are %s old (since %s), younger than "
		     "advice_min_stats_age (%s): unused indexes are not judged yet", have,
		     source && strcmp(source, "stats_reset") == 0 ? "their reset"
								   : "the server started", want);
		if (!ps->a->said_unused_young)
			log_info("postgres", ps->a->target, "database '%s': the statistics are %s "
				 "old, unused indexes are judged from %s on", ps->datname, have, want);
		ps->a->said_unused_young = 1;
	}
	PQclear(r);
	if (young)
		return;
	char min_age[32];
	snprintf(min_age, sizeof(min_age), "%lld", (long long)(c->advice_min_stats_age_ms / 1000));
	const char *params[] = { min_age };
	find(ps, "unused_index", pg_advice_sql_unused_index(ps->version), 1, params);
}

/* table_bloat by pgstattuple_approx where the extension is installed, else
 * by the statistics' estimate; index_bloat by the estimate. */
static void find_bloat(struct pass *ps, const char *pgstattuple_schema)
{
	const char *params[] = { ADVICE_MIN_BLOAT_BYTES, ADVICE_MIN_BLOAT_RATIO };
	const char *with_schema = pg_advice_sql_table_bloat_pgstattuple(ps->version);
	if (pgstattuple_schema && with_schema) {
		struct buf sql;
		pass_with_schema(with_schema, pgstattuple_schema, &sql);
		find(ps, "table_bloat", buf_str(&sql), 2, params);
		buf_release(&sql);
	} else {
		find(ps, "table_bloat", pg_advice_sql_table_bloat(ps->version), 2, params);
	}
	find(ps, "index_bloat", pg_advice_sql_index_bloat(ps->version), 2, params);
}

char *pass_extension_schema(struct pass *ps, const char *kind, const char *name)
{
	PGresult *r = pass_ask(ps, kind, pg_advice_sql_extensions(ps->version), 0, NULL);
	char *schema = NULL;
	for (int i = 0; r && i < PQntuples(r) && !schema; i++)
		if (pg_cell(r, i, 0) && strcmp(pg_cell(r, i, 0), name) == 0 && pg_cell(r, i, 1))
			schema = xstrdup(pg_cell(r, i, 1));
	PQclear(r);
	return schema;
}

/* This pass's scan counters of the database (seq_scan_heavy is judged
 * once the whole pass has them, against the last pass's). */
static void read_scans(struct pass *ps, struct scan_set *s)
{
	const char *params[] = { ADVICE_MIN_TABLE_BYTES };
	PGresult *r = pass_ask(ps, "seq_scan_heavy", pg_advice_sql_seq_scan_counters(ps->version), 1,
			  params);
	for (int i = 0; r && i < PQntuples(r); i++) {
		s->t = xgrow(s->t, &s->alloc, s->n + 1, sizeof(*s->t));
		s->t[s->n++] = (struct scan_counters){
			.datname = xstrdup(ps->datname),
			.schema = xstrdup(pg_cell(r, i, 0) ? pg_cell(r, i, 0) : ""),
			.table = xstrdup(pg_cell(r, i, 1) ? pg_cell(r, i, 1) : ""),
			.relid = (unsigned)strtoul(pg_cell(r, i, 2) ? pg_cell(r, i, 2) : "0", NULL, 10),
			.bytes = pg_cell_or_zero(r, i, 3), .live_rows = pg_cell_or_zero(r, i, 4),
			.seq_scan = pg_cell_or_zero(r, i, 5), .seq_tup_read = pg_cell_or_zero(r, i, 6),
			.idx_scan = pg_cell_or_zero(r, i, 7), .idx_tup_fetch = pg_cell_or_zero(r, i, 8),
		};
	}
	PQclear(r);
}

static const struct scan_counters *scan_find(const struct scan_set *s, const char *datname,
					     unsigned relid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].relid == relid && strcmp(s->t[i].datname, datname) == 0)
			return &s->t[i];
	return NULL;
}

/* seq_scan_heavy: each table read mostly by sequential scans between the
 * last pass and this one. */
static void judge_scans(struct pass *ps, const struct scan_set *this_pass,
			const struct scan_set *last)
{
	double window = this_pass->at - last->at;
	for (size_t i = 0; i < this_pass->n; i++) {
		const struct scan_counters *now = &this_pass->t[i];
		const struct scan_counters *was = scan_find(last, now->datname, now->relid);
		if (!was)
			continue;
		double scans = now->seq_scan - was->seq_scan;
		double seq_rows = now->seq_tup_read - was->seq_tup_read;
		double idx_rows = now->idx_tup_fetch - was->idx_tup_fetch;
		if (scans < SEQ_SCANS_MIN || seq_rows <= 0 || idx_rows < 0 ||
		    seq_rows < SEQ_SHARE_MIN * (seq_rows + idx_rows))
			continue;
		ps->datname = now->datname;
		struct advice_finding *f = pass_finding(ps);
		f->kind = pass_keep(ps, "seq_scan_heavy");
		f->severity = pass_keep(ps, "warning");
		f->schema = pass_keep(ps, now->schema);
		f->table = pass_keep(ps, now->table);
		struct buf t;
		buf_init(&t, ADVICE_FIELD_MAX);
		buf_printf(&t, "{\"table_bytes\": %.0f, \"rows_estimate\": %.0f, "
			   "\"window_seconds\": %.0f, \"seq_scan\": %.0f, \"seq_tup_read\": %.0f, "
			   "\"idx_scan\": %.0f, \"idx_tup_fetch\": %.0f, \"seq_read_ratio\": %.4f}",
			   now->bytes, now->live_rows, window, scans, seq_rows,
			   now->idx_scan - was->idx_scan, idx_rows, seq_rows / (seq_rows + idx_rows));
		f->evidence = pass_keep(ps, buf_str(&t));
		buf_reset(&t);
		buf_put_sql_ident(&t, now->schema);
		buf_putc(&t, '.');
		buf_put_sql_ident(&t, now->table);
		char span[32];
		conf_format_duration((int64_t)window * 1000, span, sizeof(span));
		buf_printf(&t, " (%.0f MB) was read by %.0f sequential scans (%.0f rows) and %.0f "
			   "rows fetched through indexes in the last %s: see the statements that "
			   "read it, and whether an index on their filter columns would serve them",
			   now->bytes / 1e6, scans, seq_rows, idx_rows, span);
		f->summary = pass_keep(ps, buf_str(&t));
		buf_release(&t);
	}
}

/* Every query of the pass on one database; each is a transaction of its
 * own, read-only (the session's default_transaction_read_only). */
static void visit(struct pass *ps, struct scan_set *scans)
{
	find_unused(ps);
	find(ps, "duplicate_index", pg_advice_sql_duplicate_index(ps->version), 0, NULL);
	find(ps, "invalid_index", pg_advice_sql_invalid_index(ps->version), 0, NULL);
	find(ps, "fk_without_index", pg_advice_sql_fk_without_index(ps->version), 0, NULL);
	read_scans(ps, scans);
	char *stattuple = pass_extension_schema(ps, "table_bloat", "pgstattuple");
	find_bloat(ps, stattuple);
	free(stattuple);
	const char *wrap[] = { ADVICE_WRAPAROUND_LIMIT };
	find(ps, "wraparound", pg_advice_sql_wraparound(ps->version), 1, wrap);
	const char *seq[] = { ADVICE_SEQUENCE_WARNING, ADVICE_SEQUENCE_CRITICAL };
	find(ps, "sequence_exhaustion", pg_advice_sql_sequence_exhaustion(ps->version), 2, seq);
	if (ps->conf->advice_plans)
		advice_plan_statements(ps);
}

/* A session of the pass on the database datname, into conn: 0, or -1
 * with err.  It cannot write: default_transaction_read_only makes every
 * transaction of it read-only.  Its plans are generic ones. */
static int open_session(struct pass *ps, struct pg_conn *conn, const char *datname, char *err,
			size_t errlen)
{
	const struct pg_config *c = ps->conf;
	char options[256];
	snprintf(options, sizeof(options),
		 "-c statement_timeout=%d -c lock_timeout=%d -c default_transaction_read_only=on "
		 "-c idle_in_transaction_session_timeout=%d -c plan_cache_mode=force_generic_plan",
		 ADVICE_STATEMENT_TIMEOUT_MS, ADVICE_LOCK_TIMEOUT_MS, 6 * ADVICE_STATEMENT_TIMEOUT_MS);
	const struct pg_dsn d = {
		.dsn = c->dsn, .password_file = c->common.password_file,
		.password_env = c->common.password_env, .timeout_ms = c->common.timeout_ms,
		.dbname = datname, .session_options = options,
	};
	int rc = pg_conn_open_dsn(conn, &d, now_mono_ms() + c->common.timeout_ms, err, errlen);
	if (rc == 0 && conn == &ps->conn)
		ps->session_db = datname;
	return rc;
}

/* Ends the session (and the one that learns its statements' ids). */
static void close_session(struct pass *ps)
{
	pg_conn_close(&ps->observer);
	pg_conn_close(&ps->conn);
}

/* Connects to one database and visits it; 0, or -1 (noted) when it could
 * not be visited or the connection broke. */
static int visit_database(struct catalog_pass *cp, const char *datname)
{
	struct pass *ps = &cp->ps;
	char err[512];
	ps->datname = datname;
	if (open_session(ps, &ps->conn, datname, err, sizeof(err)) < 0) {
		pass_note(ps, NULL, "cannot connect: %s", err);
		return -1;
	}
	ps->version = ps->conn.server_version;
	visit(ps, &cp->scans);
	int ok = pg_conn_ok(&ps->conn);
	close_session(ps);
	if (!ok)
		pass_note(ps, NULL, "the connection was lost during the pass");
	return ok ? 0 : -1;
}

static int severity_rank(const char *s)
{
	for (int i = 0; advice_severities[i]; i++)
		if (s && strcmp(s, advice_severities[i]) == 0)
			return i;
	return 3;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_finding(const void *x, const void *y)
{
	const struct advice_finding *a = x, *b = y;
	int d = severity_rank(a->severity) - severity_rank(b->severity);
	if (d)
		return d;
	if ((d = cmp_str(a->datname, b->datname)) || (d = cmp_str(a->kind, b->kind)) ||
	    (d = cmp_str(a->schema, b->schema)) || (d = cmp_str(a->table, b->table)))
		return d;
	return cmp_str(a->object, b->object);
}

/* The whole texts of the costliest statements, from the database whose
 * pg_stat_statements the collector reads. */
static void read_statements(struct pass *ps)
{
	char err[512];
	if (open_session(ps, &ps->conn, ps->a->text_db, err, sizeof(err)) < 0) {
		pass_note(ps, "plan", "cannot connect to read the statements' texts: %s", err);
		return;
	}
	ps->version = ps->conn.server_version;
	advice_read_statements(ps);
	close_session(ps);
}

static void pass_free(struct catalog_pass *cp)
{
	free(cp);
}

static void run_pass(struct catalog_pass *cp)
{
	struct pass *ps = &cp->ps;
	struct pg_advisor *a = ps->a;
	double t0 = now_mono(), cpu0 = thread_cpu_seconds();
	ps->v->started_at = now_wall();
	ps->v->plans = ps->conf->advice_plans;
	cp->scans.at = ps->v->started_at;
	struct advice_view *v = ps->v;
	if (ps->conf->advice_plans && !atomic_load(&a->stop))
		read_statements(ps);
	v->databases = view_alloc(&v->arena, a->ndbs * sizeof(*v->databases));
	v->database_ok = view_alloc(&v->arena, a->ndbs * sizeof(*v->database_ok));
	for (size_t i = 0; i < a->ndbs && !atomic_load(&a->stop); i++) {
		v->databases[i] = pass_keep(ps, a->dbs[i]);
		v->database_ok[i] = visit_database(cp, a->dbs[i]) == 0;
		v->ndatabases = i + 1;
	}
	ps->datname = NULL;
	if (a->scans.n || a->scans.at > 0)
		judge_scans(ps, &cp->scans, &a->scans);
	else
		pass_note(ps, "seq_scan_heavy", "sequential scans are judged from the second pass on, "
		     "over the time between two passes");
	ps->datname = NULL;
	if (ps->v->nfindings > 1) /* findings is NULL when there are none */
		qsort(ps->v->findings, ps->v->nfindings, sizeof(*ps->v->findings), cmp_finding);
	ps->v->duration = now_mono() - t0;
	ps->v->cpu = thread_cpu_seconds() - cpu0;
	scan_set_free(&a->scans);
	a->scans = cp->scans;
	a->ntop = ps->ntop;          /* read_statements may have added some */
	a->result = ps->v;
	pass_free(cp);
	atomic_store(&a->done, 1);
}

static void *worker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&worker.lock);
	for (;;) {
		while (!worker.head && !worker.end)
			pthread_cond_wait(&worker.wake, &worker.lock);
		if (!worker.head)
			break;
		struct catalog_pass *cp = worker.head;
		worker.head = cp->next;
		if (!worker.head)
			worker.tail = NULL;
		worker.current = cp;
		pthread_mutex_unlock(&worker.lock);
		run_pass(cp);
		pthread_mutex_lock(&worker.lock);
		worker.current = NULL;
		pthread_cond_broadcast(&worker.pass_ended);
	}
	pthread_mutex_unlock(&worker.lock);
	return NULL;
}

/* Queues a pass (starting the thread when none runs); 0, or -1 when no
 * thread can be made. */
static int enqueue(struct catalog_pass *cp)
{
	int rc = 0;
	pthread_mutex_lock(&worker.lock);
	if (!worker.started && pthread_create(&worker.thread, NULL, worker_main, NULL) != 0)
		rc = -1;
	else
		worker.started = 1;
	if (rc == 0) {
		if (worker.tail)
			worker.tail->next = cp;
		else
			worker.head = cp;
		worker.tail = cp;
		pthread_cond_signal(&worker.wake);
	}
	pthread_mutex_unlock(&worker.lock);
	return rc;
}

/* Takes a's pass out of the queue when it has not begun (freed here), or
 * waits for it to end. */
static void take_back(struct pg_advisor *a)
{
	pthread_mutex_lock(&worker.lock);
	for (struct catalog_pass **p = &worker.head, *prev = NULL; *p; prev = *p, p = &(*p)->next) {
		if ((*p)->ps.a != a)
			continue;
		struct catalog_pass *cp = *p;
		*p = cp->next;
		if (worker.tail == cp)
			worker.tail = prev;
		advice_view_unref(cp->ps.v);
		pass_free(cp);
		a->running = 0;
		break;
	}
	while (a->running && !atomic_load(&a->done))
		pthread_cond_wait(&worker.pass_ended, &worker.lock);
	pthread_mutex_unlock(&worker.lock);
}

/* One advisor fewer: the last one ends the thread. */
static void advisor_gone(void)
{
	pthread_mutex_lock(&worker.lock);
	int last = --worker.advisors == 0 && worker.started;
	if (last) {
		worker.end = 1;
		pthread_cond_signal(&worker.wake);
	}
	pthread_mutex_unlock(&worker.lock);
	if (!last)
		return;
	pthread_join(worker.thread, NULL);
	pthread_mutex_lock(&worker.lock);
	worker.started = 0;
	worker.end = 0;
	pthread_mutex_unlock(&worker.lock);
}

struct pg_advisor *pg_advisor_new(const struct pg_config *conf, const char *target)
{
	struct pg_advisor *a = xcalloc(1, sizeof(*a));
	a->conf = conf;
	a->target = target;
	atomic_init(&a->done, 0);
	atomic_init(&a->stop, 0);
	pthread_mutex_lock(&worker.lock);
	worker.advisors++;
	pthread_mutex_unlock(&worker.lock);
	return a;
}

static void dbs_free(struct pg_advisor *a)
{
	for (size_t i = 0; i < a->ndbs; i++)
		free(a->dbs[i]);
	free(a->dbs);
	a->dbs = NULL;
	a->ndbs = 0;
	for (size_t i = 0; i < a->ntop; i++) {
		free(a->top[i].datname);
		free(a->top[i].user);
		free(a->top[i].query);
	}
	free(a->top);
	a->top = NULL;
	a->ntop = 0;
	free(a->text_db);
	a->text_db = NULL;
}

static int visits(const struct pg_advisor *a, const char *datname)
{
	for (size_t i = 0; i < a->ndbs; i++)
		if (datname && strcmp(a->dbs[i], datname) == 0)
			return 1;
	return 0;
}

/* The costliest of the DBA's statements over the collector's longest
 * window (advice_statements of them, in the databases visited), for the
 * plans; none when the window has none yet (the pass then takes those of
 * pg_stat_statements since its reset). */
static void take_top(struct pg_advisor *a, const struct statement_window *w)
{
	size_t max = (size_t)a->conf->advice_statements;
	a->top = xcalloc(max, sizeof(*a->top));
	for (size_t i = 0; w && i < w->n && a->ntop < max; i++) {
		const struct statement_stat *st = &w->rows[i];
		if (st->own || !visits(a, st->datname))
			continue;
		struct advice_statement *t = &a->top[a->ntop++];
		snprintf(t->queryid, sizeof(t->queryid), "%s", st->queryid);
		t->datname = xstrdup(st->datname);
		t->user = st->user ? xstrdup(st->user) : NULL;
		t->calls = st->calls;
		t->exec_ms = st->exec_ms;
		t->rows = st->rows;
	}
}

/* The result of the pass that finished, or NULL. */
static struct advice_view *take_finished(struct pg_advisor *a)
{
	if (!a->running || !atomic_load(&a->done))
		return NULL;
	a->running = 0;
	struct advice_view *v = a->result;
	a->result = NULL;
	return v;
}

struct advice_view *pg_advisor_poll(struct pg_advisor *a, const char *dbname, int64_t now_ms,
				    const struct statement_window *longest)
{
	struct advice_view *v = take_finished(a);
	if (v) {
		log_debug("postgres", a->target, "advice: %zu findings in %zu databases in %.2f s",
			  v->nfindings, v->ndatabases, v->duration);
		return v;
	}
	if (a->running || now_ms < a->next_ms || !dbname)
		return NULL;
	dbs_free(a);
	const struct conf_list *l = &a->conf->databases;
	a->ndbs = l->n ? l->n : 1;
	a->dbs = xcalloc(a->ndbs, sizeof(*a->dbs));
	for (size_t i = 0; i < a->ndbs; i++)
		a->dbs[i] = xstrdup(l->n ? l->items[i] : dbname);
	a->text_db = xstrdup(dbname);
	if (a->conf->advice_plans)
		take_top(a, longest);
	a->next_ms = now_ms + a->conf->advice_interval_ms;
	struct catalog_pass *cp = xcalloc(1, sizeof(*cp));
	struct pass *ps = &cp->ps;
	ps->a = a;
	ps->conf = a->conf;
	ps->target = a->target;
	ps->top = a->top;
	ps->ntop = a->ntop;
	ps->dbs = a->dbs;
	ps->ndbs = a->ndbs;
	ps->v = advice_view_new();
	atomic_store(&a->done, 0);
	if (enqueue(cp) < 0) {
		log_warn("postgres", a->target, "advice: cannot start a pass (no thread)");
		advice_view_unref(ps->v);
		pass_free(cp);
		return NULL;
	}
	a->running = 1;
	return NULL;
}

void pg_advisor_free(struct pg_advisor *a)
{
	if (!a)
		return;
	atomic_store(&a->stop, 1);
	if (a->running)
		take_back(a);
	advice_view_unref(a->result);
	advisor_gone();
	dbs_free(a);
	scan_set_free(&a->scans);
	for (size_t i = 0; i < a->nknown; i++) {
		free(a->known[i].datname);
		free(a->known[i].text);
	}
	free(a->known);
	free(a);
}
