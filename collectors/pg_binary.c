/*
 * pg_binary.c -- decodes binary-format result cells (see pg_binary.h).
 * Called by the PostgreSQL collector's worker for each cell of the large
 * reads (pg_stat_statements), and for each message of a binary COPY out
 * (pg_copy_split); no state.
 */
#include "autoconfig.h"
#include "pg_binary.h"

#include <endian.h>
#include <string.h>
#include "banned.h"

/* n big-endian bytes (n <= 8) as an unsigned integer: the sizes of the
 * cells and of COPY's counts in one load each (every cell of the large
 * reads goes through here) */
static uint64_t be_uint(const char *p, int n)
{
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;
	switch (n) {
	case 8:
		memcpy(&v64, p, 8);
		return be64toh(v64);
	case 4:
		memcpy(&v32, p, 4);
		return be32toh(v32);
	case 2:
		memcpy(&v16, p, 2);
		return be16toh(v16);
	default:
		v64 = 0;
		for (int i = 0; i < n; i++)
			v64 = (v64 << 8) | (unsigned char)p[i];
		return v64;
	}
}

/* The size of a cell of type in binary format; 0 for a type not decoded. */
static int bin_size(uint32_t type)
{
	switch (type) {
	case PG_TYPE_INT2:
		return 2;
	case PG_TYPE_INT4:
	case PG_TYPE_OID:
		return 4;
	case PG_TYPE_INT8:
	case PG_TYPE_FLOAT8:
		return 8;
	default:
		return 0;
	}
}

int pg_bin_is_integer(uint32_t type)
{
	return type == PG_TYPE_INT2 || type == PG_TYPE_INT4 || type == PG_TYPE_INT8 ||
	       type == PG_TYPE_OID;
}

int pg_bin_is_number(uint32_t type)
{
	return pg_bin_is_integer(type) || type == PG_TYPE_FLOAT8;
}

int pg_bin_int64(uint32_t type, const char *p, int len, int64_t *out)
{
	if (!pg_bin_is_integer(type) || !p || len != bin_size(type))
		return -1;
	uint64_t u = be_uint(p, len);
	switch (type) {
	case PG_TYPE_INT2:
		*out = (int16_t)(uint16_t)u;
		break;
	case PG_TYPE_INT4:
		*out = (int32_t)(uint32_t)u;
		break;
	case PG_TYPE_OID:
		*out = (int64_t)(uint32_t)u;
		break;
	default:
		*out = (int64_t)u;
		break;
	}
	return 0;
}

int pg_bin_double(uint32_t type, const char *p, int len, double *out)
{
	if (type == PG_TYPE_FLOAT8 && p && len == 8) {
		uint64_t u = be_uint(p, 8);
		memcpy(out, &u, sizeof(*out));
		return 0;
	}
	int64_t v;
	if (pg_bin_int64(type, p, len, &v) < 0)
		return -1;
	*out = (double)v;
	return 0;
}

/* The binary COPY file header: signature, flags, header extension length */
static const char copy_signature[11] = "PGCOPY\n\377\r\n";
#define COPY_HEADER 19
#define COPY_FLAG_OIDS (1u << 16)

/* Skips the file header at the start of msg; the bytes it took, or -1. */
static int copy_header(const char *msg, int len)
{
	if (len < COPY_HEADER || memcmp(msg, copy_signature, sizeof(copy_signature)) != 0)
		return -1;
	uint32_t flags = (uint32_t)be_uint(msg + 11, 4);
	uint32_t ext = (uint32_t)be_uint(msg + 15, 4);
	if ((flags & COPY_FLAG_OIDS) || ext > (uint32_t)(len - COPY_HEADER))
		return -1;
	return COPY_HEADER + (int)ext;
}

int pg_copy_split(const char *msg, int len, int *started, struct pg_copy_row *row)
{
	int at = 0;
	if (!*started) {
		at = copy_header(msg, len);
		if (at < 0)
			return -1;
		*started = 1;
	}
	if (len - at < 2)
		return -1;
	int16_t n = (int16_t)(uint16_t)be_uint(msg + at, 2);
	at += 2;
	if (n == -1)
		return at == len ? 0 : -1;
	if (n < 0 || n > PG_COPY_MAX_FIELDS)
		return -1;
	row->n = n;
	for (int f = 0; f < n; f++) {
		if (len - at < 4)
			return -1;
		int32_t flen = (int32_t)(uint32_t)be_uint(msg + at, 4);
		at += 4;
		if (flen < -1 || flen > len - at)
			return -1;
		row->p[f] = flen < 0 ? NULL : msg + at;
		row->len[f] = flen < 0 ? 0 : flen;
		at += flen < 0 ? 0 : flen;
	}
	return at == len ? 1 : -1;
}
