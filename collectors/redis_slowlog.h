/*
 * redis_slowlog.h -- the Redis slow log as the collector keeps it: the
 * reply of SLOWLOG GET walked into entries (arguments truncated: they are
 * user data), and their JSON for the API.  Pure: no I/O.
 */
#ifndef DBPULSE_REDIS_SLOWLOG_H
#define DBPULSE_REDIS_SLOWLOG_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct redisReply;

/* Redis itself keeps at most 32 arguments of 128 bytes per entry; the
 * DBA's page shows one line per entry, so half of each is plenty to
 * recognise a command, and an entry stays under about 1.5 KiB. */
#define REDIS_SLOWLOG_ARG_MAX 64      /* bytes of one argument kept */
#define REDIS_SLOWLOG_ARGS_MAX 16     /* arguments kept */
#define REDIS_SLOWLOG_CLIENT_MAX 128  /* bytes of the client's address and name kept */

struct redis_slow_entry {
	int64_t id;
	int64_t time;                 /* seconds since the epoch */
	int64_t duration_us;
	char *command;                /* arguments joined by spaces, truncated */
	char *client;                 /* address, "" when unknown (Redis < 4) */
	char *client_name;
	int cut;                      /* 1 when arguments, an argument, the client's
				       * address or name were cut to the caps above */
	int own;                      /* the monitoring's own command (its client name) */
};

struct redis_slowlog {
	struct redis_slow_entry *entries;  /* newest first */
	size_t n;
	unsigned bad_entries;         /* entries of the reply that did not fit the format */
	char *json[2];                /* redis_slowlog_seal: without, with own entries */
	size_t json_len[2];
};

/* Walks a SLOWLOG GET reply into a new slow log (the caller frees it with
 * redis_slowlog_free); NULL when the reply is not an array. */
struct redis_slowlog *redis_slowlog_parse(const struct redisReply *reply);
void redis_slowlog_free(void *slowlog);
/* Keeps the first max entries of s (a server may answer SLOWLOG GET N
 * with more than N); returns how many were dropped. */
size_t redis_slowlog_keep(struct redis_slowlog *s, size_t max);
/* Marks the entries of the client named client_name (the agent's own
 * commands: INFO, SLOWLOG, CONFIG GET ...) as own; returns how many. */
size_t redis_slowlog_mark_own(struct redis_slowlog *s, const char *client_name);
/* The newest entry that is not own, or NULL. */
const struct redis_slow_entry *redis_slowlog_newest_foreign(const struct redis_slowlog *s);
/* The entries as a JSON array of objects {id, time, duration_seconds,
 * command, client, client_name, own}, the own ones only with include_own;
 * 0 or -1 (buffer cap).  Strings are made valid UTF-8 first. */
int redis_slowlog_json(const struct redis_slowlog *s, int include_own, struct buf *out);
/* Makes both JSON forms once, when the slow log is published (on the
 * collector's thread), so that the API copies them; the slow log must not
 * change after. */
void redis_slowlog_seal(struct redis_slowlog *s);

#endif
