/*
 * pg_health.h -- turns the results of pg_sql.h's health queries into
 * samples, named as postgres_exporter names them (with _total on counters
 * and base units: seconds, bytes).  Pure functions of a PGresult: no I/O;
 * every series gets target="NAME".  A cell that is NULL or not a number
 * adds no sample (and is counted in *bad where the caller asks).
 */
#ifndef DBPULSE_PG_HEALTH_H
#define DBPULSE_PG_HEALTH_H

#include "pg_libpq.h"

struct batch;

struct pg_server_info {
	int version_num;
	int in_recovery;
	double max_connections;
	double reserved;          /* superuser_reserved + reserved_connections */
	double client_backends;   /* filled by pg_emit_activity */
};

void pg_emit_server(struct batch *b, const char *target, const PGresult *r,
		    struct pg_server_info *info);
void pg_emit_stat_database(struct batch *b, const char *target, const PGresult *r);
void pg_emit_database_size(struct batch *b, const char *target, const PGresult *r);
void pg_emit_wraparound(struct batch *b, const char *target, const PGresult *r);
/* Also sets info->client_backends and then pg_connections_utilization_ratio. */
void pg_emit_activity(struct batch *b, const char *target, const PGresult *r,
		      struct pg_server_info *info);
void pg_emit_locks(struct batch *b, const char *target, const PGresult *r);
void pg_emit_replication(struct batch *b, const char *target, const PGresult *r);
void pg_emit_standby(struct batch *b, const char *target, const PGresult *r);
void pg_emit_slots(struct batch *b, const char *target, const PGresult *r);
void pg_emit_archiver(struct batch *b, const char *target, const PGresult *r);
void pg_emit_wal(struct batch *b, const char *target, const PGresult *r);
void pg_emit_bgwriter(struct batch *b, const char *target, const PGresult *r);
void pg_emit_tables(struct batch *b, const char *target, const char *datname, const PGresult *r);
void pg_emit_table_sizes(struct batch *b, const char *target, const char *datname,
			 const PGresult *r);

#endif
