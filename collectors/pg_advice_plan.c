/*
 * pg_advice_plan.c -- the advisor's plans and suggested indexes (kinds
 * "plan" and "suggested_index", with advice_plans; see pg_advice_pass.h).
 *
 * For each of the costliest statements of the visited database: its text
 * is parsed (libpg_query, pg_query_refs.h) and prepared under a name of
 * the pass (the protocol's Parse, so nothing of it reaches
 * pg_stat_statements), and EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE gives
 * its generic plan (the session's plan_cache_mode=force_generic_plan, the
 * parameters NULL: PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN)).  The plan
 * is a "plan" finding.  The columns the text filters, joins and sorts on
 * make index candidates per table, ranked by pg_stats' selectivity; where
 * hypopg is installed, each is created hypothetically and the statement
 * planned again: only those that make the plan cheaper are kept.  Nothing
 * is run but EXPLAIN, in the read-only session of the pass.
 */
#include "autoconfig.h"
#include "pg_advice_pass.h"
#include "buf.h"
#include "config.h"
#include "dbview.h"
#include "pg_advice_sql.h"
#include "pg_query_refs.h"
#include "postgres.h"
#include "strutil.h"
#include "xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

/* the name the statement planned is prepared under */
#define PLAN_STATEMENT "dbpulse_advisor_plan"
#define PLAN_TIMEOUT_MS 12000
/* estimate vs reality: a factor this far from 1 is worth a line */
#define ESTIMATE_OFF 10.0
/* a candidate index: at most this many columns; unverified, its equality
 * columns leave at most this share of the table per lookup */
#define CANDIDATE_COLUMNS 3
#define SELECTIVITY_MAX 0.05
/* PostgreSQL's own guess for a range condition (DEFAULT_INEQ_SEL) */
#define RANGE_SELECTIVITY 0.3333
/* verified: the plan with the index is at least this much cheaper
 * (warning from REDUCTION_WARNING) */
#define REDUCTION_MIN 0.1
#define REDUCTION_WARNING 0.5
#define CANDIDATES_MAX 64           /* per database */
#define QUERY_SHOWN 2000            /* a statement's text in a plan's evidence */

/* What became of the statements of one database. */
struct tally {
	int planned, unparsed, utility, failed, unreadable, unanalyzed, not_helping;
	char first_failure[256];
};

/* A column of a candidate index and what pg_stats says of it. */
struct candidate_column {
	char *name;
	enum query_column_use use;
	int descending;
	double n_distinct, null_frac, most_common_freq, selectivity;
};

/* An index that would serve statements of the database. */
struct candidate {
	char *schema, *table;
	struct candidate_column cols[CANDIDATE_COLUMNS];
	size_t ncols;
	double rows, bytes, selectivity;
	int verified;                /* by hypopg */
	double cost_before, cost_after; /* of the statement that gained most */
	json_t *statements;          /* [{queryid, calls, exec_ms, query}] */
};

struct candidates {
	struct candidate c[CANDIDATES_MAX];
	size_t n;
};

/* ---- the statements' texts ------------------------------------------- */

static struct advice_statement *top_find(struct pass *ps, const char *queryid,
					 const char *datname)
{
	for (size_t i = 0; i < ps->ntop; i++)
		if (strcmp(ps->top[i].queryid, queryid) == 0 &&
		    strcmp(ps->top[i].datname, datname) == 0)
			return &ps->top[i];
	return NULL;
}

/* A row of pg_advice_sql_statements: the text of a statement the
 * collector chose, or (none chosen) a statement of its own. */
static void take_statement(struct pass *ps, const PGresult *r, int row, int chosen)
{
	const char *id = pg_cell(r, row, 0), *datname = pg_cell(r, row, 1);
	const char *query = pg_cell(r, row, 2);
	if (!id || !datname || !query)
		return;
	struct advice_statement *t = top_find(ps, id, datname);
	if (!t && !chosen && ps->ntop < (size_t)ps->conf->advice_statements) {
		t = &ps->top[ps->ntop++];
		snprintf(t->queryid, sizeof(t->queryid), "%s", id);
		t->datname = xstrdup(datname);
		t->calls = pg_cell_or_zero(r, row, 3);
		t->exec_ms = pg_cell_or_zero(r, row, 4);
		t->rows = pg_cell_or_zero(r, row, 5);
	}
	if (t && !t->query)
		t->query = xstrdup(query);
}

void advice_read_statements(struct pass *ps)
{
	char *schema = pass_extension_schema(ps, "plan", "pg_stat_statements");
	if (!schema) {
		if (pg_conn_ok(&ps->conn))
			pass_note(ps, "plan", "pg_stat_statements is not installed in the database "
				  "'%s': no statement is planned", PQdb(ps->conn.conn));
		return;
	}
	json_t *ids = json_array(), *dbs = json_array();
	for (size_t i = 0; i < ps->ntop; i++)
		json_array_append_new(ids, json_string(ps->top[i].queryid));
	for (size_t i = 0; i < ps->ndbs; i++)
		json_array_append_new(dbs, json_string(ps->dbs[i]));
	char *ids_text = json_dumps(ids, JSON_COMPACT), *dbs_text = json_dumps(dbs, JSON_COMPACT);
	char limit[24];
	/* by id, a statement has a row per role that ran it */
	snprintf(limit, sizeof(limit), "%lld", (long long)ps->conf->advice_statements * 8);
	const char *params[] = { ids_text, limit, dbs_text };
	struct buf sql;
	pass_with_schema(pg_advice_sql_statements(ps->version), schema, &sql);
	PGresult *r = pass_ask(ps, "plan", buf_str(&sql), 3, params);
	int chosen = ps->ntop > 0;
	for (int i = 0; r && i < PQntuples(r); i++)
		take_statement(ps, r, i, chosen);
	PQclear(r);
	buf_release(&sql);
	free(ids_text);
	free(dbs_text);
	json_decref(ids);
	json_decref(dbs);
	free(schema);
}

/* ---- plans ------------------------------------------------------------ */

/* Drops the "Output" lists of VERBOSE from a plan and its children (the
 * schema of each relation is what VERBOSE is asked for). */
static void strip_output(json_t *node)
{
	json_object_del(node, "Output");
	json_t *children = json_object_get(node, "Plans");
	size_t i;
	json_t *child;
	json_array_foreach(children, i, child) {
		strip_output(child);
	}
}

/* The "Plan" of the prepared statement's generic plan (a new reference),
 * or NULL with err. */
static json_t *explain(struct pass *ps, int nparams, char *err, size_t errlen)
{
	struct buf sql;
	buf_init(&sql, BUF_UNLIMITED);
	buf_puts(&sql, "EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE " PLAN_STATEMENT);
	for (int i = 0; i < nparams; i++)
		buf_puts(&sql, i ? ", NULL" : "(NULL");
	if (nparams)
		buf_putc(&sql, ')');
	PGresult *r = pass_try(ps, buf_str(&sql), 0, NULL, err, errlen);
	buf_release(&sql);
	json_t *root = r && PQntuples(r) == 1 && pg_cell(r, 0, 0) ?
		json_loads(pg_cell(r, 0, 0), 0, NULL) : NULL;
	PQclear(r);
	json_t *plan = json_object_get(json_array_get(root, 0), "Plan");
	if (json_is_object(plan)) {
		json_incref(plan);
		strip_output(plan);
	} else {
		plan = NULL;
		if (!err[0])
			snprintf(err, errlen, "EXPLAIN gave no plan");
	}
	json_decref(root);
	return plan;
}

static double node_number(const json_t *node, const char *key)
{
	return json_number_value(json_object_get(node, key));
}

/* The sequential scans of a plan and its children, into scans as
 * {"schema", "table", "plan_rows"}. */
static void find_seq_scans(const json_t *node, json_t *scans)
{
	const char *type = json_string_value(json_object_get(node, "Node Type"));
	const char *rel = json_string_value(json_object_get(node, "Relation Name"));
	const char *schema = json_string_value(json_object_get(node, "Schema"));
	if (type && strcmp(type, "Seq Scan") == 0 && rel && schema)
		json_array_append_new(scans, json_pack("{s:s, s:s, s:f}", "schema", schema, "table",
						       rel, "plan_rows",
						       node_number(node, "Plan Rows")));
	size_t i;
	json_t *child;
	json_array_foreach(json_object_get(node, "Plans"), i, child) {
		find_seq_scans(child, scans);
	}
}

/* Of scans, those over tables of at least ADVICE_MIN_TABLE_BYTES, each
 * with its table_bytes (a new array). */
static json_t *large_scans(struct pass *ps, json_t *scans)
{
	json_t *large = json_array();
	if (!json_array_size(scans))
		return large;
	double min_bytes = 0;
	parse_double(ADVICE_MIN_TABLE_BYTES, &min_bytes);
	json_t *names = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(scans, i, s) {
		json_array_append_new(names, json_pack("{s:O, s:O}", "schema",
						       json_object_get(s, "schema"), "name",
						       json_object_get(s, "table")));
	}
	char *text = json_dumps(names, JSON_COMPACT);
	const char *params[] = { text };
	PGresult *r = pass_ask(ps, "plan", pg_advice_sql_table_sizes(ps->version), 1, params);
	json_array_foreach(scans, i, s) {
		const char *schema = json_string_value(json_object_get(s, "schema"));
		const char *table = json_string_value(json_object_get(s, "table"));
		for (int k = 0; r && k < PQntuples(r); k++) {
			double bytes = pg_cell_or_zero(r, k, 2);
			if (strcmp(pg_cell(r, k, 0), schema) != 0 || strcmp(pg_cell(r, k, 1), table) != 0 ||
			    bytes < min_bytes)
				continue;
			json_object_set_new(s, "table_bytes", json_real(bytes));
			json_array_append(large, s);
			break;
		}
	}
	PQclear(r);
	free(text);
	json_decref(names);
	return large;
}

/* The summary of a plan finding. */
static void plan_summary(struct buf *t, const struct advice_statement *st, double cost,
			 const json_t *large, double plan_rows, double rows_per_call, int select)
{
	buf_printf(t, "Generic plan of statement %s: estimated cost %.0f", st->queryid, cost);
	size_t i;
	json_t *s;
	json_array_foreach(large, i, s) {
		buf_puts(t, i ? ", " : "; sequential scan of ");
		buf_put_sql_ident(t, json_string_value(json_object_get(s, "schema")));
		buf_putc(t, '.');
		buf_put_sql_ident(t, json_string_value(json_object_get(s, "table")));
		buf_printf(t, " (%.0f MB)", node_number(s, "table_bytes") / 1e6);
	}
	if (select && rows_per_call > 0 &&
	    (plan_rows / rows_per_call >= ESTIMATE_OFF || plan_rows / rows_per_call <= 1 / ESTIMATE_OFF))
		buf_printf(t, "; the planner expects %.0f rows where a call returns %.1f on average: "
			   "its statistics may be stale (ANALYZE) or the columns correlated "
			   "(CREATE STATISTICS)", plan_rows, rows_per_call);
}

/* The "plan" finding of a statement. */
static void plan_finding(struct pass *ps, const struct advice_statement *st, json_t *plan,
			 int select)
{
	double cost = node_number(plan, "Total Cost"), plan_rows = node_number(plan, "Plan Rows");
	double rows_per_call = st->calls > 0 ? st->rows / st->calls : 0;
	/* a LIMIT $n of the generic plan is unknown: the planner guesses a
	 * tenth of the rows, which says nothing of its statistics */
	const char *top = json_string_value(json_object_get(plan, "Node Type"));
	select = select && !(top && strcmp(top, "Limit") == 0);
	json_t *scans = json_array();
	find_seq_scans(plan, scans);
	json_t *large = large_scans(ps, scans);
	struct buf t;
	buf_init(&t, BUF_UNLIMITED);
	plan_summary(&t, st, cost, large, plan_rows, rows_per_call, select);
	json_t *e = json_pack("{s:s, s:s%, s:f, s:f, s:f, s:f, s:o, s:f, s:O, s:s, s:O}",
			      "queryid", st->queryid, "query", st->query,
			      strlen(st->query) > QUERY_SHOWN ? (size_t)QUERY_SHOWN : strlen(st->query),
			      "calls", st->calls, "mean_exec_time_ms",
			      st->calls > 0 ? st->exec_ms / st->calls : 0.0,
			      "rows_per_call", rows_per_call, "plan_rows", plan_rows, "estimate_ratio",
			      select && rows_per_call > 0 ? json_real(plan_rows / rows_per_call)
							  : json_null(),
			      "total_cost", cost, "seq_scans", large, "method", "generic_plan",
			      "plan", plan);
	char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
	if (text && strlen(text) > ADVICE_PLAN_EVIDENCE_MAX) {
		json_object_del(e, "plan");
		json_object_set_new(e, "plan_omitted_bytes", json_integer((json_int_t)strlen(text)));
		free(text);
		text = json_dumps(e, JSON_COMPACT);
	}
	struct advice_finding *f = pass_finding(ps);
	f->kind = pass_keep(ps, "plan");
	f->severity = pass_keep(ps, "info");
	f->object = pass_keep(ps, st->queryid);
	f->evidence = pass_keep_max(ps, text ? text : "{}", ADVICE_PLAN_EVIDENCE_MAX * 2);
	f->summary = pass_keep(ps, buf_str(&t));
	free(text);
	json_decref(e);
	json_decref(large);
	json_decref(scans);
	buf_release(&t);
}

/* ---- index candidates -------------------------------------------------- */

/* What the catalog says of a table of the statement (pg_advice_sql_index_
 * columns' rows of one ord). */
struct table_info {
	const PGresult *r;
	int first, n;                /* its rows */
};

static int info_column(const struct table_info *ti, const char *column)
{
	for (int k = ti->first; k < ti->first + ti->n; k++)
		if (strcmp(pg_cell(ti->r, k, 5), column) == 0)
			return k;
	return -1;
}

/* The table of refs a column belongs to: its own, or for an unqualified
 * one among several tables, the only one that has it; -1 when unknown. */
static int column_table(const struct query_refs *refs, const struct query_column *c,
			const struct table_info *tables)
{
	if (c->table >= 0)
		return c->table;
	int found = -1;
	for (size_t i = 0; i < refs->ntables; i++)
		if (tables[i].n && info_column(&tables[i], c->column) >= 0) {
			if (found >= 0)
				return -1;
			found = (int)i;
		}
	return found;
}

static double equality_selectivity(double n_distinct, double null_frac, double rows)
{
	double distinct = n_distinct >= 0 ? n_distinct : -n_distinct * (rows > 1 ? rows : 1);
	return distinct >= 1 ? (1 - null_frac) / distinct : 1;
}

/* Adds a column of table ti to the candidate c (once); 0, or -1 when its
 * statistics are missing (counted). */
static int add_column(struct candidate *c, const struct table_info *ti, const struct query_column *q,
		      struct tally *tally)
{
	for (size_t i = 0; i < c->ncols; i++)
		if (strcmp(c->cols[i].name, q->column) == 0)
			return 0;
	int k = info_column(ti, q->column);
	if (k < 0 || c->ncols == CANDIDATE_COLUMNS)
		return 0;
	const PGresult *r = ti->r;
	if (pg_cell(r, k, 6) == NULL) {
		if (strcmp(pg_cell(r, k, 10), "t") != 0)
			tally->unreadable++;
		else
			tally->unanalyzed++;
		return -1;
	}
	struct candidate_column *col = &c->cols[c->ncols++];
	col->name = xstrdup(q->column);
	col->use = q->use;
	col->descending = q->descending;
	col->n_distinct = pg_cell_or_zero(r, k, 6);
	col->null_frac = pg_cell_or_zero(r, k, 7);
	col->most_common_freq = pg_cell_or_zero(r, k, 8);
	col->selectivity = q->use == QUERY_COLUMN_EQ || q->use == QUERY_COLUMN_JOIN ?
		equality_selectivity(col->n_distinct, col->null_frac, c->rows) :
		q->use == QUERY_COLUMN_RANGE ? RANGE_SELECTIVITY : 1;
	return 0;
}

static int cmp_selectivity(const void *x, const void *y)
{
	const struct candidate_column *a = x, *b = y;
	int ra = a->use == QUERY_COLUMN_EQ || a->use == QUERY_COLUMN_JOIN ? 0 : 1;
	int rb = b->use == QUERY_COLUMN_EQ || b->use == QUERY_COLUMN_JOIN ? 0 : 1;
	if (ra != rb)
		return ra - rb;
	return (a->selectivity > b->selectivity) - (a->selectivity < b->selectivity);
}

static void candidate_release(struct candidate *c)
{
	free(c->schema);
	free(c->table);
	for (size_t i = 0; i < c->ncols; i++)
		free(c->cols[i].name);
	json_decref(c->statements);
	memset(c, 0, sizeof(*c));
}

/* Whether a column of the candidate leads an index already. */
static int leads_index(const struct table_info *ti, const struct candidate *c)
{
	for (size_t i = 0; i < c->ncols; i++) {
		int k = info_column(ti, c->cols[i].name);
		if (k >= 0 && strcmp(pg_cell(ti->r, k, 9), "t") == 0)
			return 1;
	}
	return 0;
}

/* The candidate for table t of the statement: its equality and join
 * columns, most selective first, then a range column, else a sort column.
 * 0 when there is one worth judging. */
static int make_candidate(const struct query_refs *refs, const struct table_info *tables, int t,
			  struct candidate *c, struct tally *tally)
{
	const struct table_info *ti = &tables[t];
	c->rows = pg_cell_or_zero(ti->r, ti->first, 3);
	c->bytes = pg_cell_or_zero(ti->r, ti->first, 4);
	static const enum query_column_use order[] = { QUERY_COLUMN_EQ, QUERY_COLUMN_RANGE,
						       QUERY_COLUMN_ORDER };
	for (size_t u = 0; u < sizeof(order) / sizeof(order[0]); u++) {
		size_t before = c->ncols;
		for (size_t i = 0; i < refs->ncolumns; i++) {
			const struct query_column *q = &refs->columns[i];
			int use_eq = q->use == QUERY_COLUMN_EQ || q->use == QUERY_COLUMN_JOIN;
			if ((order[u] == QUERY_COLUMN_EQ ? !use_eq : q->use != order[u]) ||
			    column_table(refs, q, tables) != t)
				continue;
			if (add_column(c, ti, q, tally) < 0)
				return -1;
			if (order[u] != QUERY_COLUMN_EQ && c->ncols > before)
				break; /* one range or sort column, last */
		}
		if (order[u] == QUERY_COLUMN_EQ)
			qsort(c->cols, c->ncols, sizeof(c->cols[0]), cmp_selectivity);
		if (order[u] == QUERY_COLUMN_RANGE && c->ncols > before)
			break; /* a range column ends the index: no sort column after it */
	}
	if (!c->ncols || leads_index(ti, c))
		return -1;
	c->selectivity = 1;
	for (size_t i = 0; i < c->ncols; i++)
		c->selectivity *= c->cols[i].selectivity;
	return 0;
}

/* CREATE INDEX [CONCURRENTLY] ON "s"."t" ("a", "b" DESC) into t. */
static void index_sql(struct buf *t, const struct candidate *c, int concurrently)
{
	buf_puts(t, concurrently ? "CREATE INDEX CONCURRENTLY ON " : "CREATE INDEX ON ");
	buf_put_sql_ident(t, c->schema);
	buf_putc(t, '.');
	buf_put_sql_ident(t, c->table);
	buf_puts(t, " (");
	for (size_t i = 0; i < c->ncols; i++) {
		if (i)
			buf_puts(t, ", ");
		buf_put_sql_ident(t, c->cols[i].name);
		if (c->cols[i].descending)
			buf_puts(t, " DESC");
	}
	buf_putc(t, ')');
}

/* Whether a plan (or a child) scans the index named name. */
static int uses_index(const json_t *node, const char *name)
{
	const char *index = json_string_value(json_object_get(node, "Index Name"));
	if (index && strcmp(index, name) == 0)
		return 1;
	size_t i;
	json_t *child;
	json_array_foreach(json_object_get(node, "Plans"), i, child) {
		if (uses_index(child, name))
			return 1;
	}
	return 0;
}

static void deallocate(struct pass *ps)
{
	char err[256];
	PQclear(pass_try(ps, "DEALLOCATE " PLAN_STATEMENT, 0, NULL, err, sizeof(err)));
}

/* The statement prepared again: its generic plan is made once and kept,
 * and a hypothetical index does not make it stale.  0, or -1. */
static int prepare_again(struct pass *ps, const struct advice_statement *st)
{
	char err[512];
	deallocate(ps);
	return pg_conn_prepare(&ps->conn, PLAN_STATEMENT, st->query,
			       now_mono_ms() + PLAN_TIMEOUT_MS, err, sizeof(err)) < 0 ? -1 : 0;
}

/* With hypopg (its schema, quoted): the statement's cost with the
 * candidate created hypothetically, or -1 when the plan does not use it
 * or something failed. */
static double hypothetical_cost(struct pass *ps, const struct advice_statement *st,
				const struct candidate *c, const char *hypopg)
{
	struct buf sql, create;
	buf_init(&sql, BUF_UNLIMITED);
	buf_init(&create, BUF_UNLIMITED);
	buf_printf(&sql, "SELECT indexname FROM %s.hypopg_create_index($1)", hypopg);
	index_sql(&create, c, 0);
	const char *params[] = { buf_str(&create) };
	char err[512];
	double cost = -1;
	PGresult *r = pass_try(ps, buf_str(&sql), 1, params, err, sizeof(err));
	const char *name = r && PQntuples(r) == 1 ? pg_cell(r, 0, 0) : NULL;
	if (name && prepare_again(ps, st) == 0) {
		json_t *plan = explain(ps, st->nparams, err, sizeof(err));
		if (plan && uses_index(plan, name))
			cost = node_number(plan, "Total Cost");
		json_decref(plan);
	}
	PQclear(r);
	buf_reset(&sql);
	buf_printf(&sql, "SELECT %s.hypopg_reset()", hypopg);
	PQclear(pass_try(ps, buf_str(&sql), 0, NULL, err, sizeof(err)));
	buf_release(&sql);
	buf_release(&create);
	return cost;
}

static int same_candidate(const struct candidate *a, const struct candidate *b)
{
	if (strcmp(a->schema, b->schema) != 0 || strcmp(a->table, b->table) != 0 ||
	    a->ncols != b->ncols)
		return 0;
	for (size_t i = 0; i < a->ncols; i++)
		if (strcmp(a->cols[i].name, b->cols[i].name) != 0 ||
		    a->cols[i].descending != b->cols[i].descending)
			return 0;
	return 1;
}

/* Keeps c (taken over) among the database's candidates, as the one that
 * serves statement st; merged with an equal one. */
static void keep_candidate(struct candidates *all, struct candidate *c,
			   const struct advice_statement *st)
{
	json_t *s = json_pack("{s:s, s:f, s:f, s:s%}", "queryid", st->queryid, "calls", st->calls,
			      "exec_ms", st->exec_ms, "query", st->query,
			      strlen(st->query) > 200 ? (size_t)200 : strlen(st->query));
	for (size_t i = 0; i < all->n; i++) {
		struct candidate *o = &all->c[i];
		if (!same_candidate(o, c))
			continue;
		json_array_append_new(o->statements, s);
		double gain = c->cost_before > 0 ? 1 - c->cost_after / c->cost_before : 0;
		double was = o->cost_before > 0 ? 1 - o->cost_after / o->cost_before : 0;
		if (gain > was) {
			o->cost_before = c->cost_before;
			o->cost_after = c->cost_after;
		}
		candidate_release(c);
		return;
	}
	if (all->n == CANDIDATES_MAX) {
		json_decref(s);
		candidate_release(c);
		return;
	}
	c->statements = json_array();
	json_array_append_new(c->statements, s);
	all->c[all->n++] = *c;
	memset(c, 0, sizeof(*c));
}

/* The catalog's rows for the tables and columns of refs, split per table
 * (tables[i] for refs->tables[i]); the result, or NULL. */
static PGresult *read_tables(struct pass *ps, const struct query_refs *refs,
			     struct table_info *tables)
{
	json_t *t = json_array(), *cols = json_array();
	for (size_t i = 0; i < refs->ntables; i++)
		json_array_append_new(t, json_pack("{s:i, s:s?, s:s}", "ord", (int)i, "schema",
						   refs->tables[i].schema, "name",
						   refs->tables[i].name));
	for (size_t i = 0; i < refs->ncolumns; i++)
		json_array_append_new(cols, json_string(refs->columns[i].column));
	char *tt = json_dumps(t, JSON_COMPACT), *ct = json_dumps(cols, JSON_COMPACT);
	const char *params[] = { tt, ct };
	PGresult *r = pass_ask(ps, "suggested_index", pg_advice_sql_index_columns(ps->version), 2,
			       params);
	free(tt);
	free(ct);
	json_decref(t);
	json_decref(cols);
	for (int k = 0; r && k < PQntuples(r); k++) {
		int64_t ord;
		if (parse_int64(pg_cell(r, k, 0), &ord) < 0 || ord < 0 || (size_t)ord >= refs->ntables)
			continue;
		struct table_info *ti = &tables[ord];
		if (!ti->n)
			ti->first = k;
		ti->r = r;
		ti->n++;
	}
	return r;
}

/* The index candidates of one statement (planned at cost, prepared with
 * st->nparams parameters) into all. */
static void suggest(struct pass *ps, const struct advice_statement *st, const struct query_refs *refs,
		    double cost, const char *hypopg, struct candidates *all,
		    struct tally *tally)
{
	if (!refs->ncolumns || !refs->ntables)
		return;
	struct table_info *tables = xcalloc(refs->ntables, sizeof(*tables));
	PGresult *r = read_tables(ps, refs, tables);
	double min_bytes = 0;
	parse_double(ADVICE_MIN_TABLE_BYTES, &min_bytes);
	for (size_t t = 0; r && t < refs->ntables; t++) {
		struct candidate c = { 0 };
		if (!tables[t].n || pg_cell_or_zero(r, tables[t].first, 4) < min_bytes ||
		    make_candidate(refs, tables, (int)t, &c, tally) < 0) {
			candidate_release(&c);
			continue;
		}
		c.schema = xstrdup(pg_cell(r, tables[t].first, 1));
		c.table = xstrdup(pg_cell(r, tables[t].first, 2));
		c.cost_before = cost;
		if (hypopg) {
			c.cost_after = hypothetical_cost(ps, st, &c, hypopg);
			c.verified = 1;
			if (c.cost_after < 0 || c.cost_after > cost * (1 - REDUCTION_MIN)) {
				tally->not_helping++;
				candidate_release(&c);
				continue;
			}
		} else if (c.selectivity > SELECTIVITY_MAX) {
			candidate_release(&c);
			continue;
		}
		keep_candidate(all, &c, st);
	}
	PQclear(r);
	free(tables);
}

static const char *use_name(enum query_column_use u)
{
	switch (u) {
	case QUERY_COLUMN_EQ: return "equality";
	case QUERY_COLUMN_RANGE: return "range";
	case QUERY_COLUMN_JOIN: return "join";
	case QUERY_COLUMN_ORDER: return "order";
	}
	return "other";
}

/* The evidence of a suggested index (a new object). */
static json_t *candidate_evidence(const struct candidate *c)
{
	json_t *cols = json_array();
	for (size_t i = 0; i < c->ncols; i++) {
		const struct candidate_column *k = &c->cols[i];
		json_array_append_new(cols, json_pack("{s:s, s:s, s:f, s:f, s:f, s:f}", "column",
						      k->name, "use", use_name(k->use), "n_distinct",
						      k->n_distinct, "null_frac", k->null_frac,
						      "most_common_freq", k->most_common_freq,
						      "selectivity", k->selectivity));
	}
	json_t *e = json_pack("{s:o, s:f, s:f, s:f, s:s, s:O}", "columns", cols, "selectivity",
			      c->selectivity, "rows_estimate", c->rows, "table_bytes", c->bytes,
			      "method", c->verified ? "hypopg" : "unverified", "statements",
			      c->statements);
	if (c->verified) {
		json_object_set_new(e, "cost_before", json_real(c->cost_before));
		json_object_set_new(e, "cost_after", json_real(c->cost_after));
		json_object_set_new(e, "cost_reduction_ratio",
				    json_real(1 - c->cost_after / c->cost_before));
	}
	return e;
}

/* The "suggested_index" findings of the database's candidates. */
static void emit_suggestions(struct pass *ps, struct candidates *all)
{
	for (size_t i = 0; i < all->n; i++) {
		const struct candidate *c = &all->c[i];
		double gain = c->verified ? 1 - c->cost_after / c->cost_before : 0;
		struct advice_finding *f = pass_finding(ps);
		f->kind = pass_keep(ps, "suggested_index");
		f->severity = pass_keep(ps, c->verified && gain >= REDUCTION_WARNING ? "warning" : "info");
		f->schema = pass_keep(ps, c->schema);
		f->table = pass_keep(ps, c->table);
		json_t *e = candidate_evidence(c);
		char *text = json_dumps(e, JSON_COMPACT);
		f->evidence = pass_keep(ps, text);
		free(text);
		json_decref(e);
		struct buf t;
		buf_init(&t, BUF_UNLIMITED);
		index_sql(&t, c, 1);
		buf_putc(&t, ';');
		f->action = pass_keep(ps, buf_str(&t));
		buf_reset(&t);
		buf_puts(&t, "An index on ");
		buf_put_sql_ident(&t, c->schema);
		buf_putc(&t, '.');
		buf_put_sql_ident(&t, c->table);
		buf_puts(&t, " (");
		for (size_t k = 0; k < c->ncols; k++) {
			if (k)
				buf_puts(&t, ", ");
			buf_put_sql_ident(&t, c->cols[k].name);
		}
		size_t n = json_array_size(c->statements);
		buf_printf(&t, ") would serve %zu of the costliest statements (", n);
		for (size_t k = 0; k < n; k++)
			buf_printf(&t, "%s%s", k ? ", " : "", json_string_value(json_object_get(
				json_array_get(c->statements, k), "queryid")));
		if (c->verified)
			buf_printf(&t, "): with it hypothetically (hypopg), the plan's estimated cost "
				   "falls by %.1f%% (%.0f to %.0f)", gain * 100, c->cost_before,
				   c->cost_after);
		else
			buf_printf(&t, "): unverified (hypopg is not installed), an estimate from "
				   "pg_stats: %.2g of the rows per lookup", c->selectivity);
		f->summary = pass_keep(ps, buf_str(&t));
		buf_release(&t);
	}
}

/* ---- per statement, per database ------------------------------------------ */

static void failed(struct tally *tally, const struct advice_statement *st, const char *err)
{
	if (!tally->failed++)
		snprintf(tally->first_failure, sizeof(tally->first_failure), "statement %s: %.200s",
			 st->queryid, err);
}

/* Plans one statement and looks for the indexes that would serve it. */
static void plan_statement(struct pass *ps, struct advice_statement *st, const char *hypopg,
			   struct candidates *all, struct tally *tally)
{
	struct query_refs refs;
	char err[512];
	if (query_refs_parse(st->query, &refs, err, sizeof(err)) < 0) {
		tally->unparsed++;
		return;
	}
	if (strcmp(refs.command, "other") == 0) {
		tally->utility++;
		query_refs_release(&refs);
		return;
	}
	int64_t deadline = now_mono_ms() + PLAN_TIMEOUT_MS;
	st->nparams = pg_conn_prepare(&ps->conn, PLAN_STATEMENT, st->query, deadline, err,
				      sizeof(err));
	if (st->nparams < 0) {
		failed(tally, st, err);
		query_refs_release(&refs);
		return;
	}
	/* EXPLAIN counts a nested call of it under the agent's role (with
	 * track = all), whose query id is that of the text as prepared (its
	 * constants made $n by pg_stat_statements are parameters now): that
	 * row is the agent's, unless the agent runs as the statement's own
	 * role, whose rows must stay the DBA's */
	const char *me = PQuser(ps->conn.conn);
	if (!st->user || !me || strcmp(st->user, me) != 0)
		advice_learn_text(ps, st->query);
	json_t *plan = explain(ps, st->nparams, err, sizeof(err));
	if (plan) {
		tally->planned++;
		st->cost = node_number(plan, "Total Cost");
		plan_finding(ps, st, plan, strcmp(refs.command, "select") == 0);
		suggest(ps, st, &refs, st->cost, hypopg, all, tally);
		json_decref(plan);
	} else if (err[0]) {
		failed(tally, st, err);
	}
	deallocate(ps);
	query_refs_release(&refs);
}

/* The notes of what could not be planned or judged. */
static void tally_notes(struct pass *ps, const struct tally *t, size_t statements,
			const char *hypopg)
{
	if (!statements) {
		pass_note(ps, "plan", "no statement of this database is among the costliest");
		return;
	}
	if (t->unparsed || t->utility || t->failed)
		pass_note(ps, "plan", "%d of %zu statements planned; not planned: %d that do not "
			  "parse, %d utility statements, %d that failed to plan%s%s", t->planned,
			  statements, t->unparsed, t->utility, t->failed, t->failed ? " (first: " : "",
			  t->failed ? t->first_failure : "");
	if (t->failed && strstr(t->first_failure, "permission denied"))
		pass_note(ps, "plan", "EXPLAIN needs SELECT on the tables a statement reads: grant "
			  "pg_read_all_data (PostgreSQL 14 and later) to the agent's role, or SELECT "
			  "on those tables");
	if (t->unreadable)
		pass_note(ps, "suggested_index", "no SELECT on %d of the columns the statements "
			  "filter on: pg_stats hides their statistics (grant pg_read_all_data, or "
			  "SELECT)", t->unreadable);
	if (t->unanalyzed)
		pass_note(ps, "suggested_index", "%d of the columns the statements filter on have no "
			  "statistics yet (ANALYZE their tables)", t->unanalyzed);
	if (!hypopg)
		pass_note(ps, "suggested_index", "hypopg is not installed in this database: suggested "
			  "indexes are unverified estimates (CREATE EXTENSION hypopg verifies each "
			  "against the statement's plan)");
	else if (t->not_helping)
		pass_note(ps, "suggested_index", "%d candidate indexes were left out: with each "
			  "created hypothetically, the plan did not use it or was not %.0f%% cheaper",
			  t->not_helping, REDUCTION_MIN * 100);
}

void advice_plan_statements(struct pass *ps)
{
	struct candidates *all = xcalloc(1, sizeof(*all));
	struct tally tally = { 0 };
	char *hypopg = pass_extension_schema(ps, "suggested_index", "hypopg");
	size_t statements = 0;
	for (size_t i = 0; i < ps->ntop && pg_conn_ok(&ps->conn); i++) {
		struct advice_statement *st = &ps->top[i];
		if (!st->query || strcmp(st->datname, ps->datname) != 0)
			continue;
		statements++;
		plan_statement(ps, st, hypopg, all, &tally);
	}
	emit_suggestions(ps, all);
	tally_notes(ps, &tally, statements, hypopg);
	for (size_t i = 0; i < all->n; i++)
		candidate_release(&all->c[i]);
	free(all);
	free(hypopg);
}
