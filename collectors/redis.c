/*
 * redis.c -- [redis "NAME"] sections and the Redis collector.
 *
 * The scheduler creates one instance per section (redis_init) and calls
 * redis_collect() each interval on the target's worker thread: never two
 * collections, never two connections of one target.  The hiredis context
 * is kept between cycles; any error (I/O, protocol, timeout) frees it and
 * the next attempt connects anew (the scheduler retries after 1 s, 2 s,
 * 4 s ... up to the interval).  Every command runs with a socket timeout
 * of what is left of the cycle's deadline (hiredis 0.14 has no per-command
 * timeout: redisSetTimeout before each), so `DEBUG SLEEP` on the server
 * or a server that never answers costs one cycle, not a hang.
 *
 * An instance owns its context, the slow-log entries it keeps for the API
 * (published as the store entry's view), and its parse error count.
 */
#include "autoconfig.h"
#include "redis.h"
#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "redis_info.h"
#include "redis_slowlog.h"
#include "secret.h"
#include "strutil.h"
#include "xalloc.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* ---- configuration ---------------------------------------------------- */

#define REDIS_KEY(k) offsetof(struct redis_config, k)
#define SECOND 1000
#define HOUR (3600 * SECOND)
#define KEY_NAME_MAX 1024       /* longer key names are skipped, not exported */
#define SCAN_COUNT 1000

static const struct config_key redis_keys[] = {
	{ .name = "enabled", .type = CONF_BOOL, .offset = REDIS_KEY(common.enabled), .def = "true",
	  .doc = "Collect this server." },
	{ .name = "address", .type = CONF_STRING, .offset = REDIS_KEY(address), .required = 1,
	  .doc = "host:port, [ipv6]:port, or the path of a unix socket." },
	{ .name = "username", .type = CONF_STRING, .offset = REDIS_KEY(username),
	  .doc = "ACL user (Redis 6+); the default user when unset." },
	{ .name = "password_file", .type = CONF_STRING, .offset = REDIS_KEY(password_file),
	  .doc = "File whose first line is the password; must not be readable by group or others." },
	{ .name = "password_env", .type = CONF_STRING, .offset = REDIS_KEY(password_env),
	  .doc = "Environment variable holding the password." },
	{ .name = "interval", .type = CONF_DURATION, .offset = REDIS_KEY(common.interval_ms),
	  .def = "15s", .doc = "Time between collections.", .min = SECOND, .max = HOUR },
	{ .name = "timeout", .type = CONF_DURATION, .offset = REDIS_KEY(common.timeout_ms),
	  .def = "2s", .doc = "Deadline of a collection: connecting and every command.",
	  .min = 100, .max = HOUR },
	{ .name = "check_keys", .type = CONF_LIST, .offset = REDIS_KEY(check_keys), .def = "",
	  .doc = "Glob patterns of keys whose size is exported (redis_key_size)." },
	{ .name = "check_keys_limit", .type = CONF_INT, .offset = REDIS_KEY(check_keys_limit),
	  .def = "100", .doc = "Keys sized per collection, all patterns together.", .min = 1,
	  .max = 100000 },
	{ .name = "slowlog_entries", .type = CONF_INT, .offset = REDIS_KEY(slowlog_entries),
	  .def = "128", .doc = "Slow-log entries kept for the DBA page.", .min = 0, .max = 10000 },
	{ .name = NULL },
};

/* Splits address into host and port, or a unix socket path (port 0). */
static int parse_address(const char *address, char *host, size_t hostlen, int *port, char *err,
			 size_t errlen)
{
	if (address[0] == '/') {
		snprintf(host, hostlen, "%s", address);
		*port = 0;
		return 0;
	}
	struct conf_address a;
	if (conf_parse_address(address, &a, err, errlen) < 0)
		return -1;
	if (!a.host[0] || a.port == 0) {
		conf_address_release(&a);
		snprintf(err, errlen, "expected host:port or a unix socket path");
		return -1;
	}
	snprintf(host, hostlen, "%s", a.host);
	*port = (int)a.port;
	conf_address_release(&a);
	return 0;
}

static int redis_validate(void *conf, char *err, size_t errlen)
{
	struct redis_config *c = conf;
	char host[256], why[128];
	int port;
	if (parse_address(c->address, host, sizeof(host), &port, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "address: %s, got '%s'", why, c->address);
		return -1;
	}
	if (c->password_file && c->password_env) {
		snprintf(err, errlen, "password_file and password_env exclude each other");
		return -1;
	}
	if (c->common.timeout_ms > c->common.interval_ms) {
		char t[32], i[32];
		conf_format_duration(c->common.timeout_ms, t, sizeof(t));
		conf_format_duration(c->common.interval_ms, i, sizeof(i));
		snprintf(err, errlen, "timeout (%s) must not be longer than interval (%s)", t, i);
		return -1;
	}
	return 0;
}

static void redis_describe(const struct config_section *s, struct buf *out)
{
	const struct redis_config *c = s->conf;
	char iv[32], to[32];
	conf_format_duration(c->common.interval_ms, iv, sizeof(iv));
	conf_format_duration(c->common.timeout_ms, to, sizeof(to));
	buf_printf(out, "%s every %s, timeout %s: %s%s%s%s", s->label, iv, to, c->address,
		   c->username ? " as " : "", c->username ? c->username : "",
		   c->password_file ? " + password_file" : c->password_env ? " + password_env" : "");
	if (c->check_keys.n) {
		buf_puts(out, "; keys ");
		for (size_t i = 0; i < c->check_keys.n; i++)
			buf_printf(out, "%s%s", i ? ", " : "", c->check_keys.items[i]);
		buf_printf(out, " (at most %lld)", (long long)c->check_keys_limit);
	}
}

/* ---- the instance ----------------------------------------------------- */

struct redis {
	const struct config_section *section;
	const struct redis_config *conf;
	redisContext *ctx;
	char host[256];
	int port;                         /* 0: unix socket */
	uint64_t parse_errors;            /* values and lines of INFO that did not parse */
	uint64_t keys_cut;                /* keys not sized for the limit */
	struct redis_slowlog *slowlog;    /* the last one read; handed to the view */
	char err[512];
};

static const struct metric_desc m_up = {
	"redis_up", "Whether the last collection could connect to the server and run INFO.",
	METRIC_GAUGE };
static const struct metric_desc m_parse_errors = {
	"dbpulse_parse_errors_total", "Values of the source that did not parse and were skipped.",
	METRIC_COUNTER };
static const struct metric_desc m_slowlog_len = {
	"redis_slowlog_length", "Entries in the slow log.", METRIC_GAUGE };
static const struct metric_desc m_slowlog_last_id = {
	"redis_slowlog_last_id", "ID of the newest slow-log entry.", METRIC_GAUGE };
static const struct metric_desc m_last_slow = {
	"redis_last_slow_execution_duration_seconds", "Duration of the newest slow-log entry.",
	METRIC_GAUGE };
static const struct metric_desc m_key_size = {
	"redis_key_size", "Size of a key matching check_keys (length, cardinality or bytes by type).",
	METRIC_GAUGE };
static const struct metric_desc m_keys_cut = {
	"dbpulse_redis_check_keys_cut_total",
	"Keys matching check_keys that were not sized because of check_keys_limit or the deadline.",
	METRIC_COUNTER };

static void *redis_init(const struct config_section *section, char *err, size_t errlen)
{
	struct redis *r = xcalloc(1, sizeof(*r));
	r->section = section;
	r->conf = section->conf;
	if (parse_address(r->conf->address, r->host, sizeof(r->host), &r->port, err, errlen) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

static void disconnect(struct redis *r)
{
	if (r->ctx)
		redisFree(r->ctx);
	r->ctx = NULL;
}

static void redis_free(void *instance)
{
	struct redis *r = instance;
	if (!r)
		return;
	disconnect(r);
	redis_slowlog_free(r->slowlog);
	free(r);
}

static struct timeval left_until(int64_t deadline)
{
	int64_t ms = deadline - now_mono_ms();
	if (ms < 1)
		ms = 1;
	return (struct timeval){ .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
}

/* Runs one command (argv form) within the deadline.  An error reply is
 * returned as NULL with its text in r->err and the connection kept; an I/O
 * or protocol error drops the connection. */
static redisReply *command(struct redis *r, int64_t deadline, int argc, const char **argv)
{
	if (!r->ctx) {
		snprintf(r->err, sizeof(r->err), "not connected");
		return NULL;
	}
	redisSetTimeout(r->ctx, left_until(deadline));
	redisReply *reply = redisCommandArgv(r->ctx, argc, argv, NULL);
	if (!reply) {
		int timed_out = r->ctx->err == REDIS_ERR_IO &&
				strstr(r->ctx->errstr, "temporarily unavailable") != NULL;
		snprintf(r->err, sizeof(r->err), "%s: %s", argv[0],
			 timed_out ? "no answer before the deadline" : r->ctx->errstr);
		disconnect(r);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(r->err, sizeof(r->err), "%s: %.*s", argv[0], (int)reply->len, reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

static int connect_server(struct redis *r, int64_t deadline)
{
	disconnect(r);
	struct timeval tv = left_until(deadline);
	r->ctx = r->port ? redisConnectWithTimeout(r->host, r->port, tv)
			 : redisConnectUnixWithTimeout(r->host, tv);
	if (!r->ctx || r->ctx->err) {
		snprintf(r->err, sizeof(r->err), "cannot connect to '%s': %s", r->conf->address,
			 r->ctx ? r->ctx->errstr : "out of memory");
		disconnect(r);
		return -1;
	}
	char password[1024];
	int has = secret_read(r->conf->password_file, r->conf->password_env, password,
			      sizeof(password), r->err, sizeof(r->err));
	if (has < 0) {
		disconnect(r);
		return -1;
	}
	redisReply *reply = NULL;
	if (has) {
		const char *argv[] = { "AUTH", r->conf->username ? r->conf->username : password,
				       password };
		reply = command(r, deadline, r->conf->username ? 3 : 2, argv);
		explicit_bzero(password, sizeof(password));
		if (!reply) {
			disconnect(r);
			return -1;
		}
		freeReplyObject(reply);
	}
	const char *setname[] = { "CLIENT", "SETNAME", "dbpulse" };
	reply = command(r, deadline, 3, setname);
	if (!reply) {
		disconnect(r);
		return -1;
	}
	freeReplyObject(reply);
	log_info("redis", r->section->name, "connected to '%s'", r->conf->address);
	return 0;
}

/* The slow log: its length, newest entry, and the entries kept for the API. */
static void collect_slowlog(struct redis *r, struct batch *b, int64_t deadline)
{
	const char *t[] = { "target", r->section->name };
	const char *len_argv[] = { "SLOWLOG", "LEN" };
	redisReply *reply = command(r, deadline, 2, len_argv);
	if (!reply)
		return;
	if (reply->type == REDIS_REPLY_INTEGER)
		batch_addv(b, m_slowlog_len.name, m_slowlog_len.help, m_slowlog_len.type,
			   (double)reply->integer, t, 1);
	freeReplyObject(reply);
	char count[24];
	snprintf(count, sizeof(count), "%lld", (long long)(r->conf->slowlog_entries > 0
							   ? r->conf->slowlog_entries : 1));
	const char *get_argv[] = { "SLOWLOG", "GET", count };
	reply = command(r, deadline, 3, get_argv);
	if (!reply)
		return;
	struct redis_slowlog *s = redis_slowlog_parse(reply);
	freeReplyObject(reply);
	if (!s)
		return;
	if (s->n > 0) {
		batch_addv(b, m_slowlog_last_id.name, m_slowlog_last_id.help, m_slowlog_last_id.type,
			   (double)s->entries[0].id, t, 1);
		batch_addv(b, m_last_slow.name, m_last_slow.help, m_last_slow.type,
			   (double)s->entries[0].duration_us / 1e6, t, 1);
	}
	r->parse_errors += s->bad_entries;
	if (r->conf->slowlog_entries == 0)
		s->n = 0; /* nothing kept; the entries are freed with s */
	redis_slowlog_free(r->slowlog);
	r->slowlog = s;
}

/* The command that sizes a key of a type, or NULL for types without one. */
static const char *size_command(const char *type)
{
	static const struct { const char *type, *cmd; } by_type[] = {
		{ "list", "LLEN" }, { "stream", "XLEN" }, { "set", "SCARD" }, { "zset", "ZCARD" },
		{ "hash", "HLEN" }, { "string", "STRLEN" },
	};
	for (size_t i = 0; i < sizeof(by_type) / sizeof(by_type[0]); i++)
		if (strcmp(type, by_type[i].type) == 0)
			return by_type[i].cmd;
	return NULL;
}

/* Reads the replies of n pipelined commands; NULL entries for errors.
 * Returns -1 (connection dropped) on an I/O error. */
static int read_replies(struct redis *r, redisReply **out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		void *reply = NULL;
		if (redisGetReply(r->ctx, &reply) != REDIS_OK) {
			snprintf(r->err, sizeof(r->err), "pipeline: %s", r->ctx->errstr);
			for (size_t k = 0; k < i; k++)
				freeReplyObject(out[k]);
			disconnect(r);
			return -1;
		}
		out[i] = reply;
	}
	return 0;
}

/* Sizes the keys of one database: TYPE of each pipelined, then the size
 * commands pipelined. */
static int size_keys(struct redis *r, struct batch *b, const char *db, char **keys, size_t n,
		     int64_t deadline)
{
	redisReply **types = xcalloc(n + 1, sizeof(*types));
	redisReply **sizes = xcalloc(n + 1, sizeof(*sizes));
	const char **cmds = xcalloc(n + 1, sizeof(*cmds));
	int rc = -1;
	redisSetTimeout(r->ctx, left_until(deadline));
	for (size_t i = 0; i < n; i++) {
		const char *argv[] = { "TYPE", keys[i] };
		redisAppendCommandArgv(r->ctx, 2, argv, NULL);
	}
	if (read_replies(r, types, n) < 0)
		goto out;
	size_t sent = 0;
	for (size_t i = 0; i < n; i++) {
		if (types[i] && types[i]->type == REDIS_REPLY_STATUS)
			cmds[i] = size_command(types[i]->str);
		if (cmds[i]) {
			const char *argv[] = { cmds[i], keys[i] };
			redisAppendCommandArgv(r->ctx, 2, argv, NULL);
			sent++;
		}
	}
	redisReply **got = xcalloc(sent + 1, sizeof(*got));
	if (read_replies(r, got, sent) < 0) {
		free(got);
		goto out;
	}
	for (size_t i = 0, k = 0; i < n; i++) {
		if (!cmds[i])
			continue;
		sizes[i] = got[k++];
		if (sizes[i] && sizes[i]->type == REDIS_REPLY_INTEGER) {
			const char *l[] = { "target", r->section->name, "db", db, "key", keys[i] };
			batch_addv(b, m_key_size.name, m_key_size.help, m_key_size.type,
				   (double)sizes[i]->integer, l, 3);
		}
	}
	free(got);
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		if (types[i])
			freeReplyObject(types[i]);
		if (sizes[i])
			freeReplyObject(sizes[i]);
	}
	free(types);
	free(sizes);
	free(cmds);
	return rc;
}

/* SCAN one database for one pattern, adding up to *budget keys to keys[]. */
static int scan_pattern(struct redis *r, const char *pattern, char **keys, size_t *n,
			size_t *budget, int64_t deadline)
{
	char cursor[32] = "0";
	char count[16];
	snprintf(count, sizeof(count), "%d", SCAN_COUNT);
	do {
		if (now_mono_ms() >= deadline)
			return 1; /* out of time: cut */
		const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", count };
		redisReply *reply = command(r, deadline, 6, argv);
		if (!reply)
			return -1;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(reply);
			snprintf(r->err, sizeof(r->err), "SCAN: unexpected reply");
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%.*s", (int)reply->element[0]->len,
			 reply->element[0]->str);
		const redisReply *found = reply->element[1];
		for (size_t i = 0; i < found->elements; i++) {
			const redisReply *k = found->element[i];
			if (k->type != REDIS_REPLY_STRING || k->len > KEY_NAME_MAX ||
			    memchr(k->str, '\0', k->len))
				continue;
			if (*budget == 0) {
				r->keys_cut++;
				continue;
			}
			keys[(*n)++] = xstrndup(k->str, k->len);
			(*budget)--;
		}
		freeReplyObject(reply);
	} while (strcmp(cursor, "0") != 0 && *budget > 0);
	if (strcmp(cursor, "0") != 0)
		return 1; /* more keys matched than the limit allows */
	return 0;
}

/* redis_key_size for the keys matching check_keys, bounded by the limit. */
static void check_keys(struct redis *r, struct batch *b, const int *dbs, size_t ndbs,
		       int64_t deadline)
{
	size_t budget = (size_t)r->conf->check_keys_limit;
	char **keys = xcalloc(budget + 1, sizeof(*keys));
	for (size_t d = 0; d < ndbs && r->ctx; d++) {
		char db[16], dbnum[16];
		snprintf(dbnum, sizeof(dbnum), "%d", dbs[d]);
		snprintf(db, sizeof(db), "db%d", dbs[d]);
		const char *select[] = { "SELECT", dbnum };
		redisReply *reply = command(r, deadline, 2, select);
		if (!reply)
			break;
		freeReplyObject(reply);
		size_t n = 0;
		for (size_t p = 0; p < r->conf->check_keys.n && r->ctx; p++) {
			int rc = scan_pattern(r, r->conf->check_keys.items[p], keys, &n, &budget, deadline);
			if (rc > 0)
				r->keys_cut++; /* at least one more matched than was sized */
			if (rc < 0)
				break;
		}
		if (n && r->ctx)
			size_keys(r, b, db, keys, n, deadline);
		for (size_t i = 0; i < n; i++)
			free(keys[i]);
	}
	free(keys);
	if (r->ctx) {
		const char *select0[] = { "SELECT", "0" };
		redisReply *reply = command(r, deadline, 2, select0);
		if (reply)
			freeReplyObject(reply);
	}
}

static int redis_collect(void *instance, struct batch *b, int64_t deadline, char *err,
			 size_t errlen)
{
	struct redis *r = instance;
	const char *t[] = { "target", r->section->name };
	const char *info_argv[] = { "INFO", "ALL" };
	redisReply *info = NULL;
	/* a kept connection may have died with a restart: one new one at once */
	for (int attempt = 0; attempt < 2 && !info; attempt++) {
		if (!r->ctx && connect_server(r, deadline) < 0)
			break;
		info = command(r, deadline, 2, info_argv);
		if (!info && r->ctx)
			break; /* an error reply: the connection is fine, INFO is not */
	}
	if (!info || (info->type != REDIS_REPLY_STRING && info->type != REDIS_REPLY_STATUS)) {
		snprintf(err, errlen, "%s", info ? "INFO: unexpected reply" : r->err);
		if (info)
			freeReplyObject(info);
		batch_addv(b, m_up.name, m_up.help, m_up.type, 0, t, 1);
		return -1;
	}
	struct redis_info_summary sum;
	char why[256];
	if (redis_info_emit(info->str, info->len, r->section->name, now_wall(), b, &sum, why,
			    sizeof(why)) < 0)
		log_debug("redis", r->section->name, "INFO: %s", why);
	r->parse_errors += sum.bad_values + sum.bad_lines;
	freeReplyObject(info);

	collect_slowlog(r, b, deadline);
	if (r->conf->check_keys.n && r->ctx)
		check_keys(r, b, sum.dbs, sum.ndbs, deadline);
	batch_addv(b, m_parse_errors.name, m_parse_errors.help, m_parse_errors.type,
		   (double)r->parse_errors, t, 1);
	if (r->conf->check_keys.n)
		batch_addv(b, m_keys_cut.name, m_keys_cut.help, m_keys_cut.type, (double)r->keys_cut,
			   t, 1);
	int up = r->ctx != NULL;
	batch_addv(b, m_up.name, m_up.help, m_up.type, up, t, 1);
	if (!up) {
		snprintf(err, errlen, "%s", r->err);
		return -1;
	}
	return 0;
}

/* The slow log just read goes to the store with the metrics. */
static void *redis_view(void *instance)
{
	struct redis *r = instance;
	struct redis_slowlog *s = r->slowlog;
	r->slowlog = NULL;
	return s;
}

static int redis_view_json(const void *view, const char *what, struct buf *out)
{
	if (strcmp(what, "slowlog") != 0)
		return 1;
	return redis_slowlog_json(view, out);
}

const struct collector redis_collector = {
	.name = "redis",
	.init = redis_init,
	.collect = redis_collect,
	.free = redis_free,
	.view = redis_view,
	.view_free = redis_slowlog_free,
	.view_json = redis_view_json,
};

const struct config_kind redis_kind = {
	.name = "redis",
	.named = 1,
	.keys = redis_keys,
	.conf_size = sizeof(struct redis_config),
	.validate = redis_validate,
	.describe = redis_describe,
	.collector = &redis_collector,
};
