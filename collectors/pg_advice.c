/*
 * pg_advice.c -- the optimization advisor's passes (see pg_advice.h).
 *
 * A pass is a thread started by pg_advisor_poll() when one is due; it
 * owns its connections, the advice_view it fills and, while it runs, the
 * sequential-scan counters of the pass before it.  The collector's thread
 * looks at the pass only through `done` and joins it once that is set,
 * so the two never share anything while both run.
 */
#include "autoconfig.h"
#include "pg_advice.h"
#include "buf.h"
#include "config.h"
#include "dbview.h"
#include "log.h"
#include "pg_advice_sql.h"
#include "pg_conn.h"
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
/* Tables smaller than this are not judged for sequential scans or bloat:
 * reading them whole is cheap, and the bloat estimate is off by a page or
 * so, which makes small relations look bloated. */
#define ADVICE_MIN_TABLE_BYTES "4194304"
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
/* the longest text kept of a finding's columns */
#define FIELD_MAX 8192
/* findings listed per query (a kind in a database): a database near
 * wraparound has every table in it */
#define FINDINGS_MAX 500

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
	int running;                 /* a thread was started and not joined */
	pthread_t thread;
	atomic_int done;             /* set by the pass as its last act */
	atomic_int stop;             /* pg_advisor_free asks it to end */
	/* owned by the pass while it runs, by the advisor in between */
	char **dbs;
	size_t ndbs;
	struct scan_set scans;       /* the last pass's */
	struct advice_view *result;  /* the finished pass's, until taken */
	int said_unused_young;       /* stats too young: said once */
};

/* What a pass is building. */
struct pass {
	struct pg_advisor *a;
	struct advice_view *v;
	size_t findings_alloc, notes_alloc;
	struct scan_set scans;       /* this pass's counters */
	struct pg_conn conn;
	const char *datname;
	int version;
};

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

static const char *keep(struct pass *ps, const char *s)
{
	return s ? view_strndup(&ps->v->arena, s, (size_t)-1, FIELD_MAX) : NULL;
}

static void note(struct pass *ps, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct pass *ps, const char *kind, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	struct advice_view *v = ps->v;
	v->notes = xgrow(v->notes, &ps->notes_alloc, v->nnotes + 1, sizeof(*v->notes));
	v->notes[v->nnotes++] = (struct advice_note){
		.datname = keep(ps, ps->datname), .kind = keep(ps, kind), .text = keep(ps, text),
	};
}

static struct advice_finding *new_finding(struct pass *ps)
{
	struct advice_view *v = ps->v;
	v->findings = xgrow(v->findings, &ps->findings_alloc, v->nfindings + 1,
			    sizeof(*v->findings));
	struct advice_finding *f = &v->findings[v->nfindings++];
	memset(f, 0, sizeof(*f));
	f->datname = keep(ps, ps->datname);
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
			note(ps, check, "%s", pg_cell(r, i, 6) ? pg_cell(r, i, 6) : "");
			free(check);
			continue;
		}
		if (taken == FINDINGS_MAX) {
			left++;
			continue;
		}
		taken++;
		struct advice_finding *f = new_finding(ps);
		f->kind = keep(ps, kind);
		f->severity = keep(ps, pg_cell(r, i, 1));
		f->schema = keep(ps, pg_cell(r, i, 2));
		f->table = keep(ps, pg_cell(r, i, 3));
		f->object = keep(ps, pg_cell(r, i, 4));
		f->evidence = keep(ps, pg_cell(r, i, 5) ? pg_cell(r, i, 5) : "{}");
		f->summary = keep(ps, pg_cell(r, i, 6));
		f->action = keep(ps, pg_cell(r, i, 7));
	}
	if (left)
		note(ps, kind_of_query, "%d more findings are not listed (the first %d are); "
		     "pg_advice_findings counts only those listed", left, FINDINGS_MAX);
}

/* Runs one query of the pass; NULL (noted under kind) when it failed. */
static PGresult *ask(struct pass *ps, const char *kind, const char *sql, int nparams,
		     const char *const *params)
{
	if (!sql || atomic_load(&ps->a->stop) || !pg_conn_ok(&ps->conn))
		return NULL;
	char err[512];
	int64_t deadline = now_mono_ms() + ADVICE_STATEMENT_TIMEOUT_MS + 2000;
	/* marked, for the DBA who sees it in pg_stat_activity or
	 * pg_stat_statements (the query id ignores comments) */
	struct buf marked;
	buf_init(&marked, BUF_UNLIMITED);
	buf_puts(&marked, ADVICE_SQL_MARK);
	buf_puts(&marked, sql);
	PGresult *r = pg_conn_query(&ps->conn, buf_str(&marked), nparams, params, deadline, err,
				    sizeof(err));
	buf_release(&marked);
	if (!r)
		note(ps, kind, "the query failed: %s", err);
	return r;
}

/* Runs a finding query and takes its rows. */
static void find(struct pass *ps, const char *kind, const char *sql, int nparams,
		 const char *const *params)
{
	PGresult *r = ask(ps, kind, sql, nparams, params);
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
	PGresult *r = ask(ps, "unused_index", pg_advice_sql_stats_age(ps->version), 0, NULL);
	if (!r)
		return;
	double age = PQntuples(r) == 1 ? pg_cell_or_zero(r, 0, 2) : 0;
	const char *source = PQntuples(r) == 1 ? pg_cell(r, 0, 1) : NULL;
	int young = age * 1000 < (double)c->advice_min_stats_age_ms;
	if (young) {
		char have[32], want[32];
		conf_format_duration((int64_t)age * 1000, have, sizeof(have));
		conf_format_duration(c->advice_min_stats_age_ms, want, sizeof(want));
		note(ps, "unused_index", "the statistics are %s old (since %s), younger than "
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
	const char *at = pgstattuple_schema && with_schema ? strstr(with_schema, "%s") : NULL;
	if (at) { /* the one "%s" is where the extension's schema goes */
		struct buf sql;
		buf_init(&sql, 64 * 1024);
		buf_append(&sql, with_schema, (size_t)(at - with_schema));
		buf_puts(&sql, pgstattuple_schema);
		buf_puts(&sql, at + 2);
		find(ps, "table_bloat", buf_str(&sql), 2, params);
		buf_release(&sql);
	} else {
		find(ps, "table_bloat", pg_advice_sql_table_bloat(ps->version), 2, params);
	}
	find(ps, "index_bloat", pg_advice_sql_index_bloat(ps->version), 2, params);
}

/* The schema of the pgstattuple extension (quoted), NULL when it is not
 * installed; the caller frees. */
static char *pgstattuple_schema(struct pass *ps)
{
	PGresult *r = ask(ps, "table_bloat", pg_advice_sql_extensions(ps->version), 0, NULL);
	char *schema = NULL;
	for (int i = 0; r && i < PQntuples(r) && !schema; i++)
		if (pg_cell(r, i, 0) && strcmp(pg_cell(r, i, 0), "pgstattuple") == 0 && pg_cell(r, i, 1))
			schema = xstrdup(pg_cell(r, i, 1));
	PQclear(r);
	return schema;
}

/* This pass's scan counters of the database (seq_scan_heavy is judged
 * once the whole pass has them, against the last pass's). */
static void read_scans(struct pass *ps)
{
	const char *params[] = { ADVICE_MIN_TABLE_BYTES };
	PGresult *r = ask(ps, "seq_scan_heavy", pg_advice_sql_seq_scan_counters(ps->version), 1,
			  params);
	for (int i = 0; r && i < PQntuples(r); i++) {
		struct scan_set *s = &ps->scans;
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
static void judge_scans(struct pass *ps, const struct scan_set *last)
{
	double window = ps->scans.at - last->at;
	for (size_t i = 0; i < ps->scans.n; i++) {
		const struct scan_counters *now = &ps->scans.t[i];
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
		struct advice_finding *f = new_finding(ps);
		f->kind = keep(ps, "seq_scan_heavy");
		f->severity = keep(ps, "warning");
		f->schema = keep(ps, now->schema);
		f->table = keep(ps, now->table);
		struct buf t;
		buf_init(&t, FIELD_MAX);
		buf_printf(&t, "{\"table_bytes\": %.0f, \"rows_estimate\": %.0f, "
			   "\"window_seconds\": %.0f, \"seq_scan\": %.0f, \"seq_tup_read\": %.0f, "
			   "\"idx_scan\": %.0f, \"idx_tup_fetch\": %.0f, \"seq_read_ratio\": %.4f}",
			   now->bytes, now->live_rows, window, scans, seq_rows,
			   now->idx_scan - was->idx_scan, idx_rows, seq_rows / (seq_rows + idx_rows));
		f->evidence = keep(ps, buf_str(&t));
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
		f->summary = keep(ps, buf_str(&t));
		buf_release(&t);
	}
}

/* Every query of the pass on one database; each is a transaction of its
 * own, read-only (the session's default_transaction_read_only). */
static void visit(struct pass *ps)
{
	find_unused(ps);
	find(ps, "duplicate_index", pg_advice_sql_duplicate_index(ps->version), 0, NULL);
	find(ps, "invalid_index", pg_advice_sql_invalid_index(ps->version), 0, NULL);
	find(ps, "fk_without_index", pg_advice_sql_fk_without_index(ps->version), 0, NULL);
	read_scans(ps);
	char *stattuple = pgstattuple_schema(ps);
	find_bloat(ps, stattuple);
	free(stattuple);
	const char *wrap[] = { ADVICE_WRAPAROUND_LIMIT };
	find(ps, "wraparound", pg_advice_sql_wraparound(ps->version), 1, wrap);
	const char *seq[] = { ADVICE_SEQUENCE_WARNING, ADVICE_SEQUENCE_CRITICAL };
	find(ps, "sequence_exhaustion", pg_advice_sql_sequence_exhaustion(ps->version), 2, seq);
}

/* Connects to one database and visits it; 0, or -1 (noted) when it could
 * not be visited or the connection broke.  The session cannot write:
 * default_transaction_read_only makes every transaction of it read-only. */
static int visit_database(struct pass *ps, const char *datname)
{
	const struct pg_config *c = ps->a->conf;
	char options[256], err[512];
	snprintf(options, sizeof(options),
		 "-c statement_timeout=%d -c lock_timeout=%d -c default_transaction_read_only=on "
		 "-c idle_in_transaction_session_timeout=%d",
		 ADVICE_STATEMENT_TIMEOUT_MS, ADVICE_LOCK_TIMEOUT_MS, 6 * ADVICE_STATEMENT_TIMEOUT_MS);
	const struct pg_dsn d = {
		.dsn = c->dsn, .password_file = c->common.password_file,
		.password_env = c->common.password_env, .timeout_ms = c->common.timeout_ms,
		.dbname = datname, .session_options = options,
	};
	ps->datname = datname;
	if (pg_conn_open_dsn(&ps->conn, &d, now_mono_ms() + c->common.timeout_ms, err,
			     sizeof(err)) < 0) {
		note(ps, NULL, "cannot connect: %s", err);
		return -1;
	}
	ps->version = ps->conn.server_version;
	visit(ps);
	int ok = pg_conn_ok(&ps->conn);
	pg_conn_close(&ps->conn);
	if (!ok)
		note(ps, NULL, "the connection was lost during the pass");
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

static void *pass_main(void *arg)
{
	struct pass *ps = arg;
	struct pg_advisor *a = ps->a;
	double t0 = now_mono(), cpu0 = thread_cpu_seconds();
	ps->v->started_at = now_wall();
	ps->scans.at = ps->v->started_at;
	struct advice_view *v = ps->v;
	v->databases = view_alloc(&v->arena, a->ndbs * sizeof(*v->databases));
	v->database_ok = view_alloc(&v->arena, a->ndbs * sizeof(*v->database_ok));
	for (size_t i = 0; i < a->ndbs && !atomic_load(&a->stop); i++) {
		v->databases[i] = keep(ps, a->dbs[i]);
		v->database_ok[i] = visit_database(ps, a->dbs[i]) == 0;
		v->ndatabases = i + 1;
	}
	ps->datname = NULL;
	if (a->scans.n || a->scans.at > 0)
		judge_scans(ps, &a->scans);
	else
		note(ps, "seq_scan_heavy", "sequential scans are judged from the second pass on, "
		     "over the time between two passes");
	ps->datname = NULL;
	if (ps->v->nfindings > 1) /* findings is NULL when there are none */
		qsort(ps->v->findings, ps->v->nfindings, sizeof(*ps->v->findings), cmp_finding);
	ps->v->duration = now_mono() - t0;
	ps->v->cpu = thread_cpu_seconds() - cpu0;
	scan_set_free(&a->scans);
	a->scans = ps->scans;
	a->result = ps->v;
	free(ps);
	atomic_store(&a->done, 1);
	return NULL;
}

struct pg_advisor *pg_advisor_new(const struct pg_config *conf, const char *target)
{
	struct pg_advisor *a = xcalloc(1, sizeof(*a));
	a->conf = conf;
	a->target = target;
	atomic_init(&a->done, 0);
	atomic_init(&a->stop, 0);
	return a;
}

static void dbs_free(struct pg_advisor *a)
{
	for (size_t i = 0; i < a->ndbs; i++)
		free(a->dbs[i]);
	free(a->dbs);
	a->dbs = NULL;
	a->ndbs = 0;
}

/* Joins a pass that finished; its result, or NULL. */
static struct advice_view *join_finished(struct pg_advisor *a)
{
	if (!a->running || !atomic_load(&a->done))
		return NULL;
	pthread_join(a->thread, NULL);
	a->running = 0;
	struct advice_view *v = a->result;
	a->result = NULL;
	return v;
}

struct advice_view *pg_advisor_poll(struct pg_advisor *a, const char *dbname, int64_t now_ms)
{
	struct advice_view *v = join_finished(a);
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
	a->next_ms = now_ms + a->conf->advice_interval_ms;
	struct pass *ps = xcalloc(1, sizeof(*ps));
	ps->a = a;
	ps->v = advice_view_new();
	atomic_store(&a->done, 0);
	if (pthread_create(&a->thread, NULL, pass_main, ps) != 0) {
		log_warn("postgres", a->target, "advice: cannot start a pass (no thread)");
		advice_view_unref(ps->v);
		free(ps);
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
	if (a->running) {
		pthread_join(a->thread, NULL);
		advice_view_unref(a->result);
	}
	dbs_free(a);
	scan_set_free(&a->scans);
	free(a);
}

size_t pg_advisor_sql(int version, const char **out, size_t max)
{
	const char *all[] = {
		pg_advice_sql_stats_age(version), pg_advice_sql_extensions(version),
		pg_advice_sql_unused_index(version), pg_advice_sql_duplicate_index(version),
		pg_advice_sql_invalid_index(version), pg_advice_sql_fk_without_index(version),
		pg_advice_sql_seq_scan_counters(version), pg_advice_sql_table_bloat(version),
		pg_advice_sql_index_bloat(version), pg_advice_sql_wraparound(version),
		pg_advice_sql_sequence_exhaustion(version),
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]) && n < max; i++)
		if (all[i])
			out[n++] = all[i];
	return n;
}
