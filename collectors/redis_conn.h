/*
 * redis_conn.h -- one hiredis connection, used within deadlines and caps
 * (the Redis counterpart of pg_conn.h).
 *
 * Connecting and every command are bounded by the caller's deadline
 * (monotonic ms): hiredis 0.14 has no per-command timeout, so the socket
 * timeout is set to what is left before each read.  Every reply is bounded
 * in bytes and array elements (hiredis 0.14 would buffer whatever the
 * server sends); a reply over its cap, an I/O or a protocol error or the
 * deadline drop the connection.  Used by one collector instance on its
 * worker thread only.
 */
#ifndef DBPULSE_REDIS_CONN_H
#define DBPULSE_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

struct limit_counts;

/* Caps of one reply.  The largest reply of a healthy server is INFO ALL
 * with every command in commandstats and latencystats, about 200 KiB and a
 * single element, or a SCAN page of 1000 keys (redis.c's SCAN_COUNT):
 * 8 MiB leave 40 times that, and 64 Ki elements 60 times a SCAN page. */
#define REDIS_REPLY_MAX_BYTES ((size_t)8 << 20)
#define REDIS_REPLY_MAX_ELEMENTS ((size_t)64 << 10)

/* The caps of one reply. */
struct redis_reply_caps {
	size_t bytes, elements;
};

/* Counts the elements of the reply being read against its cap: the
 * reader's createArray goes through here (task->privdata). */
struct redis_reply_counter {
	redisReplyObjectFunctions fn;     /* hiredis' own, createArray wrapped */
	redisReplyObjectFunctions *inner; /* hiredis' own */
	size_t elements, max_elements;
	int over;                         /* the last reply passed max_elements */
};

struct redis_conn {
	redisContext *ctx;                /* NULL while disconnected */
	struct redis_reply_counter counter; /* installed in ctx's reader */
	/* set by the owner: */
	const char *name;                 /* the target's, in log lines */
	struct limit_counts *limits;      /* where a reply over a cap is counted, */
	size_t limit_bytes;               /* under these of the owner's limits */
	size_t limit_elements;
	int64_t deadline;                 /* of the collection running (now_mono_ms) */
	/* set here: */
	int over_cap;                     /* the connection was dropped for a reply's cap */
	char err[512];                    /* why the last call failed */
};

/* Connects to host:port, or the unix socket host when port is 0, before
 * deadline.  address is the target's as written, for the message.  0, or
 * -1 with the reason in c->err. */
int redis_conn_open(struct redis_conn *c, const char *host, int port, const char *address,
		    int64_t deadline);
/* Drops the connection, if any. */
void redis_conn_close(struct redis_conn *c);

/* The socket timeout that ends at deadline (at least 1 ms). */
struct timeval redis_conn_left(int64_t deadline);

/*
 * Runs one command (argv form) within deadline and caps (_command: the
 * default ones) and returns its reply, which the caller frees with
 * freeReplyObject().  An error reply is returned as NULL with its text in
 * c->err and the connection kept; an I/O or protocol error, a reply over a
 * cap or c->deadline passing give NULL with c->err and drop the
 * connection (c->ctx NULL).
 */
redisReply *redis_conn_command_capped(struct redis_conn *c, int64_t deadline,
				      const struct redis_reply_caps *caps, int argc,
				      const char **argv);
redisReply *redis_conn_command(struct redis_conn *c, int64_t deadline, int argc, const char **argv);

/* Sends the n commands the caller appended to c->ctx
 * (redisAppendCommandArgv) and reads their replies into out, each within
 * the default caps; the caller frees them.  0, or -1 (c->err set,
 * connection dropped, nothing left in out) on an I/O error. */
int redis_conn_read_replies(struct redis_conn *c, redisReply **out, size_t n);

#endif
