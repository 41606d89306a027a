/*
 * config.h -- agent.ini: sections, typed keys and the kinds that own them.
 *
 * The file is INI in the style of git's config:
 *   [agent]            one section of a kind that has no name
 *   [postgres "main"]  a named section of a kind that may repeat
 * Each kind (agent, host, and later postgres, redis, alert, webhook) is one
 * entry of the table in registry.c: its keys with types and defaults, the
 * size of the struct they are stored in, an optional cross-key check, and
 * for targets the collector that monitors them.  Adding a kind touches that
 * one table.
 *
 * Loading never logs: every problem becomes one line of the error buffer,
 *   agent.ini:12: [host] interval: expected a duration like '15s', got 'fast'
 * and the load fails if there was any.  A loaded config is immutable and
 * reference-counted: workers keep the config they were started with alive
 * across reloads.
 */
#ifndef DBPULSE_CONFIG_H
#define DBPULSE_CONFIG_H

#include <regex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct collector;
struct config;

enum conf_type {
	CONF_STRING,    /* char * */
	CONF_BOOL,      /* int, 0 or 1 */
	CONF_INT,       /* int64_t, within [min, max] */
	CONF_DURATION,  /* int64_t milliseconds, within [min, max] */
	CONF_SIZE,      /* uint64_t bytes */
	CONF_LIST,      /* struct conf_list */
	CONF_REGEX,     /* struct conf_regex (POSIX extended, anchored as written) */
	CONF_ENUM,      /* int, index into choices */
	CONF_ADDRESS,   /* struct conf_address, host:port */
	CONF_CUSTOM,    /* the key's own parse/release (alert expressions, templates) */
};

struct conf_list {
	char **items;
	size_t n;
};

struct conf_regex {
	char *source;   /* as written; NULL when unset */
	regex_t re;
};

struct conf_address {
	char *host;     /* "" for every interface */
	unsigned port;
};

/* Milliseconds, for the bounds of CONF_DURATION keys (.min, .max). */
#define CONF_MS_SECOND 1000
#define CONF_MS_HOUR (3600 * CONF_MS_SECOND)

/* One key of a section.  Its documentation is the man page dbpulse.ini(5),
 * which tests/test_docs.c checks against these tables (name, type, bounds,
 * choices, default). */
struct config_key {
	const char *name;
	enum conf_type type;
	size_t offset;              /* where the value goes in the kind's struct */
	const char *def;            /* default, in config syntax; NULL: unset */
	int64_t min, max;           /* INT and DURATION bounds when max > 0 */
	const char *const *choices; /* ENUM: NULL-terminated */
	int required;
	/* CONF_CUSTOM: parses value into the slot (0, or -1 with err, which
	 * may span lines: the value with a caret under the problem) and frees
	 * what it stored. */
	int (*parse)(const char *value, void *slot, char *err, size_t errlen);
	void (*release)(void *slot);
	/* Optional: when the key is not written, fits its default to what the
	 * user did write (an unset timeout is at most the interval, as
	 * Prometheus' scrape_timeout).  Runs after every key of the section is
	 * set, before the kind's validate. */
	void (*fit_default)(void *conf);
};

struct config_section;

struct config_kind {
	const char *name;
	int named;                  /* [kind "name"], may repeat */
	int implicit;               /* exists with defaults when absent */
	const struct config_key *keys;
	size_t conf_size;
	/* Checks across keys after all are set; 0 or -1 with err. */
	int (*validate)(void *conf, char *err, size_t errlen);
	/* Describes the section for --check-config on one line, without the
	 * newline (the caller adds it, and " (disabled)" for a disabled target). */
	void (*describe)(const struct config_section *s, struct buf *out);
	/* Checks against the other sections (an alert's receivers exist, say);
	 * 0 or -1 with err.  Runs after every section was validated. */
	int (*check_config)(const struct config *cfg, const struct config_section *s, char *err,
			    size_t errlen);
	/* Set for kinds that are monitoring targets. */
	const struct collector *collector;
	/* Keys the kind shares with others (conf_target_keys, ...), looked up
	 * after its own: a NULL-terminated list of tables; NULL for none. */
	const struct config_key *const *shared_keys;
};

/* The i-th key of kind k (0 first): its own keys, then those of its
 * shared tables; NULL past the last.  How the parser and the tests walk
 * a kind's keys. */
const struct config_key *conf_kind_key(const struct config_kind *k, size_t i);

/* The shared key tables (confval.c).  Their offsets are into struct
 * target_common, which begins every target's config struct. */
/* enabled and interval: every target kind (its timeout, whose default
 * differs by kind, is its own key) */
extern const struct config_key conf_target_keys[];
/* password_file and password_env: the targets that log in */
extern const struct config_key conf_password_keys[];
/* The shared_keys of a target kind without and with a password. */
extern const struct config_key *const conf_target_shared[];
extern const struct config_key *const conf_target_password_shared[];

struct config_entry {
	char *key;
	char *value;
	int line;
};

struct config_section {
	const struct config_kind *kind;
	char *name;                 /* the section's name; the kind's for unnamed ones */
	char *label;                /* as written: [host] or [postgres "main"] */
	int line;                   /* 0 for implicit sections */
	void *conf;                 /* struct of kind->conf_size, typed values */
	struct config_entry *entries;   /* as written, to compare on reload */
	size_t nentries, entries_alloc;
};

struct config {
	atomic_int refs;
	char *path;
	struct config_section *sections;
	size_t nsections, sections_alloc;
};

/* Loads and checks a file.  NULL on failure, with one line per problem
 * appended to errors.  The caller owns the result (config_unref). */
struct config *config_load(const char *path, struct buf *errors);
/* The same from text in memory; name is used in messages. */
struct config *config_load_string(const char *text, size_t len, const char *name,
				  struct buf *errors);
/* The same against another table of kinds (NULL-terminated), for tests. */
struct config *config_parse(const char *text, size_t len, const char *name,
			    const struct config_kind *const *kinds, struct buf *errors);
struct config *config_ref(struct config *c);
void config_unref(struct config *c);

/* The section of kind (and name, for named kinds), or NULL. */
const struct config_section *config_find(const struct config *c, const char *kind,
					 const char *name);
/* The typed struct of a single-instance kind such as "agent". */
const void *config_get(const struct config *c, const char *kind);
/* Whether two sections were written the same (same kind, name, keys and
 * values): a reload keeps such a target running untouched. */
int config_section_same(const struct config_section *a, const struct config_section *b);

/* inih's ini_parse_stream(reader, stream, handler, user) with inline
 * comments and multi-line values off and lines of up to max_line - 3
 * characters (where the library lets a program say so at run time), under
 * the lock that every use of inih takes: those settings are process-wide.
 * The reader is handed buffers of max_line bytes (or inih's own size). */
int conf_ini_parse_stream(char *(*reader)(char *str, int num, void *stream), void *stream,
			  int (*handler)(void *user, const char *section, const char *name,
					 const char *value),
			  void *user, int max_line);

/* The table of kinds (registry.c). */
extern const struct config_kind *const config_kinds[];

/* Typed value parsers (confval.c), also used by tests.  Each returns 0, or
 * -1 with what was expected in err. */
int conf_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen);
int conf_parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen);
int conf_parse_bool(const char *s, int *out, char *err, size_t errlen);
int conf_parse_int(const char *s, int64_t *out, char *err, size_t errlen);
int conf_parse_list(const char *s, struct conf_list *out, char *err, size_t errlen);
int conf_parse_address(const char *s, struct conf_address *out, char *err, size_t errlen);
int conf_parse_regex(const char *s, struct conf_regex *out, char *err, size_t errlen);
void conf_list_release(struct conf_list *l);
void conf_regex_release(struct conf_regex *r);
void conf_address_release(struct conf_address *a);
/* A duration as written in configs ("15s", "1m30s", "250ms"). */
void conf_format_duration(int64_t ms, char *out, size_t outlen);

struct target_common;
/* fit_default of a target's timeout: a timeout the user did not write is
 * the smaller of its default and the interval.  conf begins with a
 * struct target_common. */
void conf_fit_timeout(void *conf);
/* The checks every target kind makes: at most one of password_file and
 * password_env (both NULL for kinds without them), and a timeout within
 * the interval.  0, or -1 with err. */
int conf_check_target(const struct target_common *t, char *err, size_t errlen);
/* How a target's line of --check-config begins: "LABEL every INTERVAL,
 * timeout TIMEOUT" (the effective ones). */
void conf_describe_target(const char *label, const struct target_common *t, struct buf *out);
/* check_config of the targets that log in: the password file, as the
 * worker will read it (--check-config, a reload, the start).  0, or -1
 * with err. */
int conf_check_password_file(const struct config *cfg, const struct config_section *s, char *err,
			     size_t errlen);
/* Where a target's password comes from, for its line of --check-config:
 * " + password_file", " + password_env" or "" (never the password). */
const char *conf_password_source(const struct target_common *t);
/* Whether the regex (which may be unset) matches s. */
int conf_regex_match(const struct conf_regex *r, const char *s);

/* A pattern's verdicts on a list of names that comes back in the same
 * order every collection (the fields of /proc/vmstat, /proc/net/netstat):
 * regexec runs only for a name that is not where it was the last time.
 * Start from a zeroed struct; one per list and pattern. */
struct regex_memo {
	char **names;
	unsigned char *match;
	size_t n, alloc;
};
/* Whether r matches name, the i-th of the list (0 first). */
int regex_memo_match(struct regex_memo *m, const struct conf_regex *r, size_t i, const char *name);
void regex_memo_release(struct regex_memo *m);

#endif
