/*
 * test_pg_query_refs.c -- the libpg_query walker (collectors/pg_query_refs.c)
 * on a table of statements shaped as pg_stat_statements keeps them
 * (normalized, $1 ...): pgbench's, joins with aliases, schema-qualified
 * and quoted names, CTEs, subqueries in WHERE, FROM and the SELECT list,
 * UNION, IN lists, BETWEEN, ORDER BY DESC, INSERT ... SELECT, DELETE ...
 * USING, UPDATE ... FROM, and what must give no column (functions and
 * casts on the column, OR, NOT, LIKE, <>).  Each result is written as one
 * line (see render()) and compared whole.  Then the errors (a syntax
 * error, nesting too deep), the bounds (tables, columns, a long IN list),
 * text that is not UTF-8, and libpg_query's per-thread memory.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "pg_query_refs.h"
#include "xalloc.h"

static const char *const use_names[] = { "eq", "range", "join", "order" };

/* "COMMAND $MAX_PARAM | TABLE, ... | TABLE.COLUMN=USE ...": a table as
 * [schema.]name[ alias]; a column's table by name ("?" for -1), its use
 * eq, range, join, order or order-desc. */
static char *render(const struct query_refs *r)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_printf(&b, "%s $%d |", r->command, r->max_param);
	for (size_t i = 0; i < r->ntables; i++) {
		const struct query_table *t = &r->tables[i];
		buf_printf(&b, "%s %s%s%s%s%s", i ? "," : "", t->schema ? t->schema : "",
			   t->schema ? "." : "", t->name, t->alias ? " " : "", t->alias ? t->alias : "");
	}
	buf_printf(&b, " |");
	for (size_t i = 0; i < r->ncolumns; i++) {
		const struct query_column *c = &r->columns[i];
		assert_true(c->table >= -1 && c->table < (int)r->ntables);
		buf_printf(&b, " %s.%s=%s%s", c->table < 0 ? "?" : r->tables[c->table].name, c->column,
			   use_names[c->use], c->descending ? "-desc" : "");
	}
	char *s = xstrdup(buf_str(&b));
	buf_release(&b);
	return s;
}

struct parse_case {
	const char *sql;
	const char *want;
};

static const struct parse_case cases[] = {
	/* pgbench's TPC-B-like script */
	{ "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
	  "update $2 | pgbench_accounts | pgbench_accounts.aid=eq" },
	{ "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
	  "select $1 | pgbench_accounts | pgbench_accounts.aid=eq" },
	{ "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
	  "insert $4 | pgbench_history |" },
	/* joins, aliases, ORDER BY DESC */
	{ "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id "
	  "WHERE o.status = $1 AND o.created_at >= $2 ORDER BY o.created_at DESC LIMIT $3",
	  "select $3 | orders o, customers c | customers.id=join orders.customer_id=join "
	  "orders.status=eq orders.created_at=range orders.created_at=order-desc" },
	{ "SELECT * FROM a LEFT JOIN b ON b.a_id = a.id AND b.kind = $1 WHERE a.x = $2",
	  "select $2 | a, b | b.a_id=join a.id=join b.kind=eq a.x=eq" },
	{ "SELECT * FROM a JOIN b USING (k) WHERE a.v = $1",
	  "select $1 | a, b | a.k=join b.k=join a.v=eq" },
	{ "SELECT * FROM a JOIN b USING (k) JOIN c USING (k2)",
	  "select $0 | a, b, c | a.k=join b.k=join ?.k2=join c.k2=join" },
	{ "SELECT * FROM a, b WHERE a.id = b.a_id AND flag = $1",
	  "select $1 | a, b | a.id=join b.a_id=join ?.flag=eq" },
	/* a self-join: one table, two FROM items */
	{ "SELECT e.name FROM emp e JOIN emp m ON m.id = e.manager_id WHERE m.name = $1",
	  "select $1 | emp e | emp.id=join emp.manager_id=join emp.name=eq" },
	/* schema-qualified and quoted names */
	{ "SELECT * FROM sales.invoices WHERE sales.invoices.customer_id = $1 AND invoices.paid_at IS NULL",
	  "select $1 | sales.invoices | invoices.customer_id=eq invoices.paid_at=eq" },
	{ "SELECT \"Qty\" FROM \"Shop\".\"Order Items\" AS oi WHERE oi.\"Order Id\" = $1 ORDER BY \"Line No\"",
	  "select $1 | Shop.Order Items oi | Order Items.Order Id=eq Order Items.Line No=order" },
	{ "SELECT * FROM public.t WHERE public.t.a = $1 AND t.b > $2",
	  "select $2 | public.t | t.a=eq t.b=range" },
	/* CTEs: their names are no tables, their bodies are walked */
	{ "WITH recent AS (SELECT * FROM events WHERE ts > $1) SELECT r.kind, count(*) FROM recent r "
	  "JOIN users u ON u.id = r.user_id WHERE u.country = $2 GROUP BY r.kind",
	  "select $2 | events, users u | events.ts=range users.id=join users.country=eq" },
	{ "WITH t AS (SELECT * FROM real_t WHERE k = $1) SELECT * FROM t WHERE v = $2",
	  "select $2 | real_t | real_t.k=eq" },
	{ "WITH moved AS (DELETE FROM queue WHERE id = $1 RETURNING *) INSERT INTO done SELECT * FROM moved",
	  "insert $1 | queue, done | queue.id=eq" },
	/* subqueries */
	{ "SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE region = $1) AND total > $2",
	  "select $2 | orders, customers | orders.customer_id=eq customers.region=eq orders.total=range" },
	{ "SELECT * FROM customers c WHERE EXISTS (SELECT $2 FROM orders o WHERE o.customer_id = c.id AND o.status = $1)",
	  "select $2 | customers c, orders o | orders.customer_id=join customers.id=join orders.status=eq" },
	{ "SELECT s.total FROM (SELECT customer_id, sum(total) AS total FROM orders "
	  "WHERE created_at BETWEEN $1 AND $2 GROUP BY customer_id) s WHERE s.total > $3",
	  "select $3 | orders | orders.created_at=range" },
	{ "SELECT * FROM orders o JOIN (SELECT customer_id, max(ts) AS m FROM orders GROUP BY 1) l "
	  "ON l.customer_id = o.customer_id",
	  "select $0 | orders o | orders.customer_id=join" },
	{ "SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c WHERE c.region = $1",
	  "select $1 | customers c, orders o | orders.customer_id=join customers.id=join customers.region=eq" },
	{ "SELECT * FROM t WHERE t.a = (SELECT max(a) FROM u WHERE u.b = $1)",
	  "select $1 | t, u | t.a=eq u.b=eq" },
	{ "SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.t_id = t.id ORDER BY u.ts DESC LIMIT $1) l",
	  "select $1 | t, u | u.t_id=join t.id=join u.ts=order-desc" },
	{ "SELECT * FROM t, unnest($1::int[]) AS u(x) WHERE t.id = u.x",
	  "select $1 | t | t.id=join" },
	/* set operations: each arm its own scope, the ORDER BY of none */
	{ "SELECT id FROM a WHERE x = $1 UNION ALL SELECT id FROM b WHERE y < $2 ORDER BY id",
	  "select $2 | a, b | a.x=eq b.y=range" },
	{ "SELECT id FROM a WHERE x = $1 INTERSECT (SELECT id FROM b WHERE y = $2 EXCEPT SELECT id FROM c WHERE z = $3)",
	  "select $3 | a, b, c | a.x=eq b.y=eq c.z=eq" },
	/* IN, ANY, BETWEEN, IS NULL, operands either way */
	{ "SELECT * FROM t WHERE id IN ($1, $2, $3) AND kind = ANY($4)",
	  "select $4 | t | t.id=eq t.kind=eq" },
	{ "SELECT * FROM t WHERE ts BETWEEN $1 AND $2 AND n BETWEEN SYMMETRIC $3 AND $4 AND m NOT BETWEEN $5 AND $6",
	  "select $6 | t | t.ts=range t.n=range" },
	{ "SELECT * FROM t WHERE $1 > ts AND $2 = kind AND $3 <= n",
	  "select $3 | t | t.ts=range t.kind=eq t.n=range" },
	{ "SELECT * FROM t WHERE a OPERATOR(pg_catalog.=) $1", "select $1 | t | t.a=eq" },
	{ "SELECT * FROM t WHERE a = lower($1) AND b = $2 || $3 AND c = (SELECT $4)",
	  "select $4 | t | t.a=eq t.b=eq t.c=eq" },
	/* what is no index column */
	{ "SELECT * FROM t WHERE a NOT IN ($1) AND b <> $2 AND c IS NOT NULL AND d LIKE $3 "
	  "AND e ILIKE $4 AND f IS NULL AND g != $5 AND h IS DISTINCT FROM $6 AND i ~ $7",
	  "select $7 | t | t.f=eq" },
	{ "SELECT * FROM users WHERE lower(email) = $1 AND created::date = $2 AND id = $3::int AND age > $4::integer",
	  "select $4 | users | users.id=eq users.age=range" },
	{ "SELECT * FROM t WHERE (a = $1 OR b = $2) AND NOT c = $3 AND d = $4 AND (e = $5 AND f > $6)",
	  "select $6 | t | t.d=eq t.e=eq t.f=range" },
	{ "SELECT * FROM t WHERE t.a = t.b AND a < b AND active AND (x, y) = ($1, $2)",
	  "select $2 | t |" },
	{ "SELECT * FROM a JOIN b ON a.x < b.y NATURAL JOIN c", "select $0 | a, b, c |" },
	{ "SELECT * FROM t WHERE s.x = $1 AND xmin = $2", "select $2 | t | t.xmin=eq" },
	/* ORDER BY: plain columns, SELECT-list names and positions */
	{ "SELECT created_at AS c, id FROM events ORDER BY c DESC, 2, lower(name), 7",
	  "select $0 | events | events.created_at=order-desc events.id=order" },
	{ "SELECT * FROM t ORDER BY a, a DESC", "select $0 | t | t.a=order" },
	/* INSERT ... SELECT, DELETE ... USING, UPDATE ... FROM */
	{ "INSERT INTO archive (id, body) SELECT id, body FROM messages WHERE created_at < $1",
	  "insert $1 | archive, messages | messages.created_at=range" },
	{ "INSERT INTO t AS x VALUES ($1) ON CONFLICT (id) DO UPDATE SET a = excluded.a WHERE x.b = $2",
	  "insert $2 | t x |" },
	{ "INSERT INTO t VALUES ($1) ON CONFLICT (id) DO UPDATE SET a = (SELECT v FROM u WHERE u.k = $2) "
	  "RETURNING (SELECT w FROM z WHERE z.id = $3)",
	  "insert $3 | t, u, z | u.k=eq z.id=eq" },
	{ "DELETE FROM sessions s USING users u WHERE s.user_id = u.id AND u.disabled = $1",
	  "delete $1 | sessions s, users u | sessions.user_id=join users.id=join users.disabled=eq" },
	{ "UPDATE accounts a SET balance = a.balance - t.amount FROM transfers t WHERE t.account_id = a.id AND t.id = $1",
	  "update $1 | accounts a, transfers t | transfers.account_id=join accounts.id=join transfers.id=eq" },
	{ "UPDATE t SET v = (SELECT max(v) FROM u WHERE u.k = t.k) WHERE id = $1",
	  "update $1 | t, u | u.k=join t.k=join t.id=eq" },
	/* the first statement only; the rest */
	{ "SELECT a FROM x WHERE b = $1; DELETE FROM y WHERE z = $2", "select $1 | x | x.b=eq" },
	{ "VACUUM ANALYZE t", "other $0 | |" },
	{ "EXPLAIN SELECT * FROM t WHERE a = $1", "other $1 | |" },
	{ "MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE", "other $0 | |" },
	{ "", "other $0 | |" },
	{ "-- nothing but a comment", "other $0 | |" },
	{ "SELECT 1", "select $0 | |" },
	{ "VALUES ($1), ($2)", "select $2 | |" },
	{ "SELECT * FROM t TABLESAMPLE SYSTEM ($1) WHERE a = $2", "select $2 | t | t.a=eq" },
	{ "SELECT '$9', $1 FROM t WHERE a = $12", "select $12 | t | t.a=eq" },
};

static void check_case(const struct parse_case *c)
{
	struct query_refs r;
	char err[256] = "";
	if (query_refs_parse(c->sql, &r, err, sizeof(err)) != 0)
		fail_msg("%s: %s", c->sql, err);
	char *got = render(&r);
	int differs = strcmp(got, c->want) != 0;
	if (differs)
		print_error("sql:  %s\nwant: %s\ngot:  %s\n", c->sql, c->want, got);
	free(got);
	query_refs_release(&r);
	assert_false(differs);
	assert_null(r.tables);
	assert_int_equal(r.ncolumns, 0);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

static void test_parse_error(void **state)
{
	(void)state;
	struct query_refs r;
	char err[256] = "";
	assert_int_equal(query_refs_parse("SELECT * FORM t WHERE a = $1", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "syntax error at or near \"FORM\" (at character 10)");
	assert_string_equal(r.command, "other");
	assert_int_equal(r.ntables, 0);
	assert_int_equal(r.ncolumns, 0);
	query_refs_release(&r);
	/* pg_stat_statements' text for a statement of another user */
	assert_int_equal(query_refs_parse("<insufficient privilege>", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "syntax error"));
	/* a truncated text (track_activity_query_size) */
	assert_int_equal(query_refs_parse("SELECT * FROM t WHERE a = $1 AND b IN ($2, $3", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "syntax error at end of input"));
	/* no room for the message: no write */
	assert_int_equal(query_refs_parse("SELEC", &r, NULL, 0), -1);
	assert_int_equal(query_refs_parse(NULL, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "no statement text");
}

/* SELECT * FROM t WHERE a IN (SELECT a FROM t WHERE a IN (... b = $1 ...)) */
static char *nested_in(int depth)
{
	struct buf b;
	buf_init(&b, 1 << 24);
	buf_printf(&b, "SELECT * FROM t0 WHERE a");
	for (int i = 1; i <= depth; i++)
		buf_printf(&b, " IN (SELECT a FROM t%d WHERE a", i);
	buf_printf(&b, " = $1");
	for (int i = 0; i < depth; i++)
		buf_printf(&b, ")");
	char *s = xstrdup(buf_str(&b));
	buf_release(&b);
	return s;
}

static void test_deep(void **state)
{
	(void)state;
	struct query_refs r;
	char err[256] = "";
	/* 20 levels: every one walked */
	char *sql = nested_in(20);
	assert_int_equal(query_refs_parse(sql, &r, err, sizeof(err)), 0);
	assert_int_equal(r.ntables, 21);
	assert_int_equal(r.ncolumns, 21);
	assert_string_equal(r.tables[r.columns[20].table].name, "t20");
	query_refs_release(&r);
	free(sql);
	/* 200 levels (a parse tree about 800 deep): walked, 64 tables kept */
	sql = nested_in(200);
	assert_int_equal(query_refs_parse(sql, &r, err, sizeof(err)), 0);
	assert_int_equal(r.ntables, QUERY_REFS_MAX_TABLES);
	assert_int_equal(r.ncolumns, QUERY_REFS_MAX_TABLES);
	query_refs_release(&r);
	free(sql);
	/* too deep for the walk (or for libpg_query): refused, said why */
	int depths[] = { 300, 2000, 20000 };
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		sql = nested_in(depths[i]);
		assert_int_equal(query_refs_parse(sql, &r, err, sizeof(err)), -1);
		assert_true(strstr(err, "nested too deeply") || strstr(err, "stack depth") ||
			    strstr(err, "memory exhausted"));
		free(sql);
	}
	/* parentheses and operators, deep */
	struct buf b;
	buf_init(&b, 1 << 24);
	buf_printf(&b, "SELECT * FROM t WHERE a = ");
	for (int i = 0; i < 5000; i++)
		buf_printf(&b, "(");
	buf_printf(&b, "$1");
	for (int i = 0; i < 5000; i++)
		buf_printf(&b, ")");
	assert_int_equal(query_refs_parse(buf_str(&b), &r, err, sizeof(err)) <= 0, 1);
	query_refs_release(&r);
	buf_reset(&b);
	buf_printf(&b, "SELECT * FROM t WHERE a = $1");
	for (int i = 0; i < 3000; i++)
		buf_printf(&b, " + $1");
	assert_int_equal(query_refs_parse(buf_str(&b), &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nested too deeply"));
	buf_release(&b);
}

static void test_bounds(void **state)
{
	(void)state;
	struct query_refs r;
	char err[256] = "";
	struct buf b;
	buf_init(&b, 1 << 24);
	/* 100 tables: the first 64 kept, the others' columns skipped */
	buf_printf(&b, "SELECT * FROM t0");
	for (int i = 1; i < 100; i++)
		buf_printf(&b, " JOIN t%d ON t%d.id = t%d.id", i, i, i - 1);
	buf_printf(&b, " WHERE t99.x = $1");
	assert_int_equal(query_refs_parse(buf_str(&b), &r, err, sizeof(err)), 0);
	assert_int_equal(r.ntables, QUERY_REFS_MAX_TABLES);
	for (size_t i = 0; i < r.ncolumns; i++)
		assert_true(r.columns[i].table >= 0 && r.columns[i].table < QUERY_REFS_MAX_TABLES);
	assert_int_equal(r.ncolumns, 64);  /* t0.id, then t1.id .. t63.id */
	query_refs_release(&r);
	/* 300 conditions: 256 columns, the first ones */
	buf_reset(&b);
	buf_printf(&b, "SELECT * FROM t WHERE c0 = $1");
	for (int i = 1; i < 300; i++)
		buf_printf(&b, " AND c%d = $%d", i, i + 1);
	assert_int_equal(query_refs_parse(buf_str(&b), &r, err, sizeof(err)), 0);
	assert_int_equal(r.ncolumns, QUERY_REFS_MAX_COLUMNS);
	assert_string_equal(r.columns[255].column, "c255");
	assert_int_equal(r.max_param, 300);
	query_refs_release(&r);
	/* a long IN list (an ORM's): one column */
	buf_reset(&b);
	buf_printf(&b, "SELECT * FROM t WHERE id IN ($1");
	for (int i = 2; i <= 20000; i++)
		buf_printf(&b, ", $%d", i);
	buf_printf(&b, ") ORDER BY id DESC");
	assert_int_equal(query_refs_parse(buf_str(&b), &r, err, sizeof(err)), 0);
	char *got = render(&r);
	assert_string_equal(got, "select $20000 | t | t.id=eq t.id=order-desc");
	free(got);
	query_refs_release(&r);
	buf_release(&b);
}

/* A database in LATIN1: its texts are not UTF-8. */
static void test_not_utf8(void **state)
{
	(void)state;
	struct query_refs r;
	char err[256] = "";
	assert_int_equal(query_refs_parse("SELECT * FROM caf\xe9 WHERE \"r\xe9sum\xe9\" = $1 AND b = 'na\xefve'",
					  &r, err, sizeof(err)), 0);
	char *got = render(&r);
	assert_string_equal(got, "select $1 | caf\xef\xbf\xbd | caf\xef\xbf\xbd.r\xef\xbf\xbdsum\xef\xbf\xbd=eq "
				 "caf\xef\xbf\xbd.b=eq");
	free(got);
	query_refs_release(&r);
	/* valid UTF-8 is kept as it is */
	assert_int_equal(query_refs_parse("SELECT * FROM \"Café\" WHERE \"Ωmega\" = $1", &r, err, sizeof(err)), 0);
	got = render(&r);
	assert_string_equal(got, "select $1 | Café | Café.Ωmega=eq");
	free(got);
	query_refs_release(&r);
}

/* A pthread that parses and ends: libpg_query frees its memory then
 * (query_refs_thread_end() does nothing, and must not free it twice);
 * after query_refs_thread_end() the thread parses no more. */
static void *parse_thread(void *arg)
{
	struct query_refs r;
	char err[256] = "";
	int *rc = arg;
	rc[0] = query_refs_parse("SELECT * FROM t WHERE a = $1", &r, err, sizeof(err));
	query_refs_release(&r);
	query_refs_thread_end();
	rc[1] = query_refs_parse("SELECT 1", &r, err, sizeof(err));
	rc[2] = strstr(err, "query_refs_thread_end") != NULL;
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		pthread_t t;
		int rc[3] = { -9, -9, -9 };
		assert_int_equal(pthread_create(&t, NULL, parse_thread, rc), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(rc[0], 0);
		assert_int_equal(rc[1], -1);
		assert_int_equal(rc[2], 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_threads),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	/* the main thread's libpg_query memory, for valgrind and LSan */
	query_refs_thread_end();
	return failed;
}
