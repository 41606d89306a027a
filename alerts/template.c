/*
 * template.c -- parsing and rendering annotation templates (template.h).
 * The functions a template calls (humanize..., printf, Go's %v of a value)
 * are in template_funcs.c.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "strutil.h"
#include "template.h"
#include "template_funcs.h"
#include "xalloc.h"
#include "banned.h"

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
		if (template_printf_check(c->args[0].text, p->err, p->errlen) < 0) {
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
	template_value_str(x, &id);
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
	case F_HUMANIZE: template_humanize(&out, template_value_num(x)); break;
	case F_HUMANIZE1024: template_humanize1024(&out, template_value_num(x)); break;
	case F_PERCENT: template_g4(&out, template_value_num(x) * 100, "%"); break;
	case F_DURATION: template_humanize_duration(&out, template_value_num(x)); break;
	case F_TIMESTAMP: template_humanize_timestamp(&out, template_value_num(x)); break;
	case F_PRINTF: template_printf(&out, buf_str(&args[0].str), args + 1, nargs - 1); break;
	default: {
		template_value_str(x, &out);
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
		template_value_str(&cur, &s);
		rc = buf_append(out, s.data ? s.data : "", s.len);
		buf_release(&s);
	}
	for (size_t i = 0; i <= MAX_ARGS; i++)
		buf_release(&args[i].str);
	buf_release(&cur.str);
	return rc < 0 ? -1 : 0;
}
