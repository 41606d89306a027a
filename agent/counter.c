/*
 * counter.c -- monotonic counters across wraps, restarts and jitter (see
 * counter.h).  An open-addressing hash table of series keys, rebuilt on
 * growth and on a sweep that removed something.
 */
#include "autoconfig.h"
#include "counter.h"
#include "xalloc.h"

#include <string.h>
#include "banned.h"

struct counter_entry {
	char *key;          /* NULL: empty slot */
	uint64_t last_raw;
	uint64_t offset;
	uint32_t epoch;
};

struct counter_map {
	struct counter_entry *slots;
	size_t size;        /* power of two */
	size_t used;
	uint32_t epoch;
};

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct counter_map *counter_map_new(void)
{
	struct counter_map *m = xcalloc(1, sizeof(*m));
	m->size = 64;
	m->slots = xcalloc(m->size, sizeof(*m->slots));
	return m;
}

void counter_map_free(struct counter_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->size; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

size_t counter_map_size(const struct counter_map *m)
{
	return m->used;
}

static struct counter_entry *find_slot(struct counter_entry *slots, size_t size, const char *key)
{
	size_t i = hash_key(key) & (size - 1);
	while (slots[i].key && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & (size - 1);
	return &slots[i];
}

/* Moves every live entry (epoch check optional) into a table of new_size. */
static void rehash(struct counter_map *m, size_t new_size, int drop_stale)
{
	struct counter_entry *old = m->slots;
	size_t old_size = m->size;
	m->slots = xcalloc(new_size, sizeof(*m->slots));
	m->size = new_size;
	m->used = 0;
	for (size_t i = 0; i < old_size; i++) {
		if (!old[i].key)
			continue;
		if (drop_stale && old[i].epoch != m->epoch) {
			free(old[i].key);
			continue;
		}
		*find_slot(m->slots, m->size, old[i].key) = old[i];
		m->used++;
	}
	free(old);
}

uint64_t counter_map_update(struct counter_map *m, const char *key, uint64_t raw,
			    const struct counter_policy *policy)
{
	struct counter_entry *e = find_slot(m->slots, m->size, key);
	if (!e->key) {
		if ((m->used + 1) * 2 > m->size) {
			rehash(m, m->size * 2, 0);
			e = find_slot(m->slots, m->size, key);
		}
		e->key = xstrdup(key);
		e->last_raw = raw;
		e->offset = 0;
		e->epoch = m->epoch;
		m->used++;
		return raw;
	}
	e->epoch = m->epoch;
	if (raw >= e->last_raw) {
		e->last_raw = raw;
	} else {
		uint64_t drop = e->last_raw - raw;
		if (policy && policy->wrap_bits == 32 && e->last_raw <= UINT32_MAX &&
		    drop > ((uint64_t)1 << 31)) {
			e->offset += (uint64_t)1 << 32;
			e->last_raw = raw;
		} else if (policy && drop <= policy->jitter) {
			/* hold at the previous reading */
		} else {
			e->offset += e->last_raw;
			e->last_raw = raw;
		}
	}
	return e->offset + e->last_raw;
}

void counter_map_keep(struct counter_map *m, const char *prefix)
{
	size_t n = strlen(prefix);
	for (size_t i = 0; i < m->size; i++)
		if (m->slots[i].key && strncmp(m->slots[i].key, prefix, n) == 0)
			m->slots[i].epoch = m->epoch;
}

void counter_map_sweep(struct counter_map *m)
{
	size_t stale = 0;
	for (size_t i = 0; i < m->size; i++)
		if (m->slots[i].key && m->slots[i].epoch != m->epoch)
			stale++;
	if (stale)
		rehash(m, m->size, 1);
	m->epoch++;
}
