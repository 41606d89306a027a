/*
 * pgb_show.c -- samples from PgBouncer's SHOW results (see pgb_show.h).
 * Called on a PgBouncer target's worker thread.
 *
 * The tabular commands (POOLS, STATS_TOTALS, DATABASES) share one table-driven
 * reader: a list of label columns and a list of value columns, each value
 * column naming its metric family and the factor to base units (µs to
 * seconds).  The columns are looked up by name once per result.  SHOW
 * CLIENTS is counted by its four label columns (sorted, then runs).
 */
#include "autoconfig.h"
#include "pgb_show.h"
#include "dbview.h"
#include "metrics.h"
#include "pg_conn.h"
#include "strutil.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

#define MAX_LABELS 8
#define MAX_VALUES 16

struct pgb_value {
	const char *column;
	const struct metric_desc *desc;
	double factor;
	int add_to_previous;      /* added to the previous column's value (maxwait_us) */
};

struct pgb_table {
	const char *const *labels;    /* column names, which are the label names too */
	size_t nlabels;
	const struct pgb_value *values;
	size_t nvalues;
};

/* The index of the column named name, or -1. */
static int column(const PGresult *r, const char *name)
{
	int n = PQnfields(r);
	for (int c = 0; c < n; c++) {
		const char *f = PQfname(r, c);
		if (f && strcmp(f, name) == 0)
			return c;
	}
	return -1;
}

static int rows(const PGresult *r, struct pgb_info *info)
{
	int n = PQntuples(r);
	if (n > PGB_MAX_ROWS) {
		info->rows_cut += (uint64_t)(n - PGB_MAX_ROWS);
		n = PGB_MAX_ROWS;
	}
	return n;
}

/* Parses the value columns of row into v (have[i]: not NULL).  Returns 0,
 * or -1 when a value is not a number. */
static int row_values(const PGresult *r, int row, const struct pgb_table *t, const int *cols,
		      double *v, int *have)
{
	for (size_t i = 0; i < t->nvalues; i++) {
		have[i] = 0;
		const char *s = cols[i] >= 0 ? pg_cell(r, row, cols[i]) : NULL;
		if (!s)
			continue;
		if (parse_double(s, &v[i]) < 0)
			return -1;
		v[i] *= t->values[i].factor;
		have[i] = 1;
	}
	return 0;
}

static void add_row(struct batch *b, const struct pgb_table *t, const double *v, const int *have,
		    const char *const *labels)
{
	for (size_t i = 0; i < t->nvalues; i++) {
		if (t->values[i].add_to_previous)
			continue;
		double sum = v[i];
		int any = have[i];
		if (i + 1 < t->nvalues && t->values[i + 1].add_to_previous && have[i + 1]) {
			sum = (any ? sum : 0) + v[i + 1];
			any = 1;
		}
		if (any) {
			const struct metric_desc *d = t->values[i].desc;
			batch_addv(b, d->name, d->help, d->type, sum, labels, t->nlabels + 1);
		}
	}
}

/* A column known under two names (cl_cancel_req and cl_waiting_cancel_req,
 * reserve_pool and reserve_pool_size) gives one family: should a result
 * have both, the first in the table wins, so that no series repeats. */
static void drop_renamed(const struct pgb_table *t, int *vcols)
{
	for (size_t i = 0; i < t->nvalues; i++)
		for (size_t j = 0; j < i && vcols[i] >= 0; j++)
			if (vcols[j] >= 0 && t->values[j].desc == t->values[i].desc &&
			    !t->values[i].add_to_previous)
				vcols[i] = -1;
}

static void emit_table(struct batch *b, const char *target, const PGresult *r,
		       const struct pgb_table *t, struct pgb_info *info)
{
	int lcols[MAX_LABELS], vcols[MAX_VALUES];
	for (size_t i = 0; i < t->nlabels; i++)
		lcols[i] = column(r, t->labels[i]);
	for (size_t i = 0; i < t->nvalues; i++)
		vcols[i] = column(r, t->values[i].column);
	drop_renamed(t, vcols);
	int n = rows(r, info);
	for (int row = 0; row < n; row++) {
		double v[MAX_VALUES];
		int have[MAX_VALUES];
		if (row_values(r, row, t, vcols, v, have) < 0) {
			info->bad_rows++;
			continue;
		}
		const char *labels[2 * (MAX_LABELS + 1)] = { "target", target };
		for (size_t i = 0; i < t->nlabels; i++) {
			const char *s = lcols[i] >= 0 ? pg_cell(r, row, lcols[i]) : NULL;
			labels[2 + 2 * i] = t->labels[i];
			labels[3 + 2 * i] = s ? s : "";
		}
		add_row(b, t, v, have, labels);
	}
}

/* ---- SHOW POOLS ------------------------------------------------------- */

#define GAUGE(var, name, help) \
	static const struct metric_desc var = { name, help, METRIC_GAUGE }
#define COUNTER(var, name, help) \
	static const struct metric_desc var = { name, help, METRIC_COUNTER }

GAUGE(m_cl_active, "pgbouncer_pools_client_active_connections",
      "Client connections linked to a server connection and able to process queries.");
GAUGE(m_cl_waiting, "pgbouncer_pools_client_waiting_connections",
      "Client connections waiting on a server connection.");
GAUGE(m_cl_active_cancel, "pgbouncer_pools_client_active_cancel_connections",
      "Client connections that have forwarded query cancellations to the server and wait for "
      "its response.");
GAUGE(m_cl_waiting_cancel, "pgbouncer_pools_client_waiting_cancel_connections",
      "Client connections that have not forwarded query cancellations to the server yet "
      "(cl_cancel_req before PgBouncer 1.18).");
GAUGE(m_sv_active, "pgbouncer_pools_server_active_connections",
      "Server connections linked to a client connection.");
GAUGE(m_sv_active_cancel, "pgbouncer_pools_server_active_cancel_connections",
      "Server connections currently forwarding a cancel request.");
GAUGE(m_sv_being_canceled, "pgbouncer_pools_server_being_canceled_connections",
      "Server connections that wait for in-flight cancel requests before becoming idle.");
GAUGE(m_sv_idle, "pgbouncer_pools_server_idle_connections",
      "Server connections idle and ready for a client query.");
GAUGE(m_sv_used, "pgbouncer_pools_server_used_connections",
      "Server connections idle longer than server_check_delay, needing server_check_query.");
GAUGE(m_sv_tested, "pgbouncer_pools_server_testing_connections",
      "Server connections running server_reset_query or server_check_query.");
GAUGE(m_sv_login, "pgbouncer_pools_server_login_connections",
      "Server connections in the process of logging in.");
GAUGE(m_maxwait, "pgbouncer_pools_client_maxwait_seconds",
      "Age of the oldest unserved client connection, in seconds (maxwait + maxwait_us).");

static const char *const pool_labels[] = { "database", "user" };
static const struct pgb_value pool_values[] = {
	{ "cl_active", &m_cl_active, 1, 0 },
	{ "cl_waiting", &m_cl_waiting, 1, 0 },
	{ "cl_active_cancel_req", &m_cl_active_cancel, 1, 0 },
	{ "cl_waiting_cancel_req", &m_cl_waiting_cancel, 1, 0 },
	{ "cl_cancel_req", &m_cl_waiting_cancel, 1, 0 },   /* 1.16, 1.17 */
	{ "sv_active", &m_sv_active, 1, 0 },
	{ "sv_active_cancel", &m_sv_active_cancel, 1, 0 },
	{ "sv_being_canceled", &m_sv_being_canceled, 1, 0 },
	{ "sv_idle", &m_sv_idle, 1, 0 },
	{ "sv_used", &m_sv_used, 1, 0 },
	{ "sv_tested", &m_sv_tested, 1, 0 },
	{ "sv_login", &m_sv_login, 1, 0 },
	{ "maxwait", &m_maxwait, 1, 0 },
	{ "maxwait_us", &m_maxwait, 1e-6, 1 },
};
static const struct pgb_table pools = {
	pool_labels, 2, pool_values, sizeof(pool_values) / sizeof(pool_values[0]),
};

void pgb_emit_pools(struct batch *b, const char *target, const PGresult *r,
		    struct pgb_info *info)
{
	emit_table(b, target, r, &pools, info);
}

/* ---- SHOW POOLS as the pools view ------------------------------------ */

enum { PC_DATABASE, PC_USER, PC_MODE, PC_CL_ACTIVE, PC_CL_WAITING, PC_SV_ACTIVE, PC_SV_IDLE,
       PC_SV_USED, PC_MAXWAIT, PC_MAXWAIT_US, PC_COUNT };
static const char *const pool_view_columns[PC_COUNT] = {
	"database", "user", "pool_mode", "cl_active", "cl_waiting", "sv_active", "sv_idle",
	"sv_used", "maxwait", "maxwait_us",
};

#define POOL_NAME_MAX 256

/* The number in column c of row into *v (0 when the column is missing or
 * NULL); -1 when it is not a number. */
static int pool_number(const PGresult *r, int row, int c, double *v)
{
	const char *s = c >= 0 ? pg_cell(r, row, c) : NULL;
	*v = 0;
	return s ? parse_double(s, v) : 0;
}

/* Row into p; -1 (nothing kept) when a value is not a number. */
static int pool_row(struct pools_view *v, const PGresult *r, int row, const int *cols,
		    struct pool_stat *p)
{
	double us;
	if (pool_number(r, row, cols[PC_CL_ACTIVE], &p->cl_active) < 0 ||
	    pool_number(r, row, cols[PC_CL_WAITING], &p->cl_waiting) < 0 ||
	    pool_number(r, row, cols[PC_SV_ACTIVE], &p->sv_active) < 0 ||
	    pool_number(r, row, cols[PC_SV_IDLE], &p->sv_idle) < 0 ||
	    pool_number(r, row, cols[PC_SV_USED], &p->sv_used) < 0 ||
	    pool_number(r, row, cols[PC_MAXWAIT], &p->maxwait) < 0 ||
	    pool_number(r, row, cols[PC_MAXWAIT_US], &us) < 0)
		return -1;
	p->maxwait += us * 1e-6;
	const char *db = cols[PC_DATABASE] >= 0 ? pg_cell(r, row, cols[PC_DATABASE]) : NULL;
	const char *user = cols[PC_USER] >= 0 ? pg_cell(r, row, cols[PC_USER]) : NULL;
	const char *mode = cols[PC_MODE] >= 0 ? pg_cell(r, row, cols[PC_MODE]) : NULL;
	p->database = view_strndup(&v->arena, db ? db : "", (size_t)-1, POOL_NAME_MAX);
	p->user = view_strndup(&v->arena, user ? user : "", (size_t)-1, POOL_NAME_MAX);
	p->pool_mode = view_strndup(&v->arena, mode, (size_t)-1, POOL_NAME_MAX);
	return 0;
}

void pgb_pools_fill(struct pools_view *v, const PGresult *r)
{
	int cols[PC_COUNT];
	for (int c = 0; c < PC_COUNT; c++)
		cols[c] = column(r, pool_view_columns[c]);
	int n = PQntuples(r);
	v->has_pools = 1;
	size_t keep = n < DBVIEW_MAX_POOLS ? (size_t)(n > 0 ? n : 1) : DBVIEW_MAX_POOLS;
	v->pools = view_alloc(&v->arena, keep * sizeof(*v->pools));
	v->npools = 0;
	v->pools_cut = 0;
	for (int row = 0; row < n; row++) {
		if (v->npools == DBVIEW_MAX_POOLS) {
			v->pools_cut++;
			continue;
		}
		struct pool_stat *p = &v->pools[v->npools];
		memset(p, 0, sizeof(*p));
		if (pool_row(v, r, row, cols, p) == 0)
			v->npools++;
	}
}

/* ---- SHOW STATS_TOTALS -------------------------------------------------- */

COUNTER(m_queries_pooled, "pgbouncer_stats_totals_queries_pooled_total",
	"SQL queries pooled by PgBouncer.");
COUNTER(m_queries_duration, "pgbouncer_stats_totals_queries_duration_seconds_total",
	"Seconds spent by PgBouncer actively connected to PostgreSQL, executing queries.");
COUNTER(m_received, "pgbouncer_stats_totals_received_bytes_total",
	"Bytes of network traffic received by PgBouncer.");
COUNTER(m_sent, "pgbouncer_stats_totals_sent_bytes_total",
	"Bytes of network traffic sent by PgBouncer.");
COUNTER(m_requests, "pgbouncer_stats_totals_queries_total",
	"SQL requests pooled by PgBouncer (before 1.8).");
COUNTER(m_wait, "pgbouncer_stats_totals_client_wait_seconds_total",
	"Seconds spent by clients waiting for a server.");
COUNTER(m_xacts, "pgbouncer_stats_totals_sql_transactions_pooled_total",
	"SQL transactions pooled by PgBouncer.");
COUNTER(m_xact_time, "pgbouncer_stats_totals_server_in_transaction_seconds_total",
	"Seconds spent by PgBouncer connected to PostgreSQL in a transaction, idle in "
	"transaction or executing queries.");
COUNTER(m_assignments, "pgbouncer_stats_totals_server_assignments_total",
	"Times a server connection was assigned to a client (PgBouncer 1.23 and later).");
COUNTER(m_client_parses, "pgbouncer_stats_totals_client_parses_total",
	"Prepared statement Parse messages received from clients (PgBouncer 1.21 and later).");
COUNTER(m_server_parses, "pgbouncer_stats_totals_server_parses_total",
	"Prepared statement Parse messages sent to PostgreSQL (PgBouncer 1.21 and later).");
COUNTER(m_binds, "pgbouncer_stats_totals_binds_total",
	"Prepared statements readied for execution by a Bind message (PgBouncer 1.21 and later).");

static const char *const stats_labels[] = { "database" };
static const struct pgb_value stats_values[] = {
	{ "query_count", &m_queries_pooled, 1, 0 },
	{ "query_time", &m_queries_duration, 1e-6, 0 },
	{ "bytes_received", &m_received, 1, 0 },
	{ "bytes_sent", &m_sent, 1, 0 },
	{ "requests", &m_requests, 1, 0 },
	{ "wait_time", &m_wait, 1e-6, 0 },
	{ "xact_count", &m_xacts, 1, 0 },
	{ "xact_time", &m_xact_time, 1e-6, 0 },
	{ "server_assignment_count", &m_assignments, 1, 0 },
	{ "client_parse_count", &m_client_parses, 1, 0 },
	{ "server_parse_count", &m_server_parses, 1, 0 },
	{ "bind_count", &m_binds, 1, 0 },
};
static const struct pgb_table stats = {
	stats_labels, 1, stats_values, sizeof(stats_values) / sizeof(stats_values[0]),
};

void pgb_emit_stats_totals(struct batch *b, const char *target, const PGresult *r,
			   struct pgb_info *info)
{
	emit_table(b, target, r, &stats, info);
}

/* ---- SHOW CLIENTS --------------------------------------------------------- */

GAUGE(m_clients, "pgbouncer_client_connections",
      "Client connections by database, user, application name and state (SHOW CLIENTS).");

/* The labels of one client: database, user, application_name, state. */
struct pgb_client {
	const char *v[4];
};

static int client_cmp(const void *a, const void *b)
{
	const struct pgb_client *x = a, *y = b;
	for (int i = 0; i < 4; i++) {
		int c = strcmp(x->v[i], y->v[i]);
		if (c)
			return c;
	}
	return 0;
}

/* A label value as pgbouncer_exporter keeps it: "<invalid>" when it is
 * not UTF-8. */
static const char *client_label(const PGresult *r, int row, int col)
{
	const char *s = col >= 0 ? pg_cell(r, row, col) : NULL;
	if (!s)
		return "";
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t len = utf8_sequence_len((const unsigned char *)s + i, n - i);
		if (len == 0)
			return "<invalid>";
		i += len;
	}
	return s;
}

void pgb_emit_clients(struct batch *b, const char *target, const PGresult *r,
		      struct pgb_info *info)
{
	static const char *const names[4] = { "database", "user", "application_name", "state" };
	int cols[4];
	for (int i = 0; i < 4; i++)
		cols[i] = column(r, names[i]);
	if (cols[0] < 0 || cols[1] < 0 || cols[3] < 0)
		return; /* pgbouncer_exporter needs these three; application_name may lack */
	int n = rows(r, info);
	if (n <= 0)
		return;
	struct pgb_client *c = xcalloc((size_t)n, sizeof(*c));
	for (int row = 0; row < n; row++)
		for (int i = 0; i < 4; i++)
			c[row].v[i] = client_label(r, row, cols[i]);
	qsort(c, (size_t)n, sizeof(*c), client_cmp);
	for (int row = 0; row < n;) {
		int end = row + 1;
		while (end < n && client_cmp(&c[row], &c[end]) == 0)
			end++;
		const char *l[] = { "target", target, "database", c[row].v[0], "user", c[row].v[1],
				    "application_name", c[row].v[2], "state", c[row].v[3] };
		batch_addv(b, m_clients.name, m_clients.help, m_clients.type, end - row, l, 5);
		row = end;
	}
	free(c);
}

/* ---- SHOW DATABASES --------------------------------------------------- */

GAUGE(m_pool_size, "pgbouncer_databases_pool_size", "Maximum number of server connections.");
GAUGE(m_reserve_pool, "pgbouncer_databases_reserve_pool",
      "Maximum number of additional connections for this database.");
GAUGE(m_max_connections, "pgbouncer_databases_max_connections",
      "Maximum number of allowed connections for this database.");
GAUGE(m_current_connections, "pgbouncer_databases_current_connections",
      "Current number of connections for this database.");
GAUGE(m_paused, "pgbouncer_databases_paused", "1 if this database is currently paused, else 0.");
GAUGE(m_disabled, "pgbouncer_databases_disabled",
      "1 if this database is currently disabled, else 0.");

static const char *const db_labels[] = {
	"name", "host", "port", "database", "force_user", "pool_mode",
};
static const struct pgb_value db_values[] = {
	{ "pool_size", &m_pool_size, 1, 0 },
	{ "reserve_pool", &m_reserve_pool, 1, 0 },
	{ "reserve_pool_size", &m_reserve_pool, 1, 0 },     /* 1.24 renamed it */
	{ "max_connections", &m_max_connections, 1, 0 },
	{ "current_connections", &m_current_connections, 1, 0 },
	{ "paused", &m_paused, 1, 0 },
	{ "disabled", &m_disabled, 1, 0 },
};
static const struct pgb_table databases = {
	db_labels, 6, db_values, sizeof(db_values) / sizeof(db_values[0]),
};

void pgb_emit_databases(struct batch *b, const char *target, const PGresult *r,
			struct pgb_info *info)
{
	emit_table(b, target, r, &databases, info);
}

/* ---- SHOW LISTS, SHOW CONFIG, SHOW VERSION ---------------------------- */

struct pgb_key {
	const char *key;
	struct metric_desc desc;
};

/* pgbouncer_pools and pgbouncer_databases are pgbouncer_exporter's names
 * too; as gauges without suffixes they clash with no other family. */
static const struct pgb_key list_keys[] = {
	{ "databases", { "pgbouncer_databases", "Count of databases.", METRIC_GAUGE } },
	{ "users", { "pgbouncer_users", "Count of users.", METRIC_GAUGE } },
	{ "pools", { "pgbouncer_pools", "Count of pools.", METRIC_GAUGE } },
	{ "free_clients", { "pgbouncer_free_clients", "Count of free clients.", METRIC_GAUGE } },
	{ "used_clients", { "pgbouncer_used_clients", "Count of used clients.", METRIC_GAUGE } },
	{ "login_clients", { "pgbouncer_login_clients", "Count of clients in login state.",
			     METRIC_GAUGE } },
	{ "free_servers", { "pgbouncer_free_servers", "Count of free servers.", METRIC_GAUGE } },
	{ "used_servers", { "pgbouncer_used_servers", "Count of used servers.", METRIC_GAUGE } },
	{ "dns_names", { "pgbouncer_cached_dns_names", "Count of DNS names in the cache.",
			 METRIC_GAUGE } },
	{ "dns_zones", { "pgbouncer_cached_dns_zones", "Count of DNS zones in the cache.",
			 METRIC_GAUGE } },
	{ "dns_queries", { "pgbouncer_in_flight_dns_queries", "Count of in-flight DNS queries.",
			   METRIC_GAUGE } },
	{ NULL, { NULL, NULL, METRIC_GAUGE } },
};

static const struct pgb_key config_keys[] = {
	{ "max_client_conn", { "pgbouncer_config_max_client_connections",
			       "Config maximum number of client connections.", METRIC_GAUGE } },
	{ "max_user_connections", { "pgbouncer_config_max_user_connections",
				    "Config maximum number of server connections per user.",
				    METRIC_GAUGE } },
	{ "default_pool_size", { "pgbouncer_config_default_pool_size",
				 "Config default number of server connections per pool.",
				 METRIC_GAUGE } },
	{ NULL, { NULL, NULL, METRIC_GAUGE } },
};

static const struct pgb_key *find_key(const struct pgb_key *keys, const char *k)
{
	for (; keys->key; keys++)
		if (strcmp(keys->key, k) == 0)
			return keys;
	return NULL;
}

/* Rows of (key_col, value_col) pairs whose key is one of keys; returns the
 * value of the row named want in *wanted (1 when found). */
static int emit_keyed(struct batch *b, const char *target, const PGresult *r, const char *kcol,
		      const char *vcol, const struct pgb_key *keys, struct pgb_info *info,
		      const char *want, double *wanted)
{
	int kc = column(r, kcol), vc = column(r, vcol), found = 0;
	if (kc < 0 || vc < 0)
		return 0;
	const char *t[] = { "target", target };
	int n = rows(r, info);
	for (int row = 0; row < n; row++) {
		const char *k = pg_cell(r, row, kc), *s = pg_cell(r, row, vc);
		const struct pgb_key *key = k ? find_key(keys, k) : NULL;
		double v;
		if (!key || !s)
			continue;
		if (parse_double(s, &v) < 0) {
			info->bad_rows++;
			continue;
		}
		batch_addv(b, key->desc.name, key->desc.help, key->desc.type, v, t, 1);
		if (strcmp(k, want) == 0) {
			*wanted = v;
			found = 1;
		}
	}
	return found;
}

void pgb_emit_lists(struct batch *b, const char *target, const PGresult *r,
		    struct pgb_info *info)
{
	info->have_used_clients = emit_keyed(b, target, r, "list", "items", list_keys, info,
					     "used_clients", &info->used_clients);
}

void pgb_emit_config(struct batch *b, const char *target, const PGresult *r,
		     struct pgb_info *info)
{
	info->have_max_client_conn = emit_keyed(b, target, r, "key", "value", config_keys, info,
						"max_client_conn", &info->max_client_conn);
}

static const struct metric_desc m_version = {
	"pgbouncer_version_info", "The PgBouncer version, as SHOW VERSION tells it.", METRIC_GAUGE };

void pgb_emit_version(struct batch *b, const char *target, const PGresult *r,
		      struct pgb_info *info)
{
	(void)info;
	int c = column(r, "version");
	const char *v = c >= 0 && PQntuples(r) > 0 ? pg_cell(r, 0, c) : NULL;
	if (!v)
		return;
	const char *l[] = { "target", target, "version", v };
	batch_addv(b, m_version.name, m_version.help, m_version.type, 1, l, 2);
}

static const struct metric_desc m_utilization = {
	"pgbouncer_client_connections_utilization_ratio",
	"Client connections in use (SHOW LISTS used_clients) over max_client_conn.", METRIC_GAUGE };

void pgb_emit_utilization(struct batch *b, const char *target, const struct pgb_info *info)
{
	if (!info->have_used_clients || !info->have_max_client_conn || info->max_client_conn <= 0)
		return;
	const char *t[] = { "target", target };
	batch_addv(b, m_utilization.name, m_utilization.help, m_utilization.type,
		   info->used_clients / info->max_client_conn, t, 1);
}
