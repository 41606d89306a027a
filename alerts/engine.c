/*
 * engine.c -- alert rules' state machine and inhibition (engine.h): the
 * collection handed to every rule, instances moving through pending,
 * firing and resolved, the notes for the receivers, reloads, and what
 * /metrics and /api/alerts show.  The state file is engine_state.c; the
 * structures both share are in engine_internal.h.
 */
#include "autoconfig.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "buf.h"
#include "config.h"
#include "engine.h"
#include "engine_internal.h"
#include "expr.h"
#include "log.h"
#include "metrics.h"
#include "payload.h"
#include "rules.h"
#include "strutil.h"
#include "template.h"
#include "xalloc.h"
#include "banned.h"

/* ---- the collection as an expr_source ------------------------------------ */

static size_t source_family(void *ctx, const char *name, const struct expr_series **out)
{
	struct alert_engine *e = ctx;
	long f = batch_find_family(e->batch, name);
	if (f < 0)
		return 0;
	*out = e->series + e->fam_start[f];
	return e->fam_count[f];
}

/* Groups the batch's samples by family (a counting sort, order kept). */
static void source_build(struct alert_engine *e, const struct batch *b)
{
	e->batch = b;
	if (b->nfamilies > e->fam_alloc) {
		free(e->fam_start);
		free(e->fam_count);
		e->fam_alloc = b->nfamilies;
		e->fam_start = xmalloc(e->fam_alloc * sizeof(size_t));
		e->fam_count = xmalloc(e->fam_alloc * sizeof(size_t));
	}
	if (b->nsamples > e->series_alloc) {
		free(e->series);
		e->series_alloc = b->nsamples;
		e->series = xmalloc(e->series_alloc * sizeof(*e->series));
	}
	memset(e->fam_count, 0, b->nfamilies * sizeof(size_t));
	/* a summary's or histogram's _sum, _count and _bucket samples are
	 * series of other names (NAME_sum...), which no rule reads */
	for (size_t i = 0; i < b->nsamples; i++)
		if (b->samples[i].part == METRIC_PART_VALUE)
			e->fam_count[b->samples[i].family]++;
	size_t at = 0;
	for (size_t f = 0; f < b->nfamilies; f++) {
		e->fam_start[f] = at;
		at += e->fam_count[f];
		e->fam_count[f] = 0;
	}
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct batch_sample *s = &b->samples[i];
		if (s->part != METRIC_PART_VALUE)
			continue;
		struct expr_series *x = &e->series[e->fam_start[s->family] + e->fam_count[s->family]++];
		x->labels = batch_str(b, s->labels_off);
		x->labels_len = s->labels_len;
		x->nlabels = s->nlabels;
		x->value = s->value;
	}
}

/* ---- instances ------------------------------------------------------------ */

uint64_t engine_key_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

size_t engine_instance_find(const struct rule_run *r, const char *key, uint64_t h)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->inst[i]->key_hash == h && strcmp(r->inst[i]->key, key) == 0)
			return i;
	return ENGINE_NOT_FOUND;
}

static void instance_free(struct instance *in)
{
	free(in->key);
	free(in->target);
	alert_labels_release(&in->labels);
	free(in);
}

static void instance_remove(struct rule_run *r, size_t i)
{
	instance_free(r->inst[i]);
	r->inst[i] = r->inst[--r->n];
}

/* The alert's labels: the series' labels, then the rule's, then
 * alertname and severity (which no series label overrides). */
static void labels_for(const struct rule_run *r, const struct alert_labels *series,
		       struct alert_labels *out)
{
	alert_labels_copy(out, series);
	for (size_t i = 0; i < r->conf->labels.n; i++) {
		const char *item = r->conf->labels.items[i];
		const char *eq = strchr(item, '=');
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - item), item);
		char *value = xstrdup(eq + 1);
		alert_labels_set(out, trim(name), trim(value));
		free(value);
	}
	alert_labels_set(out, "alertname", r->section->name);
	alert_labels_set(out, "severity", r->conf->severity);
}

void engine_relabel(const struct rule_run *r, struct instance *in)
{
	struct alert_labels series = { 0 };
	alert_labels_copy(&series, &in->labels);
	alert_labels_release(&in->labels);
	labels_for(r, &series, &in->labels);
	alert_labels_release(&series);
}

struct instance *engine_instance_add(struct rule_run *r, const char *key, uint64_t h,
				     const char *target)
{
	struct instance *in = xcalloc(1, sizeof(*in));
	in->key = xstrdup(key);
	in->key_hash = h;
	in->target = xstrdup(target);
	r->inst = xgrow(r->inst, &r->alloc, r->n + 1, sizeof(struct instance *));
	r->inst[r->n++] = in;
	return in;
}

static struct instance *instance_new(struct rule_run *r, const struct expr_result_item *item,
				     uint64_t h, const char *target)
{
	struct instance *in = engine_instance_add(r, item->key, h, target);
	struct alert_labels series = { 0 };
	expr_item_labels(item, &series);
	labels_for(r, &series, &in->labels);
	alert_labels_release(&series);
	return in;
}

struct rule_run *engine_rule_by_name(struct alert_engine *e, const char *name)
{
	for (size_t i = 0; i < e->nrules; i++)
		if (strcmp(e->rules[i].section->name, name) == 0)
			return &e->rules[i];
	return NULL;
}

json_t *engine_labels_json(const struct alert_labels *l)
{
	json_t *o = json_object();
	for (size_t i = 0; i < l->n; i++)
		json_object_set_new(o, l->v[i].name, json_string(l->v[i].value));
	return o;
}

/* ---- notifications --------------------------------------------------------- */

static void render_annotation(const struct alert_engine *e, struct alert_labels *out,
			      const char *name, const struct template *t, const struct instance *in)
{
	if (!t)
		return;
	struct buf b = BUF_INIT(16384);
	if (template_render(t, &in->labels, in->value, &e->templates, &b) == 0)
		alert_labels_set(out, name, buf_str(&b));
	buf_release(&b);
}

static struct alert_note *note_for(struct alert_engine *e, const struct rule_run *r,
				   const struct instance *in, const struct receiver *rc,
				   enum alert_status status, double now)
{
	struct alert_note *n = alert_note_new();
	n->receiver = xstrdup(rc->name);
	n->rule = xstrdup(r->section->name);
	alert_labels_copy(&n->labels, &in->labels);
	render_annotation(e, &n->annotations, "summary", r->conf->summary, in);
	render_annotation(e, &n->annotations, "description", r->conf->description, in);
	render_annotation(e, &n->annotations, "runbook_url", r->conf->runbook_url, in);
	n->status = status;
	n->starts_at = in->fired_at;
	if (status == ALERT_RESOLVED)
		n->ends_at = now;
	else if (rc->am_api)   /* Prometheus' contract: valid for 4 re-send periods */
		n->ends_at = now + 4 * rc->resend;
	n->value = in->value;
	n->generator_url = xstrdup(e->generator_url);
	n->fingerprint = alert_labels_fingerprint(&n->labels);
	n->seq = ++e->seq;
	n->created_at = now;
	return n;
}

/* Notifies every receiver of the rule; am_only: only alertmanager-api
 * ones (their periodic re-send). */
static void notify_all(struct alert_engine *e, const struct rule_run *r, struct instance *in,
		       enum alert_status status, double now, int am_only)
{
	for (size_t i = 0; i < e->nreceivers; i++) {
		const struct receiver *rc = &e->receivers[i];
		if (!alert_rule_notifies(r->conf, rc->name) || (am_only && !rc->am_api))
			continue;
		if (status == ALERT_RESOLVED && !rc->send_resolved && !rc->am_api)
			continue;
		if (e->notify)
			e->notify(e->notify_ctx, note_for(e, r, in, rc, status, now));
	}
	in->am_sent_at = now;
	e->dirty = 1;
}

/* ---- the state machine ----------------------------------------------------- */

static int condition(const struct rule_run *r, const struct instance *in, double value)
{
	if (in && in->state == INST_FIRING && r->conf->has_clear)
		return expr_compare(r->conf->expr, value, r->conf->clear_value);
	return expr_compare(r->conf->expr, value, expr_threshold(r->conf->expr));
}

/* Moves in one step; returns 0, or 1 when the instance is finished (the
 * caller removes it). */
static int step(struct alert_engine *e, struct rule_run *r, struct instance *in, int holds,
		double now)
{
	double for_s = (double)r->conf->for_ms / 1000.0;
	double keep_s = (double)r->conf->keep_firing_for_ms / 1000.0;
	if (holds) {
		in->last_true_at = now;
		if (in->state == INST_PENDING && now - in->active_at >= for_s) {
			in->state = INST_FIRING;
			in->fired_at = now;
			e->dirty = 1;
		}
	} else if (in->state == INST_PENDING) {
		e->dirty = 1;
		return 1;
	} else if (keep_s <= 0 || now - in->last_true_at >= keep_s) {
		if (in->notified_at > 0)
			notify_all(e, r, in, ALERT_RESOLVED, now, 0);
		e->dirty = 1;
		return 1;
	}
	if (in->state != INST_FIRING || in->inhibited)
		return 0;
	double repeat_s = (double)r->conf->repeat_ms / 1000.0;
	if (in->notified_at <= 0 || (repeat_s > 0 && now - in->notified_at >= repeat_s)) {
		notify_all(e, r, in, ALERT_FIRING, now, 0);
		in->notified_at = now;
	} else {
		for (size_t i = 0; i < e->nreceivers; i++) {
			const struct receiver *rc = &e->receivers[i];
			if (rc->am_api && now - in->am_sent_at >= rc->resend) {
				notify_all(e, r, in, ALERT_FIRING, now, 1);
				break;
			}
		}
	}
	return 0;
}

static struct target_state *target_state(struct alert_engine *e, const char *name)
{
	for (size_t i = 0; i < e->ntargets; i++)
		if (strcmp(e->targets[i].name, name) == 0)
			return &e->targets[i];
	e->targets = xgrow(e->targets, &e->targets_alloc, e->ntargets + 1, sizeof(*e->targets));
	struct target_state *t = &e->targets[e->ntargets++];
	t->name = xstrdup(name);
	t->up = 1;
	return t;
}

static void evaluate_rule(struct alert_engine *e, struct rule_run *r, const char *target, int up,
			  double now)
{
	struct expr_source src = { .family = source_family, .ctx = e };
	int hold = !up && !r->down_rule;
	expr_result_reset(&r->result);
	if (expr_eval(r->conf->expr, &src, now, &r->result) < 0) {
		r->failures++;
		return;
	}
	r->evaluations++;
	for (size_t i = 0; i < r->result.n; i++) {
		const struct expr_result_item *item = &r->result.v[i];
		uint64_t h = engine_key_hash(item->key);
		size_t at = engine_instance_find(r, item->key, h);
		struct instance *in = at == ENGINE_NOT_FOUND ? NULL : r->inst[at];
		int holds = condition(r, in, item->value);
		if (!in) {
			if (!holds)
				continue;
			in = instance_new(r, item, h, target);
			at = r->n - 1;
			in->active_at = now;
			e->dirty = 1;
		} else if (strcmp(in->target, target) != 0) {
			free(in->target);
			in->target = xstrdup(target);
		}
		in->seen = e->generation;
		in->value = item->value;
		in->inhibited = hold;
		if (step(e, r, in, holds, now))
			instance_remove(r, at);
	}
	/* this target's instances whose series are gone: resolved when the
	 * target answered without them, held while it is down */
	for (size_t i = 0; i < r->n;) {
		struct instance *in = r->inst[i];
		if (in->seen == e->generation || strcmp(in->target, target) != 0) {
			i++;
			continue;
		}
		in->inhibited = hold;
		if (hold || !step(e, r, in, 0, now))
			i++;
		else
			instance_remove(r, i);
	}
}

/* ---- building from a config -------------------------------------------------- */

static void load_config(struct alert_engine *e, struct config *cfg)
{
	e->cfg = config_ref(cfg);
	size_t nr = 0, nw = 0;
	for (size_t i = 0; i < cfg->nsections; i++) {
		if (cfg->sections[i].kind == &alert_kind)
			nr++;
		else if (cfg->sections[i].kind == &webhook_kind)
			nw++;
	}
	e->rules = xcalloc(nr ? nr : 1, sizeof(*e->rules));
	e->receivers = xcalloc(nw ? nw : 1, sizeof(*e->receivers));
	e->nrules = e->nreceivers = 0;
	for (size_t i = 0; i < cfg->nsections; i++) {
		const struct config_section *s = &cfg->sections[i];
		if (s->kind == &alert_kind) {
			struct rule_run *r = &e->rules[e->nrules++];
			r->section = s;
			r->conf = s->conf;
			r->down_rule = alert_rule_is_down_rule(r->conf);
		} else if (s->kind == &webhook_kind) {
			const struct webhook_config *w = s->conf;
			struct receiver *rc = &e->receivers[e->nreceivers++];
			rc->name = s->name;
			rc->send_resolved = w->send_resolved;
			rc->am_api = w->format == WEBHOOK_ALERTMANAGER_API;
			rc->resend = (double)w->resend_ms / 1000.0;
		}
	}
}

static void release_rules(struct rule_run *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < rules[i].n; j++)
			instance_free(rules[i].inst[j]);
		free(rules[i].inst);
		expr_result_release(&rules[i].result);
	}
	free(rules);
}

struct alert_engine *alert_engine_new(struct config *cfg, const struct alert_engine_options *opt)
{
	struct alert_engine *e = xcalloc(1, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	e->state_file = opt->state_file ? xstrdup(opt->state_file) : NULL;
	e->external_url = xstrdup(opt->external_url ? opt->external_url : "");
	e->templates = opt->templates;
	e->generator_url = xasprintf("%sapi/alerts", e->external_url);
	e->seq = opt->first_seq;
	e->notify = opt->notify;
	e->notify_ctx = opt->notify_ctx;
	load_config(e, cfg);
	engine_restore_state(e);
	return e;
}

void alert_engine_free(struct alert_engine *e)
{
	if (!e)
		return;
	if (e->dirty)
		engine_save_state(e);
	release_rules(e->rules, e->nrules);
	free(e->receivers);
	for (size_t i = 0; i < e->ntargets; i++)
		free(e->targets[i].name);
	free(e->targets);
	free(e->series);
	free(e->fam_start);
	free(e->fam_count);
	free(e->state_file);
	free(e->external_url);
	free(e->generator_url);
	config_unref(e->cfg);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static int same_expr(const struct alert_rule_config *a, const struct alert_rule_config *b)
{
	struct buf x = BUF_INIT(8192), y = BUF_INIT(8192);
	expr_format(a->expr, &x);
	expr_format(b->expr, &y);
	int same = x.len == y.len && memcmp(buf_str(&x), buf_str(&y), x.len) == 0;
	buf_release(&x);
	buf_release(&y);
	return same;
}

void alert_engine_reload(struct alert_engine *e, struct config *cfg)
{
	pthread_mutex_lock(&e->lock);
	struct rule_run *old = e->rules;
	size_t nold = e->nrules;
	struct config *old_cfg = e->cfg;
	free(e->receivers);
	load_config(e, cfg);
	for (size_t i = 0; i < nold; i++) {
		struct rule_run *r = engine_rule_by_name(e, old[i].section->name);
		if (!r || !same_expr(r->conf, old[i].conf)) {
			/* the rule is gone or means something else now: what it
			 * paged for ends here, and receivers hear so */
			for (size_t j = 0; j < old[i].n; j++)
				if (old[i].inst[j]->notified_at > 0)
					notify_all(e, &old[i], old[i].inst[j], ALERT_RESOLVED, now_wall(), 0);
			continue;
		}
		/* keep the instances, relabelled with the rule's labels now */
		for (size_t j = 0; j < old[i].n; j++)
			engine_relabel(r, old[i].inst[j]);
		r->inst = old[i].inst;
		r->n = old[i].n;
		r->alloc = old[i].alloc;
		r->evaluations = old[i].evaluations;
		r->failures = old[i].failures;
		old[i].inst = NULL;
		old[i].n = old[i].alloc = 0;
	}
	release_rules(old, nold);
	config_unref(old_cfg);
	e->dirty = 1;
	engine_save_state(e);
	pthread_mutex_unlock(&e->lock);
}

/* ---- evaluation ------------------------------------------------------------------ */

void alert_engine_observe(struct alert_engine *e, const char *target, const struct batch *b,
			  int up, double now)
{
	pthread_mutex_lock(&e->lock);
	if (!e->nrules) {
		pthread_mutex_unlock(&e->lock);
		return;
	}
	struct timespec c0, c1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	e->generation++;
	target_state(e, target)->up = up;
	source_build(e, b);
	for (size_t i = 0; i < e->nrules; i++)
		evaluate_rule(e, &e->rules[i], target, up, now);
	e->batch = NULL;
	if (e->dirty)
		engine_save_state(e);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	e->observed++;
	e->eval_cpu += (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	pthread_mutex_unlock(&e->lock);
}

/* ---- what the agent shows ---------------------------------------------------------- */

static const struct metric_desc m_evaluations = {
	"dbpulse_rule_evaluations_total", "Evaluations of the alert rule.", METRIC_COUNTER };
static const struct metric_desc m_failures = {
	"dbpulse_rule_evaluation_failures_total", "Evaluations of the alert rule that failed.",
	METRIC_COUNTER };
static const struct metric_desc m_history = {
	"dbpulse_rule_history_series", "Series whose history the rule's window functions keep.",
	METRIC_GAUGE };
static const struct metric_desc m_history_dropped = {
	"dbpulse_rule_history_dropped_total",
	"Points or series the rule's window functions did not keep because of their bounds.",
	METRIC_COUNTER };

static const struct metric_desc m_observed = {
	"dbpulse_alert_evaluation_cycles_total",
	"Collections over which every alert rule was evaluated.", METRIC_COUNTER };
static const struct metric_desc m_eval_cpu = {
	"dbpulse_alert_evaluation_cpu_seconds_total",
	"CPU time spent evaluating alert rules (and saving their state).", METRIC_COUNTER };

static void add_alert_series(struct batch *out, const char *name, const char *help,
			     const struct instance *in, const char *state, double value)
{
	const char *labels[2 * 64];
	size_t n = 0;
	for (size_t i = 0; i < in->labels.n && n < 63; i++) {
		labels[2 * n] = in->labels.v[i].name;
		labels[2 * n + 1] = in->labels.v[i].value;
		n++;
	}
	if (state) {
		labels[2 * n] = "alertstate";
		labels[2 * n + 1] = state;
		n++;
	}
	batch_addv(out, name, help, METRIC_GAUGE, value, labels, n);
}

void alert_engine_metrics(struct alert_engine *e, struct batch *out)
{
	pthread_mutex_lock(&e->lock);
	if (e->nrules) {
		batch_add(out, &m_observed, (double)e->observed, NULL);
		batch_add(out, &m_eval_cpu, e->eval_cpu, NULL);
	}
	for (size_t i = 0; i < e->nrules; i++) {
		const struct rule_run *r = &e->rules[i];
		const char *name = r->section->name;
		batch_add(out, &m_evaluations, (double)r->evaluations, "rule", name, NULL);
		batch_add(out, &m_failures, (double)r->failures, "rule", name, NULL);
		batch_add(out, &m_history, (double)expr_history_series(r->conf->expr), "rule", name,
			  NULL);
		batch_add(out, &m_history_dropped, (double)expr_history_dropped(r->conf->expr), "rule",
			  name, NULL);
	}
	for (size_t i = 0; i < e->nrules; i++)
		for (size_t j = 0; j < e->rules[i].n; j++) {
			const struct instance *in = e->rules[i].inst[j];
			add_alert_series(out, "ALERTS", "Alerts that are pending or firing.", in,
					 in->state == INST_FIRING ? "firing" : "pending", 1);
			add_alert_series(out, "ALERTS_FOR_STATE",
					 "When each pending or firing alert became active, in seconds since the epoch.",
					 in, NULL, in->active_at);
		}
	pthread_mutex_unlock(&e->lock);
}

static json_t *value_string(double v)
{
	char s[64];
	const char *name = nonfinite_name(v);
	if (name)
		return json_string(name);
	format_double_shortest(s, sizeof(s), v);
	return json_string(s);
}

static json_t *annotations_json(const struct alert_engine *e, const struct rule_run *r,
				const struct instance *in)
{
	struct alert_labels a = { 0 };
	render_annotation(e, &a, "summary", r->conf->summary, in);
	render_annotation(e, &a, "description", r->conf->description, in);
	render_annotation(e, &a, "runbook_url", r->conf->runbook_url, in);
	json_t *o = engine_labels_json(&a);
	alert_labels_release(&a);
	return o;
}

int alert_engine_json(struct alert_engine *e, struct buf *out)
{
	json_t *alerts = json_array();
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nrules; i++)
		for (size_t j = 0; j < e->rules[i].n; j++) {
			const struct rule_run *r = &e->rules[i];
			const struct instance *in = r->inst[j];
			char active[40], fired[40], fp[17];
			payload_time(in->active_at, active);
			payload_time(in->fired_at, fired);
			alert_fingerprint_hex(alert_labels_fingerprint(&in->labels), fp);
			json_t *a = json_pack("{s:o, s:o, s:s, s:s, s:o, s:b, s:s, s:s, s:s}",
					      "labels", engine_labels_json(&in->labels),
					      "annotations", annotations_json(e, r, in),
					      "state", in->state == INST_FIRING ? "firing" : "pending",
					      "activeAt", active, "value", value_string(in->value),
					      "inhibited", in->inhibited, "rule", r->section->name,
					      "target", in->target, "fingerprint", fp);
			if (in->state == INST_FIRING)
				json_object_set_new(a, "firedAt", json_string(fired));
			json_array_append_new(alerts, a);
		}
	pthread_mutex_unlock(&e->lock);
	json_t *root = json_pack("{s:s, s:{s:o}}", "status", "success", "data", "alerts", alerts);
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return -1;
	int rc = buf_puts(out, text);
	free(text);
	return rc;
}

size_t alert_engine_active(struct alert_engine *e, size_t *firing)
{
	size_t n = 0, f = 0;
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nrules; i++)
		for (size_t j = 0; j < e->rules[i].n; j++) {
			n++;
			f += e->rules[i].inst[j]->state == INST_FIRING;
		}
	pthread_mutex_unlock(&e->lock);
	if (firing)
		*firing = f;
	return n;
}

int alert_engine_has_rules(const struct alert_engine *e)
{
	return e->nrules > 0;
}
