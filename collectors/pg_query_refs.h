/*
 * pg_query_refs.h -- which columns a statement filters, joins and sorts
 * on, per table, read from its text with libpg_query (the PostgreSQL 15
 * parser as a library).  For the optimization advisor's suggested_index
 * kind: it feeds pg_stat_statements' normalized texts ($1, $2 ...) of the
 * costliest statements through query_refs_parse(), then resolves the
 * tables in the catalog, skips columns an existing index leads with, and
 * ranks and verifies what is left.  Pure: no I/O, no log, no catalog.
 *
 * The walk, in the parse tree of the first statement of the text:
 *
 * Scopes.  A SELECT's FROM list is its scope: tables (with their alias),
 * both sides of each JOIN, subqueries in FROM (walked with a scope of
 * their own, which sees the outer ones: LATERAL and correlated
 * references), functions in FROM.  WITH names are not tables: a FROM item
 * naming one is the CTE, whose body is walked like a subquery.  The arms
 * of UNION / INTERSECT / EXCEPT are walked each with its own scope.
 * UPDATE's target and FROM, DELETE's target and USING make their scope;
 * INSERT's target is a table of the statement but not in the scope of
 * its SELECT, which is walked on its own.  Subqueries anywhere in an
 * expression (WHERE, the SELECT list, SET, HAVING, ORDER BY ...) are
 * walked with their own scope, child of the one around them.
 *
 * Column references.  "a.b" is column b of the FROM item whose alias is
 * a, or, without an alias, whose table name is a; "s.t.c" of table t of
 * schema s (or of an unqualified t); looked up from the innermost scope
 * outwards.  "b" alone belongs to the single FROM item of the innermost
 * scope that has any; with several there, table is -1 (one of the
 * statement's tables: the caller asks the catalog which has it).  A
 * column of a subquery, a function or a CTE, "*", and names found in no
 * scope (system columns of unknown tables, typos) are skipped.
 *
 * Uses.  Only top-level AND conjuncts of WHERE and JOIN ... ON count (a
 * condition under OR or NOT does not restrict the rows an index would
 * find alone, so it is ignored):
 *   col = x, col IN (...), col IN (SELECT ...), col = ANY(...),
 *   col IS NULL                                     -> QUERY_COLUMN_EQ
 *   col < x, <=, >, >=, col BETWEEN x AND y         -> QUERY_COLUMN_RANGE
 *   a.x = b.y, plain columns of different tables    -> QUERY_COLUMN_JOIN, both
 *   JOIN ... USING (c): c of each side that is a table (-1 for a side
 *   that is itself a join)                         -> QUERY_COLUMN_JOIN
 * x is anything but a plain column: a parameter, a constant, an
 * expression, a subquery, a cast ("col = $1::int" counts).  A column
 * under a function or a cast ("lower(email) = $1", "col::text = $1") is
 * no index column and is skipped, as are <>, NOT IN, IS NOT NULL, LIKE /
 * ILIKE / SIMILAR, IS DISTINCT FROM, other operators, row comparisons,
 * bare boolean columns, comparisons of two columns of one table or with
 * another operator than =, NATURAL joins.  ORDER BY of a plain column
 * (also through a SELECT-list name or position that is one) ->
 * QUERY_COLUMN_ORDER, with DESC; not in the ORDER BY of a UNION.
 * GROUP BY, HAVING, DISTINCT, the SELECT list, SET, RETURNING and ON
 * CONFLICT add nothing themselves (their subqueries are walked).
 * Commands: SELECT (VALUES too), INSERT, UPDATE, DELETE; anything else
 * (utility statements, MERGE, EXPLAIN, an empty text) is "other" with no
 * table and no column.
 *
 * Bounds.  At most QUERY_REFS_MAX_TABLES tables and QUERY_REFS_MAX_COLUMNS
 * columns (the rest is ignored, not an error); a parse tree nested more
 * than QUERY_REFS_MAX_DEPTH levels deep is refused (the walk recurses, and
 * so do libpg_query and jansson).  Bytes that are not UTF-8 (a database in
 * another encoding) are replaced by U+FFFD before parsing: jansson reads
 * only UTF-8.
 *
 * Threads.  libpg_query keeps a memory context per thread, created by the
 * first parse in the thread and freed by libpg_query itself when a thread
 * made by pthread_create() ends; the main thread's lives until
 * query_refs_thread_end().  libpg_query 15-4.0 also takes one pthread key
 * per thread that parses and never gives it back, and a process has 1024:
 * parse on long-lived threads, not on one started per pass.
 */
#ifndef DBPULSE_PG_QUERY_REFS_H
#define DBPULSE_PG_QUERY_REFS_H

#include <stddef.h>

#define QUERY_REFS_MAX_TABLES 64
#define QUERY_REFS_MAX_COLUMNS 256
#define QUERY_REFS_MAX_DEPTH 1000

enum query_column_use {
	QUERY_COLUMN_EQ,      /* compared for equality (=, IN, = ANY, IS NULL) */
	QUERY_COLUMN_RANGE,   /* <, <=, >, >=, BETWEEN */
	QUERY_COLUMN_JOIN,    /* = a column of another table */
	QUERY_COLUMN_ORDER,   /* ORDER BY */
};

/* A relation the statement reads or writes, as the text names it
 * (unquoted names folded to lower case, as PostgreSQL does). */
struct query_table {
	char *schema;   /* NULL: unqualified (the search_path decides) */
	char *name;
	char *alias;    /* the first alias the statement gives it, or NULL */
};

struct query_column {
	int table;      /* index into tables, or -1: unqualified with several
			 * FROM items in scope (one of the tables has it) */
	char *column;
	enum query_column_use use;
	int descending; /* QUERY_COLUMN_ORDER: ORDER BY ... DESC */
};

/* What query_refs_parse() found; the caller owns it and frees it with
 * query_refs_release(). */
struct query_refs {
	struct query_table *tables;   /* each (schema, name) once, in the order met */
	size_t ntables;
	struct query_column *columns; /* each (table, column, use) once, in
				       * the order of the text */
	size_t ncolumns;
	int max_param;                /* the highest $N, 0 when none */
	const char *command;          /* "select", "insert", "update", "delete"
				       * or "other"; static */
};

/* Parses sql (a NUL-terminated statement, e.g. from pg_stat_statements)
 * and walks its first statement into *out.  Returns 0, or -1 with *out
 * empty (command "other") and a message in err: libpg_query's with the
 * position of the error ("syntax error at or near "FORM" (at character
 * 10)"), or that the statement is nested too deeply, or that
 * query_refs_thread_end() was called in this thread. */
int query_refs_parse(const char *sql, struct query_refs *out, char *err, size_t errlen);

/* Frees what *r holds and empties it; r itself is the caller's. */
void query_refs_release(struct query_refs *r);

/* Frees libpg_query's memory of the calling thread, if it parsed: the
 * main thread (tests, a one-shot command) calls it before exit() so that
 * valgrind and LeakSanitizer see nothing left.  In a pthread it does
 * nothing, because libpg_query frees its memory when the thread ends (and
 * freeing it before would free it twice).  After it, query_refs_parse()
 * fails in that thread. */
void query_refs_thread_end(void);

#endif
