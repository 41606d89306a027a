/*
 * host_net.c -- the host collector's network sources (see host_net.h):
 * which files each reads, what their absence means, as node_exporter 1.12
 * has it.  Called on the [host] target's worker thread; owns the text
 * buffers and the parsed results it reuses from one collection to the next.
 */
#include "autoconfig.h"
#include "host_net.h"
#include "host.h"
#include "host_sys.h"
#include "strutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "banned.h"

#define HOST_NET_TEXT_MAX ((size_t)16 << 20) /* /proc/net/udp of a busy DNS server */
#define HOST_NET_DEVICES_MAX 4096           /* interfaces of /sys/class/net read */

void host_net_init(struct host_net *n, const struct host_config *conf)
{
	memset(n, 0, sizeof(*n));
	n->conf = conf;
	buf_init(&n->text, HOST_NET_TEXT_MAX);
	buf_init(&n->text6, HOST_NET_TEXT_MAX);
	long page = sysconf(_SC_PAGESIZE);
	n->page_size = page > 0 ? page : 4096;
}

void host_net_release(struct host_net *n)
{
	buf_release(&n->text);
	buf_release(&n->text6);
	host_netstat_release(&n->netstat);
	host_sockstat_release(&n->sockstat);
	host_softnet_release(&n->softnet);
	host_arp_release(&n->arp);
	regex_memo_release(&n->netstat_memo);
	regex_memo_release(&n->snmp6_memo);
}

/* procfs/rel into text: 0, 1 when it does not exist, -1 with err. */
static int net_read(struct host_net *n, struct buf *text, const char *rel, char *err,
		    size_t errlen)
{
	if (host_read_file(text, n->conf->procfs, rel, err, errlen) < 0)
		return errno == ENOENT ? 1 : -1;
	return 0;
}

/* "cannot parse 'procfs/rel': why" into err; returns -1. */
static int net_parse_failed(struct host_net *n, const char *rel, const char *why, char *err,
			    size_t errlen)
{
	snprintf(err, errlen, "cannot parse '%s/%s': %s", n->conf->procfs, rel, why);
	return -1;
}

/* ---- netstat ---------------------------------------------------------- */

int host_net_netstat(struct host_net *n, struct host_emit *e, char *err, size_t errlen)
{
	static const char *const files[] = { "net/netstat", "net/snmp" };
	char why[256];
	host_netstat_reset(&n->netstat);
	/* the fields point into the texts: one buffer per file */
	struct buf *texts[] = { &n->text, &n->text6 };
	for (size_t i = 0; i < 2; i++) {
		if (host_read_file(texts[i], n->conf->procfs, files[i], err, errlen) < 0)
			return -1;
		if (host_parse_netstat(texts[i]->data, texts[i]->len, &n->netstat, why, sizeof(why)) < 0)
			return net_parse_failed(n, files[i], why, err, errlen);
	}
	host_emit_netstat(e, &n->netstat, &n->netstat_memo);
	/* snmp6 after the others were emitted: its fields point into text,
	 * which it reuses (no IPv6 on this kernel: none) */
	host_netstat_reset(&n->netstat);
	int rc = net_read(n, &n->text, "net/snmp6", err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		host_parse_snmp6(n->text.data, n->text.len, &n->netstat, why, sizeof(why));
		host_emit_netstat(e, &n->netstat, &n->snmp6_memo);
	}
	err[0] = '\0';
	return 0;
}

/* ---- sockstat ---------------------------------------------------------- */

int host_net_sockstat(struct host_net *n, struct host_emit *e, char *err, size_t errlen)
{
	static const char *const files[] = { "net/sockstat", "net/sockstat6" };
	char why[256];
	for (size_t i = 0; i < 2; i++) {
		int rc = net_read(n, &n->text, files[i], err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0) /* IPv4 or IPv6 off on this kernel */
			continue;
		if (host_parse_sockstat(n->text.data, n->text.len, &n->sockstat, why, sizeof(why)) < 0)
			return net_parse_failed(n, files[i], why, err, errlen);
		if (i == 1)
			n->sockstat.has_used = 0; /* IPv4's only, as node_exporter has it */
		host_emit_sockstat(e, &n->sockstat, n->page_size);
	}
	err[0] = '\0';
	return 0;
}

/* ---- softnet ----------------------------------------------------------- */

int host_net_softnet(struct host_net *n, struct host_emit *e, char *err, size_t errlen)
{
	char why[256];
	if (host_read_file(&n->text, n->conf->procfs, "net/softnet_stat", err, errlen) < 0)
		return -1;
	if (host_parse_softnet(n->text.data, n->text.len, &n->softnet, why, sizeof(why)) < 0)
		return net_parse_failed(n, "net/softnet_stat", why, err, errlen);
	host_emit_softnet(e, &n->softnet);
	return 0;
}

/* ---- udp_queues -------------------------------------------------------- */

int host_net_udp_queues(struct host_net *n, struct host_emit *e, char *err, size_t errlen)
{
	static const struct { const char *file, *ip; } files[] = {
		{ "net/udp", "v4" }, { "net/udp6", "v6" },
	};
	char why[256];
	int found = 0;
	for (size_t i = 0; i < 2; i++) {
		uint64_t tx, rx;
		int rc = net_read(n, &n->text, files[i].file, err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		if (host_parse_udp_queues(n->text.data, n->text.len, &tx, &rx, why, sizeof(why)) < 0)
			return net_parse_failed(n, files[i].file, why, err, errlen);
		host_emit_udp_queues(e, files[i].ip, tx, rx);
		found = 1;
	}
	err[0] = '\0';
	return found ? 0 : HOST_SOURCE_NO_DATA;
}

/* ---- arp, conntrack ----------------------------------------------------- */

int host_net_arp(struct host_net *n, struct host_emit *e, char *err, size_t errlen)
{
	char why[256];
	if (host_read_file(&n->text, n->conf->procfs, "net/arp", err, errlen) < 0)
		return -1;
	host_parse_arp(n->text.data, n->text.len, &n->arp, why, sizeof(why));
	host_emit_arp(e, &n->arp);
	return 0;
}

/* A number file of procfs: 0, 1 when it does not exist, -1 with err. */
static int net_number(struct host_net *n, const char *rel, uint64_t *v, char *err, size_t errlen)
{
	int rc = net_read(n, &n->text, rel, err, errlen);
	if (rc != 0)
		return rc;
	if (parse_uint64(trim(n->text.data), v) < 0) {
		snprintf(err, errlen, "cannot parse '%s/%s': expected a number", n->conf->procfs, rel);
		return -1;
	}
	return 0;
}

int host_net_conntrack(struct host_net *n, struct host_emit *e, char *err, size_t errlen)
{
	uint64_t entries, limit;
	struct host_conntrack_stat stat;
	char why[256];
	int rc = net_number(n, "sys/net/netfilter/nf_conntrack_count", &entries, err, errlen);
	if (rc == 0)
		rc = net_number(n, "sys/net/netfilter/nf_conntrack_max", &limit, err, errlen);
	if (rc == 0)
		rc = net_read(n, &n->text, "net/stat/nf_conntrack", err, errlen);
	if (rc > 0) { /* the module is not loaded */
		err[0] = '\0';
		return HOST_SOURCE_NO_DATA;
	}
	if (rc < 0)
		return -1;
	if (host_parse_conntrack_stat(n->text.data, n->text.len, &stat, why, sizeof(why)) < 0)
		return net_parse_failed(n, "net/stat/nf_conntrack", why, err, errlen);
	host_emit_conntrack(e, entries, limit, &stat);
	return 0;
}

/* ---- netclass ---------------------------------------------------------- */

/* What procfs' canIgnoreError lets pass: the attribute is then absent. */
static int attr_absent(int errnum)
{
	return errnum == ENOENT || errnum == EACCES || errnum == EPERM || errnum == EOPNOTSUPP ||
	       errnum == EINVAL || errnum == ENODEV;
}

/* One read of dir/file into out (HOST_SYS_SMALL + 1 bytes): 0, 1 absent,
 * -1 with err. */
static int attr_read(const char *dir, const char *file, char *out, char *err, size_t errlen)
{
	char path[4096];
	if (host_sys_path(path, sizeof(path), dir, file) < 0) {
		snprintf(err, errlen, "cannot read '%s/%s': path too long", dir, file);
		return -1;
	}
	if (host_sys_read_small(path, out) == 0)
		return 0;
	if (attr_absent(errno))
		return 1;
	snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
	return -1;
}

/* Reads the attributes of one interface; -1 with err on a read error
 * node_exporter does not let pass. */
static int netclass_read(const char *dir, struct host_netclass *nc, char *err, size_t errlen)
{
	char value[HOST_SYS_SMALL + 1];
	for (int a = 0; a < HOST_NC_NATTRS; a++) {
		int rc = attr_read(dir, host_netclass_attr_files[a], value, err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		/* procfs: a value that does not parse reads as 0 */
		if (parse_int64_prefixed(value, &nc->v[a]) < 0)
			nc->v[a] = 0;
		nc->have |= 1u << a;
	}
	for (int t = 0; t < HOST_NC_NTEXTS; t++) {
		int rc = attr_read(dir, host_netclass_text_files[t], nc->text[t], err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0)
			nc->text[t][0] = '\0';
	}
	return 0;
}

int host_net_netclass(struct host_net *n, struct host_emit *e, char *err, size_t errlen)
{
	char root[4096];
	if (host_sys_path(root, sizeof(root), n->conf->sysfs, "class/net") < 0) {
		snprintf(err, errlen, "cannot read '%s/class/net': path too long", n->conf->sysfs);
		return -1;
	}
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT || errno == EACCES)
			return HOST_SOURCE_NO_DATA;
		snprintf(err, errlen, "cannot read '%s': %s", root, strerror(errno));
		return -1;
	}
	int rc = 0, count = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL && count < HOST_NET_DEVICES_MAX) {
		/* every entry but a regular file (the interfaces are links) */
		if (de->d_name[0] == '.' || de->d_type == DT_REG ||
		    conf_regex_match(&n->conf->network_device_exclude, de->d_name))
			continue;
		char dir[4096];
		if (host_sys_path(dir, sizeof(dir), root, de->d_name) < 0)
			continue;
		struct host_netclass nc = { .device = de->d_name };
		rc = netclass_read(dir, &nc, err, errlen);
		if (rc == 0)
			host_emit_netclass(e, &nc);
		count++;
	}
	closedir(d);
	return rc;
}

/* ---- netdev's receive_nohandler ---------------------------------------- */

void host_net_nohandler(struct host_net *n, struct host_emit *e, const struct host_netdevs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *dev = d->devs[i].name;
		char rel[512], path[4200], value[HOST_SYS_SMALL + 1];
		uint64_t v;
		if (conf_regex_match(&n->conf->network_device_exclude, dev) ||
		    snprintf(rel, sizeof(rel), "class/net/%s/statistics/rx_nohandler", dev) >=
			    (int)sizeof(rel) ||
		    host_sys_path(path, sizeof(path), n->conf->sysfs, rel) < 0 ||
		    host_sys_read_small(path, value) < 0 || parse_uint64(value, &v) < 0)
			continue;
		host_emit_nohandler(e, dev, v);
	}
}
