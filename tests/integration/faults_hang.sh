#!/bin/bash
# faults_hang.sh -- servers that accept TCP and then never answer, on a
# PostgreSQL target's port and on a Redis target's port (fakes.py silent),
# and a Redis that answers INFO one byte every 200 ms (fakes.py redis
# dribble: every read returns well before the timeout, the reply takes
# minutes).  For each: the collection ends at the target's timeout
# (dbpulse_collect_duration_seconds <= timeout + 250 ms), *_up is 0 within
# two intervals, collections keep their schedule, /metrics stays fast
# (scraped every 100 ms), the thread count does not move, and once the
# fake is replaced by the real server on the same port the target is up
# again with one session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/redis_lib.sh"
require curl python3
pg_require
redis_require

pg_start || { not_ok "PostgreSQL starts"; done_testing; }
redis_start || { not_ok "Redis starts"; done_testing; }
export PGTEST_PASSWORD="$PG_PASSWORD" REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD"
TIMEOUT_MS=500

cat >"$TMP/agent.ini" <<INI
[agent]
listen = 127.0.0.1:0
log_level = info
state_dir = $TMP/state
[host]
enabled = false
[postgres "pg"]
dsn = $PG_DSN
password_env = PGTEST_PASSWORD
interval = 1s
timeout = ${TIMEOUT_MS}ms
slow_interval = 5s
[redis "rd"]
address = $REDIS_ADDRESS
username = dbpulse
password_env = REDISTEST_PASSWORD
interval = 1s
timeout = ${TIMEOUT_MS}ms
INI

pg_sessions() {
	PGOPTIONS="-c pg_stat_statements.track=none" \
		pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbpulse'" 2>/dev/null
}
redis_conns() { redis_cli CLIENT LIST 2>/dev/null | grep -c 'name=dbpulse '; }

start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "pg_up 1 at start" wait_for 15 has_metric 'pg_up{target="pg"} 1'
check "redis_up 1 at start" wait_for 15 has_metric 'redis_up{target="rd"} 1'
wait_collections pg 2
wait_collections rd 2
th0=$(agent_threads)
fd0=$(agent_fds)
diag "baseline: $th0 threads, $fd0 fds"

# hang_phase TARGET UPMETRIC WHAT SECONDS: the fake runs now; watches it
# for SECONDS with the scraper on, then checks
hang_phase() {
	local target=$1 up=$2 what=$3 secs=$4 c0 c1 s0 s1 t tmax=0 i dur age
	SCRAPE_LOAD0=$(cut -d' ' -f1 /proc/loadavg)
	scraper_start "$TMP/$target.scrapes" "$up{target=\"$target\"}" \
		"dbpulse_collect_duration_seconds{target=\"$target\"}"
	check "$what: ${up} 0 within two intervals" wait_for 2 has_metric "$up{target=\"$target\"} 0"
	c0=$(collections_of "$target")
	s0=$(metric_value "dbpulse_collect_skipped_total{target=\"$target\"}")
	local w0=$EPOCHREALTIME w1 least
	for i in $(seq 1 $((secs * 5))); do
		t=$(agent_threads)
		[ "$t" -gt "$tmax" ] && tmax=$t
		sleep 0.2
	done
	c1=$(collections_of "$target")
	w1=$EPOCHREALTIME
	s1=$(metric_value "dbpulse_collect_skipped_total{target=\"$target\"}")
	# a failed cycle is retried 1 s (the interval) after it ends: one
	# collection every timeout + 1 s, 100 ms allowed for the machine
	least=$(awk -v a="$w0" -v b="$w1" -v p="$((TIMEOUT_MS + 1100))" \
		'BEGIN { printf "%d", (b - a) * 1000 / p }')
	age=$(awk -v t="$(metric_value "dbpulse_last_collect_timestamp_seconds{target=\"$target\"}")" \
		-v n="$EPOCHREALTIME" 'BEGIN { printf "%.1f", n - t }')
	scraper_stop
	# the durations of the collections published while the fake ran
	dur=$(awk '$4 == 0 && $5 != "-" { if ($5 > m) m = $5 } END { printf "%d", m * 1000 }' "$TMP/$target.scrapes")
	check "$what: each collection ends at the timeout (longest ${dur} ms, timeout ${TIMEOUT_MS} ms)" \
		test "$dur" -le $((TIMEOUT_MS + 250)) -a "$dur" -gt 0
	check "$what: collections keep their schedule, one every timeout + 1 s ($((c1 - c0)) in $(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.1f", b - a }') s, at least $least; $((${s1:-0} - ${s0:-0})) skipped)" \
		test $((c1 - c0)) -ge "$least" -a "$least" -ge 2
	check "$what: the last published collection is at most two intervals old (${age} s)" \
		awk -v a="$age" 'BEGIN { exit !(a <= 2.0) }'
	check "$what: no thread added ($th0 before, at most $tmax during)" test "$tmax" -le "$th0"
	scrape_latency_check "$TMP/$target.scrapes" 100 "$what"
}

# ---- PostgreSQL's port: accepts, never answers -------------------------------------
pg_stop
start_fake pghang silent --port "$PGPORT_TEST" || { not_ok "the silent fake starts on $PGPORT_TEST"; done_testing; }
hang_phase pg pg_up "PostgreSQL port that never answers" 4
check "the agent did connect to the silent fake" grep -q '"event": "accept"' "$TMP/pghang.fake.log"
bg_stop "$FAKE_PID"
pg_restart
check "PostgreSQL back on its port: pg_up 1 within two intervals" wait_for 3 has_metric 'pg_up{target="pg"} 1'
check "PostgreSQL back: one agent session" test "$(pg_sessions)" = 1
check "PostgreSQL back: threads at the baseline" test "$(agent_threads)" = "$th0"

# ---- Redis's port: accepts, never answers ------------------------------------------
redis_stop
start_fake rdhang silent --port "$REDIS_PORT_TEST" || { not_ok "the silent fake starts on $REDIS_PORT_TEST"; done_testing; }
hang_phase rd redis_up "Redis port that never answers" 4
check "the agent did connect to the silent fake" grep -q '"event": "accept"' "$TMP/rdhang.fake.log"
bg_stop "$FAKE_PID"
redis_restart
check "Redis back on its port: redis_up 1 within two intervals" wait_for 3 has_metric 'redis_up{target="rd"} 1'
check "Redis back: one agent connection" test "$(redis_conns)" = 1

# ---- Redis's port: answers INFO one byte every 200 ms ---------------------------------
# Every read returns before a per-read socket timeout would fire, so only
# a deadline on the whole command ends the collection at the timeout.
redis_stop
start_fake rddrip redis dribble --interval 0.2 --port "$REDIS_PORT_TEST" ||
	{ not_ok "the dribbling fake starts on $REDIS_PORT_TEST"; done_testing; }
hang_phase rd redis_up "Redis that answers one byte every 200 ms" 4
n=$(grep -c '"event": "accept"' "$TMP/rddrip.fake.log")
closed=$(grep -c '"event": "close"' "$TMP/rddrip.fake.log")
check "dribbling Redis: the agent gave up on its connection(s) ($n accepted, $closed closed by the agent)" \
	test "$n" -ge 1 -a "$closed" -ge 1
bg_stop "$FAKE_PID"
redis_restart
check "Redis back after the dribble: redis_up 1 within two intervals" wait_for 3 has_metric 'redis_up{target="rd"} 1'
check "Redis back after the dribble: one agent connection" test "$(redis_conns)" = 1
check "threads at the baseline at the end ($th0 -> $(agent_threads))" test "$(agent_threads)" = "$th0"
check "fds at the baseline at the end ($fd0 -> $(agent_fds))" test "$(agent_fds)" = "$fd0"
stop_agent
done_testing
