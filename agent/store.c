/*
 * store.c -- the published entries of all targets (see store.h).  One mutex
 * guards the slot list and the entry pointers; it is held only to swap or
 * reference pointers, never while formatting or doing I/O.
 */
#include "autoconfig.h"
#include "store.h"
#include "exposition.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "banned.h"

struct store_slot {
	atomic_int refs;
	char *kind, *name;
	struct store_entry *entry;   /* guarded by the store's lock */
	int removed;                 /* guarded by the store's lock */
	struct store_slot *next;
};

struct store {
	pthread_mutex_t lock;
	struct store_slot *head, *tail;
	size_t nslots;
	uint64_t generation;
	void (*changed)(void *ctx);   /* set before any publish */
	void *changed_ctx;
};

struct store *store_new(void)
{
	struct store *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	while (s->head)
		store_slot_remove(s, s->head);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct store_entry *store_entry_new(struct expo_block *metrics)
{
	struct store_entry *e = xcalloc(1, sizeof(*e));
	atomic_init(&e->refs, 1);
	e->metrics = metrics;
	return e;
}

struct store_entry *store_entry_ref(struct store_entry *e)
{
	atomic_fetch_add(&e->refs, 1);
	return e;
}

void store_entry_unref(struct store_entry *e)
{
	if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	expo_block_unref(e->metrics);
	if (e->view && e->view_free)
		e->view_free(e->view);
	free(e);
}

struct store_slot *store_slot_add(struct store *s, const char *kind, const char *name)
{
	struct store_slot *slot = xcalloc(1, sizeof(*slot));
	atomic_init(&slot->refs, 2); /* the store's and the caller's */
	slot->kind = xstrdup(kind);
	slot->name = xstrdup(name);
	pthread_mutex_lock(&s->lock);
	if (s->tail)
		s->tail->next = slot;
	else
		s->head = slot;
	s->tail = slot;
	s->nslots++;
	pthread_mutex_unlock(&s->lock);
	return slot;
}

void store_slot_release(struct store_slot *slot)
{
	if (!slot || atomic_fetch_sub(&slot->refs, 1) != 1)
		return;
	store_entry_unref(slot->entry);
	free(slot->kind);
	free(slot->name);
	free(slot);
}

void store_slot_remove(struct store *s, struct store_slot *slot)
{
	struct store_entry *old = NULL;
	int found = 0;
	pthread_mutex_lock(&s->lock);
	struct store_slot **pp = &s->head, *prev = NULL;
	for (; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == slot) {
			*pp = slot->next;
			if (s->tail == slot)
				s->tail = prev;
			s->nslots--;
			found = 1;
			break;
		}
	}
	if (found) {
		slot->removed = 1;
		slot->next = NULL;
		old = slot->entry;
		slot->entry = NULL;
		s->generation++;
	}
	pthread_mutex_unlock(&s->lock);
	store_entry_unref(old);
	if (found)
		store_slot_release(slot); /* the store's reference */
}

void store_publish(struct store *s, struct store_slot *slot, struct store_entry *e)
{
	struct store_entry *old;
	pthread_mutex_lock(&s->lock);
	if (slot->removed) {
		old = e;
	} else {
		old = slot->entry;
		slot->entry = e;
		s->generation++;
	}
	pthread_mutex_unlock(&s->lock);
	store_entry_unref(old);
	if (s->changed && old != e)
		s->changed(s->changed_ctx);
}

void store_on_change(struct store *s, void (*changed)(void *ctx), void *ctx)
{
	s->changed = changed;
	s->changed_ctx = ctx;
}

void store_snapshot(struct store *s, struct store_snapshot *snap)
{
	store_snapshot_others(s, NULL, snap);
}

void store_snapshot_others(struct store *s, const struct store_slot *skip,
			   struct store_snapshot *snap)
{
	pthread_mutex_lock(&s->lock);
	snap->entries = xmalloc((s->nslots + 1) * sizeof(struct store_entry *));
	snap->n = 0;
	for (struct store_slot *slot = s->head; slot; slot = slot->next)
		if (slot != skip && slot->entry)
			snap->entries[snap->n++] = store_entry_ref(slot->entry);
	snap->generation = s->generation;
	pthread_mutex_unlock(&s->lock);
}

void store_snapshot_release(struct store_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		store_entry_unref(snap->entries[i]);
	free(snap->entries);
	snap->entries = NULL;
	snap->n = 0;
}

struct store_entry *store_find(struct store *s, const char *kind, const char *name)
{
	struct store_entry *e = NULL;
	pthread_mutex_lock(&s->lock);
	for (struct store_slot *slot = s->head; slot; slot = slot->next) {
		if ((!kind || strcmp(slot->kind, kind) == 0) && strcmp(slot->name, name) == 0) {
			if (slot->entry)
				e = store_entry_ref(slot->entry);
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return e;
}

int store_has(struct store *s, const char *name)
{
	int found = 0;
	pthread_mutex_lock(&s->lock);
	for (struct store_slot *slot = s->head; slot && !found; slot = slot->next)
		found = strcmp(slot->name, name) == 0;
	pthread_mutex_unlock(&s->lock);
	return found;
}

uint64_t store_generation(struct store *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t g = s->generation;
	pthread_mutex_unlock(&s->lock);
	return g;
}

size_t store_targets(struct store *s, struct store_target **out)
{
	pthread_mutex_lock(&s->lock);
	struct store_target *t = xcalloc(s->nslots + 1, sizeof(*t));
	size_t n = 0;
	for (struct store_slot *slot = s->head; slot; slot = slot->next, n++) {
		t[n].kind = xstrdup(slot->kind);
		t[n].name = xstrdup(slot->name);
		t[n].entry = slot->entry ? store_entry_ref(slot->entry) : NULL;
	}
	pthread_mutex_unlock(&s->lock);
	*out = t;
	return n;
}

void store_targets_release(struct store_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].kind);
		free(t[i].name);
		store_entry_unref(t[i].entry);
	}
	free(t);
}
