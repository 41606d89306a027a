/*
 * host.c -- the [host] section and the host collector: CPU, memory, load,
 * filesystems, disks, network, pressure, file descriptors and uname, under
 * node_exporter's names, and the system sources of host_sys.c (vmstat,
 * entropy, time, timex, os, selinux, kernel_hung, dmi, schedstat).
 *
 * The scheduler creates one instance per [host] section (host_init) on that
 * section's worker thread and calls host_collect() every interval on that
 * thread.  A collection reads each source under the configured procfs in
 * turn (into the instance's one capped text buffer), parses it with the
 * pure parsers of host_proc.c and adds the samples (host_metrics.c); each
 * source also reports node_scrape_collector_{success,duration_seconds}.
 * Filesystems come last and are probed through host_fs.c, which keeps a
 * stuck network mount from hanging the collection.  Only stat, meminfo and
 * loadavg are core: if one fails, collect() returns -1 naming it; another
 * source that fails reports node_scrape_collector_success 0 and is logged
 * (rate-limited), and /proc/pressure missing on this kernel is no failure.
 *
 * An instance owns its text and key buffers, the parsed results (reused
 * from one collection to the next), the counter map that keeps counters
 * monotonic, the statvfs prober and one log complaint per source; all are
 * freed by host_free().  The config section is borrowed.
 */
#include "autoconfig.h"
#include "host.h"
#include "buf.h"
#include "build_info.h"
#include "counter.h"
#include "host_fs.h"
#include "host_metrics.h"
#include "host_proc.h"
#include "host_net.h"
#include "host_sys.h"
#include "log.h"
#include "metrics.h"
#include "strutil.h"
#include "xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "banned.h"

#define HOST_TEXT_MAX ((size_t)16 << 20)  /* mountinfo of a busy container host */
#define HOST_KEY_MAX 1024
#define HOST_FS_MAX_STUCK 16
#define HOST_JITTER_SECONDS 3             /* node_exporter's jumpBackSeconds */

/* ---- configuration ---------------------------------------------------- */

static const char *const host_memory_name_choices[] = { "node_exporter", "snake_case", NULL };


static const struct config_key host_keys[] = {
	{ .name = "timeout", .type = CONF_DURATION,
	  .offset = offsetof(struct host_config, common.timeout_ms), .def = "10s",
	  .min = 100, .max = CONF_MS_HOUR,
	  .fit_default = conf_fit_timeout },
	{ .name = "filesystem_timeout", .type = CONF_DURATION,
	  .offset = offsetof(struct host_config, filesystem_timeout_ms), .def = "1s",
	  .min = 10, .max = 60 * CONF_MS_SECOND },
	{ .name = "mountpoint_exclude", .type = CONF_REGEX,
	  .offset = offsetof(struct host_config, mountpoint_exclude),
	  .def = "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)" },
	{ .name = "fstype_exclude", .type = CONF_REGEX,
	  .offset = offsetof(struct host_config, fstype_exclude),
	  .def = "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|"
		 "hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|"
		 "selinuxfs|squashfs|erofs|sysfs|tracefs)$" },
	{ .name = "disk_device_exclude", .type = CONF_REGEX,
	  .offset = offsetof(struct host_config, disk_device_exclude),
	  .def = "^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme[0-9]+n[0-9]+p)[0-9]+$" },
	{ .name = "network_device_exclude", .type = CONF_REGEX,
	  .offset = offsetof(struct host_config, network_device_exclude), .def = "" },
	{ .name = "memory_names", .type = CONF_ENUM,
	  .offset = offsetof(struct host_config, memory_names), .def = "node_exporter",
	  .choices = host_memory_name_choices },
	{ .name = "vmstat_fields", .type = CONF_REGEX,
	  .offset = offsetof(struct host_config, vmstat_fields),
	  .def = "^(oom_kill|pgpg|pswp|pg.*fault).*" },
	{ .name = "netstat_fields", .type = CONF_REGEX,
	  .offset = offsetof(struct host_config, netstat_fields),
	  .def = "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|"
		 "OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|"
		 "TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|"
		 "CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$" },
	{ .name = "procfs", .type = CONF_STRING, .offset = offsetof(struct host_config, procfs),
	  .def = "/proc" },
	{ .name = "sysfs", .type = CONF_STRING, .offset = offsetof(struct host_config, sysfs),
	  .def = "/sys" },
	{ .name = "rootfs", .type = CONF_STRING, .offset = offsetof(struct host_config, rootfs),
	  .def = "/" },
	{ .name = "udev_data", .type = CONF_STRING,
	  .offset = offsetof(struct host_config, udev_data), .def = "/run/udev/data" },
	{ .name = "disable", .type = CONF_LIST, .offset = offsetof(struct host_config, disable),
	  .def = "" },
	{ 0 },
};

static int host_check_disable(const struct conf_list *disable, char *err, size_t errlen);

static int host_validate(void *conf, char *err, size_t errlen)
{
	const struct host_config *c = conf;
	if (conf_check_target(&c->common, err, errlen) < 0)
		return -1;
	if (host_check_disable(&c->disable, err, errlen) < 0)
		return -1;
	const struct { const char *key, *path; } paths[] = {
		{ "procfs", c->procfs }, { "sysfs", c->sysfs }, { "rootfs", c->rootfs },
		{ "udev_data", c->udev_data },
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (!paths[i].path || paths[i].path[0] != '/') {
			snprintf(err, errlen, "%s: expected an absolute path, got '%s'", paths[i].key,
				 paths[i].path ? paths[i].path : "");
			return -1;
		}
	}
	return 0;
}

static void host_describe_sources(const struct host_config *c, struct buf *out);

/* One line for --check-config, without the newline (the caller ends the
 * line, after " (disabled)" when the section is off). */
static void host_describe(const struct config_section *s, struct buf *out)
{
	const struct host_config *c = s->conf;
	if (!c->common.enabled) {
		buf_puts(out, s->label);
		return;
	}
	conf_describe_target(s->label, &c->common, out);
	buf_putc(out, ':');
	host_describe_sources(c, out);
	if (strcmp(c->procfs, "/proc") != 0)
		buf_printf(out, " (procfs '%s')", c->procfs);
	if (strcmp(c->sysfs, "/sys") != 0)
		buf_printf(out, " (sysfs '%s')", c->sysfs);
	if (strcmp(c->rootfs, "/") != 0)
		buf_printf(out, " (rootfs '%s')", c->rootfs);
	if (strcmp(c->udev_data, "/run/udev/data") != 0)
		buf_printf(out, " (udev_data '%s')", c->udev_data);
}

/* ---- the instance ----------------------------------------------------- */

enum { HOST_NSOURCES = 26, HOST_SOURCE_CPU = 0 /* host_sources[0] */ };

struct host {
	const struct host_config *conf;
	const char *target;             /* the section's name, for logs */
	struct buf text;                /* the file being parsed */
	struct buf key;                 /* counter keys */
	struct counter_map *counters;
	struct host_fs *fs;
	long clk_tck;
	struct host_stat stat;          /* read by "cpu", used by "stat" too */
	int stat_fresh;                 /* stat was read in this collection */
	int partial;                    /* a source skipped malformed lines */
	struct host_meminfo meminfo;
	struct host_disks disks;
	struct host_netdevs netdev;
	struct host_mounts mounts;
	struct host_sys sys;            /* the sources of host_sys.c */
	struct host_net net;            /* the sources of host_net.c */
	const struct host_mount **kept; /* mounts left after filters and dedupe */
	size_t kept_alloc;
	struct log_complaint complaints[HOST_NSOURCES];
	int disabled[HOST_NSOURCES];    /* switched off by the disable key */
};

/* Reads <procfs>/<rel> into h->text; -1 with err and *errnum on failure. */
static int host_read(struct host *h, const char *rel, int *errnum, char *err, size_t errlen)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", h->conf->procfs, rel);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		*errnum = ENAMETOOLONG;
		snprintf(err, errlen, "cannot read '%s/%s': path too long", h->conf->procfs, rel);
		return -1;
	}
	if (read_file(path, &h->text) < 0) {
		*errnum = errno;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(*errnum));
		return -1;
	}
	return 0;
}

/* Turns a parser's complaint into the collection's error; returns -1. */
static int host_parse_failed(struct host *h, const char *rel, const char *why, char *err,
			     size_t errlen)
{
	snprintf(err, errlen, "cannot parse '%s/%s': %s", h->conf->procfs, rel, why);
	return -1;
}

/* Malformed lines leave some series without an update in this collection:
 * the source's series are then kept through the sweep. */
static void host_note_bad_lines(struct host *h, const char *rel, unsigned bad)
{
	if (!bad)
		return;
	h->partial = 1;
	log_debug("host", h->target, "%s/%s: skipped %u malformed line%s", h->conf->procfs, rel,
		  bad, bad == 1 ? "" : "s");
}

/* ---- the sources ------------------------------------------------------ */

/* Reads and parses <procfs>/stat into h->stat; -1 with err. */
static int host_load_stat(struct host *h, char *err, size_t errlen)
{
	char why[256];
	int errnum;
	if (host_read(h, "stat", &errnum, err, errlen) < 0)
		return -1;
	if (host_parse_stat(h->text.data, h->text.len, &h->stat, why, sizeof(why)) < 0)
		return host_parse_failed(h, "stat", why, err, errlen);
	host_note_bad_lines(h, "stat", h->stat.bad_lines);
	return 0;
}

/* Each returns 0, -1 with err, 1 when the source does not exist on this
 * kernel (no metrics at all, not even node_scrape_collector_*), or
 * HOST_SOURCE_NO_DATA (host_sys.h) when it found nothing to report
 * (node_scrape_collector_success 0, not logged). */

static int host_run_cpu(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			size_t errlen)
{
	if (host_load_stat(h, err, errlen) < 0)
		return -1;
	h->stat_fresh = 1;
	if (h->stat.ncpus == 0) {
		snprintf(err, errlen, "cannot parse '%s/stat': no 'cpuN' line", h->conf->procfs);
		return -1;
	}
	host_emit_cpu(e, &h->stat);
	host_sys_cpu(&h->sys, e);
	return 0;
}

static int host_run_stat(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			 size_t errlen)
{
	if (!h->stat_fresh && !h->disabled[HOST_SOURCE_CPU]) {
		err[0] = '\0'; /* the cpu source has said why */
		return -1;
	}
	/* the cpu source is switched off: read stat here */
	if (!h->stat_fresh && host_load_stat(h, err, errlen) < 0)
		return -1;
	host_emit_stat(e, &h->stat);
	return 0;
}

static int host_run_meminfo(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			    size_t errlen)
{
	char why[256];
	int errnum;
	if (host_read(h, "meminfo", &errnum, err, errlen) < 0)
		return -1;
	if (host_parse_meminfo(h->text.data, h->text.len, &h->meminfo, why, sizeof(why)) < 0)
		return host_parse_failed(h, "meminfo", why, err, errlen);
	host_note_bad_lines(h, "meminfo", h->meminfo.bad_lines);
	host_emit_meminfo(e, &h->meminfo);
	return 0;
}

static int host_run_loadavg(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			    size_t errlen)
{
	struct host_loadavg l;
	char why[256];
	int errnum;
	if (host_read(h, "loadavg", &errnum, err, errlen) < 0)
		return -1;
	if (host_parse_loadavg(h->text.data, h->text.len, &l, why, sizeof(why)) < 0)
		return host_parse_failed(h, "loadavg", why, err, errlen);
	host_emit_loadavg(e, &l);
	return 0;
}

static int host_run_diskstats(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			      size_t errlen)
{
	char why[256];
	int errnum;
	if (host_read(h, "diskstats", &errnum, err, errlen) < 0)
		return -1;
	if (host_parse_diskstats(h->text.data, h->text.len, &h->disks, why, sizeof(why)) < 0)
		return host_parse_failed(h, "diskstats", why, err, errlen);
	host_note_bad_lines(h, "diskstats", h->disks.bad_lines);
	host_emit_diskstats(e, &h->disks);
	host_sys_disk_info(&h->sys, e, &h->disks);
	return 0;
}

static int host_run_netdev(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			   size_t errlen)
{
	char why[256];
	int errnum;
	if (host_read(h, "net/dev", &errnum, err, errlen) < 0)
		return -1;
	if (host_parse_netdev(h->text.data, h->text.len, &h->netdev, why, sizeof(why)) < 0)
		return host_parse_failed(h, "net/dev", why, err, errlen);
	host_note_bad_lines(h, "net/dev", h->netdev.bad_lines);
	host_emit_netdev(e, &h->netdev);
	host_net_nohandler(&h->net, e, &h->netdev);
	return 0;
}

/* /proc/pressure needs Linux 4.20 with CONFIG_PSI, and psi=1 where it is
 * off by default: absent (ENOENT) or switched off (EOPNOTSUPP) is no error.
 * irq needs 6.1 and CONFIG_IRQ_TIME_ACCOUNTING. */
static int host_run_pressure(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			     size_t errlen)
{
	static const char *const resources[] = { "cpu", "memory", "io", "irq" };
	int found = 0;
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		char rel[32], why[256];
		struct host_pressure p;
		int errnum;
		snprintf(rel, sizeof(rel), "pressure/%s", resources[i]);
		if (host_read(h, rel, &errnum, err, errlen) < 0) {
			if (errnum == ENOENT || errnum == EOPNOTSUPP)
				continue;
			return -1;
		}
		if (host_parse_pressure(h->text.data, h->text.len, &p, why, sizeof(why)) < 0 &&
		    !(strcmp(resources[i], "irq") == 0 && p.have_full)) /* irq has no "some" */
			return host_parse_failed(h, rel, why, err, errlen);
		found = 1;
		host_emit_pressure(e, resources[i], &p);
	}
	return found ? 0 : 1;
}

static int host_run_filefd(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			   size_t errlen)
{
	struct host_filenr f;
	char why[256];
	int errnum;
	if (host_read(h, "sys/fs/file-nr", &errnum, err, errlen) < 0)
		return -1;
	if (host_parse_filenr(h->text.data, h->text.len, &f, why, sizeof(why)) < 0)
		return host_parse_failed(h, "sys/fs/file-nr", why, err, errlen);
	host_emit_filenr(e, &f);
	return 0;
}

static int host_run_uname(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			  size_t errlen)
{
	return host_emit_uname(e, err, errlen);
}

/* The sources of host_sys.c (part sys) and host_net.c (part net): each
 * a call of host_PART_NAME on the part's state. */
#define HOST_PART_SOURCE(part, name)                                                           \
	static int host_run_##name(struct host *h, struct host_emit *e, int64_t deadline,      \
				   char *err, size_t errlen)                                   \
	{                                                                                      \
		return host_##part##_##name(&h->part, e, err, errlen);                         \
	}
HOST_PART_SOURCE(sys, vmstat)
HOST_PART_SOURCE(sys, entropy)
HOST_PART_SOURCE(sys, time)
HOST_PART_SOURCE(sys, timex)
HOST_PART_SOURCE(sys, os)
HOST_PART_SOURCE(sys, selinux)
HOST_PART_SOURCE(sys, kernel_hung)
HOST_PART_SOURCE(sys, dmi)
HOST_PART_SOURCE(sys, schedstat)
HOST_PART_SOURCE(net, netstat)
HOST_PART_SOURCE(net, sockstat)
HOST_PART_SOURCE(net, softnet)
HOST_PART_SOURCE(net, udp_queues)
HOST_PART_SOURCE(net, arp)
HOST_PART_SOURCE(net, conntrack)
HOST_PART_SOURCE(net, netclass)

/* Sorts by mount point, then by position in mountinfo (the array order). */
static int host_mount_cmp(const void *a, const void *b)
{
	const struct host_mount *x = *(const struct host_mount *const *)a;
	const struct host_mount *y = *(const struct host_mount *const *)b;
	int c = strcmp(x->mountpoint, y->mountpoint);
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

/* Fills h->kept with the mounts to probe: not excluded, and of a mount
 * point mounted twice only the last (the one a path lookup sees, which is
 * what node_exporter keeps).  Returns how many. */
static size_t host_select_mounts(struct host *h)
{
	const struct host_config *c = h->conf;
	size_t n = 0;
	for (size_t i = 0; i < h->mounts.n; i++) {
		const struct host_mount *m = &h->mounts.mounts[i];
		if (conf_regex_match(&c->mountpoint_exclude, m->mountpoint) ||
		    conf_regex_match(&c->fstype_exclude, m->fstype))
			continue;
		h->kept = xgrow(h->kept, &h->kept_alloc, n + 1, sizeof(const struct host_mount *));
		h->kept[n++] = m;
	}
	if (n > 1)
		qsort(h->kept, n, sizeof(const struct host_mount *), host_mount_cmp);
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(h->kept[i]->mountpoint, h->kept[i + 1]->mountpoint) == 0)
			continue;
		h->kept[out++] = h->kept[i];
	}
	return out;
}

/* One mount: statvfs within the per-mount timeout and the deadline. */
static void host_probe_mount(struct host *h, struct host_emit *e, const struct host_mount *m,
			     int64_t deadline)
{
	int64_t now = now_mono_ms();
	int64_t until = now + h->conf->filesystem_timeout_ms;
	if (until > deadline)
		until = deadline;
	struct statvfs st;
	int errnum;
	enum host_fs_status s = host_fs_stat(h->fs, m->mountpoint, until, &st, &errnum);
	if (s == HOST_FS_TIMEOUT) {
		char waited[32];
		conf_format_duration(until - now, waited, sizeof(waited));
		log_warn("host", h->target,
			 "filesystem: statvfs of '%s' gave no answer within %s; skipping it until it "
			 "returns", m->mountpoint, waited);
	} else if (s == HOST_FS_FAILED) {
		log_debug("host", h->target, "filesystem: statvfs of '%s': %s", m->mountpoint,
			  strerror(errnum));
	}
	/* the device_error label: Go's text of the errno (strerror's, lower
	 * case first), or node_exporter's words for a stuck mount point */
	char why[128] = "";
	if (s == HOST_FS_FAILED) {
		snprintf(why, sizeof(why), "%s", strerror(errnum));
		if (why[0] >= 'A' && why[0] <= 'Z')
			why[0] = (char)(why[0] - 'A' + 'a');
	} else if (s == HOST_FS_OVERLOADED) {
		snprintf(why, sizeof(why), "too many stuck mount points");
	} else if (s != HOST_FS_OK) {
		snprintf(why, sizeof(why), "mountpoint timeout");
	}
	host_emit_filesystem(e, m, s == HOST_FS_OK ? &st : NULL, why);
}

static int host_run_filesystem(struct host *h, struct host_emit *e, int64_t deadline, char *err,
			       size_t errlen)
{
	char why[256];
	int errnum;
	/* init's mounts, as node_exporter reads them; our own when /proc/1 is
	 * hidden (hidepid) */
	const char *rel = "1/mountinfo";
	if (host_read(h, rel, &errnum, err, errlen) < 0) {
		if (errnum != ENOENT)
			return -1;
		rel = "self/mountinfo";
		if (host_read(h, rel, &errnum, err, errlen) < 0)
			return -1;
	}
	if (host_parse_mountinfo(h->text.data, h->text.len, &h->mounts, why, sizeof(why)) < 0)
		return host_parse_failed(h, rel, why, err, errlen);
	host_note_bad_lines(h, rel, h->mounts.bad_lines);
	size_t n = host_select_mounts(h);
	for (size_t i = 0; i < n; i++) {
		if (now_mono_ms() >= deadline) {
			snprintf(err, errlen, "filesystem: deadline reached after %zu of %zu mount points",
				 i, n);
			return -1;
		}
		host_probe_mount(h, e, h->kept[i], deadline);
	}
	return 0;
}

static const struct host_source {
	const char *name;  /* node_exporter's collector name */
	int core;          /* its failure fails the collection */
	int counters;      /* it feeds the counter map */
	int (*run)(struct host *h, struct host_emit *e, int64_t deadline, char *err, size_t errlen);
} host_sources[HOST_NSOURCES] = {
	{ "cpu", 1, 1, host_run_cpu },
	{ "stat", 1, 1, host_run_stat },
	{ "meminfo", 1, 0, host_run_meminfo },
	{ "loadavg", 1, 0, host_run_loadavg },
	{ "diskstats", 0, 1, host_run_diskstats },
	{ "netdev", 0, 1, host_run_netdev },
	{ "netstat", 0, 0, host_run_netstat },
	{ "sockstat", 0, 0, host_run_sockstat },
	{ "softnet", 0, 1, host_run_softnet },
	{ "udp_queues", 0, 0, host_run_udp_queues },
	{ "arp", 0, 0, host_run_arp },
	{ "conntrack", 0, 0, host_run_conntrack },
	{ "netclass", 0, 1, host_run_netclass },
	{ "pressure", 0, 1, host_run_pressure },
	{ "vmstat", 0, 0, host_run_vmstat },
	{ "entropy", 0, 0, host_run_entropy },
	{ "time", 0, 0, host_run_time },
	{ "timex", 0, 1, host_run_timex },
	{ "os", 0, 0, host_run_os },
	{ "selinux", 0, 0, host_run_selinux },
	{ "kernel_hung", 0, 1, host_run_kernel_hung },
	{ "dmi", 0, 0, host_run_dmi },
	{ "schedstat", 0, 1, host_run_schedstat },
	{ "filefd", 0, 0, host_run_filefd },
	{ "uname", 0, 0, host_run_uname },
	/* Last: stuck mounts may use up what is left of the deadline. */
	{ "filesystem", 0, 0, host_run_filesystem },
};

/* The index of the source called name, or -1. */
static int host_source_index(const char *name)
{
	for (size_t i = 0; i < HOST_NSOURCES; i++)
		if (strcmp(host_sources[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int host_check_disable(const struct conf_list *disable, char *err, size_t errlen)
{
	for (size_t i = 0; i < disable->n; i++) {
		if (host_source_index(disable->items[i]) >= 0)
			continue;
		struct buf names;
		buf_init(&names, 4096);
		for (size_t j = 0; j < HOST_NSOURCES; j++)
			buf_printf(&names, "%s%s", j ? ", " : "", host_sources[j].name);
		snprintf(err, errlen, "disable: unknown source '%s' (expected some of: %s)",
			 disable->items[i], buf_str(&names));
		buf_release(&names);
		return -1;
	}
	return 0;
}

/* The sources that run, for --check-config: " cpu, stat, ...". */
static void host_describe_sources(const struct host_config *c, struct buf *out)
{
	int first = 1;
	for (size_t i = 0; i < HOST_NSOURCES; i++) {
		int off = 0;
		for (size_t j = 0; j < c->disable.n; j++)
			off |= strcmp(c->disable.items[j], host_sources[i].name) == 0;
		if (off)
			continue;
		buf_printf(out, "%s %s", first ? "" : ",", host_sources[i].name);
		first = 0;
	}
	if (first)
		buf_puts(out, " nothing (every source disabled)");
}

/* ---- the collector ---------------------------------------------------- */

static double host_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends msg, unless empty, to err ("; " between). */
static void host_err_add(char *err, size_t errlen, const char *msg)
{
	if (errlen == 0 || msg[0] == '\0')
		return;
	size_t used = strlen(err);
	snprintf(err + used, errlen - used, "%s%s", used ? "; " : "", msg);
}

static void *host_init(const struct config_section *section, char *err, size_t errlen)
{
	const struct host_config *conf = section->conf;
	if (!conf->procfs || !*conf->procfs) {
		snprintf(err, errlen, "%s procfs: empty path", section->label);
		return NULL;
	}
	struct host *h = xcalloc(1, sizeof(*h));
	h->conf = conf;
	h->target = section->name;
	buf_init(&h->text, HOST_TEXT_MAX);
	buf_init(&h->key, HOST_KEY_MAX);
	h->counters = counter_map_new();
	for (size_t i = 0; i < conf->disable.n; i++) {
		int k = host_source_index(conf->disable.items[i]);
		if (k >= 0)
			h->disabled[k] = 1;
	}
	h->fs = host_fs_new(NULL, HOST_FS_MAX_STUCK);
	host_sys_init(&h->sys, conf);
	host_net_init(&h->net, conf);
	long tck = sysconf(_SC_CLK_TCK);
	h->clk_tck = tck > 0 ? tck : 100;
	return h;
}

/* Runs source i within the deadline and adds its node_scrape_collector_*
 * samples; returns what its run function returned (-1 with why). */
static int host_run_source(struct host *h, size_t i, struct host_emit *e, int64_t deadline,
			   char *why, size_t whylen)
{
	const struct host_source *src = &host_sources[i];
	double start = host_seconds();
	int rc;
	if (now_mono_ms() >= deadline) {
		snprintf(why, whylen, "deadline reached before the %s source", src->name);
		rc = -1;
	} else {
		rc = src->run(h, e, deadline, why, whylen);
	}
	if (rc <= 0 || rc == HOST_SOURCE_NO_DATA)
		host_emit_scrape(e, src->name, rc == 0, host_seconds() - start);
	return rc;
}

static int host_collect(void *instance, struct batch *batch, int64_t deadline_ms, char *err,
			size_t errlen)
{
	struct host *h = instance;
	struct host_emit e = {
		.batch = batch, .counters = h->counters, .key = &h->key, .conf = h->conf,
		.clk_tck = h->clk_tck,
		.cpu_policy = { .wrap_bits = 0, .jitter = (uint64_t)h->clk_tck * HOST_JITTER_SECONDS },
	};
	int core_failed = 0;
	if (errlen)
		err[0] = '\0';
	h->stat_fresh = 0;
	build_info_add(batch, "node_exporter", BUILD_INFO_CLIENT_GOLANG, NULL);
	for (size_t i = 0; i < HOST_NSOURCES; i++) {
		const struct host_source *src = &host_sources[i];
		char why[512] = "";
		if (h->disabled[i])
			continue;
		h->partial = 0;
		e.source = src->name;
		int rc = host_run_source(h, i, &e, deadline_ms, why, sizeof(why));
		if (src->counters && (rc < 0 || h->partial)) {
			/* its series were not all read: a sweep would restart a
			 * wrapped counter from its raw value, i.e. backwards */
			char prefix[64];
			snprintf(prefix, sizeof(prefix), "%s\x1e", src->name);
			counter_map_keep(h->counters, prefix);
		}
		if (rc == 0 && !src->core)
			log_complaint_clear(&h->complaints[i], "host", h->target,
					    "%s: collecting again", src->name);
		if (rc >= 0)
			continue;
		if (src->core) {
			core_failed = 1;
			host_err_add(err, errlen, why);
		} else {
			log_complain(&h->complaints[i], LOG_LEVEL_WARN, "host", h->target, "%s", why);
		}
	}
	counter_map_sweep(h->counters);
	return core_failed ? -1 : 0;
}

static void host_free(void *instance)
{
	struct host *h = instance;
	if (!h)
		return;
	host_fs_free(h->fs);
	counter_map_free(h->counters);
	buf_release(&h->text);
	buf_release(&h->key);
	host_stat_release(&h->stat);
	host_meminfo_release(&h->meminfo);
	host_disks_release(&h->disks);
	host_netdevs_release(&h->netdev);
	host_mounts_release(&h->mounts);
	host_sys_release(&h->sys);
	host_net_release(&h->net);
	free(h->kept);
	free(h);
}

const struct collector host_collector = {
	.name = "host",
	.init = host_init,
	.collect = host_collect,
	.free = host_free,
};

const struct config_kind host_kind = {
	.name = "host",
	.named = 0,
	.implicit = 1,
	.keys = host_keys,
	.shared_keys = conf_target_shared,
	.conf_size = sizeof(struct host_config),
	.validate = host_validate,
	.describe = host_describe,
	.collector = &host_collector,
};
