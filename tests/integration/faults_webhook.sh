#!/bin/bash
# faults_webhook.sh -- webhook receivers that misbehave (fakes.py http MODE):
#   silent     reads the request, never answers
#   drip       answers "200 OK" one byte per second
#   huge       "200 OK", Content-Length 2^40, then 16 MiB/s of body
#   redirect   "302 Found" to another (working) receiver
# (huge is a case of its own: see huge_body below.)
# For the others, with a rule that fires at the first collection and a webhook
# whose timeout is 1.5 s: every attempt ends at the timeout (the fake sees
# the agent close it 1.5 s +/- 0.5 s after it connected; a redirect at
# once), the failure is counted, the redirect is not followed (the other
# receiver gets nothing), the notification stays in the outbox, and once a
# well-behaved receiver (receiver.py) takes the port it is delivered, once,
# with the webhook-id of the failed attempts.  The huge body must not grow
# the agent's peak RSS by 8 MiB or more.
. "$(dirname "$0")/lib.sh"
require curl python3

TIMEOUT_MS=1500

# agent_config FILE STATE URL
agent_config() {
	host_config "$1"
	sed -i "s|^state_dir = .*|state_dir = $2|; s|^log_level = .*|log_level = info|" "$1"
	cat >>"$1" <<-INI
	[alert "HostUp"]
	expr = dbpulse_up{target="host"} == 1
	severity = info
	[webhook "hook"]
	url = $3
	format = json
	timeout = ${TIMEOUT_MS}ms
	max_backoff = 1s
	INI
}
fake_events() { # fake_events NAME EVENT: how many
	[ -f "$TMP/$1.fake.log" ] && grep -c "\"event\": \"$2\"" "$TMP/$1.fake.log" || echo 0
}
fake_requests_at_least() { [ "$(fake_events "$1" request)" -ge "$2" ]; }
requests() { [ -f "$TMP/$1.log" ] && wc -l <"$TMP/$1.log" || echo 0; }
at_least() { [ "$(requests "$1")" -ge "$2" ]; }
failed_total() {
	scrape | awk '/^dbpulse_notifications_failed_total\{receiver="hook"/ { s += $NF } END { print s + 0 }'
}
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null; }

# the other receiver, where the redirect points
receiver_start elsewhere 200 || { not_ok "receiver starts"; done_testing; }
ELSEWHERE=$RECV_URL
ELSEWHERE_PID=$RECV_PID

# misbehave MODE WHAT [fakes.py options...]
misbehave() {
	local mode=$1 what=$2 port durs h0 h1 f0 f1 ids
	shift 2
	port=$(free_port)
	start_fake "$mode" http "$mode" --port "$port" "$@" || { not_ok "$what: the fake starts"; return; }
	agent_config "$TMP/$mode.ini" "$TMP/state-$mode" "http://127.0.0.1:$port/hook"
	start_agent "$TMP/$mode.ini" || { not_ok "$what: agent starts"; return; }
	h0=$(hwm_kb)
	check "$what: the agent tries twice" wait_for 12 fake_requests_at_least "$mode" 2
	wait_for 4 sh -c "[ \$(grep -c '\"event\": \"close\"' '$TMP/$mode.fake.log') -ge 2 ]"
	h1=$(hwm_kb)
	durs=$(python3 -c '
import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join("%d" % (e["duration"] * 1000) for e in c if e["event"] == "close"))' "$TMP/$mode.fake.log")
	if [ "$mode" = redirect ]; then
		check "$what: each attempt ends at once ($durs ms)" \
			awk -v d="$durs" 'BEGIN { n = split(d, a, " "); for (i = 1; i <= n; i++) if (a[i] > 1000) exit 1; exit n < 2 }'
		check "$what: the redirect is not followed (the other receiver got $(requests elsewhere) requests)" \
			test "$(requests elsewhere)" = 0
	else
		check "$what: each attempt ends at the ${TIMEOUT_MS} ms timeout ($durs ms)" \
			awk -v d="$durs" -v t="$TIMEOUT_MS" 'BEGIN { n = split(d, a, " "); for (i = 1; i <= n; i++) if (a[i] < t - 100 || a[i] > t + 500) exit 1; exit n < 2 }'
		check "$what: counted as timeouts" \
			has_metric 'dbpulse_notifications_failed_total{receiver="hook",reason="timeout"} [1-9]'
	fi
	f1=$(failed_total)
	check "$what: the failed attempts are counted ($f1)" test "$f1" -ge 2
	check "$what: the notification waits in the outbox" \
		test "$(metric_value 'dbpulse_notification_queue_length{receiver="hook"}')" = 1
	if [ "$mode" = huge ]; then
		if sanitizer_build; then
			ok "$what: peak RSS grew by less than 8 MiB # SKIP sanitizer build (VmHWM $h0 -> $h1 kB)"
		else
			check "$what: peak RSS grew by less than 8 MiB (VmHWM $h0 -> $h1 kB)" test $((h1 - h0)) -lt 8192
		fi
	fi
	# a receiver that behaves takes the port
	bg_stop "$FAKE_PID"
	receiver_start "$mode" 200 "$port" || { not_ok "$what: receiver starts"; return; }
	check "$what: once the receiver behaves, the notification is delivered" wait_for 10 at_least "$mode" 1
	sleep 1
	check "$what: exactly once" test "$(requests "$mode")" = 1
	ids=$(python3 -c '
import json, sys
ids, without, n = set(), 0, 0
requests = [json.loads(l) for l in open(sys.argv[1])]
requests = [e["headers"] for e in requests if e["event"] == "request"]
requests += [json.loads(l)["headers"] for l in open(sys.argv[2])]
for headers in requests:
    n += 1
    if headers.get("webhook-id"):
        ids.add(headers["webhook-id"])
    else:
        without += 1
print("%d %d %s" % (n, without, " ".join(sorted(ids))))' "$TMP/$mode.fake.log" "$TMP/$mode.log")
	read -r n without ids <<<"$ids"
	check "$what: all $n requests (attempts and the delivery) carry a webhook-id ($without without)" \
		test "$n" -ge 2 -a "$without" = 0
	check "$what: one webhook-id for all of them ($ids)" test "$(wc -w <<<"$ids")" = 1
	check "$what: the outbox is empty" \
		test "$(metric_value 'dbpulse_notification_queue_length{receiver="hook"}')" = 0
	stop_agent
	bg_stop "$RECV_PID"
}

misbehave silent "a receiver that never answers"
misbehave drip "a receiver that answers one byte per second" --interval 1
# A receiver that answers 200 and then an endless body: the agent reads
# 64 KiB of it (webhook_response_bytes), keeps the status and stops: the
# notification is delivered, once, and memory stays bounded.
huge_body() {
	local what="a receiver that answers 200 with an endless body" port h0 h1 durs
	port=$(free_port)
	start_fake huge http huge --port "$port" --rate $((16 << 20)) --cap $((256 << 20)) ||
		{ not_ok "$what: the fake starts"; return; }
	agent_config "$TMP/huge.ini" "$TMP/state-huge" "http://127.0.0.1:$port/hook"
	start_agent "$TMP/huge.ini" || { not_ok "$what: agent starts"; return; }
	h0=$(hwm_kb)
	check "$what: the agent posts its notification" wait_for 12 fake_requests_at_least huge 1
	check "$what: it stops reading at the cap (counted)" wait_for 10 \
		has_metric 'dbpulse_webhook_limit_reached_total{limit="webhook_response_bytes",receiver="hook"} [1-9]'
	wait_for 4 sh -c "grep -q '\"event\": \"close\"' '$TMP/huge.fake.log'"
	durs=$(python3 -c '
import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join("%d" % (e["duration"] * 1000) for e in c if e["event"] == "close"))' "$TMP/huge.fake.log")
	check "$what: the attempt ends well before the timeout ($durs ms)" \
		awk -v d="$durs" -v t="$TIMEOUT_MS" 'BEGIN { n = split(d, a, " "); for (i = 1; i <= n; i++) if (a[i] > t / 2) exit 1; exit n < 1 }'
	check "$what: the 200 counts: delivered, the outbox is empty" wait_for 5 sh -c \
		"curl -s '$URL/metrics' | grep -q '^dbpulse_notification_queue_length{receiver=\"hook\"} 0'"
	sleep 1
	check "$what: exactly once" test "$(fake_events huge request)" = 1
	h1=$(hwm_kb)
	if sanitizer_build; then
		ok "$what: peak RSS grew by less than 8 MiB # SKIP sanitizer build (VmHWM $h0 -> $h1 kB)"
	else
		check "$what: peak RSS grew by less than 8 MiB (VmHWM $h0 -> $h1 kB)" test $((h1 - h0)) -lt 8192
	fi
	stop_agent
	bg_stop "$FAKE_PID"
}
huge_body
misbehave redirect "a receiver that redirects (302)" --location "$ELSEWHERE"
check "the redirect's target never got a request" test "$(requests elsewhere)" = 0
bg_stop "$ELSEWHERE_PID"
done_testing
