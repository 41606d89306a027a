/*
 * test_buf.c -- the capped buffer and the checked string and file helpers.
 */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "strutil.h"

static void test_buf_cap(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(10);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_puts(&b, "hello"), 0);
	assert_int_equal(buf_printf(&b, "%d", 1234), 0);
	assert_string_equal(b.data, "hello1234");
	assert_int_equal(buf_puts(&b, "xy"), -1); /* would pass the cap */
	assert_true(b.overflow);
	assert_string_equal(b.data, "hello1234");
	assert_int_equal(buf_putc(&b, '!'), 0);
	assert_int_equal(b.len, 10);
	buf_truncate(&b, 5);
	assert_string_equal(b.data, "hello");
	buf_reset(&b);
	assert_false(b.overflow);
	assert_int_equal(b.len, 0);
	size_t len;
	char *p = buf_detach(&b, &len);
	assert_string_equal(p, "");
	free(p);
	buf_release(&b);

	struct buf big = BUF_INIT(BUF_UNLIMITED);
	char chunk[300];
	memset(chunk, 'a', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_printf(&big, "%s", chunk), 0);
	assert_int_equal(big.len, 299 * 100);
	/* detached in an allocation of its size: still a string */
	size_t fit_len;
	char *fit = buf_detach_fit(&big, &fit_len);
	assert_int_equal(fit_len, 299 * 100);
	assert_int_equal(strlen(fit), 299 * 100);
	free(fit);
	/* reserved and never appended to, then detached: an empty string */
	buf_reserve(&big, 4096);
	fit = buf_detach_fit(&big, &fit_len);
	assert_int_equal(fit_len, 0);
	assert_string_equal(fit, "");
	free(fit);
	/* the first reservation is exact, growth after it doubles */
	buf_reserve(&big, 5000);
	assert_int_equal(big.alloc, 5001);
	buf_append(&big, "x", 1);
	buf_reserve(&big, 5000);
	assert_int_equal(big.alloc, 10002);
	buf_reset(&big);
	fit = buf_detach(&big, NULL);
	assert_string_equal(fit, "");
	free(fit);
	buf_release(&big);
}

static void test_numbers(void **state)
{
	(void)state;
	int64_t i;
	uint64_t u;
	double d;
	assert_int_equal(parse_int64("-42", &i), 0);
	assert_int_equal(i, -42);
	assert_int_equal(parse_int64("42x", &i), -1);
	assert_int_equal(parse_int64("", &i), -1);
	assert_int_equal(parse_int64(" 1", &i), -1);
	assert_int_equal(parse_int64("9223372036854775808", &i), -1);
	assert_int_equal(parse_uint64("18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(parse_uint64("18446744073709551616", &u), -1);
	assert_int_equal(parse_uint64("-1", &u), -1);
	assert_int_equal(parse_uint64("+1", &u), -1);
	assert_int_equal(parse_double("0.25", &d), 0);
	assert_true(d == 0.25);
	assert_int_equal(parse_double("1e400", &d), -1);
	assert_int_equal(parse_double("nan?", &d), -1);
	assert_int_equal(parse_uint64_n("12345", 3, &u), 0);
	assert_true(u == 123);
	assert_int_equal(parse_double_n("2.5kB", 3, &d), 0);
	assert_true(d == 2.5);
}

static void test_fields_and_lines(void **state)
{
	(void)state;
	char line[] = "  cpu0 1 2\t3  \n";
	char *f[8];
	assert_int_equal(split_fields(line, f, 8), 4);
	assert_string_equal(f[0], "cpu0");
	assert_string_equal(f[3], "3");
	char many[] = "a b c d e";
	assert_int_equal(split_fields(many, f, 2), 5);
	assert_string_equal(f[1], "b");
	char empty[] = "   \n";
	assert_int_equal(split_fields(empty, f, 8), 0);

	char text[] = "one\ntwo\n\nlast";
	size_t pos = 0, len = strlen(text);
	assert_string_equal(next_line(text, len, &pos), "one");
	assert_string_equal(next_line(text, len, &pos), "two");
	assert_string_equal(next_line(text, len, &pos), "");
	assert_string_equal(next_line(text, len, &pos), "last");
	assert_null(next_line(text, len, &pos));

	char padded[] = "  \t x y \n";
	assert_string_equal(trim(padded), "x y");
	assert_int_equal(edit_distance("interval", "intervall"), 1);
	assert_int_equal(edit_distance("host", "hots"), 1);
	assert_int_equal(edit_distance("", "abc"), 3);
	assert_int_equal(edit_distance("Same", "same"), 0);
}

static void test_read_file(void **state)
{
	(void)state;
	char path[] = "/tmp/dbpulse-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char data[10000];
	memset(data, 'z', sizeof(data));
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	close(fd);
	struct buf b = BUF_INIT(1 << 20);
	assert_int_equal(read_file(path, &b), 0);
	assert_int_equal(b.len, sizeof(data));
	struct buf small = BUF_INIT(100);
	assert_int_equal(read_file(path, &small), -1);
	assert_int_equal(errno, EFBIG);
	unlink(path);
	assert_int_equal(read_file(path, &b), -1);
	assert_int_equal(errno, ENOENT);
	buf_release(&b);
	buf_release(&small);
}

static void test_shortest(void **state)
{
	(void)state;
	static const struct {
		double v;
		int digits;
		const char *text;
	} cases[] = {
		{ 0, 1, "0" },          { 0.93, 2, "0.93" },   { 1e-07, 1, "1e-07" },
		{ 0.1 + 0.2, 17, "0.30000000000000004" }, { -2.5, 2, "-2.5" },
		{ 123456789.0, 9, "123456789" }, { 1e21, 1, "1e+21" },
		{ 5e-324, 1, "5e-324" }, { 1.7976931348623157e308, 17, "1.7976931348623157e+308" },
	};
	assert_string_equal(nonfinite_name(NAN), "NaN");
	assert_string_equal(nonfinite_name(INFINITY), "+Inf");
	assert_string_equal(nonfinite_name(-INFINITY), "-Inf");
	assert_null(nonfinite_name(0.5));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char s[40];
		assert_int_equal(shortest_digits(cases[i].v), cases[i].digits);
		assert_int_equal(format_double_shortest(s, sizeof(s), cases[i].v),
				 (int)strlen(cases[i].text));
		assert_string_equal(s, cases[i].text);
	}
}

/* Entries of dir other than . and .. (a left temporary file shows). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_write_file_atomic(void **state)
{
	(void)state;
	char dir[] = "/tmp/dbpulse-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/state.json", dir);
	struct buf b = BUF_INIT(1 << 20);

	assert_int_equal(write_file_atomic(path, "first", 5, err, sizeof(err)), 0);
	assert_int_equal(read_file(path, &b), 0);
	assert_string_equal(buf_str(&b), "first");
	/* replaced whole, no temporary file left, 0600 */
	assert_int_equal(write_file_atomic(path, "second!", 7, NULL, 0), 0);
	assert_int_equal(read_file(path, &b), 0);
	assert_string_equal(buf_str(&b), "second!");
	assert_int_equal(entries(dir), 1);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fsync_dir(dir), 0);

	/* a directory that is not there: the message and errno say so */
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/gone/state.json", dir);
	assert_int_equal(write_file_atomic(missing, "x", 1, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	char want[512];
	snprintf(want, sizeof(want), "cannot write %s: %s", missing, strerror(ENOENT));
	assert_string_equal(err, want);
	assert_int_equal(fsync_dir(missing), -1);

	/* the target is a directory: rename fails, the temporary file goes */
	snprintf(missing, sizeof(missing), "%s/sub", dir);
	assert_int_equal(mkdir(missing, 0700), 0);
	snprintf(want, sizeof(want), "%s/sub/x", dir);
	assert_int_equal(mkdir(want, 0700), 0);
	assert_int_equal(write_file_atomic(missing, "x", 1, NULL, 0), -1);
	assert_int_equal(entries(dir), 2);
	rmdir(want);
	rmdir(missing);

	/* what a crash between create and rename leaves: removed before the
	 * next writer starts, and nothing else (the file itself, other names) */
	char left[200], other[200];
	snprintf(left, sizeof(left), "%s/.tmp-state.json.Ab3dE9", dir);
	snprintf(other, sizeof(other), "%s/.tmp-other.json.Ab3dE9", dir);
	assert_int_equal(write_file_atomic(left, "", 0, NULL, 0), 0);
	assert_int_equal(write_file_atomic(other, "", 0, NULL, 0), 0);
	assert_int_equal(entries(dir), 3);
	assert_int_equal(write_file_atomic_leftovers(path), 1);
	assert_int_equal(entries(dir), 2);
	assert_int_equal(read_file(path, &b), 0);
	assert_string_equal(buf_str(&b), "second!");
	unlink(other);
	unlink(path);
	rmdir(dir);
	buf_release(&b);
}

static void test_mkdir_p(void **state)
{
	(void)state;
	char dir[] = "/tmp/dbpulse-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[160], err[256], want[512];
	struct stat st;
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(mkdir_p(path, 0700, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	/* again, and with a trailing slash: nothing to do */
	assert_int_equal(mkdir_p(path, 0700, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/a/b/c/", dir);
	assert_int_equal(mkdir_p(path, 0700, err, sizeof(err)), 0);
	/* a file in the way: the first component that cannot be made */
	char file[160];
	snprintf(file, sizeof(file), "%s/a/f", dir);
	assert_int_equal(write_file_atomic(file, "", 0, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/a/f/g/h", dir);
	assert_int_equal(mkdir_p(path, 0700, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOTDIR);
	snprintf(want, sizeof(want), "cannot create %s/a/f/g: %s", dir, strerror(ENOTDIR));
	assert_string_equal(err, want);
	unlink(file);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_utf8_clean(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(64);
	assert_int_equal(buf_put_utf8(&b, "caf\xc3\xa9", 5, 100), 0);
	assert_string_equal(b.data, "caf\xc3\xa9");
	buf_reset(&b);
	/* bad bytes, an overlong form and a NUL each become U+FFFD */
	assert_int_equal(buf_put_utf8(&b, "a\xff\xc0\xaf\0z", 6, 100), 0);
	assert_string_equal(b.data, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	buf_reset(&b);
	/* cut between characters, then "..." */
	assert_int_equal(buf_put_utf8(&b, "ab\xc3\xa9z", 5, 3), 0);
	assert_string_equal(b.data, "ab...");
	/* the output cap of the buffer holds */
	struct buf small = BUF_INIT(4);
	assert_int_equal(buf_put_utf8(&small, "abcdefgh", 8, 100), -1);
	assert_true(small.overflow);
	char dst[UTF8_CLEAN_SIZE(2, 100)];
	assert_int_equal(utf8_clean(dst, "\xfe\xfe", 2, 100), 6);
	buf_release(&b);
	buf_release(&small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_clean),
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_fields_and_lines),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_shortest),
		cmocka_unit_test(test_write_file_atomic),
		cmocka_unit_test(test_mkdir_p),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
