/*
 * fuzz_exposition.c -- the Prometheus text format writers of
 * agent/exposition.c: expo_escape_label_value, expo_escape_help,
 * expo_format_value, and a whole block (agent/metrics.c batch_addv with
 * the name checks metric_name_valid / label_name_valid, then expo_render)
 * read back by a strict parser of the text format 0.0.4 written here.
 *
 * Input: fields separated by NUL bytes: label value 1, label value 2,
 * HELP text, metric name, label name; then the last 8 bytes (when there
 * are at least 8 after the fields) are the sample's value.
 *
 * Properties: no crash, leak or UB; an escaped label value holds no raw
 * newline or unescaped '"', only the escapes \\ \" \n, and unescapes to
 * the input with each invalid UTF-8 byte as U+FFFD; the same for HELP
 * with \\ and \n; a formatted value reads back (strtod) as the same
 * double; a rendered block is exactly HELP, TYPE and one sample line
 * (the repeated series dropped) whose name, labels, HELP and value parse
 * back to what was added; names the batch takes match the data model's
 * [a-zA-Z_:][a-zA-Z0-9_:]* (labels: no ':'); laid out with another
 * block (rendered alone, then among it), the gzip answer joined from the
 * blocks' compressed pieces inflates to exactly the plain answer.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "exposition.h"
#include "fuzz_util.h"
#include "metrics.h"

/* Reads an escaped string from *p up to an unescaped stop byte (or the
 * end when stop is 0) into out, allowing only the escapes in allowed;
 * moves *p to the stop byte.  -1 on a raw newline, a raw '"' where '"'
 * is an escape, an unknown escape or a missing stop byte. */
static int unescape(const char **p, char stop, const char *allowed, struct buf *out)
{
	const char *s = *p;
	for (; *s && *s != stop; s++) {
		if (*s == '\n' || (*s == '"' && strchr(allowed, '"')))
			return -1;
		if (*s != '\\') {
			buf_putc(out, *s);
			continue;
		}
		s++;
		if (!*s || !strchr(allowed, *s))
			return -1;
		buf_putc(out, *s == 'n' ? '\n' : *s);
	}
	if (*s != stop)
		return -1;
	*p = s;
	return 0;
}

static void check_escaped(const char *in, int label)
{
	struct buf esc = BUF_INIT(BUF_UNLIMITED), back = BUF_INIT(BUF_UNLIMITED);
	if (label)
		expo_escape_label_value(&esc, in);
	else
		expo_escape_help(&esc, in);
	FUZZ_CHECK(fuzz_utf8_valid(buf_str(&esc), esc.len), "escaped is not UTF-8");
	const char *p = buf_str(&esc);
	int rc = unescape(&p, '\0', label ? "\\n\"" : "\\n", &back);
	FUZZ_CHECK(rc == 0 && *p == '\0', "escaped %s '%s' does not parse", label ? "value" : "help",
		   buf_str(&esc));
	char *want = fuzz_utf8_fixed(in, strlen(in));
	FUZZ_CHECK(strcmp(want, buf_str(&back)) == 0, "'%s' escaped as '%s' reads back as '%s'", in,
		   buf_str(&esc), buf_str(&back));
	free(want);
	buf_release(&esc);
	buf_release(&back);
}

static int same_double(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

/* Prometheus reads NaN, +Inf, -Inf and Go's ParseFloat syntax. */
static double read_value(const char *s, const char **end)
{
	if (strncmp(s, "NaN", 3) == 0) {
		*end = s + 3;
		return NAN;
	}
	if (strncmp(s, "+Inf", 4) == 0 || strncmp(s, "-Inf", 4) == 0) {
		*end = s + 4;
		return s[0] == '+' ? INFINITY : -INFINITY;
	}
	char *e;
	double v = strtod(s, &e);
	*end = e == s || strpbrk(s, "xXpPnNiI") ? s : e; /* no hex floats, no C spellings */
	return v;
}

static void check_value(double v)
{
	char out[32];
	memset(out, 0x55, sizeof(out));
	size_t n = expo_format_value(v, out);
	FUZZ_CHECK(n < 32 && out[n] == '\0' && strlen(out) == n, "bad length %zu", n);
	const char *end;
	double back = read_value(out, &end);
	FUZZ_CHECK(*end == '\0' && end != out && same_double(back, v),
		   "%.17g formatted as '%s' reads back as %.17g", v, out, back);
}

static int name_ok(const char *s, int colon)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || (colon && c == ':')))
			return 0;
	}
	return 1;
}

/* Expects "WORD" at *p and moves past it. */
static int expect(const char **p, const char *word)
{
	size_t n = strlen(word);
	if (strncmp(*p, word, n) != 0)
		return 0;
	*p += n;
	return 1;
}

struct sample {
	const char *name, *help, *lname[2], *lvalue[2];
	double value;
};

/* Parses one label pair at *p: name="value". */
static void parse_label(const char **p, const struct sample *s, int i)
{
	FUZZ_CHECK(expect(p, s->lname[i]) && expect(p, "=\""), "label %d at '%s'", i, *p);
	struct buf v = BUF_INIT(BUF_UNLIMITED);
	FUZZ_CHECK(unescape(p, '"', "\\n\"", &v) == 0, "label value at '%s'", *p);
	(*p)++;
	char *want = fuzz_utf8_fixed(s->lvalue[i], strlen(s->lvalue[i]));
	FUZZ_CHECK(strcmp(buf_str(&v), want) == 0, "label value '%s' read as '%s'", want,
		   buf_str(&v));
	free(want);
	buf_release(&v);
}

static void parse_block(const char *text, const struct sample *s)
{
	const char *p = text;
	struct buf help = BUF_INIT(BUF_UNLIMITED);
	FUZZ_CHECK(expect(&p, "# HELP ") && expect(&p, s->name) && expect(&p, " "), "HELP: %s",
		   text);
	FUZZ_CHECK(unescape(&p, '\n', "\\n", &help) == 0, "HELP text: %s", text);
	char *want = fuzz_utf8_fixed(s->help, strlen(s->help));
	FUZZ_CHECK(strcmp(buf_str(&help), want) == 0, "HELP '%s' read as '%s'", want,
		   buf_str(&help));
	free(want);
	buf_release(&help);
	p++;
	FUZZ_CHECK(expect(&p, "# TYPE ") && expect(&p, s->name) && expect(&p, " gauge\n"),
		   "TYPE: %s", text);
	FUZZ_CHECK(expect(&p, s->name) && expect(&p, "{"), "sample: %s", text);
	parse_label(&p, s, 0);
	FUZZ_CHECK(expect(&p, ","), "',' at '%s'", p);
	parse_label(&p, s, 1);
	FUZZ_CHECK(expect(&p, "} "), "'} ' at '%s'", p);
	const char *end;
	double v = read_value(p, &end);
	FUZZ_CHECK(end != p && same_double(v, s->value), "value %.17g read as %.17g", s->value, v);
	FUZZ_CHECK(strcmp(end, "\n") == 0, "after the sample: '%s'", end);
}

/* The gzip answer of blocks inflates to their plain answer. */
static void check_joined(struct expo_block **blocks, size_t n)
{
	struct expo_merged *m = expo_merged_new(blocks, n, 1);
	struct buf text = BUF_INIT(1 << 24), gz = BUF_INIT(1 << 24);
	FUZZ_CHECK(expo_respond(m, NULL, 0, &text) == 0 && expo_respond(m, NULL, 1, &gz) == 0,
		   "no answer");
	uLongf len = text.len + 1;
	unsigned char *plain = malloc(len);
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	FUZZ_CHECK(inflateInit2(&zs, 16 + 15) == Z_OK, "inflateInit2");
	zs.next_in = (unsigned char *)gz.data;
	zs.avail_in = (uInt)gz.len;
	zs.next_out = plain;
	zs.avail_out = (uInt)len;
	int rc = inflate(&zs, Z_FINISH);
	FUZZ_CHECK(rc == Z_STREAM_END && zs.total_out == text.len &&
			   memcmp(plain, text.data, text.len) == 0,
		   "gzip answer (%d, %lu bytes) is not the plain one (%zu bytes)", rc, zs.total_out,
		   text.len);
	inflateEnd(&zs);
	free(plain);
	buf_release(&text);
	buf_release(&gz);
	expo_merged_unref(m);
}

/* The sample's block beside another target's, which has the family too
 * and one that sorts before and one after it. */
static void check_beside(struct batch *b, const struct sample *s)
{
	struct batch *o = batch_new();
	batch_add_named(o, "a", "First.", METRIC_GAUGE, 1, NULL);
	batch_addv(o, s->name, s->help, METRIC_GAUGE, 2.0, (const char *[]){ "other", "x" }, 1);
	batch_add_named(o, "zzzz", "Last.", METRIC_GAUGE, 3, NULL);
	struct expo_block *blocks[2] = { expo_render(b), expo_render(o) };
	check_joined(blocks, 2);
	struct expo_block *among = expo_render_among(b, &blocks[1], 1, blocks[0]);
	expo_block_unref(blocks[0]);
	blocks[0] = among;
	check_joined(blocks, 2);
	expo_block_unref(blocks[0]);
	expo_block_unref(blocks[1]);
	batch_free(o);
}

static void check_block(const struct sample *s)
{
	struct batch *b = batch_new();
	const char *labels[] = { s->lname[0], s->lvalue[0], s->lname[1], s->lvalue[1] };
	int rc = batch_addv(b, s->name, s->help, METRIC_GAUGE, s->value, labels, 2);
	batch_addv(b, s->name, s->help, METRIC_GAUGE, 1.0, labels, 2); /* a repeat */
	FUZZ_CHECK(rc < 0 || (name_ok(s->name, 1) && name_ok(s->lname[0], 0)),
		   "took the name '%s' {%s}", s->name, s->lname[0]);
	struct expo_block *blk = expo_render(b);
	if (rc == 0) {
		FUZZ_CHECK(blk->nfamilies == 1 && blk->nseries == 1 && blk->duplicates == 1,
			   "%zu families, %zu series, %zu repeats", blk->nfamilies, blk->nseries,
			   blk->duplicates);
		char *text = expo_block_text(blk, NULL);
		FUZZ_CHECK(text != NULL, "the block does not inflate");
		parse_block(text, s);
		free(text);
		check_beside(b, s);
	}
	expo_block_unref(blk);
	batch_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	char *f[5];
	for (int i = 0; i < 5; i++) {
		f[i] = fuzz_field(data, size, &pos, 0);
		if (!f[i])
			f[i] = fuzz_strndup((const uint8_t *)"", 0);
	}
	double v = 0;
	if (pos < size && size - pos >= 8)
		memcpy(&v, data + size - 8, 8);
	check_escaped(f[0], 1);
	check_escaped(f[2], 0);
	check_value(v);
	struct sample s = { f[3][0] ? f[3] : "fuzz_metric", f[2], { f[4][0] ? f[4] : "a", "zz" },
			    { f[0], f[1] }, v };
	if (strcmp(s.lname[0], "zz") != 0)
		check_block(&s);
	for (int i = 0; i < 5; i++)
		free(f[i]);
	return 0;
}
