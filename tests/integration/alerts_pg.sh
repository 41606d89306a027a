#!/bin/bash
# alerts_pg.sh -- alert rules on a real PostgreSQL (pg_lib.sh), delivered to
# two test receivers and to a real Alertmanager (Debian's
# prometheus-alertmanager): a firing then a resolved Alertmanager payload
# for a rule on a real metric; PostgreSQL stopped pages exactly once per
# receiver (PostgresDown, none of the symptoms) and once more when it is
# back (resolved); the Alertmanager lists the agent's alerts with their
# labels and drops them when they resolve in the agent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
require curl python3
pg_require
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
[ -n "$AM_BIN" ] || skip_all "prometheus-alertmanager is not installed"
RECEIVER="$(dirname "$0")/receiver.py"
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; pg_cleanup; cleanup' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_receiver() { # start_receiver NAME: sets its URL in URL_NAME
	python3 "$RECEIVER" --port-file "$TMP/$1.port" --log "$TMP/$1.log" &
	PIDS="$PIDS $!"
	local i
	for i in $(seq 1 50); do [ -s "$TMP/$1.port" ] && break; sleep 0.1; done
	: >>"$TMP/$1.log"
	eval "URL_$1=http://127.0.0.1:$(cat "$TMP/$1.port")/"
}
# notes RECEIVER ALERTNAME STATUS: how many notifications the receiver got
notes() {
	python3 - "$TMP/$1.log" "$2" "$3" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    body = json.loads(line)["body"]
    for a in body.get("alerts", []):
        if a["labels"].get("alertname") == sys.argv[2] and a["status"] == sys.argv[3]:
            n += 1
print(n)
PY
}
has_notes() { [ "$(notes "$1" "$2" "$3")" -ge "${4:-1}" ]; }
# am_alerts: the active alerts the Alertmanager lists, "name target severity"
# lines; fails when the request or its parse does (no answer is no list)
am_alerts() {
	local body
	body=$(curl -sf "http://127.0.0.1:$AM_PORT/api/v2/alerts?active=true&silenced=false&inhibited=false") ||
		return 1
	python3 -c 'import json,sys
for a in json.loads(sys.argv[1]):
    l = a["labels"]; print(l.get("alertname"), l.get("target"), l.get("severity"))' "$body"
}
am_has() { local list; list=$(am_alerts) && grep -qx "$1" <<<"$list"; }
# am_lacks NAME [STILL]: Alertmanager answered, lists no NAME, and still
# lists STILL ("name target severity"): an empty answer is not taken for
# an absence
am_lacks() {
	local list
	list=$(am_alerts) || return 1
	! grep -q "^$1 " <<<"$list" || return 1
	[ -z "${2:-}" ] || grep -qx "$2" <<<"$list"
}

pg_start || { not_ok "PostgreSQL starts"; done_testing; }
export PGTEST_PASSWORD="$PG_PASSWORD"
start_receiver a
start_receiver b
printf 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n' >"$TMP/secret"
chmod 600 "$TMP/secret"

AM_PORT=$(free_port)
cat >"$TMP/am.yml" <<'YML'
route:
  receiver: blackhole
  group_wait: 0s
receivers:
  - name: blackhole
YML
"$AM_BIN" --config.file="$TMP/am.yml" --storage.path="$TMP/am-data" \
	--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
	--log.level=warn >"$TMP/am.log" 2>&1 &
PIDS="$PIDS $!"
check "Alertmanager starts" wait_for 20 curl -sf "http://127.0.0.1:$AM_PORT/-/ready" -o /dev/null ||
	diag "$(cat "$TMP/am.log")"

host_config "$TMP/agent.ini"
sed -i 's/^interval = 1s$/enabled = false/' "$TMP/agent.ini"
pg_target_section >>"$TMP/agent.ini"
cat >>"$TMP/agent.ini" <<INI
[alert "PostgresDown"]
expr = pg_up == 0
severity = critical
summary = PostgreSQL {{ \$labels.target }} is down
[alert "AlertDbExists"]
expr = pg_database_size_bytes{datname="alert_db"} > 0
summary = alert_db uses {{ \$value | humanize1024 }}B
[alert "ConnectionsConfigured"]
expr = pg_settings_max_connections > 0
[alert "FewConnections"]
expr = pg_settings_max_connections < 1000000
receivers = a
[webhook "a"]
url = ${URL_a}hook
format = alertmanager
max_backoff = 1s
[webhook "b"]
url = ${URL_b}hook
format = json
secret_file = $TMP/secret
max_backoff = 1s
[webhook "am"]
url = http://127.0.0.1:$AM_PORT/api/v2/alerts
format = alertmanager-api
resend = 2s
max_backoff = 1s
INI
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "pg_up 1" wait_for 15 has_metric 'pg_up{target="main"} 1'
both_notified() { has_notes a "$1" firing && has_notes b "$1" firing; }
check "the always-true symptom rule notifies both receivers" \
	wait_for 15 both_notified ConnectionsConfigured

# ---- a rule on a real metric: firing, then resolved --------------------------------
pg_sql "CREATE DATABASE alert_db" >/dev/null
check "CREATE DATABASE: the receiver gets AlertDbExists firing" \
	wait_for 20 has_notes a AlertDbExists firing
check "Alertmanager lists the alert with its labels" \
	wait_for 10 am_has "AlertDbExists main warning"
pg_sql "DROP DATABASE alert_db" >/dev/null
check "DROP DATABASE: the receiver gets AlertDbExists resolved" \
	wait_for 20 has_notes a AlertDbExists resolved
check "in Alertmanager's payload format" \
	python3 - "$TMP/a.log" <<'PY'
import json, sys
bodies = [json.loads(l)["body"] for l in open(sys.argv[1])]
res = [b for b in bodies if any(a["labels"]["alertname"] == "AlertDbExists" and a["status"] == "resolved" for a in b["alerts"])]
b = res[0]
assert b["version"] == "4" and b["receiver"] == "a" and "groupKey" in b and b["externalURL"].startswith("http")
a = [a for a in b["alerts"] if a["labels"]["alertname"] == "AlertDbExists"][0]
assert a["labels"]["datname"] == "alert_db" and a["labels"]["target"] == "main"
assert a["annotations"]["summary"].startswith("alert_db uses ")
assert a["endsAt"] > a["startsAt"]
PY
check "resolving in the agent resolves it in Alertmanager" wait_for 15 am_lacks AlertDbExists "ConnectionsConfigured main warning"
check "Alertmanager lists the still-firing rule" am_has "ConnectionsConfigured main warning"

# ---- PostgreSQL stopped: one page per receiver ------------------------------------------
before_a=$(wc -l <"$TMP/a.log")
before_b=$(wc -l <"$TMP/b.log")
pg_stop
check "PostgreSQL stopped: receiver a gets PostgresDown" wait_for 15 has_notes a PostgresDown firing
check "receiver b gets PostgresDown" wait_for 15 has_notes b PostgresDown firing
sleep 4
check "exactly one PostgresDown per receiver" \
	test "$(notes a PostgresDown firing)$(notes b PostgresDown firing)" = 11
check "no symptom alert resolved or fired while the target is down" \
	test "$(notes a ConnectionsConfigured resolved)$(notes b ConnectionsConfigured resolved)$(notes a FewConnections resolved)" = 000
check "nothing else was sent" \
	test "$(($(wc -l <"$TMP/a.log") - before_a))$(($(wc -l <"$TMP/b.log") - before_b))" = 11
check "the held alerts are marked inhibited in /api/alerts" \
	sh -c "curl -s '$URL/api/alerts' | grep -q '\"inhibited\":true'"
check "Alertmanager lists PostgresDown" wait_for 10 am_has "PostgresDown main critical"

# ---- back: one resolved per receiver ---------------------------------------------------------
pg_restart
check "PostgreSQL back: receiver a gets PostgresDown resolved" wait_for 20 has_notes a PostgresDown resolved
check "receiver b too" wait_for 20 has_notes b PostgresDown resolved
sleep 3
check "exactly one resolved per receiver, and no symptom notification" \
	test "$(notes a PostgresDown resolved)$(notes b PostgresDown resolved)$(notes a ConnectionsConfigured firing)$(notes b ConnectionsConfigured firing)$(notes a FewConnections firing)" = 11111
check "Alertmanager drops PostgresDown" wait_for 15 am_lacks PostgresDown "ConnectionsConfigured main warning"
# a visible skip without promtool (scripts/test fails on it), not an ok
if [ -n "$PROMTOOL" ]; then
	curl -sf "$URL/metrics" >"$TMP/alerts.prom" && grep -q '^pg_up{' "$TMP/alerts.prom" ||
		not_ok "a scrape to lint"
	out=$(promtool_clean "$TMP/alerts.prom")
	check "ALERTS is promtool-clean (but on the peers' names)" test -z "$out" || diag "$(head -5 <<<"$out")"
else
	skip "ALERTS is promtool-clean" "promtool is not installed (Debian package prometheus)"
fi
stop_agent
done_testing
