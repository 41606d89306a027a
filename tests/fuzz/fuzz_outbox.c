/*
 * fuzz_outbox.c -- the outbox record decoder (alerts/outbox.c
 * alert_note_from_json, which reads every file of the state dir's
 * outbox at start and before each delivery), and its encoder
 * alert_note_to_json on what it accepted.
 *
 * Properties: no crash, leak or UB; a refusal has a reason; an accepted
 * record has a receiver, an alertname label and the fingerprint of its
 * labels; encoding it and decoding that gives the same note (labels,
 * annotations, status, seq, attempts, times, value, URL), and encoding
 * that again gives the same bytes.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "fuzz_util.h"
#include "outbox.h"

static int same_double(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_same(const struct alert_note *a, const struct alert_note *b)
{
	FUZZ_CHECK(same_str(a->receiver, b->receiver), "receiver");
	FUZZ_CHECK(same_str(a->rule, b->rule), "rule");
	FUZZ_CHECK(alert_labels_equal(&a->labels, &b->labels), "labels");
	FUZZ_CHECK(alert_labels_equal(&a->annotations, &b->annotations), "annotations");
	FUZZ_CHECK(a->status == b->status, "status");
	FUZZ_CHECK(same_double(a->starts_at, b->starts_at), "starts_at %.17g %.17g", a->starts_at,
		   b->starts_at);
	FUZZ_CHECK(same_double(a->ends_at, b->ends_at), "ends_at %.17g %.17g", a->ends_at,
		   b->ends_at);
	FUZZ_CHECK(same_double(a->created_at, b->created_at), "created_at");
	FUZZ_CHECK(same_double(a->value, b->value), "value %.17g %.17g", a->value, b->value);
	FUZZ_CHECK(same_str(a->generator_url, b->generator_url), "generator_url");
	FUZZ_CHECK(a->fingerprint == b->fingerprint, "fingerprint");
	FUZZ_CHECK(a->seq == b->seq, "seq");
	FUZZ_CHECK(a->attempts == b->attempts, "attempts");
}

static void check_accepted(const struct alert_note *n)
{
	FUZZ_CHECK(n->receiver && *n->receiver, "no receiver");
	FUZZ_CHECK(alert_labels_get(&n->labels, "alertname"), "no alertname");
	FUZZ_CHECK(n->fingerprint == alert_labels_fingerprint(&n->labels), "fingerprint");
	struct buf once = BUF_INIT(BUF_UNLIMITED), twice = BUF_INIT(BUF_UNLIMITED);
	FUZZ_CHECK(alert_note_to_json(n, &once) == 0, "cannot encode");
	char err[256] = "";
	struct alert_note *back = alert_note_from_json(buf_str(&once), once.len, err, sizeof(err));
	FUZZ_CHECK(back != NULL, "own encoding refused: %s: %s", err, buf_str(&once));
	check_same(n, back);
	FUZZ_CHECK(alert_note_to_json(back, &twice) == 0, "cannot encode again");
	FUZZ_CHECK(once.len == twice.len && memcmp(buf_str(&once), buf_str(&twice), once.len) == 0,
		   "encodings differ:\n%s\n%s", buf_str(&once), buf_str(&twice));
	alert_note_free(back);
	buf_release(&once);
	buf_release(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	struct alert_note *n = alert_note_from_json((const char *)data, size, err, sizeof(err));
	if (n) {
		check_accepted(n);
		alert_note_free(n);
	} else {
		FUZZ_CHECK(err[0], "refused without a reason");
	}
	return 0;
}
