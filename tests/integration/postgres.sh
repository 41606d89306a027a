#!/bin/bash
# postgres.sh -- the PostgreSQL collector against a real PostgreSQL 15 that
# this script starts (pg_lib.sh): exact statement counts, bounded series
# with a correct "other", resets, the pg_monitor role, a server that stops
# and comes back, a lock that holds up a query, and a wrong password.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
require curl
pg_require
[ -n "$PROMTOOL" ] || skip_all "promtool is not installed (Debian package prometheus)"

pg_start || { not_ok "PostgreSQL starts"; done_testing; }
# the agent's own queries and the test's checks stay out of
# pg_stat_statements, so that its sums only move with the test's statements
pg_sql "ALTER ROLE dbpulse SET pg_stat_statements.track = 'none'" >/dev/null
quiet() { PGOPTIONS="-c pg_stat_statements.track=none" pg_sql "$1"; }
export PGTEST_PASSWORD="$PG_PASSWORD"

pg_config_file() { # pg_config_file FILE [extra [postgres "main"] lines...]
	local file=$1
	shift
	host_config "$file"
	sed -i 's/^interval = 1s$/enabled = false/' "$file"
	{
		pg_target_section
		for line in "$@"; do echo "$line"; done
	} >>"$file"
}
value() { # value SERIES: its value in the last scrape saved in $TMP/m
	awk -v m="$1" 'index($0, m " ") == 1 { print $NF; exit }' "$TMP/m"
}
save() { scrape >"$TMP/m"; }
collections() { collections_of main; }
wait_cycles() { wait_collections main "$1"; } # waits until n more collections have been published
agent_sessions() {
	quiet "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbpulse'"
}

pg_config_file "$TMP/agent.ini" "statements_top = 100" "statements_query_info = true"
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "pg_up 1 with the pg_monitor role" wait_for 15 has_metric 'pg_up{target="main"} 1'
wait_cycles 2
save
for name in \
	'pg_version_info{target="main",version="' 'pg_postmaster_start_time_seconds{target="main"}' \
	'pg_in_recovery{target="main"} 0' 'pg_settings_max_connections{target="main"} 50' \
	'pg_settings_superuser_reserved_connections{target="main"}' \
	'pg_connections_utilization_ratio{target="main"}' \
	'pg_stat_database_xact_commit_total{target="main",datname="postgres"}' \
	'pg_stat_database_blks_hit_total{target="main",datname="postgres"}' \
	'pg_stat_database_deadlocks_total{target="main",datname="postgres"}' \
	'pg_database_size_bytes{target="main",datname="postgres"}' \
	'pg_database_wraparound_age_datfrozenxid{target="main",datname="postgres"}' \
	'pg_stat_activity_connections{target="main",datname="postgres",state="active"}' \
	'pg_stat_activity_connections{target="main",datname="postgres",state="idle in transaction"}' \
	'pg_stat_activity_max_tx_duration_seconds{target="main",datname="postgres",state="active"}' \
	'pg_stat_activity_max_query_duration_seconds{target="main",datname="postgres"}' \
	'pg_stat_activity_lock_waiters{target="main",datname="postgres"}' \
	'pg_locks{target="main",datname="postgres",mode="accessexclusivelock"}' \
	'pg_stat_archiver_archived_total{target="main"}' 'pg_stat_wal_bytes_total{target="main"}' \
	'pg_stat_bgwriter_checkpoints_timed_total{target="main"}' \
	'pg_stat_statements_available{target="main"} 1' \
	'pg_stat_statements_stats_reset_timestamp_seconds{target="main"}' \
	'pg_stat_statements_dealloc_total{target="main"}' \
	'dbpulse_up{target="main",collector="postgres"} 1'; do
	check "exposes $name" grep -qF -- "$name" "$TMP/m"
done
failed=$(grep '^dbpulse_pg_query_success{' "$TMP/m" | grep -v ' 1$')
check "the pg_monitor role runs every query without an error" test -z "$failed"
[ -n "$failed" ] && diag "$failed"
check "no warning in the log" sh -c "! grep -q 'level=warn' '$TMP/agent.log'"
out=$(promtool_clean "$TMP/m")
check "promtool check metrics remarks only on the peers' names" test -z "$out"
[ -n "$out" ] && diag "$out"
check "one agent session" test "$(agent_sessions)" = 1

# a statement run 37 times: exactly 37 more calls
quiet "CREATE TABLE IF NOT EXISTS t37 (id int); INSERT INTO t37 SELECT generate_series(1, 3)" >/dev/null
pg_sql "SELECT id /* dbpulse-37 */ FROM t37" >/dev/null
qid=$(quiet "SELECT queryid FROM pg_stat_statements WHERE query LIKE '%dbpulse-37%' AND query NOT LIKE '%pg_stat_statements%' LIMIT 1")
check "the statement is in pg_stat_statements" test -n "$qid"
wait_cycles 2
save
series="{target=\"main\",datname=\"postgres\",user=\"postgres\",queryid=\"$qid\"}"
c0=$(value "pg_stat_statements_calls_total$series")
r0=$(value "pg_stat_statements_rows_total$series")
t0=$(value "pg_stat_statements_seconds_total$series")
check "its series is exported (calls $c0)" test -n "$c0"
check "its text is in pg_stat_statements_query_info" grep -qF "queryid=\"$qid\",query=\"SELECT id /* dbpulse-37 */ FROM t37\"} 1" "$TMP/m" ||
	diag "$(grep "pg_stat_statements_query_info.*$qid" "$TMP/m")"
for _ in $(seq 1 37); do echo "SELECT id /* dbpulse-37 */ FROM t37;"; done | pg_sql >/dev/null
wait_cycles 2
save
c1=$(value "pg_stat_statements_calls_total$series")
r1=$(value "pg_stat_statements_rows_total$series")
t1=$(value "pg_stat_statements_seconds_total$series")
check "37 runs: exactly 37 more calls ($c0 -> $c1)" test "$((c1 - c0))" = 37
check "37 runs of 3 rows: 111 more rows ($r0 -> $r1)" test "$((r1 - r0))" = 111
check "its time grew ($t0 -> $t1)" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b > a) }'

# a wrong and a right count of series, and the sums
stop_agent
pg_load_statements 2000 >/dev/null
pg_config_file "$TMP/top50.ini" "statements_top = 50"
start_agent "$TMP/top50.ini" || { not_ok "agent restarts"; done_testing; }
wait_for 15 has_metric 'pg_stat_statements_available{target="main"} 1'
wait_cycles 2
save
n=$(grep -c '^pg_stat_statements_calls_total{' "$TMP/m")
others=$(grep -c '^pg_stat_statements_calls_total{.*queryid="other"}' "$TMP/m")
check "2,000 statements, statements_top 50: 51 series ($n)" test "$n" = 51
check "one of them is queryid=\"other\"" test "$others" = 1
pgsum=$(quiet "SELECT sum(calls) FROM pg_stat_statements")
oursum=$(awk '/^pg_stat_statements_calls_total\{/ { s += $NF } END { printf "%.0f", s }' "$TMP/m")
check "the sum over the series is the sum over pg_stat_statements ($oursum = $pgsum)" test "$oursum" = "$pgsum"
pgrows=$(quiet "SELECT sum(rows) FROM pg_stat_statements")
ourrows=$(awk '/^pg_stat_statements_rows_total\{/ { s += $NF } END { printf "%.0f", s }' "$TMP/m")
check "the same for rows ($ourrows = $pgrows)" test "$ourrows" = "$pgrows"

# a reset: no counter series goes down
grep '^pg_stat_statements_[a-z_]*_total{' "$TMP/m" | sort >"$TMP/before"
pg_sql "SELECT pg_stat_statements_reset()" >/dev/null
pg_sql "SELECT id /* dbpulse-37 */ FROM t37" >/dev/null
wait_cycles 2
save
grep '^pg_stat_statements_[a-z_]*_total{' "$TMP/m" | sort >"$TMP/after"
down=$(join "$TMP/before" "$TMP/after" | awk '$3 < $2')
check "after pg_stat_statements_reset() no series decreased" test -z "$down"
[ -n "$down" ] && diag "$down"
check "the reset time moved" test "$(value 'pg_stat_statements_stats_reset_timestamp_seconds{target="main"}')" != ""
check "still one agent session" test "$(agent_sessions)" = 1

# a lock: the size query gives up at lock_timeout, the rest arrives
quiet "CREATE TABLE IF NOT EXISTS locked (id int)" >/dev/null
( echo "BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT;" |
	PGOPTIONS="-c application_name=locker" pg_sql >/dev/null 2>&1 ) &
locker=$!
lock_held() {
	test "$(quiet "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE c.relname = 'locked' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1
}
check "another session holds ACCESS EXCLUSIVE on a table" wait_for 10 lock_held
wait_cycles 2
save
check "the locked size query failed" grep -q '^dbpulse_pg_query_success{target="main",query="table_sizes"} 0$' "$TMP/m"
check "pg_up stays 1" grep -q '^pg_up{target="main"} 1$' "$TMP/m"
check "the other queries succeeded" grep -q '^dbpulse_pg_query_success{target="main",query="stat_database"} 1$' "$TMP/m"
check "one agent session while locked" test "$(agent_sessions)" = 1
quiet "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
wait $locker

# the server stops: pg_up 0 at the next cycle, /metrics answers at once
pg_stop
check "server stopped: pg_up 0 within two intervals" wait_for 3 has_metric 'pg_up{target="main"} 0'
ms=$(curl -s -o /dev/null -w '%{time_total}' "$URL/metrics" | awk '{ printf "%d", $1 * 1000 }')
check "server stopped: /metrics answers in ${ms} ms" test "$ms" -lt 500
pg_restart
check "server back: pg_up 1 within two intervals (+ its start)" wait_for 5 has_metric 'pg_up{target="main"} 1'
check "one agent session after the restart" test "$(agent_sessions)" = 1
stop_agent

# databases: the tables of another database, through a short connection
pg_sql "CREATE DATABASE app" >/dev/null
pg_sql_db app "CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 100);
	DELETE FROM orders WHERE id <= 40; GRANT CONNECT ON DATABASE app TO dbpulse" >/dev/null
pg_config_file "$TMP/dbs.ini" "databases = postgres, app"
start_agent "$TMP/dbs.ini" || { not_ok "agent starts"; done_testing; }
check "databases: the other database's tables are reported" \
	wait_for 10 has_metric 'pg_stat_user_tables_n_dead_tup{target="main",datname="app",schemaname="public",relname="orders"}'
save
check "databases: with their sizes" \
	grep -q '^pg_stat_user_tables_total_size_bytes{target="main",datname="app",schemaname="public",relname="orders"} ' "$TMP/m"
check "databases: and the DSN's database's" grep -q '^pg_stat_user_tables_n_live_tup{target="main",datname="postgres",' "$TMP/m"
stop_agent

# a database without the extension: said once, the rest collected
pg_config_file "$TMP/noext.ini"
sed -i "s/^dsn = .*/dsn = ${PG_DSN/dbname=postgres/dbname=app}/" "$TMP/noext.ini"
start_agent "$TMP/noext.ini" || { not_ok "agent starts"; done_testing; }
check "no extension: pg_stat_statements_available 0" \
	wait_for 10 has_metric 'pg_stat_statements_available{target="main"} 0'
wait_cycles 2
check "no extension: pg_up 1 and the rest collected" has_metric 'pg_stat_database_xact_commit_total{target="main",datname="app"}'
check "no extension: said once in the log" \
	test "$(grep -c 'pg_stat_statements is not installed' "$TMP/agent.log")" = 1
stop_agent

# a wrong password: pg_up 0, one clear line naming the target, not the password
export PGTEST_PASSWORD=not-the-right-one-42
pg_config_file "$TMP/bad.ini"
start_agent "$TMP/bad.ini" || { not_ok "agent starts"; done_testing; }
check "wrong password: pg_up 0" wait_for 10 has_metric 'pg_up{target="main"} 0'
e1=$(metric_value 'dbpulse_collect_errors_total{target="main"}')
sleep 2.5
e2=$(metric_value 'dbpulse_collect_errors_total{target="main"}')
check "wrong password: the error counter rises ($e1 -> $e2)" test "$e2" -gt "$e1"
check "wrong password: one log line naming the target and the cause" \
	test "$(grep -c 'target=main.*password authentication failed' "$TMP/agent.log")" = 1
check "the password is in no log line" sh -c "! grep -q 'not-the-right-one-42' '$TMP/agent.log'"
stop_agent

# password_file: refused while others may read it, used once it is 0600
printf '%s\n' "$PG_PASSWORD" >"$TMP/pgpass"
chmod 644 "$TMP/pgpass"
pg_config_file "$TMP/pwfile.ini"
sed -i "s|^password_env = .*|password_file = $TMP/pgpass|" "$TMP/pwfile.ini"
start_agent "$TMP/pwfile.ini" || { not_ok "agent starts"; done_testing; }
check "password_file readable by others: pg_up 0" wait_for 5 has_metric 'pg_up{target="main"} 0'
check "password_file readable by others: the log says why" \
	grep -q "target=main.*password_file '$TMP/pgpass' has group or world access" "$TMP/agent.log"
chmod 600 "$TMP/pgpass"
check "password_file 0600: pg_up 1 at the next attempt" wait_for 10 has_metric 'pg_up{target="main"} 1'
stop_agent

# every database down from the start: the agent starts and answers
export PGTEST_PASSWORD="$PG_PASSWORD"
pg_config_file "$TMP/down.ini"
sed -i "s/^dsn = .*/dsn = host=127.0.0.1 port=1 dbname=postgres user=dbpulse/" "$TMP/down.ini"
start_agent "$TMP/down.ini" || { not_ok "agent starts with its database down"; done_testing; }
check "database down from the start: pg_up 0" wait_for 5 has_metric 'pg_up{target="main"} 0'
check "database down from the start: /healthz answers" test "$(curl -sS "$URL/healthz")" = ok
done_testing
