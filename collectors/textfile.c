/*
 * textfile.c -- the [textfile] section and the textfile collector (see
 * textfile.h): every *.prom file of the configured directories, read each
 * interval, served as node_exporter's collector/textfile.go serves them.
 *
 * The scheduler creates one instance (textfile_init) on the section's
 * worker thread and calls textfile_collect() on that thread every
 * interval.  A collection lists each directory (a glob pattern expands to
 * the directories it matches, as filepath.Glob does), reads its *.prom
 * files in name order, parses each with textfile_parse.c and then decides,
 * as node_exporter does:
 *   - a file that does not parse, has a sample with a timestamp, repeats a
 *     series (in itself or after an earlier file), or passes a cap is
 *     skipped whole;
 *   - a family of a file is left out when its HELP differs from the one
 *     an earlier file gave it (or its TYPE does), when it is a summary or
 *     a histogram (not supported), or when dbpulse serves a family of
 *     that name itself: the agent's own (dbpulse_*, process_*, this
 *     collector's node_textfile_* and node_scrape_collector_*) or another
 *     target's (asked through the batch, batch_served_elsewhere);
 *   - each of those sets node_textfile_scrape_error to 1 and is logged;
 *   - a family without HELP gets "Metric read from FILE, FILE"; the
 *     samples of a family in one file all get the label names any of them
 *     has (empty values where missing); node_textfile_mtime_seconds{file}
 *     is the mtime of each file that was read.
 * Samples carry no target label: they are the user's own.
 *
 * An instance owns the text and parse of each file (released after each
 * collection), the table of families across files, the set of series and
 * its log complaint; the config section is borrowed.
 */
#include "autoconfig.h"
#include "textfile.h"
#include "buf.h"
#include "host_metrics.h"
#include "log.h"
#include "metrics.h"
#include "strutil.h"
#include "textfile_parse.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "banned.h"

#define TEXTFILE_PROBLEMS_MAX 2048   /* bytes of one collection's problems, for the log */

/* ---- configuration ---------------------------------------------------- */

#define TF_KEY(k) offsetof(struct textfile_config, k)

static const struct config_key textfile_keys[] = {
	{ .name = "directory", .type = CONF_LIST, .offset = TF_KEY(directory), .required = 1 },
	{ .name = "timeout", .type = CONF_DURATION, .offset = TF_KEY(common.timeout_ms),
	  .def = "10s", .min = 100, .max = CONF_MS_HOUR, .fit_default = conf_fit_timeout },
	{ .name = NULL },
};

static int textfile_validate(void *conf, char *err, size_t errlen)
{
	const struct textfile_config *c = conf;
	if (conf_check_target(&c->common, err, errlen) < 0)
		return -1;
	if (c->directory.n == 0) {
		snprintf(err, errlen, "directory: expected at least one directory");
		return -1;
	}
	for (size_t i = 0; i < c->directory.n; i++) {
		if (c->directory.items[i][0] != '/') {
			snprintf(err, errlen, "directory: expected an absolute path, got '%s'",
				 c->directory.items[i]);
			return -1;
		}
	}
	return 0;
}

static int textfile_is_pattern(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

/* Whether path is a directory this process can list; -1 with err if not. */
static int textfile_check_dir(const char *path, char *err, size_t errlen)
{
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "directory: cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	closedir(d);
	return 0;
}

/* --check-config, start and reload: every directory exists and can be
 * listed (a pattern matches at least one, and each match can). */
static int textfile_check_config(const struct config *cfg, const struct config_section *s,
				 char *err, size_t errlen)
{
	(void)cfg;
	const struct textfile_config *c = s->conf;
	for (size_t i = 0; i < c->directory.n; i++) {
		const char *dir = c->directory.items[i];
		if (!textfile_is_pattern(dir)) {
			if (textfile_check_dir(dir, err, errlen) < 0)
				return -1;
			continue;
		}
		glob_t g;
		if (glob(dir, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
			globfree(&g);
			snprintf(err, errlen, "directory: the pattern '%s' matches nothing", dir);
			return -1;
		}
		int rc = 0;
		for (size_t k = 0; k < g.gl_pathc && rc == 0; k++)
			rc = textfile_check_dir(g.gl_pathv[k], err, errlen);
		globfree(&g);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void textfile_describe(const struct config_section *s, struct buf *out)
{
	const struct textfile_config *c = s->conf;
	if (!c->common.enabled) {
		buf_puts(out, s->label);
		return;
	}
	conf_describe_target(s->label, &c->common, out);
	buf_putc(out, ':');
	for (size_t i = 0; i < c->directory.n; i++)
		buf_printf(out, "%s %s/*.prom", i ? "," : "", c->directory.items[i]);
}

/* ---- the instance ----------------------------------------------------- */

enum { TL_FILES, TL_BYTES, TL_SERIES, TL_LABELS, TL_COUNT };
static const char *const textfile_limit_names[TL_COUNT + 1] = {
	"textfile_files", "textfile_bytes", "textfile_series", "textfile_labels", NULL,
};

/* One file of this collection. */
struct tf_file {
	char *path;                     /* "DIR/NAME", the file label */
	struct buf text;
	struct textfile_parse parsed;
	unsigned char *keep;            /* per parsed family: served */
	size_t keep_alloc;
	double mtime;
	int ok;                         /* read and served */
};

/* A family across the files of this collection. */
struct tf_family {
	const char *name;               /* in the first file's text */
	const char *help;               /* the first HELP given, or NULL */
	int help_conflict;              /* a later file gave another HELP */
	enum textfile_type type;
	size_t *files;                  /* the files it was read from, in order */
	size_t nfiles, files_alloc;
	size_t generated_help;          /* offset in helps of "Metric read from ..." */
};

struct textfile {
	const struct textfile_config *conf;
	const char *target;             /* the section's name, for logs and limits */
	struct tf_file *files;
	size_t nfiles, files_alloc;
	struct tf_family *fams;
	size_t nfams, fams_alloc;
	struct name_index fam_index;    /* fams by name */
	struct textfile_series series;
	struct buf helps;               /* the generated help texts */
	struct buf problems;            /* this collection's, for the log */
	unsigned nproblems;
	size_t bytes_left;
	size_t nprom;                   /* *.prom files seen in this collection */
	struct limit_counts limits;
	struct log_complaint complaint;
};

/* Notes a problem of this collection: node_textfile_scrape_error 1. */
__attribute__((format(printf, 2, 3))) static void tf_problem(struct textfile *t, const char *fmt,
							      ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("textfile", t->target, "%s", msg);
	if (t->nproblems++ == 0)
		buf_puts(&t->problems, msg);
}

/* xgrow, with the new elements zeroed (files and families are reused
 * from one collection to the next: what they own is found there). */
static void *tf_grow(void *ptr, size_t *alloc, size_t need, size_t elem_size)
{
	size_t old = *alloc;
	char *p = xgrow(ptr, alloc, need, elem_size);
	if (*alloc > old)
		memset(p + old * elem_size, 0, (*alloc - old) * elem_size);
	return p;
}

/* ---- families across files -------------------------------------------- */

static const char *family_name_at(const void *textfile, size_t i)
{
	return ((const struct textfile *)textfile)->fams[i].name;
}

static struct tf_family *tf_find(const struct textfile *t, const char *name)
{
	long i = name_index_find(&t->fam_index, name, strlen(name), family_name_at, t);
	return i < 0 ? NULL : &t->fams[i];
}

static struct tf_family *tf_add_family(struct textfile *t, const struct textfile_family *f)
{
	t->fams = tf_grow(t->fams, &t->fams_alloc, t->nfams + 1, sizeof(*t->fams));
	struct tf_family *n = &t->fams[t->nfams];
	size_t *files = n->files, files_alloc = n->files_alloc; /* reused from earlier collections */
	*n = (struct tf_family){ .name = f->name, .help = f->help, .type = f->type,
				 .files = files, .files_alloc = files_alloc };
	t->nfams++;
	name_index_add(&t->fam_index, t->nfams, family_name_at, t);
	return n;
}

/* The agent's own families, and this collector's: never a user's. */
static int tf_reserved(const char *name)
{
	static const char *const own[] = {
		"node_textfile_scrape_error", "node_textfile_mtime_seconds",
		"node_scrape_collector_success", "node_scrape_collector_duration_seconds",
	};
	if (strncmp(name, "dbpulse_", 8) == 0 || strncmp(name, "process_", 8) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(name, own[i]) == 0)
			return 1;
	return 0;
}

/* ---- one file --------------------------------------------------------- */

/* Reads the regular file at f->path into f->text, at most t->bytes_left
 * bytes; -1 after noting the problem. */
static int tf_read(struct textfile *t, struct tf_file *f)
{
	int fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		tf_problem(t, "cannot read '%s': %s", f->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		tf_problem(t, "cannot read '%s': not a regular file", f->path);
		close(fd);
		return -1;
	}
	buf_release(&f->text);
	buf_init(&f->text, t->bytes_left);
	int rc = 0;
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tf_problem(t, "cannot read '%s': %s", f->path, strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		if (buf_append(&f->text, chunk, (size_t)n) < 0) {
			limit_reached(&t->limits, TL_BYTES, "textfile", t->target,
				      "'%s' passes what is left of the %zu bytes read per collection; "
				      "skipping it", f->path, (size_t)TEXTFILE_BYTES_MAX);
			tf_problem(t, "'%s': more than the %zu bytes left to read in this collection",
				   f->path, t->bytes_left);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && fstat(fd, &st) == 0) /* after the read, as node_exporter */
		f->mtime = (double)st.st_mtim.tv_sec;
	close(fd);
	if (rc == 0) {
		t->bytes_left -= f->text.len;
		if (!f->text.data)
			buf_puts(&f->text, ""); /* an empty file: a NUL-terminated empty text */
	}
	return rc;
}

/* The label names of family fam's samples in the file, sorted, into
 * names (at most max); the count, or max + 1 when there are more. */
static size_t tf_label_union(const struct textfile_parse *p, size_t fam, const char **names,
			     size_t max)
{
	size_t n = 0;
	for (size_t k = 0; k < p->nsamples; k++) {
		const struct textfile_sample *s = &p->samples[k];
		if (s->family != fam)
			continue;
		for (size_t l = 0; l < s->nlabels; l++) {
			const char *name = p->label_strs[s->labels + 2 * l];
			size_t at = 0;
			while (at < n && strcmp(names[at], name) < 0)
				at++;
			if (at < n && strcmp(names[at], name) == 0)
				continue;
			if (n == max)
				return max + 1;
			memmove(names + at + 1, names + at, (n - at) * sizeof(*names));
			names[at] = name;
			n++;
		}
	}
	return n;
}

/* Which families of the file are served (f->keep); notes the others. */
static void tf_pick_families(struct textfile *t, struct tf_file *f, const struct batch *b)
{
	const struct textfile_parse *p = &f->parsed;
	f->keep = xgrow(f->keep, &f->keep_alloc, p->nfamilies + 1, 1);
	for (size_t k = 0; k < p->nfamilies; k++) {
		const struct textfile_family *fam = &p->families[k];
		const struct tf_family *seen = tf_find(t, fam->name);
		f->keep[k] = 0;
		if (fam->type == TEXTFILE_SUMMARY || fam->type == TEXTFILE_HISTOGRAM)
			tf_problem(t, "'%s': %s '%s' left out: summaries and histograms are not "
				   "supported", f->path, textfile_type_name(fam->type), fam->name);
		else if (tf_reserved(fam->name))
			tf_problem(t, "'%s': '%s' left out: a name of the agent's own", f->path,
				   fam->name);
		else if (batch_served_elsewhere(b, fam->name))
			tf_problem(t, "'%s': '%s' left out: dbpulse serves that family itself",
				   f->path, fam->name);
		else if (seen && ((fam->help && seen->help && strcmp(fam->help, seen->help) != 0) ||
				  seen->help_conflict))
			tf_problem(t, "'%s': '%s' left out: its HELP differs from the one in '%s'",
				   f->path, fam->name, t->files[seen->files[0]].path);
		else if (seen && seen->type != fam->type)
			tf_problem(t, "'%s': '%s' left out: %s here, %s in '%s'", f->path, fam->name,
				   textfile_type_name(fam->type), textfile_type_name(seen->type),
				   t->files[seen->files[0]].path);
		else
			f->keep[k] = 1;
	}
}

/* The series of the file's kept families: none repeated, within the caps.
 * Adds them to the collection's set (to be committed or rolled back);
 * -1 after noting the problem. */
static int tf_check_series(struct textfile *t, struct tf_file *f)
{
	const struct textfile_parse *p = &f->parsed;
	const char *names[TEXTFILE_LABELS_MAX];
	size_t nseries = 0;
	for (size_t k = 0; k < p->nfamilies; k++) {
		if (!f->keep[k])
			continue;
		nseries += p->families[k].nsamples;
		if (tf_label_union(p, k, names, TEXTFILE_LABELS_MAX) > TEXTFILE_LABELS_MAX) {
			limit_reached(&t->limits, TL_LABELS, "textfile", t->target,
				      "'%s': '%s' has more than %d label names; skipping the file",
				      f->path, p->families[k].name, TEXTFILE_LABELS_MAX);
			tf_problem(t, "'%s': '%s' has more than %d label names", f->path,
				   p->families[k].name, TEXTFILE_LABELS_MAX);
			return -1;
		}
	}
	if (t->series.n + nseries > TEXTFILE_SERIES_MAX) {
		limit_reached(&t->limits, TL_SERIES, "textfile", t->target,
			      "'%s' would pass the %d series read per collection; skipping it",
			      f->path, TEXTFILE_SERIES_MAX);
		tf_problem(t, "'%s': more than the %d series of a collection", f->path,
			   TEXTFILE_SERIES_MAX);
		return -1;
	}
	for (size_t k = 0; k < p->nsamples; k++) {
		const struct textfile_sample *s = &p->samples[k];
		if (!f->keep[s->family])
			continue;
		const char *name = p->families[s->family].name;
		if (textfile_series_add(&t->series, name, p->label_strs + s->labels, s->nlabels)) {
			tf_problem(t, "'%s': a series of '%s' is written twice (in this file or an "
				   "earlier one)", f->path, name);
			return -1;
		}
	}
	return 0;
}

/* The file's kept families join the collection's table. */
static void tf_commit_families(struct textfile *t, size_t file)
{
	struct tf_file *f = &t->files[file];
	const struct textfile_parse *p = &f->parsed;
	for (size_t k = 0; k < p->nfamilies; k++) {
		const struct textfile_family *fam = &p->families[k];
		struct tf_family *seen = tf_find(t, fam->name);
		if (!f->keep[k]) {
			if (seen && fam->help && seen->help && strcmp(fam->help, seen->help) != 0)
				seen->help_conflict = 1;
			continue;
		}
		if (!seen)
			seen = tf_add_family(t, fam);
		else if (!seen->help)
			seen->help = fam->help;
		seen->files = xgrow(seen->files, &seen->files_alloc, seen->nfiles + 1,
				    sizeof(*seen->files));
		seen->files[seen->nfiles++] = file;
	}
}

/* Reads, parses and checks one file: it is served (ok) or skipped whole. */
static void tf_file(struct textfile *t, const char *dir, const char *name, struct batch *b)
{
	t->files = tf_grow(t->files, &t->files_alloc, t->nfiles + 1, sizeof(*t->files));
	size_t idx = t->nfiles++;
	struct tf_file *f = &t->files[idx];
	free(f->path);
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	f->path = xasprintf("%.*s%s%s", (int)dl, dir, dir[dl - 1] == '/' ? "" : "/", name);
	f->ok = 0;
	f->mtime = 0;
	if (tf_read(t, f) < 0)
		return;
	char why[512];
	if (textfile_parse(f->text.data, f->text.len, &f->parsed, why, sizeof(why)) < 0) {
		tf_problem(t, "cannot parse '%s': %s", f->path, why);
		return;
	}
	if (textfile_parse_has_timestamps(&f->parsed)) {
		tf_problem(t, "'%s' has samples with timestamps, which are not supported: skipping "
			   "the whole file", f->path);
		return;
	}
	tf_pick_families(t, f, b);
	if (tf_check_series(t, f) < 0) {
		textfile_series_rollback(&t->series);
		return;
	}
	textfile_series_commit(&t->series);
	tf_commit_families(t, idx);
	f->ok = 1;
}

static int tf_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int tf_is_prom(const char *name)
{
	size_t n = strlen(name);
	return n >= 5 && strcmp(name + n - 5, ".prom") == 0;
}

/* The *.prom files of one directory, in name order (as os.ReadDir); past
 * TEXTFILE_FILES_MAX in this collection the rest are skipped (and at most
 * 16 times that many names are sorted to choose). */
static void tf_directory(struct textfile *t, const char *dir, struct batch *b, int64_t deadline)
{
	DIR *d = opendir(dir);
	if (!d) {
		tf_problem(t, "cannot read directory '%s': %s", dir, strerror(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0, alloc = 0, skipped = 0;
	const struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!tf_is_prom(e->d_name))
			continue;
		if (n >= 16 * (size_t)TEXTFILE_FILES_MAX) {
			skipped++;
			continue;
		}
		names = xgrow(names, &alloc, n + 1, sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), tf_name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (t->nprom >= TEXTFILE_FILES_MAX)
			skipped++;
		else if (now_mono_ms() >= deadline)
			tf_problem(t, "deadline reached before '%s/%s'", dir, names[i]);
		else
			tf_file(t, dir, names[i], b);
		t->nprom++;
		free(names[i]);
	}
	free(names);
	if (skipped) {
		limit_reached_n(&t->limits, TL_FILES, skipped, "textfile", t->target,
				"more than %d *.prom files: skipping %zu in '%s'", TEXTFILE_FILES_MAX,
				skipped, dir);
		tf_problem(t, "'%s': %zu *.prom file%s past the %d read per collection skipped", dir,
			   skipped, skipped == 1 ? "" : "s", TEXTFILE_FILES_MAX);
	}
}

/* ---- serving ---------------------------------------------------------- */

static const struct metric_desc tf_mtime = {
	"node_textfile_mtime_seconds", "Unixtime mtime of textfiles successfully read.",
	METRIC_GAUGE,
};
static const struct metric_desc tf_scrape_error = {
	"node_textfile_scrape_error",
	"1 if there was an error opening or reading a file, 0 otherwise", METRIC_GAUGE,
};

static enum metric_type tf_metric_type(enum textfile_type type)
{
	return type == TEXTFILE_COUNTER ? METRIC_COUNTER :
	       type == TEXTFILE_GAUGE ? METRIC_GAUGE : METRIC_UNTYPED;
}

/* "Metric read from A, B" for the families no file gave a HELP. */
static void tf_generate_helps(struct textfile *t)
{
	buf_reset(&t->helps);
	for (size_t k = 0; k < t->nfams; k++) {
		struct tf_family *fam = &t->fams[k];
		if (fam->help)
			continue;
		fam->generated_help = t->helps.len;
		buf_puts(&t->helps, "Metric read from ");
		for (size_t i = 0; i < fam->nfiles; i++)
			buf_printf(&t->helps, "%s%s", i ? ", " : "", t->files[fam->files[i]].path);
		buf_putc(&t->helps, '\0');
	}
}

/* The samples of one served file: each with every label name of its
 * family in the file, sorted (empty values where it has none). */
static void tf_emit_file(struct textfile *t, const struct tf_file *f, struct batch *b)
{
	const struct textfile_parse *p = &f->parsed;
	const char *names[TEXTFILE_LABELS_MAX];
	const char *labels[2 * TEXTFILE_LABELS_MAX];
	for (size_t k = 0; k < p->nfamilies; k++) {
		if (!f->keep[k])
			continue;
		const struct tf_family *fam = tf_find(t, p->families[k].name);
		const char *help = fam->help ? fam->help : buf_str(&t->helps) + fam->generated_help;
		size_t nnames = tf_label_union(p, k, names, TEXTFILE_LABELS_MAX);
		for (size_t s = 0; s < p->nsamples; s++) {
			const struct textfile_sample *smp = &p->samples[s];
			if (smp->family != k)
				continue;
			char *const *have = p->label_strs + smp->labels;
			size_t h = 0;
			for (size_t l = 0; l < nnames; l++) {
				labels[2 * l] = names[l];
				if (h < smp->nlabels && strcmp(have[2 * h], names[l]) == 0)
					labels[2 * l + 1] = have[2 * h++ + 1];
				else
					labels[2 * l + 1] = "";
			}
			batch_addv(b, fam->name, help, tf_metric_type(fam->type), smp->value, labels,
				   nnames);
		}
	}
}

/* Orders indexes into the collection's files by the files' paths. */
static int tf_path_cmp(const void *a, const void *b, void *ctx)
{
	const struct textfile *t = ctx;
	return strcmp(t->files[*(const size_t *)a].path, t->files[*(const size_t *)b].path);
}

static void tf_emit(struct textfile *t, struct batch *b)
{
	tf_generate_helps(t);
	size_t *ok = xcalloc(t->nfiles + 1, sizeof(*ok)); /* the files served */
	size_t nok = 0;
	for (size_t i = 0; i < t->nfiles; i++) {
		if (!t->files[i].ok)
			continue;
		tf_emit_file(t, &t->files[i], b);
		ok[nok++] = i;
	}
	if (nok > 1)
		qsort_r(ok, nok, sizeof(*ok), tf_path_cmp, t);
	for (size_t i = 0; i < nok; i++)
		batch_add(b, &tf_mtime, t->files[ok[i]].mtime, "file", t->files[ok[i]].path, NULL);
	free(ok);
	batch_add(b, &tf_scrape_error, t->nproblems ? 1 : 0, NULL);
}

/* ---- the collector ---------------------------------------------------- */

static void *textfile_init(const struct config_section *section, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct textfile *t = xcalloc(1, sizeof(*t));
	t->conf = section->conf;
	t->target = section->name;
	buf_init(&t->helps, BUF_UNLIMITED);
	buf_init(&t->problems, TEXTFILE_PROBLEMS_MAX);
	limit_counts_init(&t->limits, textfile_limit_names);
	return t;
}

/* Lets go of this collection's texts and tables (keeping the arrays). */
static void tf_reset(struct textfile *t)
{
	for (size_t i = 0; i < t->nfiles; i++)
		buf_release(&t->files[i].text);
	t->nfiles = 0;
	t->nfams = 0;
	name_index_clear(&t->fam_index);
	textfile_series_reset(&t->series);
	buf_reset(&t->problems);
	t->nproblems = 0;
	t->bytes_left = TEXTFILE_BYTES_MAX;
	t->nprom = 0;
}

static int textfile_collect(void *instance, struct batch *b, int64_t deadline_ms, char *err,
			    size_t errlen)
{
	struct textfile *t = instance;
	double start = now_mono();
	if (errlen)
		err[0] = '\0';
	tf_reset(t);
	for (size_t i = 0; i < t->conf->directory.n; i++) {
		const char *dir = t->conf->directory.items[i];
		if (textfile_is_pattern(dir)) {
			glob_t g;
			int found = glob(dir, 0, NULL, &g) == 0 && g.gl_pathc > 0;
			for (size_t k = 0; found && k < g.gl_pathc; k++)
				tf_directory(t, g.gl_pathv[k], b, deadline_ms);
			globfree(&g);
			if (found)
				continue;
			/* a pattern that matches nothing is taken as a directory (and fails) */
		}
		tf_directory(t, dir, b, deadline_ms);
	}
	tf_emit(t, b);
	batch_add(b, &host_scrape_duration, now_mono() - start, "collector", "textfile", NULL);
	batch_add(b, &host_scrape_success, 1, "collector", "textfile", NULL);
	limit_counts_add(&t->limits, b, "target", t->target);
	if (t->nproblems)
		log_complain(&t->complaint, LOG_LEVEL_WARN, "textfile", t->target,
			     "%s%s (node_textfile_scrape_error 1)", buf_str(&t->problems),
			     t->nproblems > 1 ? " (and more: see the debug log)" : "");
	else
		log_complaint_clear(&t->complaint, "textfile", t->target, "every file read again");
	tf_reset(t);
	return 0;
}

static void textfile_free(void *instance)
{
	struct textfile *t = instance;
	if (!t)
		return;
	for (size_t i = 0; i < t->files_alloc; i++) {
		free(t->files[i].path);
		buf_release(&t->files[i].text);
		textfile_parse_release(&t->files[i].parsed);
		free(t->files[i].keep);
	}
	free(t->files);
	for (size_t i = 0; i < t->fams_alloc; i++)
		free(t->fams[i].files);
	free(t->fams);
	name_index_free(&t->fam_index);
	textfile_series_release(&t->series);
	buf_release(&t->helps);
	buf_release(&t->problems);
	free(t);
}

const struct collector textfile_collector = {
	.name = "textfile",
	.init = textfile_init,
	.collect = textfile_collect,
	.free = textfile_free,
	.guest = 1,
};

const struct config_kind textfile_kind = {
	.name = "textfile",
	.named = 0,
	.implicit = 0,
	.keys = textfile_keys,
	.shared_keys = conf_target_shared,
	.conf_size = sizeof(struct textfile_config),
	.validate = textfile_validate,
	.describe = textfile_describe,
	.check_config = textfile_check_config,
	.collector = &textfile_collector,
};
