/*
 * fuzz_expr.c -- alert rule expressions (alerts/expr.c expr_parse, the
 * PromQL subset of [alert] expr), then what is done with a parsed rule:
 * expr_format, expr_format_promql (dbpulse rules), expr_metrics, expr_eval
 * (twice, so that window functions and vector matching of
 * alerts/expr_match.c run over a small fixed set of series),
 * expr_item_labels, and expr_caret on an error.
 *
 * Properties: no crash, leak or UB; a parse error has a position inside
 * the text (or just past it); the normal form parses back to a rule of
 * the same normal form, comparison and threshold; expr_metrics names
 * 1..EXPR_MAX_METRICS metrics.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "expr.h"
#include "fuzz_util.h"

/* The same few series for every metric: packed "name\0value\0" labels,
 * sorted by name, as a batch packs them. */
#define L(s) s, sizeof(s) - 1
static const struct expr_series series[] = {
	{ L("db\0shop\0target\0main\0window\0005m\0"), 3, 2.5 },
	{ L("db\0shop\0target\0main\0window\0001h\0"), 3, 0.5 },
	{ L("db\0crm\0target\0main\0"), 2, 7 },
	{ L("target\0main\0"), 1, NAN },
};

struct source {
	int round;
	struct expr_series s[4];
};

/* The series with values that grow from one evaluation to the next (for
 * rate() and friends); the last only for names of odd length. */
static size_t family(void *ctx, const char *name, const struct expr_series **out)
{
	struct source *src = ctx;
	for (size_t i = 0; i < 4; i++) {
		src->s[i] = series[i];
		src->s[i].value += 10.0 * src->round;
	}
	*out = src->s;
	return strlen(name) % 2 ? 4 : 3;
}

static void check_roundtrip(const struct expr *e)
{
	struct buf once = BUF_INIT(BUF_UNLIMITED), twice = BUF_INIT(BUF_UNLIMITED);
	expr_format(e, &once);
	struct expr *back = NULL;
	char err[256];
	size_t pos = 0;
	int rc = expr_parse(buf_str(&once), &back, err, sizeof(err), &pos);
	FUZZ_CHECK(rc == 0, "normal form '%s' does not parse: %s at %zu", buf_str(&once), err, pos);
	expr_format(back, &twice);
	FUZZ_CHECK(strcmp(buf_str(&once), buf_str(&twice)) == 0, "'%s' formats back as '%s'",
		   buf_str(&once), buf_str(&twice));
	FUZZ_CHECK(strcmp(expr_op_name(e), expr_op_name(back)) == 0, "op %s became %s",
		   expr_op_name(e), expr_op_name(back));
	double t1 = expr_threshold(e), t2 = expr_threshold(back);
	FUZZ_CHECK(t1 == t2 || (isnan(t1) && isnan(t2)), "threshold %g became %g", t1, t2);
	expr_free(back);
	buf_release(&once);
	buf_release(&twice);
}

static void evaluate(struct expr *e)
{
	const char *names[EXPR_MAX_METRICS];
	size_t n = expr_metrics(e, names);
	FUZZ_CHECK(n >= 1 && n <= EXPR_MAX_METRICS, "%zu metrics", n);
	struct source ctx = { 0 };
	struct expr_source src = { family, &ctx };
	struct expr_result r = { 0 };
	expr_set_limits(e, 8, 8);
	for (int i = 0; i < 3; i++) {
		ctx.round = i;
		expr_result_reset(&r);
		expr_eval(e, &src, 1764616800.0 + 30 * i, &r);
	}
	for (size_t i = 0; i < r.n; i++) {
		struct alert_labels l = { 0 };
		expr_item_labels(&r.v[i], &l);
		alert_labels_release(&l);
		expr_compare(e, r.v[i].value, expr_threshold(e));
	}
	expr_history_dropped(e);
	expr_history_series(e);
	expr_result_release(&r);
}

/* The PromQL spelling of `dbpulse rules --format prometheus`, with and
 * without a clear threshold: never empty, never a crash. */
static void export_promql(const struct expr *e)
{
	struct buf p = BUF_INIT(BUF_UNLIMITED);
	double threshold = 1;
	expr_format_promql(e, NULL, &p);
	FUZZ_CHECK(p.len > 0, "empty PromQL");
	expr_format_promql(e, &threshold, &p);
	buf_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = fuzz_strndup(data, size);
	struct expr *e = NULL;
	char err[256];
	size_t pos = SIZE_MAX;
	if (expr_parse(src, &e, err, sizeof(err), &pos) == 0) {
		FUZZ_CHECK(e != NULL, "parsed into NULL");
		check_roundtrip(e);
		evaluate(e);
		export_promql(e);
		expr_free(e);
	} else {
		FUZZ_CHECK(e == NULL, "failed parse left a rule");
		FUZZ_CHECK(pos <= strlen(src), "error at %zu of %zu bytes", pos, strlen(src));
		struct buf caret = BUF_INIT(BUF_UNLIMITED);
		expr_caret(src, pos, &caret);
		buf_release(&caret);
	}
	free(src);
	return 0;
}
