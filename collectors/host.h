/*
 * host.h -- the [host] section and the collector of the machine's own
 * metrics (CPU, memory, load, filesystems, disks, network, pressure, file
 * descriptors, uname, vmstat, entropy, time, timex, os-release, SELinux,
 * hung tasks, DMI, scheduler statistics), named and labelled as
 * node_exporter names them.
 *
 * The section is implicit: with no [host] in agent.ini the host is still
 * watched, with the defaults below.  registry.c lists host_kind; the
 * scheduler runs host_collector on the section's own worker thread.
 */
#ifndef DBPULSE_HOST_H
#define DBPULSE_HOST_H

#include <stdint.h>

#include "collector.h"
#include "config.h"

/* Values of host_config.memory_names. */
enum host_memory_names {
	HOST_MEMORY_NAMES_NODE_EXPORTER, /* node_memory_MemTotal_bytes (the default) */
	HOST_MEMORY_NAMES_SNAKE_CASE,    /* node_memory_mem_total_bytes (dbpulse's old names) */
};

struct host_config {
	struct target_common common;          /* enabled, interval, timeout */
	int64_t filesystem_timeout_ms;        /* per statvfs of one mount point */
	struct conf_regex mountpoint_exclude;
	struct conf_regex fstype_exclude;
	struct conf_regex disk_device_exclude;
	struct conf_regex network_device_exclude;
	int memory_names;                     /* enum host_memory_names */
	struct conf_regex vmstat_fields;      /* /proc/vmstat fields to serve */
	struct conf_regex netstat_fields;     /* /proc/net/{netstat,snmp,snmp6} fields to serve */
	char *procfs;                         /* "/proc" */
	char *sysfs;                          /* "/sys" */
	char *rootfs;                         /* "/": /etc/os-release, textfiles are not under it */
	char *udev_data;                      /* "/run/udev/data": node_disk_info's labels */
	struct conf_list disable;             /* sources switched off, by node_exporter's collector name */
};

extern const struct config_kind host_kind;
extern const struct collector host_collector;

#endif
