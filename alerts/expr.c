/*
 * expr.c -- parsing alert expressions (expr.h) into their parsed form
 * (expr_ast.h), freeing it, and printing it back in normal form.  Rules
 * are parsed once at config load; expr_eval.c evaluates them,
 * expr_promql.c prints them as PromQL.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alert.h"
#include "buf.h"
#include "expr.h"
#include "expr_ast.h"
#include "expr_match.h"
#include "regex_check.h"
#include "strutil.h"
#include "xalloc.h"
#include "banned.h"

#define DEFAULT_MAX_SERIES 5000
#define DEFAULT_MAX_POINTS 512

const char *const expr_func_names[] = { "", "rate", "increase", "avg_over_time",
					"max_over_time", "min_over_time" };
const char *const expr_match_names[] = { "=", "!=", "=~", "!~" };
const char *const expr_cmp_names[] = { ">", ">=", "<", "<=", "==", "!=" };

/* ---- parsing --------------------------------------------------------------- */

struct parser {
	const char *s;
	size_t pos;
	char *err;
	size_t errlen;
	size_t err_pos;
	int failed;
};

static int fail_at(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct parser *p, size_t pos, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	p->err_pos = pos;
	p->failed = 1;
	return -1;
}

static void skip_ws(struct parser *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t')
		p->pos++;
}

static int is_name_start(char c, int colon)
{
	return isalpha((unsigned char)c) || c == '_' || (colon && c == ':');
}

static int is_name_char(char c, int colon)
{
	return isalnum((unsigned char)c) || c == '_' || (colon && c == ':');
}

static char *parse_name(struct parser *p, int colon)
{
	size_t start = p->pos;
	if (!is_name_start(p->s[p->pos], colon))
		return NULL;
	while (is_name_char(p->s[p->pos], colon))
		p->pos++;
	return xstrndup(p->s + start, p->pos - start);
}

/* A quoted string with Go's escapes. */
static char *parse_string(struct parser *p)
{
	size_t start = p->pos;
	char q = p->s[p->pos];
	if (q != '"' && q != '\'') {
		fail_at(p, start, "expected a quoted string");
		return NULL;
	}
	struct buf b = BUF_INIT(1 << 16);
	for (p->pos++;; p->pos++) {
		char c = p->s[p->pos];
		if (c == '\0') {
			buf_release(&b);
			fail_at(p, start, "unterminated string");
			return NULL;
		}
		if (c == q)
			break;
		if (c == '\\') {
			char n = p->s[++p->pos];
			switch (n) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '\\': case '"': case '\'': c = n; break;
			default:
				buf_release(&b);
				fail_at(p, p->pos - 1, "unknown escape sequence '\\%c'", n ? n : ' ');
				return NULL;
			}
		}
		buf_putc(&b, c);
	}
	p->pos++;
	char *s = xstrdup(buf_str(&b));
	buf_release(&b);
	return s;
}

static int parse_number_at(struct parser *p, double *out)
{
	size_t start = p->pos;
	const char *s = p->s + p->pos;
	size_t n = 0;
	if (s[n] == '+' || s[n] == '-')
		n++;
	if ((strncasecmp(s + n, "inf", 3) == 0 || strncasecmp(s + n, "nan", 3) == 0) &&
	    !is_name_char(s[n + 3], 1)) {
		n += 3;
	} else {
		size_t digits = 0;
		while (isdigit((unsigned char)s[n]) || s[n] == '.') {
			digits += s[n] != '.';
			n++;
		}
		if (!digits)
			return fail_at(p, start, "expected a number");
		if (s[n] == 'e' || s[n] == 'E') {
			size_t m = n + 1;
			if (s[m] == '+' || s[m] == '-')
				m++;
			if (isdigit((unsigned char)s[m])) {
				while (isdigit((unsigned char)s[m]))
					m++;
				n = m;
			}
		}
	}
	char tmp[64];
	if (n >= sizeof(tmp))
		return fail_at(p, start, "number too long");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end;
	*out = strtod(tmp, &end);
	if (*end)
		return fail_at(p, start, "invalid number '%s'", tmp);
	p->pos += n;
	return 0;
}

static int parse_duration(struct parser *p, double *seconds)
{
	size_t start = p->pos;
	double total = 0;
	int parts = 0;
	while (isdigit((unsigned char)p->s[p->pos])) {
		double n = 0;
		while (isdigit((unsigned char)p->s[p->pos]))
			n = n * 10 + (p->s[p->pos++] - '0');
		const char *u = p->s + p->pos;
		double mult;
		if (u[0] == 'm' && u[1] == 's') {
			mult = 0.001;
			p->pos += 2;
		} else {
			switch (u[0]) {
			case 's': mult = 1; break;
			case 'm': mult = 60; break;
			case 'h': mult = 3600; break;
			case 'd': mult = 86400; break;
			case 'w': mult = 604800; break;
			case 'y': mult = 31536000; break;
			default:
				return fail_at(p, p->pos, "expected a duration unit (ms, s, m, h, d, w, y)");
			}
			p->pos++;
		}
		total += n * mult;
		parts++;
	}
	if (!parts || total <= 0)
		return fail_at(p, start, "expected a duration like 5m");
	*seconds = total;
	return 0;
}

static int parse_matcher(struct parser *p, struct term *t)
{
	skip_ws(p);
	size_t at = p->pos;
	char *name = parse_name(p, 0);
	if (!name)
		return fail_at(p, at, "expected a label name");
	skip_ws(p);
	enum match_op op;
	const char *s = p->s + p->pos;
	if (s[0] == '=' && s[1] == '~')
		op = M_RE;
	else if (s[0] == '!' && s[1] == '~')
		op = M_NRE;
	else if (s[0] == '!' && s[1] == '=')
		op = M_NE;
	else if (s[0] == '=')
		op = M_EQ;
	else {
		free(name);
		return fail_at(p, p->pos, "expected =, !=, =~ or !~ after the label name");
	}
	p->pos += op == M_EQ ? 1 : 2;
	skip_ws(p);
	size_t vpos = p->pos;
	char *value = parse_string(p);
	if (!value) {
		free(name);
		return -1;
	}
	t->m = xrealloc(t->m, (t->nm + 1) * sizeof(*t->m));
	struct matcher *m = &t->m[t->nm];
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->value = value;
	m->op = op;
	if (op == M_RE || op == M_NRE) {
		/* before regcomp, which some patterns keep busy for minutes */
		char refused[160];
		if (regex_check(value, refused, sizeof(refused)) < 0) {
			free(name);
			free(value);
			return fail_at(p, vpos, "invalid regular expression: %s", refused);
		}
		char *anchored = xasprintf("^(%s)$", value);
		int rc = regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB);
		free(anchored);
		if (rc != 0) {
			char why[128];
			regerror(rc, &m->re, why, sizeof(why));
			free(name);
			free(value);
			return fail_at(p, vpos, "invalid regular expression: %s", why);
		}
	}
	t->nm++;
	return 0;
}

static int parse_selector(struct parser *p, struct term *t)
{
	size_t at = p->pos;
	t->metric = parse_name(p, 1);
	if (!t->metric)
		return fail_at(p, at, "expected a metric name");
	skip_ws(p);
	if (p->s[p->pos] != '{')
		return 0;
	p->pos++;
	for (;;) {
		skip_ws(p);
		if (p->s[p->pos] == '}') {
			p->pos++;
			return 0;
		}
		if (parse_matcher(p, t) < 0)
			return -1;
		skip_ws(p);
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == '}') {
			p->pos++;
			return 0;
		}
		return fail_at(p, p->pos, "expected ',' or '}' after a label matcher");
	}
}

static enum func func_named(const char *name)
{
	for (int f = FN_RATE; f <= FN_MIN; f++)
		if (strcmp(name, expr_func_names[f]) == 0)
			return (enum func)f;
	return FN_NONE;
}

static const char *nearest_func(const char *name)
{
	const char *best = NULL;
	size_t best_d = 4;
	for (int f = FN_RATE; f <= FN_MIN; f++) {
		size_t d = edit_distance(name, expr_func_names[f]);
		if (d < best_d) {
			best_d = d;
			best = expr_func_names[f];
		}
	}
	return best;
}

static int parse_term(struct parser *p, struct term *t)
{
	skip_ws(p);
	size_t at = p->pos;
	char c = p->s[p->pos];
	if (isdigit((unsigned char)c) || c == '.' || c == '+' || c == '-' ||
	    ((c == 'I' || c == 'i' || c == 'N' || c == 'n') &&
	     (strncasecmp(p->s + p->pos, "inf", 3) == 0 || strncasecmp(p->s + p->pos, "nan", 3) == 0) &&
	     !is_name_char(p->s[p->pos + 3], 1))) {
		t->is_number = 1;
		return parse_number_at(p, &t->number);
	}
	if (!is_name_start(c, 1)) {
		if (c == '\0')
			return fail_at(p, at, "expected a metric name or a function, got the end");
		return fail_at(p, at, "unexpected '%c'", c);
	}
	size_t save = p->pos;
	char *name = parse_name(p, 1);
	skip_ws(p);
	if (p->s[p->pos] != '(') {
		free(name);
		p->pos = save;
		return parse_selector(p, t);
	}
	t->fn = func_named(name);
	if (t->fn == FN_NONE) {
		const char *hint = nearest_func(name);
		if (hint)
			fail_at(p, at, "unknown function '%s' (did you mean '%s'?)", name, hint);
		else
			fail_at(p, at, "unknown function '%s' (rate, increase, avg_over_time, max_over_time, min_over_time)", name);
		free(name);
		return -1;
	}
	p->pos++;
	skip_ws(p);
	if (parse_selector(p, t) < 0) {
		free(name);
		return -1;
	}
	skip_ws(p);
	if (p->s[p->pos] != '[') {
		fail_at(p, p->pos, "%s() needs a range like [5m] after the selector", name);
		free(name);
		return -1;
	}
	free(name);
	p->pos++;
	skip_ws(p);
	size_t wstart = p->pos;
	if (parse_duration(p, &t->window) < 0)
		return -1;
	t->window_text = xstrndup(p->s + wstart, p->pos - wstart);
	skip_ws(p);
	if (p->s[p->pos] != ']')
		return fail_at(p, p->pos, "expected ']' after the range");
	p->pos++;
	skip_ws(p);
	if (p->s[p->pos] != ')')
		return fail_at(p, p->pos, "expected ')' after the range");
	p->pos++;
	return 0;
}

static int parse_cmp(struct parser *p, enum cmp_op *op, int after_and)
{
	const char *s = p->s + p->pos;
	if (s[0] == '>' && s[1] == '=')
		*op = C_GE;
	else if (s[0] == '<' && s[1] == '=')
		*op = C_LE;
	else if (s[0] == '=' && s[1] == '=')
		*op = C_EQ;
	else if (s[0] == '!' && s[1] == '=')
		*op = C_NE;
	else if (s[0] == '>')
		*op = C_GT;
	else if (s[0] == '<')
		*op = C_LT;
	else
		return fail_at(p, p->pos,
			       "expected a comparison operator (>, >=, <, <=, ==, !=) after the expression%s",
			       after_and ? " ('and' needs a full comparison)" : "");
	p->pos += (*op == C_GT || *op == C_LT) ? 1 : 2;
	return 0;
}

/* ---- keywords and modifiers ---------------------------------------------------- */

/* Whether the whole word at pos is kw. */
static int at_word(const struct parser *p, size_t pos, const char *kw)
{
	size_t n = strlen(kw);
	return strncmp(p->s + pos, kw, n) == 0 && !is_name_char(p->s[pos + n], 1);
}

/* The first non-blank at or after pos. */
static size_t next_token(const struct parser *p, size_t pos)
{
	while (p->s[pos] == ' ' || p->s[pos] == '\t')
		pos++;
	return pos;
}

/* The modifier keyword at pos when a '(' follows it, else NULL: without
 * one, `on` and `ignoring` are metric names. */
static const char *modifier_at(const struct parser *p, size_t pos)
{
	static const char *const kw[] = { "ignoring", "on" };
	for (size_t i = 0; i < 2; i++)
		if (at_word(p, pos, kw[i]) && p->s[next_token(p, pos + strlen(kw[i]))] == '(')
			return kw[i];
	return NULL;
}

/* Fails on a modifier where none can stand. */
static int no_modifier_here(struct parser *p)
{
	skip_ws(p);
	const char *kw = modifier_at(p, p->pos);
	if (!kw)
		return 0;
	return fail_at(p, p->pos, "'%s' must follow an arithmetic operator or 'and'", kw);
}

/* Fails on a second modifier right after one. */
static int one_modifier(struct parser *p, const struct match_mod *m)
{
	skip_ws(p);
	const char *kw = modifier_at(p, p->pos);
	if (!kw || m->kind == MATCH_SAME)
		return 0;
	return fail_at(p, p->pos, "only one modifier: '%s' after %s()", kw, match_kind_name(m->kind));
}

/* Whether NAME(...) at pos reads as a modifier, not a call: names and
 * commas in the parentheses, then a term. */
static int looks_like_modifier(const struct parser *p, size_t pos)
{
	const char *s = p->s;
	while (is_name_char(s[pos], 1))
		pos++;
	pos = next_token(p, pos);
	if (s[pos] != '(')
		return 0;
	for (pos++; s[pos] != ')'; pos++)
		if (!is_name_char(s[pos], 0) && s[pos] != ',' && s[pos] != ' ' && s[pos] != '\t')
			return 0;
	pos = next_token(p, pos + 1);
	return is_name_start(s[pos], 1) || isdigit((unsigned char)s[pos]);
}

/* A word at pos that is neither a modifier nor a function, used as one. */
static int unknown_modifier(struct parser *p, size_t pos)
{
	size_t end = pos;
	while (is_name_char(p->s[end], 1))
		end++;
	char *name = xstrndup(p->s + pos, end - pos);
	int rc = 0;
	if (func_named(name) == FN_NONE && looks_like_modifier(p, pos)) {
		if (edit_distance(name, "ignoring") <= 3)
			rc = fail_at(p, pos, "unknown modifier '%s' (did you mean 'ignoring'?)", name);
		else if (edit_distance(name, "on") <= 1)
			rc = fail_at(p, pos, "unknown modifier '%s' (did you mean 'on'?)", name);
		else
			rc = fail_at(p, pos, "unknown modifier '%s' (ignoring or on)", name);
	}
	free(name);
	return rc;
}

/* '(' LABEL { ',' LABEL } [','] ')', at the '('. */
static int parse_label_list(struct parser *p, struct match_mod *m, const char *kw)
{
	size_t open = p->pos;
	p->pos++;
	for (;;) {
		skip_ws(p);
		char c = p->s[p->pos];
		if (c == ')' && !m->n)
			return fail_at(p, open, "empty label list: %s() needs at least one label", kw);
		if (c == ')') {
			p->pos++;
			return 0;
		}
		if (c == '\0')
			return fail_at(p, open, "unterminated label list after '%s': missing ')'", kw);
		size_t at = p->pos;
		char *name = parse_name(p, 0);
		if (!name)
			return fail_at(p, at, "expected a label name in %s(...)", kw);
		match_mod_add(m, name);
		skip_ws(p);
		c = p->s[p->pos];
		if (c == ',') {
			p->pos++;
		} else if (c == '\0') {
			return fail_at(p, open, "unterminated label list after '%s': missing ')'", kw);
		} else if (c != ')') {
			return fail_at(p, p->pos, "expected ',' or ')' after a label name");
		}
	}
}

/* [ ( 'ignoring' | 'on' ) '(' labels ')' ], after ARITH or 'and'. */
static int parse_modifier(struct parser *p, struct match_mod *m)
{
	skip_ws(p);
	size_t at = p->pos;
	if (!is_name_start(p->s[at], 1))
		return 0;
	const char *kw = modifier_at(p, at);
	if (!kw) {
		/* `ignoring window`: a keyword, then a name instead of '(' */
		const char *word = at_word(p, at, "on") ? "on" : at_word(p, at, "ignoring") ? "ignoring" : NULL;
		size_t after = word ? next_token(p, at + strlen(word)) : at;
		if (word && is_name_start(p->s[after], 1))
			return fail_at(p, after, "expected '(' and label names after '%s'", word);
		return unknown_modifier(p, at);
	}
	m->kind = strcmp(kw, "on") == 0 ? MATCH_ON : MATCH_IGNORING;
	p->pos = next_token(p, at + strlen(kw));
	if (parse_label_list(p, m, kw) < 0)
		return -1;
	skip_ws(p);
	static const char *const group[] = { "group_left", "group_right" };
	for (size_t i = 0; i < 2; i++)
		if (at_word(p, p->pos, group[i]))
			return fail_at(p, p->pos, "%s is not supported: matching is one to one", group[i]);
	return 0;
}

/* ---- rules ----------------------------------------------------------------------- */

/* term [ ARITH [modifier] term ] CMP NUMBER */
static int parse_cond(struct parser *p, struct cond *c, int after_and)
{
	skip_ws(p);
	size_t start = p->pos;
	if (after_and && p->s[start] == '\0')
		return fail_at(p, start, "'and' must be followed by a comparison like x > 0");
	if (no_modifier_here(p) < 0)
		return -1;
	c->nterms = 1;
	if (parse_term(p, &c->t[0]) < 0)
		return -1;
	skip_ws(p);
	char ch = p->s[p->pos];
	if (ch == '+' || ch == '-' || ch == '*' || ch == '/') {
		c->arith = ch;
		p->pos++;
		c->nterms = 2;
		skip_ws(p);
		size_t mpos = p->pos;
		if (parse_modifier(p, &c->mod) < 0 || one_modifier(p, &c->mod) < 0 ||
		    parse_term(p, &c->t[1]) < 0)
			return -1;
		if (c->t[0].is_number && c->t[1].is_number)
			return fail_at(p, start, "one side of '%c' must be a metric", ch);
		if (c->mod.kind != MATCH_SAME && (c->t[0].is_number || c->t[1].is_number))
			return fail_at(p, mpos, "%s() needs a metric on both sides of '%c'",
				       match_kind_name(c->mod.kind), ch);
	} else if (c->t[0].is_number) {
		return fail_at(p, start, "%s must start with a metric or a function",
			       after_and ? "the comparison after 'and'" : "the expression");
	}
	if (no_modifier_here(p) < 0 || parse_cmp(p, &c->cmp, after_and) < 0)
		return -1;
	skip_ws(p);
	size_t at = p->pos;
	if (parse_number_at(p, &c->threshold) < 0) {
		p->failed = 0;
		return fail_at(p, at, "expected a number after '%s'", expr_cmp_names[c->cmp]);
	}
	return 0;
}

/* After the last threshold: nothing, or a precise complaint. */
static int parse_end(struct parser *p)
{
	skip_ws(p);
	if (p->s[p->pos] == '\0')
		return 0;
	if (no_modifier_here(p) < 0)
		return -1;
	if (at_word(p, p->pos, "and"))
		return fail_at(p, p->pos, "only one 'and' is supported");
	if (strncasecmp(p->s + p->pos, "and", 3) == 0 && !is_name_char(p->s[p->pos + 3], 1))
		return fail_at(p, p->pos, "write 'and' in lower case");
	if (at_word(p, p->pos, "or") || at_word(p, p->pos, "unless"))
		return fail_at(p, p->pos, "'%s' is not supported (only 'and')",
			       p->s[p->pos] == 'o' ? "or" : "unless");
	return fail_at(p, p->pos, "trailing input after the threshold");
}

int expr_parse(const char *src, struct expr **out, char *err, size_t errlen, size_t *err_pos)
{
	struct parser p = { .s = src, .err = err, .errlen = errlen };
	struct expr *e = xcalloc(1, sizeof(*e));
	e->max_series = DEFAULT_MAX_SERIES;
	e->max_points = DEFAULT_MAX_POINTS;
	e->nconds = 1;
	if (parse_cond(&p, &e->c[0], 0) < 0)
		goto bad;
	skip_ws(&p);
	if (at_word(&p, p.pos, "and")) {
		p.pos += 3;
		e->nconds = 2;
		if (parse_modifier(&p, &e->and_mod) < 0 || one_modifier(&p, &e->and_mod) < 0 ||
		    parse_cond(&p, &e->c[1], 1) < 0)
			goto bad;
	}
	if (parse_end(&p) < 0)
		goto bad;
	*out = e;
	return 0;
bad:
	if (err_pos)
		*err_pos = p.err_pos;
	expr_free(e);
	*out = NULL;
	return -1;
}

void expr_caret(const char *src, size_t pos, struct buf *out)
{
	size_t len = strlen(src);
	if (pos > len)
		pos = len;
	buf_printf(out, "  %s\n  ", src);
	for (size_t i = 0; i < pos; i++)
		buf_putc(out, src[i] == '\t' ? '\t' : ' ');
	buf_puts(out, "^\n");
}

static void term_release(struct term *t)
{
	free(t->metric);
	for (size_t i = 0; i < t->nm; i++) {
		free(t->m[i].name);
		free(t->m[i].value);
		if (t->m[i].op == M_RE || t->m[i].op == M_NRE)
			regfree(&t->m[i].re);
	}
	free(t->m);
	free(t->window_text);
	expr_term_history_release(t);
}

static void cond_release(struct cond *c)
{
	term_release(&c->t[0]);
	term_release(&c->t[1]);
	match_mod_release(&c->mod);
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	cond_release(&e->c[0]);
	cond_release(&e->c[1]);
	match_mod_release(&e->and_mod);
	for (size_t i = 0; i < 4; i++)
		expr_result_release(&e->scratch[i]);
	free(e);
}

/* ---- the rest ---------------------------------------------------------------------- */

double expr_threshold(const struct expr *e)
{
	return e->c[0].threshold;
}

const char *expr_op_name(const struct expr *e)
{
	return expr_cmp_names[e->c[0].cmp];
}

size_t expr_metrics(const struct expr *e, const char *names[EXPR_MAX_METRICS])
{
	size_t n = 0;
	for (size_t c = 0; c < e->nconds; c++)
		for (size_t i = 0; i < e->c[c].nterms; i++) {
			const struct term *t = &e->c[c].t[i];
			if (t->is_number)
				continue;
			size_t j = 0;
			while (j < n && strcmp(names[j], t->metric) != 0)
				j++;
			if (j == n)
				names[n++] = t->metric;
		}
	return n;
}

void expr_format_number(struct buf *out, double v)
{
	const char *name = nonfinite_name(v);
	if (name) {
		buf_puts(out, name);
		return;
	}
	char s[40];
	if (v == floor(v) && fabs(v) < 1e15) {
		buf_printf(out, "%.0f", v);
		return;
	}
	format_double_shortest(s, sizeof(s), v);
	buf_puts(out, s);
}

static void format_term(const struct term *t, struct buf *out)
{
	if (t->is_number) {
		expr_format_number(out, t->number);
		return;
	}
	if (t->fn != FN_NONE)
		buf_printf(out, "%s(", expr_func_names[t->fn]);
	buf_puts(out, t->metric);
	if (t->nm) {
		buf_putc(out, '{');
		for (size_t i = 0; i < t->nm; i++) {
			buf_printf(out, "%s%s%s\"", i ? "," : "", t->m[i].name, expr_match_names[t->m[i].op]);
			vec_append_escaped(out, t->m[i].value);
			buf_putc(out, '"');
		}
		buf_putc(out, '}');
	}
	if (t->fn != FN_NONE)
		buf_printf(out, "[%s])", t->window_text);
}

static void format_cond(const struct cond *c, struct buf *out)
{
	format_term(&c->t[0], out);
	if (c->nterms == 2) {
		buf_printf(out, " %c", c->arith);
		match_mod_format(&c->mod, out);
		buf_putc(out, ' ');
		format_term(&c->t[1], out);
	}
	buf_printf(out, " %s ", expr_cmp_names[c->cmp]);
	expr_format_number(out, c->threshold);
}

void expr_format(const struct expr *e, struct buf *out)
{
	format_cond(&e->c[0], out);
	if (e->nconds == 2) {
		buf_puts(out, " and");
		match_mod_format(&e->and_mod, out);
		buf_putc(out, ' ');
		format_cond(&e->c[1], out);
	}
}
