/*
 * pg_stmt_rows.c -- decodes the rows of the read of pg_stat_statements'
 * counters (see pg_stmt_rows.h): binary cells through pg_binary.c, no
 * text parsing.  Called for each row as it arrives (single-row mode for
 * the read with texts, a binary COPY for the plain one).
 */
#include "autoconfig.h"
#include "pg_stmt_rows.h"
#include "pg_binary.h"

#include <stdint.h>
#include <stdio.h>
#include "banned.h"

int pg_stmt_rows_check(const PGresult *r, int with_texts, char *err, size_t errlen)
{
	int ncols = 3 + PGSS_NFIELDS + (with_texts ? 1 : 0);
	if (PQnfields(r) != ncols) {
		snprintf(err, errlen, "pg_stat_statements read has %d columns, not %d", PQnfields(r),
			 ncols);
		return -1;
	}
	for (int c = 0; c < ncols; c++) {
		uint32_t type = PQftype(r, c);
		int ok = c < 3		       ? pg_bin_is_integer(type)
			 : c < 3 + PGSS_NFIELDS ? pg_bin_is_number(type)
						: type == PG_TYPE_TEXT;
		if (!ok) {
			snprintf(err, errlen, "pg_stat_statements column %d (%s) has type oid %u, "
				 "which is not decoded", c + 1, PQfname(r, c), type);
			return -1;
		}
	}
	return 0;
}

/* A key cell: an integer (oid or int8) within [min, max]. */
static int key_cell(const PGresult *r, int row, int col, int64_t min, int64_t max, int64_t *out)
{
	if (PQgetisnull(r, row, col) ||
	    pg_bin_int64(PQftype(r, col), PQgetvalue(r, row, col), PQgetlength(r, row, col), out) < 0)
		return -1;
	return *out < min || *out > max ? -1 : 0;
}

int pg_stmt_row_decode(const PGresult *r, int i, struct pgss_row *row, int *bad)
{
	int64_t dbid, userid, queryid;
	*bad = key_cell(r, i, 0, 0, UINT32_MAX, &dbid) < 0		 ? 1
	       : key_cell(r, i, 1, 0, UINT32_MAX, &userid) < 0		 ? 2
	       : key_cell(r, i, 2, INT64_MIN, INT64_MAX, &queryid) < 0 ? 3
									 : 0;
	if (*bad)
		return -1;
	row->key = (struct pgss_key){ (uint32_t)dbid, (uint32_t)userid, queryid };
	for (int f = 0; f < PGSS_NFIELDS; f++) {
		int c = 3 + f;
		row->v[f] = 0;
		if (!PQgetisnull(r, i, c) &&
		    pg_bin_double(PQftype(r, c), PQgetvalue(r, i, c), PQgetlength(r, i, c), &row->v[f]) < 0) {
			*bad = c + 1;
			return -1;
		}
	}
	return 0;
}

/* The COPY's column types (pg_sql_pgss casts the counters to float8) */
static uint32_t copy_type(int c)
{
	return c < 2 ? PG_TYPE_OID : c == 2 ? PG_TYPE_INT8 : PG_TYPE_FLOAT8;
}

/* A key field of the COPY: non-NULL, of its type's size, in [min, max]. */
static int copy_key(const struct pg_copy_row *f, int c, int64_t min, int64_t max, int64_t *out)
{
	if (!f->p[c] || pg_bin_int64(copy_type(c), f->p[c], f->len[c], out) < 0)
		return -1;
	return *out < min || *out > max ? -1 : 0;
}

int pg_stmt_copy_decode(const char *msg, int len, int *started, struct pgss_row *row, int *bad)
{
	struct pg_copy_row f;
	int rc = pg_copy_split(msg, len, started, &f);
	*bad = 0;
	if (rc <= 0)
		return rc;
	if (f.n != 3 + PGSS_NFIELDS)
		return -1;
	int64_t dbid, userid, queryid;
	*bad = copy_key(&f, 0, 0, UINT32_MAX, &dbid) < 0		 ? 1
	       : copy_key(&f, 1, 0, UINT32_MAX, &userid) < 0		 ? 2
	       : copy_key(&f, 2, INT64_MIN, INT64_MAX, &queryid) < 0 ? 3
								  : 0;
	if (*bad)
		return -1;
	row->key = (struct pgss_key){ (uint32_t)dbid, (uint32_t)userid, queryid };
	for (int k = 0; k < PGSS_NFIELDS; k++) {
		int c = 3 + k;
		row->v[k] = 0;
		if (f.p[c] && pg_bin_double(PG_TYPE_FLOAT8, f.p[c], f.len[c], &row->v[k]) < 0) {
			*bad = c + 1;
			return -1;
		}
	}
	return 1;
}
