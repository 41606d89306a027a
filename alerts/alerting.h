/*
 * alerting.h -- the alert engine, the outbox and the senders, wired
 * together for the daemon.
 *
 * The engine's notes go to the sender of their receiver; the outbox and
 * libcurl exist only when the config has a [webhook]; a config without
 * [alert] sections costs nothing.  Reloads keep alert state and restart
 * only the senders whose section changed (what they had queued stays in
 * the outbox and is sent by their successor).
 */
#ifndef DBPULSE_ALERTING_H
#define DBPULSE_ALERTING_H

#include <stddef.h>

struct batch;
struct buf;
struct config;

struct alerting;

struct template_env;

/* NULL with err when the state directory or a receiver cannot be set up.
 * state_dir is where the outbox and the alert state live ([agent]
 * state_dir); templates (may be NULL) is what annotations may look up;
 * both copied or used during the call only. */
struct alerting *alerting_start(struct config *cfg, const char *state_dir, const char *external_url,
				const struct template_env *templates, char *err, size_t errlen);
/* 0, or -1 with err (the running setup is then unchanged). */
int alerting_reload(struct alerting *a, struct config *cfg, const char *state_dir, char *err,
		    size_t errlen);
void alerting_stop(struct alerting *a);

/* What a config load checks of the state directory: when rules or
 * receivers will use it, it is a directory this user may write, or one
 * it may create.  0, or -1 with err (make_dirs' message). */
int alerting_check_state_dir(const struct config *cfg, const char *state_dir, char *err,
			     size_t errlen);

/* The scheduler's observer (scheduler_observer_fn). */
void alerting_observe(void *ctx, const char *target, const struct batch *b, int up);
void alerting_metrics(struct alerting *a, struct batch *out);
int alerting_json(struct alerting *a, struct buf *out);

/* --test-webhook NAME: 0 when the receiver took the test notification. */
int alerting_test_webhook(struct config *cfg, const char *name, const char *external_url,
			  struct buf *report);

#endif
