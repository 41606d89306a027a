/*
 * pg_tsdb.c -- TimescaleDB's hypertables, jobs, continuous aggregates and
 * job errors in one database (see pg_tsdb.h).
 *
 * One query tells whether the extension is installed, its version, where
 * its functions live (_timescaledb_functions since 2.12, before that
 * _timescaledb_internal) and whether the job_errors view exists; then the
 * four reads go together in one round trip (pg_conn_pipeline).  Times come
 * as epoch seconds computed by the server (now() is the server's clock), so
 * ages need no clock of ours.  Checked against TimescaleDB 2.23 (PGlite,
 * the test suite); the views and functions used are those of 2.x.
 */
#include "autoconfig.h"
#include "pg_tsdb.h"
#include "dbview.h"
#include "metrics.h"
#include "pg_conn.h"
#include "pg_health.h"

#include <stdio.h>
#include <string.h>
#include "banned.h"

#define SQL_DETECT \
	"SELECT e.extversion, to_regclass('timescaledb_information.job_errors') IS NOT NULL, " \
	"to_regnamespace('_timescaledb_functions') IS NOT NULL " \
	"FROM pg_catalog.pg_extension e WHERE e.extname = 'timescaledb'"

/* $1: how many, the largest first.  The chunks view is read once,
 * grouped (a subquery per hypertable would read it per hypertable).  The
 * compression policy's compress_after as an interval (an integer one
 * belongs to an integer dimension, whose chunks have no time range: left
 * out). */
#define SQL_HYPERTABLES \
	"WITH p AS (SELECT j.hypertable_schema, j.hypertable_name, " \
	" (j.config->>'compress_after')::interval AS after, j.schedule_interval " \
	" FROM timescaledb_information.jobs j WHERE j.proc_name = 'policy_compression' " \
	" AND j.proc_schema IN ('_timescaledb_functions', '_timescaledb_internal') " \
	" AND jsonb_typeof(j.config->'compress_after') = 'string'), " \
	"c AS (SELECT c.hypertable_schema, c.hypertable_name, " \
	" count(*) FILTER (WHERE c.is_compressed) AS compressed, max(c.range_end) AS newest, " \
	" count(*) FILTER (WHERE NOT c.is_compressed " \
	"  AND c.range_end < now() - p.after - p.schedule_interval) AS overdue " \
	" FROM timescaledb_information.chunks c LEFT JOIN p USING (hypertable_schema, hypertable_name) " \
	" GROUP BY 1, 2) " \
	"SELECT h.hypertable_schema || '.' || h.hypertable_name, h.num_chunks, " \
	"coalesce(c.compressed, 0), s.table_bytes, s.index_bytes, s.toast_bytes, s.total_bytes, " \
	"cs.before_compression_total_bytes, cs.after_compression_total_bytes, " \
	"extract(epoch FROM c.newest), extract(epoch FROM p.after), " \
	"CASE WHEN p.after IS NOT NULL THEN coalesce(c.overdue, 0) END " \
	"FROM timescaledb_information.hypertables h " \
	"LEFT JOIN c USING (hypertable_schema, hypertable_name) " \
	"LEFT JOIN p USING (hypertable_schema, hypertable_name) " \
	"CROSS JOIN LATERAL hypertable_detailed_size(" \
	" format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass) s " \
	"LEFT JOIN LATERAL hypertable_compression_stats(" \
	" format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass) cs " \
	" ON cs.number_compressed_chunks > 0 " \
	"ORDER BY s.total_bytes DESC NULLS LAST, 1 LIMIT $1::bigint"

#define SQL_JOBS \
	"SELECT j.job_id, j.application_name, j.proc_schema || '.' || j.proc_name, " \
	"j.hypertable_schema || '.' || j.hypertable_name, j.scheduled, " \
	"extract(epoch FROM j.schedule_interval), s.last_run_status, s.total_runs, " \
	"s.total_failures, " \
	"CASE WHEN isfinite(s.last_successful_finish) " \
	" THEN extract(epoch FROM s.last_successful_finish) END, " \
	"CASE WHEN isfinite(s.last_successful_finish) " \
	" THEN extract(epoch FROM now() - s.last_successful_finish) END, " \
	"CASE WHEN isfinite(coalesce(s.next_start, j.next_start)) " \
	" THEN extract(epoch FROM coalesce(s.next_start, j.next_start)) END " \
	"FROM timescaledb_information.jobs j " \
	"LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id " \
	"ORDER BY j.job_id LIMIT " PG_TSDB_MAX_JOBS_SQL

#define PG_TSDB_MAX_JOBS_SQL "500"

/* A continuous aggregate's watermark is a time only over a time
 * dimension (FNS: the schema of TimescaleDB's functions); before its first
 * refresh it is the least time there is (4714-11-24 BC): none.  Its refresh policy leaves at most end_offset
 * plus one schedule_interval unmaterialized.  $1: how many. */
#define WATERMARK_LEAST "timestamptz '0001-01-01 00:00:00+00'"
#define SQL_CAGGS(FNS) \
	"SELECT ca.view_schema || '.' || ca.view_name, " \
	"ca.hypertable_schema || '.' || ca.hypertable_name, " \
	"hypertable_size(format('%I.%I', ca.materialization_hypertable_schema, " \
	" ca.materialization_hypertable_name)::regclass), " \
	"CASE WHEN wm.w >= " WATERMARK_LEAST " THEN extract(epoch FROM wm.w) END, " \
	"CASE WHEN wm.w >= " WATERMARK_LEAST " THEN extract(epoch FROM now() - wm.w) END, " \
	"extract(epoch FROM coalesce((j.config->>'end_offset')::interval, interval '0') " \
	" + j.schedule_interval) " \
	"FROM timescaledb_information.continuous_aggregates ca " \
	"JOIN _timescaledb_catalog.continuous_agg cat " \
	" ON cat.user_view_schema = ca.view_schema AND cat.user_view_name = ca.view_name " \
	"LEFT JOIN timescaledb_information.dimensions d " \
	" ON d.hypertable_schema = ca.hypertable_schema " \
	" AND d.hypertable_name = ca.hypertable_name AND d.dimension_number = 1 " \
	" AND d.column_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) " \
	"LEFT JOIN LATERAL (SELECT " FNS ".to_timestamp(" FNS ".cagg_watermark(" \
	" cat.mat_hypertable_id)) AS w WHERE d.column_type IS NOT NULL) wm ON true " \
	"LEFT JOIN timescaledb_information.jobs j " \
	" ON j.hypertable_schema = ca.view_schema AND j.hypertable_name = ca.view_name " \
	" AND j.proc_name = 'policy_refresh_continuous_aggregate' " \
	" AND jsonb_typeof(j.config->'end_offset') IS DISTINCT FROM 'number' " \
	"ORDER BY 3 DESC NULLS LAST, 1 LIMIT $1::bigint"

#define SQL_JOB_ERRORS \
	"SELECT e.job_id, e.proc_schema || '.' || e.proc_name, " \
	"j.hypertable_schema || '.' || j.hypertable_name, " \
	"extract(epoch FROM e.start_time), extract(epoch FROM e.finish_time), e.sqlerrcode, " \
	"e.err_message " \
	"FROM timescaledb_information.job_errors e " \
	"LEFT JOIN timescaledb_information.jobs j ON j.job_id = e.job_id " \
	"ORDER BY e.finish_time DESC NULLS LAST, e.start_time DESC LIMIT " JOB_ERRORS_SQL

#define JOB_ERRORS_SQL "50"

_Static_assert(PG_TSDB_MAX_JOBS == 500, "PG_TSDB_MAX_JOBS_SQL says 500");
_Static_assert(DBVIEW_MAX_JOB_ERRORS == 50, "JOB_ERRORS_SQL says 50");

const char *const pg_tsdb_sql[] = {
	SQL_DETECT, SQL_HYPERTABLES, SQL_JOBS, SQL_CAGGS("_timescaledb_functions"),
	SQL_CAGGS("_timescaledb_internal"), SQL_JOB_ERRORS, NULL,
};

static const struct metric_desc m_info = {
	"timescaledb_info", "The TimescaleDB extension installed in the database, by version.",
	METRIC_GAUGE };

static const struct metric_desc m_chunks = {
	"timescaledb_hypertable_chunks", "Chunks of the hypertable.", METRIC_GAUGE };
static const struct metric_desc m_compressed_chunks = {
	"timescaledb_hypertable_compressed_chunks", "Compressed chunks of the hypertable.",
	METRIC_GAUGE };
static const struct metric_desc m_size = {
	"timescaledb_hypertable_size_bytes",
	"Disk space of the hypertable and its chunks, by kind (table, index, toast, total: "
	"hypertable_detailed_size).", METRIC_GAUGE };
static const struct metric_desc m_before = {
	"timescaledb_hypertable_compression_before_bytes",
	"What the hypertable's compressed chunks took before compression.", METRIC_GAUGE };
static const struct metric_desc m_after = {
	"timescaledb_hypertable_compression_after_bytes",
	"What the hypertable's compressed chunks take compressed.", METRIC_GAUGE };
static const struct metric_desc m_newest_end = {
	"timescaledb_hypertable_newest_chunk_end_timestamp_seconds",
	"End of the newest chunk's time range, as a Unix timestamp: falls behind now when "
	"ingestion stops.", METRIC_GAUGE };
static const struct metric_desc m_compress_after = {
	"timescaledb_hypertable_compress_after_seconds",
	"The compression policy's compress_after.", METRIC_GAUGE };
static const struct metric_desc m_overdue = {
	"timescaledb_hypertable_compression_overdue_chunks",
	"Uncompressed chunks older than the compression policy's compress_after plus its schedule "
	"interval: the policy should have compressed them.", METRIC_GAUGE };

static const struct metric_desc m_job_success = {
	"timescaledb_job_last_run_success",
	"Whether the background job's last run succeeded (absent before its first run).",
	METRIC_GAUGE };
static const struct metric_desc m_job_runs = {
	"timescaledb_job_runs_total", "Runs of the background job.", METRIC_COUNTER };
static const struct metric_desc m_job_failures = {
	"timescaledb_job_failures_total", "Failed runs of the background job.", METRIC_COUNTER };
static const struct metric_desc m_job_last_success = {
	"timescaledb_job_last_success_timestamp_seconds",
	"When the background job last finished successfully, as a Unix timestamp.", METRIC_GAUGE };
static const struct metric_desc m_job_success_age = {
	"timescaledb_job_last_success_age_seconds",
	"How long ago the background job last finished successfully.", METRIC_GAUGE };
static const struct metric_desc m_job_next_start = {
	"timescaledb_job_next_start_timestamp_seconds",
	"When the background job runs next, as a Unix timestamp.", METRIC_GAUGE };
static const struct metric_desc m_job_interval = {
	"timescaledb_job_schedule_interval_seconds", "The background job's schedule interval.",
	METRIC_GAUGE };
static const struct metric_desc m_job_scheduled = {
	"timescaledb_job_scheduled", "Whether the background job is scheduled to run.",
	METRIC_GAUGE };

static const struct metric_desc m_cagg_size = {
	"timescaledb_continuous_aggregate_size_bytes",
	"Disk space of the continuous aggregate's materialized hypertable.", METRIC_GAUGE };
static const struct metric_desc m_cagg_watermark = {
	"timescaledb_continuous_aggregate_watermark_timestamp_seconds",
	"Up to when the continuous aggregate is materialized, as a Unix timestamp.", METRIC_GAUGE };
static const struct metric_desc m_cagg_lag = {
	"timescaledb_continuous_aggregate_lag_seconds",
	"How far the continuous aggregate's materialization is behind now.", METRIC_GAUGE };
static const struct metric_desc m_cagg_expected_lag = {
	"timescaledb_continuous_aggregate_expected_lag_seconds",
	"The most its refresh policy leaves unmaterialized: end_offset plus the schedule "
	"interval.", METRIC_GAUGE };

/* The labels of a sample: target, datname, then up to four more pairs. */
struct labels {
	const char *kv[12];
	size_t n;                    /* pairs */
};

static void add(struct batch *b, const struct metric_desc *d, double v, const struct labels *l)
{
	batch_addv(b, d->name, d->help, d->type, v, l->kv, l->n);
}

/* Adds the number in (row, col), if there is one. */
static void add_cell(struct batch *b, const struct metric_desc *d, const PGresult *r, int row,
		     int col, const struct labels *l)
{
	pg_emit_cell(b, d, r, row, col, 1, l->kv, l->n);
}

static void emit_hypertables(struct batch *b, const struct labels *base, const PGresult *r)
{
	static const char *const kinds[] = { "table", "index", "toast", "total" };
	for (int i = 0; i < PQntuples(r); i++) {
		struct labels l = *base;
		l.kv[2 * l.n] = "hypertable";
		l.kv[2 * l.n + 1] = pg_cell_str(r, i, 0);
		l.n++;
		add_cell(b, &m_chunks, r, i, 1, &l);
		add_cell(b, &m_compressed_chunks, r, i, 2, &l);
		for (int k = 0; k < 4; k++) {
			struct labels lk = l;
			lk.kv[2 * lk.n] = "kind";
			lk.kv[2 * lk.n + 1] = kinds[k];
			lk.n++;
			add_cell(b, &m_size, r, i, 3 + k, &lk);
		}
		add_cell(b, &m_before, r, i, 7, &l);
		add_cell(b, &m_after, r, i, 8, &l);
		add_cell(b, &m_newest_end, r, i, 9, &l);
		add_cell(b, &m_compress_after, r, i, 10, &l);
		add_cell(b, &m_overdue, r, i, 11, &l);
	}
}

/* The jobs' samples, and the jobs into t. */
static void emit_jobs(struct batch *b, const struct labels *base, const PGresult *r,
		      struct tsdb_job *jobs, struct view_arena *a, const char *datname)
{
	for (int i = 0; i < PQntuples(r); i++) {
		struct labels l = *base;
		const char *extra[] = {
			"job_id", pg_cell_str(r, i, 0), "application_name", pg_cell_str(r, i, 1),
			"proc_name", pg_cell_str(r, i, 2), "hypertable", pg_cell_str(r, i, 3),
		};
		memcpy(&l.kv[2 * l.n], extra, sizeof(extra));
		l.n += 4;
		const char *status = pg_cell(r, i, 6);
		int scheduled = pg_cell_str(r, i, 4)[0] == 't';
		if (status)
			add(b, &m_job_success, strcmp(status, "Success") == 0, &l);
		add(b, &m_job_runs, pg_cell_or_zero(r, i, 7), &l);
		add(b, &m_job_failures, pg_cell_or_zero(r, i, 8), &l);
		add_cell(b, &m_job_last_success, r, i, 9, &l);
		add_cell(b, &m_job_success_age, r, i, 10, &l);
		add_cell(b, &m_job_next_start, r, i, 11, &l);
		add_cell(b, &m_job_interval, r, i, 5, &l);
		add(b, &m_job_scheduled, scheduled, &l);

		struct tsdb_job *j = &jobs[i];
		double id = pg_cell_or_zero(r, i, 0);
		*j = (struct tsdb_job){
			.datname = datname,
			.application_name = view_strndup(a, pg_cell_str(r, i, 1), (size_t)-1, 256),
			.proc_name = view_strndup(a, pg_cell_str(r, i, 2), (size_t)-1, 256),
			.hypertable = view_strndup(a, pg_cell(r, i, 3), (size_t)-1, 256),
			.job_id = (int64_t)id, .scheduled = scheduled,
			.last_run = status ? strcmp(status, "Success") == 0 : -1,
			.last_success = pg_cell_or_zero(r, i, 9),
			.next_start = pg_cell_or_zero(r, i, 11),
			.schedule_interval = pg_cell_or_zero(r, i, 5),
			.runs = pg_cell_or_zero(r, i, 7), .failures = pg_cell_or_zero(r, i, 8),
		};
	}
}

static void emit_caggs(struct batch *b, const struct labels *base, const PGresult *r)
{
	for (int i = 0; i < PQntuples(r); i++) {
		struct labels l = *base;
		const char *extra[] = {
			"continuous_aggregate", pg_cell_str(r, i, 0),
			"hypertable", pg_cell_str(r, i, 1),
		};
		memcpy(&l.kv[2 * l.n], extra, sizeof(extra));
		l.n += 2;
		add_cell(b, &m_cagg_size, r, i, 2, &l);
		add_cell(b, &m_cagg_watermark, r, i, 3, &l);
		add_cell(b, &m_cagg_lag, r, i, 4, &l);
		add_cell(b, &m_cagg_expected_lag, r, i, 5, &l);
	}
}

static void take_errors(const PGresult *r, struct tsdb_job_error *errors, struct view_arena *a,
			const char *datname)
{
	for (int i = 0; i < PQntuples(r); i++)
		errors[i] = (struct tsdb_job_error){
			.datname = datname,
			.job_id = (int64_t)pg_cell_or_zero(r, i, 0),
			.proc_name = view_strndup(a, pg_cell_str(r, i, 1), (size_t)-1, 256),
			.hypertable = view_strndup(a, pg_cell(r, i, 2), (size_t)-1, 256),
			.start_time = pg_cell_or_zero(r, i, 3),
			.finish_time = pg_cell_or_zero(r, i, 4),
			.sqlerrcode = view_strndup(a, pg_cell(r, i, 5), (size_t)-1, 16),
			.message = view_strndup(a, pg_cell_str(r, i, 6), (size_t)-1, 2000),
		};
}

/* Room for n more elements of size `size` after the `have` of *arr, in
 * the arena (the old array is copied; arrays here are small and made
 * once per slow_interval).  The first new element. */
static void *grow(struct view_arena *a, void **arr, size_t have, size_t n, size_t size)
{
	char *fresh = view_alloc(a, (have + n) * size);
	if (have)
		memcpy(fresh, *arr, have * size);
	*arr = fresh;
	return fresh + have * size;
}

/* Takes the results of the reads (each NULL when it failed or did not
 * run) into b and t. */
static void take(struct batch *b, const struct labels *l, struct tsdb_view *t,
		 const char *datname, PGresult *const res[4])
{
	if (res[0])
		emit_hypertables(b, l, res[0]);
	if (res[1]) {
		size_t n = (size_t)PQntuples(res[1]);
		struct tsdb_job *jobs = grow(&t->arena, (void **)&t->jobs, t->njobs, n,
					     sizeof(*jobs));
		emit_jobs(b, l, res[1], jobs, &t->arena, datname);
		t->njobs += n;
	}
	if (res[2])
		emit_caggs(b, l, res[2]);
	if (res[3]) {
		size_t n = (size_t)PQntuples(res[3]);
		struct tsdb_job_error *e = grow(&t->arena, (void **)&t->errors, t->nerrors, n,
						sizeof(*e));
		take_errors(res[3], e, &t->arena, datname);
		t->nerrors += n;
	}
}

int pg_tsdb_collect(struct pg_conn *conn, const char *target, const char *datname, int64_t limit,
		    struct batch *b, struct tsdb_view *t, int64_t deadline_ms, char *err,
		    size_t errlen)
{
	PGresult *r = pg_conn_query(conn, SQL_DETECT, 0, NULL, deadline_ms, err, errlen);
	if (!r)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 0;
	}
	struct tsdb_database *d = grow(&t->arena, (void **)&t->databases, t->ndatabases, 1,
				       sizeof(*d));
	t->ndatabases++;
	const char *dat = view_strndup(&t->arena, datname, (size_t)-1, 256);
	*d = (struct tsdb_database){
		.datname = dat,
		.version = view_strndup(&t->arena, pg_cell_str(r, 0, 0), (size_t)-1, 64),
		.has_job_errors = pg_cell_str(r, 0, 1)[0] == 't',
	};
	int new_schema = pg_cell_str(r, 0, 2)[0] == 't';
	struct labels l = { .kv = { "target", target, "datname", datname }, .n = 2 };
	struct labels li = l;
	li.kv[4] = "version";
	li.kv[5] = d->version;
	li.n = 3;
	add(b, &m_info, 1, &li);
	PQclear(r);

	char lim[24];
	snprintf(lim, sizeof(lim), "%lld", (long long)limit);
	const char *const params[] = { lim };
	struct pg_pipelined q[4] = {
		{ .sql = SQL_HYPERTABLES, .nparams = 1, .params = params },
		{ .sql = SQL_JOBS },
		{ .sql = new_schema ? SQL_CAGGS("_timescaledb_functions")
				    : SQL_CAGGS("_timescaledb_internal"),
		  .nparams = 1, .params = params },
		{ .sql = SQL_JOB_ERRORS },
	};
	size_t n = d->has_job_errors ? 4 : 3;
	int rc = pg_conn_pipeline(conn, q, n, deadline_ms, err, errlen);
	PGresult *res[4] = { 0 };
	int ok = rc == 0;
	for (size_t i = 0; i < n; i++) {
		res[i] = q[i].result;
		if (!res[i] && ok) {
			snprintf(err, errlen, "%s", q[i].err);
			ok = 0;
		}
	}
	take(b, &l, t, dat, res);
	for (size_t i = 0; i < n; i++)
		PQclear(res[i]);
	d->ok = ok;
	return ok ? 1 : -1;
}
