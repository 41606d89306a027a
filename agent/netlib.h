/*
 * netlib.h -- libcurl and libcrypto, loaded when the first webhook needs
 * them.
 *
 * Like libpq (collectors/pg_libpq.h), libcurl brings OpenSSL, Kerberos,
 * LDAP and nghttp2 whose relocations cost megabytes of resident memory;
 * an agent with no [webhook] section must not pay for them.  netlib_load()
 * dlopen()s libcurl.so.4 and libcrypto.so.3 once (thread-safe) and fills
 * the table below.  HMAC and base64 come from libcrypto, which libcurl
 * maps anyway.
 */
#ifndef DBPULSE_NETLIB_H
#define DBPULSE_NETLIB_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stddef.h>

struct netlib {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	void (*easy_reset)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

/* The table; valid once netlib_load() returned 0. */
extern struct netlib netlib;

/* Loads libcurl and libcrypto (once; later calls return the first
 * outcome).  Returns 0, or -1 with the reason in err. */
int netlib_load(char *err, size_t errlen);

/* HMAC-SHA256 of msg under key into out.  Loads the libraries if needed;
 * returns 0, or -1 when libcrypto cannot be loaded. */
int hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		unsigned char out[32]);

/* Standard base64 with padding.  base64_encode writes 4*((n+2)/3) chars
 * and a NUL into out and returns the length, or -1 when libcrypto cannot
 * be loaded.  base64_decode ignores surrounding whitespace, writes at most
 * 3*(len/4) bytes and returns their number, or -1 for invalid input. */
long base64_encode(const void *in, size_t n, char *out);
long base64_decode(const char *in, size_t len, unsigned char *out);

#endif
