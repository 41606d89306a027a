#!/bin/bash
# pgbouncer.sh -- the PgBouncer collector against a real PgBouncer
# (pgbouncer_lib.sh) in front of a real PostgreSQL 15 (pg_lib.sh): the
# metrics and promtool; both server connections of the pool held by
# pg_sleep while a third client waits (cl_waiting 1, maxwait rising); the
# waiting-clients rule fires at a webhook and resolves; /api/pools shows
# the waiting pool, and so does the DBA page's Pools panel (in headless
# Chromium, when DBPULSE_BROWSER_DIR has playwright-core); PgBouncer killed
# (pgbouncer_up 0 at the next cycle, /metrics unaffected) and restarted
# (back within two intervals); a clean exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/pgbouncer_lib.sh"
require curl python3
pg_require
pgbouncer_require
[ -n "$PROMTOOL" ] || skip_all "promtool is not installed (Debian package prometheus)"

pg_start || { not_ok "PostgreSQL starts"; done_testing; }
pgbouncer_start || { not_ok "PgBouncer starts"; done_testing; }
export PGTEST_PASSWORD="$PG_PASSWORD"
receiver_start hook 200 || { not_ok "the receiver starts"; done_testing; }

host_config "$TMP/agent.ini"
sed -i 's/^interval = 1s$/enabled = false/' "$TMP/agent.ini"
{
	pgbouncer_section pool
	printf '[webhook "hook"]\nurl = %s\nformat = alertmanager\n' "$RECV_URL"
	printf '[alert "PgBouncerClientsWaiting"]\n'
	printf 'expr = pgbouncer_pools_client_maxwait_seconds > 1\nfor = 1s\nseverity = warning\n'
	printf '[alert "PgBouncerDown"]\nexpr = pgbouncer_up == 0\nfor = 0s\nseverity = critical\n'
} >>"$TMP/agent.ini"

value() { awk -v m="$1" 'index($0, m " ") == 1 { print $NF; exit }' "$TMP/m"; }
save() { scrape >"$TMP/m"; }
# notifications NAME STATUS: how many the receiver got of that alert and status
notifications() {
	python3 - "$TMP/hook.log" "$1" "$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    body = json.loads(line)["body"]
    n += sum(1 for a in body["alerts"]
             if a["labels"]["alertname"] == sys.argv[2] and a["status"] == sys.argv[3])
print(n)
PY
}
got() { [ "$(notifications "$1" "$2")" -ge 1 ]; }

# a pool exists (in SHOW POOLS, SHOW STATS_TOTALS) once a client used it
check "a client queries PostgreSQL through PgBouncer" test "$(pgbouncer_psql "SELECT 41 + 1")" = 42
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "pgbouncer_up 1 as a stats_users user" wait_for 15 has_metric 'pgbouncer_up{target="pool"} 1'
wait_collections pool 2
save
for name in \
	'pgbouncer_version_info{target="pool",version="PgBouncer ' \
	'pgbouncer_pools_client_active_connections{target="pool",database="app",user="dbpulse"}' \
	'pgbouncer_pools_client_waiting_connections{target="pool",database="app",user="dbpulse"} 0' \
	'pgbouncer_pools_server_idle_connections{target="pool",database="app",user="dbpulse"}' \
	'pgbouncer_pools_client_maxwait_seconds{target="pool",database="pgbouncer",user="pgbouncer"}' \
	'pgbouncer_databases_pool_size{target="pool",name="app",host="127.0.0.1",port="'"$PGPORT_TEST"'",database="postgres",force_user="",pool_mode=""} 2' \
	'pgbouncer_databases_paused{target="pool",name="app"' \
	'pgbouncer_stats_totals_queries_pooled_total{target="pool",database="app"}' \
	'pgbouncer_stats_totals_client_wait_seconds_total{target="pool",database="app"}' \
	'pgbouncer_stats_totals_received_bytes_total{target="pool",database="app"}' \
	'pgbouncer_stats_totals_sql_transactions_pooled_total{target="pool",database="app"}' \
	'pgbouncer_client_connections{target="pool",database="pgbouncer",user="dbpulse",application_name="dbpulse",state="active"} 1' \
	'pgbouncer_used_clients{target="pool"}' 'pgbouncer_free_servers{target="pool"}' \
	'pgbouncer_pools{target="pool"}' 'pgbouncer_databases{target="pool"}' \
	'pgbouncer_config_max_client_connections{target="pool"} 20' \
	'pgbouncer_config_default_pool_size{target="pool"} 2' \
	'pgbouncer_client_connections_utilization_ratio{target="pool"} 0.05' \
	'dbpulse_up{target="pool",collector="pgbouncer"} 1'; do
	check "exposes $name" grep -qF -- "$name" "$TMP/m" ||
		diag "$(grep -F -- "${name%%\{*}" "$TMP/m")"
done
failed=$(grep '^dbpulse_pgbouncer_query_success{' "$TMP/m" | grep -v ' 1$')
check "every SHOW command succeeds" test -z "$failed" -a "$(grep -c '^dbpulse_pgbouncer_query_success{' "$TMP/m")" = 7
[ -n "$failed" ] && diag "$failed"
check "no warning in the log" sh -c "! grep -q 'level=warn' '$TMP/agent.log'"
out=$(promtool_clean "$TMP/m")
check "promtool check metrics remarks only on the peers' names" test -z "$out"
[ -n "$out" ] && diag "$out"
# pgbouncer_exporter 0.12.1's families (tests/compat/upstream.txt) with its label names
python3 "$top_srcdir/tests/compat/families.py" list "$TMP/m" >"$TMP/families"
for f in 'pgbouncer_stats_totals_queries_duration_seconds_total counter database,target' \
	'pgbouncer_client_connections gauge application_name,database,state,target,user' \
	'pgbouncer_pools_client_maxwait_seconds gauge database,target,user' \
	'pgbouncer_databases_current_connections gauge database,force_user,host,name,pool_mode,port,target' \
	'pgbouncer_config_max_user_connections gauge target' 'pgbouncer_in_flight_dns_queries gauge target' \
	'pgbouncer_version_info gauge target,version'; do
	check "family $f" grep -qx -- "$f" "$TMP/families"
done
check "no pgbouncer_stats_* of SHOW STATS (pgbouncer_exporter 0.11 moved to STATS_TOTALS)" \
	sh -c "! grep '^pgbouncer_stats_' '$TMP/m' | grep -qv '^pgbouncer_stats_totals_'"
check "every pgbouncer series has the target label" \
	sh -c "! grep '^pgbouncer_' '$TMP/m' | grep -v 'target=\"pool\"'"
pools_listed() {
	curl -sS --max-time 5 "$URL/api/targets" | python3 -c '
import json, sys
t = [t for t in json.load(sys.stdin)["targets"] if t["name"] == "pool"]
sys.exit(not (t and t[0]["kind"] == "pgbouncer" and t[0]["views"] == ["pools"]))'
}
check "/api/targets lists the pools view of the PgBouncer target" pools_listed

# ---- a saturated pool: two sleeps hold both server connections ----------------
# (long ones, ended by pg_cancel_backend once the checks below are done: a
# browser that starts slowly on a loaded machine still sees the wait)
for _ in 1 2; do
	pgbouncer_psql "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	bg_track $!
done
waiting_series='pgbouncer_pools_client_waiting_connections{target="pool",database="app",user="dbpulse"}'
active_series='pgbouncer_pools_server_active_connections{target="pool",database="app",user="dbpulse"}'
maxwait_series='pgbouncer_pools_client_maxwait_seconds{target="pool",database="app",user="dbpulse"}'
check "both server connections busy" wait_for 5 has_metric "$active_series 2"
pgbouncer_psql "SELECT 1" >"$TMP/third.out" 2>&1 &
third=$!
bg_track $third
check "the third client waits: cl_waiting 1" wait_for 3 has_metric "$waiting_series 1"
check "SHOW CLIENTS: one psql client of app waiting" has_metric \
	'pgbouncer_client_connections{target="pool",database="app",user="dbpulse",application_name="psql",state="waiting"} 1'

browser=
if [ -n "${DBPULSE_BROWSER_DIR:-}" ] && [ -x "${CHROMIUM:-/usr/bin/chromium}" ] &&
	[ -d "$DBPULSE_BROWSER_DIR/node_modules/playwright-core" ]; then
	browser_copy pools_check.mjs
	(cd "$DBPULSE_BROWSER_DIR" && node pools_check.mjs "$URL/queries" pool app) >"$TMP/pools-browser.out" 2>&1 &
	browser=$!
fi
# pools_waiting: /api/pools lists app/dbpulse first, with 1 waiting and maxwait > 0
pools_waiting() {
	curl -sS --max-time 5 "$URL/api/pools?target=pool" >"$TMP/pools.json" &&
		python3 - "$TMP/pools.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["pools"][0]
sys.exit(not (d["target"] == "pool" and d["collected_at"] and p["database"] == "app" and
              p["user"] == "dbpulse" and p["client_waiting"] == 1 and p["maxwait_seconds"] > 0 and
              p["server_active"] == 2 and "pool_mode" in p))
PY
}
check "/api/pools shows the waiting pool first: client_waiting 1, maxwait > 0" wait_for 3 pools_waiting ||
	diag "$(cat "$TMP/pools.json")"
save
w1=$(value "$maxwait_series")
sleep 1.5
save
w2=$(value "$maxwait_series")
check "maxwait rises ($w1 -> $w2)" awk -v a="${w1:-0}" -v b="${w2:-0}" 'BEGIN { exit !(b > a && b > 0.5) }'
check "the waiting-clients rule fires at the webhook" wait_for 8 got PgBouncerClientsWaiting firing
if [ -n "$browser" ]; then
	wait "$browser"
	rc=$?
	sed 's/^/# browser: /' "$TMP/pools-browser.out"
	check "the page's Pools panel shows the waiting pool (browser)" test $rc = 0
else
	ok "# SKIP the Pools panel in a browser: set DBPULSE_BROWSER_DIR to a directory with playwright-core (scripts/test does)"
fi
pg_sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'" >/dev/null
wait "$third"
check "the third client gets its answer once a sleep ends" grep -qx 1 "$TMP/third.out"
check "cl_waiting back to 0" wait_for 5 has_metric "$waiting_series 0"
check "the rule resolves" wait_for 8 got PgBouncerClientsWaiting resolved

# ---- PgBouncer killed, then restarted --------------------------------------
wait_collections pool 1
before=$(collections_of pool)
pgbouncer_kill
check "pgbouncer_up 0 at the next cycle" wait_for 3 has_metric 'pgbouncer_up{target="pool"} 0'
ms=$(scrape_ms)
check "/metrics answers at once while PgBouncer is down (${ms} ms)" test "$ms" != fail -a "${ms:-9999}" -lt 500
check "the collections go on" test "$(collections_of pool)" -gt "$before"
check "the down rule fires at the webhook" wait_for 5 got PgBouncerDown firing
pgbouncer_restart || not_ok "PgBouncer restarts"
check "pgbouncer_up 1 within two intervals" wait_for 2 has_metric 'pgbouncer_up{target="pool"} 1'
check "the down rule resolves" wait_for 5 got PgBouncerDown resolved
check "the waiting-clients rule notified nothing more" \
	test "$(notifications PgBouncerClientsWaiting firing)$(notifications PgBouncerClientsWaiting resolved)" = 11
stop_agent

# ---- a wrong password: pgbouncer_up 0, and the password in no output --------
{
	echo "[agent]"
	echo "listen = 127.0.0.1:0"
	echo "state_dir = $TMP/state-wrong"
	pgbouncer_section wrong | sed 's/PGTEST_PASSWORD/WRONG_PASSWORD/'
} >"$TMP/wrong.ini"
WRONG_PASSWORD=not-the-password-4711 "$DBPULSE" --once -c "$TMP/wrong.ini" >"$TMP/wrong.out" 2>"$TMP/wrong.err"
rc=$?
check "--once with a wrong password fails (status $rc)" test "$rc" != 0
check "and prints pgbouncer_up 0" grep -qF 'pgbouncer_up{target="wrong"} 0' "$TMP/wrong.out"
check "the log says why" grep -q 'target=wrong msg="collection failed: .*authentication failed' "$TMP/wrong.err"
check "the password is in no output" sh -c "! grep -q not-the-password-4711 '$TMP/wrong.out' '$TMP/wrong.err'"
done_testing
