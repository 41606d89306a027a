/*
 * fuzz_template.c -- annotation templates (alerts/template.c
 * template_parse, then template_render with a few labels, a value and a
 * queryText lookup, into a roomy buffer and into one with a small cap).
 *
 * Input: the first byte picks the value ($value), the rest is the
 * template source.
 *
 * Properties: no crash, leak or UB; a parse error has a position inside
 * the source; a render that fits returns 0, one into a small cap returns
 * -1 only when the roomy render is longer than that cap; a template that
 * says it is constant renders the same whatever the labels and value.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "fuzz_util.h"
#include "template.h"

static const double values[] = {
	0, 0.95, 1e6, -3.5, NAN, INFINITY, -INFINITY, 1764616800.123, 1e-9,
	123456789.123, -0.0, 1.0 / 3, 1e300, 5e-324, 42, 1024,
};

static int query_text(void *ctx, const char *target, const char *queryid, struct buf *out)
{
	if (strcmp(queryid, "42") != 0)
		return -1;
	return buf_puts(out, "SELECT pg_sleep($1) /* </script> \"q\" \\ */");
}

static void labels_a(struct alert_labels *l)
{
	alert_labels_set(l, "target", "main");
	alert_labels_set(l, "datname", "shop");
	alert_labels_set(l, "queryid", "42");
	alert_labels_set(l, "instance", "db1:5432");
	alert_labels_set(l, "odd", "a\"b\\c\n\xff\xc3\xa9<>&{{ $value }}");
}

static void labels_b(struct alert_labels *l)
{
	alert_labels_set(l, "target", "other");
	alert_labels_set(l, "queryid", "7");
}

static void check_render(const struct template *t, double value)
{
	const struct template_env env = { query_text, NULL };
	struct alert_labels a = { 0 }, b = { 0 };
	labels_a(&a);
	labels_b(&b);
	struct buf out = BUF_INIT(1 << 20), small = BUF_INIT(16), other = BUF_INIT(1 << 20);
	int rc = template_render(t, &a, value, &env, &out);
	FUZZ_CHECK(rc == 0 || out.overflow, "render failed without reaching the cap");
	int rc_small = template_render(t, &a, value, &env, &small);
	if (rc == 0)
		FUZZ_CHECK((rc_small == 0) == (out.len <= 16), "small render %d for %zu bytes",
			   rc_small, out.len);
	template_render(t, &b, value == 0 ? 1 : 0, NULL, &other);
	if (rc == 0 && template_is_constant(t))
		FUZZ_CHECK(strcmp(buf_str(&out), buf_str(&other)) == 0,
			   "constant template renders '%s' and '%s'", buf_str(&out), buf_str(&other));
	buf_release(&out);
	buf_release(&small);
	buf_release(&other);
	alert_labels_release(&a);
	alert_labels_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	double value = values[data[0] % (sizeof(values) / sizeof(values[0]))];
	char *src = fuzz_strndup(data + 1, size - 1);
	char err[256];
	size_t pos = SIZE_MAX;
	struct template *t = template_parse(src, err, sizeof(err), &pos);
	if (t) {
		check_render(t, value);
		template_free(t);
	} else {
		FUZZ_CHECK(pos <= strlen(src), "error at %zu of %zu bytes", pos, strlen(src));
	}
	free(src);
	return 0;
}
