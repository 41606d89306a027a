/*
 * fuzz_query_refs.c -- the libpg_query walker of the advisor
 * (collectors/pg_query_refs.c, query_refs_parse) on the fuzzer's bytes
 * as statement text (NUL-terminated; a NUL inside cuts it), then freed.
 * The seeds are statements as pg_stat_statements keeps them.
 *
 * Properties: no crash, leak or UB; 0 gives a known command, at most
 * QUERY_REFS_MAX_TABLES tables, each (schema, name) once, and at most
 * QUERY_REFS_MAX_COLUMNS columns, each naming a table of the list or -1,
 * each (table, column, use) once, DESC only on ORDER BY; -1 gives a
 * message and nothing else; the same text gives the same result twice.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "pg_query_refs.h"

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void check_refs(const struct query_refs *r)
{
	static const char *const commands[] = { "select", "insert", "update", "delete", "other" };
	int known = 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		known |= same(r->command, commands[i]);
	FUZZ_CHECK(known, "command %s", r->command ? r->command : "(null)");
	FUZZ_CHECK(r->max_param >= 0, "max_param %d", r->max_param);
	FUZZ_CHECK(r->ntables <= QUERY_REFS_MAX_TABLES, "%zu tables", r->ntables);
	FUZZ_CHECK(r->ncolumns <= QUERY_REFS_MAX_COLUMNS, "%zu columns", r->ncolumns);
	for (size_t i = 0; i < r->ntables; i++) {
		const struct query_table *t = &r->tables[i];
		FUZZ_CHECK(t->name != NULL, "table %zu without a name", i);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(!same(r->tables[j].schema, t->schema) || strcmp(r->tables[j].name, t->name) != 0,
				   "table %s twice", t->name);
	}
	for (size_t i = 0; i < r->ncolumns; i++) {
		const struct query_column *c = &r->columns[i];
		FUZZ_CHECK(c->table >= -1 && c->table < (int)r->ntables, "column table %d", c->table);
		FUZZ_CHECK(c->column != NULL, "column %zu without a name", i);
		FUZZ_CHECK(c->use >= QUERY_COLUMN_EQ && c->use <= QUERY_COLUMN_ORDER, "use %d", (int)c->use);
		FUZZ_CHECK(!c->descending || c->use == QUERY_COLUMN_ORDER, "DESC on use %d", (int)c->use);
		for (size_t j = 0; j < i; j++) {
			const struct query_column *d = &r->columns[j];
			FUZZ_CHECK(d->table != c->table || d->use != c->use || strcmp(d->column, c->column) != 0,
				   "column %s twice", c->column);
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* libpg_query's per-thread memory, made once before the first input
	 * (else the first input looks like a leak) */
	struct query_refs r;
	char err[256];
	if (query_refs_parse("SELECT 1", &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	query_refs_release(&r);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *sql = fuzz_strndup(data, size);
	struct query_refs r, again;
	char err[512] = "", err2[512] = "";
	int rc = query_refs_parse(sql, &r, err, sizeof(err));
	if (rc == 0) {
		check_refs(&r);
	} else {
		FUZZ_CHECK(rc == -1, "rc %d", rc);
		FUZZ_CHECK(err[0] != '\0', "no message");
		FUZZ_CHECK(r.ntables == 0 && r.ncolumns == 0 && !r.tables && !r.columns,
			   "a result with an error");
		FUZZ_CHECK(same(r.command, "other"), "command %s with an error", r.command);
	}
	int rc2 = query_refs_parse(sql, &again, err2, sizeof(err2));
	FUZZ_CHECK(rc2 == rc && again.ntables == r.ntables && again.ncolumns == r.ncolumns &&
		   again.max_param == r.max_param && strcmp(err, err2) == 0,
		   "a second parse differs: %d %zu %zu, then %d %zu %zu", rc, r.ntables, r.ncolumns,
		   rc2, again.ntables, again.ncolumns);
	query_refs_release(&again);
	query_refs_release(&r);
	free(sql);
	return 0;
}
