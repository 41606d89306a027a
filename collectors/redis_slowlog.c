/*
 * redis_slowlog.c -- SLOWLOG GET replies walked into kept entries, and
 * their JSON (see redis_slowlog.h).  Called on the Redis target's worker
 * thread (parse) and on HTTP threads (JSON, from an immutable slow log
 * published in the store).
 */
#include "autoconfig.h"
#include "redis_slowlog.h"
#include "buf.h"
#include "strutil.h"
#include "xalloc.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <string.h>
#include "banned.h"

/* A string of the reply cut at max bytes; sets *cut when it was. */
static char *clean_string(const redisReply *r, size_t max, int *cut)
{
	struct buf b = BUF_INIT(UTF8_CLEAN_SIZE(max, max) + 8);
	if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)) {
		buf_put_utf8(&b, r->str, r->len, max);
		if (r->len > max)
			*cut = 1;
	}
	return buf_detach(&b, NULL);
}

/* The arguments joined by spaces: at most REDIS_SLOWLOG_ARGS_MAX of them,
 * each cut at REDIS_SLOWLOG_ARG_MAX bytes; sets *cut when something was. */
static char *join_args(const redisReply *args, int *cut)
{
	struct buf b = BUF_INIT(REDIS_SLOWLOG_ARGS_MAX *
				(UTF8_CLEAN_SIZE(REDIS_SLOWLOG_ARG_MAX, REDIS_SLOWLOG_ARG_MAX) + 8) + 64);
	for (size_t i = 0; i < args->elements; i++) {
		const redisReply *a = args->element[i];
		if (i == REDIS_SLOWLOG_ARGS_MAX) {
			buf_printf(&b, " ... (%zu more arguments)", args->elements - i);
			*cut = 1;
			break;
		}
		if (i)
			buf_putc(&b, ' ');
		if (a->type == REDIS_REPLY_STRING || a->type == REDIS_REPLY_STATUS) {
			buf_put_utf8(&b, a->str, a->len, REDIS_SLOWLOG_ARG_MAX);
			if (a->len > REDIS_SLOWLOG_ARG_MAX)
				*cut = 1;
		} else if (a->type == REDIS_REPLY_INTEGER) {
			buf_printf(&b, "%lld", a->integer);
		}
	}
	return buf_detach(&b, NULL);
}

struct redis_slowlog *redis_slowlog_parse(const redisReply *reply)
{
	if (!reply || reply->type != REDIS_REPLY_ARRAY)
		return NULL;
	struct redis_slowlog *s = xcalloc(1, sizeof(*s));
	s->entries = xcalloc(reply->elements + 1, sizeof(*s->entries));
	for (size_t i = 0; i < reply->elements; i++) {
		const redisReply *e = reply->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements < 4 ||
		    e->element[0]->type != REDIS_REPLY_INTEGER ||
		    e->element[1]->type != REDIS_REPLY_INTEGER ||
		    e->element[2]->type != REDIS_REPLY_INTEGER ||
		    e->element[3]->type != REDIS_REPLY_ARRAY) {
			s->bad_entries++;
			continue;
		}
		struct redis_slow_entry *out = &s->entries[s->n++];
		out->id = e->element[0]->integer;
		out->time = e->element[1]->integer;
		out->duration_us = e->element[2]->integer;
		out->command = join_args(e->element[3], &out->cut);
		out->client = clean_string(e->elements > 4 ? e->element[4] : NULL,
					   REDIS_SLOWLOG_CLIENT_MAX, &out->cut);
		out->client_name = clean_string(e->elements > 5 ? e->element[5] : NULL,
						REDIS_SLOWLOG_CLIENT_MAX, &out->cut);
	}
	return s;
}

static void entry_release(struct redis_slow_entry *e)
{
	free(e->command);
	free(e->client);
	free(e->client_name);
}

void redis_slowlog_free(void *slowlog)
{
	struct redis_slowlog *s = slowlog;
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		entry_release(&s->entries[i]);
	free(s->entries);
	free(s->json[0]);
	free(s->json[1]);
	free(s);
}

size_t redis_slowlog_keep(struct redis_slowlog *s, size_t max)
{
	if (!s || s->n <= max)
		return 0;
	size_t dropped = s->n - max;
	for (size_t i = max; i < s->n; i++)
		entry_release(&s->entries[i]);
	s->n = max;
	return dropped;
}

size_t redis_slowlog_mark_own(struct redis_slowlog *s, const char *client_name)
{
	size_t own = 0;
	for (size_t i = 0; s && i < s->n; i++) {
		s->entries[i].own = strcmp(s->entries[i].client_name, client_name) == 0;
		own += (size_t)s->entries[i].own;
	}
	return own;
}

const struct redis_slow_entry *redis_slowlog_newest_foreign(const struct redis_slowlog *s)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (!s->entries[i].own)
			return &s->entries[i];
	return NULL;
}

/* The JSON text of the entries (caller frees), or NULL. */
static char *slowlog_json_text(const struct redis_slowlog *s, int include_own)
{
	json_t *arr = json_array();
	for (size_t i = 0; s && i < s->n; i++) {
		const struct redis_slow_entry *e = &s->entries[i];
		if (e->own && !include_own)
			continue;
		json_array_append_new(arr, json_pack("{s:I, s:I, s:f, s:s, s:s, s:s, s:b}",
						     "id", (json_int_t)e->id, "time", (json_int_t)e->time,
						     "duration_seconds", (double)e->duration_us / 1e6,
						     "command", e->command, "client", e->client,
						     "client_name", e->client_name, "own", e->own));
	}
	char *text = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(arr);
	return text;
}

void redis_slowlog_seal(struct redis_slowlog *s)
{
	for (int own = 0; s && own < 2; own++) {
		s->json[own] = slowlog_json_text(s, own);
		s->json_len[own] = s->json[own] ? strlen(s->json[own]) : 0;
	}
}

int redis_slowlog_json(const struct redis_slowlog *s, int include_own, struct buf *out)
{
	include_own = include_own != 0;
	if (s && s->json[include_own])
		return buf_append(out, s->json[include_own], s->json_len[include_own]);
	char *text = slowlog_json_text(s, include_own);
	if (!text)
		return -1;
	int rc = buf_puts(out, text);
	free(text);
	return rc;
}
