/*
 * collector.h -- the interface every source of metrics implements.
 *
 * A collector is a table entry, like a collectd plugin:
 *   const struct collector host_collector = {
 *       .name = "host", .init = host_init, .collect = host_collect, .free = host_free,
 *   };
 * The scheduler creates one instance per configured section, on that
 * target's own worker thread, and calls collect() every interval with a
 * deadline.  An instance is used by one thread only; it keeps its own
 * connection and state, and no globals.  A collector knows nothing of HTTP,
 * alerts or other collectors: it only fills the batch it is given.
 */
#ifndef DBPULSE_COLLECTOR_H
#define DBPULSE_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

struct batch;
struct buf;
struct config_section;

struct collector {
	const char *name;
	/* Creates the instance for one section.  The section stays valid for
	 * the instance's whole life.  Returns NULL and fills err on failure. */
	void *(*init)(const struct config_section *section, char *err, size_t errlen);
	/* Collects once, before deadline_ms (monotonic, see now_mono_ms()).
	 * Fills the batch with whatever it could collect, including its own
	 * up/error metrics.  Returns 0, or -1 with a one-line reason in err
	 * when the collection failed (the batch is still published). */
	int (*collect)(void *instance, struct batch *batch, int64_t deadline_ms,
		       char *err, size_t errlen);
	void (*free)(void *instance);
	/* A guest's families yield to every other target's: a family that
	 * another target serves is left out of the guest's part of the
	 * exposition (unless its HELP and TYPE are the same), and during
	 * collect() the batch can tell which names are taken
	 * (batch_served_elsewhere) so the guest can refuse and report them.
	 * The textfile collector is one: its families are the user's. */
	int guest;
	/* Optional: typed data for the API (slow-log entries, statement
	 * windows), taken on the worker thread after each collect() and
	 * published in the store with the metrics; immutable from then on, and
	 * freed with view_free by the last reader.  May return NULL. */
	void *(*view)(void *instance);
	int view_kind;               /* enum view_kind (dbview.h) of what view() returns */
	void (*view_free)(void *view);
	/* Renders the part `what` of a view ("slowlog", ...) as JSON into out:
	 * 0, 1 when the view has no such part, -1 on failure.  Called from
	 * HTTP threads on a published, immutable view. */
	int (*view_json)(const void *view, const char *what, struct buf *out);
};

/* Settings every target kind has; the first member of its config struct.
 * Its keys are conf_target_keys and conf_password_keys (config.h). */
struct target_common {
	int enabled;
	int64_t interval_ms;
	int64_t timeout_ms;
	char *password_file;        /* targets that log in; NULL for the others */
	char *password_env;
};

#endif
