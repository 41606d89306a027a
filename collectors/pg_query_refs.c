/*
 * pg_query_refs.c -- which columns a statement filters, joins and sorts
 * on, read from its parse tree (see pg_query_refs.h for the rules).
 *
 * libpg_query (linked statically; configure.ac says why) turns the text
 * into its JSON parse tree, jansson reads that, and the walk below goes
 * through it scope by scope.  Called by the optimization advisor's pass
 * for each of the costliest statements; no I/O, no log.  The walk owns
 * its scopes and its list of found columns (freed before it returns); the
 * names in the scopes point into the JSON tree, freed last; what is
 * copied into the caller's struct query_refs is the caller's.
 */
#include "autoconfig.h"
#include "pg_query_refs.h"
#include "strutil.h"
#include "xalloc.h"

#include <jansson.h>
#include <pg_query.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "banned.h"

/* What a column reference resolves to besides a table index and -1 (one
 * of several): nothing of a table (a subquery's, a function's, a CTE's
 * column, or a name found in no scope). */
#define NOT_A_TABLE (-2)

/* libpg_query's memory is per thread; so is what this file knows of it:
 * whether this thread parsed, and whether query_refs_thread_end() let go
 * of libpg_query in it (libpg_query 15-4.0 cannot start again in a thread
 * after pg_query_exit(), and crashes in pg_query_exit() without a parse
 * before). */
static _Thread_local int thread_parsed, thread_ended;

/* A FROM item of a scope. */
struct scope_item {
	const char *schema; /* a table's schema, or NULL */
	const char *name;   /* a table's or CTE's name, or NULL */
	const char *alias;  /* or NULL */
	int table;          /* index into the tables, or NOT_A_TABLE */
};

/* The names a part of the statement sees: its FROM items and WITH names,
 * and the scope around it (correlated and LATERAL references). */
struct scope {
	const struct scope *parent;
	struct scope_item *items;
	size_t nitems, items_alloc;
	const char **ctes;
	size_t nctes, ctes_alloc;
	const json_t *targets; /* a SELECT's list, for ORDER BY names and positions */
};

/* A column found, with where the text has it (the final order). */
struct found {
	int table;
	const char *column; /* in the JSON tree */
	enum query_column_use use;
	int descending;
	long location;
	size_t seq;         /* the order found, for equal locations */
};

struct walk {
	struct query_refs *out;
	size_t tables_alloc;
	struct found *found;
	size_t nfound, found_alloc;
	int depth;
	long max_location;  /* the furthest location met so far */
};

static void walk_stmt(struct walk *w, const json_t *node, const struct scope *parent);
static void walk_select(struct walk *w, const json_t *sel, const struct scope *parent);
static void find_sublinks(struct walk *w, const json_t *v, const struct scope *s);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- the JSON tree ------------------------------------------------------ */

/* The fields of node ({"Type": {fields}}) when it is of that type, else
 * NULL (jansson's getters take NULL and give NULL). */
static const json_t *node_as(const json_t *node, const char *type)
{
	return json_object_get(node, type);
}

static const char *str_field(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* libpg_query leaves out fields that are 0. */
static long int_field(const json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

static int str_is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/* The value of a String node, or NULL. */
static const char *string_node(const json_t *node)
{
	return str_field(node_as(node, "String"), "sval");
}

/* The last name of a list of String nodes: an operator's ("=" of
 * OPERATOR(pg_catalog.=)). */
static const char *last_name(const json_t *list)
{
	size_t n = json_array_size(list);
	return n ? string_node(json_array_get(list, n - 1)) : NULL;
}

static const char *alias_of(const json_t *fields)
{
	return str_field(json_object_get(fields, "alias"), "aliasname");
}

/* The names of a plain column reference (a ColumnRef of one to three
 * names) into names[3]; their count, 0 for anything else ("*", four
 * names, a function, a cast, a constant). */
static int column_names(const json_t *node, const char *names[3])
{
	const json_t *fields = json_object_get(node_as(node, "ColumnRef"), "fields");
	size_t n = json_array_size(fields);
	if (n < 1 || n > 3)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(names[i] = string_node(json_array_get(fields, i))))
			return 0;
	return (int)n;
}

/* The deepest nesting of objects and arrays in the JSON text j. */
static int json_text_depth(const char *j)
{
	int depth = 0, max = 0, in_string = 0;
	for (const char *p = j; *p; p++) {
		if (in_string) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_string = 0;
		} else if (*p == '"') {
			in_string = 1;
		} else if (*p == '{' || *p == '[') {
			if (++depth > max)
				max = depth;
		} else if (*p == '}' || *p == ']') {
			depth--;
		}
	}
	return max;
}

/* ---- scopes ------------------------------------------------------------- */

static void scope_add(struct scope *s, const char *schema, const char *name, const char *alias,
		      int table)
{
	s->items = xgrow(s->items, &s->items_alloc, s->nitems + 1, sizeof(*s->items));
	s->items[s->nitems++] = (struct scope_item){ schema, name, alias, table };
}

static void scope_release(struct scope *s)
{
	free(s->items);
	free(s->ctes);
}

static int is_cte(const struct scope *s, const char *name)
{
	for (; s; s = s->parent)
		for (size_t i = 0; i < s->nctes; i++)
			if (strcmp(s->ctes[i], name) == 0)
				return 1;
	return 0;
}

/* Whether item is what "schema.name" (schema may be NULL) designates: its
 * alias, or its table name when it has no alias. */
static int item_matches(const struct scope_item *item, const char *schema, const char *name)
{
	if (item->alias)
		return !schema && strcmp(item->alias, name) == 0;
	if (!item->name || strcmp(item->name, name) != 0)
		return 0;
	return !schema || !item->schema || strcmp(item->schema, schema) == 0;
}

/* The table of a plain column reference of n names: an index, -1 or
 * NOT_A_TABLE; *item is the FROM item it belongs to, or NULL. */
static int resolve(const struct scope *s, const char *const names[3], int n,
		   const struct scope_item **item)
{
	*item = NULL;
	if (n == 1) {
		while (s && s->nitems == 0)
			s = s->parent;
		if (!s)
			return NOT_A_TABLE;
		if (s->nitems == 1) {
			*item = &s->items[0];
			return s->items[0].table;
		}
		for (size_t i = 0; i < s->nitems; i++)
			if (s->items[i].table >= 0)
				return -1;
		return NOT_A_TABLE;
	}
	const char *schema = n == 3 ? names[0] : NULL, *rel = names[n - 2];
	for (; s; s = s->parent)
		for (size_t i = 0; i < s->nitems; i++)
			if (item_matches(&s->items[i], schema, rel)) {
				*item = &s->items[i];
				return s->items[i].table;
			}
	return NOT_A_TABLE;
}

/* ---- what is found ------------------------------------------------------ */

static int same_name(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The index of table (schema, name), added if new; NOT_A_TABLE past
 * QUERY_REFS_MAX_TABLES. */
static int add_table(struct walk *w, const char *schema, const char *name, const char *alias)
{
	struct query_refs *out = w->out;
	for (size_t i = 0; i < out->ntables; i++) {
		struct query_table *t = &out->tables[i];
		if (same_name(t->schema, schema) && strcmp(t->name, name) == 0) {
			if (!t->alias && alias)
				t->alias = xstrdup(alias);
			return (int)i;
		}
	}
	if (out->ntables == QUERY_REFS_MAX_TABLES)
		return NOT_A_TABLE;
	out->tables = xgrow(out->tables, &w->tables_alloc, out->ntables + 1, sizeof(*out->tables));
	out->tables[out->ntables] = (struct query_table){
		.schema = schema ? xstrdup(schema) : NULL,
		.name = xstrdup(name),
		.alias = alias ? xstrdup(alias) : NULL,
	};
	return (int)out->ntables++;
}

static void add_column(struct walk *w, int table, const char *column, enum query_column_use use,
		       int descending, long location)
{
	if (location > w->max_location)
		w->max_location = location;
	for (size_t i = 0; i < w->nfound; i++) {
		struct found *f = &w->found[i];
		if (f->table == table && f->use == use && strcmp(f->column, column) == 0) {
			if (location < f->location) {
				f->location = location;
				f->descending = descending;
			}
			return;
		}
	}
	if (w->nfound == QUERY_REFS_MAX_COLUMNS)
		return;
	w->found = xgrow(w->found, &w->found_alloc, w->nfound + 1, sizeof(*w->found));
	w->found[w->nfound] = (struct found){ table, column, use, descending, location, w->nfound };
	w->nfound++;
}

/* node's use, when it is a plain column of a table in scope. */
static void use_column(struct walk *w, const json_t *node, enum query_column_use use,
		       int descending, const struct scope *s)
{
	const char *names[3];
	int n = column_names(node, names);
	if (!n)
		return;
	const struct scope_item *item;
	int table = resolve(s, names, n, &item);
	if (table != NOT_A_TABLE)
		add_column(w, table, names[n - 1], use, descending,
			   int_field(node_as(node, "ColumnRef"), "location"));
}

/* a = b, both plain columns: a join when they are of different FROM
 * items (a self-join's two items are one table). */
static void use_join(struct walk *w, const json_t *a, const json_t *b, const struct scope *s)
{
	const char *na[3], *nb[3];
	const struct scope_item *ia, *ib;
	resolve(s, na, column_names(a, na), &ia);
	resolve(s, nb, column_names(b, nb), &ib);
	if (ia && ia == ib)
		return;
	use_column(w, a, QUERY_COLUMN_JOIN, 0, s);
	use_column(w, b, QUERY_COLUMN_JOIN, 0, s);
}

/* ---- conditions --------------------------------------------------------- */

static int is_range_op(const char *op)
{
	return str_is(op, "<") || str_is(op, ">") || str_is(op, "<=") || str_is(op, ">=");
}

static void classify_a_expr(struct walk *w, const json_t *e, const struct scope *s)
{
	const char *kind = str_field(e, "kind"), *op = last_name(json_object_get(e, "name"));
	const json_t *l = json_object_get(e, "lexpr"), *r = json_object_get(e, "rexpr");
	const char *names[3];
	int lcol = column_names(l, names) > 0, rcol = column_names(r, names) > 0;

	if (str_is(kind, "AEXPR_OP") && str_is(op, "=")) {
		if (lcol && rcol) {
			use_join(w, l, r, s);
		} else {
			use_column(w, l, QUERY_COLUMN_EQ, 0, s);
			use_column(w, r, QUERY_COLUMN_EQ, 0, s);
		}
	} else if (str_is(kind, "AEXPR_OP") && is_range_op(op)) {
		if (lcol && rcol)
			return;
		use_column(w, l, QUERY_COLUMN_RANGE, 0, s);
		use_column(w, r, QUERY_COLUMN_RANGE, 0, s);
	} else if ((str_is(kind, "AEXPR_OP_ANY") || str_is(kind, "AEXPR_IN")) && str_is(op, "=")) {
		use_column(w, l, QUERY_COLUMN_EQ, 0, s);
	} else if (str_is(kind, "AEXPR_BETWEEN") || str_is(kind, "AEXPR_BETWEEN_SYM")) {
		use_column(w, l, QUERY_COLUMN_RANGE, 0, s);
	}
}

/* One conjunct of a WHERE or ON. */
static void classify(struct walk *w, const json_t *e, const struct scope *s)
{
	const json_t *f;
	if ((f = node_as(e, "A_Expr"))) {
		classify_a_expr(w, f, s);
	} else if ((f = node_as(e, "NullTest"))) {
		if (str_is(str_field(f, "nulltesttype"), "IS_NULL"))
			use_column(w, json_object_get(f, "arg"), QUERY_COLUMN_EQ, 0, s);
	} else if ((f = node_as(e, "SubLink"))) {
		/* col IN (SELECT ...), col = ANY (SELECT ...) */
		const json_t *op = json_object_get(f, "operName");
		if (str_is(str_field(f, "subLinkType"), "ANY_SUBLINK") &&
		    (!op || str_is(last_name(op), "=")))
			use_column(w, json_object_get(f, "testexpr"), QUERY_COLUMN_EQ, 0, s);
	}
}

/* The top-level AND conjuncts of e. */
static void add_conjuncts(struct walk *w, const json_t *e, const struct scope *s)
{
	const json_t *b = node_as(e, "BoolExpr");
	if (!b) {
		classify(w, e, s);
		return;
	}
	if (!str_is(str_field(b, "boolop"), "AND_EXPR") || w->depth >= QUERY_REFS_MAX_DEPTH)
		return;
	w->depth++;
	const json_t *args = json_object_get(b, "args");
	for (size_t i = 0; i < json_array_size(args); i++)
		add_conjuncts(w, json_array_get(args, i), s);
	w->depth--;
}

/* A WHERE or an ON: its conjuncts, and the subqueries anywhere in it. */
static void walk_quals(struct walk *w, const json_t *e, const struct scope *s)
{
	if (!e)
		return;
	add_conjuncts(w, e, s);
	find_sublinks(w, e, s);
}

/* Walks the subqueries (SubLink) anywhere under v, each with its own
 * scope, child of s. */
static void find_sublinks(struct walk *w, const json_t *v, const struct scope *s)
{
	if (!v || w->depth >= QUERY_REFS_MAX_DEPTH)
		return;
	w->depth++;
	const json_t *sub = json_object_size(v) == 1 ? node_as(v, "SubLink") : NULL;
	if (sub) {
		walk_stmt(w, json_object_get(sub, "subselect"), s);
		find_sublinks(w, json_object_get(sub, "testexpr"), s);
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			find_sublinks(w, json_array_get(v, i), s);
	} else if (json_is_object(v)) {
		json_t *o = (json_t *)v; /* jansson's iterators take no const */
		for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it))
			find_sublinks(w, json_object_iter_value(it), s);
	}
	w->depth--;
}

/* ---- ORDER BY ----------------------------------------------------------- */

/* The expression an ORDER BY item sorts on: the SELECT list's entry for
 * an output name or a position, else the item itself. */
static const json_t *sort_target(const json_t *node, const struct scope *s)
{
	const char *names[3];
	const json_t *c = node_as(node, "A_Const");
	if (c) {
		const json_t *ival = json_object_get(c, "ival");
		long pos = ival ? int_field(ival, "ival") : 0;
		if (pos < 1 || (size_t)pos > json_array_size(s->targets))
			return NULL;
		const json_t *target = node_as(json_array_get(s->targets, (size_t)pos - 1), "ResTarget");
		return json_object_get(target, "val");
	}
	if (column_names(node, names) != 1)
		return node;
	for (size_t i = 0; i < json_array_size(s->targets); i++) {
		const json_t *target = node_as(json_array_get(s->targets, i), "ResTarget");
		if (str_is(str_field(target, "name"), names[0]))
			return json_object_get(target, "val");
	}
	return node;
}

static void walk_sort(struct walk *w, const json_t *list, const struct scope *s)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *by = node_as(json_array_get(list, i), "SortBy");
		const json_t *node = json_object_get(by, "node");
		int desc = str_is(str_field(by, "sortby_dir"), "SORTBY_DESC");
		use_column(w, sort_target(node, s), QUERY_COLUMN_ORDER, desc, s);
		find_sublinks(w, node, s);
	}
}

/* ---- FROM --------------------------------------------------------------- */

/* A RangeVar's fields: a table of the statement in scope s, or a CTE.
 * Returns its table index or NOT_A_TABLE. */
static int add_range_var(struct walk *w, const json_t *rv, struct scope *s)
{
	const char *schema = str_field(rv, "schemaname"), *name = str_field(rv, "relname");
	const char *alias = alias_of(rv);
	if (!name)
		return NOT_A_TABLE;
	long location = int_field(rv, "location");
	if (location > w->max_location)
		w->max_location = location;
	int table = !schema && is_cte(s, name) ? NOT_A_TABLE : add_table(w, schema, name, alias);
	scope_add(s, schema, name, alias, table);
	return table;
}

/* Where the text has the last FROM item of a join tree, or -1. */
static long join_location(const json_t *item)
{
	const json_t *j;
	while ((j = node_as(item, "JoinExpr")))
		item = json_object_get(j, "rarg");
	const json_t *rv = node_as(item, "RangeVar");
	return rv ? int_field(rv, "location") : -1;
}

/* JOIN ... USING (c, ...): c of each side; a side is a table (its index),
 * a join (-1) or neither. */
static void walk_using(struct walk *w, const json_t *join, int left, int right)
{
	const json_t *list = json_object_get(join, "usingClause");
	long location = join_location(json_object_get(join, "rarg"));
	if (location < 0)
		location = w->max_location;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *name = string_node(json_array_get(list, i));
		if (!name)
			continue;
		if (left != NOT_A_TABLE)
			add_column(w, left, name, QUERY_COLUMN_JOIN, 0, location);
		if (right != NOT_A_TABLE)
			add_column(w, right, name, QUERY_COLUMN_JOIN, 0, location);
	}
}

/* One FROM item into scope s.  Returns the table index of a table, -1
 * for a join, NOT_A_TABLE for anything else. */
static int walk_from_item(struct walk *w, const json_t *item, struct scope *s)
{
	const json_t *f;
	if ((f = node_as(item, "RangeVar")))
		return add_range_var(w, f, s);
	if (w->depth >= QUERY_REFS_MAX_DEPTH)
		return NOT_A_TABLE;
	w->depth++;
	int ret = NOT_A_TABLE;
	if ((f = node_as(item, "JoinExpr"))) {
		int left = walk_from_item(w, json_object_get(f, "larg"), s);
		int right = walk_from_item(w, json_object_get(f, "rarg"), s);
		walk_using(w, f, left, right);
		walk_quals(w, json_object_get(f, "quals"), s);
		ret = -1;
	} else if ((f = node_as(item, "RangeTableSample"))) {
		ret = walk_from_item(w, json_object_get(f, "relation"), s);
		find_sublinks(w, json_object_get(f, "args"), s);
	} else if ((f = node_as(item, "RangeSubselect"))) {
		walk_stmt(w, json_object_get(f, "subquery"), s);
		scope_add(s, NULL, NULL, alias_of(f), NOT_A_TABLE);
	} else if (json_object_size(item) == 1) {
		/* a function, XMLTABLE ...: a FROM item of no table */
		f = json_object_iter_value(json_object_iter((json_t *)item));
		find_sublinks(w, f, s);
		scope_add(s, NULL, NULL, alias_of(f), NOT_A_TABLE);
	}
	w->depth--;
	return ret;
}

static void walk_from_list(struct walk *w, const json_t *list, struct scope *s)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		walk_from_item(w, json_array_get(list, i), s);
}

/* ---- statements --------------------------------------------------------- */

/* WITH: its names into s (all of them, so that each body sees the
 * others), then each body, in a scope of its own under s. */
static void walk_with(struct walk *w, const json_t *with, struct scope *s)
{
	const json_t *ctes = json_object_get(with, "ctes");
	size_t n = json_array_size(ctes);
	for (size_t i = 0; i < n; i++) {
		const char *name = str_field(node_as(json_array_get(ctes, i), "CommonTableExpr"), "ctename");
		if (!name)
			continue;
		s->ctes = xgrow(s->ctes, &s->ctes_alloc, s->nctes + 1, sizeof(*s->ctes));
		s->ctes[s->nctes++] = name;
	}
	for (size_t i = 0; i < n; i++)
		walk_stmt(w, json_object_get(node_as(json_array_get(ctes, i), "CommonTableExpr"), "ctequery"), s);
}

static void walk_set_arm(struct walk *w, const json_t *sel, const struct scope *parent)
{
	if (!sel || w->depth >= QUERY_REFS_MAX_DEPTH)
		return;
	w->depth++;
	walk_select(w, sel, parent);
	w->depth--;
}

/* The fields of a SelectStmt (also an arm of a UNION, a VALUES). */
static void walk_select(struct walk *w, const json_t *sel, const struct scope *parent)
{
	static const char *const rest[] = {
		"targetList", "groupClause", "havingClause", "distinctClause", "valuesLists",
		"windowClause", "limitOffset", "limitCount",
	};
	struct scope s = { .parent = parent };
	walk_with(w, json_object_get(sel, "withClause"), &s);
	const char *op = str_field(sel, "op");
	if (op && strcmp(op, "SETOP_NONE") != 0) {
		walk_set_arm(w, json_object_get(sel, "larg"), &s);
		walk_set_arm(w, json_object_get(sel, "rarg"), &s);
		find_sublinks(w, json_object_get(sel, "sortClause"), &s);
	} else {
		s.targets = json_object_get(sel, "targetList");
		walk_from_list(w, json_object_get(sel, "fromClause"), &s);
		walk_quals(w, json_object_get(sel, "whereClause"), &s);
		walk_sort(w, json_object_get(sel, "sortClause"), &s);
	}
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
		find_sublinks(w, json_object_get(sel, rest[i]), &s);
	scope_release(&s);
}

/* UPDATE (its FROM) and DELETE (its USING): the target and from_key's
 * list make the scope of the WHERE. */
static void walk_update_delete(struct walk *w, const json_t *u, const char *from_key,
			       const struct scope *parent)
{
	struct scope s = { .parent = parent };
	walk_with(w, json_object_get(u, "withClause"), &s);
	add_range_var(w, json_object_get(u, "relation"), &s);
	walk_from_list(w, json_object_get(u, from_key), &s);
	walk_quals(w, json_object_get(u, "whereClause"), &s);
	find_sublinks(w, json_object_get(u, "targetList"), &s);
	find_sublinks(w, json_object_get(u, "returningList"), &s);
	scope_release(&s);
}

static void walk_insert(struct walk *w, const json_t *ins, const struct scope *parent)
{
	struct scope s = { .parent = parent };
	walk_with(w, json_object_get(ins, "withClause"), &s);
	const json_t *rv = json_object_get(ins, "relation");
	const char *name = str_field(rv, "relname");
	if (name)
		add_table(w, str_field(rv, "schemaname"), name, alias_of(rv));
	walk_stmt(w, json_object_get(ins, "selectStmt"), &s);
	find_sublinks(w, json_object_get(ins, "onConflictClause"), &s);
	find_sublinks(w, json_object_get(ins, "returningList"), &s);
	scope_release(&s);
}

/* A statement node ({"SelectStmt": {...}} ...) in a scope of its own. */
static void walk_stmt(struct walk *w, const json_t *node, const struct scope *parent)
{
	const json_t *f;
	if (!node || w->depth >= QUERY_REFS_MAX_DEPTH)
		return;
	w->depth++;
	if ((f = node_as(node, "SelectStmt")))
		walk_select(w, f, parent);
	else if ((f = node_as(node, "InsertStmt")))
		walk_insert(w, f, parent);
	else if ((f = node_as(node, "UpdateStmt")))
		walk_update_delete(w, f, "fromClause", parent);
	else if ((f = node_as(node, "DeleteStmt")))
		walk_update_delete(w, f, "usingClause", parent);
	w->depth--;
}

/* ---- the result --------------------------------------------------------- */

static int by_location(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	if (x->location != y->location)
		return x->location < y->location ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The found columns into out, in the order of the text. */
static void finish(struct walk *w)
{
	struct query_refs *out = w->out;
	if (!w->nfound)
		return;
	qsort(w->found, w->nfound, sizeof(*w->found), by_location);
	out->columns = xcalloc(w->nfound, sizeof(*out->columns));
	for (size_t i = 0; i < w->nfound; i++) {
		const struct found *f = &w->found[i];
		out->columns[i] = (struct query_column){
			.table = f->table,
			.column = xstrdup(f->column),
			.use = f->use,
			.descending = f->descending,
		};
	}
	out->ncolumns = w->nfound;
}

/* The highest $N under v. */
static int max_param(const json_t *v, int depth)
{
	int high = 0;
	if (!v || depth >= QUERY_REFS_MAX_DEPTH)
		return 0;
	const json_t *p = json_object_size(v) == 1 ? node_as(v, "ParamRef") : NULL;
	if (p)
		return (int)int_field(p, "number");
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			int n = max_param(json_array_get(v, i), depth + 1);
			high = n > high ? n : high;
		}
	} else if (json_is_object(v)) {
		json_t *o = (json_t *)v;
		for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
			int n = max_param(json_object_iter_value(it), depth + 1);
			high = n > high ? n : high;
		}
	}
	return high;
}

static const char *command_of(const json_t *stmt)
{
	if (node_as(stmt, "SelectStmt"))
		return "select";
	if (node_as(stmt, "InsertStmt"))
		return "insert";
	if (node_as(stmt, "UpdateStmt"))
		return "update";
	if (node_as(stmt, "DeleteStmt"))
		return "delete";
	return "other";
}

/* libpg_query's JSON parse tree into out: 0, or -1 with err. */
static int read_tree(const char *tree, struct query_refs *out, char *err, size_t errlen)
{
	if (json_text_depth(tree) > QUERY_REFS_MAX_DEPTH) {
		set_err(err, errlen, "statement nested too deeply (its parse tree has more than %d levels)",
			QUERY_REFS_MAX_DEPTH);
		return -1;
	}
	json_error_t jerr;
	json_t *root = json_loads(tree, 0, &jerr);
	if (!root) {
		set_err(err, errlen, "cannot read libpg_query's parse tree: %s", jerr.text);
		return -1;
	}
	const json_t *stmt = json_object_get(json_array_get(json_object_get(root, "stmts"), 0), "stmt");
	out->command = command_of(stmt);
	out->max_param = max_param(stmt, 0);
	struct walk w = { .out = out };
	walk_stmt(&w, stmt, NULL);
	finish(&w);
	free(w.found);
	json_decref(root);
	return 0;
}

static int text_is_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t len = utf8_sequence_len((const unsigned char *)s + i, n - i);
		if (!len)
			return 0;
		i += len;
	}
	return 1;
}

int query_refs_parse(const char *sql, struct query_refs *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->command = "other";
	if (!sql) {
		set_err(err, errlen, "no statement text");
		return -1;
	}
	if (thread_ended) {
		set_err(err, errlen, "cannot parse: query_refs_thread_end() was called in this thread");
		return -1;
	}
	size_t n = strlen(sql);
	char *clean = NULL;
	if (!text_is_utf8(sql, n)) {
		clean = xmalloc(UTF8_CLEAN_SIZE(n, 3 * n));
		utf8_clean(clean, sql, n, 3 * n);
	}
	PgQueryParseResult r = pg_query_parse(clean ? clean : sql);
	thread_parsed = 1;
	free(clean);
	int rc;
	if (r.error) {
		if (r.error->cursorpos > 0)
			set_err(err, errlen, "%s (at character %d)", r.error->message, r.error->cursorpos);
		else
			set_err(err, errlen, "%s", r.error->message);
		rc = -1;
	} else {
		rc = read_tree(r.parse_tree, out, err, errlen);
	}
	pg_query_free_parse_result(r);
	if (rc < 0) {
		query_refs_release(out);
		out->command = "other";
	}
	return rc;
}

void query_refs_release(struct query_refs *r)
{
	for (size_t i = 0; i < r->ntables; i++) {
		free(r->tables[i].schema);
		free(r->tables[i].name);
		free(r->tables[i].alias);
	}
	for (size_t i = 0; i < r->ncolumns; i++)
		free(r->columns[i].column);
	free(r->tables);
	free(r->columns);
	memset(r, 0, sizeof(*r));
}

void query_refs_thread_end(void)
{
	/* pg_query_exit() only where no one else frees: libpg_query's
	 * pthread key frees the memory of a pthread as it ends, from the
	 * pointer it kept, which pg_query_exit() would leave dangling. */
	if (thread_parsed && !thread_ended && gettid() == getpid())
		pg_query_exit();
	thread_ended = 1;
}
