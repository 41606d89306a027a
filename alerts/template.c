/*
 * template.c -- parsing and rendering annotation templates (template.h).
 * The humanize functions follow Prometheus' template/template.go.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "buf.h"
#include "strutil.h"
#include "template.h"
#include "xalloc.h"

enum fn { F_HUMANIZE, F_HUMANIZE1024, F_PERCENT, F_DURATION, F_TIMESTAMP, F_UPPER, F_LOWER,
	  F_TITLE, F_PRINTF, F_QUERY_TEXT, F_COUNT };
static const char *const fn_names[] = { "humanize", "humanize1024", "humanizePercentage",
					"humanizeDuration", "humanizeTimestamp", "toUpper",
					"toLower", "title", "printf", "queryText" };

enum arg_kind { A_VALUE, A_LABEL, A_STRING, A_NUMBER };

struct arg {
	enum arg_kind kind;
	char *text;      /* label name or string */
	double number;
};

/* One stage of a pipeline: a function with its arguments, or (fn < 0) a
 * single operand. */
struct command {
	int fn;
	struct arg *args;
	size_t nargs;
};

struct node {
	char *text;              /* literal text, or NULL for an action */
	struct command *cmds;
	size_t ncmds;
};

struct template {
	struct node *nodes;
	size_t n;
	char *src;               /* as written */
};

/* ---- values ------------------------------------------------------------------ */

struct value {
	int is_num;
	double num;
	struct buf str;
};

static void go_exp(struct buf *out, int e)
{
	buf_printf(out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
}

/* Shortest digits of v (v finite, != 0): digits into d, decimal exponent
 * (as in d[0].d[1..] x 10^exp) returned. */
static int go_digits(double v, char d[32], size_t *nd)
{
	char s[40];
	snprintf(s, sizeof(s), "%.*e", shortest_digits(v) - 1, v);
	const char *m = s + (s[0] == '-');
	size_t n = 0;
	for (; *m && *m != 'e'; m++)
		if (isdigit((unsigned char)*m))
			d[n++] = *m;
	while (n > 1 && d[n - 1] == '0')
		n--;
	d[n] = '\0';
	*nd = n;
	return (int)strtol(m + 1, NULL, 10); /* the exponent of our own %e */
}

void template_format_value(double v, struct buf *out)
{
	if (isnan(v)) {
		buf_puts(out, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_puts(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		buf_puts(out, signbit(v) ? "-0" : "0");
		return;
	}
	char d[32];
	size_t nd;
	int x = go_digits(v, d, &nd);
	int dp = x + 1;
	int eprec = 6;
	if (eprec > (int)nd && (int)nd >= dp)
		eprec = (int)nd;
	if (v < 0)
		buf_putc(out, '-');
	if (x < -4 || x >= eprec) {
		buf_putc(out, d[0]);
		if (nd > 1) {
			buf_putc(out, '.');
			buf_puts(out, d + 1);
		}
		go_exp(out, x);
		return;
	}
	if (dp <= 0) {
		buf_puts(out, "0.");
		for (int i = 0; i < -dp; i++)
			buf_putc(out, '0');
		buf_puts(out, d);
		return;
	}
	for (int i = 0; i < dp; i++)
		buf_putc(out, (char)(i < (int)nd ? d[i] : '0'));
	if ((int)nd > dp) {
		buf_putc(out, '.');
		buf_puts(out, d + dp);
	}
}

/* Go's %.4g (C's, with Go's spelling of NaN and infinities). */
static void g4(struct buf *out, double v, const char *suffix)
{
	if (isnan(v))
		buf_printf(out, "NaN%s", suffix);
	else if (isinf(v))
		buf_printf(out, "%s%s", v > 0 ? "+Inf" : "-Inf", suffix);
	else
		buf_printf(out, "%.4g%s", v, suffix);
}

static void humanize(struct buf *out, double v)
{
	static const char *const big[] = { "k", "M", "G", "T", "P", "E", "Z", "Y" };
	static const char *const small[] = { "m", "u", "n", "p", "f", "a", "z", "y" };
	const char *prefix = "";
	if (v == 0 || isnan(v) || isinf(v)) {
		g4(out, v, "");
		return;
	}
	if (fabs(v) >= 1) {
		for (size_t i = 0; i < 8 && fabs(v) >= 1000; i++) {
			prefix = big[i];
			v /= 1000;
		}
	} else {
		for (size_t i = 0; i < 8 && fabs(v) < 1; i++) {
			prefix = small[i];
			v *= 1000;
		}
	}
	g4(out, v, prefix);
}

static void humanize1024(struct buf *out, double v)
{
	static const char *const p[] = { "ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi" };
	const char *prefix = "";
	if (fabs(v) <= 1 || isnan(v) || isinf(v)) {
		g4(out, v, "");
		return;
	}
	for (size_t i = 0; i < 8 && fabs(v) >= 1024; i++) {
		prefix = p[i];
		v /= 1024;
	}
	g4(out, v, prefix);
}

static void humanize_duration(struct buf *out, double v)
{
	static const char *const small[] = { "m", "u", "n", "p", "f", "a", "z", "y" };
	if (isnan(v) || isinf(v)) {
		g4(out, v, "");
		return;
	}
	if (v == 0) {
		g4(out, v, "s");
		return;
	}
	if (fabs(v) >= 1) {
		const char *sign = v < 0 ? "-" : "";
		v = fabs(v);
		/* Converting 2^63 or more to int64_t is undefined (Go's int64()
		 * turns it into MinInt64, so Prometheus prints negative nonsense
		 * days); such a duration is just the number of seconds. */
		if (!(v < 0x1p63)) {
			buf_printf(out, "%s%.4gs", sign, v);
			return;
		}
		int64_t d = (int64_t)v;
		int64_t secs = d % 60, mins = (d / 60) % 60, hours = (d / 3600) % 24, days = d / 86400;
		if (days)
			buf_printf(out, "%s%lldd %lldh %lldm %llds", sign, (long long)days, (long long)hours,
				   (long long)mins, (long long)secs);
		else if (hours)
			buf_printf(out, "%s%lldh %lldm %llds", sign, (long long)hours, (long long)mins,
				   (long long)secs);
		else if (mins)
			buf_printf(out, "%s%lldm %llds", sign, (long long)mins, (long long)secs);
		else
			buf_printf(out, "%s%.4gs", sign, v);
		return;
	}
	const char *prefix = "";
	for (size_t i = 0; i < 8 && fabs(v) < 1; i++) {
		prefix = small[i];
		v *= 1000;
	}
	buf_printf(out, "%.4g%ss", v, prefix);
}

/* Whether v seconds since the epoch is a time Prometheus can show: its
 * floatToTime wants v * 1e9 within int64 (years 1678 to 2262), and
 * refuses NaN, infinities and anything else.  Within that range floor(v)
 * also fits a 64-bit time_t; a 32-bit one holds less. */
static int timestamp_in_range(double v)
{
	if (isnan(v) || isinf(v))
		return 0;
	double ns = v * 1e9;
	if (fabs(ns) > 9223372036854775808.0) /* 2^63 */
		return 0;
	return sizeof(time_t) >= 8 || fabs(v) < 2147483647.0;
}

/* Go's time.Time String() in UTC: 2006-01-02 15:04:05.999999999 +0000 UTC */
static void humanize_timestamp(struct buf *out, double v)
{
	/* Prometheus prints NaN and infinities as numbers (and fails the
	 * whole template for other values it cannot convert); we print those
	 * as numbers too, rather than cast them to time_t, which is undefined */
	if (!timestamp_in_range(v)) {
		g4(out, v, "");
		return;
	}
	time_t secs = (time_t)floor(v);
	/* Prometheus rounds the fraction to milliseconds (floatToTime) */
	long nanos = lround((v - floor(v)) * 1e3) * 1000000L;
	if (nanos >= 1000000000L) {
		secs++;
		nanos -= 1000000000L;
	}
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {   /* its year would not fit an int */
		g4(out, v, "");
		return;
	}
	char s[64];
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	buf_puts(out, s);
	if (nanos) {
		char frac[24];
		snprintf(frac, sizeof(frac), "%09ld", nanos);
		size_t n = 9;
		while (n && frac[n - 1] == '0')
			n--;
		frac[n] = '\0';
		buf_printf(out, ".%s", frac);
	}
	buf_puts(out, " +0000 UTC");
}

static double to_num(const struct value *v)
{
	if (v->is_num)
		return v->num;
	double d;
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%.*s", (int)v->str.len, v->str.len ? v->str.data : "");
	return parse_double(trim(tmp), &d) == 0 ? d : NAN;
}

static void to_str(const struct value *v, struct buf *out)
{
	if (v->is_num)
		template_format_value(v->num, out);
	else if (v->str.len)
		buf_append(out, v->str.data, v->str.len);
}

/* ---- printf ---------------------------------------------------------------------- */

/* At most this many flags, and digits of width and of precision: a
 * precision like %.99999999999e makes glibc's printf allocate gigabytes,
 * and do_printf() keeps only PRINTF_SPEC_MAX bytes of a verb. */
#define PRINTF_FLAGS_MAX 5
#define PRINTF_DIGITS_MAX 4
#define PRINTF_SPEC_MAX 20

/* Checks a printf format at parse time: only the verbs we render, with
 * a bounded width and precision. */
static int printf_check(const char *f, char *err, size_t errlen)
{
	for (; *f; f++) {
		if (*f != '%')
			continue;
		f++;
		size_t flags = strspn(f, "+- #0"), width, prec = 0;
		f += flags;
		width = strspn(f, "0123456789");
		f += width;
		if (*f == '.') {
			f++;
			prec = strspn(f, "0123456789");
			f += prec;
		}
		if (flags > PRINTF_FLAGS_MAX || width > PRINTF_DIGITS_MAX || prec > PRINTF_DIGITS_MAX) {
			snprintf(err, errlen, "printf: width and precision take at most %d digits, "
				 "and at most %d flags", PRINTF_DIGITS_MAX, PRINTF_FLAGS_MAX);
			return -1;
		}
		if (!*f || !strchr("sdfgev%", *f)) {
			snprintf(err, errlen, "printf: unsupported verb '%%%c' (use %%s %%d %%f %%g %%e %%v)",
				 *f ? *f : ' ');
			return -1;
		}
	}
	return 0;
}

/* %d of a number: its integer part, saturated at the ends of long long
 * (converting a double out of its range is undefined); 0 for NaN and the
 * infinities, as before. */
static long long printf_int(double d)
{
	if (!isfinite(d))
		return 0;
	if (d >= 0x1p63)
		return LLONG_MAX;
	if (d < -0x1p63)
		return LLONG_MIN;
	return (long long)d;
}

/* The format comes from the config and was checked by printf_check(). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void do_printf(struct buf *out, const char *f, const struct value *args, size_t nargs)
{
	size_t next = 0;
	for (; *f; f++) {
		if (*f != '%') {
			buf_putc(out, *f);
			continue;
		}
		const char *start = f++;
		f += strspn(f, "+- #0");
		f += strspn(f, "0123456789");
		if (*f == '.') {
			f++;
			f += strspn(f, "0123456789");
		}
		if (*f == '%') {
			buf_putc(out, '%');
			continue;
		}
		char spec[32];
		size_t sl = (size_t)(f - start);   /* at most 1 + 5 + 4 + 1 + 4 */
		if (sl > PRINTF_SPEC_MAX)
			sl = PRINTF_SPEC_MAX;
		memcpy(spec, start, sl);
		if (next >= nargs) {
			buf_printf(out, "%%!%c(MISSING)", *f);
			continue;
		}
		const struct value *a = &args[next++];
		if (*f == 's' || *f == 'v') {
			struct buf s = BUF_INIT(1 << 16);
			to_str(a, &s);
			memcpy(spec + sl, "s", 2);
			buf_printf(out, spec, buf_str(&s));
			buf_release(&s);
		} else if (*f == 'd') {
			memcpy(spec + sl, "lld", 4);
			buf_printf(out, spec, printf_int(to_num(a)));
		} else {
			spec[sl] = *f;
			spec[sl + 1] = '\0';
			buf_printf(out, spec, to_num(a));
		}
	}
}

#pragma GCC diagnostic pop

/* ---- parsing ------------------------------------------------------------------------- */

struct tparser {
	const char *s;
	size_t pos;
	char *err;
	size_t errlen;
	size_t err_pos;
};

static int tfail(struct tparser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int tfail(struct tparser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	p->err_pos = pos;
	return -1;
}

static void skip_space(struct tparser *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	       p->s[p->pos] == '\r')
		p->pos++;
}

static int at_close(const struct tparser *p)
{
	const char *s = p->s + p->pos;
	return (s[0] == '}' && s[1] == '}') || (s[0] == '-' && s[1] == '}' && s[2] == '}');
}

static int parse_quoted(struct tparser *p, char **out)
{
	size_t start = p->pos++;
	struct buf b = BUF_INIT(1 << 16);
	for (;; p->pos++) {
		char c = p->s[p->pos];
		if (!c) {
			buf_release(&b);
			return tfail(p, start, "unterminated string");
		}
		if (c == '"')
			break;
		if (c == '\\') {
			char n = p->s[++p->pos];
			c = (char)(n == 'n' ? '\n' : n == 't' ? '\t' : n);
			if (!n) {
				buf_release(&b);
				return tfail(p, start, "unterminated string");
			}
		}
		buf_putc(&b, c);
	}
	p->pos++;
	*out = xstrdup(buf_str(&b));
	buf_release(&b);
	return 0;
}

static size_t word_len(const struct tparser *p)
{
	size_t n = 0;
	const char *s = p->s + p->pos;
	while (s[n] && (isalnum((unsigned char)s[n]) || strchr("_$.+-", s[n])))
		n++;
	return n;
}

static const char *nearest_fn(const char *w)
{
	const char *best = NULL;
	size_t best_d = 4;
	for (int i = 0; i < F_COUNT; i++) {
		size_t d = edit_distance(w, fn_names[i]);
		if (d < best_d) {
			best_d = d;
			best = fn_names[i];
		}
	}
	return best;
}

/* An operand: a variable, a string or a number. */
static int parse_operand(struct tparser *p, struct arg *a)
{
	size_t at = p->pos;
	memset(a, 0, sizeof(*a));
	if (p->s[p->pos] == '"') {
		a->kind = A_STRING;
		return parse_quoted(p, &a->text);
	}
	size_t n = word_len(p);
	char *w = xstrndup(p->s + p->pos, n);
	int rc = 0;
	if (strcmp(w, "$value") == 0 || strcmp(w, ".Value") == 0) {
		a->kind = A_VALUE;
	} else if (strncmp(w, "$labels.", 8) == 0 || strncmp(w, ".Labels.", 8) == 0) {
		a->kind = A_LABEL;
		a->text = xstrdup(w + 8);
		if (!a->text[0])
			rc = tfail(p, at, "expected a label name after '%.8s'", w);
	} else if (w[0] == '$' || w[0] == '.') {
		rc = tfail(p, at, "unknown variable '%s' (use $labels.NAME or $value)", w);
	} else if (n && parse_double(w, &a->number) == 0) {
		a->kind = A_NUMBER;
	} else {
		rc = tfail(p, at, "expected $value, $labels.NAME, a string or a number");
	}
	free(w);
	if (rc == 0) {
		p->pos += n;
	} else {
		/* parse_command does not count a failed operand, so
		 * command_release would not free what it holds */
		free(a->text);
		a->text = NULL;
	}
	return rc;
}

static void command_release(struct command *c)
{
	for (size_t i = 0; i < c->nargs; i++)
		free(c->args[i].text);
	free(c->args);
}

/* One command of a pipeline: `fn args...` or an operand. */
static int parse_command(struct tparser *p, struct command *c, int piped)
{
	memset(c, 0, sizeof(*c));
	c->fn = -1;
	skip_space(p);
	size_t at = p->pos;
	char ch = p->s[p->pos];
	if (isalpha((unsigned char)ch)) {
		size_t n = word_len(p);
		char *w = xstrndup(p->s + p->pos, n);
		for (int i = 0; i < F_COUNT; i++)
			if (strcmp(w, fn_names[i]) == 0)
				c->fn = i;
		if (c->fn < 0) {
			const char *hint = nearest_fn(w);
			if (hint)
				tfail(p, at, "unknown function '%s' (did you mean '%s'?)", w, hint);
			else
				tfail(p, at, "unknown function '%s'", w);
			free(w);
			return -1;
		}
		free(w);
		p->pos += n;
	}
	for (;;) {
		skip_space(p);
		if (at_close(p) || p->s[p->pos] == '|' || !p->s[p->pos])
			break;
		if (c->fn < 0 && c->nargs == 1)
			return tfail(p, p->pos, "expected '|' or '}}'");
		c->args = xrealloc(c->args, (c->nargs + 1) * sizeof(*c->args));
		if (parse_operand(p, &c->args[c->nargs]) < 0)
			return -1;
		c->nargs++;
	}
	size_t need = 1;
	if (c->fn < 0 && c->nargs != 1)
		return tfail(p, at, "empty action");
	if (c->fn >= 0 && c->nargs + (size_t)piped < need)
		return tfail(p, at, "%s needs an argument", fn_names[c->fn]);
	if (c->fn >= 0 && c->fn != F_PRINTF && c->nargs + (size_t)piped > 1)
		return tfail(p, at, "%s takes one argument", fn_names[c->fn]);
	if (c->fn == F_PRINTF) {
		if (!c->nargs || c->args[0].kind != A_STRING)
			return tfail(p, at, "printf needs a format string first");
		if (printf_check(c->args[0].text, p->err, p->errlen) < 0) {
			p->err_pos = at;
			return -1;
		}
	}
	return 0;
}

static int parse_action(struct tparser *p, struct node *node)
{
	size_t open = p->pos - 2;
	skip_space(p);
	if (p->s[p->pos] == '/' && p->s[p->pos + 1] == '*') {
		const char *end = strstr(p->s + p->pos, "*/");
		if (!end)
			return tfail(p, open, "unclosed comment");
		p->pos = (size_t)(end - p->s) + 2;
		skip_space(p);
		if (!at_close(p))
			return tfail(p, open, "unclosed action: expected '}}'");
		return 1;   /* nothing to render */
	}
	for (;;) {
		node->cmds = xrealloc(node->cmds, (node->ncmds + 1) * sizeof(*node->cmds));
		int rc = parse_command(p, &node->cmds[node->ncmds], node->ncmds > 0);
		node->ncmds++;
		if (rc < 0)
			return -1;
		skip_space(p);
		if (p->s[p->pos] == '|') {
			p->pos++;
			continue;
		}
		if (at_close(p))
			return 0;
		return tfail(p, open, "unclosed action: expected '}}'");
	}
}

static void node_release(struct node *n)
{
	free(n->text);
	for (size_t i = 0; i < n->ncmds; i++)
		command_release(&n->cmds[i]);
	free(n->cmds);
}

static void add_text(struct template *t, const char *s, size_t len)
{
	if (!len)
		return;
	t->nodes = xrealloc(t->nodes, (t->n + 1) * sizeof(*t->nodes));
	memset(&t->nodes[t->n], 0, sizeof(t->nodes[t->n]));
	t->nodes[t->n++].text = xstrndup(s, len);
}

struct template *template_parse(const char *src, char *err, size_t errlen, size_t *err_pos)
{
	struct template *t = xcalloc(1, sizeof(*t));
	t->src = xstrdup(src);
	struct tparser p = { .s = src, .err = err, .errlen = errlen };
	size_t text_start = 0;
	for (;;) {
		const char *open = strstr(src + p.pos, "{{");
		if (!open) {
			add_text(t, src + text_start, strlen(src + text_start));
			return t;
		}
		size_t at = (size_t)(open - src);
		size_t text_end = at;
		p.pos = at + 2;
		if (src[p.pos] == '-' && (src[p.pos + 1] == ' ' || src[p.pos + 1] == '\t')) {
			while (text_end > text_start && isspace((unsigned char)src[text_end - 1]))
				text_end--;
			p.pos++;
		}
		add_text(t, src + text_start, text_end - text_start);
		struct node node = { 0 };
		int rc = parse_action(&p, &node);
		if (rc < 0) {
			node_release(&node);
			if (err_pos)
				*err_pos = p.err_pos;
			template_free(t);
			return NULL;
		}
		if (rc == 0) {
			t->nodes = xrealloc(t->nodes, (t->n + 1) * sizeof(*t->nodes));
			t->nodes[t->n++] = node;
		}
		int trim_after = src[p.pos] == '-';
		p.pos += trim_after ? 3 : 2;
		if (trim_after)
			while (isspace((unsigned char)src[p.pos]))
				p.pos++;
		text_start = p.pos;
	}
}

void template_free(struct template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		node_release(&t->nodes[i]);
	free(t->nodes);
	free(t->src);
	free(t);
}

const char *template_source(const struct template *t)
{
	return t->src;
}

int template_is_constant(const struct template *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->nodes[i].text)
			return 0;
	return 1;
}

/* ---- rendering ------------------------------------------------------------------------ */

static void arg_value(const struct arg *a, const struct alert_labels *labels, double value,
		      struct value *out)
{
	buf_reset(&out->str);
	out->is_num = 0;
	switch (a->kind) {
	case A_VALUE:
		out->is_num = 1;
		out->num = value;
		break;
	case A_NUMBER:
		out->is_num = 1;
		out->num = a->number;
		break;
	case A_LABEL: {
		const char *v = alert_labels_get(labels, a->text);
		if (v)
			buf_puts(&out->str, v);
		break;
	}
	case A_STRING:
		buf_puts(&out->str, a->text);
		break;
	}
}

/* The text of the statement x names, on the alert's target. */
static void query_text(const struct template_env *env, const struct alert_labels *labels,
		       struct value *x, struct buf *out)
{
	const char *target = alert_labels_get(labels, "target");
	if (!env || !env->query_text || !target)
		return;
	struct buf id = BUF_INIT(64);
	to_str(x, &id);
	size_t mark = out->len;
	if (env->query_text(env->ctx, target, buf_str(&id), out) < 0)
		buf_truncate(out, mark);
	buf_release(&id);
}

static void apply(int fn, struct value *args, size_t nargs, const struct alert_labels *labels,
		  const struct template_env *env, struct value *res)
{
	struct buf out = BUF_INIT(1 << 16);
	struct value *x = &args[nargs - 1];
	switch (fn) {
	case F_QUERY_TEXT: query_text(env, labels, x, &out); break;
	case F_HUMANIZE: humanize(&out, to_num(x)); break;
	case F_HUMANIZE1024: humanize1024(&out, to_num(x)); break;
	case F_PERCENT: g4(&out, to_num(x) * 100, "%"); break;
	case F_DURATION: humanize_duration(&out, to_num(x)); break;
	case F_TIMESTAMP: humanize_timestamp(&out, to_num(x)); break;
	case F_PRINTF: do_printf(&out, buf_str(&args[0].str), args + 1, nargs - 1); break;
	default: {
		to_str(x, &out);
		int word_start = 1;
		for (size_t i = 0; i < out.len; i++) {
			unsigned char c = (unsigned char)out.data[i];
			if (fn == F_LOWER)
				out.data[i] = (char)tolower(c);
			else if (fn == F_UPPER || (word_start && isalpha(c)))
				out.data[i] = (char)toupper(c);
			word_start = isspace(c);
		}
	}
	}
	buf_reset(&res->str);
	res->is_num = 0;
	buf_append(&res->str, out.data ? out.data : "", out.len);
	buf_release(&out);
}

#define MAX_ARGS 8

int template_render(const struct template *t, const struct alert_labels *labels, double value,
		    const struct template_env *env, struct buf *out)
{
	struct value args[MAX_ARGS + 1], cur;
	for (size_t i = 0; i <= MAX_ARGS; i++)
		buf_init(&args[i].str, 1 << 16);
	buf_init(&cur.str, 1 << 16);
	cur.is_num = 0;
	int rc = 0;
	for (size_t i = 0; i < t->n && rc == 0; i++) {
		const struct node *n = &t->nodes[i];
		if (n->text) {
			rc = buf_puts(out, n->text);
			continue;
		}
		for (size_t c = 0; c < n->ncmds; c++) {
			const struct command *cmd = &n->cmds[c];
			size_t na = 0;
			for (size_t a = 0; a < cmd->nargs && na < MAX_ARGS; a++)
				arg_value(&cmd->args[a], labels, value, &args[na++]);
			if (c > 0) {   /* the pipeline's value is the last argument */
				args[na].is_num = cur.is_num;
				args[na].num = cur.num;
				buf_reset(&args[na].str);
				buf_append(&args[na].str, cur.str.data ? cur.str.data : "", cur.str.len);
				na++;
			}
			if (cmd->fn < 0) {
				cur.is_num = args[0].is_num;
				cur.num = args[0].num;
				buf_reset(&cur.str);
				buf_append(&cur.str, args[0].str.data ? args[0].str.data : "", args[0].str.len);
			} else {
				apply(cmd->fn, args, na, labels, env, &cur);
			}
		}
		struct buf s = BUF_INIT(1 << 16);
		to_str(&cur, &s);
		rc = buf_append(out, s.data ? s.data : "", s.len);
		buf_release(&s);
	}
	for (size_t i = 0; i <= MAX_ARGS; i++)
		buf_release(&args[i].str);
	buf_release(&cur.str);
	return rc < 0 ? -1 : 0;
}
