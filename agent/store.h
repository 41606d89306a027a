/*
 * store.h -- what the targets last published, shared with the HTTP threads.
 *
 * Each running target owns a slot.  After a collection its worker renders
 * the batch into an entry (exposition block, plus typed views for the API
 * in later collectors) and publishes it: the slot's previous entry is
 * swapped out under one small lock and released.  A scrape takes a snapshot
 * (a reference to every current entry, under the same lock, no copying)
 * and builds its answer from those immutable entries with no lock held.
 * Entries are reference-counted: the last holder frees.
 */
#ifndef DBPULSE_STORE_H
#define DBPULSE_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct expo_block;

struct store_entry {
	atomic_int refs;
	struct expo_block *metrics;   /* owned reference; may be NULL */
	void *view;                   /* typed data for /api, owned */
	int view_kind;                /* enum view_kind (dbview.h): what view is */
	void (*view_free)(void *view);
	int (*view_json)(const void *view, const char *what, struct buf *out);
	double published_at;          /* wall clock, seconds */
	int up;                       /* the collection succeeded */
	int64_t interval_ms;          /* the target's interval */
};

struct store;
struct store_slot;

struct store_snapshot {
	size_t n;
	struct store_entry **entries; /* one reference each */
	uint64_t generation;          /* bumped by every publish and removal */
};

struct store *store_new(void);
/* Frees the store; every slot must have been removed and released. */
void store_free(struct store *s);

/* A new entry holding one reference to metrics (taken over by the entry). */
struct store_entry *store_entry_new(struct expo_block *metrics);
struct store_entry *store_entry_ref(struct store_entry *e);
void store_entry_unref(struct store_entry *e);

/* Adds a slot at the end; returns it with a reference for the caller. */
struct store_slot *store_slot_add(struct store *s, const char *kind, const char *name);
/* Takes the slot out of the store: its entry disappears from scrapes and
 * later publishes to it are dropped.  The caller still holds its reference. */
void store_slot_remove(struct store *s, struct store_slot *slot);
void store_slot_release(struct store_slot *slot);

/* Publishes e into the slot, taking over the caller's reference. */
void store_publish(struct store *s, struct store_slot *slot, struct store_entry *e);
/* Calls changed(ctx) after each publish, on the publishing thread; set
 * before the first publish. */
void store_on_change(struct store *s, void (*changed)(void *ctx), void *ctx);

/* References every current entry, in slot order. */
void store_snapshot(struct store *s, struct store_snapshot *snap);
/* The same without skip's entry (the other targets'). */
void store_snapshot_others(struct store *s, const struct store_slot *skip,
			   struct store_snapshot *snap);
void store_snapshot_release(struct store_snapshot *snap);
/* The current entry of (kind, name), with a reference, or NULL; kind
 * NULL matches any kind (target names are unique). */
struct store_entry *store_find(struct store *s, const char *kind, const char *name);
/* Whether a slot of that name exists (published or not yet). */
int store_has(struct store *s, const char *name);
uint64_t store_generation(struct store *s);

/* Every slot, published or not, in slot order: its kind and name (copies)
 * and its current entry (a reference) or NULL before the first publish. */
struct store_target {
	char *kind, *name;
	struct store_entry *entry;
};
size_t store_targets(struct store *s, struct store_target **out);
void store_targets_release(struct store_target *t, size_t n);

#endif
