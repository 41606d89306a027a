/*
 * payload.h -- request bodies for each webhook format, and Standard
 * Webhooks signing.
 *
 *   alertmanager      Alertmanager's webhook payload (version "4"), so any
 *                     receiver written for Alertmanager works unchanged
 *   alertmanager-api  the body of Alertmanager's POST /api/v2/alerts
 *   slack             an incoming-webhook message with one attachment per batch
 *   pagerduty         an Events API v2 event (one alert per request)
 *   json              dbpulse's own payload, signed per Standard Webhooks
 */
#ifndef DBPULSE_PAYLOAD_H
#define DBPULSE_PAYLOAD_H

#include <stddef.h>

struct alert_note;
struct buf;

enum webhook_format { WEBHOOK_ALERTMANAGER, WEBHOOK_ALERTMANAGER_API, WEBHOOK_SLACK,
		      WEBHOOK_PAGERDUTY, WEBHOOK_JSON };
/* In enum order, NULL-terminated: the config's choices. */
extern const char *const webhook_format_names[];

struct payload_ctx {
	const char *receiver;       /* [webhook "NAME"] */
	const char *external_url;   /* the agent's URL, ending in '/' */
	const char *routing_key;    /* pagerduty's integration key */
	const char *source;         /* this host's name (pagerduty) */
};

/* How many notes one request of that format carries at most. */
size_t payload_max_batch(enum webhook_format f);
/* Appends the body for notes[0..n) (n >= 1) to body: 0, or -1 with err. */
int payload_build(enum webhook_format f, const struct payload_ctx *ctx,
		  struct alert_note *const *notes, size_t n, double now, struct buf *body, char *err,
		  size_t errlen);
/* "msg_" and 32 hex digits, the same for the same batch: a hash of the
 * receiver and every note's fingerprint and seq. */
void payload_message_id(const char *receiver, struct alert_note *const *notes, size_t n,
			char out[64]);
/* A Standard Webhooks secret ("whsec_" + base64, or bare base64) as key
 * bytes: 0, or -1. */
int standard_webhooks_key(const char *secret, unsigned char *key, size_t *keylen, size_t keycap);
/* Appends "v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">": 0 or -1. */
int standard_webhooks_sign(const unsigned char *key, size_t keylen, const char *msg_id,
			   long long timestamp, const char *body, size_t len, struct buf *out);
/* RFC 3339 in UTC with milliseconds, as Alertmanager writes times;
 * 0 gives Go's zero time "0001-01-01T00:00:00Z". */
void payload_time(double epoch, char out[40]);

#endif
