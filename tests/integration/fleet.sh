#!/bin/bash
# fleet.sh -- two agents, one alert: two dbpulse agents watch the same Redis
# (redis_lib.sh) under the same target name, with the same rule, and push
# it (format alertmanager-api) to a cluster of two real Alertmanagers
# (Debian's prometheus-alertmanager, gossiping over loopback), each agent
# to both members, as Alertmanager's clients must.  The alert has the same
# labels from both agents (the agent adds none of its own that differ per
# agent), so each member lists it once, not twice, and the receiver behind
# the cluster gets one notification for it: deduplicated across agents by
# Alertmanager and across members by the cluster's notification log.  A
# rule whose labels name the agent (labels = agent=...) is, by contrast,
# two alerts.  The agents give the members' base URLs (http://host:port,
# as Prometheus' alertmanagers config does), which get /api/v2/alerts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis_lib.sh"
require curl python3
redis_require
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
[ -n "$AM_BIN" ] || skip_all "prometheus-alertmanager is not installed"

AM_PIDS=

# am_start N WEB_PORT CLUSTER_PORT PEER_PORT: member N of the cluster
am_start() {
	local n=$1 web=$2 cl=$3 peer=$4
	"$AM_BIN" --config.file="$TMP/am.yml" --storage.path="$TMP/am$n-data" \
		--web.listen-address="127.0.0.1:$web" \
		--cluster.listen-address="127.0.0.1:$cl" --cluster.advertise-address="127.0.0.1:$cl" \
		--cluster.peer="127.0.0.1:$peer" --cluster.gossip-interval=50ms \
		--cluster.pushpull-interval=1s --cluster.peer-timeout=3s --cluster.settle-timeout=5s \
		--cluster.probe-interval=200ms --cluster.reconnect-interval=1s \
		--log.level=info </dev/null >"$TMP/am$n.log" 2>&1 &
	bg_track $!
	AM_PIDS="$AM_PIDS $!"
}
# am_alerts PORT: the active alerts a member lists, one line each: its
# labels as name=value sorted, then its state
AM_PY='
import json, sys
for a in json.load(sys.stdin):
    l = a["labels"]
    print(",".join("%s=%s" % (k, l[k]) for k in sorted(l)), a["status"]["state"])
'
am_alerts() {
	curl -sS --max-time 5 "http://127.0.0.1:$1/api/v2/alerts?active=true&silenced=false&inhibited=false" |
		python3 -c "$AM_PY"
}
# am_count PORT ALERTNAME: how many alerts of that name the member lists
am_count() { am_alerts "$1" | grep -c "alertname=$2,"; }
am_has_n() { [ "$(am_count "$1" "$2")" = "$3" ]; }
am_has_line() { [ "$(am_alerts "$1" | grep -cx -- "$2")" -ge 1 ]; }
am_members() { # am_members PORT: the cluster's size as the member sees it
	curl -sS --max-time 5 "http://127.0.0.1:$1/api/v2/status" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["cluster"]["peers"]))'
}
am_clustered() { [ "$(am_members "$1" 2>/dev/null)" = 2 ]; }
# notes ALERTNAME: "NOTIFICATIONS ALERTS" the receiver got for the group of that alertname
notes() {
	python3 - "$TMP/hook.log" "$1" <<'PY'
import json, sys
n = alerts = 0
for line in open(sys.argv[1]):
    body = json.loads(line)["body"]
    if body.get("groupLabels", {}).get("alertname") == sys.argv[2] and body.get("status") == "firing":
        n += 1
        alerts += len(body["alerts"])
print(n, alerts)
PY
}
notified() { [ "$(notes "$1" | cut -d' ' -f1)" -ge 1 ]; }
# agent_value URL SERIES: the value of SERIES in that agent's exposition
agent_value() {
	curl -sS --max-time 5 "$1/metrics" | awk -v m="$2" 'index($0, m " ") == 1 { print $NF; exit }'
}
# agent_ge URL SERIES N: its value is at least N
agent_ge() { local v; v=$(agent_value "$1" "$2"); [ "${v:-0}" -ge "$3" ] 2>/dev/null; }
# delivered URL: the agent's webhook "am" had a firing notification accepted
delivered() { agent_ge "$1" 'dbpulse_notifications_total{receiver="am",status="firing"}' 1; }

redis_start || { not_ok "Redis starts"; done_testing; }
export REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD"
receiver_start hook 200 || { not_ok "receiver starts"; done_testing; }
at "Redis and the receiver started"

# ---- a cluster of two Alertmanagers --------------------------------------------------
cat >"$TMP/am.yml" <<YML
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1m
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: $RECV_URL
        send_resolved: false
YML
AM1=$(free_port) AM2=$(free_port) CL1=$(free_port) CL2=$(free_port)
am_start 1 "$AM1" "$CL1" "$CL2"
am_start 2 "$AM2" "$CL2" "$CL1"
am_ready() { curl -sf --max-time 2 "http://127.0.0.1:$1/-/ready" -o /dev/null; }
both() { "$1" "$AM1" && "$1" "$AM2"; }
check "both Alertmanagers start" within 20 both am_ready || diag "$(cat "$TMP/am1.log" "$TMP/am2.log")"
check "they form one cluster of two" within 20 both am_clustered ||
	diag "$(tail -n 20 "$TMP/am1.log")"
at "the Alertmanager cluster formed"

# ---- two agents, the same Redis under the same name, the same rule ---------------------
# fleet_agent N: writes agent N's config (its own state_dir and port)
fleet_agent() {
	cat >"$TMP/agent$1.ini" <<-INI
	[agent]
	listen = 127.0.0.1:0
	log_level = debug
	state_dir = $TMP/state$1
	[host]
	enabled = false
	[redis "cache"]
	address = $REDIS_ADDRESS
	username = dbpulse
	password_env = REDISTEST_PASSWORD
	interval = 1s
	timeout = 1s
	[alert "FleetRedisClients"]
	expr = redis_connected_clients > 0
	summary = {{ \$labels.target }} has {{ \$value }} clients
	[alert "FleetPerAgentLabel"]
	expr = redis_connected_clients > 0
	labels = agent=agent$1
	[webhook "am"]
	url = http://127.0.0.1:$AM1, http://127.0.0.1:$AM2/
	format = alertmanager-api
	resend = 2s
	max_backoff = 1s
	INI
	[ "$1" = 1 ] || return 0
	# agent 1 only: a webhook whose second Alertmanager is down
	cat >>"$TMP/agent$1.ini" <<-INI
	[webhook "half"]
	url = http://127.0.0.1:$AM1/api/v2/alerts, http://127.0.0.1:$DEAD/api/v2/alerts
	format = alertmanager-api
	resend = 2s
	max_backoff = 1s
	INI
}
DEAD=$(free_port) # nothing listens there
fleet_agent 1
fleet_agent 2
start_agent "$TMP/agent1.ini" || { not_ok "agent 1 starts"; done_testing; }
A1_PID=$AGENT_PID A1_URL=$URL
mv "$TMP/agent.log" "$TMP/agent1.log" # it goes on writing there
bg_track "$A1_PID"
start_agent "$TMP/agent2.ini" || { not_ok "agent 2 starts"; done_testing; }
A2_URL=$URL # AGENT_PID stays agent 2's
check "two agents run, on two ports ($A1_URL, $A2_URL)" test "$A1_URL" != "$A2_URL"

check "agent 1 delivered the alert to the Alertmanagers" within 15 delivered "$A1_URL" ||
	diag "$(grep alerts "$TMP/agent1.log" | tail -n 5)"
check "agent 2 too" within 15 delivered "$A2_URL" ||
	diag "$(grep alerts "$TMP/agent.log" | tail -n 5)"
at "both agents delivered"
for port in "$AM1" "$AM2"; do
	check "member :$port lists FleetRedisClients once, not twice" within 10 am_has_n "$port" FleetRedisClients 1 ||
		diag "$(am_alerts "$port")"
	check "member :$port: its labels are alertname, severity and target only, and it is active" \
		am_has_line "$port" 'alertname=FleetRedisClients,severity=warning,target=cache active' ||
		diag "$(am_alerts "$port")"
	check "member :$port lists FleetPerAgentLabel twice: a label naming the agent makes two alerts" \
		within 10 am_has_n "$port" FleetPerAgentLabel 2 || diag "$(am_alerts "$port")"
done

# ---- the receiver behind the cluster ------------------------------------------------------
check "the receiver gets a notification for FleetRedisClients" within 20 notified FleetRedisClients ||
	diag "$(cat "$TMP/hook.log")" "$(tail -n 20 "$TMP/am1.log")"
at "the receiver notified"
sleep 4 # the other member's turn (peer_timeout 3 s) and a resend of both agents
check "exactly one notification, with one alert, for FleetRedisClients (two agents, two members)" \
	test "$(notes FleetRedisClients)" = "1 1" || diag "$(notes FleetRedisClients)" "$(cat "$TMP/hook.log")"
check "and one for FleetPerAgentLabel, with its two alerts" \
	test "$(notes FleetPerAgentLabel)" = "1 2" || diag "$(notes FleetPerAgentLabel)"
check "the agents kept resending (firing alerts every resend = 2s)" \
	agent_ge "$A1_URL" 'dbpulse_notifications_total{receiver="am",status="firing"}' 4
check "one Alertmanager of two down: delivered all the same (webhook \"half\")" \
	agent_ge "$A1_URL" 'dbpulse_notifications_total{receiver="half",status="firing"}' 2
check "and the member that missed it is counted: dbpulse_notifications_failed_total{reason=\"connect\"}" \
	agent_ge "$A1_URL" 'dbpulse_notifications_failed_total{receiver="half",reason="connect"}' 2
check "and logged" grep -q 'Alertmanager 2 of 2 did not take' "$TMP/agent1.log"

# ---- stop everything -----------------------------------------------------------------------
stop_agent # agent 2
AGENT_PID=$A1_PID
stop_agent
for p in $AM_PIDS; do
	kill -TERM "$p"
	wait "$p"
	rc=$?
	check "Alertmanager $p stops cleanly (status $rc)" test "$rc" = 0
done
at "everything stopped"
done_testing
