/*
 * pgbouncer.c -- [pgbouncer "NAME"] sections and the PgBouncer collector.
 *
 * The scheduler creates one instance per section (pgb_init) and calls
 * pgb_collect() each interval on the target's own worker thread.  The
 * instance keeps one connection to PgBouncer's admin console between
 * cycles; a broken one is re-opened at the next attempt (and once at
 * once when the kept connection turns out dead at the first query, as after
 * a PgBouncer restart).  Every query goes through pg_conn.c under the
 * cycle's deadline, as a simple-protocol query (PQsendQuery without
 * parameters: the console speaks nothing else).  The console refuses
 * startup parameters it does not track, so unlike postgres.c no `options`
 * (statement_timeout) are sent: only application_name, which PgBouncer
 * tracks, and libpq's connect_timeout, which stays on the client.
 *
 * An instance owns its connection, its counters and one log complaint per
 * query.  The section is borrowed from the config, which outlives it.
 */
#include "autoconfig.h"
#include "build_info.h"
#include "pgbouncer.h"
#include "dbview.h"
#include "log.h"
#include "metrics.h"
#include "pg_conn.h"
#include "pgb_show.h"
#include "strutil.h"
#include "xalloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

/* ---- configuration ---------------------------------------------------- */

#define PGB_KEY(k) offsetof(struct pgb_config, k)

static const struct config_key pgb_keys[] = {
	{ .name = "dsn", .type = CONF_STRING, .offset = PGB_KEY(dsn), .required = 1 },
	{ .name = "timeout", .type = CONF_DURATION, .offset = PGB_KEY(common.timeout_ms),
	  .def = "5s", .min = 100,
	  .max = CONF_MS_HOUR,
	  .fit_default = conf_fit_timeout },
	{ .name = NULL },
};

static int pgb_validate(void *conf, char *err, size_t errlen)
{
	struct pgb_config *c = conf;
	if (pg_dsn_check(c->dsn, err, errlen) < 0)
		return -1;
	if (conf_check_target(&c->common, err, errlen) < 0)
		return -1;
	return 0;
}

static void pgb_describe(const struct config_section *s, struct buf *out)
{
	const struct pgb_config *c = s->conf;
	conf_describe_target(s->label, &c->common, out);
	/* the DSN holds no password (pgb_validate refuses one) */
	buf_printf(out, ": '%s'%s", c->dsn,
		   conf_password_source(&c->common));
}

/* ---- the instance ----------------------------------------------------- */

enum pgb_query { Q_VERSION, Q_LISTS, Q_CONFIG, Q_DATABASES, Q_STATS, Q_POOLS, Q_CLIENTS, Q_COUNT };

typedef void (*pgb_emit_fn)(struct batch *b, const char *target, const PGresult *r,
			    struct pgb_info *info);

static const struct {
	const char *name;
	const char *sql;
	pgb_emit_fn emit;
} queries[Q_COUNT] = {
	{ "version", "SHOW VERSION", pgb_emit_version },
	{ "lists", "SHOW LISTS", pgb_emit_lists },
	{ "config", "SHOW CONFIG", pgb_emit_config },
	{ "databases", "SHOW DATABASES", pgb_emit_databases },
	{ "stats_totals", "SHOW STATS_TOTALS", pgb_emit_stats_totals },
	{ "pools", "SHOW POOLS", pgb_emit_pools },
	{ "clients", "SHOW CLIENTS", pgb_emit_clients },
};

struct pgb_query_stat {
	int ran;                 /* in this cycle */
	int ok;
	double seconds;
};

struct pgb {
	const struct config_section *section;
	const struct pgb_config *conf;
	struct pg_conn conn;
	uint64_t bad_rows;                /* since the start */
	struct pgb_query_stat stats[Q_COUNT];
	struct log_complaint complaints[Q_COUNT];
	struct limit_counts limits;       /* enum pgb_limit */
	struct pools_view *view;          /* this cycle's, until published */
};

static const char *const pgb_limit_names[PGBL_COUNT + 1] = { "pgbouncer_rows", "pgbouncer_pools_view",
								      NULL };

static const struct metric_desc m_up = {
	"pgbouncer_up", "Whether the last collection could connect to PgBouncer's admin console "
	"and query it.", METRIC_GAUGE };
static const struct metric_desc m_q_duration = {
	"dbpulse_pgbouncer_query_duration_seconds",
	"How long the collector's SHOW command took, last time it ran.", METRIC_GAUGE };
static const struct metric_desc m_q_success = {
	"dbpulse_pgbouncer_query_success",
	"Whether the collector's SHOW command succeeded, last time it ran.", METRIC_GAUGE };
static const struct metric_desc m_parse_errors = {
	"dbpulse_parse_errors_total", "Values of the source that did not parse and were skipped "
	"(for PgBouncer: rows).", METRIC_COUNTER };

static void *pgb_init(const struct config_section *section, char *err, size_t errlen)
{
	if (pg_libpq_load(err, errlen) < 0)
		return NULL;
	struct pgb *p = xcalloc(1, sizeof(*p));
	p->section = section;
	p->conf = section->conf;
	limit_counts_init(&p->limits, pgb_limit_names);
	return p;
}

static void pgb_free(void *instance)
{
	struct pgb *p = instance;
	if (!p)
		return;
	pg_conn_close(&p->conn);
	pools_view_free(p->view);
	free(p);
}

static int pgb_connect(struct pgb *p, int64_t deadline, char *err, size_t errlen)
{
	const struct pgb_config *c = p->conf;
	/* the console is the database "pgbouncer"; libpq's default would be
	 * the user's name */
	const struct pg_dsn d = {
		.dsn = c->dsn,
		.password_file = c->common.password_file,
		.password_env = c->common.password_env,
		.timeout_ms = c->common.timeout_ms, .default_dbname = "pgbouncer",
	};
	int rc = pg_conn_open_dsn(&p->conn, &d, deadline, err, errlen);
	if (rc == 0)
		log_info("pgbouncer", p->section->name, "connected to the admin console");
	return rc;
}

/* Runs query q and hands its result to its emitter; records its stats. */
static int run(struct pgb *p, enum pgb_query q, struct batch *b, struct pgb_info *info,
	       int64_t deadline)
{
	struct pgb_query_stat *st = &p->stats[q];
	char err[512];
	double t0 = now_mono();
	PGresult *r = pg_conn_query(&p->conn, queries[q].sql, 0, NULL, deadline, err, sizeof(err));
	st->ran = 1;
	st->ok = r != NULL;
	st->seconds = now_mono() - t0;
	if (!r) {
		if (pg_conn_ok(&p->conn))
			log_complain(&p->complaints[q], LOG_LEVEL_WARN, "pgbouncer", p->section->name,
				     "%s failed: %s", queries[q].sql, err);
		return -1;
	}
	log_complaint_clear(&p->complaints[q], "pgbouncer", p->section->name, "%s works again",
			    queries[q].sql);
	queries[q].emit(b, p->section->name, r, info);
	if (q == Q_POOLS)
		pgb_pools_fill(p->view, r);
	PQclear(r);
	return 0;
}

/* SHOW VERSION, first: it tells whether the kept connection still works;
 * a dead one is replaced once at once. */
static int first_query(struct pgb *p, struct batch *b, struct pgb_info *info, int64_t deadline,
		       char *err, size_t errlen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!pg_conn_ok(&p->conn) && pgb_connect(p, deadline, err, errlen) < 0)
			return -1;
		if (run(p, Q_VERSION, b, info, deadline) == 0)
			return 0;
		if (pg_conn_ok(&p->conn))
			return 0; /* the console answered, with an error: carry on */
	}
	snprintf(err, errlen, "the connection was lost at the first query");
	return -1;
}

static void add_own_metrics(struct pgb *p, struct batch *b, const struct pgb_info *info)
{
	const char *target = p->section->name;
	const char *t[] = { "target", target };
	p->bad_rows += info->bad_rows;
	if (info->rows_cut)
		limit_reached_n(&p->limits, PGBL_ROWS, info->rows_cut, "pgbouncer", target,
				"a SHOW result has more than %d rows; the rest are ignored",
				PGB_MAX_ROWS);
	if (p->view->pools_cut)
		limit_reached_n(&p->limits, PGBL_POOLS_VIEW, p->view->pools_cut, "pgbouncer", target,
				"SHOW POOLS has more than %d rows; /api/pools shows the first %d",
				DBVIEW_MAX_POOLS, DBVIEW_MAX_POOLS);
	for (int q = 0; q < Q_COUNT; q++) {
		const struct pgb_query_stat *st = &p->stats[q];
		if (!st->ran)
			continue;
		const char *l[] = { "target", target, "query", queries[q].name };
		batch_addv(b, m_q_duration.name, m_q_duration.help, m_q_duration.type, st->seconds, l, 2);
		batch_addv(b, m_q_success.name, m_q_success.help, m_q_success.type, st->ok, l, 2);
	}
	batch_addv(b, m_parse_errors.name, m_parse_errors.help, m_parse_errors.type,
		   (double)p->bad_rows, t, 1);
	limit_counts_add(&p->limits, b, "target", target);
}

static int pgb_collect(void *instance, struct batch *b, int64_t deadline, char *err,
		       size_t errlen)
{
	struct pgb *p = instance;
	const char *t[] = { "target", p->section->name };
	struct pgb_info info = { 0 };
	build_info_add(b, "pgbouncer_exporter", BUILD_INFO_CLIENT_GOLANG, p->section->name);
	for (int q = 0; q < Q_COUNT; q++)
		p->stats[q].ran = 0;
	pools_view_free(p->view);
	p->view = pools_view_new();
	p->view->collected_at = now_wall();
	int rc = first_query(p, b, &info, deadline, err, errlen);
	for (int q = Q_VERSION + 1; rc == 0 && q < Q_COUNT && pg_conn_ok(&p->conn); q++)
		run(p, (enum pgb_query)q, b, &info, deadline);
	if (rc == 0)
		pgb_emit_utilization(b, p->section->name, &info);
	add_own_metrics(p, b, &info);
	int up = rc == 0 && pg_conn_ok(&p->conn);
	batch_addv(b, m_up.name, m_up.help, m_up.type, up, t, 1);
	if (!up) {
		if (!err[0])
			snprintf(err, errlen, "the connection was lost during the collection");
		return -1;
	}
	return 0;
}

/* This cycle's pools go to the store with the metrics (/api/pools). */
static void *pgb_view(void *instance)
{
	struct pgb *p = instance;
	struct pools_view *v = p->view;
	p->view = NULL;
	return v;
}

const struct collector pgbouncer_collector = {
	.name = "pgbouncer",
	.init = pgb_init,
	.collect = pgb_collect,
	.free = pgb_free,
	.view = pgb_view,
	.view_kind = VIEW_POOLS,
	.view_free = pools_view_free,
};

const struct config_kind pgbouncer_kind = {
	.name = "pgbouncer",
	.named = 1,
	.keys = pgb_keys,
	.shared_keys = conf_target_password_shared,
	.conf_size = sizeof(struct pgb_config),
	.validate = pgb_validate,
	.describe = pgb_describe,
	.check_config = conf_check_password_file,
	.collector = &pgbouncer_collector,
};
