#!/usr/bin/env python3
"""build.py -- writes dbpulse's Grafana dashboards (dbpulse-overview.json,
dbpulse-queries.json) from the panel lists below
(the pieces are in panels.py).

The JSON files are what users import; this script is how they are kept
consistent: every panel gets a unique id, a place in a 24-column grid laid
out row by row without overlaps, the ${datasource} variable (no uid is
hard-coded), a unit and a legend.  Only metric names the agent exports may
appear (tests/integration/dashboards.sh checks every one of them against a
live /metrics).

    python3 dashboards/build.py           rewrite the two files next to it
    python3 dashboards/build.py --check   exit 1 if they differ from what it builds
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from panels import (  # noqa: E402 (once the path is set)
    AGENT, DS, LIMIT_LINE, RI, UP_MAPPINGS, UP_STEPS, common_vars,
    custom_var, dashboard, gauge, link_to, query_var, row, sel,
    series_override, stat, table, target, thresholds, timeseries)


# ---- dbpulse-overview.json ------------------------------------------------------------------

def pg(metric, *m):
    return sel(metric, 'target=~"$postgres"', *m)


def rd(metric, *m):
    return sel(metric, 'target=~"$redis"', *m)


def pb(metric, *m):
    return sel(metric, 'target=~"$pgbouncer"', *m)


def rate(s, by=None):
    r = "rate(%s[%s])" % (s, RI)
    return "sum by (%s) (%s)" % (by, r) if by else r


FS = 'fstype!~"tmpfs|ramfs|squashfs"'


def host_row():
    cpu_idle = sel("node_cpu_seconds_total", 'mode="idle"')
    return row(
        "Host",
        stat("CPU busy", [target("1 - avg by (instance) (%s)" % rate(cpu_idle), "{{instance}}")],
             "percentunit", w=4, desc="Share of CPU time not idle, all CPUs",
             steps=thresholds((None, "green"), (0.8, "orange"), (0.95, "red"))),
        stat("Memory available", [target(
            "%s / %s" % (sel("node_memory_MemAvailable_bytes"), sel("node_memory_MemTotal_bytes")),
            "{{instance}}")], "percentunit", w=4,
             desc="MemAvailable / MemTotal (node_exporter's names, memory_names = node_exporter)",
             steps=thresholds((None, "red"), (0.1, "orange"), (0.2, "green"))),
        stat("Load 1m per CPU", [target(
            "%s / on(instance) count by (instance) (%s)" % (sel("node_load1"), cpu_idle),
            "{{instance}}")], "none", w=4, decimals=2,
             steps=thresholds((None, "green"), (1, "orange"), (2, "red"))),
        stat("Fullest filesystem", [target(
            "max by (instance) (1 - %s / %s)" % (sel("node_filesystem_avail_bytes", FS),
                                                 sel("node_filesystem_size_bytes", FS)),
            "{{instance}}")], "percentunit", w=4,
             steps=thresholds((None, "green"), (0.8, "orange"), (0.9, "red"))),
        stat("Uptime", [target("time() - %s" % sel("node_boot_time_seconds"), "{{instance}}")],
             "s", w=4, graph=False),
        stat("Open files", [target("%s / %s" % (sel("node_filefd_allocated"),
                                               sel("node_filefd_maximum")), "{{instance}}")],
             "percentunit", w=4, desc="Allocated file handles / fs.file-max",
             steps=thresholds((None, "green"), (0.8, "red"))),
        timeseries("CPU by mode", [target(
            "avg by (instance, mode) (%s)" % rate(sel("node_cpu_seconds_total", 'mode!="idle"')),
            "{{instance}} {{mode}}")], "percentunit", stack=True, max_=1,
                   desc="Share of all CPUs' time per mode (idle left out)"),
        timeseries("Load", [
            target(sel("node_load1"), "{{instance}} 1m"),
            target(sel("node_load5"), "{{instance}} 5m"),
            target(sel("node_load15"), "{{instance}} 15m"),
            target("count by (instance) (%s)" % cpu_idle, "{{instance}} CPUs")],
                   "short", overrides=[series_override(".* CPUs", *LIMIT_LINE)]),
        timeseries("Memory", [
            target("%s - %s" % (sel("node_memory_MemTotal_bytes"),
                                sel("node_memory_MemAvailable_bytes")), "{{instance}} used"),
            target(sel("node_memory_Cached_bytes"), "{{instance}} page cache"),
            target(sel("node_memory_Buffers_bytes"), "{{instance}} buffers"),
            target("%s - %s" % (sel("node_memory_SwapTotal_bytes"),
                                sel("node_memory_SwapFree_bytes")), "{{instance}} swap used"),
            target(sel("node_memory_MemTotal_bytes"), "{{instance}} total")],
                   "bytes", overrides=[series_override(".* total", *LIMIT_LINE)]),
        timeseries("Filesystem used", [target(
            "1 - %s / %s" % (sel("node_filesystem_avail_bytes", FS),
                             sel("node_filesystem_size_bytes", FS)),
            "{{instance}} {{mountpoint}}")], "percentunit", max_=1,
                   desc="1 - avail / size, as df shows it (root's reserve counts as used)"),
        timeseries("Disk I/O", [
            target(rate(sel("node_disk_read_bytes_total"), "instance, device"),
                   "{{instance}} {{device}} read"),
            target("-" + rate(sel("node_disk_written_bytes_total"), "instance, device"),
                   "{{instance}} {{device}} written")], "Bps", min_=None,
                   desc="Bytes per second; writes below the axis"),
        timeseries("Disk busy", [target(
            rate(sel("node_disk_io_time_seconds_total"), "instance, device"),
            "{{instance}} {{device}}")], "percentunit", max_=1,
                   desc="Share of time the device had I/O in flight (iostat's %util)"),
        timeseries("Network", [
            target(rate(sel("node_network_receive_bytes_total", 'device!="lo"'), "instance, device"),
                   "{{instance}} {{device}} in"),
            target("-" + rate(sel("node_network_transmit_bytes_total", 'device!="lo"'),
                              "instance, device"), "{{instance}} {{device}} out")],
                   "Bps", min_=None, desc="Bytes per second; sent below the axis"),
        timeseries("Pressure (PSI)", [
            target(rate(sel("node_pressure_cpu_waiting_seconds_total"), "instance"),
                   "{{instance}} CPU some"),
            target(rate(sel("node_pressure_memory_waiting_seconds_total"), "instance"),
                   "{{instance}} memory some"),
            target(rate(sel("node_pressure_io_waiting_seconds_total"), "instance"),
                   "{{instance}} I/O some")], "percentunit",
                   desc="Share of time some task waited for the resource (kernels with PSI)"),
        timeseries("Network errors and drops", [
            target(rate(sel("node_network_receive_errs_total"), "instance, device") + " + " +
                   rate(sel("node_network_transmit_errs_total"), "instance, device"),
                   "{{instance}} {{device}} errors"),
            target(rate(sel("node_network_receive_drop_total"), "instance, device") + " + " +
                   rate(sel("node_network_transmit_drop_total"), "instance, device"),
                   "{{instance}} {{device}} drops")], "pps"),
    )


def postgres_row():
    hit = rate(pg("pg_stat_database_blks_hit"), "target, datname")
    read = rate(pg("pg_stat_database_blks_read"), "target, datname")
    return row(
        "PostgreSQL",
        stat("Up", [target(pg("pg_up"), "{{target}}")], "none", w=4, graph=False,
             mappings=UP_MAPPINGS, steps=UP_STEPS, color_mode="background",
             desc="pg_up: the last collection connected and queried the server"),
        gauge("Connections used", [target(pg("pg_connections_utilization_ratio"), "{{target}}")],
              "percentunit", w=4, h=4, desc="Client connections / (max_connections - reserved)",
             steps=thresholds((None, "green"), (0.8, "orange"), (0.9, "red"))),
        stat("Cache hit ratio", [target(
            "sum by (target) (rate(%s[$__rate_interval])) / (sum by (target) (rate(%s[$__rate_interval]))"
            " + sum by (target) (rate(%s[$__rate_interval])))" % (
                pg("pg_stat_database_blks_hit"), pg("pg_stat_database_blks_hit"),
                pg("pg_stat_database_blks_read")), "{{target}}")], "percentunit", w=4,
             steps=thresholds((None, "red"), (0.9, "orange"), (0.99, "green"))),
        stat("Oldest transaction", [target(
            "max by (target) (%s)" % pg("pg_stat_activity_max_tx_duration"),
            "{{target}}")], "s", w=4, desc="Age of the oldest open transaction, any state",
             steps=thresholds((None, "green"), (300, "orange"), (3600, "red"))),
        stat("Wraparound", [target(
            "max by (target) (%s) / 2^31" % pg("pg_database_wraparound_age_datfrozenxid_seconds"),
            "{{target}}")], "percentunit", w=4,
             desc="age(datfrozenxid) of the oldest database / 2^31 (autovacuum acts at 200M, ~9 %)",
             steps=thresholds((None, "green"), (0.5, "orange"), (0.75, "red"))),
        stat("Server started", [target("time() - %s" % pg("pg_postmaster_start_time_seconds"),
                                       "{{target}}")], "s", w=4, graph=False),
        timeseries("Connections by state", [
            target("sum by (target, state) (%s)" % pg("pg_stat_activity_count"),
                   "{{target}} {{state}}"),
            target(pg("pg_settings_max_connections"), "{{target}} max_connections")],
                   "short", stack=True,
                   overrides=[series_override(".* max_connections", *LIMIT_LINE)]),
        timeseries("Transactions", [
            target(rate(pg("pg_stat_database_xact_commit"), "target"), "{{target}} commits"),
            target(rate(pg("pg_stat_database_xact_rollback"), "target"),
                   "{{target}} rollbacks")], "ops"),
        timeseries("Cache hit ratio by database", [target(
            "%s / (%s + %s)" % (hit, hit, read), "{{target}} {{datname}}")],
                   "percentunit", min_=None, max_=1,
                   desc="shared_buffers hits / (hits + reads); reads may still come from the OS cache"),
        timeseries("Tuples", [
            target(rate(pg("pg_stat_database_tup_fetched"), "target"), "{{target}} fetched"),
            target(rate(pg("pg_stat_database_tup_inserted"), "target"),
                   "{{target}} inserted"),
            target(rate(pg("pg_stat_database_tup_updated"), "target"), "{{target}} updated"),
            target(rate(pg("pg_stat_database_tup_deleted"), "target"),
                   "{{target}} deleted")], "rowsps"),
        timeseries("Deadlocks, conflicts and temp files", [
            target("sum by (target, datname) (increase(%s[$__rate_interval]))" %
                   pg("pg_stat_database_deadlocks"), "{{target}} {{datname}} deadlocks"),
            target("sum by (target, datname) (increase(%s[$__rate_interval]))" %
                   pg("pg_stat_database_conflicts"), "{{target}} {{datname}} conflicts"),
            target("sum by (target, datname) (increase(%s[$__rate_interval]))" %
                   pg("pg_stat_database_temp_files"), "{{target}} {{datname}} temp files")],
                   "short", bars=True),
        timeseries("Temp bytes written", [target(
            rate(pg("pg_stat_database_temp_bytes"), "target, datname"),
            "{{target}} {{datname}}")], "Bps",
                   desc="Sorts and hashes that spilled out of work_mem"),
        timeseries("Locks by mode", [
            target("sum by (target, mode) (%s)" % pg("pg_locks_count"), "{{target}} {{mode}}"),
            target("sum by (target) (%s)" % pg("pg_stat_activity_lock_waiters"),
                   "{{target}} sessions waiting on a lock")], "short",
                   overrides=[series_override(".* waiting on a lock", *LIMIT_LINE)]),
        timeseries("Longest transaction and query", [
            target("max by (target, state) (%s)" % pg("pg_stat_activity_max_tx_duration"),
                   "{{target}} transaction, {{state}}"),
            target("max by (target) (%s)" % pg("pg_stat_activity_max_query_duration_seconds"),
                   "{{target}} running query")], "s",
                   desc="Idle in transaction is its own state: the sessions that hold back vacuum"),
        timeseries("Database sizes", [target(
            "sum by (target, datname) (%s)" % pg("pg_database_size_bytes"),
            "{{target}} {{datname}}")], "bytes", desc="Every slow_interval"),
        timeseries("Replication lag", [
            target("max by (target, application_name, client_addr) (%s)" %
                   pg("pg_stat_replication_replay_lag_seconds"),
                   "{{target}} → {{application_name}} {{client_addr}} replay"),
            target(pg("pg_replication_lag_seconds"), "{{target}} (standby) replay lag"),
            target(pg("pg_replication_last_replay_seconds"),
                   "{{target}} (standby) since last replay")], "s",
                   desc="On a primary, per standby (pg_stat_replication); on a standby, its own lag"),
        timeseries("Replication slots: WAL retained", [target(
            "max by (target, slot_name) (%s)" % pg("pg_replication_slots_pg_wal_lsn_diff"),
            "{{target}} {{slot_name}}")], "bytes",
                   desc="WAL kept for each slot; an inactive slot keeps it for ever"),
        timeseries("WAL and checkpoints", [
            target(rate(pg("pg_stat_wal_bytes_total"), "target"), "{{target}} WAL bytes/s"),
            target("60 * " + rate(pg("pg_stat_bgwriter_checkpoints_req_total"), "target"),
                   "{{target}} requested checkpoints/min"),
            target("60 * " + rate(pg("pg_stat_bgwriter_checkpoints_timed_total"), "target"),
                   "{{target}} timed checkpoints/min")], "Bps",
                   overrides=[series_override(".*checkpoints/min",
                                              {"id": "unit", "value": "short"},
                                              {"id": "custom.axisPlacement", "value": "right"})]),
        timeseries("Dead tuples (top 10 tables)", [target(
            "topk(10, %s)" % pg("pg_stat_user_tables_n_dead_tup"),
            "{{target}} {{datname}}.{{schemaname}}.{{relname}}")], "short",
                   desc="The tables_top tables with the most dead rows"),
    )


def redis_row():
    hits = rate(rd("redis_keyspace_hits_total"), "target")
    misses = rate(rd("redis_keyspace_misses_total"), "target")
    return row(
        "Redis",
        stat("Up", [target(rd("redis_up"), "{{target}}")], "none", w=4, graph=False,
             mappings=UP_MAPPINGS, steps=UP_STEPS, color_mode="background"),
        gauge("Memory used of maxmemory", [target(
            "%s / (%s > 0)" % (rd("redis_memory_used_bytes"), rd("redis_memory_max_bytes")),
            "{{target}}")], "percentunit", w=4, h=4, desc="Empty when maxmemory is not set",
             steps=thresholds((None, "green"), (0.8, "orange"), (0.9, "red"))),
        stat("Hit ratio", [target("%s / (%s + %s)" % (hits, hits, misses), "{{target}}")],
             "percentunit", w=4, steps=thresholds((None, "red"), (0.8, "orange"), (0.95, "green"))),
        stat("Clients of maxclients", [target(
            "%s / %s" % (rd("redis_connected_clients"), rd("redis_max_clients")), "{{target}}")],
             "percentunit", w=4, steps=thresholds((None, "green"), (0.8, "orange"), (0.9, "red"))),
        stat("Since last save", [target(
            "time() - %s" % rd("redis_rdb_last_save_timestamp_seconds"), "{{target}}")], "s",
             w=4, graph=False, steps=thresholds((None, "green"), (86400, "orange"))),
        stat("Last save status", [target(rd("redis_rdb_last_bgsave_status"), "{{target}}")],
             "none", w=4, graph=False, color_mode="background", steps=UP_STEPS,
             mappings=[{"type": "value", "options": {
                 "0": {"text": "FAILED", "color": "red", "index": 0},
                 "1": {"text": "ok", "color": "green", "index": 1}}}]),
        timeseries("Memory", [
            target(rd("redis_memory_used_bytes"), "{{target}} used"),
            target(rd("redis_memory_used_rss_bytes"), "{{target}} RSS"),
            target(rd("redis_memory_used_dataset_bytes"), "{{target}} dataset"),
            target("%s > 0" % rd("redis_memory_max_bytes"), "{{target}} maxmemory")], "bytes",
                   overrides=[series_override(".* maxmemory", *LIMIT_LINE)]),
        timeseries("Commands", [
            target(rate(rd("redis_commands_processed_total"), "target"), "{{target}} all"),
            target("topk(10, %s)" % rate(rd("redis_commands_total"), "target, cmd"),
                   "{{target}} {{cmd}}")], "ops"),
        timeseries("Hit ratio", [target("%s / (%s + %s)" % (hits, hits, misses), "{{target}}")],
                   "percentunit", min_=None, max_=1, desc="keyspace_hits / (hits + misses)"),
        timeseries("Clients", [
            target(rd("redis_connected_clients"), "{{target}} connected"),
            target(rd("redis_blocked_clients"), "{{target}} blocked"),
            target(rate(rd("redis_rejected_connections_total"), "target"),
                   "{{target}} rejected/s")], "short"),
        timeseries("Evictions and expirations", [
            target(rate(rd("redis_evicted_keys_total"), "target"), "{{target}} evicted"),
            target(rate(rd("redis_expired_keys_total"), "target"), "{{target}} expired")],
                   "ops", desc="Evictions mean maxmemory is reached"),
        timeseries("Keys per database", [
            target("sum by (target, db) (%s)" % rd("redis_db_keys"), "{{target}} {{db}}"),
            target("sum by (target, db) (%s)" % rd("redis_db_keys_expiring"),
                   "{{target}} {{db}} with a TTL")], "short"),
        timeseries("Slowest commands (p99)", [target(
            "topk(5, max by (target, cmd) (%s))" % rd("redis_latency_percentiles_usec",
                                                      'quantile="99"'),
            "{{target}} {{cmd}}")], "µs", desc="LATENCYSTATS (Redis 7), since the server started"),
        timeseries("Network", [
            target(rate(rd("redis_net_input_bytes_total"), "target"), "{{target}} in"),
            target("-" + rate(rd("redis_net_output_bytes_total"), "target"), "{{target}} out")],
                   "Bps", min_=None),
        timeseries("Fragmentation", [target(rd("redis_mem_fragmentation_ratio"), "{{target}}")],
                   "none", min_=None, desc="RSS / used memory"),
    )


def pgbouncer_row():
    return row(
        "PgBouncer",
        stat("Up", [target(pb("pgbouncer_up"), "{{target}}")], "none", w=4, graph=False,
             mappings=UP_MAPPINGS, steps=UP_STEPS, color_mode="background"),
        stat("Clients waiting", [target(
            "sum by (target) (%s)" % pb("pgbouncer_pools_client_waiting_connections"),
            "{{target}}")], "short", w=4,
             steps=thresholds((None, "green"), (1, "orange"), (10, "red"))),
        stat("Longest wait", [target(
            "max by (target) (%s)" % pb("pgbouncer_pools_client_maxwait_seconds"), "{{target}}")],
             "s", w=4, steps=thresholds((None, "green"), (0.1, "orange"), (1, "red"))),
        gauge("Client connections of max_client_conn", [target(
            pb("pgbouncer_client_connections_utilization_ratio"), "{{target}}")], "percentunit",
              w=4, h=4, steps=thresholds((None, "green"), (0.8, "orange"), (0.9, "red"))),
        stat("Pools", [target(pb("pgbouncer_pools"), "{{target}}")], "short", w=4, graph=False),
        stat("Version", [target(pb("pgbouncer_version_info"), "{{target}} {{version}}")], "none",
             w=4, graph=False, color_mode="none", text_mode="name", desc="SHOW VERSION"),
        timeseries("Client connections", [
            target("sum by (target, database) (%s)" % pb("pgbouncer_pools_client_active_connections"),
                   "{{target}} {{database}} active"),
            target("sum by (target, database) (%s)" % pb("pgbouncer_pools_client_waiting_connections"),
                   "{{target}} {{database}} waiting")], "short", stack=True),
        timeseries("Longest client wait", [target(
            "max by (target, database) (%s)" % pb("pgbouncer_pools_client_maxwait_seconds"),
            "{{target}} {{database}}")], "s",
                   desc="Age of the oldest client waiting for a server connection"),
        timeseries("Server connections", [
            target("sum by (target, database) (%s)" % pb("pgbouncer_pools_server_active_connections"),
                   "{{target}} {{database}} active"),
            target("sum by (target, database) (%s)" % pb("pgbouncer_pools_server_idle_connections"),
                   "{{target}} {{database}} idle"),
            target("sum by (target, database) (%s)" % pb("pgbouncer_pools_server_used_connections"),
                   "{{target}} {{database}} used"),
            target("sum by (target, name) (%s)" % pb("pgbouncer_databases_pool_size"),
                   "{{target}} {{name}} pool_size")], "short", stack=True,
                   overrides=[series_override(".* pool_size", *LIMIT_LINE)]),
        timeseries("Queries and transactions", [
            target(rate(pb("pgbouncer_stats_totals_queries_pooled_total"), "target, database"),
                   "{{target}} {{database}} queries"),
            target(rate(pb("pgbouncer_stats_totals_sql_transactions_pooled_total"), "target, database"),
                   "{{target}} {{database}} transactions")], "ops"),
        timeseries("Average query and wait time", [
            target("%s / %s" % (rate(pb("pgbouncer_stats_totals_queries_duration_seconds_total"),
                                     "target, database"),
                                rate(pb("pgbouncer_stats_totals_queries_pooled_total"), "target, database")),
                   "{{target}} {{database}} query"),
            target("%s / %s" % (rate(pb("pgbouncer_stats_totals_client_wait_seconds_total"),
                                     "target, database"),
                                rate(pb("pgbouncer_stats_totals_sql_transactions_pooled_total"),
                                     "target, database")),
                   "{{target}} {{database}} wait per transaction")], "s"),
        timeseries("Traffic", [
            target(rate(pb("pgbouncer_stats_totals_received_bytes_total"), "target, database"),
                   "{{target}} {{database}} from clients"),
            target("-" + rate(pb("pgbouncer_stats_totals_sent_bytes_total"), "target, database"),
                   "{{target}} {{database}} to clients")], "Bps", min_=None),
        table("Pools now", [
            target("sum by (target, database, user) (%s)" %
                   pb("pgbouncer_pools_client_active_connections"), instant=True, fmt="table"),
            target("sum by (target, database, user) (%s)" %
                   pb("pgbouncer_pools_client_waiting_connections"), instant=True, fmt="table"),
            target("sum by (target, database, user) (%s)" %
                   pb("pgbouncer_pools_server_active_connections"), instant=True, fmt="table"),
            target("sum by (target, database, user) (%s)" %
                   pb("pgbouncer_pools_server_idle_connections"), instant=True, fmt="table"),
            target("max by (target, database, user) (%s)" %
                   pb("pgbouncer_pools_client_maxwait_seconds"), instant=True, fmt="table")],
              w=24, h=8, desc="SHOW POOLS at the last collection, most waiting clients first",
              columns=(("target", "target"), ("database", "database"), ("user", "user"),
                       ("Value #A", "clients active"), ("Value #B", "clients waiting"),
                       ("Value #C", "servers active"), ("Value #D", "servers idle"),
                       ("Value #E", "longest wait")),
              sort="clients waiting", units={"longest wait": "s"}),
    )


def bk(metric, *m):
    return sel(metric, 'target=~"$backup"', *m)


STATUS_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "FAILED", "color": "red", "index": 0},
    "1": {"text": "ok", "color": "green", "index": 1}}}]


def backups_row():
    """[backup] targets (files or a pgBackRest stanza: pgBackRest adds a
    `type` label to some series, shown in legends, never matched: a files
    target has none), PostgreSQL's WAL archiving, Redis persistence"""
    return row(
        "Backups",
        stat("Up", [target(bk("backup_up"), "{{target}}")], "none", w=4, graph=False,
             mappings=UP_MAPPINGS, steps=UP_STEPS, color_mode="background",
             desc="backup_up: the directory (pgBackRest: backup.info) was read at the last "
                  "collection"),
        stat("Newest backup, of max_age", [target(
            "%s / %s" % (bk("backup_newest_age_seconds"), bk("backup_max_age_seconds")),
            "{{target}}")], "percentunit", w=4,
             desc="Age of the newest backup / the section's max_age: above 100 % BackupTooOld fires",
             steps=thresholds((None, "green"), (0.8, "orange"), (1, "red"))),
        stat("Backups", [target(bk("backup_files"), "{{target}}")], "short", w=4, graph=False,
             desc="Files the pattern matches; pgBackRest: backups in backup.info",
             steps=thresholds((None, "red"), (1, "green"))),
        stat("Newest size, of the previous", [target(
            "min by (target) (%s / %s)" % (bk("backup_newest_size_bytes"),
                                           bk("backup_previous_size_bytes")), "{{target}}")],
             "percentunit", w=4,
             desc="The newest backup's size / the one before it (pgBackRest: per type, the "
                  "smallest ratio); below 50 % BackupTooSmall fires (for full backups)",
             steps=thresholds((None, "red"), (0.5, "orange"), (0.9, "green"))),
        stat("WAL archiving failures", [target(
            "sum by (target) (increase(%s[$__range]))" % pg("pg_stat_archiver_failed_count"),
            "{{target}}")], "short", w=4, graph=False,
             desc="Failed archive_command runs over the dashboard's time range (pg_stat_archiver)",
             steps=thresholds((None, "green"), (1, "red"))),
        stat("Since last WAL archived", [target(pg("pg_stat_archiver_last_archive_age"),
                                                "{{target}}")], "s", w=4,
             desc="Empty until the server archived a WAL file (archive_mode = on)",
             steps=thresholds((None, "green"), (3600, "orange"))),
        timeseries("Newest backup age", [
            target(bk("backup_newest_age_seconds"), "{{target}}"),
            target(bk("backup_max_age_seconds"), "{{target}} max_age")], "s",
                   desc="Seconds since the newest backup (its mtime; pgBackRest: its stop time), "
                        "against the section's max_age",
                   overrides=[series_override(".* max_age", *LIMIT_LINE)]),
        timeseries("Newest and previous backup size", [
            target(bk("backup_newest_size_bytes"), "{{target}} {{type}} newest"),
            target(bk("backup_previous_size_bytes"), "{{target}} {{type}} previous"),
            target("%s > 0" % bk("backup_min_size_bytes"), "{{target}} min_size")], "bytes",
                   desc="pgBackRest: what each type's newest backup stored in the repository "
                        "(incrementals vary, fulls should not)",
                   overrides=[series_override(".* min_size", *LIMIT_LINE),
                              series_override(".* previous",
                                              {"id": "custom.lineStyle",
                                               "value": {"dash": [4, 4], "fill": "dash"}})]),
        timeseries("Backups", [target(bk("backup_files"), "{{target}}")], "short",
                   desc="Files the pattern matches (pgBackRest: backups listed); a drop is "
                        "retention at work, 0 is BackupMissing"),
        timeseries("WAL archiving", [
            target("sum by (target) (increase(%s[$__rate_interval]))" %
                   pg("pg_stat_archiver_archived_count"), "{{target}} archived"),
            target("sum by (target) (increase(%s[$__rate_interval]))" %
                   pg("pg_stat_archiver_failed_count"), "{{target}} failed")], "short",
                   bars=True, desc="WAL files archive_command archived, and its failures",
                   overrides=[series_override(".* failed", {"id": "color", "value": {
                       "mode": "fixed", "fixedColor": "red"}})]),
        timeseries("Since last WAL archived", [
            target(pg("pg_stat_archiver_last_archive_age"), "{{target}}"),
            target("2 * %s > 0" % pg("pg_settings_archive_timeout_seconds"),
                   "{{target}} 2 × archive_timeout")], "s",
                   desc="Above twice archive_timeout PostgresArchiverStale fires",
                   overrides=[series_override(".* archive_timeout", *LIMIT_LINE)]),
        timeseries("Redis: since last save", [target(
            "time() - %s" % rd("redis_rdb_last_save_timestamp_seconds"), "{{target}}")], "s",
                   desc="Since the last successful RDB save (or the server's start)"),
        table("Redis persistence", [
            target("max by (target) (%s)" % rd("redis_rdb_last_bgsave_status"), instant=True,
                   fmt="table"),
            target("max by (target) (%s)" % rd("redis_aof_last_write_status"), instant=True,
                   fmt="table"),
            target("max by (target) (time() - %s)" % rd("redis_rdb_last_save_timestamp_seconds"),
                   instant=True, fmt="table")],
              w=24, h=6, desc="The last BGSAVE and the last AOF write (ok even with AOF off)",
              columns=(("target", "target"), ("Value #A", "last RDB save"),
                       ("Value #B", "last AOF write"), ("Value #C", "since last save")),
              units={"since last save": "s"},
              mappings={"last RDB save": STATUS_MAPPINGS, "last AOF write": STATUS_MAPPINGS}),
    )


def ts(metric, *m):
    """a TimescaleDB family of the selected PostgreSQL targets"""
    return pg(metric, *m)


HT = "target, datname, hypertable"
HT_LEG = "{{target}} {{datname}} {{hypertable}}"
JOB = "target, datname, job_id, application_name, proc_name, hypertable"
JOB_LEG = "{{target}} {{datname}} {{application_name}}"
CAGG = "target, datname, continuous_aggregate, hypertable"
CAGG_LEG = "{{target}} {{datname}} {{continuous_aggregate}}"


def timescaledb_row():
    """the TimescaleDB series of the [postgres] targets (every
    slow_interval, in each database with the extension)"""
    before = "sum by (%s) (%s)" % (HT, ts("timescaledb_hypertable_compression_before_bytes"))
    after = "sum by (%s) (%s)" % (HT, ts("timescaledb_hypertable_compression_after_bytes"))
    since_success = "%s / %s" % (ts("timescaledb_job_last_success_age_seconds"),
                                 ts("timescaledb_job_schedule_interval_seconds"))
    cagg_ratio = "%s / %s" % (ts("timescaledb_continuous_aggregate_lag_seconds"),
                              ts("timescaledb_continuous_aggregate_expected_lag_seconds"))

    def job_table(expr):
        return target("max by (%s) (%s)" % (JOB, expr), instant=True, fmt="table")
    return row(
        "TimescaleDB",
        stat("Version", [target(ts("timescaledb_info"), "{{target}} {{datname}} {{version}}")],
             "none", w=4, graph=False, color_mode="none", text_mode="name",
             desc="The extension's version in each database that has it"),
        stat("Compression ratio", [target(
            "sum by (target) (%s) / sum by (target) (%s)" % (
                ts("timescaledb_hypertable_compression_before_bytes"),
                ts("timescaledb_hypertable_compression_after_bytes")), "{{target}}")],
             "suffix:×", w=4, decimals=1,
             desc="Bytes of the compressed chunks before compression / after, all hypertables"),
        stat("Ingestion stall", [target(
            "max by (target) (clamp_min(time() - %s, 0))" %
            ts("timescaledb_hypertable_newest_chunk_end_timestamp_seconds"), "{{target}}")], "s",
             w=4, desc="Since the newest chunk of a hypertable ended (0: every hypertable has "
                       "a chunk reaching now); nothing was inserted since at least that long",
             steps=thresholds((None, "green"), (1, "orange"))),
        stat("Jobs failing", [target(
            "count(%s == 0) or vector(0)" % ts("timescaledb_job_last_run_success"), "failing")],
             "short", w=4, graph=False, color_mode="background",
             desc="Background jobs whose last run failed (TimescaleJobFailing)",
             steps=thresholds((None, "green"), (1, "red"))),
        stat("Aggregate lag, of expected", [target(
            "max by (target) (%s)" % cagg_ratio, "{{target}}")], "percentunit", w=4,
             desc="The worst continuous aggregate's lag / its refresh policy's end_offset + "
                  "schedule_interval: above 200 % TimescaleContinuousAggregateLagging fires",
             steps=thresholds((None, "green"), (1, "orange"), (2, "red"))),
        stat("Chunks overdue for compression", [target(
            "sum by (target) (%s)" % ts("timescaledb_hypertable_compression_overdue_chunks"),
            "{{target}}")], "short", w=4,
             desc="Uncompressed chunks older than their policy's compress_after + schedule "
                  "interval (TimescaleCompressionBehind)",
             steps=thresholds((None, "green"), (1, "orange"))),
        timeseries("Hypertable and aggregate sizes", [
            target("sum by (%s) (%s)" % (HT, ts("timescaledb_hypertable_size_bytes",
                                                'kind="total"')), HT_LEG),
            target("sum by (%s) (%s)" % (CAGG, ts("timescaledb_continuous_aggregate_size_bytes")),
                   CAGG_LEG + " (aggregate)")], "bytes",
                   desc="Table, indexes and TOAST of every chunk, compressed ones included "
                        "(hypertable_detailed_size); the largest tables_top hypertables"),
        timeseries("Compression ratio", [target("%s / %s" % (before, after), HT_LEG)],
                   "suffix:×", desc="Before / after compression of the compressed chunks "
                                    "(hypertable_compression_stats)"),
        timeseries("Chunks", [
            target("sum by (%s) (%s)" % (HT, ts("timescaledb_hypertable_chunks")),
                   HT_LEG + " chunks"),
            target("sum by (%s) (%s)" % (HT, ts("timescaledb_hypertable_compressed_chunks")),
                   HT_LEG + " compressed"),
            target("sum by (%s) (%s)" % (HT, ts("timescaledb_hypertable_compression_overdue_chunks")),
                   HT_LEG + " overdue")], "short",
                   desc="All chunks, the compressed ones, and the uncompressed ones past their "
                        "compression policy's compress_after + schedule interval",
                   overrides=[series_override(".* overdue", *LIMIT_LINE)]),
        timeseries("Newest chunk end − now", [target(
            "%s - time()" % ts("timescaledb_hypertable_newest_chunk_end_timestamp_seconds"),
            HT_LEG)], "s", min_=None,
                   desc="Above 0: a chunk covers now. Below 0: nothing was inserted since that "
                        "chunk ended (resolution: chunk_time_interval; time dimensions only)"),
        timeseries("Job runs and failures", [
            target("sum by (%s) (increase(%s[$__rate_interval]))" % (
                JOB, ts("timescaledb_job_runs_total")), JOB_LEG + " runs"),
            target("sum by (%s) (increase(%s[$__rate_interval]))" % (
                JOB, ts("timescaledb_job_failures_total")), JOB_LEG + " failures")], "short",
                   bars=True, desc="Runs and failed runs of each background job (job_stats)",
                   overrides=[series_override(".* failures", {"id": "color", "value": {
                       "mode": "fixed", "fixedColor": "red"}})]),
        timeseries("Since last success, of schedule interval", [target(
            "%s and %s == 1" % (since_success, ts("timescaledb_job_scheduled")), JOB_LEG)],
                   "suffix:×", desc="Seconds since a scheduled job last succeeded / its "
                                    "schedule_interval: above 2 for 10m "
                                    "TimescaleJobNotRunning fires"),
        timeseries("Continuous aggregate lag", [
            target(ts("timescaledb_continuous_aggregate_lag_seconds"), CAGG_LEG),
            target(ts("timescaledb_continuous_aggregate_expected_lag_seconds"),
                   CAGG_LEG + " expected")], "s", w=16,
                   desc="now - the aggregate's watermark, against its refresh policy's "
                        "end_offset + schedule_interval (the most a healthy policy leaves)",
                   overrides=[series_override(".* expected", *LIMIT_LINE)]),
        timeseries("Failing jobs", [target(
            "%s == 0" % ts("timescaledb_job_last_run_success"), JOB_LEG)], "none", w=8,
                   bars=True, desc="Empty is good: jobs whose last run failed "
                                   "(/api/timescaledb has their errors)"),
        table("Background jobs", [
            job_table(ts("timescaledb_job_last_run_success")),
            job_table(ts("timescaledb_job_runs_total")),
            job_table(ts("timescaledb_job_failures_total")),
            job_table(ts("timescaledb_job_last_success_age_seconds")),
            job_table(ts("timescaledb_job_schedule_interval_seconds")),
            job_table("%s - time()" % ts("timescaledb_job_next_start_timestamp_seconds")),
            job_table(ts("timescaledb_job_scheduled"))],
              w=24, h=8, desc="timescaledb_information.jobs and job_stats at the last collection",
              columns=(("target", "target"), ("datname", "database"), ("job_id", "job"),
                       ("application_name", "name"), ("proc_name", "procedure"),
                       ("hypertable", "hypertable"), ("Value #A", "last run"),
                       ("Value #B", "runs"), ("Value #C", "failures"),
                       ("Value #D", "since last success"), ("Value #E", "schedule interval"),
                       ("Value #F", "next start in"), ("Value #G", "scheduled")),
              sort="failures", units={"since last success": "s", "schedule interval": "s",
                                      "next start in": "s", "runs": "short", "failures": "short"},
              mappings={"last run": STATUS_MAPPINGS, "scheduled": [{"type": "value", "options": {
                  "0": {"text": "no", "color": "orange", "index": 0},
                  "1": {"text": "yes", "color": "green", "index": 1}}}]}),
    )


def alerts_row():
    return row(
        "Alerts",
        stat("Firing", [target('count(%s) or vector(0)' % sel("ALERTS", 'alertstate="firing"'),
                               "firing")], "short", w=4, graph=False, color_mode="background",
             steps=thresholds((None, "green"), (1, "red"))),
        stat("Pending", [target('count(%s) or vector(0)' % sel("ALERTS", 'alertstate="pending"'),
                                "pending")], "short", w=4, graph=False, color_mode="background",
             steps=thresholds((None, "green"), (1, "orange"))),
        stat("Notifications waiting", [target(
            "sum(%s) or vector(0)" % sel("dbpulse_notification_queue_length"), "outbox")],
             "short", w=4, desc="Notifications in the outboxes, not yet delivered",
             steps=thresholds((None, "green"), (1, "orange"), (10, "red"))),
        stat("Notifications given up", [target(
            "sum(increase(%s[$__range])) or vector(0)" % sel("dbpulse_notifications_dropped_total"),
            "dropped")], "short", w=4, graph=False, desc="Over the dashboard's time range",
             steps=thresholds((None, "green"), (1, "red"))),
        stat("Rule evaluation failures", [target(
            "sum(increase(%s[$__range])) or vector(0)" % sel("dbpulse_rule_evaluation_failures_total"),
            "failures")], "short", w=4, graph=False, desc="Over the dashboard's time range",
             steps=thresholds((None, "green"), (1, "red"))),
        stat("Rule evaluation CPU", [target(
            "sum(rate(%s[$__rate_interval])) / sum(rate(%s[$__rate_interval]))" % (
                sel("dbpulse_alert_evaluation_cpu_seconds_total"),
                sel("dbpulse_alert_evaluation_cycles_total")), "per cycle")], "s", w=4),
        table("Active alerts", [target(sel("ALERTS"), instant=True, fmt="table")],
              w=24, h=8, desc="Pending and firing alerts of the agents' own rules, with their labels",
              columns=(("alertname", "alert"), ("alertstate", "state"), ("severity", "severity"),
                       ("target", "target")), hide=("Value",)),
        timeseries("Alerts by rule", [target(
            "sum by (alertname, alertstate) (%s)" % sel("ALERTS"), "{{alertname}} {{alertstate}}")],
                   "short", stack=True),
        timeseries("Notifications delivered", [target(
            "sum by (receiver, status) (increase(%s[$__rate_interval]))" %
            sel("dbpulse_notifications_total"), "{{receiver}} {{status}}")], "short", bars=True),
        timeseries("Delivery failures", [
            target("sum by (receiver, reason) (increase(%s[$__rate_interval])) > 0" %
                   sel("dbpulse_notifications_failed_total"), "{{receiver}} failed: {{reason}}"),
            target("sum by (receiver, reason) (increase(%s[$__rate_interval])) > 0" %
                   sel("dbpulse_notifications_dropped_total"), "{{receiver}} dropped: {{reason}}")],
                   "short", bars=True,
                   desc="Failed attempts are retried; dropped notifications are lost"),
        timeseries("Outbox", [target("sum by (receiver) (%s)" %
                                     sel("dbpulse_notification_queue_length"), "{{receiver}}")],
                   "short", desc="Notifications waiting for delivery, per receiver"),
        timeseries("Since last delivery", [target(
            "(time() - %s) and %s > 0" % (
                sel("dbpulse_notification_last_success_timestamp_seconds"),
                sel("dbpulse_notification_last_success_timestamp_seconds")),
            "{{instance}} {{receiver}}")], "s",
                   desc="Old while the outbox is not empty: the agent cannot page"),
        timeseries("Delivery latency", [target(
            sel("dbpulse_notification_latency_seconds"), "{{instance}} {{receiver}}")], "s",
                   desc="From queueing to the receiver's 2xx, last delivered notification"),
    )


def agent_row():
    return row(
        "Agent",
        stat("Targets down", [target("count(%s == 0) or vector(0)" % sel("dbpulse_up"), "down")],
             "short", w=4, graph=False, color_mode="background",
             steps=thresholds((None, "green"), (1, "red"))),
        stat("Configuration reload", [target(sel("dbpulse_config_last_reload_successful"),
                                             "{{instance}}")], "none", w=4, graph=False,
             color_mode="background", steps=UP_STEPS,
             mappings=[{"type": "value", "options": {
                 "0": {"text": "FAILED", "color": "red", "index": 0},
                 "1": {"text": "ok", "color": "green", "index": 1}}}]),
        stat("Agent memory", [target(sel("process_resident_memory_bytes"), "{{instance}}")],
             "bytes", w=4),
        stat("Agent CPU", [target("rate(%s[$__rate_interval])" % sel("process_cpu_seconds_total"),
                                  "{{instance}}")], "percentunit", w=4),
        stat("Version", [target(sel("dbpulse_build_info"), "{{instance}} {{version}}")], "none",
             w=4, graph=False, color_mode="none", text_mode="name"),
        stat("Scrapes", [target("rate(%s[$__rate_interval])" % sel("dbpulse_scrapes_total"),
                                "{{instance}}")], "reqps", w=4),
        timeseries("Targets up", [target(sel("dbpulse_up"), "{{instance}} {{target}}")], "none",
                   max_=1, desc="1 when the target's last collection succeeded"),
        timeseries("Collection duration", [target(sel("dbpulse_collect_duration_seconds"),
                                                  "{{instance}} {{target}}")], "s"),
        timeseries("Collection errors and skips", [
            target("increase(%s[$__rate_interval]) > 0" % sel("dbpulse_collect_errors_total"),
                   "{{instance}} {{target}} failed"),
            target("increase(%s[$__rate_interval]) > 0" % sel("dbpulse_collect_skipped_total"),
                   "{{instance}} {{target}} skipped (overran)"),
            target("%s > 0" % sel("dbpulse_collect_dropped_samples"),
                   "{{instance}} {{target}} samples dropped")], "short", bars=True),
        timeseries("CPU per target", [target(
            "rate(%s[$__rate_interval])" % sel("dbpulse_collect_cpu_seconds_total"),
            "{{instance}} {{target}}")], "percentunit", stack=True),
        timeseries("Agent's queries", [
            target(sel("dbpulse_pg_query_duration_seconds"), "{{target}} {{query}}"),
            target(sel("dbpulse_pgbouncer_query_duration_seconds"), "{{target}} SHOW {{query}}")],
                   "s", desc="What each of the agent's queries costs the server"),
        timeseries("Failing queries and limits", [
            target("%s == 0" % sel("dbpulse_pg_query_success"), "{{target}} {{query}} failed"),
            target("%s == 0" % sel("dbpulse_pgbouncer_query_success"),
                   "{{target}} SHOW {{query}} failed"),
            target("increase(%s[$__rate_interval]) > 0" % sel("dbpulse_limit_reached_total"),
                   "{{target}} limit {{limit}} reached")], "short", bars=True,
                   desc="Empty is good: a query that fails costs only its own series"),
    )


def overview():
    variables = common_vars() + [
        query_var("postgres", "PostgreSQL",
                  'label_values(pg_up{job=~"$job",instance=~"$instance"}, target)',
                  "[postgres] targets"),
        query_var("redis", "Redis",
                  'label_values(redis_up{job=~"$job",instance=~"$instance"}, target)',
                  "[redis] targets"),
        query_var("pgbouncer", "PgBouncer",
                  'label_values(pgbouncer_up{job=~"$job",instance=~"$instance"}, target)',
                  "[pgbouncer] targets"),
        query_var("backup", "Backups",
                  'label_values(backup_up{job=~"$job",instance=~"$instance"}, target)',
                  "[backup] targets"),
    ]
    annotation = {"datasource": DS, "enable": True, "hide": False, "iconColor": "red",
                  "name": "Alerts firing", "expr": 'ALERTS{%s,alertstate="firing"}' % AGENT,
                  "step": "60s", "titleFormat": "{{alertname}}",
                  "textFormat": "{{target}} {{severity}}", "tagKeys": "severity,target",
                  "useValueForTime": False}
    return dashboard(
        "dbpulse-overview", "dbpulse overview",
        "Host, PostgreSQL, TimescaleDB, Redis, PgBouncer, backups, alerting and the agent, "
        "from dbpulse's /metrics",
        variables, [host_row(), postgres_row(), timescaledb_row(), redis_row(), pgbouncer_row(),
                    backups_row(), alerts_row(), agent_row()],
        annotations=[annotation], links=[link_to("dbpulse queries", "dbpulse-queries")])


# ---- dbpulse-queries.json -------------------------------------------------------------------

K = "target, datname, user, queryid"
QK = "target, queryid"
LEG = "{{queryid}} {{datname}} {{user}}"
NOT_OTHER = 'queryid!="other"'
OTHER = 'queryid="other"'


def st(metric, *m):
    """a statement family of the selected targets, databases and users"""
    return sel(metric, 'target=~"$target"', 'datname=~"$datname"', 'user=~"$user"', *m)


def ss(name, *m):
    return st("pg_stat_statements_%s_total" % name, *m)


def per_stmt(name, fn="rate", window=RI, *m):
    return "sum by (%s) (%s(%s[%s]))" % (K, fn, ss(name, *m), window)


def top(expr):
    return "topk by (target) ($topn, %s)" % expr


def with_text(expr):
    """expr with the statement's text as a `query` label where
    pg_stat_statements_query_id has it (statements_query_info = true; one
    series per target and queryid, as postgres_exporter), and as it is
    where it has not (the `other` bucket, texts not known)"""
    return "(%s) * on(%s) group_left(query) max by (%s, query) (%s) or on(%s) (%s)" % (
        expr, QK, QK, sel("pg_stat_statements_query_id", 'target=~"$target"'), K, expr)


def top_with_rest(name, unit, title, desc, legend_unit=""):
    """the top $topn statements by NAME's rate, the rest of the exported
    ones and the `other` bucket, stacked: together they are the total"""
    t = per_stmt(name, "rate", RI, NOT_OTHER)
    return timeseries(title, [
        target(top(t), LEG),
        target("sum by (target) (%s) - sum by (target) (%s)" % (t, top(t)),
               "{{target}} other exported statements"),
        target("sum by (target) (rate(%s[%s]))" % (ss(name, OTHER), RI),
               '{{target}} queryid="other" (beyond statements_top)'),
        target("sum by (target) (rate(%s[%s]))" % (ss(name), RI), "{{target}} total")],
        unit, w=24, h=10, stack=True, desc=desc,
        overrides=[series_override(".* total", *LIMIT_LINE),
                   series_override('.*queryid="other".*',
                                   {"id": "color", "value": {"mode": "fixed",
                                                             "fixedColor": "dark-purple"}}),
                   series_override(".* other exported statements",
                                   {"id": "color", "value": {"mode": "fixed",
                                                             "fixedColor": "semi-dark-blue"}})])


def statements_overview_row():
    secs, calls = ss("seconds"), ss("calls")
    return row(
        "Statements (pg_stat_statements)",
        stat("Statement time", [target("sum by (target) (rate(%s[%s]))" % (secs, RI),
                                       "{{target}}")], "suffix: s/s", w=4, decimals=2,
             desc="Execution seconds per second, all statements: about the number of busy backends"),
        stat("Calls", [target("sum by (target) (rate(%s[%s]))" % (calls, RI), "{{target}}")],
             "ops", w=4),
        stat("Mean time", [target("sum by (target) (rate(%s[%s])) / sum by (target) (rate(%s[%s]))"
                                  % (secs, RI, calls, RI), "{{target}}")], "s", w=4),
        stat('Share of queryid="other"', [target(
            "sum by (target) (rate(%s[%s])) / sum by (target) (rate(%s[%s]))" % (
                ss("seconds", OTHER), RI, secs, RI), "{{target}}")], "percentunit", w=4,
             desc="Time of the statements beyond statements_top; raise it if this is large",
             steps=thresholds((None, "green"), (0.2, "orange"), (0.5, "red"))),
        stat("Statements tracked", [target(sel("pg_stat_statements_tracked", 'target=~"$target"'),
                                           "{{target}}")], "short", w=4, graph=False,
             desc="Statements the agent tracks (the rest is counted in untracked)"),
        stat("Entries evicted", [target(
            "increase(%s[$__range])" % sel("pg_stat_statements_dealloc_total", 'target=~"$target"'),
            "{{target}}")], "short", w=4, graph=False,
             desc="pg_stat_statements deallocations over the time range: raise "
                  "pg_stat_statements.max if not 0",
             steps=thresholds((None, "green"), (1, "orange"))),
    )


def top_row():
    return row(
        "Top statements",
        top_with_rest("seconds", "suffix: s/s", "Execution time: top $topn, the rest, and other",
                      "Execution seconds per second (busy backends), stacked: the top $topn "
                      "statements by time, the other exported statements, and the "
                      'queryid="other" bucket; the dashed line is the total'),
        top_with_rest("calls", "ops", "Calls: top $topn, the rest, and other",
                      "Calls per second of the top $topn statements by calls, the rest, "
                      'and queryid="other"'),
        timeseries("Mean time of the top $topn by time", [
            target("(%s / %s) and on(%s) %s" % (
                per_stmt("seconds", "rate", RI, NOT_OTHER), per_stmt("calls", "rate", RI, NOT_OTHER),
                K, top(per_stmt("seconds", "rate", RI, NOT_OTHER))), LEG),
            target("sum by (target) (rate(%s[%s])) / sum by (target) (rate(%s[%s]))" % (
                ss("seconds"), RI, ss("calls"), RI), "{{target}} all statements")], "s", w=12,
                   overrides=[series_override(".* all statements", *LIMIT_LINE)]),
        timeseries("Rows: top $topn", [target(top(per_stmt("rows", "rate", RI, NOT_OTHER)), LEG)],
                   "rowsps", w=12),
        timeseries("Shared blocks read: top $topn", [target(
            top(per_stmt("shared_blocks_read", "rate", RI, NOT_OTHER)), LEG)], "short", w=12,
                   desc="Blocks (8 KiB) per second not found in shared_buffers"),
        timeseries("Shared buffer hit ratio of the top $topn by time", [target(
            "(%s / (%s + %s)) and on(%s) %s" % (
                per_stmt("shared_blocks_hit", "rate", RI, NOT_OTHER),
                per_stmt("shared_blocks_hit", "rate", RI, NOT_OTHER),
                per_stmt("shared_blocks_read", "rate", RI, NOT_OTHER), K,
                top(per_stmt("seconds", "rate", RI, NOT_OTHER))), LEG)], "percentunit", w=12,
                   min_=None, max_=1),
        timeseries("Temp blocks written: top $topn", [target(
            top(per_stmt("temp_blocks_written", "rate", RI, NOT_OTHER)) + " > 0", LEG)], "short",
                   w=8, desc="Sorts and hashes spilling out of work_mem (blocks per second)"),
        timeseries("WAL: top $topn", [target(top(per_stmt("wal_bytes", "rate", RI, NOT_OTHER)),
                                             LEG)], "Bps", w=8),
        timeseries("Planning and I/O time: top $topn", [
            target(top(per_stmt("plan_seconds", "rate", RI, NOT_OTHER)) + " > 0", LEG + " plan"),
            target(top("%s + %s" % (per_stmt("block_read_seconds", "rate", RI, NOT_OTHER),
                                    per_stmt("block_write_seconds", "rate", RI, NOT_OTHER)))
                   + " > 0", LEG + " I/O")], "suffix: s/s", w=8,
                   desc="Planning needs pg_stat_statements.track_planning, I/O time track_io_timing"),
    )


def top_table_row():
    x = "%s or %s" % (top(per_stmt("seconds", "increase", "$__range", NOT_OTHER)),
                      per_stmt("seconds", "increase", "$__range", OTHER))
    calls = per_stmt("calls", "increase", "$__range")
    hit = per_stmt("shared_blocks_hit", "increase", "$__range")
    read = per_stmt("shared_blocks_read", "increase", "$__range")
    total = "sum by (target) (increase(%s[$__range]))" % ss("seconds")
    qs = [
        "%s" % x,
        "(%s / on(target) group_left %s)" % ("(%s)" % x, total),
        "%s and on(%s) (%s)" % (calls, K, x),
        "(%s) / on(%s) %s" % (x, K, calls),
        "%s / on(%s) %s and on(%s) (%s)" % (per_stmt("rows", "increase", "$__range"), K, calls, K, x),
        "%s / on(%s) (%s + %s) and on(%s) (%s)" % (hit, K, hit, read, K, x),
    ]
    return row(
        "Statements over the time range",
        table("Top $topn statements by total time, and other", [
            target(with_text(q), instant=True, fmt="table") for q in qs],
              w=24, h=12,
              desc="Over the dashboard's time range: the top $topn statements by execution time "
                   'and the queryid="other" bucket; the text where statements_query_info = true',
              columns=(("target", "target"), ("datname", "database"), ("user", "user"),
                       ("queryid", "queryid"), ("Value #A", "total time"),
                       ("Value #B", "share of time"), ("Value #C", "calls"),
                       ("Value #D", "mean"), ("Value #E", "rows per call"),
                       ("Value #F", "hit ratio"), ("query", "query")),
              sort="total time",
              units={"total time": "s", "share of time": "percentunit", "calls": "short",
                     "mean": "s", "rows per call": "short", "hit ratio": "percentunit"},
              widths={"query": 600}),
    )


def slow_row():
    mean = st("pg_statement_mean_seconds", 'window=~"$window"')
    cps = st("pg_statement_calls_per_second", 'window=~"$window"')
    base = st("pg_statement_mean_seconds", 'window=~"$baseline"')
    slowest = top("max by (%s) (%s)" % (K, mean))
    return row(
        "Slow statements",
        timeseries("Slowest by mean time over $window", [target(slowest, LEG)], "s", w=12,
                   desc="The agent's own mean per window (statements_windows), only for "
                        "statements called within it"),
        timeseries("Slowdown: mean over $window / mean over $baseline", [target(
            top("max by (%s) (%s) / on(%s) max by (%s) (%s)" % (K, mean, K, K, base)), LEG)],
                   "suffix:×", w=12, min_=None,
                   desc="Above 1: slower now than over the baseline window"),
        table("Slowest statements now", [
            target(with_text(slowest), instant=True, fmt="table"),
            target(with_text("max by (%s) (%s) and on(%s) %s" % (K, cps, K, slowest)),
                   instant=True, fmt="table"),
            target(with_text("max by (%s) (%s) * on(%s) max by (%s) (%s) and on(%s) %s" % (
                K, mean, K, K, cps, K, slowest)), instant=True, fmt="table")],
              w=24, h=10, desc="Mean time and calls per second over $window, at the last collection",
              columns=(("target", "target"), ("datname", "database"), ("user", "user"),
                       ("queryid", "queryid"), ("Value #A", "mean"), ("Value #B", "calls/s"),
                       ("Value #C", "busy"), ("query", "query")),
              sort="mean", units={"mean": "s", "calls/s": "short", "busy": "percentunit"},
              widths={"query": 700}),
    )


def queries():
    scope = 'job=~"$job",instance=~"$instance",target=~"$target"'
    window_var = query_var("window", "window",
                           'label_values(pg_statement_mean_seconds{%s}, window)' % scope,
                           "The agent's statement window (statements_windows) for the slow panels",
                           multi=False, include_all=False)
    window_var["current"] = {"selected": True, "text": "5m", "value": "5m"}
    baseline = query_var("baseline", "baseline",
                         'label_values(pg_statement_mean_seconds{%s}, window)' % scope,
                         "The longer window the slowdown panel compares with",
                         multi=False, include_all=False)
    baseline["current"] = {"selected": True, "text": "1h", "value": "1h"}
    variables = common_vars() + [
        query_var("target", "PostgreSQL",
                  'label_values(pg_stat_statements_calls_total{job=~"$job",instance=~"$instance"}, '
                  'target)', "[postgres] targets with pg_stat_statements"),
        query_var("datname", "database", 'label_values(pg_stat_statements_calls_total{%s}, datname)'
                  % scope, 'Databases (All includes queryid="other", whose database is "")'),
        query_var("user", "user", 'label_values(pg_stat_statements_calls_total{%s}, user)' % scope,
                  "Roles"),
        custom_var("topn", "top", ["5", "10", "20", "50"], "10", "Statements per panel"),
        window_var, baseline,
    ]
    return dashboard(
        "dbpulse-queries", "dbpulse queries",
        "PostgreSQL statements from dbpulse's pg_stat_statements collector: the top statements "
        'by time with the queryid="other" bucket, so the totals add up, and the slow ones',
        variables, [statements_overview_row(), top_row(), top_table_row(), slow_row()],
        links=[link_to("dbpulse overview", "dbpulse-overview")])


def render(d):
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    stale = []
    for name, build in (("dbpulse-overview.json", overview), ("dbpulse-queries.json", queries)):
        path = os.path.join(here, name)
        text = render(build())
        if "--check" in sys.argv[1:]:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(name)
            except OSError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if stale:
        print("out of date (run python3 dashboards/build.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
