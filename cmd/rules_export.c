/*
 * rules_export.c -- `dbpulse rules --format prometheus` (rules_export.h):
 * the [alert] sections of a configuration as a Prometheus rule file.
 *
 * Runs once, from the command line, over a loaded configuration; the
 * output is built in one buffer by pure functions (YAML quoting, template
 * spelling, one rule, one group), then written to standard output.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "expr.h"
#include "metrics.h"
#include "rules.h"
#include "rules_export.h"
#include "strutil.h"
#include "template.h"
#include "xalloc.h"
#include "banned.h"

static const char *const group_names[RULES_NGROUPS] = {
	"dbpulse-host", "dbpulse-postgres", "dbpulse-redis", "dbpulse-pgbouncer", "dbpulse-backup",
	"dbpulse-timescaledb", "dbpulse-agent",
};

const char *rules_export_group_name(enum rules_group g)
{
	return g < RULES_NGROUPS ? group_names[g] : group_names[RULES_AGENT];
}

/* The kind a metric name tells, or RULES_AGENT when it tells none. */
static enum rules_group metric_group(const char *name)
{
	static const struct {
		const char *prefix;
		enum rules_group g;
	} prefixes[] = {
		{ "node_", RULES_HOST },
		{ "pg_", RULES_POSTGRES },
		{ "redis_", RULES_REDIS },
		{ "pgbouncer_", RULES_PGBOUNCER },
		{ "backup_", RULES_BACKUP },
		{ "timescaledb_", RULES_TIMESCALEDB },
	};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i].prefix, strlen(prefixes[i].prefix)) == 0)
			return prefixes[i].g;
	return RULES_AGENT;
}

enum rules_group rules_export_group(const struct alert_rule_config *r)
{
	const char *names[EXPR_MAX_METRICS];
	size_t n = expr_metrics(r->expr, names);
	enum rules_group g = RULES_AGENT;
	for (size_t i = 0; i < n; i++) {
		enum rules_group m = metric_group(names[i]);
		if (m == RULES_AGENT || m == g)
			continue;
		if (g != RULES_AGENT)
			return RULES_AGENT;   /* two kinds */
		g = m;
	}
	return g;
}

/* Whether the rule reads only a target's own up metric (up, dbpulse_up,
 * pg_up, redis_up, pgbouncer_up: one word before _up), 0 while the
 * target's collection fails, when dbpulse holds and inhibits the target's
 * other alerts: its alert is the one to inhibit them in Alertmanager.  A
 * rule over another *_up metric (redis_master_link_up), or over more, is
 * a down rule too, never held nor inhibited, but it inhibits nothing. */
static int target_down_rule(const struct alert_rule_config *r)
{
	const char *names[EXPR_MAX_METRICS];
	size_t n = expr_metrics(r->expr, names);
	for (size_t i = 0; i < n; i++) {
		const char *us = strchr(names[i], '_');
		if (strcmp(names[i], "up") != 0 && !(us && us > names[i] && strcmp(us, "_up") == 0))
			return 0;
	}
	return n > 0;
}

/* ---- YAML ------------------------------------------------------------------ */

/* The code point of the n-byte UTF-8 sequence at p (n from utf8_sequence_len). */
static uint32_t utf8_decode(const unsigned char *p, size_t n)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = p[0] & lead_mask[n];
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

/* Whether YAML must escape the character (it is not in c-printable, or it
 * is a line break to YAML 1.1 readers). */
static int yaml_unprintable(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

void yaml_quote(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	buf_putc(out, '"');
	while (left) {
		size_t n = utf8_sequence_len(p, left);
		if (n == 0) {
			buf_puts(out, "\\uFFFD");
			p++;
			left--;
			continue;
		}
		uint32_t cp = utf8_decode(p, n);
		if (cp == '"')
			buf_puts(out, "\\\"");
		else if (cp == '\\')
			buf_puts(out, "\\\\");
		else if (cp == '\n')
			buf_puts(out, "\\n");
		else if (cp == '\t')
			buf_puts(out, "\\t");
		else if (cp == '\r')
			buf_puts(out, "\\r");
		else if (cp < 0x80 && yaml_unprintable(cp))
			buf_printf(out, "\\x%02X", (unsigned)cp);
		else if (yaml_unprintable(cp))
			buf_printf(out, "\\u%04X", (unsigned)cp);
		else
			buf_append(out, p, n);
		p += n;
		left -= n;
	}
	buf_putc(out, '"');
}

/* A map key: plain when it is a label name YAML reads as a string. */
static void yaml_key(struct buf *out, const char *name)
{
	static const char *const special[] = { "y", "n", "yes", "no", "true", "false", "on",
					       "off", "null", NULL };
	int plain = label_name_valid(name);
	for (size_t i = 0; plain && special[i]; i++)
		if (strcasecmp(name, special[i]) == 0)
			plain = 0;
	if (plain)
		buf_puts(out, name);
	else
		yaml_quote(out, name);
	buf_putc(out, ':');
}

/* Text for a comment: control characters (a newline would end it) become
 * spaces. */
static void comment_text(struct buf *out, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		buf_putc(out, c);
	}
}

/* ---- templates ------------------------------------------------------------- */

static int ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Copies the quoted string at *p (dbpulse's templates quote with "). */
static void copy_quoted(const char **p, struct buf *out)
{
	const char *s = *p;
	buf_putc(out, *s++);
	while (*s && *s != '"') {
		if (*s == '\\' && s[1])
			buf_putc(out, *s++);
		buf_putc(out, *s++);
	}
	if (*s)
		buf_putc(out, *s++);
	*p = s;
}

/* The comment at s ("/" "*"), in an action whose "{{" is written and
 * which trims before it when trim_before: written as Go wants it, the
 * comment right after "{{" or "{{- ", "}}" or " -}}" right after its end.
 * Returns where the action ends, after its "}}". */
static const char *copy_comment(const char *s, int trim_before, struct buf *out)
{
	const char *end = strstr(s + 2, "*/");
	if (!end)   /* never: the template parsed */
		end = s + strlen(s) - 2;
	if (trim_before)
		buf_puts(out, "- ");
	buf_append(out, s, (size_t)(end + 2 - s));
	const char *q = end + 2;
	while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
		q++;
	int trim_after = q[0] == '-';
	buf_puts(out, trim_after ? " -}}" : "}}");
	const char *close = strstr(q, "}}");
	return close ? close + 2 : q + strlen(q);
}

int rules_export_template(const char *src, struct buf *out)
{
	int replaced = 0;
	const char *p = src;
	for (;;) {
		const char *open = strstr(p, "{{");
		if (!open) {
			buf_puts(out, p);
			return replaced;
		}
		buf_append(out, p, (size_t)(open + 2 - p));
		p = open + 2;
		int trim = p[0] == '-' && (p[1] == ' ' || p[1] == '\t');
		const char *q = p + (trim ? 2 : 0);
		while (*q == ' ' || *q == '\t')
			q++;
		if (q[0] == '/' && q[1] == '*') {
			p = copy_comment(q, trim, out);
			continue;
		}
		while (*p && !(p[0] == '}' && p[1] == '}')) {
			if (*p == '"') {
				copy_quoted(&p, out);
			} else if (strncmp(p, "queryText", 9) == 0 && !ident_char(p[9]) &&
				   !ident_char(p[-1]) && p[-1] != '.' && p[-1] != '$') {
				/* a function (p[-1] is at least the action's "{") */
				buf_puts(out, "print");
				p += 9;
				replaced = 1;
			} else {
				buf_putc(out, *p++);
			}
		}
		if (*p) {
			buf_puts(out, "}}");
			p += 2;
		}
	}
}

/* ---- rules ----------------------------------------------------------------- */

/* A rule's extra labels as the engine sets them: trimmed, the last of a
 * name winning, severity never (the severity key sets it). */
struct export_labels {
	char **name, **value;
	size_t n;
};

static void export_labels_init(struct export_labels *l, const struct alert_rule_config *r)
{
	l->name = xcalloc(r->labels.n + 1, sizeof(char *));
	l->value = xcalloc(r->labels.n + 1, sizeof(char *));
	l->n = 0;
	for (size_t i = 0; i < r->labels.n; i++) {
		const char *item = r->labels.items[i];
		const char *eq = strchr(item, '=');
		if (!eq)
			continue;   /* never: validated at load */
		char *name = xstrndup(item, (size_t)(eq - item));
		char *value = xstrdup(eq + 1);
		char *n = trim(name), *v = trim(value);
		size_t j = 0;
		while (j < l->n && strcmp(l->name[j], n) != 0)
			j++;
		if (strcmp(n, "severity") == 0) {
			free(name);
			free(value);
			continue;
		}
		if (j == l->n) {
			l->name[j] = xstrdup(n);
			l->n++;
		} else {
			free(l->value[j]);
		}
		l->value[j] = xstrdup(v);
		free(name);
		free(value);
	}
}

static void export_labels_release(struct export_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->name[i]);
		free(l->value[i]);
	}
	free(l->name);
	free(l->value);
}

/* A label value for Prometheus, which expands label values as templates:
 * one holding "{{" becomes {{ "VALUE" }} (a Go string) to stay literal. */
static void label_value(struct buf *out, const char *v)
{
	if (!strstr(v, "{{")) {
		yaml_quote(out, v);
		return;
	}
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	buf_puts(&t, "{{ \"");
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(&t, "\\%c", *p);
		else if (*p == '\n')
			buf_puts(&t, "\\n");
		else if (*p == '\t')
			buf_puts(&t, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(&t, "\\x%02x", *p);
		else
			buf_putc(&t, (char)*p);
	}
	buf_puts(&t, "\" }}");
	yaml_quote(out, buf_str(&t));
	buf_release(&t);
}

/* The expression, with clear as PromQL: the alert passes its threshold,
 * or passes clear while Prometheus has it firing.  The match ignores the
 * labels the rule adds to the series'. */
static void rule_expr(const struct config_section *s, const struct export_labels *l,
		      struct buf *out)
{
	const struct alert_rule_config *r = s->conf;
	if (!r->has_clear) {
		expr_format_promql(r->expr, NULL, out);
		return;
	}
	buf_putc(out, '(');
	expr_format_promql(r->expr, NULL, out);
	buf_puts(out, ") or ((");
	expr_format_promql(r->expr, &r->clear_value, out);
	buf_puts(out, ") and ignoring(alertname, alertstate, severity");
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->name[i], "alertstate") != 0)
			buf_printf(out, ", %s", l->name[i]);
	buf_puts(out, ") ALERTS{alertname=\"");
	buf_puts(out, s->name);   /* letters, digits and - _ . : only */
	buf_puts(out, "\",alertstate=\"firing\"})");
}

/* The comments above a rule: what Prometheus does not do itself. */
static void rule_comments(const struct config_section *s, int query_text, struct buf *out)
{
	const struct alert_rule_config *r = s->conf;
	const char *ind = "      ";
	if (r->has_clear) {
		buf_printf(out, "%s# clear = ", ind);
		comment_text(out, r->clear);
		buf_puts(out, ": the hysteresis reads this alert's own ALERTS{alertstate=\"firing\"}\n");
	}
	if (target_down_rule(r))
		buf_printf(out, "%s# its target's down alert: dbpulse holds and inhibits the target's other alerts while it is down (inhibit_rules above)\n",
			   ind);
	else if (alert_rule_is_down_rule(r))
		buf_printf(out, "%s# over an *_up metric: dbpulse never holds nor inhibits it (target_matchers above)\n",
			   ind);
	if (r->receivers.n) {
		buf_printf(out, "%s# receivers = ", ind);
		for (size_t i = 0; i < r->receivers.n; i++) {
			buf_puts(out, i ? ", " : "");
			comment_text(out, r->receivers.items[i]);
		}
		buf_printf(out, ": in Alertmanager, a route with matchers: [alertname=\"%s\"] to %s\n",
			   s->name, r->receivers.n > 1 ? "each receiver (continue: true)" : "that receiver");
	}
	if (r->repeat_ms) {
		char d[32];
		conf_format_duration(r->repeat_ms, d, sizeof(d));
		buf_printf(out, "%s# repeat = %s: in Alertmanager, repeat_interval: %s on its route\n", ind,
			   d, d);
	}
	if (query_text)
		buf_printf(out, "%s# queryText (the statement's text) is not among Prometheus' template functions: print shows the queryid\n",
			   ind);
}

/* "          NAME: "TEMPLATE"\n" when t is set; *query_text set when it
 * used queryText. */
static void rule_annotation(struct buf *out, const char *name, const struct template *t,
			    int *query_text)
{
	if (!t)
		return;
	struct buf src = BUF_INIT(BUF_UNLIMITED);
	*query_text |= rules_export_template(template_source(t), &src);
	buf_printf(out, "          %s: ", name);
	yaml_quote(out, buf_str(&src));
	buf_putc(out, '\n');
	buf_release(&src);
}

static void export_rule(const struct config_section *s, struct buf *out)
{
	const struct alert_rule_config *r = s->conf;
	struct export_labels l;
	export_labels_init(&l, r);
	char d[32];
	struct buf ann = BUF_INIT(BUF_UNLIMITED);
	int query_text = 0;
	rule_annotation(&ann, "summary", r->summary, &query_text);
	rule_annotation(&ann, "description", r->description, &query_text);
	rule_annotation(&ann, "runbook_url", r->runbook_url, &query_text);
	rule_comments(s, query_text, out);
	buf_puts(out, "      - alert: ");
	yaml_quote(out, s->name);
	buf_puts(out, "\n        expr: ");
	struct buf e = BUF_INIT(BUF_UNLIMITED);
	rule_expr(s, &l, &e);
	yaml_quote(out, buf_str(&e));
	buf_release(&e);
	conf_format_duration(r->for_ms, d, sizeof(d));
	buf_printf(out, "\n        for: \"%s\"\n", d);
	if (r->keep_firing_for_ms) {
		conf_format_duration(r->keep_firing_for_ms, d, sizeof(d));
		buf_printf(out, "        keep_firing_for: \"%s\"\n", d);
	}
	buf_puts(out, "        labels:\n          severity: ");
	label_value(out, r->severity);
	buf_putc(out, '\n');
	for (size_t i = 0; i < l.n; i++) {
		buf_puts(out, "          ");
		yaml_key(out, l.name[i]);
		buf_putc(out, ' ');
		label_value(out, l.value[i]);
		buf_putc(out, '\n');
	}
	if (ann.len) {
		buf_puts(out, "        annotations:\n");
		buf_append(out, ann.data, ann.len);
	}
	buf_release(&ann);
	export_labels_release(&l);
}

/* ---- the file -------------------------------------------------------------- */

static const char header_text[] =
	"#\n"
	"# Load it in Prometheus next to the scrape of the agent (prometheus.yml):\n"
	"#   rule_files: [/etc/prometheus/rules/dbpulse.yml]\n"
	"#   scrape_configs:\n"
	"#     - job_name: dbpulse\n"
	"#       static_configs: [{targets: [\"db1.example:9930\"]}]\n"
	"#       metric_relabel_configs:   # the agent's own ALERTS and ALERTS_FOR_STATE\n"
	"#         - source_labels: [__name__]   # would collide with Prometheus' (same\n"
	"#           regex: ALERTS|ALERTS_FOR_STATE   # names and labels): drop them\n"
	"#           action: drop\n"
	"#\n"
	"# One group per target kind, from the metrics a rule reads: node_* host, pg_*\n"
	"# postgres, redis_* redis, pgbouncer_* pgbouncer, backup_* backup; dbpulse_*\n"
	"# and other names decide only alone (agent), and a rule reading two kinds is in\n"
	"# dbpulse-agent.\n"
	"# Names, expressions, for, keep_firing_for, labels (severity and labels) and\n"
	"# annotations (the templates as written) are the agent's. Prometheus evaluates\n"
	"# them at its evaluation_interval over what it scraped; its rate() and\n"
	"# increase() extrapolate to the window's edges; the alerts also carry the\n"
	"# scrape's job and instance labels.\n"
	"# clear (hysteresis) becomes: (EXPR) or ((EXPR with the clear threshold) and\n"
	"# ignoring(alertname, alertstate, severity, LABELS) ALERTS{alertname=\"NAME\",\n"
	"# alertstate=\"firing\"}): Prometheus' own firing alerts, hence the drop above.\n"
	"#\n"
	"# Routing is Alertmanager's: [webhook] sections are its receivers\n"
	"# (webhook_configs, slack_configs, pagerduty_configs), a rule's receivers and\n"
	"# repeat are comments above it (a route matching its alertname, its\n"
	"# repeat_interval).\n";

/* "A|B" of the down rules (targets_only: those over a target's own up
 * metric), '.' escaped for the regex in an Alertmanager matcher. */
static size_t down_rules_regex(const struct config *cfg, int targets_only, struct buf *out)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->nsections; i++) {
		const struct config_section *s = &cfg->sections[i];
		if (strcmp(s->kind->name, "alert") != 0 || !alert_rule_is_down_rule(s->conf) ||
		    (targets_only && !target_down_rule(s->conf)))
			continue;
		buf_puts(out, n++ ? "|" : "");
		for (const char *c = s->name; *c; c++) {
			if (*c == '.')
				buf_puts(out, "\\\\");
			buf_putc(out, *c);
		}
	}
	return n;
}

static void export_header(const struct config *cfg, const char *version, struct buf *out)
{
	buf_printf(out, "# Prometheus alerting rules generated by dbpulse %s from ", version);
	comment_text(out, cfg->path);
	buf_puts(out, "\n# by `dbpulse rules`: regenerate rather than edit, the agent's configuration\n"
		      "# stays the one source of truth.\n");
	buf_puts(out, header_text);
	struct buf src = BUF_INIT(BUF_UNLIMITED), all = BUF_INIT(BUF_UNLIMITED);
	if (down_rules_regex(cfg, 1, &src)) {
		down_rules_regex(cfg, 0, &all);
		buf_puts(out, "# While a target is down (its collection fails), dbpulse holds its other\n"
			      "# alerts (Prometheus resolves them when their series go) and inhibits\n"
			      "# them; in Alertmanager, while its down alert fires (alertmanager.yml):\n"
			      "#   inhibit_rules:\n");
		buf_printf(out, "#     - source_matchers: ['alertname=~\"%s\"']\n", buf_str(&src));
		buf_printf(out, "#       target_matchers: ['alertname!~\"%s\"']\n", buf_str(&all));
		buf_puts(out, "#       equal: [instance, target]\n");
	}
	buf_release(&src);
	buf_release(&all);
}

void rules_export_prometheus(const struct config *cfg, const char *version, struct buf *out)
{
	export_header(cfg, version, out);
	size_t written = 0;
	for (int g = 0; g < RULES_NGROUPS; g++) {
		size_t in_group = 0;
		for (size_t i = 0; i < cfg->nsections; i++) {
			const struct config_section *s = &cfg->sections[i];
			if (strcmp(s->kind->name, "alert") != 0 ||
			    rules_export_group(s->conf) != (enum rules_group)g)
				continue;
			if (!written++)
				buf_puts(out, "groups:\n");
			if (!in_group++)
				buf_printf(out, "  - name: \"%s\"\n    rules:\n", group_names[g]);
			export_rule(s, out);
		}
	}
	if (!written)
		buf_puts(out, "groups: []\n");
}

/* ---- the command ----------------------------------------------------------- */

static void rules_usage(FILE *out)
{
	fprintf(out,
		"Usage: dbpulse rules [-c FILE] [--format prometheus]\n"
		"\n"
		"Prints the [alert] rules of the configuration as a Prometheus rule file.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"      --format FORMAT prometheus (the default and only one)\n"
		"  -h, --help          print this help and exit\n",
		DBPULSE_DEFAULT_CONFIG);
}

int rules_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DBPULSE_DEFAULT_CONFIG, *format = "prometheus";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'h':
			rules_usage(stdout);
			return 0;
		default:
			rules_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dbpulse rules: unexpected argument '%s'\n", argv[optind]);
		rules_usage(stderr);
		return 2;
	}
	if (strcmp(format, "prometheus") != 0) {
		fprintf(stderr, "dbpulse rules: unknown format '%s' (accepted: prometheus)\n", format);
		return 2;
	}
	struct config *cfg = daemon_load_checked(path);
	if (!cfg)
		return 1;
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	rules_export_prometheus(cfg, PACKAGE_VERSION, &out);
	config_unref(cfg);
	int rc = fwrite(out.data, 1, out.len, stdout) == out.len && fflush(stdout) == 0 ? 0 : 1;
	if (rc)
		fprintf(stderr, "dbpulse rules: cannot write the rules: %s\n", strerror(errno));
	buf_release(&out);
	return rc;
}
