/*
 * secret.h -- passwords from a file or an environment variable, never from
 * the config itself.  A file that group or others may access is refused,
 * as libpq refuses such a .pgpass.  The caller wipes the buffer after use.
 */
#ifndef DBPULSE_SECRET_H
#define DBPULSE_SECRET_H

#include <stddef.h>

/* Reads the first line of file, or the value of the variable env (at most
 * one of them set) into out.  Returns 1 when read, 0 when neither is
 * configured, -1 with the reason in err (which never holds the secret). */
int secret_read(const char *file, const char *env, char *out, size_t outlen, char *err,
		size_t errlen);

#endif
