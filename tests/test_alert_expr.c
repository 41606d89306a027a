/*
 * test_alert_expr.c -- the alert expression language: good rules parse to
 * their normal form, bad ones fail with a message and the offset of the bad
 * token; evaluation over synthetic collections: matchers (regex anchoring,
 * empty values), window functions across counter resets and expiry,
 * arithmetic with matching labels, ignoring()/on() vector matching, the
 * 'and' filter, history bounds, targets kept apart; normal forms parse
 * back to themselves.
 */
#include "autoconfig.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert.h"
#include "buf.h"
#include "expr.h"
#include "metrics.h"
#include "regex_check.h"

/* ---- a fake collection --------------------------------------------------- */

struct fake {
	struct batch *b;
	struct expr_series s[64];
	size_t n;
};

static size_t fake_family(void *ctx, const char *name, const struct expr_series **out)
{
	struct fake *f = ctx;
	f->n = 0;
	for (size_t i = 0; i < f->b->nsamples && f->n < 64; i++) {
		const struct batch_sample *x = &f->b->samples[i];
		if (strcmp(batch_str(f->b, f->b->families[x->family].name_off), name) != 0)
			continue;
		f->s[f->n++] = (struct expr_series){ batch_str(f->b, x->labels_off), x->labels_len,
						     x->nlabels, x->value };
	}
	*out = f->s;
	return f->n;
}

static struct expr *parse_ok(const char *src)
{
	struct expr *e = NULL;
	char err[256];
	size_t pos;
	if (expr_parse(src, &e, err, sizeof(err), &pos) < 0)
		fail_msg("'%s': %s at %zu", src, err, pos);
	return e;
}

static void assert_normal(const char *src, const char *want)
{
	struct expr *e = parse_ok(src);
	struct buf out = BUF_INIT(4096);
	expr_format(e, &out);
	assert_string_equal(buf_str(&out), want);
	buf_release(&out);
	expr_free(e);
}

static void assert_bad(const char *src, const char *msg, size_t want_pos)
{
	struct expr *e = NULL;
	char err[256];
	size_t pos = 999;
	assert_int_equal(expr_parse(src, &e, err, sizeof(err), &pos), -1);
	assert_null(e);
	if (!strstr(err, msg))
		fail_msg("'%s': got '%s', want '%s'", src, err, msg);
	assert_int_equal(pos, want_pos);
}

/* Evaluates e over b at now; values by key into a small table. */
static size_t eval(struct expr *e, struct batch *b, double now, struct expr_result *r)
{
	struct fake f = { .b = b };
	struct expr_source src = { fake_family, &f };
	assert_int_equal(expr_eval(e, &src, now, r), 0);
	return r->n;
}

static double value_of(const struct expr_result *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].key, key) == 0)
			return r->v[i].value;
	fail_msg("no series %s", key);
	return NAN;
}

static const struct metric_desc m_c = { "c_total", "C.", METRIC_COUNTER };
static const struct metric_desc m_g = { "g", "G.", METRIC_GAUGE };
static const struct metric_desc m_h = { "h", "H.", METRIC_GAUGE };
static const struct metric_desc m_mean = { "pg_statement_mean_seconds", "M.", METRIC_GAUGE };
static const struct metric_desc m_calls = { "pg_statement_calls_per_second", "C.", METRIC_GAUGE };

/* The item's labels as "name=value,..." in their sorted order. */
static const char *item_labels(const struct expr_result *r, const char *key, char *out, size_t len)
{
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->v[i].key, key) != 0)
			continue;
		struct alert_labels l = { 0 };
		expr_item_labels(&r->v[i], &l);
		size_t at = 0;
		out[0] = '\0';
		for (size_t j = 0; j < l.n; j++)
			at += (size_t)snprintf(out + at, len - at, "%s%s=%s", j ? "," : "", l.v[j].name,
					       l.v[j].value);
		alert_labels_release(&l);
		return out;
	}
	fail_msg("no series %s", key);
	return NULL;
}

/* ---- parsing ---------------------------------------------------------------- */

static void test_parse_good(void **state)
{
	(void)state;
	assert_normal("pg_up == 0", "pg_up == 0");
	assert_normal("  pg_up{target=\"main\"}>=1e3 ", "pg_up{target=\"main\"} >= 1000");
	assert_normal("x{a='b', c!=\"d\", e=~\"f.*\", g!~'h',} < -0.5",
		      "x{a=\"b\",c!=\"d\",e=~\"f.*\",g!~\"h\"} < -0.5");
	assert_normal("rate(c_total[5m]) > 10", "rate(c_total[5m]) > 10");
	assert_normal("increase( c_total{db=\"x\"} [1h30m] ) != 0",
		      "increase(c_total{db=\"x\"}[1h30m]) != 0");
	assert_normal("avg_over_time(g[30s]) <= +Inf", "avg_over_time(g[30s]) <= +Inf");
	assert_normal("max_over_time(g[1d]) > 1", "max_over_time(g[1d]) > 1");
	assert_normal("min_over_time(g[500ms]) > 1", "min_over_time(g[500ms]) > 1");
	assert_normal("a / b > 0.9", "a / b > 0.9");
	assert_normal("x/1024>5", "x / 1024 > 5");
	assert_normal("100 * x > 5", "100 * x > 5");
	assert_normal("rate(a[5m]) - rate(b[5m]) > 0", "rate(a[5m]) - rate(b[5m]) > 0");
	assert_normal("ns:metric_1 > nan", "ns:metric_1 > NaN");
	assert_normal("x{v=\"a\\\"b\\\\c\\n\"} > 1", "x{v=\"a\\\"b\\\\c\\n\"} > 1");
	struct expr *e = parse_ok("rate(a[1m]) / b > 2");
	const char *names[EXPR_MAX_METRICS];
	assert_int_equal(expr_metrics(e, names), 2);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	assert_string_equal(expr_op_name(e), ">");
	assert_true(expr_threshold(e) == 2);
	expr_free(e);
}

static void test_parse_matching(void **state)
{
	(void)state;
	assert_normal("a / ignoring(window) b > 3", "a / ignoring(window) b > 3");
	assert_normal("a/on( x ,y, )b>1", "a / on(x, y) b > 1");
	assert_normal("rate(a[5m]) - ignoring (instance,window) rate(b[5m]) > 0",
		      "rate(a[5m]) - ignoring(instance, window) rate(b[5m]) > 0");
	assert_normal("x > 0.5 and y > 0.1", "x > 0.5 and y > 0.1");
	assert_normal("x{a=\"b\"}>0.5 and  ignoring(window)y*2<=4",
		      "x{a=\"b\"} > 0.5 and ignoring(window) y * 2 <= 4");
	assert_normal("x > 1 and on(db) rate(c_total[1m]) / on(db) g > 0",
		      "x > 1 and on(db) rate(c_total[1m]) / on(db) g > 0");
	/* without '(' the words are metric names */
	assert_normal("x / on > 1", "x / on > 1");
	assert_normal("on > 1 and and > 2", "on > 1 and and > 2");
	assert_normal("ignoring > 1 and ignoring(a) on > 2", "ignoring > 1 and ignoring(a) on > 2");
	/* the left cond's comparison describes the rule */
	struct expr *e = parse_ok("pg_statement_mean_seconds{window=\"5m\"} / ignoring(window) "
				  "pg_statement_mean_seconds{window=\"1h\"} > 3 and ignoring(window) "
				  "pg_statement_calls_per_second{window=\"5m\"} >= 1");
	assert_string_equal(expr_op_name(e), ">");
	assert_true(expr_threshold(e) == 3);
	assert_true(expr_compare(e, 3.5, 3));
	assert_false(expr_compare(e, 1, 3));   /* not the right side's >= 1 */
	const char *names[EXPR_MAX_METRICS];
	assert_int_equal(expr_metrics(e, names), 2);   /* each once */
	assert_string_equal(names[0], "pg_statement_mean_seconds");
	assert_string_equal(names[1], "pg_statement_calls_per_second");
	expr_free(e);
	e = parse_ok("a / b > 1 and rate(c[1m]) - d > 0");
	assert_int_equal(expr_metrics(e, names), 4);
	assert_string_equal(names[2], "c");
	assert_string_equal(names[3], "d");
	expr_free(e);
}

/* What regcomp would choke on is refused before it sees it, as RE2 and
 * Go's regexp refuse it (fuzz_expr-nested-repetition-regex-oom: "a+++..."
 * took glibc minutes and gigabytes). */
static void test_regex_check(void **state)
{
	static const char *const good[] = {
		"", "a+", "(a+)+", "a*b+c?d{2}e{1,3}f{2,}", "\\++\\*", "a\\{2}*", "[+*]+", "[]+]*",
		"[^]*]+", "[[:alpha:]]+", "[[:alpha:]*]+", "a{", "a{x}+", "(a{10}){100}",
		"a{1000}", "((a{10}){10}){10}", "(a|b*)+c", "^a*$", "(a{1000})(b{1000})",
	};
	static const struct { const char *re, *msg; } bad[] = {
		{ "a++", "invalid nested repetition operator '++' at column 2" },
		{ "ab**c", "invalid nested repetition operator '**' at column 3" },
		{ "a*?", "invalid nested repetition operator '*?' at column 2" },
		{ "(x)?+", "invalid nested repetition operator '?+' at column 4" },
		{ "a{2}{3}", "invalid nested repetition operator '{2}{3}' at column 2" },
		{ "a+{1,2}", "invalid nested repetition operator '+{1,2}' at column 2" },
		{ "[a]++", "invalid nested repetition operator '++' at column 4" },
		{ "\\a++", "invalid nested repetition operator '++' at column 3" },
		{ "a{1001}", "invalid repeat count '{1001}' at column 2" },
		{ "a{2,99999999999999999999}", "invalid repeat count '{2,99999999999999999999}' at column 2" },
		{ "(a{100}){11}", "repetition too large (nested counts multiply past 1000) '{11}' at column 9" },
		{ "((a{10}b)c{2}){101}",
		  "repetition too large (nested counts multiply past 1000) '{101}' at column 15" },
	};
	char err[160];
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (regex_check(good[i], err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (regex_check(bad[i].re, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i].re);
		if (strcmp(err, bad[i].msg) != 0)
			fail_msg("'%s': got '%s', want '%s'", bad[i].re, err, bad[i].msg);
	}
	/* long patterns and deep nesting */
	char big[REGEX_MAX_LEN + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(regex_check(big, err, sizeof(err)), -1);
	assert_string_equal(err, "regular expression too long (4097 bytes, at most 4096)");
	big[REGEX_MAX_LEN] = '\0';
	assert_int_equal(regex_check(big, err, sizeof(err)), 0);
	memset(big, '(', REGEX_MAX_DEPTH + 1);
	big[REGEX_MAX_DEPTH + 1] = '\0';
	assert_int_equal(regex_check(big, err, sizeof(err)), -1);
	assert_string_equal(err, "regular expression nests too deeply (more than 1000 groups) at column 1001");
	/* in a label matcher, at the string */
	assert_bad("x{a=~\"pg_sga+++++++++++++++++++++++++++++++++++++\"} > 1",
		   "invalid regular expression: invalid nested repetition operator '++' at column 7", 5);
	assert_bad("x{a!~'b{1,2}*'} > 1",
		   "invalid regular expression: invalid nested repetition operator '{1,2}*' at column 2", 5);
	struct expr *e = NULL;
	assert_int_equal(expr_parse("x{a=~\"(a+)+\"} > 1", &e, err, sizeof(err), NULL), 0);
	expr_free(e);
}

static void test_parse_bad(void **state)
{
	(void)state;
	assert_bad("pg_up", "expected a comparison operator", 5);
	assert_bad("pg_up 0", "expected a comparison operator", 6);
	assert_bad("pg_x >> 5", "expected a number after '>'", 6);
	assert_bad("ratee(x[5m]) > 1", "unknown function 'ratee' (did you mean 'rate'?)", 0);
	assert_bad("sum(x) > 1", "unknown function 'sum'", 0);
	assert_bad("rate(x) > 1", "rate() needs a range like [5m] after the selector", 6);
	assert_bad("rate(x[5]) > 1", "expected a duration unit", 8);
	assert_bad("rate(x[0s]) > 1", "expected a duration like 5m", 7);
	assert_bad("x{a=\"b} > 1", "unterminated string", 4);
	assert_bad("x{a=~\"(\"} > 1", "invalid regular expression", 5);
	assert_bad("x{a} > 1", "expected =, !=, =~ or !~", 3);
	assert_bad("x{a=\"b\" c=\"d\"} > 1", "expected ',' or '}'", 8);
	assert_bad("rate(x[5m])) > 1", "expected a comparison operator", 11);
	assert_bad("x > 1 2", "trailing input after the threshold", 6);
	assert_bad("1 + 2 > 1", "one side of '+' must be a metric", 0);
	assert_bad("5 > 1", "must start with a metric", 0);
	assert_bad("", "expected a metric name or a function", 0);
	assert_bad("x > ", "expected a number after '>'", 4);
	assert_bad("x{1a=\"b\"} > 1", "expected a label name", 2);
	/* modifiers */
	assert_bad("a / ignore(window) b > 1", "unknown modifier 'ignore' (did you mean 'ignoring'?)", 4);
	assert_bad("a / by(window) b > 1", "unknown modifier 'by' (ignoring or on)", 4);
	assert_bad("x > 1 and onn(a) y > 1", "unknown modifier 'onn' (did you mean 'on'?)", 10);
	assert_bad("a / ignoring() b > 1", "empty label list: ignoring() needs at least one label", 12);
	assert_bad("a / on( ) b > 1", "empty label list: on()", 6);
	assert_bad("a / ignoring(window b > 1", "expected ',' or ')' after a label name", 20);
	assert_bad("a / ignoring(window", "unterminated label list after 'ignoring': missing ')'", 12);
	assert_bad("a / ignoring(window,", "unterminated label list", 12);
	assert_bad("a / on(1x) b > 1", "expected a label name in on(...)", 7);
	assert_bad("a / ignoring window > 1", "expected '(' and label names after 'ignoring'", 13);
	assert_bad("ignoring(window) a > 1", "'ignoring' must follow an arithmetic operator or 'and'", 0);
	assert_bad("a ignoring(window) / b > 1", "'ignoring' must follow an arithmetic operator", 2);
	assert_bad("a / b on(x) > 1", "'on' must follow an arithmetic operator or 'and'", 6);
	assert_bad("a > 1 on(x) b > 1", "'on' must follow an arithmetic operator or 'and'", 6);
	assert_bad("a / ignoring(w) 2 > 1", "ignoring() needs a metric on both sides of '/'", 4);
	assert_bad("2 * on(w) a > 1", "on() needs a metric on both sides of '*'", 4);
	assert_bad("a / on(x) group_left b > 1", "group_left is not supported", 10);
	assert_bad("a / on(x) ignoring(y) b > 1", "only one modifier: 'ignoring' after on()", 10);
	assert_bad("x > 1 and ignoring(a) on(b) y > 1", "only one modifier: 'on' after ignoring()", 22);
	/* and */
	assert_bad("a > 1 and", "'and' must be followed by a comparison", 9);
	assert_bad("a > 1 and  ", "'and' must be followed by a comparison", 11);
	assert_bad("a > 1 and b", "after the expression ('and' needs a full comparison)", 11);
	assert_bad("a > 1 and b / c", "('and' needs a full comparison)", 15);
	assert_bad("a > 1 and b >", "expected a number after '>'", 13);
	assert_bad("a > 1 and 5 > 1", "the comparison after 'and' must start with a metric", 10);
	assert_bad("a > 1 and ignoring(x)", "'and' must be followed by a comparison", 21);
	assert_bad("a > 1 and b > 1 and c > 1", "only one 'and' is supported", 16);
	assert_bad("x > 1 AND y > 1", "write 'and' in lower case", 6);
	assert_bad("a > 1 or b > 1", "'or' is not supported (only 'and')", 6);
	assert_bad("a > 1 unless b > 1", "'unless' is not supported", 6);
	assert_bad("a > 1 and b > 1 2", "trailing input after the threshold", 16);
	assert_bad("a and b > 1", "expected a comparison operator", 2);
}

/* The normal form parses back to a rule with the same normal form. */
static void test_format_round_trip(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"pg_up == 0",
		"x{a='b', c!=\"d\", e=~\"f.*\", g!~'h',} < -0.5",
		"increase( c_total{db=\"x\"} [1h30m] ) != 0",
		"x{v=\"a\\\"b\\\\c\\n\"} > 1e-7",
		"100*x>5",
		"a/ignoring(window)b>3",
		"a / on(x,y,) b != NaN",
		/* one expression over three lines */
		"pg_statement_mean_seconds{window=\"5m\"} / ignoring(window) " // NOLINT(bugprone-suspicious-missing-comma)
		"pg_statement_mean_seconds{window=\"1h\"} > 3 and ignoring(window) "
		"pg_statement_calls_per_second{window=\"5m\"} >= 1",
		"pg_statement_mean_seconds{window=\"5m\"} > 0.5 and ignoring(window) "
		"pg_statement_calls_per_second{window=\"5m\"} > 0.1",
		"rate(a[5m]) > 1 and on(db) max_over_time(b[1h]) / on(db, target) c <= +Inf",
		"x > 1 and y * 2 < 0.3",
		"on > 1 and and > 2",
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct expr *e = parse_ok(rules[i]);
		struct buf once = BUF_INIT(4096), twice = BUF_INIT(4096);
		expr_format(e, &once);
		struct expr *back = parse_ok(buf_str(&once));
		expr_format(back, &twice);
		assert_string_equal(buf_str(&twice), buf_str(&once));
		assert_string_equal(expr_op_name(back), expr_op_name(e));
		assert_true(expr_threshold(back) == expr_threshold(e) ||
			    (isnan(expr_threshold(back)) && isnan(expr_threshold(e))));
		buf_release(&once);
		buf_release(&twice);
		expr_free(back);
		expr_free(e);
	}
}

static void test_caret(void **state)
{
	(void)state;
	struct buf out = BUF_INIT(4096);
	expr_caret("pg_x >> 5", 6, &out);
	assert_string_equal(buf_str(&out), "  pg_x >> 5\n        ^\n");
	buf_reset(&out);
	expr_caret("x", 5, &out);   /* past the end: after the last character */
	assert_string_equal(buf_str(&out), "  x\n   ^\n");
	buf_release(&out);
}

/* ---- evaluation ---------------------------------------------------------------- */

static void test_matchers(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	batch_add(b, &m_g, 1, "target", "t", "db", "ab", NULL);
	batch_add(b, &m_g, 2, "target", "t", "db", "abc", NULL);
	batch_add(b, &m_g, 3, "target", "t", NULL);
	struct expr_result r = { 0 };
	struct expr *e = parse_ok("g{db=~\"ab\"} > 0");
	assert_int_equal(eval(e, b, 100, &r), 1);   /* anchored: not "abc" */
	assert_true(value_of(&r, "{db=\"ab\",target=\"t\"}") == 1);
	expr_free(e);
	e = parse_ok("g{db=\"\"} > 0");   /* matches the series without db */
	assert_int_equal(eval(e, b, 100, &r), 1);
	assert_true(value_of(&r, "{target=\"t\"}") == 3);
	expr_free(e);
	e = parse_ok("g{db!~\"a.*\",target=\"t\"} > 0");
	assert_int_equal(eval(e, b, 100, &r), 1);
	expr_free(e);
	e = parse_ok("g{db!=\"ab\"} > 0");
	assert_int_equal(eval(e, b, 100, &r), 2);
	/* labels of an item, sorted */
	struct alert_labels l = { 0 };
	expr_item_labels(&r.v[0], &l);
	assert_string_equal(l.v[0].name, "db");
	alert_labels_release(&l);
	expr_free(e);
	e = parse_ok("nothing > 0");
	assert_int_equal(eval(e, b, 100, &r), 0);
	expr_free(e);
	/* comparisons, NaN */
	e = parse_ok("g > 1");
	assert_true(expr_compare(e, 2, 1));
	assert_false(expr_compare(e, 1, 1));
	assert_false(expr_compare(e, NAN, 1));
	expr_free(e);
	e = parse_ok("g != 1");
	assert_true(expr_compare(e, NAN, 1));
	expr_free(e);
	expr_result_release(&r);
	batch_free(b);
}

static double eval_counter(struct expr *e, double t, double v, struct expr_result *r)
{
	struct batch *b = batch_new();
	batch_add(b, &m_c, v, "target", "t", NULL);
	size_t n = eval(e, b, t, r);
	batch_free(b);
	return n ? r->v[0].value : NAN;
}

static void test_rate_and_increase(void **state)
{
	(void)state;
	struct expr_result r = { 0 };
	struct expr *inc = parse_ok("increase(c_total[1m]) > 0");
	struct expr *rate = parse_ok("rate(c_total[1m]) > 0");
	assert_true(isnan(eval_counter(inc, 0, 100, &r)));   /* one point: no value */
	assert_true(isnan(eval_counter(rate, 0, 100, &r)));
	assert_true(eval_counter(inc, 10, 1100, &r) == 1000);   /* exact, not extrapolated */
	assert_true(eval_counter(rate, 10, 1100, &r) == 100);
	/* a restart: 1100 -> 50 counts 50 */
	assert_true(eval_counter(inc, 20, 50, &r) == 1050);
	assert_true(eval_counter(rate, 20, 50, &r) == 1050.0 / 20);
	/* the first points leave the window */
	assert_true(eval_counter(inc, 65, 60, &r) == 1060 - 1000);
	assert_int_equal(expr_history_series(inc), 1);
	/* a long silence: the history expires and is dropped */
	assert_true(isnan(eval_counter(inc, 1000, 70, &r)));
	struct batch *empty = batch_new();
	eval(inc, empty, 2000, &r);
	assert_int_equal(expr_history_series(inc), 0);
	batch_free(empty);
	expr_free(inc);
	expr_free(rate);
	expr_result_release(&r);
}

static void test_over_time(void **state)
{
	(void)state;
	struct expr_result r = { 0 };
	struct expr *avg = parse_ok("avg_over_time(c_total[30s]) > 0");
	struct expr *max = parse_ok("max_over_time(c_total[30s]) > 0");
	struct expr *min = parse_ok("min_over_time(c_total[30s]) > 0");
	double vals[] = { 4, 8, 6, 2 };
	for (int i = 0; i < 4; i++) {
		eval_counter(avg, i * 10, vals[i], &r);
		eval_counter(max, i * 10, vals[i], &r);
		eval_counter(min, i * 10, vals[i], &r);
	}
	/* at t=30 the window (0, 30] holds 8, 6, 2 */
	assert_true(eval_counter(avg, 30, 2, &r) == (8 + 6 + 2) / 3.0);
	assert_true(eval_counter(max, 30, 2, &r) == 8);
	assert_true(eval_counter(min, 30, 2, &r) == 2);
	expr_free(avg);
	expr_free(max);
	expr_free(min);
	expr_result_release(&r);
}

static void test_arithmetic(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	batch_add(b, &m_g, 90, "target", "t", "db", "a", NULL);
	batch_add(b, &m_g, 10, "target", "t", "db", "b", NULL);
	batch_add(b, &m_g, 5, "target", "t", "db", "only_g", NULL);
	batch_add(b, &m_h, 100, "target", "t", "db", "a", NULL);
	batch_add(b, &m_h, 0, "target", "t", "db", "b", NULL);
	struct expr_result r = { 0 };
	struct expr *e = parse_ok("g / h > 0.8");
	assert_int_equal(eval(e, b, 1, &r), 2);   /* only_g has no partner */
	assert_true(value_of(&r, "{db=\"a\",target=\"t\"}") == 0.9);
	assert_true(isinf(value_of(&r, "{db=\"b\",target=\"t\"}")));
	expr_free(e);
	e = parse_ok("100 * g > 0");
	assert_int_equal(eval(e, b, 1, &r), 3);
	assert_true(value_of(&r, "{db=\"b\",target=\"t\"}") == 1000);
	expr_free(e);
	e = parse_ok("g - 5 > 0");
	eval(e, b, 1, &r);
	assert_true(value_of(&r, "{db=\"only_g\",target=\"t\"}") == 0);
	expr_free(e);
	expr_result_release(&r);
	batch_free(b);
}

static void test_ignoring_and_on(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	batch_add(b, &m_g, 6, "target", "t", "db", "a", "window", "5m", NULL);
	batch_add(b, &m_g, 2, "target", "t", "db", "a", "window", "1h", NULL);
	batch_add(b, &m_g, 1, "target", "t", "db", "b", "window", "5m", NULL);
	batch_add(b, &m_g, 4, "target", "t", "db", "b", "window", "1h", NULL);
	batch_add(b, &m_g, 5, "target", "t", "db", "c", "window", "5m", NULL);   /* no 1h */
	batch_add(b, &m_h, 10, "target", "t", "db", "a", "instance", "x", NULL);
	struct expr_result r = { 0 };
	char l[256];
	/* ignoring: the window label is dropped, the rest matched */
	struct expr *e = parse_ok("g{window=\"5m\"} / ignoring(window) g{window=\"1h\"} > 0");
	assert_int_equal(eval(e, b, 1, &r), 2);
	assert_true(value_of(&r, "{db=\"a\",target=\"t\"}") == 3);
	assert_true(value_of(&r, "{db=\"b\",target=\"t\"}") == 0.25);
	assert_string_equal(item_labels(&r, "{db=\"a\",target=\"t\"}", l, sizeof(l)), "db=a,target=t");
	expr_free(e);
	/* without the modifier the label sets differ: nothing matches */
	e = parse_ok("g{window=\"5m\"} / g{window=\"1h\"} > 0");
	assert_int_equal(eval(e, b, 1, &r), 0);
	expr_free(e);
	/* on: matched on db only, the result has only db */
	e = parse_ok("g{window=\"5m\"} / on(db) h > 0");
	assert_int_equal(eval(e, b, 1, &r), 1);
	assert_true(value_of(&r, "{db=\"a\"}") == 0.6);
	assert_string_equal(item_labels(&r, "{db=\"a\"}", l, sizeof(l)), "db=a");
	expr_free(e);
	e = parse_ok("h * on(target, db) g{window=\"1h\"} > 0");
	assert_int_equal(eval(e, b, 1, &r), 1);
	assert_true(value_of(&r, "{db=\"a\",target=\"t\"}") == 20);
	expr_free(e);
	/* ignoring a label only one side has */
	e = parse_ok("h - ignoring(instance, window) g{window=\"1h\"} > 0");
	assert_int_equal(eval(e, b, 1, &r), 1);
	assert_true(value_of(&r, "{db=\"a\",target=\"t\"}") == 8);
	expr_free(e);
	expr_result_release(&r);
	batch_free(b);
}

/* A matching key that several series share matches nothing. */
static void test_duplicate_keys(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	batch_add(b, &m_g, 1, "target", "t", "db", "a", "window", "5m", NULL);
	batch_add(b, &m_g, 1, "target", "t", "db", "b", "window", "5m", NULL);
	batch_add(b, &m_h, 10, "target", "t", "db", "a", "instance", "x", NULL);
	batch_add(b, &m_h, 20, "target", "t", "db", "a", "instance", "y", NULL);
	batch_add(b, &m_h, 5, "target", "t", "db", "b", "instance", "x", NULL);
	struct expr_result r = { 0 };
	/* right side: db a twice, skipped; db b once */
	struct expr *e = parse_ok("g / ignoring(window, instance) h > 0");
	assert_int_equal(eval(e, b, 1, &r), 1);
	assert_true(value_of(&r, "{db=\"b\",target=\"t\"}") == 0.2);
	expr_free(e);
	/* on(target): every series of both sides shares one key */
	e = parse_ok("g / on(target) h > 0");
	assert_int_equal(eval(e, b, 1, &r), 0);
	expr_free(e);
	/* left side: two h series of db a would give one result twice */
	e = parse_ok("h / on(db) g > 0");
	assert_int_equal(eval(e, b, 1, &r), 1);
	assert_true(value_of(&r, "{db=\"b\"}") == 5);
	expr_free(e);
	expr_result_release(&r);
	batch_free(b);
}

static void test_and(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	batch_add(b, &m_g, 10, "target", "t", "db", "a", NULL);
	batch_add(b, &m_g, 20, "target", "t", "db", "b", NULL);
	batch_add(b, &m_g, 30, "target", "t", "db", "c", NULL);
	batch_add(b, &m_h, 1, "target", "t", "db", "a", NULL);
	batch_add(b, &m_h, 0, "target", "t", "db", "b", NULL);
	struct expr_result r = { 0 };
	/* b: the right comparison fails; c: no right series */
	struct expr *e = parse_ok("g > 5 and h > 0.5");
	assert_int_equal(eval(e, b, 1, &r), 1);
	assert_true(value_of(&r, "{db=\"a\",target=\"t\"}") == 10);
	expr_free(e);
	/* the left comparison is the engine's: values before it */
	e = parse_ok("g > 100 and h > 0.5");
	assert_int_equal(eval(e, b, 1, &r), 1);
	assert_true(value_of(&r, "{db=\"a\",target=\"t\"}") == 10);
	assert_false(expr_compare(e, r.v[0].value, expr_threshold(e)));
	expr_free(e);
	/* arithmetic on both sides; the values are the left's */
	e = parse_ok("g * 2 > 0 and 1 - h >= 0");
	assert_int_equal(eval(e, b, 1, &r), 2);
	assert_true(value_of(&r, "{db=\"a\",target=\"t\"}") == 20);
	assert_true(value_of(&r, "{db=\"b\",target=\"t\"}") == 40);
	expr_free(e);
	/* on(target): any passing right series keeps every left one */
	e = parse_ok("g > 0 and on(target) h > 0.5");
	assert_int_equal(eval(e, b, 1, &r), 3);
	expr_free(e);
	e = parse_ok("g > 0 and on(target) h > 5");
	assert_int_equal(eval(e, b, 1, &r), 0);
	expr_free(e);
	/* the right side missing altogether */
	e = parse_ok("g > 0 and nothing < 1");
	assert_int_equal(eval(e, b, 1, &r), 0);
	expr_free(e);
	expr_result_release(&r);
	batch_free(b);
}

static void test_and_window_functions(void **state)
{
	(void)state;
	struct expr_result r = { 0 };
	struct expr *e = parse_ok("g > 0 and rate(c_total[1m]) > 1");
	static const struct { double t, counter; size_t n; } steps[] = {
		{ 0, 100, 0 },     /* one point: no rate yet */
		{ 10, 1100, 1 },   /* rate 100 */
		{ 20, 1105, 1 },   /* rate 50.25 over the window */
		{ 30, 1105, 1 },   /* 33.5 */
		{ 100, 1110, 0 },  /* the window holds one point again */
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct batch *b = batch_new();
		batch_add(b, &m_g, 7, "target", "t", NULL);
		batch_add(b, &m_c, steps[i].counter, "target", "t", NULL);
		assert_int_equal(eval(e, b, steps[i].t, &r), steps[i].n);
		if (steps[i].n)
			assert_true(value_of(&r, "{target=\"t\"}") == 7);
		batch_free(b);
	}
	assert_int_equal(expr_history_series(e), 1);   /* the right term's own history */
	expr_free(e);
	expr_result_release(&r);
}

static void add_stmt(struct batch *b, const char *q, double mean5m, double mean1h, double calls5m,
		     double calls1h)
{
	batch_add(b, &m_mean, mean5m, "target", "main", "datname", "app", "user", "web", "queryid", q,
		  "window", "5m", NULL);
	batch_add(b, &m_mean, mean1h, "target", "main", "datname", "app", "user", "web", "queryid", q,
		  "window", "1h", NULL);
	batch_add(b, &m_calls, calls5m, "target", "main", "datname", "app", "user", "web", "queryid",
		  q, "window", "5m", NULL);
	batch_add(b, &m_calls, calls1h, "target", "main", "datname", "app", "user", "web", "queryid",
		  q, "window", "1h", NULL);
}

#define STMT_KEY(q) "{datname=\"app\",queryid=\"" q "\",target=\"main\",user=\"web\"}"

/* Per-statement regression: 5m mean over the 1h mean, with enough calls. */
static void test_statement_regression(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	add_stmt(b, "1", 0.9, 0.1, 5, 1);      /* 9 times slower, 5 calls/s: fires */
	add_stmt(b, "2", 0.8, 0.1, 0.2, 9);    /* 8 times slower, but hardly called now */
	add_stmt(b, "3", 0.1, 0.1, 10, 10);    /* as usual */
	struct expr_result r = { 0 };
	char l[256];
	struct expr *e = parse_ok("pg_statement_mean_seconds{window=\"5m\"} / ignoring(window) "
				  "pg_statement_mean_seconds{window=\"1h\"} > 3 and ignoring(window) "
				  "pg_statement_calls_per_second{window=\"5m\"} >= 1");
	assert_int_equal(eval(e, b, 1, &r), 2);   /* 1 and 3; 2 filtered by the calls */
	assert_true(fabs(value_of(&r, STMT_KEY("1")) - 9) < 1e-9);
	assert_true(value_of(&r, STMT_KEY("3")) == 1);
	assert_string_equal(item_labels(&r, STMT_KEY("1"), l, sizeof(l)),
			    "datname=app,queryid=1,target=main,user=web");
	size_t firing = 0;
	for (size_t i = 0; i < r.n; i++)
		firing += (size_t)expr_compare(e, r.v[i].value, expr_threshold(e));
	assert_int_equal(firing, 1);   /* the engine's comparison: only statement 1 */
	expr_free(e);
	/* the left cond keeps its window label; it is ignored for matching only */
	e = parse_ok("pg_statement_mean_seconds{window=\"5m\"} > 0.5 and ignoring(window) "
		     "pg_statement_calls_per_second{window=\"1h\"} > 0.1");
	assert_int_equal(eval(e, b, 1, &r), 3);
	assert_string_equal(item_labels(&r, "{datname=\"app\",queryid=\"1\",target=\"main\","
					    "user=\"web\",window=\"5m\"}", l, sizeof(l)),
			    "datname=app,queryid=1,target=main,user=web,window=5m");
	expr_free(e);
	e = parse_ok("pg_statement_mean_seconds{window=\"5m\"} > 0.5 and ignoring(window) "
		     "pg_statement_calls_per_second{window=\"5m\"} > 0.1");
	assert_int_equal(eval(e, b, 1, &r), 3);   /* statement 2's 0.2 calls pass 0.1 */
	expr_free(e);
	/* without ignoring the window labels differ: nothing */
	e = parse_ok("pg_statement_mean_seconds{window=\"5m\"} > 0.5 and "
		     "pg_statement_calls_per_second{window=\"1h\"} > 0.1");
	assert_int_equal(eval(e, b, 1, &r), 0);
	expr_free(e);
	/* calls / ignoring(window) calls: every key twice on both sides, so the
	 * right side is empty */
	e = parse_ok("pg_statement_mean_seconds{window=\"5m\"} / ignoring(window) "
		     "pg_statement_mean_seconds{window=\"1h\"} > 3 and on(queryid) "
		     "pg_statement_calls_per_second / ignoring(window) pg_statement_calls_per_second > 0");
	assert_int_equal(eval(e, b, 1, &r), 0);
	expr_free(e);
	expr_result_release(&r);
	batch_free(b);
}

static void test_history_bounds_and_targets(void **state)
{
	(void)state;
	struct expr_result r = { 0 };
	struct expr *e = parse_ok("max_over_time(g[1h]) > 0");
	expr_set_limits(e, 2, 3);
	char db[16];
	struct batch *b = batch_new();
	for (int i = 0; i < 3; i++) {
		snprintf(db, sizeof(db), "d%d", i);
		batch_add(b, &m_g, i, "target", "one", "db", db, NULL);
	}
	assert_int_equal(eval(e, b, 1, &r), 2);   /* the third series is not kept */
	assert_int_equal(expr_history_dropped(e), 1);
	batch_free(b);
	/* points cap: the oldest leaves */
	for (int t = 2; t <= 5; t++) {
		b = batch_new();
		batch_add(b, &m_g, t == 2 ? 100 : 1, "target", "one", "db", "d0", NULL);
		eval(e, b, t, &r);
		batch_free(b);
	}
	assert_true(value_of(&r, "{db=\"d0\",target=\"one\"}") == 1);   /* 100 dropped out */
	/* another target's collection leaves target one's history alone */
	expr_set_limits(e, 10, 0);
	b = batch_new();
	batch_add(b, &m_g, 7, "target", "two", "db", "d0", NULL);
	assert_int_equal(eval(e, b, 6, &r), 1);
	assert_true(value_of(&r, "{db=\"d0\",target=\"two\"}") == 7);
	assert_int_equal(expr_history_series(e), 3);
	batch_free(b);
	expr_free(e);
	expr_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_regex_check),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_matching),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_caret),
		cmocka_unit_test(test_matchers),
		cmocka_unit_test(test_rate_and_increase),
		cmocka_unit_test(test_over_time),
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_ignoring_and_on),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_and),
		cmocka_unit_test(test_and_window_functions),
		cmocka_unit_test(test_statement_regression),
		cmocka_unit_test(test_history_bounds_and_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
