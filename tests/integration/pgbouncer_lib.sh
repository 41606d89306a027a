# pgbouncer_lib.sh -- a real, throwaway PgBouncer in front of the test
# PostgreSQL (sourced, bash, after lib.sh and pg_lib.sh).
#
# Each test script gets its own PgBouncer: /usr/sbin/pgbouncer (Debian's
# package) daemonized with its own pgbouncer.ini in $PGB_DIR ($TMP/pgbouncer,
# mode 700), listening on 127.0.0.1 only, on a free port, its unix socket
# inside $PGB_DIR.  It runs as the cluster's owner (pg_as_owner: the
# "postgres" user when the script runs as root; PgBouncer refuses root).
# The server and its directory are removed when the script exits, whatever
# the reason: sourcing this file puts pgbouncer_cleanup in front of the EXIT
# trap already set (pg_lib.sh's pg_cleanup, lib.sh's cleanup), and a
# watchdog process removes it if the script is killed with SIGKILL.
# Debian's own pgbouncer service (6432) is never used: every connection
# names its host and port, and ports are picked out of the ephemeral range.
#
#   pgbouncer_require          skip_all unless /usr/sbin/pgbouncer exists
#   pgbouncer_start [INI_LINE...]
#                              writes pgbouncer.ini and userlist.txt, starts
#                              PgBouncer (-d) and waits (10 s) until the
#                              console answers SHOW VERSION.  After pg_start.
#                              The harness's settings: auth_type =
#                              scram-sha-256 with auth_file (the dbpulse
#                              role's password, which PgBouncer also uses
#                              to log in to PostgreSQL), stats_users =
#                              dbpulse, admin_users = pgbadmin, pool_mode =
#                              session, default_pool_size = 2,
#                              max_client_conn = 20, and the database "app"
#                              = the cluster's "postgres".  INI_LINEs go to
#                              [pgbouncer] after them, so they win.
#   pgbouncer_kill             SIGKILL; returns once it is gone
#   pgbouncer_restart          starts it again on the same port
#   pgbouncer_running          true while the process lives
#   pgbouncer_psql SQL         psql through PgBouncer to "app" as dbpulse
#   pgbouncer_admin SQL        psql to the console as pgbadmin (admin_users)
#   pgbouncer_section [NAME]   the [pgbouncer "NAME"] lines (default "pool"):
#                              the console as dbpulse, password_env =
#                              PGTEST_PASSWORD, interval 1s, timeout 1s
#   pgbouncer_cleanup          what the EXIT trap runs
#
# After pgbouncer_start (exported): PGB_PORT, PGB_DSN (the console, no
# password), PGB_DIR, PGB_INI, PGB_LOG, PGB_PID, PGB_ADMIN_PASSWORD.

: "${PGBOUNCER:=/usr/sbin/pgbouncer}"
PGB_DIR=
PGB_INI=
PGB_LOG=
PGB_PIDFILE=
PGB_PID=
PGB_PORT=
PGB_DSN=
PGB_WATCHDOG=
PGB_ADMIN_PASSWORD=

pgbouncer_require() {
	local reason=''
	[ -x "$PGBOUNCER" ] || reason="PgBouncer is not installed (pgbouncer)"
	[ -z "$reason" ] && return 0
	if declare -F skip_all >/dev/null; then skip_all "$reason"; fi
	pg_diag "$reason"
	return 1
}

pgbouncer_running() { [ -n "$PGB_PID" ] && pg_alive "$PGB_PID"; }

# pgbouncer_procs: PIDs of processes started with this $PGB_INI
pgbouncer_procs() {
	[ -n "$PGB_INI" ] || return 0
	local pat
	pat=$(printf '%s' "$PGB_INI" | sed 's/[][\.*^$+?(){}|]/\\&/g')
	pgrep -f -- "$pat( |$)" 2>/dev/null | while read -r pid; do pg_alive "$pid" && echo "$pid"; done
}

pgbouncer_reap() {
	local pids
	pids=$(pgbouncer_procs)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	# shellcheck disable=SC2086
	pg_wait_gone 5 $pids
}

pgbouncer_write_ini() { # pgbouncer_write_ini PORT [INI_LINE...]
	local port=$1
	shift
	cat >"$PGB_INI" <<-INI
	; dbpulse test harness (tests/integration/pgbouncer_lib.sh)
	[databases]
	app = host=127.0.0.1 port=$PGPORT_TEST dbname=postgres

	[pgbouncer]
	listen_addr = 127.0.0.1
	listen_port = $port
	unix_socket_dir = $PGB_DIR
	logfile = $PGB_LOG
	pidfile = $PGB_PIDFILE
	auth_type = scram-sha-256
	auth_file = $PGB_DIR/userlist.txt
	admin_users = pgbadmin
	stats_users = dbpulse
	pool_mode = session
	default_pool_size = 2
	max_client_conn = 20
	ignore_startup_parameters = extra_float_digits
	INI
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$PGB_INI"
	printf '"dbpulse" "%s"\n"pgbadmin" "%s"\n' "$PG_PASSWORD" "$PGB_ADMIN_PASSWORD" \
		>"$PGB_DIR/userlist.txt"
	chmod 600 "$PGB_INI" "$PGB_DIR/userlist.txt"
	if pg_is_root; then chown postgres "$PGB_INI" "$PGB_DIR/userlist.txt"; fi
}

# pgbouncer_launch PORT: 0 started and answering, 1 failed, 2 port taken
pgbouncer_launch() {
	local port=$1 before log
	before=$( (wc -l <"$PGB_LOG") 2>/dev/null || echo 0)
	rm -f "$PGB_PIDFILE"
	if ! pg_as_owner "$PGBOUNCER" -d -q "$PGB_INI" </dev/null >"$PGB_DIR/start.out" 2>&1; then
		grep -q 'in use' "$PGB_DIR/start.out" "$PGB_LOG" 2>/dev/null && return 2
		pg_diag "pgbouncer $PGB_INI failed:" "$(cat "$PGB_DIR/start.out")" "$(tail -n 5 "$PGB_LOG" 2>/dev/null)"
		return 1
	fi
	for _ in $(seq 1 200); do # 10 s
		log=$(tail -n +"$((before + 1))" "$PGB_LOG" 2>/dev/null)
		grep -q 'in use' <<<"$log" && return 2
		if [ -s "$PGB_PIDFILE" ]; then
			PGB_PID=$(cat "$PGB_PIDFILE")
			PGB_PORT=$port pgbouncer_admin "SHOW VERSION" >/dev/null 2>&1 && return 0
		fi
		sleep 0.05
	done
	pg_diag "pgbouncer on port $port did not start:" "$(tail -n 20 <<<"$log")"
	pgbouncer_reap
	PGB_PID=
	return 1
}

pgbouncer_watchdog_start() {
	local parent=$$
	pgbouncer_watchdog_stop
	PGB_WATCHDOG=$(
		(
			trap '' HUP INT TERM
			trap 'kill -KILL $! 2>/dev/null; exit 0' USR1
			while pg_alive "$parent"; do
				sleep 1 &
				wait $!
			done
			pgbouncer_reap
			rm -rf "$PGB_DIR"
		) </dev/null >/dev/null 2>&1 &
		echo $!
	)
}

pgbouncer_watchdog_stop() {
	[ -n "$PGB_WATCHDOG" ] || return 0
	kill -USR1 "$PGB_WATCHDOG" 2>/dev/null
	pg_wait_gone 2 "$PGB_WATCHDOG" || kill -KILL "$PGB_WATCHDOG" 2>/dev/null
	PGB_WATCHDOG=
}

pgbouncer_start() {
	[ -z "$PGB_PORT" ] || { pg_diag "pgbouncer_start: already started (port $PGB_PORT)"; return 1; }
	[ -n "$PGPORT_TEST" ] || { pg_diag "pgbouncer_start: pg_start first"; return 1; }
	pgbouncer_require || return 1
	PGB_DIR=$TMP/pgbouncer
	mkdir -p "$PGB_DIR" && chmod 700 "$PGB_DIR" || return 1
	if pg_is_root; then chown postgres "$PGB_DIR" || return 1; fi
	PGB_INI=$PGB_DIR/pgbouncer.ini
	PGB_LOG=$PGB_DIR/pgbouncer.log
	PGB_PIDFILE=$PGB_DIR/pgbouncer.pid
	PGB_ADMIN_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	pgbouncer_watchdog_start
	local port rc range lo hi
	range=$(pg_port_range)
	lo=${range% *}
	hi=${range#* }
	for _ in $(seq 1 50); do
		port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		pg_port_busy "$port" && continue
		pgbouncer_write_ini "$port" "$@" || return 1
		pgbouncer_launch "$port"
		rc=$?
		[ $rc = 2 ] && continue
		break
	done
	[ "${rc:-1}" = 0 ] || return 1
	PGB_PORT=$port
	PGB_DSN="host=127.0.0.1 port=$PGB_PORT dbname=pgbouncer user=dbpulse"
	export PGB_PORT PGB_DSN PGB_DIR PGB_INI PGB_LOG PGB_PID PGB_ADMIN_PASSWORD
}

pgbouncer_kill() {
	pgbouncer_running || { pg_diag "pgbouncer_kill: not running"; return 1; }
	kill -KILL "$PGB_PID"
	pg_wait_gone 5 "$PGB_PID"
	pgbouncer_reap
	return 0
}

pgbouncer_restart() {
	[ -n "$PGB_PORT" ] || { pg_diag "pgbouncer_restart: never started"; return 1; }
	if pgbouncer_running; then pgbouncer_kill || return 1; fi
	PGB_PID=
	pgbouncer_launch "$PGB_PORT" || { pg_diag "pgbouncer_restart: start failed"; return 1; }
	export PGB_PID
}

pgbouncer_psql() {
	PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 "$PG_BINDIR/psql" -X -A -t -q -w \
		-v ON_ERROR_STOP=1 "host=127.0.0.1 port=$PGB_PORT dbname=app user=dbpulse" -c "$1"
}

pgbouncer_admin() {
	PGPASSWORD=$PGB_ADMIN_PASSWORD PGCONNECT_TIMEOUT=5 "$PG_BINDIR/psql" -X -A -t -q -w \
		"host=127.0.0.1 port=$PGB_PORT dbname=pgbouncer user=pgbadmin" -c "$1"
}

pgbouncer_section() {
	printf '[pgbouncer "%s"]\ndsn = %s\npassword_env = PGTEST_PASSWORD\n' "${1:-pool}" "$PGB_DSN"
	printf 'interval = 1s\ntimeout = 1s\n'
}

pgbouncer_cleanup() {
	pgbouncer_watchdog_stop
	[ -n "$PGB_DIR" ] || return 0
	if pgbouncer_running; then
		kill -TERM "$PGB_PID" 2>/dev/null
		pg_wait_gone 2 "$PGB_PID"
	fi
	pgbouncer_reap
	rm -rf "$PGB_DIR"
	PGB_PID=
}

# pgbouncer_cleanup first, then whatever the EXIT trap did before
pgb_prev_exit_trap=$(trap -p EXIT)
if [ -n "$pgb_prev_exit_trap" ]; then
	pgb_prev_exit_trap=${pgb_prev_exit_trap#trap -- }
	eval "pgb_prev_exit_trap=${pgb_prev_exit_trap% EXIT}"
fi
case "; $pgb_prev_exit_trap;" in
*"; pgbouncer_cleanup;"*) ;;
*)
	# shellcheck disable=SC2064
	trap "pgbouncer_cleanup; ${pgb_prev_exit_trap:-:}" EXIT
	;;
esac
unset pgb_prev_exit_trap
