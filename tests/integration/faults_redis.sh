#!/bin/bash
# faults_redis.sh -- a fake Redis (fakes.py redis MODE) on a Redis target's
# port that answers INFO with garbage or with far too much:
#   badtype    a reply type byte that does not exist ("?garbage")
#   hugearray  an array of 2^40 elements
#   nested     arrays nested without end ("*1" forever)
#   biginfo    a well-formed INFO of 8 MiB of made-up fields
#   hugebulk   a bulk string of 2^40 bytes, then 16 MiB/s of data (64 MiB at most)
# For the malformed ones: redis_up 0, the error counted in
# dbpulse_collect_errors_total, the connection dropped by the agent within
# the timeout (+ 1 s); for all: the agent's peak RSS (VmHWM, reset through
# /proc/PID/clear_refs before each where the kernel allows) grows by less
# than 32 MiB (96 MiB for the 8 MiB INFO), its RSS comes back, /metrics
# answers, and the next cycles against the real Redis on the same port
# work (redis_up 1, one connection).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis_lib.sh"
require curl python3
redis_require

redis_start || { not_ok "Redis starts"; done_testing; }
export REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD"
TIMEOUT_MS=500
cat >"$TMP/agent.ini" <<INI
[agent]
listen = 127.0.0.1:0
log_level = info
state_dir = $TMP/state
[host]
enabled = false
[redis "rd"]
address = $REDIS_ADDRESS
username = dbpulse
password_env = REDISTEST_PASSWORD
interval = 1s
timeout = ${TIMEOUT_MS}ms
INI
redis_conns() { redis_cli CLIENT LIST 2>/dev/null | grep -c 'name=dbpulse '; }
redis_one_conn() { [ "$(redis_conns)" = 1 ]; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null; }
errors() { metric_value 'dbpulse_collect_errors_total{target="rd"}'; }

# an allocation of 2^40 * 8 bytes fails (calloc returns NULL) in a normal
# build; ASan would abort the process instead unless told to return NULL
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "redis_up 1 at start" wait_for 15 has_metric 'redis_up{target="rd"} 1'
wait_collections rd 2
rss_base=$(agent_rss_kb)
diag "baseline: RSS $rss_base kB, VmHWM $(hwm_kb) kB, $(agent_threads) threads, $(agent_fds) fds"

# bad_reply MODE WHAT HWM_BOUND_KB [fakes.py options...]
bad_reply() {
	local mode=$1 what=$2 bound=$3 e0 e1 h0 h1 rss up ms accepted closed dur
	shift 3
	e0=$(errors)
	# reset the peak (VmHWM) to the current RSS: without it the bound below
	# would be measured against an older, higher peak
	local reset=1
	echo 5 2>/dev/null >"/proc/$AGENT_PID/clear_refs" || reset=0
	h0=$(hwm_kb)
	redis_stop
	start_fake "$mode" redis "$mode" --port "$REDIS_PORT_TEST" "$@" ||
		{ not_ok "$what: the fake starts"; return; }
	if [ "$mode" = biginfo ]; then
		# well-formed: it may be taken (its unknown fields ignored) or refused
		wait_for 5 sh -c "grep -qs '\"INFO\"' '$TMP/$mode.fake.log'"
		wait_collections rd 2
		up=$(metric_value 'redis_up{target="rd"}')
		n=$(scrape | grep -c '^[a-z_]*{target="rd"')
		check "$what: taken or refused (redis_up $up), the exposition stays bounded ($n series of rd)" \
			test "$n" -lt 500
	else
		check "$what: redis_up 0 within two intervals" wait_for 3 has_metric 'redis_up{target="rd"} 0'
		wait_collections rd 1
		e1=$(errors)
		check "$what: counted in dbpulse_collect_errors_total ($e0 -> $e1)" test "${e1:-0}" -gt "${e0:-0}"
		check "$what: the agent drops the connection" \
			wait_for 3 sh -c "grep -qs '\"event\": \"close\"' '$TMP/$mode.fake.log'"
		dur=$(python3 -c '
import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
print("%d" % max((e["duration"] * 1000 for e in c if e["event"] == "close"), default=-1))' "$TMP/$mode.fake.log")
		check "$what: within the timeout + 1 s (the longest connection lasted $dur ms)" \
			test "$dur" -ge 0 -a "$dur" -le $((TIMEOUT_MS + 1000))
	fi
	ms=$(scrape_ms)
	check "$what: /metrics answers meanwhile ($ms ms)" test "$ms" != fail
	bg_stop "$FAKE_PID"
	h1=$(hwm_kb)
	if sanitizer_build; then
		ok "$what: peak RSS grew by less than $((bound / 1024)) MiB # SKIP sanitizer build (VmHWM $h0 -> $h1 kB)"
	elif [ "$reset" = 0 ]; then
		not_ok "$what: peak RSS grew by less than $((bound / 1024)) MiB: the peak could not be reset (/proc/$AGENT_PID/clear_refs refused the write)"
	else
		check "$what: peak RSS grew by less than $((bound / 1024)) MiB (VmHWM $h0 -> $h1 kB)" \
			test $((h1 - h0)) -lt "$bound"
	fi
	redis_restart
	# (after biginfo redis_up may be 1 already, from the fake: the real
	# server's answer is a collection that ends after the restart)
	check "$what, then the real Redis: the agent connects within two intervals" \
		wait_for 3 redis_one_conn
	wait_collections rd 1
	check "$what, then the real Redis: a collection after it says redis_up 1" \
		has_metric 'redis_up{target="rd"} 1'
	check "$what, then the real Redis: one agent connection" test "$(redis_conns)" = 1
	check "$what: the agent is alive" agent_alive
	rss=$(agent_rss_kb)
	diag "$what: RSS now $rss kB (baseline $rss_base kB), VmHWM $h1 kB"
}

bad_reply badtype "a reply type byte that does not exist" $((32 * 1024))
bad_reply hugearray "an array of 2^40 elements" $((32 * 1024))
bad_reply nested "arrays nested without end" $((32 * 1024)) --rate $((4 << 20)) --cap $((16 << 20))
bad_reply biginfo "an INFO of 8 MiB" $((96 * 1024)) --size $((8 << 20))
bad_reply hugebulk "a bulk length of 2^40 (then 16 MiB/s)" $((32 * 1024)) --rate $((16 << 20)) --cap $((64 << 20))

rss=$(agent_rss_kb)
if sanitizer_build; then
	ok "RSS back near the baseline # SKIP sanitizer build ($rss_base -> $rss kB)"
else
	check "RSS back within 16 MiB of the baseline at the end ($rss_base -> $rss kB)" test $((rss - rss_base)) -lt 16384
fi
stop_agent
done_testing
