/*
 * http_auth.c -- basic authentication with bcrypt hashes (see http_auth.h).
 *
 * bcrypt is libxcrypt's (crypt_rn), the cache's HMAC GnuTLS's.  The fake
 * hash for unknown users is made on first need, at the highest cost of the
 * file, so loading stays quick and a login of an unknown user costs what a
 * wrong password of a real one costs.
 */
#include "autoconfig.h"
#include "http_auth.h"
#include "xalloc.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include "banned.h"

#define USER_MAX 256          /* bytes of a user name */
#define PASSWORD_MAX 1024     /* bytes of a password in a request */
#define BCRYPT_LEN 60         /* $2y$NN$ + 22 salt + 31 hash characters */
#define CACHE_SLOTS 64        /* verified credentials remembered */
#define MAC_LEN 32            /* HMAC-SHA256 */

struct auth_user {
	char *name;
	char hash[BCRYPT_LEN + 1];
};

struct http_auth {
	struct auth_user *users;
	size_t nusers;
	unsigned max_cost;
	unsigned char mac_key[MAC_LEN];
	pthread_mutex_t lock;         /* the cache and the fake hash */
	unsigned char cache[CACHE_SLOTS][MAC_LEN];
	size_t cached, next_slot;
	char fake[BCRYPT_LEN + 1];    /* "" until first needed */
};

static atomic_ullong failures;

uint64_t http_auth_failures(void)
{
	return atomic_load(&failures);
}

/* ---- the users file -------------------------------------------------------- */

static int bcrypt_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '/';
}

/* The cost of a well-formed bcrypt hash, or 0. */
static unsigned bcrypt_cost(const char *h, size_t n)
{
	if (n != BCRYPT_LEN || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return 0;
	unsigned cost = (unsigned)(h[4] - '0') * 10 + (unsigned)(h[5] - '0');
	if (cost < 4 || cost > 31)
		return 0;
	for (size_t i = 7; i < n; i++)
		if (!bcrypt_char(h[i]))
			return 0;
	return cost;
}

static int valid_user_name(const char *s, size_t n)
{
	if (n == 0 || n >= USER_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static struct auth_user *find_user(const struct http_auth *a, const char *name)
{
	for (size_t i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].name, name) == 0)
			return &a->users[i];
	return NULL;
}

/* One line "user:hash"; 0, or -1 with err. */
static int parse_line(struct http_auth *a, char *line, size_t *alloc, char *err, size_t errlen)
{
	char *colon = strchr(line, ':');
	if (!colon) {
		snprintf(err, errlen, "expected 'user:bcrypt hash'");
		return -1;
	}
	*colon = '\0';
	const char *hash = colon + 1;
	size_t hlen = strlen(hash);
	while (hlen && (hash[hlen - 1] == ' ' || hash[hlen - 1] == '\t'))
		hlen--;
	if (!valid_user_name(line, strlen(line))) {
		snprintf(err, errlen, "expected a user name before ':' (1 to %d printable bytes)",
			 USER_MAX - 1);
		return -1;
	}
	unsigned cost = bcrypt_cost(hash, hlen);
	if (!cost) {
		snprintf(err, errlen, "user '%s': expected a bcrypt hash ($2y$, $2b$ or $2a$, cost 04 "
			 "to 31, 60 characters)", line);
		return -1;
	}
	if (find_user(a, line)) {
		snprintf(err, errlen, "user '%s' is listed twice", line);
		return -1;
	}
	a->users = xgrow(a->users, alloc, a->nusers + 1, sizeof(*a->users));
	struct auth_user *u = &a->users[a->nusers++];
	u->name = xstrdup(line);
	memcpy(u->hash, hash, BCRYPT_LEN);
	u->hash[BCRYPT_LEN] = '\0';
	if (cost > a->max_cost)
		a->max_cost = cost;
	return 0;
}

struct http_auth *http_auth_parse(const char *text, size_t len, const char *name, char *err,
				  size_t errlen)
{
	struct http_auth *a = xcalloc(1, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	if (getrandom(a->mac_key, sizeof(a->mac_key), 0) != (ssize_t)sizeof(a->mac_key)) {
		snprintf(err, errlen, "%s: cannot draw a random key: %s", name, strerror(errno));
		http_auth_free(a);
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: not a text file (NUL byte)", name);
		http_auth_free(a);
		return NULL;
	}
	char *copy = xstrndup(text, len);
	size_t pos = 0, alloc = 0;
	int lineno = 0;
	char line_err[512];
	while (pos < len) {
		char *line = copy + pos;
		size_t n = strcspn(line, "\n");
		pos += n + (pos + n < len);
		line[n] = '\0';
		lineno++;
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		if (parse_line(a, line, &alloc, line_err, sizeof(line_err)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, line_err);
			free(copy);
			http_auth_free(a);
			return NULL;
		}
	}
	free(copy);
	if (a->nusers == 0) {
		snprintf(err, errlen, "%s: no users (expected lines 'user:bcrypt hash')", name);
		http_auth_free(a);
		return NULL;
	}
	return a;
}

void http_auth_free(struct http_auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nusers; i++)
		free(a->users[i].name);
	free(a->users);
	pthread_mutex_destroy(&a->lock);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

size_t http_auth_users(const struct http_auth *a)
{
	return a->nusers;
}

/* ---- the header -------------------------------------------------------------- */

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 (RFC 4648, padded) of s[0..n) into out; the length, or -1. */
static long base64_decode(const char *s, size_t n, char *out, size_t outlen)
{
	if (n % 4)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = base64_value((unsigned char)s[i + k])) < 0) {
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		if (o + 3 - (size_t)pad > outlen)
			return -1;
		out[o++] = (char)(w >> 16);
		if (pad < 2)
			out[o++] = (char)(w >> 8 & 0xff);
		if (pad < 1)
			out[o++] = (char)(w & 0xff);
	}
	return (long)o;
}

int http_auth_parse_basic(const char *header, char *user, size_t userlen, char *pass,
			  size_t passlen)
{
	if (!header || strncasecmp(header, "Basic", 5) != 0 || (header[5] != ' ' && header[5] != '\t'))
		return -1;
	const char *b64 = header + 5 + strspn(header + 5, " \t");
	size_t n = strcspn(b64, " \t");
	if (b64[n + strspn(b64 + n, " \t")] != '\0')
		return -1;
	char decoded[USER_MAX + PASSWORD_MAX + 1];
	long len = base64_decode(b64, n, decoded, sizeof(decoded));
	if (len < 0 || memchr(decoded, '\0', (size_t)len)) {
		explicit_bzero(decoded, sizeof(decoded));
		return -1;
	}
	const char *colon = memchr(decoded, ':', (size_t)len);
	size_t ulen = colon ? (size_t)(colon - decoded) : 0;
	size_t plen = colon ? (size_t)len - ulen - 1 : 0;
	int rc = -1;
	if (colon && ulen < userlen && plen < passlen) {
		memcpy(user, decoded, ulen);
		user[ulen] = '\0';
		memcpy(pass, colon + 1, plen);
		pass[plen] = '\0';
		rc = 0;
	}
	explicit_bzero(decoded, sizeof(decoded));
	return rc;
}

/* ---- checking ---------------------------------------------------------------- */

static int same_bytes(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Whether password gives hash under bcrypt; always spends the hash's cost. */
static int bcrypt_matches(const char *password, const char *hash)
{
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *out = crypt_rn(password, hash, data, (int)sizeof(*data));
	int ok = out && strlen(out) == BCRYPT_LEN && same_bytes(out, hash, BCRYPT_LEN);
	explicit_bzero(data, sizeof(*data));
	free(data);
	return ok;
}

int http_auth_hash_password(const char *password, unsigned cost, char *out, size_t outlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	if (cost < 4 || cost > 31 || outlen <= BCRYPT_LEN ||
	    !crypt_gensalt_rn("$2y$", cost, NULL, 0, setting, (int)sizeof(setting))) {
		errno = EINVAL;
		return -1;
	}
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *h = crypt_rn(password, setting, data, (int)sizeof(*data));
	int rc = -1;
	if (h && strlen(h) == BCRYPT_LEN) {
		memcpy(out, h, BCRYPT_LEN + 1);
		rc = 0;
	} else {
		errno = EINVAL;
	}
	explicit_bzero(data, sizeof(*data));
	free(data);
	return rc;
}

/* The fake hash (made once, at the file's highest cost). */
static void fake_hash(struct http_auth *a, char *out)
{
	pthread_mutex_lock(&a->lock);
	if (!a->fake[0]) {
		unsigned char random[24];
		char phrase[2 * sizeof(random) + 1];
		if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
			memset(random, 0x5a, sizeof(random));
		for (size_t i = 0; i < sizeof(random); i++)
			snprintf(phrase + 2 * i, 3, "%02x", random[i]);
		if (http_auth_hash_password(phrase, a->max_cost, a->fake, sizeof(a->fake)) < 0)
			memcpy(a->fake, a->users[0].hash, sizeof(a->fake));
	}
	memcpy(out, a->fake, sizeof(a->fake));
	pthread_mutex_unlock(&a->lock);
}

static void credential_mac(const struct http_auth *a, const char *user, const char *pass,
			   unsigned char *mac)
{
	char data[USER_MAX + PASSWORD_MAX + 2];
	size_t ulen = strlen(user), plen = strlen(pass);
	memcpy(data, user, ulen + 1);
	memcpy(data + ulen + 1, pass, plen);
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, a->mac_key, sizeof(a->mac_key), data,
			     ulen + 1 + plen, mac) < 0)
		memset(mac, 0, MAC_LEN); /* never equal to a stored one: slots are HMACs */
	explicit_bzero(data, sizeof(data));
}

static int cache_has(struct http_auth *a, const unsigned char *mac)
{
	static const unsigned char zero[MAC_LEN];
	if (memcmp(mac, zero, MAC_LEN) == 0)
		return 0;
	pthread_mutex_lock(&a->lock);
	int found = 0;
	for (size_t i = 0; i < a->cached && !found; i++)
		found = memcmp(a->cache[i], mac, MAC_LEN) == 0;
	pthread_mutex_unlock(&a->lock);
	return found;
}

static void cache_add(struct http_auth *a, const unsigned char *mac)
{
	pthread_mutex_lock(&a->lock);
	memcpy(a->cache[a->next_slot], mac, MAC_LEN);
	a->next_slot = (a->next_slot + 1) % CACHE_SLOTS;
	if (a->cached < CACHE_SLOTS)
		a->cached++;
	pthread_mutex_unlock(&a->lock);
}

static int check_credentials(struct http_auth *a, const char *user, const char *pass)
{
	unsigned char mac[MAC_LEN];
	credential_mac(a, user, pass, mac);
	if (cache_has(a, mac))
		return 1;
	const struct auth_user *u = find_user(a, user);
	char hash[BCRYPT_LEN + 1];
	if (u)
		memcpy(hash, u->hash, sizeof(hash));
	else
		fake_hash(a, hash);
	int ok = bcrypt_matches(pass, hash) && u;
	if (ok)
		cache_add(a, mac);
	return ok;
}

int http_auth_check(struct http_auth *a, const char *header)
{
	char user[USER_MAX], pass[PASSWORD_MAX];
	int ok = http_auth_parse_basic(header, user, sizeof(user), pass, sizeof(pass)) == 0 &&
		 check_credentials(a, user, pass);
	explicit_bzero(pass, sizeof(pass));
	if (!ok)
		atomic_fetch_add(&failures, 1);
	return ok;
}
