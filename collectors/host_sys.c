/*
 * host_sys.c -- the host collector's system sources (see host_sys.h):
 * what each reads, and what it does when a file is missing, as the
 * node_exporter 1.12 collector of the same name does.
 *
 * Called by host.c on the host instance's worker thread, once per
 * collection and source.  Files are read into the struct host_sys's one
 * capped buffer (or, for the small sysfs attributes, with one read(2) of
 * at most 128 bytes, as procfs' SysReadFile) and parsed by the pure
 * parsers of host_sys_proc.c; host_sys_metrics.c adds the samples.  The
 * DMI strings are read once per instance (they change only with the
 * hardware, and node_exporter reads them once at start).
 *
 * Owns its buffer, the parsed results (reused) and the DMI strings, all
 * freed by host_sys_release(); the config is borrowed.
 */
#include "autoconfig.h"
#include "host_sys.h"
#include "host.h"
#include "host_sys_metrics.h"
#include "strutil.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>
#include "banned.h"

#define HOST_SYS_TEXT_MAX ((size_t)1 << 20)
#define HOST_SELINUX_MAGIC 0xf97cff8cu

void host_sys_init(struct host_sys *s, const struct host_config *conf)
{
	memset(s, 0, sizeof(*s));
	s->conf = conf;
	buf_init(&s->text, HOST_SYS_TEXT_MAX);
}

void host_sys_release(struct host_sys *s)
{
	regex_memo_release(&s->vmstat_memo);
	buf_release(&s->text);
	host_vmstat_release(&s->vmstat);
	host_schedstat_release(&s->schedstat);
	host_udev_release(&s->udev);
	free(s->cpus);
	for (size_t k = 0; k < HOST_DMI_NLABELS; k++)
		free(s->dmi[k]);
	memset(s, 0, sizeof(*s));
}

int host_sys_path(char *out, size_t outlen, const char *base, const char *rel)
{
	size_t n = strlen(base);
	int w = snprintf(out, outlen, "%s%s%s", base, n && base[n - 1] == '/' ? "" : "/", rel);
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

int host_read_file(struct buf *text, const char *base, const char *rel, char *err,
		   size_t errlen)
{
	char path[4096];
	if (host_sys_path(path, sizeof(path), base, rel) < 0) {
		errno = ENAMETOOLONG;
		snprintf(err, errlen, "cannot read '%s/%s': path too long", base, rel);
		return -1;
	}
	if (read_file(path, text) < 0) {
		int errnum = errno;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errnum));
		errno = errnum;
		return -1;
	}
	return 0;
}

/* Reads base/rel into s->text; -1 with errno set and err filled. */
static int host_sys_read(struct host_sys *s, const char *base, const char *rel, char *err,
			 size_t errlen)
{
	return host_read_file(&s->text, base, rel, err, errlen);
}

int host_sys_read_small(const char *path, char *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n;
	do
		n = read(fd, out, HOST_SYS_SMALL);
	while (n < 0 && errno == EINTR);
	int errnum = errno;
	close(fd);
	if (n < 0) {
		errno = errnum;
		return -1;
	}
	out[n] = '\0';
	char *t = trim(out);
	memmove(out, t, strlen(t) + 1);
	return 0;
}

/* ---- vmstat, entropy, kernel_hung, schedstat --------------------------- */

int host_sys_vmstat(struct host_sys *s, struct host_emit *e, char *err, size_t errlen)
{
	char why[256];
	if (host_sys_read(s, s->conf->procfs, "vmstat", err, errlen) < 0)
		return -1;
	if (host_parse_vmstat(s->text.data, s->text.len, &s->vmstat, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "cannot parse '%s/vmstat': %s", s->conf->procfs, why);
		return -1;
	}
	host_emit_vmstat(e, &s->vmstat, &s->vmstat_memo);
	return 0;
}

/* A number file of procfs: 0, 1 when it does not exist, -1 with err. */
static int host_sys_number(struct host_sys *s, const char *rel, uint64_t *v, char *err,
			   size_t errlen)
{
	if (host_sys_read(s, s->conf->procfs, rel, err, errlen) < 0)
		return errno == ENOENT ? 1 : -1;
	if (host_parse_uint_text(s->text.data, v) < 0) {
		snprintf(err, errlen, "cannot parse '%s/%s': expected a number", s->conf->procfs,
			 rel);
		return -1;
	}
	return 0;
}

int host_sys_entropy(struct host_sys *s, struct host_emit *e, char *err, size_t errlen)
{
	uint64_t avail, pool;
	int rc = host_sys_number(s, "sys/kernel/random/entropy_avail", &avail, err, errlen);
	if (rc > 0)
		snprintf(err, errlen, "couldn't get entropy_avail");
	if (rc != 0)
		return -1;
	host_emit_entropy_available(e, avail);
	rc = host_sys_number(s, "sys/kernel/random/poolsize", &pool, err, errlen);
	if (rc > 0)
		snprintf(err, errlen, "couldn't get entropy poolsize");
	if (rc != 0)
		return -1;
	host_emit_entropy_pool_size(e, pool);
	return 0;
}

int host_sys_kernel_hung(struct host_sys *s, struct host_emit *e, char *err, size_t errlen)
{
	uint64_t count;
	int rc = host_sys_number(s, "sys/kernel/hung_task_detect_count", &count, err, errlen);
	if (rc > 0)
		return HOST_SOURCE_NO_DATA; /* before Linux 6.13 */
	if (rc < 0)
		return -1;
	host_emit_kernel_hung(e, count);
	return 0;
}

int host_sys_schedstat(struct host_sys *s, struct host_emit *e, char *err, size_t errlen)
{
	char why[256];
	if (host_sys_read(s, s->conf->procfs, "schedstat", err, errlen) < 0)
		return errno == ENOENT ? HOST_SOURCE_NO_DATA : -1; /* CONFIG_SCHEDSTATS off */
	host_parse_schedstat(s->text.data, s->text.len, &s->schedstat, why, sizeof(why));
	host_emit_schedstat(e, &s->schedstat);
	return 0;
}

/* ---- time, timex ------------------------------------------------------ */

static int host_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries PREFIX[0-9]* of dir, sorted by name (as filepath.Glob);
 * the caller frees each and the array.  None when the directory cannot be
 * read (Glob reports no error then either). */
static size_t host_numbered_dirs(const char *dir, const char *prefix, char ***out)
{
	DIR *d = opendir(dir);
	size_t n = 0, alloc = 0, plen = strlen(prefix);
	*out = NULL;
	if (!d)
		return 0;
	const struct dirent *ent;
	while ((ent = readdir(d)) != NULL) {
		if (strncmp(ent->d_name, prefix, plen) != 0 || ent->d_name[plen] < '0' ||
		    ent->d_name[plen] > '9')
			continue;
		*out = xgrow(*out, &alloc, n + 1, sizeof(**out));
		(*out)[n++] = xstrdup(ent->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(*out, n, sizeof(**out), host_name_cmp);
	return n;
}

/* One clocksource's available and current clocksource; -1 with err. */
static int host_clocksource(struct host_emit *e, const char *dir, const char *name, size_t device,
			    char *err, size_t errlen)
{
	char path[4096], rel[300], available[HOST_SYS_SMALL + 1], current[HOST_SYS_SMALL + 1];
	static const char *const files[] = { "available_clocksource", "current_clocksource" };
	char *const bufs[] = { available, current };
	for (int k = 0; k < 2; k++) {
		snprintf(rel, sizeof(rel), "%s/%s", name, files[k]);
		if (host_sys_path(path, sizeof(path), dir, rel) < 0 ||
		    host_sys_read_small(path, bufs[k]) < 0) {
			snprintf(err, errlen, "couldn't get clocksources: cannot read '%s': %s", path,
				 strerror(errno));
			return -1;
		}
	}
	char *words[32];
	size_t n = split_fields(available, words, 32);
	host_emit_clocksource(e, device, words, n < 32 ? n : 32, current);
	return 0;
}

int host_sys_time(struct host_sys *s, struct host_emit *e, char *err, size_t errlen)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t sec = ts.tv_sec;
	tzset();
	if (!localtime_r(&sec, &tm)) {
		snprintf(err, errlen, "localtime: %s", strerror(errno));
		return -1;
	}
	host_emit_time(e, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9,
		       tm.tm_zone ? tm.tm_zone : "", tm.tm_gmtoff);
	char dir[4096];
	if (host_sys_path(dir, sizeof(dir), s->conf->sysfs, "devices/system/clocksource") < 0) {
		snprintf(err, errlen, "sysfs: path too long");
		return -1;
	}
	char **names;
	size_t n = host_numbered_dirs(dir, "clocksource", &names);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = host_clocksource(e, dir, names[i], i, err, errlen);
		free(names[i]);
	}
	free(names);
	return rc;
}

int host_sys_timex(struct host_sys *s, struct host_emit *e, char *err, size_t errlen)
{
	struct timex tx;
	memset(&tx, 0, sizeof(tx)); /* modes 0: read only */
	int state = adjtimex(&tx);
	if (state < 0) {
		if (errno == EPERM)
			return HOST_SOURCE_NO_DATA;
		snprintf(err, errlen, "failed to retrieve adjtimex stats: %s", strerror(errno));
		return -1;
	}
	host_emit_timex(e, &tx, state);
	return 0;
}

/* ---- os, selinux, dmi ------------------------------------------------- */

int host_sys_os(struct host_sys *s, struct host_emit *e, char *err, size_t errlen)
{
	static const char *const files[] = { "etc/os-release", "usr/lib/os-release" };
	size_t k = 0;
	for (; k < sizeof(files) / sizeof(files[0]); k++) {
		if (host_sys_read(s, s->conf->rootfs, files[k], err, errlen) == 0)
			break;
		if (errno != ENOENT)
			return -1;
	}
	if (k == sizeof(files) / sizeof(files[0]))
		return HOST_SOURCE_NO_DATA;
	struct host_os_release os;
	char why[256];
	if (host_parse_os_release(s->text.data, s->text.len, &os, why, sizeof(why)) < 0) {
		char path[4096];
		host_sys_path(path, sizeof(path), s->conf->rootfs, files[k]);
		snprintf(err, errlen, "cannot parse '%s': %s", path, why);
		return -1;
	}
	return host_emit_os(e, &os, err, errlen);
}

/* go-selinux's test: an selinuxfs mounted read-write at /sys/fs/selinux,
 * and a process context that is not "kernel". */
static int host_selinux_enabled(struct host_sys *s, char *mnt, size_t mntlen)
{
	struct statfs st;
	if (host_sys_path(mnt, mntlen, s->conf->sysfs, "fs/selinux") < 0 || statfs(mnt, &st) < 0 ||
	    (uint32_t)st.f_type != HOST_SELINUX_MAGIC || (st.f_flags & ST_RDONLY))
		return 0;
	char err[256];
	if (host_sys_read(s, s->conf->procfs, "thread-self/attr/current", err, sizeof(err)) < 0)
		return 1; /* no label to read: not "kernel" */
	while (s->text.len && s->text.data[s->text.len - 1] == '\0')
		s->text.len--;
	return !(s->text.len == 6 && memcmp(s->text.data, "kernel", 6) == 0);
}

int host_sys_selinux(struct host_sys *s, struct host_emit *e, char *err, size_t errlen)
{
	char mnt[4096], path[4200], value[HOST_SYS_SMALL + 1];
	if (!host_selinux_enabled(s, mnt, sizeof(mnt))) {
		host_emit_selinux(e, 0, 0, 0);
		return 0;
	}
	int config = -1, current = -1;
	char why[256];
	if (host_sys_read(s, s->conf->rootfs, "etc/selinux/config", why, sizeof(why)) == 0)
		config = host_selinux_config_mode(s->text.data, s->text.len);
	int64_t v;
	snprintf(path, sizeof(path), "%s/enforce", mnt);
	if (host_sys_read_small(path, value) == 0 && parse_int64(value, &v) == 0)
		current = (int)v;
	host_emit_selinux(e, 1, config, current);
	return 0;
}

/* Reads /sys/class/dmi/id once: the regular files but modalias and
 * uevent, those this user may not read (the serials, as non-root) left
 * out.  0, 1 when there is no such directory, -1 with err. */
static int host_dmi_read(struct host_sys *s, char *err, size_t errlen)
{
	char dir[4096], path[4400], value[HOST_SYS_SMALL + 1];
	if (host_sys_path(dir, sizeof(dir), s->conf->sysfs, "class/dmi/id") < 0) {
		snprintf(err, errlen, "sysfs: path too long");
		return -1;
	}
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "failed to read directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	const struct dirent *ent;
	int rc = 0;
	while (rc == 0 && (ent = readdir(d)) != NULL) {
		int k = -1;
		for (int i = 0; i < HOST_DMI_NLABELS; i++)
			if (strcmp(ent->d_name, host_dmi_files[i]) == 0)
				k = i;
		if (k < 0)
			continue; /* not one of ours (chassis_type is read but not served) */
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (host_sys_read_small(path, value) < 0) {
			if (errno == EACCES || errno == EPERM)
				continue; /* only root reads the serials and product_uuid */
			snprintf(err, errlen, "failed to read file '%s': %s", path, strerror(errno));
			rc = -1;
			break;
		}
		free(s->dmi[k]);
		s->dmi[k] = xstrdup(value);
	}
	closedir(d);
	return rc;
}

int host_sys_dmi(struct host_sys *s, struct host_emit *e, char *err, size_t errlen)
{
	if (!s->dmi_read) {
		int rc = host_dmi_read(s, err, errlen);
		if (rc < 0)
			return -1;
		s->dmi_read = 1;
	}
	for (size_t k = 0; k < HOST_DMI_NLABELS; k++) {
		if (s->dmi[k]) {
			host_emit_dmi(e, s->dmi);
			return 0;
		}
	}
	return HOST_SOURCE_NO_DATA;
}

/* ---- cpu (from sysfs) -------------------------------------------------- */

/* A number file (ReadUintFromFile) under dir; -1 if unreadable. */
static int host_sys_uint_at(struct host_sys *s, const char *dir, const char *rel, uint64_t *v)
{
	char err[256];
	if (host_sys_read(s, dir, rel, err, sizeof(err)) < 0)
		return -1;
	return host_parse_uint_text(s->text.data, v);
}

/* The throttle counters: a core's once per (package, core), a package's
 * once per package, from the first CPU that has them. */
static void host_cpu_throttles(struct host_sys *s, struct host_emit *e, const char *dir,
			       char *const *names, size_t n)
{
	uint64_t(*seen)[2] = xcalloc(n + 1, sizeof(*seen)); /* package, core */
	uint64_t *packages = xcalloc(n + 1, sizeof(*packages));
	size_t nseen = 0, npackages = 0;
	for (size_t i = 0; i < n; i++) {
		char cpu[4096], rel[64];
		uint64_t pkg, core, count;
		if (host_sys_path(cpu, sizeof(cpu), dir, names[i]) < 0 ||
		    host_sys_uint_at(s, cpu, "topology/physical_package_id", &pkg) < 0 ||
		    host_sys_uint_at(s, cpu, "topology/core_id", &core) < 0)
			continue;
		size_t k = 0;
		while (k < nseen && !(seen[k][0] == pkg && seen[k][1] == core))
			k++;
		if (k == nseen) {
			seen[nseen][0] = pkg;
			seen[nseen++][1] = core;
			snprintf(rel, sizeof(rel), "thermal_throttle/core_throttle_count");
			if (host_sys_uint_at(s, cpu, rel, &count) == 0)
				host_emit_cpu_core_throttles(e, pkg, core, count);
		}
		for (k = 0; k < npackages && packages[k] != pkg; k++)
			;
		if (k == npackages) {
			packages[npackages++] = pkg;
			snprintf(rel, sizeof(rel), "thermal_throttle/package_throttle_count");
			if (host_sys_uint_at(s, cpu, rel, &count) == 0)
				host_emit_cpu_package_throttles(e, pkg, count);
		}
	}
	free(seen);
	free(packages);
}

/* node_cpu_online, unless the first CPU has no "online" (cpu0 of most
 * x86 machines: then node_exporter serves none). */
static void host_cpu_online(struct host_emit *e, const char *dir, char *const *names, size_t n)
{
	char path[4200], value[HOST_SYS_SMALL + 1];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s/online", dir, names[i]);
		int ok = host_sys_read_small(path, value) == 0;
		if (i == 0 && !ok && errno == ENOENT)
			return;
		host_emit_cpu_online(e, names[i] + 3, ok && strcmp(value, "1") == 0);
	}
}

void host_sys_cpu(struct host_sys *s, struct host_emit *e)
{
	char dir[4096], err[256];
	size_t n;
	if (host_sys_path(dir, sizeof(dir), s->conf->sysfs, "devices/system/cpu") < 0)
		return;
	if (host_sys_read(s, dir, "isolated", err, sizeof(err)) == 0 &&
	    host_parse_cpu_range(s->text.data, &s->cpus, &n, &s->cpus_alloc) == 0)
		host_emit_cpu_isolated(e, s->cpus, n);
	char **names;
	n = host_numbered_dirs(dir, "cpu", &names);
	host_cpu_throttles(s, e, dir, names, n);
	host_cpu_online(e, dir, names, n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ---- diskstats' info families ------------------------------------------ */

/* "1" when sysfs says the device rotates, "0" otherwise (or on error). */
static const char *host_disk_rotational(struct host_sys *s, const char *device)
{
	char rel[512], err[256];
	uint64_t v;
	snprintf(rel, sizeof(rel), "block/%s/queue/rotational", device);
	if (host_sys_read(s, s->conf->sysfs, rel, err, sizeof(err)) < 0 ||
	    host_parse_uint_text(s->text.data, &v) < 0)
		return "0";
	return v == 1 ? "1" : "0";
}

void host_sys_disk_info(struct host_sys *s, struct host_emit *e, const struct host_disks *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct host_disk *disk = &d->disks[i];
		if (conf_regex_match(&e->conf->disk_device_exclude, disk->name))
			continue;
		const char *rotational = host_disk_rotational(s, disk->name);
		char rel[64], err[256];
		snprintf(rel, sizeof(rel), "b%u:%u", disk->major, disk->minor);
		s->udev.n = 0;
		if (host_sys_read(s, s->conf->udev_data, rel, err, sizeof(err)) == 0)
			host_parse_udev(s->text.data, s->text.len, &s->udev, err, sizeof(err));
		host_emit_disk_info(e, disk->name, disk->major, disk->minor, &s->udev, rotational);
	}
}
