/*
 * config.c -- loads agent.ini into typed, reference-counted configs.
 *
 * inih does the INI splitting; this file feeds it line by line through its
 * own reader, which is what knows the line numbers.  The reader also checks
 * what inih would silently accept or mangle (over-long lines that inih cuts
 * and then parses as two, sections and keys longer than inih's buffers,
 * ':' used as a separator, NUL bytes) and hands inih a blank line instead of
 * a bad one, so that every problem is reported once, with its line, and
 * parsing goes on to find the next.  Runs on the main thread only (start
 * and SIGHUP); never logs.
 */
#include "autoconfig.h"
#include "config.h"
#include "buf.h"
#include "ini_lines.h"
#include "strutil.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "banned.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define CONFIG_MAX_LINE 4096   /* where inih lets us raise its limit of 200 */
#define INIH_MAX_NAME 50 /* inih's section and key buffers */

struct parse_state {
	const struct config_kind *const *kinds;
	const char *file;           /* for messages */
	struct ini_lines lines;     /* .line: of the line last handed to inih */
	struct config *cfg;
	struct config_section *cur; /* NULL: keys are ignored (no or bad section) */
	int cur_bad;                /* the current section header was wrong */
	struct buf *errors;
	int nerrors;
	/* Per section (same index as cfg->sections): whether a problem was
	 * reported for it.  Such a section's struct may hold NULL for a
	 * required key, or a value that was released after failing to parse,
	 * so neither its kind's validate nor its check_config may see it. */
	unsigned char *section_bad;
	size_t section_bad_alloc;
};

static void errorf(struct parse_state *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errorf(struct parse_state *ps, int line, const char *fmt, ...)
{
	va_list ap;
	if (line > 0)
		buf_printf(ps->errors, "%s:%d: ", ps->file, line);
	else
		buf_printf(ps->errors, "%s: ", ps->file);
	va_start(ap, fmt);
	buf_vprintf(ps->errors, fmt, ap);
	va_end(ap);
	buf_putc(ps->errors, '\n');
	ps->nerrors++;
}

static const struct config_kind *kind_by_name(const struct parse_state *ps, const char *name)
{
	for (size_t i = 0; ps->kinds[i]; i++)
		if (strcmp(ps->kinds[i]->name, name) == 0)
			return ps->kinds[i];
	return NULL;
}

static const struct config_key *key_by_name(const struct config_kind *k, const char *name)
{
	const struct config_key *key;
	for (size_t i = 0; (key = conf_kind_key(k, i)); i++)
		if (strcmp(key->name, name) == 0)
			return key;
	return NULL;
}

/* The closest known word within a small distance, for "did you mean". */
static const char *nearest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	size_t limit = strlen(word) <= 4 ? 1 : strlen(word) / 3 + 1;
	return best_d <= limit ? best : NULL;
}

static const char *nearest_key(const struct config_kind *k, const char *name)
{
	const char *names[128];
	size_t n = 0;
	const struct config_key *key;
	for (size_t i = 0; (key = conf_kind_key(k, i)) && n < 128; i++)
		names[n++] = key->name;
	return nearest(name, names, n);
}

static const char *nearest_kind(const struct parse_state *ps, const char *name)
{
	const char *names[64];
	size_t n = 0;
	for (size_t i = 0; ps->kinds[i] && n < 64; i++)
		names[n++] = ps->kinds[i]->name;
	return nearest(name, names, n);
}

/* ---- typed values ---------------------------------------------------- */

static void value_release(const struct config_key *key, void *conf)
{
	char *slot = (char *)conf + key->offset;
	switch (key->type) {
	case CONF_STRING:
		free(*(char **)slot);
		*(char **)slot = NULL;
		break;
	case CONF_LIST:
		conf_list_release((struct conf_list *)slot);
		break;
	case CONF_REGEX:
		conf_regex_release((struct conf_regex *)slot);
		break;
	case CONF_ADDRESS:
		conf_address_release((struct conf_address *)slot);
		break;
	case CONF_CUSTOM:
		key->release(slot);
		break;
	default:
		break;
	}
}

static int value_set(const struct config_key *key, void *conf, const char *value, char *err,
		     size_t errlen)
{
	char *slot = (char *)conf + key->offset;
	int64_t n;
	switch (key->type) {
	case CONF_STRING:
		*(char **)slot = xstrdup(value);
		return 0;
	case CONF_BOOL:
		return conf_parse_bool(value, (int *)slot, err, errlen);
	case CONF_INT:
		if (conf_parse_int(value, &n, err, errlen) < 0)
			return -1;
		if (key->max > 0 && (n < key->min || n > key->max)) {
			snprintf(err, errlen, "expected an integer from %lld to %lld",
				 (long long)key->min, (long long)key->max);
			return -1;
		}
		*(int64_t *)slot = n;
		return 0;
	case CONF_DURATION:
		if (conf_parse_duration(value, &n, err, errlen) < 0)
			return -1;
		if (key->max > 0 && (n < key->min || n > key->max)) {
			char lo[32], hi[32];
			conf_format_duration(key->min, lo, sizeof(lo));
			conf_format_duration(key->max, hi, sizeof(hi));
			snprintf(err, errlen, "expected a duration from %s to %s", lo, hi);
			return -1;
		}
		*(int64_t *)slot = n;
		return 0;
	case CONF_SIZE:
		return conf_parse_size(value, (uint64_t *)slot, err, errlen);
	case CONF_LIST:
		return conf_parse_list(value, (struct conf_list *)slot, err, errlen);
	case CONF_REGEX:
		if (*value == '\0')
			return 0; /* empty: match nothing */
		return conf_parse_regex(value, (struct conf_regex *)slot, err, errlen);
	case CONF_ENUM: {
		struct buf choices = BUF_INIT(512);
		for (size_t i = 0; key->choices[i]; i++) {
			if (strcmp(key->choices[i], value) == 0) {
				*(int *)slot = (int)i;
				buf_release(&choices);
				return 0;
			}
			buf_printf(&choices, "%s%s", i ? ", " : "", key->choices[i]);
		}
		snprintf(err, errlen, "expected one of %s", buf_str(&choices));
		buf_release(&choices);
		return -1;
	}
	case CONF_ADDRESS:
		return conf_parse_address(value, (struct conf_address *)slot, err, errlen);
	case CONF_CUSTOM:
		return key->parse(value, slot, err, errlen);
	}
	return -1;
}

/* ---- sections ---------------------------------------------------------- */

static struct config_section *section_add(struct config *cfg, const struct config_kind *kind,
					  const char *name, int line)
{
	cfg->sections = xgrow(cfg->sections, &cfg->sections_alloc, cfg->nsections + 1,
			      sizeof(*cfg->sections));
	struct config_section *s = &cfg->sections[cfg->nsections++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->name = xstrdup(name ? name : kind->name);
	s->label = name ? xasprintf("[%s \"%s\"]", kind->name, name) : xasprintf("[%s]", kind->name);
	s->line = line;
	s->conf = xcalloc(1, kind->conf_size);
	return s;
}

static void section_release(struct config_section *s)
{
	const struct config_key *key;
	for (size_t i = 0; (key = conf_kind_key(s->kind, i)); i++)
		value_release(key, s->conf);
	free(s->conf);
	for (size_t i = 0; i < s->nentries; i++) {
		free(s->entries[i].key);
		free(s->entries[i].value);
	}
	free(s->entries);
	free(s->name);
	free(s->label);
}

static const struct config_entry *entry_find(const struct config_section *s, const char *key)
{
	for (size_t i = 0; i < s->nentries; i++)
		if (strcmp(s->entries[i].key, key) == 0)
			return &s->entries[i];
	return NULL;
}

static int valid_section_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.:", *s))
			return 0;
	return 1;
}

/* Parses "kind" or kind "name" (the text between the brackets). */
static void section_header(struct parse_state *ps, char *inner)
{
	char *p = trim(inner);
	char shown[INIH_MAX_NAME];     /* the header as written, for messages */
	snprintf(shown, sizeof(shown), "%s", p);
	char *kind_end = p;
	while (isalnum((unsigned char)*kind_end) || *kind_end == '_' || *kind_end == '-')
		kind_end++;
	char kind_name[INIH_MAX_NAME];
	size_t klen = (size_t)(kind_end - p);
	char *rest = trim(kind_end);
	char *name = NULL;

	ps->cur = NULL;
	ps->cur_bad = 1;
	if (klen == 0 || klen >= sizeof(kind_name)) {
		errorf(ps, ps->lines.line, "[%s]: expected a section like [host] or [postgres \"name\"]", shown);
		return;
	}
	memcpy(kind_name, p, klen);
	kind_name[klen] = '\0';
	if (*rest) {
		size_t rlen = strlen(rest);
		if (rest[0] != '"' || rlen < 2 || rest[rlen - 1] != '"') {
			errorf(ps, ps->lines.line, "[%s]: expected the section's name in double quotes, like [%s \"main\"]",
			       shown, kind_name);
			return;
		}
		rest[rlen - 1] = '\0';
		name = rest + 1;
	}
	const struct config_kind *kind = kind_by_name(ps, kind_name);
	if (!kind) {
		const char *hint = nearest_kind(ps, kind_name);
		if (hint)
			errorf(ps, ps->lines.line, "[%s]: unknown section; did you mean [%s]?", shown, hint);
		else
			errorf(ps, ps->lines.line, "[%s]: unknown section", shown);
		return;
	}
	if (kind->named && !name) {
		errorf(ps, ps->lines.line, "[%s]: this section needs a name, like [%s \"main\"]", shown, kind_name);
		return;
	}
	if (!kind->named && name) {
		errorf(ps, ps->lines.line, "[%s]: this section takes no name; write [%s]", shown, kind_name);
		return;
	}
	if (name && !valid_section_name(name)) {
		errorf(ps, ps->lines.line, "[%s]: expected a name of letters, digits and - _ . :", shown);
		return;
	}
	const struct config_section *prev = config_find(ps->cfg, kind_name, name);
	if (prev) {
		errorf(ps, ps->lines.line, "%s: section repeated; first defined on line %d", prev->label, prev->line);
		return;
	}
	ps->cur = section_add(ps->cfg, kind, name, ps->lines.line);
	ps->cur_bad = 0;
}

/* Marks the section at index i of cfg->sections as reported. */
static void section_mark_bad(struct parse_state *ps, size_t i)
{
	if (i >= ps->section_bad_alloc) {
		size_t old = ps->section_bad_alloc;
		ps->section_bad = xgrow(ps->section_bad, &ps->section_bad_alloc, i + 1, 1);
		memset(ps->section_bad + old, 0, ps->section_bad_alloc - old);
	}
	ps->section_bad[i] = 1;
}

static int section_is_bad(const struct parse_state *ps, size_t i)
{
	return i < ps->section_bad_alloc && ps->section_bad[i];
}

/* ---- the reader inih calls for each line ------------------------------- */

/* Checks a raw line; returns 0 if inih may see it, -1 if it was reported. */
static int check_line(struct parse_state *ps, char *line)
{
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == ';' || *p == '#')
		return 0;
	if (*p == '[') {
		char *end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		if (end - p < 2 || end[-1] != ']') {
			errorf(ps, ps->lines.line, "expected ']' at the end of the section line");
			ps->cur = NULL;
			ps->cur_bad = 1;
			return -1;
		}
		if ((size_t)(end - p - 2) >= INIH_MAX_NAME) {
			errorf(ps, ps->lines.line, "section line too long (at most %d characters between the brackets)",
			       INIH_MAX_NAME - 1);
			ps->cur = NULL;
			ps->cur_bad = 1;
			return -1;
		}
		char inner[INIH_MAX_NAME];
		memcpy(inner, p + 1, (size_t)(end - p - 2));
		inner[end - p - 2] = '\0';
		section_header(ps, inner);
		return 0;
	}
	char *eq = strchr(p, '=');
	char *colon = strchr(p, ':');
	if (!eq || (colon && colon < eq)) {
		errorf(ps, ps->lines.line, "expected 'key = value', got '%s'", trim(p));
		return -1;
	}
	if ((size_t)(eq - p) >= INIH_MAX_NAME) {
		errorf(ps, ps->lines.line, "key too long (at most %d characters)", INIH_MAX_NAME - 1);
		return -1;
	}
	if (eq == p) {
		errorf(ps, ps->lines.line, "expected a key before '='");
		return -1;
	}
	return 0;
}

static char *config_reader(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	size_t n;
	enum ini_lines_status st;
	while ((st = ini_lines_next(&ps->lines, str, num, &n)) != INI_LINES_END) {
		if (st == INI_LINES_NUL) {
			errorf(ps, ps->lines.line, "line contains a NUL byte");
			continue;
		}
		if (st == INI_LINES_LONG) {
			errorf(ps, ps->lines.line, "line too long (%zu characters, at most %d)", n, num - 3);
			continue;
		}
		char *p = str;
		/* inih would take an indented line for the continuation of the
		 * previous value; here every line stands alone. */
		size_t lead = strspn(p, " \t");
		if (lead)
			memmove(p, p + lead, n - lead + 1);
		if (check_line(ps, p) < 0)
			continue;
		size_t l = strlen(p);
		p[l] = '\n';
		p[l + 1] = '\0';
		return p;
	}
	return NULL;
}

static void add_entry(struct config_section *s, const char *name, const char *value, int line)
{
	s->entries = xgrow(s->entries, &s->entries_alloc, s->nentries + 1, sizeof(*s->entries));
	s->entries[s->nentries++] = (struct config_entry){ xstrdup(name), xstrdup(value), line };
}

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	(void)section;
	if (!ps->cur) {
		if (!ps->cur_bad)
			errorf(ps, ps->lines.line, "%s: key outside of any section; put it under [agent] or another section",
			       name);
		return 1;
	}
	struct config_section *s = ps->cur;
	size_t si = (size_t)(s - ps->cfg->sections);
	const struct config_key *key = key_by_name(s->kind, name);
	if (!key) {
		section_mark_bad(ps, si);
		const char *hint = nearest_key(s->kind, name);
		if (hint)
			errorf(ps, ps->lines.line, "%s %s: unknown key; did you mean '%s'?", s->label, name, hint);
		else
			errorf(ps, ps->lines.line, "%s %s: unknown key", s->label, name);
		return 1;
	}
	const struct config_entry *prev = entry_find(s, name);
	if (prev) {
		section_mark_bad(ps, si);
		errorf(ps, ps->lines.line, "%s %s: key repeated; first set on line %d", s->label, name, prev->line);
		return 1;
	}
	char err[1024];
	if (value_set(key, s->conf, value, err, sizeof(err)) < 0) {
		section_mark_bad(ps, si);
		if (key->type == CONF_CUSTOM)   /* its message shows the value */
			errorf(ps, ps->lines.line, "%s %s: %s", s->label, name, err);
		else
			errorf(ps, ps->lines.line, "%s %s: %s, got '%s'", s->label, name, err, value);
		value_release(key, s->conf);
		if (key->required)   /* set, though wrongly: not also "missing" */
			add_entry(s, name, value, ps->lines.line);
		return 1;
	}
	add_entry(s, name, value, ps->lines.line);
	return 1;
}

/* Defaults and required keys of one section; marks it bad on a problem. */
static void section_fill_defaults(struct parse_state *ps, size_t i)
{
	struct config_section *s = &ps->cfg->sections[i];
	const struct config_key *key;
	for (size_t k = 0; (key = conf_kind_key(s->kind, k)); k++) {
		if (entry_find(s, key->name))
			continue;
		if (key->required) {
			errorf(ps, s->line, "%s %s: required key missing", s->label, key->name);
			section_mark_bad(ps, i);
			continue;
		}
		char err[256];
		if (key->def && value_set(key, s->conf, key->def, err, sizeof(err)) < 0) {
			errorf(ps, s->line, "%s %s: bad built-in default '%s': %s", s->label,
			       key->name, key->def, err);
			section_mark_bad(ps, i);
		}
	}
	if (section_is_bad(ps, i))
		return;
	/* every key has its value: the defaults may now fit the written ones */
	for (size_t k = 0; (key = conf_kind_key(s->kind, k)); k++)
		if (key->fit_default && !entry_find(s, key->name))
			key->fit_default(s->conf);
}

/* Defaults, required keys and the kind's own checks, for every section.
 * The checks run only on sections without a reported problem: validate
 * and check_config may rely on every required key being set and every
 * value parsed (pg_validate and redis_validate do). */
static void finish_sections(struct parse_state *ps)
{
	struct config *cfg = ps->cfg;
	for (size_t i = 0; ps->kinds[i]; i++)
		if (ps->kinds[i]->implicit && !config_find(cfg, ps->kinds[i]->name, NULL))
			section_add(cfg, ps->kinds[i], NULL, 0);
	for (size_t i = 0; i < cfg->nsections; i++) {
		struct config_section *s = &cfg->sections[i];
		section_fill_defaults(ps, i);
		if (section_is_bad(ps, i))
			continue;
		char err[512];
		if (s->kind->validate && s->kind->validate(s->conf, err, sizeof(err)) < 0) {
			errorf(ps, s->line, "%s %s", s->label, err);
			section_mark_bad(ps, i);
		}
	}
	for (size_t i = 0; i < cfg->nsections; i++) {
		const struct config_section *s = &cfg->sections[i];
		char err[512];
		if (section_is_bad(ps, i))
			continue;
		if (s->kind->check_config && s->kind->check_config(cfg, s, err, sizeof(err)) < 0)
			errorf(ps, s->line, "%s %s", s->label, err);
	}
	/* a target's name is its `target` label: one name, one target */
	for (size_t i = 0; i < cfg->nsections; i++) {
		const struct config_section *s = &cfg->sections[i];
		for (size_t j = 0; s->kind->collector && j < i; j++) {
			const struct config_section *t = &cfg->sections[j];
			if (t->kind->collector && strcmp(s->name, t->name) == 0) {
				if (t->line)
					errorf(ps, s->line, "%s: the target name '%s' is taken by %s on line %d",
					       s->label, s->name, t->label, t->line);
				else
					errorf(ps, s->line, "%s: the target name '%s' is taken by %s",
					       s->label, s->name, t->label);
				break;
			}
		}
	}
}

/* inih's settings are process-wide variables in Debian's build: every
 * parse sets them, and runs, under this lock (the agent's configuration
 * on the main thread, a pgBackRest backup.info on a worker). */
static pthread_mutex_t inih_lock = PTHREAD_MUTEX_INITIALIZER;

int conf_ini_parse_stream(char *(*reader)(char *str, int num, void *stream), void *stream,
			  int (*handler)(void *user, const char *section, const char *name,
					 const char *value),
			  void *user, int max_line)
{
	pthread_mutex_lock(&inih_lock);
#if HAVE_DECL_INI_ALLOW_INLINE_COMMENTS
	ini_allow_inline_comments = 0;
#endif
#if HAVE_DECL_INI_ALLOW_MULTILINE
	ini_allow_multiline = 0;
#endif
#if HAVE_DECL_INI_USE_STACK && HAVE_DECL_INI_INITIAL_ALLOC
	/* a buffer for long lines on the heap (a worker's stack is small) */
	ini_use_stack = max_line <= CONFIG_MAX_LINE + 3;
	ini_initial_alloc = max_line;
#endif
#if HAVE_DECL_INI_MAX_LINE
	ini_max_line = max_line;
#else
	(void)max_line;
#endif
	int rc = ini_parse_stream(reader, stream, handler, user);
	pthread_mutex_unlock(&inih_lock);
	return rc;
}

struct config *config_parse(const char *text, size_t len, const char *name,
			    const struct config_kind *const *kinds, struct buf *errors)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	atomic_init(&cfg->refs, 1);
	cfg->path = xstrdup(name);
	struct parse_state ps = {
		.kinds = kinds, .file = name, .lines = { .text = text, .len = len }, .cfg = cfg,
		.errors = errors,
	};
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		ps.lines.pos = 3;
	int rc = conf_ini_parse_stream(config_reader, &ps, config_handler, &ps, CONFIG_MAX_LINE + 3);
	if (rc > 0 && ps.nerrors == 0)
		errorf(&ps, rc, "cannot parse this line");
	else if (rc < 0 && ps.nerrors == 0)
		errorf(&ps, 0, "cannot parse the file (inih error %d)", rc);
	finish_sections(&ps);
	free(ps.section_bad);
	if (ps.nerrors) {
		config_unref(cfg);
		return NULL;
	}
	return cfg;
}

struct config *config_load_string(const char *text, size_t len, const char *name,
				  struct buf *errors)
{
	return config_parse(text, len, name, config_kinds, errors);
}

struct config *config_load(const char *path, struct buf *errors)
{
	struct buf text = BUF_INIT(CONFIG_MAX_BYTES);
	if (read_file(path, &text) < 0) {
		if (errno == EFBIG)
			buf_printf(errors, "%s: file too large (more than %u bytes)\n", path, CONFIG_MAX_BYTES);
		else
			buf_printf(errors, "%s: cannot read: %s\n", path, strerror(errno));
		buf_release(&text);
		return NULL;
	}
	struct config *cfg = config_load_string(text.data, text.len, path, errors);
	buf_release(&text);
	return cfg;
}

struct config *config_ref(struct config *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void config_unref(struct config *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (size_t i = 0; i < c->nsections; i++)
		section_release(&c->sections[i]);
	free(c->sections);
	free(c->path);
	free(c);
}

const struct config_section *config_find(const struct config *c, const char *kind, const char *name)
{
	for (size_t i = 0; i < c->nsections; i++) {
		const struct config_section *s = &c->sections[i];
		if (strcmp(s->kind->name, kind) != 0)
			continue;
		if (!s->kind->named || (name && strcmp(s->name, name) == 0))
			return s;
	}
	return NULL;
}

const void *config_get(const struct config *c, const char *kind)
{
	const struct config_section *s = config_find(c, kind, NULL);
	return s ? s->conf : NULL;
}

int config_section_same(const struct config_section *a, const struct config_section *b)
{
	if (a->kind != b->kind || strcmp(a->name, b->name) != 0 || a->nentries != b->nentries)
		return 0;
	for (size_t i = 0; i < a->nentries; i++) {
		const struct config_entry *e = entry_find(b, a->entries[i].key);
		if (!e || strcmp(e->value, a->entries[i].value) != 0)
			return 0;
	}
	return 1;
}
