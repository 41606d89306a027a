/*
 * rules.h -- the [alert "NAME"] and [webhook "NAME"] sections of agent.ini.
 *
 * An alert rule is an expression over the agent's own metrics (expr.h)
 * with a threshold, timing (for, keep_firing_for, repeat), an optional
 * second threshold to leave the firing state (clear), labels and
 * annotation templates (template.h), and the receivers it notifies.  A
 * webhook is a receiver: where to POST, in which format, how to sign and
 * how long to keep trying.  Both are parsed and checked at load: a rule
 * that does not parse is a config error with a caret under the bad token.
 */
#ifndef DBPULSE_RULES_H
#define DBPULSE_RULES_H

#include <stdint.h>

#include "config.h"

struct expr;
struct template;

struct alert_rule_config {
	struct expr *expr;
	int64_t for_ms;
	int64_t keep_firing_for_ms;
	int64_t repeat_ms;             /* 0: notify once per episode */
	char *clear;                   /* as written; NULL when unset */
	double clear_value;
	int has_clear;
	char *severity;
	struct conf_list labels;       /* "name=value" items */
	struct template *summary;
	struct template *description;
	struct template *runbook_url;
	struct conf_list receivers;    /* empty: every webhook */
};

enum { WEBHOOK_URLS_MAX = 8 };

struct webhook_config {
	struct conf_list url;          /* one; several for alertmanager-api */
	int format;                    /* enum webhook_format */
	char *secret_file;             /* json: signing key; pagerduty: routing key */
	struct conf_list headers;      /* "Name: value" items */
	int64_t timeout_ms;
	int send_resolved;
	int64_t group_wait_ms;
	int64_t max_age_ms;            /* firing notifications */
	int64_t max_age_resolved_ms;
	int64_t max_backoff_ms;
	int64_t resend_ms;             /* alertmanager-api: re-send firing alerts */
};

extern const struct config_kind alert_kind;
extern const struct config_kind webhook_kind;

/* Whether the rule reads a target's up metric (pg_up, redis_up,
 * dbpulse_up, up): such a rule is its target's down alert, and it is not
 * held or inhibited while the target is down. */
int alert_rule_is_down_rule(const struct alert_rule_config *r);

/* Whether the rule notifies the webhook of that name. */
int alert_rule_notifies(const struct alert_rule_config *r, const char *webhook);

#endif
