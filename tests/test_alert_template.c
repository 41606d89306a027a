/*
 * test_alert_template.c -- annotation templates: variables, pipelines and
 * calls, Prometheus' humanize functions (expected strings from
 * prometheus/prometheus template/template_test.go), printf, trim markers,
 * comments, Go's printing of floats, and parse errors with positions.
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
#include "template.h"

static void assert_renders(const char *src, double value, const char *want)
{
	char err[256];
	size_t pos;
	struct template *t = template_parse(src, err, sizeof(err), &pos);
	if (!t)
		fail_msg("'%s': %s at %zu", src, err, pos);
	struct alert_labels l = { 0 };
	alert_labels_set(&l, "target", "main");
	alert_labels_set(&l, "instance", "db1:5432");
	struct buf out = BUF_INIT(1 << 16);
	assert_int_equal(template_render(t, &l, value, NULL, &out), 0);
	if (strcmp(buf_str(&out), want) != 0)
		fail_msg("'%s' with %g: got '%s', want '%s'", src, value, buf_str(&out), want);
	buf_release(&out);
	alert_labels_release(&l);
	template_free(t);
}

static void assert_bad(const char *src, const char *msg, size_t want_pos)
{
	char err[256];
	size_t pos = 999;
	struct template *t = template_parse(src, err, sizeof(err), &pos);
	assert_null(t);
	if (!strstr(err, msg))
		fail_msg("'%s': got '%s', want '%s'", src, err, msg);
	assert_int_equal(pos, want_pos);
}

/* Renders f over each value joined by ':' like Prometheus' range tests. */
static void assert_each(const char *fn, const double *v, size_t n, const char *want)
{
	char src[64];
	snprintf(src, sizeof(src), "{{ %s $value }}:", fn);
	struct template *t = template_parse(src, NULL, 0, NULL);
	assert_non_null(t);
	struct alert_labels l = { 0 };
	struct buf out = BUF_INIT(1 << 16);
	for (size_t i = 0; i < n; i++)
		template_render(t, &l, v[i], NULL, &out);
	if (strcmp(buf_str(&out), want) != 0)
		fail_msg("%s: got '%s', want '%s'", fn, buf_str(&out), want);
	buf_release(&out);
	template_free(t);
}

static void test_variables(void **state)
{
	(void)state;
	assert_renders("plain text", 1, "plain text");
	assert_renders("", 1, "");
	assert_renders("{{ $labels.target }} is down", 0, "main is down");
	assert_renders("{{.Labels.instance}} {{ .Value }}", 0.5, "db1:5432 0.5");
	assert_renders("[{{ $labels.nope }}]", 0, "[]");
	assert_renders("{{ $value }}", 1e6, "1e+06");
	assert_renders("{{ $value }}", 123456, "123456");
	assert_renders("{{ $value }}", 123456789, "1.23456789e+08");
	assert_renders("{{ $value }}", 0.0001, "0.0001");
	assert_renders("{{ $value }}", 0.00001, "1e-05");
	assert_renders("{{ $value }}", 1234.5, "1234.5");
	assert_renders("{{ $value }}", -2, "-2");
	assert_renders("{{ $value }}", NAN, "NaN");
	assert_renders("{{ $value }}", INFINITY, "+Inf");
	assert_renders("{{ \"a\\\"b\" }}", 0, "a\"b");
	assert_renders("a {{- \" b \" -}} c", 0, "a b c");
	assert_renders("x {{/* a comment */}}y", 0, "x y");
	struct template *t = template_parse("no actions", NULL, 0, NULL);
	assert_true(template_is_constant(t));
	template_free(t);
}

static void test_humanize(void **state)
{
	(void)state;
	const double h[] = { 0.0, 1.0, 1234567.0, .12 };
	assert_each("humanize", h, 4, "0:1:1.235M:120m:");
	const double h1024[] = { 0.0, 1.0, 1048576.0, .12 };
	assert_each("humanize1024", h1024, 4, "0:1:1Mi:0.12:");
	const double d[] = { 0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5),
			     899.99 };
	assert_each("humanizeDuration", d, 8,
		    "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:");
	const double ds[] = { .1, .0001, .12345, 60.1, 60.5, 1.2345, 12.345 };
	assert_each("humanizeDuration", ds, 7, "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:");
	const double p[] = { 0, 0.1234567, 1, 1.5 };
	assert_each("humanizePercentage", p, 4, "0%:12.35%:100%:150%:");
	const double ts[] = { 1435065584.128 };
	assert_each("humanizeTimestamp", ts, 1, "2015-06-23 13:19:44.128 +0000 UTC:");
	const double odd[] = { NAN, INFINITY };
	assert_each("humanize", odd, 2, "NaN:+Inf:");
}

/* Values that do not fit int64_t seconds or a Prometheus timestamp print
 * as numbers instead of being cast, which was undefined behaviour
 * (tests/fuzz/corpus/fuzz_template/fuzz_template-humanize*-huge-value-ub). */
static void test_humanize_huge(void **state)
{
	(void)state;
	const double d[] = { 1e300, -1e300, 0x1p63, 0x1p63 - 1024, NAN, -INFINITY };
	assert_each("humanizeDuration", d, 6,
		    "1e+300s:-1e+300s:9.223e+18s:106751991167300d 15h 13m 4s:NaN:-Inf:");
	const double ts[] = { 1e300, -1e300, 1e10, 9.2e9, -9.2e9, -1, NAN, INFINITY };
	assert_each("humanizeTimestamp", ts, 8,
		    "1e+300:-1e+300:1e+10:2261-07-15 11:33:20 +0000 UTC:"
		    "1678-06-18 12:26:40 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:NaN:+Inf:");
}

static void test_pipelines_and_printf(void **state)
{
	(void)state;
	assert_renders("{{ $value | humanizePercentage }}", 0.9512, "95.12%");
	assert_renders("{{ humanize1024 $value }}B", 3 * 1073741824.0, "3GiB");
	assert_renders("{{ $labels.target | toUpper }}", 0, "MAIN");
	assert_renders("{{ \"hello world\" | title }}", 0, "Hello World");
	assert_renders("{{ toLower \"ABC\" }}", 0, "abc");
	assert_renders("{{ printf \"%.1f\" $value }}", 2.25, "2.2");
	assert_renders("{{ $value | printf \"%.2f%%\" }}", 12.345, "12.35%");
	assert_renders("{{ printf \"%s has %d\" $labels.target $value }}", 41.9, "main has 41");
	assert_renders("{{ printf \"%5.1f|%-4s|\" $value \"x\" }}", 3.14159, "  3.1|x   |");
	/* %d of a number beyond long long saturates (the cast was UB) */
	assert_renders("{{ printf \"%d\" $value }}", 1e300, "9223372036854775807");
	assert_renders("{{ printf \"%d|%d\" $value -1e19 }}", -0x1p63, "-9223372036854775808|-9223372036854775808");
	assert_renders("{{ printf \"%d\" $value }}", NAN, "0");
	assert_renders("{{ humanize 1234 }}", 0, "1.234k");
	assert_renders("{{ $labels.instance | humanize }}", 0, "NaN");
}

static void test_errors(void **state)
{
	(void)state;
	assert_bad("{{ $value", "unclosed action: expected '}}'", 0);
	assert_bad("ab {{ $value | humanise }}", "unknown function 'humanise' (did you mean 'humanize'?)", 15);
	assert_bad("{{ $foo }}", "unknown variable '$foo' (use $labels.NAME or $value)", 3);
	assert_bad("{{ $labels }}", "unknown variable '$labels'", 3);
	assert_bad("{{ printf \"%x\" $value }}", "printf: unsupported verb '%x'", 3);
	/* glibc would allocate gigabytes for this precision */
	assert_bad("{{ printf \"%6.0000000101301405676e\" $value }}",
		   "printf: width and precision take at most 4 digits", 3);
	assert_bad("{{ printf \"%12345d\" $value }}", "printf: width and precision take at most", 3);
	assert_bad("{{ printf \"%------d\" $value }}", "and at most 5 flags", 3);
	assert_renders("{{ printf \"%-+ #01.2f|%.0004d\" 1 2 }}", 0, "+1.00|0002");
	assert_bad("{{ \"abc }}", "unterminated string", 3);
	assert_bad("{{ }}", "empty action", 3);
	assert_bad("{{ humanize }}", "humanize needs an argument", 3);
	assert_bad("{{ humanize $value $value }}", "humanize takes one argument", 3);
	assert_bad("{{/* open }}", "unclosed comment", 0);
	/* the empty name was leaked (fuzz_template-empty-label-name-leak);
	 * the sanitizer build's leak check sees it */
	assert_bad("{{ $labels. }}", "expected a label name after '$labels.'", 3);
	assert_bad("{{ humanize .Labels. }}", "expected a label name after '.Labels.'", 12);
	assert_bad("{{ printf \"%s\" $labels. }}", "expected a label name after '$labels.'", 15);
}

static int fake_query_text(void *ctx, const char *target, const char *queryid, struct buf *out)
{
	(void)ctx;
	if (strcmp(target, "main") != 0 || strcmp(queryid, "42") != 0)
		return -1;
	return buf_puts(out, "SELECT * FROM orders WHERE id = $1");
}

static void test_query_text(void **state)
{
	(void)state;
	char err[256];
	size_t pos;
	struct template *t = template_parse("{{ $labels.queryid | queryText }}|{{ queryText \"7\" }}|",
					    err, sizeof(err), &pos);
	if (!t)
		fail_msg("%s at %zu", err, pos);
	struct alert_labels l = { 0 };
	alert_labels_set(&l, "target", "main");
	alert_labels_set(&l, "queryid", "42");
	struct template_env env = { .query_text = fake_query_text };
	struct buf out = BUF_INIT(1 << 16);
	assert_int_equal(template_render(t, &l, 1, &env, &out), 0);
	assert_string_equal(buf_str(&out), "SELECT * FROM orders WHERE id = $1||");
	buf_reset(&out);
	assert_int_equal(template_render(t, &l, 1, NULL, &out), 0); /* nothing to look up with */
	assert_string_equal(buf_str(&out), "||");
	buf_release(&out);
	alert_labels_release(&l);
	template_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_humanize),
		cmocka_unit_test(test_humanize_huge),
		cmocka_unit_test(test_pipelines_and_printf),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_query_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
