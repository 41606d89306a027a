/*
 * test_redis_info.c -- the INFO ALL parser (collectors/redis_info.c)
 * against a reply captured from Redis 7.0 and replies written from the
 * fields Redis 5.0 and 6.2 print (tests/data/redis), and against broken
 * input (table-driven): malformed lines and values, NUL bytes, "\n" line
 * ends, a cut last line, empty and unknown sections, huge values and
 * 100 KB lines.  Every family name must be valid, and `promtool check
 * metrics` on the rendered exposition of each fixture may remark only on
 * redis_exporter's own names listed in tests/compat/promtool.txt (run when
 * $PROMTOOL names an executable; that one check is skipped otherwise).
 * Also: the latencystats summaries with commandstats' sum and count, the
 * databases Keyspace does not list (0 keys), the commandstats kept in the
 * summary, and the quantile labels as redis_exporter writes them.
 *
 * The 7.0 fixture comes from `redis-server --save '' --appendonly no` after
 * 1,000 SETs in db0, a few GET/EXPIRE/LPUSH/HSET/INCR, an HSET, LPUSH and
 * EXPIRE in db3, an unknown command (ERR), an LPUSH on a string
 * (WRONGTYPE), CLIENT LIST and CONFIG GET, then `redis-cli INFO ALL`.
 *
 * Fixtures are found through $top_srcdir (exported by the test harness;
 * "." otherwise).
 */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "exposition.h"
#include "metrics.h"
#include "redis_info.h"
#include "strutil.h"
#include "xalloc.h"

#define TARGET "cache"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define assert_double_equal(a, b) \
	assert_true(fabs((double)(a) - (double)(b)) <= 1e-12 * fmax(1.0, fabs((double)(b))))

/* ---- helpers ----------------------------------------------------------- */

/* Reads tests/data/redis/<name> into b. */
static void fixture(const char *name, struct buf *b)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/tests/data/redis/%s", top && *top ? top : ".", name);
	buf_init(b, (size_t)1 << 20);
	if (read_file(path, b) < 0)
		fail_msg("cannot read fixture '%s': %s", path, strerror(errno));
	free(path);
}

/* How many samples of the part of name{target="cache", labels...} b
 * holds (labels: name and value strings ended by NULL); the value of the
 * last in *v. */
static int find_part(const struct batch *b, const char *name, enum metric_part part,
		     const char *const *labels, double *v)
{
	struct buf want = BUF_INIT(BUF_UNLIMITED);
	buf_append(&want, "target\0" TARGET, sizeof("target\0" TARGET));
	for (size_t i = 0; labels && labels[i]; i++)
		buf_append(&want, labels[i], strlen(labels[i]) + 1);
	int n = 0;
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct batch_sample *s = &b->samples[i];
		if (s->part != part || strcmp(batch_str(b, b->families[s->family].name_off), name) != 0)
			continue;
		if (s->labels_len == want.len &&
		    memcmp(batch_str(b, s->labels_off), want.data, want.len) == 0) {
			*v = s->value;
			n++;
		}
	}
	buf_release(&want);
	return n;
}

/* find_part of a sample as the exposition names it: NAME_sum and
 * NAME_count are those parts of a summary or histogram NAME. */
static int find(const struct batch *b, const char *name, const char *const *labels, double *v)
{
	static const struct {
		const char *suffix;
		enum metric_part part;
	} parts[] = { { "_sum", METRIC_PART_SUM }, { "_count", METRIC_PART_COUNT } };
	for (size_t i = 0; i < ARRAY_LEN(parts); i++) {
		size_t n = strlen(name), m = strlen(parts[i].suffix);
		if (n > m && strcmp(name + n - m, parts[i].suffix) == 0) {
			char *base = xstrndup(name, n - m);
			long f = batch_find_family(b, base);
			int found = 0;
			if (f >= 0 && (b->families[f].type == METRIC_SUMMARY ||
				       b->families[f].type == METRIC_HISTOGRAM))
				found = find_part(b, base, parts[i].part, labels, v);
			free(base);
			if (f >= 0)
				return found;
		}
	}
	return find_part(b, name, METRIC_PART_VALUE, labels, v);
}

static int has_family(const struct batch *b, const char *name)
{
	for (size_t i = 0; i < b->nfamilies; i++)
		if (strcmp(batch_str(b, b->families[i].name_off), name) == 0)
			return 1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Valid names with help, no _count/_sum/_bucket family names, a quantile
 * label on summaries only, every sample labelled target first.  (Whether
 * _total goes with counters is promtool's check below: redis_exporter's
 * names break that rule here and there, and dbpulse serves them.) */
static void check_names(const struct batch *b)
{
	assert_int_equal(b->invalid, 0);
	assert_int_equal(b->overflow, 0);
	for (size_t i = 0; i < b->nfamilies; i++) {
		const struct batch_family *f = &b->families[i];
		const char *name = batch_str(b, f->name_off);
		if (!metric_name_valid(name) || strncmp(name, "redis_", 6) != 0)
			fail_msg("bad family name '%s'", name);
		if (ends_with(name, "_count") || ends_with(name, "_sum") || ends_with(name, "_bucket"))
			fail_msg("'%s': reserved suffix", name);
		if (batch_str(b, f->help_off)[0] == '\0')
			fail_msg("'%s': no help", name);
	}
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct batch_sample *s = &b->samples[i];
		const char *p = batch_str(b, s->labels_off);
		assert_true(s->nlabels >= 1);
		assert_string_equal(p, "target");
		assert_string_equal(p + strlen(p) + 1, TARGET);
		for (uint32_t k = 0; k < s->nlabels; k++) {
			assert_true(label_name_valid(p));
			if (strcmp(p, "quantile") == 0)
				assert_int_equal(b->families[s->family].type, METRIC_SUMMARY);
			p += strlen(p) + 1;
			assert_true(strlen(p) <= REDIS_INFO_LABEL_MAX);
			p += strlen(p) + 1;
		}
	}
}

/* Renders b and runs `$PROMTOOL check metrics` on it; what it says goes
 * through `tests/compat/families.py lint` with the reviewed
 * tests/compat/promtool.txt, which must leave nothing. */
static void check_promtool(const struct batch *b, const char *what)
{
	const char *promtool = getenv("PROMTOOL");
	if (!promtool || !*promtool || access(promtool, X_OK) != 0) {
		/* a visible skip of the whole test, which scripts/test fails on */
		print_message("# promtool check of %s: $PROMTOOL is not an executable\n", what);
		skip();
	}
	struct expo_block *blk = expo_render(b);
	assert_non_null(blk);
	assert_int_equal(blk->truncated, 0);
	assert_int_equal(blk->duplicates, 0);
	char path[] = "/tmp/test_redis_info.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char *text = expo_block_text(blk, NULL);
	assert_int_equal(write(fd, text, blk->text_len), (ssize_t)blk->text_len);
	free(text);
	close(fd);
	expo_block_unref(blk);

	const char *top = getenv("top_srcdir");
	if (!top || !*top)
		top = ".";
	char lint[] = "/tmp/test_redis_info_lint.XXXXXX";
	int lfd = mkstemp(lint);
	assert_true(lfd >= 0);
	close(lfd);
	char *cmd = xasprintf("'%s' check metrics <'%s' >'%s' 2>&1; "
			      "python3 '%s/tests/compat/families.py' lint '%s' "
			      "'%s/tests/compat/promtool.txt' 2>&1",
			      promtool, path, lint, top, lint, top);
	/* promtool is the point of the test; the path is the test's own */
	FILE *out = popen(cmd, "r"); // NOLINT(cert-env33-c)
	assert_non_null(out);
	struct buf said = BUF_INIT(1 << 20);
	char chunk[512];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), out)) > 0)
		buf_append(&said, chunk, n);
	int status = pclose(out);
	unlink(path);
	unlink(lint);
	free(cmd);
	if (said.len || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("promtool on %s (status %d): %s", what, status, buf_str(&said));
	buf_release(&said);
}

/* ---- the fixtures -------------------------------------------------------- */

struct expect {
	const char *name;
	const char *labels[24];  /* after target; NULL-ended pairs */
	double value;
};

static const struct fixture_case {
	const char *file;
	double now;                   /* passed to redis_info_emit */
	const char *role, *version, *run_id;
	double uptime, maxmemory;
	unsigned ndbs;
	int dbs[4];                   /* the databases of Keyspace */
	size_t min_samples;
	struct expect values[48];     /* ended by a NULL name */
	const char *absent[10];       /* families that must not be there */
} fixture_cases[] = {
	{
		"info-7.0.txt", 0, "master", "7.0.15", "d24c2272ab3703fd7dcd3ce5c48453e8dded4ce2",
		4, 0, 2, { 0, 3 }, 200,
		{
			{ "redis_commands_total", { "cmd", "set" }, 1000 },
			{ "redis_commands_duration_seconds_total", { "cmd", "set" }, 490e-6 },
			{ "redis_commands_rejected_calls_total", { "cmd", "set" }, 0 },
			{ "redis_commands_failed_calls_total", { "cmd", "lpush" }, 1 },
			{ "redis_commands_total", { "cmd", "lpush" }, 3 },
			{ "redis_commands_total", { "cmd", "client|list" }, 1 },
			{ "redis_commands_total", { "cmd", "config|get" }, 1 },
			{ "redis_latency_percentiles_usec", { "cmd", "set", "quantile", "50" }, 0.001 },
			{ "redis_latency_percentiles_usec", { "cmd", "set", "quantile", "99" }, 4.015 },
			{ "redis_latency_percentiles_usec", { "cmd", "set", "quantile", "99.9" }, 5.023 },
			{ "redis_latency_percentiles_usec_sum", { "cmd", "set" }, 490 },
			{ "redis_latency_percentiles_usec_count", { "cmd", "set" }, 1000 },
			{ "redis_latency_percentiles_usec", { "cmd", "command|docs", "quantile", "99.9" },
			  708.607 },
			{ "redis_latency_percentiles_usec_sum", { "cmd", "command|docs" }, 706 },
			{ "redis_errors_total", { "err", "ERR" }, 1 },
			{ "redis_errors_total", { "err", "WRONGTYPE" }, 1 },
			{ "redis_total_error_replies", { NULL }, 2 },
			{ "redis_db_keys", { "db", "db0" }, 1002 },
			{ "redis_db_keys", { "db", "db3" }, 2 },
			{ "redis_db_keys_expiring", { "db", "db0" }, 1 },
			{ "redis_db_keys_expiring", { "db", "db3" }, 1 },
			{ "redis_db_avg_ttl_seconds", { "db", "db0" }, 3598.47 },
			{ "redis_db_avg_ttl_seconds", { "db", "db3" }, 598.52 },
			{ "redis_instance_info",
			  { "role", "master", "redis_version", "7.0.15", "redis_build_id", "ae4d7c971a948f0",
			    "redis_mode", "standalone", "os", "Linux 6.18.44-fc-v669 x86_64",
			    "maxmemory_policy", "noeviction", "tcp_port", "49851", "run_id",
			    "d24c2272ab3703fd7dcd3ce5c48453e8dded4ce2", "process_id", "30898",
			    "master_replid", "72435ff5ad9189c3470025682ddb685166d4e288" }, 1 },
			{ "redis_config_maxclients", { NULL }, 10000 },
			{ "redis_config_maxmemory", { NULL }, 0 },
			{ "redis_config_repl_backlog_size", { NULL }, 1048576 },
			{ "redis_lazyfreed_objects", { NULL }, 0 },
			{ "redis_expire_cycle_cpu_time_ms_total", { NULL }, 0 },
			{ "redis_uptime_in_seconds", { NULL }, 4 },
			{ "redis_start_time_seconds", { NULL }, 1795565074.0 - 4 },
			{ "redis_max_clients", { NULL }, 10000 },
			{ "redis_connected_clients", { NULL }, 1 },
			{ "redis_memory_used_bytes", { NULL }, 1276176 },
			{ "redis_memory_used_rss_bytes", { NULL }, 12898304 },
			{ "redis_memory_max_bytes", { NULL }, 0 },
			{ "redis_mem_fragmentation_ratio", { NULL }, 10.43 },
			{ "redis_rdb_last_bgsave_status", { NULL }, 1 },
			{ "redis_rdb_last_bgsave_duration_sec", { NULL }, -1 },
			{ "redis_aof_last_write_status", { NULL }, 1 },
			{ "redis_net_input_bytes_total", { NULL }, 40402 },
			{ "redis_latest_fork_seconds", { NULL }, 0 },
			{ "redis_cpu_user_seconds_total", { NULL }, 0.008942 },
			{ "redis_repl_backlog_is_active", { NULL }, 0 },
			{ "redis_connected_slaves", { NULL }, 0 },
			{ NULL, { NULL }, 0 },
		},
		{ "redis_memory_utilization_ratio", "redis_master_link_up", "redis_slave_info",
		  "redis_connected_slave_lag_seconds", "redis_aof_current_size_bytes",
		  "redis_commands_latency_seconds" },
	},
	{
		"info-6.2.txt", 0, "slave", "6.2.14", "c0ffee00d15ea5e0b1e55ed0ba5eba11f00dcafe",
		604800, 0, 1, { 0 }, 150,
		{
			{ "redis_master_link_up", { "master_host", "10.0.0.11", "master_port", "6379" }, 1 },
			{ "redis_master_last_io_seconds_ago",
			  { "master_host", "10.0.0.11", "master_port", "6379" }, 1 },
			{ "redis_master_sync_in_progress",
			  { "master_host", "10.0.0.11", "master_port", "6379" }, 0 },
			{ "redis_slave_repl_offset", { "master_host", "10.0.0.11", "master_port", "6379" },
			  7340032123.0 },
			{ "redis_slave_info",
			  { "master_host", "10.0.0.11", "master_port", "6379", "read_only", "1" }, 1 },
			{ "redis_errors_total", { "err", "READONLY" }, 35 },
			{ "redis_errors_total", { "err", "ERR" }, 2 },
			{ "redis_commands_rejected_calls_total", { "cmd", "set" }, 35 },
			{ "redis_commands_failed_calls_total", { "cmd", "eval" }, 2 },
			{ "redis_commands_total", { "cmd", "json.get" }, 7000 },
			{ "redis_commands_duration_seconds_total", { "cmd", "info" }, 4.032 },
			{ "redis_total_error_replies", { NULL }, 37 },
			{ "redis_start_time_seconds", { NULL }, 1716543210.0 - 604800 },
			{ "redis_expire_cycle_cpu_time_ms_total", { NULL }, 1234 },
			{ "redis_latest_fork_seconds", { NULL }, 0.002345 },
			{ "redis_forks_total", { NULL }, 168 },
			{ "redis_lazyfreed_objects", { NULL }, 42 },
			{ "redis_tracking_clients", { NULL }, 2 },
			{ "redis_cpu_sys_main_thread_seconds_total", { NULL }, 301.000001 },
			{ "redis_db_avg_ttl_seconds", { "db", "db0" }, 43200 },
			{ "redis_master_repl_offset", { NULL }, 7340032123.0 },
			{ "redis_replication_backlog_bytes", { NULL }, 1048576 },
			{ "redis_instance_info",
			  { "role", "slave", "redis_version", "6.2.14", "redis_build_id", "4f5b07d2e6a1c8b9",
			    "redis_mode", "standalone", "os", "Linux 5.15.0-107-generic x86_64",
			    "maxmemory_policy", "noeviction", "tcp_port", "6380", "run_id",
			    "c0ffee00d15ea5e0b1e55ed0ba5eba11f00dcafe", "process_id", "1187",
			    "master_replid", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678" }, 1 },
			{ NULL, { NULL }, 0 },
		},
		{ "redis_latency_percentiles_usec", "redis_memory_utilization_ratio",
		  "redis_connected_slave_lag_seconds", "redis_master_link_down_since_seconds" },
	},
	{
		"info-5.0.txt", 1716543210.75, "master", "5.0.14",
		"9d5c1f0b8e2a7c43d0f6a1b2c3d4e5f60718293a", 2419200, 1073741824, 3, { 0, 1, 5 }, 120,
		{
			{ "redis_commands_total", { "cmd", "get" }, 5123456789.0 },
			{ "redis_commands_duration_seconds_total", { "cmd", "get" }, 9876.54321 },
			{ "redis_memory_utilization_ratio", { NULL }, 0.75 },
			{ "redis_memory_max_bytes", { NULL }, 1073741824 },
			{ "redis_rdb_last_bgsave_status", { NULL }, 0 },
			{ "redis_aof_enabled", { NULL }, 1 },
			{ "redis_aof_current_size_bytes", { NULL }, 1392508928 },
			{ "redis_aof_delayed_fsync", { NULL }, 7 },
			{ "redis_config_maxmemory", { NULL }, 1073741824 },
			{ "redis_connected_slave_lag_seconds",
			  { "slave_ip", "10.0.0.12", "slave_port", "6379", "slave_state", "online" }, 0 },
			{ "redis_connected_slave_offset_bytes",
			  { "slave_ip", "10.0.0.12", "slave_port", "6379", "slave_state", "online" },
			  392847561 },
			{ "redis_connected_slave_offset_bytes",
			  { "slave_ip", "10.0.0.13", "slave_port", "6380", "slave_state", "wait_bgsave" }, 0 },
			{ "redis_connected_slaves", { NULL }, 2 },
			{ "redis_rejected_connections_total", { NULL }, 12 },
			{ "redis_evicted_keys_total", { NULL }, 81234 },
			{ "redis_keyspace_hits_total", { NULL }, 7654321098.0 },
			{ "redis_commands_processed_total", { NULL }, 9876543210.0 },
			{ "redis_blocked_clients", { NULL }, 3 },
			{ "redis_db_keys", { "db", "db5" }, 88123 },
			{ "redis_db_avg_ttl_seconds", { "db", "db0" }, 86123.456 },
			/* no server_time_usec before 6.2: from now */
			{ "redis_start_time_seconds", { NULL }, 1716543210.0 - 2419200 },
			{ "redis_cpu_user_children_seconds_total", { NULL }, 2210.918 },
			{ NULL, { NULL }, 0 },
		},
		{ "redis_commands_rejected_calls_total", "redis_commands_failed_calls_total",
		  "redis_errors_total", "redis_latency_percentiles_usec", "redis_master_link_up",
		  "redis_slave_info", "redis_max_clients", "redis_cpu_sys_main_thread_seconds_total",
		  "redis_config_maxclients" },
	},
};

static void test_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(fixture_cases); i++) {
		const struct fixture_case *fc = &fixture_cases[i];
		print_message("# %s\n", fc->file);
		struct buf text;
		fixture(fc->file, &text);
		struct batch *b = batch_new();
		struct redis_info_summary sum;
		char err[128] = "";
		assert_int_equal(redis_info_emit(text.data, text.len, TARGET, fc->now, 0, b, &sum, err,
						 sizeof(err)), 0);
		assert_int_equal(sum.bad_values, 0);
		assert_int_equal(sum.bad_lines, 0);
		assert_int_equal(sum.cut_labels, 0);
		assert_string_equal(sum.role, fc->role);
		assert_string_equal(sum.redis_version, fc->version);
		assert_string_equal(sum.run_id, fc->run_id);
		assert_double_equal(sum.uptime, fc->uptime);
		assert_double_equal(sum.maxmemory, fc->maxmemory);
		assert_true(sum.fields > 100);
		assert_int_equal(sum.ndbs, fc->ndbs);
		for (unsigned k = 0; k < fc->ndbs; k++)
			assert_int_equal(sum.dbs[k], fc->dbs[k]);
		if (b->nsamples < fc->min_samples)
			fail_msg("%s: %zu samples", fc->file, b->nsamples);

		for (const struct expect *e = fc->values; e->name; e++) {
			double v = NAN;
			int n = find(b, e->name, e->labels, &v);
			if (n != 1)
				fail_msg("%s: %d samples of %s{%s=%s}", fc->file, n, e->name,
					 e->labels[0] ? e->labels[0] : "", e->labels[1] ? e->labels[1] : "");
			if (fabs(v - e->value) > 1e-12 * fmax(1.0, fabs(e->value)))
				fail_msg("%s: %s{%s=%s} is %.17g, not %.17g", fc->file, e->name,
					 e->labels[0] ? e->labels[0] : "", e->labels[1] ? e->labels[1] : "",
					 v, e->value);
		}
		for (size_t k = 0; k < ARRAY_LEN(fc->absent) && fc->absent[k]; k++)
			if (has_family(b, fc->absent[k]))
				fail_msg("%s: unexpected %s", fc->file, fc->absent[k]);

		check_names(b);
		check_promtool(b, fc->file);

		/* the same text, "\n" line ends: the same samples */
		struct buf lf = BUF_INIT(1 << 20);
		for (size_t k = 0; k < text.len; k++)
			if (text.data[k] != '\r')
				buf_putc(&lf, text.data[k]);
		struct batch *b2 = batch_new();
		struct redis_info_summary sum2;
		assert_int_equal(redis_info_emit(lf.data, lf.len, TARGET, fc->now, 0, b2, &sum2, NULL, 0),
				 0);
		assert_int_equal(b2->nsamples, b->nsamples);
		assert_int_equal(sum2.fields, sum.fields);
		assert_int_equal(sum2.bad_lines + sum2.bad_values, 0);
		for (size_t k = 0; k < b->nsamples; k++)
			assert_true(b2->samples[k].value == b->samples[k].value ||
				    (isnan(b2->samples[k].value) && isnan(b->samples[k].value)));

		redis_info_summary_release(&sum2);
		redis_info_summary_release(&sum);
		batch_free(b2);
		buf_release(&lf);
		batch_free(b);
		buf_release(&text);
	}
}

/* The 7.0 reply is left as it was, and a reused summary starts afresh. */
static void test_input_untouched(void **state)
{
	(void)state;
	struct buf text;
	fixture("info-7.0.txt", &text);
	char *before = xstrndup(text.data, text.len);
	struct batch *b = batch_new();
	struct redis_info_summary sum;
	memset(&sum, 0xab, sizeof(sum));
	assert_int_equal(redis_info_emit(text.data, text.len, TARGET, 0, 16, b, &sum, NULL, 0), 0);
	assert_memory_equal(text.data, before, text.len);
	size_t n = b->nsamples;
	assert_int_equal(sum.bad_lines, 0);
	redis_info_summary_release(&sum);
	batch_reset(b);
	assert_int_equal(redis_info_emit("x\r\n", 3, TARGET, 0, 16, b, &sum, NULL, 0), -1);
	assert_int_equal(sum.bad_lines, 1);
	assert_int_equal(sum.fields, 0);
	assert_string_equal(sum.role, "");
	assert_double_equal(sum.uptime, -1);
	assert_int_equal(b->nsamples, 0);
	assert_true(n > 0);
	free(before);
	batch_free(b);
	buf_release(&text);
}

/* ---- broken and unusual input (table-driven) --------------------------- */

#define TXT(s) s, sizeof(s) - 1

static const struct edge_case {
	const char *what;
	const char *text;
	size_t len;
	int rc;
	unsigned bad_values, bad_lines;
	long nsamples;          /* -1: not checked */
	const char *name;       /* a sample to look for, or NULL */
	const char *labels[28];
	double value;
	int absent;             /* name must have no sample at all */
} edge_cases[] = {
	{ "empty", TXT(""), -1, 0, 0, 0, NULL, { NULL }, 0, 0 },
	{ "only a line end", TXT("\r\n"), -1, 0, 0, 0, NULL, { NULL }, 0, 0 },
	{ "no colon", TXT("garbage\r\n"), -1, 0, 1, 0, NULL, { NULL }, 0, 0 },
	{ "one field", TXT("# Server\r\nuptime_in_seconds:12\r\n"), 0, 0, 0, 1,
	  "redis_uptime_in_seconds", { NULL }, 12, 0 },
	{ "\\n line ends", TXT("# Clients\nconnected_clients:5\nblocked_clients:2\n"), 0, 0, 0, 2,
	  "redis_blocked_clients", { NULL }, 2, 0 },
	{ "mixed line ends", TXT("# Clients\r\nconnected_clients:5\nblocked_clients:2\r\n"), 0, 0, 0,
	  2, "redis_connected_clients", { NULL }, 5, 0 },
	{ "a line with no colon among fields",
	  TXT("# Clients\r\nconnected_clients:5\r\nthis line has no colon\r\nmaxclients:9\r\n"), 0, 0,
	  1, 3, "redis_max_clients", { NULL }, 9, 0 },
	{ "empty key", TXT("# Clients\r\n:5\r\nconnected_clients:5\r\n"), 0, 0, 1, 1,
	  "redis_connected_clients", { NULL }, 5, 0 },
	{ "empty value", TXT("# Memory\r\nused_memory:\r\n"), -1, 1, 0, 0, "redis_memory_used_bytes",
	  { NULL }, 0, 1 },
	{ "word for a number", TXT("# Memory\r\nused_memory:lots\r\nused_memory_rss:7\r\n"), 0, 1, 0,
	  1, "redis_memory_used_bytes", { NULL }, 0, 1 },
	{ "trailing garbage", TXT("# Memory\r\nused_memory:12abc\r\n"), -1, 1, 0, 0,
	  "redis_memory_used_bytes", { NULL }, 0, 1 },
	{ "hexadecimal", TXT("# Memory\r\nused_memory:0x10\r\n"), -1, 1, 0, 0,
	  "redis_memory_used_bytes", { NULL }, 0, 1 },
	{ "nan", TXT("# Memory\r\nmem_fragmentation_ratio:nan\r\n"), -1, 1, 0, 0,
	  "redis_mem_fragmentation_ratio", { NULL }, 0, 1 },
	{ "inf", TXT("# Memory\r\nmem_fragmentation_ratio:inf\r\n"), -1, 1, 0, 0,
	  "redis_mem_fragmentation_ratio", { NULL }, 0, 1 },
	{ "leading space", TXT("# Memory\r\nused_memory: 5\r\n"), -1, 1, 0, 0,
	  "redis_memory_used_bytes", { NULL }, 0, 1 },
	{ "out of range", TXT("# Memory\r\nused_memory:1e999\r\n"), -1, 1, 0, 0,
	  "redis_memory_used_bytes", { NULL }, 0, 1 },
	{ "percent sign", TXT("# Memory\r\nused_memory:12%\r\n"), -1, 1, 0, 0,
	  "redis_memory_used_bytes", { NULL }, 0, 1 },
	{ "10^30", TXT("# Memory\r\nused_memory:1000000000000000000000000000000\r\n"), 0, 0, 0, 1,
	  "redis_memory_used_bytes", { NULL }, 1e30, 0 },
	{ "negative", TXT("# Persistence\r\nrdb_last_bgsave_time_sec:-1\r\n"), 0, 0, 0, 1,
	  "redis_rdb_last_bgsave_duration_sec", { NULL }, -1, 0 },
	{ "status ok", TXT("# Persistence\r\nrdb_last_bgsave_status:ok\r\n"), 0, 0, 0, 1,
	  "redis_rdb_last_bgsave_status", { NULL }, 1, 0 },
	{ "status err", TXT("# Persistence\r\naof_last_write_status:err\r\n"), 0, 0, 0, 1,
	  "redis_aof_last_write_status", { NULL }, 0, 0 },
	{ "status fail", TXT("# Persistence\r\naof_last_bgrewrite_status:fail\r\n"), 0, 0, 0, 1,
	  "redis_aof_last_bgrewrite_status", { NULL }, 0, 0 },
	{ "status word unknown", TXT("# Persistence\r\nrdb_last_bgsave_status:maybe\r\n"), -1, 1, 0,
	  0, "redis_rdb_last_bgsave_status", { NULL }, 0, 1 },
	{ "NUL in a key", TXT("# Clients\r\nconnected_clients:5\r\nblocked_\0clients:3\r\nmaxclients:9\r\n"),
	  0, 0, 1, 3, "redis_blocked_clients", { NULL }, 0, 1 },
	{ "NUL in a value", TXT("# Clients\r\nconnected_clients:5\0 7\r\nmaxclients:9\r\n"), 0, 0, 1,
	  2, "redis_connected_clients", { NULL }, 0, 1 },
	{ "NUL in a header", TXT("# Cli\0ents\r\nconnected_clients:5\r\n"), -1, 0, 1, 0,
	  "redis_connected_clients", { NULL }, 0, 1 },
	{ "last line cut", TXT("# Clients\r\nconnected_clients:5\r\nblocked_clients:3"), 0, 0, 1, 1,
	  "redis_blocked_clients", { NULL }, 0, 1 },
	{ "last line cut after its \\r", TXT("# Clients\r\nconnected_clients:5\r\nblocked_clients:3\r"),
	  0, 0, 1, 1, "redis_blocked_clients", { NULL }, 0, 1 },
	{ "commandstats line cut", TXT("# Commandstats\r\ncmdstat_get:calls=4\r\ncmdstat_set:calls=10,us"),
	  0, 0, 1, 1, "redis_commands_total", { "cmd", "get" }, 4, 0 },
	{ "empty sections", TXT("# Server\r\n\r\n# Clients\r\n\r\n# Keyspace\r\n"), -1, 0, 0, 0, NULL,
	  { NULL }, 0, 0 },
	{ "unknown section and key",
	  TXT("# Future\r\nconnected_clients:5\r\nwhatever:1\r\n# Clients\r\nfuture_key:1\r\n"
	      "connected_clients:6\r\n"), 0, 0, 0, 1, "redis_connected_clients", { NULL }, 6, 0 },
	{ "key of another section", TXT("# Memory\r\nconnected_clients:5\r\n"), -1, 0, 0, 0,
	  "redis_connected_clients", { NULL }, 0, 1 },
	{ "field before any header", TXT("connected_clients:5\r\n"), -1, 0, 0, 0,
	  "redis_connected_clients", { NULL }, 0, 1 },
	{ "header without a space", TXT("#Clients\r\nconnected_clients:5\r\n"), 0, 0, 0, 1,
	  "redis_connected_clients", { NULL }, 5, 0 },
	{ "header in lower case, trailing blanks", TXT("# clients  \r\nconnected_clients:5\r\n"), 0, 0,
	  0, 1, "redis_connected_clients", { NULL }, 5, 0 },
	{ "fields in an unusual order",
	  TXT("# Memory\r\nmaxmemory:100\r\nmaxmemory_policy:allkeys-lru\r\nused_memory:25\r\n"), 0, 0, 0,
	  5, "redis_memory_utilization_ratio", { NULL }, 0.25, 0 },
	{ "no maxmemory: no utilization", TXT("# Memory\r\nused_memory:25\r\nmaxmemory:0\r\n"), 0, 0, 0,
	  3, "redis_memory_utilization_ratio", { NULL }, 0, 1 },
	{ "a key twice", TXT("# Clients\r\nconnected_clients:5\r\nconnected_clients:6\r\n"), 0, 0, 0, 2,
	  NULL, { NULL }, 0, 0 },
	{ "cmdstat with bad pairs",
	  TXT("# Commandstats\r\ncmdstat_get:calls=x,usec=5,junk,usec_per_call=1.00,,future=1\r\n"), 0,
	  3, 0, 1, "redis_commands_duration_seconds_total", { "cmd", "get" }, 5e-6, 0 },
	{ "cmdstat without a command", TXT("# Commandstats\r\ncmdstat_:calls=1,usec=1\r\n"), -1, 0, 1, 0,
	  NULL, { NULL }, 0, 0 },
	{ "cmdstat with nothing after the colon", TXT("# Commandstats\r\ncmdstat_get:\r\n"), -1, 0, 0,
	  0, NULL, { NULL }, 0, 0 },
	{ "other keys in commandstats", TXT("# Commandstats\r\ncalls:1\r\nxcmdstat_get:calls=1\r\n"),
	  -1, 0, 0, 0, NULL, { NULL }, 0, 0 },
	{ "cmdstat outside commandstats", TXT("# Stats\r\ncmdstat_get:calls=1\r\n"), -1, 0, 0, 0,
	  "redis_commands_total", { "cmd", "get" }, 0, 1 },
	{ "module command", TXT("# Commandstats\r\ncmdstat_ft.search:calls=3,usec=9\r\n"), 0, 0, 0, 2,
	  "redis_commands_total", { "cmd", "ft.search" }, 3, 0 },
	{ "errorstat", TXT("# Errorstats\r\nerrorstat_NOAUTH:count=4\r\nerrorstat_ERR:count=-\r\n"), 0,
	  1, 0, 1, "redis_errors_total", { "err", "NOAUTH" }, 4, 0 },
	{ "latencystats with bad pairs",
	  TXT("# Commandstats\r\ncmdstat_get:calls=3,usec=9\r\n# Latencystats\r\n"
	      "latency_percentiles_usec_get:p50=1.003,q99=4,p101=3,p99.9=x,p99=2.5\r\n"),
	  0, 3, 0, 6, "redis_latency_percentiles_usec", { "cmd", "get", "quantile", "99" }, 2.5, 0 },
	{ "latencystats custom percentile",
	  TXT("# Commandstats\r\ncmdstat_get:calls=3,usec=9\r\n# Latencystats\r\n"
	      "latency_percentiles_usec_get:p99.99=7,p100=9\r\n"), 0, 0, 0, 6,
	  "redis_latency_percentiles_usec", { "cmd", "get", "quantile", "99.99" }, 7, 0 },
	{ "latencystats: the summary's count is commandstats' calls",
	  TXT("# Commandstats\r\ncmdstat_get:calls=3,usec=9\r\n# Latencystats\r\n"
	      "latency_percentiles_usec_get:p50=1\r\n"), 0, 0, 0, 5,
	  "redis_latency_percentiles_usec_count", { "cmd", "get" }, 3, 0 },
	{ "latencystats: the summary's sum is commandstats' usec",
	  TXT("# Commandstats\r\ncmdstat_get:calls=3,usec=9\r\n# Latencystats\r\n"
	      "latency_percentiles_usec_get:p50=1\r\n"), 0, 0, 0, 5,
	  "redis_latency_percentiles_usec_sum", { "cmd", "get" }, 9, 0 },
	{ "latencystats of a command commandstats lacks: no summary",
	  TXT("# Commandstats\r\ncmdstat_get:calls=3,usec=9\r\n# Latencystats\r\n"
	      "latency_percentiles_usec_set:p50=1\r\n"), 0, 0, 0, 2,
	  "redis_latency_percentiles_usec", { NULL }, 0, 1 },
	{ "latencystats without commandstats: no summary",
	  TXT("# Latencystats\r\nlatency_percentiles_usec_get:p50=1,p99=2\r\n"), 0, 0, 0, 0,
	  "redis_latency_percentiles_usec", { NULL }, 0, 1 },
	{ "process_id is a gauge and a label",
	  TXT("# Server\r\nredis_version:7.0.15\r\nprocess_id:77\r\ntcp_port:6379\r\n"), 0, 0, 0, 2,
	  "redis_instance_info", { "role", "", "redis_version", "7.0.15", "redis_build_id", "",
	  "redis_mode", "", "os", "", "maxmemory_policy", "", "tcp_port", "6379", "run_id", "",
	  "process_id", "77", "master_replid", "" }, 1, 0 },
	{ "Valkey's labels",
	  TXT("# Server\r\nredis_version:7.2.4\r\nvalkey_version:8.1.0\r\n"
	      "valkey_release_stage:ga\r\n"), 0, 0, 0, 1,
	  "redis_instance_info", { "role", "", "redis_version", "7.2.4", "redis_build_id", "",
	  "redis_mode", "", "os", "", "maxmemory_policy", "", "tcp_port", "", "run_id", "",
	  "process_id", "", "master_replid", "", "valkey_version", "8.1.0",
	  "valkey_release_stage", "ga" }, 1, 0 },
	{ "settings INFO tells",
	  TXT("# Clients\r\nmaxclients:7\r\n# Memory\r\nmaxmemory:100\r\n"
	      "# Replication\r\nrepl_backlog_size:1024\r\n"), 0, 0, 0, 6,
	  "redis_config_repl_backlog_size", { NULL }, 1024, 0 },
	{ "keyspace", TXT("# Keyspace\r\ndb0:keys=5,expires=1,avg_ttl=1500,subexpiry=0\r\n"), 0, 0, 0, 3,
	  "redis_db_avg_ttl_seconds", { "db", "db0" }, 1.5, 0 },
	{ "keyspace bad value", TXT("# Keyspace\r\ndb12:keys=abc,expires=2\r\n"), 0, 1, 0, 1,
	  "redis_db_keys_expiring", { "db", "db12" }, 2, 0 },
	{ "keyspace keys that are no database",
	  TXT("# Keyspace\r\ndbx:keys=1\r\ndb:keys=1\r\ndb0_distrib_strings_sizes:2=1\r\n"), -1, 0, 0,
	  0, NULL, { NULL }, 0, 0 },
	{ "replica line", TXT("# Replication\r\nslave0:ip=::1,port=6380,state=online,offset=10,lag=2\r\n"),
	  0, 0, 0, 2, "redis_connected_slave_lag_seconds",
	  { "slave_ip", "::1", "slave_port", "6380", "slave_state", "online" }, 2, 0 },
	{ "replica line with a bad offset",
	  TXT("# Replication\r\nslave0:ip=10.0.0.2,port=6379,state=online,offset=abc,lag=0,junk\r\n"), 0,
	  2, 0, 1, "redis_connected_slave_offset_bytes",
	  { "slave_ip", "10.0.0.2", "slave_port", "6379", "slave_state", "online" }, 0, 1 },
	{ "replica whose link is down",
	  TXT("# Replication\r\nrole:slave\r\nmaster_host:fe80::1\r\nmaster_port:6379\r\n"
	      "master_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\n"
	      "master_link_down_since_seconds:42\r\n"),
	  0, 0, 0, 5, "redis_master_link_up", { "master_host", "fe80::1", "master_port", "6379" }, 0, 0 },
	{ "master link status unknown",
	  TXT("# Replication\r\nmaster_host:h\r\nmaster_port:1\r\nmaster_link_status:sideways\r\n"), 0, 1,
	  0, 1, "redis_master_link_up", { "master_host", "h", "master_port", "1" }, 0, 1 },
};

static void test_edges(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(edge_cases); i++) {
		const struct edge_case *ec = &edge_cases[i];
		print_message("# case %zu: %s\n", i, ec->what);
		/* an exact-size copy, so that ASan sees any read past len */
		char *text = xmalloc(ec->len ? ec->len : 1);
		memcpy(text, ec->text, ec->len);
		struct batch *b = batch_new();
		struct redis_info_summary sum;
		char err[128] = "";
		int rc = redis_info_emit(text, ec->len, TARGET, 0, 0, b, &sum, err, sizeof(err));
		if (rc != ec->rc || sum.bad_values != ec->bad_values || sum.bad_lines != ec->bad_lines)
			fail_msg("%s: rc %d bad_values %u bad_lines %u", ec->what, rc, sum.bad_values,
				 sum.bad_lines);
		if (rc < 0)
			assert_non_null(strstr(err, "no INFO field"));
		if (ec->nsamples >= 0 && b->nsamples != (size_t)ec->nsamples)
			fail_msg("%s: %zu samples", ec->what, b->nsamples);
		if (ec->name && ec->absent) {
			if (has_family(b, ec->name))
				fail_msg("%s: unexpected %s", ec->what, ec->name);
		} else if (ec->name) {
			double v = NAN;
			if (find(b, ec->name, ec->labels, &v) != 1)
				fail_msg("%s: no single %s", ec->what, ec->name);
			if (fabs(v - ec->value) > 1e-12 * fmax(1.0, fabs(ec->value)))
				fail_msg("%s: %s is %.17g, not %.17g", ec->what, ec->name, v, ec->value);
		}
		check_names(b);
		redis_info_summary_release(&sum);
		batch_free(b);
		free(text);
	}
}

/* 100 KB lines: a value, a command name, a line without a colon, and a
 * label cut at a UTF-8 boundary. */
static void test_huge_lines(void **state)
{
	(void)state;
	const size_t big = 100 * 1024;
	struct buf t = BUF_INIT(1 << 20);
	buf_puts(&t, "# Memory\r\nused_memory:");
	for (size_t i = 0; i < big; i++)
		buf_putc(&t, (char)('1' + i % 9));
	buf_puts(&t, "\r\nused_memory_rss:77\r\n# Commandstats\r\ncmdstat_");
	for (size_t i = 0; i < big; i++)
		buf_putc(&t, 'a');
	buf_puts(&t, ":calls=7,usec=1\r\n");
	for (size_t i = 0; i < big; i++)
		buf_putc(&t, 'z');
	buf_puts(&t, "\r\ncmdstat_");
	for (size_t i = 0; i < REDIS_INFO_LABEL_MAX - 1; i++)
		buf_putc(&t, 'b');
	buf_puts(&t, "\xc3\xa9:calls=3\r\n# Replication\r\nmaster_host:");
	for (size_t i = 0; i < big; i++)
		buf_putc(&t, 'h');
	buf_puts(&t, "\r\nmaster_port:6379\r\nmaster_link_status:up\r\n");
	assert_false(t.overflow);

	struct batch *b = batch_new();
	struct redis_info_summary sum;
	assert_int_equal(redis_info_emit(t.data, t.len, TARGET, 0, 0, b, &sum, NULL, 0), 0);
	assert_int_equal(sum.bad_values, 1);     /* the 100 KB number */
	assert_int_equal(sum.bad_lines, 1);      /* the 100 KB line without a colon */
	assert_int_equal(sum.cut_labels, 3);     /* the command, the é one, the master host */
	assert_false(has_family(b, "redis_memory_used_bytes"));

	char cmd[REDIS_INFO_LABEL_MAX + 1], host[REDIS_INFO_LABEL_MAX + 1];
	memset(cmd, 'a', REDIS_INFO_LABEL_MAX);
	cmd[REDIS_INFO_LABEL_MAX] = '\0';
	memset(host, 'h', REDIS_INFO_LABEL_MAX);
	host[REDIS_INFO_LABEL_MAX] = '\0';
	double v = 0;
	const char *l1[] = { "cmd", cmd, NULL };
	assert_int_equal(find(b, "redis_commands_total", l1, &v), 1);
	assert_double_equal(v, 7);
	cmd[REDIS_INFO_LABEL_MAX - 1] = '\0'; /* 127 'b': the 2-byte é did not fit */
	memset(cmd, 'b', REDIS_INFO_LABEL_MAX - 1);
	const char *l2[] = { "cmd", cmd, NULL };
	assert_int_equal(find(b, "redis_commands_total", l2, &v), 1);
	assert_double_equal(v, 3);
	const char *l3[] = { "master_host", host, "master_port", "6379", NULL };
	assert_int_equal(find(b, "redis_master_link_up", l3, &v), 1);
	assert_double_equal(v, 1);
	check_names(b);
	redis_info_summary_release(&sum);
	batch_free(b);
	buf_release(&t);
}

/* The database numbers of Keyspace for the collector: valid ones only,
 * at most REDIS_INFO_MAX_DBS of them; every line still gives samples. */
static void test_keyspace_dbs(void **state)
{
	(void)state;
	struct buf t = BUF_INIT(1 << 20);
	buf_puts(&t, "# Keyspace\r\ndb99999999999999999999:keys=1\r\ndbx:keys=1\r\n");
	for (int i = 0; i < REDIS_INFO_MAX_DBS + 6; i++)
		buf_printf(&t, "db%d:keys=%d,expires=0,avg_ttl=0\r\n", i * 2, i + 1);
	struct batch *b = batch_new();
	struct redis_info_summary sum;
	assert_int_equal(redis_info_emit(t.data, t.len, TARGET, 0, 0, b, &sum, NULL, 0), 0);
	assert_int_equal(sum.ndbs, REDIS_INFO_MAX_DBS);
	for (int i = 0; i < REDIS_INFO_MAX_DBS; i++)
		assert_int_equal(sum.dbs[i], i * 2);
	assert_int_equal(b->nsamples, 1 + 3 * (REDIS_INFO_MAX_DBS + 6));
	assert_int_equal(sum.bad_values + sum.bad_lines, 0);
	double v = 0;
	const char *l[] = { "db", "db138", NULL };
	assert_int_equal(find(b, "redis_db_keys", l, &v), 1);
	assert_double_equal(v, 70);
	redis_info_summary_release(&sum);
	batch_free(b);
	buf_release(&t);
}

/* The databases Keyspace does not list get 0 keys and 0 expiring keys,
 * up to the number of databases (1 on a cluster node), as redis_exporter's
 * default (include-metrics-for-empty-databases) has it; no avg_ttl. */
static void test_empty_databases(void **state)
{
	(void)state;
	struct buf text;
	fixture("info-7.0.txt", &text);  /* db0 and db3 */
	struct batch *b = batch_new();
	struct redis_info_summary sum;
	assert_int_equal(redis_info_emit(text.data, text.len, TARGET, 0, 16, b, &sum, NULL, 0), 0);
	double v = -1;
	for (int n = 0; n < 16; n++) {
		char db[8];
		snprintf(db, sizeof(db), "db%d", n);
		const char *l[] = { "db", db, NULL };
		assert_int_equal(find(b, "redis_db_keys", l, &v), 1);
		assert_int_equal(find(b, "redis_db_keys_expiring", l, &v), 1);
		assert_int_equal(find(b, "redis_db_avg_ttl_seconds", l, &v), n == 0 || n == 3);
	}
	const char *l1[] = { "db", "db1", NULL }, *l3[] = { "db", "db3", NULL };
	const char *l16[] = { "db", "db16", NULL };
	assert_int_equal(find(b, "redis_db_keys", l1, &v), 1);
	assert_double_equal(v, 0);
	assert_int_equal(find(b, "redis_db_keys", l3, &v), 1);
	assert_double_equal(v, 2);
	assert_int_equal(find(b, "redis_db_keys", l16, &v), 0);
	check_names(b);
	check_promtool(b, "info-7.0.txt with 16 databases");
	redis_info_summary_release(&sum);

	/* a cluster node: db0 only */
	batch_reset(b);
	static const char cluster[] = "# Cluster\r\ncluster_enabled:1\r\n# Keyspace\r\n";
	assert_int_equal(redis_info_emit(cluster, sizeof(cluster) - 1, TARGET, 0, 16, b, &sum, NULL,
					 0), 0);
	const char *l0[] = { "db", "db0", NULL };
	assert_int_equal(find(b, "redis_db_keys", l0, &v), 1);
	assert_int_equal(find(b, "redis_db_keys", l1, &v), 0);
	redis_info_summary_release(&sum);

	/* a huge number of databases: at most REDIS_INFO_ZERO_DBS_MAX */
	batch_reset(b);
	static const char keyspace[] = "# Keyspace\r\ndb5:keys=1,expires=0,avg_ttl=0\r\n";
	assert_int_equal(redis_info_emit(keyspace, sizeof(keyspace) - 1, TARGET, 0, 1000000, b, &sum,
					 NULL, 0), 0);
	assert_int_equal(b->nsamples, 3 + 2 * (REDIS_INFO_ZERO_DBS_MAX - 1));
	redis_info_summary_release(&sum);
	batch_free(b);
	buf_release(&text);
}

/* The summary keeps commandstats' calls and usec, in name order, for the
 * latency histogram's sums. */
static void test_cmdstats(void **state)
{
	(void)state;
	struct buf text;
	fixture("info-7.0.txt", &text);
	struct batch *b = batch_new();
	struct redis_info_summary sum;
	assert_int_equal(redis_info_emit(text.data, text.len, TARGET, 0, 0, b, &sum, NULL, 0), 0);
	assert_true(sum.ncmdstats > 10);
	for (size_t i = 1; i < sum.ncmdstats; i++)
		assert_true(strcmp(sum.cmdstats[i - 1].cmd, sum.cmdstats[i].cmd) < 0);
	const struct redis_cmdstat *set = redis_info_cmdstat(&sum, "set");
	assert_non_null(set);
	assert_double_equal(set->calls, 1000);
	assert_double_equal(set->usec, 490);
	const struct redis_cmdstat *docs = redis_info_cmdstat(&sum, "command|docs");
	assert_non_null(docs);
	assert_double_equal(docs->usec, 706);
	assert_null(redis_info_cmdstat(&sum, "command"));
	assert_null(redis_info_cmdstat(&sum, "zzz"));
	redis_info_summary_release(&sum);
	assert_int_equal(sum.ncmdstats, 0);
	assert_null(redis_info_cmdstat(&sum, "set"));

	/* a line without calls or usec is not kept */
	batch_reset(b);
	static const char t[] = "# Commandstats\r\ncmdstat_a:calls=1\r\ncmdstat_b:usec=1\r\n"
				"cmdstat_c:calls=1,usec=2\r\n";
	assert_int_equal(redis_info_emit(t, sizeof(t) - 1, TARGET, 0, 0, b, &sum, NULL, 0), 0);
	assert_int_equal(sum.ncmdstats, 1);
	assert_string_equal(sum.cmdstats[0].cmd, "c");
	redis_info_summary_release(&sum);
	batch_free(b);
	buf_release(&text);
}

/* latencystats' percentile names as redis_exporter's quantile labels:
 * the number as Go writes it. */
static void test_quantiles(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "50", "50" }, { "99", "99" }, { "99.9", "99.9" }, { "99.99", "99.99" },
		{ "100", "100" }, { "100.00", "100" }, { "0", "0" }, { "0.0", "0" }, { "5", "5" },
		{ "0.5", "0.5" }, { "050", "50" }, { "75.50", "75.5" }, { "10", "10" },
		{ "99.900000", "99.9" }, { "0.0001", "0.0001" }, { "000.25", "0.25" },
		{ "", NULL }, { "101", NULL }, { "100.5", NULL }, { "1000", NULL }, { "9x", NULL },
		{ ".5", NULL }, { "5.", NULL }, { "-5", NULL }, { "1e2", NULL }, { "5.5.5", NULL },
		{ "0.00001", NULL }, { "12.34567890123456", NULL },
	};
	(void)state;
	char out[32];
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int rc = redis_info_quantile(cases[i].in, out, sizeof(out));
		if (!cases[i].out) {
			if (rc != -1)
				fail_msg("'%s' gave '%s'", cases[i].in, out);
			continue;
		}
		if (rc != 0 || strcmp(out, cases[i].out) != 0)
			fail_msg("'%s' gave rc %d '%s', not '%s'", cases[i].in, rc, rc ? "" : out,
				 cases[i].out);
	}
	assert_int_equal(redis_info_quantile("99.9", out, 4), -1); /* "99.9" needs 5 bytes */
	assert_int_equal(redis_info_quantile("99.9", out, 5), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_input_untouched),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_huge_lines),
		cmocka_unit_test(test_keyspace_dbs),
		cmocka_unit_test(test_empty_databases),
		cmocka_unit_test(test_cmdstats),
		cmocka_unit_test(test_quantiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
