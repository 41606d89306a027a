# redis_lib.sh -- a real, throwaway Redis for dbpulse's tests (sourced, bash,
# after lib.sh; with or without pg_lib.sh, in either order).
#
# Each test script gets its own server: redis-server (7.0 or later) in
# $REDIS_DIR ($TMP/redis; a directory of its own in /tmp when $TMP is too
# long for the socket's path), daemonized, listening on 127.0.0.1 only, on a
# free port, plus a unix socket inside $REDIS_DIR (mode 700), nothing saved
# to disk.  The server and its directory are removed when the script exits,
# whatever the reason: sourcing this file puts redis_cleanup in front of the
# EXIT trap already set (lib.sh's cleanup, pg_lib.sh's pg_cleanup; sourcing
# it twice adds it once), and a watchdog process removes the server if the
# script is killed with SIGKILL.  A Redis of the system (Debian's service
# on 6379) is never used: every command names its host and port, and ports
# are picked below the kernel's ephemeral range (or from REDIS_PORT_FIRST).
# The server runs as the script's user (root in sessions and CI is fine:
# it only listens on loopback).
#
#   redis_require              skip_all (TAP "1..0 # SKIP reason") unless
#                              redis-server and redis-cli 7.0+ are installed
#                              (outside a TAP script: a message, status 1)
#   redis_start [CONF_LINE...] writes redis.conf, starts the server and waits
#                              (10 s) until the default user gets PONG.
#                              The harness's settings: bind 127.0.0.1,
#                              save "", appendonly no,
#                              slowlog-log-slower-than 10000 (10 ms),
#                              slowlog-max-len 128, latency-tracking yes,
#                              databases 16, enable-debug-command local
#                              (DEBUG SLEEP for the default user), the
#                              default user's requirepass, and the user
#                              dbpulse (REDIS_DBPULSE_ACL below).  CONF_LINEs
#                              are appended after them, so they win (e.g.
#                              "maxmemory 64mb").  A port taken meanwhile is
#                              retried with another.  Returns non-zero (with
#                              diag lines) on failure.  One server per script.
#   redis_stop                 SHUTDOWN NOSAVE; waits until the process is
#                              gone; the directory and config stay
#   redis_kill                 SIGKILL (a crash); returns once it is gone
#   redis_restart              starts the same config on the same port again
#                              (after redis_stop or redis_kill; stops it
#                              first if it runs); the data set starts empty
#   redis_running              true while the server process lives
#   redis_cli [ARG...]         redis-cli as the default user: -h 127.0.0.1
#                              -p $REDIS_PORT_TEST, its password through
#                              REDISCLI_AUTH (never on a command line),
#                              --no-auth-warning, -e.  With ARGs: one
#                              command, its reply on stdout (raw when not a
#                              tty), exit 1 on an error reply (the error on
#                              stderr) or when it cannot connect.  Without
#                              ARGs: commands from stdin, one a line, one
#                              connection; error replies are printed on
#                              stdout and do not change the exit status.
#                              Any redis-cli option may come first (-n DB,
#                              --no-raw...).  Killed after REDIS_CLI_TIMEOUT
#                              seconds (default 60; exit 124).
#   redis_cli_as USER PASSWORD [ARG...]
#                              the same as USER (AUTH USER PASSWORD); a wrong
#                              password: "AUTH failed: WRONGPASS ..." on
#                              stderr, then NOAUTH: exit 1
#   redis_info FIELD           the value of FIELD in INFO ALL (e.g.
#                              used_memory, cmdstat_set, db3); empty and
#                              status 1 when there is none
#   redis_load_commands [-n KEYS]
#                              bench/redis_load.sh on this server: 200+
#                              distinct commands in commandstats, keys in
#                              all 16 databases
#   redis_cleanup              what the EXIT trap runs: stops the server
#                              (SIGTERM, then SIGKILL), removes $REDIS_DIR
#
# After redis_start (exported):
#   REDIS_PORT_TEST         the port
#   REDIS_ADDRESS           127.0.0.1:$REDIS_PORT_TEST
#   REDIS_SOCKET            $REDIS_DIR/redis.sock (the same server, same
#                           users, for the unix-socket form of `address`)
#   REDIS_PASSWORD          the default user's password (random hex)
#   REDIS_DBPULSE_PASSWORD  the dbpulse user's password (random hex)
#   REDIS_DIR, REDIS_CONF, REDIS_LOG (server log), REDIS_PID
# The dbpulse user, with the least a monitoring agent needs (REDIS_DBPULSE_ACL,
# doc/configuration.md's line; PASSWORD stands for the password):
#   user dbpulse on >PASSWORD %R~* resetchannels -@all +info +ping
#     +client|setname +slowlog|get +slowlog|len +latency|latest
#     +latency|histogram +select +scan +type +strlen +llen +hlen +scard
#     +zcard +xlen
# INFO gives most of what CONFIG GET would (maxmemory, maxmemory_policy,
# maxclients, repl_backlog_size; the databases in use from the keyspace
# section), and +config|get would also hand out requirepass and masterauth
# in clear, so it is not granted (no redis_config_io_threads, no output
# buffer limits: the agent asks once and is refused).  %R~* (Redis 7): read-only access to every key, for TYPE
# and the size commands; resetchannels: no pub/sub channel.
#
# Outside the tests (scripts/demo): set TMP to a fresh directory, source
# this file, set REDIS_PORT_FIRST=N to take the first free port from N
# upwards instead of a random one, and set your own EXIT trap calling
# redis_cleanup.

: "${REDIS_SERVER:=$(command -v redis-server || echo /usr/bin/redis-server)}"
: "${REDIS_CLI:=$(command -v redis-cli || echo /usr/bin/redis-cli)}"
: "${REDIS_PORT_FIRST:=}"
: "${REDIS_CLI_TIMEOUT:=60}"
REDIS_DIR=
REDIS_CONF=
REDIS_LOG=
REDIS_PIDFILE=
REDIS_SOCKET=
REDIS_PID=
REDIS_WATCHDOG=
REDIS_PORT_TEST=
REDIS_ADDRESS=
REDIS_PASSWORD=
REDIS_DBPULSE_PASSWORD=
REDIS_DBPULSE_ACL="%R~* resetchannels -@all +info +ping +client|setname +slowlog|get +slowlog|len +latency|latest +latency|histogram +select +scan +type +strlen +llen +hlen +scard +zcard +xlen"
REDIS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REDIS_OWN_DIR= # set when REDIS_DIR is not inside $TMP (a long $TMP)

redis_diag() {
	if declare -F diag >/dev/null; then diag "$@"; else printf '# %s\n' "$@" >&2; fi
}

redis_require() {
	local reason='' v
	if [ ! -x "$REDIS_SERVER" ]; then
		reason="redis-server is not installed (redis-server)"
	elif [ ! -x "$REDIS_CLI" ]; then
		reason="redis-cli is not installed (redis-tools)"
	else
		v=$("$REDIS_SERVER" --version 2>/dev/null | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
		[ "${v:-0}" -ge 7 ] 2>/dev/null ||
			reason="Redis 7.0 or later is needed ($("$REDIS_SERVER" --version 2>&1 | head -n 1))"
	fi
	command -v timeout >/dev/null 2>&1 || reason="${reason:-timeout (coreutils) is missing}"
	[ -z "$reason" ] && return 0
	if declare -F skip_all >/dev/null; then skip_all "$reason"; fi
	redis_diag "$reason"
	return 1
}

# redis_alive PID: true while the process exists and is not a zombie (a
# daemonized server's parent is PID 1, which may reap it late)
redis_alive() {
	local st
	if [ -r "/proc/$1/stat" ]; then
		st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
		st=${st##*) }
		[ "${st%% *}" != Z ]
	else
		kill -0 "$1" 2>/dev/null
	fi
}

# redis_procs: PIDs of this server's processes (their title ends with the
# absolute path of $REDIS_CONF, see proc-title-template)
redis_procs() {
	[ -n "$REDIS_CONF" ] || return 0
	local pat
	pat=$(printf '%s' "$REDIS_CONF" | sed 's/[][\.*^$+?(){}|]/\\&/g')
	pgrep -f -- "$pat( |$)" 2>/dev/null | while read -r pid; do redis_alive "$pid" && echo "$pid"; done
}

redis_running() {
	[ -n "$REDIS_PID" ] && redis_alive "$REDIS_PID" &&
		tr '\0' ' ' <"/proc/$REDIS_PID/cmdline" 2>/dev/null | grep -qF -- "$REDIS_CONF"
}

# redis_wait_gone SECONDS PID...: waits until none of the PIDs exists
redis_wait_gone() {
	local tries=$(($1 * 20)) p alive
	shift
	while :; do
		alive=
		for p in "$@"; do redis_alive "$p" && alive=1 && break; done
		[ -z "$alive" ] && return 0
		[ "$tries" -le 0 ] && return 1
		sleep 0.05
		tries=$((tries - 1))
	done
}

# redis_reap: SIGKILL to every process of the server; waits for them
redis_reap() {
	local pids
	pids=$(redis_procs)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	# shellcheck disable=SC2086
	redis_wait_gone 5 $pids
}

# redis_port_range: prints "LOW HIGH", a range out of the kernel's ephemeral ports
redis_port_range() {
	local lo=32768 hi=60999
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	if [ "$lo" -ge 12000 ]; then
		echo "$((lo - 10000)) $((lo - 1))"
	elif [ "$hi" -le 55000 ]; then
		echo "$((hi + 1)) 65535"
	else
		echo "20000 30000"
	fi
}

# redis_port_busy PORT: true when something accepts connections on it
redis_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

redis_genpass() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# redis_write_conf PORT [CONF_LINE...]
redis_write_conf() {
	local port=$1 mask rc
	shift
	mask=$(umask)
	umask 077 # the passwords are in it
	{
		cat <<-CONF
		# ---- dbpulse test harness (tests/integration/redis_lib.sh)
		bind 127.0.0.1
		port $port
		unixsocket $REDIS_SOCKET
		unixsocketperm 700
		protected-mode yes
		daemonize yes
		supervised no
		pidfile $REDIS_PIDFILE
		logfile $REDIS_LOG
		loglevel notice
		dir $REDIS_DIR
		proc-title-template "{title} {listen-addr} {server-mode} {config-file}"
		save ""
		appendonly no
		databases 16
		slowlog-log-slower-than 10000
		slowlog-max-len 128
		latency-tracking yes
		enable-debug-command local
		requirepass $REDIS_PASSWORD
		user dbpulse on >$REDIS_DBPULSE_PASSWORD $REDIS_DBPULSE_ACL
		CONF
		if [ $# -gt 0 ]; then
			echo "# ---- the test's own lines"
			printf '%s\n' "$@"
		fi
	} >"$REDIS_CONF"
	rc=$?
	umask "$mask"
	return $rc
}

# redis_launch PORT: 0 started and answering, 1 failed, 2 port taken
redis_launch() {
	local port=$1 before log
	before=$( (wc -l <"$REDIS_LOG") 2>/dev/null || echo 0)
	rm -f "$REDIS_PIDFILE"
	# daemonize: the server leaves this shell's jobs (no `wait` waits for it)
	# and the Ctrl-C of a terminal (setsid); stdio is /dev/null
	if ! "$REDIS_SERVER" "$REDIS_CONF" </dev/null >"$REDIS_DIR/start.out" 2>&1; then
		redis_diag "redis-server $REDIS_CONF failed:" "$(cat "$REDIS_DIR/start.out")"
		return 1
	fi
	for _ in $(seq 1 500); do # 10 s
		log=$(tail -n +"$((before + 1))" "$REDIS_LOG" 2>/dev/null)
		if grep -q 'Address already in use' <<<"$log"; then
			return 2
		fi
		if grep -qE 'Ready to accept connections' <<<"$log" && [ -s "$REDIS_PIDFILE" ]; then
			REDIS_PID=$(cat "$REDIS_PIDFILE")
			if [ "$(REDIS_PORT_TEST=$port redis_cli PING 2>&1)" = PONG ]; then
				return 0
			fi
		fi
		grep -qE 'aborting|FATAL|Fatal error' <<<"$log" && break
		sleep 0.02
	done
	redis_diag "redis-server on port $port did not start:" "$(tail -n 20 <<<"$log")"
	REDIS_PID=$(cat "$REDIS_PIDFILE" 2>/dev/null)
	redis_reap
	REDIS_PID=
	return 1
}

# redis_watchdog_start: a process outside this shell's jobs (no `wait` waits
# for it) that removes the server if this shell dies without its EXIT trap
redis_watchdog_start() {
	local parent=${BASHPID:-$$}
	redis_watchdog_stop
	REDIS_WATCHDOG=$(
		(
			trap '' HUP INT TERM
			# redis_cleanup ends it with SIGUSR1 (with its sleep)
			trap 'kill -KILL $! 2>/dev/null; exit 0' USR1
			# (a parent killed but not yet reaped is a zombie: dead)
			while redis_alive "$parent"; do
				sleep 1 &
				wait $!
			done
			redis_reap
			rm -rf "$REDIS_DIR"
			[ -n "${TMP:-}" ] && rm -rf "$TMP"
		) </dev/null >/dev/null 2>&1 &
		echo $!
	)
}

redis_watchdog_stop() {
	[ -n "$REDIS_WATCHDOG" ] || return 0
	kill -USR1 "$REDIS_WATCHDOG" 2>/dev/null
	redis_wait_gone 2 "$REDIS_WATCHDOG" || kill -KILL "$REDIS_WATCHDOG" 2>/dev/null
	REDIS_WATCHDOG=
}

redis_start() {
	if [ -n "$REDIS_PORT_TEST" ]; then
		redis_diag "redis_start: this script has its server already (port $REDIS_PORT_TEST); redis_restart starts it again"
		return 1
	fi
	[ -n "${TMP:-}" ] && [ -d "$TMP" ] || { redis_diag "redis_start: \$TMP is not a directory"; return 1; }
	redis_require || return 1

	# $TMP/redis, unless the unix socket's path would be too long for
	# sun_path (107 bytes): then a short directory in /tmp
	REDIS_DIR=$TMP/redis
	if [ ${#REDIS_DIR} -gt 90 ]; then
		REDIS_DIR=$(mktemp -d /tmp/dbpulse-redis.XXXXXX) || return 1
		REDIS_OWN_DIR=$REDIS_DIR
	fi
	mkdir -p "$REDIS_DIR" && chmod 700 "$REDIS_DIR" || return 1
	REDIS_CONF=$REDIS_DIR/redis.conf
	REDIS_LOG=$REDIS_DIR/redis.log
	REDIS_PIDFILE=$REDIS_DIR/redis.pid
	REDIS_SOCKET=$REDIS_DIR/redis.sock
	REDIS_PASSWORD=$(redis_genpass)
	REDIS_DBPULSE_PASSWORD=$(redis_genpass)
	[ ${#REDIS_PASSWORD} = 32 ] && [ ${#REDIS_DBPULSE_PASSWORD} = 32 ] ||
		{ redis_diag "redis_start: no random password from /dev/urandom"; return 1; }
	redis_watchdog_start

	local attempt port rc range lo hi
	range=$(redis_port_range)
	lo=${range% *}
	hi=${range#* }
	port=$REDIS_PORT_FIRST
	for attempt in $(seq 1 100); do
		if [ -n "$REDIS_PORT_FIRST" ]; then
			[ "$attempt" -gt 1 ] && port=$((port + 1))
		else
			port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		fi
		redis_port_busy "$port" && continue
		redis_write_conf "$port" "$@" || { redis_diag "redis_start: cannot write $REDIS_CONF"; return 1; }
		redis_launch "$port"
		rc=$?
		[ $rc = 2 ] && continue
		break
	done
	[ "${rc:-1}" = 0 ] || { [ "${rc:-1}" = 2 ] && redis_diag "redis_start: no free port found"; return 1; }

	REDIS_PORT_TEST=$port
	REDIS_ADDRESS=127.0.0.1:$port
	export REDIS_PORT_TEST REDIS_ADDRESS REDIS_SOCKET REDIS_PASSWORD REDIS_DBPULSE_PASSWORD \
		REDIS_DIR REDIS_CONF REDIS_LOG REDIS_PID
}

redis_stop() {
	redis_running || return 0
	redis_cli SHUTDOWN NOSAVE >/dev/null 2>&1
	redis_wait_gone 10 "$REDIS_PID" && return 0
	redis_diag "redis_stop: the server did not stop in 10 s; killed"
	redis_reap
	return 1
}

redis_kill() {
	redis_running || { redis_diag "redis_kill: the server is not running"; return 1; }
	kill -KILL "$REDIS_PID"
	redis_wait_gone 5 "$REDIS_PID" || redis_reap
	redis_reap
	return 0
}

redis_restart() {
	[ -n "$REDIS_PORT_TEST" ] || { redis_diag "redis_restart: no server was started"; return 1; }
	redis_running && { redis_stop || return 1; }
	redis_reap
	REDIS_PID=
	redis_launch "$REDIS_PORT_TEST" ||
		{ redis_diag "redis_restart: port $REDIS_PORT_TEST: start failed"; return 1; }
	export REDIS_PID
}

redis_cli() {
	REDISCLI_AUTH=$REDIS_PASSWORD REDISCLI_HISTFILE=/dev/null REDISCLI_RCFILE=/dev/null \
		timeout --foreground -k 5 "$REDIS_CLI_TIMEOUT" \
		"$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT_TEST" --no-auth-warning -e "$@"
}

redis_cli_as() {
	local user=$1 password=$2
	shift 2
	REDISCLI_AUTH=$password REDISCLI_HISTFILE=/dev/null REDISCLI_RCFILE=/dev/null \
		timeout --foreground -k 5 "$REDIS_CLI_TIMEOUT" \
		"$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT_TEST" --user "$user" --no-auth-warning -e "$@"
}

redis_info() {
	local out
	out=$(redis_cli INFO ALL | tr -d '\r' | sed -n "s/^$1://p" | head -n 1)
	[ -n "$out" ] && printf '%s\n' "$out"
}

redis_load_commands() {
	REDIS_CLI=$REDIS_CLI "$REDIS_LIB_DIR/../../bench/redis_load.sh" -q "$@" \
		"$REDIS_PORT_TEST" "$REDIS_PASSWORD"
}

redis_cleanup() {
	redis_watchdog_stop
	[ -n "$REDIS_DIR" ] || return 0
	if redis_running; then
		kill -TERM "$REDIS_PID" 2>/dev/null # save "": it exits at once
		redis_wait_gone 2 "$REDIS_PID"
	fi
	redis_reap
	rm -rf "$REDIS_DIR"
	[ -n "$REDIS_OWN_DIR" ] && rm -rf "$REDIS_OWN_DIR"
	REDIS_PID=
}

# redis_cleanup first, then whatever the EXIT trap did before (lib.sh's
# cleanup, pg_lib.sh's pg_cleanup; cleanup).  pg_lib.sh does the same, so
# either order gives "X_cleanup; Y_cleanup; cleanup".
redis_prev_exit_trap=$(trap -p EXIT)
if [ -n "$redis_prev_exit_trap" ]; then # trap -- 'cleanup' EXIT
	redis_prev_exit_trap=${redis_prev_exit_trap#trap -- }
	eval "redis_prev_exit_trap=${redis_prev_exit_trap% EXIT}"
fi
case "; $redis_prev_exit_trap;" in
*"; redis_cleanup;"*) ;; # sourced twice: already in the chain
*)
	# shellcheck disable=SC2064
	trap "redis_cleanup; ${redis_prev_exit_trap:-:}" EXIT
	;;
esac
unset redis_prev_exit_trap
