/*
 * top.c -- `dbpulse top` (see top.h): the command.  Parses the command
 * line, asks the agent's API over HTTP with the libcurl that
 * agent/netlib.c loads at run time, and prints the table (top_render.c
 * builds it) once (into a pipe, or with --once) or redraws it on the
 * terminal until q, SIGINT or SIGTERM: signals, raw keys, the alternate
 * screen.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "netlib.h"
#include "strutil.h"
#include "top.h"
#include "top_text.h"
#include "banned.h"

#define LIMIT_MAX 1000u
#define INTERVAL_MAX 86400.0
#define RETRY_SECONDS 5.0          /* refresh period before the target's interval is known */
#define DEFAULT_HEIGHT 24u
#define ADVISE_WIDTH 100000u       /* columns of a line of `dbpulse advise`: no cut */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the command line --------------------------------------------------- */

static const char *const sort_keys[] = { "total", "mean", "calls", "rows", "io", "temp" };

void top_usage(FILE *out)
{
	fprintf(out,
		"Usage: dbpulse top [--url URL] [--target NAME] [--window WINDOW]\n"
		"                   [--sort total|mean|calls|rows|io|temp] [--limit N]\n"
		"                   [--once] [--interval SECONDS] [--include-own]\n"
		"                   [--cacert FILE] [--cert FILE --key FILE] [--user NAME]\n"
		"\n"
		"Shows the statements of a PostgreSQL target that took the most time, from\n"
		"a running agent's API (/api/queries), like top(1).\n"
		"\n"
		"  --url URL            the agent (default %s)\n"
		"  --target NAME        a postgres target (default: the agent's first)\n"
		"  --window WINDOW      one of the target's windows, e.g. 1m, 5m, 1h\n"
		"                       (default %s, or the shortest when it has no %s)\n"
		"  --sort KEY           total, mean, calls, rows, io or temp (default %s)\n"
		"  --limit N            statements to ask for, 1..%u (default %u)\n"
		"  --once               print the table once and exit, even on a terminal\n"
		"  --interval SECONDS   time between refreshes (default: the target's\n"
		"                       collection interval, at least 1)\n"
		"  --include-own        list the agent's own statements too, marked\n"
		"                       [agent] (the totals always count them)\n"
		"  --cacert FILE        CA certificates to verify an https:// agent with\n"
		"  --cert FILE, --key FILE\n"
		"                       a client certificate and its key (tls_client_ca_file)\n"
		"  --user NAME          basic auth as NAME; the password is read from the\n"
		"                       environment variable DBPULSE_PASSWORD\n"
		"  -h, --help           print this help and exit\n"
		"\n"
		"On a terminal the table is redrawn until q, Ctrl-C or SIGTERM (space\n"
		"redraws at once); otherwise it is printed once.  Columns: total and mean\n"
		"time in the window, mean over the baseline window (! when the mean is\n"
		"more than twice it), calls, calls per second, rows per call, buffer hit\n"
		"ratio, database, user and the query text on one line.\n"
		"Exit status: 0; 1 when the agent cannot be reached or refuses; 2 for\n"
		"bad options.\n",
		TOP_DEFAULT_URL, TOP_DEFAULT_WINDOW, TOP_DEFAULT_WINDOW, TOP_DEFAULT_SORT,
		LIMIT_MAX, TOP_DEFAULT_LIMIT);
}

void advise_usage(FILE *out)
{
	fprintf(out,
		"Usage: dbpulse advise [--url URL] [-t|--target NAME] [--format text|json]\n"
		"                      [--db NAME] [--kind KIND] [--severity SEVERITY]\n"
		"                      [--cacert FILE] [--cert FILE --key FILE] [--user NAME]\n"
		"\n"
		"Prints what the optimization advisor of a PostgreSQL target found in its\n"
		"last pass, from a running agent's API (/api/advice): what to index, what\n"
		"to drop, what is about to break, with the evidence and the SQL to act on\n"
		"it (never run by dbpulse), most urgent first.\n"
		"\n"
		"  --url URL            the agent (default %s)\n"
		"  -t, --target NAME    a postgres target (default: the agent's first)\n"
		"  --format FORMAT      text (default) or json (the API's answer)\n"
		"  --db NAME            only the findings about that database\n"
		"  --kind KIND          only that kind, e.g. invalid_index, unused_index\n"
		"  --severity LEVEL     only critical, warning or info\n"
		"  --cacert FILE, --cert FILE, --key FILE, --user NAME\n"
		"                       as for dbpulse top\n"
		"  -h, --help           print this help and exit\n"
		"\n"
		"Exit status: 0; 1 when the agent cannot be reached or refuses (the\n"
		"advisor is off, or its first pass has not finished); 2 for bad options.\n",
		TOP_DEFAULT_URL);
}

enum option_id {
	OPT_URL, OPT_TARGET, OPT_WINDOW, OPT_SORT, OPT_LIMIT, OPT_INTERVAL, OPT_ONCE,
	OPT_CACERT, OPT_CERT, OPT_KEY, OPT_USER, OPT_INCLUDE_OWN, OPT_FORMAT, OPT_DB, OPT_KIND,
	OPT_SEVERITY
};

/* Which command takes an option. */
#define FOR_TOP 1
#define FOR_ADVISE 2

static const struct {
	const char *name;
	enum option_id id;
	int takes_value;
	int commands;
} option_table[] = {
	{ "url", OPT_URL, 1, FOR_TOP | FOR_ADVISE }, { "target", OPT_TARGET, 1, FOR_TOP | FOR_ADVISE },
	{ "window", OPT_WINDOW, 1, FOR_TOP },        { "sort", OPT_SORT, 1, FOR_TOP },
	{ "limit", OPT_LIMIT, 1, FOR_TOP },          { "interval", OPT_INTERVAL, 1, FOR_TOP },
	{ "once", OPT_ONCE, 0, FOR_TOP },            { "cacert", OPT_CACERT, 1, FOR_TOP | FOR_ADVISE },
	{ "cert", OPT_CERT, 1, FOR_TOP | FOR_ADVISE }, { "key", OPT_KEY, 1, FOR_TOP | FOR_ADVISE },
	{ "user", OPT_USER, 1, FOR_TOP | FOR_ADVISE }, { "include-own", OPT_INCLUDE_OWN, 0, FOR_TOP },
	{ "format", OPT_FORMAT, 1, FOR_ADVISE },     { "db", OPT_DB, 1, FOR_ADVISE },
	{ "kind", OPT_KIND, 1, FOR_ADVISE },         { "severity", OPT_SEVERITY, 1, FOR_ADVISE },
};

static int bad_args(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad_args(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return TOP_ARGS_BAD;
}

/* An http:// or https:// URL with a host; sets url_len without trailing
 * slashes. */
static int set_url(struct top_options *o, const char *url, char *err, size_t errlen)
{
	size_t scheme = strncasecmp(url, "http://", 7) == 0 ? 7 : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
	size_t len = strlen(url);
	while (len > scheme && url[len - 1] == '/')
		len--;
	if (!scheme || len == scheme || url[scheme] == '/')
		return bad_args(err, errlen, "--url: '%s' is not an http:// or https:// URL", url);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7F)
			return bad_args(err, errlen, "--url: '%s' has spaces or control characters", url);
	o->url = url;
	o->url_len = len;
	return TOP_ARGS_OK;
}

static int set_sort(struct top_options *o, const char *v, char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_LEN(sort_keys); i++) {
		if (strcmp(v, sort_keys[i]) == 0) {
			o->sort = sort_keys[i];
			return TOP_ARGS_OK;
		}
	}
	return bad_args(err, errlen, "--sort: '%s' is none of total, mean, calls, rows, io, temp", v);
}

static int set_limit(struct top_options *o, const char *v, char *err, size_t errlen)
{
	uint64_t n;
	if (parse_uint64(v, &n) < 0 || n < 1 || n > LIMIT_MAX)
		return bad_args(err, errlen, "--limit: '%s' is not a number from 1 to %u", v, LIMIT_MAX);
	o->limit = (unsigned)n;
	return TOP_ARGS_OK;
}

static int set_interval(struct top_options *o, const char *v, char *err, size_t errlen)
{
	double s;
	if (parse_double(v, &s) < 0 || !isfinite(s) || s < 1 || s > INTERVAL_MAX)
		return bad_args(err, errlen, "--interval: '%s' is not a number of seconds from 1 to %.0f",
				v, INTERVAL_MAX);
	o->interval = s;
	return TOP_ARGS_OK;
}

static int apply_option(struct top_options *o, enum option_id id, const char *name, const char *v,
			char *err, size_t errlen)
{
	if (id != OPT_ONCE && id != OPT_INCLUDE_OWN && !*v)
		return bad_args(err, errlen, "--%s: the value is empty", name);
	switch (id) {
	case OPT_URL:
		return set_url(o, v, err, errlen);
	case OPT_TARGET:
		o->target = v;
		return TOP_ARGS_OK;
	case OPT_WINDOW:
		o->window = v;
		return TOP_ARGS_OK;
	case OPT_SORT:
		return set_sort(o, v, err, errlen);
	case OPT_LIMIT:
		return set_limit(o, v, err, errlen);
	case OPT_INTERVAL:
		return set_interval(o, v, err, errlen);
	case OPT_ONCE:
		o->once = 1;
		return TOP_ARGS_OK;
	case OPT_CACERT:
		o->cacert = v;
		return TOP_ARGS_OK;
	case OPT_CERT:
		o->cert = v;
		return TOP_ARGS_OK;
	case OPT_KEY:
		o->key = v;
		return TOP_ARGS_OK;
	case OPT_USER:
		o->user = v;
		return TOP_ARGS_OK;
	case OPT_INCLUDE_OWN:
		o->include_own = 1;
		return TOP_ARGS_OK;
	case OPT_FORMAT:
		if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
			return bad_args(err, errlen, "--format: '%s' is neither text nor json", v);
		o->json = strcmp(v, "json") == 0;
		return TOP_ARGS_OK;
	case OPT_DB:
		o->db = v;
		return TOP_ARGS_OK;
	case OPT_KIND:
		o->kind = v;
		return TOP_ARGS_OK;
	case OPT_SEVERITY:
		o->severity = v;
		return TOP_ARGS_OK;
	}
	return bad_args(err, errlen, "--%s: not handled", name);
}

/* A hand-written loop rather than getopt_long(): no global state (the
 * tests parse many command lines) and the messages are ours. */
int top_parse_args(int argc, char **argv, struct top_options *o, char *err, size_t errlen)
{
	*o = (struct top_options){ .url = TOP_DEFAULT_URL, .url_len = strlen(TOP_DEFAULT_URL),
				   .sort = TOP_DEFAULT_SORT, .limit = TOP_DEFAULT_LIMIT,
				   .advise = argc > 0 && strcmp(argv[0], "advise") == 0 };
	int command = o->advise ? FOR_ADVISE : FOR_TOP;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
			return TOP_ARGS_HELP;
		if (strcmp(arg, "-t") == 0)
			arg = "--target";
		if (strncmp(arg, "--", 2) != 0 || !arg[2])
			return bad_args(err, errlen, "unexpected argument '%s'", arg);
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
		size_t k = 0;
		while (k < ARRAY_LEN(option_table) &&
		       (!(option_table[k].commands & command) ||
			strlen(option_table[k].name) != name_len ||
			strncmp(option_table[k].name, name, name_len) != 0))
			k++;
		if (k == ARRAY_LEN(option_table))
			return bad_args(err, errlen, "unknown option '%.*s'", (int)(name_len + 2), arg);
		const char *value = "";
		if (option_table[k].takes_value) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return bad_args(err, errlen, "--%s needs a value", option_table[k].name);
		} else if (eq) {
			return bad_args(err, errlen, "--%s takes no value", option_table[k].name);
		}
		if (apply_option(o, option_table[k].id, option_table[k].name, value, err, errlen) < 0)
			return TOP_ARGS_BAD;
	}
	if (!o->cert != !o->key)
		return bad_args(err, errlen, "--cert and --key go together");
	return TOP_ARGS_OK;
}

/* ---- HTTP ------------------------------------------------------------------------ */

/* Set by the signal handlers of the refreshing view (stop_requested is
 * also read by the transfer callback so that Ctrl-C does not wait for a
 * slow answer). */
static volatile sig_atomic_t stop_requested, resize_requested, suspend_requested;

/* One reusable connection to the agent. */
struct http_client {
	CURL *curl;
	char curl_error[CURL_ERROR_SIZE];
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct buf *body = ctx;
	/* a short count makes curl stop with CURLE_WRITE_ERROR */
	return buf_append(body, data, size * n) == 0 ? size * n : 0;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	return stop_requested != 0;
}

/* TLS files and basic auth of the options (the password from
 * DBPULSE_PASSWORD: a command line is visible to every user). */
static int http_credentials(struct http_client *h, const struct top_options *o, char *err,
			    size_t errlen)
{
	CURL *c = h->curl;
	if (o->cacert)
		netlib.easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	if (o->cert) {
		netlib.easy_setopt(c, CURLOPT_SSLCERT, o->cert);
		netlib.easy_setopt(c, CURLOPT_SSLKEY, o->key);
	}
	if (o->user) {
		const char *password = getenv("DBPULSE_PASSWORD");
		if (!password) {
			snprintf(err, errlen, "--user: set the password in DBPULSE_PASSWORD");
			return -1;
		}
		netlib.easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		netlib.easy_setopt(c, CURLOPT_USERNAME, o->user);
		netlib.easy_setopt(c, CURLOPT_PASSWORD, password);
	}
	return 0;
}

static int http_open(struct http_client *h, const struct top_options *o, char *err,
		     size_t errlen)
{
	if (netlib_load(err, errlen) < 0)
		return -1;
	h->curl = netlib.easy_init();
	if (!h->curl) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	CURL *c = h->curl;
	netlib.easy_setopt(c, CURLOPT_TIMEOUT_MS, TOP_HTTP_TIMEOUT_MS);
	netlib.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, TOP_HTTP_TIMEOUT_MS);
	netlib.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	netlib.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	netlib.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	netlib.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	netlib.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	netlib.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	netlib.easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)TOP_MAX_ANSWER);
	netlib.easy_setopt(c, CURLOPT_USERAGENT, "dbpulse-top/" PACKAGE_VERSION);
	netlib.easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_error);
	netlib.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	netlib.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	netlib.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	return http_credentials(h, o, err, errlen);
}

static void http_close(struct http_client *h)
{
	if (h->curl)
		netlib.easy_cleanup(h->curl);
	h->curl = NULL;
}

/* GETs url into body (reset first).  Returns 0 for a 2xx answer, or -1
 * with the reason in err: curl's, the size cap, or top_http_error(). */
static int http_get(struct http_client *h, const char *url, struct buf *body, char *err,
		    size_t errlen)
{
	buf_reset(body);
	h->curl_error[0] = '\0';
	netlib.easy_setopt(h->curl, CURLOPT_URL, url);
	netlib.easy_setopt(h->curl, CURLOPT_WRITEDATA, body);
	CURLcode rc = netlib.easy_perform(h->curl);
	if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && body->overflow)) {
		snprintf(err, errlen, "the answer is larger than %zu MiB", TOP_MAX_ANSWER >> 20);
		return -1;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(err, errlen, "interrupted");
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", h->curl_error[0] ? h->curl_error : netlib.easy_strerror(rc));
		return -1;
	}
	long status = 0;
	netlib.easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		top_http_error(status, buf_str(body), err, errlen);
		return -1;
	}
	return 0;
}

/* ---- one view: ask, then render ------------------------------------------------- */

struct top_run {
	const struct top_options *opt;
	struct http_client http;
	struct buf targets_url, queries_url;  /* the URLs last asked */
	struct buf targets, queries;          /* their answers */
	struct top_target target;
	double interval;                      /* seconds between refreshes */
};

static void run_init(struct top_run *r, const struct top_options *o)
{
	*r = (struct top_run){ .opt = o,
			       .targets_url = BUF_INIT(BUF_UNLIMITED),
			       .queries_url = BUF_INIT(BUF_UNLIMITED),
			       .targets = BUF_INIT(TOP_MAX_ANSWER),
			       .queries = BUF_INIT(TOP_MAX_ANSWER),
			       .interval = o->interval > 0 ? o->interval : RETRY_SECONDS };
}

static void run_release(struct top_run *r)
{
	http_close(&r->http);
	buf_release(&r->targets_url);
	buf_release(&r->queries_url);
	buf_release(&r->targets);
	buf_release(&r->queries);
	top_target_release(&r->target);
}

/* "URL: why" into err; returns -1. */
static int url_failed(char *err, size_t errlen, const struct buf *url, const char *why)
{
	snprintf(err, errlen, "%s: %s", buf_str(url), why);
	return -1;
}

/* Asks /api/targets, picks the target, asks /api/queries (/api/advice
 * for `dbpulse advise`). */
static int run_fetch(struct top_run *r, char *err, size_t errlen)
{
	char why[768];
	buf_reset(&r->targets_url);
	top_targets_url(r->opt, &r->targets_url);
	if (http_get(&r->http, buf_str(&r->targets_url), &r->targets, why, sizeof(why)) < 0)
		return url_failed(err, errlen, &r->targets_url, why);
	top_target_release(&r->target);
	if (top_pick_target(buf_str(&r->targets), r->opt->target, r->opt->window, &r->target, why,
			    sizeof(why)) < 0)
		return url_failed(err, errlen, &r->targets_url, why);
	if (r->opt->interval <= 0)
		r->interval = r->target.interval_seconds > 1 ? r->target.interval_seconds : 1;
	buf_reset(&r->queries_url);
	if (r->opt->advise)
		top_advice_url(r->opt, &r->target, &r->queries_url);
	else
		top_queries_url(r->opt, &r->target, &r->queries_url);
	if (http_get(&r->http, buf_str(&r->queries_url), &r->queries, why, sizeof(why)) < 0)
		return url_failed(err, errlen, &r->queries_url, why);
	return 0;
}

static int run_render(struct top_run *r, unsigned width, unsigned rows, struct buf *out, char *err,
		      size_t errlen)
{
	char why[512];
	if (top_render(buf_str(&r->targets), buf_str(&r->queries), width, rows, out, why,
		       sizeof(why)) < 0)
		return url_failed(err, errlen, &r->queries_url, why);
	return 0;
}

static unsigned env_unsigned(const char *name, unsigned fallback)
{
	const char *v = getenv(name);
	uint64_t n;
	if (!v || parse_uint64(v, &n) < 0 || n == 0 || n > 100000)
		return fallback;
	return (unsigned)n;
}

/* Columns and lines of stdout: the terminal's, else $COLUMNS / $LINES,
 * else TOP_DEFAULT_WIDTH / DEFAULT_HEIGHT. */
static void output_size(unsigned *width, unsigned *height)
{
	struct winsize ws;
	*width = *height = 0;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		*width = ws.ws_col;
		*height = ws.ws_row;
	}
	if (!*width)
		*width = env_unsigned("COLUMNS", TOP_DEFAULT_WIDTH);
	if (!*height)
		*height = env_unsigned("LINES", DEFAULT_HEIGHT);
}

static int write_out(const struct buf *b)
{
	if (fwrite(buf_str(b), 1, b->len, stdout) != b->len || fflush(stdout) != 0)
		return -1;
	return 0;
}

/* Prints the table once: into a pipe, or with --once. */
static int run_once(struct top_run *r)
{
	char err[1024];
	unsigned width, height;
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	output_size(&width, &height);
	int rc = 0;
	if (run_fetch(r, err, sizeof(err)) < 0 || run_render(r, width, 0, &out, err, sizeof(err)) < 0) {
		fprintf(stderr, "dbpulse top: %s\n", err);
		rc = 1;
	} else if (write_out(&out) < 0) {
		fprintf(stderr, "dbpulse top: cannot write the table: %s\n", strerror(errno));
		rc = 1;
	}
	buf_release(&out);
	return rc;
}

/* ---- the refreshing view ---------------------------------------------------------- */

static int wake_pipe[2] = { -1, -1 };  /* written by the signal handler, polled */
static const int view_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP };

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGWINCH)
		resize_requested = 1;
	else if (sig == SIGTSTP)
		suspend_requested = 1;
	else
		stop_requested = 1;
	if (wake_pipe[1] >= 0) {
		ssize_t n = write(wake_pipe[1], "", 1);
		(void)n;
	}
	errno = saved;
}

/* The terminal while the view runs. */
struct screen {
	int keyboard;                 /* stdin is a terminal we read keys from */
	int termios_saved;
	struct termios saved;
	struct sigaction old[ARRAY_LEN(view_signals)];
};

static const char SCREEN_ENTER[] = "\033[?1049h\033[?25l"; /* alternate screen, no cursor */
static const char SCREEN_LEAVE[] = "\033[?25h\033[?1049l";
static const char SCREEN_CLEAR[] = "\033[H\033[2J";        /* home, clear */

/* Keys without Enter or echo (when stdin is a terminal), the alternate
 * screen without cursor. */
static void terminal_enter(struct screen *s)
{
	s->keyboard = s->termios_saved = 0;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &s->saved) == 0) {
		struct termios raw = s->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		s->termios_saved = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
		s->keyboard = s->termios_saved;
	}
	fputs(SCREEN_ENTER, stdout);
	fflush(stdout);
}

/* The terminal as it was. */
static void terminal_leave(struct screen *s)
{
	fputs(SCREEN_LEAVE, stdout);
	fflush(stdout);
	if (s->termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved);
	s->termios_saved = 0;
}

/* Ctrl-Z: the terminal back to the shell, stopped until SIGCONT, then the
 * view again. */
static void screen_suspend(struct screen *s)
{
	terminal_leave(s);
	raise(SIGSTOP);
	terminal_enter(s);
}

static int screen_open(struct screen *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	stop_requested = resize_requested = suspend_requested = 0;
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		wake_pipe[0] = wake_pipe[1] = -1;
		return -1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_LEN(view_signals); i++)
		sigaction(view_signals[i], &sa, &s->old[i]);
	terminal_enter(s);
	return 0;
}

static void screen_close(struct screen *s)
{
	terminal_leave(s);
	for (size_t i = 0; i < ARRAY_LEN(view_signals); i++)
		sigaction(view_signals[i], &s->old[i], NULL);
	int fds[2] = { wake_pipe[0], wake_pipe[1] };
	wake_pipe[0] = wake_pipe[1] = -1;
	close(fds[0]);
	close(fds[1]);
}

enum wake { WAKE_TIMEOUT, WAKE_KEY, WAKE_REDRAW, WAKE_QUIT };

/* What a key asks for: q quits, space and Enter redraw now, others
 * nothing. */
static enum wake read_key(struct screen *s)
{
	unsigned char c;
	ssize_t n = read(STDIN_FILENO, &c, 1);
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
		s->keyboard = 0; /* end of input: stop listening */
		return WAKE_TIMEOUT;
	}
	if (n < 0)
		return WAKE_TIMEOUT;
	if (c == 'q' || c == 'Q')
		return WAKE_QUIT;
	return c == ' ' || c == '\n' || c == '\r' ? WAKE_KEY : WAKE_TIMEOUT;
}

/* Waits until deadline_ms (monotonic), a key or a signal: WAKE_REDRAW
 * after a resize or a suspension. */
static enum wake screen_wait(struct screen *s, int64_t deadline_ms)
{
	for (;;) {
		if (stop_requested)
			return WAKE_QUIT;
		if (suspend_requested) {
			suspend_requested = 0;
			screen_suspend(s);
			return WAKE_REDRAW;
		}
		if (resize_requested) {
			resize_requested = 0;
			return WAKE_REDRAW;
		}
		int64_t left = deadline_ms - now_mono_ms();
		if (left <= 0)
			return WAKE_TIMEOUT;
		struct pollfd fds[2] = { { .fd = wake_pipe[0], .events = POLLIN },
					 { .fd = s->keyboard ? STDIN_FILENO : -1, .events = POLLIN } };
		if (poll(fds, 2, left > 60000 ? 60000 : (int)left) < 0) {
			if (errno != EINTR) /* EINTR: the flags say why */
				s->keyboard = 0;
			continue;
		}
		if (fds[0].revents) {
			char drain[64];
			while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
				;
		}
		if (fds[1].revents & POLLIN) {
			enum wake w = read_key(s);
			if (w != WAKE_TIMEOUT)
				return w;
		} else if (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			s->keyboard = 0;
		}
	}
}

/* Clears the screen and draws the table, or the error and that we retry. */
static void screen_draw(struct top_run *r, const char *error)
{
	unsigned width, height;
	char err[1024];
	struct buf frame = BUF_INIT(BUF_UNLIMITED);
	output_size(&width, &height);
	buf_puts(&frame, SCREEN_CLEAR);
	size_t table_start = frame.len;
	/* one line fewer than the screen: the last newline must not scroll */
	if (!error && run_render(r, width, height > 1 ? height - 1 : 1, &frame, err, sizeof(err)) < 0) {
		buf_truncate(&frame, table_start);
		error = err;
	}
	if (error) {
		struct buf message = BUF_INIT(BUF_UNLIMITED), clean = BUF_INIT(BUF_UNLIMITED);
		buf_printf(&message, "dbpulse top: %s", error);
		top_clean_text(&clean, buf_str(&message), UINT_MAX);
		top_put_wrapped(&frame, buf_str(&clean), width);
		buf_printf(&frame, "retrying every %gs; q quits\n", r->interval);
		buf_release(&message);
		buf_release(&clean);
	}
	write_out(&frame);
	buf_release(&frame);
}

/* Redraws every interval until q or a signal. */
static int run_refresh(struct top_run *r)
{
	struct screen s;
	char err[1024];
	if (screen_open(&s, err, sizeof(err)) < 0) {
		fprintf(stderr, "dbpulse top: %s\n", err);
		return 1;
	}
	enum wake w = WAKE_TIMEOUT;
	while (w != WAKE_QUIT) {
		int ok = run_fetch(r, err, sizeof(err)) == 0;
		if (stop_requested)
			break;
		int64_t deadline = now_mono_ms() + (int64_t)(r->interval * 1000);
		screen_draw(r, ok ? NULL : err);
		while ((w = screen_wait(&s, deadline)) == WAKE_REDRAW)
			screen_draw(r, ok ? NULL : err);
	}
	screen_close(&s);
	return 0;
}

int top_main(int argc, char **argv)
{
	struct top_options o;
	char err[512];
	int rc = top_parse_args(argc, argv, &o, err, sizeof(err));
	if (rc == TOP_ARGS_HELP) {
		top_usage(stdout);
		return 0;
	}
	if (rc != TOP_ARGS_OK) {
		fprintf(stderr, "dbpulse top: %s\n", err);
		top_usage(stderr);
		return 2;
	}
	struct top_run r;
	run_init(&r, &o);
	if (http_open(&r.http, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "dbpulse top: %s\n", err);
		run_release(&r);
		return 1;
	}
	rc = !o.once && isatty(STDOUT_FILENO) ? run_refresh(&r) : run_once(&r);
	run_release(&r);
	return rc;
}

/* ---- dbpulse advise ------------------------------------------------------------- */

int advise_main(int argc, char **argv)
{
	struct top_options o;
	char err[1024];
	int rc = top_parse_args(argc, argv, &o, err, sizeof(err));
	if (rc == TOP_ARGS_HELP) {
		advise_usage(stdout);
		return 0;
	}
	if (rc != TOP_ARGS_OK) {
		fprintf(stderr, "dbpulse advise: %s\n", err);
		advise_usage(stderr);
		return 2;
	}
	struct top_run r;
	run_init(&r, &o);
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	/* whole lines: a finding's text is not cut (the terminal wraps it) */
	unsigned width = ADVISE_WIDTH;
	rc = http_open(&r.http, &o, err, sizeof(err));
	if (rc == 0)
		rc = run_fetch(&r, err, sizeof(err));
	if (rc == 0 && o.json)
		rc = buf_printf(&out, "%s\n", buf_str(&r.queries));
	else if (rc == 0)
		rc = advise_render(buf_str(&r.queries), width, &out, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "dbpulse advise: %s\n", err);
	else if (write_out(&out) < 0)
		fprintf(stderr, "dbpulse advise: cannot write: %s\n", strerror(errno));
	rc = rc < 0 || ferror(stdout) ? 1 : 0;
	buf_release(&out);
	run_release(&r);
	return rc;
}
