/*
 * postgres.c -- [postgres "NAME"] sections and the PostgreSQL collector.
 *
 * The scheduler creates one instance per section (pg_init) and calls
 * pg_collect() each interval on the target's own worker thread, so there
 * is never more than one collection, and one connection, per target.  The
 * connection is kept between cycles; a broken one is re-opened at the next
 * attempt (the scheduler retries a failed cycle after 1 s, 2 s, 4 s ... up
 * to the interval).  Every query runs under the cycle's deadline and the
 * session's statement_timeout and lock_timeout, reports its own duration
 * and success, and a failed query costs only its own metrics.  Expensive
 * queries (sizes, the ~300 settings) run every slow_interval; their samples
 * are kept and repeated in the cycles between.  The samples are named as
 * postgres_exporter 0.20.1 names them (pg_health.c); its per-collector
 * pg_scrape_collector_* and per-scrape pg_exporter_* come from the
 * figures of the queries that serve each collector.
 *
 * An instance owns its connection, the statement tracker (pg_stmt_collect.c),
 * the kept slow samples and one log complaint per query.  The section is
 * borrowed from the config, which outlives the instance.
 */
#include "autoconfig.h"
#include "build_info.h"
#include "postgres.h"
#include "buf.h"
#include "dbview.h"
#include "log.h"
#include "metrics.h"
#include "pg_advice.h"
#include "pg_conn.h"
#include "pg_health.h"
#include "pg_own.h"
#include "pg_sessions.h"
#include "pg_sql.h"
#include "pg_stmt_collect.h"
#include "pg_tsdb.h"
#include "strutil.h"
#include "xalloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

/* ---- configuration ---------------------------------------------------- */

#define PG_KEY(k) offsetof(struct pg_config, k)

/* statements_windows not written: the default windows shorter than the
 * interval are left out (an interval of 5m keeps 5m and 1h); with none
 * left, the one window is the interval. */
static void pg_fit_windows(void *conf)
{
	struct pg_config *c = conf;
	struct conf_list *l = &c->statements_windows;
	size_t kept = 0;
	for (size_t i = 0; i < l->n; i++) {
		char e[128];
		int64_t ms;
		if (conf_parse_duration(l->items[i], &ms, e, sizeof(e)) == 0 &&
		    ms < c->common.interval_ms) {
			free(l->items[i]);
			continue;
		}
		l->items[kept++] = l->items[i];
	}
	l->n = kept;
	if (kept == 0 && l->items) { /* the default's array has room for it */
		char interval[32];
		conf_format_duration(c->common.interval_ms, interval, sizeof(interval));
		l->items[0] = xstrdup(interval);
		l->n = 1;
	}
}

static const struct config_key pg_keys[] = {
	{ .name = "dsn", .type = CONF_STRING, .offset = PG_KEY(dsn), .required = 1 },
	{ .name = "timeout", .type = CONF_DURATION, .offset = PG_KEY(common.timeout_ms), .def = "5s",
	  .min = 100, .max = CONF_MS_HOUR,
	  .fit_default = conf_fit_timeout },
	{ .name = "statements_top", .type = CONF_INT, .offset = PG_KEY(statements_top), .def = "100",
	  .min = 1, .max = 10000 },
	{ .name = "statements_windows", .type = CONF_LIST, .offset = PG_KEY(statements_windows),
	  .def = "1m, 5m, 1h", .fit_default = pg_fit_windows },
	{ .name = "statements_query_length", .type = CONF_INT,
	  .offset = PG_KEY(statements_query_length), .def = "200",
	  .min = 16, .max = 100000 },
	{ .name = "statements_query_info", .type = CONF_BOOL, .offset = PG_KEY(statements_query_info),
	  .def = "false" },
	{ .name = "slow_interval", .type = CONF_DURATION, .offset = PG_KEY(slow_interval_ms),
	  .def = "5m",
	  .min = CONF_MS_SECOND, .max = 24 * CONF_MS_HOUR },
	{ .name = "databases", .type = CONF_LIST, .offset = PG_KEY(databases), .def = "" },
	{ .name = "tables_top", .type = CONF_INT, .offset = PG_KEY(tables_top), .def = "20",
	  .min = 0,
	  .max = 10000 },
	{ .name = "advice", .type = CONF_BOOL, .offset = PG_KEY(advice), .def = "true" },
	{ .name = "advice_interval", .type = CONF_DURATION, .offset = PG_KEY(advice_interval_ms),
	  .def = "10m", .min = CONF_MS_SECOND, .max = 7 * 24 * CONF_MS_HOUR },
	{ .name = "advice_min_stats_age", .type = CONF_DURATION,
	  .offset = PG_KEY(advice_min_stats_age_ms), .def = "7d", .min = 0,
	  .max = 365LL * 24 * CONF_MS_HOUR },
	{ .name = "advice_plans", .type = CONF_BOOL, .offset = PG_KEY(advice_plans), .def = "false" },
	{ .name = "advice_statements", .type = CONF_INT, .offset = PG_KEY(advice_statements),
	  .def = "10", .min = 1, .max = 100 },
	{ .name = "timescaledb", .type = CONF_BOOL, .offset = PG_KEY(timescaledb), .def = "true" },
	{ .name = NULL },
};

static int pg_validate(void *conf, char *err, size_t errlen)
{
	struct pg_config *c = conf;
	if (pg_dsn_check(c->dsn, err, errlen) < 0)
		return -1;
	if (conf_check_target(&c->common, err, errlen) < 0)
		return -1;
	if (c->statements_windows.n == 0 || c->statements_windows.n > 8) {
		snprintf(err, errlen, "statements_windows: expected 1 to 8 durations");
		return -1;
	}
	c->nwindows = c->statements_windows.n;
	for (size_t i = 0; i < c->nwindows; i++) {
		char e[128];
		int64_t ms;
		if (conf_parse_duration(c->statements_windows.items[i], &ms, e, sizeof(e)) < 0 ||
		    ms < c->common.interval_ms) {
			snprintf(err, errlen, "statements_windows: '%s' is not a duration of at least "
				 "the interval", c->statements_windows.items[i]);
			return -1;
		}
		if (i && ms <= c->statements_window_ms[i - 1]) {
			snprintf(err, errlen, "statements_windows: expected shortest first, like '1m, 5m, 1h'");
			return -1;
		}
		c->statements_window_ms[i] = ms;
	}
	return 0;
}

static void pg_describe(const struct config_section *s, struct buf *out)
{
	const struct pg_config *c = s->conf;
	char slow[32];
	conf_format_duration(c->slow_interval_ms, slow, sizeof(slow));
	conf_describe_target(s->label, &c->common, out);
	/* the DSN holds no password (pg_validate refuses one) */
	buf_printf(out, ", sizes every %s: '%s'%s; top %lld statements over ", slow, c->dsn,
		   conf_password_source(&c->common),
		   (long long)c->statements_top);
	for (size_t i = 0; i < c->statements_windows.n; i++)
		buf_printf(out, "%s%s", i ? ", " : "", c->statements_windows.items[i]);
}

/* ---- the instance ----------------------------------------------------- */

/* Every cycle's queries first; from Q_DATABASE_SIZE on, the ones that run
 * now and then (their figures stay until they run again): the slow ones
 * (every slow_interval), and learning the agent's own statements (once per
 * connection). */
enum pg_query {
	Q_SERVER, Q_STAT_DATABASE, Q_CONFLICTS, Q_DATABASE, Q_ACTIVITY, Q_SESSIONS, Q_LOCKS,
	Q_REPLICATION, Q_STANDBY, Q_WAL_RECEIVER, Q_SLOTS, Q_ARCHIVER, Q_WAL, Q_BGWRITER,
	Q_CHECKPOINTER, Q_TABLES, Q_PROGRESS_VACUUM, Q_STATEMENTS, Q_DATABASE_SIZE, Q_TABLE_SIZES,
	Q_SETTINGS, Q_ROLES, Q_WAL_DIR, Q_TIMESCALEDB, Q_OWN, Q_COUNT
};

static const char *const query_names[Q_COUNT] = {
	"server", "stat_database", "conflicts", "database", "activity", "sessions", "locks",
	"replication", "standby", "wal_receiver", "slots", "archiver", "wal", "bgwriter",
	"checkpointer", "tables", "progress_vacuum", "statements", "database_size", "table_sizes",
	"settings", "roles", "wal_dir", "timescaledb", "own_statements",
};

/* The SQL of each query, by server version (a NULL result: the server has
 * nothing to ask).  Every text the collector runs is here or in pg_stmt_collect.c
 * (Q_STATEMENTS) or pg_tsdb.c (Q_TIMESCALEDB, several texts): learn_own()
 * asks for the query ids of all of them. */
typedef const char *(*query_sql_fn)(int version);
static const query_sql_fn query_sql[Q_COUNT] = {
	[Q_SERVER] = pg_sql_server, [Q_STAT_DATABASE] = pg_sql_stat_database,
	[Q_CONFLICTS] = pg_sql_conflicts, [Q_DATABASE] = pg_sql_database, [Q_ROLES] = pg_sql_roles,
	[Q_ACTIVITY] = pg_sql_activity, [Q_SESSIONS] = pg_sql_sessions, [Q_LOCKS] = pg_sql_locks,
	[Q_REPLICATION] = pg_sql_replication, [Q_STANDBY] = pg_sql_standby,
	[Q_WAL_RECEIVER] = pg_sql_wal_receiver, [Q_SLOTS] = pg_sql_slots,
	[Q_ARCHIVER] = pg_sql_archiver, [Q_WAL] = pg_sql_wal, [Q_WAL_DIR] = pg_sql_wal_dir,
	[Q_BGWRITER] = pg_sql_bgwriter, [Q_CHECKPOINTER] = pg_sql_checkpointer,
	[Q_TABLES] = pg_sql_tables, [Q_PROGRESS_VACUUM] = pg_sql_progress_vacuum,
	[Q_DATABASE_SIZE] = pg_sql_database_size, [Q_TABLE_SIZES] = pg_sql_table_sizes,
	[Q_SETTINGS] = pg_sql_settings,
};

/* postgres_exporter's collectors (pg_scrape_collector_*{collector}) and
 * the queries that serve each: a collector succeeded when every one of
 * its queries that ran did; its duration is theirs added.  One query may
 * serve several (pg_stat_activity is read once for stat_activity,
 * long_running_transactions and process_idle). */
static const struct {
	const char *collector;
	enum pg_query q[2];
	int n;
} collectors[] = {
	{ "database", { Q_DATABASE, Q_DATABASE_SIZE }, 2 },
	{ "database_wraparound", { Q_DATABASE }, 1 },
	{ "locks", { Q_LOCKS }, 1 },
	{ "long_running_transactions", { Q_ACTIVITY }, 1 },
	{ "postmaster", { Q_SERVER }, 1 },
	{ "process_idle", { Q_ACTIVITY }, 1 },
	{ "replication", { Q_STANDBY }, 1 },
	{ "replication_slots", { Q_SLOTS }, 1 },
	{ "roles", { Q_ROLES }, 1 },
	{ "settings", { Q_SETTINGS }, 1 },
	{ "stat_activity", { Q_ACTIVITY }, 1 },
	{ "stat_archiver", { Q_ARCHIVER }, 1 },
	{ "stat_bgwriter", { Q_BGWRITER }, 1 },
	{ "stat_checkpointer", { Q_CHECKPOINTER }, 1 },
	{ "stat_database", { Q_STAT_DATABASE }, 1 },
	{ "stat_progress_vacuum", { Q_PROGRESS_VACUUM }, 1 },
	{ "stat_replication", { Q_REPLICATION }, 1 },
	{ "stat_statements", { Q_STATEMENTS }, 1 },
	{ "stat_user_tables", { Q_TABLES, Q_TABLE_SIZES }, 2 },
	{ "stat_wal_receiver", { Q_WAL_RECEIVER }, 1 },
	{ "statio_user_tables", { Q_TABLES }, 1 },
	{ "wal", { Q_WAL_DIR }, 1 },
};

struct pg_query_stat {
	int ran;                 /* in this cycle */
	int ok;
	double seconds;
};

struct pg {
	const struct config_section *section;
	const struct pg_config *conf;
	struct pg_conn conn;
	char *dbname;                     /* the DSN's database */
	char server[256];                 /* postgres_exporter's server="HOST:PORT" */
	uint64_t scrapes;                 /* collections, pg_exporter_scrapes_total */
	int own_tables;                   /* report the DSN's database's tables */
	struct pg_server_info info;
	struct pg_stmts *stmts;
	struct batch *slow;               /* samples of the last slow cycle */
	int64_t next_slow_ms;
	struct pg_query_stat stats[Q_COUNT];
	struct log_complaint complaints[Q_COUNT];
	struct db_view *view;             /* this cycle's, until published */
	struct limit_counts limits;       /* enum pg_limit */
	struct pg_own own;                /* the agent's own statements (pg_own.h) */
	int own_due;                      /* to learn on this connection */
	int own_version;                  /* the server version own was learned on */
	unsigned advisor_ids_seen;        /* pg_advisor_own_ids' generation */
	int own_later;                    /* not in this cycle: the first on a
					   * new connection, own still right */
	int64_t next_own_ms;              /* not before (after a failure) */
	int own_unsupported_said;
	struct pg_advisor *advisor;       /* NULL with advice = false */
	struct advice_view *advice;       /* the last pass's result, or NULL */
	struct tsdb_view *tsdb;           /* TimescaleDB as last read, or NULL */
	int tsdb_here;                    /* the DSN's database has it */
	unsigned char *tsdb_learned;      /* per `databases` entry: its TimescaleDB
					   * texts' ids are in own */
};

const char *const pg_limit_names[PL_COUNT + 1] = {
	"pg_sessions", "pg_statements", "pg_statement_texts", "pg_query_text_bytes",
	"pg_statement_text_fetch", NULL,
};

static const struct metric_desc m_up = {
	"pg_up", "Whether the last collection could connect to the server and query it.",
	METRIC_GAUGE };
static const struct metric_desc m_scrape_duration = {
	"pg_exporter_last_scrape_duration_seconds",
	"Duration of the last scrape of metrics from PostgreSQL.", METRIC_GAUGE };
static const struct metric_desc m_scrapes = {
	"pg_exporter_scrapes_total", "Total number of times PostgreSQL was scraped for metrics.",
	METRIC_COUNTER };
static const struct metric_desc m_scrape_error = {
	"pg_exporter_last_scrape_error",
	"Whether the last scrape of metrics from PostgreSQL resulted in an error (1 for error, 0 for "
	"success).", METRIC_GAUGE };
static const struct metric_desc m_collector_duration = {
	"pg_scrape_collector_duration_seconds",
	"postgres_exporter: Duration of a collector scrape.", METRIC_GAUGE };
static const struct metric_desc m_collector_success = {
	"pg_scrape_collector_success", "postgres_exporter: Whether a collector succeeded.",
	METRIC_GAUGE };
static const struct metric_desc m_q_duration = {
	"dbpulse_pg_query_duration_seconds", "How long the collector's query took, last time it ran.",
	METRIC_GAUGE };
static const struct metric_desc m_q_success = {
	"dbpulse_pg_query_success", "Whether the collector's query succeeded, last time it ran.",
	METRIC_GAUGE };

static const struct metric_desc m_advice_findings = {
	"pg_advice_findings",
	"Findings of the optimization advisor's last pass, by database, kind and severity "
	"(/api/advice lists them).", METRIC_GAUGE };
static const struct metric_desc m_advice_last_run = {
	"pg_advice_last_run_timestamp_seconds",
	"When the optimization advisor's last pass ended, as a Unix timestamp.", METRIC_GAUGE };
static const struct metric_desc m_advice_duration = {
	"pg_advice_duration_seconds", "How long the optimization advisor's last pass took.",
	METRIC_GAUGE };
static const struct metric_desc m_advice_database_ok = {
	"pg_advice_database_success",
	"Whether the optimization advisor's last pass could query the database.", METRIC_GAUGE };

static void *pg_init(const struct config_section *section, char *err, size_t errlen)
{
	if (pg_libpq_load(err, errlen) < 0)
		return NULL;
	struct pg *p = xcalloc(1, sizeof(*p));
	p->section = section;
	p->conf = section->conf;
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(p->conf->dsn, &perr);
	if (!opts) {
		snprintf(err, errlen, "dsn: %s", perr ? perr : "cannot parse");
		PQfreemem(perr);
		free(p);
		return NULL;
	}
	const char *host = NULL, *port = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "dbname") == 0 && o->val && *o->val)
			p->dbname = xstrdup(o->val);
		else if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
	}
	pg_server_label(host, port, p->server, sizeof(p->server));
	PQconninfoFree(opts);
	if (!p->dbname) /* libpq's default; known once connected */
		p->dbname = xstrdup("");
	limit_counts_init(&p->limits, pg_limit_names);
	p->stmts = pg_stmts_new(p->conf, &p->limits, &p->own);
	p->slow = batch_new();
	if (p->conf->advice)
		p->advisor = pg_advisor_new(p->conf, section->name);
	p->tsdb_learned = xcalloc(p->conf->databases.n + 1, 1);
	return p;
}

static void pg_free(void *instance)
{
	struct pg *p = instance;
	if (!p)
		return;
	pg_advisor_free(p->advisor);
	advice_view_unref(p->advice);
	tsdb_view_unref(p->tsdb);
	free(p->tsdb_learned);
	pg_conn_close(&p->conn);
	pg_stmts_free(p->stmts);
	db_view_free(p->view);
	batch_free(p->slow);
	free(p->dbname);
	free(p);
}

/* Opens conn to the DSN's server, in database dbname when it is not NULL
 * (another database of `databases`), else the DSN's. */
static int pg_connect(struct pg *p, struct pg_conn *conn, const char *dbname, int64_t deadline,
		      char *err, size_t errlen)
{
	const struct pg_config *c = p->conf;
	/* the session's own limits, so that a slow or locked server ends our
	 * queries itself; lock waits get half the time so that one lock does
	 * not use up the whole cycle */
	int64_t t = c->common.timeout_ms;
	char options[256];
	snprintf(options, sizeof(options),
		 "-c statement_timeout=%lld -c lock_timeout=%lld "
		 "-c idle_in_transaction_session_timeout=%lld",
		 (long long)t, (long long)(t / 2 > 0 ? t / 2 : 1), (long long)t * 2);
	const struct pg_dsn d = {
		.dsn = c->dsn,
		.password_file = c->common.password_file,
		.password_env = c->common.password_env,
		.timeout_ms = t, .dbname = dbname, .session_options = options,
	};
	int rc = pg_conn_open_dsn(conn, &d, deadline, err, errlen);
	if (rc == 0 && !dbname) {
		/* the database libpq chose when the DSN names none */
		free(p->dbname);
		p->dbname = xstrdup(PQdb(conn->conn));
		p->own_tables = p->conf->databases.n == 0;
		for (size_t i = 0; i < p->conf->databases.n; i++)
			if (strcmp(p->conf->databases.items[i], p->dbname) == 0)
				p->own_tables = 1;
		log_info("postgres", p->section->name, "connected (server %d)", conn->server_version);
		p->own_due = 1; /* a new server process, maybe a new server version */
		p->next_own_ms = 0;
		/* the ids of a server version do not change: with those known,
		 * the first cycle reads the statements and reports up sooner,
		 * and the next one learns them again */
		p->own_later = p->own.n && p->own_version == conn->server_version;
	}
	return rc;
}

/* Records how health query q went: its stats, and a complaint (once) when
 * it failed on a connection that still works, or that it works again. */
static void record(struct pg *p, enum pg_query q, int ok, double seconds, const char *err)
{
	struct pg_query_stat *st = &p->stats[q];
	st->ran = 1;
	st->ok = ok;
	st->seconds = seconds;
	if (ok)
		log_complaint_clear(&p->complaints[q], "postgres", p->section->name,
				    "query %s works again", query_names[q]);
	else if (pg_conn_ok(&p->conn))
		log_complain(&p->complaints[q], LOG_LEVEL_WARN, "postgres", p->section->name,
			     "query %s failed: %s", query_names[q], err);
}

/* Runs one health query (query_sql[q] for the server's version); records
 * its stats.  NULL when it failed or the server has nothing to ask. */
static PGresult *run(struct pg *p, enum pg_query q, int nparams, const char *const *params,
		     int64_t deadline)
{
	const char *sql = query_sql[q](p->conn.server_version);
	if (!sql)
		return NULL;
	char err[512];
	double t0 = now_mono();
	PGresult *r = pg_conn_query(&p->conn, sql, nparams, params, deadline, err, sizeof(err));
	record(p, q, r != NULL, now_mono() - t0, err);
	return r;
}

/* A health query of a cycle's pipeline (run_pipelined) and its text
 * parameters. */
struct pg_cycle_query {
	enum pg_query q;
	int nparams;
	const char *const *params;
};

/* Runs the health queries qs together (pg_conn_pipeline: one round trip),
 * those the server has something to ask with, and records each as run()
 * does; res[q] gets each result (NULL when it failed or did not run),
 * which the caller PQclear()s. */
static void run_pipelined(struct pg *p, const struct pg_cycle_query *qs, size_t n,
			  PGresult *res[Q_COUNT], int64_t deadline)
{
	struct pg_pipelined piped[Q_COUNT];
	enum pg_query which[Q_COUNT];
	size_t m = 0;
	for (size_t i = 0; i < n && m < Q_COUNT; i++) {
		const char *sql = query_sql[qs[i].q](p->conn.server_version);
		if (!sql)
			continue;
		which[m] = qs[i].q;
		piped[m++] = (struct pg_pipelined){ .sql = sql, .nparams = qs[i].nparams,
						    .params = qs[i].params };
	}
	char err[512];
	(void)pg_conn_pipeline(&p->conn, piped, m, deadline, err, sizeof(err));
	for (size_t i = 0; i < m; i++) {
		res[which[i]] = piped[i].result;
		record(p, which[i], piped[i].result != NULL, piped[i].seconds, piped[i].err);
	}
}

typedef void (*emit_fn)(struct batch *b, const char *target, const PGresult *r);

static void run_emit(struct pg *p, enum pg_query q, emit_fn emit, struct batch *b,
		     int64_t deadline)
{
	PGresult *r = run(p, q, 0, NULL, deadline);
	if (r) {
		emit(b, p->section->name, r);
		PQclear(r);
	}
}

/* The ids of pg_tsdb.c's texts in database i of `databases` (on conn, a
 * connection to it), with p->conn watching its backend: each database has
 * its own TimescaleDB relations, so its own ids.  Once per database and
 * learning of own (which starts the set anew); only where own was learned
 * (there are ids to tell apart). */
static void learn_tsdb_ids(struct pg *p, size_t i, struct pg_conn *conn, int64_t deadline)
{
	if (p->tsdb_learned[i] || !p->own.n || !pg_conn_ok(&p->conn))
		return;
	struct pg_own learned = { 0 };
	char err[256];
	size_t n = 0;
	while (pg_tsdb_sql[n])
		n++;
	if (pg_own_learn(&learned, conn, &p->conn, pg_tsdb_sql, n, deadline, err,
			 sizeof(err)) < 0 || learned.userid != p->own.userid)
		return;
	for (size_t k = 0; k < learned.n; k++)
		if (pg_own_add(&p->own, learned.ids[k]) < 0)
			return;
	p->tsdb_learned[i] = 1;
}

/* TimescaleDB in the database conn is connected to, into p->slow and tv;
 * its figures as Q_TIMESCALEDB's when it is the DSN's (another database's
 * failure is logged only).  Whether the extension is there. */
static int read_tsdb(struct pg *p, struct pg_conn *conn, const char *db, struct tsdb_view *tv,
		     int64_t deadline)
{
	char err[512] = "";
	double t0 = now_mono();
	int rc = pg_tsdb_collect(conn, p->section->name, db, p->conf->tables_top, p->slow, tv,
				 deadline, err, sizeof(err));
	if (conn == &p->conn)
		record(p, Q_TIMESCALEDB, rc >= 0, now_mono() - t0, err);
	else if (rc < 0 && pg_conn_ok(conn))
		log_complain(&p->complaints[Q_TIMESCALEDB], LOG_LEVEL_WARN, "postgres",
			     p->section->name, "TimescaleDB in database '%s': %s", db, err);
	return rc != 0;
}

/* The tables and TimescaleDB (into tv, unless NULL) of database i of
 * `databases`, not the DSN's: a short connection of its own, every
 * slow_interval, after the main one's queries (so the server sees at most
 * two sessions of the agent, for a moment). */
static void other_database(struct pg *p, size_t i, const char *const *params,
			   struct tsdb_view *tv, int64_t deadline)
{
	const char *db = p->conf->databases.items[i];
	struct pg_conn conn = { 0 };
	char err[512];
	PGresult *r = NULL;
	if (pg_connect(p, &conn, db, deadline, err, sizeof(err)) < 0) {
		log_complain(&p->complaints[Q_TABLE_SIZES], LOG_LEVEL_WARN, "postgres",
			     p->section->name, "database '%s': %s", db, err);
		return;
	}
	if (p->conf->tables_top > 0) {
		r = pg_conn_query(&conn, pg_sql_tables(conn.server_version), 1, params, deadline,
				  err, sizeof(err));
		if (r) {
			pg_emit_tables(p->slow, p->section->name, db, r);
			PQclear(r);
			r = pg_conn_query(&conn, pg_sql_table_sizes(conn.server_version), 1, params,
					  deadline, err, sizeof(err));
		}
		if (r) {
			pg_emit_table_sizes(p->slow, p->section->name, db, r);
			PQclear(r);
		} else {
			log_complain(&p->complaints[Q_TABLE_SIZES], LOG_LEVEL_WARN, "postgres",
				     p->section->name, "tables of database '%s': %s", db, err);
		}
	}
	/* learned after the first read: a row of pg_stat_statements is the
	 * agent's once its id is known, whenever it ran */
	if (tv && pg_conn_ok(&conn) && read_tsdb(p, &conn, db, tv, deadline))
		learn_tsdb_ids(p, i, &conn, deadline);
	pg_conn_close(&conn);
}

/* Sizes of databases and tables: every slow_interval, kept in between. */
static void run_slow(struct pg *p, int64_t deadline)
{
	const char *target = p->section->name;
	char limit[24];
	snprintf(limit, sizeof(limit), "%lld", (long long)p->conf->tables_top);
	const char *params[] = { limit };
	batch_reset(p->slow);
	PGresult *r = run(p, Q_SETTINGS, 0, NULL, deadline);
	if (r) {
		pg_emit_settings(p->slow, target, r);
		PQclear(r);
	}
	r = run(p, Q_DATABASE_SIZE, 0, NULL, deadline);
	if (r) {
		pg_emit_database_size(p->slow, target, r);
		PQclear(r);
	}
	/* what changes seldom or costs with the size of pg_wal: role limits,
	 * the WAL directory (pg_ls_waldir lists every segment) */
	run_emit(p, Q_ROLES, pg_emit_roles, p->slow, deadline);
	run_emit(p, Q_WAL_DIR, pg_emit_wal_dir, p->slow, deadline);
	if (p->conf->tables_top > 0 && p->own_tables && pg_conn_ok(&p->conn)) {
		r = run(p, Q_TABLE_SIZES, 1, params, deadline);
		if (r) {
			pg_emit_table_sizes(p->slow, target, p->dbname, r);
			PQclear(r);
		}
	}
	struct tsdb_view *tv = p->conf->timescaledb ? tsdb_view_new() : NULL;
	if (tv && pg_conn_ok(&p->conn)) {
		int here = read_tsdb(p, &p->conn, p->dbname, tv, deadline);
		if (here && !p->tsdb_here) { /* its texts are the agent's too */
			p->own_due = 1;
			p->next_own_ms = 0;
		}
		p->tsdb_here = here;
	}
	for (size_t i = 0; (p->conf->tables_top > 0 || tv) && i < p->conf->databases.n; i++)
		if (strcmp(p->conf->databases.items[i], p->dbname) != 0)
			other_database(p, i, params, tv, deadline);
	tsdb_view_unref(p->tsdb);
	p->tsdb = NULL;
	if (tv && tv->ndatabases) {
		tv->collected_at = now_wall();
		p->tsdb = tv;
	} else {
		tsdb_view_unref(tv);
	}
}

/* dbpulse_pg_query_* per query, postgres_exporter's pg_scrape_collector_*
 * per collector, and its pg_exporter_* of the whole collection. */
static void add_query_stats(struct pg *p, struct batch *b, double seconds)
{
	const char *target = p->section->name;
	int failed = 0;
	for (int q = 0; q < Q_COUNT; q++) {
		const struct pg_query_stat *st = &p->stats[q];
		if (!st->ran)
			continue;
		const char *l[] = { "target", target, "query", query_names[q] };
		batch_addv(b, m_q_duration.name, m_q_duration.help, m_q_duration.type, st->seconds, l, 2);
		batch_addv(b, m_q_success.name, m_q_success.help, m_q_success.type, st->ok, l, 2);
		failed |= q < Q_DATABASE_SIZE && !st->ok;
	}
	for (size_t i = 0; i < sizeof(collectors) / sizeof(collectors[0]); i++) {
		double d = 0;
		int ran = 0, ok = 1;
		for (int k = 0; k < collectors[i].n; k++) {
			const struct pg_query_stat *st = &p->stats[collectors[i].q[k]];
			if (!st->ran)
				continue;
			ran = 1;
			ok &= st->ok;
			d += st->seconds;
		}
		if (!ran)
			continue;
		const char *l[] = { "target", target, "collector", collectors[i].collector };
		batch_addv(b, m_collector_duration.name, m_collector_duration.help,
			   m_collector_duration.type, d, l, 2);
		batch_addv(b, m_collector_success.name, m_collector_success.help,
			   m_collector_success.type, ok, l, 2);
	}
	const char *t[] = { "target", target };
	p->scrapes++;
	batch_addv(b, m_scrapes.name, m_scrapes.help, m_scrapes.type, (double)p->scrapes, t, 1);
	batch_addv(b, m_scrape_duration.name, m_scrape_duration.help, m_scrape_duration.type, seconds,
		   t, 1);
	batch_addv(b, m_scrape_error.name, m_scrape_error.help, m_scrape_error.type,
		   failed || !pg_conn_ok(&p->conn), t, 1);
	limit_counts_add(&p->limits, b, "target", target);
}

/* The advisors' statements are the agent's own too (pg_advisor_own_ids:
 * those learned since the last call, or all of them again after own was
 * learned anew). */
static void add_advisor_ids(struct pg *p, int again)
{
	p->advisor_ids_seen = pg_advisor_own_ids(&p->own, again ? ~p->advisor_ids_seen
								 : p->advisor_ids_seen);
}

/* Up to this many texts come from pg_stmt_collect.c (pg_stmts_sql), and
 * from pg_tsdb.c (pg_tsdb_sql). */
#define STMTS_SQL_MAX 8
#define TSDB_SQL_MAX 8

/* The query ids of the agent's own statements (pg_own.h): every text of
 * query_sql and of pg_stmt_collect.c, learned on a new connection before it
 * reads pg_stat_statements, through a short second connection; after a
 * failure, again a slow_interval later.  Before PostgreSQL 14 there are
 * no query ids to learn: said once. */
static void learn_own(struct pg *p, int64_t deadline)
{
	const char *target = p->section->name;
	int version = p->conn.server_version;
	int64_t now = now_mono_ms();
	if (!p->own_due || now < p->next_own_ms)
		return;
	if (p->own_later) {
		p->own_later = 0;
		return;
	}
	if (!pg_sql_own(version)) {
		if (!p->own_unsupported_said)
			log_info("postgres", target, "PostgreSQL %d shows no query ids (14 and later "
				 "do): the agent's own statements are shown with the others",
				 version / 10000);
		p->own_unsupported_said = 1;
		p->own_due = 0;
		return;
	}
	const char *sql[Q_COUNT + STMTS_SQL_MAX + TSDB_SQL_MAX];
	char *stmts_sql[STMTS_SQL_MAX];
	size_t n = 0, ns = pg_stmts_sql(p->stmts, version, stmts_sql, STMTS_SQL_MAX);
	for (int q = 0; q < Q_COUNT; q++)
		if (query_sql[q])
			sql[n++] = query_sql[q](version);
	for (size_t i = 0; i < ns; i++)
		sql[n++] = stmts_sql[i];
	/* pg_tsdb.c's: its first (is the extension there?) runs in every
	 * database, the others where it is */
	for (size_t i = 0; p->conf->timescaledb && pg_tsdb_sql[i] && i < TSDB_SQL_MAX; i++)
		if (i == 0 || p->tsdb_here)
			sql[n++] = pg_tsdb_sql[i];

	struct pg_query_stat *st = &p->stats[Q_OWN];
	struct pg_conn observer = { 0 };
	char err[512];
	double t0 = now_mono();
	int rc = pg_connect(p, &observer, p->dbname, deadline, err, sizeof(err));
	if (rc == 0)
		rc = pg_own_learn(&p->own, &p->conn, &observer, sql, n, deadline, err, sizeof(err));
	pg_conn_close(&observer);
	for (size_t i = 0; i < ns; i++)
		free(stmts_sql[i]);
	st->ran = 1;
	st->ok = rc >= 0;
	st->seconds = now_mono() - t0;
	if (rc < 0) {
		p->next_own_ms = now + p->conf->slow_interval_ms;
		log_complain(&p->complaints[Q_OWN], LOG_LEVEL_WARN, "postgres", target,
			     "cannot tell the agent's own statements apart, they are shown with "
			     "the others: %s", err);
		return;
	}
	p->own_due = 0;
	p->own_version = version;
	memset(p->tsdb_learned, 0, p->conf->databases.n);
	add_advisor_ids(p, 1);
	log_complaint_clear(&p->complaints[Q_OWN], "postgres", target,
			    "the agent's own statements are told apart again");
	log_debug("postgres", target, "the query ids of %d of the agent's statements are known", rc);
}

/* The statements of pg_stat_statements (pg_stmt_collect.c), as one query. */
static void run_statements(struct pg *p, struct batch *b, int64_t deadline)
{
	const char *target = p->section->name;
	char serr[512] = "";
	if (pg_stmts_check(p->stmts, &p->conn, target, deadline) > 0)
		learn_own(p, deadline);
	add_advisor_ids(p, 0);
	/* the cycle's queries so far: what a read of texts is weighed against */
	double others = 0;
	for (int q = 0; q < Q_STATEMENTS; q++)
		others += p->stats[q].ran ? p->stats[q].seconds : 0;
	double t0 = now_mono();
	int rc = pg_stmts_collect(p->stmts, &p->conn, target, others * 1000.0, b, deadline, serr,
				  sizeof(serr));
	struct pg_query_stat *st = &p->stats[Q_STATEMENTS];
	st->ran = 1;
	st->ok = rc == 0;
	st->seconds = now_mono() - t0;
	if (rc == 0)
		pg_stmts_view(p->stmts, p->view);
	if (rc < 0 && pg_conn_ok(&p->conn))
		log_complain(&p->complaints[Q_STATEMENTS], LOG_LEVEL_WARN, "postgres", target,
			     "statements: %s", serr);
	else if (rc == 0)
		log_complaint_clear(&p->complaints[Q_STATEMENTS], "postgres", target,
				    "statements collected again");
}

/* pg_stat_activity's busy sessions for /api/activity. */
static void take_sessions(struct pg *p, const PGresult *r)
{
	pg_sessions_fill(p->view, r, (size_t)p->conf->statements_query_length * 4);
	if (p->view->sessions_truncated)
		limit_reached(&p->limits, PL_SESSIONS, "postgres", p->section->name,
			      "more than %d sessions are busy; /api/activity shows the %d with "
			      "the oldest transactions", DBVIEW_MAX_SESSIONS, DBVIEW_MAX_SESSIONS);
}

/* Takes a finished advisor pass, starts one when due (pg_advice.h), and
 * gives the last pass's result to this cycle's view and metrics: the
 * count of each kind and severity per database (zeros too, so that a rule
 * can tell "none" from "not looked"). */
static void add_advice(struct pg *p, struct batch *b)
{
	if (!p->advisor)
		return;
	const struct db_view *v = p->view;
	const struct statement_window *longest =
		v->has_statements && v->nwindows ? &v->windows[v->nwindows - 1] : NULL;
	struct advice_view *done = pg_advisor_poll(p->advisor, p->dbname[0] ? p->dbname : NULL,
						   now_mono_ms(), longest);
	if (done) {
		advice_view_unref(p->advice);
		p->advice = done;
	}
	p->view->advice_enabled = 1;
	const struct advice_view *a = p->advice;
	if (!a)
		return;
	p->view->advice = advice_view_ref(p->advice);
	const char *target = p->section->name;
	const char *t[] = { "target", target };
	batch_addv(b, m_advice_last_run.name, m_advice_last_run.help, m_advice_last_run.type,
		   a->started_at + a->duration, t, 1);
	batch_addv(b, m_advice_duration.name, m_advice_duration.help, m_advice_duration.type,
		   a->duration, t, 1);
	for (size_t d = 0; d < a->ndatabases; d++) {
		const char *dl[] = { "target", target, "datname", a->databases[d] };
		batch_addv(b, m_advice_database_ok.name, m_advice_database_ok.help,
			   m_advice_database_ok.type, a->database_ok[d], dl, 2);
		for (size_t k = 0; advice_kinds[k]; k++)
			for (size_t s = 0; strcmp(advice_kinds[k], "plan") != 0 && advice_severities[s]; s++) {
				size_t n = 0;
				for (size_t i = 0; i < a->nfindings; i++)
					n += strcmp(a->findings[i].datname, a->databases[d]) == 0 &&
					     strcmp(a->findings[i].kind, advice_kinds[k]) == 0 &&
					     strcmp(a->findings[i].severity, advice_severities[s]) == 0;
				const char *l[] = { "target", target, "datname", a->databases[d],
						    "kind", advice_kinds[k], "severity",
						    advice_severities[s] };
				batch_addv(b, m_advice_findings.name, m_advice_findings.help,
					   m_advice_findings.type, (double)n, l, 4);
			}
	}
}

/* The health queries of every cycle after the server's, sent together
 * (run_pipelined), and their samples. */
static void run_cycle_queries(struct pg *p, struct batch *b, int64_t deadline)
{
	const char *target = p->section->name;
	char limit[24], qlen[24], max_sessions[24];
	snprintf(limit, sizeof(limit), "%lld", (long long)p->conf->tables_top);
	snprintf(qlen, sizeof(qlen), "%lld", (long long)p->conf->statements_query_length);
	snprintf(max_sessions, sizeof(max_sessions), "%d", DBVIEW_MAX_SESSIONS);
	const char *const tables_params[] = { limit };
	const char *const session_params[] = { qlen, max_sessions };
	struct pg_cycle_query qs[] = {
		{ Q_STAT_DATABASE, 0, NULL }, { Q_CONFLICTS, 0, NULL }, { Q_DATABASE, 0, NULL },
		{ Q_ACTIVITY, 0, NULL }, { Q_SESSIONS, 2, session_params }, { Q_LOCKS, 0, NULL },
		{ Q_REPLICATION, 0, NULL }, { Q_STANDBY, 0, NULL }, { Q_WAL_RECEIVER, 0, NULL },
		{ Q_SLOTS, 0, NULL }, { Q_ARCHIVER, 0, NULL }, { Q_WAL, 0, NULL },
		{ Q_BGWRITER, 0, NULL }, { Q_CHECKPOINTER, 0, NULL },
		{ Q_PROGRESS_VACUUM, 0, NULL }, { Q_TABLES, 1, tables_params },
	};
	size_t n = sizeof(qs) / sizeof(qs[0]);
	if (!(p->conf->tables_top > 0 && p->own_tables))
		n--; /* Q_TABLES, last */
	PGresult *res[Q_COUNT] = { 0 };
	run_pipelined(p, qs, n, res, deadline);

	PGresult *r;
	if ((r = res[Q_STAT_DATABASE]))
		pg_emit_stat_database(b, target, r);
	if ((r = res[Q_CONFLICTS]))
		pg_emit_conflicts(b, target, p->server, r);
	if ((r = res[Q_DATABASE]))
		pg_emit_database(b, target, r);
	if ((r = res[Q_ACTIVITY]))
		pg_emit_activity(b, target, r, &p->info);
	if ((r = res[Q_SESSIONS]))
		take_sessions(p, r);
	if ((r = res[Q_LOCKS]))
		pg_emit_locks(b, target, r);
	if ((r = res[Q_REPLICATION]))
		pg_emit_replication(b, target, r);
	if ((r = res[Q_STANDBY]))
		pg_emit_standby(b, target, r);
	if ((r = res[Q_WAL_RECEIVER]))
		pg_emit_wal_receiver(b, target, r, p->info.in_recovery);
	if ((r = res[Q_SLOTS]))
		pg_emit_slots(b, target, r);
	if ((r = res[Q_ARCHIVER]))
		pg_emit_archiver(b, target, r);
	if ((r = res[Q_WAL]))
		pg_emit_wal(b, target, r);
	if ((r = res[Q_BGWRITER]))
		pg_emit_bgwriter(b, target, r);
	if ((r = res[Q_CHECKPOINTER]))
		pg_emit_checkpointer(b, target, r);
	if ((r = res[Q_TABLES]))
		pg_emit_tables(b, target, p->dbname, r);
	if ((r = res[Q_PROGRESS_VACUUM]))
		pg_emit_progress_vacuum(b, target, r);
	for (int q = 0; q < Q_COUNT; q++)
		PQclear(res[q]);
}

static int pg_collect(void *instance, struct batch *b, int64_t deadline, char *err, size_t errlen)
{
	struct pg *p = instance;
	const char *target = p->section->name;
	const char *t[] = { "target", target };
	double started = now_mono();
	build_info_add(b, "postgres_exporter", BUILD_INFO_CLIENT_GOLANG, target);

	/* the slow queries' figures stay until they run again, like their samples */
	for (int q = 0; q < Q_DATABASE_SIZE; q++)
		p->stats[q].ran = 0;
	db_view_free(p->view);
	p->view = db_view_new();
	p->view->collected_at = now_wall();
	/* a kept connection may have died with a server restart: the first
	 * query tells, and one new connection is tried at once */
	PGresult *server = NULL;
	for (int attempt = 0; attempt < 2 && !server; attempt++) {
		if (!pg_conn_ok(&p->conn) && pg_connect(p, &p->conn, NULL, deadline, err, errlen) < 0)
			break;
		server = run(p, Q_SERVER, 0, NULL, deadline);
		if (!server && pg_conn_ok(&p->conn)) {
			snprintf(err, errlen, "the server query failed");
			break;
		}
	}
	if (!server) {
		if (!err[0])
			snprintf(err, errlen, "cannot query the server");
		batch_addv(b, m_up.name, m_up.help, m_up.type, 0, t, 1);
		add_query_stats(p, b, now_mono() - started);
		return -1;
	}
	memset(&p->info, 0, sizeof(p->info));
	pg_emit_server(b, target, p->server, server, &p->info);
	PQclear(server);

	run_cycle_queries(p, b, deadline);
	if (pg_conn_ok(&p->conn))
		run_statements(p, b, deadline);
	/* the expensive ones last: they may wait on a lock, under lock_timeout */
	int64_t now = now_mono_ms();
	if (now >= p->next_slow_ms && pg_conn_ok(&p->conn)) {
		run_slow(p, deadline);
		p->next_slow_ms = now + p->conf->slow_interval_ms;
	}
	batch_append(b, p->slow);
	p->view->tsdb = tsdb_view_ref(p->tsdb);
	add_advice(p, b);

	int up = pg_conn_ok(&p->conn);
	batch_addv(b, m_up.name, m_up.help, m_up.type, up, t, 1);
	add_query_stats(p, b, now_mono() - started);
	if (!up) {
		snprintf(err, errlen, "the connection was lost during the collection");
		return -1;
	}
	return 0;
}

/* This cycle's statements and sessions go to the store with the metrics. */
static void *pg_view(void *instance)
{
	struct pg *p = instance;
	struct db_view *v = p->view;
	p->view = NULL;
	return v;
}

const struct collector postgres_collector = {
	.name = "postgres",
	.init = pg_init,
	.collect = pg_collect,
	.free = pg_free,
	.view = pg_view,
	.view_kind = VIEW_DATABASE,
	.view_free = db_view_free,
};

const struct config_kind postgres_kind = {
	.name = "postgres",
	.named = 1,
	.keys = pg_keys,
	.shared_keys = conf_target_password_shared,
	.conf_size = sizeof(struct pg_config),
	.validate = pg_validate,
	.describe = pg_describe,
	.check_config = conf_check_password_file,
	.collector = &postgres_collector,
};
