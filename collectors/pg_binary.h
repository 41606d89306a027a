/*
 * pg_binary.h -- cells of a libpq result in binary format (resultFormat 1):
 * PostgreSQL's send functions' bytes, big-endian, decoded without text
 * parsing.  Pure functions of (type oid, bytes, length), so tests need no
 * server; the caller gets type from PQftype, bytes from PQgetvalue and
 * length from PQgetlength.  numeric has a format of its own (base-10000
 * digits) that is not decoded here: queries cast such columns to float8
 * or int8 on the server.
 */
#ifndef DBPULSE_PG_BINARY_H
#define DBPULSE_PG_BINARY_H

#include <stdint.h>

/* The type oids decoded (pg_type.oid, fixed since PostgreSQL 7) */
#define PG_TYPE_INT8 20u
#define PG_TYPE_INT2 21u
#define PG_TYPE_INT4 23u
#define PG_TYPE_TEXT 25u
#define PG_TYPE_OID 26u
#define PG_TYPE_FLOAT8 701u

/* Whether pg_bin_int64() decodes a cell of type: int2, int4, int8, oid. */
int pg_bin_is_integer(uint32_t type);
/* Whether pg_bin_double() decodes a cell of type: the integers and
 * float8.  Not float4: its text is the shortest decimal that reads back
 * as the float, which strtod makes a different double than the float's
 * own value; a query casts it to float8 on the server, as numeric. */
int pg_bin_is_number(uint32_t type);

/* An integer cell as int64 (oid unsigned, the others signed).  Returns 0,
 * or -1 when type is not an integer or len not its size. */
int pg_bin_int64(uint32_t type, const char *p, int len, int64_t *out);

/* A number cell as a double: the integers converted (as strtod converts
 * their text: to the nearest double), float8 as it is (NaN and the
 * infinities included, as strtod reads their text; PostgreSQL prints a
 * float8 in the shortest text that reads back exactly, so the value is
 * the one the text read gave).  Returns 0,
 * or -1 when type is not a number or len not its size. */
int pg_bin_double(uint32_t type, const char *p, int len, double *out);

/*
 * The messages of a binary COPY out (COPY ... TO STDOUT (FORMAT binary)),
 * as PQgetCopyData() hands them: one row each, the first preceded by the
 * file header (signature, flags, header extension), the last message the
 * trailer (a field count of -1).  No type oids travel with them: the
 * query's casts fix each column's type, and the caller checks each
 * field's length against it.
 */
#define PG_COPY_MAX_FIELDS 32

struct pg_copy_row {
	int n;                              /* fields */
	const char *p[PG_COPY_MAX_FIELDS];  /* into the message; NULL for SQL NULL */
	int len[PG_COPY_MAX_FIELDS];        /* bytes; 0 for NULL */
};

/* Splits msg (len bytes) into row's fields, which point into msg.
 * *started is 0 before the stream's first message, whose header is
 * checked and skipped, and set to 1 after it.  Returns 1 for a row, 0 for
 * the trailer, -1 when msg is not a well-formed row (truncated, too many
 * fields, bytes left over, a bad header or one with OIDs). */
int pg_copy_split(const char *msg, int len, int *started, struct pg_copy_row *row);

#endif
