/*
 * redis_replies.h -- samples from the array replies the Redis collector
 * reads besides INFO and SLOWLOG: CONFIG GET (a few settings), LATENCY
 * LATEST and LATENCY HISTOGRAM, named as redis_exporter (1.88) names them.
 * Pure: the functions walk a hiredis reply tree (built by hiredis from
 * whatever the server sent, so nothing in it is trusted) and add samples
 * to a batch; no I/O, no logging.  Every sample gets target="<target>"
 * first; names taken from the reply (commands, events) are made valid
 * UTF-8 and cut to REDIS_REPLY_LABEL_MAX bytes.  An element that does not
 * have the expected shape adds nothing and is counted in the return value
 * (values that did not parse, for dbpulse_parse_errors_total).
 */
#ifndef DBPULSE_REDIS_REPLIES_H
#define DBPULSE_REDIS_REPLIES_H

#include <stddef.h>

struct batch;
struct redisReply;
struct redis_info_summary;

#define REDIS_REPLY_LABEL_MAX 128    /* bytes of a command or event name kept */
#define REDIS_HISTOGRAM_CMDS_MAX 4096 /* commands of LATENCY HISTOGRAM read */
#define REDIS_HISTOGRAM_BUCKETS_MAX 64 /* buckets of one command read (Redis has ~40) */

/* Settings of CONFIG GET that are kept between collections. */
struct redis_settings {
	double io_threads;        /* io-threads; -1 when not read */
	int databases;            /* databases; 0 when not read */
};

/*
 * A CONFIG GET reply (an array of name, value, name, value...; any number
 * of pairs): "io-threads" and "databases" go into *set (members of set
 * the reply lacks are left as they are); "client-output-buffer-limit"
 * ("normal 0 0 0 slave 268435456 67108864 60 ...") becomes
 * redis_config_client_output_buffer_limit_bytes{class,limit="hard"|"soft"}
 * and redis_config_client_output_buffer_limit_overcome_seconds{class,
 * limit="soft"} in b.  Other names are ignored.  Returns the values that
 * did not parse.
 */
unsigned redis_config_read(const struct redisReply *reply, const char *target, struct batch *b,
			   struct redis_settings *set);

/* redis_config_io_threads from set, when it was read. */
void redis_settings_emit(const struct redis_settings *set, const char *target, struct batch *b);

/*
 * A LATENCY LATEST reply (an array of [event, timestamp, latest ms,
 * max ms, ...]): redis_latency_spike_last{event_name} (the timestamp) and
 * redis_latency_spike_duration_seconds{event_name} (the latest, in
 * seconds).  Returns the entries that did not have that shape.
 */
unsigned redis_latency_latest_emit(const struct redisReply *reply, const char *target,
				   struct batch *b);

/*
 * A LATENCY HISTOGRAM reply (an array of command, [ "calls", N,
 * "histogram_usec", [bucket, cumulative count, ...] ], ...): the
 * histogram redis_commands_latencies_usec{cmd} per command, its le labels
 * the buckets in microseconds as Go writes them, +Inf and _count the
 * calls, and _sum the usec that info's commandstats (may be NULL) gives
 * the command and its subcommands (0 when it has none), as redis_exporter
 * makes it.  At most REDIS_HISTOGRAM_CMDS_MAX commands and
 * REDIS_HISTOGRAM_BUCKETS_MAX buckets each are read; the rest are counted
 * in the return value, with the entries that did not have the shape.
 */
unsigned redis_latency_histogram_emit(const struct redisReply *reply, const char *target,
				      const struct redis_info_summary *info, struct batch *b);

/*
 * v as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it, which is how
 * redis_exporter's le and quantile labels are written: the shortest
 * digits that read back as v, with an exponent ("1.048576e+06", "1e-05")
 * below 1e-4 and from 1e6 on.  out needs 32 bytes; returns its length.
 * Exposed for the unit tests.
 */
size_t redis_go_float(double v, char *out, size_t outlen);

#endif
