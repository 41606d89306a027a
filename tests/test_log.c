/*
 * test_log.c -- log lines: logfmt quoting, JSON lines that stay valid when
 * a message is long, holds quotes, control characters or invalid UTF-8,
 * and the rate limit of repeated complaints.
 */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "strutil.h"

/* Runs fn with stderr sent to a file and returns what it wrote. */
static void capture(void (*fn)(void), struct buf *out)
{
	char path[] = "/tmp/dbpulse-log-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(read_file(path, out), 0);
	unlink(path);
}

static void write_logfmt(void)
{
	log_configure(LOG_LEVEL_INFO, LOG_FORMAT_LOGFMT);
	log_info("host", "main", "plain");
	log_warn("http", NULL, "say \"%s\"", "hi");
	log_debug("host", NULL, "not shown at info");
}

static void test_logfmt(void **state)
{
	(void)state;
	struct buf out = BUF_INIT(1 << 20);
	capture(write_logfmt, &out);
	char *second = strchr(out.data, '\n');
	assert_non_null(second);
	*second++ = '\0';
	assert_non_null(strstr(out.data, " level=info module=host target=main msg=plain"));
	assert_true(strncmp(out.data, "time=20", 7) == 0);
	assert_non_null(strstr(second, " level=warn module=http msg=\"say \\\"hi\\\"\"\n"));
	assert_null(strstr(second, "not shown"));
	buf_release(&out);
}

static void write_json(void)
{
	char long_msg[3000];
	memset(long_msg, '"', sizeof(long_msg) - 1); /* each doubles when escaped */
	long_msg[sizeof(long_msg) - 1] = '\0';
	log_configure(LOG_LEVEL_DEBUG, LOG_FORMAT_JSON);
	log_info("host", "main", "mount '%s' tab\there bell\a", "/mnt/bad\xff\xfename");
	log_error("host", NULL, "%s", long_msg);
	log_configure(LOG_LEVEL_INFO, LOG_FORMAT_LOGFMT);
}

static void test_json_stays_valid(void **state)
{
	(void)state;
	struct buf out = BUF_INIT(1 << 20);
	capture(write_json, &out);
	size_t pos = 0, lines = 0;
	char *line;
	while ((line = next_line(out.data, out.len, &pos)) != NULL) {
		size_t n = strlen(line);
		lines++;
		assert_true(n < 2048);
		assert_true(strncmp(line, "{\"time\":\"", 9) == 0);
		assert_true(n >= 2 && line[n - 2] == '"' && line[n - 1] == '}');
		for (size_t i = 0; i < n;) {
			size_t adv = utf8_sequence_len((const unsigned char *)line + i, n - i);
			assert_true(adv > 0);
			assert_true((unsigned char)line[i] >= 0x20);
			i += adv;
		}
		/* a cut message never ends inside an escape */
		size_t bs = 0;
		for (size_t i = n - 2; i > 0 && line[i - 1] == '\\'; i--)
			bs++;
		assert_int_equal(bs % 2, 0);
	}
	assert_int_equal(lines, 2);
	assert_non_null(strstr(out.data, "tab\\there"));
	assert_non_null(strstr(out.data, "bell\\u0007"));
	assert_non_null(strstr(out.data, "/mnt/bad\xef\xbf\xbd\xef\xbf\xbdname"));
	buf_release(&out);
}

static void write_complaints(void)
{
	struct log_complaint c = { 0 };
	log_configure(LOG_LEVEL_INFO, LOG_FORMAT_LOGFMT);
	for (int i = 0; i < 5; i++)
		log_complain(&c, LOG_LEVEL_WARN, "pg", "main", "cannot connect");
	log_complaint_clear(&c, "pg", "main", "connected again");
	log_complaint_clear(&c, "pg", "main", "not logged: nothing outstanding");
	log_complain(&c, LOG_LEVEL_WARN, "pg", "main", "cannot connect");
}

static void test_complaints_are_rate_limited(void **state)
{
	(void)state;
	struct buf out = BUF_INIT(1 << 20);
	capture(write_complaints, &out);
	size_t n = 0;
	for (const char *p = out.data; (p = strstr(p, "cannot connect")) != NULL; p++)
		n++;
	assert_int_equal(n, 2); /* the first failure, then again after recovery */
	assert_non_null(strstr(out.data, "msg=\"connected again\""));
	assert_null(strstr(out.data, "not logged"));
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logfmt),
		cmocka_unit_test(test_json_stays_valid),
		cmocka_unit_test(test_complaints_are_rate_limited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
