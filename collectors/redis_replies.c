/*
 * redis_replies.c -- CONFIG GET, LATENCY LATEST and LATENCY HISTOGRAM
 * replies walked into samples (see redis_replies.h).  Called on a Redis
 * target's worker thread after the command came back, and by the unit
 * tests and the fuzzer on reply trees hiredis built from bytes.  Owns
 * nothing beyond the call.
 */
#include "autoconfig.h"
#include "redis_replies.h"
#include "metrics.h"
#include "redis_info.h"
#include "strutil.h"

#include <hiredis/hiredis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

static const struct metric_desc m_io_threads = {
	"redis_config_io_threads", "The io-threads setting (CONFIG GET).", METRIC_GAUGE };
static const struct metric_desc m_obl_bytes = {
	"redis_config_client_output_buffer_limit_bytes",
	"The client-output-buffer-limit setting per client class: hard and soft limits in bytes "
	"(CONFIG GET).", METRIC_GAUGE };
static const struct metric_desc m_obl_seconds = {
	"redis_config_client_output_buffer_limit_overcome_seconds",
	"How long a client of the class may stay over its soft limit (CONFIG GET).", METRIC_GAUGE };
static const struct metric_desc m_spike_last = {
	"redis_latency_spike_last",
	"When the event last passed latency-monitor-threshold, in seconds since the epoch "
	"(LATENCY LATEST).", METRIC_GAUGE };
static const struct metric_desc m_spike_duration = {
	"redis_latency_spike_duration_seconds",
	"Latency of the event's latest spike (LATENCY LATEST).", METRIC_GAUGE };
static const struct metric_desc m_latencies = {
	"redis_commands_latencies_usec",
	"Latency histogram of the command in microseconds (LATENCY HISTOGRAM); _sum from "
	"commandstats' usec.", METRIC_HISTOGRAM };

/* ---- helpers ------------------------------------------------------------ */

static int is_string(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* Whether r is the string s. */
static int string_is(const redisReply *r, const char *s)
{
	size_t n = strlen(s);
	return is_string(r) && r->len == n && memcmp(r->str, s, n) == 0;
}

/* A string or integer element as a number. */
static int reply_number(const redisReply *r, double *v)
{
	if (r && r->type == REDIS_REPLY_INTEGER) {
		*v = (double)r->integer;
		return 0;
	}
	if (!is_string(r) || r->len == 0 || r->len > 64 || memchr(r->str, '\0', r->len))
		return -1;
	char s[65];
	memcpy(s, r->str, r->len);
	s[r->len] = '\0';
	if (s[strspn(s, "0123456789.+-eE")] != '\0' || parse_double(s, v) < 0 || !isfinite(*v))
		return -1;
	return 0;
}

/* A name from the reply as a label value: valid UTF-8, cut. */
static void reply_label(const redisReply *r, char *out)
{
	utf8_clean(out, r->str, r->len, REDIS_REPLY_LABEL_MAX);
}

#define LABEL_SIZE UTF8_CLEAN_SIZE(REDIS_REPLY_LABEL_MAX, REDIS_REPLY_LABEL_MAX)

size_t redis_go_float(double v, char *out, size_t outlen)
{
	if (outlen < 32)
		return 0;
	if (isnan(v))
		return (size_t)snprintf(out, outlen, "NaN");
	if (isinf(v))
		return (size_t)snprintf(out, outlen, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		return (size_t)snprintf(out, outlen, signbit(v) ? "-0" : "0");
	/* the shortest digits that read back as v: "d.ddde+XX" */
	char e[40];
	for (int p = 0; p < 17; p++) {
		snprintf(e, sizeof(e), "%.*e", p, v);
		if (strtod(e, NULL) == v)
			break;
	}
	char digits[24] = "0";
	size_t nd = 0, len = 0;
	const char *s = e;
	if (*s == '-')
		out[len++] = *s++;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && nd < sizeof(digits))
			digits[nd++] = *s;
	long exp = strtol(*s ? s + 1 : s, NULL, 10);
	if (nd == 0)
		nd = 1; /* "0": snprintf always writes a digit */
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp < -4 || exp >= 6) { /* Go's %e: at least two digits of exponent */
		out[len++] = digits[0];
		if (nd > 1) {
			out[len++] = '.';
			memcpy(out + len, digits + 1, nd - 1);
			len += nd - 1;
		}
		len += (size_t)snprintf(out + len, outlen - len, "e%c%02ld", exp < 0 ? '-' : '+',
					exp < 0 ? -exp : exp);
		return len;
	}
	if (exp < 0) {
		out[len++] = '0';
		out[len++] = '.';
		for (long i = 0; i < -exp - 1; i++)
			out[len++] = '0';
		memcpy(out + len, digits, nd);
		len += nd;
	} else {
		for (long i = 0; i <= exp; i++) {
			if ((size_t)i < nd)
				out[len++] = digits[i];
			else
				out[len++] = '0';
		}
		if (nd > (size_t)exp + 1) {
			out[len++] = '.';
			memcpy(out + len, digits + exp + 1, nd - (size_t)exp - 1);
			len += nd - (size_t)exp - 1;
		}
	}
	out[len] = '\0';
	return len;
}

/* ---- CONFIG GET ------------------------------------------------------------ */

/* "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60":
 * class, hard, soft, seconds; returns the values that did not parse. */
static unsigned output_buffer_limits(const redisReply *value, const char *target,
				     struct batch *b)
{
	if (!is_string(value) || value->len > 1024 || memchr(value->str, '\0', value->len))
		return 1;
	char text[1025], *f[64];
	memcpy(text, value->str, value->len);
	text[value->len] = '\0';
	size_t n = split_fields(text, f, 64);
	if (n > 64)
		n = 64;
	unsigned bad = (unsigned)(n % 4 != 0);
	for (size_t i = 0; i + 3 < n; i += 4) {
		char cls[LABEL_SIZE];
		utf8_clean(cls, f[i], strlen(f[i]), REDIS_REPLY_LABEL_MAX);
		static const struct {
			size_t off;
			const char *limit;
			const struct metric_desc *d;
		} parts[] = {
			{ 1, "hard", &m_obl_bytes }, { 2, "soft", &m_obl_bytes },
			{ 3, "soft", &m_obl_seconds },
		};
		for (size_t k = 0; k < 3; k++) {
			double v;
			if (parse_double(f[i + parts[k].off], &v) < 0 || !isfinite(v)) {
				bad++;
				continue;
			}
			const char *l[] = { "target", target, "class", cls, "limit", parts[k].limit };
			batch_addv(b, parts[k].d->name, parts[k].d->help, parts[k].d->type, v, l, 3);
		}
	}
	return bad;
}

unsigned redis_config_read(const redisReply *reply, const char *target, struct batch *b,
			   struct redis_settings *set)
{
	if (!reply || reply->type != REDIS_REPLY_ARRAY)
		return 1;
	unsigned bad = (unsigned)(reply->elements % 2);
	for (size_t i = 0; i + 1 < reply->elements; i += 2) {
		const redisReply *name = reply->element[i], *value = reply->element[i + 1];
		double v;
		if (string_is(name, "io-threads")) {
			if (reply_number(value, &v) == 0)
				set->io_threads = v;
			else
				bad++;
		} else if (string_is(name, "databases")) {
			if (reply_number(value, &v) == 0 && v >= 0 && v <= 1e9 && v == floor(v))
				set->databases = (int)v;
			else
				bad++;
		} else if (string_is(name, "client-output-buffer-limit")) {
			bad += output_buffer_limits(value, target, b);
		}
	}
	return bad;
}

void redis_settings_emit(const struct redis_settings *set, const char *target, struct batch *b)
{
	const char *t[] = { "target", target };
	if (set->io_threads >= 0)
		batch_addv(b, m_io_threads.name, m_io_threads.help, m_io_threads.type,
			   set->io_threads, t, 1);
}

/* ---- LATENCY LATEST -------------------------------------------------------- */

unsigned redis_latency_latest_emit(const redisReply *reply, const char *target,
				   struct batch *b)
{
	if (!reply || reply->type != REDIS_REPLY_ARRAY)
		return 1;
	unsigned bad = 0;
	for (size_t i = 0; i < reply->elements; i++) {
		const redisReply *e = reply->element[i];
		double last, latest;
		if (!e || e->type != REDIS_REPLY_ARRAY || e->elements < 4 ||
		    !is_string(e->element[0]) || reply_number(e->element[1], &last) < 0 ||
		    reply_number(e->element[2], &latest) < 0) {
			bad++;
			continue;
		}
		char event[LABEL_SIZE];
		reply_label(e->element[0], event);
		const char *l[] = { "target", target, "event_name", event };
		batch_addv(b, m_spike_last.name, m_spike_last.help, m_spike_last.type, last, l, 2);
		batch_addv(b, m_spike_duration.name, m_spike_duration.help, m_spike_duration.type,
			   latest / 1e3, l, 2);
	}
	return bad;
}

/* ---- LATENCY HISTOGRAM ----------------------------------------------------- */

/* The first of info's commandstats (in name order) not before key. */
static size_t cmdstat_lower_bound(const struct redis_info_summary *info, const char *key)
{
	size_t lo = 0, hi = info->ncmdstats;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(info->cmdstats[mid].cmd, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The usec commandstats gives cmd and its subcommands ("cmd|..."), as
 * redis_exporter adds them up. */
static double command_usec(const struct redis_info_summary *info, const char *cmd)
{
	if (!info || !info->ncmdstats)
		return 0;
	const struct redis_cmdstat *own = redis_info_cmdstat(info, cmd);
	double usec = own ? own->usec : 0;
	char prefix[LABEL_SIZE + 2];
	size_t n = (size_t)snprintf(prefix, sizeof(prefix), "%s|", cmd);
	for (size_t i = cmdstat_lower_bound(info, prefix);
	     i < info->ncmdstats && strncmp(info->cmdstats[i].cmd, prefix, n) == 0; i++)
		usec += info->cmdstats[i].usec;
	return usec;
}

/* The "calls" and "histogram_usec" of one command's details. */
static int histogram_details(const redisReply *d, double *calls, const redisReply **buckets)
{
	*buckets = NULL;
	int have_calls = 0;
	if (!d || d->type != REDIS_REPLY_ARRAY)
		return -1;
	for (size_t k = 0; k + 1 < d->elements; k += 2) {
		if (string_is(d->element[k], "calls"))
			have_calls = reply_number(d->element[k + 1], calls) == 0;
		else if (string_is(d->element[k], "histogram_usec") &&
			 d->element[k + 1]->type == REDIS_REPLY_ARRAY)
			*buckets = d->element[k + 1];
	}
	return have_calls && *buckets ? 0 : -1;
}

unsigned redis_latency_histogram_emit(const redisReply *reply, const char *target,
				      const struct redis_info_summary *info, struct batch *b)
{
	if (!reply || reply->type != REDIS_REPLY_ARRAY)
		return 1;
	unsigned bad = (unsigned)(reply->elements % 2);
	size_t cmds = 0;
	for (size_t i = 0; i + 1 < reply->elements; i += 2) {
		double calls;
		const redisReply *buckets;
		if (!is_string(reply->element[i]) ||
		    histogram_details(reply->element[i + 1], &calls, &buckets) < 0) {
			bad++;
			continue;
		}
		if (cmds++ == REDIS_HISTOGRAM_CMDS_MAX) {
			bad += (unsigned)((reply->elements - i) / 2);
			break;
		}
		char cmd[LABEL_SIZE], le[32];
		reply_label(reply->element[i], cmd);
		const char *l[] = { "target", target, "cmd", cmd, "le", le };
		size_t nb = 0;
		bad += (unsigned)(buckets->elements % 2);
		for (size_t k = 0; k + 1 < buckets->elements; k += 2) {
			double bound, count;
			if (reply_number(buckets->element[k], &bound) < 0 ||
			    reply_number(buckets->element[k + 1], &count) < 0 ||
			    nb == REDIS_HISTOGRAM_BUCKETS_MAX) {
				bad++;
				continue;
			}
			nb++;
			redis_go_float(bound, le, sizeof(le));
			batch_addv_part(b, m_latencies.name, m_latencies.help, m_latencies.type,
					METRIC_PART_BUCKET, count, l, 3);
		}
		snprintf(le, sizeof(le), "+Inf");
		batch_addv_part(b, m_latencies.name, m_latencies.help, m_latencies.type,
				METRIC_PART_BUCKET, calls, l, 3);
		batch_addv_part(b, m_latencies.name, m_latencies.help, m_latencies.type,
				METRIC_PART_SUM, command_usec(info, cmd), l, 2);
		batch_addv_part(b, m_latencies.name, m_latencies.help, m_latencies.type,
				METRIC_PART_COUNT, calls, l, 2);
	}
	return bad;
}
