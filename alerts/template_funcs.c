/*
 * template_funcs.c -- what annotation templates call (template_funcs.h):
 * Go's %v of a value (template_format_value, template.h), Prometheus'
 * humanize, humanize1024, humanizePercentage, humanizeDuration and
 * humanizeTimestamp (following its template/template.go), and printf with
 * Go's verbs.  Pure functions from a value to a buffer, called by
 * template.c while it renders (the engine's lock held) and checks a
 * printf format at parse time.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "strutil.h"
#include "template.h"
#include "template_funcs.h"
#include "banned.h"

/* ---- values ------------------------------------------------------------------ */

static void go_exp(struct buf *out, int e)
{
	buf_printf(out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
}

/* Shortest digits of v (v finite, != 0): digits into d, decimal exponent
 * (as in d[0].d[1..] x 10^exp) returned. */
static int go_digits(double v, char d[32], size_t *nd)
{
	char s[40];
	snprintf(s, sizeof(s), "%.*e", shortest_digits(v) - 1, v);
	const char *m = s + (s[0] == '-');
	size_t n = 0;
	for (; *m && *m != 'e'; m++)
		if (isdigit((unsigned char)*m))
			d[n++] = *m;
	while (n > 1 && d[n - 1] == '0')
		n--;
	d[n] = '\0';
	*nd = n;
	return (int)strtol(m + 1, NULL, 10); /* the exponent of our own %e */
}

void template_format_value(double v, struct buf *out)
{
	const char *name = nonfinite_name(v);
	if (name) {
		buf_puts(out, name);
		return;
	}
	if (v == 0) {
		buf_puts(out, signbit(v) ? "-0" : "0");
		return;
	}
	char d[32];
	size_t nd;
	int x = go_digits(v, d, &nd);
	int dp = x + 1;
	int eprec = 6;
	if (eprec > (int)nd && (int)nd >= dp)
		eprec = (int)nd;
	if (v < 0)
		buf_putc(out, '-');
	if (x < -4 || x >= eprec) {
		buf_putc(out, d[0]);
		if (nd > 1) {
			buf_putc(out, '.');
			buf_puts(out, d + 1);
		}
		go_exp(out, x);
		return;
	}
	if (dp <= 0) {
		buf_puts(out, "0.");
		for (int i = 0; i < -dp; i++)
			buf_putc(out, '0');
		buf_puts(out, d);
		return;
	}
	for (int i = 0; i < dp; i++)
		buf_putc(out, (char)(i < (int)nd ? d[i] : '0'));
	if ((int)nd > dp) {
		buf_putc(out, '.');
		buf_puts(out, d + dp);
	}
}

/* Go's %.4g (C's, with Go's spelling of NaN and infinities). */
void template_g4(struct buf *out, double v, const char *suffix)
{
	if (isnan(v))
		buf_printf(out, "NaN%s", suffix);
	else if (isinf(v))
		buf_printf(out, "%s%s", v > 0 ? "+Inf" : "-Inf", suffix);
	else
		buf_printf(out, "%.4g%s", v, suffix);
}

void template_humanize(struct buf *out, double v)
{
	static const char *const big[] = { "k", "M", "G", "T", "P", "E", "Z", "Y" };
	static const char *const small[] = { "m", "u", "n", "p", "f", "a", "z", "y" };
	const char *prefix = "";
	if (v == 0 || isnan(v) || isinf(v)) {
		template_g4(out, v, "");
		return;
	}
	if (fabs(v) >= 1) {
		for (size_t i = 0; i < 8 && fabs(v) >= 1000; i++) {
			prefix = big[i];
			v /= 1000;
		}
	} else {
		for (size_t i = 0; i < 8 && fabs(v) < 1; i++) {
			prefix = small[i];
			v *= 1000;
		}
	}
	template_g4(out, v, prefix);
}

void template_humanize1024(struct buf *out, double v)
{
	static const char *const p[] = { "ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi" };
	const char *prefix = "";
	if (fabs(v) <= 1 || isnan(v) || isinf(v)) {
		template_g4(out, v, "");
		return;
	}
	for (size_t i = 0; i < 8 && fabs(v) >= 1024; i++) {
		prefix = p[i];
		v /= 1024;
	}
	template_g4(out, v, prefix);
}

void template_humanize_duration(struct buf *out, double v)
{
	static const char *const small[] = { "m", "u", "n", "p", "f", "a", "z", "y" };
	if (isnan(v) || isinf(v)) {
		template_g4(out, v, "");
		return;
	}
	if (v == 0) {
		template_g4(out, v, "s");
		return;
	}
	if (fabs(v) >= 1) {
		const char *sign = v < 0 ? "-" : "";
		v = fabs(v);
		/* Converting 2^63 or more to int64_t is undefined (Go's int64()
		 * turns it into MinInt64, so Prometheus prints negative nonsense
		 * days); such a duration is just the number of seconds. */
		if (!(v < 0x1p63)) {
			buf_printf(out, "%s%.4gs", sign, v);
			return;
		}
		int64_t d = (int64_t)v;
		int64_t secs = d % 60, mins = (d / 60) % 60, hours = (d / 3600) % 24, days = d / 86400;
		if (days)
			buf_printf(out, "%s%lldd %lldh %lldm %llds", sign, (long long)days, (long long)hours,
				   (long long)mins, (long long)secs);
		else if (hours)
			buf_printf(out, "%s%lldh %lldm %llds", sign, (long long)hours, (long long)mins,
				   (long long)secs);
		else if (mins)
			buf_printf(out, "%s%lldm %llds", sign, (long long)mins, (long long)secs);
		else
			buf_printf(out, "%s%.4gs", sign, v);
		return;
	}
	const char *prefix = "";
	for (size_t i = 0; i < 8 && fabs(v) < 1; i++) {
		prefix = small[i];
		v *= 1000;
	}
	buf_printf(out, "%.4g%ss", v, prefix);
}

/* Whether v seconds since the epoch is a time Prometheus can show: its
 * floatToTime wants v * 1e9 within int64 (years 1678 to 2262), and
 * refuses NaN, infinities and anything else.  Within that range floor(v)
 * also fits a 64-bit time_t; a 32-bit one holds less. */
static int timestamp_in_range(double v)
{
	if (isnan(v) || isinf(v))
		return 0;
	double ns = v * 1e9;
	if (fabs(ns) > 9223372036854775808.0) /* 2^63 */
		return 0;
	return sizeof(time_t) >= 8 || fabs(v) < 2147483647.0;
}

/* Go's time.Time String() in UTC: 2006-01-02 15:04:05.999999999 +0000 UTC */
void template_humanize_timestamp(struct buf *out, double v)
{
	/* Prometheus prints NaN and infinities as numbers (and fails the
	 * whole template for other values it cannot convert); we print those
	 * as numbers too, rather than cast them to time_t, which is undefined */
	if (!timestamp_in_range(v)) {
		template_g4(out, v, "");
		return;
	}
	time_t secs = (time_t)floor(v);
	/* Prometheus rounds the fraction to milliseconds (floatToTime) */
	long nanos = lround((v - floor(v)) * 1e3) * 1000000L;
	if (nanos >= 1000000000L) {
		secs++;
		nanos -= 1000000000L;
	}
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {   /* its year would not fit an int */
		template_g4(out, v, "");
		return;
	}
	char s[64];
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	buf_puts(out, s);
	if (nanos) {
		char frac[24];
		snprintf(frac, sizeof(frac), "%09ld", nanos);
		size_t n = 9;
		while (n && frac[n - 1] == '0')
			n--;
		frac[n] = '\0';
		buf_printf(out, ".%s", frac);
	}
	buf_puts(out, " +0000 UTC");
}

double template_value_num(const struct value *v)
{
	if (v->is_num)
		return v->num;
	double d;
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%.*s", (int)v->str.len, v->str.len ? v->str.data : "");
	return parse_double(trim(tmp), &d) == 0 ? d : NAN;
}

void template_value_str(const struct value *v, struct buf *out)
{
	if (v->is_num)
		template_format_value(v->num, out);
	else if (v->str.len)
		buf_append(out, v->str.data, v->str.len);
}

/* ---- printf ---------------------------------------------------------------------- */

/* At most this many flags, and digits of width and of precision: a
 * precision like %.99999999999e makes glibc's printf allocate gigabytes,
 * and template_printf() keeps only PRINTF_SPEC_MAX bytes of a verb. */
#define PRINTF_FLAGS_MAX 5
#define PRINTF_DIGITS_MAX 4
#define PRINTF_SPEC_MAX 20

/* Checks a printf format at parse time: only the verbs we render, with
 * a bounded width and precision. */
int template_printf_check(const char *f, char *err, size_t errlen)
{
	for (; *f; f++) {
		if (*f != '%')
			continue;
		f++;
		size_t flags = strspn(f, "+- #0"), width, prec = 0;
		f += flags;
		width = strspn(f, "0123456789");
		f += width;
		if (*f == '.') {
			f++;
			prec = strspn(f, "0123456789");
			f += prec;
		}
		if (flags > PRINTF_FLAGS_MAX || width > PRINTF_DIGITS_MAX || prec > PRINTF_DIGITS_MAX) {
			snprintf(err, errlen, "printf: width and precision take at most %d digits, "
				 "and at most %d flags", PRINTF_DIGITS_MAX, PRINTF_FLAGS_MAX);
			return -1;
		}
		if (!*f || !strchr("sdfgev%", *f)) {
			snprintf(err, errlen, "printf: unsupported verb '%%%c' (use %%s %%d %%f %%g %%e %%v)",
				 *f ? *f : ' ');
			return -1;
		}
	}
	return 0;
}

/* %d of a number: its integer part, saturated at the ends of long long
 * (converting a double out of its range is undefined); 0 for NaN and the
 * infinities, as before. */
static long long printf_int(double d)
{
	if (!isfinite(d))
		return 0;
	if (d >= 0x1p63)
		return LLONG_MAX;
	if (d < -0x1p63)
		return LLONG_MIN;
	return (long long)d;
}

/* The format comes from the config and was checked by template_printf_check(). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void template_printf(struct buf *out, const char *f, const struct value *args, size_t nargs)
{
	size_t next = 0;
	for (; *f; f++) {
		if (*f != '%') {
			buf_putc(out, *f);
			continue;
		}
		const char *start = f++;
		f += strspn(f, "+- #0");
		f += strspn(f, "0123456789");
		if (*f == '.') {
			f++;
			f += strspn(f, "0123456789");
		}
		if (*f == '%') {
			buf_putc(out, '%');
			continue;
		}
		char spec[32];
		size_t sl = (size_t)(f - start);   /* at most 1 + 5 + 4 + 1 + 4 */
		if (sl > PRINTF_SPEC_MAX)
			sl = PRINTF_SPEC_MAX;
		memcpy(spec, start, sl);
		if (next >= nargs) {
			buf_printf(out, "%%!%c(MISSING)", *f);
			continue;
		}
		const struct value *a = &args[next++];
		if (*f == 's' || *f == 'v') {
			struct buf s = BUF_INIT(1 << 16);
			template_value_str(a, &s);
			memcpy(spec + sl, "s", 2);
			buf_printf(out, spec, buf_str(&s));
			buf_release(&s);
		} else if (*f == 'd') {
			memcpy(spec + sl, "lld", 4);
			buf_printf(out, spec, printf_int(template_value_num(a)));
		} else {
			spec[sl] = *f;
			spec[sl + 1] = '\0';
			buf_printf(out, spec, template_value_num(a));
		}
	}
}

#pragma GCC diagnostic pop
