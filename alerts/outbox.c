/*
 * outbox.c -- durable notifications (outbox.h).
 *
 * Bounded: a receiver's outbox holds at most OUTBOX_MAX_PENDING notes and
 * OUTBOX_MAX_BYTES bytes (every pending note is loaded at each delivery
 * round).  When it is full, a note of an alert that has none pending yet
 * is refused: outbox_put() returns OUTBOX_FULL and the sender counts it
 * (dbpulse_notifications_dropped_total{reason="outbox_full"} and
 * dbpulse_webhook_limit_reached_total{limit="outbox_notes"}) and logs an error.
 * A newer state of an alert already pending still replaces the old one,
 * so a resolution is never refused for space.  Refusing the newest rather
 * than evicting the oldest keeps the notes of what went wrong first (the
 * cause, usually) and keeps the dead-letter folder for refusals by the
 * receiver: nothing is lost without a count and a log line.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"
#include "buf.h"
#include "outbox.h"
#include "strutil.h"
#include "xalloc.h"
#include "banned.h"

#define NOTE_MAX_BYTES (4u << 20)
/* A receiver down for max_age (24 h) keeps one note per alert that changed
 * state meanwhile: 10,000 is far more alerts than any team can act on, and
 * at a typical 1-2 KiB a note, 10 to 20 MiB read per delivery round.  The
 * byte cap bounds that read whatever the notes' size (labels and
 * annotations come from servers and templates). */
#define OUTBOX_MAX_PENDING 10000u
#define OUTBOX_MAX_BYTES ((uint64_t)64 << 20)
/* The batch in flight, beside the notes (a dot file: never a note). */
#define BATCH_FILE ".batch"
#define BATCH_MAX_NOTES 1000      /* payloads carry at most 100 */

struct outbox {
	pthread_mutex_t lock;
	char *outbox_dir;
	char *dead_dir;
	char *corrupt_dir;
	uint64_t corrupt;
	uint64_t max_seq;
};

/* ---- encoding --------------------------------------------------------------- */

static json_t *labels_json(const struct alert_labels *l)
{
	json_t *o = json_object();
	for (size_t i = 0; i < l->n; i++)
		json_object_set_new(o, l->v[i].name, json_string(l->v[i].value));
	return o;
}

static json_t *number_json(double v)
{
	const char *name = nonfinite_name(v);
	return name ? json_string(name) : json_real(v);
}

int alert_note_to_json(const struct alert_note *n, struct buf *out)
{
	char fp[17];
	alert_fingerprint_hex(n->fingerprint, fp);
	json_t *o = json_pack("{s:i, s:s, s:s, s:o, s:o, s:s, s:f, s:f, s:o, s:s, s:s, s:I, s:f, s:I}",
			      "v", 1, "receiver", n->receiver ? n->receiver : "", "rule",
			      n->rule ? n->rule : "", "labels", labels_json(&n->labels), "annotations",
			      labels_json(&n->annotations), "status",
			      n->status == ALERT_FIRING ? "firing" : "resolved", "starts_at",
			      n->starts_at, "ends_at", n->ends_at, "value", number_json(n->value),
			      "generator_url", n->generator_url ? n->generator_url : "",
			      "fingerprint", fp, "seq", (json_int_t)n->seq, "created_at",
			      n->created_at, "attempts", (json_int_t)n->attempts);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(o);
	if (!text)
		return -1;
	int rc = buf_puts(out, text);
	free(text);
	return rc;
}

static int labels_from(json_t *o, struct alert_labels *out)
{
	if (!json_is_object(o))
		return -1;
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (!json_is_string(v))
			return -1;
		alert_labels_set(out, k, json_string_value(v));
	}
	return 0;
}

static int number_from(json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	const char *s = json_string_value(v);
	if (!s)
		return -1;
	if (strcmp(s, "NaN") == 0)
		*out = NAN;
	else if (strcmp(s, "+Inf") == 0)
		*out = INFINITY;
	else if (strcmp(s, "-Inf") == 0)
		*out = -INFINITY;
	else
		return -1;
	return 0;
}

struct alert_note *alert_note_from_json(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, 0, &jerr);
	if (!o) {
		snprintf(err, errlen, "not JSON: %s", jerr.text);
		return NULL;
	}
	struct alert_note *n = alert_note_new();
	const char *what = NULL;
	const char *receiver = json_string_value(json_object_get(o, "receiver"));
	const char *status = json_string_value(json_object_get(o, "status"));
	const char *fp = json_string_value(json_object_get(o, "fingerprint"));
	json_t *seq = json_object_get(o, "seq");
	if (json_integer_value(json_object_get(o, "v")) != 1)
		what = "unknown version";
	else if (!receiver || !*receiver)
		what = "no receiver";
	else if (!status || (strcmp(status, "firing") != 0 && strcmp(status, "resolved") != 0))
		what = "no status";
	else if (!fp || strlen(fp) != 16)
		what = "no fingerprint";
	else if (!json_is_integer(seq))
		what = "no seq";
	else if (labels_from(json_object_get(o, "labels"), &n->labels) < 0 ||
		 !alert_labels_get(&n->labels, "alertname"))
		what = "bad labels";
	else if (labels_from(json_object_get(o, "annotations"), &n->annotations) < 0)
		what = "bad annotations";
	else if (number_from(json_object_get(o, "value"), &n->value) < 0)
		what = "bad value";
	if (!what) {
		n->receiver = xstrdup(receiver);
		const char *rule = json_string_value(json_object_get(o, "rule"));
		n->rule = xstrdup(rule ? rule : "");
		const char *gen = json_string_value(json_object_get(o, "generator_url"));
		n->generator_url = gen && *gen ? xstrdup(gen) : NULL;
		n->status = strcmp(status, "firing") == 0 ? ALERT_FIRING : ALERT_RESOLVED;
		n->starts_at = json_number_value(json_object_get(o, "starts_at"));
		n->ends_at = json_number_value(json_object_get(o, "ends_at"));
		n->created_at = json_number_value(json_object_get(o, "created_at"));
		n->seq = (uint64_t)json_integer_value(seq);
		n->attempts = (uint32_t)json_integer_value(json_object_get(o, "attempts"));
		n->fingerprint = alert_labels_fingerprint(&n->labels);
		char check[17];
		alert_fingerprint_hex(n->fingerprint, check);
		if (strcmp(check, fp) != 0)
			what = "fingerprint does not match the labels";
	}
	json_decref(o);
	if (what) {
		snprintf(err, errlen, "%s", what);
		alert_note_free(n);
		return NULL;
	}
	return n;
}

/* ---- files ----------------------------------------------------------------------- */

static int isalnum_ascii(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char *encode_name(const char *name)
{
	struct buf b = BUF_INIT(4096);
	int dots = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (!dots && (isalnum_ascii(*p) || *p == '_' || *p == '-' || *p == '.'))
			buf_putc(&b, (char)*p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	char *s = xstrdup(buf_str(&b));
	buf_release(&b);
	return s;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static char *decode_name(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	for (; *s; s++) {
		int hi = *s == '%' ? hex_digit(s[1]) : -1;
		int lo = hi >= 0 ? hex_digit(s[2]) : -1;
		if (lo >= 0) {
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static int ensure_dir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		if (err)
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes dir/name atomically and durably (its temporary file, a ".tmp-"
 * dot file, is never taken for a note). */
static int write_file(const char *dir, const char *name, const char *text, size_t len, char *err,
		      size_t errlen)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = write_file_atomic(path, text, len, err, errlen);
	free(path);
	return rc;
}

static char *receiver_dir(struct outbox *o, const char *base, const char *receiver)
{
	char *enc = encode_name(receiver);
	char *dir = xasprintf("%s/%s", base, enc);
	free(enc);
	return dir;
}

static void note_name(const struct alert_note *n, char out[32])
{
	char fp[17];
	alert_fingerprint_hex(n->fingerprint, fp);
	snprintf(out, 32, "%s.json", fp);
}

static struct alert_note *read_note(const char *path, char *err, size_t errlen)
{
	struct buf b = BUF_INIT(NOTE_MAX_BYTES);
	if (read_file(path, &b) < 0) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		buf_release(&b);
		return NULL;
	}
	struct alert_note *n = alert_note_from_json(b.data ? b.data : "", b.len, err, errlen);
	buf_release(&b);
	return n;
}

/* The stored note for n's alert, or NULL. */
static struct alert_note *stored(struct outbox *o, const struct alert_note *n, char **path_out)
{
	char *dir = receiver_dir(o, o->outbox_dir, n->receiver);
	char name[32], err[256];
	note_name(n, name);
	char *path = xasprintf("%s/%s", dir, name);
	free(dir);
	struct alert_note *s = access(path, F_OK) == 0 ? read_note(path, err, sizeof(err)) : NULL;
	if (path_out)
		*path_out = path;
	else
		free(path);
	return s;
}

static void set_aside(struct outbox *o, const char *dir_enc, const char *dir, const char *file)
{
	char *from = xasprintf("%s/%s", dir, file);
	char *to = xasprintf("%s/%s-%s", o->corrupt_dir, dir_enc, file);
	if (rename(from, to) < 0)
		unlink(from);
	o->corrupt++;
	free(from);
	free(to);
}

/* ---- the API ------------------------------------------------------------------------ */

static void scan_max_seq(struct outbox *o, const char *base)
{
	DIR *top = opendir(base);
	if (!top)
		return;
	struct dirent *d;
	while ((d = readdir(top))) {
		if (d->d_name[0] == '.')
			continue;
		char *dir = xasprintf("%s/%s", base, d->d_name);
		DIR *in = opendir(dir);
		struct dirent *f;
		while (in && (f = readdir(in))) {
			if (f->d_name[0] == '.' || !strstr(f->d_name, ".json"))
				continue;
			char *path = xasprintf("%s/%s", dir, f->d_name), err[128];
			struct alert_note *n = read_note(path, err, sizeof(err));
			if (n && n->seq > o->max_seq)
				o->max_seq = n->seq;
			alert_note_free(n);
			free(path);
		}
		if (in)
			closedir(in);
		free(dir);
	}
	closedir(top);
}

struct outbox *outbox_open(const char *state_dir, char *err, size_t errlen)
{
	struct outbox *o = xcalloc(1, sizeof(*o));
	pthread_mutex_init(&o->lock, NULL);
	o->outbox_dir = xasprintf("%s/outbox", state_dir);
	o->dead_dir = xasprintf("%s/deadletter", state_dir);
	o->corrupt_dir = xasprintf("%s/corrupt", state_dir);
	if (ensure_dir(o->outbox_dir, err, errlen) < 0 || ensure_dir(o->dead_dir, err, errlen) < 0 ||
	    ensure_dir(o->corrupt_dir, err, errlen) < 0) {
		outbox_close(o);
		return NULL;
	}
	if (access(o->outbox_dir, W_OK) != 0) {
		snprintf(err, errlen, "cannot write to %s: %s", o->outbox_dir, strerror(errno));
		outbox_close(o);
		return NULL;
	}
	scan_max_seq(o, o->outbox_dir);
	scan_max_seq(o, o->dead_dir);
	return o;
}

void outbox_close(struct outbox *o)
{
	if (!o)
		return;
	free(o->outbox_dir);
	free(o->dead_dir);
	free(o->corrupt_dir);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

/* The notes (files) pending in dir and their bytes; the lock is held. */
static void pending_in(const char *dir, size_t *notes, uint64_t *bytes)
{
	*notes = 0;
	*bytes = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, 0) < 0)
			continue;
		(*notes)++;
		*bytes += (uint64_t)st.st_size;
	}
	if (d)
		closedir(d);
}

/* Whether a new note of len bytes fits in dir; err says why not. */
static int has_room(const char *dir, size_t len, char *err, size_t errlen)
{
	size_t notes;
	uint64_t bytes;
	pending_in(dir, &notes, &bytes);
	if (notes < OUTBOX_MAX_PENDING && bytes + len <= OUTBOX_MAX_BYTES)
		return 1;
	snprintf(err, errlen, "the outbox is full (%zu notifications, %llu bytes pending; at most "
		 "%u and %llu MiB): a notification of a new alert is refused", notes,
		 (unsigned long long)bytes, OUTBOX_MAX_PENDING,
		 (unsigned long long)(OUTBOX_MAX_BYTES >> 20));
	return 0;
}

int outbox_put(struct outbox *o, const struct alert_note *n, char *err, size_t errlen)
{
	struct buf text = BUF_INIT(NOTE_MAX_BYTES);
	if (alert_note_to_json(n, &text) < 0) {
		snprintf(err, errlen, "cannot encode the notification");
		buf_release(&text);
		return -1;
	}
	pthread_mutex_lock(&o->lock);
	char *dir = receiver_dir(o, o->outbox_dir, n->receiver);
	int rc = ensure_dir(dir, err, errlen);
	struct alert_note *old = rc == 0 ? stored(o, n, NULL) : NULL;
	if (old && old->seq >= n->seq) {
		rc = 1;
	} else if (rc == 0 && !old && !has_room(dir, text.len, err, errlen)) {
		rc = OUTBOX_FULL;
	} else if (rc == 0) {
		char name[32];
		note_name(n, name);
		rc = write_file(dir, name, text.data, text.len, err, errlen);
		if (rc == 0 && n->seq > o->max_seq)
			o->max_seq = n->seq;
	}
	alert_note_free(old);
	free(dir);
	pthread_mutex_unlock(&o->lock);
	buf_release(&text);
	return rc;
}

static int by_seq(const void *a, const void *b)
{
	const struct alert_note *x = *(struct alert_note *const *)a;
	const struct alert_note *y = *(struct alert_note *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int outbox_load(struct outbox *o, const char *receiver, struct alert_note ***notes, size_t *n)
{
	*notes = NULL;
	*n = 0;
	pthread_mutex_lock(&o->lock);
	char *enc = encode_name(receiver);
	char *dir = xasprintf("%s/%s", o->outbox_dir, enc);
	DIR *d = opendir(dir);
	int rc = 0;
	if (!d) {
		rc = errno == ENOENT ? 0 : -1;
		goto out;
	}
	size_t alloc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		if (strncmp(e->d_name, ".tmp-", 5) == 0) {
			unlink(path);   /* a write cut short by a crash */
			free(path);
			continue;
		}
		if (e->d_name[0] == '.') {  /* BATCH_FILE */
			free(path);
			continue;
		}
		char err[256];
		struct alert_note *note = read_note(path, err, sizeof(err));
		free(path);
		if (!note || strcmp(note->receiver, receiver) != 0) {
			alert_note_free(note);
			set_aside(o, enc, dir, e->d_name);
			continue;
		}
		*notes = xgrow(*notes, &alloc, *n + 1, sizeof(struct alert_note *));
		(*notes)[(*n)++] = note;
	}
	closedir(d);
	if (*n > 1)
		qsort(*notes, *n, sizeof(struct alert_note *), by_seq);
out:
	free(enc);
	free(dir);
	pthread_mutex_unlock(&o->lock);
	return rc;
}

void outbox_notes_free(struct alert_note **notes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		alert_note_free(notes[i]);
	free(notes);
}

/* Removes path if its note still has n's seq; the lock is held. */
static int remove_if_current(struct outbox *o, const struct alert_note *n)
{
	char *path;
	struct alert_note *s = stored(o, n, &path);
	int rc = 1;
	if (s && s->seq == n->seq) {
		rc = unlink(path) == 0 ? 0 : -1;
		char *dir = receiver_dir(o, o->outbox_dir, n->receiver);
		fsync_dir(dir);
		free(dir);
	}
	alert_note_free(s);
	free(path);
	return rc;
}

int outbox_remove(struct outbox *o, const struct alert_note *n)
{
	pthread_mutex_lock(&o->lock);
	int rc = remove_if_current(o, n);
	pthread_mutex_unlock(&o->lock);
	return rc;
}

int outbox_update_attempts(struct outbox *o, const struct alert_note *n)
{
	pthread_mutex_lock(&o->lock);
	struct alert_note *s = stored(o, n, NULL);
	int rc = 1;
	if (s && s->seq == n->seq) {
		s->attempts = n->attempts;
		struct buf text = BUF_INIT(NOTE_MAX_BYTES);
		char *dir = receiver_dir(o, o->outbox_dir, n->receiver);
		char name[32];
		note_name(n, name);
		rc = alert_note_to_json(s, &text) == 0
			     ? write_file(dir, name, text.data, text.len, NULL, 0)
			     : -1;
		free(dir);
		buf_release(&text);
	}
	alert_note_free(s);
	pthread_mutex_unlock(&o->lock);
	return rc;
}

int outbox_dead_letter(struct outbox *o, const struct alert_note *n, const char *reason)
{
	struct buf text = BUF_INIT(NOTE_MAX_BYTES);
	if (alert_note_to_json(n, &text) < 0) {
		buf_release(&text);
		return -1;
	}
	/* the reason goes in as one more member */
	json_t *o_json = json_loadb(text.data, text.len, 0, NULL);
	json_object_set_new(o_json, "reason", json_string(reason ? reason : ""));
	char *with_reason = json_dumps(o_json, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(o_json);
	buf_release(&text);
	if (!with_reason)
		return -1;
	pthread_mutex_lock(&o->lock);
	char *dir = receiver_dir(o, o->dead_dir, n->receiver);
	char fp[17], name[64];
	alert_fingerprint_hex(n->fingerprint, fp);
	snprintf(name, sizeof(name), "%s-%llu.json", fp, (unsigned long long)n->seq);
	int rc = ensure_dir(dir, NULL, 0);
	if (rc == 0)
		rc = write_file(dir, name, with_reason, strlen(with_reason), NULL, 0);
	if (rc == 0)
		remove_if_current(o, n);
	free(dir);
	pthread_mutex_unlock(&o->lock);
	free(with_reason);
	return rc;
}

/* ---- the batch in flight --------------------------------------------------- */

int outbox_batch_save(struct outbox *o, const char *receiver, const char *id,
		      struct alert_note *const *notes, size_t n)
{
	struct buf text = BUF_INIT(BUF_UNLIMITED);
	buf_printf(&text, "%s\n", id);
	for (size_t i = 0; i < n; i++)
		buf_printf(&text, "%016llx %llu\n", (unsigned long long)notes[i]->fingerprint,
			   (unsigned long long)notes[i]->seq);
	pthread_mutex_lock(&o->lock);
	char *dir = receiver_dir(o, o->outbox_dir, receiver);
	int rc = ensure_dir(dir, NULL, 0) < 0 ? -1 :
		 write_file(dir, BATCH_FILE, buf_str(&text), text.len, NULL, 0);
	pthread_mutex_unlock(&o->lock);
	free(dir);
	buf_release(&text);
	return rc;
}

void outbox_batch_release(struct outbox_batch *b)
{
	free(b->fingerprints);
	free(b->seqs);
	memset(b, 0, sizeof(*b));
}

/* Reads "ID\n" then "FINGERPRINT SEQ\n" lines; 0, or -1. */
static int batch_parse(char *text, size_t len, struct outbox_batch *b)
{
	size_t pos = 0;
	char *line = next_line(text, len, &pos);
	if (!line || !*line || strlen(line) >= sizeof(b->id))
		return -1;
	snprintf(b->id, sizeof(b->id), "%s", line);
	b->fingerprints = xcalloc(BATCH_MAX_NOTES, sizeof(uint64_t));
	b->seqs = xcalloc(BATCH_MAX_NOTES, sizeof(uint64_t));
	while ((line = next_line(text, len, &pos)) != NULL) {
		char *fields[3];
		if (split_fields(line, fields, 3) != 2 || b->n == BATCH_MAX_NOTES)
			return -1;
		char *end;
		errno = 0;
		unsigned long long fp = strtoull(fields[0], &end, 16);
		if (errno || *end || end - fields[0] != 16 || parse_uint64(fields[1], &b->seqs[b->n]) < 0)
			return -1;
		b->fingerprints[b->n++] = (uint64_t)fp;
	}
	return b->n ? 0 : -1;
}

int outbox_batch_load(struct outbox *o, const char *receiver, struct outbox_batch *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_lock(&o->lock);
	char *dir = receiver_dir(o, o->outbox_dir, receiver);
	char *path = xasprintf("%s/%s", dir, BATCH_FILE);
	struct buf text = BUF_INIT(64u << 10);
	int found = read_file(path, &text) == 0;
	if (found && batch_parse(text.data ? text.data : (char *)"", text.len, b) < 0) {
		outbox_batch_release(b);
		unlink(path);
		found = 0;
	}
	pthread_mutex_unlock(&o->lock);
	buf_release(&text);
	free(path);
	free(dir);
	return found;
}

void outbox_batch_clear(struct outbox *o, const char *receiver)
{
	pthread_mutex_lock(&o->lock);
	char *dir = receiver_dir(o, o->outbox_dir, receiver);
	char *path = xasprintf("%s/%s", dir, BATCH_FILE);
	if (unlink(path) == 0)
		fsync_dir(dir);
	pthread_mutex_unlock(&o->lock);
	free(path);
	free(dir);
}

int outbox_receivers(struct outbox *o, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	pthread_mutex_lock(&o->lock);
	DIR *d = opendir(o->outbox_dir);
	size_t alloc = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		*names = xgrow(*names, &alloc, *n + 1, sizeof(**names));
		(*names)[(*n)++] = decode_name(e->d_name);
	}
	if (d)
		closedir(d);
	pthread_mutex_unlock(&o->lock);
	return d ? 0 : -1;
}

size_t outbox_count(struct outbox *o, const char *receiver)
{
	struct alert_note **notes;
	size_t n;
	if (outbox_load(o, receiver, &notes, &n) < 0)
		return 0;
	outbox_notes_free(notes, n);
	return n;
}

uint64_t outbox_corrupt_total(struct outbox *o)
{
	pthread_mutex_lock(&o->lock);
	uint64_t n = o->corrupt;
	pthread_mutex_unlock(&o->lock);
	return n;
}

uint64_t outbox_max_seq(const struct outbox *o)
{
	return o->max_seq;
}
