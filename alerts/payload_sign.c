/*
 * payload_sign.c -- the message ids of notifications and Standard Webhooks
 * signing (payload.h): FNV-1a 128 over the receiver and the notes' ids,
 * a "whsec_" secret decoded to key bytes, and the HMAC-SHA256 signature
 * over "<msg_id>.<timestamp>.<body>" (libcrypto through netlib.h).
 *
 * Called by each webhook's sender thread for every delivery attempt (and
 * by payload.c for the json format's id).  Pure functions, no state, no
 * locks; the working copies of a secret are wiped before they are freed.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "buf.h"
#include "netlib.h"
#include "payload.h"
#include "xalloc.h"
#include "banned.h"

/* ---- message ids ----------------------------------------------------------------- */

/* FNV-1a 128 (draft-eastlake-fnv): offset basis 0x6c62272e07bb0142
 * 62b821756295c58d, prime 2^88 + 0x13b, so h * prime = h * 0x13b +
 * (h << 88) modulo 2^128. */
struct fnv128 {
	uint64_t hi, lo;
};

static void fnv128_add(struct fnv128 *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		uint64_t lo = h->lo ^ p[i];
		uint64_t carry = ((lo >> 32) * 0x13b + (((lo & 0xffffffffu) * 0x13b) >> 32)) >> 32;
		h->hi = h->hi * 0x13b + carry + (lo << 24);
		h->lo = lo * 0x13b;
	}
}

static void fnv128_u64(struct fnv128 *h, uint64_t v)
{
	unsigned char be[8];
	for (int i = 0; i < 8; i++)
		be[i] = (unsigned char)(v >> (56 - 8 * i));
	fnv128_add(h, be, sizeof(be));
}

void payload_message_id(const char *receiver, struct alert_note *const *notes, size_t n,
			char out[64])
{
	struct fnv128 h = { 0x6c62272e07bb0142ULL, 0x62b821756295c58dULL };
	const unsigned char sep = 0xff;
	if (receiver)
		fnv128_add(&h, receiver, strlen(receiver));
	fnv128_add(&h, &sep, 1);
	for (size_t i = 0; i < n; i++) {
		fnv128_u64(&h, notes[i]->fingerprint);
		fnv128_u64(&h, notes[i]->seq);
	}
	snprintf(out, 64, "msg_%016llx%016llx", (unsigned long long)h.hi, (unsigned long long)h.lo);
}

/* ---- Standard Webhooks ----------------------------------------------------------- */

/* memset that the compiler may not drop before free(). */
static void wipe(void *p, size_t len)
{
	volatile unsigned char *v = p;
	while (len--)
		*v++ = 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int standard_webhooks_key(const char *secret, unsigned char *key, size_t *keylen, size_t keycap)
{
	if (!secret)
		return -1;
	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	while (is_space(*secret))
		secret++;
	size_t len = strlen(secret);
	while (len && is_space(secret[len - 1]))
		len--;
	if (len == 0 || len % 4 == 1)
		return -1;
	/* the reference libraries accept unpadded base64 too */
	size_t padded = (len + 3) / 4 * 4, cap = padded / 4 * 3;
	char *in = xmalloc(padded);
	unsigned char *raw = xmalloc(cap);
	/* in is base64 of a known length, not a C string */
	memcpy(in, secret, len); // NOLINT(bugprone-not-null-terminated-result)
	memset(in + len, '=', padded - len);
	long got = base64_decode(in, padded, raw);
	int rc = -1;
	if (got > 0 && (size_t)got <= keycap) {
		memcpy(key, raw, (size_t)got);
		*keylen = (size_t)got;
		rc = 0;
	}
	wipe(in, padded);
	wipe(raw, cap);
	free(in);
	free(raw);
	return rc;
}

int standard_webhooks_sign(const unsigned char *key, size_t keylen, const char *msg_id,
			   long long timestamp, const char *body, size_t len, struct buf *out)
{
	if (!key || !keylen || !msg_id || strchr(msg_id, '.') || (!body && len))
		return -1;
	char *head = xasprintf("%s.%lld.", msg_id, timestamp);
	size_t hlen = strlen(head);
	char *content = xmalloc(hlen + len + 1);
	/* content is the HMAC's input of a known length, not a C string */
	memcpy(content, head, hlen); // NOLINT(bugprone-not-null-terminated-result)
	if (len)
		memcpy(content + hlen, body, len);
	free(head);
	unsigned char mac[32];
	char b64[48];
	int rc = hmac_sha256(key, keylen, content, hlen + len, mac);
	free(content);
	if (rc < 0 || base64_encode(mac, sizeof(mac), b64) < 0)
		return -1;
	return buf_printf(out, "v1,%s", b64);
}
