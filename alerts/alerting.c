/*
 * alerting.c -- engine, outbox and senders for the daemon (alerting.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"
#include "alerting.h"
#include "buf.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "outbox.h"
#include "rules.h"
#include "sender.h"
#include "strutil.h"
#include "xalloc.h"
#include "banned.h"

struct alerting {
	pthread_mutex_t lock;          /* guards senders */
	struct sender **senders;
	size_t nsenders;
	struct outbox *outbox;
	struct alert_engine *engine;
	char *external_url;
	char source[256];
};

static int has_kind(const struct config *cfg, const struct config_kind *kind)
{
	for (size_t i = 0; i < cfg->nsections; i++)
		if (cfg->sections[i].kind == kind)
			return 1;
	return 0;
}

/* Creates the state directory and its parents (0700 for what it creates);
 * the message is mkdir_p's, prefixed "state_dir: ". */
static int make_state_dir(const char *dir, char *err, size_t errlen)
{
	char *why = xmalloc(errlen + 1);
	int rc = mkdir_p(dir, 0700, why, errlen + 1);
	if (rc < 0)
		snprintf(err, errlen, "state_dir: %s", why);
	free(why);
	return rc;
}

int alerting_check_state_dir(const struct config *cfg, const char *state_dir, char *err,
			     size_t errlen)
{
	if (!has_kind(cfg, &webhook_kind) && !has_kind(cfg, &alert_kind))
		return 0;
	char *path = xstrdup(state_dir);
	struct stat st;
	int rc = 0;
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "state_dir: '%s' is not a directory", path);
			rc = -1;
		} else if (access(path, W_OK | X_OK) < 0) {
			snprintf(err, errlen, "state_dir: cannot write in %s: %s", path, strerror(errno));
			rc = -1;
		}
		free(path);
		return rc;
	}
	/* mkdir_p would create it: in the nearest directory that exists,
	 * its first missing component */
	char *slash;
	while ((slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		const char *parent = *path ? path : "/";
		if (stat(parent, &st) < 0)
			continue;
		if (!S_ISDIR(st.st_mode) || access(parent, W_OK | X_OK) < 0) {
			int errnum = S_ISDIR(st.st_mode) ? errno : ENOTDIR;
			size_t first = strlen(path) + 1;
			first += strcspn(state_dir + first, "/");
			snprintf(err, errlen, "state_dir: cannot create %.*s: %s", (int)first, state_dir,
				 strerror(errnum));
			rc = -1;
		}
		break;
	}
	free(path);
	return rc;
}

static int open_outbox(struct alerting *a, struct config *cfg, const char *state_dir, char *err,
		       size_t errlen)
{
	if (a->outbox || !has_kind(cfg, &webhook_kind))
		return 0;
	char why[512];
	if (make_state_dir(state_dir, err, errlen) < 0)
		return -1;
	a->outbox = outbox_open(state_dir, why, sizeof(why));
	if (!a->outbox) {
		snprintf(err, errlen, "alert outbox: %s", why);
		return -1;
	}
	return 0;
}

static struct sender *sender_for(struct alerting *a, const char *name)
{
	for (size_t i = 0; i < a->nsenders; i++)
		if (strcmp(sender_name(a->senders[i]), name) == 0)
			return a->senders[i];
	return NULL;
}

/* The engine's notify callback: runs on a worker thread, engine locked. */
static void dispatch(void *ctx, struct alert_note *note)
{
	struct alerting *a = ctx;
	pthread_mutex_lock(&a->lock);
	struct sender *s = sender_for(a, note->receiver);
	if (s)
		sender_enqueue(s, note);
	else
		alert_note_free(note);
	pthread_mutex_unlock(&a->lock);
}

/* Senders for cfg's webhooks: unchanged ones are kept, others started.
 * Fills out/nout; 0 or -1 with err (then nothing was started). */
static int start_senders(struct alerting *a, struct config *cfg, struct sender ***out,
			 size_t *nout, char *err, size_t errlen)
{
	struct sender **list = xcalloc(cfg->nsections + 1, sizeof(struct sender *));
	size_t n = 0;
	struct sender_options opt = { .external_url = a->external_url, .source = a->source };
	for (size_t i = 0; i < cfg->nsections; i++) {
		const struct config_section *s = &cfg->sections[i];
		if (s->kind != &webhook_kind)
			continue;
		struct sender *old = sender_for(a, s->name);
		if (old && sender_same(old, s)) {
			list[n++] = old;
			continue;
		}
		struct sender *fresh = sender_start(cfg, s, a->outbox, &opt, err, errlen);
		if (!fresh) {
			for (size_t j = 0; j < n; j++)
				if (sender_for(a, sender_name(list[j])) != list[j])
					sender_stop(list[j]);   /* started here */
			free(list);
			return -1;
		}
		list[n++] = fresh;
	}
	*out = list;
	*nout = n;
	return 0;
}

static void default_external_url(struct alerting *a, const char *external_url)
{
	if (gethostname(a->source, sizeof(a->source) - 1) < 0)
		snprintf(a->source, sizeof(a->source), "localhost");
	a->external_url = xstrdup(external_url);
}

struct alerting *alerting_start(struct config *cfg, const char *state_dir, const char *external_url,
				const struct template_env *templates, char *err, size_t errlen)
{
	struct alerting *a = xcalloc(1, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	default_external_url(a, external_url);
	if (open_outbox(a, cfg, state_dir, err, errlen) < 0 ||
	    start_senders(a, cfg, &a->senders, &a->nsenders, err, errlen) < 0) {
		alerting_stop(a);
		return NULL;
	}
	char *state_file = xasprintf("%s/alerts.state", state_dir);
	struct alert_engine_options opt = {
		.state_file = has_kind(cfg, &alert_kind) ? state_file : NULL,
		.external_url = a->external_url,
		.first_seq = a->outbox ? outbox_max_seq(a->outbox) : 0,
		.notify = dispatch,
		.notify_ctx = a,
	};
	if (templates)
		opt.templates = *templates;
	if (opt.state_file && make_state_dir(state_dir, err, errlen) < 0) {
		free(state_file);
		alerting_stop(a);
		return NULL;
	}
	a->engine = alert_engine_new(cfg, &opt);
	free(state_file);
	return a;
}

int alerting_reload(struct alerting *a, struct config *cfg, const char *state_dir, char *err,
		    size_t errlen)
{
	if (open_outbox(a, cfg, state_dir, err, errlen) < 0)
		return -1;
	struct sender **list;
	size_t n;
	if (start_senders(a, cfg, &list, &n, err, errlen) < 0)
		return -1;
	pthread_mutex_lock(&a->lock);
	struct sender **old = a->senders;
	size_t nold = a->nsenders;
	a->senders = list;
	a->nsenders = n;
	pthread_mutex_unlock(&a->lock);
	for (size_t i = 0; i < nold; i++) {
		int kept = 0;
		for (size_t j = 0; j < n; j++)
			kept |= list[j] == old[i];
		if (!kept)
			sender_stop(old[i]);
	}
	free(old);
	alert_engine_reload(a->engine, cfg);
	return 0;
}

void alerting_stop(struct alerting *a)
{
	if (!a)
		return;
	alert_engine_free(a->engine);
	for (size_t i = 0; i < a->nsenders; i++)
		sender_stop(a->senders[i]);
	free(a->senders);
	if (a->outbox)
		outbox_close(a->outbox);
	free(a->external_url);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void alerting_observe(void *ctx, const char *target, const struct batch *b, int up)
{
	struct alerting *a = ctx;
	alert_engine_observe(a->engine, target, b, up, now_wall());
}

void alerting_metrics(struct alerting *a, struct batch *out)
{
	alert_engine_metrics(a->engine, out);
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nsenders; i++)
		sender_metrics(a->senders[i], out);
	pthread_mutex_unlock(&a->lock);
}

int alerting_json(struct alerting *a, struct buf *out)
{
	return alert_engine_json(a->engine, out);
}

int alerting_test_webhook(struct config *cfg, const char *name, const char *external_url,
			  struct buf *report)
{
	const struct config_section *s = config_find(cfg, "webhook", name);
	if (!s) {
		buf_printf(report, "%s: no [webhook \"%s\"] section\n", cfg->path, name);
		return -1;
	}
	struct sender_options opt = { .external_url = external_url, .source = "dbpulse" };
	return sender_test(s, &opt, report);
}
