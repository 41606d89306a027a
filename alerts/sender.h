/*
 * sender.h -- one thread per webhook that delivers what the outbox holds.
 *
 * The engine's notes are queued with sender_enqueue(): written to the
 * outbox (durable before any attempt) and the receiver's thread woken.
 * The thread sends what is pending in batches (one request per batch, in
 * the webhook's format), removes it after a 2xx, and otherwise retries with
 * full-jitter exponential backoff, honouring Retry-After on 429 and 503.
 * Other 4xx answers are final: the batch goes to the dead-letter folder.
 * Notes older than max_age are given up.  No redirect is followed and TLS
 * is always verified.  A slow receiver only delays its own thread.
 */
#ifndef DBPULSE_SENDER_H
#define DBPULSE_SENDER_H

#include <stddef.h>

struct alert_note;
struct batch;
struct buf;
struct config;
struct config_section;
struct outbox;

struct sender_options {
	const char *external_url;   /* for payloads' links */
	const char *source;         /* this host's name (pagerduty) */
};

struct sender;

/* Starts the thread for one [webhook] section of cfg (the sender keeps a
 * reference to cfg).  NULL with err when libcurl or the secret cannot be
 * loaded. */
struct sender *sender_start(struct config *cfg, const struct config_section *webhook,
			    struct outbox *outbox,
			    const struct sender_options *opt, char *err, size_t errlen);
/* Stops the thread (an attempt in flight finishes or times out) and frees. */
void sender_stop(struct sender *s);
/* Whether the sender was started from a section written exactly as this one. */
int sender_same(const struct sender *s, const struct config_section *webhook);
const char *sender_name(const struct sender *s);

/* Queues note (taken over) for delivery: stored in the outbox, then sent. */
void sender_enqueue(struct sender *s, struct alert_note *note);

/* dbpulse_notifications_* of this receiver. */
void sender_metrics(struct sender *s, struct batch *out);

/* --test-webhook: sends one test notification now, synchronously, and
 * describes the receiver's answer in report.  0 when it answered 2xx. */
int sender_test(const struct config_section *webhook, const struct sender_options *opt,
		struct buf *report);

#endif
