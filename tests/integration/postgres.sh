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

quiet "CREATE TABLE IF NOT EXISTS t37 (id int); INSERT INTO t37 SELECT generate_series(1, 3)" >/dev/null
pg_config_file "$TMP/agent.ini" "statements_top = 100" "statements_query_info = true"
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
check "pg_up 1 with the pg_monitor role" wait_for 15 has_metric 'pg_up{target="main"} 1'
wait_cycles 2
save
for name in \
	'pg_static{target="main",server="127.0.0.1:'"$PGPORT_TEST"'",version="PostgreSQL 15.' \
	'pg_postmaster_start_time_seconds{target="main"}' \
	'pg_replication_is_replica{target="main"} 0' 'pg_replication_lag_seconds{target="main"} 0' \
	'pg_settings_max_connections{target="main"} 50' \
	'pg_settings_superuser_reserved_connections{target="main"}' \
	'pg_connections_utilization_ratio{target="main"}' \
	'pg_stat_database_xact_commit{target="main",datid="' \
	'pg_stat_database_blks_hit{target="main",datid="' \
	'pg_stat_database_deadlocks{target="main",datid="' \
	'pg_stat_database_conflicts_confl_lock{target="main",datid="' \
	'pg_database_size_bytes{target="main",datname="postgres"}' \
	'pg_database_connection_limit{target="main",datname="template0"} -1' \
	'pg_roles_connection_limit{target="main",rolname="dbpulse"} -1' \
	'pg_database_wraparound_age_datfrozenxid_seconds{target="main",datname="postgres"}' \
	'pg_stat_activity_count{target="main",datname="postgres",state="idle in transaction",usename="",application_name="",backend_type="",wait_event_type="",wait_event=""} 0' \
	'pg_stat_activity_max_tx_duration{target="main",datname="template1",state="active",' \
	'pg_stat_activity_max_query_duration_seconds{target="main",datname="postgres"}' \
	'pg_stat_activity_lock_waiters{target="main",datname="postgres"}' \
	'pg_long_running_transactions{target="main"}' \
	'pg_locks_count{target="main",datname="postgres",mode="accessexclusivelock"}' \
	'pg_stat_archiver_archived_count{target="main"}' 'pg_stat_wal_bytes_total{target="main"}' \
	'pg_wal_segments{target="main"}' 'pg_wal_size_bytes{target="main"}' \
	'pg_stat_bgwriter_checkpoints_timed_total{target="main"}' \
	'pg_stat_bgwriter_checkpoint_write_time_total{target="main"}' \
	'pg_stat_user_tables_seq_scan{target="main",datname="postgres",' \
	'pg_statio_user_tables_heap_blocks_hit{target="main",datname="postgres",' \
	'pg_scrape_collector_success{target="main",collector="stat_activity"} 1' \
	'pg_scrape_collector_success{target="main",collector="settings"} 1' \
	'pg_exporter_last_scrape_error{target="main"} 0' 'pg_exporter_scrapes_total{target="main"}' \
	'pg_stat_statements_available{target="main"} 1' \
	'pg_stat_statements_stats_reset_timestamp_seconds{target="main"}' \
	'pg_stat_statements_dealloc_total{target="main"}' \
	'dbpulse_up{target="main",collector="postgres"} 1'; do
	check "exposes $name" grep -qF -- "$name" "$TMP/m"
done
# every database x state, zeros included, as postgres_exporter (3 databases, 6 states)
check "pg_stat_activity_count: a series for every database and state" \
	test "$(grep '^pg_stat_activity_count{' "$TMP/m" | grep -c 'usename="",application_name=""')" -ge 15
# the settings in postgres_exporter's units: shared_buffers in bytes as SHOW says
sb=$(quiet "SELECT pg_size_bytes(current_setting('shared_buffers'))")
check "pg_settings_shared_buffers_bytes is SHOW shared_buffers in bytes ($sb)" \
	test "$(value 'pg_settings_shared_buffers_bytes{target="main"}')" = "$sb"
check "pg_settings_checkpoint_timeout_seconds is in seconds" \
	test "$(value 'pg_settings_checkpoint_timeout_seconds{target="main"}')" = \
	"$(quiet "SELECT extract(epoch FROM current_setting('checkpoint_timeout')::interval)::int")"
check "every numeric setting: one pg_settings_* each" \
	test "$(grep -c '^pg_settings_' "$TMP/m")" = \
	"$(quiet "SELECT count(*) FROM pg_settings WHERE vartype IN ('bool', 'integer', 'real')")"
datid=$(quiet "SELECT oid FROM pg_database WHERE datname = 'postgres'")
commits="pg_stat_database_xact_commit{target=\"main\",datid=\"$datid\",datname=\"postgres\"}"
x0=$(value "$commits")
quiet "SELECT 1" >/dev/null
failed=$(grep '^dbpulse_pg_query_success{' "$TMP/m" | grep -v ' 1$')
check "the pg_monitor role runs every query without an error" test -z "$failed"
[ -n "$failed" ] && diag "$failed"
check "no warning in the log" sh -c "! grep -q 'level=warn' '$TMP/agent.log'"
out=$(promtool_clean "$TMP/m")
check "promtool check metrics remarks only on the peers' names" test -z "$out"
[ -n "$out" ] && diag "$out"
check "one agent session" test "$(agent_sessions)" = 1

# a statement run 37 times: exactly 37 more calls
pg_sql "SELECT id /* dbpulse-37 */ FROM t37" >/dev/null
qid=$(quiet "SELECT queryid FROM pg_stat_statements WHERE query LIKE '%dbpulse-37%' AND query NOT LIKE '%pg_stat_statements%' LIMIT 1")
check "the statement is in pg_stat_statements" test -n "$qid"
wait_cycles 2
save
x1=$(value "$commits")
check "pg_stat_database_xact_commit grows ($x0 -> $x1)" test "${x1%.*}" -gt "${x0%.*}"
series="{target=\"main\",datname=\"postgres\",user=\"postgres\",queryid=\"$qid\"}"
c0=$(value "pg_stat_statements_calls_total$series")
r0=$(value "pg_stat_statements_rows_total$series")
t0=$(value "pg_stat_statements_seconds_total$series")
check "its series is exported (calls $c0)" test -n "$c0"
check "its text is in pg_stat_statements_query_id" grep -qF "queryid=\"$qid\",query=\"SELECT id /* dbpulse-37 */ FROM t37\"} 1" "$TMP/m" ||
	diag "$(grep "pg_stat_statements_query_id.*$qid" "$TMP/m")"
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
reset0=$(value 'pg_stat_statements_stats_reset_timestamp_seconds{target="main"}')
sleep 1 # the reset time has whole seconds at least
pg_sql "SELECT pg_stat_statements_reset()" >/dev/null
pg_sql "SELECT id /* dbpulse-37 */ FROM t37" >/dev/null
wait_cycles 2
save
grep '^pg_stat_statements_[a-z_]*_total{' "$TMP/m" | sort >"$TMP/after"
down=$(join "$TMP/before" "$TMP/after" | awk '$3 < $2')
check "after pg_stat_statements_reset() no series decreased" test -z "$down"
[ -n "$down" ] && diag "$down"
reset1=$(value 'pg_stat_statements_stats_reset_timestamp_seconds{target="main"}')
check "the reset time moved forward ($reset0 -> $reset1)" \
	awk -v a="${reset0:-x}" -v b="${reset1:-x}" 'BEGIN { exit !(a != "x" && b != "x" && b > a) }'
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
check "and postgres_exporter's stat_user_tables collector with it" \
	grep -q '^pg_scrape_collector_success{target="main",collector="stat_user_tables"} 0$' "$TMP/m"
check "pg_locks_count counts the lock held" awk -v m='pg_locks_count{target="main",datname="postgres",mode="accessexclusivelock"}' \
	'index($0, m " ") == 1 && $NF >= 1 { found = 1 } END { exit !found }' "$TMP/m"
check "pg_up stays 1" grep -q '^pg_up{target="main"} 1$' "$TMP/m"
check "the other queries succeeded" grep -q '^dbpulse_pg_query_success{target="main",query="stat_database"} 1$' "$TMP/m"
check "one agent session while locked" test "$(agent_sessions)" = 1
quiet "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
wait $locker

# a query in the middle of a cycle's queries, which go to the server
# together (one pipeline), fails: no right to read pg_stat_archiver.  Only
# it fails; the ones after it in the pipeline run, and it works again
# once the right is back
success() { # success QUERY: dbpulse_pg_query_success of that query, last save
	value "dbpulse_pg_query_success{target=\"main\",query=\"$1\"}"
}
quiet "REVOKE SELECT ON pg_catalog.pg_stat_archiver FROM PUBLIC" >/dev/null
wait_cycles 2
save
check "the archiver query fails without the right to read the view" test "$(success archiver)" = 0
check "the queries sent after it succeed (wal $(success wal), bgwriter $(success bgwriter), tables $(success tables))" \
	test "$(success wal)$(success bgwriter)$(success progress_vacuum)$(success tables)" = 1111
check "and the ones before it (stat_database $(success stat_database), locks $(success locks))" \
	test "$(success stat_database)$(success locks)$(success slots)" = 111
check "no pg_stat_archiver series, the WAL's are there" sh -c "! grep -q '^pg_stat_archiver_' '$TMP/m' &&
	grep -q '^pg_stat_wal_records_total{target=\"main\"}' '$TMP/m'"
check "pg_up stays 1" grep -q '^pg_up{target="main"} 1$' "$TMP/m"
check "the failure is logged once, with the server's reason" \
	test "$(grep -c 'query archiver failed: .*permission denied' "$TMP/agent.log")" = 1
check "one agent session with a query failing" test "$(agent_sessions)" = 1
quiet "GRANT SELECT ON pg_catalog.pg_stat_archiver TO PUBLIC" >/dev/null
wait_cycles 2
save
check "with the right back, the archiver query succeeds" test "$(success archiver)" = 1
check "and says so in the log" grep -q 'query archiver works again' "$TMP/agent.log"

# the server stops: pg_up 0 at the next cycle, /metrics answers at once
pg_stop
check "server stopped: pg_up 0 within two intervals" wait_for 3 has_metric 'pg_up{target="main"} 0'
ms=$(scrape_ms)
check "server stopped: /metrics answers 200 in ${ms} ms" test "$ms" != fail -a "${ms/fail/9999}" -lt 500
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
	grep -q '^pg_stat_user_tables_table_size_bytes{target="main",datname="app",schemaname="public",relname="orders"} ' "$TMP/m"
check "databases: and the DSN's database's" grep -q '^pg_stat_user_tables_n_live_tup{target="main",datname="postgres",' "$TMP/m"
stop_agent

# a database without the extension: said once, the rest collected
pg_config_file "$TMP/noext.ini"
sed -i "s/^dsn = .*/dsn = ${PG_DSN/dbname=postgres/dbname=app}/" "$TMP/noext.ini"
start_agent "$TMP/noext.ini" || { not_ok "agent starts"; done_testing; }
check "no extension: pg_stat_statements_available 0" \
	wait_for 10 has_metric 'pg_stat_statements_available{target="main"} 0'
wait_cycles 2
check "no extension: pg_up 1 and the rest collected" \
	has_metric 'pg_stat_database_xact_commit{target="main",datid="[0-9]*",datname="app"}'
check "no extension: said once in the log" \
	test "$(grep -c 'pg_stat_statements is not installed' "$TMP/agent.log")" = 1
stop_agent

# a streaming standby (through the slot "standby") and a vacuum that runs
# for a while (100 ms a page): both sides' replication families, and
# pg_stat_progress_vacuum, which has rows only while a vacuum runs
pg_start_standby || { not_ok "a standby starts"; done_testing; }
quiet "CREATE TABLE vacuumed (i int) WITH (autovacuum_enabled = false);
	INSERT INTO vacuumed SELECT generate_series(1, 100000); DELETE FROM vacuumed WHERE i % 2 = 0" >/dev/null
pg_config_file "$TMP/standby.ini"
printf '[postgres "standby"]\ndsn = %s\npassword_env = PGTEST_PASSWORD\ninterval = 1s\ntimeout = 1s\n' \
	"$PG_STANDBY_DSN" >>"$TMP/standby.ini"
# (PGAPPNAME: quiet sets PGOPTIONS, so an application_name put there was
# lost, the cancel below found no session and the test waited for the
# throttled vacuum to end, minutes on a loaded machine)
( PGAPPNAME=vacuumer quiet "SET vacuum_cost_delay = 100; SET vacuum_cost_limit = 1;
	VACUUM vacuumed" >/dev/null 2>&1 ) &
vacuumer=$!
( (echo "SELECT 1;"; sleep 15) | PGAPPNAME=idler pg_sql >/dev/null 2>&1 ) &
idler=$!
start_agent "$TMP/standby.ini" || { not_ok "agent starts"; done_testing; }
check "standby: pg_up 1" wait_for 15 has_metric 'pg_up{target="standby"} 1'
wait_cycles 2
wait_collections standby 2
save
primary_lsn=$(quiet "SELECT pg_current_wal_lsn() - '0/0'")
for name in \
	'pg_replication_is_replica{target="standby"} 1' \
	'pg_stat_replication_pg_wal_lsn_diff{target="main",application_name="'"$PG_STANDBY_DIR"'",client_addr="",state="streaming",slot_name="standby"}' \
	'pg_stat_replication_pg_current_wal_lsn_bytes{target="main",' \
	'pg_stat_replication_replay_lag_seconds{target="main",' \
	'pg_replication_slots_active{target="main",slot_name="standby",database=""} 1' \
	'pg_replication_slots_slot_is_active{target="main",slot_name="standby",slot_type="physical"} 1' \
	'pg_replication_slots_wal_status{target="main",slot_name="standby",slot_type="physical",wal_status="reserved"} 1' \
	'pg_stat_wal_receiver_streaming{target="standby"} 1' \
	'pg_stat_wal_receiver_received_tli{target="standby",upstream_host="'"$PG_SOCKDIR"'",slot_name="standby",status="streaming"} 1' \
	'pg_stat_wal_receiver_flushed_lsn{target="standby",' \
	'pg_stat_wal_receiver_last_msg_receipt_time{target="standby",' \
	'pg_stat_wal_receiver_last_msg_age_seconds{target="standby"}' \
	'pg_stat_progress_vacuum_phase{target="main",datname="postgres",relname="vacuumed",phase="' \
	'pg_stat_progress_vacuum_heap_blks{target="main",datname="postgres",relname="vacuumed"}' \
	'pg_process_idle_seconds_count{target="main",state="idle",application_name="idler"} 1' \
	'pg_process_idle_seconds_bucket{target="main",state="idle",application_name="idler",le="+Inf"} 1'; do
	check "standby: exposes $name" grep -qF -- "$name" "$TMP/m"
done
check "the vacuum is in exactly one phase" \
	test "$(grep '^pg_stat_progress_vacuum_phase{target="main",datname="postgres",relname="vacuumed"' "$TMP/m" |
		awk '{ s += $NF } END { print s }')" = 1
flushed=$(awk '/^pg_stat_wal_receiver_flushed_lsn\{target="standby"/ { print $NF }' "$TMP/m")
check "standby: flushed_lsn near the primary's WAL position ($flushed, $primary_lsn)" \
	awk -v a="$flushed" -v b="$primary_lsn" 'BEGIN { exit !(a > 0 && a <= b && b - a < 16777216) }'
quiet "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'vacuumer'" >/dev/null
check "the cancelled vacuum ends" wait_exit "$vacuumer" 60 "the vacuum's psql" ||
	diag "the server's sessions:" "$(quiet "SELECT pid, application_name, state, wait_event, query FROM pg_stat_activity")"
wait $vacuumer
kill "$idler" 2>/dev/null
wait "$idler" 2>/dev/null
stop_agent
pg_standby_stop

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

# password_file: refused while others may read it -- by --check-config, at
# the start and by a reload, with the message the worker would log, and
# never its content -- used once it is 0600
printf '%s\n' "$PG_PASSWORD" >"$TMP/pgpass"
chmod 644 "$TMP/pgpass"
pg_config_file "$TMP/pwfile.ini"
sed -i "s|^password_env = .*|password_file = $TMP/pgpass|" "$TMP/pwfile.ini"
refusal="password_file '$TMP/pgpass' has group or world access"
out=$("$DBPULSE" --check-config -c "$TMP/pwfile.ini" 2>&1)
rc=$?
check "password_file readable by others: --check-config exits 1 saying why" \
	test $rc = 1 -a -n "$(grep -F "[postgres \"main\"] $refusal" <<<"$out")" || diag "$out"
lacks() { ! grep -qF -- "$1" <<<"$2"; }
check "password_file readable by others: --check-config prints no password" lacks "$PG_PASSWORD" "$out"
"$DBPULSE" -c "$TMP/pwfile.ini" 2>"$TMP/refused.log" &
pid=$!
check "password_file readable by others: the agent refuses to start" within 10 sh -c "! kill -0 $pid 2>/dev/null"
wait "$pid"
check "... with status 1, saying why" test $? = 1 -a -n "$(grep -F "$refusal" "$TMP/refused.log")"
chmod 600 "$TMP/pgpass"
start_agent "$TMP/pwfile.ini" || { not_ok "agent starts"; done_testing; }
check "password_file 0600: pg_up 1" wait_for 10 has_metric 'pg_up{target="main"} 1'
chmod 644 "$TMP/pgpass"
kill -HUP "$AGENT_PID"
check "password_file readable by others: a reload is refused, saying why" \
	wait_for 5 sh -c "grep -qF \"$refusal\" '$TMP/agent.log' &&
		grep -q 'reload failed; the previous configuration keeps running' '$TMP/agent.log'"
check "... and the target keeps running" has_metric 'pg_up{target="main"} 1'
chmod 600 "$TMP/pgpass"
stop_agent

# every database down from the start: the agent starts and answers
export PGTEST_PASSWORD="$PG_PASSWORD"
pg_config_file "$TMP/down.ini"
sed -i "s/^dsn = .*/dsn = host=127.0.0.1 port=1 dbname=postgres user=dbpulse/" "$TMP/down.ini"
start_agent "$TMP/down.ini" || { not_ok "agent starts with its database down"; done_testing; }
check "database down from the start: pg_up 0" wait_for 5 has_metric 'pg_up{target="main"} 0'
check "database down from the start: /healthz answers" test "$(curl -sS "$URL/healthz")" = ok
done_testing
