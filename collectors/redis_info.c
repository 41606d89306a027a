/*
 * redis_info.c -- samples from the text of an INFO ALL reply (see
 * redis_info.h).
 *
 * Called by the Redis collector on a target's worker thread once per
 * collection, right after INFO ALL came back, and by the unit tests on
 * captured replies.  It copies the reply into one allocation of its own
 * (freed before it returns), walks the copy line by line (next_line) and
 * cuts each line in place: key and value, then the "k=v,k=v" pairs of the
 * structured lines.  A scalar key is looked up in its section's table
 * (redis_info_fields.c) starting just after the key found last, as
 * Netdata's ARL does, so a reply in the usual order costs about one
 * comparison a line.  Samples that need several lines (redis_instance_info,
 * the replica's link to its master, redis_memory_utilization_ratio,
 * redis_start_time_seconds) are made at the end from values kept on the
 * way, which point into the copy.  Numbers only through strutil's checked
 * parsers, and only finite decimal ones.
 */
#include "autoconfig.h"
#include "redis_info.h"
#include "metrics.h"
#include "redis_info_fields.h"
#include "strutil.h"
#include "xalloc.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "banned.h"

#define REDIS_MAX_LABELS 13  /* target and redis_instance_info's twelve */
#define REDIS_CMDSTATS_MAX 4096 /* commandstats lines kept for the latency summaries */

/* One parse: where it is and what it keeps for the end. */
struct redis_parse {
	struct batch *b;
	const char *target;
	struct redis_info_summary *sum;
	enum redis_section section;
	const struct redis_field *fields;   /* the section's keys */
	size_t nfields;
	size_t cursor;                      /* where to look for the next key */
	char *text[REDIS_T_N];              /* into the copy; NULL when absent */
	double num[REDIS_N_N];
	unsigned have;                      /* 1 << REDIS_N_* for each num set */
	size_t cmdstats_alloc;              /* of sum->cmdstats */
	int cmdstats_sorted;                /* sum->cmdstats is in name order */
	int keyspace;                       /* the reply has a Keyspace section */
	unsigned char db_listed[REDIS_INFO_ZERO_DBS_MAX / 8]; /* db<N> lines seen, N below the max */
};

/* ---- families of the structured lines and of the end ------------------ */

static const struct metric_desc redis_cmd_calls = {
	"redis_commands_total", "Calls of the command (commandstats).", METRIC_COUNTER };
static const struct metric_desc redis_cmd_duration = {
	"redis_commands_duration_seconds_total", "Time spent running the command (commandstats).",
	METRIC_COUNTER };
static const struct metric_desc redis_cmd_rejected = {
	"redis_commands_rejected_calls_total",
	"Calls of the command refused before it ran: unknown arguments, ACL, OOM, ... "
	"(commandstats, Redis 6.2+).", METRIC_COUNTER };
static const struct metric_desc redis_cmd_failed = {
	"redis_commands_failed_calls_total",
	"Calls of the command that failed while it ran (commandstats, Redis 6.2+).",
	METRIC_COUNTER };
/* quantile="50": the percentile as latencystats names it, the values in
 * microseconds, _sum and _count from commandstats (redis_exporter's) */
static const struct metric_desc redis_cmd_latency = {
	"redis_latency_percentiles_usec",
	"Latency percentiles of the command in microseconds since the statistics were reset "
	"(latencystats, Redis 7+); quantile is the percentile (50, 99, 99.9), _sum and _count "
	"are commandstats' usec and calls.", METRIC_SUMMARY };
static const struct metric_desc redis_errors = {
	"redis_errors_total", "Error replies by error code (errorstats, Redis 6.2+).",
	METRIC_COUNTER };
static const struct metric_desc redis_db_keys = {
	"redis_db_keys", "Keys in the database.", METRIC_GAUGE };
static const struct metric_desc redis_db_expiring = {
	"redis_db_keys_expiring", "Keys with an expiry in the database.", METRIC_GAUGE };
static const struct metric_desc redis_db_avg_ttl = {
	"redis_db_avg_ttl_seconds",
	"Estimated mean time to live of the database's keys with an expiry (0: none).",
	METRIC_GAUGE };
static const struct metric_desc redis_slave_lag = {
	"redis_connected_slave_lag_seconds",
	"Seconds since the replica last acknowledged the replication stream.", METRIC_GAUGE };
static const struct metric_desc redis_slave_offset = {
	"redis_connected_slave_offset_bytes", "Replication offset the replica acknowledged.",
	METRIC_GAUGE };
static const struct metric_desc redis_master_link_up = {
	"redis_master_link_up", "Whether the replica's link to its master is up.", METRIC_GAUGE };
static const struct metric_desc redis_master_last_io = {
	"redis_master_last_io_seconds_ago",
	"Seconds since the replica last heard from its master (-1: no link).", METRIC_GAUGE };
static const struct metric_desc redis_master_sync = {
	"redis_master_sync_in_progress", "Whether the replica is receiving a full sync.",
	METRIC_GAUGE };
static const struct metric_desc redis_slave_repl_offset = {
	"redis_slave_repl_offset", "The replica's replication offset.", METRIC_GAUGE };
static const struct metric_desc redis_master_down_since = {
	"redis_master_link_down_since_seconds",
	"Seconds the replica's link to its master has been down.", METRIC_GAUGE };
static const struct metric_desc redis_slave_info = {
	"redis_slave_info", "The replica's master and whether it is read-only (value 1).",
	METRIC_GAUGE };
static const struct metric_desc redis_instance_info = {
	"redis_instance_info",
	"The server's role, version, build, mode, OS, eviction policy, port, run ID, process ID "
	"and replication ID (value 1).", METRIC_GAUGE };
static const struct metric_desc redis_config_maxclients = {
	"redis_config_maxclients", "The maxclients setting (INFO's maxclients).", METRIC_GAUGE };
static const struct metric_desc redis_config_maxmemory = {
	"redis_config_maxmemory", "The maxmemory setting in bytes (INFO's maxmemory).",
	METRIC_GAUGE };
static const struct metric_desc redis_config_backlog = {
	"redis_config_repl_backlog_size",
	"The repl-backlog-size setting in bytes (INFO's repl_backlog_size).", METRIC_GAUGE };
static const struct metric_desc redis_start_time = {
	"redis_start_time_seconds", "When the server started, in seconds since the epoch.",
	METRIC_GAUGE };
static const struct metric_desc redis_memory_utilization = {
	"redis_memory_utilization_ratio", "used_memory over maxmemory (when maxmemory is set).",
	METRIC_GAUGE };

/* ---- values ------------------------------------------------------------ */

/* A finite decimal number ("12", "-1", "0.49", "1e30"): strtod's "inf",
 * "nan" and hexadecimal forms are no INFO value. */
static int redis_number(const char *s, double *out)
{
	if (s[strspn(s, "0123456789.+-eE")] != '\0')
		return -1;
	double v;
	if (parse_double(s, &v) < 0 || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int redis_status(const char *s, double *out)
{
	static const char *const up[] = { "ok", "true", "up", "yes" };
	static const char *const down[] = { "err", "fail", "down", "false", "no" };
	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		if (strcasecmp(s, up[i]) == 0) {
			*out = 1;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(down) / sizeof(down[0]); i++) {
		if (strcasecmp(s, down[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return redis_number(s, out);
}

/* Cuts a label value from the server to REDIS_INFO_LABEL_MAX bytes, in
 * place and before a UTF-8 continuation byte; returns s. */
static char *redis_label(struct redis_parse *p, char *s)
{
	size_t n = strlen(s);
	if (n <= REDIS_INFO_LABEL_MAX)
		return s;
	n = REDIS_INFO_LABEL_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	s[n] = '\0';
	p->sum->cut_labels++;
	return s;
}

/* Adds the part of a sample with target first, then the nlabels pairs of
 * labels. */
static void redis_add_part(struct redis_parse *p, const struct metric_desc *d,
			   enum metric_part part, double v, const char *const *labels, size_t nlabels)
{
	const char *all[2 * REDIS_MAX_LABELS] = { "target", p->target };
	if (nlabels >= REDIS_MAX_LABELS)
		return;
	if (nlabels)
		memcpy(all + 2, labels, 2 * nlabels * sizeof(*all));
	batch_addv_part(p->b, d->name, d->help, d->type, part, v, all, nlabels + 1);
}

static void redis_add(struct redis_parse *p, const struct metric_desc *d, double v,
		      const char *const *labels, size_t nlabels)
{
	redis_add_part(p, d, METRIC_PART_VALUE, v, labels, nlabels);
}

/* The next pair of a "k=v,k=v" list, cut in place; *v is NULL when the
 * pair has no '='.  Returns 0 at the end of the list. */
static int redis_next_pair(char **s, char **k, char **v)
{
	char *p = *s;
	if (*p == '\0')
		return 0;
	char *comma = strchr(p, ',');
	if (comma) {
		*comma = '\0';
		*s = comma + 1;
	} else {
		*s = p + strlen(p);
	}
	char *eq = strchr(p, '=');
	*k = p;
	*v = NULL;
	if (eq) {
		*eq = '\0';
		*v = eq + 1;
	}
	return 1;
}

int redis_info_quantile(const char *pct, char *out, size_t outlen)
{
	size_t ni = strspn(pct, "0123456789");
	const char *frac = pct + ni;
	size_t nf = 0;
	if (*frac == '.') {
		frac++;
		nf = strspn(frac, "0123456789");
		if (nf == 0)
			return -1;
	}
	if (ni == 0 || frac[nf] != '\0')
		return -1;
	while (ni > 1 && pct[0] == '0') { /* "050" is 50 */
		pct++;
		ni--;
	}
	while (nf > 0 && frac[nf - 1] == '0') /* "99.900" is 99.9 */
		nf--;
	if (ni > 3 || (ni == 3 && (memcmp(pct, "100", 3) > 0 || nf > 0)))
		return -1; /* over 100 */
	size_t digits = ni + nf;
	if (ni == 1 && pct[0] == '0' && nf > 0) {
		size_t zeros = strspn(frac, "0");
		if (zeros > 3)
			return -1; /* below 0.0001: Go writes 1e-05 */
		digits = nf - zeros;
	}
	if (digits > 15 || outlen < ni + nf + 2)
		return -1; /* past what a double holds exactly, or no room */
	memcpy(out, pct, ni);
	size_t len = ni;
	if (nf) {
		out[len++] = '.';
		memcpy(out + len, frac, nf);
		len += nf;
	}
	out[len] = '\0';
	return 0;
}

/* ---- lines ------------------------------------------------------------- */

/* A "key:value" of a scalar section. */
static void redis_field_line(struct redis_parse *p, const char *key, char *value)
{
	const struct redis_field *f = NULL;
	for (size_t i = 0; i < p->nfields; i++) {
		size_t j = (p->cursor + i) % p->nfields;
		if (strcmp(p->fields[j].key, key) == 0) {
			f = &p->fields[j];
			p->cursor = j + 1;
			break;
		}
	}
	if (!f)
		return; /* a key this version of dbpulse does not read */
	if (f->kind == REDIS_TEXT) {
		p->text[f->keep] = redis_label(p, value);
		p->sum->fields++;
		return;
	}
	double v;
	if ((f->kind == REDIS_STATUS ? redis_status(value, &v) : redis_number(value, &v)) < 0) {
		p->sum->bad_values++;
		return;
	}
	v /= f->div;
	p->sum->fields++;
	if (f->kind == REDIS_NUMBER_TEXT)
		p->text[f->keep] = value; /* a number: short, nothing to cut */
	else if (f->keep >= 0) {
		p->num[f->keep] = v;
		p->have |= 1u << f->keep;
	}
	if (f->d.name)
		redis_add(p, &f->d, v, NULL, 0);
}

/* One pair a structured line may hold, and its family. */
struct redis_pair {
	const char *key;
	double div;
	const struct metric_desc *d;
};

/* Adds a sample for each pair of list that pairs[] names (d not NULL),
 * with the given labels after target; other pairs are ignored.  The
 * number of pair i goes to got[i] too (NAN when the list lacks it; got
 * may be NULL).  Counts the line as a field if it gave a value. */
static void redis_pairs(struct redis_parse *p, char *list, const struct redis_pair *pairs,
			size_t npairs, const char *const *labels, size_t nlabels, double *got)
{
	char *k, *v;
	int used = 0;
	for (size_t i = 0; got && i < npairs; i++)
		got[i] = NAN;
	while (redis_next_pair(&list, &k, &v)) {
		if (!v) {
			p->sum->bad_values++;
			continue;
		}
		for (size_t i = 0; i < npairs; i++) {
			if (strcmp(k, pairs[i].key) != 0)
				continue;
			double x;
			if (redis_number(v, &x) < 0) {
				p->sum->bad_values++;
				break;
			}
			if (pairs[i].d)
				redis_add(p, pairs[i].d, x / pairs[i].div, labels, nlabels);
			if (got)
				got[i] = x;
			used = 1;
			break;
		}
	}
	if (used)
		p->sum->fields++;
}

/* cmdstat_<cmd>:calls=1,usec=2,usec_per_call=2.00[,rejected_calls=0,failed_calls=0] */
static void redis_cmdstat(struct redis_parse *p, char *cmd, char *list)
{
	static const struct redis_pair pairs[] = {
		{ "calls", 1, &redis_cmd_calls },
		{ "usec", 1e6, &redis_cmd_duration },
		{ "rejected_calls", 1, &redis_cmd_rejected },
		{ "failed_calls", 1, &redis_cmd_failed },
	};
	double got[4];
	const char *labels[] = { "cmd", redis_label(p, cmd) };
	redis_pairs(p, list, pairs, sizeof(pairs) / sizeof(pairs[0]), labels, 1, got);
	struct redis_info_summary *sum = p->sum;
	if (isnan(got[0]) || isnan(got[1]) || sum->ncmdstats >= REDIS_CMDSTATS_MAX)
		return;
	sum->cmdstats = xgrow(sum->cmdstats, &p->cmdstats_alloc, sum->ncmdstats + 1,
			      sizeof(*sum->cmdstats));
	sum->cmdstats[sum->ncmdstats++] = (struct redis_cmdstat){
		.cmd = xstrdup(labels[1]), .calls = got[0], .usec = got[1] };
	p->cmdstats_sorted = 0;
}

static int redis_cmdstat_cmp(const void *a, const void *b)
{
	return strcmp(((const struct redis_cmdstat *)a)->cmd, ((const struct redis_cmdstat *)b)->cmd);
}

static void redis_cmdstats_sort(struct redis_info_summary *sum)
{
	if (sum->ncmdstats > 1)
		qsort(sum->cmdstats, sum->ncmdstats, sizeof(*sum->cmdstats), redis_cmdstat_cmp);
}

const struct redis_cmdstat *redis_info_cmdstat(const struct redis_info_summary *sum,
					       const char *cmd)
{
	size_t lo = 0, hi = sum->ncmdstats;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sum->cmdstats[mid].cmd, cmd);
		if (c == 0)
			return &sum->cmdstats[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* errorstat_<ERR>:count=3 */
static void redis_errorstat(struct redis_parse *p, char *code, char *list)
{
	static const struct redis_pair pairs[] = { { "count", 1, &redis_errors } };
	const char *labels[] = { "err", redis_label(p, code) };
	redis_pairs(p, list, pairs, 1, labels, 1, NULL);
}

/* db<N>:keys=1,expires=0,avg_ttl=0[,subexpiry=0] (avg_ttl in ms) */
static void redis_keyspace(struct redis_parse *p, char *db, char *list)
{
	static const struct redis_pair pairs[] = {
		{ "keys", 1, &redis_db_keys },
		{ "expires", 1, &redis_db_expiring },
		{ "avg_ttl", 1e3, &redis_db_avg_ttl },
	};
	uint64_t n;
	if (parse_uint64(db + 2, &n) == 0 && n <= INT_MAX) {
		if (p->sum->ndbs < REDIS_INFO_MAX_DBS)
			p->sum->dbs[p->sum->ndbs++] = (int)n;
		else
			p->sum->dbs_dropped++;
		if (n < REDIS_INFO_ZERO_DBS_MAX)
			p->db_listed[n / 8] |= (unsigned char)(1u << (n % 8));
	}
	const char *labels[] = { "db", redis_label(p, db) };
	redis_pairs(p, list, pairs, sizeof(pairs) / sizeof(pairs[0]), labels, 1, NULL);
}

/* latency_percentiles_usec_<cmd>:p50=1.003,p99=3.007,p99.9=5.023: a
 * summary of the command's percentiles, with commandstats' calls and usec
 * as its _count and _sum; none for a command commandstats lacks (as
 * redis_exporter does) */
static void redis_latency(struct redis_parse *p, char *cmd, char *list)
{
	const char *labels[] = { "cmd", redis_label(p, cmd), "quantile", NULL };
	if (!p->cmdstats_sorted) {
		redis_cmdstats_sort(p->sum);
		p->cmdstats_sorted = 1;
	}
	const struct redis_cmdstat *cs = redis_info_cmdstat(p->sum, labels[1]);
	char *k, *v, q[32];
	int used = 0;
	while (redis_next_pair(&list, &k, &v)) {
		double x;
		if (!v || k[0] != 'p' || redis_info_quantile(k + 1, q, sizeof(q)) < 0 ||
		    redis_number(v, &x) < 0) {
			p->sum->bad_values++;
			continue;
		}
		used = 1;
		if (!cs)
			continue;
		labels[3] = q;
		redis_add(p, &redis_cmd_latency, x, labels, 2);
	}
	if (!used)
		return;
	p->sum->fields++;
	if (cs) {
		redis_add_part(p, &redis_cmd_latency, METRIC_PART_SUM, cs->usec, labels, 1);
		redis_add_part(p, &redis_cmd_latency, METRIC_PART_COUNT, cs->calls, labels, 1);
	}
}

/* slave<N>:ip=10.0.0.2,port=6379,state=online,offset=1234,lag=0 */
static void redis_slave(struct redis_parse *p, char *list)
{
	char *k, *v, *ip = NULL, *port = NULL, *state = NULL, *offset = NULL, *lag = NULL;
	while (redis_next_pair(&list, &k, &v)) {
		if (!v)
			p->sum->bad_values++;
		else if (strcmp(k, "ip") == 0)
			ip = redis_label(p, v);
		else if (strcmp(k, "port") == 0)
			port = redis_label(p, v);
		else if (strcmp(k, "state") == 0)
			state = redis_label(p, v);
		else if (strcmp(k, "offset") == 0)
			offset = v;
		else if (strcmp(k, "lag") == 0)
			lag = v;
	}
	const char *labels[] = { "slave_ip", ip ? ip : "", "slave_port", port ? port : "",
				 "slave_state", state ? state : "" };
	double x;
	int used = 0;
	if (offset) {
		if (redis_number(offset, &x) == 0) {
			redis_add(p, &redis_slave_offset, x, labels, 3);
			used = 1;
		} else {
			p->sum->bad_values++;
		}
	}
	if (lag) {
		if (redis_number(lag, &x) == 0) {
			redis_add(p, &redis_slave_lag, x, labels, 3);
			used = 1;
		} else {
			p->sum->bad_values++;
		}
	}
	if (used)
		p->sum->fields++;
}

/* Whether key is prefix followed by one or more digits and nothing else. */
static int redis_numbered(const char *key, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(key, prefix, n) != 0 || key[n] == '\0')
		return 0;
	return key[n + strspn(key + n, "0123456789")] == '\0';
}

/* If key starts with prefix and has more after it, returns what follows;
 * NULL when it does not start so.  An empty rest is a bad line. */
static char *redis_suffix(struct redis_parse *p, char *key, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(key, prefix, n) != 0)
		return NULL;
	if (key[n] == '\0') {
		p->sum->bad_lines++;
		return NULL;
	}
	return key + n;
}

static void redis_header(struct redis_parse *p, char *line)
{
	char *name = line + 1;
	name += strspn(name, " \t");
	size_t n = strlen(name);
	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		name[--n] = '\0';
	p->section = redis_info_section(name);
	if (p->section == REDIS_SEC_KEYSPACE)
		p->keyspace = 1;
	p->fields = redis_info_fields(p->section, &p->nfields);
	p->cursor = 0;
}

/* One line without its line end, NUL-free and not empty. */
static void redis_line(struct redis_parse *p, char *line)
{
	if (line[0] == '#') {
		redis_header(p, line);
		return;
	}
	char *colon = strchr(line, ':');
	if (!colon || colon == line) {
		p->sum->bad_lines++;
		return;
	}
	*colon = '\0';
	char *key = line, *value = colon + 1, *rest;
	switch (p->section) {
	case REDIS_SEC_OTHER:
		break;
	case REDIS_SEC_COMMANDSTATS:
		if ((rest = redis_suffix(p, key, "cmdstat_")) != NULL)
			redis_cmdstat(p, rest, value);
		break;
	case REDIS_SEC_ERRORSTATS:
		if ((rest = redis_suffix(p, key, "errorstat_")) != NULL)
			redis_errorstat(p, rest, value);
		break;
	case REDIS_SEC_LATENCYSTATS:
		if ((rest = redis_suffix(p, key, "latency_percentiles_usec_")) != NULL)
			redis_latency(p, rest, value);
		break;
	case REDIS_SEC_KEYSPACE:
		if (redis_numbered(key, "db"))
			redis_keyspace(p, key, value);
		break;
	case REDIS_SEC_REPLICATION:
		if (redis_numbered(key, "slave")) {
			redis_slave(p, value);
			break;
		}
		/* fall through */
	default:
		redis_field_line(p, key, value);
		break;
	}
}

/* ---- the end: samples made of several lines ---------------------------- */

static int redis_has(const struct redis_parse *p, enum redis_num n)
{
	return (int)((p->have >> n) & 1u);
}

static const char *redis_kept(const struct redis_parse *p, enum redis_text t)
{
	return p->text[t] ? p->text[t] : "";
}

static void redis_finish(struct redis_parse *p, double now, int databases)
{
	struct redis_info_summary *sum = p->sum;

	/* redis_exporter's labels in its order; Valkey's two only on Valkey */
	static const struct {
		const char *label;
		enum redis_text t;
	} info_labels[] = {
		{ "role", REDIS_T_ROLE }, { "redis_version", REDIS_T_VERSION },
		{ "redis_build_id", REDIS_T_BUILD_ID }, { "redis_mode", REDIS_T_MODE },
		{ "os", REDIS_T_OS }, { "maxmemory_policy", REDIS_T_POLICY },
		{ "tcp_port", REDIS_T_TCP_PORT }, { "run_id", REDIS_T_RUN_ID },
		{ "process_id", REDIS_T_PROCESS_ID }, { "master_replid", REDIS_T_MASTER_REPLID },
		{ "valkey_version", REDIS_T_VALKEY_VERSION },
		{ "valkey_release_stage", REDIS_T_VALKEY_STAGE },
	};
	const char *labels[2 * (REDIS_MAX_LABELS - 1)];
	size_t nlabels = 0;
	int info = 0;
	for (size_t i = 0; i < sizeof(info_labels) / sizeof(info_labels[0]); i++) {
		enum redis_text t = info_labels[i].t;
		info |= p->text[t] != NULL;
		if (t >= REDIS_T_VALKEY_VERSION && !p->text[t])
			continue;
		labels[2 * nlabels] = info_labels[i].label;
		labels[2 * nlabels + 1] = redis_kept(p, t);
		nlabels++;
	}
	if (info)
		redis_add(p, &redis_instance_info, 1, labels, nlabels);

	/* the settings INFO tells, under CONFIG GET's names (they are the
	 * same server variables) */
	if (redis_has(p, REDIS_N_MAXCLIENTS))
		redis_add(p, &redis_config_maxclients, p->num[REDIS_N_MAXCLIENTS], NULL, 0);
	if (redis_has(p, REDIS_N_MAXMEMORY))
		redis_add(p, &redis_config_maxmemory, p->num[REDIS_N_MAXMEMORY], NULL, 0);
	if (redis_has(p, REDIS_N_REPL_BACKLOG))
		redis_add(p, &redis_config_backlog, p->num[REDIS_N_REPL_BACKLOG], NULL, 0);

	/* the databases Keyspace does not list (no keys): 0 keys */
	int zero_dbs = databases < REDIS_INFO_ZERO_DBS_MAX ? databases : REDIS_INFO_ZERO_DBS_MAX;
	if (!p->keyspace)
		zero_dbs = 0;
	if (redis_has(p, REDIS_N_CLUSTER) && p->num[REDIS_N_CLUSTER] == 1 && zero_dbs > 1)
		zero_dbs = 1; /* a cluster node has db0 only */
	for (int n = 0; n < zero_dbs; n++) {
		if (p->db_listed[n / 8] & (1u << (n % 8)))
			continue;
		char db[16];
		snprintf(db, sizeof(db), "db%d", n);
		const char *l[] = { "db", db };
		redis_add(p, &redis_db_keys, 0, l, 1);
		redis_add(p, &redis_db_expiring, 0, l, 1);
	}

	/* uptime is whole seconds of the server's clock: so is the start */
	if (redis_has(p, REDIS_N_UPTIME)) {
		double clock = redis_has(p, REDIS_N_SERVER_TIME) ? p->num[REDIS_N_SERVER_TIME] : now;
		if (clock > 0)
			redis_add(p, &redis_start_time, floor(clock) - p->num[REDIS_N_UPTIME], NULL, 0);
	}

	if (redis_has(p, REDIS_N_MAXMEMORY) && p->num[REDIS_N_MAXMEMORY] > 0 &&
	    redis_has(p, REDIS_N_USED_MEMORY))
		redis_add(p, &redis_memory_utilization,
			  p->num[REDIS_N_USED_MEMORY] / p->num[REDIS_N_MAXMEMORY], NULL, 0);

	/* a replica: its link to the master */
	const unsigned replica = (1u << REDIS_N_MASTER_LINK) | (1u << REDIS_N_MASTER_LAST_IO) |
				 (1u << REDIS_N_MASTER_SYNC) | (1u << REDIS_N_SLAVE_OFFSET) |
				 (1u << REDIS_N_MASTER_DOWN_SINCE);
	if (p->text[REDIS_T_MASTER_HOST] || (p->have & replica)) {
		static const struct {
			enum redis_num n;
			const struct metric_desc *d;
		} links[] = {
			{ REDIS_N_MASTER_LINK, &redis_master_link_up },
			{ REDIS_N_MASTER_LAST_IO, &redis_master_last_io },
			{ REDIS_N_MASTER_SYNC, &redis_master_sync },
			{ REDIS_N_SLAVE_OFFSET, &redis_slave_repl_offset },
			{ REDIS_N_MASTER_DOWN_SINCE, &redis_master_down_since },
		};
		const char *master[] = { "master_host", redis_kept(p, REDIS_T_MASTER_HOST),
					 "master_port", redis_kept(p, REDIS_T_MASTER_PORT),
					 "read_only", redis_kept(p, REDIS_T_READ_ONLY) };
		for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
			if (redis_has(p, links[i].n))
				redis_add(p, links[i].d, p->num[links[i].n], master, 2);
		redis_add(p, &redis_slave_info, 1, master, 3);
	}

	snprintf(sum->role, sizeof(sum->role), "%s", redis_kept(p, REDIS_T_ROLE));
	snprintf(sum->redis_version, sizeof(sum->redis_version), "%s",
		 redis_kept(p, REDIS_T_VERSION));
	snprintf(sum->run_id, sizeof(sum->run_id), "%s", redis_kept(p, REDIS_T_RUN_ID));
	if (redis_has(p, REDIS_N_UPTIME))
		sum->uptime = p->num[REDIS_N_UPTIME];
	if (redis_has(p, REDIS_N_MAXMEMORY) && p->num[REDIS_N_MAXMEMORY] > 0)
		sum->maxmemory = p->num[REDIS_N_MAXMEMORY];
}

void redis_info_summary_release(struct redis_info_summary *sum)
{
	for (size_t i = 0; i < sum->ncmdstats; i++)
		free(sum->cmdstats[i].cmd);
	free(sum->cmdstats);
	sum->cmdstats = NULL;
	sum->ncmdstats = 0;
}

int redis_info_emit(const char *text, size_t len, const char *target, double now, int databases,
		    struct batch *b, struct redis_info_summary *sum, char *err, size_t errlen)
{
	struct redis_parse p = { .b = b, .target = target, .sum = sum };
	memset(sum, 0, sizeof(*sum));
	sum->uptime = -1;

	char *copy = xmalloc(len + 1);
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	size_t pos = 0;
	while (pos < len) {
		size_t start = pos;
		char *line = next_line(copy, len, &pos);
		int ended = text[pos - 1] == '\n';
		size_t n = pos - start - (ended ? 1 : 0);
		if (!ended) { /* the reply always ends in a line end: this one was cut */
			sum->bad_lines++;
			break;
		}
		if (memchr(line, '\0', n)) {
			sum->bad_lines++;
			continue;
		}
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n > 0)
			redis_line(&p, line);
	}
	redis_finish(&p, now, databases);
	redis_cmdstats_sort(sum);
	free(copy);

	if (sum->fields == 0) {
		if (err && errlen)
			snprintf(err, errlen, "no INFO field in the reply (%zu bytes)", len);
		return -1;
	}
	return 0;
}
