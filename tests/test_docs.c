/*
 * test_docs.c -- the documentation agrees with the code, and holds together.
 *
 * The man page doc/dbpulse.ini.5 is the one per-key reference: walking the
 * parser's table of section kinds (config_kinds[]), every key the parser
 * accepts is documented there, under its section, in the parser's order,
 * and every documented key is one the parser knows; each key's type (with
 * its bounds or choices), its default and its example are checked too: the
 * default is the code's, the example parses, and the page's EXAMPLE loads.
 * dbpulse.8 must name every option of the command line and of `dbpulse top`.
 *
 * The Markdown documentation (README.md, doc/NAME.md) lists no keys; it is
 * checked for what it does say: doc/configuration.md names every section
 * kind of config_kinds[] (a new section is not forgotten); the README's
 * minimal configuration loads; every relative link of README.md,
 * CONTRIBUTING.md and doc/NAME.md names a file that exists, and its
 * #anchor a heading of the Markdown file it points into (GitHub's anchor
 * rules), each problem reported as file:line; every doc/NAME.md is reached
 * by links from README.md and listed in Makefile.am (so make dist carries
 * it).
 *
 * The files are found through $top_srcdir, which `make check` exports (in
 * a distcheck, the unpacked tarball).  Every problem is reported (file,
 * line, section, key), not only the first.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "strutil.h"
#include "top.h"
#include "xalloc.h"

#define MAN_INI "doc/dbpulse.ini.5"
#define MAN_CMD "doc/dbpulse.8"
#define README "README.md"
#define CONFIG_MD "doc/configuration.md"
#define MAX_KINDS 32

/* One key as a document has it. */
struct doc_key {
	const struct config_kind *kind;
	char *name;
	int line;
	char *type;      /* man: the "Type:" text, unescaped, without the final '.' */
	char *def;       /* man: the "Default:" text or bold value */
	int def_bold;    /* man: the default is a value (in bold), not prose */
	char *example;   /* man: "key = value" */
};

struct doc {
	const char *file;                 /* as named in messages */
	struct buf text;
	struct doc_key *keys;
	size_t nkeys, keys_alloc;
	const struct config_kind *kinds[MAX_KINDS];   /* the sections, in order */
	size_t nkinds;
	struct buf problems;
	int nproblems;
};

static void problem(struct doc *d, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(struct doc *d, int line, const char *fmt, ...)
{
	va_list ap;
	buf_printf(&d->problems, line > 0 ? "%s:%d: " : "%s: ", d->file, line);
	va_start(ap, fmt);
	buf_vprintf(&d->problems, fmt, ap);
	va_end(ap);
	buf_putc(&d->problems, '\n');
	d->nproblems++;
}

/* Fails the test with every problem found. */
static void report(struct doc *d)
{
	if (d->nproblems) {
		print_error("%s", buf_str(&d->problems));
		fail_msg("%d problem(s) in %s", d->nproblems, d->file);
	}
}

static void doc_open(struct doc *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
	buf_init(&d->text, 1 << 22);
	buf_init(&d->problems, BUF_UNLIMITED);
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/%s", top && *top ? top : ".", file);
	if (read_file(path, &d->text) < 0)
		fail_msg("cannot read %s (is top_srcdir set?)", path);
	free(path);
}

static void doc_close(struct doc *d)
{
	for (size_t i = 0; i < d->nkeys; i++) {
		free(d->keys[i].name);
		free(d->keys[i].type);
		free(d->keys[i].def);
		free(d->keys[i].example);
	}
	free(d->keys);
	buf_release(&d->text);
	buf_release(&d->problems);
}

static const char *label(const struct config_kind *k, char *out, size_t outlen)
{
	snprintf(out, outlen, k->named ? "[%s \"NAME\"]" : "[%s]", k->name);
	return out;
}

static const struct config_key *parser_key(const struct config_kind *k, const char *name)
{
	const struct config_key *key;
	for (size_t i = 0; (key = conf_kind_key(k, i)); i++)
		if (strcmp(key->name, name) == 0)
			return key;
	return NULL;
}

static const struct doc_key *doc_key(const struct doc *d, const struct config_kind *k,
				     const char *name)
{
	for (size_t i = 0; i < d->nkeys; i++)
		if (d->keys[i].kind == k && strcmp(d->keys[i].name, name) == 0)
			return &d->keys[i];
	return NULL;
}

/* Records a documented key; returns its index, or -1 for a repeated one. */
static long add_key(struct doc *d, const struct config_kind *k, const char *name, int line)
{
	char l[64];
	const struct doc_key *prev = doc_key(d, k, name);
	if (prev) {
		problem(d, line, "%s %s: documented twice (first on line %d)", label(k, l, sizeof(l)),
			name, prev->line);
		return -1;
	}
	d->keys = xgrow(d->keys, &d->keys_alloc, d->nkeys + 1, sizeof(*d->keys));
	d->keys[d->nkeys] = (struct doc_key){ .kind = k, .name = xstrdup(name), .line = line };
	return (long)d->nkeys++;
}

/* The kind of a section title, "[host]" or "[postgres \"NAME\"]"; NULL
 * (reported) when the title is no known section as the parser has it. */
static const struct config_kind *section_kind(struct doc *d, const char *title, int line)
{
	size_t n = strlen(title);
	char inner[128], l[64];
	if (n < 3 || title[0] != '[' || title[n - 1] != ']' || n - 2 >= sizeof(inner)) {
		problem(d, line, "'%s': expected a section title like [host] or [postgres \"NAME\"]", title);
		return NULL;
	}
	snprintf(inner, sizeof(inner), "%.*s", (int)(n - 2), title + 1);
	char *space = strchr(inner, ' ');
	const char *name = space ? space + 1 : NULL;
	if (space)
		*space = '\0';
	for (size_t i = 0; config_kinds[i]; i++) {
		const struct config_kind *k = config_kinds[i];
		if (strcmp(k->name, inner) != 0)
			continue;
		if (k->named ? !name || strcmp(name, "\"NAME\"") != 0 : name != NULL) {
			problem(d, line, "'%s': the parser's section is written %s", title,
				label(k, l, sizeof(l)));
			return NULL;
		}
		for (size_t j = 0; j < d->nkinds; j++)
			if (d->kinds[j] == k) {
				problem(d, line, "%s: documented twice", title);
				return NULL;
			}
		if (d->nkinds < MAX_KINDS)
			d->kinds[d->nkinds++] = k;
		return k;
	}
	problem(d, line, "%s: a section the parser does not know", title);
	return NULL;
}

/* Every kind and key of the parser is documented; every documented key is
 * the parser's. */
static void check_coverage(struct doc *d)
{
	char l[64];
	for (size_t i = 0; i < d->nkeys; i++)
		if (!parser_key(d->keys[i].kind, d->keys[i].name))
			problem(d, d->keys[i].line, "%s %s: documented, but the parser knows no such key",
				label(d->keys[i].kind, l, sizeof(l)), d->keys[i].name);
	for (size_t i = 0; config_kinds[i]; i++) {
		const struct config_kind *k = config_kinds[i];
		size_t j = 0;
		while (j < d->nkinds && d->kinds[j] != k)
			j++;
		if (j == d->nkinds) {
			problem(d, 0, "%s: no section documents it", label(k, l, sizeof(l)));
			continue;
		}
		const struct config_key *key;
		for (size_t n = 0; (key = conf_kind_key(k, n)); n++)
			if (!doc_key(d, k, key->name))
				problem(d, 0, "%s %s: the parser accepts it, but it is not documented",
					label(k, l, sizeof(l)), key->name);
	}
}

/* ---- roff -------------------------------------------------------------- */

/* The text of roff source s without its escapes; NULL (reported) for an
 * escape this test does not know.  The caller frees. */
static char *roff_text(struct doc *d, int line, const char *s)
{
	static const struct { const char *esc, *text; } named[] = {
		{ "dq", "\"" }, { "aq", "'" }, { "ga", "`" }, { "ti", "~" }, { "ha", "^" }, { "rs", "\\" },
	};
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	for (const char *p = s; *p; p++) {
		if (*p != '\\') {
			buf_putc(&out, *p);
			continue;
		}
		char c = *++p;
		if (c == 'f' && p[1] && strchr("BIRP", p[1])) {
			p++;
		} else if (c == '(' && p[1] && p[2]) {
			size_t i = 0;
			while (i < sizeof(named) / sizeof(named[0]) && strncmp(named[i].esc, p + 1, 2) != 0)
				i++;
			if (i == sizeof(named) / sizeof(named[0]))
				goto unknown;
			buf_puts(&out, named[i].text);
			p += 2;
		} else if (c == '-' || c == '.') {
			buf_putc(&out, c);
		} else if (c == 'e') {
			buf_putc(&out, '\\');
		} else if (c == ' ' || c == '~') {
			buf_putc(&out, ' ');
		} else if (!c || !strchr(":&%", c)) {
			goto unknown;
		}
	}
	return buf_detach(&out, NULL);
unknown:
	problem(d, line, "an escape this test does not know in '%s'", s);
	buf_release(&out);
	return NULL;
}

/* The text of a macro's arguments, one quoted argument unquoted. */
static char *roff_arg(struct doc *d, int line, const char *arg)
{
	char *copy = xstrdup(arg);
	char *t = trim(copy);
	size_t n = strlen(t);
	if (n >= 2 && t[0] == '"' && t[n - 1] == '"') {
		t[n - 1] = '\0';
		t++;
	}
	char *text = roff_text(d, line, t);
	free(copy);
	return text;
}

/* "Default: \fBvalue\fR." or "Default: none ...": sets def, def_bold. */
static void man_default(struct doc *d, struct doc_key *e, const char *rest, int line)
{
	if (strncmp(rest, "\\fB", 3) == 0) {
		const char *end = strstr(rest, "\\fR");
		if (!end) {
			problem(d, line, "%s: expected \\fR after the default", e->name);
			return;
		}
		char *raw = xstrndup(rest + 3, (size_t)(end - rest - 3));
		e->def = roff_text(d, line, raw);
		e->def_bold = 1;
		free(raw);
	} else {
		e->def = roff_text(d, line, rest);
	}
}

static void man_example(struct doc *d, struct doc_key *e, const char *rest, int line)
{
	const char *end = strstr(rest, "\\fR");
	if (strncmp(rest, "\\fB", 3) != 0 || !end) {
		problem(d, line, "%s: expected the example as \\fBkey = value\\fR", e->name);
		return;
	}
	char *raw = xstrndup(rest + 3, (size_t)(end - rest - 3));
	e->example = roff_text(d, line, raw);
	free(raw);
}

/* One line of a key's entry: its Type, Default and Example lines. */
static void man_key_line(struct doc *d, struct doc_key *e, const char *line, int lineno)
{
	static const char *const prefixes[] = { "Type: ", "Default: ", "Example: " };
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(line, prefixes[i], n) != 0)
			continue;
		const char *rest = line + n;
		char **slot = i == 0 ? &e->type : i == 1 ? &e->def : &e->example;
		if (*slot) {
			problem(d, lineno, "%s: a second '%s' line", e->name, prefixes[i]);
			return;
		}
		if (i == 0) {
			e->type = roff_text(d, lineno, rest);
			size_t l = e->type ? strlen(e->type) : 0;
			if (l && e->type[l - 1] == '.')
				e->type[l - 1] = '\0';
		} else if (i == 1) {
			man_default(d, e, rest, lineno);
		} else {
			man_example(d, e, rest, lineno);
		}
	}
}

/* The keys of the SECTIONS part: .SS "[kind ...]", then .TP / .B key. */
static void man_parse(struct doc *d)
{
	size_t pos = 0;
	int lineno = 0, in_sections = 0, expect_key = 0;
	long cur = -1;
	const struct config_kind *kind = NULL;
	char *line;
	while ((line = next_line(d->text.data, d->text.len, &pos))) {
		lineno++;
		if (expect_key) {
			expect_key = 0;
			char *name = strncmp(line, ".B ", 3) == 0 ? roff_arg(d, lineno, line + 3) : NULL;
			if (name) {
				cur = add_key(d, kind, name, lineno);
				free(name);
				continue;
			}
			problem(d, lineno, "a .TP under %s that is not followed by '.B key'", kind->name);
		}
		if (line[0] != '.') {
			if (cur >= 0)
				man_key_line(d, &d->keys[cur], line, lineno);
			continue;
		}
		if (strncmp(line, ".br", 3) == 0 || strncmp(line, ".\\\"", 3) == 0)
			continue;
		cur = -1;
		if (strncmp(line, ".SH", 3) == 0) {
			kind = NULL;
			in_sections = strcmp(trim(line + 3), "SECTIONS") == 0;
		} else if (strncmp(line, ".SS", 3) == 0) {
			kind = NULL;
			char *title = in_sections ? roff_arg(d, lineno, line + 3) : NULL;
			if (title)
				kind = section_kind(d, title, lineno);
			free(title);
		} else if (strncmp(line, ".TP", 3) == 0 && kind) {
			expect_key = 1;
		}
	}
}

/* ---- what a key's entry must say ------------------------------------------ */

static const char *type_word(const struct config_key *k)
{
	switch (k->type) {
	case CONF_STRING: return "string";
	case CONF_BOOL: return "boolean";
	case CONF_INT: return "integer";
	case CONF_DURATION: return "duration";
	case CONF_SIZE: return "size";
	case CONF_LIST: return "list";
	case CONF_REGEX: return "pattern";
	case CONF_ENUM: return "one of";
	case CONF_ADDRESS: return "address";
	case CONF_CUSTOM: return NULL;   /* expression, template or (a checked) path */
	}
	return NULL;
}

/* "one of A, B or C" for an enum's choices, in their order. */
static void enum_text(const struct config_key *k, struct buf *out)
{
	size_t n = 0;
	while (k->choices[n])
		n++;
	buf_puts(out, "one of ");
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", k->choices[i]);
}

static void check_type(struct doc *d, const struct doc_key *e, const struct config_key *k,
		       const char *l)
{
	const char *word = type_word(k);
	const char *t = e->type;
	struct buf want = BUF_INIT(BUF_UNLIMITED);
	if (k->type == CONF_ENUM) {
		enum_text(k, &want);
	} else if ((k->type == CONF_INT || k->type == CONF_DURATION) && k->max > 0) {
		char lo[32], hi[32];
		if (k->type == CONF_INT) {
			snprintf(lo, sizeof(lo), "%lld", (long long)k->min);
			snprintf(hi, sizeof(hi), "%lld", (long long)k->max);
		} else {
			conf_format_duration(k->min, lo, sizeof(lo));
			conf_format_duration(k->max, hi, sizeof(hi));
		}
		buf_printf(&want, "%s, from %s to %s", word, lo, hi);
	}
	if (want.len) {
		if (strcmp(t, buf_str(&want)) != 0)
			problem(d, e->line, "%s %s: the type is '%s' in the parser, the page says '%s'", l,
				e->name, buf_str(&want), t);
	} else if (word) {
		size_t n = strlen(word);
		if (strncmp(t, word, n) != 0 || (t[n] && t[n] != ',' && t[n] != ' '))
			problem(d, e->line, "%s %s: the type is %s in the parser, the page says '%s'", l,
				e->name, word, t);
	} else if (strcmp(t, "expression") != 0 && strcmp(t, "template") != 0 &&
		   strcmp(t, "path") != 0) {
		problem(d, e->line, "%s %s: expected the type expression, template or path, got '%s'",
			l, e->name, t);
	}
	buf_release(&want);
}

static void check_default(struct doc *d, const struct doc_key *e, const struct config_key *k,
			  const char *l)
{
	const char *want = k->required ? "required" : !k->def ? "none" : !*k->def ? "empty" : NULL;
	if (want) {
		if (e->def_bold || strncmp(e->def, want, strlen(want)) != 0)
			problem(d, e->line, "%s %s: the parser has %s, the page says the default is '%s'",
				l, e->name, k->required ? "it required" : !k->def ? "no default" :
				"an empty default", e->def);
	} else if (!e->def_bold || strcmp(e->def, k->def) != 0) {
		problem(d, e->line, "%s %s: the default is '%s' in the parser, the page says '%s'", l,
			e->name, k->def, e->def);
	}
}

/* Whether v is a valid value of k, as the parser would take it. */
static int value_valid(const struct config_key *k, const char *v, char *err, size_t errlen)
{
	int64_t n = 0;
	uint64_t size;
	int b;
	struct conf_list list;
	struct conf_regex re;
	struct conf_address addr;
	switch (k->type) {
	case CONF_STRING:
		return 0;
	case CONF_BOOL:
		return conf_parse_bool(v, &b, err, errlen);
	case CONF_INT:
	case CONF_DURATION:
		if ((k->type == CONF_INT ? conf_parse_int(v, &n, err, errlen)
					 : conf_parse_duration(v, &n, err, errlen)) < 0)
			return -1;
		if (k->max > 0 && (n < k->min || n > k->max)) {
			snprintf(err, errlen, "out of the key's bounds");
			return -1;
		}
		return 0;
	case CONF_SIZE:
		return conf_parse_size(v, &size, err, errlen);
	case CONF_LIST:
		if (conf_parse_list(v, &list, err, errlen) < 0)
			return -1;
		conf_list_release(&list);
		return 0;
	case CONF_REGEX:
		if (conf_parse_regex(v, &re, err, errlen) < 0)
			return -1;
		conf_regex_release(&re);
		return 0;
	case CONF_ENUM:
		for (size_t i = 0; k->choices[i]; i++)
			if (strcmp(k->choices[i], v) == 0)
				return 0;
		snprintf(err, errlen, "not one of the choices");
		return -1;
	case CONF_ADDRESS:
		if (conf_parse_address(v, &addr, err, errlen) < 0)
			return -1;
		conf_address_release(&addr);
		return 0;
	case CONF_CUSTOM: {
		void *slot[8] = { NULL };
		if (k->parse(v, slot, err, errlen) < 0)
			return -1;
		k->release(slot);
		return 0;
	}
	}
	return -1;
}

static void check_example(struct doc *d, const struct doc_key *e, const struct config_key *k,
			  const char *l)
{
	size_t n = strlen(k->name);
	if (strncmp(e->example, k->name, n) != 0 || strncmp(e->example + n, " = ", 3) != 0) {
		problem(d, e->line, "%s %s: expected the example to read '%s = VALUE', got '%s'", l,
			e->name, k->name, e->example);
		return;
	}
	char err[1024];
	if (value_valid(k, e->example + n + 3, err, sizeof(err)) < 0)
		problem(d, e->line, "%s %s: the example '%s' does not parse: %s", l, e->name,
			e->example, err);
}

static void check_facts(struct doc *d)
{
	for (size_t i = 0; i < d->nkeys; i++) {
		const struct doc_key *e = &d->keys[i];
		const struct config_key *k = parser_key(e->kind, e->name);
		char l[64];
		label(e->kind, l, sizeof(l));
		if (!k)
			continue;   /* check_coverage says so */
		if (!e->type || !e->def || !e->example) {
			problem(d, e->line, "%s %s: expected the lines Type:, Default: and Example:", l,
				e->name);
			continue;
		}
		check_type(d, e, k, l);
		check_default(d, e, k, l);
		check_example(d, e, k, l);
	}
}

/* ---- the Markdown documentation --------------------------------------------------- */

/* Whether line (a line of Markdown) opens or closes a fenced code block. */
static int md_fence(const char *line)
{
	const char *p = line + strspn(line, " ");
	return strncmp(p, "```", 3) == 0 || strncmp(p, "~~~", 3) == 0;
}

/* Blanks out the inline code spans of a line, in place: a link written in
 * backquotes is text, not a link. */
static void md_blank_code(char *line)
{
	for (char *p = line; *p;) {
		if (*p != '`') {
			p++;
			continue;
		}
		size_t n = strspn(p, "`");
		char *q = p + n, *end = NULL;
		while ((q = strchr(q, '`')) != NULL) {
			size_t m = strspn(q, "`");
			if (m == n) {
				end = q + m;
				break;
			}
			q += m;
		}
		if (!end) {
			p += n;   /* no closing run: literal backquotes */
			continue;
		}
		memset(p, ' ', (size_t)(end - p));
		p = end;
	}
}

/* GitHub's anchor of a heading's text: lower case, spaces as '-', every
 * other character but letters, digits, '-' and '_' dropped (the general
 * punctuation of U+2000 to U+206F too, such as an em dash).  The caller
 * frees. */
static char *md_slug(const char *text)
{
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			if (c == 0xE2 && (s[i + 1] == 0x80 || s[i + 1] == 0x81) && s[i + 2]) {
				i += 2;
				continue;
			}
			buf_putc(&out, (char)c);
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
			buf_putc(&out, (char)c);
		} else if (c >= 'A' && c <= 'Z') {
			buf_putc(&out, (char)(c - 'A' + 'a'));
		} else if (c == ' ') {
			buf_putc(&out, '-');
		}
	}
	char *slug = buf_detach(&out, NULL);
	return slug ? slug : xstrdup("");
}

/* One Markdown file: its text and the anchors of its headings. */
struct md_file {
	char *name;          /* relative to the top of the source tree */
	struct buf text;
	char **anchors;
	size_t nanchors, anchors_alloc;
	int linked;          /* reached by links from README.md */
};

struct md_set {
	struct md_file *files;
	size_t nfiles, files_alloc;
	const char *top;
	struct buf problems;
	int nproblems;
};

static void md_problem(struct md_set *set, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void md_problem(struct md_set *set, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	buf_printf(&set->problems, line > 0 ? "%s:%d: " : "%s: ", file, line);
	va_start(ap, fmt);
	buf_vprintf(&set->problems, fmt, ap);
	va_end(ap);
	buf_putc(&set->problems, '\n');
	set->nproblems++;
}

static int md_has_anchor(const struct md_file *f, const char *anchor)
{
	for (size_t i = 0; i < f->nanchors; i++)
		if (strcmp(f->anchors[i], anchor) == 0)
			return 1;
	return 0;
}

/* The anchors of f's ATX headings outside code blocks; a repeated one gets
 * -1, -2 ... as on GitHub. */
static void md_anchors(struct md_file *f)
{
	char *copy = xstrndup(buf_str(&f->text), f->text.len);
	size_t pos = 0;
	int fence = 0;
	char *line;
	while ((line = next_line(copy, f->text.len, &pos))) {
		if (md_fence(line)) {
			fence = !fence;
			continue;
		}
		size_t indent = strspn(line, " ");
		size_t hashes = strspn(line + indent, "#");
		if (fence || indent > 3 || hashes == 0 || hashes > 6 ||
		    (line[indent + hashes] != ' ' && line[indent + hashes] != '\0'))
			continue;
		char *text = trim(line + indent + hashes);
		size_t n = strlen(text);
		while (n > 0 && text[n - 1] == '#')   /* a closing sequence */
			n--;
		if (n < strlen(text) && n > 0 && text[n - 1] != ' ')
			n = strlen(text);   /* "C#" is text, not a closing sequence */
		text[n] = '\0';
		char *slug = md_slug(trim(text));
		char *anchor = xstrdup(slug);
		for (int k = 1; md_has_anchor(f, anchor); k++) {
			free(anchor);
			anchor = xasprintf("%s-%d", slug, k);
		}
		free(slug);
		f->anchors = xgrow(f->anchors, &f->anchors_alloc, f->nanchors + 1, sizeof(*f->anchors));
		f->anchors[f->nanchors++] = anchor;
	}
	free(copy);
}

/* Reads top/name into the set; NULL (reported) when it cannot be read. */
static struct md_file *md_add(struct md_set *set, const char *name)
{
	for (size_t i = 0; i < set->nfiles; i++)
		if (strcmp(set->files[i].name, name) == 0)
			return &set->files[i];
	struct md_file f = { .name = xstrdup(name) };
	buf_init(&f.text, 1 << 22);
	char *path = xasprintf("%s/%s", set->top, name);
	int rc = read_file(path, &f.text);
	free(path);
	if (rc < 0) {
		md_problem(set, name, 0, "cannot read it: %s", strerror(errno));
		free(f.name);
		buf_release(&f.text);
		return NULL;
	}
	md_anchors(&f);
	set->files = xgrow(set->files, &set->files_alloc, set->nfiles + 1, sizeof(*set->files));
	set->files[set->nfiles] = f;
	return &set->files[set->nfiles++];
}

static void md_set_release(struct md_set *set)
{
	for (size_t i = 0; i < set->nfiles; i++) {
		struct md_file *f = &set->files[i];
		for (size_t j = 0; j < f->nanchors; j++)
			free(f->anchors[j]);
		free(f->anchors);
		free(f->name);
		buf_release(&f->text);
	}
	free(set->files);
	buf_release(&set->problems);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* README.md, CONTRIBUTING.md when there is one, and doc/NAME.md, sorted. */
static void md_load(struct md_set *set)
{
	memset(set, 0, sizeof(*set));
	const char *top = getenv("top_srcdir");
	set->top = top && *top ? top : ".";
	buf_init(&set->problems, BUF_UNLIMITED);
	md_add(set, "README.md");
	char *contributing = xasprintf("%s/CONTRIBUTING.md", set->top);
	if (access(contributing, F_OK) == 0)
		md_add(set, "CONTRIBUTING.md");
	free(contributing);
	char *docdir = xasprintf("%s/doc", set->top);
	DIR *dir = opendir(docdir);
	if (!dir) {
		md_problem(set, "doc", 0, "cannot open %s (is top_srcdir set?)", docdir);
		free(docdir);
		return;
	}
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 3 && strcmp(e->d_name + len - 3, ".md") == 0) {
			names = xgrow(names, &alloc, n + 1, sizeof(*names));
			names[n++] = xasprintf("doc/%s", e->d_name);
		}
	}
	closedir(dir);
	free(docdir);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		md_add(set, names[i]);
		free(names[i]);
	}
	free(names);
}

/* target (a path relative to the directory of from) as a path from the
 * top of the tree, "." and ".." resolved; NULL when it leaves the tree. */
static char *md_resolve(const char *from, const char *target)
{
	const char *slash = strrchr(from, '/');
	char *joined = target[0] == '/' ? xstrdup(target + 1)
		       : xasprintf("%.*s%s", slash ? (int)(slash - from + 1) : 0, from, target);
	char *parts[64];
	size_t n = 0;
	int ok = 1;
	for (char *save = NULL, *p = strtok_r(joined, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			if (n == 0) {
				ok = 0;
				break;
			}
			n--;
		} else if (n < sizeof(parts) / sizeof(parts[0])) {
			parts[n++] = p;
		}
	}
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	for (size_t i = 0; ok && i < n; i++)
		buf_printf(&out, "%s%s", i ? "/" : "", parts[i]);
	char *path = ok ? buf_detach(&out, NULL) : NULL;
	buf_release(&out);
	free(joined);
	return ok ? (path ? path : xstrdup(".")) : NULL;
}

/* Checks one link of f (line lineno): the file it names exists, and so
 * does the heading its #anchor names in a Markdown file. */
static void md_check_link(struct md_set *set, size_t fi, int lineno, const char *target)
{
	const char *name = set->files[fi].name;
	size_t scheme = strspn(target, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	if (scheme > 0 && target[scheme] == ':')
		return;   /* http:, https:, mailto: ... are not fetched */
	if (!*target) {
		md_problem(set, name, lineno, "an empty link");
		return;
	}
	const char *hash = strchr(target, '#');
	char *path = hash ? xstrndup(target, (size_t)(hash - target)) : xstrdup(target);
	const char *anchor = hash ? hash + 1 : NULL;
	char *file = *path ? md_resolve(name, path) : xstrdup(name);
	if (!file) {
		md_problem(set, name, lineno, "link '%s': leaves the source tree", target);
		free(path);
		return;
	}
	char *full = xasprintf("%s/%s", set->top, file);
	struct stat st;
	size_t len = strlen(file);
	int is_md = len > 3 && strcmp(file + len - 3, ".md") == 0;
	if (stat(full, &st) < 0) {
		md_problem(set, name, lineno, "link '%s': no such file %s", target, file);
	} else if (is_md && S_ISREG(st.st_mode)) {
		struct md_file *to = md_add(set, file);   /* may move set->files */
		if (to && anchor && *anchor && !md_has_anchor(to, anchor))
			md_problem(set, set->files[fi].name, lineno, "link '%s': %s has no heading whose anchor is #%s",
				   target, file, anchor);
	}
	free(full);
	free(file);
	free(path);
}

/* Every link of file fi: inline [text](target) and ![alt](target), and
 * reference definitions "[label]: target"; not in code. */
static void md_check_file(struct md_set *set, size_t fi)
{
	size_t len = set->files[fi].text.len;
	char *copy = xstrndup(buf_str(&set->files[fi].text), len);
	size_t pos = 0;
	int lineno = 0, fence = 0;
	char *line;
	while ((line = next_line(copy, len, &pos))) {
		lineno++;
		if (md_fence(line)) {
			fence = !fence;
			continue;
		}
		if (fence)
			continue;
		md_blank_code(line);
		const char *def = line + strspn(line, " ");
		const char *close = *def == '[' ? strstr(def, "]:") : NULL;
		if (close && def - line <= 3 && close == strchr(def, ']')) {
			const char *t = close + 2 + strspn(close + 2, " \t");
			char *target = xstrndup(t, strcspn(t, " \t"));
			md_check_link(set, fi, lineno, target);
			free(target);
		}
		for (const char *p = strstr(line, "]("); p; p = strstr(p + 2, "](")) {
			const char *t = p + 2;
			size_t n;
			if (*t == '<') {
				t++;
				n = strcspn(t, ">");
			} else {
				int depth = 0;
				for (n = 0; t[n] && t[n] != ' ' && t[n] != '\t'; n++) {
					if (t[n] == '(')
						depth++;
					else if (t[n] == ')' && depth-- == 0)
						break;
				}
			}
			char *target = xstrndup(t, n);
			md_check_link(set, fi, lineno, target);
			free(target);
		}
	}
	free(copy);
}

/* Marks what links lead to from file fi, recursively. */
static void md_reach(struct md_set *set, size_t fi)
{
	if (set->files[fi].linked)
		return;
	set->files[fi].linked = 1;
	size_t len = set->files[fi].text.len;
	char *copy = xstrndup(buf_str(&set->files[fi].text), len);
	size_t pos = 0;
	int fence = 0;
	char *line;
	while ((line = next_line(copy, len, &pos))) {
		if (md_fence(line)) {
			fence = !fence;
			continue;
		}
		if (fence)
			continue;
		md_blank_code(line);
		for (const char *p = strstr(line, "]("); p; p = strstr(p + 2, "](")) {
			const char *t = p + 2 + (p[2] == '<');
			char *target = xstrndup(t, strcspn(t, "#)> \t"));
			char *file = *target ? md_resolve(set->files[fi].name, target) : NULL;
			for (size_t j = 0; file && j < set->nfiles; j++)
				if (strcmp(set->files[j].name, file) == 0)
					md_reach(set, j);
			free(file);
			free(target);
		}
	}
	free(copy);
}

/* ---- the tests ---------------------------------------------------------------------- */

static void test_man_page_has_every_key(void **state)
{
	struct doc d;
	(void)state;
	doc_open(&d, MAN_INI);
	man_parse(&d);
	check_coverage(&d);
	for (size_t i = 0; i < d.nkinds && config_kinds[i]; i++)
		if (d.kinds[i] != config_kinds[i]) {
			problem(&d, 0, "the sections are not in the parser's order: [%s] where [%s] belongs",
				d.kinds[i]->name, config_kinds[i]->name);
			break;
		}
	report(&d);
	doc_close(&d);
}

static void test_man_page_types_defaults_examples(void **state)
{
	struct doc d;
	(void)state;
	doc_open(&d, MAN_INI);
	man_parse(&d);
	check_facts(&d);
	report(&d);
	doc_close(&d);
}

/* The configuration under EXAMPLE (.EX to .EE) loads. */
/* The files an example names under /etc/dbpulse, made in dir (0600, as
 * the agent wants them) and the example pointed at them, with its state
 * in dir too: a config load checks every file it names.  The paths made
 * are appended to made (one per line) for the caller to remove. */
static void example_files(struct buf *ini, const char *dir, struct buf *made)
{
	static const char etc[] = "/etc/dbpulse/";
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	const char *p = buf_str(ini), *hit;
	while ((hit = strstr(p, etc)) != NULL) {
		size_t name = strcspn(hit + strlen(etc), " \n");
		char *path = xasprintf("%s/%.*s", dir, (int)name, hit + strlen(etc));
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs("secret\n", f);
		fclose(f);
		assert_int_equal(chmod(path, 0600), 0);
		buf_printf(made, "%s\n", path);
		buf_printf(&out, "%.*s%s", (int)(hit - p), p, path);
		free(path);
		p = hit + strlen(etc) + name;
	}
	buf_puts(&out, p);
	buf_reset(ini);
	const char *agent = strstr(buf_str(&out), "[agent]\n");
	size_t at = agent ? (size_t)(agent - buf_str(&out)) + strlen("[agent]\n") : 0;
	buf_printf(ini, "%s%.*sstate_dir = %s/state\n%s", agent ? "" : "[agent]\n", (int)at,
		   buf_str(&out), dir, buf_str(&out) + at);
	buf_release(&out);
}

static void test_man_page_example_loads(void **state)
{
	struct doc d;
	(void)state;
	doc_open(&d, MAN_INI);
	struct buf ini = BUF_INIT(BUF_UNLIMITED), errors = BUF_INIT(BUF_UNLIMITED);
	size_t pos = 0;
	int lineno = 0, part = 0, in = 0, found = 0;
	char *line;
	while ((line = next_line(d.text.data, d.text.len, &pos))) {
		lineno++;
		if (strncmp(line, ".SH", 3) == 0)
			part = strcmp(trim(line + 3), "EXAMPLE") == 0;
		else if (part && strcmp(line, ".EX") == 0)
			in = found = 1;
		else if (strcmp(line, ".EE") == 0)
			in = 0;
		else if (in) {
			char *text = roff_text(&d, lineno, line);
			buf_printf(&ini, "%s\n", text ? text : "");
			free(text);
		}
	}
	if (!found)
		problem(&d, 0, "no .EX block under EXAMPLE");
	char dir[] = "/tmp/dbpulse-test-docs.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct buf made = BUF_INIT(BUF_UNLIMITED);
	example_files(&ini, dir, &made);
	struct config *cfg = config_load_string(ini.data, ini.len, MAN_INI " EXAMPLE", &errors);
	for (char *path = made.data, *nl; path && (nl = strchr(path, '\n')) != NULL; path = nl + 1) {
		*nl = '\0';
		unlink(path);
	}
	buf_release(&made);
	rmdir(dir);
	if (found && !cfg)
		problem(&d, 0, "the EXAMPLE does not load:\n%s", buf_str(&errors));
	config_unref(cfg);
	buf_release(&ini);
	buf_release(&errors);
	report(&d);
	doc_close(&d);
}

/* doc/configuration.md names every section kind of the parser, as it is
 * written ("[host]", "[postgres \"NAME\"]"), and its section headings are
 * sections the parser knows. */
static void test_configuration_names_every_kind(void **state)
{
	struct doc d;
	char l[64];
	(void)state;
	doc_open(&d, CONFIG_MD);
	for (size_t i = 0; config_kinds[i]; i++) {
		char want[80];
		snprintf(want, sizeof(want), "`%s`", label(config_kinds[i], l, sizeof(l)));
		if (!strstr(buf_str(&d.text), want))
			problem(&d, 0, "the section %s is not named (as %s)", l, want);
	}
	size_t pos = 0;
	int lineno = 0, fence = 0;
	char *line;
	while ((line = next_line(d.text.data, d.text.len, &pos))) {
		lineno++;
		if (md_fence(line))
			fence = !fence;
		if (fence || line[0] != '#')
			continue;
		char *t = trim(line + strspn(line, "#"));
		size_t n = strlen(t);
		if (n > 4 && t[0] == '`' && t[1] == '[' && t[n - 1] == '`') {
			t[n - 1] = '\0';
			section_kind(&d, t + 1, lineno);   /* reports an unknown one */
		}
	}
	report(&d);
	doc_close(&d);
}

/* The README's minimal configuration (the ini block under "## A minimal
 * configuration") loads as written. */
static void test_readme_example_loads(void **state)
{
	struct doc d;
	(void)state;
	doc_open(&d, README);
	struct buf ini = BUF_INIT(BUF_UNLIMITED), errors = BUF_INIT(BUF_UNLIMITED);
	size_t pos = 0;
	int part = 0, in = 0, found = 0;
	char *line;
	while ((line = next_line(d.text.data, d.text.len, &pos))) {
		if (strncmp(line, "## ", 3) == 0)
			part = strcmp(line, "## A minimal configuration") == 0;
		else if (part && !found && strcmp(line, "```ini") == 0)
			in = found = 1;
		else if (in && strncmp(line, "```", 3) == 0)
			in = 0;
		else if (in)
			buf_printf(&ini, "%s\n", line);
	}
	if (!found)
		problem(&d, 0, "no ```ini block under '## A minimal configuration'");
	char dir[] = "/tmp/dbpulse-test-docs.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct buf made = BUF_INIT(BUF_UNLIMITED);
	example_files(&ini, dir, &made);
	struct config *cfg = config_load_string(ini.data, ini.len, README " example", &errors);
	for (char *path = made.data, *nl; path && (nl = strchr(path, '\n')) != NULL; path = nl + 1) {
		*nl = '\0';
		unlink(path);
	}
	buf_release(&made);
	rmdir(dir);
	if (found && !cfg)
		problem(&d, 0, "the minimal configuration does not load:\n%s", buf_str(&errors));
	config_unref(cfg);
	buf_release(&ini);
	buf_release(&errors);
	report(&d);
	doc_close(&d);
}

/* Every relative link of README.md, CONTRIBUTING.md and doc/NAME.md names
 * a file that exists, and a #anchor names a heading of the Markdown file it
 * points into (GitHub's anchors); every doc/NAME.md can be reached by
 * following links from README.md.  http(s) links are not fetched. */
static void test_markdown_links(void **state)
{
	struct md_set set;
	(void)state;
	md_load(&set);
	size_t listed = set.nfiles;   /* links may add other Markdown files */
	for (size_t i = 0; i < listed; i++)
		md_check_file(&set, i);
	if (set.nfiles && strcmp(set.files[0].name, "README.md") == 0)
		md_reach(&set, 0);
	for (size_t i = 0; i < listed; i++)
		if (!set.files[i].linked)
			md_problem(&set, set.files[i].name, 0, "no chain of links from README.md leads here");
	if (set.nproblems) {
		print_error("%s", buf_str(&set.problems));
		int n = set.nproblems;
		md_set_release(&set);
		fail_msg("%d problem(s) in the Markdown documentation", n);
	}
	md_set_release(&set);
}

/* Every doc/NAME.md is in Makefile.am (dist_mddoc_DATA), so that make dist
 * carries it and make install installs it. */
static void test_doc_files_distributed(void **state)
{
	struct doc d;
	struct md_set set;
	(void)state;
	doc_open(&d, "Makefile.am");
	md_load(&set);
	for (size_t i = 0; i < set.nfiles; i++) {
		const char *name = set.files[i].name;
		if (strncmp(name, "doc/", 4) != 0)
			continue;
		char *want = xasprintf("\t%s", name);
		if (!strstr(buf_str(&d.text), want))
			problem(&d, 0, "%s is in neither dist_mddoc_DATA nor EXTRA_DIST", name);
		free(want);
	}
	md_set_release(&set);
	report(&d);
	doc_close(&d);
}

/* Every "--option" of text appears in the page (as \-\-option). */
static void check_options(struct doc *page, const char *text, const char *from)
{
	struct buf seen = BUF_INIT(BUF_UNLIMITED);
	for (const char *p = strstr(text, "--"); p; p = strstr(p + 2, "--")) {
		size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-");
		if (n == 0 || p[2] == '-')
			continue;
		struct buf name = BUF_INIT(256), want = BUF_INIT(256);
		buf_printf(&name, " --%.*s ", (int)n, p + 2);
		buf_puts(&want, "\\-\\-");
		for (size_t i = 0; i < n; i++)
			buf_puts(&want, p[2 + i] == '-' ? "\\-" : (char[]){ p[2 + i], '\0' });
		if (!strstr(buf_str(&seen), buf_str(&name)) &&
		    !strstr(buf_str(&page->text), buf_str(&want)))
			problem(page, 0, "--%.*s (%s) is not documented", (int)n, p + 2, from);
		buf_puts(&seen, buf_str(&name));
		buf_release(&name);
		buf_release(&want);
	}
	buf_release(&seen);
}

/* dbpulse.8 has the agent's options (cmd/main.c's table and its
 * subcommands) and those of `dbpulse top` (its --help). */
static void test_command_line_documented(void **state)
{
	struct doc page, main_c;
	(void)state;
	doc_open(&page, MAN_CMD);
	doc_open(&main_c, "cmd/main.c");
	struct buf opts = BUF_INIT(BUF_UNLIMITED);
	const char *p = strstr(buf_str(&main_c.text), "struct option options[]");
	const char *end = p ? strstr(p, "};") : NULL;
	if (!p || !end)
		problem(&main_c, 0, "no 'struct option options[]' table");
	for (const char *q = p && end ? strstr(p, "{ \"") : NULL; q && q < end;
	     q = strstr(q + 3, "{ \""))
		buf_printf(&opts, "--%.*s\n", (int)strcspn(q + 3, "\""), q + 3);
	check_options(&page, buf_str(&opts), "cmd/main.c");
	/* subcommands: strcmp(argv[1], "top") */
	for (const char *q = strstr(buf_str(&main_c.text), "strcmp(argv[1], \""); q;
	     q = strstr(q + 1, "strcmp(argv[1], \"")) {
		const char *name = q + strlen("strcmp(argv[1], \"");
		struct buf want = BUF_INIT(256);
		buf_puts(&want, ".B dbpulse ");
		for (size_t i = 0; name[i] && name[i] != '"'; i++)
			buf_puts(&want, name[i] == '-' ? "\\-" : (char[]){ name[i], '\0' });
		if (!strstr(buf_str(&page.text), buf_str(&want)))
			problem(&page, 0, "the subcommand '%.*s' has no '%s' line",
				(int)strcspn(name, "\""), name, buf_str(&want));
		buf_release(&want);
	}
	char *help = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&help, &len);
	assert_non_null(f);
	top_usage(f);
	fclose(f);
	check_options(&page, help, "dbpulse top --help");
	free(help);
	buf_release(&opts);
	report(&main_c);
	doc_close(&main_c);
	report(&page);
	doc_close(&page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_man_page_has_every_key),
		cmocka_unit_test(test_man_page_types_defaults_examples),
		cmocka_unit_test(test_man_page_example_loads),
		cmocka_unit_test(test_configuration_names_every_kind),
		cmocka_unit_test(test_readme_example_loads),
		cmocka_unit_test(test_markdown_links),
		cmocka_unit_test(test_doc_files_distributed),
		cmocka_unit_test(test_command_line_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
