/*
 * process.c -- the agent's own process_* metrics (see process.h).  Called
 * by HTTP threads on each scrape; each call reads /proc/self afresh and
 * keeps no state.
 */
#include "autoconfig.h"
#include "process.h"
#include "buf.h"
#include "metrics.h"
#include "strutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "banned.h"

int process_parse_stat(const char *text, double *cpu_ticks, double *vsize, double *rss_pages,
		       double *start_ticks)
{
	/* the command name is in parentheses and may hold spaces: start after
	 * the last ')' */
	const char *p = strrchr(text, ')');
	if (!p)
		return -1;
	char copy[1024];
	size_t n = strnlen(p + 1, sizeof(copy) - 1);
	memcpy(copy, p + 1, n);
	copy[n] = '\0';
	char *f[32];
	/* f[0] is field 3 (state) of proc(5) */
	if (split_fields(copy, f, 32) < 22)
		return -1;
	uint64_t utime, stime, start, vs, rss;
	if (parse_uint64(f[11], &utime) < 0 || parse_uint64(f[12], &stime) < 0 ||
	    parse_uint64(f[19], &start) < 0 || parse_uint64(f[20], &vs) < 0 ||
	    parse_uint64(f[21], &rss) < 0)
		return -1;
	*cpu_ticks = (double)(utime + stime);
	*start_ticks = (double)start;
	*vsize = (double)vs;
	*rss_pages = (double)rss;
	return 0;
}

/* Boot time from /proc/stat, which on a large machine holds long
 * interrupt lines: read line by line, without a cap. */
static double boot_time(void)
{
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0;
	double bt = 0;
	while (getline(&line, &cap, f) > 0) {
		uint64_t v;
		if (strncmp(line, "btime ", 6) == 0 && parse_uint64(trim(line + 6), &v) == 0) {
			bt = (double)v;
			break;
		}
	}
	free(line);
	fclose(f);
	return bt;
}

double process_start_time(void)
{
	struct buf b = BUF_INIT(64 * 1024);
	double ticks, vsize, rss, start, t = 0;
	if (read_file("/proc/self/stat", &b) == 0 &&
	    process_parse_stat(b.data, &ticks, &vsize, &rss, &start) == 0)
		t = boot_time() + start / (double)sysconf(_SC_CLK_TCK);
	buf_release(&b);
	return t;
}

static double count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	double n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

int process_read(struct process_stats *st)
{
	struct buf b = BUF_INIT(64 * 1024);
	double ticks, vsize, rss, start;
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (read_file("/proc/self/stat", &b) == 0 &&
	    process_parse_stat(b.data, &ticks, &vsize, &rss, &start) == 0) {
		st->cpu_seconds = ticks / (double)hz;
		st->virtual_bytes = vsize;
		st->resident_bytes = rss * (double)page;
		rc = 0;
	}
	st->open_fds = count_fds();
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		st->max_fds = rl.rlim_cur == RLIM_INFINITY ? 0 : (double)rl.rlim_cur;
	buf_release(&b);
	return rc;
}

static const struct metric_desc m_cpu = {
	"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
	METRIC_COUNTER };
static const struct metric_desc m_rss = {
	"process_resident_memory_bytes", "Resident memory size in bytes.", METRIC_GAUGE };
static const struct metric_desc m_vsz = {
	"process_virtual_memory_bytes", "Virtual memory size in bytes.", METRIC_GAUGE };
static const struct metric_desc m_start = {
	"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
	METRIC_GAUGE };
static const struct metric_desc m_fds = {
	"process_open_fds", "Number of open file descriptors.", METRIC_GAUGE };
static const struct metric_desc m_max_fds = {
	"process_max_fds", "Maximum number of open file descriptors.", METRIC_GAUGE };

void process_add_metrics(struct batch *b, const struct process_stats *st)
{
	batch_add(b, &m_cpu, st->cpu_seconds, NULL);
	batch_add(b, &m_rss, st->resident_bytes, NULL);
	batch_add(b, &m_vsz, st->virtual_bytes, NULL);
	batch_add(b, &m_start, st->start_time, NULL);
	batch_add(b, &m_fds, st->open_fds, NULL);
	batch_add(b, &m_max_fds, st->max_fds, NULL);
}
