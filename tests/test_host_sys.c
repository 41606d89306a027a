/*
 * test_host_sys.c -- the host's system sources: the pure parsers of
 * host_sys_proc.c (vmstat, schedstat, os-release, udev data, SELinux's
 * config, one-number files) on the captured files of tests/data and on
 * missing, empty and truncated input; the emitters of host_sys_metrics.c
 * (timex's units, the disk info families, os-release's numbers); and the
 * sources of host_sys.c on temporary trees (os-release's fallback, files
 * missing, DMI without permission).
 *
 * Fixtures are found through $top_srcdir (exported by the test harness).
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
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
#include "host_sys.h"
#include "host_sys_metrics.h"
#include "host_sys_proc.h"
#include "metrics.h"
#include "strutil.h"
#include "xalloc.h"

/* ---- helpers ---------------------------------------------------------- */


/* A copy of s, NUL-terminated, that the parsers may cut (caller frees). */
static char *dup_text(const char *s)
{
	return xstrdup(s);
}


/* The labels of the first sample of name, as "k=v,k=v". */
static void labels_of(const struct batch *b, const char *name, struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct batch_sample *sm = &b->samples[i];
		if (strcmp(batch_str(b, b->families[sm->family].name_off), name) != 0)
			continue;
		const char *p = batch_str(b, sm->labels_off);
		for (uint32_t l = 0; l < sm->nlabels; l++) {
			const char *v = p + strlen(p) + 1;
			buf_printf(out, "%s%s=%s", l ? "," : "", p, v);
			p = v + strlen(v) + 1;
		}
		return;
	}
}

/* An emitter's context with its own batch, counter map and config. */
/* The rig with the defaults this file's sources read. */
static void sys_rig_start(struct emit_rig *r)
{
	char err[128];
	emit_start(r);
	assert_int_equal(conf_parse_regex("^(oom_kill|pgpg|pswp|pg.*fault).*", &r->conf.vmstat_fields,
					  err, sizeof(err)), 0);
	assert_int_equal(conf_parse_regex("^(z?ram|loop)[0-9]+$", &r->conf.disk_device_exclude, err,
					  sizeof(err)), 0);
}

/* ---- vmstat ----------------------------------------------------------- */

static void test_vmstat(void **state)
{
	struct host_vmstat v = { 0 };
	struct buf b;
	char err[128];
	data_file("proc/vmstat", &b);
	assert_int_equal(host_parse_vmstat(b.data, b.len, &v, err, sizeof(err)), 0);
	assert_int_equal(v.bad_lines, 0);
	assert_true(v.n > 100);
	struct emit_rig r;
	sys_rig_start(&r);
	struct regex_memo memo = { 0 };
	host_emit_vmstat(&r.e, &v, &memo);
	regex_memo_release(&memo);
	/* node_exporter's default fields, untyped, and nothing else */
	assert_int_equal(r.batch->nfamilies, 7);
	double x;
	assert_true(sample(r.batch, &x, "node_vmstat_pgpgin", NULL));
	assert_double_equal(x, 4584537);
	assert_true(sample(r.batch, &x, "node_vmstat_pgmajfault", NULL));
	assert_double_equal(x, 8271);
	assert_int_equal(r.batch->families[0].type, METRIC_UNTYPED);
	assert_string_equal(batch_str(r.batch, r.batch->families[0].help_off),
			    "/proc/vmstat information field pgpgin.");
	emit_stop(&r);
	buf_release(&b);

	/* empty, truncated, malformed */
	char *t = dup_text("");
	assert_int_equal(host_parse_vmstat(t, 0, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "no 'name value' line");
	free(t);
	t = dup_text("pgfault 12\npgmajfault\nnr_x abc\npgpgin 7");
	assert_int_equal(host_parse_vmstat(t, strlen("pgfault 12\npgmajfault\nnr_x abc\npgpgin 7"),
					   &v, err, sizeof(err)), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.bad_lines, 2);
	assert_string_equal(v.fields[1].name, "pgpgin");
	free(t);
	host_vmstat_release(&v);
}

/* ---- schedstat -------------------------------------------------------- */

static void test_schedstat(void **state)
{
	struct host_schedstat s = { 0 };
	struct buf b;
	char err[128];
	data_file("proc/schedstat", &b);
	assert_int_equal(host_parse_schedstat(b.data, b.len, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.cpus[0].cpu, "0");
	assert_int_equal(s.cpus[0].running_ns, 2463547906u);
	assert_int_equal(s.cpus[1].waiting_ns, 389141257u);
	assert_int_equal(s.cpus[1].timeslices, 33512);
	buf_release(&b);
	static const struct {
		const char *in;
		size_t n;
	} cases[] = {
		{ "", 0 },
		{ "cpu0 1 2 3 4 5 6 7 8", 0 },              /* eight numbers */
		{ "cpu0 1 2 3 4 5 6 7 8 9", 1 },            /* truncated after the 9th: enough */
		{ "cpu0  1 2 3 4 5 6 7 8 9\n", 0 },         /* two spaces: not procfs' pattern */
		{ "cpux 1 2 3 4 5 6 7 8 9\n", 0 },
		{ "cpu12 1 2 3 4 5 6 99999999999999999999 8 9\n", 0 }, /* out of range */
		{ "cpu3 1 2 3 4 5 6 7 8 9 10 11\ndomain0 1 2\n", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = dup_text(cases[i].in);
		print_message("# %s\n", cases[i].in);
		assert_int_equal(host_parse_schedstat(t, strlen(cases[i].in), &s, err, sizeof(err)), 0);
		assert_int_equal(s.n, cases[i].n);
		if (s.n)
			assert_int_equal(s.cpus[0].timeslices, 9);
		free(t);
	}
	host_schedstat_release(&s);
}

/* ---- os-release ------------------------------------------------------- */

static void test_os_release(void **state)
{
	struct host_os_release os;
	struct buf b;
	char err[128];
	data_file("root/etc/os-release", &b);
	assert_int_equal(host_parse_os_release(b.data, b.len, &os, err, sizeof(err)), 0);
	assert_string_equal(os.values[HOST_OS_ID], "debian");
	assert_string_equal(os.values[HOST_OS_PRETTY_NAME], "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(os.values[HOST_OS_VERSION_CODENAME], "bookworm");
	assert_string_equal(os.values[HOST_OS_ID_LIKE], "");
	buf_release(&b);

	/* envparse's rules, one case a row: the input, then NAME's value or
	 * the error */
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "NAME=plain", "plain" },
		{ "  NAME = \"quoted  value\"  ", "quoted  value" },
		{ "NAME='single \\n kept'", "single \\n kept" },
		{ "NAME=\"esc \\\" \\\\ \\/ \\n\\t\"", "esc \" \\ / \n\t" },
		{ "NAME=\"\\u00e9t\\u00E9\"", "\xc3\xa9t\xc3\xa9" },
		{ "NAME=\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" },      /* a surrogate pair */
		{ "NAME=\"\\udc00\\u0041\"", "\xef\xbf\xbd" },          /* a lone low one */
		{ "NAME=value # comment", "value" },
		{ "NAME=a\"b\"c'd'", "abcd" },
		{ "export NAME=x", "x" },
		{ "NAME=first\nNAME=last", "last" },
		{ "# only a comment\n\n", "" },
		{ "NAME=", "" },
		{ "NAME=x\r\nID=y\r\n", "x" },
		{ "NAME=caf\xc3\xa9", "caf\xc3\xa9" },
		{ "NAME", "error line 1: missing =" },
		{ "=x", "error line 1: empty key" },
		{ "ID=a\n1NAME=x", "error line 2: key characters must be [A-Za-z0-9/_.] (and not start "
				    "with a digit)" },
		{ "NAME=\"open", "error line 1: unmatched \"" },
		{ "NAME='open", "error line 1: unmatched '" },
		{ "NAME=\"a\\", "error line 1: incomplete escape sequence" },
		{ "NAME=\"\\q\"", "error line 1: invalid escape sequence" },
		{ "NAME=\"\\u12\"", "error line 1: incomplete hex sequence" },
		{ "NAME=\"\\u12zz\"", "error line 1: invalid hex character" },
		{ "NAME=\"\\u1", "error line 1: incomplete hex sequence" },
		{ "NAME=\"\\ud83d\"", "error line 1: incomplete Unicode surrogate pair" },
		{ "NAME=a\tb", "error line 1: invalid value character" },
		{ "NAME=\"\\\xc3\xa9\"", "error line 1: multibyte characters disallowed in escape "
					 "sequences" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = dup_text(cases[i].in);
		char got[256];
		print_message("# %s\n", cases[i].in);
		if (host_parse_os_release(t, strlen(t), &os, err, sizeof(err)) < 0)
			snprintf(got, sizeof(got), "error %s", err);
		else
			snprintf(got, sizeof(got), "%s", os.values[HOST_OS_NAME]);
		assert_string_equal(got, cases[i].want);
		free(t);
	}

	/* node_os_version: VERSION_ID's major.minor */
	static const struct {
		const char *in;
		double want;
	} versions[] = {
		{ "12", 12 }, { "22.04", 22.04 }, { "3.18.4", 3.18 }, { "12.", 12 }, { "", 0 },
		{ "rolling", 0 }, { "9-stream", 9 }, { "007.10", 7.1 },
	};
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		double v = -1;
		assert_int_equal(host_os_version_of(versions[i].in, &v), 0);
		assert_double_equal(v, versions[i].want);
	}
	double v;
	char big[400];
	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(host_os_version_of(big, &v), -1);

	/* SUPPORT_END: Go's time.DateOnly */
	int64_t ts;
	assert_int_equal(host_parse_date("2028-06-30", &ts), 0);
	assert_int_equal(ts, 1845936000);
	assert_int_equal(host_parse_date("1970-01-01", &ts), 0);
	assert_int_equal(ts, 0);
	assert_int_equal(host_parse_date("2024-02-29", &ts), 0);
	assert_int_equal(ts, 1709164800);
	static const char *const bad_dates[] = {
		"2023-02-29", "2028-13-01", "2028-00-10", "2028-6-30", "2028-06-31", "28-06-30",
		"2028-06-30T00:00", "", "2028/06/30",
	};
	for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++)
		assert_int_equal(host_parse_date(bad_dates[i], &ts), -1);
}

static void test_os_metrics(void **state)
{
	struct emit_rig r;
	struct host_os_release os;
	char err[256];
	char *t = dup_text("NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=40\n"
			   "SUPPORT_END=2025-05-13\nVARIANT_ID=server\n");
	assert_int_equal(host_parse_os_release(t, strlen(t), &os, err, sizeof(err)), 0);
	sys_rig_start(&r);
	assert_int_equal(host_emit_os(&r.e, &os, err, sizeof(err)), 0);
	double x;
	assert_true(sample(r.batch, &x, "node_os_support_end_timestamp_seconds", NULL));
	assert_double_equal(x, 1747094400);
	assert_true(sample(r.batch, &x, "node_os_version", "id", "fedora", "id_like", "", "name",
			   "Fedora Linux", NULL));
	assert_double_equal(x, 40);
	struct buf out = BUF_INIT(4096);
	labels_of(r.batch, "node_os_info", &out);
	assert_string_equal(buf_str(&out),
			    "build_id=,id=fedora,id_like=,image_id=,image_version=,name=Fedora Linux,"
			    "pretty_name=,variant=,variant_id=server,version=,version_codename=,"
			    "version_id=40");
	emit_stop(&r);
	free(t);

	/* a bad SUPPORT_END fails the source, as in node_exporter; no
	 * VERSION_ID number: no node_os_version */
	t = dup_text("ID=arch\nVERSION_ID=rolling\nSUPPORT_END=soon\n");
	assert_int_equal(host_parse_os_release(t, strlen(t), &os, err, sizeof(err)), 0);
	sys_rig_start(&r);
	assert_int_equal(host_emit_os(&r.e, &os, err, sizeof(err)), -1);
	assert_string_equal(err, "os-release: SUPPORT_END 'soon' is no YYYY-MM-DD date");
	assert_int_equal(r.batch->nsamples, 0);
	emit_stop(&r);
	free(t);
	t = dup_text("ID=arch\nVERSION_ID=rolling\n");
	assert_int_equal(host_parse_os_release(t, strlen(t), &os, err, sizeof(err)), 0);
	sys_rig_start(&r);
	assert_int_equal(host_emit_os(&r.e, &os, err, sizeof(err)), 0);
	assert_false(sample(r.batch, NULL, "node_os_version", NULL));
	assert_true(sample(r.batch, NULL, "node_os_info", "id", "arch", NULL));
	emit_stop(&r);
	free(t);
	buf_release(&out);
}

/* ---- udev, selinux, numbers ------------------------------------------- */

static void test_udev(void **state)
{
	struct host_udev u = { 0 };
	struct buf b;
	char err[128];
	data_file("udev/data/b254:0", &b);
	assert_int_equal(host_parse_udev(b.data, b.len, &u, err, sizeof(err)), 0);
	assert_string_equal(host_udev_get(&u, "ID_FS_TYPE"), "ext4");
	assert_string_equal(host_udev_get(&u, "ID_PATH"), "pci-0000:00:05.0");
	assert_null(host_udev_get(&u, "ID_SERIAL"));
	assert_null(host_udev_get(&u, "disk/by-uuid/2f6d3c1e-8b2a-4c55-9e0e-3b1f0a7d6c42"));
	buf_release(&b);
	char *t = dup_text("E:A=1\nS:x=y\nE:noequals\nE:B=x=y\nE:A=2\nE:C=");
	assert_int_equal(host_parse_udev(t, strlen(t), &u, err, sizeof(err)), 0);
	assert_string_equal(host_udev_get(&u, "A"), "2");
	assert_string_equal(host_udev_get(&u, "B"), "x=y");
	assert_string_equal(host_udev_get(&u, "C"), "");
	assert_null(host_udev_get(&u, "S:x"));
	free(t);
	t = dup_text("");
	assert_int_equal(host_parse_udev(t, 0, &u, err, sizeof(err)), 0);
	assert_int_equal(u.n, 0);
	free(t);
	host_udev_release(&u);
}

static void test_selinux_and_numbers(void **state)
{
	static const struct {
		const char *in;
		int want;
	} modes[] = {
		{ "SELINUX=enforcing\n", 1 },
		{ "# c\n; c\nSELINUXTYPE=targeted\nSELINUX=\"permissive\"\n", 0 },
		{ "SELINUX=disabled\n", -1 },
		{ "SELINUX = enforcing\n", -1 },   /* go-selinux does not trim the key */
		{ "", -1 },
		{ "  SELINUX=enforcing", 1 },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char *t = dup_text(modes[i].in);
		assert_int_equal(host_selinux_config_mode(t, strlen(t)), modes[i].want);
		free(t);
	}
	uint64_t u;
	int64_t s;
	char a[] = " 256\n", b[] = "", c[] = "25 6", d[] = "-1\n", e[] = "\t-7 ";
	assert_int_equal(host_parse_uint_text(a, &u), 0);
	assert_int_equal(u, 256);
	assert_int_equal(host_parse_uint_text(b, &u), -1);
	assert_int_equal(host_parse_uint_text(c, &u), -1);
	assert_int_equal(host_parse_uint_text(d, &u), -1);
	assert_int_equal(host_parse_int_text(e, &s), 0);
	assert_int_equal(s, -7);
}

/* ---- /sys/devices/system/cpu -------------------------------------------- */

static void test_cpu_range(void **state)
{
	static const struct {
		const char *in, *want; /* the CPUs, or "error" */
	} cases[] = {
		{ "", "" }, { "\n", "" }, { "3\n", "3" }, { "0-3,8,10-11\n", "0 1 2 3 8 10 11" },
		{ "1,,2", "1 2" }, { "+2", "2" }, { "5-3", "" }, { "1-2-3", "error" }, { "x", "error" },
		{ "-1", "error" }, { "1-", "error" }, { "0-70000", "error" }, { "1 2", "error" },
	};
	unsigned *cpus = NULL;
	size_t n, alloc = 0;
	struct buf out = BUF_INIT(1024);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = dup_text(cases[i].in);
		buf_reset(&out);
		if (host_parse_cpu_range(t, &cpus, &n, &alloc) < 0)
			buf_puts(&out, "error");
		else
			for (size_t k = 0; k < n; k++)
				buf_printf(&out, "%s%u", k ? " " : "", cpus[k]);
		print_message("# '%s'\n", cases[i].in);
		assert_string_equal(buf_str(&out), cases[i].want);
		free(t);
	}
	free(cpus);
	buf_release(&out);
}

/* ---- timex ------------------------------------------------------------ */

static void test_timex(void **state)
{
	struct emit_rig r;
	struct timex tx;
	double x;
	memset(&tx, 0, sizeof(tx));
	tx.offset = 1500;           /* us without STA_NANO */
	tx.freq = 65536 * 12;       /* 12 ppm */
	tx.maxerror = 16000;
	tx.esterror = 250;
	tx.status = 0x40;           /* STA_UNSYNC */
	tx.constant = 2;
	tx.tick = 10000;
	tx.ppsfreq = 65536 * 3;
	tx.jitter = 2000;
	tx.shift = 4;
	tx.stabil = 65536;
	tx.jitcnt = 5;
	tx.calcnt = 6;
	tx.errcnt = 7;
	tx.stbcnt = 8;
	tx.tai = 37;
	sys_rig_start(&r);
	host_emit_timex(&r.e, &tx, 5 /* TIME_ERROR */);
	static const struct {
		const char *name;
		double want;
	} want[] = {
		{ "node_timex_sync_status", 0 },
		{ "node_timex_offset_seconds", 0.0015 },
		{ "node_timex_frequency_adjustment_ratio", 1.000012 },
		{ "node_timex_maxerror_seconds", 0.016 },
		{ "node_timex_estimated_error_seconds", 0.00025 },
		{ "node_timex_status", 64 },
		{ "node_timex_loop_time_constant", 2 },
		{ "node_timex_tick_seconds", 0.01 },
		{ "node_timex_pps_frequency_hertz", 3e-6 },
		{ "node_timex_pps_jitter_seconds", 0.002 },
		{ "node_timex_pps_shift_seconds", 4 },
		{ "node_timex_pps_stability_hertz", 1e-6 },
		{ "node_timex_pps_jitter_total", 5 },
		{ "node_timex_pps_calibration_total", 6 },
		{ "node_timex_pps_error_total", 7 },
		{ "node_timex_pps_stability_exceeded_total", 8 },
		{ "node_timex_tai_offset_seconds", 37 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		print_message("# %s\n", want[i].name);
		assert_true(sample(r.batch, &x, want[i].name, NULL));
		assert_double_equal(x, want[i].want);
	}
	assert_int_equal(r.batch->nfamilies, sizeof(want) / sizeof(want[0]));
	emit_stop(&r);

	/* STA_NANO: offset and jitter in nanoseconds; TIME_OK: synchronized */
	tx.status = 0x2000;
	sys_rig_start(&r);
	host_emit_timex(&r.e, &tx, 0);
	assert_true(sample(r.batch, &x, "node_timex_offset_seconds", NULL));
	assert_double_equal(x, 1.5e-6);
	assert_true(sample(r.batch, &x, "node_timex_pps_jitter_seconds", NULL));
	assert_double_equal(x, 2e-6);
	assert_true(sample(r.batch, &x, "node_timex_maxerror_seconds", NULL));
	assert_double_equal(x, 0.016); /* always microseconds */
	assert_true(sample(r.batch, &x, "node_timex_sync_status", NULL));
	assert_double_equal(x, 1);
	emit_stop(&r);
}

/* ---- the disk info families ------------------------------------------- */

static void test_disk_info(void **state)
{
	struct emit_rig r;
	struct host_udev u = { 0 };
	char err[64];
	struct buf out = BUF_INIT(4096);
	char *t = dup_text("E:ID_ATA=1\nE:ID_MODEL=ST4000NM0035\nE:ID_SERIAL=ST4000_Z1Z0\n"
			   "E:ID_SERIAL_SHORT=Z1Z0\nE:SCSI_IDENT_SERIAL=\nE:ID_WWN=0x5000c500a1b2c3d4\n"
			   "E:ID_REVISION=TN03\nE:ID_PATH=pci-0000:00:17.0-ata-1\n"
			   "E:ID_ATA_WRITE_CACHE=1\nE:ID_ATA_WRITE_CACHE_ENABLED=0\n"
			   "E:ID_ATA_ROTATION_RATE_RPM=7200\nE:DM_NAME=vg0-root\nE:DM_UUID=LVM-abc\n"
			   "E:DM_VG_NAME=vg0\nE:DM_LV_NAME=root\n");
	host_parse_udev(t, strlen(t), &u, err, sizeof(err));
	sys_rig_start(&r);
	host_emit_disk_info(&r.e, "sda", 8, 0, &u, "1");
	labels_of(r.batch, "node_disk_info", &out);
	/* SCSI_IDENT_SERIAL empty: the short serial */
	assert_string_equal(buf_str(&out), "device=sda,major=8,minor=0,model=ST4000NM0035,"
					   "path=pci-0000:00:17.0-ata-1,revision=TN03,rotational=1,"
					   "serial=Z1Z0,wwn=0x5000c500a1b2c3d4");
	labels_of(r.batch, "node_disk_device_mapper_info", &out);
	assert_string_equal(buf_str(&out), "device=sda,lv_layer=,lv_name=root,name=vg0-root,"
					   "uuid=LVM-abc,vg_name=vg0");
	double x;
	assert_true(sample(r.batch, &x, "node_disk_ata_rotation_rate_rpm", "device", "sda", NULL));
	assert_double_equal(x, 7200);
	assert_true(sample(r.batch, &x, "node_disk_ata_write_cache_enabled", NULL));
	assert_double_equal(x, 0);
	assert_false(sample(r.batch, NULL, "node_disk_filesystem_info", NULL));
	emit_stop(&r);
	free(t);

	/* no udev data at all: the labels are empty strings */
	u.n = 0;
	sys_rig_start(&r);
	host_emit_disk_info(&r.e, "vda", 254, 0, &u, "0");
	labels_of(r.batch, "node_disk_info", &out);
	assert_string_equal(buf_str(&out), "device=vda,major=254,minor=0,model=,path=,revision=,"
					   "rotational=0,serial=,wwn=");
	assert_int_equal(r.batch->nfamilies, 1);
	emit_stop(&r);
	host_udev_release(&u);
	buf_release(&out);
}

/* ---- the sources on temporary trees ----------------------------------- */

struct src_rig {
	struct emit_rig er;
	struct host_sys sys;
	char err[512];
};

static void src_start(struct src_rig *r, const char *root)
{
	sys_rig_start(&r->er);
	r->er.conf.procfs = xasprintf("%s/proc", root);
	r->er.conf.sysfs = xasprintf("%s/sys", root);
	r->er.conf.rootfs = xasprintf("%s/root", root);
	r->er.conf.udev_data = xasprintf("%s/udev", root);
	host_sys_init(&r->sys, &r->er.conf);
}

static void src_stop(struct src_rig *r)
{
	host_sys_release(&r->sys);
	free(r->er.conf.procfs);
	free(r->er.conf.sysfs);
	free(r->er.conf.rootfs);
	free(r->er.conf.udev_data);
	emit_stop(&r->er);
}

static void test_sources_missing(void **state)
{
	char *root = tmp_tree("host-sys");
	struct src_rig r;
	double x;
	src_start(&r, root);
	struct host_emit *e = &r.er.e;

	/* nothing there: the errors node_exporter gives, or no data */
	assert_int_equal(host_sys_vmstat(&r.sys, e, r.err, sizeof(r.err)), -1);
	assert_non_null(strstr(r.err, "/proc/vmstat': No such file or directory"));
	assert_int_equal(host_sys_entropy(&r.sys, e, r.err, sizeof(r.err)), -1);
	assert_string_equal(r.err, "couldn't get entropy_avail");
	assert_int_equal(host_sys_kernel_hung(&r.sys, e, r.err, sizeof(r.err)), HOST_SOURCE_NO_DATA);
	assert_int_equal(host_sys_schedstat(&r.sys, e, r.err, sizeof(r.err)), HOST_SOURCE_NO_DATA);
	assert_int_equal(host_sys_os(&r.sys, e, r.err, sizeof(r.err)), HOST_SOURCE_NO_DATA);
	assert_int_equal(host_sys_dmi(&r.sys, e, r.err, sizeof(r.err)), HOST_SOURCE_NO_DATA);
	assert_int_equal(host_sys_selinux(&r.sys, e, r.err, sizeof(r.err)), 0);
	assert_true(sample(r.er.batch, NULL, "node_selinux_enabled", NULL));
	/* no clocksource directory: the time alone */
	assert_int_equal(host_sys_time(&r.sys, e, r.err, sizeof(r.err)), 0);
	assert_true(sample(r.er.batch, NULL, "node_time_seconds", NULL));
	assert_false(sample(r.er.batch, NULL, "node_time_clocksource_current_info", NULL));
	assert_int_equal(r.er.batch->invalid, 0);

	/* the entropy pool missing after the available bits: those stay */
	tmp_tree_put(root, "proc/sys/kernel/random/entropy_avail", "256\n");
	assert_int_equal(host_sys_entropy(&r.sys, e, r.err, sizeof(r.err)), -1);
	assert_string_equal(r.err, "couldn't get entropy poolsize");
	assert_true(sample(r.er.batch, NULL, "node_entropy_available_bits", NULL));
	tmp_tree_put(root, "proc/sys/kernel/random/poolsize", "x\n");
	assert_int_equal(host_sys_entropy(&r.sys, e, r.err, sizeof(r.err)), -1);
	assert_non_null(strstr(r.err, "poolsize': expected a number"));
	/* empty and truncated files */
	tmp_tree_put(root, "proc/vmstat", "");
	assert_int_equal(host_sys_vmstat(&r.sys, e, r.err, sizeof(r.err)), -1);
	assert_non_null(strstr(r.err, "no 'name value' line"));
	tmp_tree_put(root, "proc/sys/kernel/hung_task_detect_count", "");
	assert_int_equal(host_sys_kernel_hung(&r.sys, e, r.err, sizeof(r.err)), -1);
	tmp_tree_put(root, "proc/schedstat", "version 17\ncpu0 1 2 3");
	assert_int_equal(host_sys_schedstat(&r.sys, e, r.err, sizeof(r.err)), 0);

	/* os-release: /usr/lib's when /etc has none; a bad one fails */
	tmp_tree_put(root, "root/usr/lib/os-release", "ID=alpine\nVERSION_ID=3.20.1\n");
	batch_reset(r.er.batch);
	assert_int_equal(host_sys_os(&r.sys, e, r.err, sizeof(r.err)), 0);
	assert_true(sample(r.er.batch, &x, "node_os_version", "id", "alpine", NULL));
	assert_double_equal(x, 3.2);
	tmp_tree_put(root, "root/etc/os-release", "ID=\"debian\nNAME=x\n");
	assert_int_equal(host_sys_os(&r.sys, e, r.err, sizeof(r.err)), -1);
	assert_non_null(strstr(r.err, "/root/etc/os-release': line 1: unmatched \""));

	/* a clocksource without its files fails the source */
	tmp_tree_put(root, "sys/devices/system/clocksource/clocksource0/available_clocksource",
		 "tsc hpet acpi_pm\n");
	assert_int_equal(host_sys_time(&r.sys, e, r.err, sizeof(r.err)), -1);
	assert_non_null(strstr(r.err, "couldn't get clocksources"));
	tmp_tree_put(root, "sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
	tmp_tree_put(root, "sys/devices/system/clocksource/clocksource1/available_clocksource", "x\n");
	tmp_tree_put(root, "sys/devices/system/clocksource/clocksource1/current_clocksource", "x\n");
	tmp_tree_put(root, "sys/devices/system/clocksource/unbind_clocksource", "");
	batch_reset(r.er.batch);
	assert_int_equal(host_sys_time(&r.sys, e, r.err, sizeof(r.err)), 0);
	assert_true(sample(r.er.batch, NULL, "node_time_clocksource_available_info", "clocksource",
			   "acpi_pm", "device", "0", NULL));
	assert_true(sample(r.er.batch, NULL, "node_time_clocksource_current_info", "clocksource",
			   "x", "device", "1", NULL));

	/* the CPUs: isolated ones, online when cpu0 says, throttles once per
	 * core and package */
	tmp_tree_put(root, "sys/devices/system/cpu/isolated", "2-3\n");
	for (int c = 0; c < 4; c++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/online", c);
		tmp_tree_put(root, rel, c == 3 ? "0\n" : "1\n");
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
		tmp_tree_put(root, rel, "0\n");
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/core_id", c);
		tmp_tree_put(root, rel, c % 2 ? "1\n" : "0\n"); /* two threads per core */
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/thermal_throttle/core_throttle_count", c);
		tmp_tree_put(root, rel, c < 2 ? "7\n" : "99\n");
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpu%d/thermal_throttle/package_throttle_count", c);
		tmp_tree_put(root, rel, "3\n");
	}
	tmp_tree_put(root, "sys/devices/system/cpu/cpufreq", "");
	batch_reset(r.er.batch);
	host_sys_cpu(&r.sys, e);
	assert_true(sample(r.er.batch, &x, "node_cpu_isolated", "cpu", "3", NULL));
	assert_false(sample(r.er.batch, NULL, "node_cpu_isolated", "cpu", "1", NULL));
	assert_true(sample(r.er.batch, &x, "node_cpu_online", "cpu", "3", NULL));
	assert_double_equal(x, 0);
	assert_true(sample(r.er.batch, &x, "node_cpu_online", "cpu", "0", NULL));
	assert_double_equal(x, 1);
	assert_true(sample(r.er.batch, &x, "node_cpu_core_throttles_total", "package", "0", "core",
			   "1", NULL));
	assert_double_equal(x, 7); /* cpu1's, the first of core 1 */
	assert_true(sample(r.er.batch, &x, "node_cpu_package_throttles_total", "package", "0", NULL));
	assert_double_equal(x, 3);
	assert_int_equal(r.er.batch->nsamples, 2 + 4 + 2 + 1);
	/* cpu0 without "online" (x86): no node_cpu_online at all */
	char *p0 = xasprintf("%s/sys/devices/system/cpu/cpu0/online", root);
	assert_int_equal(unlink(p0), 0);
	free(p0);
	batch_reset(r.er.batch);
	host_sys_cpu(&r.sys, e);
	assert_false(sample(r.er.batch, NULL, "node_cpu_online", NULL));

	/* DMI: read once per instance; empty values are values */
	tmp_tree_put(root, "sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
	tmp_tree_put(root, "sys/class/dmi/id/board_asset_tag", "\n");
	tmp_tree_put(root, "sys/class/dmi/id/uevent", "MODALIAS=x\n");
	src_stop(&r);
	src_start(&r, root);
	e = &r.er.e;
	assert_int_equal(host_sys_dmi(&r.sys, e, r.err, sizeof(r.err)), 0);
	struct buf out = BUF_INIT(1024);
	labels_of(r.er.batch, "node_dmi_info", &out);
	assert_string_equal(buf_str(&out), "board_asset_tag=,system_vendor=Dell Inc.");
	tmp_tree_put(root, "sys/class/dmi/id/sys_vendor", "Other\n");
	batch_reset(r.er.batch);
	assert_int_equal(host_sys_dmi(&r.sys, e, r.err, sizeof(r.err)), 0);
	assert_true(sample(r.er.batch, NULL, "node_dmi_info", "system_vendor", "Dell Inc.", NULL));
	if (geteuid() != 0) { /* root reads anything */
		tmp_tree_put(root, "sys/class/dmi/id/product_serial", "S3CR3T\n");
		char *p = xasprintf("%s/sys/class/dmi/id/product_serial", root);
		chmod(p, 0);
		free(p);
		src_stop(&r);
		src_start(&r, root);
		e = &r.er.e;
		assert_int_equal(host_sys_dmi(&r.sys, e, r.err, sizeof(r.err)), 0);
		assert_false(sample(r.er.batch, NULL, "node_dmi_info", "product_serial", "S3CR3T",
				    NULL));
	}
	buf_release(&out);
	src_stop(&r);
	tmp_tree_remove(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmstat),
		cmocka_unit_test(test_schedstat),
		cmocka_unit_test(test_os_release),
		cmocka_unit_test(test_os_metrics),
		cmocka_unit_test(test_udev),
		cmocka_unit_test(test_selinux_and_numbers),
		cmocka_unit_test(test_cpu_range),
		cmocka_unit_test(test_timex),
		cmocka_unit_test(test_disk_info),
		cmocka_unit_test(test_sources_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
