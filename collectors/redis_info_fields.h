/*
 * redis_info_fields.h -- the INFO keys redis_info.c expects, section by
 * section, and what each becomes (internal to redis_info.c; the tables
 * are in redis_info_fields.c).  Constant data only.
 */
#ifndef DBPULSE_REDIS_INFO_FIELDS_H
#define DBPULSE_REDIS_INFO_FIELDS_H

#include <stddef.h>

#include "metrics.h"

enum redis_section {
	REDIS_SEC_OTHER,          /* before the first header, or a section not read */
	REDIS_SEC_SERVER,
	REDIS_SEC_CLIENTS,
	REDIS_SEC_MEMORY,
	REDIS_SEC_PERSISTENCE,
	REDIS_SEC_STATS,
	REDIS_SEC_REPLICATION,    /* fields, and slave<N> lines */
	REDIS_SEC_CPU,
	REDIS_SEC_CLUSTER,
	REDIS_SEC_COMMANDSTATS,   /* cmdstat_<cmd> lines */
	REDIS_SEC_ERRORSTATS,     /* errorstat_<ERR> lines */
	REDIS_SEC_LATENCYSTATS,   /* latency_percentiles_usec_<cmd> lines */
	REDIS_SEC_KEYSPACE,       /* db<N> lines */
};

enum redis_value {
	REDIS_NUMBER,             /* a decimal number */
	REDIS_STATUS,             /* ok/true/up/yes -> 1, err/fail/down/false/no -> 0, or a number */
	REDIS_TEXT,               /* kept as a label value */
	REDIS_NUMBER_TEXT,        /* a decimal number, its text also kept (keep: REDIS_T_*) */
};

/* Strings kept for labels of samples made at the end of the reply. */
enum redis_text {
	/* redis_instance_info's labels, in redis_exporter's order */
	REDIS_T_ROLE,
	REDIS_T_VERSION,
	REDIS_T_BUILD_ID,
	REDIS_T_MODE,
	REDIS_T_OS,
	REDIS_T_POLICY,
	REDIS_T_TCP_PORT,
	REDIS_T_RUN_ID,
	REDIS_T_PROCESS_ID,
	REDIS_T_MASTER_REPLID,
	REDIS_T_VALKEY_VERSION,   /* these two only on Valkey */
	REDIS_T_VALKEY_STAGE,
	/* the replica's link */
	REDIS_T_MASTER_HOST,
	REDIS_T_MASTER_PORT,
	REDIS_T_READ_ONLY,
	REDIS_T_N
};

/* Numbers kept for samples made at the end of the reply (after div). */
enum redis_num {
	REDIS_N_UPTIME,
	REDIS_N_SERVER_TIME,      /* seconds */
	REDIS_N_USED_MEMORY,
	REDIS_N_MAXMEMORY,
	REDIS_N_MAXCLIENTS,
	REDIS_N_REPL_BACKLOG,     /* repl_backlog_size */
	REDIS_N_CLUSTER,          /* cluster_enabled */
	REDIS_N_MASTER_LINK,
	REDIS_N_MASTER_LAST_IO,
	REDIS_N_MASTER_SYNC,
	REDIS_N_SLAVE_OFFSET,
	REDIS_N_MASTER_DOWN_SINCE,
	REDIS_N_N
};

struct redis_field {
	const char *key;          /* as INFO writes it */
	enum redis_value kind;
	int keep;                 /* REDIS_T_* (text, number and text), REDIS_N_* (numbers) or -1 */
	double div;               /* sample = value / div (ms to seconds, say) */
	struct metric_desc d;     /* name NULL: kept, not emitted as it is */
};

/* The section a "# Name" header names (case-insensitive), or REDIS_SEC_OTHER. */
enum redis_section redis_info_section(const char *name);

/* The keys of section s, in the order Redis writes them (n = 0 for the
 * sections made of structured lines). */
const struct redis_field *redis_info_fields(enum redis_section s, size_t *n);

#endif
