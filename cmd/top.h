/*
 * top.h -- `dbpulse top`: the busiest PostgreSQL statements of a running
 * agent, read from its DBA JSON API (GET /api/targets and /api/queries)
 * and shown as a table that refreshes like top(1) on a terminal, or is
 * printed once into a pipe.
 *
 * The command is split so that everything but the network and the
 * terminal is a pure function the unit tests call (tests/test_top.c):
 * top_parse_args() for the command line, top_pick_target() and
 * top_queries_url() for what to ask, top_render() for what to print and
 * top_clean_text() for making API strings (user data: query texts, names)
 * safe to print.  top_main() does the I/O.
 *
 * Nothing here writes a terminal escape taken from the data: every string
 * from the API goes through top_clean_text(), which removes control
 * characters and escape sequences and keeps the text on one line.
 */
#ifndef DBPULSE_TOP_H
#define DBPULSE_TOP_H

#include <stdio.h>
#include <stddef.h>

struct buf;

#define TOP_DEFAULT_URL "http://127.0.0.1:9930"
#define TOP_DEFAULT_SORT "total"
#define TOP_DEFAULT_LIMIT 50u
#define TOP_DEFAULT_WINDOW "5m"       /* when the target offers it */
#define TOP_DEFAULT_WIDTH 160u        /* columns when stdout is no terminal and $COLUMNS is unset */
#define TOP_HTTP_TIMEOUT_MS 5000L
#define TOP_MAX_ANSWER ((size_t)16 << 20)  /* bytes of one API answer */

/* The command line.  The strings point into argv (nothing to free). */
struct top_options {
	const char *url;          /* the agent's base URL, http:// or https:// */
	size_t url_len;           /* its length without trailing slashes */
	const char *target;       /* NULL: the first postgres target */
	const char *window;       /* NULL: TOP_DEFAULT_WINDOW or the shortest */
	const char *sort;         /* total | mean | calls | rows | io | temp */
	unsigned limit;           /* 1..1000 */
	int once;                 /* --once: print one table even on a terminal */
	int include_own;          /* --include-own: list the agent's own statements too */
	double interval;          /* seconds between refreshes; 0: the target's */
	const char *cacert;       /* --cacert: CA file for https:// */
	const char *cert, *key;   /* --cert, --key: a client certificate */
	const char *user;         /* --user: basic auth (password: $DBPULSE_PASSWORD) */
	/* `dbpulse advise` (argv[0] "advise"): the advisor's findings */
	int advise;
	int json;                 /* --format json: the API's answer as it is */
	const char *db, *kind, *severity; /* filters, NULL: all */
};

enum { TOP_ARGS_OK = 0, TOP_ARGS_HELP = 1, TOP_ARGS_BAD = -1 };

/* Parses argv[1..argc) (argv[0] is "top", or "advise" for `dbpulse
 * advise`, whose options are --url, --target (-t), --format text|json,
 * --db, --kind, --severity and the TLS and auth ones) into o, defaults
 * first.
 * Returns TOP_ARGS_OK, TOP_ARGS_HELP for -h/--help, or TOP_ARGS_BAD with a
 * one-line reason in err.  Options take their value as the next argument
 * or after '=' (--sort=mean).  Keeps no state between calls. */
int top_parse_args(int argc, char **argv, struct top_options *o, char *err, size_t errlen);

/* Prints the usage text to out. */
void top_usage(FILE *out);
void advise_usage(FILE *out);

/* The target to show, from an /api/targets answer.  The caller owns it and
 * frees it with top_target_release(). */
struct top_target {
	char *name;               /* as the API spells it (raw: URL-encode or clean it) */
	char *window;             /* the window to ask for */
	double interval_seconds;  /* its collection interval; 0 when unknown */
};

/* Picks the target named `name` (NULL: the first postgres target) from
 * targets_json and the window `window` (NULL: TOP_DEFAULT_WINDOW when the
 * target lists it, else its first, shortest, window).  Returns 0, or -1
 * with the reason in err (not JSON, no such target, not postgres). */
int top_pick_target(const char *targets_json, const char *name, const char *window,
		    struct top_target *t, char *err, size_t errlen);
void top_target_release(struct top_target *t);

/* Appends the /api/targets and /api/queries URLs to url (parameters
 * percent-encoded). */
void top_targets_url(const struct top_options *o, struct buf *url);
void top_queries_url(const struct top_options *o, const struct top_target *t, struct buf *url);
void top_advice_url(const struct top_options *o, const struct top_target *t, struct buf *url);

/* `dbpulse advise`'s text for an /api/advice answer: a summary line
 * (target, when the pass ran and how long it took, its databases and the
 * count of each severity), then each finding, most urgent first: a line
 * with its severity, kind, database and object, its summary, its
 * evidence as name=value pairs, and its SQL, a line each, indented; then
 * the notes (what was not judged, and why).  Every string from the API is
 * cleaned by top_clean_text(), at most `width` columns a line.  Appends
 * to out and returns 0, or -1 with the reason in err when advice_json is
 * not an /api/advice object. */
int advise_render(const char *advice_json, unsigned width, struct buf *out, char *err,
		  size_t errlen);

/* `dbpulse advise`: returns the exit status. */
int advise_main(int argc, char **argv);

/* The statement table for an /api/queries answer: a summary line (target
 * and its state when targets_json, which may be NULL, knows it; window,
 * sort, matched statements, totals and the agent's own part of them,
 * collected_at), the column titles and one line per statement: total,
 * mean, baseline mean ('!' after it when the mean is more than twice it),
 * calls, calls/s, rows/call, hit%, database, user, query text ("[agent]"
 * before the agent's own).  Every line ends with '\n' and is at most
 * `width` display columns (at least 20 are used): when the text would get
 * fewer than 24 columns, rows/call, hit%, calls/s, user, database and
 * baseline are left out in that order.  max_rows, when not 0, caps the
 * number of lines (the summary says how many statements are shown).
 * Appends to out and returns 0, or returns -1 with the reason in err, out
 * untouched, when queries_json is not an /api/queries object. */
int top_render(const char *targets_json, const char *queries_json, unsigned width,
	       unsigned max_rows, struct buf *out, char *err, size_t errlen);

/* Appends s as one line of plain printable text: runs of white space
 * (newlines and tabs included) become one space, leading and trailing ones
 * go, control characters, escape sequences (CSI, OSC, DCS, ... also their
 * C1 forms) and invisible bidirectional controls are removed, invalid
 * UTF-8 becomes U+FFFD.  At most max_cols display columns are written; a
 * cut text ends with U+2026 (...).  Returns the columns written. */
unsigned top_clean_text(struct buf *out, const char *s, unsigned max_cols);

/* The message for an answer with HTTP status `status` and body `body`
 * (may be NULL): "HTTP 400: <the API's error text> (allowed: ...)", or the
 * start of a body that is no API error.  Written cleaned into msg. */
void top_http_error(long status, const char *body, char *msg, size_t msglen);

/* `dbpulse top ...`: argv[0] is "top".  Returns the exit status: 0, 1 when
 * the agent cannot be reached or refuses (after printing why on stderr),
 * 2 for bad options (after printing the usage on stderr). */
int top_main(int argc, char **argv);

#endif
