/*
 * test_backup.c -- the backup collector: the glob scan of temporary
 * directories (the newest two by mtime, what is and is not a match, the
 * caps, the deadline, a directory that is not there); pgBackRest's
 * backup.info parsed from the real file pgBackRest 2.45 wrote
 * (tests/data/backup, checked against `pgbackrest info --output=json` of
 * the same stanza), every truncation of it and a table of hostile
 * variants; the [backup] section's checks and defaults; whole collections
 * of both formats, backup.info.copy replacing a refused backup.info.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmp_tree.h"
#include "batch_samples.h"

#include "backup.h"
#include "backup_pgbr.h"
#include "backup_scan.h"
#include "buf.h"
#include "config.h"
#include "metrics.h"
#include "strutil.h"
#include "xalloc.h"

/* ---- helpers ------------------------------------------------------------ */

/* Reads tests/data/backup/<name> into b (capped at 4 MiB). */
static void fixture(const char *name, struct buf *b)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/tests/data/backup/%s", top && *top ? top : ".", name);
	buf_init(b, (size_t)4 << 20);
	if (read_file(path, b) < 0)
		fail_msg("cannot read %s: %s (is top_srcdir set?)", path, strerror(errno));
	free(path);
}

/* s with the first occurrence of from replaced by to (the caller frees). */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		fail_msg("'%s' is not in the text", from);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* text with its backrest-checksum recomputed as pgBackRest computes it
 * (the test's own reckoning: the JSON object of every section and key
 * but the checksum, values as written), for variants meant to pass the
 * check.  The caller frees. */
static char *rechecksum(const char *text)
{
	struct buf canon = BUF_INIT(BUF_UNLIMITED);
	char last[128] = "";
	int any = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n);
		p += n + (nl ? 1 : 0);
		static char section[128];
		if (line[0] == '[') {
			snprintf(section, sizeof(section), "%.*s", (int)(strlen(line) - 2), line + 1);
		} else if (line[0] && strncmp(line, "backrest-checksum=", 18) != 0) {
			char *eq = strchr(line, '=');
			if (!eq) {   /* a bad line, left for the parser to refuse */
				free(line);
				continue;
			}
			*eq = '\0';
			if (!any || strcmp(section, last) != 0) {
				buf_printf(&canon, "%s\"%s\":{", any ? "}," : "{", section);
				snprintf(last, sizeof(last), "%s", section);
				any = 1;
			} else {
				buf_putc(&canon, ',');
			}
			buf_printf(&canon, "\"%s\":%s", line, eq + 1);
		}
		free(line);
	}
	buf_puts(&canon, "}}");
	unsigned char d[20];
	assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA1, canon.data, canon.len, d), 0);
	buf_release(&canon);
	char hex[41];
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	const char *c = strstr(text, "backrest-checksum=\"");
	assert_non_null(c);
	return xasprintf("%.*sbackrest-checksum=\"%s\"%s", (int)(c - text), text, hex, c + 60);
}

static int parse(const char *text, struct pgbr_info *info, char *err, size_t errlen)
{
	return pgbr_info_parse(text, strlen(text), info, err, errlen);
}

/* ---- backup.info: the real file ---------------------------------------- */

static const json_t *json_path(const json_t *o, const char *a, const char *b)
{
	const json_t *j = json_object_get(o, a);
	return b ? json_object_get(j, b) : j;
}

static void test_pgbr_fixture(void **state)
{
	(void)state;
	struct buf text, json;
	fixture("pgbackrest.backup.info", &text);
	fixture("pgbackrest.info.json", &json);
	struct pgbr_info info;
	char err[512];
	if (pgbr_info_parse(text.data, text.len, &info, err, sizeof(err)) < 0)
		fail_msg("the real backup.info is refused: %s", err);
	assert_string_equal(info.version, "2.45");
	assert_string_equal(info.db_version, "15");

	/* what pgbackrest info says of the same stanza */
	json_error_t jerr;
	json_t *root = json_loads(json.data, 0, &jerr);
	assert_non_null(root);
	const json_t *backups = json_object_get(json_array_get(root, 0), "backup");
	assert_int_equal(info.nbackups, json_array_size(backups));
	size_t ntype[PGBR_NTYPES] = { 0 };
	const json_t *newest[PGBR_NTYPES] = { NULL }, *previous[PGBR_NTYPES] = { NULL };
	for (size_t i = 0; i < json_array_size(backups); i++) {
		const json_t *b = json_array_get(backups, i);
		const char *type = json_string_value(json_object_get(b, "type"));
		for (int t = 0; t < PGBR_NTYPES; t++) {
			if (strcmp(type, pgbr_type_name((enum pgbr_type)t)) != 0)
				continue;
			ntype[t]++;
			previous[t] = newest[t]; /* pgbackrest info lists them oldest first */
			newest[t] = b;
		}
	}
	for (int t = 0; t < PGBR_NTYPES; t++) {
		assert_int_equal(info.ntype[t], ntype[t]);
		assert_non_null(newest[t]);
		const struct pgbr_backup *n = &info.newest[t];
		const json_t *j = newest[t];
		assert_string_equal(n->label, json_string_value(json_object_get(j, "label")));
		assert_int_equal(n->start, json_integer_value(json_path(j, "timestamp", "start")));
		assert_int_equal(n->stop, json_integer_value(json_path(j, "timestamp", "stop")));
		assert_int_equal(n->size, json_integer_value(json_path(j, "info", "size")));
		assert_int_equal(n->size_delta, json_integer_value(json_path(j, "info", "delta")));
		const json_t *repo = json_path(j, "info", "repository");
		assert_int_equal(n->repo_size, json_integer_value(json_object_get(repo, "size")));
		assert_int_equal(n->repo_size_delta, json_integer_value(json_object_get(repo, "delta")));
		assert_string_equal(n->wal_start, json_string_value(json_path(j, "archive", "start")));
		assert_string_equal(n->wal_stop, json_string_value(json_path(j, "archive", "stop")));
		assert_int_equal(n->error, json_is_true(json_object_get(j, "error")));
		if (previous[t])
			assert_string_equal(info.previous[t].label,
					    json_string_value(json_object_get(previous[t], "label")));
	}
	assert_int_equal(info.ntype[PGBR_INCR], 2);   /* the fixture: full, diff, incr, incr */
	json_decref(root);
	buf_release(&text);
	buf_release(&json);
}

/* Every prefix of the file is refused (but the one without the final
 * newline, which is the same file), and none crashes. */
static void test_pgbr_truncated(void **state)
{
	(void)state;
	struct buf text;
	fixture("pgbackrest.backup.info", &text);
	assert_true(text.len > 100 && text.data[text.len - 1] == '\n');
	struct pgbr_info info;
	char err[512];
	for (size_t n = 0; n < text.len - 1; n++) {
		char *cut = xstrndup(text.data, n);
		if (pgbr_info_parse(cut, n, &info, err, sizeof(err)) == 0)
			fail_msg("the first %zu of %zu bytes are taken for a backup.info", n, text.len);
		assert_true(err[0] != '\0');
		assert_int_equal(info.nbackups, 0);
		free(cut);
	}
	assert_int_equal(pgbr_info_parse(text.data, text.len - 1, &info, err, sizeof(err)), 0);
	buf_release(&text);
}

/* ---- backup.info: hostile variants -------------------------------------- */

static const struct {
	const char *from, *to;     /* a change of the real file */
	int fix_checksum;          /* recompute the checksum after it */
	const char *want;          /* in the error; NULL: accepted */
} pgbr_cases[] = {
	/* the checksum catches any change */
	{ "\"backup-info-size\":26666822", "\"backup-info-size\":26666823", 0, "checksum mismatch" },
	{ "backrest-checksum=\"4a", "backrest-checksum=\"4A", 0, "backrest-checksum: expected" },
	{ "backrest-checksum=\"4a89631c50990b894f4d8ec02c395dac3fd6f4e0\"", "", 0,
	  "no [backrest] backrest-checksum" },
	{ "[backrest]\nbackrest-checksum", "[backrest]\nbackrest-checksum=\"4a89631c50990b894f4d8ec02c395dac3fd6f4e0\"\nbackrest-checksum", 0,
	  "backrest-checksum: expected one SHA-1" },
	/* values that are wrong, checksum or not */
	{ "backrest-format=5", "backrest-format=4", 1, "backrest-format: expected 5" },
	{ "backrest-format=5", "backrest-format=\"5\"", 1, "backrest-format: expected 5" },
	{ "\"backup-type\":\"full\"", "\"backup-type\":\"weird\"", 1, "expected full, diff or incr" },
	{ "\"backup-type\":\"diff\"", "\"backup-type\":\"incr\"", 1, "does not go with the label" },
	{ "\"backup-info-size\":26666822", "\"backup-info-size\":-1", 1,
	  "backup-info-size: expected an integer of 0 or more" },
	{ "\"backup-info-size\":26666822", "\"backup-info-size\":2.5e7", 1,
	  "backup-info-size: expected an integer" },
	{ "\"backup-timestamp-stop\":1796560799,", "", 1, "backup-timestamp-stop: missing" },
	{ "\"backup-archive-start\":\"000000010000000000000002\"",
	  "\"backup-archive-start\":\"00000001000000000000000x\"", 1, "WAL segment" },
	{ "\"backup-error\":false", "\"backup-error\":0", 1, "backup-error: expected true or false" },
	{ "20261206-123956F={", "20261306-1239F={", 1, "not a backup label" },
	{ "20261206-123956F={", "20261206-123956F=[", 1, "not JSON" },
	{ "{\"backrest-format\":5,\"backrest-version\":\"2.45\",\"backup-archive-start\"",
	  "{\"backrest-format\":5,\"backrest-format\":5,\"backup-archive-start\"", 1,
	  "not JSON" },   /* a key twice */
	{ "{\"backrest-format\":5,", "{backrest-format:5,", 1, "not JSON" },
	{ "db-version=\"15\"", "db-version=15", 1, "db-version: expected a string" },
	{ "[backrest]\nbackrest-format", "stray=1\n[backrest]\nbackrest-format", 1,
	  "before any section" },
	{ "[db]\n", "[db]\nno equals sign here\n", 1, "line 12: expected [section] or key=value" },
	{ "[db]\n", "[db]\n\001\002\n", 1, "expected [section] or key=value" },
	/* accepted: an offline backup (no WAL), a section of a later version,
	 * CRLF line ends */
	{ "\"backup-archive-start\":\"000000010000000000000002\",\"backup-archive-stop\":\"000000010000000000000002\",",
	  "\"backup-archive-start\":null,", 1, NULL },
	{ "[db]\n", "[later:section]\nkey={\"x\":[1,2,3]}\n\n[db]\n", 1, NULL },
};

static void test_pgbr_hostile(void **state)
{
	(void)state;
	struct buf text;
	fixture("pgbackrest.backup.info", &text);
	for (size_t i = 0; i < sizeof(pgbr_cases) / sizeof(pgbr_cases[0]); i++) {
		char *v = replace(text.data, pgbr_cases[i].from, pgbr_cases[i].to);
		if (pgbr_cases[i].fix_checksum && strstr(v, "backrest-checksum=\"")) {
			char *f = rechecksum(v);
			free(v);
			v = f;
		}
		struct pgbr_info info;
		char err[512] = "";
		int rc = parse(v, &info, err, sizeof(err));
		if (!pgbr_cases[i].want) {
			if (rc != 0)
				fail_msg("case %zu refused: %s", i, err);
		} else if (rc == 0 || !strstr(err, pgbr_cases[i].want)) {
			fail_msg("case %zu: want \"%s\", got rc %d \"%s\"", i, pgbr_cases[i].want, rc, err);
		}
		free(v);
	}
	buf_release(&text);
}

/* What the cases above leave out: an offline backup's empty WAL range,
 * no backups, bytes the reader refuses, a line past the cap, JSON nested
 * past jansson's depth, CRLF line ends, an empty file. */
static void test_pgbr_edges(void **state)
{
	(void)state;
	struct buf text;
	fixture("pgbackrest.backup.info", &text);
	struct pgbr_info info;
	char err[512];

	char *a = replace(text.data, "\"backup-archive-start\":\"000000010000000000000002\","
				     "\"backup-archive-stop\":\"000000010000000000000002\",", "");
	char *off = rechecksum(a);
	assert_int_equal(parse(off, &info, err, sizeof(err)), 0);
	assert_string_equal(info.newest[PGBR_FULL].wal_start, "");
	assert_string_equal(info.newest[PGBR_FULL].wal_stop, "");
	assert_string_equal(info.newest[PGBR_INCR].wal_stop, "000000010000000000000008");
	free(a);
	free(off);

	/* no backups at all: a stanza just created */
	const char *cur = strstr(text.data, "[backup:current]\n");
	const char *db = strstr(text.data, "[db]\n");
	char *empty = xasprintf("%.*s%s", (int)(cur - text.data), text.data, db);
	char *e2 = rechecksum(empty);
	assert_int_equal(parse(e2, &info, err, sizeof(err)), 0);
	assert_int_equal(info.nbackups, 0);
	free(empty);
	free(e2);

	/* a NUL byte */
	char *nul = xstrdup(text.data);
	nul[20] = '\0';
	assert_int_equal(pgbr_info_parse(nul, text.len, &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2: a NUL byte"));
	free(nul);

	/* a line past the cap */
	size_t big = PGBR_INFO_LINE_MAX + 10;
	char *huge = xmalloc(big + 1);
	memset(huge, 'a', big);
	huge[big] = '\0';
	char *val = xasprintf("[db]\nhuge=\"%s\"\n", huge);
	char *longline = replace(text.data, "[db]\n", val);
	assert_int_equal(parse(longline, &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
	free(huge);
	free(val);
	free(longline);

	/* JSON nested deeper than jansson goes */
	size_t depth = 5000;
	char *nest = xmalloc(2 * depth + 1);
	memset(nest, '[', depth);
	memset(nest + depth, ']', depth);
	nest[2 * depth] = '\0';
	char *nv = xasprintf("[db]\nnest=%s\n", nest);
	char *nested = replace(text.data, "[db]\n", nv);
	assert_int_equal(parse(nested, &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nest: not JSON"));
	free(nest);
	free(nv);
	free(nested);

	/* CRLF: the same file */
	struct buf crlf = BUF_INIT(BUF_UNLIMITED);
	for (size_t i = 0; i < text.len; i++) {
		if (text.data[i] == '\n')
			buf_putc(&crlf, '\r');
		buf_putc(&crlf, text.data[i]);
	}
	assert_int_equal(pgbr_info_parse(crlf.data, crlf.len, &info, err, sizeof(err)), 0);
	assert_int_equal(info.nbackups, 4);
	buf_release(&crlf);

	assert_int_equal(pgbr_info_parse("", 0, &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a pgBackRest info file"));
	buf_release(&text);
}

/* ---- the glob scan ------------------------------------------------------ */

/* Writes size bytes to dir/rel with mtime (seconds, nanoseconds). */
static void put_file(const char *dir, const char *rel, size_t size, time_t sec, long nsec)
{
	char *content = xmalloc(size + 1);
	memset(content, 'x', size);
	content[size] = '\0';
	tmp_tree_put(dir, rel, content);
	free(content);
	char *path = xasprintf("%s/%s", dir, rel);
	struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	free(path);
}

static void scan_ok(const char *pattern, struct backup_scan *s)
{
	char err[512];
	if (backup_scan(pattern, BACKUP_SCAN_MATCHES_MAX, BACKUP_SCAN_ENTRIES_MAX,
			now_mono_ms() + 10000, s, err, sizeof(err)) < 0)
		fail_msg("scan of %s failed: %s", pattern, err);
}

static void test_scan(void **state)
{
	(void)state;
	char *dir = tmp_tree("backup");
	put_file(dir, "db-1.dump", 100, 1700000000, 0);
	put_file(dir, "db-2.dump", 300, 1700086400, 5);
	put_file(dir, "db-3.dump", 200, 1700086400, 7);       /* newest by nanoseconds */
	put_file(dir, ".db-4.dump.tmp", 10, 1800000000, 0);  /* being written: hidden */
	put_file(dir, ".hidden.dump", 10, 1800000000, 0);     /* * does not match a dot */
	put_file(dir, "notes.txt", 10, 1800000000, 0);
	char *sub = xasprintf("%s/sub.dump", dir);            /* a directory that matches */
	assert_int_equal(mkdir(sub, 0755), 0);
	put_file(dir, "sub.dump/inner.dump", 10, 1800000000, 0);  /* not followed */
	char *link = xasprintf("%s/link.dump", dir);          /* a link to a file: a match */
	char *target = xasprintf("%s/db-1.dump", dir);
	assert_int_equal(symlink(target, link), 0);
	char *dangling = xasprintf("%s/dangling.dump", dir);
	assert_int_equal(symlink("/nonexistent/x", dangling), 0);

	struct backup_scan s = { 0 };
	char *pat = xasprintf("%s/*.dump", dir);
	scan_ok(pat, &s);
	assert_int_equal(s.files, 4);   /* db-1, db-2, db-3, link */
	assert_non_null(s.newest.path);
	assert_non_null(strstr(s.newest.path, "/db-3.dump"));
	assert_int_equal(s.newest.mtime_sec, 1700086400);
	assert_int_equal(s.newest.mtime_nsec, 7);
	assert_int_equal(s.newest.size, 200);
	assert_non_null(strstr(s.previous.path, "/db-2.dump"));
	assert_int_equal(s.previous.size, 300);
	assert_int_equal(s.skipped, 0);
	assert_int_equal(s.nproblems, 1);                      /* the dangling link */
	assert_non_null(strstr(s.problem, "dangling.dump"));
	free(pat);

	/* a written dot-name is matched */
	pat = xasprintf("%s/.*.tmp", dir);
	scan_ok(pat, &s);
	assert_int_equal(s.files, 1);
	assert_null(s.previous.path);
	free(pat);

	/* a literal file name: the file, or nothing */
	pat = xasprintf("%s/db-2.dump", dir);
	scan_ok(pat, &s);
	assert_int_equal(s.files, 1);
	assert_int_equal(s.newest.size, 300);
	free(pat);
	pat = xasprintf("%s/none.dump", dir);
	scan_ok(pat, &s);
	assert_int_equal(s.files, 0);
	assert_null(s.newest.path);
	assert_int_equal(s.nproblems, 0);
	free(pat);

	/* one directory per backup, in any component */
	put_file(dir, "base/2024-01-01/base.tar.gz", 1000, 1704067200, 0);
	put_file(dir, "base/2024-01-02/base.tar.gz", 400, 1704153600, 0);
	put_file(dir, "base/2024-01-03/other.tar.gz", 10, 1804153600, 0);
	tmp_tree_put(dir, "base/2024-01-04", "a file where a directory is matched");
	pat = xasprintf("%s/base/2024-*/base.tar.gz", dir);
	scan_ok(pat, &s);
	assert_int_equal(s.files, 2);
	assert_non_null(strstr(s.newest.path, "/2024-01-02/base.tar.gz"));
	assert_int_equal(s.previous.size, 1000);
	assert_int_equal(s.nproblems, 0);
	char base[4096];
	assert_int_equal(backup_scan_dir(pat, base, sizeof(base)), 0);
	char *want = xasprintf("%s/base", dir);
	assert_string_equal(base, want);
	free(want);
	free(pat);
	pat = xasprintf("%s/*/2024-01-0[12]/*.gz", dir);
	scan_ok(pat, &s);
	assert_int_equal(s.files, 2);
	free(pat);

	backup_scan_release(&s);
	free(sub);
	free(link);
	free(target);
	free(dangling);
	tmp_tree_remove(dir);
}

static void test_scan_caps(void **state)
{
	(void)state;
	char *dir = tmp_tree("backup");
	for (int i = 0; i < 600; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%03d.dump", i);
		put_file(dir, name, (size_t)i % 7, 1700000000 + i, 0);
	}
	char *pat = xasprintf("%s/*.dump", dir);
	struct backup_scan s = { 0 };
	char err[512];
	/* matches past the cap: counted, not looked at */
	assert_int_equal(backup_scan(pat, 100, 100000, now_mono_ms() + 10000, &s, err, sizeof(err)), 0);
	assert_int_equal(s.files, 100);
	assert_int_equal(s.skipped, 500);
	assert_false(s.entries_capped);
	/* entries past the cap: reading stops */
	assert_int_equal(backup_scan(pat, 100000, 50, now_mono_ms() + 10000, &s, err, sizeof(err)), 0);
	assert_true(s.entries_capped);
	assert_true(s.files <= 50);
	/* all of them */
	assert_int_equal(backup_scan(pat, 100000, 100000, now_mono_ms() + 10000, &s, err,
				     sizeof(err)), 0);
	assert_int_equal(s.files, 600);
	assert_non_null(strstr(s.newest.path, "f599.dump"));
	assert_non_null(strstr(s.previous.path, "f598.dump"));
	/* the deadline, looked at every 256 entries */
	assert_int_equal(backup_scan(pat, 100000, 100000, now_mono_ms() - 1, &s, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "deadline reached after reading 256 entries"));
	backup_scan_release(&s);
	free(pat);
	tmp_tree_remove(dir);
}

static void test_scan_unreadable(void **state)
{
	(void)state;
	char *dir = tmp_tree("backup");
	struct backup_scan s = { 0 };
	char err[512];
	char *pat = xasprintf("%s/nowhere/*.dump", dir);
	assert_int_equal(backup_scan(pat, 10, 10, now_mono_ms() + 10000, &s, err, sizeof(err)), -1);
	char *want = xasprintf("cannot read directory '%s/nowhere': No such file or directory", dir);
	assert_string_equal(err, want);
	free(want);
	free(pat);
	/* a file where the directory should be */
	tmp_tree_put(dir, "file", "x");
	pat = xasprintf("%s/file/*.dump", dir);
	assert_int_equal(backup_scan(pat, 10, 10, now_mono_ms() + 10000, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Not a directory"));
	free(pat);
	/* patterns that are no path to files */
	static const char *const bad[] = { "relative/*.dump", "/", "/x/", "/a/../b/*.dump",
					   "/a/./b.dump" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char base[256];
		assert_int_equal(backup_scan_dir(bad[i], base, sizeof(base)), -1);
		assert_int_equal(backup_scan(bad[i], 10, 10, now_mono_ms() + 1000, &s, err,
					     sizeof(err)), -1);
	}
	char base[256];
	assert_int_equal(backup_scan_dir("/x.dump", base, sizeof(base)), 0);
	assert_string_equal(base, "/");
	assert_int_equal(backup_scan_dir("//var//b/*.dump", base, sizeof(base)), 0);
	assert_string_equal(base, "/var/b");
	backup_scan_release(&s);
	tmp_tree_remove(dir);
}

/* ---- the section -------------------------------------------------------- */

static const struct {
	const char *text;   /* after [backup "b"] */
	const char *want;   /* the error; NULL: valid */
} config_cases[] = {
	{ "path = /var/backups/*.dump\n", NULL },
	{ "path = /var/lib/pgbackrest/backup/main\nformat = pgbackrest\n", NULL },
	{ "path = /srv/*/base.tar.gz\nmax_age = 8d\nmin_size = 10MiB\ninterval = 5m\n", NULL },
	{ "format = files\n", "x.ini:1: [backup \"b\"] path: required key missing" },
	{ "path = backups/*.dump\n", "x.ini:2: [backup \"b\"] path: expected an absolute path, got 'backups/*.dump'" },
	{ "path = /var/backups/\n", "path: expected a pattern of files like" },
	{ "path = /var/../x/*.dump\n", "x.ini:2: [backup \"b\"] path: expected a path without '.' or '..' components, got '/var/../x/*.dump'" },
	{ "path = /repo/backup/*\nformat = pgbackrest\n", "path: expected the stanza's directory" },
	{ "path = /x/*.dump\nformat = barman\n", "x.ini:3: [backup \"b\"] format: expected one of files, pgbackrest, got 'barman'" },
	{ "path = /x/*.dump\nmax_age = 0s\n", "max_age: expected a duration from 1s to 400d, got '0s'" },
	{ "path = /x/*.dump\nmax_age = yesterday\n", "max_age: expected a duration like '15s'" },
	{ "path = /x/*.dump\nmin_size = -1\n", "x.ini:3: [backup \"b\"] min_size: expected a size like '64MiB'" },
	{ "path = /x/*.dump\ninterval = 2h\n", "interval: expected a duration from 1s to 1h, got '2h'" },
	{ "path = /x/*.dump\ninterval = 5s\ntimeout = 10s\n", "timeout (10s) must not be longer than interval (5s)" },
	{ "path = /x/*.dump\nmaxage = 1d\n", "x.ini:3: [backup \"b\"] maxage: unknown key; did you mean 'max_age'?" },
	{ "path = /x/*.dump\npassword_file = /etc/x\n", "password_file: unknown key" },
};

static void test_config(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(config_cases) / sizeof(config_cases[0]); i++) {
		char *text = xasprintf("[backup \"b\"]\n%s", config_cases[i].text);
		struct buf errors = BUF_INIT(BUF_UNLIMITED);
		struct config *cfg = config_load_string(text, strlen(text), "x.ini", &errors);
		if (!config_cases[i].want) {
			if (!cfg)
				fail_msg("case %zu refused: %s", i, buf_str(&errors));
		} else if (cfg || !strstr(buf_str(&errors), config_cases[i].want)) {
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, config_cases[i].want,
				 buf_str(&errors));
		}
		config_unref(cfg);
		buf_release(&errors);
		free(text);
	}
	/* the defaults */
	const char *text = "[backup \"b\"]\npath = /x/*.dump\n";
	struct buf errors = BUF_INIT(BUF_UNLIMITED);
	struct config *cfg = config_load_string(text, strlen(text), "x.ini", &errors);
	assert_non_null(cfg);
	const struct config_section *s = config_find(cfg, "backup", "b");
	const struct backup_config *c = s->conf;
	assert_int_equal(c->format, BACKUP_FORMAT_FILES);
	assert_int_equal(c->max_age_ms, 26 * 3600 * 1000LL);
	assert_int_equal(c->min_size, 0);
	assert_int_equal(c->common.interval_ms, 60000);
	assert_int_equal(c->common.timeout_ms, 10000);
	assert_true(c->common.enabled);
	struct buf d = BUF_INIT(BUF_UNLIMITED);
	s->kind->describe(s, &d);
	assert_string_equal(buf_str(&d), "[backup \"b\"] every 1m, timeout 10s: /x/*.dump, newest within 1d2h");
	buf_release(&d);
	config_unref(cfg);
	/* a short interval fits the timeout to it */
	text = "[backup \"b\"]\npath = /x/*.dump\ninterval = 2s\n";
	cfg = config_load_string(text, strlen(text), "x.ini", &errors);
	assert_non_null(cfg);
	c = config_find(cfg, "backup", "b")->conf;
	assert_int_equal(c->common.timeout_ms, 2000);
	config_unref(cfg);
	buf_release(&errors);
}

/* ---- whole collections -------------------------------------------------- */

struct rig {
	struct backup_config conf;
	struct config_section section;
	void *k;
	struct batch *batch;
	char err[1024];
};

static void rig_start(struct rig *r, const char *path, int format)
{
	memset(r, 0, sizeof(*r));
	r->conf.common = (struct target_common){ .enabled = 1, .interval_ms = 60000,
						 .timeout_ms = 10000 };
	r->conf.path = xstrdup(path);
	r->conf.format = format;
	r->conf.max_age_ms = 93600000;
	r->conf.min_size = 1000;
	r->section = (struct config_section){ .kind = &backup_kind, .name = "b",
					      .label = "[backup \"b\"]", .conf = &r->conf };
	r->k = backup_collector.init(&r->section, r->err, sizeof(r->err));
	assert_non_null(r->k);
	r->batch = batch_new();
}

static int rig_collect(struct rig *r)
{
	batch_reset(r->batch);
	return backup_collector.collect(r->k, r->batch, now_mono_ms() + 10000, r->err,
					sizeof(r->err));
}

static void rig_stop(struct rig *r)
{
	backup_collector.free(r->k);
	batch_free(r->batch);
	free(r->conf.path);
}

/* The value of the sample of name with exactly the labels given (name,
 * value pairs, NULL-terminated); NAN when there is none. */
#define value(r, ...) sample_value((r)->batch, __VA_ARGS__)

static void test_collect_files(void **state)
{
	(void)state;
	char *dir = tmp_tree("backup");
	time_t now = time(NULL);
	put_file(dir, "a.dump", 5000, now - 7200, 0);
	put_file(dir, "b.dump", 2000, now - 3600, 0);
	char *pat = xasprintf("%s/*.dump", dir);
	struct rig r;
	rig_start(&r, pat, BACKUP_FORMAT_FILES);
	assert_int_equal(rig_collect(&r), 0);
	assert_true(value(&r, "backup_up", "target", "b", NULL) == 1);
	assert_true(value(&r, "backup_files", "target", "b", NULL) == 2);
	assert_true(value(&r, "backup_newest_timestamp_seconds", "target", "b", NULL) ==
		    (double)(now - 3600));
	double age = value(&r, "backup_newest_age_seconds", "target", "b", NULL);
	assert_true(age >= 3600 && age < 3660);
	assert_true(value(&r, "backup_newest_size_bytes", "target", "b", NULL) == 2000);
	assert_true(value(&r, "backup_previous_size_bytes", "target", "b", NULL) == 5000);
	assert_true(value(&r, "backup_max_age_seconds", "target", "b", NULL) == 93600);
	assert_true(value(&r, "backup_min_size_bytes", "target", "b", NULL) == 1000);
	assert_true(value(&r, "dbpulse_limit_reached_total", "limit", "backup_matches", "target",
			  "b", NULL) == 0);
	assert_true(batch_find_family(r.batch, "backup_newest_info") < 0);

	/* no match: counted as none, no newest */
	put_file(dir, "x.txt", 1, now, 0);
	char *gone = xasprintf("%s/a.dump", dir);
	char *gone2 = xasprintf("%s/b.dump", dir);
	unlink(gone);
	unlink(gone2);
	assert_int_equal(rig_collect(&r), 0);
	assert_true(value(&r, "backup_up", "target", "b", NULL) == 1);
	assert_true(value(&r, "backup_files", "target", "b", NULL) == 0);
	assert_true(batch_find_family(r.batch, "backup_newest_timestamp_seconds") < 0);
	assert_true(batch_find_family(r.batch, "backup_previous_size_bytes") < 0);

	/* the directory gone: the collection fails, backup_up 0 and the bounds */
	tmp_tree_remove(dir);
	assert_int_equal(rig_collect(&r), -1);
	assert_non_null(strstr(r.err, "cannot read directory"));
	assert_true(value(&r, "backup_up", "target", "b", NULL) == 0);
	assert_true(value(&r, "backup_max_age_seconds", "target", "b", NULL) == 93600);
	assert_true(batch_find_family(r.batch, "backup_files") < 0);
	rig_stop(&r);
	free(gone);
	free(gone2);
	free(pat);
}

static void put_text(const char *dir, const char *name, const char *text)
{
	tmp_tree_put(dir, name, text);
}

static void test_collect_pgbackrest(void **state)
{
	(void)state;
	struct buf text;
	fixture("pgbackrest.backup.info", &text);
	char *dir = tmp_tree("backup");
	struct rig r;
	rig_start(&r, dir, BACKUP_FORMAT_PGBACKREST);

	/* no backup.info: not a stanza (yet) */
	assert_int_equal(rig_collect(&r), -1);
	assert_non_null(strstr(r.err, "/backup.info': No such file or directory"));
	assert_true(value(&r, "backup_up", "target", "b", NULL) == 0);

	put_text(dir, "backup.info", text.data);
	assert_int_equal(rig_collect(&r), 0);
	assert_true(value(&r, "backup_up", "target", "b", NULL) == 1);
	assert_true(value(&r, "backup_files", "target", "b", NULL) == 4);
	assert_true(value(&r, "backup_newest_timestamp_seconds", "target", "b", "type", "full",
			  NULL) == 1796560799);
	assert_true(value(&r, "backup_newest_timestamp_seconds", "target", "b", "type", "diff",
			  NULL) == 1796560801);
	assert_true(value(&r, "backup_newest_timestamp_seconds", "target", "b", "type", "incr",
			  NULL) == 1796560805);
	assert_true(value(&r, "backup_newest_start_timestamp_seconds", "target", "b", "type",
			  "incr", NULL) == 1796560804);
	assert_true(value(&r, "backup_newest_size_bytes", "target", "b", "type", "full", NULL) ==
		    3471479);
	assert_true(value(&r, "backup_newest_size_bytes", "target", "b", "type", "incr", NULL) ==
		    430);
	assert_true(value(&r, "backup_previous_size_bytes", "target", "b", "type", "incr", NULL) ==
		    462427);
	assert_true(isnan(value(&r, "backup_previous_size_bytes", "target", "b", "type", "full",
				NULL)));
	assert_true(value(&r, "backup_newest_database_size_bytes", "target", "b", "type", "diff",
			  NULL) == 27051846);
	assert_true(value(&r, "backup_newest_info", "target", "b", "type", "incr", "label",
			  "20261206-123956F_20261206-124004I", "wal_start",
			  "000000010000000000000007", "wal_stop", "000000010000000000000008",
			  NULL) == 1);
	double age = value(&r, "backup_newest_age_seconds", "target", "b", NULL);
	assert_true(fabs(age - (now_wall() - 1796560805)) < 60);

	/* a backup.info cut short: its copy is read instead */
	char *cut = xstrndup(text.data, text.len / 2);
	put_text(dir, "backup.info", cut);
	put_text(dir, "backup.info.copy", text.data);
	assert_int_equal(rig_collect(&r), 0);
	assert_true(value(&r, "backup_files", "target", "b", NULL) == 4);
	/* both refused: the collection fails and says why */
	put_text(dir, "backup.info.copy", "[backrest]\nbackrest-format=5\n");
	assert_int_equal(rig_collect(&r), -1);
	assert_non_null(strstr(r.err, "/backup.info' refused: "));
	assert_non_null(strstr(r.err, "(and backup.info.copy: "));
	assert_non_null(strstr(r.err, "no [backrest] backrest-checksum"));
	assert_true(value(&r, "backup_up", "target", "b", NULL) == 0);
	assert_true(batch_find_family(r.batch, "backup_files") < 0);
	free(cut);

	rig_stop(&r);
	tmp_tree_remove(dir);
	buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pgbr_fixture),
		cmocka_unit_test(test_pgbr_truncated),
		cmocka_unit_test(test_pgbr_hostile),
		cmocka_unit_test(test_pgbr_edges),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scan_caps),
		cmocka_unit_test(test_scan_unreadable),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_collect_files),
		cmocka_unit_test(test_collect_pgbackrest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
