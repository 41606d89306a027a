/*
 * secret.c -- passwords and key files from files and environment variables
 * (see secret.h).  Called by collectors on their worker threads when they
 * (re)connect, and by the HTTP endpoint's setup; keeps nothing.
 */
#include "autoconfig.h"
#include "secret.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "banned.h"

/* Opens a secret file after checking who may read it; -1 with err. */
static int open_secret(const char *file, const char *key, char *err, size_t errlen)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read %s '%s': %s", key, file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int group_ok = st.st_uid == 0 && (st.st_mode & S_IRWXG) == S_IRGRP;
	if ((st.st_mode & S_IRWXO) || ((st.st_mode & S_IRWXG) && !group_ok)) {
		snprintf(err, errlen, "%s '%s' has group or world access; permissions should be "
			 "u=rw (0600) or less, or u=rw,g=r (0640) when owned by root", key, file);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s '%s' is not a regular file", key, file);
		close(fd);
		return -1;
	}
	return fd;
}

int secret_read(const char *file, const char *key, const char *env, char *out, size_t outlen,
		char *err, size_t errlen)
{
	if (env) {
		const char *v = getenv(env);
		if (!v) {
			snprintf(err, errlen, "password_env: variable '%s' is not set", env);
			return -1;
		}
		snprintf(out, outlen, "%s", v);
		return 1;
	}
	if (!file)
		return 0;
	int fd = open_secret(file, key, err, errlen);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, out, outlen - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s '%s': %s", key, file, strerror(errno));
		return -1;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 1;
}

int secret_file_check(const char *file, const char *key, char *err, size_t errlen)
{
	if (!file)
		return 0;
	char value[1024];
	int rc = secret_read(file, key, NULL, value, sizeof(value), err, errlen);
	explicit_bzero(value, sizeof(value));
	return rc < 0 ? -1 : 0;
}

int secret_file_read(const char *file, const char *key, struct buf *out, char *err,
		     size_t errlen)
{
	int fd = open_secret(file, key, err, errlen);
	if (fd < 0)
		return -1;
	buf_reset(out);
	char chunk[4096];
	ssize_t n;
	int rc = 0;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(out, chunk, (size_t)n) < 0) {
			snprintf(err, errlen, "%s '%s' is too large", key, file);
			rc = -1;
			break;
		}
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s '%s': %s", key, file, strerror(errno));
		rc = -1;
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return rc;
}
