/*
 * redis_conn.c -- a hiredis connection bounded by deadlines and reply caps
 * (see redis_conn.h).
 *
 * hiredis 0.14 reads a reply whole, however large the server makes it: its
 * reader has no maxelements (hiredis 1.0 added it), and maxbuf only trims
 * an idle buffer.  So replies are read here, one socket read at a time,
 * counting the bytes received and (through the reader's createArray) the
 * elements announced, and given up at the cap.  The rest of such a reply
 * cannot be skipped: the connection is dropped.  Every read runs with a
 * socket timeout of what is left of the deadline, so `DEBUG SLEEP` on the
 * server or a server that never answers costs one cycle, not a hang.
 *
 * Driven by the Redis collector (redis.c) on its target's worker thread.
 * Owns the hiredis context and the element counter in its reader.
 */
#include "autoconfig.h"
#include "redis_conn.h"
#include "metrics.h"
#include "strutil.h"

#include <hiredis/read.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include "banned.h"

static const struct redis_reply_caps default_caps = { REDIS_REPLY_MAX_BYTES,
						      REDIS_REPLY_MAX_ELEMENTS };

void redis_conn_close(struct redis_conn *c)
{
	if (c->ctx)
		redisFree(c->ctx);
	c->ctx = NULL;
}

struct timeval redis_conn_left(int64_t deadline)
{
	int64_t ms = deadline - now_mono_ms();
	if (ms < 1)
		ms = 1;
	return (struct timeval){ .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
}

static void *counted_array(const redisReadTask *task, int elements)
{
	struct redis_reply_counter *c = task->privdata;
	if (elements < 0 || (size_t)elements > c->max_elements - c->elements) {
		c->over = elements < 0 ? -1 : 1; /* -1: not a length at all */
		return NULL; /* the reader fails the reply (as out of memory) */
	}
	c->elements += (size_t)elements;
	return c->inner->createArray(task, elements);
}

/* Puts the element counter into a new context's reader. */
static void counter_install(struct redis_conn *c)
{
	redisReader *rd = c->ctx->reader;
	c->counter.inner = rd->fn;
	c->counter.fn = *rd->fn;
	c->counter.fn.createArray = counted_array;
	rd->fn = &c->counter.fn;
	rd->privdata = &c->counter;
	rd->maxbuf = REDIS_READER_MAX_BUF; /* an idle buffer over 16 KiB is freed */
}

int redis_conn_open(struct redis_conn *c, const char *host, int port, const char *address,
		    int64_t deadline)
{
	redis_conn_close(c);
	struct timeval tv = redis_conn_left(deadline);
	c->ctx = port ? redisConnectWithTimeout(host, port, tv) : redisConnectUnixWithTimeout(host, tv);
	if (!c->ctx || c->ctx->err) {
		snprintf(c->err, sizeof(c->err), "cannot connect to '%s': %s", address,
			 c->ctx ? c->ctx->errstr : "out of memory");
		redis_conn_close(c);
		return -1;
	}
	counter_install(c);
	return 0;
}

/* The failure of a socket read or write, in c->err; drops the connection. */
static void io_failed(struct redis_conn *c, const char *what)
{
	int timed_out = c->ctx->err == REDIS_ERR_IO &&
			strstr(c->ctx->errstr, "temporarily unavailable") != NULL;
	snprintf(c->err, sizeof(c->err), "%s: %s", what,
		 timed_out ? "no answer before the deadline" : c->ctx->errstr);
	redis_conn_close(c);
}

static void reply_too_large(struct redis_conn *c, const char *what, size_t limit, size_t cap)
{
	const char *unit = limit == c->limit_bytes ? "bytes" : "elements";
	snprintf(c->err, sizeof(c->err), "%s: the reply passed its cap of %zu %s; connection dropped",
		 what, cap, unit);
	c->over_cap = 1;
	limit_reached(c->limits, limit, "redis", c->name, "%s", c->err);
	redis_conn_close(c);
}

/* Sends what the context has buffered. */
static int flush_commands(struct redis_conn *c, const char *what)
{
	int done = 0;
	while (!done) {
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK) {
			io_failed(c, what);
			return -1;
		}
	}
	return 0;
}

/* Reads one reply within caps into *out.  -1 (c->err set, connection
 * dropped) on an I/O or protocol error or a reply over a cap. */
static int read_reply(struct redis_conn *c, const struct redis_reply_caps *caps, const char *what,
		      redisReply **out)
{
	redisReader *rd = c->ctx->reader;
	void *reply = NULL;
	size_t received = 0;
	c->counter.elements = 0;
	c->counter.max_elements = caps->elements;
	c->counter.over = 0;
	for (;;) {
		if (redisReaderGetReply(rd, &reply) != REDIS_OK) {
			if (c->counter.over > 0) {
				reply_too_large(c, what, c->limit_elements, caps->elements);
			} else {
				snprintf(c->err, sizeof(c->err), "%s: %s", what,
					 c->counter.over < 0 ? "protocol error (negative array length)"
							     : rd->errstr);
				redis_conn_close(c);
			}
			return -1;
		}
		if (reply)
			break;
		if (received > caps->bytes) {
			reply_too_large(c, what, c->limit_bytes, caps->bytes);
			return -1;
		}
		/* the socket's timeout bounds one read; a server that sends a
		 * byte now and then must not stretch the reply past the
		 * collection's deadline */
		if (now_mono_ms() >= c->deadline) {
			snprintf(c->err, sizeof(c->err), "%s: no complete answer before the deadline",
				 what);
			redis_conn_close(c);
			return -1;
		}
		redisSetTimeout(c->ctx, redis_conn_left(c->deadline));
		size_t before = rd->len;
		if (redisBufferRead(c->ctx) != REDIS_OK) {
			io_failed(c, what);
			return -1;
		}
		received += rd->len - before;
	}
	*out = reply;
	return 0;
}

redisReply *redis_conn_command_capped(struct redis_conn *c, int64_t deadline,
				      const struct redis_reply_caps *caps, int argc,
				      const char **argv)
{
	if (!c->ctx) {
		snprintf(c->err, sizeof(c->err), "not connected");
		return NULL;
	}
	redisSetTimeout(c->ctx, redis_conn_left(deadline));
	redisReply *reply = NULL;
	if (redisAppendCommandArgv(c->ctx, argc, argv, NULL) != REDIS_OK) {
		io_failed(c, argv[0]);
		return NULL;
	}
	if (flush_commands(c, argv[0]) < 0 || read_reply(c, caps, argv[0], &reply) < 0)
		return NULL;
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(c->err, sizeof(c->err), "%s: %.*s", argv[0], (int)reply->len, reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

redisReply *redis_conn_command(struct redis_conn *c, int64_t deadline, int argc, const char **argv)
{
	return redis_conn_command_capped(c, deadline, &default_caps, argc, argv);
}

int redis_conn_read_replies(struct redis_conn *c, redisReply **out, size_t n)
{
	if (n && flush_commands(c, "pipeline") < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (read_reply(c, &default_caps, "pipeline", &out[i]) < 0) {
			for (size_t k = 0; k < i; k++)
				freeReplyObject(out[k]);
			return -1;
		}
	}
	return 0;
}
