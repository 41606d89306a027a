/*
 * redis_info_fields.c -- the INFO keys of the scalar sections and the
 * families they become (see redis_info_fields.h).  Constant tables only;
 * read by redis_info.c on a Redis target's worker thread.
 *
 * Names, types and units are redis_exporter's (1.88: exporter.go's
 * metricMapGauges and metricMapCounters, exporter/metrics.go), quirks
 * included: the counts it declares gauges are gauges (redis_defrag_hits,
 * redis_rdb_saves_total), counters keep the names it gives them
 * (redis_total_error_replies, redis_expire_cycle_cpu_time_ms_total) and
 * values stay in INFO's unit unless it converts them (latest_fork_usec to
 * seconds).  Keys it does not map are dbpulse's own and follow
 * Prometheus's rules (_total on counters, base units).  Each table lists
 * its keys in the order Redis 7 writes them, which lets redis_info.c find
 * the next key where the last one was.
 * Keys of Redis 5 and 6 that 7 dropped, and those 7.2+ added, are in
 * their place; keys missing from a reply simply add nothing.
 */
#include "autoconfig.h"
#include "redis_info_fields.h"

#include <strings.h>
#include "banned.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A number as it is (G, C) or divided into base units (GS, CS), a status
 * word (ST), a label value kept for later (TX), a number kept for later
 * (KP), a number kept and emitted (GK). */
#define G(k, n, h) { k, REDIS_NUMBER, -1, 1, { n, h, METRIC_GAUGE } }
#define GS(k, dv, n, h) { k, REDIS_NUMBER, -1, dv, { n, h, METRIC_GAUGE } }
#define C(k, n, h) { k, REDIS_NUMBER, -1, 1, { n, h, METRIC_COUNTER } }
#define CS(k, dv, n, h) { k, REDIS_NUMBER, -1, dv, { n, h, METRIC_COUNTER } }
#define ST(k, n, h) { k, REDIS_STATUS, -1, 1, { n, h, METRIC_GAUGE } }
#define TX(k, t) { k, REDIS_TEXT, t, 1, { NULL, NULL, METRIC_GAUGE } }
#define KP(k, kind, slot, dv) { k, kind, slot, dv, { NULL, NULL, METRIC_GAUGE } }
#define GK(k, slot, n, h) { k, REDIS_NUMBER, slot, 1, { n, h, METRIC_GAUGE } }
#define GT(k, t, n, h) { k, REDIS_NUMBER_TEXT, t, 1, { n, h, METRIC_GAUGE } }

#define MS 1e3 /* milliseconds per second */
#define US 1e6 /* microseconds per second */

static const struct redis_field redis_server_fields[] = {
	TX("redis_version", REDIS_T_VERSION),
	TX("valkey_version", REDIS_T_VALKEY_VERSION),
	TX("valkey_release_stage", REDIS_T_VALKEY_STAGE),
	TX("redis_build_id", REDIS_T_BUILD_ID),
	TX("redis_mode", REDIS_T_MODE),
	TX("os", REDIS_T_OS),
	GT("process_id", REDIS_T_PROCESS_ID, "redis_process_id", "The server's process ID."),
	TX("run_id", REDIS_T_RUN_ID),
	TX("tcp_port", REDIS_T_TCP_PORT),
	KP("server_time_usec", REDIS_NUMBER, REDIS_N_SERVER_TIME, US),
	GK("uptime_in_seconds", REDIS_N_UPTIME, "redis_uptime_in_seconds",
	   "Seconds since the server started."),
	G("hz", "redis_hz", "Current frequency of the server's background tasks (per second)."),
	G("configured_hz", "redis_configured_hz",
	  "Configured frequency of the server's background tasks (per second)."),
	G("io_threads_active", "redis_io_threads_active", "Whether the I/O threads are active."),
};

static const struct redis_field redis_clients_fields[] = {
	G("connected_clients", "redis_connected_clients",
	  "Client connections (replicas excluded)."),
	G("cluster_connections", "redis_cluster_connections",
	  "Sockets used by the cluster bus."),
	GK("maxclients", REDIS_N_MAXCLIENTS, "redis_max_clients", "The maxclients setting."),
	G("client_longest_output_list", "redis_client_longest_output_list",
	  "Longest output list among the clients (Redis before 5)."),
	G("client_biggest_input_buf", "redis_client_biggest_input_buf",
	  "Biggest input buffer among the clients (Redis before 5)."),
	G("client_recent_max_input_buffer", "redis_client_recent_max_input_buffer_bytes",
	  "Biggest input buffer among the clients recently."),
	G("client_recent_max_output_buffer", "redis_client_recent_max_output_buffer_bytes",
	  "Biggest output buffer among the clients recently."),
	G("blocked_clients", "redis_blocked_clients",
	  "Clients waiting in a blocking call (BLPOP, XREAD, WAIT, ...)."),
	G("tracking_clients", "redis_tracking_clients", "Clients with client-side caching tracking on."),
	G("pubsub_clients", "redis_pubsub_clients", "Clients in Pub/Sub mode."),
	G("watching_clients", "redis_watching_clients", "Clients in WATCH."),
	G("clients_in_timeout_table", "redis_clients_in_timeout_table",
	  "Clients in the table of blocked clients with a timeout."),
	G("total_watched_keys", "redis_total_watched_keys", "Keys watched by clients."),
	G("total_blocking_keys", "redis_total_blocking_keys", "Keys clients are blocked on."),
	G("total_blocking_keys_on_nokey", "redis_total_blocking_keys_on_nokey",
	  "Keys clients are blocked on until they are deleted."),
};

static const struct redis_field redis_memory_fields[] = {
	GK("used_memory", REDIS_N_USED_MEMORY, "redis_memory_used_bytes",
	   "Memory allocated by the server's allocator."),
	G("used_memory_rss", "redis_memory_used_rss_bytes",
	  "Memory the operating system sees the server use (resident set)."),
	G("used_memory_peak", "redis_memory_used_peak_bytes", "Peak of used_memory."),
	G("used_memory_overhead", "redis_memory_used_overhead_bytes",
	  "Memory used for the server's own structures."),
	G("used_memory_startup", "redis_memory_used_startup_bytes", "Memory used at startup."),
	G("used_memory_dataset", "redis_memory_used_dataset_bytes", "Memory used by the data."),
	G("allocator_allocated", "redis_allocator_allocated_bytes",
	  "Memory allocated by the allocator (fragmentation included)."),
	G("allocator_active", "redis_allocator_active_bytes", "Memory in the allocator's active pages."),
	G("allocator_muzzy", "redis_allocator_muzzy_bytes",
	  "Memory in the allocator's muzzy pages (Redis 7.2+)."),
	G("allocator_resident", "redis_allocator_resident_bytes",
	  "Memory resident in the allocator's pages."),
	G("total_system_memory", "redis_total_system_memory_bytes", "Memory of the host."),
	G("used_memory_lua", "redis_memory_used_lua_bytes", "Memory used by the Lua engine."),
	G("used_memory_vm_eval", "redis_memory_used_vm_eval_bytes",
	  "Memory used by the EVAL script engine."),
	G("used_memory_scripts_eval", "redis_memory_used_scripts_eval_bytes",
	  "Memory used by EVAL scripts."),
	G("number_of_cached_scripts", "redis_number_of_cached_scripts", "Scripts in the script cache."),
	G("number_of_functions", "redis_number_of_functions", "Functions loaded."),
	G("number_of_libraries", "redis_number_of_libraries", "Function libraries loaded."),
	G("used_memory_vm_functions", "redis_memory_used_vm_functions_bytes",
	  "Memory used by the functions engine."),
	G("used_memory_vm_total", "redis_memory_used_vm_total",
	  "Memory used by all script engines."),
	G("used_memory_functions", "redis_memory_used_functions_bytes",
	  "Memory used by function libraries."),
	G("used_memory_scripts", "redis_memory_used_scripts_bytes",
	  "Memory used by the script caches."),
	GK("maxmemory", REDIS_N_MAXMEMORY, "redis_memory_max_bytes",
	   "The maxmemory setting (0: no limit)."),
	TX("maxmemory_policy", REDIS_T_POLICY),
	G("maxmemory_reservation", "redis_memory_max_reservation_bytes",
	  "Memory reserved against maxmemory (managed services that report it)."),
	G("maxmemory_desired_reservation", "redis_memory_max_reservation_desired_bytes",
	  "Memory the server would reserve against maxmemory (managed services)."),
	G("maxfragmentationmemory_reservation", "redis_memory_max_fragmentation_reservation_bytes",
	  "Memory reserved for fragmentation (managed services that report it)."),
	G("maxfragmentationmemory_desired_reservation",
	  "redis_memory_max_fragmentation_reservation_desired_bytes",
	  "Memory the server would reserve for fragmentation (managed services)."),
	G("allocator_frag_ratio", "redis_allocator_frag_ratio",
	  "allocator_active over allocator_allocated."),
	G("allocator_frag_bytes", "redis_allocator_frag_bytes",
	  "allocator_active less allocator_allocated."),
	G("allocator_rss_ratio", "redis_allocator_rss_ratio",
	  "allocator_resident over allocator_active."),
	G("allocator_rss_bytes", "redis_allocator_rss_bytes",
	  "allocator_resident less allocator_active."),
	G("rss_overhead_ratio", "redis_rss_overhead_ratio", "used_memory_rss over allocator_resident."),
	G("rss_overhead_bytes", "redis_rss_overhead_bytes", "used_memory_rss less allocator_resident."),
	G("mem_fragmentation_ratio", "redis_mem_fragmentation_ratio",
	  "used_memory_rss over used_memory."),
	G("mem_fragmentation_bytes", "redis_mem_fragmentation_bytes",
	  "used_memory_rss less used_memory."),
	G("mem_not_counted_for_evict", "redis_mem_not_counted_for_eviction_bytes",
	  "Memory not counted against maxmemory (replica and AOF buffers)."),
	G("mem_replication_backlog", "redis_mem_replication_backlog_bytes",
	  "Memory used by the replication backlog."),
	G("mem_total_replication_buffers", "redis_mem_total_replication_buffers_bytes",
	  "Memory used by the replication buffers."),
	G("mem_clients_slaves", "redis_mem_clients_slaves",
	  "Memory used by the replicas' client buffers."),
	G("mem_clients_normal", "redis_mem_clients_normal",
	  "Memory used by the other clients' buffers."),
	G("mem_cluster_links", "redis_mem_cluster_links_bytes", "Memory used by cluster bus links."),
	G("mem_aof_buffer", "redis_mem_aof_buffer_bytes", "Memory used by the AOF buffers."),
	G("mem_overhead_db_hashtable_rehashing", "redis_mem_overhead_db_hashtable_rehashing_bytes",
	  "Memory of the databases' hash tables being rehashed (Redis 7.4+)."),
	G("active_defrag_running", "redis_active_defrag_running",
	  "CPU share active defragmentation is using (percent; 0 when off)."),
	G("lazyfree_pending_objects", "redis_lazyfree_pending_objects",
	  "Objects waiting to be freed by the lazy-free thread."),
	G("lazyfreed_objects", "redis_lazyfreed_objects", "Objects freed lazily."),
};

static const struct redis_field redis_persistence_fields[] = {
	G("loading", "redis_loading_dump_file", "Whether the server is loading a dump file."),
	G("async_loading", "redis_async_loading",
	  "Whether the replication data is being loaded while old data is served."),
	G("current_cow_peak", "redis_current_cow_peak_bytes",
	  "Peak copy-on-write memory of the running fork."),
	G("current_cow_size", "redis_current_cow_size_bytes",
	  "Copy-on-write memory of the running fork."),
	G("current_cow_size_age", "redis_current_cow_size_age_seconds", "Age of current_cow_size."),
	G("current_fork_perc", "redis_current_fork_perc",
	  "Progress of the running fork (percent)."),
	G("rdb_changes_since_last_save", "redis_rdb_changes_since_last_save",
	  "Changes since the last dump."),
	G("rdb_bgsave_in_progress", "redis_rdb_bgsave_in_progress",
	  "Whether an RDB save is running."),
	G("rdb_last_save_time", "redis_rdb_last_save_timestamp_seconds",
	  "When the last successful RDB save ended, in seconds since the epoch."),
	ST("rdb_last_bgsave_status", "redis_rdb_last_bgsave_status",
	   "Whether the last RDB save succeeded (1) or failed (0)."),
	G("rdb_last_bgsave_time_sec", "redis_rdb_last_bgsave_duration_sec",
	  "Duration of the last RDB save (-1 before the first)."),
	G("rdb_current_bgsave_time_sec", "redis_rdb_current_bgsave_duration_sec",
	  "Duration of the running RDB save so far (-1 when none runs)."),
	G("rdb_saves", "redis_rdb_saves_total",
	  "RDB saves since the server started (a gauge in redis_exporter)."),
	G("rdb_last_cow_size", "redis_rdb_last_cow_size_bytes",
	  "Copy-on-write memory of the last RDB save."),
	G("rdb_last_load_keys_expired", "redis_rdb_last_load_expired_keys",
	  "Keys found expired at the last load of a dump."),
	G("rdb_last_load_keys_loaded", "redis_rdb_last_load_loaded_keys",
	  "Keys loaded at the last load of a dump."),
	G("aof_enabled", "redis_aof_enabled", "Whether the append-only file is on."),
	G("aof_rewrite_in_progress", "redis_aof_rewrite_in_progress",
	  "Whether an AOF rewrite is running."),
	G("aof_rewrite_scheduled", "redis_aof_rewrite_scheduled",
	  "Whether an AOF rewrite waits for an RDB save to end."),
	G("aof_last_rewrite_time_sec", "redis_aof_last_rewrite_duration_sec",
	  "Duration of the last AOF rewrite (-1 before the first)."),
	G("aof_current_rewrite_time_sec", "redis_aof_current_rewrite_duration_sec",
	  "Duration of the running AOF rewrite so far (-1 when none runs)."),
	ST("aof_last_bgrewrite_status", "redis_aof_last_bgrewrite_status",
	   "Whether the last AOF rewrite succeeded (1) or failed (0)."),
	C("aof_rewrites", "redis_aof_rewrites_total", "AOF rewrites since the server started."),
	G("aof_rewrites_consecutive_failures", "redis_aof_rewrites_consecutive_failures",
	  "AOF rewrites that failed in a row."),
	ST("aof_last_write_status", "redis_aof_last_write_status",
	   "Whether the last write to the AOF succeeded (1) or failed (0)."),
	G("aof_last_cow_size", "redis_aof_last_cow_size_bytes",
	  "Copy-on-write memory of the last AOF rewrite."),
	G("module_fork_in_progress", "redis_module_fork_in_progress",
	  "Whether a module's fork is running."),
	G("module_fork_last_cow_size", "redis_module_fork_last_cow_size",
	  "Copy-on-write memory of the last module fork."),
	/* with appendonly yes */
	G("aof_current_size", "redis_aof_current_size_bytes", "Size of the AOF."),
	G("aof_base_size", "redis_aof_base_size_bytes",
	  "Size of the AOF at the last startup or rewrite."),
	G("aof_pending_rewrite", "redis_aof_pending_rewrite",
	  "Whether an AOF rewrite waits for an RDB save to end."),
	G("aof_buffer_length", "redis_aof_buffer_length", "Size of the AOF buffer (bytes)."),
	G("aof_rewrite_buffer_length", "redis_aof_rewrite_buffer_length",
	  "Size of the AOF rewrite buffer in bytes (Redis before 7)."),
	G("aof_pending_bio_fsync", "redis_aof_pending_bio_fsync",
	  "fsync jobs waiting in the background I/O queue."),
	G("aof_delayed_fsync", "redis_aof_delayed_fsync",
	  "fsync calls that were delayed (a count; a gauge in redis_exporter)."),
	/* while loading */
	G("loading_start_time", "redis_loading_start_time_seconds",
	  "When the running load started, in seconds since the epoch."),
	G("loading_total_bytes", "redis_loading_total_bytes", "Size of the file being loaded."),
	G("loading_loaded_bytes", "redis_loading_loaded_bytes", "Bytes loaded so far."),
	G("loading_loaded_perc", "redis_loading_loaded_perc", "Progress of the load (percent)."),
	G("loading_eta_seconds", "redis_loading_eta_seconds", "Estimated time to the end of the load."),
};

static const struct redis_field redis_stats_fields[] = {
	C("total_connections_received", "redis_connections_received_total",
	  "Connections accepted."),
	C("total_commands_processed", "redis_commands_processed_total", "Commands processed."),
	C("total_net_input_bytes", "redis_net_input_bytes_total", "Bytes read from the network."),
	C("total_net_output_bytes", "redis_net_output_bytes_total", "Bytes written to the network."),
	C("total_net_repl_input_bytes", "redis_net_repl_input_bytes_total",
	  "Bytes read from the network for replication."),
	C("total_net_repl_output_bytes", "redis_net_repl_output_bytes_total",
	  "Bytes written to the network for replication."),
	C("rejected_connections", "redis_rejected_connections_total",
	  "Connections rejected for the maxclients limit."),
	G("sync_full", "redis_replica_resyncs_full",
	  "Full resynchronisations with replicas (a count; a gauge in redis_exporter)."),
	G("sync_partial_ok", "redis_replica_partial_resync_accepted",
	  "Partial resynchronisation requests accepted (a count; a gauge in redis_exporter)."),
	G("sync_partial_err", "redis_replica_partial_resync_denied",
	  "Partial resynchronisation requests denied (a count; a gauge in redis_exporter)."),
	C("expired_keys", "redis_expired_keys_total", "Keys expired."),
	C("expired_subkeys", "redis_expired_subkeys_total", "Hash fields expired."),
	G("expired_stale_perc", "redis_expired_stale_percentage",
	  "Estimated share of keys that are expired but not yet deleted (percent)."),
	C("expired_time_cap_reached_count", "redis_expired_time_cap_reached_total",
	  "Active expire cycles stopped early for their time limit."),
	C("expire_cycle_cpu_milliseconds", "redis_expire_cycle_cpu_time_ms_total",
	  "Milliseconds spent in active expire cycles."),
	C("evicted_keys", "redis_evicted_keys_total", "Keys evicted for the maxmemory limit."),
	C("evicted_clients", "redis_evicted_clients_total",
	  "Clients evicted for the maxmemory-clients limit."),
	C("evicted_scripts", "redis_evicted_scripts_total", "EVAL scripts evicted."),
	C("total_eviction_exceeded_time", "redis_eviction_exceeded_time_ms_total",
	  "Milliseconds used_memory stayed above maxmemory."),
	G("current_eviction_exceeded_time", "redis_current_eviction_exceeded_time_ms",
	  "Milliseconds used_memory has been above maxmemory."),
	C("keyspace_hits", "redis_keyspace_hits_total", "Key lookups that found the key."),
	C("keyspace_misses", "redis_keyspace_misses_total", "Key lookups that missed."),
	G("pubsub_channels", "redis_pubsub_channels", "Pub/Sub channels with subscribers."),
	G("pubsub_patterns", "redis_pubsub_patterns", "Pub/Sub patterns with subscribers."),
	G("pubsubshard_channels", "redis_pubsubshard_channels",
	  "Sharded Pub/Sub channels with subscribers."),
	GS("latest_fork_usec", US, "redis_latest_fork_seconds", "Duration of the latest fork."),
	C("total_forks", "redis_forks_total", "Forks since the server started."),
	G("migrate_cached_sockets", "redis_migrate_cached_sockets_total",
	  "Sockets open for MIGRATE (a gauge)."),
	G("slave_expires_tracked_keys", "redis_slave_expires_tracked_keys",
	  "Keys tracked for expiry on a writable replica."),
	G("active_defrag_hits", "redis_defrag_hits",
	  "Values moved by active defragmentation (a count; a gauge in redis_exporter)."),
	G("active_defrag_misses", "redis_defrag_misses",
	  "Values active defragmentation looked at and left (a count; a gauge in redis_exporter)."),
	G("active_defrag_key_hits", "redis_defrag_key_hits",
	  "Keys active defragmentation moved (a count; a gauge in redis_exporter)."),
	G("active_defrag_key_misses", "redis_defrag_key_misses",
	  "Keys active defragmentation looked at and left (a count; a gauge in redis_exporter)."),
	CS("total_active_defrag_time", MS, "redis_active_defrag_time_seconds_total",
	   "Time memory fragmentation was over the limit."),
	GS("current_active_defrag_time", MS, "redis_current_active_defrag_time_seconds",
	   "Time memory fragmentation has been over the limit."),
	G("tracking_total_keys", "redis_tracking_total_keys",
	  "Keys in the client-side caching tracking table."),
	G("tracking_total_items", "redis_tracking_total_items",
	  "Client entries in the client-side caching tracking table."),
	G("tracking_total_prefixes", "redis_tracking_total_prefixes",
	  "Prefixes in the client-side caching broadcast table."),
	C("unexpected_error_replies", "redis_unexpected_error_replies",
	  "Error replies of unexpected kinds (AOF load, replication)."),
	C("total_error_replies", "redis_total_error_replies", "Error replies sent."),
	C("dump_payload_sanitizations", "redis_dump_payload_sanitizations",
	  "Deep integrity checks of RESTORE payloads."),
	C("total_reads_processed", "redis_total_reads_processed", "Read events processed."),
	C("total_writes_processed", "redis_total_writes_processed", "Write events processed."),
	C("io_threaded_reads_processed", "redis_io_threaded_reads_processed",
	  "Read events processed by the I/O threads."),
	C("io_threaded_writes_processed", "redis_io_threaded_writes_processed",
	  "Write events processed by the I/O threads."),
	C("client_query_buffer_limit_disconnections",
	  "redis_client_query_buffer_limit_disconnections_total",
	  "Clients disconnected for their query buffer limit."),
	C("client_output_buffer_limit_disconnections",
	  "redis_client_output_buffer_limit_disconnections_total",
	  "Clients disconnected for their output buffer limit."),
	C("reply_buffer_shrinks", "redis_reply_buffer_shrinks_total", "Reply buffers shrunk."),
	C("reply_buffer_expands", "redis_reply_buffer_expands_total", "Reply buffers grown."),
	C("eventloop_cycles", "redis_eventloop_cycles_total", "Event loop cycles."),
	C("eventloop_duration_sum", "redis_eventloop_duration_sum_usec_total",
	  "Microseconds spent in the event loop."),
	C("eventloop_duration_cmd_sum", "redis_eventloop_duration_cmd_sum_usec_total",
	  "Microseconds the event loop spent running commands."),
	G("instantaneous_eventloop_cycles_per_sec", "redis_instantaneous_eventloop_cycles_per_sec",
	  "Event loop cycles per second, recently."),
	G("instantaneous_eventloop_duration_usec", "redis_instantaneous_eventloop_duration_usec",
	  "Mean duration of an event loop cycle in microseconds, recently."),
	C("acl_access_denied_auth", "redis_acl_access_denied_auth_total",
	  "Authentication failures."),
	C("acl_access_denied_cmd", "redis_acl_access_denied_cmd_total",
	  "Commands refused by the ACL."),
	C("acl_access_denied_key", "redis_acl_access_denied_key_total",
	  "Key accesses refused by the ACL."),
	C("acl_access_denied_channel", "redis_acl_access_denied_channel_total",
	  "Channel accesses refused by the ACL."),
};

static const struct redis_field redis_replication_fields[] = {
	TX("role", REDIS_T_ROLE),
	TX("master_host", REDIS_T_MASTER_HOST),
	TX("master_port", REDIS_T_MASTER_PORT),
	KP("master_link_status", REDIS_STATUS, REDIS_N_MASTER_LINK, 1),
	KP("master_last_io_seconds_ago", REDIS_NUMBER, REDIS_N_MASTER_LAST_IO, 1),
	KP("master_sync_in_progress", REDIS_NUMBER, REDIS_N_MASTER_SYNC, 1),
	KP("slave_repl_offset", REDIS_NUMBER, REDIS_N_SLAVE_OFFSET, 1),
	KP("master_link_down_since_seconds", REDIS_NUMBER, REDIS_N_MASTER_DOWN_SINCE, 1),
	G("slave_priority", "redis_slave_priority", "The replica's priority for promotion."),
	TX("slave_read_only", REDIS_T_READ_ONLY),
	G("connected_slaves", "redis_connected_slaves", "Replicas connected."),
	G("min_slaves_good_slaves", "redis_min_slaves_good_slaves",
	  "Replicas within min-replicas-max-lag."),
	TX("master_replid", REDIS_T_MASTER_REPLID),
	G("master_repl_offset", "redis_master_repl_offset", "The server's replication offset."),
	G("second_repl_offset", "redis_second_repl_offset",
	  "Offset up to which the previous replication ID is accepted (-1: none)."),
	G("repl_backlog_active", "redis_repl_backlog_is_active",
	  "Whether the replication backlog is on."),
	GK("repl_backlog_size", REDIS_N_REPL_BACKLOG, "redis_replication_backlog_bytes",
	   "Size of the replication backlog."),
	G("repl_backlog_first_byte_offset", "redis_repl_backlog_first_byte_offset",
	  "Replication offset of the backlog's first byte."),
	G("repl_backlog_histlen", "redis_repl_backlog_history_bytes",
	  "Data in the replication backlog."),
};

static const struct redis_field redis_cpu_fields[] = {
	C("used_cpu_sys", "redis_cpu_sys_seconds_total", "System CPU time of the server."),
	C("used_cpu_user", "redis_cpu_user_seconds_total", "User CPU time of the server."),
	C("used_cpu_sys_children", "redis_cpu_sys_children_seconds_total",
	  "System CPU time of the server's children (saves, rewrites)."),
	C("used_cpu_user_children", "redis_cpu_user_children_seconds_total",
	  "User CPU time of the server's children (saves, rewrites)."),
	C("used_cpu_sys_main_thread", "redis_cpu_sys_main_thread_seconds_total",
	  "System CPU time of the server's main thread."),
	C("used_cpu_user_main_thread", "redis_cpu_user_main_thread_seconds_total",
	  "User CPU time of the server's main thread."),
};

static const struct redis_field redis_cluster_fields[] = {
	GK("cluster_enabled", REDIS_N_CLUSTER, "redis_cluster_enabled", "Whether cluster mode is on."),
};

static const struct {
	const char *name;
	enum redis_section section;
	const struct redis_field *fields;
	size_t n;
} redis_sections[] = {
	{ "Server", REDIS_SEC_SERVER, redis_server_fields, ARRAY_LEN(redis_server_fields) },
	{ "Clients", REDIS_SEC_CLIENTS, redis_clients_fields, ARRAY_LEN(redis_clients_fields) },
	{ "Memory", REDIS_SEC_MEMORY, redis_memory_fields, ARRAY_LEN(redis_memory_fields) },
	{ "Persistence", REDIS_SEC_PERSISTENCE, redis_persistence_fields,
	  ARRAY_LEN(redis_persistence_fields) },
	{ "Stats", REDIS_SEC_STATS, redis_stats_fields, ARRAY_LEN(redis_stats_fields) },
	{ "Replication", REDIS_SEC_REPLICATION, redis_replication_fields,
	  ARRAY_LEN(redis_replication_fields) },
	{ "CPU", REDIS_SEC_CPU, redis_cpu_fields, ARRAY_LEN(redis_cpu_fields) },
	{ "Cluster", REDIS_SEC_CLUSTER, redis_cluster_fields, ARRAY_LEN(redis_cluster_fields) },
	{ "Commandstats", REDIS_SEC_COMMANDSTATS, NULL, 0 },
	{ "Errorstats", REDIS_SEC_ERRORSTATS, NULL, 0 },
	{ "Latencystats", REDIS_SEC_LATENCYSTATS, NULL, 0 },
	{ "Keyspace", REDIS_SEC_KEYSPACE, NULL, 0 },
};

enum redis_section redis_info_section(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(redis_sections); i++)
		if (strcasecmp(name, redis_sections[i].name) == 0)
			return redis_sections[i].section;
	return REDIS_SEC_OTHER;
}

const struct redis_field *redis_info_fields(enum redis_section s, size_t *n)
{
	for (size_t i = 0; i < ARRAY_LEN(redis_sections); i++) {
		if (redis_sections[i].section == s) {
			*n = redis_sections[i].n;
			return redis_sections[i].fields;
		}
	}
	*n = 0;
	return NULL;
}
