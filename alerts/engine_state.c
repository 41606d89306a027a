/*
 * engine_state.c -- the alert engine's state file (engine_internal.h):
 * the pending and firing instances, with their times and the last
 * notification sequence number, saved as JSON after every change
 * (write_file_atomic) and restored at start, so a restart neither
 * re-pages nor forgets.  Runs under the engine's lock, on whichever
 * thread changed the state (a target's worker, a reload, shutdown).
 *
 * The file: {"v": 1, "seq": N, "instances": [{"rule", "key", "target",
 * "labels", "state": "firing" | "pending", "active_at", "fired_at",
 * "last_true_at", "notified_at", "am_sent_at", "value" (null when not
 * finite)}]}.
 */
#include "autoconfig.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "config.h"
#include "engine_internal.h"
#include "log.h"
#include "rules.h"
#include "strutil.h"
#include "xalloc.h"
#include "banned.h"

static json_t *instance_json(const struct rule_run *r, const struct instance *in)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:f, s:f, s:f, s:f, s:f, s:o}",
			 "rule", r->section->name, "key", in->key, "target", in->target,
			 "labels", engine_labels_json(&in->labels),
			 "state", in->state == INST_FIRING ? "firing" : "pending",
			 "active_at", in->active_at, "fired_at", in->fired_at,
			 "last_true_at", in->last_true_at, "notified_at", in->notified_at,
			 "am_sent_at", in->am_sent_at,
			 "value", isfinite(in->value) ? json_real(in->value) : json_null());
}

/* Writes the state file (write_file_atomic: a crash leaves the old or the
 * new state, never half). */
void engine_save_state(struct alert_engine *e)
{
	if (!e->state_file)
		return;
	json_t *list = json_array();
	for (size_t i = 0; i < e->nrules; i++)
		for (size_t j = 0; j < e->rules[i].n; j++)
			json_array_append_new(list, instance_json(&e->rules[i], e->rules[i].inst[j]));
	json_t *root = json_pack("{s:i, s:I, s:o}", "v", 1, "seq", (json_int_t)e->seq,
				 "instances", list);
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (text && write_file_atomic(e->state_file, text, strlen(text), NULL, 0) == 0)
		e->dirty = 0;
	else
		log_complain(&e->save_complaint, LOG_LEVEL_ERROR, "alerts", NULL,
			     "cannot write the alert state to %s: %s", e->state_file,
			     strerror(text ? errno : ENOMEM));
	free(text);
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : 0;
}

static int restore_instance(struct alert_engine *e, json_t *o)
{
	const char *rule = json_string_value(json_object_get(o, "rule"));
	const char *key = json_string_value(json_object_get(o, "key"));
	const char *target = json_string_value(json_object_get(o, "target"));
	const char *state = json_string_value(json_object_get(o, "state"));
	json_t *labels = json_object_get(o, "labels");
	if (!rule || !key || !target || !state || !json_is_object(labels))
		return -1;
	struct rule_run *r = engine_rule_by_name(e, rule);
	if (!r)
		return 0;   /* the rule is gone from the config */
	uint64_t h = engine_key_hash(key);
	if (engine_instance_find(r, key, h) != ENGINE_NOT_FOUND)
		return 0;
	struct instance *in = engine_instance_add(r, key, h, target);
	const char *name;
	json_t *v;
	json_object_foreach(labels, name, v)
		if (json_is_string(v))
			alert_labels_set(&in->labels, name, json_string_value(v));
	/* the rule's labels and severity as configured now */
	engine_relabel(r, in);
	in->state = strcmp(state, "firing") == 0 ? INST_FIRING : INST_PENDING;
	in->active_at = num(o, "active_at");
	in->fired_at = num(o, "fired_at");
	in->last_true_at = num(o, "last_true_at");
	in->notified_at = num(o, "notified_at");
	in->am_sent_at = num(o, "am_sent_at");
	json_t *val = json_object_get(o, "value");
	in->value = json_is_number(val) ? json_number_value(val) : NAN;
	return 0;
}

/* Reads the state file; one that does not decode is renamed *.corrupt and
 * logged, and the agent starts without it. */
void engine_restore_state(struct alert_engine *e)
{
	if (!e->state_file)
		return;
	write_file_atomic_leftovers(e->state_file);   /* a save a crash interrupted */
	if (access(e->state_file, F_OK) != 0)
		return;
	json_error_t jerr;
	json_t *root = json_load_file(e->state_file, 0, &jerr);
	json_t *list = root ? json_object_get(root, "instances") : NULL;
	size_t restored = 0, bad = 0;
	if (json_is_array(list)) {
		json_t *o;
		size_t i;
		json_array_foreach(list, i, o)
			if (restore_instance(e, o) < 0)
				bad++;
			else
				restored++;
		json_t *seq = json_object_get(root, "seq");
		if (json_is_integer(seq) && (uint64_t)json_integer_value(seq) > e->seq)
			e->seq = (uint64_t)json_integer_value(seq);
	}
	if (!json_is_array(list) || bad) {
		char *aside = xasprintf("%s.corrupt", e->state_file);
		log_error("alerts", NULL, "the alert state file %s is damaged (%s); set aside as %s",
			  e->state_file, root ? "unexpected content" : jerr.text, aside);
		rename(e->state_file, aside);
		free(aside);
	} else if (restored) {
		log_info("alerts", NULL, "restored %zu pending or firing alerts from %s", restored,
			 e->state_file);
	}
	json_decref(root);
}
