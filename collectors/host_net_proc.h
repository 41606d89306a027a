/*
 * host_net_proc.h -- pure parsers for the host's network sources:
 * /proc/net/netstat and /proc/net/snmp (header and value line pairs),
 * /proc/net/snmp6, /proc/net/sockstat and sockstat6, /proc/net/softnet_stat,
 * /proc/net/udp and udp6 (their queues), /proc/net/arp and
 * /proc/net/stat/nf_conntrack, read as node_exporter 1.12 (through
 * prometheus/procfs) reads them.
 *
 * Same contract as host_proc.h: each parser takes the whole text of one
 * file, which it may modify in place (strings in a result point into it),
 * fills a plain struct and neither does I/O nor logs; a result is reused
 * from one parse to the next (the *_reset is the parser's) and freed with
 * its *_release(); start from a zeroed struct.  Where node_exporter fails
 * the whole collector on a malformed file, the parser returns -1 with the
 * reason; where it skips a line, the line is counted in bad_lines.
 */
#ifndef DBPULSE_HOST_NET_PROC_H
#define DBPULSE_HOST_NET_PROC_H

#include <stddef.h>
#include <stdint.h>

/* ---- /proc/net/netstat, /proc/net/snmp, /proc/net/snmp6 --------------- */

struct host_netstat_field {
	const char *proto;      /* "TcpExt", "Ip6": proto_len bytes, not terminated */
	size_t proto_len;
	const char *name;       /* "ListenDrops", "InReceives" */
	double value;
};

struct host_netstat {
	struct host_netstat_field *fields;
	size_t n, alloc;
};

/* Appends the fields of a netstat or snmp file ("Proto: Name Name ..."
 * then "Proto: value value ..."); -1 when a pair of lines disagrees in
 * length or a value is no number (node_exporter fails the collection). */
int host_parse_netstat(char *text, size_t len, struct host_netstat *out, char *err, size_t errlen);
/* Appends the fields of /proc/net/snmp6 ("Ip6InReceives  143": the
 * protocol runs to the first '6'); lines without a '6' or a value are
 * skipped, as node_exporter does. */
int host_parse_snmp6(char *text, size_t len, struct host_netstat *out, char *err, size_t errlen);
void host_netstat_reset(struct host_netstat *s);
void host_netstat_release(struct host_netstat *s);

/* ---- /proc/net/sockstat, sockstat6 ------------------------------------ */

enum host_sockstat_key {
	HOST_SOCK_INUSE, HOST_SOCK_ORPHAN, HOST_SOCK_TW, HOST_SOCK_ALLOC, HOST_SOCK_MEM,
	HOST_SOCK_MEMORY, HOST_SOCK_NKEYS
};

struct host_sockstat_proto {
	const char *proto;             /* "TCP", "UDP6" */
	int64_t v[HOST_SOCK_NKEYS];
	unsigned have;                 /* bit k: key k was in the line */
};

struct host_sockstat {
	int has_used;                  /* "sockets: used N" (IPv4 only) */
	int64_t used;
	struct host_sockstat_proto *protos;
	size_t n, alloc;
};

/* The file's lines ("TCP: inuse 1 orphan 0 ..."); -1 for a line without a
 * key/value pair, an odd count or a value that is no number. */
int host_parse_sockstat(char *text, size_t len, struct host_sockstat *out, char *err,
			size_t errlen);
void host_sockstat_release(struct host_sockstat *s);
extern const char *const host_sockstat_key_names[HOST_SOCK_NKEYS]; /* "inuse" ... */

/* ---- /proc/net/softnet_stat ------------------------------------------- */

struct host_softnet_cpu {
	uint32_t index;                /* the CPU (its column on Linux 5.10+, else the line) */
	uint32_t processed, dropped, time_squeezed, cpu_collision, received_rps,
		flow_limit_count, backlog_len;
};

struct host_softnet {
	struct host_softnet_cpu *cpus;
	size_t n, alloc;
};

/* One line per CPU of hexadecimal columns; -1 for a line of fewer than 9
 * or a column that is not hexadecimal. */
int host_parse_softnet(char *text, size_t len, struct host_softnet *out, char *err,
		       size_t errlen);
void host_softnet_release(struct host_softnet *s);

/* ---- /proc/net/udp, udp6: the queues ---------------------------------- */

/* The tx_queue and rx_queue columns of every socket, added up; -1 for a
 * socket line of fewer than 13 columns or queues that do not parse. */
int host_parse_udp_queues(char *text, size_t len, uint64_t *tx, uint64_t *rx, char *err,
			  size_t errlen);

/* ---- /proc/net/arp ---------------------------------------------------- */

struct host_arp_device {
	const char *device;
	uint32_t entries;
};

struct host_arp {
	struct host_arp_device *devices;
	size_t n, alloc;
	unsigned bad_lines;
};

/* Entries per device (the last column), in order of first appearance. */
int host_parse_arp(char *text, size_t len, struct host_arp *out, char *err, size_t errlen);
void host_arp_release(struct host_arp *a);

/* ---- /proc/net/stat/nf_conntrack -------------------------------------- */

struct host_conntrack_stat {
	uint64_t found, invalid, ignore, insert, insert_failed, drop, early_drop, search_restart;
};

/* Every CPU's line added up (columns by position, as procfs reads them:
 * 16 or 17 hexadecimal columns after the header); -1 otherwise. */
int host_parse_conntrack_stat(char *text, size_t len, struct host_conntrack_stat *out,
			      char *err, size_t errlen);

#endif
