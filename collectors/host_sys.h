/*
 * host_sys.h -- the host collector's system sources beyond the classic
 * /proc files: vmstat, entropy, time, timex, os, selinux, kernel_hung,
 * dmi and schedstat (node_exporter's collectors of those names), and the
 * info families of diskstats (node_disk_info and its udev-fed kin).
 *
 * Internal to the host collector: host.c keeps one struct host_sys per
 * instance, lists each source in host_sources[] and calls these on the
 * instance's worker thread.  Each source reads its files (under procfs,
 * sysfs, rootfs or udev_data of the [host] section), parses them with
 * host_sys_proc.c and adds its samples with host_sys_metrics.c.
 */
#ifndef DBPULSE_HOST_SYS_H
#define DBPULSE_HOST_SYS_H

#include <stddef.h>

#include "buf.h"
#include "host_metrics.h"
#include "host_proc.h"
#include "host_sys_metrics.h"
#include "host_sys_proc.h"

/* What a source returns besides 0 and -1 (with err): it found nothing to
 * report here (node_exporter's ErrNoData: node_scrape_collector_success
 * 0, not logged), e.g. no /proc/schedstat on this kernel. */
#define HOST_SOURCE_NO_DATA 2

struct host_sys {
	const struct host_config *conf;     /* borrowed */
	struct buf text;                    /* the file being parsed */
	struct host_vmstat vmstat;
	struct regex_memo vmstat_memo;      /* vmstat_fields on its fields */
	struct host_schedstat schedstat;
	struct host_udev udev;
	unsigned *cpus;                     /* isolated CPUs */
	size_t cpus_alloc;
	char *dmi[HOST_DMI_NLABELS];        /* values (NULL: not read), read once */
	int dmi_read;                       /* 1 once /sys/class/dmi/id was read */
};

void host_sys_init(struct host_sys *s, const struct host_config *conf);
void host_sys_release(struct host_sys *s);

/* The sources: 0, -1 with err, or HOST_SOURCE_NO_DATA. */
int host_sys_vmstat(struct host_sys *s, struct host_emit *e, char *err, size_t errlen);
int host_sys_entropy(struct host_sys *s, struct host_emit *e, char *err, size_t errlen);
int host_sys_time(struct host_sys *s, struct host_emit *e, char *err, size_t errlen);
int host_sys_timex(struct host_sys *s, struct host_emit *e, char *err, size_t errlen);
int host_sys_os(struct host_sys *s, struct host_emit *e, char *err, size_t errlen);
int host_sys_selinux(struct host_sys *s, struct host_emit *e, char *err, size_t errlen);
int host_sys_kernel_hung(struct host_sys *s, struct host_emit *e, char *err, size_t errlen);
int host_sys_dmi(struct host_sys *s, struct host_emit *e, char *err, size_t errlen);
int host_sys_schedstat(struct host_sys *s, struct host_emit *e, char *err, size_t errlen);

/* node_cpu_isolated, node_cpu_online and the thermal throttle counters
 * from /sys/devices/system/cpu: part of the cpu source (nothing where
 * sysfs has none of it). */
void host_sys_cpu(struct host_sys *s, struct host_emit *e);

/* node_disk_info (and udev's filesystem, device-mapper and ATA families)
 * of the devices of d that disk_device_exclude keeps: part of the
 * diskstats source. */
void host_sys_disk_info(struct host_sys *s, struct host_emit *e, const struct host_disks *d);

/* base + "/" + rel into out (no doubled '/'); -1 if it does not fit. */
int host_sys_path(char *out, size_t outlen, const char *base, const char *rel);
/* Reads base/rel into text (reset first); -1 with errno set and err
 * naming the file. */
int host_read_file(struct buf *text, const char *base, const char *rel, char *err,
		   size_t errlen);
/* One read(2) of at most HOST_SYS_SMALL bytes of path, blanks trimmed,
 * into out (HOST_SYS_SMALL + 1 bytes), as procfs' SysReadFile reads sysfs
 * attributes; -1 with errno. */
#define HOST_SYS_SMALL 128
int host_sys_read_small(const char *path, char *out);

#endif
