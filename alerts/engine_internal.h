/*
 * engine_internal.h -- the alert engine's structures and the functions
 * engine.c (the state machine) and engine_state.c (the state file) share.
 * Internal to those two files: other modules use engine.h.
 */
#ifndef DBPULSE_ENGINE_INTERNAL_H
#define DBPULSE_ENGINE_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "engine.h"
#include "expr.h"
#include "log.h"
#include "template.h"

struct config;
struct config_section;
struct alert_rule_config;

enum inst_state { INST_PENDING, INST_FIRING };

struct instance {
	char *key;                    /* the series' labels, from expr_eval */
	uint64_t key_hash;
	char *target;                 /* whose collection it comes from */
	struct alert_labels labels;   /* the alert's labels */
	double value;
	enum inst_state state;
	double active_at;             /* the condition first held */
	double fired_at;              /* it started firing */
	double last_true_at;          /* the condition last held (keep_firing_for) */
	double notified_at;           /* last firing notification, 0: none yet */
	double am_sent_at;            /* last re-send to alertmanager-api receivers */
	int inhibited;                /* its target is down and this is no down rule */
	uint64_t seen;                /* generation of the last evaluation that saw it */
};

struct rule_run {
	const struct config_section *section;
	struct alert_rule_config *conf;
	int down_rule;
	struct instance **inst;
	size_t n, alloc;
	uint64_t evaluations, failures;
	struct expr_result result;
};

struct receiver {
	const char *name;
	int send_resolved;
	int am_api;
	double resend;                /* seconds */
};

struct target_state {
	char *name;
	int up;
};

struct alert_engine {
	pthread_mutex_t lock;
	struct config *cfg;
	struct rule_run *rules;
	size_t nrules;
	struct receiver *receivers;
	size_t nreceivers;
	struct target_state *targets;
	size_t ntargets, targets_alloc;
	char *state_file;
	char *external_url;
	char *generator_url;
	struct template_env templates;
	uint64_t seq;
	uint64_t generation;
	alert_notify_fn notify;
	void *notify_ctx;
	int dirty;
	struct log_complaint save_complaint;
	uint64_t observed;            /* collections evaluated */
	double eval_cpu;              /* thread CPU seconds spent evaluating them */
	/* the current collection, grouped by family for expr_source */
	const struct batch *batch;
	struct expr_series *series;
	size_t series_alloc;
	size_t *fam_start, *fam_count;
	size_t fam_alloc;
};

/* ---- engine.c ---- */

/* FNV-1a 64 of an instance's key (instance.key_hash). */
uint64_t engine_key_hash(const char *key);
/* The index in r->inst of the instance of key (h its hash), or
 * ENGINE_NOT_FOUND. */
#define ENGINE_NOT_FOUND ((size_t)-1)
size_t engine_instance_find(const struct rule_run *r, const char *key, uint64_t h);
/* A new instance of key for target, appended to r->inst (which owns it),
 * its labels empty and its times zero. */
struct instance *engine_instance_add(struct rule_run *r, const char *key, uint64_t h,
				     const char *target);
/* Sets the rule's labels, alertname and severity, as configured now, over
 * the instance's labels. */
void engine_relabel(const struct rule_run *r, struct instance *in);
/* The running rule of that name, or NULL. */
struct rule_run *engine_rule_by_name(struct alert_engine *e, const char *name);
/* Labels as a JSON object of strings (a new reference for the caller). */
json_t *engine_labels_json(const struct alert_labels *l);

/* ---- engine_state.c ---- */

/* Writes the pending and firing instances to e->state_file (when set) so
 * that a crash leaves the old or the new state; clears e->dirty, or logs
 * (rate-limited) and leaves it set.  The lock is held. */
void engine_save_state(struct alert_engine *e);
/* Restores the instances of e->state_file for the rules configured now;
 * a file that does not decode is renamed *.corrupt and logged.  At start,
 * before any evaluation. */
void engine_restore_state(struct alert_engine *e);

#endif
