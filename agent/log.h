/*
 * log.h -- structured log lines on stderr (logfmt or JSON).
 *
 * Every line carries time, level, module, target (when there is one) and
 * the message, e.g.
 *   time=2026-11-24T21:30:00.123Z level=warn module=host target=host msg="..."
 * Safe from any thread: a line is formatted on the stack and written with
 * one write(2).  Secrets must never be passed here.
 */
#ifndef DBPULSE_LOG_H
#define DBPULSE_LOG_H

#include <stdint.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };
enum log_format { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };

void log_configure(enum log_level level, enum log_format format);
int log_enabled(enum log_level level);
/* module: "host", "http", "config", ...; target may be NULL. */
void log_msg(enum log_level level, const char *module, const char *target,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(m, t, ...) log_msg(LOG_LEVEL_DEBUG, (m), (t), __VA_ARGS__)
#define log_info(m, t, ...)  log_msg(LOG_LEVEL_INFO, (m), (t), __VA_ARGS__)
#define log_warn(m, t, ...)  log_msg(LOG_LEVEL_WARN, (m), (t), __VA_ARGS__)
#define log_error(m, t, ...) log_msg(LOG_LEVEL_ERROR, (m), (t), __VA_ARGS__)

/*
 * Rate-limited complaints about one repeating failure (collectd's
 * c_complain): the first failure is logged, then at most once per interval,
 * which doubles up to an hour; log_complaint_clear() logs the recovery once.
 * One complaint per failure source, owned by whoever owns that source.
 */
struct log_complaint {
	int64_t next_ms;       /* monotonic time before which we stay quiet */
	int64_t interval_ms;   /* 0 while no failure is outstanding */
	uint64_t suppressed;   /* failures not logged since the last line */
};

void log_complain(struct log_complaint *c, enum log_level level, const char *module,
		  const char *target, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Logs `fmt` at info once if a failure was outstanding; returns 1 if it did. */
int log_complaint_clear(struct log_complaint *c, const char *module, const char *target,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

const char *log_level_name(enum log_level level);

#endif
