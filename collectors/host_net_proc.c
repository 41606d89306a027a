/*
 * host_net_proc.c -- pure parsers of the host's network files (see
 * host_net_proc.h).  Called on the [host] target's worker thread; owns the
 * arrays of its results, nothing else.
 */
#include "autoconfig.h"
#include "host_net_proc.h"
#include "strutil.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

#define NET_FIELDS_MAX 512 /* fields of one netstat line (TcpExt has ~120) */

/* ---- netstat, snmp, snmp6 -------------------------------------------- */

static void netstat_add(struct host_netstat *s, const char *proto, size_t proto_len,
			const char *name, double value)
{
	s->fields = xgrow(s->fields, &s->alloc, s->n + 1, sizeof(*s->fields));
	s->fields[s->n++] = (struct host_netstat_field){ proto, proto_len, name, value };
}

void host_netstat_reset(struct host_netstat *s)
{
	s->n = 0;
}

void host_netstat_release(struct host_netstat *s)
{
	free(s->fields);
	memset(s, 0, sizeof(*s));
}

int host_parse_netstat(char *text, size_t len, struct host_netstat *out, char *err, size_t errlen)
{
	char *names[NET_FIELDS_MAX], *values[NET_FIELDS_MAX];
	size_t pos = 0;
	char *head;
	while ((head = next_line(text, len, &pos)) != NULL) {
		if (!*head)
			continue;
		char *vals = next_line(text, len, &pos);
		size_t nn = split_fields(head, names, NET_FIELDS_MAX);
		size_t nv = vals ? split_fields(vals, values, NET_FIELDS_MAX) : 0;
		size_t plen = nn ? strlen(names[0]) : 0;
		if (plen == 1) { /* ":" alone: a header without its protocol */
			snprintf(err, errlen, "a header line without its protocol");
			return -1;
		}
		if (nn == 0 || names[0][plen - 1] != ':' || nn != nv || nn > NET_FIELDS_MAX ||
		    strcmp(names[0], values[0]) != 0) {
			snprintf(err, errlen, "field count mismatch for '%s'", nn ? names[0] : "");
			return -1;
		}
		for (size_t i = 1; i < nn; i++) {
			double v;
			if (parse_double(values[i], &v) < 0) {
				snprintf(err, errlen, "invalid value '%s' of %s%s", values[i], names[0],
					 names[i]);
				return -1;
			}
			netstat_add(out, names[0], plen - 1, names[i], v);
		}
	}
	return 0;
}

int host_parse_snmp6(char *text, size_t len, struct host_netstat *out, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	size_t pos = 0;
	char *line;
	while ((line = next_line(text, len, &pos)) != NULL) {
		char *f[3];
		double v;
		if (split_fields(line, f, 3) < 2)
			continue;
		char *six = strchr(f[0], '6');
		if (!six || parse_double(f[1], &v) < 0)
			continue;
		netstat_add(out, f[0], (size_t)(six - f[0]) + 1, six + 1, v);
	}
	return 0;
}

/* ---- sockstat --------------------------------------------------------- */

const char *const host_sockstat_key_names[HOST_SOCK_NKEYS] = {
	"inuse", "orphan", "tw", "alloc", "mem", "memory",
};

void host_sockstat_release(struct host_sockstat *s)
{
	free(s->protos);
	memset(s, 0, sizeof(*s));
}

int host_parse_sockstat(char *text, size_t len, struct host_sockstat *out, char *err,
			size_t errlen)
{
	char *f[2 * HOST_SOCK_NKEYS + 16];
	const size_t max = sizeof(f) / sizeof(f[0]);
	size_t pos = 0;
	char *line;
	out->n = 0;
	out->has_used = 0;
	while ((line = next_line(text, len, &pos)) != NULL) {
		if (!*line)
			continue;
		size_t n = split_fields(line, f, max);
		size_t plen = n ? strlen(f[0]) : 0;
		if (n < 3 || n > max || n % 2 == 0 || f[0][plen - 1] != ':') {
			snprintf(err, errlen, "malformed line '%s'", n ? f[0] : "");
			return -1;
		}
		f[0][plen - 1] = '\0';
		struct host_sockstat_proto p = { .proto = f[0] };
		int64_t used = 0;
		for (size_t i = 1; i + 1 < n; i += 2) {
			int64_t v;
			if (parse_int64(f[i + 1], &v) < 0) {
				snprintf(err, errlen, "invalid value '%s' of %s %s", f[i + 1], f[0], f[i]);
				return -1;
			}
			if (strcmp(f[i], "used") == 0)
				used = v;
			for (int k = 0; k < HOST_SOCK_NKEYS; k++)
				if (strcmp(f[i], host_sockstat_key_names[k]) == 0) {
					p.v[k] = v;
					p.have |= 1u << k;
				}
		}
		if (strcmp(f[0], "sockets") == 0) {
			out->has_used = 1;
			out->used = used;
			continue;
		}
		p.have |= 1u << HOST_SOCK_INUSE; /* procfs always has it, 0 by default */
		out->protos = xgrow(out->protos, &out->alloc, out->n + 1, sizeof(*out->protos));
		out->protos[out->n++] = p;
	}
	return 0;
}

/* ---- softnet ---------------------------------------------------------- */

void host_softnet_release(struct host_softnet *s)
{
	free(s->cpus);
	memset(s, 0, sizeof(*s));
}

int host_parse_softnet(char *text, size_t len, struct host_softnet *out, char *err,
		       size_t errlen)
{
	char *f[32];
	uint32_t col[13];
	size_t pos = 0, line_no = 0;
	char *line;
	out->n = 0;
	while ((line = next_line(text, len, &pos)) != NULL) {
		size_t n = split_fields(line, f, 32);
		if (n == 0 && pos >= len)
			break; /* the end of the file */
		if (n < 9) {
			snprintf(err, errlen, "%zu columns, expected at least 9", n);
			return -1;
		}
		size_t use = n < 13 ? n : 13;
		for (size_t i = 0; i < use; i++) {
			uint64_t v;
			if (parse_hex_uint64(f[i], &v) < 0 || v > UINT32_MAX) {
				snprintf(err, errlen, "invalid column '%s'", f[i]);
				return -1;
			}
			col[i] = (uint32_t)v;
		}
		struct host_softnet_cpu c = {
			.index = (uint32_t)line_no, .processed = col[0], .dropped = col[1],
			.time_squeezed = col[2], .cpu_collision = col[8],
		};
		if (n >= 10)
			c.received_rps = col[9];
		if (n >= 11)
			c.flow_limit_count = col[10];
		if (n >= 13) { /* Linux 5.10: the backlog and the CPU's own number */
			c.backlog_len = col[11];
			c.index = col[12];
		}
		out->cpus = xgrow(out->cpus, &out->alloc, out->n + 1, sizeof(*out->cpus));
		out->cpus[out->n++] = c;
		line_no++;
	}
	return 0;
}

/* ---- udp queues ------------------------------------------------------- */

int host_parse_udp_queues(char *text, size_t len, uint64_t *tx, uint64_t *rx, char *err,
			  size_t errlen)
{
	char *f[16];
	size_t pos = 0;
	char *line = next_line(text, len, &pos); /* the header */
	*tx = *rx = 0;
	while (line && (line = next_line(text, len, &pos)) != NULL) {
		size_t n = split_fields(line, f, 16);
		if (n == 0)
			continue;
		char *colon = n >= 13 ? strchr(f[4], ':') : NULL;
		uint64_t t, r;
		if (!colon) {
			snprintf(err, errlen, "a socket line of %zu columns, expected 13", n);
			return -1;
		}
		*colon = '\0';
		if (parse_hex_uint64(f[4], &t) < 0 || parse_hex_uint64(colon + 1, &r) < 0) {
			snprintf(err, errlen, "invalid tx/rx queues '%s:%s'", f[4], colon + 1);
			return -1;
		}
		*tx += t;
		*rx += r;
	}
	return 0;
}

/* ---- arp -------------------------------------------------------------- */

void host_arp_release(struct host_arp *a)
{
	free(a->devices);
	memset(a, 0, sizeof(*a));
}

int host_parse_arp(char *text, size_t len, struct host_arp *out, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	char *f[8];
	size_t pos = 0;
	char *line = next_line(text, len, &pos); /* the header */
	out->n = 0;
	out->bad_lines = 0;
	while (line && (line = next_line(text, len, &pos)) != NULL) {
		size_t n = split_fields(line, f, 8);
		if (n == 0)
			continue;
		if (n != 6) {
			out->bad_lines++;
			continue;
		}
		size_t i = 0;
		while (i < out->n && strcmp(out->devices[i].device, f[5]) != 0)
			i++;
		if (i == out->n) {
			out->devices = xgrow(out->devices, &out->alloc, out->n + 1, sizeof(*out->devices));
			out->devices[out->n++] = (struct host_arp_device){ f[5], 0 };
		}
		out->devices[i].entries++;
	}
	return 0;
}

/* ---- nf_conntrack ------------------------------------------------------ */

int host_parse_conntrack_stat(char *text, size_t len, struct host_conntrack_stat *out,
			      char *err, size_t errlen)
{
	char *f[20];
	uint64_t v[17];
	size_t pos = 0;
	char *line = next_line(text, len, &pos); /* the header */
	memset(out, 0, sizeof(*out));
	while (line && (line = next_line(text, len, &pos)) != NULL) {
		size_t n = split_fields(line, f, 20);
		if (n == 0)
			continue;
		if (n < 16 || n > 17) {
			snprintf(err, errlen, "%zu columns, expected 16 or 17", n);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			if (parse_hex_uint64(f[i], &v[i]) < 0) {
				snprintf(err, errlen, "invalid column '%s'", f[i]);
				return -1;
			}
		/* procfs' positions: found 2, invalid 4, ignore 5, insert 8,
		 * insert_failed 9, drop 10, early_drop 11, search_restart 16 */
		out->found += v[2];
		out->invalid += v[4];
		out->ignore += v[5];
		out->insert += v[8];
		out->insert_failed += v[9];
		out->drop += v[10];
		out->early_drop += v[11];
		if (n == 17)
			out->search_restart += v[16];
	}
	return 0;
}
