/*
 * textfile.h -- the [textfile] section and its collector: the *.prom files
 * of one or more directories, served as node_exporter's textfile
 * collector serves them (its --collector.textfile.directory), for the
 * metrics that cron jobs and scripts write.
 *
 * The section is unnamed and not implicit: without [textfile] nothing is
 * read (and node_textfile_scrape_error is not served).  registry.c lists
 * textfile_kind; the scheduler runs textfile_collector on the section's
 * own worker thread every interval.  The collector is a guest
 * (collector.h): a family that dbpulse serves itself is refused, never
 * served twice.
 */
#ifndef DBPULSE_TEXTFILE_H
#define DBPULSE_TEXTFILE_H

#include "collector.h"
#include "config.h"

struct textfile_config {
	struct target_common common;   /* enabled, interval, timeout */
	struct conf_list directory;    /* directories (or glob patterns of them) */
};

/* The caps on what one collection reads; reaching one refuses the file
 * (or the files past it), reports node_textfile_scrape_error 1 and counts
 * dbpulse_limit_reached_total{limit="textfile_..."}. */
#define TEXTFILE_FILES_MAX 1000                  /* *.prom files */
#define TEXTFILE_BYTES_MAX ((size_t)16 << 20)    /* bytes of all files */
#define TEXTFILE_SERIES_MAX 100000               /* series of all files */
#define TEXTFILE_LABELS_MAX 64                   /* label names of a family in a file */

extern const struct config_kind textfile_kind;
extern const struct collector textfile_collector;

#endif
