/*
 * alert.h -- the records the alert engine hands to templates, payloads and
 * the outbox.
 *
 * A label set is an array of name/value pairs kept sorted by name (the
 * order Alertmanager hashes and prints them in).  An alert_note is one
 * alert's state as it is notified to one receiver: the engine makes it
 * when an alert starts firing, is re-sent or resolves; the outbox stores it
 * until the receiver took it; the payload formats turn a batch of notes
 * into one request body.  Every string in these structs is owned by the
 * struct (alert_labels_release / alert_note_free free them).
 */
#ifndef DBPULSE_ALERT_H
#define DBPULSE_ALERT_H

#include <stddef.h>
#include <stdint.h>

struct alert_label {
	char *name;
	char *value;
};

struct alert_labels {
	struct alert_label *v;   /* sorted by name, names unique */
	size_t n, alloc;
};

/* Sets name to value (a copy of each), replacing an existing value and
 * keeping the set sorted. */
void alert_labels_set(struct alert_labels *l, const char *name, const char *value);
/* The value of name, or NULL. */
const char *alert_labels_get(const struct alert_labels *l, const char *name);
void alert_labels_copy(struct alert_labels *dst, const struct alert_labels *src);
void alert_labels_release(struct alert_labels *l);
/* 1 if both sets hold the same pairs. */
int alert_labels_equal(const struct alert_labels *a, const struct alert_labels *b);

/* Alertmanager's fingerprint of a label set (model.LabelSet.Fingerprint:
 * FNV-1a 64 over the sorted names and values, each followed by 0xff),
 * and its 16 lower-case hex digits as Alertmanager prints it. */
uint64_t alert_labels_fingerprint(const struct alert_labels *l);
void alert_fingerprint_hex(uint64_t fp, char out[17]);

enum alert_status { ALERT_FIRING, ALERT_RESOLVED };

struct alert_note {
	char *receiver;                  /* the [webhook "NAME"] it is for */
	char *rule;                      /* the [alert "NAME"] that made it */
	struct alert_labels labels;      /* alertname, severity, target, the series' labels, the rule's labels */
	struct alert_labels annotations; /* summary, description, runbook_url, rendered */
	enum alert_status status;
	double starts_at;                /* epoch seconds the alert started firing */
	double ends_at;                  /* epoch seconds; 0 when unset */
	double value;                    /* the expression's value at the last evaluation */
	char *generator_url;             /* link back to the agent; may be NULL */
	uint64_t fingerprint;            /* alert_labels_fingerprint(&labels) */
	uint64_t seq;                    /* agent-wide notification number, unique and increasing */
	double created_at;               /* epoch seconds it was queued (for max_age) */
	uint32_t attempts;               /* delivery attempts so far */
};

struct alert_note *alert_note_new(void);
struct alert_note *alert_note_dup(const struct alert_note *n);
void alert_note_free(struct alert_note *n);

#endif
