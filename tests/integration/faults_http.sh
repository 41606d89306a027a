#!/bin/bash
# faults_http.sh -- slowloris and a crowd of scrapers against the HTTP
# endpoint of an agent with a PostgreSQL and a Redis target:
#   - 40 slowloris connections from 127.0.0.2 (headers one byte a second,
#     never finished) for 10 s: the per-address limit (16) holds, so at
#     most 16 stay open, and the agent's fds come back afterwards;
#   - meanwhile a probe from 127.0.0.1 scrapes every 100 ms: every scrape
#     under 250 ms (noisy machine: p99, max under 1 s);
#   - and 50 parallel scrapers (5 source addresses 127.0.1.1-5, 10 each,
#     curl --parallel) fetch /metrics and the /api endpoints 600 times:
#     every request answered 200 within 2 s;
#   - throughout, each database sees at most one agent session
#     (pg_stat_activity application_name='dbpulse', CLIENT LIST name=dbpulse):
#     no request reaches a database.
# http_max_connections is raised to 100 so that the 16 slowloris and 50
# scrapers fit in it together.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/redis_lib.sh"
require curl python3
pg_require
redis_require
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.1.5", 0))' 2>/dev/null || skip_all "cannot bind 127.0.1.5 (loopback is not 127.0.0.0/8)"

pg_start || { not_ok "PostgreSQL starts"; done_testing; }
redis_start || { not_ok "Redis starts"; done_testing; }
export PGTEST_PASSWORD="$PG_PASSWORD" REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD"
cat >"$TMP/agent.ini" <<INI
[agent]
listen = 127.0.0.1:0
log_level = info
state_dir = $TMP/state
http_max_connections = 100
[host]
interval = 1s
timeout = 1s
[postgres "pg"]
dsn = $PG_DSN
password_env = PGTEST_PASSWORD
interval = 1s
timeout = 500ms
slow_interval = 5s
[redis "rd"]
address = $REDIS_ADDRESS
username = dbpulse
password_env = REDISTEST_PASSWORD
interval = 1s
timeout = 500ms
INI
pg_sessions() {
	PGOPTIONS="-c pg_stat_statements.track=none" \
		pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbpulse'" 2>/dev/null
}
redis_conns() { redis_cli CLIENT LIST 2>/dev/null | grep -c 'name=dbpulse '; }

start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "pg_up 1" wait_for 15 has_metric 'pg_up{target="pg"} 1'
check "redis_up 1" wait_for 15 has_metric 'redis_up{target="rd"} 1'
wait_collections rd 1
fd0=$(agent_fds)
th0=$(agent_threads)
diag "baseline: $fd0 fds, $th0 threads"
port=${URL##*:}

# sessions, sampled every 0.5 s in the background: "pg redis" per line
( while [ ! -e "$TMP/stop-sessions" ]; do echo "$(pg_sessions) $(redis_conns)"; sleep 0.5; done ) >"$TMP/sessions" &
SAMPLER=$!
bg_track "$SAMPLER"

SCRAPE_LOAD0=$(cut -d' ' -f1 /proc/loadavg)
scraper_start "$TMP/probe" 'pg_up{target="pg"}'
python3 "$FAKES" slowloris --target "127.0.0.1:$port" --source 127.0.0.2 --connections 40 \
	--interval 1 --duration 10 --log "$TMP/slowloris.log" &
SLOW=$!
bg_track "$SLOW"
sleep 2
fdmax=0
for _ in 1 2 3; do f=$(agent_fds); [ "$f" -gt "$fdmax" ] && fdmax=$f; sleep 0.3; done

# 50 parallel scrapers: 5 curls with --parallel-max 10, 120 requests each
urls=()
for n in $(seq 1 30); do
	for u in "$URL/metrics?c=$n" "$URL/api/targets?c=$n" "$URL/api/activity?target=pg&c=$n" "$URL/api/slowlog?target=rd&c=$n"; do
		urls+=(-o /dev/null "$u")
	done
done
CROWD=
for a in 1 2 3 4 5; do
	curl -s --parallel --parallel-max 10 --interface "127.0.1.$a" --max-time 5 \
		-w '%{http_code} %{time_total} %{url}\n' "${urls[@]}" >"$TMP/crowd.$a" 2>"$TMP/crowd.$a.err" &
	CROWD="$CROWD $!"
	bg_track $!
done
for p in $CROWD; do wait "$p"; done
wait "$SLOW"
scraper_stop
touch "$TMP/stop-sessions"
wait "$SAMPLER" 2>/dev/null

cat "$TMP"/crowd.[1-5] >"$TMP/crowd"
total=$(wc -l <"$TMP/crowd")
bad=$(awk '$1 != 200' "$TMP/crowd" | wc -l)
cmax=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { printf "%d", m * 1000 }' "$TMP/crowd")
check "50 parallel scrapers: $total requests (600 sent), every one answered 200 ($bad did not)" \
	test "$total" = 600 -a "$bad" = 0 || diag "$(awk '$1 != 200' "$TMP/crowd" | head -n 5)"
check "50 parallel scrapers: each answered within 2 s (slowest $cmax ms)" test "$cmax" -lt 2000
scrape_latency_check "$TMP/probe" 250 "a probe from 127.0.0.1 during slowloris and the crowd"
summary=$(grep '"summary"' "$TMP/slowloris.log")
kept=$(sed 's/.*"kept": \([0-9]*\).*/\1/' <<<"$summary")
opened=$(sed 's/.*"opened": \([0-9]*\).*/\1/' <<<"$summary")
check "slowloris: of $opened connections from one address (more than 16) the agent kept at most 16 (http_per_ip_connections): $kept" \
	test -n "$kept" -a "${kept:-99}" -le 16 -a "${opened:-0}" -gt 16
check "slowloris: the agent's fds stayed bounded ($fd0 before, at most $fdmax during)" \
	test "$fdmax" -le $((fd0 + 16 + 12))
pmax=$(awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }' "$TMP/sessions")
rmax=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$TMP/sessions")
check "PostgreSQL saw at most one agent session throughout ($pmax, $(wc -l <"$TMP/sessions") samples)" test "$pmax" -le 1
check "Redis saw at most one agent connection throughout ($rmax)" test "$rmax" -le 1
check "after it all, the agent's fds are back at the baseline" wait_for 5 sh -c "[ \$(ls /proc/$AGENT_PID/fd | wc -l) -le $fd0 ]" ||
	diag "$(agent_fds) fds"
check "and its threads ($th0 -> $(agent_threads))" test "$(agent_threads)" = "$th0"
stop_agent
done_testing
