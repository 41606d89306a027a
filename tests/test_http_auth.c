/*
 * test_http_auth.c -- basic authentication: the users file, the header,
 * bcrypt checks, the fake hash for unknown users, the cache; and the
 * permission rule of secret files.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "http_auth.h"
#include "secret.h"
#include "strutil.h"
#include "xalloc.h"

/* "Basic " + base64 of user:pass */
static char *basic(const char *user, const char *pass)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *plain = xasprintf("%s:%s", user, pass);
	size_t n = strlen(plain);
	char *out = xmalloc(6 + 4 * (n / 3 + 1) + 1), *o = out;
	memcpy(o, "Basic ", 6);
	o += 6;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)(unsigned char)plain[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)(unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			w |= (unsigned char)plain[i + 2];
		*o++ = b64[w >> 18 & 63];
		*o++ = b64[w >> 12 & 63];
		*o++ = (char)(i + 1 < n ? b64[w >> 6 & 63] : '=');
		*o++ = (char)(i + 2 < n ? b64[w & 63] : '=');
	}
	*o = '\0';
	free(plain);
	return out;
}

static struct http_auth *users(const char *text, char *err, size_t errlen)
{
	return http_auth_parse(text, strlen(text), "users", err, errlen);
}

static void test_parse_basic(void **state)
{
	(void)state;
	char u[64], p[64];
	char *h = basic("prometheus", "s3:cr et");
	assert_int_equal(http_auth_parse_basic(h, u, sizeof(u), p, sizeof(p)), 0);
	assert_string_equal(u, "prometheus");
	assert_string_equal(p, "s3:cr et"); /* only the first colon splits */
	free(h);
	h = basic("", "");
	assert_int_equal(http_auth_parse_basic(h, u, sizeof(u), p, sizeof(p)), 0);
	assert_string_equal(u, "");
	free(h);
	assert_int_equal(http_auth_parse_basic("basic   dTpw  ", u, sizeof(u), p, sizeof(p)), 0);
	assert_string_equal(u, "u");
	assert_string_equal(p, "p");
	static const char *const bad[] = {
		NULL, "", "Basic", "Basic ", "Bearer dTpw", "Basicx dTpw", "Basic dTpw=",
		"Basic dTp", "Basic dT=w", "Basic dTpw extra", "Basic ZGJwdWxzZQ==" /* no colon */,
		"Basic AHU6cA==" /* NUL byte */, "Basic dTpw====", "Basic *Tpw",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(http_auth_parse_basic(bad[i], u, sizeof(u), p, sizeof(p)), -1);
	h = basic("a-rather-long-user-name", "x");
	assert_int_equal(http_auth_parse_basic(h, u, 8, p, sizeof(p)), -1); /* does not fit */
	free(h);
}

static void test_users_file_errors(void **state)
{
	(void)state;
	char err[512];
	assert_null(users("", err, sizeof(err)));
	assert_non_null(strstr(err, "no users"));
	assert_null(users("# only a comment\n\n", err, sizeof(err)));
	assert_null(users("prom\n", err, sizeof(err)));
	assert_string_equal(err, "users:1: expected 'user:bcrypt hash'");
	assert_null(users("# x\nprom:plaintext\n", err, sizeof(err)));
	assert_non_null(strstr(err, "users:2: user 'prom': expected a bcrypt hash"));
	assert_null(users(":$2y$04$abcdefghijklmnopqrstuuJ3W4sD2n2mlJ8nDYVbmRQL2E0bBqVQa\n", err,
			  sizeof(err)));
	assert_non_null(strstr(err, "users:1: expected a user name"));
	char hash[128];
	assert_int_equal(http_auth_hash_password("pw", 4, hash, sizeof(hash)), 0);
	char *twice = xasprintf("a:%s\na:%s\n", hash, hash);
	assert_null(users(twice, err, sizeof(err)));
	assert_string_equal(err, "users:2: user 'a' is listed twice");
	free(twice);
	char with_nul[] = "a:x\0b";
	assert_null(http_auth_parse(with_nul, sizeof(with_nul) - 1, "users", err, sizeof(err)));
	assert_non_null(strstr(err, "NUL"));
	/* cost 03 and 32 are outside bcrypt's range */
	char *low = xasprintf("a:%.4s03%s\n", hash, hash + 6);
	assert_null(users(low, err, sizeof(err)));
	free(low);
}

static void test_check(void **state)
{
	(void)state;
	char hash[128], err[256];
	assert_int_equal(http_auth_hash_password("right", 4, hash, sizeof(hash)), 0);
	assert_int_equal(strncmp(hash, "$2y$04$", 7), 0);
	char *text = xasprintf("# users\r\n  prom:%s  \r\nother:%s\n", hash, hash);
	struct http_auth *a = users(text, err, sizeof(err));
	free(text);
	assert_non_null(a);
	assert_int_equal(http_auth_users(a), 2);
	uint64_t failures = http_auth_failures();
	char *good = basic("prom", "right"), *wrong = basic("prom", "wrong");
	char *unknown = basic("nobody", "right"), *other = basic("other", "right");
	assert_int_equal(http_auth_check(a, good), 1);
	assert_int_equal(http_auth_check(a, good), 1); /* from the cache */
	assert_int_equal(http_auth_check(a, other), 1);
	assert_int_equal(http_auth_check(a, wrong), 0);
	assert_int_equal(http_auth_check(a, unknown), 0);
	assert_int_equal(http_auth_check(a, unknown), 0); /* the fake hash, made once */
	assert_int_equal(http_auth_check(a, NULL), 0);
	assert_int_equal(http_auth_check(a, "Basic !!!!"), 0);
	assert_int_equal(http_auth_failures() - failures, 5);
	free(good);
	free(wrong);
	free(unknown);
	free(other);
	http_auth_free(a);
}

static double seconds_of(struct http_auth *a, const char *header, int n)
{
	double t0 = now_mono();
	for (int i = 0; i < n; i++)
		(void)http_auth_check(a, header);
	return now_mono() - t0;
}

/* An unknown user costs a bcrypt of the file's cost, as a wrong password
 * does; a cached right one costs nearly nothing. */
static void test_unknown_user_costs_a_bcrypt(void **state)
{
	(void)state;
	char hash[128], err[256];
	assert_int_equal(http_auth_hash_password("right", 8, hash, sizeof(hash)), 0);
	char *text = xasprintf("prom:%s\n", hash);
	struct http_auth *a = users(text, err, sizeof(err));
	free(text);
	char *wrong = basic("prom", "wrong"), *unknown = basic("nobody", "wrong");
	char *good = basic("prom", "right");
	(void)http_auth_check(a, unknown); /* makes the fake hash */
	assert_int_equal(http_auth_check(a, good), 1);
	double t_wrong = seconds_of(a, wrong, 5), t_unknown = seconds_of(a, unknown, 5);
	double t_cached = seconds_of(a, good, 5);
	print_message("# 5 checks: wrong password %.1f ms, unknown user %.1f ms, cached %.3f ms\n",
		      t_wrong * 1e3, t_unknown * 1e3, t_cached * 1e3);
	/* same work (within a noisy machine's factor 3), and the cache is
	 * far cheaper than either */
	assert_true(t_unknown > t_wrong / 3 && t_unknown < t_wrong * 3);
	assert_true(t_cached * 20 < t_wrong);
	free(wrong);
	free(unknown);
	free(good);
	http_auth_free(a);
}

static char *write_file(const char *text, mode_t mode)
{
	char *path = xstrdup("/tmp/dbpulse-secret-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_secret_file_permissions(void **state)
{
	(void)state;
	char err[512];
	struct buf b = BUF_INIT(1 << 16);
	char *ok = write_file("line one\nline two\n", 0600);
	assert_int_equal(secret_file_read(ok, "tls_key_file", &b, err, sizeof(err)), 0);
	assert_string_equal(buf_str(&b), "line one\nline two\n");
	char *open_to_all = write_file("x", 0644);
	assert_int_equal(secret_file_read(open_to_all, "tls_key_file", &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tls_key_file '"));
	assert_non_null(strstr(err, "has group or world access"));
	char *group_read = write_file("x", 0640);
	/* 0640 is fine for a file of root's (root:dbpulse), not for others' */
	int rc = secret_file_read(group_read, "basic_auth_users_file", &b, err, sizeof(err));
	assert_int_equal(rc, getuid() == 0 ? 0 : -1);
	char *group_write = write_file("x", 0660);
	assert_int_equal(secret_file_read(group_write, "k", &b, err, sizeof(err)), -1);
	assert_int_equal(secret_file_read("/nonexistent/x", "k", &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read k '/nonexistent/x'"));
	char pw[64];
	assert_int_equal(secret_read(ok, "password_file", NULL, pw, sizeof(pw), err, sizeof(err)), 1);
	assert_string_equal(pw, "line one");
	assert_int_equal(secret_read(open_to_all, "password_file", NULL, pw, sizeof(pw), err, sizeof(err)), -1);
	assert_null(strstr(err, "x\n")); /* never the content */
	/* the message names the key it was given (a webhook's secret_file) */
	assert_int_equal(secret_read(open_to_all, "secret_file", NULL, pw, sizeof(pw), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "secret_file '"));
	char *paths[] = { ok, open_to_all, group_read, group_write };
	for (size_t i = 0; i < 4; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_users_file_errors),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_unknown_user_costs_a_bcrypt),
		cmocka_unit_test(test_secret_file_permissions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
