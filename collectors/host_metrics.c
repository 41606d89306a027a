/*
 * host_metrics.c -- node_exporter's metric families from parsed /proc data
 * (see host_metrics.h).
 *
 * Called by the host collector on its worker thread, once per collection
 * and source, right after the source was parsed.  The names, labels and
 * help texts are node_exporter's (collector/{cpu,meminfo,loadavg,
 * filesystem,diskstats,netdev,pressure,filefd,stat,uname}_linux.go), so
 * that its dashboards and alert rules work unchanged.  Owns nothing: the
 * batch, the counter map and the key buffer belong to the caller.
 */
#include "autoconfig.h"
#include "host_metrics.h"
#include "buf.h"
#include "host.h"
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include "banned.h"

#define HOST_NAME_MAX_LEN 160

static const struct counter_policy host_policy_plain = { 0, 0 };
static const struct counter_policy host_policy_wrap32 = { 32, 0 };

void host_counter(struct host_emit *e, const char *name, const char *help, uint64_t raw,
			 double mul, double div, const struct counter_policy *policy,
			 const char *const *labels, size_t nlabels)
{
	buf_reset(e->key);
	buf_printf(e->key, "%s\x1e%s", e->source ? e->source : "", name);
	for (size_t i = 0; i < nlabels; i++)
		buf_printf(e->key, "\x1f%s=%s", labels[2 * i], labels[2 * i + 1]);
	if (e->key->overflow)
		return;
	uint64_t v = counter_map_update(e->counters, e->key->data, raw, policy);
	batch_addv(e->batch, name, help, METRIC_COUNTER, (double)v * mul / div, labels, nlabels);
}

/* ---- cpu and stat ----------------------------------------------------- */

static const struct metric_desc host_cpu_seconds = {
	"node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", METRIC_COUNTER,
};
static const struct metric_desc host_cpu_guest_seconds = {
	"node_cpu_guest_seconds_total", "Seconds the CPUs spent in guests (VMs) for each mode.",
	METRIC_COUNTER,
};

static const char *const host_cpu_modes[HOST_CPU_NMODES] = {
	"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
	"user", "nice", /* guest, guest_nice */
};

void host_emit_cpu(struct host_emit *e, const struct host_stat *s)
{
	for (size_t i = 0; i < s->ncpus; i++) {
		const struct host_cpu *cpu = &s->cpus[i];
		char id[16];
		snprintf(id, sizeof(id), "%u", cpu->id);
		for (unsigned m = 0; m < cpu->nmodes; m++) {
			const struct metric_desc *d =
				m >= HOST_CPU_GUEST ? &host_cpu_guest_seconds : &host_cpu_seconds;
			const char *labels[] = { "cpu", id, "mode", host_cpu_modes[m] };
			host_counter(e, d->name, d->help, cpu->ticks[m], 1.0, (double)e->clk_tck,
				     &e->cpu_policy, labels, 2);
		}
	}
}

static const struct host_stat_metric {
	unsigned bit;
	size_t offset;
	struct metric_desc desc;
} host_stat_metrics[] = {
	{ HOST_STAT_INTR, offsetof(struct host_stat, intr),
	  { "node_intr_total", "Total number of interrupts serviced.", METRIC_COUNTER } },
	{ HOST_STAT_BTIME, offsetof(struct host_stat, btime),
	  { "node_boot_time_seconds", "Node boot time, in unixtime.", METRIC_GAUGE } },
	{ HOST_STAT_CTXT, offsetof(struct host_stat, ctxt),
	  { "node_context_switches_total", "Total number of context switches.", METRIC_COUNTER } },
	{ HOST_STAT_PROCESSES, offsetof(struct host_stat, processes),
	  { "node_forks_total", "Total number of forks.", METRIC_COUNTER } },
	{ HOST_STAT_PROCS_RUNNING, offsetof(struct host_stat, procs_running),
	  { "node_procs_running", "Number of processes in runnable state.", METRIC_GAUGE } },
	{ HOST_STAT_PROCS_BLOCKED, offsetof(struct host_stat, procs_blocked),
	  { "node_procs_blocked", "Number of processes blocked waiting for I/O to complete.",
	    METRIC_GAUGE } },
};

void host_emit_stat(struct host_emit *e, const struct host_stat *s)
{
	for (size_t i = 0; i < sizeof(host_stat_metrics) / sizeof(host_stat_metrics[0]); i++) {
		const struct host_stat_metric *m = &host_stat_metrics[i];
		if (!(s->have & m->bit))
			continue;
		uint64_t v = *(const uint64_t *)((const char *)s + m->offset);
		if (m->desc.type == METRIC_COUNTER)
			host_counter(e, m->desc.name, m->desc.help, v, 1.0, 1.0, &host_policy_plain,
				     NULL, 0);
		else
			batch_add(e->batch, &m->desc, (double)v, NULL);
	}
}

/* ---- meminfo ---------------------------------------------------------- */

int host_snake_case(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	for (const char *p = in; *p; p++) {
		char c = *p;
		int upper = c >= 'A' && c <= 'Z';
		if (upper && p > in && p[-1] >= 'a' && p[-1] <= 'z') {
			if (n + 1 >= outlen)
				return -1;
			out[n++] = '_';
		}
		if (n + 1 >= outlen)
			return -1;
		out[n++] = (char)(upper ? c - 'A' + 'a' : c);
	}
	if (n >= outlen)
		return -1;
	out[n] = '\0';
	return 0;
}

/*
 * What promtool would still object to after host_snake_case(): a gauge
 * whose name ends in "_total" (HugePages_Total has no unit suffix) and a
 * word that reads as an abbreviated unit ("sec" of SecPageTables).  The
 * known fields get a readable name; a field added by a later kernel has the
 * offending underscore removed instead.
 */
static const char *const host_snake_renames[][2] = {
	{ "huge_pages_total", "huge_pages" },
	{ "sec_page_tables", "secondary_page_tables" },
};

static int host_is_unit_abbreviation(const char *word, size_t n)
{
	static const char *const abbr[] = { "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb",
					    "tb", "pb", "m", "h", "d" };
	for (size_t i = 0; i < sizeof(abbr) / sizeof(abbr[0]); i++)
		if (strlen(abbr[i]) == n && memcmp(abbr[i], word, n) == 0)
			return 1;
	return 0;
}

static void host_snake_lint(char *name, size_t namelen, int unitless)
{
	for (size_t i = 0; i < sizeof(host_snake_renames) / sizeof(host_snake_renames[0]); i++) {
		if (strcmp(name, host_snake_renames[i][0]) == 0) {
			snprintf(name, namelen, "%s", host_snake_renames[i][1]);
			return;
		}
	}
	char *word = name;
	for (;;) {
		size_t n = strcspn(word, "_");
		int last = word[n] == '\0';
		int bad = host_is_unit_abbreviation(word, n) ||
			  (last && unitless && strcmp(word, "total") == 0);
		if (bad && !last) {
			memmove(word + n, word + n + 1, strlen(word + n + 1) + 1); /* join the next */
			continue;
		}
		if (bad && word != name)
			memmove(word - 1, word, strlen(word) + 1); /* join the previous */
		if (last)
			return;
		word += n + 1;
	}
}

int host_memory_metric_name(const char *field, int kb, int snake, char *out, size_t outlen)
{
	char snaked[HOST_NAME_MAX_LEN];
	const char *base = field;
	if (snake) {
		if (host_snake_case(field, snaked, sizeof(snaked)) < 0)
			return -1;
		host_snake_lint(snaked, sizeof(snaked), !kb);
		base = snaked;
	}
	int n = snprintf(out, outlen, "node_memory_%s%s", base, kb ? "_bytes" : "");
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

void host_emit_meminfo(struct host_emit *e, const struct host_meminfo *m)
{
	int snake = e->conf->memory_names == HOST_MEMORY_NAMES_SNAKE_CASE;
	for (size_t i = 0; i < m->n; i++) {
		const struct host_meminfo_field *f = &m->fields[i];
		char name[HOST_NAME_MAX_LEN], help[HOST_NAME_MAX_LEN + 32];
		if (host_memory_metric_name(f->name, f->kb, snake, name, sizeof(name)) < 0)
			continue;
		snprintf(help, sizeof(help), "Memory information field %s.",
			 name + strlen("node_memory_"));
		double v = f->kb ? (double)f->value * 1024.0 : (double)f->value;
		batch_add_named(e->batch, name, help, METRIC_GAUGE, v, NULL);
	}
}

/* ---- loadavg, filefd -------------------------------------------------- */

static const struct metric_desc host_load1 = { "node_load1", "1m load average.", METRIC_GAUGE };
static const struct metric_desc host_load5 = { "node_load5", "5m load average.", METRIC_GAUGE };
static const struct metric_desc host_load15 = { "node_load15", "15m load average.", METRIC_GAUGE };

void host_emit_loadavg(struct host_emit *e, const struct host_loadavg *l)
{
	batch_add(e->batch, &host_load1, l->load1, NULL);
	batch_add(e->batch, &host_load5, l->load5, NULL);
	batch_add(e->batch, &host_load15, l->load15, NULL);
}

static const struct metric_desc host_filefd_allocated = {
	"node_filefd_allocated", "File descriptor statistics: allocated.", METRIC_GAUGE,
};
static const struct metric_desc host_filefd_maximum = {
	"node_filefd_maximum", "File descriptor statistics: maximum.", METRIC_GAUGE,
};

void host_emit_filenr(struct host_emit *e, const struct host_filenr *f)
{
	batch_add(e->batch, &host_filefd_allocated, (double)f->allocated, NULL);
	batch_add(e->batch, &host_filefd_maximum, (double)f->max, NULL);
}

/* ---- diskstats -------------------------------------------------------- */

static const struct host_disk_metric {
	const char *name;
	const char *help;
	double mul, div;      /* value = raw * mul / div */
	int wrap32;           /* an unsigned int in the kernel */
	int gauge;
} host_disk_metrics[HOST_DISK_NFIELDS] = {
	{ "node_disk_reads_completed_total", "The total number of reads completed successfully.",
	  1, 1, 0, 0 },
	{ "node_disk_reads_merged_total", "The total number of reads merged.", 1, 1, 0, 0 },
	{ "node_disk_read_bytes_total", "The total number of bytes read successfully.",
	  512, 1, 0, 0 },
	{ "node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.",
	  1, 1000, 1, 0 },
	{ "node_disk_writes_completed_total", "The total number of writes completed successfully.",
	  1, 1, 0, 0 },
	{ "node_disk_writes_merged_total", "The number of writes merged.", 1, 1, 0, 0 },
	{ "node_disk_written_bytes_total", "The total number of bytes written successfully.",
	  512, 1, 0, 0 },
	{ "node_disk_write_time_seconds_total",
	  "This is the total number of seconds spent by all writes.", 1, 1000, 1, 0 },
	{ "node_disk_io_now", "The number of I/Os currently in progress.", 1, 1, 0, 1 },
	{ "node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", 1, 1000, 1, 0 },
	{ "node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.",
	  1, 1000, 1, 0 },
	{ "node_disk_discards_completed_total",
	  "The total number of discards completed successfully.", 1, 1, 0, 0 },
	{ "node_disk_discards_merged_total", "The total number of discards merged.", 1, 1, 0, 0 },
	{ "node_disk_discarded_sectors_total",
	  "The total number of sectors discarded successfully.", 1, 1, 0, 0 },
	{ "node_disk_discard_time_seconds_total",
	  "This is the total number of seconds spent by all discards.", 1, 1000, 1, 0 },
	{ "node_disk_flush_requests_total",
	  "The total number of flush requests completed successfully", 1, 1, 0, 0 },
	{ "node_disk_flush_requests_time_seconds_total",
	  "This is the total number of seconds spent by all flush requests.", 1, 1000, 1, 0 },
};

void host_emit_diskstats(struct host_emit *e, const struct host_disks *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct host_disk *disk = &d->disks[i];
		if (conf_regex_match(&e->conf->disk_device_exclude, disk->name))
			continue;
		const char *labels[] = { "device", disk->name };
		for (unsigned f = 0; f < disk->nfields; f++) {
			const struct host_disk_metric *m = &host_disk_metrics[f];
			if (m->gauge)
				batch_addv(e->batch, m->name, m->help, METRIC_GAUGE, (double)disk->f[f],
					   labels, 1);
			else
				host_counter(e, m->name, m->help, disk->f[f], m->mul, m->div,
					     m->wrap32 ? &host_policy_wrap32 : &host_policy_plain,
					     labels, 1);
		}
	}
}

/* ---- netdev ----------------------------------------------------------- */

static const char *const host_net_names[HOST_NET_NFIELDS][2] = {
	{ "node_network_receive_bytes_total", "Network device statistic receive_bytes." },
	{ "node_network_receive_packets_total", "Network device statistic receive_packets." },
	{ "node_network_receive_errs_total", "Network device statistic receive_errs." },
	{ "node_network_receive_drop_total", "Network device statistic receive_drop." },
	{ "node_network_receive_fifo_total", "Network device statistic receive_fifo." },
	{ "node_network_receive_frame_total", "Network device statistic receive_frame." },
	{ "node_network_receive_compressed_total", "Network device statistic receive_compressed." },
	{ "node_network_receive_multicast_total", "Network device statistic receive_multicast." },
	{ "node_network_transmit_bytes_total", "Network device statistic transmit_bytes." },
	{ "node_network_transmit_packets_total", "Network device statistic transmit_packets." },
	{ "node_network_transmit_errs_total", "Network device statistic transmit_errs." },
	{ "node_network_transmit_drop_total", "Network device statistic transmit_drop." },
	{ "node_network_transmit_fifo_total", "Network device statistic transmit_fifo." },
	{ "node_network_transmit_colls_total", "Network device statistic transmit_colls." },
	{ "node_network_transmit_carrier_total", "Network device statistic transmit_carrier." },
	{ "node_network_transmit_compressed_total",
	  "Network device statistic transmit_compressed." },
};

void host_emit_netdev(struct host_emit *e, const struct host_netdevs *n)
{
	for (size_t i = 0; i < n->n; i++) {
		const struct host_netdev *dev = &n->devs[i];
		if (conf_regex_match(&e->conf->network_device_exclude, dev->name))
			continue;
		const char *labels[] = { "device", dev->name };
		for (unsigned f = 0; f < HOST_NET_NFIELDS; f++)
			host_counter(e, host_net_names[f][0], host_net_names[f][1], dev->f[f], 1, 1,
				     &host_policy_plain, labels, 1);
	}
}

/* ---- pressure --------------------------------------------------------- */

static const struct host_pressure_metric {
	const char *resource;
	const char *some_name, *some_help;   /* "waiting"; NULL: none (irq) */
	const char *full_name, *full_help;   /* "stalled"; NULL: not exported */
} host_pressure_metrics[] = {
	{ "cpu", "node_pressure_cpu_waiting_seconds_total",
	  "Total time in seconds that processes have waited for CPU time", NULL, NULL },
	{ "memory", "node_pressure_memory_waiting_seconds_total",
	  "Total time in seconds that processes have waited for memory",
	  "node_pressure_memory_stalled_seconds_total",
	  "Total time in seconds no process could make progress due to memory congestion" },
	{ "io", "node_pressure_io_waiting_seconds_total",
	  "Total time in seconds that processes have waited due to IO congestion",
	  "node_pressure_io_stalled_seconds_total",
	  "Total time in seconds no process could make progress due to IO congestion" },
	{ "irq", NULL, NULL, "node_pressure_irq_stalled_seconds_total",
	  "Total time in seconds no process could make progress due to IRQ congestion" },
};

void host_emit_pressure(struct host_emit *e, const char *resource, const struct host_pressure *p)
{
	for (size_t i = 0; i < sizeof(host_pressure_metrics) / sizeof(host_pressure_metrics[0]); i++) {
		const struct host_pressure_metric *m = &host_pressure_metrics[i];
		if (strcmp(m->resource, resource) != 0)
			continue;
		if (p->have_some && m->some_name)
			host_counter(e, m->some_name, m->some_help, p->some_total, 1, 1e6,
				     &host_policy_plain, NULL, 0);
		if (p->have_full && m->full_name)
			host_counter(e, m->full_name, m->full_help, p->full_total, 1, 1e6,
				     &host_policy_plain, NULL, 0);
	}
}

/* ---- uname ------------------------------------------------------------ */

static const struct metric_desc host_uname_info = {
	"node_uname_info", "Labeled system information as provided by the uname system call.",
	METRIC_GAUGE,
};

int host_emit_uname(struct host_emit *e, char *err, size_t errlen)
{
	struct utsname u;
	if (uname(&u) < 0) {
		snprintf(err, errlen, "uname: %s", strerror(errno));
		return -1;
	}
	/* Labels in node_exporter's (sorted) order, so that outputs diff cleanly. */
	batch_add(e->batch, &host_uname_info, 1.0, "domainname", u.domainname, "machine", u.machine,
		  "nodename", u.nodename, "release", u.release, "sysname", u.sysname, "version",
		  u.version, NULL);
	return 0;
}

/* ---- filesystem ------------------------------------------------------- */

static const struct metric_desc host_fs_size = {
	"node_filesystem_size_bytes", "Filesystem size in bytes.", METRIC_GAUGE,
};
static const struct metric_desc host_fs_free = {
	"node_filesystem_free_bytes", "Filesystem free space in bytes.", METRIC_GAUGE,
};
static const struct metric_desc host_fs_avail = {
	"node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.",
	METRIC_GAUGE,
};
static const struct metric_desc host_fs_files = {
	"node_filesystem_files", "Filesystem total file nodes.", METRIC_GAUGE,
};
static const struct metric_desc host_fs_files_free = {
	"node_filesystem_files_free", "Filesystem total free file nodes.", METRIC_GAUGE,
};
static const struct metric_desc host_fs_readonly = {
	"node_filesystem_readonly", "Filesystem read-only status.", METRIC_GAUGE,
};
static const struct metric_desc host_fs_device_error = {
	"node_filesystem_device_error",
	"Whether an error occurred while getting statistics for the given device.", METRIC_GAUGE,
};

static const struct metric_desc host_fs_mount_info = {
	"node_filesystem_mount_info", "Filesystem mount information.", METRIC_GAUGE,
};

static void host_fs_sample(struct host_emit *e, const struct metric_desc *d, double v,
			   const char *const *labels)
{
	batch_addv(e->batch, d->name, d->help, d->type, v, labels, 4);
}

void host_emit_filesystem(struct host_emit *e, const struct host_mount *m,
			  const struct statvfs *st, const char *device_error)
{
	const char *labels[] = {
		"device", m->source, "device_error", st ? "" : device_error,
		"fstype", m->fstype, "mountpoint", m->mountpoint,
	};
	int ro = m->readonly || (st && (st->f_flag & ST_RDONLY));
	host_fs_sample(e, &host_fs_device_error, st ? 0 : 1, labels);
	host_fs_sample(e, &host_fs_readonly, ro ? 1 : 0, labels);
	if (!st)
		return;
	double unit = (double)(st->f_frsize ? st->f_frsize : st->f_bsize);
	host_fs_sample(e, &host_fs_size, (double)st->f_blocks * unit, labels);
	host_fs_sample(e, &host_fs_free, (double)st->f_bfree * unit, labels);
	host_fs_sample(e, &host_fs_avail, (double)st->f_bavail * unit, labels);
	host_fs_sample(e, &host_fs_files, (double)st->f_files, labels);
	host_fs_sample(e, &host_fs_files_free, (double)st->f_ffree, labels);
	char major[16], minor[16];
	snprintf(major, sizeof(major), "%u", m->major);
	snprintf(minor, sizeof(minor), "%u", m->minor);
	batch_add(e->batch, &host_fs_mount_info, 1, "device", m->source, "major", major, "minor",
		  minor, "mountpoint", m->mountpoint, NULL);
}

/* ---- node_scrape_collector_* ------------------------------------------ */

const struct metric_desc host_scrape_duration = {
	"node_scrape_collector_duration_seconds", "Duration of a collector scrape.", METRIC_GAUGE,
};
const struct metric_desc host_scrape_success = {
	"node_scrape_collector_success", "Whether a collector succeeded.", METRIC_GAUGE,
};

void host_emit_scrape(struct host_emit *e, const char *collector, int success, double seconds)
{
	batch_add(e->batch, &host_scrape_duration, seconds, "collector", collector, NULL);
	batch_add(e->batch, &host_scrape_success, success ? 1 : 0, "collector", collector, NULL);
}
