#!/bin/bash
# redis.sh -- the Redis collector against a real redis-server that this
# script starts (redis_lib.sh): INFO metrics under the least-privileged ACL
# user, with redis_exporter's names and values (settings equal to CONFIG
# GET's, the latency summaries and histograms, spikes, empty databases,
# its own scrape metrics), CONFIG GET refused to that user once and never
# asked again, and served to the default user; exact command counts,
# keyspace and key sizes (bounded), the slow log kept for the API, a
# server killed and restarted, DEBUG SLEEP longer than the timeout, a
# wrong password, and one connection throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis_lib.sh"
require curl
redis_require
[ -n "$PROMTOOL" ] || skip_all "promtool is not installed (Debian package prometheus)"

redis_start || { not_ok "Redis starts"; done_testing; }
export REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD"

redis_config_file() { # redis_config_file FILE [extra [redis "cache"] lines...]
	local file=$1
	shift
	host_config "$file"
	sed -i 's/^interval = 1s$/enabled = false/' "$file"
	{
		echo '[redis "cache"]'
		echo "address = $REDIS_ADDRESS"
		echo "username = dbpulse"
		echo "password_env = REDISTEST_PASSWORD"
		echo "interval = 1s"
		echo "timeout = 1s"
		for line in "$@"; do echo "$line"; done
	} >>"$file"
}
save() { scrape >"$TMP/m"; }
value() { awk -v m="$1" 'index($0, m " ") == 1 { print $NF; exit }' "$TMP/m"; }
collections() { collections_of cache; }
wait_cycles() { wait_collections cache "$1"; }
agent_connections() { redis_cli CLIENT LIST | grep -c 'name=dbpulse '; }

redis_cli SET first 1 >/dev/null
redis_cli -n 3 SET in-db3 1 >/dev/null
redis_cli CONFIG SET latency-monitor-threshold 10 >/dev/null
redis_cli DEBUG SLEEP 0.03 >/dev/null
redis_config_file "$TMP/agent.ini" "check_keys = queue:*, bulk:*" "check_keys_limit = 10"
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "redis_up 1 as the ACL user dbpulse" wait_for 10 has_metric 'redis_up{target="cache"} 1'
wait_cycles 1
save
for name in \
	'redis_instance_info{target="cache",' 'role="master"' 'redis_uptime_in_seconds{target="cache"}' \
	'redis_connected_clients{target="cache"}' 'redis_blocked_clients{target="cache"}' \
	'redis_max_clients{target="cache"}' 'redis_memory_used_bytes{target="cache"}' \
	'redis_memory_used_rss_bytes{target="cache"}' 'redis_memory_max_bytes{target="cache"}' \
	'redis_mem_fragmentation_ratio{target="cache"}' 'redis_rdb_last_bgsave_status{target="cache"}' \
	'redis_aof_enabled{target="cache"} 0' 'redis_connections_received_total{target="cache"}' \
	'redis_commands_processed_total{target="cache"}' 'redis_keyspace_hits_total{target="cache"}' \
	'redis_evicted_keys_total{target="cache"}' 'redis_connected_slaves{target="cache"} 0' \
	'redis_master_repl_offset{target="cache"}' 'redis_cpu_sys_seconds_total{target="cache"}' \
	'redis_commands_total{target="cache",cmd="set"}' \
	'redis_commands_duration_seconds_total{target="cache",cmd="set"}' \
	'redis_latency_percentiles_usec{target="cache",cmd="set",quantile="99"}' \
	'redis_latency_percentiles_usec_count{target="cache",cmd="set"} 2' \
	'redis_commands_latencies_usec_bucket{target="cache",cmd="set",le="+Inf"} 2' \
	'redis_commands_latencies_usec_count{target="cache",cmd="set"} 2' \
	'redis_latency_spike_duration_seconds{target="cache",event_name="command"}' \
	'redis_db_keys{target="cache",db="db15"} 0' 'redis_db_keys_expiring{target="cache",db="db1"} 0' \
	'redis_exporter_last_scrape_error{target="cache",err=""} 0' \
	'redis_exporter_scrape_duration_seconds_count{target="cache"}' \
	'redis_slowlog_last_id{target="cache"} 0' \
	'redis_db_keys{target="cache",db="db0"}' 'redis_db_keys{target="cache",db="db3"} 1' \
	'redis_slowlog_length{target="cache"}' 'dbpulse_parse_errors_total{target="cache"} 0' \
	'dbpulse_up{target="cache",collector="redis"} 1'; do
	check "exposes $name" grep -qF -- "$name" "$TMP/m"
done
check "the ACL user collects without a warning" sh -c "! grep -q 'level=warn' '$TMP/agent.log'"
out=$(promtool_clean "$TMP/m")
check "promtool check metrics remarks only on the peers' names" test -z "$out"
[ -n "$out" ] && diag "$out"
check "one agent connection in CLIENT LIST" test "$(agent_connections)" = 1
for s in maxmemory maxclients repl-backlog-size; do
	want=$(redis_cli CONFIG GET "$s" | sed -n 2p)
	got=$(value "redis_config_${s//-/_}{target=\"cache\"}")
	check "redis_config_${s//-/_} is CONFIG GET $s ($got, $want)" test "$got" = "$want"
done
port=$(grep -o 'tcp_port="[0-9]*"' "$TMP/m")
pid=$(grep -o 'process_id="[0-9]*"' "$TMP/m")
replid=$(grep -o 'master_replid="[0-9a-f]*"' "$TMP/m")
check "redis_instance_info's tcp_port, process_id, master_replid ($port $pid)" test \
	"$port $pid $replid" = "tcp_port=\"$REDIS_PORT_TEST\" process_id=\"$(redis_info process_id)\" master_replid=\"$(redis_info master_replid)\""
check "CONFIG GET refused to the ACL user: no redis_config_io_threads" \
	sh -c "! grep -q '^redis_config_io_threads' '$TMP/m'"
check "CONFIG GET refused: said once" test "$(grep -c 'CONFIG GET is refused' "$TMP/agent.log")" = 1
d0=$(redis_info acl_access_denied_cmd)
s0=$(value 'redis_exporter_scrapes_total{target="cache"}')
wait_cycles 2
save
d1=$(redis_info acl_access_denied_cmd)
s1=$(value 'redis_exporter_scrapes_total{target="cache"}')
check "CONFIG GET is not asked again (acl_access_denied_cmd $d0 -> $d1)" test "$d0" = "$d1"
check "redis_exporter_scrapes_total grows with the collections ($s0 -> $s1)" test "$s1" -ge "$((s0 + 2))"

# 1,000 SETs: exactly 1,000 more
c0=$(value 'redis_commands_total{target="cache",cmd="set"}')
for i in $(seq 1 1000); do echo "SET k$i v"; done | redis_cli >/dev/null
wait_cycles 2
save
c1=$(value 'redis_commands_total{target="cache",cmd="set"}')
check "1,000 SETs: redis_commands_total{cmd=\"set\"} rose by exactly 1,000 ($c0 -> $c1)" \
	test "$((c1 - c0))" = 1000

# key sizes: a 42-item list, and the limit
for i in $(seq 1 42); do echo "LPUSH queue:jobs job$i"; done | redis_cli >/dev/null
for i in $(seq 1 30); do echo "SET bulk:$i $i"; done | redis_cli >/dev/null
wait_cycles 2
save
check "LPUSHed 42 items: redis_key_size 42" \
	grep -q '^redis_key_size{target="cache",db="db0",key="queue:jobs"} 42$' "$TMP/m"
n=$(grep -c '^redis_key_size{' "$TMP/m")
check "31 matching keys, check_keys_limit 10: 10 sized ($n)" test "$n" = 10
cut=$(value 'dbpulse_redis_check_keys_cut_total{target="cache"}')
check "the cut is counted ($cut)" test "${cut:-0}" -gt 0

# the slow log, kept for the API
redis_cli DEBUG SLEEP 0.05 >/dev/null
wait_cycles 2
curl -sS "$URL/api/slowlog?target=cache" >"$TMP/slow.json"
check "a slow DEBUG SLEEP is in /api/slowlog" python3 -c '
import json, sys
entries = json.load(open(sys.argv[1]))
assert any(e["command"] == "DEBUG SLEEP 0.05" and e["duration_seconds"] >= 0.05 for e in entries), entries
' "$TMP/slow.json"
save
check "redis_last_slow_execution_duration_seconds >= 0.05" \
	awk -v v="$(value 'redis_last_slow_execution_duration_seconds{target="cache"}')" 'BEGIN { exit !(v >= 0.05) }'
check "/api/slowlog without target: 400" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/slowlog")" = 400
check "/api/slowlog of an unknown target: 404" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/slowlog?target=nope")" = 404

# every command logged (slowlog-log-slower-than 0), the agent's own INFO,
# SLOWLOG, CONFIG GET ... too: the view and redis_slowlog_* leave them out,
# include_own=1 shows them, dbpulse_redis_own_slowlog_entries_total counts them
own0=$(value 'dbpulse_redis_own_slowlog_entries_total{target="cache"}')
redis_cli CONFIG SET slowlog-log-slower-than 0 >/dev/null
redis_cli SET own-probe:1 "$RANDOM" >/dev/null
wait_cycles 2
save
slowlog_has() { # slowlog_has QUERY PYTHON-CONDITION-ON-entries
	curl -sf "$URL/api/slowlog?target=cache$1" | python3 -c "import json, sys
entries = json.load(sys.stdin)
sys.exit(0 if ($2) else 1)"
}
check "the test's probe command is in /api/slowlog" \
	slowlog_has '' 'any(e["command"].startswith("SET own-probe:1") for e in entries)'
check "none of the agent's own commands is" \
	slowlog_has '' 'entries and not any(e["client_name"] == "dbpulse" or e["own"] for e in entries)'
check "include_own=1 shows them, marked own" \
	slowlog_has '&include_own=1' 'any(e["client_name"] == "dbpulse" and e["own"] and e["command"].startswith("INFO") for e in entries)'
own1=$(value 'dbpulse_redis_own_slowlog_entries_total{target="cache"}')
check "dbpulse_redis_own_slowlog_entries_total counts them ($own0 -> $own1)" test "${own1:-0}" -gt "${own0:-0}"
last=$(value 'redis_slowlog_last_id{target="cache"}')
check "redis_slowlog_last_id ($last) is an entry of another client, not the agent's own" \
	slowlog_has '&include_own=1' "any(e['id'] == ${last:-0} and not e['own'] for e in entries) and any(e['own'] and e['id'] > ${last:-0} for e in entries)"
redis_cli CONFIG SET slowlog-log-slower-than 10000 >/dev/null

# killed: redis_up 0 in the next cycle, /metrics at once; restarted: back
redis_kill
check "killed: redis_up 0 within two intervals" wait_for 3 has_metric 'redis_up{target="cache"} 0'
check "killed: redis_exporter_last_scrape_error 1 with the error" \
	wait_for 3 has_metric 'redis_exporter_last_scrape_error{target="cache",err="cannot connect to'
ms=$(scrape_ms)
check "killed: /metrics answers 200 in ${ms} ms" test "$ms" != fail -a "${ms/fail/9999}" -lt 500
redis_restart
check "restarted: redis_up 1 within two intervals (+ its start)" wait_for 5 has_metric 'redis_up{target="cache"} 1'
check "restarted: one agent connection" test "$(agent_connections)" = 1

# DEBUG SLEEP longer than the timeout: that cycle fails fast, a later one works
redis_cli DEBUG SLEEP 3 >/dev/null &
sleeper=$!
check "DEBUG SLEEP 3 > timeout: redis_up 0 within two intervals" wait_for 3 has_metric 'redis_up{target="cache"} 0'
ms=$(scrape_ms)
check "during DEBUG SLEEP: /metrics answers 200 in ${ms} ms" test "$ms" != fail -a "${ms/fail/9999}" -lt 500
wait $sleeper
check "after DEBUG SLEEP: redis_up 1 again" wait_for 5 has_metric 'redis_up{target="cache"} 1'
check "after DEBUG SLEEP: one agent connection" test "$(agent_connections)" = 1
stop_agent

# the default user, as redis_exporter usually runs: CONFIG GET works
export REDISTEST_DEFAULT_PASSWORD="$REDIS_PASSWORD"
redis_config_file "$TMP/default.ini"
sed -i -e '/^username = /d' -e 's/^password_env = .*/password_env = REDISTEST_DEFAULT_PASSWORD/' \
	"$TMP/default.ini"
start_agent "$TMP/default.ini" || { not_ok "agent starts"; done_testing; }
check "the default user: redis_up 1" wait_for 10 has_metric 'redis_up{target="cache"} 1'
wait_cycles 1
save
want=$(redis_cli CONFIG GET io-threads | sed -n 2p)
check "the default user: redis_config_io_threads is CONFIG GET io-threads ($want)" \
	grep -q "^redis_config_io_threads{target=\"cache\"} $want\$" "$TMP/m"
hard=$(redis_cli CONFIG GET client-output-buffer-limit | sed -n 2p | awk '{ print $6 }')
check "the default user: the replicas' hard output buffer limit ($hard)" grep -q \
	"^redis_config_client_output_buffer_limit_bytes{target=\"cache\",class=\"slave\",limit=\"hard\"} $hard\$" \
	"$TMP/m"
out=$(promtool_clean "$TMP/m")
check "the default user: promtool remarks only on redis_exporter's names" test -z "$out"
[ -n "$out" ] && diag "$out"
stop_agent

# the unix socket form of address
redis_config_file "$TMP/unix.ini"
sed -i "s|^address = .*|address = $REDIS_SOCKET|" "$TMP/unix.ini"
start_agent "$TMP/unix.ini" || { not_ok "agent starts"; done_testing; }
check "address = a unix socket: redis_up 1" wait_for 10 has_metric 'redis_up{target="cache"} 1'
stop_agent

# a wrong password: redis_up 0, one clear line, no password
export REDISTEST_PASSWORD=not-the-right-one-42
redis_config_file "$TMP/bad.ini"
start_agent "$TMP/bad.ini" || { not_ok "agent starts"; done_testing; }
check "wrong password: redis_up 0" wait_for 10 has_metric 'redis_up{target="cache"} 0'
e1=$(metric_value 'dbpulse_collect_errors_total{target="cache"}')
sleep 2.5
e2=$(metric_value 'dbpulse_collect_errors_total{target="cache"}')
check "wrong password: the error counter rises ($e1 -> $e2)" test "$e2" -gt "$e1"
check "wrong password: one log line naming the target and the cause" \
	test "$(grep -c 'target=cache.*WRONGPASS' "$TMP/agent.log")" = 1
check "the password is in no log line" sh -c "! grep -q 'not-the-right-one-42' '$TMP/agent.log'"
stop_agent

# Redis down from the start: the agent starts, answers, and says so
redis_config_file "$TMP/down.ini"
sed -i "s|^address = .*|address = 127.0.0.1:1|" "$TMP/down.ini"
start_agent "$TMP/down.ini" || { not_ok "agent starts with Redis down"; done_testing; }
check "Redis down from the start: redis_up 0" wait_for 5 has_metric 'redis_up{target="cache"} 0'
check "Redis down from the start: /healthz answers" test "$(curl -sS "$URL/healthz")" = ok
stop_agent
done_testing
