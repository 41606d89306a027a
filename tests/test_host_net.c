/*
 * test_host_net.c -- the host's network sources: the pure parsers of
 * host_net_proc.c on files captured from a real machine (tests/data/proc/net,
 * tests/data/sys/class/net) and on missing, empty, truncated and malformed
 * input; the emitters of host_net_metrics.c (node_exporter's names, TYPEs,
 * labels and conversions); and the sources through a whole collection of
 * the host collector on those trees and on a tree without them.
 *
 * Fixtures are found through $top_srcdir (exported by the test harness).
 */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "counter.h"
#include "host.h"
#include "host_fixtures.h"
#include "host_net_metrics.h"
#include "host_net_proc.h"
#include "metrics.h"
#include "strutil.h"
#include "xalloc.h"

/* ---- helpers ---------------------------------------------------------- */

/* A parser cuts its text and its results point into it: a literal is
 * parsed from this copy, valid until the next one. */
static char scratch_text[4096];

static char *scratch(const char *literal)
{
	snprintf(scratch_text, sizeof(scratch_text), "%s", literal);
	return scratch_text;
}

/* fn(a copy of literal, its length, ...) */
#define PARSE(fn, literal, ...) fn(scratch(literal), strlen(literal), __VA_ARGS__)

/* The rig with the defaults this file's sources read. */
static void net_rig_start(struct emit_rig *r)
{
	char err[128];
	emit_start(r);
	const struct config_key *k = host_kind.keys;
	while (strcmp(k->name, "netstat_fields") != 0)
		k++;
	assert_int_equal(conf_parse_regex(k->def, &r->conf.netstat_fields, err, sizeof(err)), 0);
	assert_int_equal(conf_parse_regex("^ifb", &r->conf.network_device_exclude, err, sizeof(err)),
			 0);
}

/* The TYPE of family name in the batch, or -1. */
static int type_of(const struct batch *b, const char *name)
{
	for (size_t i = 0; i < b->nfamilies; i++)
		if (strcmp(batch_str(b, b->families[i].name_off), name) == 0)
			return (int)b->families[i].type;
	return -1;
}

/* ---- netstat, snmp, snmp6 --------------------------------------------- */

static void test_netstat(void **state)
{
	struct host_netstat s = { 0 };
	struct buf a, b, c;
	char err[256];
	data_file("proc/net/netstat", &a);
	data_file("proc/net/snmp", &b);
	data_file("proc/net/snmp6", &c);
	assert_int_equal(host_parse_netstat(a.data, a.len, &s, err, sizeof(err)), 0);
	size_t n_netstat = s.n;
	assert_true(n_netstat > 100);
	assert_int_equal(host_parse_netstat(b.data, b.len, &s, err, sizeof(err)), 0);
	assert_int_equal(host_parse_snmp6(c.data, c.len, &s, err, sizeof(err)), 0);
	assert_true(s.n > n_netstat + 90);
	struct emit_rig r;
	net_rig_start(&r);
	struct regex_memo memo = { 0 };
	host_emit_netstat(&r.e, &s, &memo);
	/* the same fields again: the verdicts remembered, the same samples */
	batch_reset(r.batch);
	host_emit_netstat(&r.e, &s, &memo);
	regex_memo_release(&memo);
	double x;
	assert_true(sample(r.batch, &x, "node_netstat_Tcp_ActiveOpens", NULL));
	assert_double_equal(x, 22691);
	assert_true(sample(r.batch, NULL, "node_netstat_Ip6_InOctets", NULL));
	assert_true(sample(r.batch, NULL, "node_netstat_Icmp6_InErrors", NULL));
	assert_true(sample(r.batch, NULL, "node_netstat_TcpExt_ListenDrops", NULL));
	assert_true(sample(r.batch, NULL, "node_netstat_Ip_Forwarding", NULL));
	/* node_exporter's default fields only, untyped, with its HELP */
	assert_false(sample(r.batch, NULL, "node_netstat_Tcp_RtoMin", NULL));
	assert_false(sample(r.batch, NULL, "node_netstat_Ip6_InReceives", NULL));
	assert_int_equal(r.batch->nfamilies, 42); /* the default filter on this machine */
	assert_int_equal(type_of(r.batch, "node_netstat_Tcp_InSegs"), METRIC_UNTYPED);
	emit_stop(&r);
	host_netstat_release(&s);
	buf_release(&a);
	buf_release(&b);
	buf_release(&c);

	/* empty: nothing; a value line missing or shorter, a bad value: failed */
	assert_int_equal(PARSE(host_parse_netstat, "", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(PARSE(host_parse_netstat, "Tcp: A B\n", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "field count mismatch for 'Tcp:'");
	assert_int_equal(PARSE(host_parse_netstat, "Tcp: A B\nTcp: 1\n", &s, err, sizeof(err)), -1);
	assert_int_equal(PARSE(host_parse_netstat, "Tcp: A B\nTcp: 1 x\n", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "invalid value 'x' of Tcp:B");
	/* a header whose protocol is empty (fuzz_proc_net found it) */
	host_netstat_reset(&s);
	assert_int_equal(PARSE(host_parse_netstat, ": A\n: 1\n", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "a header line without its protocol");
	host_netstat_reset(&s);
	assert_int_equal(PARSE(host_parse_netstat, "Tcp: A B\nTcp: 1 -2", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	/* snmp6: lines without a '6' or a value are skipped */
	host_netstat_reset(&s);
	assert_int_equal(PARSE(host_parse_snmp6, "Ip6InReceives 3\nnosix 1\nUdp6InErrors\n\n", &s, err,
			       sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	host_netstat_release(&s);
}

/* ---- sockstat --------------------------------------------------------- */

static void test_sockstat(void **state)
{
	struct host_sockstat s = { 0 };
	struct buf b;
	char err[256];
	data_file("proc/net/sockstat", &b);
	assert_int_equal(host_parse_sockstat(b.data, b.len, &s, err, sizeof(err)), 0);
	assert_true(s.has_used);
	assert_int_equal(s.used, 13);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.protos[0].proto, "TCP");
	buf_release(&b);

	/* mem in pages gives mem_bytes; a key the line lacks gives no series */
	assert_int_equal(PARSE(host_parse_sockstat, "sockets: used 4\nTCP: inuse 5 orphan 0 tw 2 "
			       "alloc 6 mem 17\nFRAG6: inuse 0 memory 0\n", &s, err, sizeof(err)), 0);
	struct emit_rig r;
	net_rig_start(&r);
	host_emit_sockstat(&r.e, &s, 4096);
	double x;
	assert_true(sample(r.batch, &x, "node_sockstat_sockets_used", NULL));
	assert_double_equal(x, 4);
	assert_true(sample(r.batch, &x, "node_sockstat_TCP_mem_bytes", NULL));
	assert_double_equal(x, 17 * 4096);
	assert_true(sample(r.batch, &x, "node_sockstat_TCP_tw", NULL));
	assert_double_equal(x, 2);
	assert_true(sample(r.batch, NULL, "node_sockstat_FRAG6_memory", NULL));
	assert_false(sample(r.batch, NULL, "node_sockstat_FRAG6_mem_bytes", NULL));
	assert_false(sample(r.batch, NULL, "node_sockstat_FRAG6_orphan", NULL));
	assert_int_equal(type_of(r.batch, "node_sockstat_TCP_inuse"), METRIC_GAUGE);
	emit_stop(&r);

	/* an odd count, no pair, no colon, a bad value: failed */
	static const char *const bad[] = { "TCP: inuse\n", "TCP:\n", "TCP inuse 1\n",
					   "TCP: inuse x\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(PARSE(host_parse_sockstat, bad[i], &s, err, sizeof(err)), -1);
	assert_int_equal(PARSE(host_parse_sockstat, "", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	assert_false(s.has_used);
	host_sockstat_release(&s);
}

/* ---- softnet ---------------------------------------------------------- */

static void test_softnet(void **state)
{
	struct host_softnet s = { 0 };
	struct buf b;
	char err[256];
	data_file("proc/net/softnet_stat", &b);
	assert_int_equal(host_parse_softnet(b.data, b.len, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.cpus[0].processed, 0x15b270);
	assert_int_equal(s.cpus[0].time_squeezed, 1);
	assert_int_equal(s.cpus[1].index, 1);
	buf_release(&b);
	struct emit_rig r;
	net_rig_start(&r);
	host_emit_softnet(&r.e, &s);
	double x;
	assert_true(sample(r.batch, &x, "node_softnet_processed_total", "cpu", "0", NULL));
	assert_double_equal(x, 0x15b270);
	assert_true(sample(r.batch, &x, "node_softnet_backlog_len", "cpu", "1", NULL));
	assert_true(sample(r.batch, NULL, "node_softnet_flow_limit_count_total", "cpu", "1", NULL));
	assert_int_equal(type_of(r.batch, "node_softnet_dropped_total"), METRIC_COUNTER);
	assert_int_equal(type_of(r.batch, "node_softnet_backlog_len"), METRIC_GAUGE);
	emit_stop(&r);

	/* an older kernel's 10 columns: the CPU is the line number */
	assert_int_equal(PARSE(host_parse_softnet, "00000010 0 0 0 0 0 0 0 00000002 00000003\n"
			       "00000011 0 0 0 0 0 0 0 0 0\n", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.cpus[1].index, 1);
	assert_int_equal(s.cpus[0].cpu_collision, 2);
	assert_int_equal(s.cpus[0].received_rps, 3);
	/* fewer than 9 columns, a column not hexadecimal: failed */
	assert_int_equal(PARSE(host_parse_softnet, "0 0 0\n", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "3 columns, expected at least 9");
	assert_int_equal(PARSE(host_parse_softnet, "0 0 0 0 0 0 0 0 zz\n", &s, err, sizeof(err)), -1);
	assert_int_equal(PARSE(host_parse_softnet, "", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	host_softnet_release(&s);
}

/* ---- udp_queues, arp, conntrack --------------------------------------- */

static void test_udp_arp_conntrack(void **state)
{
	struct buf b;
	char err[256];
	uint64_t tx, rx;
	data_file("proc/net/udp", &b);
	assert_int_equal(host_parse_udp_queues(b.data, b.len, &tx, &rx, err, sizeof(err)), 0);
	assert_int_equal(tx, 0);
	assert_int_equal(rx, 0x340);
	buf_release(&b);
	assert_int_equal(PARSE(host_parse_udp_queues, "header\n 1: 0100007F:B8A2 0:0 07 00000000\n",
			       &tx, &rx, err, sizeof(err)), -1);
	assert_int_equal(PARSE(host_parse_udp_queues, "", &tx, &rx, err, sizeof(err)), 0);
	assert_int_equal(rx, 0);

	struct host_arp a = { 0 };
	data_file("proc/net/arp", &b);
	assert_int_equal(host_parse_arp(b.data, b.len, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.devices[0].device, "eth0");
	assert_int_equal(a.devices[0].entries, 1);
	buf_release(&b);
	assert_int_equal(PARSE(host_parse_arp, "IP address HW type\n10.0.0.1 0x1 0x2 aa * eth1\n"
			       "10.0.0.2 0x1 0x2 bb * eth1\n10.0.0.3 0x1 0x2 cc * ifb0\nbroken\n",
			       &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.bad_lines, 1);
	struct emit_rig r;
	net_rig_start(&r);
	host_emit_arp(&r.e, &a);
	double x;
	assert_true(sample(r.batch, &x, "node_arp_entries", "device", "eth1", NULL));
	assert_double_equal(x, 2);
	assert_false(sample(r.batch, NULL, "node_arp_entries", "device", "ifb0", NULL)); /* excluded */
	emit_stop(&r);
	host_arp_release(&a);

	struct host_conntrack_stat c;
	data_file("proc/net/stat/nf_conntrack", &b);
	assert_int_equal(host_parse_conntrack_stat(b.data, b.len, &c, err, sizeof(err)), 0);
	buf_release(&b);
	/* two CPUs added up, by position; 16 columns: no search_restart */
	assert_int_equal(PARSE(host_parse_conntrack_stat, "header\n"
			       "0 0 1 0 2 3 0 0 4 5 6 7 0 0 0 0 8\n0 0 1 0 2 3 0 0 4 5 6 7 0 0 0 0\n",
			       &c, err, sizeof(err)), 0);
	assert_int_equal(c.found, 2);
	assert_int_equal(c.invalid, 4);
	assert_int_equal(c.ignore, 6);
	assert_int_equal(c.insert, 8);
	assert_int_equal(c.insert_failed, 10);
	assert_int_equal(c.drop, 12);
	assert_int_equal(c.early_drop, 14);
	assert_int_equal(c.search_restart, 8);
	assert_int_equal(PARSE(host_parse_conntrack_stat, "header\n0 0 0\n", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "3 columns, expected 16 or 17");
	assert_int_equal(PARSE(host_parse_conntrack_stat, "header\n0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 x\n",
			       &c, err, sizeof(err)), -1);
	net_rig_start(&r);
	host_emit_conntrack(&r.e, 3, 262144, &c);
	assert_true(sample(r.batch, &x, "node_nf_conntrack_entries_limit", NULL));
	assert_double_equal(x, 262144);
	assert_true(sample(r.batch, NULL, "node_nf_conntrack_stat_search_restart", NULL));
	assert_int_equal(r.batch->nfamilies, 10);
	emit_stop(&r);
}

/* ---- netclass --------------------------------------------------------- */

static void test_netclass_emit(void **state)
{
	struct emit_rig r;
	net_rig_start(&r);
	struct host_netclass nc = { .device = "eth0" };
	nc.v[HOST_NC_FLAGS] = 0x1003;
	nc.v[HOST_NC_SPEED] = -1;
	nc.v[HOST_NC_MTU] = 1400;
	nc.v[HOST_NC_CARRIER_CHANGES] = 2;
	nc.have = 1u << HOST_NC_FLAGS | 1u << HOST_NC_SPEED | 1u << HOST_NC_MTU |
		  1u << HOST_NC_CARRIER_CHANGES;
	snprintf(nc.text[HOST_NC_OPERSTATE], sizeof(nc.text[HOST_NC_OPERSTATE]), "up");
	snprintf(nc.text[HOST_NC_ADDRESS], sizeof(nc.text[HOST_NC_ADDRESS]), "02:fc:00:00:00:01");
	host_emit_netclass(&r.e, &nc);
	double x;
	assert_true(sample(r.batch, &x, "node_network_up", "device", "eth0", NULL));
	assert_double_equal(x, 1);
	assert_true(sample(r.batch, &x, "node_network_info", "device", "eth0", "adminstate", "up",
			   "operstate", "up", "address", "02:fc:00:00:00:01", "duplex", "", NULL));
	/* an unknown speed (-1 Mbit/s) is served negative, as 1.12 does */
	assert_true(sample(r.batch, &x, "node_network_speed_bytes", "device", "eth0", NULL));
	assert_double_equal(x, -125000);
	assert_true(sample(r.batch, &x, "node_network_flags", "device", "eth0", NULL));
	assert_double_equal(x, 4099);
	assert_int_equal(type_of(r.batch, "node_network_carrier_changes_total"), METRIC_COUNTER);
	assert_false(sample(r.batch, NULL, "node_network_dormant", NULL)); /* not read */
	emit_stop(&r);

	/* flags unknown: adminstate "unknown"; IFF_UP off: "down"; 1 Gbit/s */
	net_rig_start(&r);
	struct host_netclass lo = { .device = "lo" };
	host_emit_netclass(&r.e, &lo);
	assert_true(sample(r.batch, NULL, "node_network_info", "adminstate", "unknown", NULL));
	assert_true(sample(r.batch, &x, "node_network_up", "device", "lo", NULL));
	assert_double_equal(x, 0);
	lo.have = 1u << HOST_NC_FLAGS | 1u << HOST_NC_SPEED;
	lo.v[HOST_NC_FLAGS] = 0x1002;
	lo.v[HOST_NC_SPEED] = 1000;
	lo.device = "eth9";
	host_emit_netclass(&r.e, &lo);
	assert_true(sample(r.batch, NULL, "node_network_info", "device", "eth9", "adminstate", "down",
			   NULL));
	assert_true(sample(r.batch, &x, "node_network_speed_bytes", "device", "eth9", NULL));
	assert_double_equal(x, 125000000);
	emit_stop(&r);
}

/* ---- whole collections ------------------------------------------------ */

struct rig {
	struct config *cfg;
	const struct config_section *section;
	void *host;
	struct batch *batch;
	char err[512];
};

/* A host section with procfs and sysfs at the given trees. */
static void rig_start(struct rig *r, const char *procfs, const char *sysfs)
{
	struct buf errors = BUF_INIT(1 << 16);
	char *text = xasprintf("[host]\nprocfs = %s\nsysfs = %s\nnetwork_device_exclude = ^ifb\n",
			       procfs, sysfs);
	r->cfg = config_load_string(text, strlen(text), "t.ini", &errors);
	free(text);
	if (!r->cfg)
		fail_msg("%s", buf_str(&errors));
	buf_release(&errors);
	r->section = config_find(r->cfg, "host", NULL);
	r->host = host_collector.init(r->section, r->err, sizeof(r->err));
	assert_non_null(r->host);
	r->batch = batch_new();
}

static void rig_collect(struct rig *r)
{
	batch_reset(r->batch);
	host_collector.collect(r->host, r->batch, now_mono_ms() + 10000, r->err, sizeof(r->err));
}

static void rig_stop(struct rig *r)
{
	host_collector.free(r->host);
	batch_free(r->batch);
	config_unref(r->cfg);
}

static double success_of(struct rig *r, const char *collector)
{
	double x = -1;
	sample(r->batch, &x, "node_scrape_collector_success", "collector", collector, NULL);
	return x;
}

static void test_collect_fixtures(void **state)
{
	char *proc = data_dir("proc"), *sys = data_dir("sys");
	struct rig r;
	rig_start(&r, proc, sys);
	rig_collect(&r);
	static const char *const sources[] = { "netstat", "sockstat", "softnet", "udp_queues", "arp",
					       "conntrack", "netclass" };
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		print_message("# %s\n", sources[i]);
		assert_double_equal(success_of(&r, sources[i]), 1);
	}
	double x;
	assert_true(sample(r.batch, &x, "node_netstat_Tcp_ActiveOpens", NULL));
	assert_true(sample(r.batch, NULL, "node_netstat_Udp6_InDatagrams", NULL));
	assert_true(sample(r.batch, &x, "node_sockstat_sockets_used", NULL));
	assert_double_equal(x, 13);
	assert_true(sample(r.batch, NULL, "node_sockstat_TCP6_inuse", NULL));
	assert_false(sample(r.batch, NULL, "node_sockstat_TCP6_mem_bytes", NULL));
	assert_true(sample(r.batch, &x, "node_udp_queues", "queue", "rx", "ip", "v4", NULL));
	assert_double_equal(x, 0x340);
	assert_true(sample(r.batch, NULL, "node_udp_queues", "queue", "tx", "ip", "v6", NULL));
	assert_true(sample(r.batch, &x, "node_arp_entries", "device", "eth0", NULL));
	assert_double_equal(x, 1);
	assert_true(sample(r.batch, &x, "node_nf_conntrack_entries_limit", NULL));
	assert_double_equal(x, 262144);
	assert_true(sample(r.batch, &x, "node_network_speed_bytes", "device", "eth0", NULL));
	assert_double_equal(x, -125000);
	assert_false(sample(r.batch, NULL, "node_network_speed_bytes", "device", "lo", NULL));
	assert_true(sample(r.batch, &x, "node_network_mtu_bytes", "device", "lo", NULL));
	assert_double_equal(x, 65536);
	assert_true(sample(r.batch, NULL, "node_network_info", "device", "lo", "adminstate", "up",
			   "operstate", "unknown", "duplex", "", NULL));
	/* rx_nohandler of the devices of /proc/net/dev that sysfs has */
	assert_true(sample(r.batch, &x, "node_network_receive_nohandler_total", "device", "lo", NULL));
	assert_false(sample(r.batch, NULL, "node_network_receive_nohandler_total", "device", "ifb0",
			    NULL));
	rig_stop(&r);

	/* disable = netclass, arp: nothing of them */
	struct buf errors = BUF_INIT(1 << 16);
	char *text = xasprintf("[host]\nprocfs = %s\nsysfs = %s\ndisable = netclass, arp\n", proc, sys);
	r.cfg = config_load_string(text, strlen(text), "t.ini", &errors);
	free(text);
	assert_non_null(r.cfg);
	buf_release(&errors);
	r.section = config_find(r.cfg, "host", NULL);
	r.host = host_collector.init(r.section, r.err, sizeof(r.err));
	r.batch = batch_new();
	rig_collect(&r);
	assert_false(sample(r.batch, NULL, "node_network_up", NULL));
	assert_false(sample(r.batch, NULL, "node_arp_entries", NULL));
	assert_double_equal(success_of(&r, "arp"), -1);
	rig_stop(&r);
	free(proc);
	free(sys);
}

/* A procfs and sysfs without the network files: netstat, softnet and arp
 * fail (node_exporter's errors), conntrack and udp_queues find nothing
 * (its ErrNoData: success 0 too), sockstat reports nothing, netclass too;
 * none of it fails the collection. */
static void test_collect_missing(void **state)
{
	char dir[] = "/tmp/dbpulse-test-net.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct rig r;
	rig_start(&r, dir, dir);
	rig_collect(&r);
	assert_double_equal(success_of(&r, "netstat"), 0);
	assert_double_equal(success_of(&r, "softnet"), 0);
	assert_double_equal(success_of(&r, "arp"), 0);
	assert_double_equal(success_of(&r, "conntrack"), 0);
	assert_double_equal(success_of(&r, "udp_queues"), 0);
	assert_double_equal(success_of(&r, "sockstat"), 1);
	assert_double_equal(success_of(&r, "netclass"), 0);
	assert_false(sample(r.batch, NULL, "node_nf_conntrack_entries", NULL));
	rig_stop(&r);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netstat),
		cmocka_unit_test(test_sockstat),
		cmocka_unit_test(test_softnet),
		cmocka_unit_test(test_udp_arp_conntrack),
		cmocka_unit_test(test_netclass_emit),
		cmocka_unit_test(test_collect_fixtures),
		cmocka_unit_test(test_collect_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
