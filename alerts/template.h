/*
 * template.h -- annotation templates of alert rules, as Prometheus writes
 * them (a subset of Go's text/template):
 *
 *   summary = {{ $labels.target }} uses {{ $value | humanizePercentage }} of its connections
 *
 * Variables: $value and $labels.NAME (also .Value and .Labels.NAME); a
 * missing label is empty.  Pipelines `X | f` and calls `f X`; functions:
 * humanize, humanize1024, humanizePercentage, humanizeDuration,
 * humanizeTimestamp (exactly as Prometheus formats them), toUpper,
 * toLower, title, printf "FORMAT" X (verbs %s %d %f %g %e %v with flags,
 * width and precision), and queryText (the text of the statement whose
 * queryid it is given, on the alert's target: {{ $labels.queryid | queryText }},
 * empty when unknown).  {{- and -}} trim spaces; Go template comments are skipped.
 * Parsed once at config load, with the offset of an error for a caret.
 */
#ifndef DBPULSE_TEMPLATE_H
#define DBPULSE_TEMPLATE_H

#include <stddef.h>

struct alert_labels;
struct buf;
struct template;

struct template *template_parse(const char *src, char *err, size_t errlen, size_t *err_pos);
void template_free(struct template *t);
/* What a template may look up besides labels and value. */
struct template_env {
	/* Appends the text of statement queryid on target to out; returns 0,
	 * or -1 when it is not known. */
	int (*query_text)(void *ctx, const char *target, const char *queryid, struct buf *out);
	void *ctx;
};

/* Appends the rendering to out: 0, or -1 when out reached its cap.  env
 * may be NULL (queryText then gives ""). */
int template_render(const struct template *t, const struct alert_labels *labels, double value,
		    const struct template_env *env, struct buf *out);
int template_is_constant(const struct template *t);
/* The template as written in the config (owned by t). */
const char *template_source(const struct template *t);

/* Go's %v of a float64 (strconv 'g', shortest): 0.95, 1e+06, +Inf. */
void template_format_value(double v, struct buf *out);

#endif
