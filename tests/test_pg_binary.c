/*
 * test_pg_binary.c -- binary-format cells (collectors/pg_binary.c) and the
 * rows of the read of pg_stat_statements' counters built from them
 * (collectors/pg_stmt_rows.c), without a server: each type decoded gives
 * the value the text read gave (strtod/strtoll of PostgreSQL's output),
 * a wrong length or type is refused, a result whose columns changed type
 * is refused naming the column, and a row that does not decode names its
 * column.  The same for the messages of the binary COPY of the counters
 * (pg_copy_split, pg_stmt_copy_decode): header, rows, trailer, and
 * malformed messages refused.  tests/integration/postgres.sh reads a real
 * server's.
 */
#include "autoconfig.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pg_binary.h"
#include "pg_fixtures.h"
#include "pg_stmt_rows.h"
#include "strutil.h"

/* v as n big-endian bytes into out */
static void be(uint64_t v, int n, char *out)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		out[i] = (char)(v & 0xff);
}

static void be_double(double d, char out[8])
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	be(u, 8, out);
}

/* The row both reads decode from the sample: keys at their extremes, a
 * counter of each kind. */
static void assert_sample_row(const struct pgss_row *row)
{
	assert_int_equal(row->key.dbid, 16384);
	assert_true(row->key.userid == 4294967295u);
	assert_true(row->key.queryid == -4321);
	assert_true(row->v[PGSS_CALLS] == 1);
	assert_true(row->v[PGSS_EXEC_MS] == 12.25);
	assert_true(row->v[PGSS_WAL_BYTES] == PGSS_WAL_BYTES + 1);
}

static void test_integers(void **state)
{
	(void)state;
	static const struct {
		uint32_t type;
		int len;
		uint64_t bits;
		int64_t want;
	} cases[] = {
		{ PG_TYPE_INT2, 2, 0x7fff, 32767 },
		{ PG_TYPE_INT2, 2, 0x8000, -32768 },
		{ PG_TYPE_INT4, 4, 0xffffffff, -1 },
		{ PG_TYPE_INT4, 4, 0x7fffffff, 2147483647 },
		{ PG_TYPE_OID, 4, 0xffffffff, 4294967295 },   /* unsigned */
		{ PG_TYPE_OID, 4, 16384, 16384 },
		{ PG_TYPE_INT8, 8, 0x8000000000000000u, INT64_MIN },
		{ PG_TYPE_INT8, 8, 0xfedcba9876543210u, (int64_t)0xfedcba9876543210u },
		{ PG_TYPE_INT8, 8, 1, 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char b[8];
		int64_t v = 0;
		be(cases[i].bits, cases[i].len, b);
		assert_int_equal(pg_bin_int64(cases[i].type, b, cases[i].len, &v), 0);
		assert_true(v == cases[i].want);
		double d = 0;
		assert_int_equal(pg_bin_double(cases[i].type, b, cases[i].len, &d), 0);
		assert_true(d == (double)cases[i].want);
		/* the wrong length is no value */
		assert_int_equal(pg_bin_int64(cases[i].type, b, cases[i].len - 1, &v), -1);
		assert_int_equal(pg_bin_double(cases[i].type, b, cases[i].len - 1, &d), -1);
	}
}

/* The double of a binary cell is the one strtod makes of PostgreSQL's text
 * of the same value (float8out: the shortest text that reads back exactly;
 * int8out: the digits). */
static void test_same_as_text(void **state)
{
	(void)state;
	static const char *floats[] = { "0.1", "1234.5678", "1e-300", "1.7976931348623157e+308",
					"-0", "0", "2.2250738585072014e-308", "123456789.123456789",
					"NaN", "Infinity", "-Infinity" };
	for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		double text, bin;
		char b[8];
		assert_int_equal(parse_double(floats[i], &text), 0);
		be_double(text, b); /* what float8send sends of that value */
		assert_int_equal(pg_bin_double(PG_TYPE_FLOAT8, b, 8, &bin), 0);
		if (isnan(text))
			assert_true(isnan(bin));
		else
			assert_memory_equal(&text, &bin, sizeof(bin));
	}
	/* int8 past 2^53 rounds to the same double either way */
	static const int64_t ints[] = { 9007199254740993, INT64_MAX, -9007199254740995, 123 };
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		char txt[32], b[8];
		double text, bin;
		snprintf(txt, sizeof(txt), "%lld", (long long)ints[i]);
		assert_int_equal(parse_double(txt, &text), 0);
		be((uint64_t)ints[i], 8, b);
		assert_int_equal(pg_bin_double(PG_TYPE_INT8, b, 8, &bin), 0);
		assert_true(text == bin);
	}
}

static void test_types_refused(void **state)
{
	(void)state;
	char b[8] = { 0 };
	int64_t v;
	double d;
	/* numeric (1700), float4 (700), text: not decoded */
	static const uint32_t refused[] = { 1700, 700, PG_TYPE_TEXT, 16 /* bool */ };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_false(pg_bin_is_number(refused[i]));
		assert_int_equal(pg_bin_double(refused[i], b, 8, &d), -1);
		assert_int_equal(pg_bin_double(refused[i], b, 4, &d), -1);
		assert_int_equal(pg_bin_int64(refused[i], b, 8, &v), -1);
	}
	/* float8 is a number but no integer */
	assert_true(pg_bin_is_number(PG_TYPE_FLOAT8));
	assert_false(pg_bin_is_integer(PG_TYPE_FLOAT8));
	assert_int_equal(pg_bin_int64(PG_TYPE_FLOAT8, b, 8, &v), -1);
	assert_int_equal(pg_bin_double(PG_TYPE_INT8, NULL, 8, &d), -1);
}

/* ---- rows of the counters read ---------------------------------------- */

#define NCOLS (3 + PGSS_NFIELDS)

/* A binary result with the read's columns: dbid, userid oid, queryid
 * int8, then counters of the given types (NULL: int8 for calls, rows and
 * blocks, float8 for times, as PostgreSQL 15 has them), then a text column
 * when with_texts. */
static PGresult *result_new(const uint32_t *types, int with_texts)
{
	static const uint32_t pg15[PGSS_NFIELDS] = { PG_TYPE_INT8,   PG_TYPE_FLOAT8, PG_TYPE_FLOAT8,
						     PG_TYPE_INT8,   PG_TYPE_INT8,   PG_TYPE_INT8,
						     PG_TYPE_INT8,   PG_TYPE_FLOAT8, PG_TYPE_FLOAT8,
						     PG_TYPE_FLOAT8 };
	PGresAttDesc a[NCOLS + 1];
	char names[NCOLS + 1][8];
	int n = NCOLS + (with_texts ? 1 : 0);
	memset(a, 0, sizeof(a));
	for (int c = 0; c < n; c++) {
		snprintf(names[c], sizeof(names[c]), "c%d", c + 1);
		a[c].name = names[c];
		a[c].format = 1;
		a[c].typid = c < 2 ? PG_TYPE_OID : c == 2 ? PG_TYPE_INT8
			     : c < NCOLS ? (types ? types : pg15)[c - 3] : PG_TYPE_TEXT;
		a[c].typlen = -1;
		a[c].atttypmod = -1;
	}
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	assert_non_null(r);
	assert_true(PQsetResultAttrs(r, n, a));
	return r;
}

/* Sets cell (row, col) to v in the column's binary format. */
static void set_num(PGresult *r, int row, int col, double v)
{
	char b[8];
	uint32_t type = PQftype(r, col);
	int len = type == PG_TYPE_FLOAT8 || type == PG_TYPE_INT8 ? 8 : type == PG_TYPE_INT2 ? 2 : 4;
	if (type == PG_TYPE_FLOAT8)
		be_double(v, b);
	else
		be((uint64_t)(int64_t)v, len, b);
	assert_true(PQsetvalue(r, row, col, b, len));
}

static void test_row_decode(void **state)
{
	(void)state;
	PGresult *r = result_new(NULL, 1);
	char err[256] = "";
	assert_int_equal(pg_stmt_rows_check(r, 1, err, sizeof(err)), 0);
	set_num(r, 0, 0, 16384);
	set_num(r, 0, 1, 4294967295.0);
	set_num(r, 0, 2, -4321);
	for (int f = 0; f < PGSS_NFIELDS; f++)
		set_num(r, 0, 3 + f, f == PGSS_EXEC_MS ? 12.25 : f + 1);
	assert_true(PQsetvalue(r, 0, NCOLS, "SELECT 1", 8));
	/* row 1: NULL counters (SQL NULL: len -1) read as 0 */
	set_num(r, 1, 0, 1);
	set_num(r, 1, 1, 10);
	set_num(r, 1, 2, 7);
	for (int c = 3; c <= NCOLS; c++)
		assert_true(PQsetvalue(r, 1, c, NULL, -1));

	struct pgss_row row;
	int bad = -1;
	assert_int_equal(pg_stmt_row_decode(r, 0, &row, &bad), 0);
	assert_int_equal(bad, 0);
	assert_sample_row(&row);
	assert_string_equal(PQgetvalue(r, 0, NCOLS), "SELECT 1");
	assert_int_equal(pg_stmt_row_decode(r, 1, &row, &bad), 0);
	for (int f = 0; f < PGSS_NFIELDS; f++)
		assert_true(row.v[f] == 0);
	PQclear(r);
}

/* A row that does not decode names its column: a NULL key, a cell of the
 * wrong length. */
static void test_row_refused(void **state)
{
	(void)state;
	PGresult *r = result_new(NULL, 0);
	struct pgss_row row;
	int bad = 0;
	set_num(r, 0, 0, 1);
	assert_true(PQsetvalue(r, 0, 1, NULL, -1)); /* userid NULL */
	set_num(r, 0, 2, 1);
	assert_int_equal(pg_stmt_row_decode(r, 0, &row, &bad), -1);
	assert_int_equal(bad, 2);
	set_num(r, 0, 1, 1);
	assert_true(PQsetvalue(r, 0, 3 + PGSS_ROWS, "\1\2\3", 3)); /* int8 of 3 bytes */
	assert_int_equal(pg_stmt_row_decode(r, 0, &row, &bad), -1);
	assert_int_equal(bad, 4 + PGSS_ROWS);
	PQclear(r);
}

/* Columns of another type than decoded (wal_bytes left numeric, a float4)
 * or another count refuse the whole read, naming the column. */
static void test_columns_refused(void **state)
{
	(void)state;
	char err[256] = "";
	uint32_t types[PGSS_NFIELDS];
	for (int f = 0; f < PGSS_NFIELDS; f++)
		types[f] = PG_TYPE_FLOAT8;
	types[PGSS_WAL_BYTES] = 1700; /* numeric */
	PGresult *r = result_new(types, 0);
	assert_int_equal(pg_stmt_rows_check(r, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "column 13 (c13) has type oid 1700"));
	/* the texts column missing */
	assert_int_equal(pg_stmt_rows_check(r, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "has 13 columns, not 14"));
	PQclear(r);
	/* int4 (PostgreSQL 12's literal 0) is a number */
	types[PGSS_WAL_BYTES] = PG_TYPE_INT4;
	r = result_new(types, 0);
	assert_int_equal(pg_stmt_rows_check(r, 0, err, sizeof(err)), 0);
	PQclear(r);
}

/* ---- the binary COPY of the counters ---------------------------------- */

/* A COPY message: the file header when header, then the row of keys
 * (dbid, userid, queryid) and float8 counters v (NaN: NULL), or the
 * trailer when trailer; its length. */
struct copy_msg {
	char b[512];
	int len;
};

static void put(struct copy_msg *m, uint64_t v, int n)
{
	be(v, n, m->b + m->len);
	m->len += n;
}

static void copy_header(struct copy_msg *m)
{
	memcpy(m->b + m->len, "PGCOPY\n\377\r\n\0", 11);
	m->len += 11;
	put(m, 0, 4); /* flags */
	put(m, 0, 4); /* header extension */
}

static void copy_row(struct copy_msg *m, uint32_t dbid, uint32_t userid, int64_t queryid,
		     const double *v)
{
	put(m, NCOLS, 2);
	put(m, 4, 4);
	put(m, dbid, 4);
	put(m, 4, 4);
	put(m, userid, 4);
	put(m, 8, 4);
	put(m, (uint64_t)queryid, 8);
	for (int f = 0; f < PGSS_NFIELDS; f++) {
		if (isnan(v[f])) {
			put(m, UINT32_MAX, 4); /* -1: NULL */
			continue;
		}
		put(m, 8, 4);
		be_double(v[f], m->b + m->len);
		m->len += 8;
	}
}

static void test_copy_decode(void **state)
{
	(void)state;
	double v[PGSS_NFIELDS];
	for (int f = 0; f < PGSS_NFIELDS; f++)
		v[f] = f == PGSS_EXEC_MS ? 12.25 : f + 1;
	struct copy_msg m = { .len = 0 };
	copy_header(&m);
	copy_row(&m, 16384, 4294967295u, -4321, v);
	struct pgss_row row;
	int started = 0, bad = -1;
	assert_int_equal(pg_stmt_copy_decode(m.b, m.len, &started, &row, &bad), 1);
	assert_int_equal(started, 1);
	assert_int_equal(bad, 0);
	assert_sample_row(&row);
	/* the next message: no header; NULL counters read as 0 */
	for (int f = 0; f < PGSS_NFIELDS; f++)
		v[f] = NAN;
	m.len = 0;
	copy_row(&m, 1, 10, 7, v);
	assert_int_equal(pg_stmt_copy_decode(m.b, m.len, &started, &row, &bad), 1);
	assert_true(row.key.queryid == 7);
	for (int f = 0; f < PGSS_NFIELDS; f++)
		assert_true(row.v[f] == 0);
	/* the trailer ends it */
	m.len = 0;
	put(&m, UINT16_MAX, 2);
	assert_int_equal(pg_stmt_copy_decode(m.b, m.len, &started, &row, &bad), 0);
	/* no row at all: header and trailer in one message */
	started = 0;
	m.len = 0;
	copy_header(&m);
	put(&m, UINT16_MAX, 2);
	assert_int_equal(pg_stmt_copy_decode(m.b, m.len, &started, &row, &bad), 0);
}

/* Malformed messages are refused: without the header first, cut short,
 * bytes left over, another number of columns (bad 0), a key NULL or of
 * another size, a counter not 8 bytes (bad names the column). */
static void test_copy_refused(void **state)
{
	(void)state;
	double v[PGSS_NFIELDS] = { 0 };
	struct copy_msg m = { .len = 0 };
	struct pgss_row row;
	int started = 0, bad = -1;
	copy_row(&m, 1, 2, 3, v);
	assert_int_equal(pg_stmt_copy_decode(m.b, m.len, &started, &row, &bad), -1);
	assert_int_equal(bad, 0);
	started = 1;
	assert_int_equal(pg_stmt_copy_decode(m.b, m.len, &started, &row, &bad), 1);
	assert_int_equal(pg_stmt_copy_decode(m.b, m.len - 1, &started, &row, &bad), -1);
	assert_int_equal(bad, 0);
	assert_int_equal(pg_stmt_copy_decode(m.b, m.len + 1, &started, &row, &bad), -1);
	/* 12 columns */
	struct copy_msg s = m;
	be(NCOLS - 1, 2, s.b);
	s.len -= 12;
	assert_int_equal(pg_stmt_copy_decode(s.b, s.len, &started, &row, &bad), -1);
	assert_int_equal(bad, 0);
	/* userid NULL: its length -1, its 4 bytes gone */
	s.len = 0;
	put(&s, NCOLS, 2);
	put(&s, 4, 4);
	put(&s, 1, 4);
	put(&s, UINT32_MAX, 4);
	memcpy(s.b + s.len, m.b + 2 + 16, (size_t)(m.len - 18));
	s.len += m.len - 18;
	assert_int_equal(pg_stmt_copy_decode(s.b, s.len, &started, &row, &bad), -1);
	assert_int_equal(bad, 2);
	/* queryid of 4 bytes (an int4) */
	s.len = 0;
	put(&s, NCOLS, 2);
	memcpy(s.b + s.len, m.b + 2, 16);
	s.len += 16;
	put(&s, 4, 4);
	put(&s, 3, 4);
	memcpy(s.b + s.len, m.b + 2 + 16 + 12, (size_t)(m.len - 30));
	s.len += m.len - 30;
	assert_int_equal(pg_stmt_copy_decode(s.b, s.len, &started, &row, &bad), -1);
	assert_int_equal(bad, 3);
	/* the rows counter of 4 bytes */
	s.len = 0;
	copy_row(&s, 1, 2, 3, v);
	int at = 2 + 8 + 8 + 12 + 12 * PGSS_ROWS;
	memmove(s.b + at + 8, s.b + at + 12, (size_t)(s.len - at - 12));
	be(4, 4, s.b + at);
	s.len -= 4;
	assert_int_equal(pg_stmt_copy_decode(s.b, s.len, &started, &row, &bad), -1);
	assert_int_equal(bad, 4 + PGSS_ROWS);
	/* a header with OIDs, and a bad signature */
	started = 0;
	s.len = 0;
	copy_header(&s);
	be(1u << 16, 4, s.b + 11);
	assert_int_equal(pg_stmt_copy_decode(s.b, s.len, &started, &row, &bad), -1);
	s.len = 0;
	copy_header(&s);
	s.b[0] = 'X';
	put(&s, UINT16_MAX, 2);
	assert_int_equal(pg_stmt_copy_decode(s.b, s.len, &started, &row, &bad), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_same_as_text),
		cmocka_unit_test(test_types_refused),
		cmocka_unit_test(test_row_decode),
		cmocka_unit_test(test_row_refused),
		cmocka_unit_test(test_columns_refused),
		cmocka_unit_test(test_copy_decode),
		cmocka_unit_test(test_copy_refused),
	};
	return cmocka_run_group_tests(tests, load_libpq, NULL);
}
