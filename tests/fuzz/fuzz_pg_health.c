/*
 * fuzz_pg_health.c -- the PostgreSQL collector's readers of its health
 * queries (collectors/pg_health.c) on results made from the fuzzer's
 * bytes with libpq's own PQmakeEmptyPGresult / PQsetResultAttrs /
 * PQsetvalue, then the batch rendered as exposition text
 * (agent/exposition.c), as the collector publishes it.
 *
 * The first byte picks the reader (one of them, or all of them); the rest
 * is lines of cells separated by tabs, a cell "\N" being NULL; the first
 * line's cells give the number of columns.  The settings reader
 * (pg_setting_convert: postgres_exporter's name mangling and unit
 * conversion) takes whatever names, values, units and types come.
 *
 * Properties: no crash, leak or UB; no sample dropped for an invalid
 * metric or label name (a setting whose name makes none is refused);
 * the samples are bounded by the rows times the most a row makes.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "exposition.h"
#include "fuzz_util.h"
#include "metrics.h"
#include "pg_health.h"

#define MAX_COLS 32
#define MAX_ROWS 64
/* the most samples one row makes (pg_stat_user_tables' 27, progress
 * vacuum's 13, pg_stat_activity's 4 ...), with room to spare */
#define MAX_SAMPLES_PER_ROW 32

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

static void set_row(PGresult *r, int row, char **cells, int n, int ncols)
{
	for (int c = 0; c < ncols; c++) {
		const char *v = c < n ? cells[c] : "";
		int null = strcmp(v, "\\N") == 0;
		FUZZ_CHECK(PQsetvalue(r, row, c, null ? NULL : (char *)(uintptr_t)v,
				      null ? -1 : (int)strlen(v)), "setvalue");
	}
}

static PGresult *make_result(char *text, size_t len, int *nrows)
{
	size_t pos = 0;
	char *first = next_line(text, len, &pos);
	if (!first)
		return NULL;
	char *cells[MAX_COLS];
	int ncols = split(first, cells, MAX_COLS);
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	FUZZ_CHECK(r != NULL, "no result");
	PGresAttDesc attrs[MAX_COLS];
	char names[MAX_COLS][8];
	memset(attrs, 0, sizeof(attrs));
	for (int c = 0; c < ncols; c++) {
		snprintf(names[c], sizeof(names[c]), "c%d", c);
		attrs[c].name = names[c];
		attrs[c].typid = 25;
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	FUZZ_CHECK(PQsetResultAttrs(r, ncols, attrs), "attrs");
	set_row(r, 0, cells, ncols, ncols);
	*nrows = 1;
	char *line;
	while (*nrows < MAX_ROWS && (line = next_line(text, len, &pos)) != NULL) {
		int n = split(line, cells, MAX_COLS);
		set_row(r, (*nrows)++, cells, n, ncols);
	}
	return r;
}

typedef void (*reader)(struct batch *b, const PGresult *r, struct pg_server_info *info);

static void r_server(struct batch *b, const PGresult *r, struct pg_server_info *info)
{
	pg_emit_server(b, "t", "localhost:5432", r, info);
}
static void r_stat_database(struct batch *b, const PGresult *r, struct pg_server_info *info)
{
	(void)info;
	pg_emit_stat_database(b, "t", r);
}
static void r_conflicts(struct batch *b, const PGresult *r, struct pg_server_info *info)
{
	(void)info;
	pg_emit_conflicts(b, "t", "localhost:5432", r);
}
static void r_database(struct batch *b, const PGresult *r, struct pg_server_info *info)
{
	(void)info;
	pg_emit_database(b, "t", r);
	pg_emit_database_size(b, "t", r);
	pg_emit_roles(b, "t", r);
}
static void r_activity(struct batch *b, const PGresult *r, struct pg_server_info *info)
{
	pg_emit_activity(b, "t", r, info);
	pg_emit_locks(b, "t", r);
}
static void r_replication(struct batch *b, const PGresult *r, struct pg_server_info *info)
{
	pg_emit_replication(b, "t", r);
	pg_emit_standby(b, "t", r);
	pg_emit_wal_receiver(b, "t", r, info->in_recovery);
	pg_emit_slots(b, "t", r);
}
static void r_wal(struct batch *b, const PGresult *r, struct pg_server_info *info)
{
	(void)info;
	pg_emit_archiver(b, "t", r);
	pg_emit_wal(b, "t", r);
	pg_emit_wal_dir(b, "t", r);
	pg_emit_bgwriter(b, "t", r);
	pg_emit_checkpointer(b, "t", r);
}
static void r_tables(struct batch *b, const PGresult *r, struct pg_server_info *info)
{
	(void)info;
	pg_emit_tables(b, "t", "db", r);
	pg_emit_table_sizes(b, "t", "db", r);
	pg_emit_progress_vacuum(b, "t", r);
}
static void r_settings(struct batch *b, const PGresult *r, struct pg_server_info *info)
{
	(void)info;
	pg_emit_settings(b, "t", r);
}

static const reader readers[] = {
	r_server, r_stat_database, r_conflicts, r_database, r_activity, r_replication, r_wal,
	r_tables, r_settings,
};
#define NREADERS (sizeof(readers) / sizeof(readers[0]))

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
	if (size < 1)
		return 0;
	size_t pick = data[0] % (NREADERS + 1); /* NREADERS: all of them */
	char *text = fuzz_strndup(data + 1, size - 1);
	int nrows = 0;
	PGresult *r = make_result(text, size - 1, &nrows);
	if (!r) {
		free(text);
		return 0;
	}
	struct batch *b = batch_new();
	struct pg_server_info info = { .max_connections = 100, .reserved = 3, .in_recovery = 1 };
	for (size_t i = 0; i < NREADERS; i++)
		if (pick == NREADERS || pick == i)
			readers[i](b, r, &info);
	FUZZ_CHECK(b->invalid == 0, "%llu samples with an invalid name", (unsigned long long)b->invalid);
	FUZZ_CHECK(b->nsamples <= (size_t)nrows * MAX_SAMPLES_PER_ROW * NREADERS + 8,
		   "%zu samples of %d rows", b->nsamples, nrows);
	struct expo_block *blk = expo_render(b);
	expo_block_unref(blk);
	batch_free(b);
	PQclear(r);
	free(text);
	return 0;
}
