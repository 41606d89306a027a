/*
 * secret.c -- passwords from files and environment variables (see
 * secret.h).  Called by collectors on their worker threads when they
 * (re)connect; keeps nothing.
 */
#include "autoconfig.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int secret_read(const char *file, const char *env, char *out, size_t outlen, char *err,
		size_t errlen)
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
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read password_file '%s': %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "password_file '%s' has group or world access; "
			 "permissions should be u=rw (0600) or less", file);
		close(fd);
		return -1;
	}
	ssize_t n = read(fd, out, outlen - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read password_file '%s': %s", file, strerror(errno));
		return -1;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 1;
}
