/*
 * metrics.h -- a batch of samples, the one thing a collector produces.
 *
 * A collector fills a batch during one collection; the scheduler then hands
 * it to the exposition renderer and the store.  A sample is a metric family
 * (name, help, type), a set of labels and a value.  The batch copies every
 * string it is given, so callers may pass stack buffers.  It knows nothing of
 * the Prometheus text format: escaping and ordering happen when it is
 * rendered (agent/exposition.h).
 *
 * A batch is used by one thread at a time.  Invalid metric or label names
 * are dropped and counted (`invalid`) rather than breaking the exposition,
 * and a batch that reaches its cap drops further samples (`overflow`).
 */
#ifndef DBPULSE_METRICS_H
#define DBPULSE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "name_index.h"

enum metric_type { METRIC_GAUGE, METRIC_COUNTER, METRIC_UNTYPED, METRIC_SUMMARY, METRIC_HISTOGRAM };

/* Which sample of its family a sample is: the family's own name (a gauge,
 * a counter, a summary's quantile), or the name with a suffix, as the
 * text format writes the parts of summaries and histograms. */
enum metric_part { METRIC_PART_VALUE, METRIC_PART_SUM, METRIC_PART_COUNT, METRIC_PART_BUCKET };

/* A static description of a family, usually a file-level const. */
struct metric_desc {
	const char *name;
	const char *help;
	enum metric_type type;
};

struct batch_family {
	uint32_t name_off;     /* into strings */
	uint32_t help_off;
	enum metric_type type;
};

struct batch_sample {
	uint32_t family;       /* index into families */
	uint32_t labels_off;   /* packed "name\0value\0..." in strings */
	uint32_t labels_len;
	uint16_t nlabels;
	uint16_t part;         /* enum metric_part */
	double value;
};

/* Whether a family of that name is served by another target now: set by
 * the scheduler, during a collection, for a guest collector (collector.h),
 * which leaves out its own families of those names. */
struct family_lookup {
	int (*served)(void *ctx, const char *name);
	void *ctx;
};

struct batch {
	struct buf strings;
	struct batch_family *families;
	size_t nfamilies, families_alloc;
	struct batch_sample *samples;
	size_t nsamples, samples_alloc;
	struct name_index index; /* of the families, by name */
	size_t last_family;    /* fast path for consecutive adds */
	size_t max_samples;
	uint64_t invalid;      /* samples dropped for a bad metric or label name */
	uint64_t overflow;     /* samples dropped at the cap */
	struct family_lookup others; /* kept by batch_reset; see above */
	size_t strings_hint, samples_hint; /* sizes before batch_shed */
};

#define BATCH_DEFAULT_MAX_SAMPLES 500000

struct batch *batch_new(void);
void batch_free(struct batch *b);
/* Empties the batch for reuse, keeping its memory. */
void batch_reset(struct batch *b);
/* Empties the batch and frees its memory between two uses, remembering
 * how large it was: the next batch_reset reserves that much at once, so
 * the next fill does not grow it step by step.  A target's batch is
 * filled for a few milliseconds per interval; shed in between, its
 * memory serves the other targets' cycles instead of waiting idle. */
void batch_shed(struct batch *b);

/*
 * Adds one sample of family d with the given label pairs, ended by NULL:
 *   batch_add(b, &cpu_seconds, 12.5, "cpu", "0", "mode", "user", NULL);
 * Returns 0, or -1 if the sample was dropped (invalid name or cap).
 */
int batch_add(struct batch *b, const struct metric_desc *d, double value, ...)
	__attribute__((sentinel));
/* Same with a family name built at run time (e.g. node_memory_*_bytes). */
int batch_add_named(struct batch *b, const char *name, const char *help,
		    enum metric_type type, double value, ...) __attribute__((sentinel));
/* The array form: labels holds nlabels name/value pairs (2*nlabels strings). */
int batch_addv(struct batch *b, const char *name, const char *help, enum metric_type type,
	       double value, const char *const *labels, size_t nlabels);

/* The same for a part of a summary or histogram family (its _sum, _count
 * or _bucket sample; a summary's quantiles and the other types' samples
 * are METRIC_PART_VALUE).  A bucket carries its "le" label, a quantile its
 * "quantile" label, among labels. */
int batch_addv_part(struct batch *b, const char *name, const char *help, enum metric_type type,
		    enum metric_part part, double value, const char *const *labels,
		    size_t nlabels);

/* Adds copies of every sample of src (kept from an earlier collection,
 * say) to b.  Returns 0, or -1 if some were dropped. */
int batch_append(struct batch *b, const struct batch *src);

static inline const char *batch_str(const struct batch *b, uint32_t off)
{
	return b->strings.data + off;
}

/* The index of the family of that name, or -1. */
long batch_find_family(const struct batch *b, const char *name);

/* Whether another target serves a family of that name (0 when the
 * batch has no lookup: a collector that is no guest). */
int batch_served_elsewhere(const struct batch *b, const char *name);

/* Name checks of the Prometheus data model. */
int metric_name_valid(const char *name);
int label_name_valid(const char *name);

/*
 * Caps on outside data.  Every buffer that holds what a server or a
 * receiver sent has a cap (a constant beside the code that applies it);
 * reaching one is never a crash or unbounded growth but a counted event:
 *
 *   dbpulse_limit_reached_total{limit="redis_reply_bytes", target="cache"}
 *
 * One struct limit_counts per owner (a collector instance, a receiver),
 * over that owner's list of limit names.  limit_reached() counts a hit and,
 * the first time for that owner and limit, logs at warn why; later hits are
 * only counted.  limit_counts_add() exports every limit of the owner, zeros
 * included, with the owner in the label given (`target`, `receiver`).
 * Counting and exporting may happen on different threads.
 */
#define LIMIT_COUNTS_MAX 12

struct limit_counts {
	const char *const *names;     /* indexed by the owner's enum; NULL-terminated */
	size_t n;
	_Atomic unsigned long long hits[LIMIT_COUNTS_MAX];
	_Atomic int logged[LIMIT_COUNTS_MAX];
};

/* names: the owner's limit names, NULL-terminated, at most
 * LIMIT_COUNTS_MAX; a static array (it is not copied). */
void limit_counts_init(struct limit_counts *c, const char *const *names);
/* Counts n hits of limit (an index into names; n may be 0, which only
 * logs) and logs fmt once per limit: module and target as in log.h. */
void limit_reached_n(struct limit_counts *c, size_t limit, uint64_t n, const char *module,
		     const char *target, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define limit_reached(c, limit, module, target, ...) \
	limit_reached_n((c), (limit), 1, (module), (target), __VA_ARGS__)
uint64_t limit_count(const struct limit_counts *c, size_t limit);
/* dbpulse_limit_reached_total of every limit, with owner_label=owner. */
void limit_counts_add(const struct limit_counts *c, struct batch *b, const char *owner_label,
		      const char *owner);

#endif
