/*
 * test_alert_outbox.c -- the durable outbox: the note encoding round trip,
 * put/load/remove, a newer state replacing an unsent older one, dead
 * letters, damaged files set aside (truncated, garbage, empty, a
 * fingerprint that does not match), leftover temporary files, receiver
 * names that are no file names, numbering across a reopen, permissions,
 * and a put racing removes.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "alert.h"
#include "buf.h"
#include "outbox.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/dbpulse-outbox-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1; // NOLINT(cert-env33-c): removes the test's own mkdtemp dir
}

static struct alert_note *note(const char *receiver, const char *name, enum alert_status st,
			       uint64_t seq)
{
	struct alert_note *n = alert_note_new();
	n->receiver = strdup(receiver);
	n->rule = strdup(name);
	alert_labels_set(&n->labels, "alertname", name);
	alert_labels_set(&n->labels, "target", "main");
	alert_labels_set(&n->annotations, "summary", "s");
	n->status = st;
	n->starts_at = 1700000000.125;
	n->ends_at = st == ALERT_RESOLVED ? 1700000100.5 : 0;
	n->value = 42.5;
	n->fingerprint = alert_labels_fingerprint(&n->labels);
	n->seq = seq;
	n->created_at = 1700000000.25;
	return n;
}

static size_t files_in(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_encoding_round_trip(void **state)
{
	(void)state;
	struct alert_note *n = note("ops", "A", ALERT_RESOLVED, 9);
	alert_labels_set(&n->labels, "query", "SELECT \"x\"\n FROM t -- é");
	alert_labels_set(&n->labels, "empty", "");
	n->fingerprint = alert_labels_fingerprint(&n->labels);
	n->value = NAN;
	n->attempts = 3;
	n->generator_url = strdup("http://db1:9930/api/alerts");
	struct buf b = BUF_INIT(1 << 20);
	assert_int_equal(alert_note_to_json(n, &b), 0);
	char err[256];
	struct alert_note *back = alert_note_from_json(b.data, b.len, err, sizeof(err));
	assert_non_null(back);
	assert_true(alert_labels_equal(&back->labels, &n->labels));
	assert_true(alert_labels_equal(&back->annotations, &n->annotations));
	assert_true(isnan(back->value));
	assert_true(back->seq == 9 && back->attempts == 3 && back->status == ALERT_RESOLVED);
	assert_true(back->starts_at == n->starts_at && back->ends_at == n->ends_at);
	assert_true(back->fingerprint == n->fingerprint);
	assert_string_equal(back->generator_url, n->generator_url);
	alert_note_free(back);
	/* damaged encodings are refused with a reason */
	assert_null(alert_note_from_json(b.data, b.len / 2, err, sizeof(err)));
	assert_null(alert_note_from_json("{\"v\":2}", 7, err, sizeof(err)));
	assert_string_equal(err, "unknown version");
	buf_release(&b);
	alert_note_free(n);
}

static void test_put_load_remove(void **state)
{
	(void)state;
	char err[256];
	struct outbox *o = outbox_open(root, err, sizeof(err));
	assert_non_null(o);
	struct alert_note *a1 = note("ops", "A", ALERT_FIRING, 1);
	struct alert_note *b2 = note("ops", "B", ALERT_FIRING, 2);
	struct alert_note *a3 = note("ops", "A", ALERT_RESOLVED, 3);
	assert_int_equal(outbox_put(o, a1, err, sizeof(err)), 0);
	assert_int_equal(outbox_put(o, b2, err, sizeof(err)), 0);
	assert_int_equal(outbox_count(o, "ops"), 2);
	/* the newer state of A replaces the unsent firing one */
	assert_int_equal(outbox_put(o, a3, err, sizeof(err)), 0);
	assert_int_equal(outbox_put(o, a1, err, sizeof(err)), 1);   /* older: ignored */
	struct alert_note **notes;
	size_t n;
	assert_int_equal(outbox_load(o, "ops", &notes, &n), 0);
	assert_int_equal(n, 2);
	assert_true(notes[0]->seq == 2 && notes[1]->seq == 3);   /* by seq */
	assert_true(notes[1]->status == ALERT_RESOLVED);
	outbox_notes_free(notes, n);
	/* removing with a stale seq keeps the newer note */
	assert_int_equal(outbox_remove(o, a1), 1);
	assert_int_equal(outbox_count(o, "ops"), 2);
	assert_int_equal(outbox_remove(o, a3), 0);
	assert_int_equal(outbox_count(o, "ops"), 1);
	/* attempts survive */
	b2->attempts = 4;
	assert_int_equal(outbox_update_attempts(o, b2), 0);
	assert_int_equal(outbox_load(o, "ops", &notes, &n), 0);
	assert_int_equal(notes[0]->attempts, 4);
	outbox_notes_free(notes, n);
	/* dead letter */
	assert_int_equal(outbox_dead_letter(o, b2, "HTTP 400: bad"), 0);
	assert_int_equal(outbox_count(o, "ops"), 0);
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/deadletter/ops", root);
	assert_int_equal(files_in(dir), 1);
	/* files are the agent's own */
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/outbox/ops", root);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(outbox_put(o, a1, err, sizeof(err)), 0);
	char file[160];
	snprintf(file, sizeof(file), "%s/outbox/ops/%016llx.json", root,
		 (unsigned long long)a1->fingerprint);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	outbox_close(o);
	/* numbering continues after a reopen */
	o = outbox_open(root, err, sizeof(err));
	assert_true(outbox_max_seq(o) >= 2);
	outbox_close(o);
	alert_note_free(a1);
	alert_note_free(b2);
	alert_note_free(a3);
}

static void write_raw(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fwrite(text, 1, len, f);
	fclose(f);
}

static void test_damaged_files(void **state)
{
	(void)state;
	char err[256], path[256];
	struct outbox *o = outbox_open(root, err, sizeof(err));
	struct alert_note *good = note("hook", "Good", ALERT_FIRING, 10);
	assert_int_equal(outbox_put(o, good, err, sizeof(err)), 0);
	struct buf b = BUF_INIT(1 << 20);
	alert_note_to_json(good, &b);
	snprintf(path, sizeof(path), "%s/outbox/hook/truncated.json", root);
	write_raw(path, b.data, b.len / 2);
	snprintf(path, sizeof(path), "%s/outbox/hook/garbage.json", root);
	write_raw(path, "\x01\x02 not json", 11);
	snprintf(path, sizeof(path), "%s/outbox/hook/empty.json", root);
	write_raw(path, "", 0);
	/* a label changed by hand: the fingerprint no longer matches */
	char *changed = strdup(buf_str(&b));
	char *at = strstr(changed, "\"main\"");
	memcpy(at, "\"mayn\"", 6); // NOLINT(bugprone-not-null-terminated-result): overwrites 6 bytes inside the text
	snprintf(path, sizeof(path), "%s/outbox/hook/changed.json", root);
	write_raw(path, changed, strlen(changed));
	free(changed);
	snprintf(path, sizeof(path), "%s/outbox/hook/.tmp-1-0-x.json", root);
	write_raw(path, "half", 4);
	struct alert_note **notes;
	size_t n;
	assert_int_equal(outbox_load(o, "hook", &notes, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(alert_labels_get(&notes[0]->labels, "alertname"), "Good");
	outbox_notes_free(notes, n);
	assert_int_equal(outbox_corrupt_total(o), 4);
	snprintf(path, sizeof(path), "%s/corrupt", root);
	assert_int_equal(files_in(path), 4);
	snprintf(path, sizeof(path), "%s/outbox/hook/.tmp-1-0-x.json", root);
	assert_int_not_equal(access(path, F_OK), 0);
	buf_release(&b);
	alert_note_free(good);
	outbox_close(o);
}

static void test_receiver_names(void **state)
{
	(void)state;
	char err[256];
	struct outbox *o = outbox_open(root, err, sizeof(err));
	const char *names[] = { "a/b", "..", "with space", "ünï" };
	for (size_t i = 0; i < 4; i++) {
		struct alert_note *n = note(names[i], "A", ALERT_FIRING, 100 + i);
		assert_int_equal(outbox_put(o, n, err, sizeof(err)), 0);
		assert_int_equal(outbox_count(o, names[i]), 1);
		alert_note_free(n);
	}
	char **list;
	size_t count;
	assert_int_equal(outbox_receivers(o, &list, &count), 0);
	size_t found = 0;
	for (size_t i = 0; i < count; i++) {
		for (size_t j = 0; j < 4; j++)
			found += strcmp(list[i], names[j]) == 0;
		free(list[i]);
	}
	free(list);
	assert_int_equal(found, 4);
	/* nothing escaped the outbox directory */
	char path[128];
	snprintf(path, sizeof(path), "%s/outbox/a", root);
	assert_int_not_equal(access(path, F_OK), 0);
	outbox_close(o);
}

struct race {
	struct outbox *o;
	uint64_t last;
};

static void *putter(void *arg)
{
	struct race *r = arg;
	char err[256];
	for (uint64_t seq = 1000; seq < 1200; seq++) {
		struct alert_note *n = note("race", "R", seq % 2 ? ALERT_RESOLVED : ALERT_FIRING, seq);
		outbox_put(r->o, n, err, sizeof(err));
		alert_note_free(n);
	}
	r->last = 1199;
	return NULL;
}

static void *remover(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < 200; i++) {
		struct alert_note **notes;
		size_t n;
		if (outbox_load(r->o, "race", &notes, &n) == 0 && n && notes[0]->seq < 1150)
			outbox_remove(r->o, notes[0]);
		outbox_notes_free(notes, n);
	}
	return NULL;
}

static void test_put_races_remove(void **state)
{
	(void)state;
	char err[256];
	struct race r = { .o = outbox_open(root, err, sizeof(err)) };
	pthread_t a, b;
	pthread_create(&a, NULL, putter, &r);
	pthread_create(&b, NULL, remover, &r);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	struct alert_note **notes;
	size_t n;
	assert_int_equal(outbox_load(r.o, "race", &notes, &n), 0);
	assert_int_equal(n, 1);   /* the newest state is never lost */
	assert_true(notes[0]->seq == 1199);
	outbox_notes_free(notes, n);
	outbox_close(r.o);
}

/* A full outbox refuses notes of new alerts, still takes newer states of
 * pending ones.  The pending notes are faked with empty files: 10,000 real
 * puts would fsync 10,000 times. */
static void test_full(void **state)
{
	(void)state;
	char err[256], path[256];
	struct outbox *o = outbox_open(root, err, sizeof(err));
	assert_non_null(o);
	struct alert_note *a1 = note("full", "A", ALERT_FIRING, 1);
	struct alert_note *a2 = note("full", "A", ALERT_RESOLVED, 2);
	struct alert_note *b3 = note("full", "B", ALERT_FIRING, 3);
	assert_int_equal(outbox_put(o, a1, err, sizeof(err)), 0);
	for (int i = 1; i < 10000; i++) {
		snprintf(path, sizeof(path), "%s/outbox/full/fake-%05d.json", root, i);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
	}
	assert_int_equal(outbox_put(o, b3, err, sizeof(err)), OUTBOX_FULL);
	assert_non_null(strstr(err, "outbox is full"));
	assert_int_equal(outbox_put(o, a2, err, sizeof(err)), 0); /* A is pending: replaced */
	snprintf(path, sizeof(path), "%s/outbox/full/fake-00001.json", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(outbox_put(o, b3, err, sizeof(err)), 0); /* room again */
	alert_note_free(a1);
	alert_note_free(a2);
	alert_note_free(b3);
	outbox_close(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding_round_trip),
		cmocka_unit_test_setup_teardown(test_put_load_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receiver_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_races_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
