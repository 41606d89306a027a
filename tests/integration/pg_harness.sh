#!/bin/bash
# pg_harness.sh -- the PostgreSQL test harness itself (pg_lib.sh): a
# throwaway cluster on a free loopback port with pg_stat_statements, the
# least-privilege dbpulse role and its password, stop / crash / restart on
# the same port, a taken port retried, and nothing left behind when a
# script ends, fails midway or is killed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
pg_require

# every process of a cluster has PG_DIR in its command line or title
leftovers() { pgrep -f -- "$1" 2>/dev/null; }
nothing_left() { # nothing_left PG_DIR TMP POSTMASTER_PID
	! pg_alive "$3" && [ -z "$(leftovers "$1")" ] && [ -z "$(leftovers "$2")" ] &&
		[ ! -e "$1" ] && [ ! -e "$2" ]
}
port_closed() { ! pg_port_busy "$1"; }

start=$(date +%s%N)
pg_start "work_mem = 7MB" || { not_ok "pg_start"; done_testing; }
ms=$((($(date +%s%N) - start) / 1000000))
ok "pg_start: a cluster on port $PGPORT_TEST in ${ms} ms"
check "the EXIT trap runs pg_cleanup, then lib.sh's cleanup" \
	test "$(trap -p EXIT)" = "trap -- 'pg_cleanup; cleanup' EXIT"
check "PG_DSN is the dbpulse role over TCP" \
	test "$PG_DSN" = "host=127.0.0.1 port=$PGPORT_TEST dbname=postgres user=dbpulse"
check "PGPORT_TEST, PG_DSN and PG_PASSWORD are exported" \
	sh -c 'test -n "$PGPORT_TEST" && test -n "$PG_DSN" && test "$PG_PASSWORD" = dbpulse-secret'
check "the cluster lives in \$TMP/pg" test "$PG_DIR" = "$TMP/pg" -a -f "$PG_DATA/PG_VERSION"
if [ "$(id -u)" = 0 ]; then
	check "as root, the postmaster runs as postgres" test "$(ps -o user= -p "$PG_PID")" = postgres
else
	check "the postmaster runs as the test's user" test "$(ps -o user= -p "$PG_PID")" = "$(id -un)"
fi
check "the unix socket is inside the cluster's directory" test -S "$PG_SOCKDIR/.s.PGSQL.$PGPORT_TEST"

settings=$(pg_sql "SELECT name || '=' || setting FROM pg_settings WHERE name IN
	('listen_addresses', 'fsync', 'max_connections', 'shared_preload_libraries', 'work_mem',
	 'pg_stat_statements.track', 'pg_stat_statements.max', 'port') ORDER BY name")
check "the settings are the harness's (and the test's own line wins)" test "$settings" = "\
fsync=off
listen_addresses=127.0.0.1
max_connections=50
pg_stat_statements.max=10000
pg_stat_statements.track=all
port=$PGPORT_TEST
shared_preload_libraries=pg_stat_statements
work_mem=7168"
check "PostgreSQL 15" test "$(pg_sql "SHOW server_version_num" | cut -c1-2)" = 15

# pg_sql: stdin, several statements, CREATE DATABASE
out=$(pg_sql <<'SQL'
CREATE DATABASE harness;
SELECT 1;
SELECT 'two';
SQL
)
check "pg_sql runs a script from stdin, every result printed" test "$out" = "1
two"
check "pg_sql_db runs SQL in another database" test "$(pg_sql_db harness "SELECT current_database()")" = harness
pg_sql "SELEC 1" 2>/dev/null
check "pg_sql fails on an SQL error (exit 3)" test $? = 3

# the dbpulse role
check "the dbpulse role: login, not superuser, member of pg_monitor" test \
	"$(pg_sql "SELECT rolcanlogin, rolsuper, pg_has_role('dbpulse', 'pg_monitor', 'member')
		FROM pg_roles WHERE rolname = 'dbpulse'")" = "t|f|t"
check "dbpulse connects over TCP with its password" \
	test "$(pg_sql_as dbpulse "$PG_PASSWORD" "SELECT current_user || ' ' || host(inet_server_addr())")" = "dbpulse 127.0.0.1"
err=$(pg_sql_as dbpulse wrong-password "SELECT 1" 2>&1)
rc=$?
check "dbpulse with a wrong password is refused (exit $rc)" test $rc = 2
check "  ... by password authentication" grep -q 'password authentication failed for user "dbpulse"' <<<"$err"
err=$("$PG_BINDIR/psql" -X -At -w "host=$PG_SOCKDIR port=$PGPORT_TEST dbname=postgres user=dbpulse" \
	-c "SELECT 1" 2>&1)
check "dbpulse without a password is refused on the unix socket too" grep -q 'no password supplied' <<<"$err"
err=$("$PG_BINDIR/psql" -X -At -w "host=127.0.0.1 port=$PGPORT_TEST dbname=postgres user=postgres" \
	-c "SELECT 1" 2>&1)
check "the superuser cannot log in over TCP" grep -q 'no password supplied' <<<"$err"

# pg_stat_statements, read by the pg_monitor role
for _ in $(seq 37); do echo "SELECT 'harness' || 37;"; done | pg_sql >/dev/null
check "pg_stat_statements counts calls (37, track = all)" test \
	"$(pg_sql_as dbpulse "$PG_PASSWORD" "SELECT sum(calls) FROM pg_stat_statements
		WHERE query = 'SELECT \$1 || \$2'")" = 37
n=$(pg_sql_as dbpulse "$PG_PASSWORD" "SELECT count(*) FROM pg_stat_statements")
check "dbpulse reads pg_stat_statements ($n entries)" test "${n:-0}" -gt 0
check "  ... with the query texts of the other roles" test \
	"$(pg_sql_as dbpulse "$PG_PASSWORD" "SELECT count(*) FROM pg_stat_statements
		WHERE query = '<insufficient privilege>'")" = 0
start=$(date +%s%N)
pg_load_statements 1000 2>"$TMP/load.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "pg_load_statements 1000: 1000 distinct query ids (${ms} ms)" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$TMP/load.err")"

pg_start 2>/dev/null >&2
check "a second pg_start in the same script is refused" test $? = 1

# stop, crash, restart on the same port
port=$PGPORT_TEST
pg_sql "CREATE TABLE survivor (v text); INSERT INTO survivor VALUES ('still here')"
pg_stop
check "pg_stop: the postmaster is gone" test -z "$(leftovers "$PG_DIR")"
check "pg_stop: the port is closed" port_closed "$port"
check "pg_stop: the cluster's directory stays" test -f "$PG_DATA/PG_VERSION"
pg_restart
check "pg_restart after pg_stop: same port, same data" \
	test "$(pg_sql "SELECT v FROM survivor")/$PGPORT_TEST" = "still here/$port"

pg_sql "INSERT INTO survivor VALUES ('after a crash')"
old_pid=$PG_PID
pg_kill
check "pg_kill: every process of the cluster is gone" test -z "$(leftovers "$PG_DIR")"
check "pg_kill: the port is closed" port_closed "$port"
pg_sql_fails() { ! pg_sql 'SELECT 1' 2>/dev/null; }
check "pg_kill: a connection now fails" pg_sql_fails
start=$(date +%s%N)
pg_restart
ms=$((($(date +%s%N) - start) / 1000000))
check "pg_restart after pg_kill: a new postmaster (${ms} ms)" test -n "$PG_PID" -a "$PG_PID" != "$old_pid"
check "  ... on the same port, committed rows recovered" \
	test "$(pg_sql "SELECT count(*) FROM survivor")/$PGPORT_TEST" = "2/$port"
check "  ... and the dbpulse role still logs in" \
	test "$(pg_sql_as dbpulse "$PG_PASSWORD" "SELECT count(*) > 0 FROM pg_stat_statements")" = t
check "the server log shows the crash recovery" grep -q 'database system was interrupted' "$PG_LOG"

# a second script wanting the same port moves on: PG_PORT_FIRST on a port
# in use, once skipped by the probe and once (probe disabled) by the failing
# bind that pg_start retries
(
	. "$top_srcdir/tests/integration/lib.sh"
	. "$top_srcdir/tests/integration/pg_lib.sh"
	PG_PORT_FIRST=$port pg_start >/dev/null 2>&1 || exit 1
	[ "$PGPORT_TEST" != "$port" ] && [ "$(pg_sql "SELECT 1")" = 1 ]
)
check "a port in use is skipped" test $? = 0
(
	. "$top_srcdir/tests/integration/lib.sh"
	. "$top_srcdir/tests/integration/pg_lib.sh"
	pg_port_busy() { return 1; }
	PG_PORT_FIRST=$port pg_start >/dev/null 2>&1 || exit 1
	[ "$PGPORT_TEST" != "$port" ] && [ "$(pg_sql "SELECT 1")" = 1 ] &&
		grep -q 'could not bind' "$PG_LOG"
)
check "a port taken at bind time is retried with the next one" test $? = 0

# nothing survives a script: one that fails midway, one killed by SIGTERM,
# one killed by SIGKILL (the watchdog cleans up within about a second)
child() { # child HOW: a script that starts a cluster, then ends HOW
	top_srcdir=$top_srcdir bash -c '
		. "$top_srcdir/tests/integration/lib.sh"
		. "$top_srcdir/tests/integration/pg_lib.sh"
		pg_start || exit 9
		echo "$PG_DIR $TMP $PG_PID" >"'"$TMP"'/child"
		case $1 in
		fail) pg_sql "SELECT no_such_column" 2>/dev/null || exit 1 ;;
		*) sleep 60 & echo $! >"'"$TMP"'/child.sleep"; wait ;;
		esac' child "$1" >/dev/null 2>&1 &
}
gone_after() { # gone_after HOW SIGNAL
	rm -f "$TMP/child"
	child "$1"
	local pid=$!
	wait_for 20 test -s "$TMP/child" || { kill -KILL $pid; return 1; }
	read -r cdir ctmp cpid <"$TMP/child"
	[ -n "$2" ] && kill "-$2" $pid
	{ wait $pid; } 2>/dev/null
	wait_for 5 nothing_left "$cdir" "$ctmp" "$cpid"
	local rc=$?
	[ -s "$TMP/child.sleep" ] && kill "$(cat "$TMP/child.sleep")" 2>/dev/null
	rm -f "$TMP/child.sleep"
	return $rc
}
check "a script failing midway leaves no process and no directory" gone_after fail ""
check "a script killed by SIGTERM leaves nothing" gone_after sleep TERM
check "a script killed by SIGKILL leaves nothing (watchdog)" gone_after sleep KILL

# and this script: what its EXIT trap does, run now
dir=$PG_DIR
pg_cleanup
check "pg_cleanup: no process left (pgrep -f $TMP)" test -z "$(leftovers "$TMP")"
check "pg_cleanup: the cluster's directory is gone" test ! -e "$dir"
check "pg_cleanup: the watchdog is gone" test -z "$PG_WATCHDOG"
done_testing
