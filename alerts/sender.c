/*
 * sender.c -- delivering notifications to one webhook (sender.h).
 */
#include "autoconfig.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alert.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "netlib.h"
#include "outbox.h"
#include "payload.h"
#include "rules.h"
#include "secret.h"
#include "sender.h"
#include "strutil.h"
#include "xalloc.h"
#include "banned.h"

#define RESPONSE_KEEP 512        /* bytes of an answer kept for logs and dead letters */
/* A receiver's answer is read up to this much, then the transfer is cut:
 * webhook receivers answer a few bytes to a few KiB ("ok", a JSON status),
 * and reading more only costs time a stalling receiver could make long. */
#define RESPONSE_READ_MAX ((size_t)64 << 10)
#define FIRST_BACKOFF 1.0        /* seconds; doubles per attempt, full jitter */

enum outcome { SENT, RETRY, REJECTED };

/* What one attempt found. */
struct attempt {
	long status;                 /* HTTP status, 0 without an answer */
	double retry_after;          /* seconds, 0 when absent */
	char reason[32];             /* for dbpulse_notifications_failed_total */
	char detail[256];            /* for the log: curl's error or the answer's start */
	int response_cut;            /* the answer passed RESPONSE_READ_MAX */
};

enum fail_reason { FAIL_CONNECT, FAIL_TIMEOUT, FAIL_TLS, FAIL_HTTP_5XX, FAIL_HTTP_429,
		   FAIL_HTTP_4XX, FAIL_OTHER, FAIL_REASONS };
static const char *const fail_names[] = { "connect", "timeout", "tls", "http_5xx", "http_429",
					  "http_4xx", "other" };
enum drop_reason { DROP_REJECTED, DROP_EXPIRED, DROP_STORE, DROP_FULL, DROP_REASONS };
static const char *const drop_names[] = { "rejected", "expired", "outbox_error", "outbox_full" };

/* The limits of a receiver counted in dbpulse_webhook_limit_reached_total. */
enum sender_limit { SL_OUTBOX, SL_RESPONSE, SL_COUNT };
static const char *const sender_limit_names[SL_COUNT + 1] = {
	"outbox_notes", "webhook_response_bytes", NULL,
};

struct sender {
	struct config *cfg;          /* a reference, keeping section alive */
	const struct config_section *section;
	const struct webhook_config *conf;
	enum webhook_format format;
	struct outbox *outbox;
	char *external_url;
	char *source;
	char *secret;                /* signing key or routing key; NULL when none */
	unsigned char key[256];
	size_t keylen;
	struct curl_slist *headers;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int kick, stop;
	unsigned int seed;
	/* counters, read by scrapes */
	atomic_ullong sent[2];       /* by alert status */
	atomic_ullong failed[FAIL_REASONS];
	atomic_ullong dropped[DROP_REASONS];
	atomic_ullong queue;
	_Atomic double latency;      /* queued -> 2xx of the last delivery */
	_Atomic double last_success;
	struct log_complaint complaint;
	struct log_complaint full_complaint; /* the outbox is full; guarded by full_lock */
	pthread_mutex_t full_lock;
	struct limit_counts limits;
};

/* ---- one HTTP request -------------------------------------------------------- */

struct response {
	struct buf body;
	double retry_after;
	size_t received;             /* bytes of the body read */
	int cut;                     /* the body passed RESPONSE_READ_MAX: transfer stopped */
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct response *r = ctx;
	size_t len = size * n;
	if (r->body.len < RESPONSE_KEEP)
		buf_append(&r->body, data, len < RESPONSE_KEEP - r->body.len ? len : RESPONSE_KEEP - r->body.len);
	r->received += len;
	if (r->received > RESPONSE_READ_MAX) {
		r->cut = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR; the status is in */
	}
	return len;
}

/* Retry-After: delay-seconds or an HTTP date. */
static double parse_retry_after(const char *v)
{
	int64_t secs;
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s", v);
	char *t = trim(tmp);
	if (parse_int64(t, &secs) == 0)
		return secs > 0 ? (double)(secs > 3600 ? 3600 : secs) : 0;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (strptime(t, "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
		double d = (double)timegm(&tm) - now_wall();
		return d > 0 ? (d > 3600 ? 3600 : d) : 0;
	}
	return 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct response *r = ctx;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > sizeof(name) - 1 && len < 200 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		char v[200];
		memcpy(v, data + sizeof(name) - 1, len - (sizeof(name) - 1));
		v[len - (sizeof(name) - 1)] = '\0';
		r->retry_after = parse_retry_after(v);
	}
	return len;
}

static void classify_curl_error(CURLcode rc, struct attempt *a)
{
	enum fail_reason f = FAIL_OTHER;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		f = FAIL_CONNECT;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		f = FAIL_TIMEOUT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		f = FAIL_TLS;
		break;
	default:
		break;
	}
	snprintf(a->reason, sizeof(a->reason), "%s", fail_names[f]);
	snprintf(a->detail, sizeof(a->detail), "%s", netlib.easy_strerror(rc));
}

/* POSTs body to url; fills a.  Never follows redirects, always verifies
 * TLS, only speaks http and https. */
static void post(const char *url, struct curl_slist *headers, const char *body, size_t len,
		 int64_t timeout_ms, struct attempt *a)
{
	memset(a, 0, sizeof(*a));
	CURL *c = netlib.easy_init();
	if (!c) {
		snprintf(a->reason, sizeof(a->reason), "other");
		snprintf(a->detail, sizeof(a->detail), "curl_easy_init failed");
		return;
	}
	struct response r = { .body = BUF_INIT(RESPONSE_KEEP + 1) };
	netlib.easy_setopt(c, CURLOPT_URL, url);
	netlib.easy_setopt(c, CURLOPT_POST, 1L);
	netlib.easy_setopt(c, CURLOPT_POSTFIELDS, body);
	netlib.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	netlib.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	netlib.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	netlib.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	netlib.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	netlib.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	netlib.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	netlib.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	netlib.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	netlib.easy_setopt(c, CURLOPT_USERAGENT, "dbpulse/" PACKAGE_VERSION);
	netlib.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	netlib.easy_setopt(c, CURLOPT_WRITEDATA, &r);
	netlib.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	netlib.easy_setopt(c, CURLOPT_HEADERDATA, &r);
	CURLcode rc = netlib.easy_perform(c);
	a->response_cut = r.cut;
	if (rc == CURLE_WRITE_ERROR && r.cut)
		rc = CURLE_OK; /* we stopped reading: the answer is what it is */
	if (rc != CURLE_OK) {
		classify_curl_error(rc, a);
	} else {
		netlib.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
		a->retry_after = r.retry_after;
		size_t n = r.body.len;
		snprintf(a->detail, sizeof(a->detail), "HTTP %ld%s%.*s", a->status, n ? ": " : "",
			 (int)(n > 200 ? 200 : n), n ? r.body.data : "");
		for (char *p = a->detail; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		if (a->status >= 500)
			snprintf(a->reason, sizeof(a->reason), "http_5xx");
		else if (a->status == 429)
			snprintf(a->reason, sizeof(a->reason), "http_429");
		else if (a->status >= 400)
			snprintf(a->reason, sizeof(a->reason), "http_4xx");
		else if (a->status < 200 || a->status >= 300) /* 1xx, 3xx: redirects are not followed */
			snprintf(a->reason, sizeof(a->reason), "other");
	}
	buf_release(&r.body);
	netlib.easy_cleanup(c);
}

static enum outcome outcome_of(const struct attempt *a)
{
	if (a->status >= 200 && a->status < 300)
		return SENT;
	/* 408 and 429 are worth another try; other 4xx will not change */
	if (a->status >= 400 && a->status < 500 && a->status != 408 && a->status != 429)
		return REJECTED;
	return RETRY;
}

/* ---- building a request --------------------------------------------------------- */

static struct curl_slist *request_headers(struct sender *s, const char *id,
					  const struct buf *body)
{
	struct curl_slist *h = NULL;
	for (struct curl_slist *p = s->headers; p; p = p->next)
		h = netlib.slist_append(h, p->data);
	if (s->format != WEBHOOK_JSON)
		return h;
	char line[160];
	long long ts = (long long)now_wall();
	snprintf(line, sizeof(line), "webhook-id: %s", id);
	h = netlib.slist_append(h, line);
	snprintf(line, sizeof(line), "webhook-timestamp: %lld", ts);
	h = netlib.slist_append(h, line);
	if (s->keylen) {
		struct buf sig = BUF_INIT(4096);
		if (standard_webhooks_sign(s->key, s->keylen, id, ts, body->data, body->len, &sig) == 0) {
			char *v = xasprintf("webhook-signature: %s", buf_str(&sig));
			h = netlib.slist_append(h, v);
			free(v);
		}
		buf_release(&sig);
	}
	return h;
}

static void count_failure(struct sender *s, const char *reason)
{
	for (int f = 0; f < FAIL_REASONS; f++)
		if (strcmp(fail_names[f], reason) == 0)
			atomic_fetch_add(&s->failed[f], 1);
}

/* One attempt at delivering notes[0..n).  Several URLs (alertmanager-api,
 * the members of an Alertmanager cluster) each get it, as Alertmanager's
 * clients must send to every member; delivered when one of them took it.
 * The failures of the others are counted and logged (a member that missed
 * a firing alert gets it at the next resend). */
static enum outcome deliver(struct sender *s, struct alert_note *const *notes, size_t n,
			    const char *id, struct attempt *a)
{
	struct payload_ctx ctx = { .receiver = s->section->name, .external_url = s->external_url,
				   .routing_key = s->format == WEBHOOK_PAGERDUTY ? s->secret : NULL,
				   .source = s->source, .message_id = id };
	struct buf body = BUF_INIT(64u << 20);
	char err[256];
	if (payload_build(s->format, &ctx, notes, n, now_wall(), &body, err, sizeof(err)) < 0) {
		memset(a, 0, sizeof(*a));
		snprintf(a->reason, sizeof(a->reason), "other");
		snprintf(a->detail, sizeof(a->detail), "cannot build the payload: %.200s", err);
		buf_release(&body);
		return REJECTED;
	}
	struct curl_slist *headers = request_headers(s, id, &body);
	enum outcome best = RETRY;
	/* (at most WEBHOOK_URLS_MAX: the config refuses more) */
	size_t nurl = s->conf->url.n, nfailed = 0;
	struct missed { struct attempt at; size_t url; } failed[WEBHOOK_URLS_MAX];
	for (size_t i = 0; i < nurl && i < WEBHOOK_URLS_MAX; i++) {
		struct attempt one;
		post(s->conf->url.items[i], headers, body.data, body.len, s->conf->timeout_ms, &one);
		enum outcome o = outcome_of(&one);
		if (one.response_cut)
			limit_reached(&s->limits, SL_RESPONSE, "alerts", s->section->name,
				      "the receiver's answer is longer than %zu bytes; the rest is not read",
				      RESPONSE_READ_MAX);
		if (o != SENT)
			failed[nfailed++] = (struct missed){ one, i };
		if (best != SENT && (i == 0 || o == SENT || (o == RETRY && best == REJECTED))) {
			*a = one;
			best = o;
		}
	}
	/* delivered, but not to every member: the caller counts only a failed
	 * delivery, so these are counted here */
	for (size_t i = 0; best == SENT && i < nfailed; i++) {
		if (failed[i].at.reason[0])
			count_failure(s, failed[i].at.reason);
		log_warn("alerts", s->section->name, "Alertmanager %zu of %zu did not take %zu alert%s: %s",
			 failed[i].url + 1, nurl, n, n == 1 ? "" : "s", failed[i].at.detail);
	}
	netlib.slist_free_all(headers);
	buf_release(&body);
	return best;
}

/* ---- the thread --------------------------------------------------------------------- */

static double max_age_of(const struct sender *s, const struct alert_note *n)
{
	int64_t ms = n->status == ALERT_FIRING ? s->conf->max_age_ms : s->conf->max_age_resolved_ms;
	return (double)ms / 1000.0;
}

/* Drops what is too old to be worth delivering; returns how many remain
 * (compacted at the front). */
static size_t drop_expired(struct sender *s, struct alert_note **notes, size_t n, double now)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (now - notes[i]->created_at > max_age_of(s, notes[i])) {
			outbox_remove(s->outbox, notes[i]);
			atomic_fetch_add(&s->dropped[DROP_EXPIRED], 1);
			log_warn("alerts", s->section->name, "gave up delivering %s (%s) after %.0fs",
				 alert_labels_get(&notes[i]->labels, "alertname"),
				 notes[i]->status == ALERT_FIRING ? "firing" : "resolved",
				 now - notes[i]->created_at);
			alert_note_free(notes[i]);
		} else {
			notes[kept++] = notes[i];
		}
	}
	return kept;
}

static double backoff(struct sender *s, uint32_t attempts)
{
	double cap = (double)s->conf->max_backoff_ms / 1000.0;
	double ceiling = FIRST_BACKOFF * pow(2.0, attempts > 30 ? 30 : attempts);
	if (ceiling > cap)
		ceiling = cap;
	/* full jitter (AWS architecture blog): uniform in [0, ceiling], with
	 * a floor so a receiver is never hammered */
	double d = ceiling * ((double)rand_r(&s->seed) / (double)RAND_MAX);
	return d < 0.05 ? 0.05 : d;
}

static void after_success(struct sender *s, struct alert_note **batch, size_t n, double now)
{
	for (size_t i = 0; i < n; i++) {
		outbox_remove(s->outbox, batch[i]);
		atomic_fetch_add(&s->sent[batch[i]->status == ALERT_FIRING ? 0 : 1], 1);
		atomic_store(&s->latency, now - batch[i]->created_at);
	}
	atomic_store(&s->last_success, now);
	log_complaint_clear(&s->complaint, "alerts", s->section->name, "receiver accepts notifications again");
	log_debug("alerts", s->section->name, "delivered %zu notification%s", n, n == 1 ? "" : "s");
}

static void after_rejection(struct sender *s, struct alert_note **batch, size_t n,
			    const struct attempt *a)
{
	for (size_t i = 0; i < n; i++) {
		outbox_dead_letter(s->outbox, batch[i], a->detail);
		atomic_fetch_add(&s->dropped[DROP_REJECTED], 1);
	}
	log_error("alerts", s->section->name,
		  "the receiver refused %zu notification%s (%s); kept in the dead-letter folder",
		  n, n == 1 ? "" : "s", a->detail);
}

/* The batch to attempt, into out (which holds n), and its id: the batch
 * saved in the outbox if any of its notes is still pending (a retry, or a
 * resend after a crash: the same message, the same id, even if notes
 * arrived meanwhile), else the oldest notes up to the format's maximum,
 * saved before the attempt.  Returns how many. */
static size_t pick_batch(struct sender *s, struct alert_note **notes, size_t n,
			 struct alert_note **out, char id[64])
{
	struct outbox_batch saved;
	size_t k = 0;
	if (outbox_batch_load(s->outbox, s->section->name, &saved)) {
		for (size_t i = 0; i < saved.n; i++)
			for (size_t j = 0; j < n; j++)
				if (notes[j]->fingerprint == saved.fingerprints[i] &&
				    notes[j]->seq == saved.seqs[i]) {
					out[k++] = notes[j];
					break;
				}
		if (k)
			snprintf(id, 64, "%s", saved.id);
		outbox_batch_release(&saved);
		if (k)
			return k;
	}
	size_t max = payload_max_batch(s->format);
	for (k = 0; k < n && k < max; k++)
		out[k] = notes[k];
	payload_message_id(s->section->name, out, k, id);
	if (outbox_batch_save(s->outbox, s->section->name, id, out, k) < 0)
		log_complain(&s->complaint, LOG_LEVEL_WARN, "alerts", s->section->name,
			     "cannot save the batch in flight; a resend after a crash may carry "
			     "another id");
	return k;
}

/* One round: load, expire, maybe wait for the group, attempt one batch.
 * Returns the delay in seconds before the next round (0: at once,
 * INFINITY: until woken). */
static double round_once(struct sender *s, int *retry)
{
	struct alert_note **notes = NULL;
	size_t n = 0;
	if (outbox_load(s->outbox, s->section->name, &notes, &n) < 0) {
		atomic_fetch_add(&s->dropped[DROP_STORE], 1);
		return 5;
	}
	double now = now_wall();
	n = drop_expired(s, notes, n, now);
	atomic_store(&s->queue, n);
	double delay = INFINITY;
	if (n == 0)
		goto out;
	/* the first attempt waits group_wait after the oldest arrived */
	double group = (double)s->conf->group_wait_ms / 1000.0;
	if (notes[0]->attempts == 0 && now < notes[0]->created_at + group) {
		delay = notes[0]->created_at + group - now;
		goto out;
	}
	struct alert_note **batch_notes = xmalloc(n * sizeof(struct alert_note *));
	char id[64];
	size_t batch = pick_batch(s, notes, n, batch_notes, id);
	struct attempt a = { 0 };
	enum outcome o = deliver(s, batch_notes, batch, id, &a);
	if (a.reason[0] && o != SENT)
		count_failure(s, a.reason);
	if (o == SENT) {
		after_success(s, batch_notes, batch, now_wall());
		outbox_batch_clear(s->outbox, s->section->name);
		atomic_store(&s->queue, n - batch);
		delay = n > batch ? 0 : INFINITY;
	} else if (o == REJECTED) {
		after_rejection(s, batch_notes, batch, &a);
		outbox_batch_clear(s->outbox, s->section->name);
		atomic_store(&s->queue, n - batch);
		delay = n > batch ? 0 : INFINITY;
	} else {
		uint32_t attempts = batch_notes[0]->attempts;
		for (size_t i = 0; i < batch; i++) {
			batch_notes[i]->attempts++;
			outbox_update_attempts(s->outbox, batch_notes[i]);
		}
		delay = backoff(s, attempts);
		*retry = 1;
		if (a.retry_after > delay)
			delay = a.retry_after;
		log_complain(&s->complaint, LOG_LEVEL_WARN, "alerts", s->section->name,
			     "delivery failed (%s); %zu notification%s waiting, next attempt in %.1fs",
			     a.detail, n, n == 1 ? "" : "s", delay);
	}
	free(batch_notes);
out:
	outbox_notes_free(notes, n);
	return delay;
}

static void wait_until(struct sender *s, double due)
{
	if (isinf(due)) {
		pthread_cond_wait(&s->wake, &s->lock);
		return;
	}
	double left = due - now_mono();
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	double t = (double)until.tv_sec + (double)until.tv_nsec / 1e9 + left;
	until.tv_sec = (time_t)t;
	until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
	pthread_cond_timedwait(&s->wake, &s->lock, &until);
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	double due = now_mono();   /* at start: resend what the outbox holds */
	int backing_off = 0;
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		/* news wakes an idle or grouping sender, not one backing off */
		if (s->kick && !backing_off)
			due = now_mono();
		s->kick = 0;
		if (now_mono() < due) {
			wait_until(s, due);
			continue;
		}
		pthread_mutex_unlock(&s->lock);
		int retry = 0;
		double delay = round_once(s, &retry);
		pthread_mutex_lock(&s->lock);
		backing_off = retry;
		due = now_mono() + delay;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- life cycle ----------------------------------------------------------------------- */

/* The secret: pagerduty's routing key, or the json format's signing key. */
static int load_secret(struct sender *s, char *err, size_t errlen)
{
	if (!s->conf->secret_file)
		return 0;
	char value[1024], why[256];
	if (secret_read(s->conf->secret_file, "secret_file", NULL, value, sizeof(value), why, sizeof(why)) <= 0) {
		snprintf(err, errlen, "[webhook \"%s\"] secret_file: %s", s->section->name, why);
		return -1;
	}
	s->secret = xstrdup(value);
	int rc = 0;
	if (s->format == WEBHOOK_JSON &&
	    standard_webhooks_key(value, s->key, &s->keylen, sizeof(s->key)) < 0) {
		snprintf(err, errlen,
			 "[webhook \"%s\"] secret_file: expected a Standard Webhooks secret (whsec_ and base64)",
			 s->section->name);
		rc = -1;
	}
	memset(value, 0, sizeof(value));
	return rc;
}

static struct sender *sender_new(const struct config_section *webhook, struct outbox *outbox,
				 const struct sender_options *opt, char *err, size_t errlen)
{
	if (netlib_load(err, errlen) < 0)
		return NULL;
	struct sender *s = xcalloc(1, sizeof(*s));
	s->section = webhook;
	s->conf = webhook->conf;
	s->format = (enum webhook_format)s->conf->format;
	s->outbox = outbox;
	s->external_url = xstrdup(opt->external_url ? opt->external_url : "");
	s->source = xstrdup(opt->source ? opt->source : "dbpulse");
	s->seed = (unsigned int)(now_mono_ms() ^ (uintptr_t)s);
	s->headers = netlib.slist_append(NULL, "Content-Type: application/json");
	for (size_t i = 0; i < s->conf->headers.n; i++)
		s->headers = netlib.slist_append(s->headers, s->conf->headers.items[i]);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->full_lock, NULL);
	limit_counts_init(&s->limits, sender_limit_names);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (load_secret(s, err, errlen) < 0) {
		sender_stop(s);
		return NULL;
	}
	return s;
}

static void sender_free(struct sender *s)
{
	if (s->headers)
		netlib.slist_free_all(s->headers);
	if (s->secret) {
		memset(s->secret, 0, strlen(s->secret));
		free(s->secret);
	}
	memset(s->key, 0, sizeof(s->key));
	free(s->external_url);
	free(s->source);
	if (s->cfg)
		config_unref(s->cfg);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->full_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct sender *sender_start(struct config *cfg, const struct config_section *webhook,
			    struct outbox *outbox, const struct sender_options *opt, char *err,
			    size_t errlen)
{
	struct sender *s = sender_new(webhook, outbox, opt, err, errlen);
	if (!s)
		return NULL;
	s->cfg = config_ref(cfg);
	s->thread = 0;
	if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
		snprintf(err, errlen, "cannot start the sender thread");
		sender_free(s);
		return NULL;
	}
	return s;
}

void sender_stop(struct sender *s)
{
	if (!s)
		return;
	if (s->thread) {
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	sender_free(s);
}

int sender_same(const struct sender *s, const struct config_section *webhook)
{
	return config_section_same(s->section, webhook);
}

const char *sender_name(const struct sender *s)
{
	return s->section->name;
}

void sender_enqueue(struct sender *s, struct alert_note *note)
{
	char err[256];
	int rc = outbox_put(s->outbox, note, err, sizeof(err));
	if (rc == OUTBOX_FULL) {
		atomic_fetch_add(&s->dropped[DROP_FULL], 1);
		limit_reached(&s->limits, SL_OUTBOX, "alerts", s->section->name, "%s", err);
		pthread_mutex_lock(&s->full_lock);
		log_complain(&s->full_complaint, LOG_LEVEL_ERROR, "alerts", s->section->name,
			     "notification of %s dropped: %s",
			     alert_labels_get(&note->labels, "alertname")
				     ? alert_labels_get(&note->labels, "alertname") : "an alert", err);
		pthread_mutex_unlock(&s->full_lock);
	} else if (rc < 0) {
		atomic_fetch_add(&s->dropped[DROP_STORE], 1);
		log_error("alerts", s->section->name, "cannot store a notification: %s", err);
	}
	alert_note_free(note);
	pthread_mutex_lock(&s->lock);
	s->kick = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

/* ---- what it shows ------------------------------------------------------------------------ */

static const struct metric_desc m_sent = {
	"dbpulse_notifications_total", "Notifications the receiver accepted, by alert status.",
	METRIC_COUNTER };
static const struct metric_desc m_failed = {
	"dbpulse_notifications_failed_total", "Delivery attempts that failed, by reason.",
	METRIC_COUNTER };
static const struct metric_desc m_dropped = {
	"dbpulse_notifications_dropped_total",
	"Notifications given up: refused by the receiver, expired (max_age) or not stored.",
	METRIC_COUNTER };
static const struct metric_desc m_queue = {
	"dbpulse_notification_queue_length", "Notifications waiting in the outbox.", METRIC_GAUGE };
static const struct metric_desc m_latency = {
	"dbpulse_notification_latency_seconds",
	"From queueing to the receiver's 2xx, for the last delivered notification.", METRIC_GAUGE };
static const struct metric_desc m_last = {
	"dbpulse_notification_last_success_timestamp_seconds",
	"When the receiver last accepted a notification, in seconds since the epoch.", METRIC_GAUGE };

void sender_metrics(struct sender *s, struct batch *out)
{
	const char *r = s->section->name;
	batch_add(out, &m_sent, (double)atomic_load(&s->sent[0]), "receiver", r, "status", "firing", NULL);
	batch_add(out, &m_sent, (double)atomic_load(&s->sent[1]), "receiver", r, "status", "resolved",
		  NULL);
	for (int f = 0; f < FAIL_REASONS; f++)
		batch_add(out, &m_failed, (double)atomic_load(&s->failed[f]), "receiver", r, "reason",
			  fail_names[f], NULL);
	for (int d = 0; d < DROP_REASONS; d++)
		batch_add(out, &m_dropped, (double)atomic_load(&s->dropped[d]), "receiver", r, "reason",
			  drop_names[d], NULL);
	batch_add(out, &m_queue, (double)atomic_load(&s->queue), "receiver", r, NULL);
	batch_add(out, &m_latency, atomic_load(&s->latency), "receiver", r, NULL);
	batch_add(out, &m_last, atomic_load(&s->last_success), "receiver", r, NULL);
	limit_counts_add(&s->limits, out, "receiver", r);
}

/* ---- --test-webhook ------------------------------------------------------------------------- */

static struct alert_note *test_note(const char *receiver, const char *external_url, double now)
{
	struct alert_note *n = alert_note_new();
	n->receiver = xstrdup(receiver);
	n->rule = xstrdup("DbpulseTest");
	alert_labels_set(&n->labels, "alertname", "DbpulseTest");
	alert_labels_set(&n->labels, "severity", "info");
	alert_labels_set(&n->annotations, "summary", "Test notification from dbpulse");
	alert_labels_set(&n->annotations, "description",
			 "Sent by dbpulse --test-webhook to check that this receiver works.");
	n->status = ALERT_FIRING;
	n->starts_at = now;
	n->value = 1;
	n->generator_url = xasprintf("%sapi/alerts", external_url);
	n->fingerprint = alert_labels_fingerprint(&n->labels);
	n->seq = (uint64_t)(now * 1000);
	n->created_at = now;
	return n;
}

int sender_test(const struct config_section *webhook, const struct sender_options *opt,
		struct buf *report)
{
	char err[512];
	struct sender *s = sender_new(webhook, NULL, opt, err, sizeof(err));
	if (!s) {
		buf_printf(report, "%s\n", err);
		return -1;
	}
	struct alert_note *n = test_note(webhook->name, s->external_url, now_wall());
	struct attempt a;
	char id[64];
	payload_message_id(webhook->name, &n, 1, id);
	double t0 = now_mono();
	enum outcome o = deliver(s, &n, 1, id, &a);
	buf_printf(report, "[webhook \"%s\"] %s: %s (%.0f ms)\n", webhook->name,
		   o == SENT ? "delivered" : o == REJECTED ? "refused" : "failed", a.detail,
		   (now_mono() - t0) * 1000);
	alert_note_free(n);
	sender_free(s);
	return o == SENT ? 0 : -1;
}
