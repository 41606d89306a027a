/*
 * log.c -- structured log lines on stderr (see log.h).
 *
 * The configured level and format are plain atomics so that a SIGHUP reload
 * can change them while workers log.
 */
#include "autoconfig.h"
#include "log.h"
#include "strutil.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "banned.h"

static atomic_int log_level_cur = LOG_LEVEL_INFO;
static atomic_int log_format_cur = LOG_FORMAT_LOGFMT;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

const char *log_level_name(enum log_level level)
{
	return level_names[level];
}

void log_configure(enum log_level level, enum log_format format)
{
	atomic_store(&log_level_cur, (int)level);
	atomic_store(&log_format_cur, (int)format);
}

int log_enabled(enum log_level level)
{
	return (int)level >= atomic_load(&log_level_cur);
}

struct line {
	char data[2048];
	size_t len;
	int full;      /* a value was cut: nothing more goes in */
};

/* Room kept for what closes a line: a quote, a brace, a newline. */
#define LINE_TAIL 8

static void put_raw(struct line *l, const char *s, size_t n)
{
	memcpy(l->data + l->len, s, n);
	l->len += n;
}

/* Appends n bytes if they fit before the tail room; returns 0 if not. */
static int put(struct line *l, const char *s, size_t n)
{
	if (l->full || l->len + n > sizeof(l->data) - LINE_TAIL) {
		l->full = 1;
		return 0;
	}
	put_raw(l, s, n);
	return 1;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* A value as a logfmt value (quoted when it needs to be) or a JSON string.
 * Escapes are never cut in half, and invalid UTF-8 (from mount points,
 * say) becomes U+FFFD, so a JSON line always parses. */
static void put_value(struct line *l, const char *v, int json)
{
	int quote = json || *v == '\0';
	for (const char *p = v; !quote && *p; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20 ||
		    (unsigned char)*p >= 0x80)
			quote = 1;
	if (quote && !put(l, "\"", 1))
		return;
	const unsigned char *p = (const unsigned char *)v;
	size_t n = strlen(v);
	for (size_t i = 0; i < n && !l->full;) {
		unsigned char c = p[i];
		char esc[8];
		size_t adv = 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(l, esc, 2);
		} else if (c == '\n') {
			put(l, "\\n", 2);
		} else if (c == '\t') {
			put(l, "\\t", 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(l, esc, 6);
		} else if (c >= 0x80 && (adv = utf8_sequence_len(p + i, n - i)) == 0) {
			put(l, "\xEF\xBF\xBD", 3);
			adv = 1;
		} else {
			put(l, (const char *)p + i, adv);
		}
		i += adv;
	}
	if (quote)
		put_raw(l, "\"", 1);
}

static void put_field(struct line *l, const char *key, const char *value, int json, int first)
{
	if (json) {
		puts_(l, first ? "{\"" : ",\"");
		puts_(l, key);
		puts_(l, "\":");
	} else {
		if (!first)
			put(l, " ", 1);
		puts_(l, key);
		put(l, "=", 1);
	}
	put_value(l, value, json);
}

static void log_vmsg(enum log_level level, const char *module, const char *target,
		     const char *fmt, va_list ap)
{
	struct line l = { .len = 0, .full = 0 };
	int json = atomic_load(&log_format_cur) == LOG_FORMAT_JSON;
	char ts[40], msg[1536];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);
	vsnprintf(msg, sizeof(msg), fmt, ap);

	put_field(&l, "time", ts, json, 1);
	put_field(&l, "level", level_names[level], json, 0);
	put_field(&l, "module", module ? module : "agent", json, 0);
	if (target)
		put_field(&l, "target", target, json, 0);
	put_field(&l, "msg", msg, json, 0);
	if (json)
		put_raw(&l, "}", 1);
	put_raw(&l, "\n", 1);
	(void)!write(STDERR_FILENO, l.data, l.len);
}

void log_msg(enum log_level level, const char *module, const char *target, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, module, target, fmt, ap);
	va_end(ap);
}

#define COMPLAIN_FIRST_MS 60000
#define COMPLAIN_MAX_MS 3600000

void log_complain(struct log_complaint *c, enum log_level level, const char *module,
		  const char *target, const char *fmt, ...)
{
	int64_t now = now_mono_ms();
	if (c->interval_ms != 0 && now < c->next_ms) {
		c->suppressed++;
		return;
	}
	c->interval_ms = c->interval_ms == 0 ? COMPLAIN_FIRST_MS : c->interval_ms * 2;
	if (c->interval_ms > COMPLAIN_MAX_MS)
		c->interval_ms = COMPLAIN_MAX_MS;
	c->next_ms = now + c->interval_ms;
	if (!log_enabled(level)) {
		c->suppressed = 0;
		return;
	}
	char msg[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->suppressed)
		log_msg(level, module, target, "%s (%llu more since the last report)", msg,
			(unsigned long long)c->suppressed);
	else
		log_msg(level, module, target, "%s", msg);
	c->suppressed = 0;
}

int log_complaint_clear(struct log_complaint *c, const char *module, const char *target,
			const char *fmt, ...)
{
	if (c->interval_ms == 0)
		return 0;
	c->interval_ms = 0;
	c->next_ms = 0;
	c->suppressed = 0;
	if (log_enabled(LOG_LEVEL_INFO)) {
		va_list ap;
		va_start(ap, fmt);
		log_vmsg(LOG_LEVEL_INFO, module, target, fmt, ap);
		va_end(ap);
	}
	return 1;
}
