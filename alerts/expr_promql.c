/*
 * expr_promql.c -- an alert expression printed as PromQL (expr.h), for
 * `dbpulse rules --format prometheus`.
 *
 * The language is a PromQL subset with PromQL's meaning: comparisons
 * filter (no `bool`), one-to-one matching with ignoring()/on(), `and` as a
 * set filter with the same precedence over comparisons, the same window
 * functions.  What differs is spelling only: a window such as 30m1h or
 * 90m90m, which Prometheus refuses (its units go from y down to ms, once
 * each), is written from its length; a label value gets Go's escapes for
 * every control character; a metric named like a PromQL keyword is
 * selected by __name__.  Pure: from the parsed expression to a buffer.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "expr.h"
#include "expr_ast.h"
#include "strutil.h"
#include "banned.h"

/* PromQL's keywords (its lexer compares them case-insensitively): a
 * metric of such a name cannot stand bare. */
static const char *const promql_keywords[] = {
	"and", "or", "unless", "atan2", "by", "without", "on", "ignoring", "group_left",
	"group_right", "bool", "offset", "start", "end", "inf", "nan", "sum", "avg", "count",
	"min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values", "quantile",
	NULL,
};

static int is_keyword(const char *name)
{
	for (size_t i = 0; promql_keywords[i]; i++)
		if (strcasecmp(name, promql_keywords[i]) == 0)
			return 1;
	return 0;
}

/* s as a double-quoted PromQL string: \\ \" \n \t \r, \xHH for the other
 * control characters and for bytes that are not UTF-8. */
static void promql_string(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	buf_putc(out, '"');
	while (*p) {
		size_t n = utf8_sequence_len(p, left);
		left -= n ? n : 1;
		if (n > 1) {
			buf_append(out, (const char *)p, n);
			p += n;
			continue;
		}
		unsigned char c = *p++;
		switch (c) {
		case '\\': buf_puts(out, "\\\\"); break;
		case '"': buf_puts(out, "\\\""); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\t': buf_puts(out, "\\t"); break;
		case '\r': buf_puts(out, "\\r"); break;
		default:
			if (n == 0 || c < 0x20 || c == 0x7f)
				buf_printf(out, "\\x%02x", c);
			else
				buf_putc(out, (char)c);
		}
	}
	buf_putc(out, '"');
}

/* A window in Prometheus' duration syntax: 1y2w3d4h5m6s7ms, each unit
 * once, largest first. */
static void promql_duration(struct buf *out, double seconds)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
		{ "y", 31536000000LL }, { "w", 604800000LL }, { "d", 86400000LL },
		{ "h", 3600000LL }, { "m", 60000LL }, { "s", 1000LL }, { "ms", 1LL },
	};
	int64_t ms = (int64_t)llround(seconds * 1000.0);
	if (ms <= 0) {
		buf_puts(out, "0s");   /* never: windows are positive */
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms >= units[i].ms) {
			buf_printf(out, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
			ms %= units[i].ms;
		}
}

static void promql_selector(const struct term *t, struct buf *out)
{
	int by_name = is_keyword(t->metric);
	if (!by_name)
		buf_puts(out, t->metric);
	if (!by_name && !t->nm)
		return;
	buf_putc(out, '{');
	if (by_name) {
		buf_puts(out, "__name__=");
		promql_string(out, t->metric);
	}
	for (size_t i = 0; i < t->nm; i++) {
		buf_printf(out, "%s%s%s", i || by_name ? "," : "", t->m[i].name,
			   expr_match_names[t->m[i].op]);
		promql_string(out, t->m[i].value);
	}
	buf_putc(out, '}');
}

static void promql_term(const struct term *t, struct buf *out)
{
	if (t->is_number) {
		expr_format_number(out, t->number);
		return;
	}
	if (t->fn == FN_NONE) {
		promql_selector(t, out);
		return;
	}
	buf_printf(out, "%s(", expr_func_names[t->fn]);
	promql_selector(t, out);
	buf_putc(out, '[');
	promql_duration(out, t->window);
	buf_puts(out, "])");
}

static void promql_cond(const struct cond *c, const double *threshold, struct buf *out)
{
	promql_term(&c->t[0], out);
	if (c->nterms == 2) {
		buf_printf(out, " %c", c->arith);
		match_mod_format(&c->mod, out);
		buf_putc(out, ' ');
		promql_term(&c->t[1], out);
	}
	buf_printf(out, " %s ", expr_cmp_names[c->cmp]);
	expr_format_number(out, threshold ? *threshold : c->threshold);
}

void expr_format_promql(const struct expr *e, const double *threshold, struct buf *out)
{
	promql_cond(&e->c[0], threshold, out);
	if (e->nconds == 2) {
		buf_puts(out, " and");
		match_mod_format(&e->and_mod, out);
		buf_putc(out, ' ');
		promql_cond(&e->c[1], NULL, out);
	}
}
