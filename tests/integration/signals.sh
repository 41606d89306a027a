#!/bin/bash
# signals.sh -- SIGHUP with a bad then a good config (the port stays up,
# the reload metrics tell), targets added and removed by a reload, and
# SIGTERM / SIGINT stopping the agent within 2 s.
. "$(dirname "$0")/lib.sh"
require curl

host_config "$TMP/agent.ini"
cp "$TMP/agent.ini" "$TMP/good.ini"
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "host metrics arrive" wait_for 10 has_metric node_load1
check "dbpulse_config_last_reload_successful starts at 1" \
	test "$(metric_value dbpulse_config_last_reload_successful)" = 1
ts1=$(metric_value dbpulse_config_last_reload_success_timestamp_seconds)

# a bad config: logged with its line, the old one keeps running
printf '[host]\ninterval = sometimes\n' >"$TMP/agent.ini"
kill -HUP "$AGENT_PID"
check "a bad reload is reported in the metrics" \
	wait_for 5 sh -c "curl -sS '$URL/metrics' | grep -q '^dbpulse_config_last_reload_successful 0'"
check "a bad reload is logged with file and line" \
	grep -qF "$TMP/agent.ini:2: [host] interval: expected a duration" "$TMP/agent.log"
check "the old config keeps running after a bad reload" has_metric node_load1
check "the port keeps answering after a bad reload" test "$(curl -sS "$URL/healthz")" = ok

# a good config that disables the host target
sed 's/^interval = 1s/enabled = false/' "$TMP/good.ini" >"$TMP/agent.ini"
sleep 1.1 # a new success timestamp must differ
kill -HUP "$AGENT_PID"
check "a good reload is reported in the metrics" \
	wait_for 5 sh -c "curl -sS '$URL/metrics' | grep -q '^dbpulse_config_last_reload_successful 1'"
ts2=$(metric_value dbpulse_config_last_reload_success_timestamp_seconds)
check "the success timestamp moves ($ts1 -> $ts2)" awk -v a="$ts1" -v b="$ts2" 'BEGIN { exit !(b > a) }'
scrape >"$TMP/after.prom"
check "a disabled target leaves /metrics at once (a scrape with the agent's own metrics, no node_load1)" \
	sh -c "grep -q '^dbpulse_config_last_reload_successful 1' '$TMP/after.prom' && ! grep -q '^node_load1 ' '$TMP/after.prom'"
check "the same port serves after the reload" test "$(curl -sS "$URL/healthz")" = ok

# and enables it again
cp "$TMP/good.ini" "$TMP/agent.ini"
kill -HUP "$AGENT_PID"
check "a re-enabled target comes back" wait_for 10 has_metric node_load1
check "the reload is logged" grep -q 'msg="configuration reloaded: 1 targets"' "$TMP/agent.log"

# reloads that change only the HTTP limits never close the port
port=${URL##*:}
( fails=0
  end=$(($(date +%s) + 3))
  while [ "$(date +%s)" -lt "$end" ]; do
	curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$port/healthz" || fails=$((fails + 1))
	sleep 0.02
  done
  echo "$fails" >"$TMP/fails" ) &
poller=$!
for t in 2s 3s 4s 5s 6s; do
	sed "s/^state_dir.*/&\nhttp_timeout = $t/" "$TMP/good.ini" >"$TMP/agent.ini"
	kill -HUP "$AGENT_PID"
	sleep 0.4
done
wait $poller
check "5 reloads of the HTTP limits: no request refused ($(cat "$TMP/fails") failed)" test "$(cat "$TMP/fails")" = 0
check "the limits reloads succeeded" test "$(metric_value dbpulse_config_last_reload_successful)" = 1
check "the port is the same after them" test "$(curl -sS "http://127.0.0.1:$port/healthz")" = ok

# SIGTERM within 2 s
start=$(date +%s%N)
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
AGENT_PID=
check "SIGTERM: exit status 0" test $rc = 0
check "SIGTERM: stopped within 2 s (${ms} ms)" test $ms -lt 2000
check "SIGTERM: the stop is logged" grep -q 'msg=stopped' "$TMP/agent.log"

# SIGINT, in the middle of a collection schedule
start_agent "$TMP/agent.ini" || { not_ok "agent restarts"; done_testing; }
wait_for 10 has_metric node_load1
start=$(date +%s%N)
kill -INT "$AGENT_PID"
wait "$AGENT_PID"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
AGENT_PID=
check "SIGINT: exit status 0 within 2 s (${ms} ms)" test $rc = 0 -a $ms -lt 2000
done_testing
