/*
 * host_metrics.h -- turns parsed /proc data into node_exporter's families
 * (internal to the host collector; see host.c).
 *
 * Every function adds samples to e->batch.  Counter values go through
 * e->counters first (key: family and labels), so that they never go
 * backwards across 32-bit wraps, jitter and device or CPU restarts.  Pure
 * apart from the batch and the counter map: no I/O, no logging.
 */
#ifndef DBPULSE_HOST_METRICS_H
#define DBPULSE_HOST_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/statvfs.h>

#include "counter.h"
#include "host_proc.h"

struct batch;
struct buf;
struct host_config;
struct metric_desc;

struct host_emit {
	struct batch *batch;
	struct counter_map *counters;     /* the instance's */
	struct buf *key;                  /* the instance's scratch for counter keys */
	const struct host_config *conf;
	long clk_tck;                     /* USER_HZ */
	struct counter_policy cpu_policy; /* jitter of 3 s of ticks */
	const char *source;               /* the source being run: its counter keys
					   * start with its name and '\x1e' */
};

/*
 * Adds one counter sample: raw goes through the counter map under the key
 * "source\x1ename\x1flabel=value..." and the monotonic result, times
 * mul / div, is the value.  A key too long for the key buffer drops the
 * sample.
 */
void host_counter(struct host_emit *e, const char *name, const char *help, uint64_t raw,
		  double mul, double div, const struct counter_policy *policy,
		  const char *const *labels, size_t nlabels);

/* node_scrape_collector_{duration_seconds,success}: also served by the
 * textfile collector, under the same HELP and TYPE. */
extern const struct metric_desc host_scrape_duration;
extern const struct metric_desc host_scrape_success;

/* node_cpu_seconds_total and node_cpu_guest_seconds_total {cpu,mode}. */
void host_emit_cpu(struct host_emit *e, const struct host_stat *s);
/* node_intr_total, node_boot_time_seconds, node_context_switches_total,
 * node_forks_total, node_procs_running, node_procs_blocked: those the file
 * had. */
void host_emit_stat(struct host_emit *e, const struct host_stat *s);
/* node_memory_<Field>[_bytes], in the naming conf->memory_names asks for. */
void host_emit_meminfo(struct host_emit *e, const struct host_meminfo *m);
void host_emit_loadavg(struct host_emit *e, const struct host_loadavg *l);
/* node_disk_* {device}, devices matching disk_device_exclude skipped. */
void host_emit_diskstats(struct host_emit *e, const struct host_disks *d);
/* node_network_{receive,transmit}_*_total {device}. */
void host_emit_netdev(struct host_emit *e, const struct host_netdevs *n);
/* node_pressure_<resource>_{waiting,stalled}_seconds_total; resource is
 * "cpu", "memory" or "io". */
void host_emit_pressure(struct host_emit *e, const char *resource, const struct host_pressure *p);
void host_emit_filenr(struct host_emit *e, const struct host_filenr *f);
/* node_uname_info from uname(2); -1 with err if that fails. */
int host_emit_uname(struct host_emit *e, char *err, size_t errlen);
/* node_filesystem_* {device,device_error,fstype,mountpoint} and
 * node_filesystem_mount_info of one mount; st NULL means it could not be
 * read: node_filesystem_device_error 1 and node_filesystem_readonly only,
 * with device_error (node_exporter's text of the error) as the label. */
void host_emit_filesystem(struct host_emit *e, const struct host_mount *m,
			  const struct statvfs *st, const char *device_error);
/* node_scrape_collector_{success,duration_seconds} {collector}. */
void host_emit_scrape(struct host_emit *e, const char *collector, int success, double seconds);

/* MemTotal -> mem_total, HugePages_Total -> huge_pages_total, DirectMap4k
 * -> direct_map4k: lower case, with '_' before an upper-case letter that
 * follows a lower-case one.  Returns 0, or -1 if out is too small. */
int host_snake_case(const char *in, char *out, size_t outlen);

/* The family name of a meminfo field (already cleaned by the parser):
 * node_memory_MemTotal_bytes, or with snake set node_memory_mem_total_bytes.
 * snake_case names are made to pass `promtool check metrics`: a unit-less
 * gauge may not end in _total (HugePages_Total -> node_memory_huge_pages)
 * and no word may read as an abbreviated unit (SecPageTables ->
 * node_memory_secondary_page_tables_bytes).  Returns 0, or -1 if out is
 * too small. */
int host_memory_metric_name(const char *field, int kb, int snake, char *out, size_t outlen);

#endif
