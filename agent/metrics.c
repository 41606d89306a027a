/*
 * metrics.c -- batches of samples, and the counts of caps reached on
 * outside data (see metrics.h).  A batch is used by one thread at a time;
 * limit counts are atomics, counted by their owner's thread and read by
 * scrapes.
 */
#include "autoconfig.h"
#include "metrics.h"
#include "buf.h"
#include "log.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

#define BATCH_MAX_LABELS 32
#define BATCH_STRINGS_CAP ((size_t)256 << 20)

struct batch *batch_new(void)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	buf_init(&b->strings, BATCH_STRINGS_CAP);
	b->max_samples = BATCH_DEFAULT_MAX_SAMPLES;
	return b;
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	buf_release(&b->strings);
	free(b->families);
	free(b->samples);
	name_index_free(&b->index);
	free(b);
}

void batch_reset(struct batch *b)
{
	buf_reset(&b->strings);
	if (b->strings_hint && !b->strings.alloc)
		buf_reserve(&b->strings, b->strings_hint);
	if (b->samples_hint && !b->samples) {
		b->samples = xmalloc(b->samples_hint * sizeof(*b->samples));
		b->samples_alloc = b->samples_hint;
	}
	b->nfamilies = 0;
	b->nsamples = 0;
	b->last_family = 0;
	b->invalid = 0;
	b->overflow = 0;
	name_index_clear(&b->index);
}

void batch_shed(struct batch *b)
{
	b->strings_hint = b->strings.len + b->strings.len / 8;
	b->samples_hint = b->nsamples + b->nsamples / 8;
	buf_release(&b->strings);
	free(b->families);
	b->families = NULL;
	b->families_alloc = 0;
	free(b->samples);
	b->samples = NULL;
	b->samples_alloc = 0;
	name_index_free(&b->index);
	b->nfamilies = 0;
	b->nsamples = 0;
	b->last_family = 0;
}

int batch_served_elsewhere(const struct batch *b, const char *name)
{
	return b->others.served ? b->others.served(b->others.ctx, name) : 0;
}

int metric_name_valid(const char *name)
{
	if (!name || !*name)
		return 0;
	for (const char *p = name; *p; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
			 (p != name && c >= '0' && c <= '9');
		if (!ok)
			return 0;
	}
	return 1;
}

int label_name_valid(const char *name)
{
	if (!name || !*name || (name[0] == '_' && name[1] == '_'))
		return 0;
	for (const char *p = name; *p; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			 (p != name && c >= '0' && c <= '9');
		if (!ok)
			return 0;
	}
	return 1;
}

static const char *family_name_at(const void *batch, size_t i)
{
	const struct batch *b = batch;
	return batch_str(b, b->families[i].name_off);
}

static int put_string(struct batch *b, const char *s, uint32_t *off)
{
	size_t at = b->strings.len;
	if (buf_append(&b->strings, s, strlen(s) + 1) < 0)
		return -1;
	*off = (uint32_t)at;
	return 0;
}

/* Finds or creates the family; returns its index or -1. */
static long family_get(struct batch *b, const char *name, const char *help, enum metric_type type)
{
	if (b->nfamilies && strcmp(batch_str(b, b->families[b->last_family].name_off), name) == 0)
		return (long)b->last_family;
	long found = name_index_find(&b->index, name, strlen(name), family_name_at, b);
	if (found >= 0) {
		b->last_family = (size_t)found;
		return found;
	}
	if (!metric_name_valid(name))
		return -1;
	struct batch_family f = { .type = type };
	if (put_string(b, name, &f.name_off) < 0 || put_string(b, help ? help : "", &f.help_off) < 0)
		return -1;
	b->families = xgrow(b->families, &b->families_alloc, b->nfamilies + 1, sizeof(*b->families));
	b->families[b->nfamilies] = f;
	size_t fam = b->nfamilies++;
	name_index_add(&b->index, b->nfamilies, family_name_at, b);
	b->last_family = fam;
	return (long)fam;
}

long batch_find_family(const struct batch *b, const char *name)
{
	return name_index_find(&b->index, name, strlen(name), family_name_at, b);
}

int batch_addv(struct batch *b, const char *name, const char *help, enum metric_type type,
	       double value, const char *const *labels, size_t nlabels)
{
	return batch_addv_part(b, name, help, type, METRIC_PART_VALUE, value, labels, nlabels);
}

int batch_addv_part(struct batch *b, const char *name, const char *help, enum metric_type type,
		    enum metric_part part, double value, const char *const *labels, size_t nlabels)
{
	if (b->nsamples >= b->max_samples || nlabels > BATCH_MAX_LABELS) {
		b->overflow++;
		return -1;
	}
	for (size_t i = 0; i < nlabels; i++) {
		if (!label_name_valid(labels[2 * i]) || !labels[2 * i + 1]) {
			b->invalid++;
			return -1;
		}
	}
	long fam = family_get(b, name, help, type);
	if (fam < 0) {
		if (b->strings.overflow)
			b->overflow++;
		else
			b->invalid++;
		return -1;
	}
	size_t start = b->strings.len;
	for (size_t i = 0; i < 2 * nlabels; i++) {
		uint32_t off;
		if (put_string(b, labels[i], &off) < 0) {
			buf_truncate(&b->strings, start);
			b->overflow++;
			return -1;
		}
	}
	b->samples = xgrow(b->samples, &b->samples_alloc, b->nsamples + 1, sizeof(*b->samples));
	b->samples[b->nsamples++] = (struct batch_sample){
		.family = (uint32_t)fam,
		.labels_off = (uint32_t)start,
		.labels_len = (uint32_t)(b->strings.len - start),
		.nlabels = (uint16_t)nlabels,
		.part = (uint16_t)part,
		.value = value,
	};
	return 0;
}

static int batch_vadd(struct batch *b, const char *name, const char *help, enum metric_type type,
		      double value, va_list ap)
{
	const char *labels[2 * BATCH_MAX_LABELS + 2];
	size_t n = 0;
	const char *s;
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (n >= 2 * BATCH_MAX_LABELS) {
			b->overflow++;
			return -1;
		}
		labels[n++] = s;
	}
	if (n % 2) {
		b->invalid++;
		return -1;
	}
	return batch_addv(b, name, help, type, value, labels, n / 2);
}

int batch_add(struct batch *b, const struct metric_desc *d, double value, ...)
{
	va_list ap;
	va_start(ap, value);
	int rc = batch_vadd(b, d->name, d->help, d->type, value, ap);
	va_end(ap);
	return rc;
}

int batch_add_named(struct batch *b, const char *name, const char *help, enum metric_type type,
		    double value, ...)
{
	va_list ap;
	va_start(ap, value);
	int rc = batch_vadd(b, name, help, type, value, ap);
	va_end(ap);
	return rc;
}

int batch_append(struct batch *b, const struct batch *src)
{
	int rc = 0;
	const char *labels[2 * BATCH_MAX_LABELS];
	for (size_t i = 0; i < src->nsamples; i++) {
		const struct batch_sample *s = &src->samples[i];
		const struct batch_family *f = &src->families[s->family];
		const char *p = batch_str(src, s->labels_off);
		size_t nlabels = s->nlabels;
		if (nlabels > BATCH_MAX_LABELS) { /* never made by batch_addv; labels[] holds no more */
			b->overflow++;
			rc = -1;
			continue;
		}
		for (size_t k = 0; k < nlabels; k++) { /* name, value */
			labels[2 * k] = p;
			p += strlen(p) + 1;
			labels[2 * k + 1] = p;
			p += strlen(p) + 1;
		}
		if (batch_addv_part(b, batch_str(src, f->name_off), batch_str(src, f->help_off),
				    f->type, (enum metric_part)s->part, s->value, labels, nlabels) < 0)
			rc = -1;
	}
	return rc;
}

/* ---- caps reached --------------------------------------------------------- */

static const struct metric_desc m_limit_reached = {
	"dbpulse_limit_reached_total",
	"Times a cap on data from outside (a server's reply, a receiver's answer, a queue) was reached: "
	"the data was cut, dropped or refused.",
	METRIC_COUNTER };
/* Receivers' limits are a family of their own: they are rendered with the
 * agent's own metrics, after the targets' blocks, and one family must not
 * appear in two places of an exposition. */
static const struct metric_desc m_webhook_limit_reached = {
	"dbpulse_webhook_limit_reached_total",
	"Times a cap on a receiver's data (its outbox, its answer) was reached: the data was cut or "
	"refused.",
	METRIC_COUNTER };

void limit_counts_init(struct limit_counts *c, const char *const *names)
{
	memset(c, 0, sizeof(*c));
	c->names = names;
	while (c->n < LIMIT_COUNTS_MAX && names[c->n])
		c->n++;
	for (size_t i = 0; i < LIMIT_COUNTS_MAX; i++) {
		atomic_init(&c->hits[i], 0);
		atomic_init(&c->logged[i], 0);
	}
}

void limit_reached_n(struct limit_counts *c, size_t limit, uint64_t n, const char *module,
		     const char *target, const char *fmt, ...)
{
	if (limit >= c->n)
		return;
	atomic_fetch_add(&c->hits[limit], n);
	if (atomic_exchange(&c->logged[limit], 1))
		return;
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn(module, target, "%s (counted in dbpulse_*limit_reached_total{limit=\"%s\"}, "
		 "logged only once)", why, c->names[limit]);
}

uint64_t limit_count(const struct limit_counts *c, size_t limit)
{
	return limit < c->n ? atomic_load(&c->hits[limit]) : 0;
}

void limit_counts_add(const struct limit_counts *c, struct batch *b, const char *owner_label,
		      const char *owner)
{
	const struct metric_desc *d =
		strcmp(owner_label, "receiver") == 0 ? &m_webhook_limit_reached : &m_limit_reached;
	for (size_t i = 0; i < c->n; i++)
		batch_add(b, d, (double)atomic_load(&c->hits[i]), "limit",
			  c->names[i], owner_label, owner, NULL);
}
