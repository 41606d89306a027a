#!/bin/bash
# faults_reload.sh -- 100 SIGHUPs in about a second, the file alternating
# between good configurations (A: host + a [redis "flap"] target; B: host
# only) and a bad one (an invalid duration), each written atomically
# (rename) before its signal.  Then: the agent is alive and serves; the
# configuration that runs is the last good one it read (by the last
# "configuration reloaded: N targets" line of its log: 2 targets = A, the
# flap target is in /metrics; 1 = B, it is not); the last reload read the
# bad file (dbpulse_config_last_reload_successful 0).  A good reload and a
# bad one after the storm behave (the good one runs, the bad one keeps it).
# Open fds and threads are those of the same configuration before the
# storm, RSS grew by less than 1 MiB (not in sanitizer builds).
. "$(dirname "$0")/lib.sh"
require curl

# good_a, good_b, bad
host_config "$TMP/good_b.ini"
sed -i 's/^log_level = .*/log_level = info/' "$TMP/good_b.ini"
cp "$TMP/good_b.ini" "$TMP/good_a.ini"
printf '[redis "flap"]\naddress = 127.0.0.1:1\ninterval = 1s\ntimeout = 200ms\n' >>"$TMP/good_a.ini"
sed 's/^interval = 1s$/interval = sometimes/' "$TMP/good_b.ini" >"$TMP/bad.ini"
put() { cp -f "$TMP/$1.ini" "$TMP/next.ini" && mv -f "$TMP/next.ini" "$TMP/agent.ini"; }
flap_present() { has_metric 'dbpulse_up{target="flap"'; }
reloads() { grep -c 'msg="reloading' "$TMP/agent.log"; }

put good_a
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "config A runs: the flap target is in /metrics" wait_for 10 flap_present
wait_collections host 2
fd0=$(agent_fds)
th0=$(agent_threads)
rss0=$(agent_rss_kb)
diag "config A: $fd0 fds, $th0 threads, RSS $rss0 kB"

# the storm, from one process (no fork between two signals): write the
# file (temporary copy, rename), send SIGHUP, every 10 ms
secs=$(python3 - "$TMP" "$AGENT_PID" <<'PY'
import os, shutil, signal, sys, time
tmp, pid = sys.argv[1], int(sys.argv[2])
t0 = time.time()
for i in range(100):
    src = {0: "good_b", 2: "good_a"}.get(i % 4, "bad")
    shutil.copyfile(os.path.join(tmp, src + ".ini"), os.path.join(tmp, "next.ini"))
    os.rename(os.path.join(tmp, "next.ini"), os.path.join(tmp, "agent.ini"))
    os.kill(pid, signal.SIGHUP)
    time.sleep(max(0, t0 + (i + 1) * 0.0099 - time.time()))
print("%.2f" % (time.time() - t0))
PY
)
# wait until the reloads settle (no new one for a second)
n=-1
for _ in $(seq 1 30); do
	m=$(reloads)
	[ "$m" = "$n" ] && break
	n=$m
	sleep 1
done
check "100 SIGHUPs sent in ${secs} s; the agent is alive after $(reloads) reloads" agent_alive
check "it still serves /metrics" has_metric dbpulse_config_last_reload_successful
check "the last reload read the bad file: dbpulse_config_last_reload_successful 0" \
	test "$(metric_value dbpulse_config_last_reload_successful)" = 0
last=$(grep -E 'msg="configuration reloaded: [0-9]+ targets"' "$TMP/agent.log" | tail -n 1 |
	sed 's/.*reloaded: \([0-9]*\) targets.*/\1/')
last_outcome=$(grep -E 'msg="(configuration reloaded|reload failed)' "$TMP/agent.log" | tail -n 1)
check "the last outcome in the log is a failure" grep -q 'reload failed' <<<"$last_outcome"
case $last in
2) check "the last good configuration read (A, 2 targets) runs: flap is in /metrics" wait_for 3 flap_present ;;
1) check "the last good configuration read (B, 1 target) runs: flap is not in /metrics" \
	wait_for 3 sh -c "! curl -sS '$URL/metrics' | grep -q 'target=\"flap\"'" ;;
*) not_ok "a good configuration was loaded during the storm (last success: '${last:-none}')" ;;
esac
check "host metrics still arrive" wait_collections host 1

# after the storm: good A, then bad
put good_a
kill -HUP "$AGENT_PID"
check "a good reload after the storm is taken (success 1)" \
	wait_for 5 sh -c "curl -sS '$URL/metrics' | grep -q '^dbpulse_config_last_reload_successful 1'"
check "and config A runs" wait_for 3 flap_present
put bad
kill -HUP "$AGENT_PID"
check "a bad reload after it is refused (success 0)" \
	wait_for 5 sh -c "curl -sS '$URL/metrics' | grep -q '^dbpulse_config_last_reload_successful 0'"
check "and config A keeps running" flap_present
wait_collections host 2
sleep 1
f=$(agent_fds)
t=$(agent_threads)
rss=$(agent_rss_kb)
check "open fds as before the storm ($fd0 -> $f)" test "$f" = "$fd0" ||
	diag "$(ls -l "/proc/$AGENT_PID/fd")"
check "threads as before the storm ($th0 -> $t)" test "$t" = "$th0"
if sanitizer_build; then
	ok "RSS grew by less than 1 MiB # SKIP sanitizer build ($rss0 -> $rss kB; LSan checks leaks at exit)"
else
	check "RSS grew by less than 1 MiB ($rss0 -> $rss kB)" test $((rss - rss0)) -lt 1024
fi
check "no crash: the agent is alive" agent_alive
stop_agent
done_testing
