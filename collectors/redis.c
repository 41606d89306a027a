/*
 * redis.c -- [redis "NAME"] sections and the Redis collector.
 *
 * The scheduler creates one instance per section (redis_init) and calls
 * redis_collect() each interval on the target's worker thread: never two
 * collections, never two connections of one target.  The connection
 * (redis_conn.c: every command within the cycle's deadline and the reply
 * caps) is kept between cycles; any error (I/O, protocol, timeout) drops
 * it and the next attempt connects anew (the scheduler retries after 1 s,
 * 2 s, 4 s ... up to the interval).
 *
 * A reply over its cap drops the connection, like any protocol error, and
 * is counted in
 * dbpulse_limit_reached_total{limit="redis_reply_bytes"|"redis_reply_elements"};
 * the other caps on what the server sends (slow-log entries and their
 * texts, INFO label values and databases, check_keys) are counted there
 * too.
 *
 * An instance owns its connection, the slow-log entries it keeps for the
 * API (published as the store entry's view), its parse error count and its
 * limit counts.
 */
#include "autoconfig.h"
#include "build_info.h"
#include "redis.h"
#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "redis_conn.h"
#include "redis_info.h"
#include "redis_replies.h"
#include "redis_slowlog.h"
#include "secret.h"
#include "strutil.h"
#include "xalloc.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

/* ---- configuration ---------------------------------------------------- */

#define REDIS_KEY(k) offsetof(struct redis_config, k)
#define KEY_NAME_MAX 1024       /* longer key names are skipped, not exported */
#define SCAN_COUNT 1000

/* SLOWLOG GET N gets room for N entries of what Redis keeps at most (32
 * arguments of 128 bytes and the client's address and name: 8 KiB, 40
 * elements) on top of the caps of any reply (redis_conn.h). */
#define SLOWLOG_ENTRY_MAX_BYTES ((size_t)8 << 10)
#define SLOWLOG_ENTRY_MAX_ELEMENTS 40

static const struct config_key redis_keys[] = {
	{ .name = "address", .type = CONF_STRING, .offset = REDIS_KEY(address), .required = 1 },
	{ .name = "username", .type = CONF_STRING, .offset = REDIS_KEY(username) },
	{ .name = "timeout", .type = CONF_DURATION, .offset = REDIS_KEY(common.timeout_ms),
	  .def = "2s", .min = 100, .max = CONF_MS_HOUR,
	  .fit_default = conf_fit_timeout },
	{ .name = "check_keys", .type = CONF_LIST, .offset = REDIS_KEY(check_keys), .def = "" },
	{ .name = "check_keys_limit", .type = CONF_INT, .offset = REDIS_KEY(check_keys_limit),
	  .def = "100", .min = 1,
	  .max = 100000 },
	{ .name = "slowlog_entries", .type = CONF_INT, .offset = REDIS_KEY(slowlog_entries),
	  .def = "128", .min = 0, .max = 10000 },
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
	if (conf_check_target(&c->common, err, errlen) < 0)
		return -1;
	return 0;
}

static void redis_describe(const struct config_section *s, struct buf *out)
{
	const struct redis_config *c = s->conf;
	conf_describe_target(s->label, &c->common, out);
	buf_printf(out, ": %s%s%s%s", c->address,
		   c->username ? " as " : "", c->username ? c->username : "",
		   conf_password_source(&c->common));
	if (c->check_keys.n) {
		buf_puts(out, "; keys ");
		for (size_t i = 0; i < c->check_keys.n; i++)
			buf_printf(out, "%s%s", i ? ", " : "", c->check_keys.items[i]);
		buf_printf(out, " (at most %lld)", (long long)c->check_keys_limit);
	}
}

/* ---- the instance ----------------------------------------------------- */

/* The limits counted in dbpulse_limit_reached_total of a Redis target. */
enum redis_limit {
	RL_REPLY_BYTES,        /* a reply over its byte cap: connection dropped */
	RL_REPLY_ELEMENTS,     /* a reply with more elements than its cap: connection dropped */
	RL_SLOWLOG_ENTRIES,    /* SLOWLOG GET answered more entries than asked: extra dropped */
	RL_SLOWLOG_TEXT,       /* a new slow-log entry's arguments or client cut */
	RL_LABEL_BYTES,        /* an INFO label value cut to REDIS_INFO_LABEL_MAX */
	RL_DATABASES,          /* INFO listed more than REDIS_INFO_MAX_DBS databases */
	RL_CHECK_KEYS,         /* keys matching check_keys not sized (check_keys_limit, deadline) */
	RL_KEY_NAME,           /* a matching key longer than KEY_NAME_MAX: skipped */
	RL_COUNT
};

static const char *const redis_limit_names[RL_COUNT + 1] = {
	"redis_reply_bytes", "redis_reply_elements", "redis_slowlog_entries",
	"redis_slowlog_entry_text", "redis_label_bytes", "redis_databases", "redis_check_keys",
	"redis_key_name_bytes", NULL,
};

struct redis {
	const struct config_section *section;
	const struct redis_config *conf;
	struct redis_conn conn;           /* its limits are ours, RL_REPLY_* */
	struct limit_counts limits;
	int64_t slowlog_seen_id;          /* newest slow-log id whose cuts were counted */
	uint64_t own_slow_entries;        /* the agent's own slow-log entries seen */
	int64_t foreign_id;               /* the newest entry not the agent's own: its id */
	int64_t foreign_us;               /* and duration (kept while newer ones are own) */
	char host[256];
	int port;                         /* 0: unix socket */
	uint64_t parse_errors;            /* values and lines of INFO that did not parse */
	uint64_t keys_cut;                /* keys not sized for the limit */
	struct redis_slowlog *slowlog;    /* the last one read; handed to the view */
	struct redis_settings settings;   /* of CONFIG GET, read once per connection */
	int settings_read;                /* this connection read them */
	int config_refused;               /* CONFIG GET answered an error: never asked again */
	int latency_refused;              /* LATENCY LATEST answered an error: never asked again */
	int histogram_refused;            /* LATENCY HISTOGRAM: the same */
	double connect_seconds;           /* spent connecting in this collection */
	uint64_t collections;             /* since the start, this one included */
	double collect_seconds_sum;       /* their durations */
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
	"redis_last_slow_execution_duration_seconds",
	"Duration of the newest slow-log entry (not the agent's own).", METRIC_GAUGE };
static const struct metric_desc m_own_slow = {
	"dbpulse_redis_own_slowlog_entries_total",
	"Slow-log entries of the agent's own commands, left out of the slow-log view and metrics.",
	METRIC_COUNTER };
static const struct metric_desc m_key_size = {
	"redis_key_size", "Size of a key matching check_keys (length, cardinality or bytes by type).",
	METRIC_GAUGE };
/* redis_exporter's own metrics, per collection (its scrapes) */
static const struct metric_desc m_scrapes = {
	"redis_exporter_scrapes_total", "Collections of the target (redis_exporter: its scrapes).",
	METRIC_COUNTER };
static const struct metric_desc m_scrape_duration = {
	"redis_exporter_scrape_duration_seconds",
	"Durations of the target's collections (redis_exporter: of its scrapes).", METRIC_SUMMARY };
static const struct metric_desc m_last_duration = {
	"redis_exporter_last_scrape_duration_seconds",
	"Duration of the last collection of the target.", METRIC_GAUGE };
static const struct metric_desc m_last_connect = {
	"redis_exporter_last_scrape_connect_time_seconds",
	"Time the last collection spent connecting (0 when it used the kept connection).",
	METRIC_GAUGE };
static const struct metric_desc m_last_error = {
	"redis_exporter_last_scrape_error",
	"1 when the last collection failed, with its error in err; 0 (err=\"\") otherwise.",
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
	r->slowlog_seen_id = -1;
	r->settings.io_threads = -1;
	limit_counts_init(&r->limits, redis_limit_names);
	r->conn.name = section->name;
	r->conn.limits = &r->limits;
	r->conn.limit_bytes = RL_REPLY_BYTES;
	r->conn.limit_elements = RL_REPLY_ELEMENTS;
	if (parse_address(r->conf->address, r->host, sizeof(r->host), &r->port, err, errlen) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

static void redis_free(void *instance)
{
	struct redis *r = instance;
	if (!r)
		return;
	redis_conn_close(&r->conn);
	redis_slowlog_free(r->slowlog);
	free(r);
}

static int connect_server(struct redis *r, int64_t deadline)
{
	redis_conn_close(&r->conn);
	double t0 = now_mono();
	r->settings_read = 0;
	if (redis_conn_open(&r->conn, r->host, r->port, r->conf->address, deadline) < 0) {
		r->connect_seconds = now_mono() - t0;
		return -1;
	}
	char password[1024];
	const struct target_common *tc = &r->conf->common;
	int has = secret_read(tc->password_file, "password_file", tc->password_env, password,
			      sizeof(password), r->conn.err, sizeof(r->conn.err));
	if (has < 0) {
		redis_conn_close(&r->conn);
		return -1;
	}
	redisReply *reply = NULL;
	if (has) {
		const char *argv[] = { "AUTH", r->conf->username ? r->conf->username : password,
				       password };
		reply = redis_conn_command(&r->conn, deadline, r->conf->username ? 3 : 2, argv);
		explicit_bzero(password, sizeof(password));
		if (!reply) {
			redis_conn_close(&r->conn);
			return -1;
		}
		freeReplyObject(reply);
	}
	const char *setname[] = { "CLIENT", "SETNAME", REDIS_CLIENT_NAME };
	reply = redis_conn_command(&r->conn, deadline, 3, setname);
	if (!reply) {
		redis_conn_close(&r->conn);
		return -1;
	}
	freeReplyObject(reply);
	r->connect_seconds = now_mono() - t0;
	log_info("redis", r->section->name, "connected to '%s'", r->conf->address);
	return 0;
}

/* Counts the entries new since the last read whose texts were cut, and
 * the agent's own (the same entries come back every cycle until the slow
 * log rotates). */
static void count_new_slow_entries(struct redis *r, const struct redis_slowlog *s)
{
	uint64_t cut = 0;
	int64_t newest = r->slowlog_seen_id;
	for (size_t i = 0; i < s->n; i++) {
		if (s->entries[i].id <= r->slowlog_seen_id)
			continue;
		cut += s->entries[i].cut != 0;
		r->own_slow_entries += (uint64_t)s->entries[i].own;
		if (s->entries[i].id > newest)
			newest = s->entries[i].id;
	}
	/* a server restart starts the ids again */
	if (s->n && s->entries[0].id < r->slowlog_seen_id)
		newest = s->entries[0].id;
	r->slowlog_seen_id = newest;
	if (cut)
		limit_reached_n(&r->limits, RL_SLOWLOG_TEXT, cut, "redis", r->section->name,
				"slow-log entries are kept with at most %d arguments of %d bytes "
				"and %d bytes of client address and name; longer ones are cut",
				REDIS_SLOWLOG_ARGS_MAX, REDIS_SLOWLOG_ARG_MAX, REDIS_SLOWLOG_CLIENT_MAX);
}

/* The slow log: its length, newest entry, and the entries kept for the API. */
static void collect_slowlog(struct redis *r, struct batch *b, int64_t deadline)
{
	const char *t[] = { "target", r->section->name };
	const char *len_argv[] = { "SLOWLOG", "LEN" };
	redisReply *reply = redis_conn_command(&r->conn, deadline, 2, len_argv);
	if (!reply)
		return;
	if (reply->type == REDIS_REPLY_INTEGER)
		batch_addv(b, m_slowlog_len.name, m_slowlog_len.help, m_slowlog_len.type,
			   (double)reply->integer, t, 1);
	freeReplyObject(reply);
	size_t want = r->conf->slowlog_entries > 0 ? (size_t)r->conf->slowlog_entries : 1;
	char count[24];
	snprintf(count, sizeof(count), "%zu", want);
	const char *get_argv[] = { "SLOWLOG", "GET", count };
	struct redis_reply_caps caps = { REDIS_REPLY_MAX_BYTES + want * SLOWLOG_ENTRY_MAX_BYTES,
					 REDIS_REPLY_MAX_ELEMENTS + want * SLOWLOG_ENTRY_MAX_ELEMENTS };
	reply = redis_conn_command_capped(&r->conn, deadline, &caps, 3, get_argv);
	if (!reply)
		return;
	struct redis_slowlog *s = redis_slowlog_parse(reply);
	freeReplyObject(reply);
	if (!s)
		return;
	size_t extra = redis_slowlog_keep(s, want);
	if (extra)
		limit_reached_n(&r->limits, RL_SLOWLOG_ENTRIES, extra, "redis", r->section->name,
				"SLOWLOG GET %zu answered %zu entries; the extra ones are dropped", want,
				want + extra);
	redis_slowlog_mark_own(s, REDIS_CLIENT_NAME);
	count_new_slow_entries(r, s);
	/* the newest entry not the agent's own (0 and 0 for none yet, as
	 * redis_exporter has an empty slow log); a server restart starts the
	 * ids again */
	const struct redis_slow_entry *newest = redis_slowlog_newest_foreign(s);
	if (newest || (s->n && s->entries[0].id < r->foreign_id)) {
		r->foreign_id = newest ? newest->id : 0;
		r->foreign_us = newest ? newest->duration_us : 0;
	}
	batch_addv(b, m_slowlog_last_id.name, m_slowlog_last_id.help, m_slowlog_last_id.type,
		   (double)r->foreign_id, t, 1);
	batch_addv(b, m_last_slow.name, m_last_slow.help, m_last_slow.type,
		   (double)r->foreign_us / 1e6, t, 1);
	batch_addv(b, m_own_slow.name, m_own_slow.help, m_own_slow.type,
		   (double)r->own_slow_entries, t, 1);
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

/* Sizes the keys of one database: TYPE of each pipelined, then the size
 * commands pipelined. */
static int size_keys(struct redis *r, struct batch *b, const char *db, char **keys, size_t n,
		     int64_t deadline)
{
	redisReply **types = xcalloc(n + 1, sizeof(redisReply *));
	redisReply **sizes = xcalloc(n + 1, sizeof(redisReply *));
	const char **cmds = xcalloc(n + 1, sizeof(*cmds));
	int rc = -1;
	redisSetTimeout(r->conn.ctx, redis_conn_left(deadline));
	for (size_t i = 0; i < n; i++) {
		const char *argv[] = { "TYPE", keys[i] };
		redisAppendCommandArgv(r->conn.ctx, 2, argv, NULL);
	}
	if (redis_conn_read_replies(&r->conn, types, n) < 0)
		goto out;
	size_t sent = 0;
	for (size_t i = 0; i < n; i++) {
		if (types[i] && types[i]->type == REDIS_REPLY_STATUS)
			cmds[i] = size_command(types[i]->str);
		if (cmds[i]) {
			const char *argv[] = { cmds[i], keys[i] };
			redisAppendCommandArgv(r->conn.ctx, 2, argv, NULL);
			sent++;
		}
	}
	redisReply **got = xcalloc(sent + 1, sizeof(redisReply *));
	if (redis_conn_read_replies(&r->conn, got, sent) < 0) {
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
		redisReply *reply = redis_conn_command(&r->conn, deadline, 6, argv);
		if (!reply)
			return -1;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(reply);
			snprintf(r->conn.err, sizeof(r->conn.err), "SCAN: unexpected reply");
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%.*s", (int)reply->element[0]->len,
			 reply->element[0]->str);
		const redisReply *found = reply->element[1];
		for (size_t i = 0; i < found->elements; i++) {
			const redisReply *k = found->element[i];
			if (k->type == REDIS_REPLY_STRING && k->len > KEY_NAME_MAX) {
				limit_reached(&r->limits, RL_KEY_NAME, "redis", r->section->name,
					      "a key matching '%s' is longer than %d bytes; such keys "
					      "are not sized", pattern, KEY_NAME_MAX);
				continue;
			}
			if (k->type != REDIS_REPLY_STRING || memchr(k->str, '\0', k->len))
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
	uint64_t keys_cut_before = r->keys_cut;
	char **keys = xcalloc(budget + 1, sizeof(*keys));
	for (size_t d = 0; d < ndbs && r->conn.ctx; d++) {
		char db[16], dbnum[16];
		snprintf(dbnum, sizeof(dbnum), "%d", dbs[d]);
		snprintf(db, sizeof(db), "db%d", dbs[d]);
		const char *select[] = { "SELECT", dbnum };
		redisReply *reply = redis_conn_command(&r->conn, deadline, 2, select);
		if (!reply)
			break;
		freeReplyObject(reply);
		size_t n = 0;
		for (size_t p = 0; p < r->conf->check_keys.n && r->conn.ctx; p++) {
			int rc = scan_pattern(r, r->conf->check_keys.items[p], keys, &n, &budget, deadline);
			if (rc > 0)
				r->keys_cut++; /* at least one more matched than was sized */
			if (rc < 0)
				break;
		}
		if (n && r->conn.ctx)
			size_keys(r, b, db, keys, n, deadline);
		for (size_t i = 0; i < n; i++)
			free(keys[i]);
	}
	free(keys);
	if (r->keys_cut > keys_cut_before)
		limit_reached_n(&r->limits, RL_CHECK_KEYS, r->keys_cut - keys_cut_before, "redis",
				r->section->name, "more keys match check_keys than check_keys_limit "
				"(%lld) or the deadline allow; the others are not sized",
				(long long)r->conf->check_keys_limit);
	if (r->conn.ctx) {
		const char *select0[] = { "SELECT", "0" };
		redisReply *reply = redis_conn_command(&r->conn, deadline, 2, select0);
		if (reply)
			freeReplyObject(reply);
	}
}

/* What redis_info_emit() had to cut or leave out of this INFO. */
static void count_info_cuts(struct redis *r, const struct redis_info_summary *sum)
{
	if (sum->cut_labels)
		limit_reached_n(&r->limits, RL_LABEL_BYTES, sum->cut_labels, "redis", r->section->name,
				"INFO has label values longer than %d bytes; they are cut",
				REDIS_INFO_LABEL_MAX);
	if (sum->dbs_dropped)
		limit_reached_n(&r->limits, RL_DATABASES, sum->dbs_dropped, "redis", r->section->name,
				"INFO lists more than %d databases with keys; check_keys looks at "
				"the first %d", REDIS_INFO_MAX_DBS, REDIS_INFO_MAX_DBS);
}

/* CONFIG GET of the settings redis_exporter exports that INFO lacks:
 * io-threads and databases once per connection (neither changes while the
 * server runs), client-output-buffer-limit each collection.  A user
 * without +config|get (the least-privilege one of doc/configuration.md) is refused:
 * CONFIG GET is then never sent again by this instance, so the refusal
 * shows once in ACL LOG and acl_access_denied_cmd. */
static void collect_config(struct redis *r, struct batch *b, int64_t deadline)
{
	static const char *const names[] = { "io-threads", "databases",
					      "client-output-buffer-limit" };
	for (size_t i = r->settings_read ? 2 : 0; i < 3 && !r->config_refused && r->conn.ctx; i++) {
		const char *argv[] = { "CONFIG", "GET", names[i] };
		redisReply *reply = redis_conn_command(&r->conn, deadline, 3, argv);
		if (!reply) {
			if (r->conn.ctx) {
				r->config_refused = 1;
				log_info("redis", r->section->name,
					 "CONFIG GET is refused (%s): redis_config_io_threads and "
					 "redis_config_client_output_buffer_limit_* are not served, and "
					 "16 databases are assumed; it is not tried again", r->conn.err);
			}
			return;
		}
		r->parse_errors += redis_config_read(reply, r->section->name, b, &r->settings);
		freeReplyObject(reply);
	}
	if (r->conn.ctx && !r->config_refused)
		r->settings_read = 1;
	redis_settings_emit(&r->settings, r->section->name, b);
}

/* LATENCY LATEST (spikes, when latency-monitor-threshold is set) and
 * LATENCY HISTOGRAM (Redis 7), each given up for good at its first error
 * reply (a user without +latency|latest, +latency|histogram; Redis 6). */
static void collect_latency(struct redis *r, struct batch *b, const struct redis_info_summary *sum,
			    int64_t deadline)
{
	static const char *const what[] = { "LATEST", "HISTOGRAM" };
	int *refused[] = { &r->latency_refused, &r->histogram_refused };
	for (size_t i = 0; i < 2 && r->conn.ctx; i++) {
		if (*refused[i])
			continue;
		const char *argv[] = { "LATENCY", what[i] };
		redisReply *reply = redis_conn_command(&r->conn, deadline, 2, argv);
		if (!reply) {
			if (r->conn.ctx) {
				*refused[i] = 1;
				log_info("redis", r->section->name,
					 "LATENCY %s is refused (%s): %s not served; it is not tried "
					 "again", what[i], r->conn.err,
					 i ? "redis_commands_latencies_usec is" : "redis_latency_spike_* are");
			}
			continue;
		}
		r->parse_errors += i ? redis_latency_histogram_emit(reply, r->section->name, sum, b)
				     : redis_latency_latest_emit(reply, r->section->name, b);
		freeReplyObject(reply);
	}
}

/* redis_exporter's own metrics for this collection, which began at t0. */
static void add_self_metrics(struct redis *r, struct batch *b, double t0, const char *error)
{
	const char *t[] = { "target", r->section->name };
	double took = now_mono() - t0;
	r->collections++;
	r->collect_seconds_sum += took;
	batch_addv(b, m_scrapes.name, m_scrapes.help, m_scrapes.type, (double)r->collections, t, 1);
	batch_addv_part(b, m_scrape_duration.name, m_scrape_duration.help, m_scrape_duration.type,
			METRIC_PART_SUM, r->collect_seconds_sum, t, 1);
	batch_addv_part(b, m_scrape_duration.name, m_scrape_duration.help, m_scrape_duration.type,
			METRIC_PART_COUNT, (double)r->collections, t, 1);
	batch_addv(b, m_last_duration.name, m_last_duration.help, m_last_duration.type, took, t, 1);
	batch_addv(b, m_last_connect.name, m_last_connect.help, m_last_connect.type,
		   r->connect_seconds, t, 1);
	const char *e[] = { "target", r->section->name, "err", error ? error : "" };
	batch_addv(b, m_last_error.name, m_last_error.help, m_last_error.type, error ? 1 : 0, e, 2);
}

static int redis_collect(void *instance, struct batch *b, int64_t deadline, char *err,
			 size_t errlen)
{
	struct redis *r = instance;
	const char *t[] = { "target", r->section->name };
	const char *info_argv[] = { "INFO", "ALL" };
	redisReply *info = NULL;
	double t0 = now_mono();
	build_info_add(b, "redis_exporter", BUILD_INFO_REDIS_EXPORTER, r->section->name);
	r->connect_seconds = 0;
	/* a kept connection may have died with a restart: one new one at once
	 * (not after a reply over its cap: the next one would be as large) */
	r->conn.over_cap = 0;
	r->conn.deadline = deadline;
	for (int attempt = 0; attempt < 2 && !info && !r->conn.over_cap && now_mono_ms() < deadline;
	     attempt++) {
		if (!r->conn.ctx && connect_server(r, deadline) < 0)
			break;
		info = redis_conn_command(&r->conn, deadline, 2, info_argv);
		if (!info && r->conn.ctx)
			break; /* an error reply: the connection is fine, INFO is not */
	}
	if (!info || (info->type != REDIS_REPLY_STRING && info->type != REDIS_REPLY_STATUS)) {
		snprintf(err, errlen, "%s", info ? "INFO: unexpected reply" : r->conn.err);
		if (info)
			freeReplyObject(info);
		limit_counts_add(&r->limits, b, "target", r->section->name);
		add_self_metrics(r, b, t0, err);
		batch_addv(b, m_up.name, m_up.help, m_up.type, 0, t, 1);
		return -1;
	}
	collect_config(r, b, deadline);
	struct redis_info_summary sum;
	char why[256];
	/* without CONFIG GET databases, redis_exporter assumes Redis's default */
	int databases = r->settings.databases > 0 ? r->settings.databases : 16;
	if (redis_info_emit(info->str, info->len, r->section->name, now_wall(), databases, b, &sum,
			    why, sizeof(why)) < 0)
		log_debug("redis", r->section->name, "INFO: %s", why);
	r->parse_errors += sum.bad_values + sum.bad_lines;
	freeReplyObject(info);
	count_info_cuts(r, &sum);

	collect_latency(r, b, &sum, deadline);
	redis_info_summary_release(&sum);
	collect_slowlog(r, b, deadline);
	if (r->conf->check_keys.n && r->conn.ctx)
		check_keys(r, b, sum.dbs, sum.ndbs, deadline);
	batch_addv(b, m_parse_errors.name, m_parse_errors.help, m_parse_errors.type,
		   (double)r->parse_errors, t, 1);
	if (r->conf->check_keys.n)
		batch_addv(b, m_keys_cut.name, m_keys_cut.help, m_keys_cut.type, (double)r->keys_cut,
			   t, 1);
	limit_counts_add(&r->limits, b, "target", r->section->name);
	int up = r->conn.ctx != NULL;
	if (!up)
		snprintf(err, errlen, "%s", r->conn.err);
	add_self_metrics(r, b, t0, up ? NULL : err);
	batch_addv(b, m_up.name, m_up.help, m_up.type, up, t, 1);
	return up ? 0 : -1;
}

/* The slow log just read goes to the store with the metrics, its JSON
 * made here, on the collector's thread: the API copies it. */
static void *redis_view(void *instance)
{
	struct redis *r = instance;
	struct redis_slowlog *s = r->slowlog;
	r->slowlog = NULL;
	redis_slowlog_seal(s);
	return s;
}

static int redis_view_json(const void *view, const char *what, struct buf *out)
{
	if (strcmp(what, "slowlog") == 0)
		return redis_slowlog_json(view, 0, out);
	if (strcmp(what, "slowlog+own") == 0)
		return redis_slowlog_json(view, 1, out);
	return 1;
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
	.shared_keys = conf_target_password_shared,
	.conf_size = sizeof(struct redis_config),
	.validate = redis_validate,
	.describe = redis_describe,
	.check_config = conf_check_password_file,
	.collector = &redis_collector,
};
