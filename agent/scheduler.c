/*
 * scheduler.c -- worker threads, one per enabled target (see scheduler.h).
 *
 * A worker is shared by its thread and the scheduler (reference count).
 * Workers are detached: stopping one sets its flag, wakes it and drops the
 * scheduler's reference; the thread finishes its current cycle, frees its
 * collector and leaves.  The scheduler counts live threads so that
 * shutdown can wait for them with a time limit.
 */
#include "autoconfig.h"
#include "scheduler.h"
#include "collector.h"
#include "config.h"
#include "exposition.h"
#include "log.h"
#include "memtrim.h"
#include "metrics.h"
#include "store.h"
#include "strutil.h"
#include "xalloc.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include "banned.h"

#define RETRY_FIRST_MS 1000
#define WORKER_STACK_SIZE (256 * 1024)

/* What one target needs to run a cycle; used by workers and by --once. */
struct target_run {
	const struct config_section *section;
	const struct collector *collector;
	const struct target_common *common;
	void *instance;
	struct batch *batch;
	int up;                       /* last cycle's outcome, -1 before the first */
	uint64_t errors, skipped, cycles;
	double cpu_seconds;           /* spent on this target by the agent */
	struct log_complaint complaint;
	char err[512];
};

struct scheduler;

struct worker {
	atomic_int refs;              /* the scheduler's and the thread's */
	struct scheduler *sched;
	struct config *cfg;           /* reference held while the worker lives */
	struct store_slot *slot;
	struct target_run run;
	pthread_mutex_t lock;
	pthread_cond_t wake;          /* CLOCK_MONOTONIC; stop and finish */
	int stop;                     /* guarded by lock */
	int finished;                 /* guarded by lock: the thread is done */
	struct worker *prev;          /* the stopped worker of the same target,
				       * waited for before the first cycle */
	struct worker *next;          /* the scheduler's list */
};

struct scheduler {
	struct store *store;
	struct worker *workers;       /* main thread only */
	pthread_mutex_t lock;
	pthread_cond_t idle;          /* signalled when live drops */
	unsigned live;                /* threads not yet finished; guarded by lock */
	scheduler_observer_fn observer; /* set before the first worker starts */
	void *observer_ctx;
};

static const struct metric_desc m_up = {
	"dbpulse_up", "Whether the last collection of the target succeeded (1) or not (0).",
	METRIC_GAUGE };
static const struct metric_desc m_duration = {
	"dbpulse_collect_duration_seconds", "How long the last collection of the target took.",
	METRIC_GAUGE };
static const struct metric_desc m_errors = {
	"dbpulse_collect_errors_total", "Collections of the target that failed.", METRIC_COUNTER };
static const struct metric_desc m_skipped = {
	"dbpulse_collect_skipped_total",
	"Scheduled collections skipped because the previous one of the target was still running.",
	METRIC_COUNTER };
static const struct metric_desc m_last = {
	"dbpulse_last_collect_timestamp_seconds",
	"When the last collection of the target ended, in seconds since the epoch.", METRIC_GAUGE };
static const struct metric_desc m_cpu = {
	"dbpulse_collect_cpu_seconds_total",
	"CPU time the agent spent collecting, rendering and publishing the target.", METRIC_COUNTER };
static const struct metric_desc m_cycles = {
	"dbpulse_collections_total", "Collections of the target, successful or not.", METRIC_COUNTER };
static const struct metric_desc m_dropped = {
	"dbpulse_collect_dropped_samples",
	"Samples of the last collection dropped for an invalid name, a repeated label set or the size cap.",
	METRIC_GAUGE };

static void run_init(struct target_run *tr, const struct config_section *section)
{
	memset(tr, 0, sizeof(*tr));
	tr->section = section;
	tr->collector = section->kind->collector;
	tr->common = section->conf;
	tr->batch = batch_new();
	tr->up = -1;
}

static void run_release(struct target_run *tr)
{
	if (tr->instance)
		tr->collector->free(tr->instance);
	tr->instance = NULL;
	batch_free(tr->batch);
	tr->batch = NULL;
}

static void add_self_metrics(struct target_run *tr, int ok, double duration, double cpu,
			     uint64_t dropped)
{
	struct batch *b = tr->batch;
	const char *t = tr->section->name;
	batch_add(b, &m_up, ok, "target", t, "collector", tr->collector->name, NULL);
	batch_add(b, &m_duration, duration, "target", t, NULL);
	batch_add(b, &m_errors, (double)tr->errors, "target", t, NULL);
	batch_add(b, &m_skipped, (double)tr->skipped, "target", t, NULL);
	batch_add(b, &m_last, now_wall(), "target", t, NULL);
	batch_add(b, &m_cpu, cpu, "target", t, NULL);
	batch_add(b, &m_cycles, (double)tr->cycles, "target", t, NULL);
	batch_add(b, &m_dropped, (double)dropped, "target", t, NULL);
}

static void log_outcome(struct target_run *tr, int ok)
{
	const char *kind = tr->collector->name, *name = tr->section->name;
	if (!ok) {
		log_complain(&tr->complaint, LOG_LEVEL_WARN, kind, name, "collection failed: %s",
			     tr->err[0] ? tr->err : "unknown error");
	} else if (!log_complaint_clear(&tr->complaint, kind, name, "target is up again") &&
		   tr->up < 0) {
		log_info(kind, name, "target is up");
	}
	tr->up = ok;
}

/* The heap is the process's, so is the policy of giving its free memory
 * back (memtrim.h); the lock only orders the workers' checks. */
static struct memtrim trim_state;
static pthread_mutex_t trim_lock = PTHREAD_MUTEX_INITIALIZER;

/* After a collection: gives free heap memory back to the system when it
 * grew past what steady cycles keep (memtrim_due), not after every cycle:
 * memory given back is faulted in again by the next cycle that uses it. */
static void release_transient_memory(void)
{
	struct mallinfo2 mi = mallinfo2();
	pthread_mutex_lock(&trim_lock);
	int due = memtrim_due(&trim_state, mi.fordblks, mi.uordblks, now_mono_ms());
	pthread_mutex_unlock(&trim_lock);
	if (due)
		malloc_trim(0);
}

/*
 * Large buffers (a target's exposition text and its compressed pieces, a
 * read's rows: hundreds of KiB) stay in the heap between cycles.  glibc by
 * default maps each allocation above its moving mmap threshold afresh and
 * unmaps it when freed, and gives the heap's top back past its trim
 * threshold: every cycle then faulted the same pages in again (74 minor
 * faults and about 0.7 ms per PostgreSQL cycle of 5,500 statements,
 * bench/postgres).  A fixed mmap threshold above any cycle's buffers keeps
 * them; the trim threshold stays above what a steady cycle leaves at the
 * top of an arena (about 1 MiB for 5,500 statements) but low enough that
 * a spike's memory there goes back when freed: malloc_trim() returns the
 * free chunks inside every arena but the top of the main one only (an
 * INFO of 8 MiB kept 24 MiB resident at 64 MiB, faults_redis.sh).  The
 * rest is release_transient_memory()'s to decide.
 */
#define HEAP_MMAP_THRESHOLD (32 << 20)
#define HEAP_TRIM_THRESHOLD (4 << 20)

static void keep_heap(void)
{
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD);
}

/* Renders a batch knowing the blocks the other targets publish now, so
 * that its compressed pieces are cut where a scrape will cut them, and the
 * target's last block, whose unchanged pieces need no compressing again
 * (exposition.h). */
static struct expo_block *render_among_others(struct store *store, const struct target_run *tr,
					      const struct store_slot *slot)
{
	struct store_snapshot snap;
	store_snapshot_others(store, slot, &snap);
	struct expo_block **others = xcalloc(snap.n + 1, sizeof(struct expo_block *));
	for (size_t i = 0; i < snap.n; i++)
		others[i] = snap.entries[i]->metrics;
	struct store_entry *last = store_find(store, tr->section->kind->name, tr->section->name);
	struct expo_block *blk =
		expo_render_among(tr->batch, others, snap.n, last ? last->metrics : NULL);
	store_entry_unref(last);
	free(others);
	store_snapshot_release(&snap);
	return blk;
}

/* The family lookup of a guest's batch (metrics.h): whether a block of
 * the snapshot that is no guest's has the family.  The guest's own last
 * entry is in the snapshot too, and skipped as a guest's. */
static int served_by_others(void *ctx, const char *name)
{
	const struct store_snapshot *snap = ctx;
	for (size_t i = 0; i < snap->n; i++) {
		const struct expo_block *blk = snap->entries[i]->metrics;
		if (blk && !blk->guest && expo_block_has_family(blk, name))
			return 1;
	}
	return 0;
}

/* One collection: collect, add self-metrics, render, publish.  Returns 0
 * when the collector succeeded. */
static int run_cycle(struct target_run *tr, struct store *store, struct store_slot *slot,
		     const struct scheduler *sched)
{
	double cpu0 = thread_cpu_seconds();
	double start = now_mono();
	int64_t deadline = now_mono_ms() + tr->common->timeout_ms;
	int rc = -1;

	tr->err[0] = '\0';
	batch_reset(tr->batch);
	if (!tr->instance) {
		tr->instance = tr->collector->init(tr->section, tr->err, sizeof(tr->err));
		if (!tr->instance && !tr->err[0])
			snprintf(tr->err, sizeof(tr->err), "cannot start the collector");
	}
	if (tr->instance) {
		/* a guest sees what the other targets serve now */
		struct store_snapshot others = { 0 };
		if (tr->collector->guest) {
			store_snapshot(store, &others);
			tr->batch->others = (struct family_lookup){ served_by_others, &others };
		}
		rc = tr->collector->collect(tr->instance, tr->batch, deadline, tr->err, sizeof(tr->err));
		tr->batch->others = (struct family_lookup){ NULL, NULL };
		if (tr->collector->guest)
			store_snapshot_release(&others);
	}
	tr->cycles++;
	if (rc != 0)
		tr->errors++;
	double duration = now_mono() - start;
	uint64_t dropped = tr->batch->invalid + tr->batch->overflow;
	add_self_metrics(tr, rc == 0, duration, tr->cpu_seconds + thread_cpu_seconds() - cpu0,
			 dropped);
	struct expo_block *blk = render_among_others(store, tr, slot);
	blk->guest = tr->collector->guest;
	if (blk->truncated)
		log_error(tr->collector->name, tr->section->name,
			  "the exposition passed its size cap; nothing of this collection is published");
	if (blk->duplicates)
		log_debug(tr->collector->name, tr->section->name, "dropped %zu repeated series",
			  blk->duplicates);
	struct store_entry *entry = store_entry_new(blk);
	if (tr->instance && tr->collector->view) {
		entry->view = tr->collector->view(tr->instance);
		entry->view_kind = tr->collector->view_kind;
		entry->view_free = tr->collector->view_free;
		entry->view_json = tr->collector->view_json;
	}
	entry->up = rc == 0;
	entry->published_at = now_wall();
	entry->interval_ms = tr->common->interval_ms;
	store_publish(store, slot, entry);
	if (sched && sched->observer)
		sched->observer(sched->observer_ctx, tr->section->name, tr->batch, rc == 0);
	log_outcome(tr, rc == 0);
	batch_shed(tr->batch);
	release_transient_memory();
	tr->cpu_seconds += thread_cpu_seconds() - cpu0;
	return rc;
}

/* ---- workers ------------------------------------------------------------ */

static void worker_unref(struct worker *w);

static void worker_unref(struct worker *w)
{
	if (atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	if (w->prev)
		worker_unref(w->prev);
	run_release(&w->run);
	store_slot_release(w->slot);
	config_unref(w->cfg);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* Sleeps until the monotonic time `at_ms` or a stop; returns 1 on stop. */
static int worker_sleep(struct worker *w, int64_t at_ms)
{
	struct timespec ts = { .tv_sec = at_ms / 1000, .tv_nsec = (at_ms % 1000) * 1000000 };
	int stop;
	pthread_mutex_lock(&w->lock);
	while (!w->stop && now_mono_ms() < at_ms)
		if (pthread_cond_timedwait(&w->wake, &w->lock, &ts) == ETIMEDOUT)
			break;
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

/* A target whose settings changed gets a new worker while the old one may
 * still be collecting: the new one starts only when the old one is done, so
 * that a target is never collected twice at once.  Returns 1 on stop. */
static int worker_wait_prev(struct worker *w)
{
	struct worker *p = w->prev;
	if (!p)
		return 0;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (!p->finished) {
			int64_t at = now_mono_ms() + 100;
			struct timespec ts = { .tv_sec = at / 1000, .tv_nsec = (at % 1000) * 1000000 };
			pthread_cond_timedwait(&p->wake, &p->lock, &ts);
		}
		int done = p->finished;
		pthread_mutex_unlock(&p->lock);
		if (done)
			break;
		if (worker_sleep(w, 0))
			return 1;
	}
	w->prev = NULL;
	worker_unref(p);
	return 0;
}

/*
 * Where in its interval a target collects, from its kind and name: targets
 * on the same interval spread over it, as Prometheus spreads its scrapes,
 * instead of all collecting, publishing and holding their transient memory
 * at the same moment (and a scrape right after a publish finds the
 * machine busy with the rest).  In (0, interval]: the first collection
 * runs at once, the second this much later, never later than an interval.
 */
int64_t scheduler_phase_ms(const char *kind, const char *name, int64_t interval_ms)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = kind; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return interval_ms - (int64_t)(h % (uint64_t)interval_ms);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct target_run *tr = &w->run;
	struct scheduler *s = w->sched;
	int64_t interval = tr->common->interval_ms;
	int64_t retry = RETRY_FIRST_MS;
	int stopped = worker_wait_prev(w);
	int64_t next = now_mono_ms();
	/* the first step's */
	int64_t phase = scheduler_phase_ms(tr->section->kind->name, tr->section->name, interval) -
			interval;

	while (!stopped && !worker_sleep(w, next)) {
		int rc = run_cycle(tr, s->store, w->slot, s);
		int64_t now = now_mono_ms();
		if (rc == 0) {
			retry = RETRY_FIRST_MS;
			next += interval + phase;
			phase = 0;
			while (next <= now) {
				next += interval;
				tr->skipped++;
			}
		} else {
			next = now + (retry < interval ? retry : interval);
			if (retry < interval)
				retry *= 2;
		}
	}
	/* Everything the thread owns goes before it counts itself out: once
	 * live drops, scheduler_stop() returns and the caller may free the
	 * store and the scheduler. */
	run_release(tr);
	pthread_mutex_lock(&w->lock);
	w->finished = 1;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	worker_unref(w);
	pthread_mutex_lock(&s->lock);
	s->live--;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Starts a worker for sec; prev, if any, is the stopped worker of the same
 * target, whose reference the new worker takes over. */
static int worker_start(struct scheduler *s, struct config *cfg, const struct config_section *sec,
			struct worker *prev)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	atomic_init(&w->refs, 2);
	w->sched = s;
	w->prev = prev;
	w->cfg = config_ref(cfg);
	run_init(&w->run, sec);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	w->slot = store_slot_add(s->store, sec->kind->name, sec->name);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, WORKER_STACK_SIZE);
	pthread_mutex_lock(&s->lock);
	s->live++;
	pthread_mutex_unlock(&s->lock);
	pthread_t tid;
	int rc = pthread_create(&tid, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_error("scheduler", sec->name, "cannot start a thread: %s", strerror(rc));
		pthread_mutex_lock(&s->lock);
		s->live--;
		pthread_mutex_unlock(&s->lock);
		store_slot_remove(s->store, w->slot);
		w->prev = NULL; /* the caller keeps its reference */
		atomic_store(&w->refs, 1);
		worker_unref(w);
		return -1;
	}
	w->next = s->workers;
	s->workers = w;
	return 0;
}

static void worker_stop(struct scheduler *s, struct worker *w)
{
	store_slot_remove(s->store, w->slot);
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	worker_unref(w);
}

struct scheduler *scheduler_new(struct store *store)
{
	static pthread_once_t heap_once = PTHREAD_ONCE_INIT;
	pthread_once(&heap_once, keep_heap);
	struct scheduler *s = xcalloc(1, sizeof(*s));
	s->store = store;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->idle, &ca);
	pthread_condattr_destroy(&ca);
	return s;
}

static int target_enabled(const struct config_section *sec)
{
	return sec->kind->collector && ((const struct target_common *)sec->conf)->enabled;
}

static int same_target(const struct config_section *a, const struct config_section *b)
{
	return a->kind == b->kind && strcmp(a->name, b->name) == 0;
}

void scheduler_apply(struct scheduler *s, struct config *cfg)
{
	/* stop what is gone or changed, keeping a reference to each stopped
	 * worker so that its replacement can wait for it */
	struct worker *stopped = NULL;
	struct worker **pp = &s->workers;
	while (*pp) {
		struct worker *w = *pp;
		const struct config_section *now =
			config_find(cfg, w->run.section->kind->name, w->run.section->name);
		if (now && target_enabled(now) && config_section_same(now, w->run.section)) {
			pp = &w->next;
			continue;
		}
		log_info("scheduler", w->run.section->name, "stopping %s",
			 now && target_enabled(now) ? "to apply its new settings" : "(removed or disabled)");
		*pp = w->next;
		atomic_fetch_add(&w->refs, 1);
		worker_stop(s, w);
		/* the reference taken above keeps w alive through worker_stop(),
		 * which drops only the scheduler's: the analyzer does not follow
		 * reference counts */
		w->next = stopped; // NOLINT(clang-analyzer-unix.Malloc)
		stopped = w;
	}
	/* start what is new */
	for (size_t i = 0; i < cfg->nsections; i++) {
		const struct config_section *sec = &cfg->sections[i];
		if (!target_enabled(sec))
			continue;
		int running = 0;
		for (struct worker *w = s->workers; w; w = w->next)
			if (same_target(w->run.section, sec))
				running = 1;
		if (running)
			continue;
		struct worker *prev = NULL;
		for (struct worker **sp = &stopped; *sp; sp = &(*sp)->next) {
			if (same_target((*sp)->run.section, sec)) {
				prev = *sp;
				*sp = prev->next;
				break;
			}
		}
		if (worker_start(s, cfg, sec, prev) < 0 && prev)
			worker_unref(prev);
	}
	while (stopped) {
		struct worker *w = stopped;
		stopped = w->next;
		worker_unref(w);
	}
}

void scheduler_set_observer(struct scheduler *s, scheduler_observer_fn fn, void *ctx)
{
	s->observer = fn;
	s->observer_ctx = ctx;
}

unsigned scheduler_count(struct scheduler *s)
{
	unsigned n = 0;
	for (struct worker *w = s->workers; w; w = w->next)
		n++;
	return n;
}

int scheduler_stop(struct scheduler *s, int64_t timeout_ms)
{
	while (s->workers) {
		struct worker *w = s->workers;
		s->workers = w->next;
		worker_stop(s, w);
	}
	int64_t end = now_mono_ms() + timeout_ms;
	struct timespec ts = { .tv_sec = end / 1000, .tv_nsec = (end % 1000) * 1000000 };
	pthread_mutex_lock(&s->lock);
	while (s->live > 0)
		if (pthread_cond_timedwait(&s->idle, &s->lock, &ts) == ETIMEDOUT)
			break;
	int left = (int)s->live;
	pthread_mutex_unlock(&s->lock);
	return left ? -1 : 0;
}

void scheduler_free(struct scheduler *s)
{
	if (!s)
		return;
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int scheduler_run_once(const struct config *cfg, struct store *store)
{
	int failed = 0;
	for (size_t i = 0; i < cfg->nsections; i++) {
		const struct config_section *sec = &cfg->sections[i];
		if (!target_enabled(sec))
			continue;
		struct target_run tr;
		run_init(&tr, sec);
		struct store_slot *slot = store_slot_add(store, sec->kind->name, sec->name);
		if (run_cycle(&tr, store, slot, NULL) != 0)
			failed++;
		store_slot_release(slot);
		run_release(&tr);
	}
	return failed;
}
