/*
 * textfile_parse.c -- the Prometheus text format, parsed strictly as
 * expfmt.TextParser parses it, and the set of series of one collection
 * (see textfile_parse.h).
 *
 * Called by the textfile collector on its worker thread, once per file and
 * collection, on text it has just read; also by the unit tests and the
 * fuzzer.  The parser walks the text with one cursor, line by line, the
 * way expfmt's state machine does (a line is a comment, a blank line or a
 * sample); each state is a small function that returns -1 with the
 * reason.  Strings are cut out in place: a name or value is
 * NUL-terminated where it ends once the byte there has been looked at.
 * Owns nothing but the arrays of its results, grown with xgrow and reused
 * by the next parse.
 */
#include "autoconfig.h"
#include "textfile_parse.h"
#include "strutil.h"
#include "xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "banned.h"

/* The parser's state over one text. */
struct tp {
	char *t;
	size_t len, i;
	struct textfile_parse *out;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int tp_fail(struct tp *p, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "line %u: %s", p->out->line, why);
	return -1;
}

static int tp_eof(struct tp *p)
{
	return tp_fail(p, "unexpected end of input stream");
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_label_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Skips blanks; -1 at the end of the text (no line may end there). */
static int tp_skip_blanks(struct tp *p)
{
	while (p->i < p->len && is_blank(p->t[p->i]))
		p->i++;
	return p->i < p->len ? 0 : tp_eof(p);
}

/* Reads [A-Za-z_:][A-Za-z0-9_:]* (metric) or [A-Za-z_][A-Za-z0-9_]*
 * (label) from the cursor; *start and the length, 0 when the first byte
 * cannot start one.  -1 at the end of the text or on a quoted name. */
static int tp_name(struct tp *p, int metric, size_t *start, size_t *n)
{
	*start = p->i;
	*n = 0;
	char c = p->t[p->i];
	if (c == '"')
		return tp_fail(p, "quoted (UTF-8) names are not supported");
	if (!is_name_start(c) && !(metric && c == ':')) {
		*n = 0;
		return 0;
	}
	while (p->i < p->len && (is_label_char(p->t[p->i]) || (metric && p->t[p->i] == ':')))
		p->i++;
	if (p->i >= p->len)
		return tp_eof(p);
	*n = p->i - *start;
	return 0;
}

/* ---- families --------------------------------------------------------- */

static const char *family_name_at(const void *parse, size_t i)
{
	return ((const struct textfile_parse *)parse)->families[i].name;
}

static long tp_lookup(const struct textfile_parse *o, const char *name, size_t n)
{
	return name_index_find(&o->index, name, n, family_name_at, o);
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* What a sample's name adds to its family's summary or histogram. */
enum tp_part { TP_PLAIN, TP_COUNT, TP_SUM, TP_BUCKET };

/*
 * The family of the name at name[0..n) (which the caller NUL-terminates
 * after this call): the family of that exact name; else, for name_sum and
 * name_count, a summary or histogram called name; for name_bucket, a
 * histogram; else a new untyped family.  As expfmt's
 * setOrCreateCurrentMF.
 */
static size_t tp_family(struct tp *p, char *name, size_t n, enum tp_part *part)
{
	struct textfile_parse *o = p->out;
	*part = TP_PLAIN;
	long f = tp_lookup(o, name, n);
	if (f >= 0)
		return (size_t)f;
	static const struct {
		const char *suffix;
		enum tp_part part;
	} parts[] = { { "_count", TP_COUNT }, { "_sum", TP_SUM }, { "_bucket", TP_BUCKET } };
	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		if (!ends_with(name, n, parts[k].suffix))
			continue;
		long g = tp_lookup(o, name, n - strlen(parts[k].suffix));
		if (g < 0)
			continue;
		enum textfile_type t = o->families[g].type;
		if ((t == TEXTFILE_SUMMARY && parts[k].part != TP_BUCKET) || t == TEXTFILE_HISTOGRAM) {
			*part = parts[k].part;
			return (size_t)g;
		}
	}
	o->families = xgrow(o->families, &o->families_alloc, o->nfamilies + 1, sizeof(*o->families));
	o->families[o->nfamilies] = (struct textfile_family){ .name = name };
	size_t fam = o->nfamilies++;
	name_index_add(&o->index, o->nfamilies, family_name_at, o);
	return fam;
}

/* ---- values ----------------------------------------------------------- */

/* Go's strconv.ParseFloat as expfmt calls it: decimal with an optional
 * exponent, "inf"/"infinity" with an optional sign and "nan", any case;
 * no hexadecimal, no '_', nothing out of range. */
static int tp_parse_float(const char *s, double *out)
{
	const char *p = s + (*s == '+' || *s == '-');
	if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
		*out = *s == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (strcasecmp(s, "nan") == 0) {
		*out = NAN;
		return 0;
	}
	size_t digits = 0;
	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (!digits)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		p += *p == '+' || *p == '-';
		if (!(*p >= '0' && *p <= '9'))
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return -1;
	return parse_double(s, out); /* -1 past the range of a double */
}

/* ---- comments --------------------------------------------------------- */

/* After a backslash: the character its escape stands for (\\, \n, \") in
 * *c. */
static int tp_unescape(struct tp *p, char *c)
{
	if (p->i >= p->len)
		return tp_eof(p);
	char e = p->t[p->i++];
	if (e == 'n')
		*c = '\n';
	else if (e == '\\' || e == '"')
		*c = e;
	else
		return tp_fail(p, "invalid escape sequence '\\%c'", e);
	return 0;
}

/* The text from the cursor to end (consumed, not part of it), unescaped
 * in place (\\, \n, \") and NUL-terminated, into *text.  Before a
 * closing quote (end '"') an unescaped new-line is an error. */
static int tp_unescaped(struct tp *p, char end, char **text)
{
	char *w = p->t + p->i;
	*text = w;
	for (;;) {
		if (p->i >= p->len)
			return tp_eof(p);
		char c = p->t[p->i++];
		if (c == end)
			break;
		if (c == '\n')
			return tp_fail(p, "label value contains unescaped new-line");
		if (c == '\\' && tp_unescape(p, &c) < 0)
			return -1;
		*w++ = c;
	}
	*w = '\0';
	return 0;
}

/* The rest of the line as a help text, unescaped in place. */
static int tp_help(struct tp *p, struct textfile_family *f)
{
	if (f->help)
		return tp_fail(p, "second HELP line for metric name \"%s\"", f->name);
	char *text;
	if (tp_unescaped(p, '\n', &text) < 0)
		return -1;
	f->help = text;
	return 0;
}

/* The rest of the line as a type (expfmt drops backslashes from it). */
static int tp_type(struct tp *p, struct textfile_family *f)
{
	if (f->typed)
		return tp_fail(p, "second TYPE line for metric name \"%s\", or TYPE reported after "
			       "samples", f->name);
	char word[32];
	size_t n = 0;
	int longer = 0;
	for (;;) {
		if (p->i >= p->len)
			return tp_eof(p);
		char c = p->t[p->i++];
		if (c == '\n')
			break;
		if (c == '\\')
			continue;
		if (n + 1 < sizeof(word))
			word[n++] = c;
		else
			longer = 1;
	}
	word[n] = '\0';
	static const struct {
		const char *name;
		enum textfile_type type;
	} types[] = {
		{ "counter", TEXTFILE_COUNTER }, { "gauge", TEXTFILE_GAUGE },
		{ "untyped", TEXTFILE_UNTYPED }, { "summary", TEXTFILE_SUMMARY },
		{ "histogram", TEXTFILE_HISTOGRAM }, { "gauge_histogram", TEXTFILE_HISTOGRAM },
		{ "gaugehistogram", TEXTFILE_HISTOGRAM },
	};
	for (size_t k = 0; !longer && k < sizeof(types) / sizeof(types[0]); k++) {
		if (strcasecmp(word, types[k].name) == 0) {
			f->type = types[k].type;
			return 0;
		}
	}
	return tp_fail(p, "unknown metric type \"%s\"", word);
}

/* After '#': "# HELP name text", "# TYPE name type", or any other comment. */
static int tp_comment(struct tp *p)
{
	if (tp_skip_blanks(p) < 0)
		return -1;
	if (p->t[p->i] == '\n') {
		p->i++;
		return 0;
	}
	size_t kw = p->i;
	while (p->i < p->len && !is_blank(p->t[p->i]) && p->t[p->i] != '\n')
		p->i++;
	if (p->i >= p->len)
		return tp_eof(p);
	size_t kwlen = p->i - kw;
	int help = kwlen == 4 && memcmp(p->t + kw, "HELP", 4) == 0;
	int type = kwlen == 4 && memcmp(p->t + kw, "TYPE", 4) == 0;
	if (p->t[p->i] == '\n' || (!help && !type)) {
		while (p->i < p->len && p->t[p->i] != '\n')
			p->i++;
		if (p->i >= p->len)
			return tp_eof(p);
		p->i++;
		return 0;
	}
	size_t start, n;
	if (tp_skip_blanks(p) < 0 || tp_name(p, 1, &start, &n) < 0)
		return -1;
	char c = p->t[p->i];
	if (c == '\n') {
		p->i++;
		return 0;
	}
	if (!is_blank(c) || n == 0)
		return tp_fail(p, "invalid metric name in comment");
	enum tp_part part;
	p->t[p->i++] = '\0'; /* the blank after the name, looked at */
	size_t fam = tp_family(p, p->t + start, n, &part);
	if (tp_skip_blanks(p) < 0)
		return -1;
	if (p->t[p->i] == '\n') {
		p->i++;
		return 0;
	}
	struct textfile_family *f = &p->out->families[fam];
	if (help)
		return tp_help(p, f);
	if (tp_type(p, f) < 0)
		return -1;
	f->typed = 1;
	return 0;
}

/* ---- samples ---------------------------------------------------------- */

struct tp_sample {
	size_t fam;
	enum tp_part part;
	int quantile, le;        /* a quantile (summary) or le (histogram) label was read */
};

static int tp_label_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A label value after the opening quote: unescaped in place. */
static int tp_label_value(struct tp *p, char **value)
{
	if (tp_unescaped(p, '"', value) < 0)
		return -1;
	size_t n = strlen(*value);
	for (size_t k = 0; k < n;) {
		size_t adv = utf8_sequence_len((const unsigned char *)*value + k, n - k);
		if (adv == 0)
			return tp_fail(p, "invalid label value (not UTF-8)");
		k += adv;
	}
	return 0;
}

/* One name="value" pair at the cursor (blanks skipped); the quantile of a
 * summary and the le of a histogram are checked, not kept. */
static int tp_label(struct tp *p, struct tp_sample *s, size_t first)
{
	struct textfile_parse *o = p->out;
	const struct textfile_family *f = &o->families[s->fam];
	size_t start, n;
	if (tp_name(p, 0, &start, &n) < 0)
		return -1;
	if (n == 0)
		return tp_fail(p, "invalid label name for metric \"%s\"", f->name);
	if (is_blank(p->t[p->i]) && tp_skip_blanks(p) < 0)
		return -1;
	if (p->t[p->i] != '=')
		return tp_fail(p, "expected '=' after label name, found '%c'", p->t[p->i]);
	p->i++;
	char *name = p->t + start;
	name[n] = '\0'; /* a blank or the '=', looked at */
	if (strcmp(name, "__name__") == 0)
		return tp_fail(p, "label name \"__name__\" is reserved");
	if (name[0] == '_' && name[1] == '_')
		return tp_fail(p, "label name \"%s\" is reserved (starts with __)", name);
	int quantile = f->type == TEXTFILE_SUMMARY && strcmp(name, "quantile") == 0;
	int le = f->type == TEXTFILE_HISTOGRAM && strcmp(name, "le") == 0;
	char *value;
	if (tp_skip_blanks(p) < 0)
		return -1;
	if (p->t[p->i] != '"')
		return tp_fail(p, "expected '\"' at start of label value, found '%c'", p->t[p->i]);
	p->i++;
	if (tp_label_value(p, &value) < 0)
		return -1;
	if (quantile || le) {
		double x;
		if (tp_parse_float(value, &x) < 0)
			return tp_fail(p, "expected float as value for '%s' label, got \"%s\"",
				       quantile ? "quantile" : "le", value);
		s->quantile |= quantile;
		s->le |= le;
		return 0;
	}
	for (size_t k = first; k < o->nlabel_strs; k += 2)
		if (strcmp(o->label_strs[k], name) == 0)
			return tp_fail(p, "duplicate label names for metric \"%s\"", f->name);
	o->label_strs = xgrow(o->label_strs, &o->label_strs_alloc, o->nlabel_strs + 2,
			      sizeof(*o->label_strs));
	o->label_strs[o->nlabel_strs++] = name;
	o->label_strs[o->nlabel_strs++] = value;
	return 0;
}

/* After '{': pairs up to '}', then the blanks before the value. */
static int tp_labels(struct tp *p, struct tp_sample *s, size_t first)
{
	for (;;) {
		if (tp_skip_blanks(p) < 0)
			return -1;
		if (p->t[p->i] == '}')
			break;
		if (tp_label(p, s, first) < 0 || tp_skip_blanks(p) < 0)
			return -1;
		char c = p->t[p->i];
		if (c == '}')
			break;
		if (c != ',')
			return tp_fail(p, "unexpected end of label value");
		p->i++;
	}
	p->i++;
	return tp_skip_blanks(p);
}

/* A token up to a blank or the end of the line, NUL-terminated; *end is
 * the byte that ended it. */
static int tp_token(struct tp *p, char **tok, char *end)
{
	size_t start = p->i;
	*tok = p->t + start;
	*end = '\n';
	while (p->i < p->len && !is_blank(p->t[p->i]) && p->t[p->i] != '\n')
		p->i++;
	if (p->i >= p->len)
		return tp_eof(p);
	*end = p->t[p->i];
	p->t[p->i] = '\0';
	*tok = p->t + start;
	return 0;
}

/* After the value: end of line, or a timestamp and the end of the line. */
static int tp_timestamp(struct tp *p, struct textfile_sample *smp, char end)
{
	if (end == '\n') {
		p->i++;
		return 0;
	}
	p->i++; /* the blank */
	char *tok;
	int64_t ts;
	if (tp_skip_blanks(p) < 0 || tp_token(p, &tok, &end) < 0)
		return -1;
	if (!(tok[0] >= '0' && tok[0] <= '9') && !((tok[0] == '-' || tok[0] == '+') &&
						   tok[1] >= '0' && tok[1] <= '9'))
		return tp_fail(p, "expected integer as timestamp, got \"%s\"", tok);
	if (parse_int64(tok, &ts) < 0)
		return tp_fail(p, "expected integer as timestamp, got \"%s\"", tok);
	smp->has_timestamp = 1;
	if (end != '\n') {
		while (p->i < p->len && p->t[p->i] != '\n')
			p->i++;
		if (p->i >= p->len)
			return tp_eof(p);
		return tp_fail(p, "spurious string after timestamp");
	}
	p->i++;
	return 0;
}

/* A sample line: name, labels, value, timestamp. */
static int tp_sample(struct tp *p)
{
	struct textfile_parse *o = p->out;
	size_t start, n;
	if (tp_name(p, 1, &start, &n) < 0)
		return -1;
	if (n == 0)
		return tp_fail(p, "invalid metric name");
	struct tp_sample s = { 0 };
	char c = p->t[p->i];
	if (c == '\n')
		return tp_fail(p, "expected float as value, got \"\"");
	if (!is_blank(c) && c != '{') /* expfmt would read it as the value's start */
		return tp_fail(p, "unexpected '%c' after the metric name", c);
	p->t[p->i++] = '\0'; /* c, looked at */
	s.fam = tp_family(p, p->t + start, n, &s.part);
	o->families[s.fam].typed = 1;
	if (is_blank(c)) {
		if (tp_skip_blanks(p) < 0)
			return -1;
		c = p->t[p->i];
		if (c == '{')
			p->i++;
	}
	size_t first = o->nlabel_strs;
	if (c == '{' && tp_labels(p, &s, first) < 0)
		return -1;
	char *tok, end;
	double value;
	if (tp_token(p, &tok, &end) < 0)
		return -1;
	if (tp_parse_float(tok, &value) < 0)
		return tp_fail(p, "expected float as value, got \"%s\"", tok);
	const struct textfile_family *f = &o->families[s.fam];
	if (f->type == TEXTFILE_HISTOGRAM && (s.part == TP_COUNT || s.le) && value < 0)
		return tp_fail(p, "negative %s for histogram \"%s\"",
			       s.part == TP_COUNT ? "count" : "bucket population", f->name);
	size_t nl = (o->nlabel_strs - first) / 2;
	if (nl > 1)
		qsort(o->label_strs + first, nl, 2 * sizeof(*o->label_strs), tp_label_cmp);
	o->samples = xgrow(o->samples, &o->samples_alloc, o->nsamples + 1, sizeof(*o->samples));
	struct textfile_sample *smp = &o->samples[o->nsamples++];
	*smp = (struct textfile_sample){ .family = s.fam, .labels = first, .nlabels = nl,
					 .value = value };
	o->families[s.fam].nsamples++;
	return tp_timestamp(p, smp, end);
}

/* ---- the file --------------------------------------------------------- */

/* Drops the families without samples, renumbering the samples'. */
static void tp_compact(struct textfile_parse *o)
{
	size_t *map = xmalloc((o->nfamilies + 1) * sizeof(*map));
	size_t kept = 0;
	for (size_t f = 0; f < o->nfamilies; f++) {
		map[f] = kept;
		if (o->families[f].nsamples)
			o->families[kept++] = o->families[f];
	}
	for (size_t k = 0; k < o->nsamples; k++)
		o->samples[k].family = map[o->samples[k].family];
	o->nfamilies = kept;
	free(map);
}

static void tp_reset(struct textfile_parse *o)
{
	/* never NULL after a parse: label_strs + labels is then always valid */
	o->label_strs = xgrow(o->label_strs, &o->label_strs_alloc, 1, sizeof(*o->label_strs));
	o->nfamilies = 0;
	o->nsamples = 0;
	o->nlabel_strs = 0;
	o->line = 0;
	name_index_clear(&o->index);
}

int textfile_parse(char *text, size_t len, struct textfile_parse *out, char *err, size_t errlen)
{
	struct tp p = { .t = text, .len = len, .out = out, .err = err, .errlen = errlen };
	int rc = 0;
	tp_reset(out);
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		for (const char *q = text; q <= nul; q++)
			out->line += q == text || q[-1] == '\n';
		return tp_fail(&p, "NUL byte");
	}
	while (rc == 0) {
		out->line++;
		while (p.i < len && is_blank(text[p.i]))
			p.i++;
		if (p.i >= len)
			break;
		char c = text[p.i];
		if (c == '\n') {
			p.i++;
		} else if (c == '#') {
			p.i++;
			rc = tp_comment(&p);
		} else if (c == '{') {
			rc = tp_fail(&p, "a metric name first: the {\"name\"} form is not supported");
		} else {
			rc = tp_sample(&p);
		}
	}
	if (rc < 0)
		return -1;
	tp_compact(out);
	return 0;
}

int textfile_parse_has_timestamps(const struct textfile_parse *p)
{
	for (size_t k = 0; k < p->nsamples; k++)
		if (p->samples[k].has_timestamp)
			return 1;
	return 0;
}

void textfile_parse_release(struct textfile_parse *p)
{
	free(p->families);
	free(p->samples);
	free(p->label_strs);
	name_index_free(&p->index);
	memset(p, 0, sizeof(*p));
}

const char *textfile_type_name(enum textfile_type type)
{
	switch (type) {
	case TEXTFILE_COUNTER:
		return "counter";
	case TEXTFILE_GAUGE:
		return "gauge";
	case TEXTFILE_SUMMARY:
		return "summary";
	case TEXTFILE_HISTOGRAM:
		return "histogram";
	default:
		return "untyped";
	}
}

/* ---- the series of a collection --------------------------------------- */

static uint64_t ts_hash(const char *key, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
	return h ? h : 1;
}

/* The slot of the key at keys[off..off+len), or the empty slot for it. */
static size_t ts_slot(const struct textfile_series *s, uint64_t h, size_t off, size_t len)
{
	size_t mask = s->size - 1, i = h & mask;
	for (; s->hashes[i]; i = (i + 1) & mask)
		if (s->hashes[i] == h && s->lens[i] == len &&
		    memcmp(s->keys + s->offs[i], s->keys + off, len) == 0)
			break;
	return i;
}

/* Puts every kept key (those before keys_len) in a table of size slots. */
static void ts_rebuild(struct textfile_series *s, size_t size)
{
	uint64_t *old_h = s->hashes;
	size_t *old_o = s->offs, *old_l = s->lens, old_size = s->size;
	s->hashes = xcalloc(size, sizeof(*s->hashes));
	s->offs = xmalloc(size * sizeof(*s->offs));
	s->lens = xmalloc(size * sizeof(*s->lens));
	s->size = size;
	s->n = 0;
	for (size_t k = 0; k < old_size; k++) {
		if (!old_h[k] || old_o[k] >= s->keys_len)
			continue;
		size_t i = ts_slot(s, old_h[k], old_o[k], old_l[k]);
		s->hashes[i] = old_h[k];
		s->offs[i] = old_o[k];
		s->lens[i] = old_l[k];
		s->n++;
	}
	free(old_h);
	free(old_o);
	free(old_l);
}

int textfile_series_add(struct textfile_series *s, const char *name, char *const *labels,
			size_t nlabels)
{
	/* the key, "name\0k\0v\0..." (empty values left out), after the keys */
	size_t off = s->keys_len, len = strlen(name) + 1;
	for (size_t k = 0; k < nlabels; k++)
		if (labels[2 * k + 1][0])
			len += strlen(labels[2 * k]) + strlen(labels[2 * k + 1]) + 2;
	s->keys = xgrow(s->keys, &s->keys_alloc, off + len, 1);
	char *w = s->keys + off;
	size_t n = strlen(name) + 1;
	memcpy(w, name, n);
	w += n;
	for (size_t k = 0; k < nlabels; k++) {
		if (!labels[2 * k + 1][0])
			continue;
		for (int j = 0; j < 2; j++) {
			n = strlen(labels[2 * k + j]) + 1;
			memcpy(w, labels[2 * k + j], n);
			w += n;
		}
	}
	if ((s->n + 1) * 2 > s->size)
		ts_rebuild(s, s->size ? s->size * 2 : 64);
	uint64_t h = ts_hash(s->keys + off, len);
	size_t i = ts_slot(s, h, off, len);
	if (s->hashes[i])
		return 1;
	s->hashes[i] = h;
	s->offs[i] = off;
	s->lens[i] = len;
	s->keys_len = off + len;
	s->n++;
	return 0;
}

void textfile_series_commit(struct textfile_series *s)
{
	s->keys_mark = s->keys_len;
	s->n_mark = s->n;
}

void textfile_series_rollback(struct textfile_series *s)
{
	if (s->n == s->n_mark)
		return;
	/* the keys added since the commit are those past the mark */
	s->keys_len = s->keys_mark;
	ts_rebuild(s, s->size);
}

void textfile_series_reset(struct textfile_series *s)
{
	if (s->hashes)
		memset(s->hashes, 0, s->size * sizeof(*s->hashes));
	s->n = 0;
	s->n_mark = 0;
	s->keys_len = 0;
	s->keys_mark = 0;
}

void textfile_series_release(struct textfile_series *s)
{
	free(s->hashes);
	free(s->offs);
	free(s->lens);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}
