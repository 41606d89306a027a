#!/bin/bash
# prometheus.sh -- a real Prometheus (Debian's prometheus, /usr/bin/prometheus)
# finds the agent through file_sd and scrapes it every second while it
# watches a real PostgreSQL (pg_lib.sh), a real Redis (redis_lib.sh) and
# the host: the target is up,
# PostgreSQL, Redis and host series are queryable through Prometheus' HTTP
# API with their own labels plus job and instance (and no exported_*: the
# agent sets neither itself); then pg_stat_statements_reset() between two
# bursts of a marker statement: the raw counter in PostgreSQL goes down, the
# agent's pg_stat_statements_calls_total does not (Prometheus' resets() sees
# none on any statement series, rate() is never negative and has values
# after the reset, the marker's counter ends at exactly the calls made in
# both bursts, nothing larger), and the agent's
# pg_stat_statements_stats_reset_timestamp_seconds shows the reset.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/redis_lib.sh"
require curl python3
pg_require
redis_require
: "${PROMETHEUS_BIN:=$(command -v prometheus || echo /usr/bin/prometheus)}"
[ -x "$PROMETHEUS_BIN" ] || skip_all "prometheus is not installed (Debian package prometheus)"

PROM_PORT=
PROM_URL=
PROM_PID=

# pq EXPR [TIME]: an instant query; one line per series, 'LABELS VALUE' with
# LABELS as {name="value",...} sorted by name (__name__ first)
PQ_PY='
import json, sys
d = json.load(sys.stdin)
if d.get("status") != "success":
    print("error " + d.get("error", "?"), file=sys.stderr); sys.exit(1)
for r in d["data"]["result"]:
    m = r["metric"]
    ls = ",".join("%s=\"%s\"" % (k, m[k]) for k in sorted(m))
    vals = r.get("values") or [r["value"]]
    if sys.argv[1] == "range":
        for t, v in vals: print("{%s} %s %s" % (ls, t, v))
    else:
        print("{%s} %s" % (ls, vals[-1][1]))
'
pq() {
	local args=(--data-urlencode "query=$1")
	[ $# -ge 2 ] && args+=(--data-urlencode "time=$2")
	curl -sS --max-time 5 -G "$PROM_URL/api/v1/query" "${args[@]}" | python3 -c "$PQ_PY" instant
}
# pq_range EXPR START END: a range query, step 1 s; 'LABELS TIME VALUE' lines
pq_range() {
	curl -sS --max-time 10 -G "$PROM_URL/api/v1/query_range" --data-urlencode "query=$1" \
		--data-urlencode "start=$2" --data-urlencode "end=$3" --data-urlencode "step=1" |
		python3 -c "$PQ_PY" range
}
# pq_value EXPR: the value of the query's only series (nothing when none)
pq_value() { pq "$1" | awk 'NR == 1 { print $NF }'; }
pq_is() { [ "$(pq_value "$1")" = "$2" ]; }
pq_ge() { local v; v=$(pq_value "$1"); [ -n "$v" ] && awk -v v="$v" -v w="$2" 'BEGIN { exit !(v >= w) }'; }
# pq_has EXPR STRING...: some series of the query has every STRING in its line
pq_has() {
	local out s
	out=$(pq "$1") || return 1
	shift
	for s in "$@"; do out=$(grep -F -- "$s" <<<"$out") || return 1; done
}

prom_start() {
	PROM_PORT=$(free_port)
	PROM_URL=http://127.0.0.1:$PROM_PORT
	cat >"$TMP/prometheus.yml" <<-YML
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: dbpulse
	    file_sd_configs:
	      - files: ['$TMP/targets/*.yml']
	YML
	mkdir -p "$TMP/targets"
	"$PROMETHEUS_BIN" --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn </dev/null >"$TMP/prometheus.log" 2>&1 &
	PROM_PID=$!
	bg_track "$PROM_PID"
}
prom_ready() { curl -sf --max-time 1 "$PROM_URL/-/ready" -o /dev/null; }
# prom_target HOST:PORT: the agent as file_sd's target (Prometheus watches
# the directory: a file renamed into it is read at once)
prom_target() {
	printf -- "- targets: ['%s']\n" "$1" >"$TMP/targets/.dbpulse.tmp" &&
		mv "$TMP/targets/.dbpulse.tmp" "$TMP/targets/dbpulse.yml"
}


prom_start # it starts while PostgreSQL does; its target comes with the agent
pg_start || { not_ok "PostgreSQL starts"; done_testing; }
at "PostgreSQL started"
export PGTEST_PASSWORD="$PG_PASSWORD"
redis_start || { not_ok "Redis starts"; done_testing; }
export REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD"
at "Redis started"

host_config "$TMP/agent.ini"
pg_target_section main >>"$TMP/agent.ini"
cat >>"$TMP/agent.ini" <<INI
[redis "cache"]
address = $REDIS_ADDRESS
username = dbpulse
password_env = REDISTEST_PASSWORD
interval = 1s
timeout = 1s
INI
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
AGENT_ADDR=${URL#http://}
within 10 has_metric 'pg_up{target="main"} 1'
within 10 has_metric 'redis_up{target="cache"} 1'
at "the agent collected PostgreSQL and Redis"

check "Prometheus starts and is ready" within 20 prom_ready || diag "$(tail -n 20 "$TMP/prometheus.log")"
prom_target "$AGENT_ADDR"
check "Prometheus finds the agent through file_sd and scrapes it twice" \
	within 20 pq_ge "count_over_time(up{job=\"dbpulse\"}[1m])" 2 ||
	diag "$(curl -s "$PROM_URL/api/v1/targets")"
at "Prometheus ready and two scrapes"

inst="instance=\"$AGENT_ADDR\""
job='job="dbpulse"'
check "up{job=\"dbpulse\"} == 1 with instance=\"$AGENT_ADDR\"" pq_has 'up{job="dbpulse"} == 1' "$inst" "$job"
target_healthy() {
	curl -sS --max-time 5 "$PROM_URL/api/v1/targets" | python3 -c 'import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(not (len(t) == 1 and t[0]["health"] == "up" and t[0]["lastError"] == ""))'
}
check "the target is healthy, its last scrape without error" target_healthy
check "pg_up{target=\"main\"} 1, with job and instance" \
	pq_has 'pg_up{target="main"}' '__name__="pg_up"' "$inst" "$job" 'target="main"} 1'
check "a labelled PostgreSQL series: pg_stat_database_xact_commit{datname=\"postgres\"}" \
	pq_has 'pg_stat_database_xact_commit{target="main",datname="postgres"}' "$inst" "$job"
check "a statement series: pg_stat_statements_calls_total{queryid=\"other\"}" \
	pq_has 'pg_stat_statements_calls_total{target="main",queryid="other"}' "$inst" "$job"
check "redis_up{target=\"cache\"} 1, with job and instance" \
	pq_has 'redis_up{target="cache"}' "$inst" "$job" 'target="cache"} 1'
check "a labelled Redis series: redis_commands_total{cmd=\"info\"}" \
	pq_has 'redis_commands_total{target="cache",cmd="info"}' "$inst" "$job"
check "a host series: node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}, without target" \
	pq_has 'node_cpu_seconds_total{cpu="0",mode="idle",target=""}' "$inst" "$job" 'cpu="0"' 'mode="idle"'
check "every series of the agent carries job and instance, none exported_job or exported_instance" \
	test "$(pq_value 'count({job="dbpulse",exported_job="",exported_instance=""})')" = \
	"$(pq_value 'count({job="dbpulse"})')"
check "the agent's own series are there: dbpulse_up{target=\"main\",collector=\"postgres\"} 1" \
	pq_is 'dbpulse_up{target="main",collector="postgres"}' 1

# ---- pg_stat_statements_reset() under Prometheus' rate() ----------------------
marker() { # marker N: N calls of the marker statement, one session
	local i
	for i in $(seq 1 "$1"); do echo "SELECT $i AS dbpulse_marker;"; done | pg_sql >/dev/null
}
t0=$(date +%s)
marker 50
queryid=$(pg_sql "SELECT queryid FROM pg_stat_statements WHERE query LIKE '%dbpulse_marker%' AND query NOT LIKE '%pg_stat_statements%' LIMIT 1")
sel="pg_stat_statements_calls_total{job=\"dbpulse\",target=\"main\",queryid=\"$queryid\"}"
check "Prometheus sees the marker statement's 50 calls" within 15 pq_is "$sel" 50 ||
	diag "queryid $queryid:" "$(pq "pg_stat_statements_calls_total")"
check "the marker's series has its labels: datname, user, queryid, job, instance" \
	pq_has "$sel" 'datname="postgres"' 'user="postgres"' "queryid=\"$queryid\"" "$inst" "$job"
at "the first 50 calls in Prometheus"
sleep 3 # a few more scrapes of the same value
t_reset=$(date +%s.%N)
reset0=$(pq_value 'pg_stat_statements_stats_reset_timestamp_seconds{target="main"}')
pg_sql "SELECT pg_stat_statements_reset()" >/dev/null
marker 30
check "the raw counter went down in PostgreSQL (30 calls since the reset)" \
	test "$(pg_sql "SELECT sum(calls) FROM pg_stat_statements WHERE queryid = $queryid")" = 30
check "the agent's counter goes on from 50: 80 in Prometheus" within 15 pq_is "$sel" 80 ||
	diag "$(pq "$sel")"
at "the next 30 in Prometheus"
sleep 3
t1=$(date +%s)
span=$((t1 - t0 + 5))

pq_range "rate(pg_stat_statements_calls_total{job=\"dbpulse\",target=\"main\"}[10s])" "$t0" "$t1" >"$TMP/rate"
check "rate() over every statement series, through the reset: $(wc -l <"$TMP/rate") values, none negative" \
	awk '$NF < 0 { bad = 1 } END { exit bad || NR == 0 }' "$TMP/rate" ||
	diag "$(awk '$NF < 0' "$TMP/rate" | head -n 5)"
check "rate() of the marker has values after the reset, and positive ones" \
	awk -v q="queryid=\"$queryid\"" -v t="$t_reset" 'index($0, q) && $2 > t { n++; if ($3 > 0) p++ } END { exit !(n > 0 && p > 0) }' "$TMP/rate"
check "resets() finds no counter reset on any statement series" \
	pq_is "max(resets(pg_stat_statements_calls_total{job=\"dbpulse\",target=\"main\"}[${span}s]) + resets(pg_stat_statements_seconds_total{job=\"dbpulse\",target=\"main\"}[${span}s]))" 0
check "the marker's counter never went past the 80 calls made" \
	pq_is "max_over_time(${sel}[${span}s])" 80
# between LOW VALUE HIGH
between() { [ -n "$2" ] && awk -v l="$1" -v v="$2" -v h="$3" 'BEGIN { exit !(v >= l && v <= h) }'; }
first=$(pq_value "min_over_time(${sel}[${span}s])") # its first sample (50, unless a scrape fell within the first burst)
first=${first:-0}
check "increase() of the marker over the window: the $((80 - ${first%.*})) calls after its first sample (Prometheus extrapolates a little)" \
	between "$((80 - ${first%.*}))" "$(pq_value "increase(${sel}[${span}s])")" "$(((80 - ${first%.*}) * 6 / 5))"
reset1=$(pq_value 'pg_stat_statements_stats_reset_timestamp_seconds{target="main"}')
check "the agent exports the new reset time (pg_stat_statements_stats_reset_timestamp_seconds $reset0 -> $reset1)" \
	between "$(awk -v t="$t_reset" -v a="${reset0:-0}" 'BEGIN { printf "%.3f", (t - 1 > a ? t - 1 : a + 0.001) }')" "$reset1" "$(date +%s)"
check "Prometheus' changes() sees it" \
	pq_ge "changes(pg_stat_statements_stats_reset_timestamp_seconds{target=\"main\"}[${span}s])" 1

at "queries done"
# ---- stop everything --------------------------------------------------------------
kill -TERM "$PROM_PID"
wait "$PROM_PID"
rc=$?
check "Prometheus stops cleanly (status $rc)" test "$rc" = 0 || diag "$(tail -n 20 "$TMP/prometheus.log")"
stop_agent
at "everything stopped"
done_testing
