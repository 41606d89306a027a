/*
 * engine.h -- alert rules evaluated after every collection.
 *
 * The scheduler hands each target's collection (its batch, and whether it
 * succeeded) to alert_engine_observe(); the engine evaluates every rule
 * over that target's series and moves each alert instance (one per series
 * a rule selects) through Prometheus' states: inactive -> pending (the
 * condition holds, `for` not yet passed) -> firing -> resolved.  Changes
 * become notes (alert.h) handed to the notify callback, one per receiver.
 *
 * Missing data is not "OK": while a target is down (its collection
 * failed), the instances of its other rules are held as they are, and
 * inhibited: they notify nothing until the target's own down rule (a rule
 * over pg_up, redis_up, dbpulse_up...) has stopped finding it down.  So a
 * dead PostgreSQL pages once.  Pending and firing instances are saved to a
 * state file after every change and restored at start: a restart neither
 * re-pages nor forgets.
 *
 * All calls are thread-safe (one lock); observe() runs on the targets'
 * worker threads, the rest on HTTP threads and the main thread.
 */
#ifndef DBPULSE_ENGINE_H
#define DBPULSE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "template.h"

struct alert_note;
struct batch;
struct buf;
struct config;

/* Takes ownership of note. */
typedef void (*alert_notify_fn)(void *ctx, struct alert_note *note);

struct alert_engine_options {
	const char *state_file;        /* NULL: not persisted */
	const char *external_url;      /* the agent's URL, ending in '/' */
	uint64_t first_seq;            /* notes are numbered after this */
	alert_notify_fn notify;
	void *notify_ctx;
	struct template_env templates; /* what annotations may look up (copied) */
};

struct alert_engine;

/* A new engine for cfg's [alert] and [webhook] sections (it keeps a
 * reference to cfg).  Restores the state file if there is one; a state
 * file that cannot be read is logged and set aside. */
struct alert_engine *alert_engine_new(struct config *cfg, const struct alert_engine_options *opt);
void alert_engine_free(struct alert_engine *e);
/* Switches to a new configuration; instances of rules that kept their
 * name and expression carry over. */
void alert_engine_reload(struct alert_engine *e, struct config *cfg);

/* Evaluates every rule over one target's collection at time now (epoch
 * seconds). */
void alert_engine_observe(struct alert_engine *e, const char *target, const struct batch *b,
			  int up, double now);

/* ALERTS, ALERTS_FOR_STATE and the rules' own counters. */
void alert_engine_metrics(struct alert_engine *e, struct batch *out);
/* GET /api/alerts: the pending and firing alerts, Prometheus' shape. */
int alert_engine_json(struct alert_engine *e, struct buf *out);
/* Pending plus firing instances (tests). */
size_t alert_engine_active(struct alert_engine *e, size_t *firing);
/* Whether any rule exists. */
int alert_engine_has_rules(const struct alert_engine *e);

#endif
