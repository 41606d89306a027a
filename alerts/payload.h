/*
 * payload.h -- request bodies for each webhook format (payload.c), message
 * ids and Standard Webhooks signing (payload_sign.c).
 *
 * Pure functions from alert notes to bytes: nothing here does I/O, keeps
 * state or takes a lock, so any thread may call them (the sender thread of
 * each webhook does).  JSON is built with jansson, never by hand, with the
 * keys in the order the real tools write them.  Times are written the way
 * Go's encoding/json writes a time.Time at millisecond precision (see
 * payload_time).  Values JSON has no numbers for (NaN, +Inf, -Inf) are
 * written as the strings "NaN", "+Inf" and "-Inf", as Prometheus does.
 * Strings that are not valid UTF-8 get U+FFFD for each bad byte, as Go's
 * encoding/json does, instead of failing the whole body.
 *
 * The formats (webhook_format_names gives the config spelling):
 *
 *   alertmanager      Alertmanager's webhook payload, version "4":
 *                     {receiver, status, alerts[{status, labels,
 *                     annotations, startsAt, endsAt, generatorURL,
 *                     fingerprint}], groupLabels, commonLabels,
 *                     commonAnnotations, externalURL, version, groupKey,
 *                     truncatedAlerts}, as if routed by a root route with
 *                     group_by: [alertname] (groupKey "{}:{alertname=\"X\"}",
 *                     or "{}:{}" when the batch mixes alert names).  Firing
 *                     alerts carry the zero endsAt "0001-01-01T00:00:00Z".
 *                     Like Alertmanager, "receiver" is the name passed
 *                     through Go's regexp.QuoteMeta ("a.b" -> "a\\.b").
 *   alertmanager-api  the body of Alertmanager's POST /api/v2/alerts: an
 *                     array of {labels, annotations, startsAt, endsAt,
 *                     generatorURL}; endsAt and generatorURL are left out
 *                     when unset.
 *   slack             one incoming-webhook message per batch: "text" (the
 *                     notification line), one attachment coloured danger
 *                     (a critical alert fires), warning (others fire) or
 *                     good (all resolved), titled "[FIRING:n] Name" or
 *                     "[RESOLVED] Name", linked to the first runbook_url
 *                     (else the generatorURL), with a paragraph per alert.
 *                     &, < and > are escaped in every text Slack parses.
 *   pagerduty         one Events API v2 event per request: a trigger with
 *                     the summary cut to 1024 characters (Alertmanager's
 *                     way: 1023 and "…"), or a resolve.  The dedup_key,
 *                     "<fingerprint>-<startsAt in whole seconds>", is the
 *                     same for an episode's trigger and resolve.
 *   json              dbpulse's own payload, sent with Standard Webhooks
 *                     headers (webhook-id = "id"):
 *                     {"version": "1", "id": "msg_...", "receiver",
 *                      "status": "firing" | "resolved" (firing when any
 *                      alert fires),
 *                      "alerts": [{"status", "rule", "labels",
 *                        "annotations", "value" (number, or "NaN", "+Inf",
 *                        "-Inf"), "startsAt", "endsAt" (null while firing),
 *                        "fingerprint" (16 hex digits, Alertmanager's),
 *                        "generatorURL" ("" when unknown),
 *                        "seq" (agent-wide notification number)}],
 *                      "sentAt"}
 */
#ifndef DBPULSE_PAYLOAD_H
#define DBPULSE_PAYLOAD_H

#include <stddef.h>

struct alert_note;
struct buf;

enum webhook_format { WEBHOOK_ALERTMANAGER, WEBHOOK_ALERTMANAGER_API, WEBHOOK_SLACK,
		      WEBHOOK_PAGERDUTY, WEBHOOK_JSON };

/* "alertmanager", "alertmanager-api", "slack", "pagerduty", "json", NULL:
 * in enum order, the config's choices. */
extern const char *const webhook_format_names[];

/* What a body needs besides the notes.  The strings are borrowed. */
struct payload_ctx {
	const char *receiver;       /* [webhook "NAME"] */
	const char *external_url;   /* the agent's URL, e.g. "http://db1:9187/"; may be NULL */
	const char *routing_key;    /* pagerduty's integration key; NULL for other formats */
	const char *source;         /* this host's name (pagerduty's payload.source); NULL: "dbpulse" */
	const char *message_id;     /* the json format's id; NULL: payload_message_id() */
};

/* How many notes one request of that format carries at most: 1 for
 * pagerduty (one event per request), 100 for the others. */
size_t payload_max_batch(enum webhook_format f);

/* Appends the body for notes[0..n) to body.  1 <= n <= payload_max_batch(f);
 * now (epoch seconds) is the json format's sentAt and Slack's ts.  Returns
 * 0, or -1 with the reason in err (no notes, too many, pagerduty without a
 * routing key, the body passing body's cap); body is unchanged then. */
int payload_build(enum webhook_format f, const struct payload_ctx *ctx,
		  struct alert_note *const *notes, size_t n, double now, struct buf *body, char *err,
		  size_t errlen);

/* The id of one notification, the same every time that batch is retried:
 * "msg_" and 32 lower-case hex digits of FNV-1a 128 over the receiver, a
 * 0xff byte, then each note's fingerprint and seq as 8 big-endian bytes
 * each.  Another receiver, another seq or another order gives another id.
 * It never contains '.', as Standard Webhooks requires. */
void payload_message_id(const char *receiver, struct alert_note *const *notes, size_t n,
			char out[64]);

/* A Standard Webhooks secret, "whsec_" and base64 (or bare base64, padded
 * or not), as key bytes into key[0..keycap).  Returns 0 with *keylen set,
 * or -1 when it is empty, not base64, longer than keycap, or libcrypto
 * cannot be loaded.  Holds no copy of the secret afterwards. */
int standard_webhooks_key(const char *secret, unsigned char *key, size_t *keylen, size_t keycap);

/* Appends the webhook-signature value "v1,<base64 HMAC-SHA256 under key of
 * "<msg_id>.<timestamp>.<body>">" to out: sign the exact bytes that are
 * sent.  Returns 0, or -1 (msg_id holding '.', libcrypto missing, out's
 * cap). */
int standard_webhooks_sign(const unsigned char *key, size_t keylen, const char *msg_id,
			   long long timestamp, const char *body, size_t len, struct buf *out);

/* epoch (seconds) as RFC 3339 in UTC, rounded to the millisecond and
 * printed as Go prints a time.Time in JSON (Alertmanager's and Prometheus'
 * format): trailing zeros of the fraction dropped, no fraction for whole
 * seconds: "2026-11-25T03:26:13.123Z", "2026-11-25T03:26:13.1Z",
 * "2026-11-25T03:26:13Z".  0, negative or NaN give Go's zero time
 * "0001-01-01T00:00:00Z"; times past year 9999 are clamped to it. */
void payload_time(double epoch, char out[40]);

#endif
