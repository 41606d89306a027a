#!/bin/bash
# alerts.sh -- alert delivery against a real HTTP receiver (receiver.py):
# the Alertmanager payload, retries on 503 with one notification id and a
# valid Standard Webhooks signature, Retry-After on 429, dead letters on
# 400, nothing lost across a SIGKILL while the receiver is down, a reload
# that removes a rule resolves its alerts, and --test-webhook.
. "$(dirname "$0")/lib.sh"
require curl python3
RECEIVER="$(dirname "$0")/receiver.py"
RECEIVER_PIDS=

# start_receiver NAME RESPOND [PORT]: sets RECV_URL; requests go to $TMP/NAME.log
start_receiver() {
	local name=$1 respond=$2 port=${3:-0} i
	rm -f "$TMP/$name.port"
	: >>"$TMP/$name.log"
	python3 "$RECEIVER" --port "$port" --port-file "$TMP/$name.port" --log "$TMP/$name.log" \
		--respond "$respond" &
	RECEIVER_PIDS="$RECEIVER_PIDS $!"
	eval "PID_$name=$!"
	for i in $(seq 1 50); do
		[ -s "$TMP/$name.port" ] && break
		sleep 0.1
	done
	RECV_URL="http://127.0.0.1:$(cat "$TMP/$name.port")/hook"
}
stop_receiver() { local v="PID_$1"; kill "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null; }
requests() { [ -f "$TMP/$1.log" ] && wc -l <"$TMP/$1.log" || echo 0; }
at_least() { [ "$(requests "$1")" -ge "$2" ]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# py NAME 'expression over reqs (the logged requests)': prints its value
py() {
	python3 - "$TMP/$1.log" "$2" <<'PY'
import base64, hashlib, hmac, json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
print(eval(sys.argv[2]))
PY
}
trap 'for p in $RECEIVER_PIDS; do kill $p 2>/dev/null; done; cleanup' EXIT

# agent_config FILE STATE_DIR WEBHOOK_LINES... : host at 1 s, one rule that
# fires at once, one webhook "hook"
agent_config() {
	local file=$1 state=$2
	shift 2
	host_config "$file"
	sed -i "s|^state_dir = .*|state_dir = $state|" "$file"
	{
		echo '[alert "HostUp"]'
		echo 'expr = dbpulse_up{target="host"} == 1'
		echo 'severity = info'
		echo 'labels = team=db'
		echo 'summary = {{ $labels.target }} collects'
		echo '[webhook "hook"]'
		for line in "$@"; do echo "$line"; done
	} >>"$file"
}

# ---- the Alertmanager payload, and a reload that removes the rule ----------
start_receiver am 200
agent_config "$TMP/am.ini" "$TMP/state-am" "url = $RECV_URL" "format = alertmanager"
start_agent "$TMP/am.ini" || { not_ok "agent starts"; done_testing; }
check "the receiver gets a firing notification" wait_for 10 at_least am 1
check "it is Alertmanager's webhook payload, version 4" \
	test "$(py am 'reqs[0]["body"]["version"] + reqs[0]["body"]["status"] + reqs[0]["body"]["receiver"]')" = "4firinghook"
check "with the alert's labels and annotations" \
	test "$(py am 'sorted(reqs[0]["body"]["alerts"][0]["labels"].items()) == [("alertname","HostUp"),("collector","host"),("severity","info"),("target","host"),("team","db")] and reqs[0]["body"]["alerts"][0]["annotations"]["summary"] == "host collects"')" = True
check "a 16-digit fingerprint, startsAt and the zero endsAt" \
	test "$(py am 'len(reqs[0]["body"]["alerts"][0]["fingerprint"]) == 16 and reqs[0]["body"]["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z" and reqs[0]["body"]["alerts"][0]["startsAt"].endswith("Z")')" = True
check "ALERTS shows the firing alert" has_metric 'ALERTS{alertname="HostUp",.*alertstate="firing"'
curl -s "$URL/api/alerts" >"$TMP/api.json"
check "/api/alerts lists it" \
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["data"]["alerts"]; sys.exit(not (len(a) == 1 and a[0]["state"] == "firing" and a[0]["labels"]["alertname"] == "HostUp"))' "$TMP/api.json"
sleep 2
check "no second notification while it keeps firing" test "$(requests am)" = 1
sed -i '/^\[alert "HostUp"\]/,/^summary/d' "$TMP/am.ini"
kill -HUP "$AGENT_PID"
check "a reload that removes the rule resolves its alert" wait_for 10 at_least am 2
check "the second notification says resolved, with endsAt" \
	test "$(py am 'reqs[1]["body"]["status"] == "resolved" and reqs[1]["body"]["alerts"][0]["endsAt"] != "0001-01-01T00:00:00Z"')" = True
check "delivered notifications are counted" \
	has_metric 'dbpulse_notifications_total{receiver="hook",status="resolved"} 1'
check "the outbox is empty" test "$(metric_value 'dbpulse_notification_queue_length{receiver="hook"}')" = 0
stop_agent
stop_receiver am

# ---- 503 for a while: retried with one id, signed ------------------------------
printf 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n' >"$TMP/secret"
chmod 600 "$TMP/secret"
start_receiver retry "503x3,200"
agent_config "$TMP/retry.ini" "$TMP/state-retry" "url = $RECV_URL" "format = json" \
	"secret_file = $TMP/secret" "max_backoff = 1s" "headers = X-Team: db"
start_agent "$TMP/retry.ini" || { not_ok "agent starts"; done_testing; }
check "after three 503 answers the fourth attempt is delivered" wait_for 20 at_least retry 4
check "the statuses were 503, 503, 503, 200" \
	test "$(py retry '[r["status"] for r in reqs[:4]]')" = "[503, 503, 503, 200]"
check "every attempt carried the same webhook-id" \
	test "$(py retry 'len(set(r["headers"]["webhook-id"] for r in reqs[:4])) == 1')" = True
check "the Standard Webhooks signature verifies" \
	test "$(py retry 'all(r["headers"]["webhook-signature"] == "v1," + base64.b64encode(hmac.new(base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), ("%s.%s.%s" % (r["headers"]["webhook-id"], r["headers"]["webhook-timestamp"], r["raw"])).encode(), hashlib.sha256).digest()).decode() for r in reqs[:4])')" = True
check "configured headers are sent" test "$(py retry 'reqs[0]["headers"].get("x-team")')" = db
check "failed attempts are counted by reason" \
	has_metric 'dbpulse_notifications_failed_total{receiver="hook",reason="http_5xx"} 3'
check "no secret in the log" sh -c "! grep -q MfKQ9r8 '$TMP/agent.log'"
stop_agent
stop_receiver retry

# ---- 429 with Retry-After: 3 -----------------------------------------------------
start_receiver slow "429x1:3,200"
agent_config "$TMP/slow.ini" "$TMP/state-slow" "url = $RECV_URL" "max_backoff = 1s"
start_agent "$TMP/slow.ini" || { not_ok "agent starts"; done_testing; }
check "after a 429 the notification is delivered" wait_for 15 at_least slow 2
check "the next attempt waited the 3 s of Retry-After" \
	test "$(py slow 'reqs[1]["t"] - reqs[0]["t"] >= 2.95')" = True
stop_agent
stop_receiver slow

# ---- 400: not retried, dead-lettered, counted --------------------------------------
start_receiver bad 400
agent_config "$TMP/bad.ini" "$TMP/state-bad" "url = $RECV_URL" "max_backoff = 1s"
start_agent "$TMP/bad.ini" || { not_ok "agent starts"; done_testing; }
check "the receiver gets the notification" wait_for 10 at_least bad 1
sleep 3
check "a 400 is not retried" test "$(requests bad)" = 1
check "it is counted as dropped (rejected)" \
	has_metric 'dbpulse_notifications_dropped_total{receiver="hook",reason="rejected"} 1'
check "and kept in the dead-letter folder" \
	sh -c "ls '$TMP/state-bad/deadletter/hook/' | grep -q json"
stop_agent
stop_receiver bad

# ---- receiver down, agent killed, both back: nothing lost ---------------------------
port=$(free_port)
agent_config "$TMP/kill.ini" "$TMP/state-kill" "url = http://127.0.0.1:$port/hook" "max_backoff = 1s"
start_agent "$TMP/kill.ini" || { not_ok "agent starts"; done_testing; }
check "while the receiver is down the notification waits in the outbox" \
	wait_for 10 sh -c "ls '$TMP/state-kill/outbox/hook/' 2>/dev/null | grep -q json"
check "attempts fail as connection errors" \
	wait_for 10 has_metric 'dbpulse_notifications_failed_total{receiver="hook",reason="connect"} [1-9]'
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=
start_receiver kill 200 "$port"
start_agent "$TMP/kill.ini" || { not_ok "agent restarts"; done_testing; }
check "after the restart the receiver gets the notification" wait_for 15 at_least kill 1
sleep 3
check "exactly once: the restart neither lost nor re-paged it" test "$(requests kill)" = 1
check "the outbox is empty again" sh -c "! ls '$TMP/state-kill/outbox/hook/' | grep -q json"
stop_agent
stop_receiver kill

# ---- --test-webhook -----------------------------------------------------------------
start_receiver probe 200
agent_config "$TMP/probe.ini" "$TMP/state-probe" "url = $RECV_URL"
check "--test-webhook reports a delivered test notification" \
	sh -c "'$DBPULSE' -c '$TMP/probe.ini' --test-webhook hook | grep -q 'delivered: HTTP 200'"
check "the receiver got the test alert" \
	test "$(py probe 'reqs[0]["body"]["alerts"][0]["labels"]["alertname"]')" = DbpulseTest
check "--test-webhook on an unknown name fails" \
	sh -c "! '$DBPULSE' -c '$TMP/probe.ini' --test-webhook nope 2>/dev/null"
stop_receiver probe

done_testing
