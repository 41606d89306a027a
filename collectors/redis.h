/*
 * redis.h -- [redis "NAME"] sections and the Redis collector.
 *
 * One instance per section, driven by that target's worker thread: one
 * persistent hiredis connection (CLIENT SETNAME dbpulse), `INFO ALL`, the
 * slow log, and the sizes of the keys matching `check_keys` (bounded SCAN,
 * pipelined size commands) each interval.  Every series carries
 * target="NAME".
 */
#ifndef DBPULSE_REDIS_H
#define DBPULSE_REDIS_H

#include <stdint.h>

#include "collector.h"
#include "config.h"

/* The name the agent's connection gives itself (CLIENT SETNAME): what
 * tells its own commands in the slow log and CLIENT LIST. */
#define REDIS_CLIENT_NAME "dbpulse"

struct redis_config {
	struct target_common common;     /* enabled, interval, timeout, password */
	char *address;                   /* host:port, [v6]:port, or a unix socket path */
	char *username;                  /* ACL user; the default user when unset */
	struct conf_list check_keys;     /* glob patterns */
	int64_t check_keys_limit;        /* keys sized per cycle, all patterns together */
	int64_t slowlog_entries;         /* slow-log entries kept for the DBA page */
};

extern const struct config_kind redis_kind;
extern const struct collector redis_collector;

#endif
