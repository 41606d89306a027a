/*
 * test_top.c -- `dbpulse top` without a network (cmd/top.c): the command
 * line (defaults, both value forms, every refusal), the choice of target
 * and window from /api/targets, the URLs asked, and the table rendered
 * from /api/queries answers in tests/data/top: columns, the baseline mark,
 * the agent's own statements, nulls, widths from 20 to 300 columns, the row cap, and a hostile query
 * text (newlines, tabs, ANSI escapes, an OSC title, C1 controls, a bidi
 * override, quotes, backslashes, multi-byte UTF-8) that must come out as
 * one line of printable text.  Error answers become one-line messages.
 *
 * Fixtures are found through $top_srcdir (exported by the test harness;
 * "." otherwise).
 */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "strutil.h"
#include "top.h"
#include "xalloc.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* "café 日本 😀" */
#define UTF8_SAMPLE "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"

/* ---- helpers ----------------------------------------------------------- */

/* Reads tests/data/top/<name> into b. */
static void fixture(const char *name, struct buf *b)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/tests/data/top/%s", top && *top ? top : ".", name);
	buf_init(b, (size_t)1 << 20);
	if (read_file(path, b) < 0)
		fail_msg("cannot read fixture '%s': %s", path, strerror(errno));
	free(path);
}

/* Display columns of UTF-8 text, counted independently of top.c: one per
 * code point, two for the CJK and emoji the fixtures use. */
static unsigned columns(const char *s, size_t n)
{
	unsigned cols = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		uint32_t cp = len == 1 ? c : c & (0x7F >> len);
		for (size_t k = 1; k < len && i + k < n; k++)
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
		cols += (cp >= 0x2E80 && cp <= 0xD7A3) || cp >= 0x1F300 ? 2 : 1;
		i += len;
	}
	return cols;
}

/* Splits rendered text into lines (in place); returns how many. */
static size_t split_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;
	for (char *p = text, *nl; *p && (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		if (n < max)
			lines[n] = p;
		n++;
	}
	return n;
}

/* Renders a queries fixture (targets fixture may be NULL) into out. */
static void render_fixture(const char *targets_name, const char *queries_name, unsigned width,
			   unsigned max_rows, struct buf *out)
{
	struct buf targets = BUF_INIT(1), queries;
	if (targets_name)
		fixture(targets_name, &targets);
	fixture(queries_name, &queries);
	char err[256] = "";
	buf_init(out, BUF_UNLIMITED);
	int rc = top_render(targets_name ? buf_str(&targets) : NULL, buf_str(&queries), width,
			    max_rows, out, err, sizeof(err));
	if (rc != 0)
		fail_msg("top_render(%s): %s", queries_name, err);
	buf_release(&targets);
	buf_release(&queries);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!haystack)
		fail_msg("'%s' not found: no text", needle);
	else if (!strstr(haystack, needle))
		fail_msg("'%s' not found in:\n%s", needle, haystack);
}

/* Valid UTF-8 with nothing a terminal would act on: no C0 control but
 * the line ends, no DEL, no C1 (as UTF-8 C2 80..9F), no bidi override. */
static void assert_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0, n = strlen(s), len; i < n; i += len) {
		len = utf8_sequence_len(p + i, n - i);
		if (len == 0)
			fail_msg("invalid UTF-8 at offset %zu", i);
		if ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7F)
			fail_msg("control byte 0x%02x at offset %zu", p[i], i);
		if (p[i] == 0xC2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
			fail_msg("C1 control at offset %zu", i);
	}
	assert_null(strstr(s, "\xE2\x80\xAE"));
}

/* ---- the command line ------------------------------------------------------ */

static int parse(struct top_options *o, char *err, size_t errlen, ...)
{
	char *argv[32] = { "top" };
	int argc = 1;
	va_list ap;
	va_start(ap, errlen);
	for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	return top_parse_args(argc, argv, o, err, errlen);
}

static void test_args_defaults(void **state)
{
	struct top_options o;
	char err[256];
	assert_int_equal(parse(&o, err, sizeof(err), NULL), TOP_ARGS_OK);
	assert_string_equal(o.url, TOP_DEFAULT_URL);
	assert_int_equal(o.url_len, strlen(TOP_DEFAULT_URL));
	assert_null(o.target);
	assert_null(o.window);
	assert_string_equal(o.sort, "total");
	assert_int_equal(o.limit, 50);
	assert_int_equal(o.once, 0);
	assert_int_equal(o.include_own, 0);
	assert_true(o.interval == 0);
}

static void test_args_all(void **state)
{
	struct top_options o;
	char err[256];
	assert_int_equal(parse(&o, err, sizeof(err), "--url", "https://db1.example:9930//",
			       "--target", "main", "--window=1h", "--sort", "mean", "--limit=7",
			       "--once", "--interval", "2.5", "--include-own", NULL),
			 TOP_ARGS_OK);
	assert_int_equal(o.url_len, strlen("https://db1.example:9930"));
	assert_memory_equal(o.url, "https://db1.example:9930", o.url_len);
	assert_string_equal(o.target, "main");
	assert_string_equal(o.window, "1h");
	assert_string_equal(o.sort, "mean");
	assert_int_equal(o.limit, 7);
	assert_int_equal(o.once, 1);
	assert_int_equal(o.include_own, 1);
	assert_true(o.interval == 2.5);

	/* every sort key, the last occurrence wins */
	const char *keys[] = { "total", "mean", "calls", "rows", "io", "temp" };
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		assert_int_equal(parse(&o, err, sizeof(err), "--sort", "calls", "--sort", keys[i], NULL),
				 TOP_ARGS_OK);
		assert_string_equal(o.sort, keys[i]);
	}
	assert_int_equal(parse(&o, err, sizeof(err), "--limit", "1000", "--url", "HTTP://h", NULL),
			 TOP_ARGS_OK);
	assert_int_equal(o.limit, 1000);
	assert_int_equal(o.url_len, 8);
}

static void test_args_help(void **state)
{
	struct top_options o;
	char err[256];
	assert_int_equal(parse(&o, err, sizeof(err), "--help", NULL), TOP_ARGS_HELP);
	assert_int_equal(parse(&o, err, sizeof(err), "--once", "-h", NULL), TOP_ARGS_HELP);
}

static void test_args_refused(void **state)
{
	static const struct {
		const char *args[3];
		const char *why;       /* in the message */
	} cases[] = {
		{ { "--sort", "bogus" }, "--sort: 'bogus'" },
		{ { "--sort", "TOTAL" }, "--sort" },
		{ { "--limit", "0" }, "--limit: '0'" },
		{ { "--limit", "1001" }, "1 to 1000" },
		{ { "--limit", "-5" }, "--limit" },
		{ { "--limit", "12x" }, "--limit" },
		{ { "--interval", "0.5" }, "--interval: '0.5'" },
		{ { "--interval", "nan" }, "--interval" },
		{ { "--interval", "soon" }, "--interval" },
		{ { "--url", "ftp://h" }, "not an http:// or https:// URL" },
		{ { "--url", "http://" }, "not an http" },
		{ { "--url", "http:///x" }, "not an http" },
		{ { "--url", "127.0.0.1:9930" }, "not an http" },
		{ { "--url", "http://a b" }, "spaces" },
		{ { "--target=" }, "empty" },
		{ { "--window", "" }, "empty" },
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "--sort-by=x" }, "unknown option '--sort-by'" },
		{ { "--sort" }, "--sort needs a value" },
		{ { "--once=yes" }, "--once takes no value" },
		{ { "--include-own=1" }, "--include-own takes no value" },
		{ { "main" }, "unexpected argument 'main'" },
		{ { "-x" }, "unexpected argument '-x'" },
		{ { "--" }, "unexpected argument '--'" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct top_options o;
		char err[256] = "";
		int rc = parse(&o, err, sizeof(err), cases[i].args[0], cases[i].args[1], NULL);
		if (rc != TOP_ARGS_BAD)
			fail_msg("case %zu (%s) was accepted", i, cases[i].args[0]);
		assert_contains(err, cases[i].why);
	}
}

static void test_usage(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	top_usage(f);
	fclose(f);
	assert_contains(text, "Usage: dbpulse top");
	const char *options[] = { "--url", "--target", "--window", "--sort", "--limit", "--once",
				  "--interval", "--include-own", "--help" };
	for (size_t i = 0; i < ARRAY_LEN(options); i++)
		assert_contains(text, options[i]);
	free(text);
}

/* ---- cleaning text ------------------------------------------------------------ */

static void test_clean_text(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "SELECT 1", "SELECT 1" },
		{ "  SELECT\n\t\t1\r\n  FROM t  ", "SELECT 1 FROM t" },
		{ "a\x1b[2Jb", "ab" },
		{ "a \x1b[2J b", "a b" },
		{ "a\x1b[38;5;196mred\x1b[0m", "ared" },
		{ "x\x1b]0;title\x07y", "xy" },
		{ "x\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\y", "xlinky" },
		{ "x\x1bPq#0;2;0;0;0\x1b\\y", "xy" },
		{ "x\x1b]0;t\x1b[31mb", "xb" },              /* OSC cut short by a CSI */
		{ "x\x1b]0;never ends", "x" },
		{ "x\x1b(By", "xy" },
		{ "x\x1b" "7y", "xy" },
		{ "x\x1b", "x" },
		{ "x\x1b[", "x" },
		{ "x\x1b[12\ny", "x y" },
		{ "x\xc2\x9b" "2Jy", "xy" },          /* C1 CSI */
		{ "x\xc2\x9d" "0;t\xc2\x9cy", "xy" }, /* C1 OSC ... ST */
		{ "x\xc2\x85y", "x y" },              /* NEL is white space */
		{ "bell\x07 bs\x08 del\x7f", "bell bs del" },
		{ "a\xe2\x80\xae" "b\xe2\x81\xa6" "c", "abc" }, /* RLO, LRI */
		{ UTF8_SAMPLE, UTF8_SAMPLE },
		{ "bad\xff\xfe utf8 \xc3", "bad\xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd" },
		{ "over\xc0\xaflong", "over\xef\xbf\xbd\xef\xbf\xbdlong" },
		{ "'quotes' \"and\" back\\slash </script>", "'quotes' \"and\" back\\slash </script>" },
		{ "\n\t\x1b[2J\n", "" },
		{ "", "" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf b = BUF_INIT(BUF_UNLIMITED);
		unsigned cols = top_clean_text(&b, cases[i].in, 1000);
		if (strcmp(buf_str(&b), cases[i].out) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, buf_str(&b), cases[i].out);
		assert_int_equal(cols, columns(buf_str(&b), b.len));
		buf_release(&b);
	}
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	assert_int_equal(top_clean_text(&b, NULL, 10), 0);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static void test_clean_text_cut(void **state)
{
	static const struct {
		const char *in;
		unsigned max;
		const char *out;
		unsigned cols;
	} cases[] = {
		{ "SELECT 1", 8, "SELECT 1", 8 },
		{ "SELECT 1", 7, "SELECT\xe2\x80\xa6", 7 },
		{ "SELECT 1", 1, "\xe2\x80\xa6", 1 },
		{ "SELECT 1", 0, "", 0 },
		{ "SELECT   \n\n   1", 8, "SELECT 1", 8 },
		{ "ab \xe6\x97\xa5\xe6\x9c\xac", 7, "ab \xe6\x97\xa5\xe6\x9c\xac", 7 },
		{ "ab \xe6\x97\xa5\xe6\x9c\xac", 6, "ab \xe6\x97\xa5\xe2\x80\xa6", 6 },
		{ "ab \xe6\x97\xa5\xe6\x9c\xac", 5, "ab\xe2\x80\xa6", 3 }, /* no space before the cut */
		{ "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 3, "\xf0\x9f\x98\x80\xe2\x80\xa6", 3 },
		{ "a\x1b[2J\x1b[2J\x1b[2Jb", 2, "ab", 2 },
		{ "e\xcc\x81" "e\xcc\x81" "e", 2, "e\xcc\x81\xe2\x80\xa6", 2 }, /* combining acute */
		{ "e\xcc\x81" "e\xcc\x81", 2, "e\xcc\x81" "e\xcc\x81", 2 },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf b = BUF_INIT(BUF_UNLIMITED);
		buf_puts(&b, "> ");
		unsigned cols = top_clean_text(&b, cases[i].in, cases[i].max);
		if (strcmp(buf_str(&b) + 2, cases[i].out) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, buf_str(&b) + 2, cases[i].out);
		assert_int_equal(cols, cases[i].cols);
		assert_memory_equal(buf_str(&b), "> ", 2);
		buf_release(&b);
	}
}

/* ---- target and URLs ------------------------------------------------------------ */

static void test_pick_target(void **state)
{
	struct buf targets;
	struct top_target t;
	char err[256];
	fixture("targets.json", &targets);

	assert_int_equal(top_pick_target(buf_str(&targets), NULL, NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.name, "main");
	assert_string_equal(t.window, "5m");
	assert_true(t.interval_seconds == 15);
	top_target_release(&t);

	/* no 5m: the shortest */
	assert_int_equal(top_pick_target(buf_str(&targets), "reporting db", NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.name, "reporting db");
	assert_string_equal(t.window, "1m");
	assert_true(t.interval_seconds == 30);
	top_target_release(&t);

	/* the window asked for is passed on (the API checks it) */
	assert_int_equal(top_pick_target(buf_str(&targets), "main", "7m", &t, err, sizeof(err)), 0);
	assert_string_equal(t.window, "7m");
	top_target_release(&t);

	assert_int_equal(top_pick_target(buf_str(&targets), "nope", NULL, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "no target \"nope\" (postgres targets: main, reporting db)");
	assert_null(t.name);
	assert_int_equal(top_pick_target(buf_str(&targets), "cache", NULL, &t, err, sizeof(err)), -1);
	assert_contains(err, "\"cache\" is a redis target");
	assert_null(t.name);
	buf_release(&targets);

	fixture("targets-no-postgres.json", &targets);
	assert_int_equal(top_pick_target(buf_str(&targets), NULL, NULL, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "the agent has no postgres target");
	buf_release(&targets);

	assert_int_equal(top_pick_target("{\"targets\": [", NULL, NULL, &t, err, sizeof(err)), -1);
	assert_contains(err, "not JSON");
	assert_int_equal(top_pick_target("[]", NULL, NULL, &t, err, sizeof(err)), -1);
	assert_contains(err, "no \"targets\"");
	/* hostile names are cleaned in messages; a target without windows
	 * leaves the window to the API */
	assert_int_equal(top_pick_target("{\"targets\": [{\"name\": \"x\\u001b[2J\", \"kind\": \"postgres\"}]}",
					 "y", NULL, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "no target \"y\" (postgres targets: x)");
	assert_int_equal(top_pick_target("{\"targets\": [{\"name\": \"x\", \"kind\": \"postgres\"}]}",
					 NULL, NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.name, "x");
	assert_null(t.window);
	assert_true(t.interval_seconds == 0);
	top_target_release(&t);
}

static void test_urls(void **state)
{
	struct top_options o;
	char err[256];
	char *argv[] = { "top", "--url", "http://db1:9930/", "--sort", "io", "--limit", "20" };
	assert_int_equal(top_parse_args((int)ARRAY_LEN(argv), argv, &o, err, sizeof(err)), 0);
	struct buf url = BUF_INIT(BUF_UNLIMITED);
	top_targets_url(&o, &url);
	assert_string_equal(buf_str(&url), "http://db1:9930/api/targets");

	struct top_target t = { .name = "reporting db&x=1/\xc3\xa9", .window = "5m" };
	buf_reset(&url);
	top_queries_url(&o, &t, &url);
	assert_string_equal(buf_str(&url), "http://db1:9930/api/queries?target=reporting%20db%26x%3D1%2F%C3%A9"
					   "&window=5m&sort=io&limit=20");
	t.window = NULL;
	buf_reset(&url);
	top_queries_url(&o, &t, &url);
	assert_string_equal(buf_str(&url), "http://db1:9930/api/queries?target=reporting%20db%26x%3D1%2F%C3%A9"
					   "&sort=io&limit=20");
	o.include_own = 1;
	buf_reset(&url);
	top_queries_url(&o, &t, &url);
	assert_string_equal(buf_str(&url), "http://db1:9930/api/queries?target=reporting%20db%26x%3D1%2F%C3%A9"
					   "&sort=io&limit=20&include_own=1");
	buf_release(&url);
}

static void test_http_error(void **state)
{
	char msg[256];
	struct buf body;
	fixture("error-window.json", &body);
	top_http_error(400, buf_str(&body), msg, sizeof(msg));
	assert_string_equal(msg, "HTTP 400: unknown window \"7m\" (allowed: 1m, 5m, 1h)");
	buf_release(&body);

	fixture("error-target.json", &body);
	top_http_error(404, buf_str(&body), msg, sizeof(msg));
	assert_string_equal(msg, "HTTP 404: no target \"nope\"");
	buf_release(&body);

	top_http_error(502, "<html>\n<h1>Bad\x1b[2J Gateway</h1>\n</html>\n", msg, sizeof(msg));
	assert_string_equal(msg, "HTTP 502: <html> <h1>Bad Gateway</h1> </html>");
	top_http_error(503, "", msg, sizeof(msg));
	assert_string_equal(msg, "HTTP 503");
	top_http_error(500, NULL, msg, sizeof(msg));
	assert_string_equal(msg, "HTTP 500");
}

/* ---- the table ------------------------------------------------------------------- */

static void test_render_table(void **state)
{
	struct buf out;
	render_fixture("targets.json", "queries.json", 160, 0, &out);
	char *lines[16];
	size_t n = split_lines(out.data, lines, ARRAY_LEN(lines));
	assert_int_equal(n, 2 + 4);
	for (size_t i = 0; i < n; i++)
		if (columns(lines[i], strlen(lines[i])) > 160)
			fail_msg("line %zu is wider than 160: '%s'", i, lines[i]);

	assert_string_equal(lines[0], "main (up)  window 5m (baseline 1h)  sort total  123 statements, "
				      "4567 calls, 12.50s total  collected 2026-12-01T19:20:00.123Z");
	assert_string_equal(lines[1], "   total     mean baseline     calls  calls/s rows/call   hit% "
				      "database  user     query");
	/* mean 32 ms > 2 x 10 ms: marked */
	assert_string_equal(lines[2], "   1.20s   32.0ms   10.0ms!       37     0.12      1.00  83.3% "
				      "app       bob      SELECT pg_sleep($1)");
	/* no baseline, no hit ratio */
	assert_string_equal(lines[3], "   960ms    400us        -      2400     8.00      1.00      - "
				      "app       worker   UPDATE accounts SET balance = balance + $1 WHERE id = $2");
	/* no text yet; 90 ms is not half of 100 ms: not marked */
	assert_string_equal(lines[4], "   300ms    100ms   90.0ms         3     0.01      1000  50.0% "
				      "analytics reporter [queryid 42: text not fetched yet]");
	/* big numbers; a long text cut at 160 columns */
	assert_memory_equal(lines[5], "   1h06m    2.7ms    3.0ms      1.5M     5000      10.0  99.9% "
				      "app       bob      SELECT o.id, o.created_at,", 108);
	/* cut after a word, the ellipsis takes the column of the space */
	assert_int_equal(columns(lines[5], strlen(lines[5])), 159);
	assert_string_equal(lines[5] + strlen(lines[5]) - 6, "zip\xe2\x80\xa6");
	buf_release(&out);

	/* without /api/targets: no state */
	render_fixture(NULL, "queries.json", 160, 0, &out);
	assert_memory_equal(out.data, "main  window 5m", 15);
	buf_release(&out);
}

/* The agent's own statements: their part of the totals in the summary,
 * marked [agent] when listed; a statement PostgreSQL has no text for says
 * why. */
static void test_render_own(void **state)
{
	struct buf out;
	render_fixture(NULL, "queries-own.json", 160, 0, &out);
	char *lines[8];
	size_t n = split_lines(out.data, lines, ARRAY_LEN(lines));
	assert_int_equal(n, 2 + 3);
	assert_string_equal(lines[0], "main  window 1m (baseline 1h)  sort total  3 statements, 61 calls, "
				      "501ms total (agent 20 calls, 12.0ms, listed)  collected "
				      "2026-12-01T19:20:00.123Z");
	assert_contains(lines[2], "bob     SELECT pg_sleep($1)");
	assert_contains(lines[3], "dbpulse [agent] SELECT dbid, userid");
	assert_contains(lines[4], "bob     [queryid 77: text dropped by pg_stat_statements]");
	buf_release(&out);
	/* an answer without "own" (an older agent): the summary as before */
	render_fixture(NULL, "queries.json", 160, 0, &out);
	assert_null(strstr(out.data, "agent"));
	buf_release(&out);
}

/* Narrow screens leave out columns (rows/call, hit%, calls/s, user,
 * database, baseline in that order) so the text keeps 24 columns. */
static void test_render_narrow(void **state)
{
	static const struct {
		unsigned width;
		const char *titles;
	} cases[] = {
		{ 100, "   total     mean baseline     calls  calls/s   hit% database  user     query" },
		{ 90, "   total     mean baseline     calls  calls/s database  user     query" },
		{ 80, "   total     mean baseline     calls database  user     query" },
		{ 71, "   total     mean baseline     calls database  query" },
		{ 70, "   total     mean baseline     calls query" },
		{ 61, "   total     mean baseline     calls query" },
		{ 60, "   total     mean    calls query" },
		{ 20, "   total     mean  \xe2\x80\xa6" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct buf out;
		char *lines[16];
		render_fixture("targets.json", "queries.json", cases[i].width, 0, &out);
		assert_int_equal(split_lines(out.data, lines, ARRAY_LEN(lines)), 6);
		if (strcmp(lines[1], cases[i].titles) != 0)
			fail_msg("width %u: titles '%s', want '%s'", cases[i].width, lines[1], cases[i].titles);
		buf_release(&out);
	}
}

static void test_render_target_state(void **state)
{
	struct buf queries, out = BUF_INIT(BUF_UNLIMITED);
	char err[256];
	fixture("queries.json", &queries);
	const char *down = "{\"targets\": [{\"name\": \"main\", \"kind\": \"postgres\", \"up\": false}]}";
	const char *never = "{\"targets\": [{\"name\": \"main\", \"kind\": \"postgres\", \"up\": null}]}";
	assert_int_equal(top_render(down, buf_str(&queries), 160, 0, &out, err, sizeof(err)), 0);
	assert_memory_equal(out.data, "main (DOWN)  window", 19);
	buf_reset(&out);
	assert_int_equal(top_render(never, buf_str(&queries), 160, 0, &out, err, sizeof(err)), 0);
	assert_memory_equal(out.data, "main (not collected yet)  window", 32);
	buf_reset(&out);
	/* a broken targets answer only loses the state */
	assert_int_equal(top_render("{", buf_str(&queries), 160, 0, &out, err, sizeof(err)), 0);
	assert_memory_equal(out.data, "main  window", 12);
	buf_release(&out);
	buf_release(&queries);
}

static void test_render_widths(void **state)
{
	static const unsigned widths[] = { 0, 1, 19, 20, 40, 63, 80, 100, 300 };
	const char *fixtures[] = { "queries.json", "queries-hostile.json", "queries-empty.json" };
	for (size_t f = 0; f < ARRAY_LEN(fixtures); f++) {
		for (size_t i = 0; i < ARRAY_LEN(widths); i++) {
			unsigned want = widths[i] < 20 ? 20 : widths[i];
			struct buf out;
			render_fixture("targets.json", fixtures[f], widths[i], 0, &out);
			assert_printable(buf_str(&out));
			assert_true(out.len > 0 && out.data[out.len - 1] == '\n');
			char *lines[16];
			size_t n = split_lines(out.data, lines, ARRAY_LEN(lines));
			assert_true(n >= 3);
			for (size_t k = 0; k < n; k++)
				if (columns(lines[k], strlen(lines[k])) > want)
					fail_msg("%s at %u: line %zu has %u columns: '%s'", fixtures[f],
						 widths[i], k, columns(lines[k], strlen(lines[k])), lines[k]);
			buf_release(&out);
		}
	}
}

static void test_render_hostile(void **state)
{
	struct buf out;
	render_fixture("targets.json", "queries-hostile.json", 300, 0, &out);
	assert_printable(buf_str(&out));
	assert_null(strstr(buf_str(&out), "owned"));
	assert_null(strstr(buf_str(&out), "[2J"));
	assert_null(strstr(buf_str(&out), "31m"));
	char *lines[8];
	size_t n = split_lines(out.data, lines, ARRAY_LEN(lines));
	assert_int_equal(n, 3);
	assert_string_equal(lines[2],
			    "   500ms    500ms    100ms!        1     0.00      0.00 100.0% app      "
			    "bob theadmin SELECT \"name\", 'caf\xc3\xa9' AS "
			    "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\", $1 -- back\\slash red \xf0\x9f\x98\x80 end "
			    "FROM \"\xc3\x9cn\xc3\xaf\x63\xc3\xb6\x64\xc3\xa9\" "
			    "WHERE x = '</script>' ;");
	buf_release(&out);
}

/* `dbpulse advise`: its options (and top's refused), the URL it asks. */
static void test_advise_args(void **state)
{
	char *argv[] = { "advise", "-t", "main", "--format", "json", "--kind=invalid_index",
			 "--severity", "critical", "--db", "sh op", "--url", "http://h:1/" };
	struct top_options o;
	char err[256] = "";
	(void)state;
	assert_int_equal(top_parse_args(ARRAY_LEN(argv), argv, &o, err, sizeof(err)), TOP_ARGS_OK);
	assert_true(o.advise && o.json);
	assert_string_equal(o.target, "main");
	struct top_target t = { .name = "ma in" };
	struct buf url = BUF_INIT(BUF_UNLIMITED);
	top_advice_url(&o, &t, &url);
	assert_string_equal(buf_str(&url), "http://h:1/api/advice?target=ma%20in&db=sh%20op"
					   "&kind=invalid_index&severity=critical");
	buf_release(&url);
	char *bad_format[] = { "advise", "--format", "yaml" };
	assert_int_equal(top_parse_args(3, bad_format, &o, err, sizeof(err)), TOP_ARGS_BAD);
	assert_contains(err, "--format: 'yaml'");
	char *top_only[] = { "advise", "--sort", "mean" };
	assert_int_equal(top_parse_args(3, top_only, &o, err, sizeof(err)), TOP_ARGS_BAD);
	assert_contains(err, "unknown option '--sort'");
	char *advise_only[] = { "top", "--kind", "x" };
	assert_int_equal(top_parse_args(3, advise_only, &o, err, sizeof(err)), TOP_ARGS_BAD);
	assert_contains(err, "unknown option '--kind'");
}

/* The findings, most urgent first, names quoted as SQL writes them, the
 * SQL a statement a line; hostile text made printable. */
static void test_advise_render(void **state)
{
	const char *answer =
		"{\"target\": \"main\", \"started_at\": \"2026-12-06T10:00:00.000Z\", "
		"\"duration_seconds\": 0.25, \"databases\": [{\"datname\": \"shop\", \"ok\": true}], "
		"\"counts\": {\"critical\": 1, \"warning\": 0, \"info\": 0}, \"findings\": [{"
		"\"datname\": \"shop\", \"kind\": \"invalid_index\", \"severity\": \"critical\", "
		"\"schema\": \"s \\\"q\\\"\", \"table\": \"t\\u001b[2J\", \"object\": \"i\", "
		"\"summary\": \"index \\\"i\\\" is invalid\\u001b]0;x\\u0007\", "
		"\"evidence\": {\"index_bytes\": 8192, \"indisready\": false}, "
		"\"action_sql\": \"DROP INDEX CONCURRENTLY s.i;\\nCREATE INDEX CONCURRENTLY i ON s.t (a);\"}], "
		"\"notes\": [{\"datname\": \"shop\", \"kind\": \"table_bloat\", \"text\": \"no SELECT\"}]}";
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	char err[256] = "";
	(void)state;
	assert_int_equal(advise_render(answer, 200, &out, err, sizeof(err)), 0);
	assert_printable(buf_str(&out));
	char *lines[16] = { NULL };
	size_t n = split_lines(out.data, lines, ARRAY_LEN(lines));
	assert_true(n >= 9);
	assert_contains(lines[0], "target main, pass at 2026-12-06T10:00:00.000Z (0.25 s) over 1 "
				  "database: 1 critical, 0 warning, 0 info");
	/* the escape sequence is gone, [2J with it */
	assert_string_equal(lines[2], "CRITICAL invalid_index database shop table \"s \"\"q\"\"\".\"t\" \"i\"");
	assert_string_equal(lines[3], "  index \"i\" is invalid");
	assert_string_equal(lines[4], "  evidence: index_bytes=8192 indisready=false");
	assert_string_equal(lines[6], "    DROP INDEX CONCURRENTLY s.i;");
	assert_string_equal(lines[7], "    CREATE INDEX CONCURRENTLY i ON s.t (a);");
	buf_reset(&out);
	assert_int_equal(advise_render("{\"error\": \"x\"}", 200, &out, err, sizeof(err)), -1);
	assert_contains(err, "not an /api/advice object");
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void test_render_max_rows(void **state)
{
	struct buf out;
	render_fixture("targets.json", "queries.json", 160, 4, &out);
	char *lines[16] = { NULL };
	size_t n = split_lines(out.data, lines, ARRAY_LEN(lines));
	assert_int_equal(n, 4);
	assert_contains(lines[0], "123 statements (2 shown), 4567 calls");
	assert_contains(lines[3], "UPDATE accounts");
	buf_release(&out);

	static const unsigned caps[] = { 1, 2, 3 };
	for (size_t i = 0; i < ARRAY_LEN(caps); i++) {
		render_fixture("targets.json", "queries.json", 120, caps[i], &out);
		assert_int_equal(split_lines(out.data, lines, ARRAY_LEN(lines)), caps[i]);
		buf_release(&out);
	}
	render_fixture("targets.json", "queries.json", 120, 100, &out);
	assert_int_equal(split_lines(out.data, lines, ARRAY_LEN(lines)), 6);
	assert_null(strstr(lines[0], "shown"));
	buf_release(&out);
}

static void test_render_empty(void **state)
{
	struct buf out;
	render_fixture("targets.json", "queries-empty.json", 160, 0, &out);
	assert_string_equal(buf_str(&out),
			    "main (up)  window 1m (baseline 1h)  sort calls  0 statements, 0 calls, 0us total"
			    "  collected 2026-12-01T19:20:00.123Z\n"
			    "   total     mean baseline     calls  calls/s rows/call   hit% database user query\n"
			    "(no statement ran in this window)\n");
	buf_release(&out);
}

static void test_render_refused(void **state)
{
	static const char *const answers[] = {
		"", "{", "not json", "[]", "{}", "{\"statements\": {}}", "{\"error\": \"no\"}", "null",
	};
	for (size_t i = 0; i < ARRAY_LEN(answers); i++) {
		struct buf out = BUF_INIT(BUF_UNLIMITED);
		char err[256] = "";
		assert_int_equal(top_render(NULL, answers[i], 80, 0, &out, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n'));
		buf_release(&out);
	}
	/* odd statements and fields render as "-" instead of failing */
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	char err[256];
	assert_int_equal(top_render(NULL, "{\"statements\": [{}, 3, {\"calls\": \"many\", \"query\": 7}]}",
				    80, 0, &out, err, sizeof(err)), 0);
	assert_memory_equal(buf_str(&out),
			    "?  window ?  sort ?  - statements, - calls, - total  collected never\n", 69);
	assert_printable(buf_str(&out));
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_defaults),
		cmocka_unit_test(test_args_all),
		cmocka_unit_test(test_args_help),
		cmocka_unit_test(test_args_refused),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_clean_text),
		cmocka_unit_test(test_clean_text_cut),
		cmocka_unit_test(test_pick_target),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_http_error),
		cmocka_unit_test(test_render_table),
		cmocka_unit_test(test_render_own),
		cmocka_unit_test(test_render_narrow),
		cmocka_unit_test(test_render_target_state),
		cmocka_unit_test(test_render_widths),
		cmocka_unit_test(test_render_hostile),
		cmocka_unit_test(test_render_max_rows),
		cmocka_unit_test(test_advise_args),
		cmocka_unit_test(test_advise_render),
		cmocka_unit_test(test_render_empty),
		cmocka_unit_test(test_render_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
