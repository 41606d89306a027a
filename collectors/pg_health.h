/*
 * pg_health.h -- turns the results of pg_sql.h's health queries into
 * samples named as postgres_exporter 0.20.1 names them: its names, TYPEs,
 * units (its counters without _total, times in milliseconds where it
 * keeps them so, ages of transaction IDs in "_seconds") and label names
 * and values, plus the agent's own families that postgres_exporter has no
 * equivalent of.  Pure functions of a PGresult: no I/O; every series gets
 * target="NAME".  A cell that is NULL or not a number adds no sample,
 * except where postgres_exporter writes 0 for it (said at each function).
 */
#ifndef DBPULSE_PG_HEALTH_H
#define DBPULSE_PG_HEALTH_H

#include "pg_libpq.h"

#include <stddef.h>

struct batch;
struct metric_desc;

/* Adds sample d of the number in (row, col) times mul, with the label
 * pairs labels[0..2*nlabels), when there is one (a NULL cell, a missing
 * column or no number: nothing). */
void pg_emit_cell(struct batch *b, const struct metric_desc *d, const PGresult *r, int row,
		  int col, double mul, const char *const *labels, size_t nlabels);

struct pg_server_info {
	int version_num;
	int in_recovery;
	double max_connections;
	double reserved;          /* superuser_reserved + reserved_connections */
	double client_backends;   /* filled by pg_emit_activity */
};

/* postgres_exporter's `server` label of its older families (pg_static,
 * pg_stat_database_conflicts_confl_*): "HOST:PORT" of the DSN, localhost
 * and 5432 when it names none.  host and port may be NULL or "". */
void pg_server_label(const char *host, const char *port, char *out, size_t outlen);

/* pg_static{version,short_version,server} and
 * pg_postmaster_start_time_seconds; fills info. */
void pg_emit_server(struct batch *b, const char *target, const char *server, const PGresult *r,
		    struct pg_server_info *info);
void pg_emit_stat_database(struct batch *b, const char *target, const PGresult *r);
void pg_emit_conflicts(struct batch *b, const char *target, const char *server,
		       const PGresult *r);
/* pg_database_connection_limit (0 when NULL) and the wraparound ages of
 * the databases that allow connections. */
void pg_emit_database(struct batch *b, const char *target, const PGresult *r);
void pg_emit_database_size(struct batch *b, const char *target, const PGresult *r);
void pg_emit_roles(struct batch *b, const char *target, const PGresult *r);
/* pg_stat_activity_count and _max_tx_duration, pg_long_running_transactions*,
 * pg_process_idle_seconds (a histogram per idle state and application) and
 * the agent's own per-database figures; sets info->client_backends and
 * then pg_connections_utilization_ratio. */
void pg_emit_activity(struct batch *b, const char *target, const PGresult *r,
		      struct pg_server_info *info);
void pg_emit_locks(struct batch *b, const char *target, const PGresult *r);
void pg_emit_replication(struct batch *b, const char *target, const PGresult *r);
void pg_emit_standby(struct batch *b, const char *target, const PGresult *r);
/* in_recovery: a standby without a WAL receiver row says it does not
 * stream (pg_stat_wal_receiver_streaming 0). */
void pg_emit_wal_receiver(struct batch *b, const char *target, const PGresult *r,
			  int in_recovery);
void pg_emit_slots(struct batch *b, const char *target, const PGresult *r);
void pg_emit_archiver(struct batch *b, const char *target, const PGresult *r);
void pg_emit_wal(struct batch *b, const char *target, const PGresult *r);
void pg_emit_wal_dir(struct batch *b, const char *target, const PGresult *r);
void pg_emit_bgwriter(struct batch *b, const char *target, const PGresult *r);
void pg_emit_checkpointer(struct batch *b, const char *target, const PGresult *r);
void pg_emit_tables(struct batch *b, const char *target, const char *datname, const PGresult *r);
void pg_emit_table_sizes(struct batch *b, const char *target, const char *datname,
			 const PGresult *r);
void pg_emit_progress_vacuum(struct batch *b, const char *target, const PGresult *r);
/* pg_settings_*: one gauge per row that pg_setting_convert() takes; returns
 * the number of rows it refused (postgres_exporter logs and skips them). */
size_t pg_emit_settings(struct batch *b, const char *target, const PGresult *r);

/*
 * postgres_exporter's pg_setting.go, as a pure function: the metric name
 * (pg_settings_ + the name with '.' and '-' as '_', + _seconds or _bytes
 * for a setting with a time or size unit), its help and value (bool: 1 for
 * "on", else 0; integer and real: converted from the unit to seconds or
 * bytes, -1 left as it is).  Returns 0, or -1 with the reason in err (an
 * unknown unit or vartype, a value that is no number, a name that makes
 * no valid metric name).
 */
int pg_setting_convert(const char *name, const char *setting, const char *unit,
		       const char *vartype, char *metric, size_t metriclen, char *help,
		       size_t helplen, double *value, char *err, size_t errlen);

#endif
