#!/bin/bash
# dashboards.sh -- the Grafana dashboards (dashboards/*.json) against the
# real thing: a PostgreSQL 15 with pg_stat_statements (pg_lib.sh) that
# archives its WAL, and a physical streaming standby of it (the
# replication metrics of both sides), a TimescaleDB (tsdb_lib.sh) with a
# compressed hypertable, its compression policy, a continuous aggregate
# and its refresh policy, a Redis (redis_lib.sh), a PgBouncer
# (pgbouncer_lib.sh), a directory of pg_dump files and the host, watched
# by one agent with alert rules (one firing, one pending) and a webhook to
# a local receiver, after a little load.  Checked with
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
. "$(dirname "$0")/tsdb_lib.sh"
require curl python3 touch
pg_require
redis_require
pgbouncer_require
tsdb_require
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
# WAL archived into a directory (pg_stat_archiver_*; archive_timeout:
# pg_settings_archive_timeout_seconds)
mkdir -p "$TMP/wal_archive"
pg_is_root && chown postgres "$TMP/wal_archive"
pg_start "archive_mode = on" "archive_timeout = 60" \
	"archive_command = 'test ! -f $TMP/wal_archive/%f && cp %p $TMP/wal_archive/%f'" ||
	{ not_ok "PostgreSQL starts"; done_testing; }
pg_start_standby || { not_ok "a streaming standby of it starts"; done_testing; }
redis_start "maxmemory 64mb" || { not_ok "Redis starts"; done_testing; }
pgbouncer_start || { not_ok "PgBouncer starts"; done_testing; }
export PGTEST_PASSWORD="$PG_PASSWORD" REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD" TSDBTEST_PASSWORD=x
receiver_start hook 200 || { not_ok "the receiver starts"; done_testing; }
tsdb_start || { not_ok "TimescaleDB starts"; done_testing; }

# a table with dead rows, a replication slot, statements of two kinds; the
# standby replays their commits (pg_replication_last_replay_seconds)
pg_sql >/dev/null <<-'SQL'
	CREATE TABLE orders (id int PRIMARY KEY, note text);
	INSERT INTO orders SELECT i, 'n' || i FROM generate_series(1, 2000) i;
	DELETE FROM orders WHERE id % 3 = 0;
	SELECT pg_create_physical_replication_slot('dashboards', true);
	SELECT pg_switch_wal();
SQL
# two pg_dump files, the newest an hour old ([backup "dumps"])
mkdir -p "$TMP/backups"
dump() {
	pg_as_owner "$PG_BINDIR/pg_dump" -h "$PG_SOCKDIR" -p "$PGPORT_TEST" -Fc postgres \
		>"$TMP/backups/.$1.tmp" && mv "$TMP/backups/.$1.tmp" "$TMP/backups/$1"
}
dumps() {
	dump db-1.dump && dump db-2.dump &&
		touch -d '25 hours ago' "$TMP/backups/db-1.dump" && touch -d '1 hour ago' "$TMP/backups/db-2.dump"
}
check "pg_dump makes two dumps" dumps
# TimescaleDB: a hypertable of 10 days in daily chunks, the older ones
# compressed, a compression policy, a continuous aggregate refreshed by
# hand with a refresh policy, and a user-defined action.  PGlite has no
# job scheduler and run_job records no statistics: the policies run with
# run_job, and their statistics are what the scheduler would write (the
# policies succeeded an hour after their last run; the action failed
# after a success).
tsdb_fixture() {
	tsdb_sql >/dev/null <<-'SQL' || return 1
	CREATE EXTENSION IF NOT EXISTS timescaledb;
	CREATE TABLE metrics (time timestamptz NOT NULL, device int NOT NULL, value float8);
	SELECT create_hypertable('metrics', by_range('time', INTERVAL '1 day'));
	INSERT INTO metrics SELECT t, d, random() FROM generate_series(now() - INTERVAL '10 days',
		now(), INTERVAL '10 minutes') t, generate_series(1, 5) d;
	ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
		timescaledb.compress_orderby = 'time');
	SELECT count(compress_chunk(c)) FROM show_chunks('metrics', older_than => INTERVAL '6 days') c;
	SELECT add_compression_policy('metrics', INTERVAL '3 days');
	CREATE MATERIALIZED VIEW metrics_hourly WITH (timescaledb.continuous) AS
		SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, device, avg(value) AS value
		FROM metrics GROUP BY 1, 2 WITH NO DATA;
	SELECT add_continuous_aggregate_policy('metrics_hourly', start_offset => INTERVAL '30 days',
		end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour');
	CALL refresh_continuous_aggregate('metrics_hourly', NULL, now() - INTERVAL '1 hour');
	CREATE PROCEDURE failing_action(job_id int, config jsonb) LANGUAGE plpgsql AS
		$$BEGIN RAISE EXCEPTION 'disk quota exceeded in archive'; END$$;
	SELECT add_job('failing_action', INTERVAL '1 hour');
	SQL
	local id
	for id in $(tsdb_sql "SELECT job_id FROM timescaledb_information.jobs
		WHERE hypertable_name IN ('metrics', 'metrics_hourly')"); do
		tsdb_sql "CALL run_job($id)" >/dev/null || return 1
	done
	tsdb_sql <<-'SQL'
	INSERT INTO _timescaledb_internal.bgw_job_stat (job_id, last_start, last_finish, next_start,
		last_successful_finish, last_run_success, total_runs, total_duration,
		total_duration_failures, total_successes, total_failures, total_crashes,
		consecutive_failures, consecutive_crashes, flags)
	SELECT job_id, now() - INTERVAL '1 s', now(), now() + schedule_interval, now(), true,
		1, INTERVAL '1 s', INTERVAL '0', 1, 0, 0, 0, 0, 0
	FROM timescaledb_information.jobs WHERE hypertable_name IN ('metrics', 'metrics_hourly')
	UNION ALL
	SELECT job_id, now() - INTERVAL '1 s', now(), now() + schedule_interval,
		now() - INTERVAL '1 hour', false, 2, INTERVAL '2 s', INTERVAL '1 s', 1, 1, 0, 1, 0, 0
	FROM timescaledb_information.jobs WHERE proc_name = 'failing_action'
	ON CONFLICT (job_id) DO UPDATE SET last_start = EXCLUDED.last_start,
		last_finish = EXCLUDED.last_finish, next_start = EXCLUDED.next_start,
		last_successful_finish = EXCLUDED.last_successful_finish,
		last_run_success = EXCLUDED.last_run_success, total_runs = EXCLUDED.total_runs,
		total_duration = EXCLUDED.total_duration,
		total_duration_failures = EXCLUDED.total_duration_failures,
		total_successes = EXCLUDED.total_successes, total_failures = EXCLUDED.total_failures,
		consecutive_failures = EXCLUDED.consecutive_failures;
	SQL
}
check "a TimescaleDB with a compressed hypertable, a continuous aggregate and their policies" \
	tsdb_fixture
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
	# (the agent refuses a password in a dsn: PGlite takes any, from the environment)
	printf '[postgres "ts"]\ndsn = %s\npassword_env = TSDBTEST_PASSWORD\nadvice = false\n' \
		"$(sed 's/ password=[^ ]*//' <<<"$TSDB_DSN")"
	printf 'interval = 1s\ntimeout = 1s\nslow_interval = 1s\n'
	printf '[backup "dumps"]\npath = %s/*.dump\nmax_age = 26h\nmin_size = 1KiB\n' "$TMP/backups"
	printf 'interval = 1s\ntimeout = 1s\n'
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
# tsdb_up SCRAPE: the TimescaleDB target's series of each kind
tsdb_up() {
	local n
	grep -q '^pg_up{target="ts"} 1' <<<"$1" || return 1
	for n in info hypertable_compression_after_bytes hypertable_compression_overdue_chunks \
		hypertable_newest_chunk_end_timestamp_seconds job_last_run_success \
		job_last_success_age_seconds continuous_aggregate_lag_seconds \
		continuous_aggregate_expected_lag_seconds; do
		grep -q "^timescaledb_$n{target=\"ts\"," <<<"$1" || return 1
	done
}
all_up() {
	local m
	m=$(scrape) &&
		grep -q '^pg_up{target="main"} 1' <<<"$m" && grep -q '^redis_up{target="cache"} 1' <<<"$m" &&
		grep -q '^pgbouncer_up{target="pool"} 1' <<<"$m" && grep -q '^pg_database_size_bytes' <<<"$m" &&
		grep -q '^pg_up{target="standby"} 1' <<<"$m" && replication_up "$m" &&
		grep -q '^pg_replication_slots_pg_wal_lsn_diff' <<<"$m" &&
		grep -q '^pg_stat_statements_query_id' <<<"$m" && grep -q '^ALERTS{.*firing' <<<"$m" &&
		grep -q '^pg_stat_archiver_last_archive_age{target="main"}' <<<"$m" &&
		grep -q '^backup_previous_size_bytes{target="dumps"}' <<<"$m" && tsdb_up "$m" &&
		grep -q '^ALERTS{.*pending' <<<"$m" &&
		grep -q '^dbpulse_notifications_total{receiver="hook",status="firing"} [1-9]' <<<"$m"
}
check "every target up, the standby streaming, WAL archived, TimescaleDB's series, the firing alert delivered" \
	wait_for 20 all_up || {
	diag "$(tail -n 20 "$TMP/agent.log")"
	m=$(scrape) && ! tsdb_up "$m" && diag "TimescaleDB's series:" "$(grep '^timescaledb_' <<<"$m")"
}

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
