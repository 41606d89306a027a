/*
 * test_textfile.c -- the textfile collector: its strict parser of the
 * Prometheus text format (textfile_parse.c) on good and bad files, the
 * set of series with its rollback, and whole collections of temporary
 * directories (what is served, what is skipped and reported, the caps,
 * a family another target serves), and the [textfile] section's checks.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmp_tree.h"
#include "batch_samples.h"

#include "buf.h"
#include "config.h"
#include "metrics.h"
#include "strutil.h"
#include "textfile.h"
#include "textfile_parse.h"
#include "xalloc.h"

#define assert_double_equal(a, b) \
	assert_true(fabs((double)(a) - (double)(b)) <= 1e-9 * fmax(1.0, fabs((double)(b))))

/* ---- the parser ------------------------------------------------------- */

/* The parse of in as one line: "error: WHY", or each family as
 * "name:type[help]" then its samples "{k=v,...}=value" ("@" when it had a
 * timestamp). */
static void dump(const char *in, struct buf *out)
{
	struct textfile_parse p = { 0 };
	char err[256];
	size_t len = strlen(in);
	char *t = xmalloc(len + 1);
	memcpy(t, in, len + 1);
	buf_reset(out);
	if (textfile_parse(t, len, &p, err, sizeof(err)) < 0) {
		buf_printf(out, "error: %s", err);
	} else {
		for (size_t f = 0; f < p.nfamilies; f++) {
			const struct textfile_family *fam = &p.families[f];
			buf_printf(out, "%s%s:%s", f ? " " : "", fam->name,
				   textfile_type_name(fam->type));
			if (fam->help)
				buf_printf(out, "[%s]", fam->help);
			for (size_t k = 0; k < p.nsamples; k++) {
				const struct textfile_sample *s = &p.samples[k];
				if (s->family != f)
					continue;
				buf_putc(out, '{');
				for (size_t l = 0; l < s->nlabels; l++)
					buf_printf(out, "%s%s=%s", l ? "," : "",
						   p.label_strs[s->labels + 2 * l],
						   p.label_strs[s->labels + 2 * l + 1]);
				char num[64];
				snprintf(num, sizeof(num), "%.17g", s->value);
				buf_printf(out, "}=%s%s", num, s->has_timestamp ? "@" : "");
			}
		}
	}
	textfile_parse_release(&p);
	free(t);
}

static const struct {
	const char *in, *want;
} parse_cases[] = {
	/* good files */
	{ "", "" },
	{ "# just a comment\n\n   \n#\n", "" },
	{ "# HELP a_total Things done.\n# TYPE a_total counter\na_total 3\n",
	  "a_total:counter[Things done.]{}=3" },
	{ "b{x=\"1\",a=\"2\"} 1.5\nb{a=\"3\",x=\"4\",} -2\n", "b:untyped{a=2,x=1}=1.5{a=3,x=4}=-2" },
	{ "c { k = \"v\" }  7\n", "c:untyped{k=v}=7" },
	{ "c{k=\"a\\\\b\\\"c\\nd\"} 1\n", "c:untyped{k=a\\b\"c\nd}=1" },
	{ "# HELP h one \\\\ two\\nthree \\\"q\\\"  \nh 1\n", "h:untyped[one \\ two\nthree \"q\"  ]{}=1" },
	{ "#TYPE g GAUGE\ng 1\n", "g:gauge{}=1" },
	{ "# TYPE g gau\\ge\ng 1\n", "g:gauge{}=1" },
	{ "# HELP only_help x\n# TYPE only_type gauge\nz 1\n", "z:untyped{}=1" },
	{ "v 1e3\nw +Inf\nx -inf\ny NaN\nz .5\n",
	  "v:untyped{}=1000 w:untyped{}=inf x:untyped{}=-inf y:untyped{}=nan z:untyped{}=0.5" },
	{ "t 1 1700000000000\n", "t:untyped{}=1@" },
	{ "c{k=\"\"} 1\n", "c:untyped{k=}=1" },
	{ "h 1\n# HELP h later help is fine\n", "h:untyped[later help is fine]{}=1" },
	{ "a:b_c 1\n", "a:b_c:untyped{}=1" },
	{ "c{k=\"caf\xc3\xa9\"} 1\n", "c:untyped{k=caf\xc3\xa9}=1" },
	{ "# HELP x\n# HELP x the help\nx 1\n", "x:untyped[the help]{}=1" },
	{ "c{k=\"v\"}1\n", "c:untyped{k=v}=1" },
	/* summaries and histograms: parsed, their parts joined */
	{ "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n",
	  "s:summary{}=1{}=2{}=3" },
	{ "# TYPE hh histogram\nhh_bucket{le=\"1\"} 1\nhh_bucket{le=\"+Inf\"} 2\nhh_sum 3\n"
	  "hh_count 2\n", "hh:histogram{}=1{}=2{}=3{}=2" },
	{ "s_sum 2\n# TYPE s summary\n", "s_sum:untyped{}=2" },
	/* bad files */
	{ "a 1", "error: line 1: unexpected end of input stream" },
	{ "a 1\n# HELP x y", "error: line 2: unexpected end of input stream" },
	{ "a 1 \n", "error: line 1: expected integer as timestamp, got \"\"" },
	{ "a 1 2 3\n", "error: line 1: spurious string after timestamp" },
	{ "a 1 x\n", "error: line 1: expected integer as timestamp, got \"x\"" },
	{ "a\n", "error: line 1: expected float as value, got \"\"" },
	{ "a 1x\n", "error: line 1: expected float as value, got \"1x\"" },
	{ "a 0x10\n", "error: line 1: expected float as value, got \"0x10\"" },
	{ "a 1_000\n", "error: line 1: expected float as value, got \"1_000\"" },
	{ "a 1e400\n", "error: line 1: expected float as value, got \"1e400\"" },
	{ "a -nan\n", "error: line 1: expected float as value, got \"-nan\"" },
	{ "a 1\r\n", "error: line 1: expected float as value, got \"1\r\"" },
	{ "# HELP a x\n# HELP a y\na 1\n", "error: line 2: second HELP line for metric name \"a\"" },
	{ "# TYPE a gauge\n# TYPE a gauge\n",
	  "error: line 2: second TYPE line for metric name \"a\", or TYPE reported after samples" },
	{ "a 1\n# TYPE a gauge\n",
	  "error: line 2: second TYPE line for metric name \"a\", or TYPE reported after samples" },
	{ "# TYPE a gaugex\n", "error: line 1: unknown metric type \"gaugex\"" },
	{ "# TYPE a gauge \n", "error: line 1: unknown metric type \"gauge \"" },
	{ "# HELP a bad \\t escape\n", "error: line 1: invalid escape sequence '\\t'" },
	{ "# HELP 9a x\n", "error: line 1: invalid metric name in comment" },
	{ "9a 1\n", "error: line 1: invalid metric name" },
	{ "{a=\"b\"} 1\n", "error: line 1: a metric name first: the {\"name\"} form is not supported" },
	{ "\"a\" 1\n", "error: line 1: quoted (UTF-8) names are not supported" },
	{ "a{b=c} 1\n", "error: line 1: expected '\"' at start of label value, found 'c'" },
	{ "a{b} 1\n", "error: line 1: expected '=' after label name, found '}'" },
	{ "a{1=\"x\"} 1\n", "error: line 1: invalid label name for metric \"a\"" },
	{ "a{b=\"x\",b=\"y\"} 1\n", "error: line 1: duplicate label names for metric \"a\"" },
	{ "a{__name__=\"x\"} 1\n", "error: line 1: label name \"__name__\" is reserved" },
	{ "a{__x=\"x\"} 1\n", "error: line 1: label name \"__x\" is reserved (starts with __)" },
	{ "a{b=\"x\\q\"} 1\n", "error: line 1: invalid escape sequence '\\q'" },
	{ "a{b=\"x\ny\"} 1\n", "error: line 1: label value contains unescaped new-line" },
	{ "a{b=\"\xff\"} 1\n", "error: line 1: invalid label value (not UTF-8)" },
	{ "a{b=\"x\" c=\"y\"} 1\n", "error: line 1: unexpected end of label value" },
	{ "a{b=\"x\"", "error: line 1: unexpected end of input stream" },
	{ "# TYPE s summary\ns{quantile=\"x\"} 1\n",
	  "error: line 2: expected float as value for 'quantile' label, got \"x\"" },
	{ "# TYPE h histogram\nh_bucket{le=\"1\"} -1\n",
	  "error: line 2: negative bucket population for histogram \"h\"" },
	{ "# TYPE h histogram\nh_count -1\n", "error: line 2: negative count for histogram \"h\"" },
};

static void test_parse(void **state)
{
	struct buf out = BUF_INIT(1 << 16);
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		print_message("# case %zu\n", i);
		dump(parse_cases[i].in, &out);
		assert_string_equal(buf_str(&out), parse_cases[i].want);
	}
	/* the NUL case: strlen stopped at it above; the real text has it */
	struct textfile_parse p = { 0 };
	char text[] = "a 1\nb\0 2\n", err[128];
	assert_int_equal(textfile_parse(text, sizeof(text) - 1, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "line 2: NUL byte");
	/* a result parsed into again */
	char t1[] = "a{x=\"1\"} 1\nb 2\n", t2[] = "c 3\n";
	assert_int_equal(textfile_parse(t1, strlen(t1), &p, err, sizeof(err)), 0);
	assert_int_equal(p.nfamilies, 2);
	assert_int_equal(textfile_parse(t2, strlen(t2), &p, err, sizeof(err)), 0);
	assert_int_equal(p.nfamilies, 1);
	assert_int_equal(p.nsamples, 1);
	assert_int_equal(p.nlabel_strs, 0);
	assert_string_equal(p.families[0].name, "c");
	assert_false(textfile_parse_has_timestamps(&p));
	textfile_parse_release(&p);
	buf_release(&out);
}

/* ---- the set of series ------------------------------------------------ */

static void test_series(void **state)
{
	struct textfile_series s = { 0 };
	char *ab[] = { "a", "1", "b", "2" }, *ab_empty[] = { "a", "1", "b", "", "c", "" };
	char *a[] = { "a", "1" }, *b[] = { "a", "2" };
	assert_int_equal(textfile_series_add(&s, "x", ab, 2), 0);
	assert_int_equal(textfile_series_add(&s, "x", ab, 2), 1);
	assert_int_equal(textfile_series_add(&s, "y", ab, 2), 0);
	/* empty values are no labels: {a="1",b="",c=""} is {a="1"} */
	assert_int_equal(textfile_series_add(&s, "x", a, 1), 0);
	assert_int_equal(textfile_series_add(&s, "x", ab_empty, 3), 1);
	textfile_series_commit(&s);
	/* a refused file's series are taken back, the earlier ones stay */
	assert_int_equal(textfile_series_add(&s, "x", b, 1), 0);
	for (int i = 0; i < 500; i++) { /* enough to grow the table meanwhile */
		char name[32];
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(textfile_series_add(&s, name, NULL, 0), 0);
	}
	textfile_series_rollback(&s);
	assert_int_equal(s.n, 3);
	assert_int_equal(textfile_series_add(&s, "x", b, 1), 0);
	assert_int_equal(textfile_series_add(&s, "n7", NULL, 0), 0);
	assert_int_equal(textfile_series_add(&s, "x", ab, 2), 1);
	assert_int_equal(textfile_series_add(&s, "y", ab, 2), 1);
	textfile_series_reset(&s);
	assert_int_equal(textfile_series_add(&s, "x", ab, 2), 0);
	textfile_series_release(&s);
}

/* ---- whole collections ------------------------------------------------ */

struct rig {
	struct textfile_config conf;
	struct config_section section;
	void *tf;
	struct batch *batch;
	const char *taken;      /* a family "another target" serves */
	char err[256];
};

static int served(void *ctx, const char *name)
{
	const struct rig *r = ctx;
	return r->taken && strcmp(name, r->taken) == 0;
}

static void rig_start(struct rig *r, const char *dirs)
{
	char err[128];
	memset(r, 0, sizeof(*r));
	r->conf.common = (struct target_common){ .enabled = 1, .interval_ms = 15000, .timeout_ms = 10000 };
	assert_int_equal(conf_parse_list(dirs, &r->conf.directory, err, sizeof(err)), 0);
	r->section = (struct config_section){ .kind = &textfile_kind, .name = "textfile",
					      .label = "[textfile]", .conf = &r->conf };
	r->tf = textfile_collector.init(&r->section, r->err, sizeof(r->err));
	assert_non_null(r->tf);
	r->batch = batch_new();
}

static void rig_collect(struct rig *r)
{
	batch_reset(r->batch);
	r->batch->others = (struct family_lookup){ served, r };
	assert_int_equal(textfile_collector.collect(r->tf, r->batch, now_mono_ms() + 10000, r->err,
						    sizeof(r->err)), 0);
	r->batch->others = (struct family_lookup){ NULL, NULL };
}

static void rig_stop(struct rig *r)
{
	textfile_collector.free(r->tf);
	batch_free(r->batch);
	conf_list_release(&r->conf.directory);
}

/* The value of the sample of name with exactly the labels given (name,
 * value pairs, NULL-terminated); fails the test when there is none. */
#define value(r, ...) sample_value_must((r)->batch, __VA_ARGS__)

static int has_family(const struct rig *r, const char *name)
{
	return batch_find_family(r->batch, name) >= 0;
}

static const char *help_of(const struct rig *r, const char *name)
{
	long f = batch_find_family(r->batch, name);
	assert_true(f >= 0);
	return batch_str(r->batch, r->batch->families[f].help_off);
}

static void test_collect(void **state)
{
	char *dir = tmp_tree("textfile");
	char *sub = xasprintf("%s/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	tmp_tree_put(dir, "a.prom",
		 "# HELP backup_last_success_timestamp_seconds When the backup last worked.\n"
		 "# TYPE backup_last_success_timestamp_seconds gauge\n"
		 "backup_last_success_timestamp_seconds{job=\"db\"} 1700000000\n"
		 "node_reboot_required 0\n"
		 "shared{x=\"1\"} 1\nshared{y=\"2\"} 2\n");
	tmp_tree_put(dir, "b.prom", "# TYPE shared untyped\nshared{x=\"3\"} 3\n"
				"# TYPE backup_last_success_timestamp_seconds gauge\n"
				"backup_last_success_timestamp_seconds{job=\"files\"} 1600000000\n");
	tmp_tree_put(dir, "ignored.txt", "not 1 2 3 4\n");
	tmp_tree_put(dir, "c.prom.tmp", "garbage");
	tmp_tree_put(sub, "d.prom", "sub_metric 4\n");
	struct rig r;
	char *dirs = xasprintf("%s, %s/", dir, sub);
	rig_start(&r, dirs);
	rig_collect(&r);
	char *a = xasprintf("%s/a.prom", dir), *b = xasprintf("%s/b.prom", dir);
	char *d = xasprintf("%s/d.prom", sub);
	assert_double_equal(value(&r, "backup_last_success_timestamp_seconds", "job", "db", NULL),
			    1700000000);
	assert_double_equal(value(&r, "backup_last_success_timestamp_seconds", "job", "files", NULL),
			    1600000000);
	assert_string_equal(help_of(&r, "backup_last_success_timestamp_seconds"),
			    "When the backup last worked.");
	/* no HELP anywhere: where it was read from */
	char *want_help = xasprintf("Metric read from %s", a);
	assert_string_equal(help_of(&r, "node_reboot_required"), want_help);
	free(want_help);
	want_help = xasprintf("Metric read from %s, %s", a, b);
	assert_string_equal(help_of(&r, "shared"), want_help);
	free(want_help);
	/* every label name of the family in the file, empty where missing */
	assert_double_equal(value(&r, "shared", "x", "1", "y", "", NULL), 1);
	assert_double_equal(value(&r, "shared", "x", "", "y", "2", NULL), 2);
	assert_double_equal(value(&r, "shared", "x", "3", NULL), 3);
	assert_double_equal(value(&r, "sub_metric", NULL), 4);
	struct stat st;
	assert_int_equal(stat(a, &st), 0);
	assert_double_equal(value(&r, "node_textfile_mtime_seconds", "file", a, NULL),
			    (double)st.st_mtim.tv_sec);
	value(&r, "node_textfile_mtime_seconds", "file", b, NULL);
	value(&r, "node_textfile_mtime_seconds", "file", d, NULL);
	assert_double_equal(value(&r, "node_textfile_scrape_error", NULL), 0);
	assert_double_equal(value(&r, "node_scrape_collector_success", "collector", "textfile", NULL),
			    1);
	assert_double_equal(value(&r, "dbpulse_limit_reached_total", "limit", "textfile_files",
				  "target", "textfile", NULL), 0);
	assert_int_equal(r.batch->families[batch_find_family(r.batch, "shared")].type,
			 METRIC_UNTYPED);
	assert_int_equal(r.batch->invalid, 0);

	/* a bad file is skipped whole and reported; the others stay */
	tmp_tree_put(dir, "b.prom", "shared{x=\"3\"} 3\nbroken 1");
	rig_collect(&r);
	assert_double_equal(value(&r, "node_textfile_scrape_error", NULL), 1);
	assert_false(has_family(&r, "broken"));
	assert_double_equal(value(&r, "shared", "x", "1", "y", "", NULL), 1);
	value(&r, "node_textfile_mtime_seconds", "file", a, NULL);
	assert_int_equal(batch_find_family(r.batch, "shared") >= 0, 1);
	/* b's sample of shared went with it */
	for (size_t i = 0; i < r.batch->nsamples; i++)
		assert_false(r.batch->samples[i].value == 3 &&
			     r.batch->samples[i].family == (uint32_t)batch_find_family(r.batch, "shared"));

	/* fixed: clean again */
	tmp_tree_put(dir, "b.prom", "shared{x=\"3\"} 3\n");
	rig_collect(&r);
	assert_double_equal(value(&r, "node_textfile_scrape_error", NULL), 0);
	free(a);
	free(b);
	free(d);
	free(dirs);
	rig_stop(&r);
	free(sub);
	tmp_tree_remove(dir);
}

/* One bad thing per case: the file (or family) and the report. */
static void test_collect_refusals(void **state)
{
	static const struct {
		const char *first, *second;  /* a.prom, b.prom */
		const char *absent;          /* a family that must not be served */
		const char *present;         /* one that must be */
	} cases[] = {
		/* timestamps: the whole file */
		{ "ok 1\n", "ts 1 1700000000000\nother 2\n", "other", "ok" },
		/* a series twice in one file, and across files */
		{ "ok 1\n", "dup{a=\"1\"} 1\ndup{a=\"1\"} 2\nother 2\n", "other", "ok" },
		{ "same{a=\"1\",b=\"\"} 1\n", "same{a=\"1\"} 2\nother 2\n", "other", "same" },
		/* HELP differs from the earlier file's: that family of the later file */
		{ "# HELP h one\nh{f=\"a\"} 1\n", "# HELP h two\nh{f=\"b\"} 1\nother 2\n", NULL,
		  "other" },
		/* TYPE differs */
		{ "# TYPE t gauge\nt{f=\"a\"} 1\n", "# TYPE t counter\nt{f=\"b\"} 1\nother 2\n", NULL,
		  "other" },
		/* the agent's own names, this collector's, another target's */
		{ "dbpulse_up 1\nok 1\n", "process_cpu_seconds_total 1\nother 2\n",
		  "process_cpu_seconds_total", "other" },
		{ "node_textfile_scrape_error 0\nok 1\n", "taken_by_host 1\nother 2\n", "taken_by_host",
		  "other" },
		/* summaries and histograms */
		{ "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\nok 1\n", "other 2\n", "s",
		  "ok" },
		/* more than 64 label names in a family */
		{ "ok 1\n", NULL, NULL, "ok" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = tmp_tree("textfile");
		struct rig r;
		print_message("# case %zu\n", i);
		tmp_tree_put(dir, "a.prom", cases[i].first);
		if (cases[i].second) {
			tmp_tree_put(dir, "b.prom", cases[i].second);
		} else {
			struct buf many = BUF_INIT(1 << 16);
			for (int k = 0; k < 65; k++)
				buf_printf(&many, "wide{l%d=\"v\"} %d\n", k, k);
			tmp_tree_put(dir, "b.prom", buf_str(&many));
			buf_release(&many);
		}
		rig_start(&r, dir);
		r.taken = "taken_by_host";
		rig_collect(&r);
		assert_double_equal(value(&r, "node_textfile_scrape_error", NULL), 1);
		if (cases[i].absent)
			assert_false(has_family(&r, cases[i].absent));
		assert_true(has_family(&r, cases[i].present));
		assert_false(has_family(&r, "dbpulse_up"));
		assert_false(has_family(&r, "wide"));
		assert_false(has_family(&r, "ts"));
		assert_false(has_family(&r, "dup"));
		if (i == 3 || i == 4) { /* the first file's family is served, the later's not */
			const char *fam = i == 3 ? "h" : "t";
			value(&r, fam, "f", "a", NULL);
			long f = batch_find_family(r.batch, fam);
			for (size_t k = 0; k < r.batch->nsamples; k++)
				if (r.batch->samples[k].family == (uint32_t)f)
					assert_string_equal(batch_str(r.batch, r.batch->samples[k].labels_off +
								       2), "a");
		}
		if (i == 8)
			assert_double_equal(value(&r, "dbpulse_limit_reached_total", "limit",
						  "textfile_labels", "target", "textfile", NULL), 1);
		rig_stop(&r);
		tmp_tree_remove(dir);
	}
}

static void test_collect_limits(void **state)
{
	char *dir = tmp_tree("textfile");
	struct rig r;
	/* more files than read per collection: the first ones, by name */
	for (int i = 0; i < TEXTFILE_FILES_MAX + 2; i++) {
		char name[32], line[64];
		snprintf(name, sizeof(name), "f%04d.prom", i);
		snprintf(line, sizeof(line), "file_metric{n=\"%d\"} %d\n", i, i);
		tmp_tree_put(dir, name, line);
	}
	rig_start(&r, dir);
	rig_collect(&r);
	assert_double_equal(value(&r, "node_textfile_scrape_error", NULL), 1);
	assert_double_equal(value(&r, "dbpulse_limit_reached_total", "limit", "textfile_files",
				  "target", "textfile", NULL), 2);
	value(&r, "file_metric", "n", "999", NULL);
	rig_stop(&r);
	tmp_tree_remove(dir);

	/* more series than read per collection: the file that passes it */
	dir = tmp_tree("textfile");
	FILE *f;
	char *path = xasprintf("%s/a.prom", dir);
	f = fopen(path, "w");
	for (int i = 0; i < TEXTFILE_SERIES_MAX - 1; i++)
		fprintf(f, "s{i=\"%d\"} 1\n", i);
	fclose(f);
	free(path);
	tmp_tree_put(dir, "b.prom", "t 1\nu 1\n");
	tmp_tree_put(dir, "c.prom", "v 1\n");
	rig_start(&r, dir);
	rig_collect(&r);
	assert_true(has_family(&r, "s"));
	assert_false(has_family(&r, "t"));
	assert_true(has_family(&r, "v"));
	assert_double_equal(value(&r, "dbpulse_limit_reached_total", "limit", "textfile_series",
				  "target", "textfile", NULL), 1);
	rig_stop(&r);
	tmp_tree_remove(dir);

	/* more bytes than read per collection */
	dir = tmp_tree("textfile");
	path = xasprintf("%s/big.prom", dir);
	f = fopen(path, "w");
	for (size_t n = 0; n <= TEXTFILE_BYTES_MAX; n += strlen("# padding padding\n"))
		fputs("# padding padding\n", f);
	fclose(f);
	free(path);
	tmp_tree_put(dir, "small.prom", "small 1\n");
	rig_start(&r, dir);
	rig_collect(&r);
	assert_true(has_family(&r, "small"));
	assert_double_equal(value(&r, "dbpulse_limit_reached_total", "limit", "textfile_bytes",
				  "target", "textfile", NULL), 1);
	assert_double_equal(value(&r, "node_textfile_scrape_error", NULL), 1);
	rig_stop(&r);
	tmp_tree_remove(dir);
}

static void test_collect_directories(void **state)
{
	char *dir = tmp_tree("textfile");
	struct rig r;
	char *a = xasprintf("%s/a", dir), *b = xasprintf("%s/b", dir);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	tmp_tree_put(a, "x.prom", "from_a 1\n");
	tmp_tree_put(b, "x.prom", "from_b 1\n");
	char *dirfile = xasprintf("%s/a/dir.prom", dir);
	assert_int_equal(mkdir(dirfile, 0755), 0); /* not a regular file: an error */
	/* a glob pattern of directories */
	char *pattern = xasprintf("%s/*", dir);
	rig_start(&r, pattern);
	rig_collect(&r);
	assert_true(has_family(&r, "from_a"));
	assert_true(has_family(&r, "from_b"));
	assert_double_equal(value(&r, "node_textfile_scrape_error", NULL), 1);
	rig_stop(&r);
	assert_int_equal(rmdir(dirfile), 0);
	/* a directory that is gone: reported, nothing read */
	char *gone = xasprintf("%s/gone", dir);
	rig_start(&r, gone);
	rig_collect(&r);
	assert_double_equal(value(&r, "node_textfile_scrape_error", NULL), 1);
	assert_false(has_family(&r, "node_textfile_mtime_seconds"));
	rig_stop(&r);

	/* the section: validate, check_config, describe */
	char err[256];
	struct textfile_config c = { .common = { 1, 15000, 10000 } };
	struct config_section s = { .kind = &textfile_kind, .name = "textfile",
				    .label = "[textfile]", .conf = &c };
	assert_int_equal(conf_parse_list("relative/dir", &c.directory, err, sizeof(err)), 0);
	assert_int_equal(textfile_kind.validate(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "directory: expected an absolute path, got 'relative/dir'");
	conf_list_release(&c.directory);
	assert_int_equal(conf_parse_list(gone, &c.directory, err, sizeof(err)), 0);
	assert_int_equal(textfile_kind.validate(&c, err, sizeof(err)), 0);
	assert_int_equal(textfile_kind.check_config(NULL, &s, err, sizeof(err)), -1);
	char *want = xasprintf("directory: cannot read '%s': No such file or directory", gone);
	assert_string_equal(err, want);
	free(want);
	conf_list_release(&c.directory);
	char *nomatch = xasprintf("%s/nothing*", dir);
	assert_int_equal(conf_parse_list(nomatch, &c.directory, err, sizeof(err)), 0);
	assert_int_equal(textfile_kind.check_config(NULL, &s, err, sizeof(err)), -1);
	want = xasprintf("directory: the pattern '%s' matches nothing", nomatch);
	assert_string_equal(err, want);
	free(want);
	conf_list_release(&c.directory);
	char *both = xasprintf("%s, %s", a, pattern);
	assert_int_equal(conf_parse_list(both, &c.directory, err, sizeof(err)), 0);
	assert_int_equal(textfile_kind.check_config(NULL, &s, err, sizeof(err)), 0);
	struct buf out = BUF_INIT(4096);
	textfile_kind.describe(&s, &out);
	want = xasprintf("[textfile] every 15s, timeout 10s: %s/*.prom, %s/*.prom", a, pattern);
	assert_string_equal(buf_str(&out), want);
	free(want);
	c.common.interval_ms = 5000;
	assert_int_equal(textfile_kind.validate(&c, err, sizeof(err)), -1);
	conf_list_release(&c.directory);
	buf_release(&out);
	free(both);
	free(nomatch);
	free(gone);
	free(pattern);
	free(dirfile);
	free(a);
	free(b);
	tmp_tree_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_collect_refusals),
		cmocka_unit_test(test_collect_limits),
		cmocka_unit_test(test_collect_directories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
