/*
 * host_net_metrics.c -- node_exporter's network families from parsed data
 * (see host_net_metrics.h): names, HELP, TYPE and labels as node_exporter
 * 1.12 has them.  Called on the [host] target's worker thread.
 */
#include "autoconfig.h"
#include "host_net_metrics.h"
#include "host.h"
#include "metrics.h"

#include <stdio.h>
#include <string.h>
#include "banned.h"

/* ---- netstat ---------------------------------------------------------- */

void host_emit_netstat(struct host_emit *e, const struct host_netstat *s, struct regex_memo *memo)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct host_netstat_field *f = &s->fields[i];
		char key[160], name[200], help[200];
		/* "Proto_Field", put together by hand: this runs for every one of
		 * the files' ~400 fields each collection, matched or not */
		size_t nlen = strlen(f->name);
		if (f->proto_len + 1 + nlen >= sizeof(key))
			continue;
		memcpy(key, f->proto, f->proto_len);
		key[f->proto_len] = '_';
		memcpy(key + f->proto_len + 1, f->name, nlen + 1);
		if (!regex_memo_match(memo, &e->conf->netstat_fields, i, key))
			continue;
		snprintf(name, sizeof(name), "node_netstat_%s", key);
		snprintf(help, sizeof(help), "Statistic %.*s%s.", (int)f->proto_len, f->proto, f->name);
		batch_add_named(e->batch, name, help, METRIC_UNTYPED, f->value, NULL);
	}
}

/* ---- sockstat --------------------------------------------------------- */

static const struct metric_desc sockets_used = {
	"node_sockstat_sockets_used", "Number of IPv4 sockets in use.", METRIC_GAUGE,
};

static void sockstat_one(struct host_emit *e, const char *proto, const char *key, double v)
{
	char name[160], help[200];
	snprintf(name, sizeof(name), "node_sockstat_%s_%s", proto, key);
	snprintf(help, sizeof(help), "Number of %s sockets in state %s.", proto, key);
	batch_add_named(e->batch, name, help, METRIC_GAUGE, v, NULL);
}

void host_emit_sockstat(struct host_emit *e, const struct host_sockstat *s, long page_size)
{
	if (s->has_used)
		batch_add(e->batch, &sockets_used, (double)s->used, NULL);
	for (size_t i = 0; i < s->n; i++) {
		const struct host_sockstat_proto *p = &s->protos[i];
		for (int k = 0; k < HOST_SOCK_NKEYS; k++)
			if (p->have & (1u << k))
				sockstat_one(e, p->proto, host_sockstat_key_names[k], (double)p->v[k]);
		if (p->have & (1u << HOST_SOCK_MEM))
			sockstat_one(e, p->proto, "mem_bytes", (double)p->v[HOST_SOCK_MEM] * (double)page_size);
	}
}

/* ---- softnet ---------------------------------------------------------- */

void host_emit_softnet(struct host_emit *e, const struct host_softnet *s)
{
	static const struct counter_policy wraps32 = { .wrap_bits = 32 };
	static const struct {
		const char *name, *help;
		size_t offset;
	} counters[] = {
		{ "node_softnet_processed_total", "Number of processed packets",
		  offsetof(struct host_softnet_cpu, processed) },
		{ "node_softnet_dropped_total", "Number of dropped packets",
		  offsetof(struct host_softnet_cpu, dropped) },
		{ "node_softnet_times_squeezed_total", "Number of times processing packets ran out of quota",
		  offsetof(struct host_softnet_cpu, time_squeezed) },
		{ "node_softnet_cpu_collision_total",
		  "Number of collision occur while obtaining device lock while transmitting",
		  offsetof(struct host_softnet_cpu, cpu_collision) },
		{ "node_softnet_received_rps_total", "Number of times cpu woken up received_rps",
		  offsetof(struct host_softnet_cpu, received_rps) },
		{ "node_softnet_flow_limit_count_total", "Number of times flow limit has been reached",
		  offsetof(struct host_softnet_cpu, flow_limit_count) },
	};
	static const struct metric_desc backlog = {
		"node_softnet_backlog_len", "Softnet backlog status", METRIC_GAUGE,
	};
	for (size_t i = 0; i < s->n; i++) {
		const struct host_softnet_cpu *c = &s->cpus[i];
		char cpu[16];
		snprintf(cpu, sizeof(cpu), "%u", c->index);
		const char *const labels[] = { "cpu", cpu };
		for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++) {
			uint32_t raw;
			memcpy(&raw, (const char *)c + counters[k].offset, sizeof(raw));
			host_counter(e, counters[k].name, counters[k].help, raw, 1, 1, &wraps32, labels, 1);
		}
		batch_add(e->batch, &backlog, (double)c->backlog_len, "cpu", cpu, NULL);
	}
}

/* ---- udp_queues, arp, conntrack -------------------------------------- */

void host_emit_udp_queues(struct host_emit *e, const char *ip, uint64_t tx, uint64_t rx)
{
	static const struct metric_desc queues = {
		"node_udp_queues", "Number of allocated memory in the kernel for UDP datagrams in bytes.",
		METRIC_GAUGE,
	};
	batch_add(e->batch, &queues, (double)tx, "queue", "tx", "ip", ip, NULL);
	batch_add(e->batch, &queues, (double)rx, "queue", "rx", "ip", ip, NULL);
}

void host_emit_arp(struct host_emit *e, const struct host_arp *a)
{
	static const struct metric_desc entries = {
		"node_arp_entries", "ARP entries by device", METRIC_GAUGE,
	};
	for (size_t i = 0; i < a->n; i++)
		if (!conf_regex_match(&e->conf->network_device_exclude, a->devices[i].device))
			batch_add(e->batch, &entries, (double)a->devices[i].entries, "device",
				  a->devices[i].device, NULL);
}

void host_emit_conntrack(struct host_emit *e, uint64_t entries, uint64_t limit,
			 const struct host_conntrack_stat *s)
{
	static const struct metric_desc current = {
		"node_nf_conntrack_entries",
		"Number of currently allocated flow entries for connection tracking.", METRIC_GAUGE,
	};
	static const struct metric_desc max = {
		"node_nf_conntrack_entries_limit", "Maximum size of connection tracking table.",
		METRIC_GAUGE,
	};
	batch_add(e->batch, &current, (double)entries, NULL);
	batch_add(e->batch, &max, (double)limit, NULL);
	const struct {
		struct metric_desc d;
		uint64_t v;
	} stats[] = {
		{ { "node_nf_conntrack_stat_found", "Number of searched entries which were successful.",
		    METRIC_GAUGE }, s->found },
		{ { "node_nf_conntrack_stat_invalid", "Number of packets seen which can not be tracked.",
		    METRIC_GAUGE }, s->invalid },
		{ { "node_nf_conntrack_stat_ignore",
		    "Number of packets seen which are already connected to a conntrack entry.",
		    METRIC_GAUGE }, s->ignore },
		{ { "node_nf_conntrack_stat_insert", "Number of entries inserted into the list.",
		    METRIC_GAUGE }, s->insert },
		{ { "node_nf_conntrack_stat_insert_failed",
		    "Number of entries for which list insertion was attempted but failed.",
		    METRIC_GAUGE }, s->insert_failed },
		{ { "node_nf_conntrack_stat_drop", "Number of packets dropped due to conntrack failure.",
		    METRIC_GAUGE }, s->drop },
		{ { "node_nf_conntrack_stat_early_drop",
		    "Number of dropped conntrack entries to make room for new ones, if maximum table "
		    "size was reached.", METRIC_GAUGE }, s->early_drop },
		{ { "node_nf_conntrack_stat_search_restart",
		    "Number of conntrack table lookups which had to be restarted due to hashtable "
		    "resizes.", METRIC_GAUGE }, s->search_restart },
	};
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		batch_add(e->batch, &stats[i].d, (double)stats[i].v, NULL);
}

/* ---- netclass, nohandler ---------------------------------------------- */

const char *const host_netclass_attr_files[HOST_NC_NATTRS] = {
	"addr_assign_type", "carrier", "carrier_changes", "carrier_up_count", "carrier_down_count",
	"dev_id", "dormant", "flags", "ifindex", "iflink", "link_mode", "mtu", "name_assign_type",
	"netdev_group", "speed", "tx_queue_len", "type",
};

const char *const host_netclass_text_files[HOST_NC_NTEXTS] = {
	"address", "broadcast", "duplex", "operstate", "ifalias",
};

/* The families of the numeric attributes, in node_exporter's order. */
static const struct {
	enum host_netclass_attr attr;
	const char *property;        /* node_network_<property> */
	int counter;
} netclass_properties[] = {
	{ HOST_NC_ADDR_ASSIGN_TYPE, "address_assign_type", 0 },
	{ HOST_NC_CARRIER, "carrier", 0 },
	{ HOST_NC_CARRIER_CHANGES, "carrier_changes_total", 1 },
	{ HOST_NC_CARRIER_UP, "carrier_up_changes_total", 1 },
	{ HOST_NC_CARRIER_DOWN, "carrier_down_changes_total", 1 },
	{ HOST_NC_DEV_ID, "device_id", 0 },
	{ HOST_NC_DORMANT, "dormant", 0 },
	{ HOST_NC_FLAGS, "flags", 0 },
	{ HOST_NC_IFINDEX, "iface_id", 0 },
	{ HOST_NC_IFLINK, "iface_link", 0 },
	{ HOST_NC_LINK_MODE, "iface_link_mode", 0 },
	{ HOST_NC_MTU, "mtu_bytes", 0 },
	{ HOST_NC_NAME_ASSIGN_TYPE, "name_assign_type", 0 },
	{ HOST_NC_NETDEV_GROUP, "net_dev_group", 0 },
	{ HOST_NC_SPEED, "speed_bytes", 0 },
	{ HOST_NC_TX_QUEUE_LEN, "transmit_queue_length", 0 },
	{ HOST_NC_TYPE, "protocol_type", 0 },
};

/* node_exporter's getAdminState: the IFF_UP bit of flags. */
static const char *admin_state(const struct host_netclass *nc)
{
	if (!(nc->have & (1u << HOST_NC_FLAGS)))
		return "unknown";
	return (nc->v[HOST_NC_FLAGS] & 1) == 1 ? "up" : "down";
}

void host_emit_netclass(struct host_emit *e, const struct host_netclass *nc)
{
	static const struct metric_desc up = {
		"node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.", METRIC_GAUGE,
	};
	static const struct metric_desc info = {
		"node_network_info", "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
		METRIC_GAUGE,
	};
	batch_add(e->batch, &up, strcmp(nc->text[HOST_NC_OPERSTATE], "up") == 0, "device",
		  nc->device, NULL);
	batch_add(e->batch, &info, 1, "device", nc->device, "address", nc->text[HOST_NC_ADDRESS],
		  "broadcast", nc->text[HOST_NC_BROADCAST], "duplex", nc->text[HOST_NC_DUPLEX],
		  "operstate", nc->text[HOST_NC_OPERSTATE], "adminstate", admin_state(nc), "ifalias",
		  nc->text[HOST_NC_IFALIAS], NULL);
	const char *const labels[] = { "device", nc->device };
	for (size_t i = 0; i < sizeof(netclass_properties) / sizeof(netclass_properties[0]); i++) {
		enum host_netclass_attr a = netclass_properties[i].attr;
		if (!(nc->have & (1u << a)))
			continue;
		char name[96], help[96];
		snprintf(name, sizeof(name), "node_network_%s", netclass_properties[i].property);
		snprintf(help, sizeof(help), "Network device property: %s",
			 netclass_properties[i].property);
		double v = (double)nc->v[a];
		if (a == HOST_NC_SPEED) { /* Mbit/s, in whole bytes as 1.12 computes it; -1
					   * (unknown) stays negative */
			int64_t bytes = nc->v[a] * 1000 * 1000 / 8;
			v = (double)bytes;
		}
		if (!netclass_properties[i].counter)
			batch_addv(e->batch, name, help, METRIC_GAUGE, v, labels, 1);
		else if (nc->v[a] >= 0)
			host_counter(e, name, help, (uint64_t)nc->v[a], 1, 1, NULL, labels, 1);
	}
}

void host_emit_nohandler(struct host_emit *e, const char *device, uint64_t packets)
{
	const char *const labels[] = { "device", device };
	host_counter(e, "node_network_receive_nohandler_total",
		     "Network device statistic receive_nohandler.", packets, 1, 1, NULL, labels, 1);
}
