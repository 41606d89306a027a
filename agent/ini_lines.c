/*
 * ini_lines.c -- a text in memory handed to inih a line at a time
 * (ini_lines.h).  Pure: it reads the text and writes the caller's buffer,
 * on whatever thread parses (the main thread for the configuration, a
 * collector worker for a backup.info); it owns nothing.
 */
#include "autoconfig.h"
#include "ini_lines.h"

#include <string.h>
#include "banned.h"

enum ini_lines_status ini_lines_next(struct ini_lines *il, char *str, int num, size_t *n)
{
	if (il->pos >= il->len)
		return INI_LINES_END;
	const char *start = il->text + il->pos;
	const char *nl = memchr(start, '\n', il->len - il->pos);
	size_t len = nl ? (size_t)(nl - start) : il->len - il->pos;
	il->pos += len + (nl ? 1 : 0);
	il->line++;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	*n = len;
	if (memchr(start, '\0', len))
		return INI_LINES_NUL;
	/* inih needs room for "\n\0" (and "\r\n\0" in some versions); longer
	 * lines it cuts in two */
	if (num < 4 || len > (size_t)num - 3)
		return INI_LINES_LONG;
	memcpy(str, start, len);
	str[len] = '\0';
	return INI_LINES_OK;
}
