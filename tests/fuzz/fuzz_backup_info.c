/*
 * fuzz_backup_info.c -- the parser of pgBackRest's backup.info
 * (collectors/backup_pgbr.c): inih's splitting through our reader, each
 * value through jansson, the checksum recomputed.
 *
 * Properties: no crash, leak or UB; -1 only with a reason (and, when the
 * reason names a line, "line N: " with N within the input); a refused
 * input leaves the result zeroed; two parses of one input agree; when the
 * only fault is the checksum ("checksum mismatch: backrest-checksum is X,
 * the content's SHA-1 is Y"), the input with Y written for X is accepted
 * (so a mutated file with its checksum mended reaches everything past the
 * check); and an accepted result holds together: the backups counted by
 * type add up, each type's newest is not older than the one before it,
 * labels fit their type, WAL segment names are 24 hexadecimal digits or
 * empty, sizes and times are not negative.
 */
#include "autoconfig.h"

#include <ctype.h>

#include "backup_pgbr.h"
#include "fuzz_util.h"

static void check_backup(const struct pgbr_backup *b, int t)
{
	size_t n = strlen(b->label);
	FUZZ_CHECK(n == 16 || n == 33, "label '%s'", b->label);
	FUZZ_CHECK(b->label[n - 1] == "FDI"[t], "label '%s' of type %d", b->label, t);
	FUZZ_CHECK(b->start >= 0 && b->stop >= 0 && b->size >= 0 && b->size_delta >= 0 &&
			   b->repo_size >= 0 && b->repo_size_delta >= 0,
		   "a negative number in '%s'", b->label);
	const char *wal[2] = { b->wal_start, b->wal_stop };
	for (int i = 0; i < 2; i++) {
		size_t w = strlen(wal[i]);
		FUZZ_CHECK(w == 0 || w == 24, "WAL '%s'", wal[i]);
		for (size_t k = 0; k < w; k++)
			FUZZ_CHECK(isdigit((unsigned char)wal[i][k]) ||
					   (wal[i][k] >= 'A' && wal[i][k] <= 'F'),
				   "WAL '%s'", wal[i]);
	}
}

static void check_result(const struct pgbr_info *info)
{
	size_t sum = 0;
	for (int t = 0; t < PGBR_NTYPES; t++) {
		sum += info->ntype[t];
		if (info->ntype[t] >= 1)
			check_backup(&info->newest[t], t);
		if (info->ntype[t] >= 2) {
			check_backup(&info->previous[t], t);
			FUZZ_CHECK(info->newest[t].stop >= info->previous[t].stop,
				   "newest %s stops before the previous %s", info->newest[t].label,
				   info->previous[t].label);
		}
	}
	FUZZ_CHECK(sum == info->nbackups, "%zu backups, by type %zu", info->nbackups, sum);
}

static int same_backup(const struct pgbr_backup *a, const struct pgbr_backup *b)
{
	return strcmp(a->label, b->label) == 0 && a->start == b->start && a->stop == b->stop &&
	       a->size == b->size && a->size_delta == b->size_delta &&
	       a->repo_size == b->repo_size && a->repo_size_delta == b->repo_size_delta &&
	       strcmp(a->wal_start, b->wal_start) == 0 && strcmp(a->wal_stop, b->wal_stop) == 0 &&
	       a->error == b->error;
}

/* Field by field (struct padding is not compared). */
static int same_info(const struct pgbr_info *a, const struct pgbr_info *b)
{
	if (strcmp(a->version, b->version) != 0 || strcmp(a->db_version, b->db_version) != 0 ||
	    a->nbackups != b->nbackups)
		return 0;
	for (int t = 0; t < PGBR_NTYPES; t++)
		if (a->ntype[t] != b->ntype[t] ||
		    (a->ntype[t] >= 1 && !same_backup(&a->newest[t], &b->newest[t])) ||
		    (a->ntype[t] >= 2 && !same_backup(&a->previous[t], &b->previous[t])))
			return 0;
	return 1;
}

static int zeroed(const struct pgbr_info *info)
{
	static const struct pgbr_info zero;
	return same_info(info, &zero);
}

/* Parses and checks what the properties above say of one input; returns
 * the parse's rc, err filled. */
static int parse_checked(const char *text, size_t size, struct pgbr_info *info, char *err,
			 size_t errlen)
{
	struct pgbr_info again;
	char err2[512];
	int rc = pgbr_info_parse(text, size, info, err, errlen);
	int rc2 = pgbr_info_parse(text, size, &again, err2, sizeof(err2));
	FUZZ_CHECK(rc == rc2 && strcmp(err, err2) == 0, "rc %d '%s', then %d '%s'", rc, err, rc2,
		   err2);
	if (rc < 0) {
		FUZZ_CHECK(rc == -1 && err[0], "rc %d, err '%s'", rc, err);
		FUZZ_CHECK(zeroed(info), "a refused input left a result");
		if (strncmp(err, "line ", 5) == 0) {
			long line = strtol(err + 5, NULL, 10);
			size_t lines = 1;
			for (size_t i = 0; i < size; i++)
				lines += text[i] == '\n';
			FUZZ_CHECK(line >= 1 && (size_t)line <= lines, "line %ld of %zu: '%s'", line,
				   lines, err);
		}
	} else {
		FUZZ_CHECK(rc == 0, "rc %d", rc);
		FUZZ_CHECK(same_info(info, &again), "two parses differ");
		check_result(info);
	}
	return rc;
}

/* Whether the line that starts at line is in section [backrest]: the
 * nearest line above it (or itself) that starts with '[' after blanks. */
static int in_backrest(const char *text, const char *line)
{
	for (;;) {
		const char *l = line + strspn(line, " \t");
		if (*l == '[')
			return strncmp(l, "[backrest]", 10) == 0;
		if (line == text)
			return 0;
		line--; /* the '\n' that ends the line above */
		while (line > text && line[-1] != '\n')
			line--;
	}
}

/* The value have where a line "backrest-checksum = \"have\"" of section
 * [backrest] holds it (blanks and quotes optional), or NULL: not the same
 * 40 characters elsewhere in the content, which mending would alter. */
static char *checksum_value(char *text, const char *have)
{
	for (char *q = text; (q = strstr(q, have)) != NULL; q++) {
		char *line = q;
		while (line > text && line[-1] != '\n')
			line--;
		if (!in_backrest(text, line))
			continue;
		char *r = line + strspn(line, " \t");
		if (strncmp(r, "backrest-checksum", 17) != 0)
			continue;
		r += 17;
		r += strspn(r, " \t");
		if (*r++ != '=')
			continue;
		r += strspn(r, " \t");
		r += *r == '"';
		if (r == q)
			return q;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct pgbr_info info;
	char err[512] = "";
	int rc = parse_checked(text, size, &info, err, sizeof(err));
	static const char mismatch[] = "checksum mismatch: backrest-checksum is ";
	if (rc < 0 && strncmp(err, mismatch, sizeof(mismatch) - 1) == 0) {
		/* mend the checksum: then the input is accepted */
		char have[41];
		snprintf(have, sizeof(have), "%s", err + sizeof(mismatch) - 1);
		const char *sha = strstr(err, "the content's SHA-1 is ");
		FUZZ_CHECK(strlen(have) == 40 && sha && strlen(sha) >= 23 + 40, "'%s'", err);
		sha += 23;
		char *at = checksum_value(text, have);
		if (at) {
			memcpy(at, sha, 40);
			char err2[512] = "";
			int rc2 = parse_checked(text, size, &info, err2, sizeof(err2));
			FUZZ_CHECK(rc2 == 0, "the checksum mended, still refused: '%s'", err2);
		}
	}
	free(text);
	return 0;
}
