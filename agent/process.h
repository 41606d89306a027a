/*
 * process.h -- the standard process_* metrics of the agent itself, as the
 * Prometheus client libraries export them (CPU, memory, file descriptors,
 * start time), read from /proc/self on each scrape (the start time once).
 */
#ifndef DBPULSE_PROCESS_H
#define DBPULSE_PROCESS_H

struct batch;

struct process_stats {
	double cpu_seconds;
	double resident_bytes;
	double virtual_bytes;
	double start_time;        /* seconds since the epoch */
	double open_fds;
	double max_fds;
};

/* Reads the agent's own figures but the start time, which does not change
 * (process_start_time(), once); 0, or -1 if /proc/self is unreadable. */
int process_read(struct process_stats *st);
/* When the process started, in seconds since the epoch (0 if unknown). */
double process_start_time(void);
/* Parses the text of /proc/<pid>/stat (pure, for tests): utime+stime,
 * vsize, rss and starttime in clock ticks. */
int process_parse_stat(const char *text, double *cpu_ticks, double *vsize, double *rss_pages,
		       double *start_ticks);
/* Adds the process_* families. */
void process_add_metrics(struct batch *b, const struct process_stats *st);

#endif
