/*
 * confval.c -- parsers for the typed values of agent.ini: durations, sizes,
 * booleans, integers, lists, addresses and regular expressions.  Pure
 * functions: they fill `err` with what was expected and never log.
 */
#include "autoconfig.h"
#include "config.h"
#include "buf.h"
#include "collector.h"
#include "regex_check.h"
#include "secret.h"
#include "strutil.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "banned.h"

static int fail(char *err, size_t errlen, const char *expected)
{
	snprintf(err, errlen, "%s", expected);
	return -1;
}

int conf_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	const char *expected = "expected a duration like '15s' (units ms, s, m, h, d)";
	const char *p = s;
	int64_t total = 0;
	int last_rank = 99;

	if (!*p)
		return fail(err, errlen, expected);
	while (*p) {
		if (!isdigit((unsigned char)*p))
			return fail(err, errlen, expected);
		errno = 0;
		char *end;
		unsigned long long n = strtoull(p, &end, 10);
		if (errno)
			return fail(err, errlen, "duration out of range");
		p = end;
		int rank = -1;
		size_t ulen = 0;
		for (int i = 0; i < 5; i++) {
			size_t l = strlen(units[i].unit);
			/* "m" must not swallow the "m" of "ms" */
			if (strncmp(p, units[i].unit, l) == 0 && l > ulen) {
				rank = i;
				ulen = l;
			}
		}
		if (rank < 0)
			return fail(err, errlen, expected);
		if (rank >= last_rank)
			return fail(err, errlen, "expected a duration with units from largest to smallest, like '1m30s'");
		last_rank = rank;
		p += ulen;
		if (n > (unsigned long long)(INT64_MAX / units[rank].ms) ||
		    total > INT64_MAX - (int64_t)n * units[rank].ms)
			return fail(err, errlen, "duration out of range");
		total += (int64_t)n * units[rank].ms;
	}
	*ms = total;
	return 0;
}

void conf_format_duration(int64_t ms, char *out, size_t outlen)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
	};
	size_t len = 0;
	out[0] = '\0';
	if (ms == 0) {
		snprintf(out, outlen, "0s");
		return;
	}
	for (int i = 0; i < 5 && ms > 0; i++) {
		if (ms >= units[i].ms) {
			int n = snprintf(out + len, outlen - len, "%lld%s",
					 (long long)(ms / units[i].ms), units[i].unit);
			if (n < 0 || (size_t)n >= outlen - len)
				return;
			len += (size_t)n;
			ms %= units[i].ms;
		}
	}
}

int conf_parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "", 1 }, { "B", 1 },
		{ "kB", 1000ull }, { "KB", 1000ull }, { "MB", 1000000ull }, { "GB", 1000000000ull },
		{ "KiB", 1ull << 10 }, { "MiB", 1ull << 20 }, { "GiB", 1ull << 30 },
	};
	const char *expected = "expected a size like '64MiB' (units B, kB, MB, GB, KiB, MiB, GiB)";
	if (!isdigit((unsigned char)*s))
		return fail(err, errlen, expected);
	errno = 0;
	char *end;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno)
		return fail(err, errlen, "size out of range");
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			if (n > UINT64_MAX / units[i].mult)
				return fail(err, errlen, "size out of range");
			*bytes = n * units[i].mult;
			return 0;
		}
	}
	return fail(err, errlen, expected);
}

int conf_parse_bool(const char *s, int *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return fail(err, errlen, "expected true or false");
}

int conf_parse_int(const char *s, int64_t *out, char *err, size_t errlen)
{
	if (parse_int64(s, out) < 0)
		return fail(err, errlen, "expected an integer");
	return 0;
}

void conf_list_release(struct conf_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

int conf_parse_list(const char *s, struct conf_list *out, char *err, size_t errlen)
{
	struct conf_list l = { NULL, 0 };
	size_t alloc = 0;
	const char *p = s;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char *item = xstrndup(p, n);
		char *t = trim(item);
		if (*t == '\0') {
			free(item);
			if (comma || l.n) {
				conf_list_release(&l);
				return fail(err, errlen, "expected a comma-separated list without empty items");
			}
		} else {
			l.items = xgrow(l.items, &alloc, l.n + 1, sizeof(*l.items));
			l.items[l.n++] = xstrdup(t);
			free(item);
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = l;
	return 0;
}

void conf_address_release(struct conf_address *a)
{
	free(a->host);
	a->host = NULL;
}

int conf_parse_address(const char *s, struct conf_address *out, char *err, size_t errlen)
{
	const char *expected = "expected host:port, [ipv6]:port or :port";
	const char *colon;
	char *host;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || close == s + 1)
			return fail(err, errlen, expected);
		host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return fail(err, errlen, expected);
		host = xstrndup(s, (size_t)(colon - s));
	}
	for (const char *h = host; *h; h++) {
		if (!isalnum((unsigned char)*h) && !strchr(".-_:%", *h)) {
			free(host);
			return fail(err, errlen, expected);
		}
	}
	uint64_t port;
	if (parse_uint64(colon + 1, &port) < 0 || port > 65535) {
		free(host);
		return fail(err, errlen, "expected a port number from 0 to 65535 after ':'");
	}
	out->host = host;
	out->port = (unsigned)port;
	return 0;
}

void conf_regex_release(struct conf_regex *r)
{
	if (r->source) {
		regfree(&r->re);
		free(r->source);
		r->source = NULL;
	}
}

int conf_parse_regex(const char *s, struct conf_regex *out, char *err, size_t errlen)
{
	struct conf_regex r;
	char why[160];
	if (regex_check(s, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "expected a POSIX extended regular expression: %s", why);
		return -1;
	}
	int rc = regcomp(&r.re, s, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char msg[128];
		regerror(rc, &r.re, msg, sizeof(msg));
		snprintf(err, errlen, "expected a POSIX extended regular expression: %s", msg);
		return -1;
	}
	r.source = xstrdup(s);
	*out = r;
	return 0;
}

int conf_regex_match(const struct conf_regex *r, const char *s)
{
	return r->source && regexec(&r->re, s, 0, NULL, 0) == 0;
}

int regex_memo_match(struct regex_memo *m, const struct conf_regex *r, size_t i, const char *name)
{
	if (i < m->n && strcmp(m->names[i], name) == 0)
		return m->match[i];
	if (i >= m->alloc) {
		size_t alloc = m->alloc;
		m->names = xgrow(m->names, &alloc, i + 1, sizeof(*m->names));
		m->match = xrealloc(m->match, alloc);
		for (size_t k = m->alloc; k < alloc; k++)
			m->names[k] = NULL;
		m->alloc = alloc;
	}
	for (size_t k = m->n; k < i; k++) { /* positions skipped: empty names */
		free(m->names[k]);
		m->names[k] = xstrdup("");
		m->match[k] = 0;
	}
	if (i + 1 > m->n)
		m->n = i + 1;
	free(m->names[i]);
	m->names[i] = xstrdup(name);
	m->match[i] = (unsigned char)conf_regex_match(r, name);
	return m->match[i];
}

void regex_memo_release(struct regex_memo *m)
{
	for (size_t k = 0; k < m->alloc; k++)
		free(m->names[k]);
	free(m->names);
	free(m->match);
	memset(m, 0, sizeof(*m));
}

#define TC_KEY(k) offsetof(struct target_common, k)

const struct config_key conf_target_keys[] = {
	{ .name = "enabled", .type = CONF_BOOL, .offset = TC_KEY(enabled), .def = "true" },
	{ .name = "interval", .type = CONF_DURATION, .offset = TC_KEY(interval_ms), .def = "15s",
	  .min = CONF_MS_SECOND, .max = CONF_MS_HOUR },
	{ .name = NULL },
};

const struct config_key conf_password_keys[] = {
	{ .name = "password_file", .type = CONF_STRING, .offset = TC_KEY(password_file) },
	{ .name = "password_env", .type = CONF_STRING, .offset = TC_KEY(password_env) },
	{ .name = NULL },
};

const struct config_key *const conf_target_shared[] = { conf_target_keys, NULL };
const struct config_key *const conf_target_password_shared[] = { conf_target_keys,
								 conf_password_keys, NULL };

const struct config_key *conf_kind_key(const struct config_kind *k, size_t i)
{
	for (const struct config_key *key = k->keys; key && key->name; key++)
		if (i-- == 0)
			return key;
	for (size_t t = 0; k->shared_keys && k->shared_keys[t]; t++)
		for (const struct config_key *key = k->shared_keys[t]; key->name; key++)
			if (i-- == 0)
				return key;
	return NULL;
}

void conf_fit_timeout(void *conf)
{
	struct target_common *t = conf;
	if (t->timeout_ms > t->interval_ms)
		t->timeout_ms = t->interval_ms;
}

void conf_describe_target(const char *label, const struct target_common *t, struct buf *out)
{
	char interval[32], timeout[32];
	conf_format_duration(t->interval_ms, interval, sizeof(interval));
	conf_format_duration(t->timeout_ms, timeout, sizeof(timeout));
	buf_printf(out, "%s every %s, timeout %s", label, interval, timeout);
}

int conf_check_password_file(const struct config *cfg, const struct config_section *s, char *err,
			     size_t errlen)
{
	(void)cfg;
	const struct target_common *t = s->conf;
	return secret_file_check(t->password_file, "password_file", err, errlen);
}

const char *conf_password_source(const struct target_common *t)
{
	return t->password_file ? " + password_file" : t->password_env ? " + password_env" : "";
}

int conf_check_target(const struct target_common *t, char *err, size_t errlen)
{
	if (t->password_file && t->password_env) {
		snprintf(err, errlen, "password_file and password_env exclude each other");
		return -1;
	}
	if (t->timeout_ms > t->interval_ms) {
		char timeout[32], interval[32];
		conf_format_duration(t->timeout_ms, timeout, sizeof(timeout));
		conf_format_duration(t->interval_ms, interval, sizeof(interval));
		snprintf(err, errlen, "timeout (%s) must not be longer than interval (%s)", timeout,
			 interval);
		return -1;
	}
	return 0;
}
