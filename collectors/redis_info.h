/*
 * redis_info.h -- turns the text of one INFO ALL reply into samples, named
 * as redis_exporter names them (its names, types and units; dbpulse's own
 * families for the keys it does not read follow Prometheus's rules).
 *
 * Pure: no hiredis, no I/O, no globals, no logging.  The Redis collector
 * sends INFO ALL, hands the reply's bytes to redis_info_emit() and keeps
 * what the summary tells it; the unit tests call it on captured replies.
 *
 * The reply is read line by line.  "# Name" starts a section; in a known
 * section each "key:value" line is compared against the keys expected
 * there (Server, Clients, Memory, Persistence, Stats, Replication, CPU,
 * Cluster) or against the line shapes of the structured sections
 * (cmdstat_<cmd>, errorstat_<ERR>, latency_percentiles_usec_<cmd>,
 * db<N>, slave<N>).  Unknown sections and unknown keys are ignored, so
 * fields added or removed across Redis 5, 6 and 7 need no version check.
 *
 * Tolerance: the text need not be NUL-terminated and may hold NUL bytes;
 * lines may end in "\r\n" or "\n".  A value that does not parse (not a
 * finite decimal number where one is expected, an unknown status word) adds
 * no sample and is counted in bad_values; a line that cannot be a field (no
 * ':' outside a "#" line, an empty key or command name, a NUL byte, the
 * last line without its line end, which is taken as cut short) is skipped
 * and counted in bad_lines.  Nothing is ever turned into a made-up number.
 *
 * Label values come from the server and are not trusted: each is cut to
 * REDIS_INFO_LABEL_MAX bytes (at a UTF-8 character boundary) and counted
 * in cut_labels; escaping is the renderer's job.
 */
#ifndef DBPULSE_REDIS_INFO_H
#define DBPULSE_REDIS_INFO_H

#include <stddef.h>

struct batch;

/* The longest label value taken from the reply, in bytes. */
#define REDIS_INFO_LABEL_MAX 128
/* The most database numbers the summary keeps (for check_keys, which
 * SCANs each of them every cycle: Redis has 16 by default, and a server
 * with hundreds in use would make one cycle SCAN all of them). */
#define REDIS_INFO_MAX_DBS 64

/* The most databases given 0 keys when Keyspace does not list them. */
#define REDIS_INFO_ZERO_DBS_MAX 1024

/* One cmdstat_<cmd> line of Commandstats. */
struct redis_cmdstat {
	char *cmd;                /* "get", "client|list" (cut as labels are) */
	double calls, usec;
};

/* What the collector needs besides the samples.  Filled by
 * redis_info_emit(), which zeroes it first; strings are copies (cut to the
 * array's size), "" when the reply did not have them.  cmdstats is owned:
 * redis_info_summary_release() frees it. */
struct redis_info_summary {
	char role[16];            /* "master" / "slave" */
	char redis_version[32];   /* "7.0.15" */
	char run_id[48];          /* changes when the server restarts */
	double uptime;            /* uptime_in_seconds, -1 when absent */
	double maxmemory;         /* bytes; 0 when unset or absent */
	int dbs[REDIS_INFO_MAX_DBS];  /* the N of each "db<N>:" line of Keyspace (the
				       * databases holding keys), in reply order */
	unsigned ndbs;            /* how many of dbs[] are set */
	unsigned dbs_dropped;     /* db<N> lines past REDIS_INFO_MAX_DBS: not in dbs[] */
	struct redis_cmdstat *cmdstats; /* in name order, for redis_info_cmdstat() */
	size_t ncmdstats;
	unsigned fields;          /* lines that gave at least one sample or value */
	unsigned bad_values;      /* values that did not parse: skipped, counted */
	unsigned bad_lines;       /* lines that cannot be a field: skipped, counted */
	unsigned cut_labels;      /* label values cut to REDIS_INFO_LABEL_MAX */
};

/*
 * Adds every metric of the INFO reply text[0..len) to b, each with the
 * label target="<target>" first, and fills *sum (whatever it held before
 * is not freed: release it first).  text is only read (the function
 * parses a private copy, freed before it returns); it need not be
 * NUL-terminated.  Strings passed to b are copied by the batch.
 *
 * now is the wall-clock time (now_wall()) the reply arrived; it is used
 * only for redis_start_time_seconds when the reply has no server_time_usec
 * (Redis before 6.2).  Pass 0 to leave that sample out then.
 *
 * databases is the server's number of databases (CONFIG GET databases, 16
 * when it cannot be read, as redis_exporter assumes): when the reply has a
 * Keyspace section, each db<N> with N below it (and below
 * REDIS_INFO_ZERO_DBS_MAX; only db0 on a cluster node) that Keyspace does
 * not list gets redis_db_keys and redis_db_keys_expiring 0, as
 * redis_exporter's default does.  0: none.
 *
 * Returns 0, or -1 with a reason in err (errlen bytes; err may be NULL)
 * when the text holds no field of a known section at all (empty, not an
 * INFO reply); sum's counts are valid either way.
 */
int redis_info_emit(const char *text, size_t len, const char *target, double now, int databases,
		    struct batch *b, struct redis_info_summary *sum, char *err, size_t errlen);

/* Frees what redis_info_emit() allocated in sum (its cmdstats). */
void redis_info_summary_release(struct redis_info_summary *sum);

/* The Commandstats line of cmd, or NULL. */
const struct redis_cmdstat *redis_info_cmdstat(const struct redis_info_summary *sum,
					       const char *cmd);

/*
 * The quantile label redis_exporter gives a latencystats percentile (the
 * name without its 'p'): the percentile itself as Go writes the number
 * ("50" -> "50", "99.900" -> "99.9", "050" -> "50", "100" -> "100"), done
 * on the decimal digits so that no binary rounding shows.  Returns 0, or
 * -1 when pct is not a decimal number from 0 to 100 that Go writes without
 * an exponent (0.0001 and up, at most 15 significant digits) or out
 * (outlen bytes) is too small.  Exposed for the unit tests.
 */
int redis_info_quantile(const char *pct, char *out, size_t outlen);

#endif
