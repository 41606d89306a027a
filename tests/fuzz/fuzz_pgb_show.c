/*
 * fuzz_pgb_show.c -- the readers of PgBouncer's SHOW results
 * (collectors/pgb_show.c) on results made from the fuzzer's bytes with
 * libpq's own PQmakeEmptyPGresult / PQsetResultAttrs / PQsetvalue, then
 * the batch rendered as exposition text (agent/exposition.c), as the
 * collector publishes it.
 *
 * The input is lines: the first holds the column names, the others the
 * rows, cells separated by tabs; a cell "\N" is NULL.  Every reader runs on
 * the same result (each picks its own columns by name), as a hostile or
 * future PgBouncer could answer any command with any columns.
 *
 * Properties: no crash, leak or UB; no sample is dropped for an invalid
 * name; each reader counts at most one bad row per row; the samples are
 * bounded by the rows times the known columns, SHOW CLIENTS' groups by
 * the rows.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "exposition.h"
#include "fuzz_util.h"
#include "metrics.h"
#include "pgb_show.h"

#define MAX_COLS 32
#define MAX_ROWS 64
/* known value columns of all readers together, with room to spare */
#define MAX_SAMPLES_PER_ROW 64

static int split(char *line, char **cells, int max)
{
	int n = 0;
	for (char *p = line; n < max;) {
		char *tab = strchr(p, '\t');
		cells[n++] = p;
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

static PGresult *make_result(char *text, size_t len, int *nrows)
{
	size_t pos = 0;
	char *header = next_line(text, len, &pos);
	if (!header)
		return NULL;
	char *names[MAX_COLS];
	int ncols = split(header, names, MAX_COLS);
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	FUZZ_CHECK(r != NULL, "no result");
	PGresAttDesc attrs[MAX_COLS];
	memset(attrs, 0, sizeof(attrs));
	for (int c = 0; c < ncols; c++) {
		attrs[c].name = names[c];
		attrs[c].typid = 25;
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	FUZZ_CHECK(PQsetResultAttrs(r, ncols, attrs), "attrs");
	char *line;
	*nrows = 0;
	while (*nrows < MAX_ROWS && (line = next_line(text, len, &pos)) != NULL) {
		char *cells[MAX_COLS];
		int n = split(line, cells, MAX_COLS);
		for (int c = 0; c < ncols; c++) {
			const char *v = c < n ? cells[c] : "";
			int null = strcmp(v, "\\N") == 0;
			FUZZ_CHECK(PQsetvalue(r, *nrows, c, null ? NULL : (char *)(uintptr_t)v,
					      null ? -1 : (int)strlen(v)), "setvalue");
		}
		(*nrows)++;
	}
	return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[256];
	if (pg_libpq_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	int nrows = 0;
	PGresult *r = make_result(text, size, &nrows);
	if (!r) {
		free(text);
		return 0;
	}
	struct batch *b = batch_new();
	struct pgb_info info = { 0 };
	pgb_emit_version(b, "pool", r, &info);
	pgb_emit_lists(b, "pool", r, &info);
	pgb_emit_config(b, "pool", r, &info);
	pgb_emit_databases(b, "pool", r, &info);
	pgb_emit_stats_totals(b, "pool", r, &info);
	pgb_emit_pools(b, "pool", r, &info);
	size_t before = b->nsamples;
	pgb_emit_clients(b, "pool", r, &info);
	FUZZ_CHECK(b->nsamples - before <= (size_t)nrows, "%zu client groups of %d rows",
		   b->nsamples - before, nrows);
	pgb_emit_utilization(b, "pool", &info);
	FUZZ_CHECK(b->invalid == 0, "%llu samples with an invalid name", (unsigned long long)b->invalid);
	FUZZ_CHECK(info.bad_rows <= 5 * (uint64_t)nrows, "%llu bad rows of %d",
		   (unsigned long long)info.bad_rows, nrows);
	FUZZ_CHECK(info.rows_cut == 0, "rows cut");
	FUZZ_CHECK(b->nsamples <= (size_t)nrows * MAX_SAMPLES_PER_ROW + 2, "%zu samples of %d rows",
		   b->nsamples, nrows);
	struct expo_block *blk = expo_render(b);
	expo_block_unref(blk);
	batch_free(b);
	PQclear(r);
	free(text);
	return 0;
}
