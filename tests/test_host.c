/*
 * test_host.c -- the host collector as a whole: the statvfs prober with a
 * stuck fake mount, the [host] keys, and whole collections into a batch
 * (from the captured files in tests/data/proc, and from a temporary /proc
 * that changes between collections to show counters never going back).
 *
 * Fixtures are found through $top_srcdir (exported by the test harness;
 * "." otherwise).
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
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

#include "tmp_tree.h"

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


/* ---- the statvfs prober ----------------------------------------------- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open;

/* "/slow..." blocks until the gate opens; "/missing" fails. */
static int fake_statvfs(const char *path, struct statvfs *out)
{
	if (strncmp(path, "/slow", 5) == 0) {
		pthread_mutex_lock(&gate_lock);
		while (!gate_open)
			pthread_cond_wait(&gate_cond, &gate_lock);
		pthread_mutex_unlock(&gate_lock);
	}
	if (strcmp(path, "/missing") == 0) {
		errno = ENOENT;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->f_blocks = 10;
	out->f_frsize = 4096;
	return 0;
}

static enum host_fs_status probe(struct host_fs *fs, const char *path, int64_t wait_ms)
{
	struct statvfs st;
	int errnum;
	return host_fs_stat(fs, path, now_mono_ms() + wait_ms, &st, &errnum);
}

static void test_fs_stuck_mount(void **state)
{
	struct host_fs *fs = host_fs_new(fake_statvfs, 2);
	struct statvfs st;
	int errnum;

	assert_int_equal(probe(fs, "/ok", 2000), HOST_FS_OK);
	assert_int_equal(host_fs_stat(fs, "/missing", now_mono_ms() + 2000, &st, &errnum),
			 HOST_FS_FAILED);
	assert_int_equal(errnum, ENOENT);
	/* A deadline already past probes nothing and marks nothing stuck. */
	assert_int_equal(probe(fs, "/slow1", -1), HOST_FS_TIMEOUT);
	assert_int_equal(host_fs_stuck(fs), 0);

	/* A hanging call: abandoned, the path skipped, other paths still served. */
	int64_t t0 = now_mono_ms();
	assert_int_equal(probe(fs, "/slow1", 50), HOST_FS_TIMEOUT);
	assert_true(now_mono_ms() - t0 < 1000);
	assert_int_equal(host_fs_stuck(fs), 1);
	assert_int_equal(probe(fs, "/slow1", 2000), HOST_FS_STUCK);
	assert_int_equal(probe(fs, "/ok", 2000), HOST_FS_OK);

	/* At the cap nothing is probed at all. */
	assert_int_equal(probe(fs, "/slow2", 50), HOST_FS_TIMEOUT);
	assert_int_equal(host_fs_stuck(fs), 2);
	assert_int_equal(probe(fs, "/ok", 2000), HOST_FS_OVERLOADED);

	/* Once the calls return, the probers are gone and the paths probeable. */
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	for (int i = 0; i < 500 && host_fs_stuck(fs) > 0; i++)
		usleep(10000);
	assert_int_equal(host_fs_stuck(fs), 0);
	assert_int_equal(host_fs_stat(fs, "/slow1", now_mono_ms() + 2000, &st, &errnum), HOST_FS_OK);
	assert_int_equal(st.f_blocks, 10);
	assert_string_equal(host_fs_status_name(HOST_FS_STUCK), "still stuck");
	host_fs_free(fs);
}

/* ---- configuration ---------------------------------------------------- */

/* A host_config with every key at its default, as config.c would set it. */
static void conf_defaults(struct host_config *c)
{
	memset(c, 0, sizeof(*c));
	const struct config_key *k;
	for (size_t n = 0; (k = conf_kind_key(&host_kind, n)); n++) {
		char err[256];
		char *slot = (char *)c + k->offset;
		int rc = 0;
		switch (k->type) {
		case CONF_BOOL:
			rc = conf_parse_bool(k->def, (int *)slot, err, sizeof(err));
			break;
		case CONF_DURATION:
			rc = conf_parse_duration(k->def, (int64_t *)slot, err, sizeof(err));
			assert_true(*(int64_t *)slot >= k->min && *(int64_t *)slot <= k->max);
			break;
		case CONF_REGEX:
			if (*k->def)
				rc = conf_parse_regex(k->def, (struct conf_regex *)slot, err, sizeof(err));
			break;
		case CONF_ENUM:
			*(int *)slot = -1;
			for (int i = 0; k->choices[i]; i++)
				if (strcmp(k->choices[i], k->def) == 0)
					*(int *)slot = i;
			assert_true(*(int *)slot >= 0);
			break;
		case CONF_STRING:
			*(char **)slot = xstrdup(k->def);
			break;
		case CONF_LIST:
			rc = conf_parse_list(k->def, (struct conf_list *)slot, err, sizeof(err));
			break;
		default:
			fail_msg("unexpected key type for %s", k->name);
		}
		assert_int_equal(rc, 0);
	}
}

static void conf_release(struct host_config *c)
{
	conf_regex_release(&c->mountpoint_exclude);
	conf_regex_release(&c->fstype_exclude);
	conf_regex_release(&c->disk_device_exclude);
	conf_regex_release(&c->network_device_exclude);
	conf_regex_release(&c->vmstat_fields);
	conf_regex_release(&c->netstat_fields);
	free(c->procfs);
	free(c->sysfs);
	free(c->rootfs);
	free(c->udev_data);
	conf_list_release(&c->disable);
}

static void test_config(void **state)
{
	struct host_config c;
	char err[256];
	conf_defaults(&c);
	assert_true(c.common.enabled);
	assert_int_equal(c.common.interval_ms, 15000);
	assert_int_equal(c.common.timeout_ms, 10000);
	assert_int_equal(c.filesystem_timeout_ms, 1000);
	assert_string_equal(c.procfs, "/proc");
	assert_string_equal(c.sysfs, "/sys");
	assert_string_equal(c.rootfs, "/");
	assert_string_equal(c.udev_data, "/run/udev/data");
	assert_int_equal(c.memory_names, HOST_MEMORY_NAMES_NODE_EXPORTER);
	assert_int_equal(host_kind.validate(&c, err, sizeof(err)), 0);

	struct config_section s = { .kind = &host_kind, .name = "host", .label = "[host]", .conf = &c };
	struct buf out = BUF_INIT(4096);
	host_kind.describe(&s, &out);
	assert_string_equal(buf_str(&out), "[host] every 15s, timeout 10s: cpu, stat, meminfo, "
					   "loadavg, diskstats, netdev, netstat, sockstat, softnet, "
					   "udp_queues, arp, conntrack, netclass, pressure, vmstat, entropy, "
					   "time, timex, os, selinux, kernel_hung, dmi, schedstat, "
					   "filefd, uname, filesystem");
	buf_release(&out);

	/* disable: known names leave the list, an unknown one is refused */
	assert_int_equal(conf_parse_list("filesystem, cpu", &c.disable, err, sizeof(err)), 0);
	assert_int_equal(host_kind.validate(&c, err, sizeof(err)), 0);
	out = (struct buf)BUF_INIT(4096);
	host_kind.describe(&s, &out);
	assert_string_equal(buf_str(&out), "[host] every 15s, timeout 10s: stat, meminfo, "
					   "loadavg, diskstats, netdev, netstat, sockstat, softnet, "
					   "udp_queues, arp, conntrack, netclass, pressure, vmstat, entropy, "
					   "time, timex, os, selinux, kernel_hung, dmi, schedstat, "
					   "filefd, uname");
	buf_release(&out);
	conf_list_release(&c.disable);
	assert_int_equal(conf_parse_list("hwmon", &c.disable, err, sizeof(err)), 0);
	assert_int_equal(host_kind.validate(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "disable: unknown source 'hwmon' (expected some of: cpu, "));
	conf_list_release(&c.disable);

	free(c.udev_data);
	c.udev_data = xstrdup("run/udev");
	assert_int_equal(host_kind.validate(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "udev_data: expected an absolute path, got 'run/udev'");
	free(c.udev_data);
	c.udev_data = xstrdup("/run/udev/data");

	c.common.interval_ms = 5000;
	assert_int_equal(host_kind.validate(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "timeout (10s) must not be longer than interval (5s)");

	/* The default filters: what each excludes, what it keeps. */
	static const struct {
		size_t offset;
		const char *excluded, *kept;
	} re[] = {
		{ offsetof(struct host_config, mountpoint_exclude),
		  "/dev /dev/shm /proc /sys/fs/cgroup /run/credentials/a.service /var/lib/docker/x",
		  "/ /devices /run /var/lib/docker /home" },
		{ offsetof(struct host_config, fstype_exclude), "cgroup cgroup2 proc overlay nsfs",
		  "ext4 xfs tmpfs nfs4" },
		{ offsetof(struct host_config, disk_device_exclude),
		  "sda1 vdb2 xvda1 nvme0n1p2 loop7 zram0 ram1 fd0", "sda vda nvme0n1 dm-0 md0" },
		{ offsetof(struct host_config, network_device_exclude), "", "eth0 lo" },
		/* node_exporter's --collector.vmstat.fields */
		{ offsetof(struct host_config, vmstat_fields),
		  "oom_kill pgpgin pgpgout pswpin pswpout pgfault pgmajfault pgsteal_kswapd_fault",
		  "nr_free_pages numa_hit pgsteal_kswapd workingset_refault_anon" },
	};
	for (size_t i = 0; i < sizeof(re) / sizeof(re[0]); i++) {
		const struct conf_regex *r = (const void *)((const char *)&c + re[i].offset);
		for (int want = 1; want >= 0; want--) {
			char *list = xstrdup(want ? re[i].excluded : re[i].kept), *f[16];
			size_t n = split_fields(list, f, 16);
			for (size_t k = 0; k < n; k++) {
				print_message("# exclude %s: %d\n", f[k], want);
				assert_int_equal(conf_regex_match(r, f[k]), want);
			}
			free(list);
		}
	}
	conf_release(&c);
}

/* ---- whole collections ------------------------------------------------ */


struct rig {
	struct host_config conf;
	struct config_section section;
	void *host;
	struct batch *batch;
	char err[1024];
};

/* The [host] section of a rig: procfs as given, the other paths the
 * fixtures' (tests/data/{sys,root,udev/data}), never this machine's. */
static void rig_start(struct rig *r, const char *procfs, int memory_names)
{
	conf_defaults(&r->conf);
	free(r->conf.procfs);
	r->conf.procfs = xstrdup(procfs);
	free(r->conf.sysfs);
	r->conf.sysfs = data_dir("sys");
	free(r->conf.rootfs);
	r->conf.rootfs = data_dir("root");
	free(r->conf.udev_data);
	r->conf.udev_data = data_dir("udev/data");
	r->conf.memory_names = memory_names;
	r->section = (struct config_section){
		.kind = &host_kind, .name = "host", .label = "[host]", .conf = &r->conf,
	};
	r->host = host_collector.init(&r->section, r->err, sizeof(r->err));
	assert_non_null(r->host);
	r->batch = batch_new();
}

static int rig_collect(struct rig *r, int64_t budget_ms)
{
	batch_reset(r->batch);
	return host_collector.collect(r->host, r->batch, now_mono_ms() + budget_ms, r->err,
				      sizeof(r->err));
}

static void rig_stop(struct rig *r)
{
	host_collector.free(r->host);
	batch_free(r->batch);
	conf_release(&r->conf);
}

static double value_of(struct rig *r, const char *name, const char *k, const char *v)
{
	double x = -1;
	if (!(k ? sample(r->batch, &x, name, k, v, NULL) : sample(r->batch, &x, name, NULL)))
		fail_msg("no sample %s{%s=\"%s\"}", name, k ? k : "", v ? v : "");
	return x;
}

static const char *const scrape_names[] = {
	"cpu", "stat", "meminfo", "loadavg", "filesystem", "diskstats", "netdev", "pressure",
	"filefd", "uname", "vmstat", "entropy", "time", "timex", "os", "selinux", "kernel_hung",
	"dmi", "schedstat",
};

static void test_collect_fixture(void **state)
{
	struct rig r;
	char *dir = fixture_dir();
	double tck = (double)sysconf(_SC_CLK_TCK);
	rig_start(&r, dir, HOST_MEMORY_NAMES_NODE_EXPORTER);
	assert_int_equal(rig_collect(&r, 10000), 0);
	assert_string_equal(r.err, "");
	static const struct {
		const char *name, *k, *v;
		double want;
	} want[] = {
		{ "node_memory_MemTotal_bytes", NULL, NULL, 24684084.0 * 1024 },
		{ "node_memory_Active_anon_bytes", NULL, NULL, 1512.0 * 1024 },
		{ "node_memory_DirectMap4k_bytes", NULL, NULL, 30720.0 * 1024 },
		{ "node_memory_HugePages_Total", NULL, NULL, 0 },
		{ "node_load5", NULL, NULL, 0.02 },
		{ "node_load15", NULL, NULL, 0 },
		{ "node_disk_reads_completed_total", "device", "vda", 32119 },
		{ "node_disk_read_bytes_total", "device", "vda", 2727258.0 * 512 },
		{ "node_disk_read_time_seconds_total", "device", "vda", 9.939 },
		{ "node_disk_written_bytes_total", "device", "vda", 1259480.0 * 512 },
		{ "node_disk_io_now", "device", "vda", 0 },
		{ "node_disk_io_time_weighted_seconds_total", "device", "vda", 12.627 },
		{ "node_disk_discarded_sectors_total", "device", "vda", 113472 },
		{ "node_disk_flush_requests_total", "device", "vda", 1561 },
		{ "node_disk_flush_requests_time_seconds_total", "device", "vda", 0.057 },
		{ "node_network_receive_bytes_total", "device", "eth0", 55671482 },
		{ "node_network_transmit_packets_total", "device", "eth0", 645 },
		{ "node_pressure_cpu_waiting_seconds_total", NULL, NULL, 5.220121 },
		{ "node_pressure_memory_stalled_seconds_total", NULL, NULL, 0 },
		{ "node_pressure_io_waiting_seconds_total", NULL, NULL, 3.949559 },
		{ "node_pressure_io_stalled_seconds_total", NULL, NULL, 3.797243 },
		{ "node_filefd_allocated", NULL, NULL, 342 },
		{ "node_filefd_maximum", NULL, NULL, 2466170 },
		{ "node_boot_time_seconds", NULL, NULL, 1795552674 },
		{ "node_context_switches_total", NULL, NULL, 369676 },
		{ "node_forks_total", NULL, NULL, 5867 },
		{ "node_procs_running", NULL, NULL, 1 },
		{ "node_uname_info", NULL, NULL, 1 },
		{ "node_filesystem_device_error", "mountpoint", "/", 0 },
		{ "node_filesystem_readonly", "mountpoint", "/", 0 },
		{ "node_filesystem_size_bytes", "device_error", "", -1 },
		{ "node_filesystem_mount_info", "device", "/dev/vda", 1 },
		{ "node_intr_total", NULL, NULL, 186929 },
		{ "node_vmstat_pgfault", NULL, NULL, 54933589 },
		{ "node_vmstat_pgmajfault", NULL, NULL, 8271 },
		{ "node_vmstat_oom_kill", NULL, NULL, 0 },
		{ "node_vmstat_pswpout", NULL, NULL, 0 },
		{ "node_entropy_available_bits", NULL, NULL, 256 },
		{ "node_entropy_pool_size_bits", NULL, NULL, 256 },
		{ "node_kernel_hung_tasks_total", NULL, NULL, 0 },
		{ "node_time_clocksource_available_info", "clocksource", "kvm-clock", 1 },
		{ "node_time_clocksource_current_info", "device", "0", 1 },
		{ "node_timex_sync_status", NULL, NULL, -1 },
		{ "node_timex_tick_seconds", NULL, NULL, -1 },
		{ "node_os_version", "id", "debian", 12 },
		{ "node_os_info", "version_codename", "bookworm", 1 },
		{ "node_selinux_enabled", NULL, NULL, 0 },
		{ "node_dmi_info", "system_vendor", "QEMU", 1 },
		{ "node_schedstat_running_seconds_total", "cpu", "1", 3.874218450 },
		{ "node_schedstat_waiting_seconds_total", "cpu", "0", 0.416802386 },
		{ "node_schedstat_timeslices_total", "cpu", "0", 40271 },
		{ "node_disk_info", "rotational", "1", 1 },
		{ "node_disk_filesystem_info", "type", "ext4", 1 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		print_message("# %s\n", want[i].name);
		double got = value_of(&r, want[i].name, want[i].k, want[i].v);
		if (want[i].want >= 0) /* -1: only there */
			assert_double_equal(got, want[i].want);
	}
	/* node_exporter's labels: those DMI gave (no serials, which root alone
	 * reads, and chassis_type is not served), udev's for the disk */
	assert_true(sample(r.batch, NULL, "node_dmi_info", "bios_vendor", "SeaBIOS", "board_asset_tag",
			   "", "product_uuid", "5e1e7e3c-0f2b-4d26-9a4c-0b4a3f5d2c11", NULL));
	assert_false(sample(r.batch, NULL, "node_dmi_info", "chassis_type", "1", NULL));
	assert_false(sample(r.batch, NULL, "node_dmi_info", "board_serial", "", NULL));
	assert_true(sample(r.batch, NULL, "node_disk_info", "device", "vda", "major", "254", "minor",
			   "0", "path", "pci-0000:00:05.0", "serial", "", "model", "", "wwn", "",
			   "revision", "", "rotational", "1", NULL));
	assert_true(sample(r.batch, NULL, "node_disk_filesystem_info", "device", "vda", "usage",
			   "filesystem", "uuid", "2f6d3c1e-8b2a-4c55-9e0e-3b1f0a7d6c42", "version", "1.0",
			   NULL));
	assert_false(sample(r.batch, NULL, "node_disk_info", "device", "zram0", NULL));
	assert_false(sample(r.batch, NULL, "node_vmstat_nr_free_pages", NULL));
	assert_true(sample(r.batch, NULL, "node_os_info", "id", "debian", "name", "Debian GNU/Linux",
			   "pretty_name", "Debian GNU/Linux 12 (bookworm)", "version_id", "12",
			   "build_id", "", "id_like", "", "image_id", "", "image_version", "",
			   "variant", "", "variant_id", "", "version", "12 (bookworm)", NULL));
	assert_false(sample(r.batch, NULL, "node_os_support_end_timestamp_seconds", NULL));
	double v;
	assert_true(sample(r.batch, &v, "node_cpu_seconds_total", "cpu", "0", "mode", "user", NULL));
	assert_double_equal(v, 747 / tck);
	assert_true(sample(r.batch, &v, "node_cpu_seconds_total", "cpu", "1", "mode", "steal", NULL));
	assert_double_equal(v, 8 / tck);
	assert_true(sample(r.batch, &v, "node_cpu_guest_seconds_total", "cpu", "0", "mode", "nice",
			   NULL));
	assert_false(sample(r.batch, NULL, "node_cpu_seconds_total", "mode", "guest", NULL));
	assert_true(value_of(&r, "node_filesystem_size_bytes", "mountpoint", "/") > 0);
	assert_true(sample(r.batch, NULL, "node_filesystem_avail_bytes", "device", "/dev/vda",
			   "fstype", "ext4", "mountpoint", "/", NULL));
	assert_true(sample(r.batch, NULL, "node_uname_info", "sysname", "Linux", NULL));
	/* Excluded devices, mount points and file system types. */
	static const char *const absent[][3] = {
		{ "node_disk_reads_completed_total", "device", "loop0" },
		{ "node_disk_reads_completed_total", "device", "zram0" },
		{ "node_filesystem_device_error", "mountpoint", "/proc" },
		{ "node_filesystem_device_error", "mountpoint", "/dev/shm" },
		{ "node_filesystem_device_error", "fstype", "cgroup" },
		{ "node_pressure_cpu_stalled_seconds_total", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		assert_false(absent[i][1] ? sample(r.batch, NULL, absent[i][0], absent[i][1],
						   absent[i][2], NULL)
					  : sample(r.batch, NULL, absent[i][0], NULL));
	for (size_t i = 0; i < sizeof(scrape_names) / sizeof(scrape_names[0]); i++)
		assert_double_equal(value_of(&r, "node_scrape_collector_success", "collector",
					     scrape_names[i]), 1);
	/* Every family has help; counters end in _total. */
	for (size_t f = 0; f < r.batch->nfamilies; f++) {
		const char *name = batch_str(r.batch, r.batch->families[f].name_off);
		assert_true(batch_str(r.batch, r.batch->families[f].help_off)[0] != '\0');
		if (r.batch->families[f].type == METRIC_COUNTER)
			assert_string_equal(name + strlen(name) - 6, "_total");
	}
	assert_int_equal(r.batch->invalid, 0);
	/* A second collection of the same files gives the same values. */
	assert_int_equal(rig_collect(&r, 10000), 0);
	assert_double_equal(value_of(&r, "node_disk_reads_completed_total", "device", "vda"), 32119);
	rig_stop(&r);
	free(dir);
}

static void test_collect_snake_case(void **state)
{
	struct rig r;
	char *dir = fixture_dir();
	rig_start(&r, dir, HOST_MEMORY_NAMES_SNAKE_CASE);
	assert_int_equal(rig_collect(&r, 10000), 0);
	assert_double_equal(value_of(&r, "node_memory_mem_total_bytes", NULL, NULL),
			    24684084.0 * 1024);
	assert_double_equal(value_of(&r, "node_memory_huge_pages", NULL, NULL), 0);
	assert_double_equal(value_of(&r, "node_memory_secondary_page_tables_bytes", NULL, NULL), 0);
	assert_double_equal(value_of(&r, "node_memory_direct_map4k_bytes", NULL, NULL),
			    30720.0 * 1024);
	assert_double_equal(value_of(&r, "node_memory_active_anon_bytes", NULL, NULL), 1512.0 * 1024);
	assert_false(sample(r.batch, NULL, "node_memory_MemTotal_bytes", NULL));
	rig_stop(&r);
	free(dir);
}

static void put_stat(const char *dir, long user)
{
	char *s = xasprintf("cpu  %ld 0 0 0\ncpu0 %ld 0 5 90 0 0 0 0 0 0\nctxt 100\n", user, user);
	tmp_tree_put(dir, "stat", s);
	free(s);
}

static void test_collect_counters(void **state)
{
	long tck = sysconf(_SC_CLK_TCK);
	char *dir = tmp_tree("host");
	struct rig r;
	put_stat(dir, 10 * tck);
	tmp_tree_put(dir, "meminfo", "MemTotal: 1 kB\n");
	tmp_tree_put(dir, "loadavg", "0.5 0.25 0.125 1/1 1\n");
	tmp_tree_put(dir, "net/dev", NET_HEADER);
	tmp_tree_put(dir, "sys/fs/file-nr", "1 0 10\n");
	tmp_tree_put(dir, "self/mountinfo", "1 0 0:1 / / rw - rootfs rootfs rw\n"
					"2 1 8:0 / / rw,relatime - ext4 /dev/vda rw\n");
	tmp_tree_put(dir, "diskstats", "8 0 sda 100 0 0 4294967000 0 0 0 0 0 0 0\n");
	rig_start(&r, dir, HOST_MEMORY_NAMES_NODE_EXPORTER);

	assert_int_equal(rig_collect(&r, 10000), 0);
	assert_double_equal(value_of(&r, "node_cpu_seconds_total", "mode", "user"), 10);
	assert_double_equal(value_of(&r, "node_disk_read_time_seconds_total", "device", "sda"),
			    4294967.0);
	/* No /proc/pressure here: no pressure metrics, and no failure. */
	assert_false(sample(r.batch, NULL, "node_scrape_collector_success", "collector", "pressure",
			    NULL));
	/* / mounted twice: only the last mount is reported. */
	assert_true(sample(r.batch, NULL, "node_filesystem_device_error", "device", "/dev/vda", NULL));
	assert_false(sample(r.batch, NULL, "node_filesystem_device_error", "device", "rootfs", NULL));

	/* CPU 1 s back (jitter: held); the 32-bit read time wraps; the
	 * reads counter restarts (device re-created). */
	put_stat(dir, 9 * tck);
	tmp_tree_put(dir, "diskstats", "8 0 sda 50 0 0 500 0 0 0 0 0 0 0\n");
	assert_int_equal(rig_collect(&r, 10000), 0);
	assert_double_equal(value_of(&r, "node_cpu_seconds_total", "mode", "user"), 10);
	assert_double_equal(value_of(&r, "node_disk_read_time_seconds_total", "device", "sda"),
			    (4294967296.0 + 500) / 1000);
	assert_double_equal(value_of(&r, "node_disk_reads_completed_total", "device", "sda"), 150);

	/* The CPU restarts from 1 tick (hot-plug): it goes on from 10 s; the
	 * disk disappears and is forgotten. */
	put_stat(dir, 1);
	tmp_tree_put(dir, "diskstats", "");
	assert_int_equal(rig_collect(&r, 10000), 0);
	assert_double_equal(value_of(&r, "node_cpu_seconds_total", "mode", "user"),
			    (10.0 * (double)tck + 1) / (double)tck);
	assert_false(sample(r.batch, NULL, "node_disk_reads_completed_total", NULL));
	tmp_tree_put(dir, "diskstats", "8 0 sda 7 0 0 3 0 0 0 0 0 0 0\n");
	assert_int_equal(rig_collect(&r, 10000), 0);
	assert_double_equal(value_of(&r, "node_disk_reads_completed_total", "device", "sda"), 7);
	assert_double_equal(value_of(&r, "node_disk_read_time_seconds_total", "device", "sda"), 0.003);
	rig_stop(&r);
	tmp_tree_remove(dir);
}

static void test_collect_missing_sources(void **state)
{
	char *dir = tmp_tree("host");
	struct rig r;
	char want[1024];
	rig_start(&r, dir, HOST_MEMORY_NAMES_NODE_EXPORTER);

	/* Nothing at all: the three core sources are named, once each. */
	assert_int_equal(rig_collect(&r, 10000), -1);
	snprintf(want, sizeof(want),
		 "cannot read '%s/stat': No such file or directory; cannot read '%s/meminfo': No "
		 "such file or directory; cannot read '%s/loadavg': No such file or directory",
		 dir, dir, dir);
	assert_string_equal(r.err, want);
	assert_double_equal(value_of(&r, "node_scrape_collector_success", "collector", "uname"), 1);

	/* meminfo missing, the optional sources too: only meminfo fails it. */
	put_stat(dir, 5);
	tmp_tree_put(dir, "loadavg", "1 2 3\n");
	assert_int_equal(rig_collect(&r, 10000), -1);
	snprintf(want, sizeof(want), "cannot read '%s/meminfo': No such file or directory", dir);
	assert_string_equal(r.err, want);
	assert_double_equal(value_of(&r, "node_load5", NULL, NULL), 2);
	assert_double_equal(value_of(&r, "node_scrape_collector_success", "collector", "meminfo"), 0);
	assert_double_equal(value_of(&r, "node_scrape_collector_success", "collector", "diskstats"), 0);
	assert_double_equal(value_of(&r, "node_scrape_collector_success", "collector", "cpu"), 1);

	/* All core sources there: optional ones missing do not fail it. */
	tmp_tree_put(dir, "meminfo", "MemTotal: 1 kB\n");
	assert_int_equal(rig_collect(&r, 10000), 0);
	assert_double_equal(value_of(&r, "node_scrape_collector_success", "collector", "netdev"), 0);

	/* An empty /proc/stat is a parse error of a core source. */
	tmp_tree_put(dir, "stat", "");
	assert_int_equal(rig_collect(&r, 10000), -1);
	snprintf(want, sizeof(want), "cannot parse '%s/stat': no 'cpuN', 'ctxt' or 'btime' line", dir);
	assert_string_equal(r.err, want);

	/* A deadline already past: nothing is read, every source fails. */
	put_stat(dir, 5);
	assert_int_equal(rig_collect(&r, -1), -1);
	assert_string_equal(r.err, "deadline reached before the cpu source; deadline reached before "
				   "the stat source; deadline reached before the meminfo source; "
				   "deadline reached before the loadavg source");
	for (size_t i = 0; i < sizeof(scrape_names) / sizeof(scrape_names[0]); i++)
		assert_double_equal(value_of(&r, "node_scrape_collector_success", "collector",
					     scrape_names[i]), 0);
	rig_stop(&r);
	tmp_tree_remove(dir);
}

/* disable: a switched-off source reads nothing and reports nothing, not
 * even node_scrape_collector_*; stat still works without cpu. */
static void test_collect_disabled_sources(void **state)
{
	struct rig r;
	char *dir = fixture_dir();
	rig_start(&r, dir, HOST_MEMORY_NAMES_NODE_EXPORTER);
	rig_collect(&r, 10000); /* a collection with every source first */
	host_collector.free(r.host);
	char err[256];
	assert_int_equal(conf_parse_list("cpu, netdev", &r.conf.disable, err, sizeof(err)), 0);
	r.host = host_collector.init(&r.section, r.err, sizeof(r.err));
	assert_non_null(r.host);
	assert_int_equal(rig_collect(&r, 10000), 0);
	double x;
	assert_false(sample(r.batch, &x, "node_cpu_seconds_total", NULL));
	assert_false(sample(r.batch, &x, "node_network_receive_bytes_total", NULL));
	assert_false(sample(r.batch, &x, "node_scrape_collector_success", "collector", "cpu", NULL));
	assert_false(sample(r.batch, &x, "node_scrape_collector_success", "collector", "netdev",
			    NULL));
	assert_double_equal(value_of(&r, "node_scrape_collector_success", "collector", "stat"), 1);
	assert_true(sample(r.batch, &x, "node_boot_time_seconds", NULL));
	rig_stop(&r);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_stuck_mount),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_collect_fixture),
		cmocka_unit_test(test_collect_snake_case),
		cmocka_unit_test(test_collect_counters),
		cmocka_unit_test(test_collect_missing_sources),
		cmocka_unit_test(test_collect_disabled_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
