/*
 * backup_pgbr.c -- pgBackRest's backup.info (backup_pgbr.h): inih splits
 * the INI file line by line through a reader of our own (ini_lines.h:
 * it counts lines and refuses what inih would cut or mangle), jansson
 * parses each value, and the file's SHA-1 checksum is recomputed as
 * pgBackRest computes it: the JSON object {"SECTION":{"KEY":VALUE,...},...}
 * of every key but the checksum itself, values as written, in file order.
 *
 * Pure: text in, struct out.  The backup collector calls it on its worker
 * thread each interval; a call owns nothing after it returns.
 */
#include "autoconfig.h"
#include "backup_pgbr.h"
#include "buf.h"
#include "config.h"
#include "ini_lines.h"

#include <ctype.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

#define PGBR_FORMAT 5
#define SHA1_LEN 20

enum pgbr_section { SEC_OTHER, SEC_BACKREST, SEC_CURRENT, SEC_DB };

struct pgbr_parse {
	struct ini_lines lines;    /* .line: of the line last handed to inih */
	int failed;
	int fail_line;             /* of the first failure */
	char *err;
	size_t errlen;
	struct buf checksum_text;  /* what the checksum is over */
	char last_section[64];     /* of the last key added to it */
	int in_text;               /* a key was added to it */
	char checksum[2 * SHA1_LEN + 1];
	int format;
	struct pgbr_info *out;
};

static const char *const type_names[PGBR_NTYPES] = { "full", "diff", "incr" };

const char *pgbr_type_name(enum pgbr_type t)
{
	return t < PGBR_NTYPES ? type_names[t] : "?";
}

__attribute__((format(printf, 2, 3))) static void pgbr_fail(struct pgbr_parse *ps,
							  const char *fmt, ...)
{
	if (ps->failed++)
		return;
	ps->fail_line = ps->lines.line;
	int n = snprintf(ps->err, ps->errlen, "line %d: ", ps->lines.line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- the lines inih sees ------------------------------------------------ */

static char *pgbr_reader(char *str, int num, void *stream)
{
	struct pgbr_parse *ps = stream;
	if (ps->failed)
		return NULL;
	size_t n;
	switch (ini_lines_next(&ps->lines, str, num, &n)) {
	case INI_LINES_OK:
		break;
	case INI_LINES_END:
		return NULL;
	case INI_LINES_NUL:
		pgbr_fail(ps, "a NUL byte");
		return NULL;
	case INI_LINES_LONG:
		pgbr_fail(ps, "longer than %d bytes", num < 4 ? 0 : num - 3);
		return NULL;
	}
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* ---- the checksum ------------------------------------------------------- */

/* Adds "SECTION":{ or , then "KEY":VALUE, as pgBackRest's info.c does. */
static void pgbr_checksum_add(struct pgbr_parse *ps, const char *section, const char *key,
			      const char *value)
{
	struct buf *b = &ps->checksum_text;
	if (!ps->in_text || strcmp(section, ps->last_section) != 0) {
		buf_puts(b, ps->in_text ? "}," : "{");
		buf_printf(b, "\"%s\":{", section);
		snprintf(ps->last_section, sizeof(ps->last_section), "%s", section);
		ps->in_text = 1;
	} else {
		buf_putc(b, ',');
	}
	buf_printf(b, "\"%s\":%s", key, value);
}

static int pgbr_checksum_ok(struct pgbr_parse *ps)
{
	struct buf *b = &ps->checksum_text;
	if (ps->in_text)
		buf_puts(b, "}}");
	if (b->overflow) {
		snprintf(ps->err, ps->errlen, "too large to checksum");
		return 0;
	}
	unsigned char digest[SHA1_LEN];
	char hex[2 * SHA1_LEN + 1];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, buf_str(b), b->len, digest) < 0) {
		snprintf(ps->err, ps->errlen, "cannot compute its SHA-1");
		return 0;
	}
	for (size_t i = 0; i < SHA1_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	if (strcmp(hex, ps->checksum) != 0) {
		snprintf(ps->err, ps->errlen,
			 "checksum mismatch: backrest-checksum is %s, the content's SHA-1 is %s "
			 "(a truncated or altered file)", ps->checksum, hex);
		return 0;
	}
	return 1;
}

/* ---- values ------------------------------------------------------------- */

/* The integer member key of o (>= 0) into *v: 0; 1 when absent and not
 * required; -1 after failing. */
static int pgbr_int(struct pgbr_parse *ps, const json_t *o, const char *key, int required,
		    int64_t *v)
{
	const json_t *j = json_object_get(o, key);
	if (!j) {
		if (required)
			pgbr_fail(ps, "%s: missing", key);
		return required ? -1 : 1;
	}
	if (!json_is_integer(j) || json_integer_value(j) < 0) {
		pgbr_fail(ps, "%s: expected an integer of 0 or more", key);
		return -1;
	}
	*v = json_integer_value(j);
	return 0;
}

/* A WAL segment name: 24 hexadecimal digits (upper case, as PostgreSQL
 * names them), or null/absent for an offline backup. */
static int pgbr_wal(struct pgbr_parse *ps, const json_t *o, const char *key, char out[25])
{
	const json_t *j = json_object_get(o, key);
	out[0] = '\0';
	if (!j || json_is_null(j))
		return 0;
	const char *s = json_string_value(j);
	size_t n = s ? strlen(s) : 0;
	int ok = n == 24;
	for (size_t i = 0; ok && i < n; i++)
		ok = isdigit((unsigned char)s[i]) || (s[i] >= 'A' && s[i] <= 'F');
	if (!ok) {
		pgbr_fail(ps, "%s: expected a WAL segment name (24 hexadecimal digits)", key);
		return -1;
	}
	memcpy(out, s, 25);
	return 0;
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "YYYYMMDD-HHMMSS" followed by c. */
static int pgbr_stamp(const char *s, char c)
{
	return digits(s, 8) && s[8] == '-' && digits(s + 9, 6) && s[15] == c;
}

/* A backup label and its type: F (full), F_...D (diff), F_...I (incr). */
static int pgbr_label_type(const char *label, enum pgbr_type *t)
{
	size_t n = strlen(label);
	if (n == 16 && pgbr_stamp(label, 'F')) {
		*t = PGBR_FULL;
		return 0;
	}
	if (n == 33 && pgbr_stamp(label, 'F') && label[16] == '_' &&
	    (pgbr_stamp(label + 17, 'D') || pgbr_stamp(label + 17, 'I'))) {
		*t = label[32] == 'D' ? PGBR_DIFF : PGBR_INCR;
		return 0;
	}
	return -1;
}

/* Whether a is newer than b: stop time, then label. */
static int pgbr_newer(const struct pgbr_backup *a, const struct pgbr_backup *b)
{
	if (a->stop != b->stop)
		return a->stop > b->stop;
	return strcmp(a->label, b->label) > 0;
}

/* One entry of [backup:current]. */
static void pgbr_backup(struct pgbr_parse *ps, const char *label, const json_t *o)
{
	struct pgbr_backup b = { 0 };
	enum pgbr_type label_t;
	int t;
	if (pgbr_label_type(label, &label_t) < 0) {
		pgbr_fail(ps, "'%s': not a backup label", label);
		return;
	}
	snprintf(b.label, sizeof(b.label), "%s", label);
	if (!json_is_object(o)) {
		pgbr_fail(ps, "%s: expected a JSON object", label);
		return;
	}
	const char *type = json_string_value(json_object_get(o, "backup-type"));
	for (t = 0; t < PGBR_NTYPES; t++)
		if (type && strcmp(type, type_names[t]) == 0)
			break;
	if (t == PGBR_NTYPES) {
		pgbr_fail(ps, "%s: backup-type: expected full, diff or incr", label);
		return;
	}
	if (t != (int)label_t) {
		pgbr_fail(ps, "%s: backup-type %s does not go with the label", label, type);
		return;
	}
	int64_t stop = 0;
	if (pgbr_int(ps, o, "backup-timestamp-start", 1, &b.start) < 0 ||
	    pgbr_int(ps, o, "backup-timestamp-stop", 1, &stop) < 0 ||
	    pgbr_int(ps, o, "backup-info-size", 1, &b.size) < 0 ||
	    pgbr_int(ps, o, "backup-info-size-delta", 1, &b.size_delta) < 0 ||
	    pgbr_int(ps, o, "backup-info-repo-size", 1, &b.repo_size) < 0 ||
	    pgbr_int(ps, o, "backup-info-repo-size-delta", 1, &b.repo_size_delta) < 0 ||
	    pgbr_wal(ps, o, "backup-archive-start", b.wal_start) < 0 ||
	    pgbr_wal(ps, o, "backup-archive-stop", b.wal_stop) < 0)
		return;
	b.stop = stop;
	const json_t *error = json_object_get(o, "backup-error");
	if (error && !json_is_boolean(error)) {
		pgbr_fail(ps, "%s: backup-error: expected true or false", label);
		return;
	}
	b.error = json_is_true(error);

	struct pgbr_info *out = ps->out;
	out->nbackups++;
	out->ntype[t]++;
	if (out->ntype[t] == 1 || pgbr_newer(&b, &out->newest[t])) {
		out->previous[t] = out->newest[t];
		out->newest[t] = b;
	} else if (out->ntype[t] == 2 || pgbr_newer(&b, &out->previous[t])) {
		out->previous[t] = b;
	}
}

/* A string value into out (cut to outlen). */
static void pgbr_string(struct pgbr_parse *ps, const char *key, const json_t *v, char *out,
			size_t outlen)
{
	if (!json_is_string(v)) {
		pgbr_fail(ps, "%s: expected a string", key);
		return;
	}
	snprintf(out, outlen, "%s", json_string_value(v));
}

static enum pgbr_section pgbr_section_of(const char *name)
{
	if (strcmp(name, "backrest") == 0)
		return SEC_BACKREST;
	if (strcmp(name, "backup:current") == 0)
		return SEC_CURRENT;
	if (strcmp(name, "db") == 0)
		return SEC_DB;
	return SEC_OTHER;  /* db:history, and sections of later versions */
}

static int pgbr_handler(void *user, const char *section, const char *name, const char *value)
{
	struct pgbr_parse *ps = user;
	enum pgbr_section sec = pgbr_section_of(section);
	if (ps->failed)
		return 0;
	if (!*section) {
		pgbr_fail(ps, "%s: a key before any section", name);
		return 0;
	}
	json_error_t jerr;
	json_t *v = json_loads(value, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		pgbr_fail(ps, "%s: not JSON: %s", name, jerr.text);
		return 0;
	}
	if (sec == SEC_BACKREST && strcmp(name, "backrest-checksum") == 0) {
		const char *c = json_string_value(v);
		size_t n = c ? strlen(c) : 0;
		int ok = n == 2 * SHA1_LEN && !ps->checksum[0];
		for (size_t i = 0; ok && i < n; i++)
			ok = isdigit((unsigned char)c[i]) || (c[i] >= 'a' && c[i] <= 'f');
		if (ok)
			memcpy(ps->checksum, c, n + 1);
		else
			pgbr_fail(ps, "backrest-checksum: expected one SHA-1 in hexadecimal");
		json_decref(v);
		return !ps->failed;
	}
	pgbr_checksum_add(ps, section, name, value);
	if (sec == SEC_BACKREST && strcmp(name, "backrest-format") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) != PGBR_FORMAT)
			pgbr_fail(ps, "backrest-format: expected %d (pgBackRest 2.x), got %s",
				  PGBR_FORMAT, value);
		else
			ps->format = PGBR_FORMAT;
	} else if (sec == SEC_BACKREST && strcmp(name, "backrest-version") == 0) {
		pgbr_string(ps, name, v, ps->out->version, sizeof(ps->out->version));
	} else if (sec == SEC_CURRENT) {
		pgbr_backup(ps, name, v);
	} else if (sec == SEC_DB && strcmp(name, "db-version") == 0) {
		pgbr_string(ps, name, v, ps->out->db_version, sizeof(ps->out->db_version));
	}
	json_decref(v);
	return !ps->failed;
}

int pgbr_info_parse(const char *text, size_t len, struct pgbr_info *out, char *err, size_t errlen)
{
	struct pgbr_parse ps = {
		.lines = { .text = text, .len = len }, .err = err, .errlen = errlen, .out = out,
	};
	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (len > PGBR_INFO_BYTES_MAX) {
		snprintf(err, errlen, "larger than %zu bytes", PGBR_INFO_BYTES_MAX);
		return -1;
	}
	buf_init(&ps.checksum_text, 2 * len + 4096);
	/* no line is longer than the file: a small file, a small buffer */
	size_t max_line = len < PGBR_INFO_LINE_MAX ? len : PGBR_INFO_LINE_MAX;
	int rc = conf_ini_parse_stream(pgbr_reader, &ps, pgbr_handler, &ps, (int)max_line + 3);
	if (rc > 0 && (!ps.failed || rc < ps.fail_line)) {
		/* a line inih could not split, before what the handler refused */
		ps.failed = 0;
		ps.lines.line = rc;
		pgbr_fail(&ps, "expected [section] or key=value");
	} else if (rc < 0 && !ps.failed) {
		snprintf(err, errlen, "cannot parse (inih error %d)", rc);
		ps.failed = 1;
	}
	if (!ps.failed && ps.format != PGBR_FORMAT) {
		snprintf(err, errlen, "no [backrest] backrest-format: not a pgBackRest info file");
		ps.failed = 1;
	}
	if (!ps.failed && !ps.checksum[0]) {
		snprintf(err, errlen, "no [backrest] backrest-checksum (a truncated file?)");
		ps.failed = 1;
	}
	if (!ps.failed && !pgbr_checksum_ok(&ps))
		ps.failed = 1;
	buf_release(&ps.checksum_text);
	if (ps.failed) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
