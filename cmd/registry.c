/*
 * registry.c -- the table of section kinds agent.ini may contain.
 *
 * Each kind is defined by the module that owns it (its keys, its struct,
 * its checks, its collector); this table is the one place that lists them.
 * A new collector, alert rules or receivers add one line here.
 */
#include "autoconfig.h"
#include "backup.h"
#include "config.h"
#include "daemon.h"
#include "host.h"
#include "pgbouncer.h"
#include "postgres.h"
#include "redis.h"
#include "rules.h"
#include "textfile.h"
#include "banned.h"

const struct config_kind *const config_kinds[] = {
	&agent_kind,
	&host_kind,
	&textfile_kind,
	&postgres_kind,
	&pgbouncer_kind,
	&redis_kind,
	&backup_kind,
	&alert_kind,
	&webhook_kind,
	NULL,
};
