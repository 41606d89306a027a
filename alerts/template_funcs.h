/*
 * template_funcs.h -- the functions annotation templates call
 * (template_funcs.c), for template.c only: other modules use template.h.
 * Each appends its text to out.
 */
#ifndef DBPULSE_TEMPLATE_FUNCS_H
#define DBPULSE_TEMPLATE_FUNCS_H

#include <stddef.h>

#include "buf.h"

/* A pipeline's value: a number, or a string (str, owned by the value). */
struct value {
	int is_num;
	double num;
	struct buf str;
};

/* The value as a number (a string is parsed, NaN when it is none) and as
 * text (a number as Go's %v). */
double template_value_num(const struct value *v);
void template_value_str(const struct value *v, struct buf *out);

/* Go's %.4g (C's, with Go's spelling of NaN and infinities), then suffix:
 * humanizePercentage is template_g4(out, v * 100, "%"). */
void template_g4(struct buf *out, double v, const char *suffix);
/* Prometheus' humanize (SI prefixes: 1.5k, 2.3m), humanize1024 (ki, Mi...),
 * humanizeDuration (1d 2h 3m 4s, 150ms) and humanizeTimestamp (Go's
 * time.Time String() in UTC). */
void template_humanize(struct buf *out, double v);
void template_humanize1024(struct buf *out, double v);
void template_humanize_duration(struct buf *out, double v);
void template_humanize_timestamp(struct buf *out, double v);

/* Checks a printf format at parse time: only the verbs template_printf()
 * renders, with a bounded width and precision; 0, or -1 with err set. */
int template_printf_check(const char *f, char *err, size_t errlen);
/* Go's fmt.Sprintf(f, args...) for a format template_printf_check()
 * accepted. */
void template_printf(struct buf *out, const char *f, const struct value *args, size_t nargs);

#endif
