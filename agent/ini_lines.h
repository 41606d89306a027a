/*
 * ini_lines.h -- a text in memory handed to inih a line at a time: the
 * shared part of the reader callbacks given to conf_ini_parse_stream()
 * (config.h) by the agent's configuration (config.c) and by pgBackRest's
 * backup.info (collectors/backup_pgbr.c).  Lines end at '\n' (a '\r'
 * before it is dropped, the last line needs none); a line that holds a NUL
 * byte, or that inih would cut in two, is refused rather than passed on.
 * Each reader decides what a refused line means and how to report it.
 */
#ifndef DBPULSE_INI_LINES_H
#define DBPULSE_INI_LINES_H

#include <stddef.h>

struct ini_lines {
	const char *text;  /* not owned: it outlives the parse */
	size_t len;
	size_t pos;        /* where the next line starts */
	int line;          /* of the line last taken, from 1; 0 before */
};

enum ini_lines_status {
	INI_LINES_OK,      /* the line is in the buffer */
	INI_LINES_END,     /* no line left; nothing changed */
	INI_LINES_NUL,     /* the line holds a NUL byte */
	INI_LINES_LONG,    /* longer than num - 3 bytes (or num < 4) */
};

/* Takes the next line of il: moves past it, counts it in il->line and sets
 * *n to its length without the "\r\n".  With INI_LINES_OK the line is
 * copied to str, the buffer of num bytes inih hands its reader, and
 * NUL-terminated; at most num - 3 bytes, so that the reader can still end
 * it with the "\n\0" inih expects.  With INI_LINES_NUL or INI_LINES_LONG
 * str is untouched and the line is skipped: the next call takes the one
 * after it. */
enum ini_lines_status ini_lines_next(struct ini_lines *il, char *str, int num, size_t *n);

#endif
