/*
 * test_redis_replies.c -- the CONFIG GET, LATENCY LATEST and LATENCY
 * HISTOGRAM reply walkers (collectors/redis_replies.c) on replies captured
 * from Redis 7.0 (the .resp files of tests/data/redis: raw RESP bytes, turned
 * into reply trees by hiredis's own reader as the collector gets them),
 * and on malformed replies: not an array, odd elements, wrong types,
 * values that are not numbers, names that are not UTF-8, more buckets
 * than kept.  Also Go's float format of le labels.
 *
 * The captures: redis-server 7.0 with latency-monitor-threshold 10, 20
 * SETs and GETs, CONFIG GET maxmemory, DEBUG SLEEP 0.03; then CONFIG GET
 * io-threads / databases / client-output-buffer-limit, LATENCY LATEST and
 * LATENCY HISTOGRAM set get config|get debug.
 */
#include "autoconfig.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "exposition.h"
#include "metrics.h"
#include "redis_info.h"
#include "redis_replies.h"
#include "strutil.h"
#include "xalloc.h"

#define TARGET "cache"

/* The first reply of RESP bytes. */
static redisReply *parse(const char *resp, size_t len)
{
	redisReader *r = redisReaderCreate();
	assert_non_null(r);
	assert_int_equal(redisReaderFeed(r, resp, len), REDIS_OK);
	void *reply = NULL;
	assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
	assert_non_null(reply);
	redisReaderFree(r);
	return reply;
}

#define PARSE(lit) parse(lit, sizeof(lit) - 1)

/* The reply captured in tests/data/redis/<name>. */
static redisReply *fixture(const char *name)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/tests/data/redis/%s", top && *top ? top : ".", name);
	struct buf b;
	buf_init(&b, (size_t)1 << 20);
	if (read_file(path, &b) < 0)
		fail_msg("cannot read fixture '%s': %s", path, strerror(errno));
	redisReply *r = parse(b.data, b.len);
	buf_release(&b);
	free(path);
	return r;
}

static char *render(struct batch *b)
{
	struct expo_block *blk = expo_render(b);
	char *text = expo_block_text(blk, NULL);
	assert_non_null(text);
	assert_int_equal(blk->duplicates, 0);
	expo_block_unref(blk);
	return text;
}

static void has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing '%s' in:\n%s", line, text);
}

static void lacks(const char *text, const char *what)
{
	if (strstr(text, what))
		fail_msg("unexpected '%s' in:\n%s", what, text);
}

/* ---- CONFIG GET -------------------------------------------------------- */

static void test_config(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	struct redis_settings set = { .io_threads = -1, .databases = 0 };
	static const char *const files[] = { "config-io-threads.resp", "config-databases.resp",
					     "config-client-output-buffer-limit.resp" };
	for (size_t i = 0; i < 3; i++) {
		redisReply *r = fixture(files[i]);
		assert_int_equal(redis_config_read(r, TARGET, b, &set), 0);
		freeReplyObject(r);
	}
	assert_true(set.io_threads == 1);
	assert_int_equal(set.databases, 16);
	redis_settings_emit(&set, TARGET, b);
	char *text = render(b);
	has(text, "# TYPE redis_config_io_threads gauge\nredis_config_io_threads{target=\"cache\"} 1\n");
	has(text, "# TYPE redis_config_client_output_buffer_limit_bytes gauge\n");
	has(text, "redis_config_client_output_buffer_limit_bytes{target=\"cache\",class=\"normal\","
		  "limit=\"hard\"} 0\n");
	has(text, "redis_config_client_output_buffer_limit_bytes{target=\"cache\",class=\"slave\","
		  "limit=\"hard\"} 268435456\n");
	has(text, "redis_config_client_output_buffer_limit_bytes{target=\"cache\",class=\"slave\","
		  "limit=\"soft\"} 67108864\n");
	has(text, "redis_config_client_output_buffer_limit_bytes{target=\"cache\",class=\"pubsub\","
		  "limit=\"soft\"} 8388608\n");
	has(text, "redis_config_client_output_buffer_limit_overcome_seconds{target=\"cache\","
		  "class=\"pubsub\",limit=\"soft\"} 60\n");
	lacks(text, "overcome_seconds{target=\"cache\",class=\"pubsub\",limit=\"hard\"}");
	free(text);

	/* several pairs in one reply (CONFIG GET a b c, Redis 7), unknown ones */
	batch_reset(b);
	set = (struct redis_settings){ .io_threads = -1, .databases = 0 };
	redisReply *r = PARSE("*6\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$9\r\ndatabases\r\n$3\r\n256\r\n"
			      "$10\r\nio-threads\r\n:4\r\n");
	assert_int_equal(redis_config_read(r, TARGET, b, &set), 0);
	freeReplyObject(r);
	assert_int_equal(set.databases, 256);
	assert_true(set.io_threads == 4);
	assert_int_equal(b->nsamples, 0);

	/* no io-threads read: nothing emitted */
	set.io_threads = -1;
	redis_settings_emit(&set, TARGET, b);
	assert_int_equal(b->nsamples, 0);
	batch_free(b);
}

static const struct bad_config {
	const char *what;
	const char *resp;
	size_t len;
	unsigned bad;
	size_t nsamples;
	int databases;          /* after: was 16 */
} bad_configs[] = {
#define R(s) s, sizeof(s) - 1
	{ "an error reply", R("-NOPERM this user has no permissions\r\n"), 1, 0, 16 },
	{ "an empty array (an unknown name)", R("*0\r\n"), 0, 0, 16 },
	{ "an odd array", R("*1\r\n$9\r\ndatabases\r\n"), 1, 0, 16 },
	{ "not a number", R("*2\r\n$9\r\ndatabases\r\n$3\r\nabc\r\n"), 1, 0, 16 },
	{ "a negative count", R("*2\r\n$9\r\ndatabases\r\n$2\r\n-1\r\n"), 1, 0, 16 },
	{ "a fraction", R("*2\r\n$9\r\ndatabases\r\n$3\r\n1.5\r\n"), 1, 0, 16 },
	{ "a NUL in the value", R("*2\r\n$9\r\ndatabases\r\n$3\r\n1\0002\r\n"), 1, 0, 16 },
	{ "a name that is an integer", R("*2\r\n:5\r\n$2\r\n16\r\n"), 0, 0, 16 },
	{ "limits: five fields, one bad",
	  R("*2\r\n$26\r\nclient-output-buffer-limit\r\n$14\r\nnormal 0 0 x y\r\n"), 2, 2, 16 },
	{ "limits: one class, one bad number",
	  R("*2\r\n$26\r\nclient-output-buffer-limit\r\n$13\r\nnormal 0 x 60\r\n"), 1, 2, 16 },
	{ "limits: an array", R("*2\r\n$26\r\nclient-output-buffer-limit\r\n*0\r\n"), 1, 0, 16 },
	{ "limits: nan", R("*2\r\n$26\r\nclient-output-buffer-limit\r\n$15\r\nnormal nan 0 60\r\n"), 1,
	  2, 16 },
#undef R
};

static void test_config_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		const struct bad_config *c = &bad_configs[i];
		print_message("# %s\n", c->what);
		struct batch *b = batch_new();
		struct redis_settings set = { .io_threads = -1, .databases = 16 };
		redisReply *r = parse(c->resp, c->len);
		unsigned bad = redis_config_read(r, TARGET, b, &set);
		freeReplyObject(r);
		if (bad != c->bad || b->nsamples != c->nsamples || set.databases != c->databases)
			fail_msg("%s: bad %u, %zu samples, databases %d", c->what, bad, b->nsamples,
				 set.databases);
		assert_true(set.io_threads == -1);
		batch_free(b);
	}
	/* a NULL reply (the collector never passes one) */
	struct redis_settings set = { .io_threads = -1, .databases = 16 };
	assert_int_equal(redis_config_read(NULL, TARGET, NULL, &set), 1);
}

/* ---- LATENCY LATEST ---------------------------------------------------- */

static void test_latency_latest(void **state)
{
	(void)state;
	struct batch *b = batch_new();
	redisReply *r = fixture("latency-latest.resp");
	assert_int_equal(redis_latency_latest_emit(r, TARGET, b), 0);
	freeReplyObject(r);
	char *text = render(b);
	has(text, "# TYPE redis_latency_spike_last gauge\n"
		  "redis_latency_spike_last{target=\"cache\",event_name=\"command\"} 1796483210\n");
	has(text, "# TYPE redis_latency_spike_duration_seconds gauge\n"
		  "redis_latency_spike_duration_seconds{target=\"cache\",event_name=\"command\"} 0.03\n");
	free(text);

	/* an empty one (no event passed the threshold), malformed entries */
	batch_reset(b);
	r = PARSE("*0\r\n");
	assert_int_equal(redis_latency_latest_emit(r, TARGET, b), 0);
	freeReplyObject(r);
	assert_int_equal(b->nsamples, 0);
	r = PARSE("*5\r\n*3\r\n$1\r\na\r\n:1\r\n:2\r\n:7\r\n*4\r\n:1\r\n:1\r\n:2\r\n:3\r\n"
		  "*4\r\n$1\r\nb\r\n$1\r\nx\r\n:2\r\n:3\r\n"
		  "*5\r\n$5\r\nfork\xff\r\n:10\r\n:2500\r\n:3000\r\n:9\r\n");
	assert_int_equal(redis_latency_latest_emit(r, TARGET, b), 4);
	freeReplyObject(r);
	text = render(b);
	has(text, "redis_latency_spike_duration_seconds{target=\"cache\",event_name=\"fork\xef\xbf\xbd\"} 2.5\n");
	assert_int_equal(b->nsamples, 2);
	free(text);
	r = PARSE("$2\r\nno\r\n");
	assert_int_equal(redis_latency_latest_emit(r, TARGET, b), 1);
	freeReplyObject(r);
	batch_free(b);
}

/* ---- LATENCY HISTOGRAM ------------------------------------------------- */

static void test_latency_histogram(void **state)
{
	(void)state;
	static const char info[] = "# Commandstats\r\n"
				   "cmdstat_set:calls=20,usec=31,usec_per_call=1.55\r\n"
				   "cmdstat_get:calls=20,usec=9,usec_per_call=0.45\r\n"
				   "cmdstat_config|get:calls=4,usec=300,usec_per_call=75.00\r\n"
				   "cmdstat_config|set:calls=1,usec=5,usec_per_call=5.00\r\n"
				   "cmdstat_configx:calls=1,usec=1000,usec_per_call=1000.00\r\n";
	struct batch *b = batch_new();
	struct redis_info_summary sum;
	assert_int_equal(redis_info_emit(info, sizeof(info) - 1, TARGET, 0, 0, b, &sum, NULL, 0), 0);
	batch_reset(b);
	redisReply *r = fixture("latency-histogram.resp");
	assert_int_equal(redis_latency_histogram_emit(r, TARGET, &sum, b), 0);
	freeReplyObject(r);
	char *text = render(b);
	has(text, "# TYPE redis_commands_latencies_usec histogram\n"
		  "redis_commands_latencies_usec_bucket{target=\"cache\",cmd=\"set\",le=\"1\"} 18\n"
		  "redis_commands_latencies_usec_bucket{target=\"cache\",cmd=\"set\",le=\"4\"} 19\n"
		  "redis_commands_latencies_usec_bucket{target=\"cache\",cmd=\"set\",le=\"16\"} 20\n"
		  "redis_commands_latencies_usec_bucket{target=\"cache\",cmd=\"set\",le=\"+Inf\"} 20\n"
		  "redis_commands_latencies_usec_sum{target=\"cache\",cmd=\"set\"} 31\n"
		  "redis_commands_latencies_usec_count{target=\"cache\",cmd=\"set\"} 20\n");
	has(text, "redis_commands_latencies_usec_sum{target=\"cache\",cmd=\"config|get\"} 300\n");
	has(text, "redis_commands_latencies_usec_count{target=\"cache\",cmd=\"config|get\"} 4\n");
	/* a command commandstats lacks: sum 0, as redis_exporter has it */
	has(text, "redis_commands_latencies_usec_bucket{target=\"cache\",cmd=\"debug\",le=\"33816\"} 1\n");
	has(text, "redis_commands_latencies_usec_sum{target=\"cache\",cmd=\"debug\"} 0\n");
	free(text);

	/* a parent command: its subcommands' usec added up, not configx's */
	batch_reset(b);
	r = PARSE("*2\r\n$6\r\nconfig\r\n*4\r\n$5\r\ncalls\r\n:5\r\n$14\r\nhistogram_usec\r\n"
		  "*4\r\n:1048576\r\n:4\r\n:2097152\r\n:5\r\n");
	assert_int_equal(redis_latency_histogram_emit(r, TARGET, &sum, b), 0);
	freeReplyObject(r);
	text = render(b);
	has(text, "redis_commands_latencies_usec_sum{target=\"cache\",cmd=\"config\"} 305\n");
	/* le as Go writes 2^20 */
	has(text, "redis_commands_latencies_usec_bucket{target=\"cache\",cmd=\"config\","
		  "le=\"1.048576e+06\"} 4\n");
	free(text);
	/* no INFO summary at all */
	batch_reset(b);
	r = PARSE("*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*0\r\n");
	assert_int_equal(redis_latency_histogram_emit(r, TARGET, NULL, b), 0);
	freeReplyObject(r);
	text = render(b);
	has(text, "redis_commands_latencies_usec_bucket{target=\"cache\",cmd=\"get\",le=\"+Inf\"} 1\n"
		  "redis_commands_latencies_usec_sum{target=\"cache\",cmd=\"get\"} 0\n");
	free(text);
	redis_info_summary_release(&sum);
	batch_free(b);
}

static const struct bad_histogram {
	const char *what;
	const char *resp;
	size_t len;
	unsigned bad;
	size_t nsamples;
} bad_histograms[] = {
#define R(s) s, sizeof(s) - 1
	{ "an error reply", R("-ERR unknown subcommand 'HISTOGRAM'\r\n"), 1, 0 },
	{ "empty", R("*0\r\n"), 0, 0 },
	{ "a name without details", R("*1\r\n$3\r\nget\r\n"), 1, 0 },
	{ "details that are no array", R("*2\r\n$3\r\nget\r\n:1\r\n"), 1, 0 },
	{ "no calls", R("*2\r\n$3\r\nget\r\n*2\r\n$14\r\nhistogram_usec\r\n*0\r\n"), 1, 0 },
	{ "no histogram", R("*2\r\n$3\r\nget\r\n*2\r\n$5\r\ncalls\r\n:1\r\n"), 1, 0 },
	{ "a name that is no string",
	  R("*2\r\n:7\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*0\r\n"), 1, 0 },
	{ "calls not a number",
	  R("*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n$1\r\nx\r\n$14\r\nhistogram_usec\r\n*0\r\n"), 1, 0 },
	{ "a bad bucket and an odd one",
	  R("*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:3\r\n$14\r\nhistogram_usec\r\n"
	    "*5\r\n$1\r\nx\r\n:1\r\n:2\r\n:3\r\n:4\r\n"), 2, 4 },
#undef R
};

static void test_histogram_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_histograms) / sizeof(bad_histograms[0]); i++) {
		const struct bad_histogram *c = &bad_histograms[i];
		print_message("# %s\n", c->what);
		struct batch *b = batch_new();
		redisReply *r = parse(c->resp, c->len);
		unsigned bad = redis_latency_histogram_emit(r, TARGET, NULL, b);
		freeReplyObject(r);
		if (bad != c->bad || b->nsamples != c->nsamples)
			fail_msg("%s: bad %u, %zu samples", c->what, bad, b->nsamples);
		batch_free(b);
	}

	/* more buckets than kept: the rest counted */
	struct buf resp = BUF_INIT(BUF_UNLIMITED);
	size_t n = REDIS_HISTOGRAM_BUCKETS_MAX + 6;
	buf_printf(&resp, "*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:%zu\r\n$14\r\nhistogram_usec\r\n"
			  "*%zu\r\n", n, 2 * n);
	for (size_t k = 0; k < n; k++)
		buf_printf(&resp, ":%zu\r\n:%zu\r\n", (size_t)1 << (k % 40), k + 1);
	struct batch *b = batch_new();
	redisReply *r = parse(resp.data, resp.len);
	assert_int_equal(redis_latency_histogram_emit(r, TARGET, NULL, b), 6);
	freeReplyObject(r);
	assert_int_equal(b->nsamples, REDIS_HISTOGRAM_BUCKETS_MAX + 3);
	buf_release(&resp);
	batch_free(b);
}

/* ---- Go's float format ------------------------------------------------- */

static void test_go_float(void **state)
{
	static const struct {
		double v;
		const char *go;
	} cases[] = {
		{ 0, "0" }, { 1, "1" }, { 2, "2" }, { 16, "16" }, { 33816, "33816" },
		{ 524288, "524288" }, { 999999, "999999" }, { 1e6, "1e+06" },
		{ 1048576, "1.048576e+06" }, { 2097152, "2.097152e+06" },
		{ 1073741824, "1.073741824e+09" }, { 1e21, "1e+21" }, { 0.5, "0.5" },
		{ 99.9, "99.9" }, { 0.0001, "0.0001" }, { 0.00001, "1e-05" }, { 1.5e-7, "1.5e-07" },
		{ -3, "-3" }, { -2.5e6, "-2.5e+06" }, { 0.1, "0.1" }, { 123.456, "123.456" },
		{ 1e100, "1e+100" },
	};
	(void)state;
	char out[32];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = redis_go_float(cases[i].v, out, sizeof(out));
		if (strcmp(out, cases[i].go) != 0 || n != strlen(out))
			fail_msg("%.17g gave '%s', not '%s'", cases[i].v, out, cases[i].go);
	}
	redis_go_float(INFINITY, out, sizeof(out));
	assert_string_equal(out, "+Inf");
	redis_go_float(NAN, out, sizeof(out));
	assert_string_equal(out, "NaN");
	assert_int_equal(redis_go_float(1, out, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_latency_latest),
		cmocka_unit_test(test_latency_histogram),
		cmocka_unit_test(test_histogram_bad),
		cmocka_unit_test(test_go_float),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
