/*
 * secret.h -- passwords, keys and users files from a file or an environment
 * variable, never from the config itself.  A file that others may read is
 * refused, as libpq refuses such a .pgpass or key file: it must be u=rw
 * (0600) or stricter, or u=rw,g=r (0640) when it belongs to root (the
 * packaged layout: root:dbpulse 0640 under /etc/dbpulse).  The caller
 * wipes the buffer after use.
 */
#ifndef DBPULSE_SECRET_H
#define DBPULSE_SECRET_H

#include <stddef.h>

struct buf;

/* Reads the first line of file, or the value of the variable env (at most
 * one of them set) into out; key names file's config key in messages
 * (password_file, secret_file).  Returns 1 when read, 0 when neither is
 * configured, -1 with the reason in err (which never holds the secret). */
int secret_read(const char *file, const char *key, const char *env, char *out, size_t outlen,
		char *err, size_t errlen);

/* Reads the whole of file into out (reset first; its cap bounds the size),
 * with the same permission rule; key names the config key in messages.
 * Returns 0, or -1 with the reason in err. */
int secret_file_read(const char *file, const char *key, struct buf *out, char *err,
		     size_t errlen);

/* What a config load checks of a file a key names (--check-config, a
 * reload, the start): file, when set, opens and reads as secret_read()
 * would at run time, with the same messages; nothing of it is kept.
 * Returns 0, or -1 with the reason in err. */
int secret_file_check(const char *file, const char *key, char *err, size_t errlen);

#endif
