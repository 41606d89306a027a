/*
 * fuzz_basic_auth.c -- the HTTP basic-auth header parser (exporters/
 * http_auth.c http_auth_parse_basic), which reads the Authorization
 * header of every request to a protected endpoint before anything else.
 *
 * Input: byte 0 and 1 give the sizes of the user and password buffers
 * (1 to 64 bytes, allocated exactly, so that ASan sees one byte too
 * many); byte 2 picks the mode:
 *   even  the rest is the header as a client sent it;
 *   odd   the rest is "user\0password", encoded here as a well-formed
 *         "Basic " header.
 *
 * Properties: no crash, leak or UB; an accepted header is "Basic" (any
 * case), white space, then base64 of exactly user ":" password, with
 * both NUL-terminated in their buffers and no ':' in the user; a
 * well-formed header of printable ASCII credentials that fit is accepted
 * and split back into the same user and password, and one that does not
 * fit is refused.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fuzz_util.h"
#include "http_auth.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void encode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		buf_putc(out, b64[v >> 18 & 63]);
		buf_putc(out, b64[v >> 12 & 63]);
		buf_putc(out, i + 1 < n ? b64[v >> 6 & 63] : '=');
		buf_putc(out, i + 2 < n ? b64[v & 63] : '=');
	}
}

/* Decodes base64 (padding optional, nothing else allowed) into out;
 * -1 when s is not base64. */
static int decode(const char *s, size_t n, struct buf *out)
{
	while (n && s[n - 1] == '=')
		n--;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(b64, s[i]) : NULL;
		if (!p)
			return -1;
		acc = acc << 6 | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)(acc >> bits & 0xff));
		}
	}
	return bits >= 6 ? -1 : 0;
}

/* The header was accepted: it must say what user and pass say. */
static void check_accepted(const char *header, const char *user, size_t userlen,
			   const char *pass, size_t passlen)
{
	FUZZ_CHECK(memchr(user, 0, userlen) && memchr(pass, 0, passlen), "not NUL-terminated");
	FUZZ_CHECK(!strchr(user, ':'), "user '%s' holds a ':'", user);
	FUZZ_CHECK(strncasecmp(header, "Basic", 5) == 0 && (header[5] == ' ' || header[5] == '\t'),
		   "accepted '%s'", header);
	const char *tok = header + 5 + strspn(header + 5, " \t");
	size_t n = strcspn(tok, " \t");
	FUZZ_CHECK(tok[n + strspn(tok + n, " \t")] == '\0', "accepted '%s' (trailing data)", header);
	struct buf want = BUF_INIT(BUF_UNLIMITED), got = BUF_INIT(BUF_UNLIMITED);
	FUZZ_CHECK(decode(tok, n, &want) == 0, "accepted '%s': not base64", header);
	buf_printf(&got, "%s:%s", user, pass);
	FUZZ_CHECK(want.len == got.len && memcmp(buf_str(&want), buf_str(&got), got.len) == 0,
		   "'%s' split into '%s'", header, buf_str(&got));
	buf_release(&want);
	buf_release(&got);
}

static int printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* A header made here from user and pass (mode odd). */
static void check_made(const char *u, const char *p, size_t userlen, size_t passlen)
{
	if (strchr(u, ':') || !printable(u) || !printable(p))
		return;
	struct buf plain = BUF_INIT(BUF_UNLIMITED), header = BUF_INIT(BUF_UNLIMITED);
	buf_printf(&plain, "%s:%s", u, p);
	buf_puts(&header, "Basic ");
	encode(buf_str(&plain), plain.len, &header);
	char *user = malloc(userlen), *pass = malloc(passlen);
	int rc = http_auth_parse_basic(buf_str(&header), user, userlen, pass, passlen);
	int fits = strlen(u) < userlen && strlen(p) < passlen;
	FUZZ_CHECK(rc == (fits ? 0 : -1), "'%s' (user '%s', password '%s'): %d", buf_str(&header), u,
		   p, rc);
	if (rc == 0)
		FUZZ_CHECK(strcmp(user, u) == 0 && strcmp(pass, p) == 0, "'%s' gave '%s' '%s'",
			   buf_str(&header), user, pass);
	free(user);
	free(pass);
	buf_release(&plain);
	buf_release(&header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	size_t userlen = (size_t)(data[0] % 64) + 1, passlen = (size_t)(data[1] % 64) + 1;
	if (data[2] & 1) {
		size_t pos = 3;
		char *u = fuzz_field(data, size, &pos, 0), *p = fuzz_field(data, size, &pos, 0);
		check_made(u, p ? p : "", userlen, passlen);
		free(u);
		free(p);
		return 0;
	}
	char *header = fuzz_strndup(data + 3, size - 3);
	char *user = malloc(userlen), *pass = malloc(passlen);
	if (http_auth_parse_basic(header, user, userlen, pass, passlen) == 0)
		check_accepted(header, user, userlen, pass, passlen);
	free(user);
	free(pass);
	free(header);
	return 0;
}
