/*
 * textfile_parse.h -- a strict parser of the Prometheus text format
 * (version 0.0.4), for the files the textfile collector reads, and the
 * set of series it keeps to refuse a series written twice.
 *
 * The parser follows the one node_exporter's textfile collector uses
 * (prometheus/common expfmt.TextParser, legacy name validation) line by
 * line, and fails where it fails: a file either parses whole or not at all
 * (the caller skips it whole).  It is stricter in three places, each
 * refused with a reason: a NUL byte anywhere, a quoted metric name
 * ("name" or {"name"}, the UTF-8 syntax) and a label name starting with
 * "__" (which node_exporter accepts and then panics on).  Like expfmt it
 * accepts "#TYPE" for "# TYPE", TYPE in any case, a trailing comma in a
 * label set, and refuses trailing blanks after a value, a last line
 * without a newline, a second HELP or TYPE of a family, a TYPE after the
 * family's samples, escapes other than \\, \" and \n, invalid UTF-8 in a
 * label value, hexadecimal values and values out of range.
 *
 * Summaries and histograms are parsed as expfmt parses them (name_sum,
 * name_count and name_bucket lines join a family declared before them)
 * but their samples are only checked: the family is marked
 * TEXTFILE_SUMMARY or TEXTFILE_HISTOGRAM and the caller decides.
 *
 * Pure: no I/O, no logging, no globals.  The text is modified in place
 * (names, label values and help texts are cut out and unescaped) and must
 * be NUL-terminated at len; strings in a result point into it and are
 * valid while it is.  A result is reused from one parse to the next and
 * freed with textfile_parse_release(); start from a zeroed struct.
 */
#ifndef DBPULSE_TEXTFILE_PARSE_H
#define DBPULSE_TEXTFILE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "name_index.h"

enum textfile_type {
	TEXTFILE_UNTYPED,
	TEXTFILE_COUNTER,
	TEXTFILE_GAUGE,
	TEXTFILE_SUMMARY,
	TEXTFILE_HISTOGRAM,       /* also gauge_histogram */
};

struct textfile_family {
	char *name;
	char *help;               /* NULL: no HELP line */
	enum textfile_type type;  /* TEXTFILE_UNTYPED without a TYPE line */
	int typed;                /* a TYPE line or a sample fixed the type */
	size_t nsamples;
};

struct textfile_sample {
	size_t family;            /* index into families */
	size_t labels;            /* index of its first name into label_strs */
	size_t nlabels;           /* sorted by name; quantile and le not included */
	double value;
	int has_timestamp;        /* the line had a timestamp */
};

struct textfile_parse {
	struct textfile_family *families;   /* in order of first mention */
	size_t nfamilies, families_alloc;
	struct textfile_sample *samples;    /* in file order */
	size_t nsamples, samples_alloc;
	char **label_strs;                  /* name, value, name, value... (not NULL) */
	size_t nlabel_strs, label_strs_alloc;
	struct name_index index;            /* families by name */
	unsigned line;                      /* the line of the error */
};

/* Parses the whole text.  0, or -1 with "line N: why" in err.  Families
 * that end up without samples (HELP or TYPE alone) are not in the
 * result. */
int textfile_parse(char *text, size_t len, struct textfile_parse *out, char *err, size_t errlen);
/* Whether some sample had a timestamp (node_exporter refuses such files). */
int textfile_parse_has_timestamps(const struct textfile_parse *p);
void textfile_parse_release(struct textfile_parse *p);

/* "untyped", "counter", "gauge", "summary", "histogram". */
const char *textfile_type_name(enum textfile_type type);

/*
 * The series seen in one collection: a series is a family name and its
 * labels without the empty ones (Prometheus' identity: {a="1",b=""} is
 * {a="1"}), in any order.  A file's series are added tentatively and
 * either kept (textfile_series_commit) or taken back at once
 * (textfile_series_rollback) when the file is refused.
 */
struct textfile_series {
	uint64_t *hashes;         /* 0: empty slot */
	size_t *offs, *lens;      /* the key's place in keys */
	size_t size, n;
	char *keys;               /* the keys, "name\0k\0v\0..." one after another */
	size_t keys_len, keys_alloc;
	size_t keys_mark, n_mark; /* at the last commit */
};

/* Adds a series of family name with nlabels name/value pairs (labels, as
 * in textfile_parse's label_strs, sorted by name).  Returns 1 if the
 * series was there already (nothing added), 0 if added. */
int textfile_series_add(struct textfile_series *s, const char *name, char *const *labels,
			size_t nlabels);
void textfile_series_commit(struct textfile_series *s);
void textfile_series_rollback(struct textfile_series *s);
/* Forgets every series (keeps the memory). */
void textfile_series_reset(struct textfile_series *s);
void textfile_series_release(struct textfile_series *s);

#endif
