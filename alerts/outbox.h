/*
 * outbox.h -- notifications kept on disk until their receiver took them.
 *
 * Every note is written (fsync'd, renamed into place, directory fsync'd)
 * before the first delivery attempt and removed only after the receiver
 * answered 2xx, so a receiver that is down or an agent killed with SIGKILL
 * loses nothing.  Under the agent's state_dir:
 *
 *   outbox/RECEIVER/FINGERPRINT.json       one pending note per alert and
 *                                          receiver: a newer state of the same
 *                                          alert replaces an unsent older one
 *   deadletter/RECEIVER/FINGERPRINT-SEQ.json  notes a receiver refused for good
 *   corrupt/RECEIVER-FILE                  files that did not decode, set aside
 *
 * Receiver names are encoded for the file system (%XX for anything but
 * letters, digits, '_', '-' and '.').  Every call is atomic: the engine
 * puts while each receiver's sender loads and removes.
 */
#ifndef DBPULSE_OUTBOX_H
#define DBPULSE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct alert_note;
struct buf;
struct outbox;

/* Opens (creating) the outbox under state_dir; NULL with err. */
struct outbox *outbox_open(const char *state_dir, char *err, size_t errlen);
void outbox_close(struct outbox *o);

/* Stores n unless the stored note of its alert is as new or newer:
 * 0 stored, 1 ignored, -1 error with err, OUTBOX_FULL (also < 0, with
 * err) when n's alert has no note pending and the receiver's outbox is at
 * its cap (see outbox.c). */
#define OUTBOX_FULL (-2)
int outbox_put(struct outbox *o, const struct alert_note *n, char *err, size_t errlen);
/* The pending notes of receiver, oldest seq first (freed with
 * outbox_notes_free).  Files that do not decode are set aside and counted.
 * 0, or -1 when the directory cannot be read. */
int outbox_load(struct outbox *o, const char *receiver, struct alert_note ***notes, size_t *n);
void outbox_notes_free(struct alert_note **notes, size_t n);
/* Removes the stored note if it still is n (same seq): 0 removed, 1 not
 * there or newer, -1 error. */
int outbox_remove(struct outbox *o, const struct alert_note *n);
/* Saves n's attempt count if the stored note still is n. */
int outbox_update_attempts(struct outbox *o, const struct alert_note *n);
/* Moves n to the dead-letter folder with the reason. */
int outbox_dead_letter(struct outbox *o, const struct alert_note *n, const char *reason);
/*
 * The batch in flight to a receiver, kept on disk so that the batch tried
 * again after a failure, or after a crash between the receiver's 2xx and
 * the removal of its notes, is the same message with the same id, whatever
 * arrived in between (receivers drop duplicates by that id).
 */
struct outbox_batch {
	char id[64];
	size_t n;
	uint64_t *fingerprints, *seqs;
};
/* Saves the batch of notes[0..n) under id (atomically, durably). */
int outbox_batch_save(struct outbox *o, const char *receiver, const char *id,
		      struct alert_note *const *notes, size_t n);
/* The saved batch of receiver: 1 with b filled (freed with
 * outbox_batch_release), 0 when there is none (or it does not decode:
 * it is removed then). */
int outbox_batch_load(struct outbox *o, const char *receiver, struct outbox_batch *b);
void outbox_batch_release(struct outbox_batch *b);
void outbox_batch_clear(struct outbox *o, const char *receiver);
/* Receivers with a directory in the outbox (names decoded). */
int outbox_receivers(struct outbox *o, char ***names, size_t *n);
size_t outbox_count(struct outbox *o, const char *receiver);
uint64_t outbox_corrupt_total(struct outbox *o);
/* The highest seq of any note found at open, so numbering continues. */
uint64_t outbox_max_seq(const struct outbox *o);

/* The encoding of a note in its file. */
int alert_note_to_json(const struct alert_note *n, struct buf *out);
struct alert_note *alert_note_from_json(const char *text, size_t len, char *err, size_t errlen);

#endif
