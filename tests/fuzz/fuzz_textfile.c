/*
 * fuzz_textfile.c -- the textfile collector's parser of the Prometheus
 * text format and its set of series (collectors/textfile_parse.c).
 *
 * Properties: no crash, leak or UB; -1 only with "line N: why"; a result
 * parsed into again equals a fresh one; what a parse returns is what the
 * batch and the exposition accept (valid metric and label names, no "__"
 * label, UTF-8 label values, label names sorted and unique per sample,
 * every family with samples); written back in the text format it parses
 * to the same result; and the set of series finds a series twice exactly
 * when two samples of the input are the same series (empty labels left
 * out), and forgets a rolled-back file.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <math.h>

#include "buf.h"
#include "exposition.h"
#include "fuzz_util.h"
#include "metrics.h"
#include "textfile_parse.h"

/* The result as text, comparable between two parses: each family, then
 * its samples in the order they came. */
static void dump(const struct textfile_parse *p, struct buf *out)
{
	for (size_t f = 0; f < p->nfamilies; f++) {
		const struct textfile_family *fam = &p->families[f];
		buf_printf(out, "F %s %d %zu %s\n", fam->name, (int)fam->type, fam->nsamples,
			   fam->help ? fam->help : "(none)");
		for (size_t k = 0; k < p->nsamples; k++) {
			const struct textfile_sample *s = &p->samples[k];
			if (s->family != f)
				continue;
			/* (+ 0.0: -0 reads back as 0 from the exposition) */
			buf_printf(out, "S %a %d", s->value + 0.0, s->has_timestamp);
			for (size_t l = 0; l < s->nlabels; l++)
				buf_printf(out, " %s=%s", p->label_strs[s->labels + 2 * l],
					   p->label_strs[s->labels + 2 * l + 1]);
			buf_putc(out, '\n');
		}
	}
}

static void check_result(const struct textfile_parse *p)
{
	size_t total = 0;
	for (size_t f = 0; f < p->nfamilies; f++) {
		FUZZ_CHECK(metric_name_valid(p->families[f].name), "family '%s'", p->families[f].name);
		FUZZ_CHECK(p->families[f].nsamples > 0, "family '%s' empty", p->families[f].name);
		total += p->families[f].nsamples;
	}
	FUZZ_CHECK(total == p->nsamples, "%zu samples, families count %zu", p->nsamples, total);
	for (size_t k = 0; k < p->nsamples; k++) {
		const struct textfile_sample *s = &p->samples[k];
		FUZZ_CHECK(s->family < p->nfamilies, "sample %zu of family %zu", k, s->family);
		for (size_t l = 0; l < s->nlabels; l++) {
			const char *name = p->label_strs[s->labels + 2 * l];
			const char *value = p->label_strs[s->labels + 2 * l + 1];
			FUZZ_CHECK(label_name_valid(name), "label '%s'", name);
			FUZZ_CHECK(fuzz_utf8_valid(value, strlen(value)), "value not UTF-8");
			if (l)
				FUZZ_CHECK(strcmp(p->label_strs[s->labels + 2 * l - 2], name) < 0,
					   "labels not sorted and unique at '%s'", name);
		}
	}
}

/* Writes the result back in the text format (families of plain samples
 * only: summary and histogram lines lose their suffixes in a result). */
static int render(const struct textfile_parse *p, struct buf *out)
{
	static const char *const types[] = { "untyped", "counter", "gauge" };
	for (size_t f = 0; f < p->nfamilies; f++) {
		const struct textfile_family *fam = &p->families[f];
		if (fam->type > TEXTFILE_GAUGE ||
		    (fam->help && !fuzz_utf8_valid(fam->help, strlen(fam->help))))
			return -1; /* (the escaper mends invalid UTF-8) */
		if (fam->help) {
			buf_printf(out, "# HELP %s ", fam->name);
			expo_escape_help(out, fam->help);
			buf_putc(out, '\n');
		}
		buf_printf(out, "# TYPE %s %s\n", fam->name, types[fam->type]);
		for (size_t k = 0; k < p->nsamples; k++) {
			const struct textfile_sample *s = &p->samples[k];
			if (s->family != f)
				continue;
			buf_puts(out, fam->name);
			buf_putc(out, '{');
			for (size_t l = 0; l < s->nlabels; l++) {
				buf_printf(out, "%s%s=\"", l ? "," : "", p->label_strs[s->labels + 2 * l]);
				expo_escape_label_value(out, p->label_strs[s->labels + 2 * l + 1]);
				buf_putc(out, '"');
			}
			char num[32];
			buf_putc(out, '}');
			buf_putc(out, ' ');
			buf_append(out, num, expo_format_value(s->value, num));
			buf_puts(out, s->has_timestamp ? " 0\n" : "\n");
		}
	}
	return 0;
}

/* Whether samples a and b are the same series (empty labels left out). */
static int same_series(const struct textfile_parse *p, size_t a, size_t b)
{
	const struct textfile_sample *x = &p->samples[a], *y = &p->samples[b];
	if (strcmp(p->families[x->family].name, p->families[y->family].name) != 0)
		return 0;
	size_t i = 0, j = 0;
	for (;;) {
		while (i < x->nlabels && !p->label_strs[x->labels + 2 * i + 1][0])
			i++;
		while (j < y->nlabels && !p->label_strs[y->labels + 2 * j + 1][0])
			j++;
		if (i == x->nlabels || j == y->nlabels)
			return i == x->nlabels && j == y->nlabels;
		if (strcmp(p->label_strs[x->labels + 2 * i], p->label_strs[y->labels + 2 * j]) != 0 ||
		    strcmp(p->label_strs[x->labels + 2 * i + 1], p->label_strs[y->labels + 2 * j + 1]))
			return 0;
		i++;
		j++;
	}
}

static void check_series(const struct textfile_parse *p)
{
	struct textfile_series s = { 0 };
	size_t n = p->nsamples < 200 ? p->nsamples : 200;
	textfile_series_add(&s, "0committed", NULL, 0); /* no metric name: no input has it */
	textfile_series_commit(&s);
	for (size_t k = 0; k < n; k++) {
		const struct textfile_sample *x = &p->samples[k];
		int dup = textfile_series_add(&s, p->families[x->family].name,
					      p->label_strs + x->labels, x->nlabels);
		int want = 0;
		for (size_t j = 0; j < k && !want; j++)
			want = same_series(p, j, k);
		FUZZ_CHECK(dup == want, "sample %zu: the set says %d, a naive look %d", k, dup, want);
	}
	textfile_series_rollback(&s);
	FUZZ_CHECK(s.n == 1, "%zu series after the rollback", s.n);
	FUZZ_CHECK(textfile_series_add(&s, "0committed", NULL, 0) == 1, "the committed one is gone");
	textfile_series_release(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct textfile_parse fresh = { 0 }, reused = { 0 }, again = { 0 };
	char err[512] = "";
	char *t1 = fuzz_strndup(data, size), *t2 = fuzz_strndup(data, size / 2);
	char *t3 = fuzz_strndup(data, size);
	int rc1 = textfile_parse(t1, size, &fresh, err, sizeof(err));
	FUZZ_CHECK(rc1 == 0 || (rc1 == -1 && strncmp(err, "line ", 5) == 0), "rc %d, err '%s'", rc1,
		   err);
	textfile_parse(t2, size / 2, &reused, err, sizeof(err));
	int rc2 = textfile_parse(t3, size, &reused, err, sizeof(err));
	FUZZ_CHECK(rc1 == rc2, "rc %d fresh, %d reused", rc1, rc2);
	struct buf d1 = BUF_INIT(BUF_UNLIMITED), d2 = BUF_INIT(BUF_UNLIMITED);
	if (rc1 == 0) {
		check_result(&fresh);
		dump(&fresh, &d1);
		dump(&reused, &d2);
		FUZZ_CHECK(d1.len == d2.len && memcmp(buf_str(&d1), buf_str(&d2), d1.len) == 0,
			   "fresh '%s', reused '%s'", buf_str(&d1), buf_str(&d2));
		struct buf text = BUF_INIT(BUF_UNLIMITED);
		if (render(&fresh, &text) == 0) {
			int rc3 = textfile_parse(text.data ? text.data : (char *)"", text.len, &again,
						 err, sizeof(err));
			FUZZ_CHECK(rc3 == 0, "written back: %s", err);
			buf_reset(&d2);
			dump(&again, &d2);
			FUZZ_CHECK(d1.len == d2.len && memcmp(buf_str(&d1), buf_str(&d2), d1.len) == 0,
				   "parsed '%s', written back and parsed '%s'", buf_str(&d1),
				   buf_str(&d2));
		}
		buf_release(&text);
		check_series(&fresh);
	}
	buf_release(&d1);
	buf_release(&d2);
	textfile_parse_release(&fresh);
	textfile_parse_release(&reused);
	textfile_parse_release(&again);
	free(t1);
	free(t2);
	free(t3);
	return 0;
}
