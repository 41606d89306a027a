/*
 * host_sys_metrics.c -- node_exporter's families of the host's system
 * sources from parsed data (see host_sys_metrics.h).
 *
 * Called by host_sys.c on the host collector's worker thread, once per
 * collection and source.  Names, labels, units and help texts are those
 * of node_exporter 1.12 (collector/{vmstat_linux,entropy_linux,time,
 * time_linux,timex,os_release,selinux_linux,kernel_hung_linux,dmi,
 * schedstat_linux,diskstats_linux}.go).  Owns nothing.
 */
#include "autoconfig.h"
#include "host_sys_metrics.h"
#include "buf.h"
#include "host.h"
#include "metrics.h"
#include "strutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

static const struct counter_policy host_sys_plain = { 0, 0 };

/* ---- vmstat ----------------------------------------------------------- */

void host_emit_vmstat(struct host_emit *e, const struct host_vmstat *v, struct regex_memo *memo)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct host_vmstat_field *f = &v->fields[i];
		if (!regex_memo_match(memo, &e->conf->vmstat_fields, i, f->name))
			continue;
		char name[160], help[200];
		snprintf(name, sizeof(name), "node_vmstat_%s", f->name);
		snprintf(help, sizeof(help), "/proc/vmstat information field %s.", f->name);
		batch_add_named(e->batch, name, help, METRIC_UNTYPED, f->value, NULL);
	}
}

/* ---- entropy ---------------------------------------------------------- */

static const struct metric_desc host_entropy_avail = {
	"node_entropy_available_bits", "Bits of available entropy.", METRIC_GAUGE,
};
static const struct metric_desc host_entropy_pool = {
	"node_entropy_pool_size_bits", "Bits of entropy pool.", METRIC_GAUGE,
};

void host_emit_entropy_available(struct host_emit *e, uint64_t bits)
{
	batch_add(e->batch, &host_entropy_avail, (double)bits, NULL);
}

void host_emit_entropy_pool_size(struct host_emit *e, uint64_t bits)
{
	batch_add(e->batch, &host_entropy_pool, (double)bits, NULL);
}

/* ---- time ------------------------------------------------------------- */

static const struct metric_desc host_time_now = {
	"node_time_seconds", "System time in seconds since epoch (1970).", METRIC_GAUGE,
};
static const struct metric_desc host_time_zone = {
	"node_time_zone_offset_seconds", "System time zone offset in seconds.", METRIC_GAUGE,
};
static const struct metric_desc host_clocksource_available = {
	"node_time_clocksource_available_info",
	"Available clocksources read from '/sys/devices/system/clocksource'.", METRIC_GAUGE,
};
static const struct metric_desc host_clocksource_current = {
	"node_time_clocksource_current_info",
	"Current clocksource read from '/sys/devices/system/clocksource'.", METRIC_GAUGE,
};

void host_emit_time(struct host_emit *e, double now, const char *zone, long offset)
{
	batch_add(e->batch, &host_time_now, now, NULL);
	batch_add(e->batch, &host_time_zone, (double)offset, "time_zone", zone, NULL);
}

void host_emit_clocksource(struct host_emit *e, size_t device, char *const *available,
			   size_t navailable, const char *current)
{
	char dev[24];
	snprintf(dev, sizeof(dev), "%zu", device);
	for (size_t i = 0; i < navailable; i++)
		batch_add(e->batch, &host_clocksource_available, 1, "clocksource", available[i],
			  "device", dev, NULL);
	batch_add(e->batch, &host_clocksource_current, 1, "clocksource", current, "device", dev,
		  NULL);
}

/* ---- timex ------------------------------------------------------------ */

#define HOST_TIME_ERROR 5           /* adjtimex's TIME_ERROR: clock not synchronized */
#define HOST_STA_NANO 0x2000        /* status bit: offset and jitter in ns, not us */
#define HOST_PPM16FRAC (1000000.0 * 65536.0)

enum host_timex_unit {
	HOST_TX_RAW,       /* as it is */
	HOST_TX_MICRO,     /* microseconds */
	HOST_TX_RES,       /* ns with STA_NANO, us without */
	HOST_TX_PPM16,     /* ppm with a 16-bit fraction */
	HOST_TX_FREQ,      /* 1 + ppm16 */
};

static const struct host_timex_metric {
	struct metric_desc desc;
	size_t offset;
	int is_int;                  /* an int field, not a long */
	enum host_timex_unit unit;
} host_timex_metrics[] = {
	{ { "node_timex_offset_seconds", "Time offset in between local system and reference clock.",
	    METRIC_GAUGE }, offsetof(struct timex, offset), 0, HOST_TX_RES },
	{ { "node_timex_frequency_adjustment_ratio", "Local clock frequency adjustment.",
	    METRIC_GAUGE }, offsetof(struct timex, freq), 0, HOST_TX_FREQ },
	{ { "node_timex_maxerror_seconds", "Maximum error in seconds.", METRIC_GAUGE },
	  offsetof(struct timex, maxerror), 0, HOST_TX_MICRO },
	{ { "node_timex_estimated_error_seconds", "Estimated error in seconds.", METRIC_GAUGE },
	  offsetof(struct timex, esterror), 0, HOST_TX_MICRO },
	{ { "node_timex_status", "Value of the status array bits.", METRIC_GAUGE },
	  offsetof(struct timex, status), 1, HOST_TX_RAW },
	{ { "node_timex_loop_time_constant", "Phase-locked loop time constant.", METRIC_GAUGE },
	  offsetof(struct timex, constant), 0, HOST_TX_RAW },
	{ { "node_timex_tick_seconds", "Seconds between clock ticks.", METRIC_GAUGE },
	  offsetof(struct timex, tick), 0, HOST_TX_MICRO },
	{ { "node_timex_pps_frequency_hertz", "Pulse per second frequency.", METRIC_GAUGE },
	  offsetof(struct timex, ppsfreq), 0, HOST_TX_PPM16 },
	{ { "node_timex_pps_jitter_seconds", "Pulse per second jitter.", METRIC_GAUGE },
	  offsetof(struct timex, jitter), 0, HOST_TX_RES },
	{ { "node_timex_pps_shift_seconds", "Pulse per second interval duration.", METRIC_GAUGE },
	  offsetof(struct timex, shift), 1, HOST_TX_RAW },
	{ { "node_timex_pps_stability_hertz",
	    "Pulse per second stability, average of recent frequency changes.", METRIC_GAUGE },
	  offsetof(struct timex, stabil), 0, HOST_TX_PPM16 },
	{ { "node_timex_pps_jitter_total", "Pulse per second count of jitter limit exceeded events.",
	    METRIC_COUNTER }, offsetof(struct timex, jitcnt), 0, HOST_TX_RAW },
	{ { "node_timex_pps_calibration_total", "Pulse per second count of calibration intervals.",
	    METRIC_COUNTER }, offsetof(struct timex, calcnt), 0, HOST_TX_RAW },
	{ { "node_timex_pps_error_total", "Pulse per second count of calibration errors.",
	    METRIC_COUNTER }, offsetof(struct timex, errcnt), 0, HOST_TX_RAW },
	{ { "node_timex_pps_stability_exceeded_total",
	    "Pulse per second count of stability limit exceeded events.", METRIC_COUNTER },
	  offsetof(struct timex, stbcnt), 0, HOST_TX_RAW },
	{ { "node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.",
	    METRIC_GAUGE }, offsetof(struct timex, tai), 1, HOST_TX_RAW },
};

static const struct metric_desc host_timex_sync = {
	"node_timex_sync_status", "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
	METRIC_GAUGE,
};

void host_emit_timex(struct host_emit *e, const struct timex *tx, int state)
{
	double res = (tx->status & HOST_STA_NANO) ? 1e9 : 1e6;
	batch_add(e->batch, &host_timex_sync, state == HOST_TIME_ERROR ? 0 : 1, NULL);
	for (size_t i = 0; i < sizeof(host_timex_metrics) / sizeof(host_timex_metrics[0]); i++) {
		const struct host_timex_metric *m = &host_timex_metrics[i];
		const char *field = (const char *)tx + m->offset;
		long raw = m->is_int ? (long)*(const int *)field : *(const long *)field;
		double v = (double)raw;
		switch (m->unit) {
		case HOST_TX_MICRO:
			v /= 1e6;
			break;
		case HOST_TX_RES:
			v /= res;
			break;
		case HOST_TX_PPM16:
			v /= HOST_PPM16FRAC;
			break;
		case HOST_TX_FREQ:
			v = 1 + v / HOST_PPM16FRAC;
			break;
		case HOST_TX_RAW:
			break;
		}
		if (m->desc.type == METRIC_COUNTER && raw >= 0)
			host_counter(e, m->desc.name, m->desc.help, (uint64_t)raw, 1, 1,
				     &host_sys_plain, NULL, 0);
		else
			batch_add(e->batch, &m->desc, v, NULL);
	}
}

/* ---- os --------------------------------------------------------------- */

static const struct metric_desc host_os_info = {
	"node_os_info",
	"A metric with a constant '1' value labeled by build_id, id, id_like, image_id, "
	"image_version, name, pretty_name, variant, variant_id, version, version_codename, "
	"version_id.",
	METRIC_GAUGE,
};
static const struct metric_desc host_os_version = {
	"node_os_version", "Metric containing the major.minor part of the OS version.",
	METRIC_GAUGE,
};
static const struct metric_desc host_os_support_end = {
	"node_os_support_end_timestamp_seconds",
	"Metric containing the end-of-life date timestamp of the OS.", METRIC_GAUGE,
};

int host_emit_os(struct host_emit *e, const struct host_os_release *os, char *err,
		 size_t errlen)
{
	double version;
	int64_t end = 0;
	const char *support_end = os->values[HOST_OS_SUPPORT_END];
	if (host_os_version_of(os->values[HOST_OS_VERSION_ID], &version) < 0) {
		snprintf(err, errlen, "os-release: VERSION_ID '%s' is out of range",
			 os->values[HOST_OS_VERSION_ID]);
		return -1;
	}
	if (support_end[0] && host_parse_date(support_end, &end) < 0) {
		snprintf(err, errlen, "os-release: SUPPORT_END '%s' is no YYYY-MM-DD date",
			 support_end);
		return -1;
	}
	const char *labels[2 * HOST_OS_SUPPORT_END];
	for (int k = 0; k < HOST_OS_SUPPORT_END; k++) {
		labels[2 * k] = host_os_labels[k];
		labels[2 * k + 1] = os->values[k];
	}
	batch_addv(e->batch, host_os_info.name, host_os_info.help, METRIC_GAUGE, 1, labels,
		   HOST_OS_SUPPORT_END);
	if (version > 0)
		batch_add(e->batch, &host_os_version, version, "id", os->values[HOST_OS_ID],
			  "id_like", os->values[HOST_OS_ID_LIKE], "name", os->values[HOST_OS_NAME],
			  NULL);
	if (support_end[0])
		batch_add(e->batch, &host_os_support_end, (double)end, NULL);
	return 0;
}

/* ---- selinux, kernel_hung --------------------------------------------- */

static const struct metric_desc host_selinux_enabled = {
	"node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false", METRIC_GAUGE,
};
static const struct metric_desc host_selinux_config = {
	"node_selinux_config_mode", "Configured SELinux enforcement mode", METRIC_GAUGE,
};
static const struct metric_desc host_selinux_current = {
	"node_selinux_current_mode", "Current SELinux enforcement mode", METRIC_GAUGE,
};

void host_emit_selinux(struct host_emit *e, int enabled, int config_mode, int current_mode)
{
	batch_add(e->batch, &host_selinux_enabled, enabled ? 1 : 0, NULL);
	if (!enabled)
		return;
	batch_add(e->batch, &host_selinux_config, config_mode, NULL);
	batch_add(e->batch, &host_selinux_current, current_mode, NULL);
}

void host_emit_kernel_hung(struct host_emit *e, uint64_t count)
{
	host_counter(e, "node_kernel_hung_tasks_total",
		     "Total number of tasks that have been detected as hung since the system booted.",
		     count, 1, 1, &host_sys_plain, NULL, 0);
}

/* ---- dmi -------------------------------------------------------------- */

const char *const host_dmi_files[HOST_DMI_NLABELS] = {
	"bios_date", "bios_release", "bios_vendor", "bios_version", "board_asset_tag",
	"board_name", "board_serial", "board_vendor", "board_version", "chassis_asset_tag",
	"chassis_serial", "chassis_vendor", "chassis_version", "product_family", "product_name",
	"product_serial", "product_sku", "product_uuid", "product_version", "sys_vendor",
};
const char *const host_dmi_labels[HOST_DMI_NLABELS] = {
	"bios_date", "bios_release", "bios_vendor", "bios_version", "board_asset_tag",
	"board_name", "board_serial", "board_vendor", "board_version", "chassis_asset_tag",
	"chassis_serial", "chassis_vendor", "chassis_version", "product_family", "product_name",
	"product_serial", "product_sku", "product_uuid", "product_version", "system_vendor",
};

static const struct metric_desc host_dmi_info = {
	"node_dmi_info",
	"A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, "
	"bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, "
	"chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, "
	"product_name, product_serial, product_sku, product_uuid, product_version, system_vendor "
	"if provided by DMI.",
	METRIC_GAUGE,
};

void host_emit_dmi(struct host_emit *e, char *const *values)
{
	const char *labels[2 * HOST_DMI_NLABELS];
	size_t n = 0;
	for (size_t k = 0; k < HOST_DMI_NLABELS; k++) {
		if (!values[k])
			continue;
		labels[2 * n] = host_dmi_labels[k];
		labels[2 * n + 1] = values[k];
		n++;
	}
	if (n)
		batch_addv(e->batch, host_dmi_info.name, host_dmi_info.help, METRIC_GAUGE, 1, labels,
			   n);
}

/* ---- cpu (from sysfs) -------------------------------------------------- */

static const struct metric_desc host_cpu_isolated = {
	"node_cpu_isolated",
	"Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
	METRIC_GAUGE,
};
static const struct metric_desc host_cpu_online = {
	"node_cpu_online", "CPUs that are online and being scheduled.", METRIC_GAUGE,
};

void host_emit_cpu_isolated(struct host_emit *e, const unsigned *cpus, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char cpu[16];
		snprintf(cpu, sizeof(cpu), "%u", cpus[i]);
		batch_add(e->batch, &host_cpu_isolated, 1, "cpu", cpu, NULL);
	}
}

void host_emit_cpu_online(struct host_emit *e, const char *cpu, int online)
{
	batch_add(e->batch, &host_cpu_online, online ? 1 : 0, "cpu", cpu, NULL);
}

void host_emit_cpu_core_throttles(struct host_emit *e, uint64_t package, uint64_t core,
				  uint64_t count)
{
	char pkg[24], cr[24];
	snprintf(pkg, sizeof(pkg), "%" PRIu64, package);
	snprintf(cr, sizeof(cr), "%" PRIu64, core);
	const char *labels[] = { "core", cr, "package", pkg };
	host_counter(e, "node_cpu_core_throttles_total",
		     "Number of times this CPU core has been throttled.", count, 1, 1,
		     &host_sys_plain, labels, 2);
}

void host_emit_cpu_package_throttles(struct host_emit *e, uint64_t package, uint64_t count)
{
	char pkg[24];
	snprintf(pkg, sizeof(pkg), "%" PRIu64, package);
	const char *labels[] = { "package", pkg };
	host_counter(e, "node_cpu_package_throttles_total",
		     "Number of times this CPU package has been throttled.", count, 1, 1,
		     &host_sys_plain, labels, 1);
}

/* ---- schedstat -------------------------------------------------------- */

void host_emit_schedstat(struct host_emit *e, const struct host_schedstat *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct host_schedstat_cpu *c = &s->cpus[i];
		const char *labels[] = { "cpu", c->cpu };
		host_counter(e, "node_schedstat_running_seconds_total",
			     "Number of seconds CPU spent running a process.", c->running_ns, 1, 1e9,
			     &host_sys_plain, labels, 1);
		host_counter(e, "node_schedstat_waiting_seconds_total",
			     "Number of seconds spent by processing waiting for this CPU.",
			     c->waiting_ns, 1, 1e9, &host_sys_plain, labels, 1);
		host_counter(e, "node_schedstat_timeslices_total",
			     "Number of timeslices executed by CPU.", c->timeslices, 1, 1,
			     &host_sys_plain, labels, 1);
	}
}

/* ---- diskstats' info families ------------------------------------------ */

static const struct metric_desc host_disk_info = {
	"node_disk_info", "Info of /sys/block/<block_device>.", METRIC_GAUGE,
};
static const struct metric_desc host_disk_fs_info = {
	"node_disk_filesystem_info", "Info about disk filesystem.", METRIC_GAUGE,
};
static const struct metric_desc host_disk_dm_info = {
	"node_disk_device_mapper_info", "Info about disk device mapper.", METRIC_GAUGE,
};

static const struct {
	const char *property;
	struct metric_desc desc;
} host_disk_ata[] = {
	{ "ID_ATA_WRITE_CACHE",
	  { "node_disk_ata_write_cache", "ATA disk has a write cache.", METRIC_GAUGE } },
	{ "ID_ATA_WRITE_CACHE_ENABLED",
	  { "node_disk_ata_write_cache_enabled", "ATA disk has its write cache enabled.",
	    METRIC_GAUGE } },
	{ "ID_ATA_ROTATION_RATE_RPM",
	  { "node_disk_ata_rotation_rate_rpm", "ATA disk rotation rate in RPMs (0 for SSDs).",
	    METRIC_GAUGE } },
};

/* The property's value, "" when it has none. */
static const char *host_udev_str(const struct host_udev *u, const char *name)
{
	const char *v = host_udev_get(u, name);
	return v ? v : "";
}

void host_emit_disk_info(struct host_emit *e, const char *device, unsigned major, unsigned minor,
			 const struct host_udev *u, const char *rotational)
{
	char maj[16], min[16];
	snprintf(maj, sizeof(maj), "%u", major);
	snprintf(min, sizeof(min), "%u", minor);
	/* the serial printed on the disk, else the short one, else ID_SERIAL (virtio) */
	const char *serial = host_udev_str(u, "SCSI_IDENT_SERIAL");
	if (!serial[0])
		serial = host_udev_str(u, "ID_SERIAL_SHORT");
	if (!serial[0])
		serial = host_udev_str(u, "ID_SERIAL");
	batch_add(e->batch, &host_disk_info, 1, "device", device, "major", maj, "minor", min,
		  "model", host_udev_str(u, "ID_MODEL"), "path", host_udev_str(u, "ID_PATH"),
		  "revision", host_udev_str(u, "ID_REVISION"), "rotational", rotational, "serial",
		  serial, "wwn", host_udev_str(u, "ID_WWN"), NULL);
	const char *fstype = host_udev_str(u, "ID_FS_TYPE");
	if (fstype[0])
		batch_add(e->batch, &host_disk_fs_info, 1, "device", device, "type", fstype, "usage",
			  host_udev_str(u, "ID_FS_USAGE"), "uuid", host_udev_str(u, "ID_FS_UUID"),
			  "version", host_udev_str(u, "ID_FS_VERSION"), NULL);
	const char *dm = host_udev_str(u, "DM_NAME");
	if (dm[0])
		batch_add(e->batch, &host_disk_dm_info, 1, "device", device, "lv_layer",
			  host_udev_str(u, "DM_LV_LAYER"), "lv_name", host_udev_str(u, "DM_LV_NAME"),
			  "name", dm, "uuid", host_udev_str(u, "DM_UUID"), "vg_name",
			  host_udev_str(u, "DM_VG_NAME"), NULL);
	if (!host_udev_str(u, "ID_ATA")[0])
		return;
	for (size_t i = 0; i < sizeof(host_disk_ata) / sizeof(host_disk_ata[0]); i++) {
		const char *v = host_udev_get(u, host_disk_ata[i].property);
		double x;
		if (v && parse_double(v, &x) == 0)
			batch_add(e->batch, &host_disk_ata[i].desc, x, "device", device, NULL);
	}
}
