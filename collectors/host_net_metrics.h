/*
 * host_net_metrics.h -- node_exporter's families of the host's network
 * sources (internal to the host collector; see host_net.h): netstat,
 * sockstat, softnet, udp_queues, arp, conntrack, netclass and netdev's
 * receive_nohandler.  Pure apart from the batch and the counter map, like
 * host_metrics.h.
 */
#ifndef DBPULSE_HOST_NET_METRICS_H
#define DBPULSE_HOST_NET_METRICS_H

#include <stdint.h>

#include "config.h"
#include "host_metrics.h"
#include "host_net_proc.h"

/* node_netstat_<Proto>_<Field> (untyped) of the fields netstat_fields
 * matches; memo keeps the verdicts on the file's fields (they come back
 * in the same order), one per file. */
void host_emit_netstat(struct host_emit *e, const struct host_netstat *s, struct regex_memo *memo);
/* node_sockstat_<PROTO>_<key> (and _mem_bytes, node_sockstat_sockets_used
 * of IPv4); page_size turns mem (pages) into bytes. */
void host_emit_sockstat(struct host_emit *e, const struct host_sockstat *s, long page_size);
/* node_softnet_*{cpu}. */
void host_emit_softnet(struct host_emit *e, const struct host_softnet *s);
/* node_udp_queues{queue,ip}; ip is "v4" or "v6". */
void host_emit_udp_queues(struct host_emit *e, const char *ip, uint64_t tx, uint64_t rx);
/* node_arp_entries{device}, network_device_exclude applied. */
void host_emit_arp(struct host_emit *e, const struct host_arp *a);
/* node_nf_conntrack_entries, _entries_limit and node_nf_conntrack_stat_*. */
void host_emit_conntrack(struct host_emit *e, uint64_t entries, uint64_t limit,
			 const struct host_conntrack_stat *s);

/* One interface of /sys/class/net, as node_exporter's netclass collector
 * reads it: the attributes it found (have), their values, and the text
 * ones ("" when absent). */
enum host_netclass_attr {
	HOST_NC_ADDR_ASSIGN_TYPE, HOST_NC_CARRIER, HOST_NC_CARRIER_CHANGES, HOST_NC_CARRIER_UP,
	HOST_NC_CARRIER_DOWN, HOST_NC_DEV_ID, HOST_NC_DORMANT, HOST_NC_FLAGS, HOST_NC_IFINDEX,
	HOST_NC_IFLINK, HOST_NC_LINK_MODE, HOST_NC_MTU, HOST_NC_NAME_ASSIGN_TYPE,
	HOST_NC_NETDEV_GROUP, HOST_NC_SPEED, HOST_NC_TX_QUEUE_LEN, HOST_NC_TYPE, HOST_NC_NATTRS
};
enum host_netclass_text {
	HOST_NC_ADDRESS, HOST_NC_BROADCAST, HOST_NC_DUPLEX, HOST_NC_OPERSTATE, HOST_NC_IFALIAS,
	HOST_NC_NTEXTS
};
#define HOST_NC_TEXT_MAX 129 /* a sysfs attribute is read with one read of 128 bytes */

struct host_netclass {
	const char *device;
	int64_t v[HOST_NC_NATTRS];
	unsigned have;                              /* bit a: attribute a was read */
	char text[HOST_NC_NTEXTS][HOST_NC_TEXT_MAX];
};

/* The sysfs file of each attribute ("addr_assign_type", ...). */
extern const char *const host_netclass_attr_files[HOST_NC_NATTRS];
extern const char *const host_netclass_text_files[HOST_NC_NTEXTS];

/* node_network_up, node_network_info and node_network_<property> of one
 * interface. */
void host_emit_netclass(struct host_emit *e, const struct host_netclass *nc);
/* node_network_receive_nohandler_total{device}. */
void host_emit_nohandler(struct host_emit *e, const char *device, uint64_t packets);

#endif
