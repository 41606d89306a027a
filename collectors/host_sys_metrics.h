/*
 * host_sys_metrics.h -- node_exporter's families of the host's system
 * sources (vmstat, entropy, time, timex, os, selinux, kernel_hung, dmi,
 * schedstat, and the info families of diskstats), from parsed data
 * (internal to the host collector; see host_sys.c).
 *
 * Every function adds samples to e->batch, counters through e->counters
 * (host_counter), under node_exporter 1.12's names, labels, units and help
 * texts.  Pure apart from the batch and the counter map: no I/O, no
 * logging.
 */
#ifndef DBPULSE_HOST_SYS_METRICS_H
#define DBPULSE_HOST_SYS_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/timex.h>

#include "config.h"
#include "host_metrics.h"
#include "host_sys_proc.h"

/* node_vmstat_<field> (untyped) of the fields matching conf->vmstat_fields. */
void host_emit_vmstat(struct host_emit *e, const struct host_vmstat *v, struct regex_memo *memo);
/* node_entropy_available_bits, node_entropy_pool_size_bits. */
void host_emit_entropy_available(struct host_emit *e, uint64_t bits);
void host_emit_entropy_pool_size(struct host_emit *e, uint64_t bits);
/* node_time_seconds and node_time_zone_offset_seconds{time_zone}. */
void host_emit_time(struct host_emit *e, double now, const char *zone, long offset);
/* node_time_clocksource_{available,current}_info{device,clocksource} of
 * clocksource number device (its rank among /sys's clocksourceN). */
void host_emit_clocksource(struct host_emit *e, size_t device, char *const *available,
			   size_t navailable, const char *current);
/* Every node_timex_* family of an adjtimex(2) answer (state: its return). */
void host_emit_timex(struct host_emit *e, const struct timex *tx, int state);
/* node_os_info, node_os_version (when VERSION_ID has a number) and
 * node_os_support_end_timestamp_seconds (when SUPPORT_END is set);
 * -1 with err when one of those numbers cannot be read, as node_exporter
 * fails then (nothing added). */
int host_emit_os(struct host_emit *e, const struct host_os_release *os, char *err,
		 size_t errlen);
/* node_selinux_enabled, and node_selinux_{config,current}_mode when it is. */
void host_emit_selinux(struct host_emit *e, int enabled, int config_mode, int current_mode);
/* node_kernel_hung_tasks_total. */
void host_emit_kernel_hung(struct host_emit *e, uint64_t count);
/* node_dmi_info with the labels that could be read (values[k] NULL: not
 * read), in the order of host_dmi_labels. */
#define HOST_DMI_NLABELS 20
extern const char *const host_dmi_files[HOST_DMI_NLABELS];
extern const char *const host_dmi_labels[HOST_DMI_NLABELS];
void host_emit_dmi(struct host_emit *e, char *const *values);
/* node_cpu_isolated{cpu} of each isolated CPU; node_cpu_online{cpu};
 * node_cpu_core_throttles_total{package,core} and
 * node_cpu_package_throttles_total{package} (counters). */
void host_emit_cpu_isolated(struct host_emit *e, const unsigned *cpus, size_t n);
void host_emit_cpu_online(struct host_emit *e, const char *cpu, int online);
void host_emit_cpu_core_throttles(struct host_emit *e, uint64_t package, uint64_t core,
				  uint64_t count);
void host_emit_cpu_package_throttles(struct host_emit *e, uint64_t package, uint64_t count);
/* node_schedstat_{running,waiting}_seconds_total and
 * node_schedstat_timeslices_total {cpu}. */
void host_emit_schedstat(struct host_emit *e, const struct host_schedstat *s);
/* node_disk_info of one device, and node_disk_filesystem_info,
 * node_disk_device_mapper_info and node_disk_ata_* when its udev data (u,
 * possibly empty) has them; rotational is "0" or "1". */
void host_emit_disk_info(struct host_emit *e, const char *device, unsigned major, unsigned minor,
			 const struct host_udev *u, const char *rotational);

#endif
