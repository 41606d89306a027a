/*
 * fuzz_proc_net.c -- the parsers of the host's network sources
 * (collectors/host_net_proc.c): the first byte picks one, the rest is its
 * input.
 *
 *   0  /proc/net/netstat, snmp   host_parse_netstat (into a reset result)
 *   1  /proc/net/snmp6           host_parse_snmp6
 *   2  /proc/net/sockstat        host_parse_sockstat
 *   3  /proc/net/softnet_stat    host_parse_softnet
 *   4  /proc/net/udp             host_parse_udp_queues
 *   5  /proc/net/arp             host_parse_arp
 *   6  nf_conntrack statistics   host_parse_conntrack_stat
 *
 * Properties (see fuzz_proc.h): no crash, leak or UB; -1 only with a
 * reason; a result parsed into again equals a fresh one; names point into
 * the text; netstat's protocols are followed by their field.
 */
#include "autoconfig.h"

#include <inttypes.h>

#include "fuzz_proc.h"
#include "host_net_proc.h"

/* ---- netstat, snmp6 --------------------------------------------------- */

static int netstat_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	host_netstat_reset(out);
	return host_parse_netstat(text, len, out, err, errlen);
}

static int snmp6_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	host_netstat_reset(out);
	return host_parse_snmp6(text, len, out, err, errlen);
}

static void netstat_dump(const void *res, struct buf *out)
{
	const struct host_netstat *s = res;
	for (size_t i = 0; i < s->n; i++)
		buf_printf(out, " %.*s_%s=%a", (int)s->fields[i].proto_len, s->fields[i].proto,
			   s->fields[i].name, s->fields[i].value);
}

static void netstat_release(void *res)
{
	host_netstat_release(res);
}

static void netstat_check(const void *res, int rc)
{
	const struct host_netstat *s = res;
	for (size_t i = 0; rc == 0 && i < s->n; i++)
		FUZZ_CHECK(s->fields[i].proto_len > 0 && s->fields[i].name, "field %zu", i);
}

/* ---- sockstat, softnet, arp --------------------------------------------- */

static int sockstat_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_sockstat(text, len, out, err, errlen);
}

static void sockstat_dump(const void *res, struct buf *out)
{
	const struct host_sockstat *s = res;
	buf_printf(out, "used=%d,%" PRId64, s->has_used, s->used);
	for (size_t i = 0; i < s->n; i++) {
		buf_printf(out, " %s:%x", s->protos[i].proto, s->protos[i].have);
		for (int k = 0; k < HOST_SOCK_NKEYS; k++)
			buf_printf(out, ",%" PRId64, s->protos[i].v[k]);
	}
}

static void sockstat_release(void *res)
{
	host_sockstat_release(res);
}

static int softnet_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_softnet(text, len, out, err, errlen);
}

static void softnet_dump(const void *res, struct buf *out)
{
	const struct host_softnet *s = res;
	for (size_t i = 0; i < s->n; i++) {
		const struct host_softnet_cpu *c = &s->cpus[i];
		buf_printf(out, " %u:%u,%u,%u,%u,%u,%u,%u", c->index, c->processed, c->dropped,
			   c->time_squeezed, c->cpu_collision, c->received_rps, c->flow_limit_count,
			   c->backlog_len);
	}
}

static void softnet_release(void *res)
{
	host_softnet_release(res);
}

static int arp_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_arp(text, len, out, err, errlen);
}

static void arp_dump(const void *res, struct buf *out)
{
	const struct host_arp *a = res;
	buf_printf(out, "bad=%u", a->bad_lines);
	for (size_t i = 0; i < a->n; i++)
		buf_printf(out, " %s=%u", a->devices[i].device, a->devices[i].entries);
}

static void arp_release(void *res)
{
	host_arp_release(res);
}

/* ---- udp queues, conntrack (a plain result) ----------------------------- */

struct udp_result {
	uint64_t tx, rx;
};

static int udp_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	struct udp_result *u = out;
	return host_parse_udp_queues(text, len, &u->tx, &u->rx, err, errlen);
}

static void udp_dump(const void *res, struct buf *out)
{
	const struct udp_result *u = res;
	buf_printf(out, "%" PRIu64 " %" PRIu64, u->tx, u->rx);
}

static int conntrack_parse(char *text, size_t len, void *out, char *err, size_t errlen)
{
	return host_parse_conntrack_stat(text, len, out, err, errlen);
}

static void conntrack_dump(const void *res, struct buf *out)
{
	const struct host_conntrack_stat *c = res;
	buf_printf(out, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		   " %" PRIu64 " %" PRIu64, c->found, c->invalid, c->ignore, c->insert,
		   c->insert_failed, c->drop, c->early_drop, c->search_restart);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint8_t which = data[0] % 7;
	data++;
	size--;
	switch (which) {
	case 0:
	case 1: {
		static const struct fuzz_proc netstat = { netstat_parse, netstat_dump, netstat_release,
							  netstat_check };
		static const struct fuzz_proc snmp6 = { snmp6_parse, netstat_dump, netstat_release,
							netstat_check };
		struct host_netstat fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(which == 0 ? &netstat : &snmp6, &fresh, &reused, data, size);
		break;
	}
	case 2: {
		static const struct fuzz_proc p = { sockstat_parse, sockstat_dump, sockstat_release, NULL };
		struct host_sockstat fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(&p, &fresh, &reused, data, size);
		break;
	}
	case 3: {
		static const struct fuzz_proc p = { softnet_parse, softnet_dump, softnet_release, NULL };
		struct host_softnet fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(&p, &fresh, &reused, data, size);
		break;
	}
	case 4: {
		static const struct fuzz_proc p = { udp_parse, udp_dump, NULL, NULL };
		struct udp_result fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(&p, &fresh, &reused, data, size);
		break;
	}
	case 5: {
		static const struct fuzz_proc p = { arp_parse, arp_dump, arp_release, NULL };
		struct host_arp fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(&p, &fresh, &reused, data, size);
		break;
	}
	default: {
		static const struct fuzz_proc p = { conntrack_parse, conntrack_dump, NULL, NULL };
		struct host_conntrack_stat fresh = { 0 }, reused = { 0 };
		fuzz_proc_run(&p, &fresh, &reused, data, size);
		break;
	}
	}
	return 0;
}
