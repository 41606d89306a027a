/*
 * http_auth.h -- HTTP basic authentication against a users file of bcrypt
 * hashes, as Prometheus' web config has them:
 *
 *   # user:bcrypt hash ($2y$, $2b$ or $2a$), one per line
 *   prometheus:$2y$10$...
 *
 * Checking a password costs one bcrypt (tens of milliseconds), so verified
 * credentials are remembered in a small cache, keyed by an HMAC under a key
 * drawn at load (the cache never holds a password).  An unknown user is
 * checked against a fake hash of the same cost, so the time of an answer
 * does not tell which users exist.  Thread-safe: the HTTP threads share one
 * struct http_auth.
 */
#ifndef DBPULSE_HTTP_AUTH_H
#define DBPULSE_HTTP_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct http_auth;

/* Reads the text of a users file (secret_file_read() reads the file
 * itself); name is used in messages.  NULL with a message naming the file,
 * line and problem in err. */
struct http_auth *http_auth_parse(const char *text, size_t len, const char *name, char *err,
				  size_t errlen);
void http_auth_free(struct http_auth *a);
size_t http_auth_users(const struct http_auth *a);

/* Splits an Authorization header of the Basic scheme (RFC 7617) into user
 * and password, NUL-terminated.  Returns 0, or -1 when the header is not a
 * well-formed Basic credential or either part does not fit. */
int http_auth_parse_basic(const char *header, char *user, size_t userlen, char *pass,
			  size_t passlen);

/* Whether the Authorization header (may be NULL) names a user of the file
 * with the right password: 1 yes, 0 no. */
int http_auth_check(struct http_auth *a, const char *header);

/* Requests refused since the start (every struct http_auth together). */
uint64_t http_auth_failures(void);

/* The bcrypt hash of password at cost (4 to 31) into out (at least 64
 * bytes): 0, or -1 with errno set. */
int http_auth_hash_password(const char *password, unsigned cost, char *out, size_t outlen);

#endif
