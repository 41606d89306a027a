#!/bin/bash
# redis_harness.sh -- the Redis test harness itself (redis_lib.sh): a
# throwaway redis-server on a free loopback port with the slow log, latency
# tracking and 16 databases, the least-privilege dbpulse user (everything a
# monitoring agent needs, nothing else), stop / crash / restart on the same
# port, a taken port retried, the EXIT trap chained with lib.sh's and
# pg_lib.sh's in either order, and nothing left behind when a script ends,
# fails midway or is killed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis_lib.sh"
redis_require

leftovers() { pgrep -f -- "$1" 2>/dev/null; }
port_closed() { ! redis_port_busy "$1"; }
# listeners PORT: local addresses of the TCP sockets listening on PORT
listeners() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print FILENAME " " $2 }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
fails() { ! "$@"; } # (not sh -c '! ...': sh does not know the functions)
dead() { ! redis_alive "$1"; }

start=$(date +%s%N)
redis_start "maxmemory 64mb" || { not_ok "redis_start"; done_testing; }
ok "redis_start: a server on port $REDIS_PORT_TEST in $(ms_since "$start") ms"
check "the EXIT trap runs redis_cleanup, then lib.sh's cleanup" \
	test "$(trap -p EXIT)" = "trap -- 'redis_cleanup; cleanup' EXIT"
check "REDIS_ADDRESS is 127.0.0.1:PORT" test "$REDIS_ADDRESS" = "127.0.0.1:$REDIS_PORT_TEST"
check "REDIS_PORT_TEST, REDIS_ADDRESS and both passwords are exported" \
	sh -c 'test -n "$REDIS_PORT_TEST" && test -n "$REDIS_ADDRESS" &&
		test ${#REDIS_PASSWORD} = 32 && test ${#REDIS_DBPULSE_PASSWORD} = 32 &&
		test "$REDIS_PASSWORD" != "$REDIS_DBPULSE_PASSWORD"'
check "the server lives in \$TMP/redis, its config readable by its owner only" \
	test "$REDIS_DIR" = "$TMP/redis" -a "$(stat -c %a "$REDIS_CONF")" = 600
check "the server runs as the test's user" test "$(ps -o user= -p "$REDIS_PID")" = "$(id -un)"
check "its title names its config (how leftovers are found)" \
	grep -qF -- "$REDIS_CONF" "/proc/$REDIS_PID/cmdline"
l=$(listeners "$REDIS_PORT_TEST")
check "it listens on 127.0.0.1 only" test "$l" = "/proc/net/tcp 0100007F:$(printf '%04X' "$REDIS_PORT_TEST")"
[ $? = 0 ] || diag "listening: $l"
check "and on its unix socket, inside its directory" test -S "$REDIS_SOCKET" -a "$REDIS_SOCKET" = "$REDIS_DIR/redis.sock"

settings=$(redis_cli CONFIG GET '*' | paste - - | grep -E \
	'^(bind|port|save|appendonly|slowlog-log-slower-than|slowlog-max-len|latency-tracking|databases|maxmemory|enable-debug-command|protected-mode)	' |
	sort)
check "the settings are the harness's (and the test's own line wins)" test "$settings" = "\
appendonly	no
bind	127.0.0.1
databases	16
enable-debug-command	local
latency-tracking	yes
maxmemory	67108864
port	$REDIS_PORT_TEST
protected-mode	yes
save	
slowlog-log-slower-than	10000
slowlog-max-len	128"
[ $? = 0 ] || diag "$settings"
check "Redis 7" test "$(redis_info redis_version | cut -d. -f1)" = 7

# redis_cli and the default user
check "redis_cli: SET then GET" test "$(redis_cli SET greeting hello)/$(redis_cli GET greeting)" = "OK/hello"
out=$(printf 'SELECT 5\nSET five 5\nGET five\nDBSIZE\n' | redis_cli)
check "redis_cli runs commands from stdin on one connection" test "$out" = "OK
OK
5
1"
err=$(redis_cli LPUSH greeting x 2>&1 >/dev/null)
rc=$?
check "redis_cli fails on an error reply (exit $rc), the error on stderr" \
	test $rc = 1 -a "${err#WRONGTYPE}" != "$err"
check "redis_cli -n DB" test "$(redis_cli -n 5 GET five)" = 5
out=$("$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT_TEST" PING 2>&1)
check "without a password the server refuses (NOAUTH)" grep -q '^NOAUTH' <<<"$out"
check "redis_info FIELD reads INFO ALL" test "$(redis_info db5)" = "keys=1,expires=0,avg_ttl=0"
check "redis_info of a missing field: status 1" fails redis_info no_such_field

# data for the dbpulse user: one key of every type, in db 3
redis_cli -n 3 >/dev/null <<-'EOF'
	RPUSH queue:jobs 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42
	XADD queue:events * kind a
	XADD queue:events * kind b
	SADD queue:set a b c
	ZADD queue:zset 1 a 2 b 3 c 4 d
	HSET queue:hash f1 v1 f2 v2 f3 v3 f4 v4 f5 v5
	SET queue:string 0123456789
	SET other:key secret
EOF
as_dbpulse() { redis_cli_as dbpulse "$REDIS_DBPULSE_PASSWORD" "$@"; }
# every command the agent needs, as dbpulse
check "dbpulse: PING" test "$(as_dbpulse PING)" = PONG
info=$(as_dbpulse INFO ALL | tr -d '\r')
check "dbpulse: INFO ALL, with commandstats, latencystats, errorstats, keyspace" \
	test "$(grep -cE '^# (Server|Clients|Memory|Persistence|Stats|Replication|CPU|Commandstats|Errorstats|Latencystats|Keyspace)$' <<<"$info")" = 11
check "  ... maxmemory, maxmemory_policy and maxclients are in INFO (no CONFIG GET needed)" \
	test "$(grep -cE '^(maxmemory:67108864|maxmemory_policy:noeviction|maxclients:[0-9]+)$' <<<"$info")" = 3
check "dbpulse: CLIENT SETNAME" test "$(as_dbpulse CLIENT SETNAME dbpulse)" = OK
check "dbpulse: SLOWLOG LEN" test -n "$(as_dbpulse SLOWLOG LEN)"
quiet() { "$@" >/dev/null 2>&1; } # (a redirection on check would hide its ok line)
check "dbpulse: SLOWLOG GET" quiet as_dbpulse SLOWLOG GET 128
check "dbpulse: SELECT" test "$(as_dbpulse SELECT 15)" = OK
scan=$(as_dbpulse -n 3 SCAN 0 MATCH 'queue:*' COUNT 100 | tail -n +2 | sort | tr '\n' ' ')
check "dbpulse: SCAN finds the queue:* keys of db 3" \
	test "$scan" = "queue:events queue:hash queue:jobs queue:set queue:string queue:zset "
out=$(as_dbpulse -n 3 <<-'EOF'
	CLIENT SETNAME dbpulse
	TYPE queue:jobs
	LLEN queue:jobs
	TYPE queue:events
	XLEN queue:events
	TYPE queue:set
	SCARD queue:set
	TYPE queue:zset
	ZCARD queue:zset
	TYPE queue:hash
	HLEN queue:hash
	TYPE queue:string
	STRLEN queue:string
EOF
)
check "dbpulse: TYPE, LLEN, XLEN, SCARD, ZCARD, HLEN, STRLEN on one connection" test "$out" = "OK
list
42
stream
2
set
3
zset
4
hash
5
string
10"
[ $? = 0 ] || diag "$out"
check "dbpulse over the unix socket too" \
	test "$(as_dbpulse -s "$REDIS_SOCKET" PING)" = PONG
# and nothing else
refused() { # refused COMMAND...: as dbpulse, exit 1 with NOPERM
	local err
	err=$(as_dbpulse "$@" 2>&1 >/dev/null)
	[ $? = 1 ] && grep -q "^NOPERM" <<<"$err"
}
check "dbpulse is refused SET" refused SET k v
check "dbpulse is refused FLUSHALL" refused FLUSHALL
check "dbpulse is refused CONFIG SET" refused CONFIG SET maxmemory 1
check "dbpulse is refused KEYS" refused KEYS '*'
check "dbpulse is refused CONFIG GET (it would show requirepass in clear)" refused CONFIG GET requirepass
check "dbpulse is refused GET (values are user data)" refused -n 3 GET other:key
check "dbpulse is refused DEBUG, SLOWLOG RESET, CLIENT LIST, CLIENT KILL, SHUTDOWN" sh -c '
	for c in "DEBUG SLEEP 0" "SLOWLOG RESET" "CLIENT LIST" "CLIENT KILL ID 1" "SHUTDOWN NOSAVE"; do
		err=$(REDISCLI_AUTH=$REDIS_DBPULSE_PASSWORD "$0" -p "$REDIS_PORT_TEST" --user dbpulse -e $c 2>&1)
		[ $? = 1 ] && case $err in NOPERM*) ;; *) exit 1 ;; esac || exit 1
	done' "$REDIS_CLI"
dryrun=$(redis_cli ACL DRYRUN dbpulse SUBSCRIBE ch; redis_cli ACL DRYRUN dbpulse MONITOR;
	redis_cli ACL DRYRUN dbpulse INFO; redis_cli ACL DRYRUN dbpulse TYPE queue:jobs)
check "dbpulse is refused SUBSCRIBE and MONITOR (ACL DRYRUN; INFO and TYPE: OK)" \
	test "$(cut -c1-28 <<<"$dryrun")" = "This user has no permissions
This user has no permissions
OK
OK"
[ $? = 0 ] || diag "$dryrun"
check "  ... and the data is intact" test "$(redis_cli -n 3 DBSIZE)/$(redis_cli -n 3 GET other:key)" = "7/secret"
err=$(redis_cli_as dbpulse wrong-password PING 2>&1)
rc=$?
check "dbpulse with a wrong password fails (exit $rc)" test $rc = 1
check "  ... WRONGPASS, then NOAUTH" test "$(grep -c -e 'WRONGPASS' -e '^NOAUTH' <<<"$err")" = 2
check "an unknown user fails" fails quiet redis_cli_as nobody "$REDIS_DBPULSE_PASSWORD" PING
acl=$(redis_cli ACL LIST | grep '^user dbpulse ')
check "ACL LIST shows the documented rules" test \
	"$(tr ' ' '\n' <<<"$acl" | grep -v '^#' | sort | tr '\n' ' ')" = \
	"$(tr ' ' '\n' <<<"user dbpulse on $REDIS_DBPULSE_ACL" | sort | tr '\n' ' ')"
[ $? = 0 ] || diag "$acl"

# the slow log, written by the default user, read by dbpulse
before=$(as_dbpulse SLOWLOG LEN)
redis_cli DEBUG SLEEP 0.005 >/dev/null
check "DEBUG SLEEP 0.005 (5 ms, under 10 ms) is not logged" test "$(as_dbpulse SLOWLOG LEN)" = "$before"
redis_cli DEBUG SLEEP 0.05 >/dev/null
check "DEBUG SLEEP 0.05 (50 ms) is: SLOWLOG LEN + 1" test "$(as_dbpulse SLOWLOG LEN)" = $((before + 1))
entry=$(as_dbpulse SLOWLOG GET 1 | tr '\n' ' ')
read -r _ _ usec _ <<<"$entry"
slow_entry() { # (arguments as the client sent them: upper case from redis-cli)
	[ "${usec:-0}" -ge 50000 ] && [ "$usec" -lt 5000000 ] && [[ " ${entry,,}" == *" debug sleep 0.05 "* ]]
}
check "  ... SLOWLOG GET as dbpulse: 'debug sleep 0.05', $usec us" slow_entry
[ $? = 0 ] || diag "SLOWLOG GET 1: $entry"
check "  ... and latencystats has DEBUG's percentiles" \
	grep -q "^latency_percentiles_usec_debug:p50=" <<<"$(as_dbpulse INFO latencystats | tr -d '\r')"

# the benchmark loader, on fresh statistics (the refusals above are
# rejected calls)
redis_cli CONFIG RESETSTAT >/dev/null
start=$(date +%s%N)
redis_load_commands -n 20 2>"$TMP/load.err"
rc=$?
ms=$(ms_since "$start")
n=$(redis_cli INFO commandstats | grep -c '^cmdstat_')
check "redis_load_commands: $n distinct commands in commandstats (${ms} ms)" test $rc = 0 -a "$n" -ge 200
[ $rc = 0 ] || diag "$(cat "$TMP/load.err")"
check "  ... none failed or rejected" test \
	"$(redis_cli INFO commandstats | grep '^cmdstat_' | grep -vc 'rejected_calls=0,failed_calls=0')" = 0
check "  ... keys in all 16 databases" test "$(redis_cli INFO keyspace | grep -c '^db[0-9]*:keys=')" = 16
check "  ... queue:list in db 7 has 17 items" test "$(as_dbpulse -n 7 LLEN queue:list)" = 17

redis_start >/dev/null 2>&1
check "a second redis_start in the same script is refused" test $? = 1

# stop, crash, restart on the same port
port=$REDIS_PORT_TEST
old_pid=$REDIS_PID
redis_stop
check "redis_stop: the server is gone" test -z "$(redis_procs)" -a -z "$(leftovers "$REDIS_CONF")"
check "redis_stop: redis_running is false" fails redis_running
check "redis_stop: the port is closed" port_closed "$port"
check "redis_stop: the directory and config stay" test -f "$REDIS_CONF"
check "redis_stop: the log says SHUTDOWN NOSAVE" grep -q 'User requested shutdown' "$REDIS_LOG"
start=$(date +%s%N)
redis_restart
ms=$(ms_since "$start")
check "redis_restart after redis_stop: same port, new process (${ms} ms)" \
	test "$(redis_cli PING)/$REDIS_PORT_TEST" = "PONG/$port" -a "$REDIS_PID" != "$old_pid"
check "  ... nothing saved: the data set is empty" test "$(redis_cli -n 3 DBSIZE)" = 0
check "  ... the same passwords and users" test "$(as_dbpulse PING)" = PONG

redis_cli SET before-crash 1 >/dev/null
old_pid=$REDIS_PID
redis_kill
check "redis_kill: the process is gone" dead "$old_pid"
check "redis_kill: redis_running is false" fails redis_running
check "redis_kill: the port is closed" port_closed "$port"
err=$(redis_cli PING 2>&1)
rc=$?
check "redis_kill: a command now fails (exit $rc, connection refused)" \
	test $rc = 1 -a "${err#*Connection refused}" != "$err"
check "redis_kill: redis_kill again says it is not running" fails quiet redis_kill
start=$(date +%s%N)
redis_restart
ms=$(ms_since "$start")
check "redis_restart after redis_kill: a new process (${ms} ms)" test -n "$REDIS_PID" -a "$REDIS_PID" != "$old_pid"
check "  ... on the same port, with the dbpulse user" \
	test "$(as_dbpulse PING)/$REDIS_PORT_TEST/$REDIS_ADDRESS" = "PONG/$port/127.0.0.1:$port"
check "  ... and the settings" test "$(redis_cli CONFIG GET slowlog-log-slower-than | tail -n 1)" = 10000
check "the log shows three starts" test "$(grep -c 'Ready to accept connections' "$REDIS_LOG")" = 3

# a second script wanting the same port moves on: REDIS_PORT_FIRST on a
# port in use, once skipped by the probe and once (probe disabled) by the
# failing bind that redis_start retries
(
	. "$top_srcdir/tests/integration/lib.sh"
	. "$top_srcdir/tests/integration/redis_lib.sh"
	REDIS_PORT_FIRST=$port redis_start >/dev/null 2>&1 || exit 1
	[ "$REDIS_PORT_TEST" != "$port" ] && [ "$(redis_cli PING)" = PONG ]
)
check "a port in use is skipped" test $? = 0
(
	. "$top_srcdir/tests/integration/lib.sh"
	. "$top_srcdir/tests/integration/redis_lib.sh"
	redis_port_busy() { return 1; }
	REDIS_PORT_FIRST=$port redis_start >/dev/null 2>&1 || exit 1
	[ "$REDIS_PORT_TEST" = $((port + 1)) ] && [ "$(redis_cli PING)" = PONG ] &&
		grep -q 'Address already in use' "$REDIS_LOG"
)
check "a port taken at bind time is retried with the next one" test $? = 0

# the EXIT trap, chained with lib.sh's and pg_lib.sh's in either order
chain() { # chain ORDER [start]: a script sourcing lib.sh, then the libraries in ORDER
	top_srcdir=$top_srcdir bash -c '
		. "$top_srcdir/tests/integration/lib.sh"
		for lib in $1; do . "$top_srcdir/tests/integration/${lib}_lib.sh"; done
		trap -p EXIT
		[ "$2" = start ] || exit 0
		redis_start >/dev/null 2>&1 || exit 8
		echo "$TMP $REDIS_PID $REDIS_DIR"
		pg_start >/dev/null 2>&1 || exit 9
		echo "$PG_PID $PG_DIR"
		exit 3' chain "$1" "${2:-}"
}
check "redis_lib.sh then pg_lib.sh: pg_cleanup; redis_cleanup; cleanup" \
	test "$(chain "redis pg")" = "trap -- 'pg_cleanup; redis_cleanup; cleanup' EXIT"
check "pg_lib.sh then redis_lib.sh: redis_cleanup; pg_cleanup; cleanup" \
	test "$(chain "pg redis")" = "trap -- 'redis_cleanup; pg_cleanup; cleanup' EXIT"
check "redis_lib.sh sourced twice: redis_cleanup once" \
	test "$(chain "redis redis")" = "trap -- 'redis_cleanup; cleanup' EXIT"
gone() { # gone TMP PID...: no process, no directory
	local t=$1 p
	shift
	[ -n "$t" ] && [ ! -e "$t" ] && [ -z "$(leftovers "$t")" ] || return 1
	for p in "$@"; do dead "$p" || return 1; done
}
# chained ORDER EXPECTED_STATUS: both libraries, both servers (or Redis
# alone when PostgreSQL is missing), the script exits: everything is gone
# and the script's exit status is its own
chained() {
	local out rc ctmp crpid crdir cppid cpgdir
	out=$(chain "$1" start 2>/dev/null)
	rc=$?
	read -r ctmp crpid crdir <<<"$(sed -n 2p <<<"$out")"
	read -r cppid cpgdir <<<"$(sed -n 3p <<<"$out")"
	[ "$rc" = "$2" ] || { diag "exit status $rc, not $2"; return 1; }
	# shellcheck disable=SC2086
	wait_for 5 gone "$ctmp" $crpid $cppid && [ -n "$crdir" ] && [ ! -e "$crdir" ] &&
		{ [ -z "$cpgdir" ] || [ ! -e "$cpgdir" ]; }
}
# (a fresh bash: a subshell sourcing pg_lib.sh without lib.sh would chain
# this script's EXIT trap, and run it, with this script's variables)
if top_srcdir=$top_srcdir bash -c '. "$top_srcdir/tests/integration/pg_lib.sh" && pg_require' \
	>/dev/null 2>&1; then
	for order in "redis pg" "pg redis"; do
		start=$(date +%s%N)
		chained "$order" 3
		check "Redis and PostgreSQL in one script ($order): both cleaned up, exit status kept ($(ms_since "$start") ms)" test $? = 0
	done
else
	diag "PostgreSQL is not installed: the chain is tested with Redis alone"
	for order in "redis pg" "pg redis"; do
		chained "$order" 9
		check "$order, pg_start failing: Redis cleaned up, exit status kept" test $? = 0
	done
fi

# nothing survives a script: one that fails midway, one killed by SIGTERM,
# one killed by SIGKILL (the watchdog cleans up within about a second)
child() { # child HOW: a script that starts a server, then ends HOW
	top_srcdir=$top_srcdir bash -c '
		. "$top_srcdir/tests/integration/lib.sh"
		. "$top_srcdir/tests/integration/redis_lib.sh"
		redis_start || exit 9
		echo "$REDIS_DIR $TMP $REDIS_PID" >"'"$TMP"'/child"
		case $1 in
		fail) redis_cli NO_SUCH_COMMAND 2>/dev/null || exit 1 ;;
		*) sleep 60 & echo $! >"'"$TMP"'/child.sleep"; wait ;;
		esac' child "$1" >"$TMP/child.out" 2>&1 &
}
gone_after() { # gone_after HOW SIGNAL
	rm -f "$TMP/child"
	child "$1"
	local pid=$!
	wait_for 20 test -s "$TMP/child" ||
		{ kill -KILL $pid; wait $pid; diag "the child did not start:" "$(cat "$TMP/child.out")"; return 1; }
	read -r cdir ctmp cpid <"$TMP/child"
	[ -n "$2" ] && kill "-$2" $pid
	{ wait $pid; } 2>/dev/null
	wait_for 5 gone "$ctmp" "$cpid"
	local rc=$?
	[ -s "$TMP/child.sleep" ] && kill "$(cat "$TMP/child.sleep")" 2>/dev/null
	rm -f "$TMP/child.sleep"
	[ ! -e "$cdir" ] && return $rc
}
check "a script failing midway leaves no process and no directory" gone_after fail ""
check "a script killed by SIGTERM leaves nothing" gone_after sleep TERM
check "a script killed by SIGKILL leaves nothing (watchdog)" gone_after sleep KILL

# and this script: what its EXIT trap does, run now
dir=$REDIS_DIR
pid=$REDIS_PID
redis_cleanup
check "redis_cleanup: no process left (pgrep -f $TMP)" test -z "$(leftovers "$TMP")"
check "redis_cleanup: the server is gone" dead "$pid"
check "redis_cleanup: the port is closed" port_closed "$port"
check "redis_cleanup: the directory is gone" test ! -e "$dir"
check "redis_cleanup: the watchdog is gone" test -z "$REDIS_WATCHDOG"
done_testing
