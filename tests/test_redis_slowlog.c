/*
 * test_redis_slowlog.c -- the SLOWLOG GET reply walker and its JSON:
 * entries of Redis 7 and of Redis before 4 (no client fields), arguments
 * cut (they are user data), hostile bytes that must come out as valid
 * JSON text, and malformed entries skipped and counted.  Replies are built
 * by hand as hiredis would hand them over.  Also the Redis collector's
 * caps on replies, against a fake server on a unix socket that answers
 * INFO with more than the collector takes.
 */
#include "autoconfig.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "metrics.h"
#include "redis.h"
#include "redis_slowlog.h"
#include "strutil.h"

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
	r->element = calloc(n + 1, sizeof(redisReply *));
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
	assert_false(s->entries[0].cut);
	assert_false(s->entries[1].cut);
	struct buf out = BUF_INIT(1 << 20);
	assert_int_equal(redis_slowlog_json(s, 0, &out), 0);
	assert_string_equal(buf_str(&out),
			    "[{\"id\":7,\"time\":1700000000,\"duration_seconds\":0.050123,"
			    "\"command\":\"DEBUG SLEEP 0.05\",\"client\":\"127.0.0.1:5000\","
			    "\"client_name\":\"app\",\"own\":false},{\"id\":6,\"time\":1699999999,"
			    "\"duration_seconds\":0.012,\"command\":\"KEYS\",\"client\":\"\","
			    "\"client_name\":\"\",\"own\":false}]");
	buf_release(&out);
	/* the agent's own entries (its client name) leave the view, unless asked */
	assert_ptr_equal(redis_slowlog_newest_foreign(s), &s->entries[0]);
	assert_int_equal(redis_slowlog_mark_own(s, "app"), 1);
	assert_true(s->entries[0].own);
	assert_false(s->entries[1].own);
	assert_ptr_equal(redis_slowlog_newest_foreign(s), &s->entries[1]);
	out = (struct buf)BUF_INIT(1 << 20);
	assert_int_equal(redis_slowlog_json(s, 0, &out), 0);
	assert_null(strstr(buf_str(&out), "\"id\":7"));
	assert_non_null(strstr(buf_str(&out), "\"id\":6"));
	buf_release(&out);
	out = (struct buf)BUF_INIT(1 << 20);
	assert_int_equal(redis_slowlog_json(s, 1, &out), 0);
	assert_non_null(strstr(buf_str(&out), "\"id\":7,"));
	assert_non_null(strstr(buf_str(&out), "\"own\":true"));
	/* sealed, as published: the same text, made once */
	char *made = buf_detach(&out, NULL);
	redis_slowlog_seal(s);
	assert_non_null(s->json[1]);
	out = (struct buf)BUF_INIT(1 << 20);
	assert_int_equal(redis_slowlog_json(s, 1, &out), 0);
	assert_string_equal(buf_str(&out), made);
	free(made);
	s->json[0][0] = '!'; /* the API copies what was made: nothing is built again */
	buf_reset(&out);
	assert_int_equal(redis_slowlog_json(s, 0, &out), 0);
	assert_int_equal(buf_str(&out)[0], '!');
	buf_release(&out);
	assert_int_equal(redis_slowlog_mark_own(s, "dbpulse"), 0);
	assert_null(redis_slowlog_newest_foreign(NULL));
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
	args->element = calloc(20, sizeof(redisReply *));
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
	assert_true(s->entries[0].cut);
	const char *cmd = s->entries[0].command;
	assert_non_null(strstr(cmd, "... (4 more arguments)"));
	assert_true(strlen(cmd) < 16 * 70 + 64);
	assert_null(strstr(cmd, "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"));
	struct buf out = BUF_INIT(1 << 20);
	assert_int_equal(redis_slowlog_json(s, 0, &out), 0);
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

static void test_keep(void **state)
{
	(void)state;
	redisReply *reply = array(3,
		array(4, integer(3), integer(1), integer(1), array(1, S("GET"))),
		array(4, integer(2), integer(1), integer(1), array(1, S("SET"))),
		array(4, integer(1), integer(1), integer(1), array(1, S("DEL"))));
	struct redis_slowlog *s = redis_slowlog_parse(reply);
	release(reply);
	assert_int_equal(redis_slowlog_keep(s, 5), 0);
	assert_int_equal(redis_slowlog_keep(s, 2), 1);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->entries[1].command, "SET");
	assert_int_equal(redis_slowlog_keep(NULL, 0), 0);
	redis_slowlog_free(s);
}

/* ---- the collector's caps on replies, against a fake server ---------- */

struct fake_server {
	int listen_fd;
	char path[108];
	const char *info_header;     /* what INFO gets first */
	size_t info_bytes;           /* then this many bytes of filler */
	pthread_t thread;
};

/* Answers each command as it comes: +OK, except INFO. */
static void *fake_main(void *arg)
{
	struct fake_server *f = arg;
	int fd = accept(f->listen_fd, NULL, NULL);
	char in[4096], chunk[16384];
	memset(chunk, 'x', sizeof(chunk));
	ssize_t n;
	while (fd >= 0 && (n = read(fd, in, sizeof(in) - 1)) > 0) {
		in[n] = '\0';
		if (!strstr(in, "INFO")) {
			if (send(fd, "+OK\r\n", 5, MSG_NOSIGNAL) != 5)
				break;
			continue;
		}
		if (send(fd, f->info_header, strlen(f->info_header), MSG_NOSIGNAL) < 0)
			break;
		for (size_t sent = 0; sent < f->info_bytes; sent += sizeof(chunk))
			if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) < 0)
				break; /* the client hung up: the point of the test
					 * (EPIPE, not a SIGPIPE that ends the test) */
		break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void fake_start(struct fake_server *f, const char *header, size_t bytes)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/dbpulse-test-redis-%ld.sock", (long)getpid());
	unlink(f->path);
	f->info_header = header;
	f->info_bytes = bytes;
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->listen_fd >= 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake_server *f)
{
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	unlink(f->path);
}

/* The value of dbpulse_limit_reached_total{limit=limit}, or -1. */
static double limit_value(const struct batch *b, const char *limit)
{
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct batch_sample *sm = &b->samples[i];
		if (strcmp(batch_str(b, b->families[sm->family].name_off),
			   "dbpulse_limit_reached_total") != 0)
			continue;
		const char *p = batch_str(b, sm->labels_off);
		for (uint32_t k = 0; k < sm->nlabels; k++) {
			const char *name = p, *value = p + strlen(p) + 1;
			if (strcmp(name, "limit") == 0 && strcmp(value, limit) == 0)
				return sm->value;
			p = value + strlen(value) + 1;
		}
	}
	return -1;
}

/* One collection against a server whose INFO reply is header + bytes of
 * filler: it must fail, drop the connection and count limit. */
static void collect_against(const char *header, size_t bytes, const char *limit)
{
	struct fake_server f;
	fake_start(&f, header, bytes);
	char text[256];
	snprintf(text, sizeof(text), "[redis \"fake\"]\naddress = %s\n", f.path);
	struct buf errors = BUF_INIT(1 << 16);
	struct config *cfg = config_load_string(text, strlen(text), "test.ini", &errors);
	assert_non_null(cfg);
	const struct config_section *sec = config_find(cfg, "redis", "fake");
	char err[512] = "";
	void *r = redis_collector.init(sec, err, sizeof(err));
	assert_non_null(r);
	struct batch *b = batch_new();
	assert_int_equal(redis_collector.collect(r, b, now_mono_ms() + 5000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "passed its cap"));
	assert_true(limit_value(b, limit) == 1);
	assert_true(limit_value(b, "redis_slowlog_entries") == 0);
	batch_free(b);
	redis_collector.free(r);
	fake_stop(&f);
	config_unref(cfg);
	buf_release(&errors);
}

static void test_reply_bytes_cap(void **state)
{
	(void)state;
	/* a bulk string of 1 GB announced, 9 MiB sent before the agent hangs up */
	collect_against("$1000000000\r\n", (size_t)9 << 20, "redis_reply_bytes");
}

static void test_reply_elements_cap(void **state)
{
	(void)state;
	/* an array of a billion elements: refused before anything is allocated */
	collect_against("*1000000000\r\n", 0, "redis_reply_elements");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_cut_and_hostile),
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_reply_bytes_cap),
		cmocka_unit_test(test_reply_elements_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
