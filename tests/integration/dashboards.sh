#!/bin/bash
# dashboards.sh -- the Grafana dashboards (dashboards/*.json) against the
# real thing: a PostgreSQL 15 with pg_stat_statements (pg_lib.sh) and a
# physical streaming standby of it (the replication metrics of both sides),
# a Redis (redis_lib.sh), a PgBouncer (pgbouncer_lib.sh) and the host,
# watched by one agent with alert rules (one firing, one pending) and a
# webhook to a local receiver, after a little load.  Checked with
# dashboard_metrics.py: the JSON (unique panel ids, a grid without
# overlaps, the ${datasource} variable everywhere, units and legends),
# every metric name of every query a family of the live /metrics, the
# label names of matchers and by()/on() clauses labels of those families,
# every expression valid PromQL (promtool check rules), and every one
# evaluated by a real Prometheus scraping the agent: no error, data but
# where a query shows only trouble, and the stacked statement panels (top
# N, the rest, queryid="other") adding up to the total.  And
# dashboards/build.py, which writes the JSON, has been run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/redis_lib.sh"
. "$(dirname "$0")/pgbouncer_lib.sh"
require curl python3
pg_require
redis_require
pgbouncer_require
PROMETHEUS=${PROMETHEUS-$(command -v prometheus || true)} # set empty: that check skips

HELPER="$top_srcdir/tests/integration/dashboard_metrics.py"
DASHBOARDS="$top_srcdir/dashboards/dbpulse-overview.json $top_srcdir/dashboards/dbpulse-queries.json"
# result CHECK DESCRIPTION: one TAP line for a check of `dashboard_metrics.py
# all` (its report in $TMP/checks/CHECK.out, as diag lines)
result() {
	check "$2" test "$(cat "$TMP/checks/$1.rc" 2>/dev/null)" = 0
	[ -s "$TMP/checks/$1.out" ] && diag "$(cat "$TMP/checks/$1.out")"
	return 0
}

# ---- the servers and the agent -----------------------------------------------------------------
pg_start || { not_ok "PostgreSQL starts"; done_testing; }
pg_start_standby || { not_ok "a streaming standby of it starts"; done_testing; }
redis_start "maxmemory 64mb" || { not_ok "Redis starts"; done_testing; }
pgbouncer_start || { not_ok "PgBouncer starts"; done_testing; }
export PGTEST_PASSWORD="$PG_PASSWORD" REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD"
receiver_start hook 200 || { not_ok "the receiver starts"; done_testing; }

# a table with dead rows, a replication slot, statements of two kinds; the
# standby replays their commits (pg_replication_last_replay_seconds)
pg_sql >/dev/null <<-'SQL'
	CREATE TABLE orders (id int PRIMARY KEY, note text);
	INSERT INTO orders SELECT i, 'n' || i FROM generate_series(1, 2000) i;
	DELETE FROM orders WHERE id % 3 = 0;
	SELECT pg_create_physical_replication_slot('dashboards', true);
SQL
load() {
	local i
	for i in $(seq 1 30); do
		echo "SELECT count(*) FROM orders WHERE id > $i;"
		echo "SELECT note FROM orders WHERE id = $i;"
		echo "UPDATE orders SET note = 'u' WHERE id = $i;"
	done | pg_sql >/dev/null
	pgbouncer_psql "SELECT 1" >/dev/null
	for i in $(seq 1 100); do echo "SET key:$i v"; echo "GET key:$i"; echo "GET missing:$i"; done |
		redis_cli >/dev/null
	redis_cli -n 2 SET in-db2 1 EX 3600 >/dev/null
}
load

host_config "$TMP/agent.ini"
{
	pg_target_section main
	echo "statements_query_info = true"
	echo "statements_top = 5" # a few statements beyond it: queryid="other" has some
	printf '[postgres "standby"]\ndsn = %s\npassword_env = PGTEST_PASSWORD\n' "$PG_STANDBY_DSN"
	printf 'interval = 1s\ntimeout = 1s\nslow_interval = 1s\n'
	printf '[redis "cache"]\naddress = %s\nusername = dbpulse\npassword_env = REDISTEST_PASSWORD\n' \
		"$REDIS_ADDRESS"
	printf 'interval = 1s\ntimeout = 1s\n'
	pgbouncer_section pool
	printf '[webhook "hook"]\nurl = %s\nformat = alertmanager\nmax_backoff = 1s\n' "$RECV_URL"
	printf '[alert "DashboardsFiring"]\nexpr = pg_settings_max_connections > 0\n'
	printf '[alert "DashboardsPending"]\nexpr = redis_max_clients > 0\nfor = 1h\n'
} >>"$TMP/agent.ini"
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
# Prometheus scrapes the agent from the start (for the last check)
prom=
if [ -n "$PROMETHEUS" ]; then
	prom_port=$(free_port)
	cat >"$TMP/prometheus.yml" <<-YML
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: dbpulse
	    static_configs:
	      - targets: ['${URL#http://}']
	YML
	"$PROMETHEUS" --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prometheus" \
		--web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
	prom=$!
	bg_track "$prom"
fi
# replication_up SCRAPE: the replication series of both sides, the
# primary's (pg_stat_replication: the standby streams) and the standby's
replication_up() {
	local n
	for n in write_lag_seconds flush_lag_seconds replay_lag_seconds pg_wal_lsn_diff; do
		grep -q "^pg_stat_replication_$n{target=\"main\"," <<<"$1" || return 1
	done
	for n in pg_replication_lag_seconds pg_replication_last_replay_seconds \
		pg_stat_wal_receiver_last_msg_age_seconds; do
		grep -q "^$n{target=\"standby\"}" <<<"$1" || return 1
	done
	grep -q '^pg_stat_wal_receiver_streaming{target="standby"} 1' <<<"$1"
}
all_up() {
	local m
	m=$(scrape) &&
		grep -q '^pg_up{target="main"} 1' <<<"$m" && grep -q '^redis_up{target="cache"} 1' <<<"$m" &&
		grep -q '^pgbouncer_up{target="pool"} 1' <<<"$m" && grep -q '^pg_database_size_bytes' <<<"$m" &&
		grep -q '^pg_up{target="standby"} 1' <<<"$m" && replication_up "$m" &&
		grep -q '^pg_replication_slots_pg_wal_lsn_diff' <<<"$m" &&
		grep -q '^pg_stat_statements_query_id' <<<"$m" && grep -q '^ALERTS{.*firing' <<<"$m" &&
		grep -q '^ALERTS{.*pending' <<<"$m" &&
		grep -q '^dbpulse_notifications_total{receiver="hook",status="firing"} [1-9]' <<<"$m"
}
check "every target up, the standby streaming, the firing alert delivered" wait_for 20 all_up ||
	diag "$(tail -n 20 "$TMP/agent.log")"

# (lib.sh's wait_collections stops reading a scrape at its line: curl
# complains of the pipe it closed)
collections() { local m; m=$(scrape) && awk -v m='dbpulse_collections_total{target="main"}' \
	'index($0, m " ") == 1 { print $NF }' <<<"$m"; }
more_collections() { [ "$(collections)" -ge "$1" ]; }
load # again: the statements' counters move between Prometheus' scrapes
# the scrape checked below: after a newer collection, and with the text of
# an exported statement (a statement new in the top N gets its text at the
# next text fetch, at most once a slow_interval)
fresh_scrape() {
	[ "$(collections)" -ge "$1" ] && scrape >"$TMP/metrics" &&
		grep -q '^pg_stat_statements_query_id{target="main"' "$TMP/metrics"
}
check "a newer scrape with the statements' texts" wait_for 10 fresh_scrape $(($(collections) + 1))

# ---- the files, and the names and labels of the queries against the live /metrics ---------------
mkdir -p "$TMP/checks"
# shellcheck disable=SC2086
python3 "$HELPER" all "$TMP/metrics" "$top_srcdir" "$TMP/rules.yml" "$TMP/checks" $DASHBOARDS
result structure "valid Grafana JSON: unique ids, no overlaps, \${datasource} only, units, legends"
result built "the JSON is what dashboards/build.py writes"
result names "every metric name of the dashboards' queries is in the agent's /metrics"
result labels "every label of their matchers and by()/on() clauses is a label of those metrics"
if [ -n "$PROMTOOL" ]; then
	out=$("$PROMTOOL" check rules "$TMP/rules.yml" 2>&1)
	check "every expression is valid PromQL (promtool check rules)" test $? = 0 -a -s "$TMP/rules.yml"
	grep -q SUCCESS <<<"$out" || diag "$out"
else
	ok "# SKIP the expressions' syntax: promtool is not installed (Debian package prometheus)"
fi

# ---- run by Prometheus -------------------------------------------------------------------------------
if [ -n "$prom" ]; then
	prom_url="http://127.0.0.1:$prom_port"
	scraped() { # two scrapes of the agent in Prometheus' head: rate() has data
		local a
		a=$(curl -sf "$prom_url/api/v1/query?query=count_over_time(dbpulse_scrapes_total%5B1m%5D)") &&
			grep -q '"value":\[[0-9.]*,"\([3-9]\|[1-9][0-9]\)"\]' <<<"$a"
	}
	check "Prometheus scrapes the agent" wait_for 20 scraped || diag "$(cat "$TMP/prometheus.log")"
	# shellcheck disable=SC2086
	out=$(python3 "$HELPER" evaluate "$prom_url" $DASHBOARDS 2>&1)
	check "Prometheus evaluates every expression without an error, each with data but the trouble-only ones" \
		test $? = 0
	diag "$out"
	bg_stop "$prom"
else
	ok "# SKIP the expressions in Prometheus: prometheus is not installed (Debian package prometheus)"
fi
stop_agent
done_testing
