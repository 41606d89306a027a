/*
 * top_render.c -- the pure part of `dbpulse top` (see top.h): no network,
 * no terminal, no global state.  Lays out and formats the statement table
 * of an /api/queries answer (top_render), picks the target from an
 * /api/targets answer (top_pick_target), builds the API URLs and the
 * message for a refused request (top_http_error).  The answers are
 * decoded with jansson; every string of them is printed through
 * top_text.c's cleaning.
 */
#include "autoconfig.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "strutil.h"
#include "top.h"
#include "top_text.h"
#include "xalloc.h"
#include "banned.h"

#define MIN_WIDTH 20u
#define NAME_COLS_MAX 16u          /* database and user columns */

/* ---- numbers ---------------------------------------------------------------- */

/* A JSON number as a double; NAN for null, missing or anything else. */
static double number_of(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void format_duration(char *dst, size_t n, double s)
{
	if (isnan(s))
		snprintf(dst, n, "-");
	else if (s < 0.001)
		snprintf(dst, n, "%.0fus", s * 1e6);
	else if (s < 0.1)
		snprintf(dst, n, "%.1fms", s * 1e3);
	else if (s < 1)
		snprintf(dst, n, "%.0fms", s * 1e3);
	else if (s < 100)
		snprintf(dst, n, "%.2fs", s);
	else if (s < 3600)
		snprintf(dst, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else if (s < 3600.0 * 1000)
		snprintf(dst, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
	else
		snprintf(dst, n, "%.3gh", s / 3600);
}

static void format_count(char *dst, size_t n, double v)
{
	if (isnan(v))
		snprintf(dst, n, "-");
	else if (v < 1e6)
		snprintf(dst, n, "%.0f", v);
	else if (v < 1e9)
		snprintf(dst, n, "%.1fM", v / 1e6);
	else if (v < 1e12)
		snprintf(dst, n, "%.1fG", v / 1e9);
	else
		snprintf(dst, n, "%.2e", v);
}

/* Per-call and per-second figures: a few significant digits. */
static void format_ratio(char *dst, size_t n, double v)
{
	if (isnan(v))
		snprintf(dst, n, "-");
	else if (v < 10)
		snprintf(dst, n, "%.2f", v);
	else if (v < 1000)
		snprintf(dst, n, "%.1f", v);
	else
		format_count(dst, n, v);
}

static void format_percent(char *dst, size_t n, double ratio)
{
	if (isnan(ratio))
		snprintf(dst, n, "-");
	else
		snprintf(dst, n, "%.1f%%", ratio * 100);
}

/* ---- the table ---------------------------------------------------------------- */

/* The columns before the query text, in order. */
enum column { COL_TOTAL, COL_MEAN, COL_BASELINE, COL_CALLS, COL_RATE, COL_ROWS, COL_HIT, COL_DB,
	      COL_USER, NCOLUMNS };

/* On a narrow screen the columns with the highest drop rank are left out
 * first, until the query text has QUERY_MIN_COLS (rank 0: always shown). */
#define QUERY_MIN_COLS 24u
static const struct {
	const char *title;
	unsigned cols;            /* 0: as wide as the values (DB, user) */
	int left;                 /* left-aligned text rather than a number */
	int drop_rank;
} column_defs[NCOLUMNS] = {
	[COL_TOTAL] = { "total", 8, 0, 0 },     [COL_MEAN] = { "mean", 8, 0, 0 },
	[COL_BASELINE] = { "baseline", 8, 0, 1 }, [COL_CALLS] = { "calls", 8, 0, 0 },
	[COL_RATE] = { "calls/s", 8, 0, 4 },    [COL_ROWS] = { "rows/call", 9, 0, 6 },
	[COL_HIT] = { "hit%", 6, 0, 5 },        [COL_DB] = { "database", 0, 1, 2 },
	[COL_USER] = { "user", 0, 1, 3 },
};

struct table {
	struct buf *out;
	unsigned width;             /* columns per line */
	unsigned max_rows;          /* lines; 0: no limit */
	unsigned rows;              /* lines written */
	unsigned cols[NCOLUMNS];    /* width of each column, 0 when left out */
	struct buf line;            /* the line being built */
};

/* One statement's cells, formatted. */
struct cells {
	char number[NCOLUMNS][32];  /* the right-aligned columns */
	const char *text[NCOLUMNS]; /* the left-aligned ones, raw: cleaned when put */
	int slower;                 /* mean more than twice the baseline */
};

/* Ends the line being built: cut to the width, appended to the output. */
static void table_end_line(struct table *t)
{
	if (!t->max_rows || t->rows < t->max_rows) {
		top_fit_columns(&t->line, 0, t->width);
		buf_append(t->out, buf_str(&t->line), t->line.len);
		buf_putc(t->out, '\n');
		t->rows++;
	}
	buf_reset(&t->line);
}

/* Appends clean text padded with spaces to exactly cols columns. */
static void put_padded(struct buf *b, const char *s, unsigned cols)
{
	unsigned used = top_clean_text(b, s, cols);
	while (used++ < cols)
		buf_putc(b, ' ');
}

/* Appends the shown cells, each followed by a space; the baseline one by
 * its mark first. */
static void put_cells(struct table *t, const struct cells *c)
{
	for (int k = 0; k < NCOLUMNS; k++) {
		if (!t->cols[k])
			continue;
		if (column_defs[k].left)
			put_padded(&t->line, c->text[k], t->cols[k]);
		else
			buf_printf(&t->line, "%*s", (int)t->cols[k], c->number[k]);
		if (k == COL_BASELINE)
			buf_putc(&t->line, c->slower ? '!' : ' ');
		buf_putc(&t->line, ' ');
	}
}

static const char *string_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The widest clean value of key among the first n statements, between
 * min_cols and NAME_COLS_MAX. */
static unsigned column_width(const json_t *statements, size_t n, const char *key, unsigned min_cols)
{
	unsigned widest = min_cols;
	struct buf scratch = BUF_INIT(BUF_UNLIMITED);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&scratch);
		const char *v = string_of(json_array_get(statements, i), key);
		unsigned w = top_clean_text(&scratch, v ? v : "-", NAME_COLS_MAX);
		if (w > widest)
			widest = w;
	}
	buf_release(&scratch);
	return widest;
}

/* Sizes the columns for the statements shown, then leaves out the least
 * important ones while the query text would get fewer than QUERY_MIN_COLS. */
static void choose_columns(struct table *t, const json_t *statements, size_t shown)
{
	unsigned used = 0;
	for (int k = 0; k < NCOLUMNS; k++) {
		t->cols[k] = column_defs[k].cols;
		used += t->cols[k] + 1 + (k == COL_BASELINE);
	}
	t->cols[COL_DB] = column_width(statements, shown, "datname", (unsigned)strlen("database"));
	t->cols[COL_USER] = column_width(statements, shown, "user", (unsigned)strlen("user"));
	used += t->cols[COL_DB] + t->cols[COL_USER];
	while (used + QUERY_MIN_COLS > t->width) {
		int drop = -1;
		for (int k = 0; k < NCOLUMNS; k++)
			if (t->cols[k] && column_defs[k].drop_rank &&
			    (drop < 0 || column_defs[k].drop_rank > column_defs[drop].drop_rank))
				drop = k;
		if (drop < 0)
			break;
		used -= t->cols[drop] + 1 + (drop == COL_BASELINE);
		t->cols[drop] = 0;
	}
}

/* "up", "DOWN" or "not collected yet" for the target `name` in targets;
 * NULL when targets does not list it. */
static const char *target_state(const json_t *targets, const char *name)
{
	const json_t *list = json_object_get(targets, "targets");
	size_t i;
	const json_t *t;
	json_array_foreach(list, i, t) {
		const char *tn = string_of(t, "name");
		if (!tn || !name || strcmp(tn, name) != 0)
			continue;
		const json_t *up = json_object_get(t, "up");
		return json_is_true(up) ? "up" : json_is_false(up) ? "DOWN" : "not collected yet";
	}
	return NULL;
}

/* Appends "<label>value" with value cleaned (or `missing` when absent). */
static void put_field(struct buf *b, const char *label, const char *value, const char *missing)
{
	buf_puts(b, label);
	top_clean_text(b, value ? value : missing, 32);
}

/* The agent's own part of the totals, when it has statements in the
 * window: " (agent 30 calls, 12.0ms, listed)". */
static void put_own(struct buf *l, const json_t *q)
{
	const json_t *own = json_object_get(q, "own");
	double n = number_of(json_object_get(own, "statements"));
	if (isnan(n) || n <= 0)
		return;
	char calls[32], total[32];
	format_count(calls, sizeof(calls), number_of(json_object_get(own, "calls")));
	format_duration(total, sizeof(total), number_of(json_object_get(own, "total_seconds")));
	buf_printf(l, " (agent %s calls, %s, %s)", calls, total,
		   json_is_true(json_object_get(q, "include_own")) ? "listed" : "not listed");
}

static void render_summary(struct table *t, const json_t *q, const json_t *targets, size_t shown,
			   size_t listed)
{
	struct buf *l = &t->line;
	char matched[32], calls[32], total[32];
	const char *name = string_of(q, "target");
	const char *state = target_state(targets, name);
	const json_t *totals = json_object_get(q, "totals");
	double n = number_of(json_object_get(q, "matched"));

	put_field(l, "", name, "?");
	if (state)
		buf_printf(l, " (%s)", state);
	put_field(l, "  window ", string_of(q, "window"), "?");
	if (string_of(q, "baseline_window")) {
		put_field(l, " (baseline ", string_of(q, "baseline_window"), "?");
		buf_putc(l, ')');
	}
	put_field(l, "  sort ", string_of(q, "sort"), "?");
	format_count(matched, sizeof(matched), n);
	format_count(calls, sizeof(calls), number_of(json_object_get(totals, "calls")));
	format_duration(total, sizeof(total), number_of(json_object_get(totals, "total_seconds")));
	buf_printf(l, "  %s statement%s", matched, n == 1 ? "" : "s");
	if (shown < listed)
		buf_printf(l, " (%zu shown)", shown);
	double ncalls = number_of(json_object_get(totals, "calls"));
	buf_printf(l, ", %s call%s, %s total", calls, ncalls == 1 ? "" : "s", total);
	put_own(l, q);
	put_field(l, "  collected ", string_of(q, "collected_at"), "never");
	table_end_line(t);
}

static void render_titles(struct table *t)
{
	struct cells titles = { .slower = 0 };
	for (int k = 0; k < NCOLUMNS; k++) {
		snprintf(titles.number[k], sizeof(titles.number[k]), "%s", column_defs[k].title);
		titles.text[k] = column_defs[k].title;
	}
	put_cells(t, &titles);
	buf_puts(&t->line, "query");
	table_end_line(t);
}

static void statement_cells(const json_t *s, struct cells *c)
{
	double mean = number_of(json_object_get(s, "mean_seconds"));
	double baseline = number_of(json_object_get(s, "baseline_mean_seconds"));
	const char *db = string_of(s, "datname"), *user = string_of(s, "user");

	const size_t n = sizeof(c->number[0]);
	memset(c, 0, sizeof(*c));
	c->slower = !isnan(mean) && !isnan(baseline) && mean > 2 * baseline;
	format_duration(c->number[COL_TOTAL], n, number_of(json_object_get(s, "total_seconds")));
	format_duration(c->number[COL_MEAN], n, mean);
	format_duration(c->number[COL_BASELINE], n, baseline);
	format_count(c->number[COL_CALLS], n, number_of(json_object_get(s, "calls")));
	format_ratio(c->number[COL_RATE], n, number_of(json_object_get(s, "calls_per_second")));
	format_ratio(c->number[COL_ROWS], n, number_of(json_object_get(s, "rows_per_call")));
	format_percent(c->number[COL_HIT], n, number_of(json_object_get(s, "hit_ratio")));
	c->text[COL_DB] = db ? db : "-";
	c->text[COL_USER] = user ? user : "-";
}

#define OWN_MARK "[agent] "   /* before the text of the agent's own statements */
#define OWN_MARK_COLS 8u

/* The query text, cleaned into what is left of the line; without one, a
 * placeholder naming the queryid and why (query_missing: not fetched yet,
 * or PostgreSQL has none). */
static void put_query(struct table *t, const json_t *s)
{
	struct buf *l = &t->line;
	unsigned used = top_text_columns(buf_str(l), l->len);
	unsigned room = t->width > used ? t->width - used : 0;
	const char *query = string_of(s, "query");
	if (json_is_true(json_object_get(s, "own")) && room > OWN_MARK_COLS) {
		buf_puts(l, OWN_MARK);
		room -= OWN_MARK_COLS;
	}
	if (query) {
		top_clean_text(l, query, room);
		return;
	}
	struct buf note = BUF_INIT(BUF_UNLIMITED);
	const char *id = string_of(s, "queryid"), *why = string_of(s, "query_missing");
	buf_puts(&note, "[queryid ");
	top_clean_text(&note, id ? id : "?", 24);
	buf_puts(&note, ": ");
	top_clean_text(&note, why ? why : "text not fetched yet", 64);
	buf_putc(&note, ']');
	top_clean_text(l, buf_str(&note), room);
	buf_release(&note);
}

static void render_statement(struct table *t, const json_t *s)
{
	struct cells c;
	statement_cells(s, &c);
	put_cells(t, &c);
	put_query(t, s);
	table_end_line(t);
}

static int render_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int render_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void render_table(struct table *t, const json_t *q, const json_t *targets)
{
	const json_t *statements = json_object_get(q, "statements");
	size_t listed = json_array_size(statements), shown = listed;
	if (t->max_rows)
		shown = t->max_rows > 2 ? (listed < t->max_rows - 2 ? listed : t->max_rows - 2) : 0;
	choose_columns(t, statements, shown);

	render_summary(t, q, targets, shown, listed);
	render_titles(t);
	for (size_t i = 0; i < shown; i++)
		render_statement(t, json_array_get(statements, i));
	if (listed == 0) {
		buf_puts(&t->line, "(no statement ran in this window)");
		table_end_line(t);
	}
}

int top_render(const char *targets_json, const char *queries_json, unsigned width,
	       unsigned max_rows, struct buf *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *q = json_loads(queries_json ? queries_json : "", 0, &jerr);
	if (!q)
		return render_error(err, errlen, "the answer is not JSON: %s (line %d)", jerr.text,
				    jerr.line);
	if (!json_is_object(q) || !json_is_array(json_object_get(q, "statements"))) {
		json_decref(q);
		return render_error(err, errlen, "the answer is not a statement list (no \"statements\")");
	}
	json_t *targets = targets_json ? json_loads(targets_json, 0, &jerr) : NULL;
	struct table t = { .out = out, .width = width < MIN_WIDTH ? MIN_WIDTH : width,
			   .max_rows = max_rows, .line = BUF_INIT(BUF_UNLIMITED) };
	render_table(&t, q, targets);
	buf_release(&t.line);
	json_decref(targets);
	json_decref(q);
	return 0;
}

/* ---- which target, which URL --------------------------------------------------- */

void top_target_release(struct top_target *t)
{
	free(t->name);
	free(t->window);
	memset(t, 0, sizeof(*t));
}

/* The names of the postgres targets in list, cleaned, for a message. */
static void postgres_names(const json_t *list, char *dst, size_t dstlen)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	size_t i;
	const json_t *t;
	json_array_foreach(list, i, t) {
		const char *kind = string_of(t, "kind"), *name = string_of(t, "name");
		if (!kind || !name || strcmp(kind, "postgres") != 0)
			continue;
		buf_puts(&b, b.len ? ", " : "");
		top_clean_text(&b, name, 32);
	}
	snprintf(dst, dstlen, "%s", b.len ? buf_str(&b) : "none");
	buf_release(&b);
}

/* The target named name, or the first postgres one when name is NULL. */
static const json_t *find_target(const json_t *list, const char *name)
{
	size_t i;
	const json_t *t;
	json_array_foreach(list, i, t) {
		const char *tn = string_of(t, "name"), *kind = string_of(t, "kind");
		if (!tn)
			continue;
		if (name ? strcmp(tn, name) == 0 : kind && strcmp(kind, "postgres") == 0)
			return t;
	}
	return NULL;
}

/* TOP_DEFAULT_WINDOW when listed, else the first (shortest); NULL when the
 * target lists none. */
static const char *default_window(const json_t *target)
{
	const json_t *windows = json_object_get(target, "windows");
	size_t i;
	const json_t *w;
	json_array_foreach(windows, i, w)
		if (json_is_string(w) && strcmp(json_string_value(w), TOP_DEFAULT_WINDOW) == 0)
			return TOP_DEFAULT_WINDOW;
	return json_string_value(json_array_get(windows, 0));
}

static int choose_target(const json_t *list, const char *name, const char *window,
			 struct top_target *t, char *err, size_t errlen)
{
	char names[256], shown[64];
	const json_t *found = find_target(list, name);
	postgres_names(list, names, sizeof(names));
	if (!found && !name)
		return render_error(err, errlen, "the agent has no postgres target");
	top_clean_into(shown, sizeof(shown), name ? name : string_of(found, "name"), 32);
	if (!found)
		return render_error(err, errlen, "no target \"%s\" (postgres targets: %s)", shown, names);
	const char *kind = string_of(found, "kind");
	if (!kind || strcmp(kind, "postgres") != 0) {
		char k[32];
		top_clean_into(k, sizeof(k), kind ? kind : "unknown", 16);
		return render_error(err, errlen, "target \"%s\" is a %s target, top shows postgres ones "
				    "(%s)", shown, k, names);
	}
	const char *w = window ? window : default_window(found);
	t->name = xstrdup(string_of(found, "name"));
	t->window = w ? xstrdup(w) : NULL;
	double interval = number_of(json_object_get(found, "interval_seconds"));
	t->interval_seconds = isfinite(interval) && interval > 0 ? interval : 0;
	return 0;
}

int top_pick_target(const char *targets_json, const char *name, const char *window,
		    struct top_target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	json_error_t jerr;
	json_t *root = json_loads(targets_json ? targets_json : "", 0, &jerr);
	if (!root)
		return render_error(err, errlen, "the answer is not JSON: %s (line %d)", jerr.text,
				    jerr.line);
	const json_t *list = json_object_get(root, "targets");
	int rc = json_is_array(list) ? choose_target(list, name, window, t, err, errlen)
				     : render_error(err, errlen, "the answer has no \"targets\" list");
	json_decref(root);
	return rc;
}

/* Percent-encodes all but RFC 3986's unreserved characters. */
static void put_url_encoded(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf_putc(b, (char)*p);
		} else {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_append(b, esc, sizeof(esc));
		}
	}
}

void top_targets_url(const struct top_options *o, struct buf *url)
{
	buf_printf(url, "%.*s/api/targets", (int)o->url_len, o->url);
}

void top_queries_url(const struct top_options *o, const struct top_target *t, struct buf *url)
{
	buf_printf(url, "%.*s/api/queries?target=", (int)o->url_len, o->url);
	put_url_encoded(url, t->name);
	if (t->window) {
		buf_puts(url, "&window=");
		put_url_encoded(url, t->window);
	}
	buf_puts(url, "&sort=");
	put_url_encoded(url, o->sort);
	buf_printf(url, "&limit=%u", o->limit);
	if (o->include_own)
		buf_puts(url, "&include_own=1");
}

void top_advice_url(const struct top_options *o, const struct top_target *t, struct buf *url)
{
	buf_printf(url, "%.*s/api/advice?target=", (int)o->url_len, o->url);
	put_url_encoded(url, t->name);
	const char *names[] = { "db", "kind", "severity" };
	const char *values[] = { o->db, o->kind, o->severity };
	for (size_t i = 0; i < 3; i++)
		if (values[i]) {
			buf_printf(url, "&%s=", names[i]);
			put_url_encoded(url, values[i]);
		}
}

void top_http_error(long status, const char *body, char *msg, size_t msglen)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	json_t *root = body ? json_loads(body, 0, NULL) : NULL;
	const char *error = string_of(root, "error");
	buf_printf(&b, "HTTP %ld", status);
	if (error) {
		buf_puts(&b, ": ");
		top_clean_text(&b, error, 200);
		const json_t *allowed = json_object_get(root, "allowed");
		size_t i;
		const json_t *a;
		json_array_foreach(allowed, i, a) {
			buf_puts(&b, i ? ", " : " (allowed: ");
			top_clean_text(&b, json_string_value(a), 32);
		}
		if (json_array_size(allowed))
			buf_putc(&b, ')');
	} else if (body && *body) {
		buf_puts(&b, ": ");
		top_clean_text(&b, body, 120);
	}
	snprintf(msg, msglen, "%s", buf_str(&b));
	json_decref(root);
	buf_release(&b);
}

/* ---- dbpulse advise --------------------------------------------------------- */

/* A line of `width` columns at most: indent, then s cleaned. */
static void advise_line(struct buf *out, unsigned width, unsigned indent, const char *s)
{
	buf_printf(out, "%*s", (int)indent, "");
	top_clean_text(out, s, width > indent + MIN_WIDTH ? width - indent : MIN_WIDTH);
	buf_putc(out, '\n');
}

/* "name=value name=value ...": a finding's evidence on one line. */
static void advise_evidence(struct buf *line, const json_t *evidence)
{
	buf_puts(line, "evidence:");
	for (void *it = json_object_iter((json_t *)evidence); it;
	     it = json_object_iter_next((json_t *)evidence, it)) {
		const char *key = json_object_iter_key(it);
		const json_t *v = json_object_iter_value(it);
		char *text = json_is_string(v) ? xstrdup(json_string_value(v))
					       : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
		buf_printf(line, " %s=%s", key, text ? text : "?");
		free(text);
	}
}

/* A plan node and its children as EXPLAIN's text shows them, a line each:
 * "-> Seq Scan on public.t (cost=0.00..1.00 rows=10)". */
static void advise_plan_node(struct buf *out, unsigned width, unsigned depth, const json_t *node)
{
	struct buf line = BUF_INIT(BUF_UNLIMITED);
	const char *type = string_of(node, "Node Type"), *rel = string_of(node, "Relation Name");
	const char *schema = string_of(node, "Schema"), *index = string_of(node, "Index Name");
	buf_printf(&line, "%s%s", depth ? "-> " : "", type ? type : "?");
	if (index) {
		buf_puts(&line, " using ");
		buf_put_sql_ident(&line, index);
	}
	if (rel) {
		buf_puts(&line, " on ");
		if (schema) {
			buf_put_sql_ident(&line, schema);
			buf_putc(&line, '.');
		}
		buf_put_sql_ident(&line, rel);
	}
	buf_printf(&line, "  (cost=%.2f..%.2f rows=%.0f)",
		   json_number_value(json_object_get(node, "Startup Cost")),
		   json_number_value(json_object_get(node, "Total Cost")),
		   json_number_value(json_object_get(node, "Plan Rows")));
	advise_line(out, width, 4 + 3 * (depth > 12 ? 12 : depth), buf_str(&line));
	buf_release(&line);
	size_t i;
	const json_t *child;
	json_array_foreach(json_object_get(node, "Plans"), i, child)
		advise_plan_node(out, width, depth + 1, child);
}

/* A plan finding's statement and tree, in place of its evidence. */
static void advise_plan(struct buf *out, unsigned width, const json_t *evidence)
{
	struct buf line = BUF_INIT(BUF_UNLIMITED);
	buf_puts(&line, "statement: ");
	buf_puts(&line, string_of(evidence, "query") ? string_of(evidence, "query") : "?");
	advise_line(out, width, 2, buf_str(&line));
	buf_release(&line);
	const json_t *plan = json_object_get(evidence, "plan");
	if (json_is_object(plan)) {
		advise_line(out, width, 2, "generic plan:");
		advise_plan_node(out, width, 0, plan);
	}
}

/* One finding: its head line, summary, evidence and SQL. */
static void advise_finding(struct buf *out, unsigned width, const json_t *f)
{
	struct buf line = BUF_INIT(BUF_UNLIMITED);
	const char *schema = string_of(f, "schema"), *table = string_of(f, "table");
	const char *object = string_of(f, "object"), *severity = string_of(f, "severity");
	char upper[16] = "";
	for (size_t i = 0; severity && severity[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(severity[i] >= 'a' && severity[i] <= 'z' ? severity[i] - 32 : severity[i]);
	buf_printf(&line, "%-8s  %s  database %s", upper, string_of(f, "kind") ? string_of(f, "kind") : "?",
		   string_of(f, "datname") ? string_of(f, "datname") : "?");
	if (table) {
		buf_puts(&line, "  table ");
		buf_put_sql_ident(&line, schema ? schema : "?");
		buf_putc(&line, '.');
		buf_put_sql_ident(&line, table);
	}
	const char *kind = string_of(f, "kind");
	int plan = kind && strcmp(kind, "plan") == 0;
	if (object && plan) {
		buf_puts(&line, "  statement ");
		buf_puts(&line, object);
	} else if (object) {
		buf_putc(&line, ' ');
		buf_put_sql_ident(&line, object);
	}
	advise_line(out, width, 0, buf_str(&line));
	advise_line(out, width, 2, string_of(f, "summary"));
	buf_reset(&line);
	if (plan) {
		advise_plan(out, width, json_object_get(f, "evidence"));
	} else {
		advise_evidence(&line, json_object_get(f, "evidence"));
		advise_line(out, width, 2, buf_str(&line));
	}
	const char *sql = string_of(f, "action_sql");
	if (sql) {
		advise_line(out, width, 2, "SQL (run each statement on its own):");
		for (const char *p = sql; *p;) {
			size_t n = strcspn(p, "\n");
			char *one = xstrndup(p, n);
			advise_line(out, width, 4, one);
			free(one);
			p += n + (p[n] == '\n');
		}
	}
	buf_putc(out, '\n');
	buf_release(&line);
}

int advise_render(const char *advice_json, unsigned width, struct buf *out, char *err,
		  size_t errlen)
{
	json_t *root = json_loads(advice_json ? advice_json : "", 0, NULL);
	const json_t *findings = json_object_get(root, "findings");
	const json_t *counts = json_object_get(root, "counts");
	if (!json_is_array(findings) || !json_is_object(counts)) {
		json_decref(root);
		snprintf(err, errlen, "the answer is not an /api/advice object");
		return -1;
	}
	struct buf line = BUF_INIT(BUF_UNLIMITED);
	const json_t *dbs = json_object_get(root, "databases");
	buf_printf(&line, "target %s, pass at %s (%.2f s) over %zu database%s: %lld critical, "
		   "%lld warning, %lld info",
		   string_of(root, "target") ? string_of(root, "target") : "?",
		   string_of(root, "started_at") ? string_of(root, "started_at") : "?",
		   number_of(json_object_get(root, "duration_seconds")), json_array_size(dbs),
		   json_array_size(dbs) == 1 ? "" : "s",
		   (long long)json_integer_value(json_object_get(counts, "critical")),
		   (long long)json_integer_value(json_object_get(counts, "warning")),
		   (long long)json_integer_value(json_object_get(counts, "info")));
	advise_line(out, width, 0, buf_str(&line));
	buf_putc(out, '\n');
	for (size_t i = 0; i < json_array_size(findings); i++)
		advise_finding(out, width, json_array_get(findings, i));
	if (json_array_size(findings) == 0)
		advise_line(out, width, 0, "No finding.");
	const json_t *notes = json_object_get(root, "notes");
	if (json_array_size(notes))
		advise_line(out, width, 0, "Notes:");
	for (size_t i = 0; i < json_array_size(notes); i++) {
		const json_t *v = json_array_get(notes, i);
		buf_reset(&line);
		const char *db = string_of(v, "datname"), *kind = string_of(v, "kind");
		if (db)
			buf_printf(&line, "database %s: ", db);
		if (kind)
			buf_printf(&line, "%s: ", kind);
		buf_puts(&line, string_of(v, "text") ? string_of(v, "text") : "");
		advise_line(out, width, 2, buf_str(&line));
	}
	buf_release(&line);
	json_decref(root);
	return 0;
}
