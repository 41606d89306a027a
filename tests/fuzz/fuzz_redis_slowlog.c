/*
 * fuzz_redis_slowlog.c -- the Redis collector's reply walkers: SLOWLOG GET
 * (collectors/redis_slowlog.c redis_slowlog_parse) and its JSON
 * (redis_slowlog_json), and CONFIG GET, LATENCY LATEST and LATENCY
 * HISTOGRAM (collectors/redis_replies.c) into a batch, rendered as the
 * collector publishes it.  The reply trees are made from the fuzzer's
 * bytes by hiredis's own RESP parser (redisReaderCreate / redisReaderFeed
 * / redisReaderGetReply), so the walkers see exactly what a (hostile)
 * server can make them see; every reply of the input goes through each.
 *
 * Properties: no crash, leak or UB; a reply that is not an array gives
 * NULL, an array gives one kept or one bad entry per element; a command
 * keeps at most REDIS_SLOWLOG_ARGS_MAX arguments of REDIS_SLOWLOG_ARG_MAX
 * bytes; every kept string is valid UTF-8; the JSON parses back strictly
 * (jansson) into one object per entry with the same id, time, command,
 * client and client_name; the other walkers add only samples whose label
 * values are valid UTF-8 (the exposition renders them), at most
 * REDIS_HISTOGRAM_BUCKETS_MAX + 3 per histogram command, and settings only
 * from numbers.
 *
 * hiredis 0.14 (Debian 12) has no limit on the length of an array (1.0's
 * maxelements): it callocs whatever a "*N" header announces.  Inputs
 * announcing more than MAX_ELEMENTS are skipped so that the fuzzer does
 * not stop at that (known, hiredis-side) out-of-memory.
 */
#include "autoconfig.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "exposition.h"
#include "fuzz_util.h"
#include "metrics.h"
#include "redis_info.h"
#include "redis_replies.h"
#include "redis_slowlog.h"

#define MAX_ELEMENTS 4096

/* Whether some "*N" in the input announces more than MAX_ELEMENTS. */
static int announces_huge_array(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] != '*' && data[i] != '>' && data[i] != '%' && data[i] != '~')
			continue;
		uint64_t n = 0;
		size_t j = i + 1;
		while (j < size && data[j] >= '0' && data[j] <= '9' && n <= MAX_ELEMENTS)
			n = n * 10 + (uint64_t)(data[j++] - '0');
		if (n > MAX_ELEMENTS)
			return 1;
	}
	return 0;
}

static void check_string(const char *s, size_t max, const char *what)
{
	FUZZ_CHECK(s != NULL, "%s is NULL", what);
	size_t n = strlen(s);
	FUZZ_CHECK(n <= max, "%s has %zu bytes", what, n);
	FUZZ_CHECK(fuzz_utf8_valid(s, n), "%s is not UTF-8", what);
}

static void check_entry_json(const struct redis_slow_entry *e, json_t *o)
{
	FUZZ_CHECK(json_is_object(o), "entry is not an object");
	json_t *id = json_object_get(o, "id"), *time = json_object_get(o, "time");
	FUZZ_CHECK(json_is_integer(id) && json_integer_value(id) == e->id, "id");
	FUZZ_CHECK(json_is_integer(time) && json_integer_value(time) == e->time, "time");
	FUZZ_CHECK(json_is_number(json_object_get(o, "duration_seconds")), "duration_seconds");
	const char *keys[] = { "command", "client", "client_name" };
	const char *want[] = { e->command, e->client, e->client_name };
	for (size_t k = 0; k < 3; k++) {
		const char *got = json_string_value(json_object_get(o, keys[k]));
		FUZZ_CHECK(got && strcmp(got, want[k]) == 0, "%s '%s' came back as '%s'", keys[k],
			   want[k], got ? got : "(none)");
	}
}

static void check_slowlog(const redisReply *reply, const struct redis_slowlog *s)
{
	if (reply->type != REDIS_REPLY_ARRAY) {
		FUZZ_CHECK(s == NULL, "a reply of type %d gave a slow log", reply->type);
		return;
	}
	FUZZ_CHECK(s != NULL, "an array gave no slow log");
	FUZZ_CHECK(s->n + s->bad_entries == reply->elements, "%zu + %u entries of %zu", s->n,
		   s->bad_entries, reply->elements);
	size_t cmd_max = REDIS_SLOWLOG_ARGS_MAX * (REDIS_SLOWLOG_ARG_MAX + 4) + 64;
	for (size_t i = 0; i < s->n; i++) {
		check_string(s->entries[i].command, cmd_max, "command");
		check_string(s->entries[i].client, 128 + 3, "client");
		check_string(s->entries[i].client_name, 128 + 3, "client_name");
	}
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	FUZZ_CHECK(redis_slowlog_json(s, 1, &out) == 0, "json failed");
	json_error_t jerr;
	json_t *arr = json_loadb(buf_str(&out), out.len, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK(json_is_array(arr), "JSON does not parse: %s: %s", jerr.text, buf_str(&out));
	FUZZ_CHECK(json_array_size(arr) == s->n, "%zu objects for %zu entries: %s",
		   json_array_size(arr), s->n, buf_str(&out));
	for (size_t i = 0; i < s->n; i++)
		check_entry_json(&s->entries[i], json_array_get(arr, i));
	json_decref(arr);
	buf_release(&out);
}

/* CONFIG GET, LATENCY LATEST and LATENCY HISTOGRAM walkers on one reply. */
static void check_replies(const redisReply *reply, const struct redis_info_summary *info)
{
	struct batch *b = batch_new();
	struct redis_settings set = { .io_threads = -1, .databases = 0 };
	redis_config_read(reply, "cache", b, &set);
	FUZZ_CHECK(set.databases >= 0, "databases %d", set.databases);
	FUZZ_CHECK(set.io_threads == -1 || isfinite(set.io_threads), "io_threads not finite");
	redis_settings_emit(&set, "cache", b);
	redis_latency_latest_emit(reply, "cache", b);
	redis_latency_histogram_emit(reply, "cache", info, b);
	FUZZ_CHECK(b->invalid == 0, "%llu invalid samples", (unsigned long long)b->invalid);
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct batch_sample *s = &b->samples[i];
		const char *p = batch_str(b, s->labels_off);
		for (uint32_t k = 0; k < s->nlabels; k++) {
			p += strlen(p) + 1;
			FUZZ_CHECK(fuzz_utf8_valid(p, strlen(p)), "a label value is not UTF-8");
			p += strlen(p) + 1;
		}
	}
	struct expo_block *blk = expo_render(b);
	expo_block_unref(blk);
	batch_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* commandstats for the histogram's sums */
	static const char info_text[] = "# Commandstats\r\ncmdstat_get:calls=2,usec=5\r\n"
					"cmdstat_config|get:calls=1,usec=7\r\n";
	if (announces_huge_array(data, size))
		return 0;
	struct batch *ib = batch_new();
	struct redis_info_summary info;
	redis_info_emit(info_text, sizeof(info_text) - 1, "cache", 0, 0, ib, &info, NULL, 0);
	batch_free(ib);
	redisReader *r = redisReaderCreate();
	if (!r)
		abort();
	if (redisReaderFeed(r, (const char *)data, size) == REDIS_OK) {
		void *reply = NULL;
		while (redisReaderGetReply(r, &reply) == REDIS_OK && reply) {
			struct redis_slowlog *s = redis_slowlog_parse(reply);
			check_slowlog(reply, s);
			redis_slowlog_free(s);
			check_replies(reply, &info);
			freeReplyObject(reply);
			reply = NULL;
		}
	}
	redisReaderFree(r);
	redis_info_summary_release(&info);
	return 0;
}
