/*
 * test_redis_slowlog.c -- the SLOWLOG GET reply walker and its JSON:
 * entries of Redis 7 and of Redis before 4 (no client fields), arguments
 * cut (they are user data), hostile bytes that must come out as valid
 * JSON text, and malformed entries skipped and counted.  Replies are built
 * by hand as hiredis would hand them over.
 */
#include "autoconfig.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "redis_slowlog.h"

static redisReply *integer(long long v)
{
	redisReply *r = calloc(1, sizeof(*r));
	r->type = REDIS_REPLY_INTEGER;
	r->integer = v;
	return r;
}

static redisReply *string(const char *s, size_t len)
{
	redisReply *r = calloc(1, sizeof(*r));
	r->type = REDIS_REPLY_STRING;
	r->str = malloc(len + 1);
	memcpy(r->str, s, len);
	r->str[len] = '\0';
	r->len = len;
	return r;
}

static redisReply *array(size_t n, ...)
{
	redisReply *r = calloc(1, sizeof(*r));
	r->type = REDIS_REPLY_ARRAY;
	r->elements = n;
	r->element = calloc(n + 1, sizeof(*r->element));
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		r->element[i] = va_arg(ap, redisReply *);
	va_end(ap);
	return r;
}

static void release(redisReply *r)
{
	for (size_t i = 0; i < r->elements; i++)
		release(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

#define S(lit) string(lit, sizeof(lit) - 1)

static void test_entries(void **state)
{
	(void)state;
	redisReply *reply = array(3,
		array(6, integer(7), integer(1700000000), integer(50123),
		      array(3, S("DEBUG"), S("SLEEP"), S("0.05")), S("127.0.0.1:5000"), S("app")),
		array(4, integer(6), integer(1699999999), integer(12000), array(1, S("KEYS"))),
		array(2, integer(5), S("broken")));
	struct redis_slowlog *s = redis_slowlog_parse(reply);
	release(reply);
	assert_non_null(s);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->bad_entries, 1);
	assert_int_equal(s->entries[0].id, 7);
	assert_int_equal(s->entries[0].duration_us, 50123);
	assert_string_equal(s->entries[0].command, "DEBUG SLEEP 0.05");
	assert_string_equal(s->entries[0].client, "127.0.0.1:5000");
	assert_string_equal(s->entries[0].client_name, "app");
	assert_string_equal(s->entries[1].command, "KEYS");
	assert_string_equal(s->entries[1].client, ""); /* Redis before 4 */
	struct buf out = BUF_INIT(1 << 20);
	assert_int_equal(redis_slowlog_json(s, &out), 0);
	assert_string_equal(buf_str(&out),
			    "[{\"id\":7,\"time\":1700000000,\"duration_seconds\":0.050123,"
			    "\"command\":\"DEBUG SLEEP 0.05\",\"client\":\"127.0.0.1:5000\","
			    "\"client_name\":\"app\"},{\"id\":6,\"time\":1699999999,"
			    "\"duration_seconds\":0.012,\"command\":\"KEYS\",\"client\":\"\","
			    "\"client_name\":\"\"}]");
	buf_release(&out);
	redis_slowlog_free(s);
	assert_null(redis_slowlog_parse(NULL));
	redisReply *notarray = S("x");
	assert_null(redis_slowlog_parse(notarray));
	release(notarray);
}

static void test_cut_and_hostile(void **state)
{
	(void)state;
	char big[300];
	memset(big, 'v', sizeof(big));
	redisReply *args = calloc(1, sizeof(*args));
	args->type = REDIS_REPLY_ARRAY;
	args->elements = 20;
	args->element = calloc(20, sizeof(*args->element));
	args->element[0] = S("SET");
	args->element[1] = string("</script>\"\\\n\xff\0x", 15);
	args->element[2] = string(big, sizeof(big));
	for (size_t i = 3; i < 20; i++)
		args->element[i] = S("a");
	redisReply *reply = array(1, array(6, integer(1), integer(2), integer(3), args,
					   string("\xc3\x28", 2), S("")));
	struct redis_slowlog *s = redis_slowlog_parse(reply);
	release(reply);
	assert_int_equal(s->n, 1);
	const char *cmd = s->entries[0].command;
	assert_non_null(strstr(cmd, "... (4 more arguments)"));
	assert_true(strlen(cmd) < 16 * 70 + 64);
	assert_null(strstr(cmd, "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"));
	struct buf out = BUF_INIT(1 << 20);
	assert_int_equal(redis_slowlog_json(s, &out), 0);
	/* the JSON parses strictly and gives the text back as text */
	json_error_t jerr;
	json_t *parsed = json_loads(buf_str(&out), JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(parsed);
	const char *back = json_string_value(json_object_get(json_array_get(parsed, 0), "command"));
	assert_non_null(strstr(back, "</script>\"\\\n\xef\xbf\xbd\xef\xbf\xbdx"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(parsed, 0), "client")),
			    "\xef\xbf\xbd(");
	json_decref(parsed);
	buf_release(&out);
	redis_slowlog_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_cut_and_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
