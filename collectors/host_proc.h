/*
 * host_proc.h -- pure parsers for the /proc files the host collector reads.
 *
 * Each parser takes the whole text of one file (which it modifies in place:
 * lines are NUL-terminated, names are cut out and cleaned) and fills a plain
 * struct.  No I/O, no batch, no globals, no logging: the caller reads the
 * file, keeps the text alive for as long as it uses the result, and decides
 * what to report.
 *
 * Ownership: strings in a result (`name`, `mountpoint`, ...) point into the
 * text that was parsed and are valid only while that text is.  Arrays in a
 * result are allocated by the parser and owned by the result; a result may
 * be parsed into again (the arrays are reused) and is freed with its
 * *_release() function.  Start from a zeroed struct.
 *
 * Tolerance: every parser reads line by line against the keys it expects,
 * anchored at the line start.  Missing fields, extra columns, a truncated
 * last line and empty input never crash it; a line it cannot use (not a
 * number where one is expected, too few columns) is skipped and counted in
 * `bad_lines`.  A parser returns -1 with a reason in err only when the text
 * holds nothing it could use at all, and 0 otherwise (then check bad_lines).
 */
#ifndef DBPULSE_HOST_PROC_H
#define DBPULSE_HOST_PROC_H

#include <stddef.h>
#include <stdint.h>

/* ---- /proc/stat ------------------------------------------------------- */

/* The columns of a "cpuN" line, in the kernel's order. */
enum host_cpu_mode {
	HOST_CPU_USER,
	HOST_CPU_NICE,
	HOST_CPU_SYSTEM,
	HOST_CPU_IDLE,
	HOST_CPU_IOWAIT,     /* since Linux 2.5.41 */
	HOST_CPU_IRQ,        /* 2.6.0 */
	HOST_CPU_SOFTIRQ,    /* 2.6.0 */
	HOST_CPU_STEAL,      /* 2.6.11 */
	HOST_CPU_GUEST,      /* 2.6.24 */
	HOST_CPU_GUEST_NICE, /* 2.6.33 */
	HOST_CPU_NMODES
};

struct host_cpu {
	unsigned id;                      /* the N of "cpuN" */
	unsigned nmodes;                  /* columns present (4..HOST_CPU_NMODES) */
	uint64_t ticks[HOST_CPU_NMODES];  /* USER_HZ ticks; 0 past nmodes */
};

/* Bits of host_stat.have: which single-value lines were found. */
enum {
	HOST_STAT_CTXT = 1u << 0,
	HOST_STAT_BTIME = 1u << 1,
	HOST_STAT_PROCESSES = 1u << 2,
	HOST_STAT_PROCS_RUNNING = 1u << 3,
	HOST_STAT_PROCS_BLOCKED = 1u << 4,
	HOST_STAT_INTR = 1u << 5,        /* the total of the "intr" line */
};

struct host_stat {
	struct host_cpu *cpus;   /* per-CPU lines; the aggregate "cpu " line is skipped */
	size_t ncpus, cpus_alloc;
	uint64_t ctxt, btime, processes, procs_running, procs_blocked, intr;
	unsigned have;           /* HOST_STAT_* */
	unsigned bad_lines;
};

/* -1 when the text has neither a cpuN line nor any of the single values. */
int host_parse_stat(char *text, size_t len, struct host_stat *out, char *err, size_t errlen);
void host_stat_release(struct host_stat *s);

/* ---- /proc/meminfo ---------------------------------------------------- */

struct host_meminfo_field {
	char *name;       /* node_exporter's name: "Active(anon)" -> "Active_anon",
			     other characters not valid in a metric name -> '_' */
	uint64_t value;   /* as written: kB when kb is set */
	int kb;           /* the value had the "kB" unit */
};

struct host_meminfo {
	struct host_meminfo_field *fields;
	size_t n, alloc;
	unsigned bad_lines;
};

/* -1 when no field could be read. */
int host_parse_meminfo(char *text, size_t len, struct host_meminfo *out, char *err,
		       size_t errlen);
/* The field of that (cleaned) name, or NULL. */
const struct host_meminfo_field *host_meminfo_find(const struct host_meminfo *m,
						   const char *name);
void host_meminfo_release(struct host_meminfo *m);

/* ---- /proc/loadavg ---------------------------------------------------- */

struct host_loadavg {
	double load1, load5, load15;
};

/* -1 unless the first three fields are numbers. */
int host_parse_loadavg(char *text, size_t len, struct host_loadavg *out, char *err,
		       size_t errlen);

/* ---- /proc/diskstats -------------------------------------------------- */

/* The columns after "major minor name" (Documentation/admin-guide/iostats). */
enum host_disk_field {
	HOST_DISK_READS,
	HOST_DISK_READS_MERGED,
	HOST_DISK_READ_SECTORS,
	HOST_DISK_READ_MS,           /* 32-bit in the kernel: wraps */
	HOST_DISK_WRITES,
	HOST_DISK_WRITES_MERGED,
	HOST_DISK_WRITE_SECTORS,
	HOST_DISK_WRITE_MS,          /* 32-bit */
	HOST_DISK_IO_NOW,            /* a gauge */
	HOST_DISK_IO_MS,             /* 32-bit */
	HOST_DISK_IO_WEIGHTED_MS,    /* 32-bit */
	HOST_DISK_DISCARDS,          /* 4.18 */
	HOST_DISK_DISCARDS_MERGED,
	HOST_DISK_DISCARD_SECTORS,
	HOST_DISK_DISCARD_MS,        /* 32-bit */
	HOST_DISK_FLUSHES,           /* 5.5 */
	HOST_DISK_FLUSH_MS,          /* 32-bit */
	HOST_DISK_NFIELDS
};

#define HOST_DISK_CLASSIC_FIELDS 11
#define HOST_DISK_DISCARD_FIELDS 15

struct host_disk {
	unsigned major, minor;
	char *name;
	unsigned nfields;                  /* 11, 15 or 17: whole groups only */
	uint64_t f[HOST_DISK_NFIELDS];     /* 0 past nfields */
};

struct host_disks {
	struct host_disk *disks;
	size_t n, alloc;
	unsigned bad_lines;
};

/* Empty text is no error (a machine may have no block device). */
int host_parse_diskstats(char *text, size_t len, struct host_disks *out, char *err,
			 size_t errlen);
void host_disks_release(struct host_disks *d);

/* ---- /proc/net/dev ---------------------------------------------------- */

enum host_net_field {
	HOST_NET_RX_BYTES, HOST_NET_RX_PACKETS, HOST_NET_RX_ERRS, HOST_NET_RX_DROP,
	HOST_NET_RX_FIFO, HOST_NET_RX_FRAME, HOST_NET_RX_COMPRESSED, HOST_NET_RX_MULTICAST,
	HOST_NET_TX_BYTES, HOST_NET_TX_PACKETS, HOST_NET_TX_ERRS, HOST_NET_TX_DROP,
	HOST_NET_TX_FIFO, HOST_NET_TX_COLLS, HOST_NET_TX_CARRIER, HOST_NET_TX_COMPRESSED,
	HOST_NET_NFIELDS
};

struct host_netdev {
	char *name;
	uint64_t f[HOST_NET_NFIELDS];
};

struct host_netdevs {
	struct host_netdev *devs;
	size_t n, alloc;
	unsigned bad_lines;
};

/* The two header lines are recognised and skipped; "eth0:1234 ..." (no
 * space after the colon) is read like "eth0: 1234 ...".  Never fails. */
int host_parse_netdev(char *text, size_t len, struct host_netdevs *out, char *err,
		      size_t errlen);
void host_netdevs_release(struct host_netdevs *n);

/* ---- /proc/pressure/{cpu,memory,io} ----------------------------------- */

struct host_pressure {
	int have_some, have_full;
	uint64_t some_total, full_total;   /* microseconds */
	unsigned bad_lines;
};

/* -1 when there is no usable "some" line. */
int host_parse_pressure(char *text, size_t len, struct host_pressure *out, char *err,
			size_t errlen);

/* ---- /proc/sys/fs/file-nr --------------------------------------------- */

struct host_filenr {
	uint64_t allocated, unused, max;
};

/* -1 unless the line has three numbers. */
int host_parse_filenr(char *text, size_t len, struct host_filenr *out, char *err,
		      size_t errlen);

/* ---- /proc/self/mountinfo --------------------------------------------- */

struct host_mount {
	char *mountpoint;   /* octal escapes (\040 ...) decoded */
	char *fstype;       /* after the " - " separator */
	char *source;       /* the device, decoded */
	unsigned major, minor;  /* of the "major:minor" field */
	int readonly;       /* "ro" among the per-mount or superblock options, or
			       "emergency_ro" among the latter */
};

struct host_mounts {
	struct host_mount *mounts;
	size_t n, alloc;
	unsigned bad_lines;
};

/* Never fails; lines without the " - " separator are counted as bad. */
int host_parse_mountinfo(char *text, size_t len, struct host_mounts *out, char *err,
			 size_t errlen);
void host_mounts_release(struct host_mounts *m);

/* Decodes the \ooo octal escapes of mountinfo in place; returns s. */
char *host_unescape_octal(char *s);

#endif
