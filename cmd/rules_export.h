/*
 * rules_export.h -- the agent's alert rules as a Prometheus rule file:
 * `dbpulse rules [-c FILE] [--format prometheus]`.
 *
 * One group per target kind (rules_export_group), the rules in config
 * order, each with its name, expression (expr_format_promql), for,
 * keep_firing_for, labels and annotation templates as written.  `clear`
 * becomes PromQL over the alert's own ALERTS series; receivers, repeat
 * and the inhibition by down rules, which are Alertmanager's business in
 * Prometheus, become comments with the Alertmanager setting to use.
 */
#ifndef DBPULSE_RULES_EXPORT_H
#define DBPULSE_RULES_EXPORT_H

struct alert_rule_config;
struct buf;
struct config;

/* The groups, in the order they are written. */
enum rules_group {
	RULES_HOST,        /* node_* */
	RULES_POSTGRES,    /* pg_* */
	RULES_REDIS,       /* redis_* */
	RULES_PGBOUNCER,   /* pgbouncer_* */
	RULES_BACKUP,      /* backup_* */
	RULES_TIMESCALEDB, /* timescaledb_* */
	RULES_AGENT,       /* dbpulse_* and other names alone, or two kinds mixed */
	RULES_NGROUPS
};

/* A rule's group: the one kind its metrics name, not counting dbpulse_*
 * and other names, which count only when nothing else decides; a rule
 * that reads two kinds goes to RULES_AGENT. */
enum rules_group rules_export_group(const struct alert_rule_config *r);
/* "dbpulse-host", "dbpulse-postgres", ... */
const char *rules_export_group_name(enum rules_group g);

/* Appends s as a YAML double-quoted scalar: \" \\ \n \t \r and \xHH or
 * \uHHHH for characters YAML does not print (C0 and C1 controls, DEL,
 * U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF); other UTF-8 as it is, a byte
 * that is not UTF-8 as \uFFFD. */
void yaml_quote(struct buf *out, const char *s);

/* Appends an annotation template as Prometheus' template engine reads
 * it: the source as written, but queryText, which Prometheus has not,
 * becomes print (the queryid itself), and a comment action starts and
 * ends at its braces, as Go requires.  Returns whether queryText was
 * replaced. */
int rules_export_template(const char *src, struct buf *out);

/* Appends the rule file for cfg's [alert] sections: a header comment
 * (dbpulse version, cfg->path, how to load it, the routing to do in
 * Alertmanager), then `groups:`, or `groups: []` when there is no rule. */
void rules_export_prometheus(const struct config *cfg, const char *version, struct buf *out);

/* The `dbpulse rules` command, argv[0] being "rules": writes the rule file
 * to standard output; 0, 1 (the configuration is not valid, reported
 * like --check-config does, or the output failed) or 2 (usage). */
int rules_main(int argc, char **argv);

#endif
