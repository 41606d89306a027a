/*
 * netlib.c -- loading libcurl and libcrypto at run time (netlib.h).
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "netlib.h"
#include "banned.h"

struct netlib netlib;

static struct {
	unsigned char *(*HMAC)(const void *md, const void *key, int keylen, const unsigned char *d,
			       size_t n, unsigned char *out, unsigned int *outlen);
	const void *(*EVP_sha256)(void);
	int (*EVP_EncodeBlock)(unsigned char *t, const unsigned char *f, int n);
	int (*EVP_DecodeBlock)(unsigned char *t, const unsigned char *f, int n);
} crypto;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256];

static int resolve(void *lib, const char *libname, const char *name, void *slot)
{
	void *f = dlsym(lib, name);
	if (!f) {
		snprintf(load_error, sizeof(load_error), "%s has no %s", libname, name);
		return -1;
	}
	memcpy(slot, &f, sizeof(f));
	return 0;
}

#define CURL_FN(field, sym) { #sym, &netlib.field }

static void load(void)
{
	void *curl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!curl) {
		snprintf(load_error, sizeof(load_error), "cannot load libcurl: %s", dlerror());
		return;
	}
	void *ssl = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	if (!ssl) {
		snprintf(load_error, sizeof(load_error), "cannot load libcrypto: %s", dlerror());
		return;
	}
	const struct { const char *name; void *slot; } fns[] = {
		CURL_FN(global_init, curl_global_init),
		CURL_FN(easy_init, curl_easy_init),
		CURL_FN(easy_setopt, curl_easy_setopt),
		CURL_FN(easy_perform, curl_easy_perform),
		CURL_FN(easy_getinfo, curl_easy_getinfo),
		CURL_FN(easy_cleanup, curl_easy_cleanup),
		CURL_FN(easy_reset, curl_easy_reset),
		CURL_FN(easy_strerror, curl_easy_strerror),
		CURL_FN(slist_append, curl_slist_append),
		CURL_FN(slist_free_all, curl_slist_free_all),
	};
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (resolve(curl, "libcurl", fns[i].name, fns[i].slot))
			return;
	if (resolve(ssl, "libcrypto", "HMAC", &crypto.HMAC) ||
	    resolve(ssl, "libcrypto", "EVP_sha256", &crypto.EVP_sha256) ||
	    resolve(ssl, "libcrypto", "EVP_EncodeBlock", &crypto.EVP_EncodeBlock) ||
	    resolve(ssl, "libcrypto", "EVP_DecodeBlock", &crypto.EVP_DecodeBlock))
		return;
	if (netlib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		snprintf(load_error, sizeof(load_error), "curl_global_init failed");
}

int netlib_load(char *err, size_t errlen)
{
	pthread_once(&load_once, load);
	if (load_error[0]) {
		if (err)
			snprintf(err, errlen, "%s", load_error);
		return -1;
	}
	return 0;
}

int hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		unsigned char out[32])
{
	unsigned int outlen = 0;
	if (netlib_load(NULL, 0) || keylen > (size_t)0x7fffffff)
		return -1;
	if (!crypto.HMAC(crypto.EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen) ||
	    outlen != 32)
		return -1;
	return 0;
}

long base64_encode(const void *in, size_t n, char *out)
{
	if (netlib_load(NULL, 0) || n > 0x3fffffff)
		return -1;
	return crypto.EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

long base64_decode(const char *in, size_t len, unsigned char *out)
{
	if (netlib_load(NULL, 0))
		return -1;
	while (len && (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')) {
		in++;
		len--;
	}
	while (len && (in[len - 1] == ' ' || in[len - 1] == '\t' || in[len - 1] == '\n' ||
		       in[len - 1] == '\r'))
		len--;
	if (len % 4 || len > 0x3fffffff)
		return -1;
	int n = crypto.EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts padding as zero bytes */
	if (len >= 1 && in[len - 1] == '=')
		n--;
	if (len >= 2 && in[len - 2] == '=')
		n--;
	return n;
}
