/*
 * batch_samples.h -- finding a sample in a collector's batch by its name and
 * labels, for the unit tests that run a collector and check what it
 * produced.  Include after <cmocka.h>.
 */
#ifndef DBPULSE_BATCH_SAMPLES_H
#define DBPULSE_BATCH_SAMPLES_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "metrics.h"

#define SAMPLE_MAX_LABELS 16

/* The sample of family name in b with exactly the labels in ap (name, value
 * pairs, NULL-terminated; at most SAMPLE_MAX_LABELS pairs are looked at),
 * the first if there are several; NULL when there is none.  It points into
 * b. */
static inline const struct batch_sample *sample_vfind(const struct batch *b, const char *name,
						      va_list ap)
{
	const char *want[2 * SAMPLE_MAX_LABELS];
	size_t nw = 0;
	const char *s;
	while ((s = va_arg(ap, const char *)) != NULL && nw < 2 * SAMPLE_MAX_LABELS)
		want[nw++] = s;
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct batch_sample *sm = &b->samples[i];
		if (strcmp(batch_str(b, b->families[sm->family].name_off), name) != 0 ||
		    sm->nlabels != nw / 2)
			continue;
		const char *p = batch_str(b, sm->labels_off);
		size_t ok = 0;
		for (uint32_t l = 0; l < sm->nlabels; l++) {
			const char *v = p + strlen(p) + 1;
			for (size_t w = 0; w + 1 < nw; w += 2)
				ok += strcmp(p, want[w]) == 0 && strcmp(v, want[w + 1]) == 0;
			p = v + strlen(v) + 1;
		}
		if (ok == nw / 2)
			return sm;
	}
	return NULL;
}

/* The value of that sample (labels as for sample_vfind); NAN when there is
 * none. */
static inline double sample_value(const struct batch *b, const char *name, ...)
{
	va_list ap;
	va_start(ap, name);
	const struct batch_sample *sm = sample_vfind(b, name, ap);
	va_end(ap);
	return sm ? sm->value : NAN;
}

/* The same, but the test fails when there is no such sample. */
static inline double sample_value_must(const struct batch *b, const char *name, ...)
{
	va_list ap;
	va_start(ap, name);
	const struct batch_sample *sm = sample_vfind(b, name, ap);
	va_end(ap);
	if (!sm)
		fail_msg("no sample %s with those labels", name);
	return sm ? sm->value : NAN;
}

#endif
