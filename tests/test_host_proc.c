/*
 * test_host_proc.c -- the host collector's /proc parsers against files
 * captured from a real machine (tests/data/proc, laid out like /proc) and
 * against broken input (table-driven), meminfo naming, and the counter
 * policies of the host's counters.  Whole collections are in test_host.c.
 *
 * Fixtures are found through $top_srcdir (exported by the test harness;
 * "." otherwise).
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "counter.h"
#include "host.h"
#include "host_fixtures.h"
#include "host_fs.h"
#include "host_metrics.h"
#include "host_proc.h"
#include "log.h"
#include "metrics.h"
#include "strutil.h"
#include "xalloc.h"


/* ---- fixtures ---------------------------------------------------------- */


/* Reads tests/data/proc/<rel> into b. */
static void fixture(const char *rel, struct buf *b)
{
	char *dir = fixture_dir();
	char *path = xasprintf("%s/%s", dir, rel);
	buf_init(b, (size_t)1 << 20);
	if (read_file(path, b) < 0)
		fail_msg("cannot read fixture '%s': %s", path, strerror(errno));
	free(path);
	free(dir);
}

/* ---- parsers on broken and unusual input (table-driven) --------------- */

/* Each parser's result as one line of text, so that a case is one row. */

static void dump_stat(char *t, size_t len, struct buf *out)
{
	struct host_stat s = { 0 };
	char err[128];
	int rc = host_parse_stat(t, len, &s, err, sizeof(err));
	buf_printf(out, "rc=%d bad=%u", rc, s.bad_lines);
	for (size_t i = 0; i < s.ncpus; i++) {
		buf_printf(out, " cpu%u:", s.cpus[i].id);
		for (unsigned m = 0; m < s.cpus[i].nmodes; m++)
			buf_printf(out, "%s%" PRIu64, m ? "," : "", s.cpus[i].ticks[m]);
	}
	if (s.have & HOST_STAT_CTXT)
		buf_printf(out, " ctxt=%" PRIu64, s.ctxt);
	if (s.have & HOST_STAT_BTIME)
		buf_printf(out, " btime=%" PRIu64, s.btime);
	if (s.have & HOST_STAT_INTR)
		buf_printf(out, " intr=%" PRIu64, s.intr);
	host_stat_release(&s);
}

static void dump_meminfo(char *t, size_t len, struct buf *out)
{
	struct host_meminfo m = { 0 };
	char err[128];
	int rc = host_parse_meminfo(t, len, &m, err, sizeof(err));
	buf_printf(out, "rc=%d bad=%u", rc, m.bad_lines);
	for (size_t i = 0; i < m.n; i++)
		buf_printf(out, " %s=%" PRIu64 "%s", m.fields[i].name, m.fields[i].value,
			   m.fields[i].kb ? "kB" : "");
	host_meminfo_release(&m);
}

static void dump_loadavg(char *t, size_t len, struct buf *out)
{
	struct host_loadavg l;
	char err[128];
	int rc = host_parse_loadavg(t, len, &l, err, sizeof(err));
	buf_printf(out, "rc=%d", rc);
	if (rc == 0)
		buf_printf(out, " %g %g %g", l.load1, l.load5, l.load15);
}

static void dump_filenr(char *t, size_t len, struct buf *out)
{
	struct host_filenr f;
	char err[128];
	int rc = host_parse_filenr(t, len, &f, err, sizeof(err));
	buf_printf(out, "rc=%d", rc);
	if (rc == 0)
		buf_printf(out, " %" PRIu64 " %" PRIu64 " %" PRIu64, f.allocated, f.unused, f.max);
}

/* A disk as name(major:minor)/fields:first,last,past-the-end. */
static void dump_diskstats(char *t, size_t len, struct buf *out)
{
	struct host_disks d = { 0 };
	char err[128];
	int rc = host_parse_diskstats(t, len, &d, err, sizeof(err));
	buf_printf(out, "rc=%d bad=%u", rc, d.bad_lines);
	for (size_t i = 0; i < d.n; i++) {
		const struct host_disk *k = &d.disks[i];
		buf_printf(out, " %s(%u:%u)/%u:%" PRIu64 ",%" PRIu64 ",%" PRIu64, k->name, k->major,
			   k->minor, k->nfields, k->f[0], k->f[k->nfields - 1],
			   k->f[HOST_DISK_NFIELDS - 1]);
	}
	host_disks_release(&d);
}

/* A device as name:rx_bytes,...,tx_compressed (first and last columns). */
static void dump_netdev(char *t, size_t len, struct buf *out)
{
	struct host_netdevs n = { 0 };
	char err[128];
	int rc = host_parse_netdev(t, len, &n, err, sizeof(err));
	buf_printf(out, "rc=%d bad=%u", rc, n.bad_lines);
	for (size_t i = 0; i < n.n; i++)
		buf_printf(out, " %s:%" PRIu64 ",%" PRIu64, n.devs[i].name,
			   n.devs[i].f[HOST_NET_RX_BYTES], n.devs[i].f[HOST_NET_TX_COMPRESSED]);
	host_netdevs_release(&n);
}

static void dump_pressure(char *t, size_t len, struct buf *out)
{
	struct host_pressure p;
	char err[128];
	int rc = host_parse_pressure(t, len, &p, err, sizeof(err));
	buf_printf(out, "rc=%d bad=%u", rc, p.bad_lines);
	if (p.have_some)
		buf_printf(out, " some=%" PRIu64, p.some_total);
	if (p.have_full)
		buf_printf(out, " full=%" PRIu64, p.full_total);
}

/* A mount as [mountpoint|fstype|source] with "ro" after it when read-only,
 * and " M:m" when its device numbers are not 0:1. */
static void dump_mountinfo(char *t, size_t len, struct buf *out)
{
	struct host_mounts m = { 0 };
	char err[128];
	int rc = host_parse_mountinfo(t, len, &m, err, sizeof(err));
	buf_printf(out, "rc=%d bad=%u", rc, m.bad_lines);
	for (size_t i = 0; i < m.n; i++) {
		buf_printf(out, " [%s|%s|%s]%s", m.mounts[i].mountpoint, m.mounts[i].fstype,
			   m.mounts[i].source, m.mounts[i].readonly ? "ro" : "");
		if (m.mounts[i].major != 0 || m.mounts[i].minor != 1)
			buf_printf(out, " %u:%u", m.mounts[i].major, m.mounts[i].minor);
	}
	host_mounts_release(&m);
}

#define NET_16 "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16"
#define DISK_11 "1 2 3 4 5 6 7 8 9 10 11"

static const struct {
	void (*dump)(char *text, size_t len, struct buf *out);
	const char *in, *want;
} edge_cases[] = {
	/* /proc/stat */
	{ dump_stat, "", "rc=-1 bad=0" },
	{ dump_stat, "cpu  1 2 3 4 5\n", "rc=-1 bad=0" },
	{ dump_stat, "cpu0 1 2 3 4\n", "rc=0 bad=0 cpu0:1,2,3,4" },
	{ dump_stat, "cpu3 1 2 3 4 5 6 7 8 9 10 11 12\n", "rc=0 bad=0 cpu3:1,2,3,4,5,6,7,8,9,10" },
	{ dump_stat, "cpu0 1 x 3 4\ncpu1 1 2 3 4\nctxt 7\n", "rc=0 bad=1 cpu1:1,2,3,4 ctxt=7" },
	{ dump_stat, "cpu0 1 2 3\nctxt 9\n", "rc=0 bad=1 ctxt=9" },
	{ dump_stat, "cpu0 1 2 3 4 5\nbtime 12", "rc=0 bad=0 cpu0:1,2,3,4,5 btime=12" },
	{ dump_stat, "cpu0 1 2 3 4\nctxt abc\nbtime\n", "rc=0 bad=2 cpu0:1,2,3,4" },
	{ dump_stat, "cpufreq 1 2\nintr 1 2 3\n  ctxt 5 6\n", "rc=0 bad=0 ctxt=5 intr=1" },
	{ dump_stat, "cpu0 1 2 3 4\nintr\nintr x 1\n", "rc=0 bad=2 cpu0:1,2,3,4" },
	{ dump_stat, "cpu0 1 2 3 4\ncpu1 1 2", "rc=0 bad=1 cpu0:1,2,3,4" },
	{ dump_stat, "cpux 1 2 3 4\n", "rc=-1 bad=0" },
	/* /proc/meminfo */
	{ dump_meminfo, "", "rc=-1 bad=0" },
	{ dump_meminfo, "Active(anon):   7 kB\nHugePages_Total:  5\n",
	  "rc=0 bad=0 Active_anon=7kB HugePages_Total=5" },
	{ dump_meminfo, "Weird.Name-x:  3 kB\n", "rc=0 bad=0 Weird_Name_x=3kB" },
	{ dump_meminfo, "MemTotal: 1 kB\nMemFree: 9 kB", "rc=0 bad=0 MemTotal=1kB MemFree=9kB" },
	{ dump_meminfo, "MemTotal: 1 kB extra\n", "rc=0 bad=0 MemTotal=1kB" },
	{ dump_meminfo, "Foo: 1 MB\nBad: x kB\nEmpty:\ngarbage\n : 3\nGood: 2\n",
	  "rc=0 bad=5 Good=2" },
	/* /proc/loadavg and /proc/sys/fs/file-nr */
	{ dump_loadavg, "", "rc=-1" },
	{ dump_loadavg, "0.5 1.25 3 1/2 3\n", "rc=0 0.5 1.25 3" },
	{ dump_loadavg, "0.5 1.25 3", "rc=0 0.5 1.25 3" },
	{ dump_loadavg, "0.5 1.25\n", "rc=-1" },
	{ dump_loadavg, "a b c\n", "rc=-1" },
	{ dump_filenr, "", "rc=-1" },
	{ dump_filenr, "1\t0\t9", "rc=0 1 0 9" },
	{ dump_filenr, "1 0 9 4\n", "rc=0 1 0 9" },
	{ dump_filenr, "1 0\n", "rc=-1" },
	{ dump_filenr, "1 x 9\n", "rc=-1" },
	/* /proc/diskstats */
	{ dump_diskstats, "", "rc=0 bad=0" },
	{ dump_diskstats, "8 0 sda " DISK_11 "\n", "rc=0 bad=0 sda(8:0)/11:1,11,0" },
	{ dump_diskstats, "8 0 sda " DISK_11 " 12 13 14 15\n", "rc=0 bad=0 sda(8:0)/15:1,15,0" },
	{ dump_diskstats, "8 0 sda " DISK_11 " 12 13 14 15 16 17\n",
	  "rc=0 bad=0 sda(8:0)/17:1,17,17" },
	{ dump_diskstats, "8 0 sda " DISK_11 " 12 13 14 15 16 17 18 19\n",
	  "rc=0 bad=0 sda(8:0)/17:1,17,17" },
	{ dump_diskstats, "8 0 sda " DISK_11 " 12 13\n", "rc=0 bad=0 sda(8:0)/11:1,11,0" },
	{ dump_diskstats, "8 1 sda1 1 2 3 4\n259 0 nvme0n1 " DISK_11,
	  "rc=0 bad=1 nvme0n1(259:0)/11:1,11,0" },
	{ dump_diskstats, "8 0 sda 1 2 x 4 5 6 7 8 9 10 11\nx 0 sdb " DISK_11 "\n", "rc=0 bad=2" },
	/* /proc/net/dev */
	{ dump_netdev, "", "rc=0 bad=0" },
	{ dump_netdev, NET_HEADER, "rc=0 bad=0" },
	{ dump_netdev, NET_HEADER "  eth0:1234 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	  "rc=0 bad=0 eth0:1234,16" },
	{ dump_netdev, NET_HEADER "lo: " NET_16 " 17\n", "rc=0 bad=0 lo:1,16" },
	{ dump_netdev, NET_HEADER "lo: 1 x 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "rc=0 bad=1" },
	{ dump_netdev, NET_HEADER "lo: 1 2 3\nab: " NET_16, "rc=0 bad=1 ab:1,16" },
	{ dump_netdev, NET_HEADER "garbage\n  : " NET_16 "\n", "rc=0 bad=2" },
	/* /proc/pressure/{cpu,memory,io} */
	{ dump_pressure, "", "rc=-1 bad=0" },
	{ dump_pressure, "some avg10=0.00 avg60=0.00 avg300=0.00 total=12\n", "rc=0 bad=0 some=12" },
	{ dump_pressure, "some avg10=1.00 total=5\nfull avg10=0.0 total=7", "rc=0 bad=0 some=5 full=7" },
	{ dump_pressure, "some avg10=1.00 avg60=2.00\n", "rc=-1 bad=1" },
	{ dump_pressure, "some total=3\nfull total=x\n", "rc=0 bad=1 some=3" },
	{ dump_pressure, "some avg10=1 total=4 future=9\nnew total=1\n", "rc=0 bad=0 some=4" },
	/* /proc/self/mountinfo */
	{ dump_mountinfo, "", "rc=0 bad=0" },
	{ dump_mountinfo, "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 "
			  "/dev/root rw,errors=continue\n",
	  "rc=0 bad=0 [/mnt/with space|ext3|/dev/root] 98:0" },
	{ dump_mountinfo, "1 2 0:1 / /a\\011b\\134c\\12\\000 ro - fuse.sshfs u@h:/x\\040y rw",
	  "rc=0 bad=0 [/a\tb\\c\\12\\000|fuse.sshfs|u@h:/x y]ro" },
	/* read-only by the superblock's options too, as node_exporter 1.12 */
	{ dump_mountinfo, "1 2 0:1 / /x rw,rootcontext=a - tmpfs none ro\n",
	  "rc=0 bad=0 [/x|tmpfs|none]ro" },
	{ dump_mountinfo, "1 2 0:1 / /x rw - ext4 /dev/sda rw,emergency_ro\n",
	  "rc=0 bad=0 [/x|ext4|/dev/sda]ro" },
	/* the device numbers: both must be numbers */
	{ dump_mountinfo, "1 2 8 / /x rw - ext4 /dev/sda rw\n1 2 8:x / /y rw - ext4 /dev/sda rw\n"
			  "1 2 259:3 / /z rw - ext4 /dev/nvme0n1p3 rw\n",
	  "rc=0 bad=2 [/z|ext4|/dev/nvme0n1p3] 259:3" },
	{ dump_mountinfo, "1 2 0:1 / /y nodev,ro shared:1 master:2 - xfs /dev/sdb rw",
	  "rc=0 bad=0 [/y|xfs|/dev/sdb]ro" },
	{ dump_mountinfo, "1 2 0:1 / /x rw tmpfs none rw\n1 2 0:1 / /x rw - tmpfs\n"
			  "1 2 0:1 / /z rw - nfs s:/e",
	  "rc=0 bad=2 [/z|nfs|s:/e]" },
};

static void test_parser_edges(void **state)
{
	for (size_t i = 0; i < sizeof(edge_cases) / sizeof(edge_cases[0]); i++) {
		struct buf out = BUF_INIT(4096);
		char *t = xstrdup(edge_cases[i].in);
		edge_cases[i].dump(t, strlen(t), &out);
		print_message("# case %zu: %s\n", i, edge_cases[i].want);
		assert_string_equal(buf_str(&out), edge_cases[i].want);
		buf_release(&out);
		free(t);
	}
}

/* ---- parsers on the captured files ----------------------------------- */

/* The files of tests/data/proc, as the dumps above show them; the full
 * collection below checks the rest of their values through the metrics. */
static const struct {
	void (*dump)(char *text, size_t len, struct buf *out);
	const char *file, *want;
} fixture_cases[] = {
	{ dump_stat, "stat", "rc=0 bad=0 cpu0:747,0,863,381284,10,0,5,4,0,0 "
			     "cpu1:1307,0,1279,379949,446,0,22,8,0,0 ctxt=369676 btime=1795552674 "
			     "intr=186929" },
	{ dump_loadavg, "loadavg", "rc=0 0 0.02 0" },
	{ dump_filenr, "sys/fs/file-nr", "rc=0 342 0 2466170" },
	{ dump_diskstats, "diskstats",
	  "rc=0 bad=0 loop0(7:0)/17:0,0,0 loop1(7:1)/17:0,0,0 loop2(7:2)/17:0,0,0 "
	  "loop3(7:3)/17:0,0,0 loop4(7:4)/17:0,0,0 loop5(7:5)/17:0,0,0 loop6(7:6)/17:0,0,0 "
	  "loop7(7:7)/17:0,0,0 vda(254:0)/17:32119,57,57 zram0(253:0)/17:0,0,0" },
	{ dump_netdev, "net/dev", "rc=0 bad=0 lo:3267,0 ifb0:0,0 ifb1:0,0 eth0:55671482,0" },
	{ dump_pressure, "pressure/cpu", "rc=0 bad=0 some=5220121 full=0" },
	{ dump_pressure, "pressure/memory", "rc=0 bad=0 some=0 full=0" },
	{ dump_pressure, "pressure/io", "rc=0 bad=0 some=3949559 full=3797243" },
};

static void test_fixtures(void **state)
{
	struct buf b, out = BUF_INIT(4096);
	char err[128];
	for (size_t i = 0; i < sizeof(fixture_cases) / sizeof(fixture_cases[0]); i++) {
		fixture(fixture_cases[i].file, &b);
		buf_reset(&out);
		fixture_cases[i].dump(b.data, b.len, &out);
		print_message("# %s\n", fixture_cases[i].file);
		assert_string_equal(buf_str(&out), fixture_cases[i].want);
		buf_release(&b);
	}
	buf_release(&out);

	struct host_meminfo mi = { 0 };
	fixture("meminfo", &b);
	assert_int_equal(host_parse_meminfo(b.data, b.len, &mi, err, sizeof(err)), 0);
	assert_int_equal(mi.n, 54);
	assert_int_equal(mi.bad_lines, 0);
	assert_int_equal(host_meminfo_find(&mi, "MemTotal")->value, 24684084);
	assert_true(host_meminfo_find(&mi, "MemTotal")->kb);
	assert_int_equal(host_meminfo_find(&mi, "Active_anon")->value, 1512);
	assert_null(host_meminfo_find(&mi, "Active(anon)"));
	assert_false(host_meminfo_find(&mi, "HugePages_Total")->kb);
	host_meminfo_release(&mi);
	buf_release(&b);

	struct host_mounts m = { 0 };
	fixture("self/mountinfo", &b);
	assert_int_equal(host_parse_mountinfo(b.data, b.len, &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 20);
	assert_int_equal(m.bad_lines, 0);
	assert_string_equal(m.mounts[5].mountpoint, "/");
	assert_string_equal(m.mounts[5].fstype, "ext4");
	assert_string_equal(m.mounts[5].source, "/dev/vda");
	assert_false(m.mounts[5].readonly);
	assert_string_equal(m.mounts[6].mountpoint, "/mnt/sandboxing/model_tools_env/v1/python");
	assert_true(m.mounts[6].readonly);
	assert_string_equal(m.mounts[19].fstype, "cgroup2");
	host_mounts_release(&m);
	buf_release(&b);
}

/* ---- naming and counters ---------------------------------------------- */

static void test_snake_case(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "MemTotal", "mem_total" },
		{ "HugePages_Total", "huge_pages_total" },
		{ "DirectMap4k", "direct_map4k" },
		{ "DirectMap2M", "direct_map2m" },
		{ "Active_anon", "active_anon" },
		{ "SReclaimable", "sreclaimable" },
		{ "Committed_AS", "committed_as" },
		{ "NFS_Unstable", "nfs_unstable" },
		{ "VmallocTotal", "vmalloc_total" },
		{ "Hugepagesize", "hugepagesize" },
	};
	char out[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(host_snake_case(cases[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].out);
	}
	assert_int_equal(host_snake_case("MemTotal", out, 9), -1);
	assert_int_equal(host_snake_case("MemTotal", out, 10), 0);

	/* Family names; snake_case ones pass promtool (no gauge ending in
	 * _total, no word that reads as an abbreviated unit). */
	static const struct {
		const char *field;
		int kb, snake;
		const char *name;
	} names[] = {
		{ "MemTotal", 1, 0, "node_memory_MemTotal_bytes" },
		{ "HugePages_Total", 0, 0, "node_memory_HugePages_Total" },
		{ "MemTotal", 1, 1, "node_memory_mem_total_bytes" },
		{ "HugePages_Total", 0, 1, "node_memory_huge_pages" },
		{ "HugePages_Free", 0, 1, "node_memory_huge_pages_free" },
		{ "SecPageTables", 1, 1, "node_memory_secondary_page_tables_bytes" },
		{ "Active_anon", 1, 1, "node_memory_active_anon_bytes" },
		{ "FutureSecField", 1, 1, "node_memory_future_secfield_bytes" },
		{ "FutureThing_Total", 0, 1, "node_memory_future_thingtotal" },
		{ "FutureCount_Total", 1, 1, "node_memory_future_count_total_bytes" },
		{ "WaitS", 1, 1, "node_memory_waits_bytes" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(host_memory_metric_name(names[i].field, names[i].kb, names[i].snake,
							 out, sizeof(out)), 0);
		assert_string_equal(out, names[i].name);
	}
	assert_int_equal(host_memory_metric_name("MemTotal", 1, 0, out, 20), -1);
}

/* The policies the collector uses, straight through counter_map. */
static void test_counter_policies(void **state)
{
	struct counter_map *m = counter_map_new();
	const struct counter_policy wrap32 = { 32, 0 };
	const struct counter_policy cpu = { 0, 3 * 100 }; /* 3 s of USER_HZ = 100 */
	const struct counter_policy plain = { 0, 0 };

	/* diskstats ms fields are 32-bit: the wrap keeps counting. */
	assert_int_equal(counter_map_update(m, "read_ms", 4294967000u, &wrap32), 4294967000u);
	assert_int_equal(counter_map_update(m, "read_ms", 500, &wrap32), 4294967296ull + 500);
	assert_int_equal(counter_map_update(m, "read_ms", 900, &wrap32), 4294967296ull + 900);

	/* A CPU time stepping back a little is held; a big step back (the CPU
	 * went offline and came back) continues from where it was. */
	assert_int_equal(counter_map_update(m, "cpu0", 1000, &cpu), 1000);
	assert_int_equal(counter_map_update(m, "cpu0", 950, &cpu), 1000);
	assert_int_equal(counter_map_update(m, "cpu0", 1100, &cpu), 1100);
	assert_int_equal(counter_map_update(m, "cpu0", 10, &cpu), 1110);

	/* A 64-bit counter that restarts (device re-created). */
	assert_int_equal(counter_map_update(m, "reads", 100, &plain), 100);
	assert_int_equal(counter_map_update(m, "reads", 40, &plain), 140);
	counter_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_edges),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_snake_case),
		cmocka_unit_test(test_counter_policies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
