/*
 * host_sys_proc.h -- pure parsers for the host's system sources beyond
 * the classic /proc files of host_proc.h: /proc/vmstat, /proc/schedstat,
 * os-release, udev's device data, SELinux's config and the one-number
 * files of /proc/sys and /sys.
 *
 * Same contract as host_proc.h: each parser takes the whole text of one
 * file, which it may modify in place (strings in a result point into it),
 * fills a plain struct, and neither does I/O nor logs; a result is reused
 * from one parse to the next and freed with its *_release(); start from a
 * zeroed struct.  Lines a parser cannot use are skipped and counted in
 * bad_lines where the struct has one.
 */
#ifndef DBPULSE_HOST_SYS_PROC_H
#define DBPULSE_HOST_SYS_PROC_H

#include <stddef.h>
#include <stdint.h>

/* ---- one number ------------------------------------------------------- */

/* The text, blanks around it trimmed, as one unsigned (node_exporter's
 * ReadUintFromFile) or signed number; -1 otherwise. */
int host_parse_uint_text(char *text, uint64_t *out);
int host_parse_int_text(char *text, int64_t *out);

/* ---- /proc/vmstat ----------------------------------------------------- */

struct host_vmstat_field {
	char *name;
	double value;
};

struct host_vmstat {
	struct host_vmstat_field *fields;
	size_t n, alloc;
	unsigned bad_lines;
};

/* "name value" lines; -1 when there is none. */
int host_parse_vmstat(char *text, size_t len, struct host_vmstat *out, char *err, size_t errlen);
void host_vmstat_release(struct host_vmstat *v);

/* ---- /proc/schedstat -------------------------------------------------- */

struct host_schedstat_cpu {
	char *cpu;                      /* the N of "cpuN" */
	uint64_t running_ns, waiting_ns, timeslices;
};

struct host_schedstat {
	struct host_schedstat_cpu *cpus;
	size_t n, alloc;
};

/* The "cpuN" lines with at least nine numbers (the 7th to 9th are the
 * ones kept, as procfs reads them); other lines are ignored.  Never fails. */
int host_parse_schedstat(char *text, size_t len, struct host_schedstat *out, char *err,
			 size_t errlen);
void host_schedstat_release(struct host_schedstat *s);

/* ---- os-release ------------------------------------------------------- */

/* The keys node_exporter reads, in the order of its labels. */
enum host_os_key {
	HOST_OS_BUILD_ID, HOST_OS_ID, HOST_OS_ID_LIKE, HOST_OS_IMAGE_ID, HOST_OS_IMAGE_VERSION,
	HOST_OS_NAME, HOST_OS_PRETTY_NAME, HOST_OS_VARIANT, HOST_OS_VARIANT_ID, HOST_OS_VERSION,
	HOST_OS_VERSION_CODENAME, HOST_OS_VERSION_ID, HOST_OS_SUPPORT_END, HOST_OS_NKEYS
};

/* os-release's variable names (BUILD_ID ...) and node_exporter's label
 * names (build_id ...) of the keys; SUPPORT_END has no label. */
extern const char *const host_os_variables[HOST_OS_NKEYS];
extern const char *const host_os_labels[HOST_OS_NKEYS];

struct host_os_release {
	const char *values[HOST_OS_NKEYS];  /* "" when absent */
};

/* KEY=value lines as hashicorp/go-envparse reads them (what node_exporter
 * uses): "export " prefixes, # comments, single and double quotes,
 * \-escapes in double quotes (\uXXXX too); the last assignment wins.  -1
 * with "line N: why" on the first line it refuses, as envparse does (then
 * node_exporter reports nothing). */
int host_parse_os_release(char *text, size_t len, struct host_os_release *out, char *err,
			  size_t errlen);
/* The major.minor of VERSION_ID as node_exporter's node_os_version
 * (^[0-9]+\.?[0-9]* as a number) into *out, 0 when there is none; -1 when
 * it is no number that fits a double (then node_exporter fails). */
int host_os_version_of(const char *version_id, double *out);
/* SUPPORT_END (YYYY-MM-DD, Go's time.DateOnly) as seconds since the epoch
 * at midnight UTC; -1 if it is not such a date. */
int host_parse_date(const char *s, int64_t *out);

/* ---- udev's device data (/run/udev/data/bMAJOR:MINOR) ----------------- */

struct host_udev_property {
	char *name, *value;
};

struct host_udev {
	struct host_udev_property *props;
	size_t n, alloc;
};

/* The "E:NAME=VALUE" lines; the rest is ignored.  Never fails. */
int host_parse_udev(char *text, size_t len, struct host_udev *out, char *err, size_t errlen);
/* The value of the property (the last one of that name), or NULL. */
const char *host_udev_get(const struct host_udev *u, const char *name);
void host_udev_release(struct host_udev *u);

/* ---- /sys/devices/system/cpu/isolated ---------------------------------- */

#define HOST_CPU_RANGE_MAX 65536

/* A list of CPUs as the kernel writes it ("0-3,8,10-11\n"; empty: none),
 * as procfs' parseCPURange reads it, into *cpus (grown, the caller frees
 * it) and *n.  -1 when it is not such a list or has more than
 * HOST_CPU_RANGE_MAX CPUs. */
int host_parse_cpu_range(char *text, unsigned **cpus, size_t *n, size_t *alloc);

/* ---- SELinux ---------------------------------------------------------- */

/* The SELINUX= mode of /etc/selinux/config as go-selinux reads it:
 * 1 enforcing, 0 permissive, -1 disabled (or not found). */
int host_selinux_config_mode(char *text, size_t len);

#endif
