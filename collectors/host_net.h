/*
 * host_net.h -- the host collector's network sources beyond /proc/net/dev:
 * netstat, sockstat, softnet, udp_queues, arp, conntrack and netclass
 * (node_exporter's collectors of those names), and netdev's
 * receive_nohandler from sysfs.
 *
 * Internal to the host collector: host.c keeps one struct host_net per
 * instance, lists each source in host_sources[] and calls these on the
 * instance's worker thread.  Each source reads its files under the [host]
 * section's procfs or sysfs, parses them with host_net_proc.c and adds its
 * samples with host_net_metrics.c.
 */
#ifndef DBPULSE_HOST_NET_H
#define DBPULSE_HOST_NET_H

#include <stddef.h>

#include "buf.h"
#include "host_metrics.h"
#include "host_net_metrics.h"
#include "host_net_proc.h"

struct host_net {
	const struct host_config *conf;     /* borrowed */
	struct buf text;                    /* the file being parsed */
	struct buf text6;                   /* the second file (snmp's, sockstat6) */
	struct host_netstat netstat;
	struct host_sockstat sockstat;
	struct host_softnet softnet;
	struct host_arp arp;
	struct regex_memo netstat_memo;     /* netstat_fields on netstat + snmp */
	struct regex_memo snmp6_memo;       /* and on snmp6 */
	long page_size;
};

void host_net_init(struct host_net *n, const struct host_config *conf);
void host_net_release(struct host_net *n);

/* The sources: 0, -1 with err, or HOST_SOURCE_NO_DATA (host_sys.h) when
 * this kernel has none of it (no conntrack module, no IPv4 and IPv6 UDP). */
int host_net_netstat(struct host_net *n, struct host_emit *e, char *err, size_t errlen);
int host_net_sockstat(struct host_net *n, struct host_emit *e, char *err, size_t errlen);
int host_net_softnet(struct host_net *n, struct host_emit *e, char *err, size_t errlen);
int host_net_udp_queues(struct host_net *n, struct host_emit *e, char *err, size_t errlen);
int host_net_arp(struct host_net *n, struct host_emit *e, char *err, size_t errlen);
int host_net_conntrack(struct host_net *n, struct host_emit *e, char *err, size_t errlen);
int host_net_netclass(struct host_net *n, struct host_emit *e, char *err, size_t errlen);

/* node_network_receive_nohandler_total of the devices the netdev source
 * reported (sysfs' statistics/rx_nohandler, what node_exporter reads over
 * netlink): part of the netdev source. */
void host_net_nohandler(struct host_net *n, struct host_emit *e, const struct host_netdevs *d);

#endif
