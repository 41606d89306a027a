# pg_lib.sh -- a real, throwaway PostgreSQL for dbpulse's tests (sourced,
# bash, after lib.sh).
#
# Each test script gets its own cluster: initdb in $PG_DIR ($TMP/pg), on a
# free loopback port, its unix socket inside $PG_DIR, pg_stat_statements
# preloaded.  The cluster and its directory are removed when the script exits,
# whatever the reason: sourcing this file puts pg_cleanup in front of the
# EXIT trap already set (lib.sh's cleanup), and a watchdog process removes
# the cluster if the script is killed with SIGKILL.  Debian's own clusters
# ("main" on 5432) are never used: binaries are called by their full path
# (not through pg_wrapper), every connection names its host and port, and
# the PG* variables of the environment are unset.
#
# As root (sessions, CI) the cluster belongs to the "postgres" user that the
# Debian package creates, and $TMP is made traversable for it (mode 711);
# as any other user it runs as that user.
#
#   pg_require                 skip_all (TAP "1..0 # SKIP reason") unless
#                              PostgreSQL and pg_stat_statements are installed
#   pg_start [CONF_LINE...]    initdb, start (pg_ctl -w, 30 s), then in the
#                              "postgres" database: CREATE EXTENSION
#                              pg_stat_statements; CREATE ROLE dbpulse LOGIN
#                              PASSWORD 'dbpulse-secret'; GRANT pg_monitor TO
#                              dbpulse.  CONF_LINEs are appended to
#                              postgresql.conf after the harness's settings
#                              (listen_addresses = '127.0.0.1', fsync = off,
#                              shared_buffers = 16MB, max_connections = 50,
#                              shared_preload_libraries = pg_stat_statements,
#                              pg_stat_statements.track = all,
#                              pg_stat_statements.max = 10000), so they win.
#                              A port taken meanwhile is retried with another.
#                              Returns non-zero (with diag lines) on failure.
#                              One cluster per script.
#   pg_stop                    fast shutdown; the cluster stays for pg_restart
#   pg_kill                    SIGKILL to the postmaster (a crash); returns
#                              once every process of the cluster is gone
#   pg_restart                 starts the same cluster on the same port again
#                              (after pg_stop or pg_kill; stops it first if
#                              it runs); crash recovery runs if needed
#   pg_running                 true while the postmaster lives
#   pg_sql [SQL]               psql -X -At -q, ON_ERROR_STOP, as the superuser
#                              "postgres" through the unix socket (trust),
#                              database "postgres"; SQL from stdin when no
#                              argument (one session: batches, several
#                              statements, CREATE DATABASE all work)
#   pg_sql_db DB [SQL]         the same in database DB
#   pg_sql_as ROLE PASSWORD [SQL]
#                              the same as ROLE over TCP (127.0.0.1) with
#                              that password (scram-sha-256: a wrong one
#                              fails, psql exits 2)
#   pg_load_statements N       N distinct statements into pg_stat_statements
#                              (bench/pg_load.sh, as "postgres")
#   pg_cleanup                 what the EXIT trap runs: stops the cluster
#                              (immediate, then SIGKILL), removes $PG_DIR
#   pg_start_standby           a physical streaming standby of the running
#                              cluster through the slot "standby":
#                              pg_basebackup -R -X stream -C -S standby as
#                              "postgres" into $PG_DIR/standby, started on
#                              its own free port and socket directory; returns
#                              once pg_stat_replication shows it streaming.
#                              Call it in the script's own shell (not in
#                              $(...)): it puts pg_standby_stop in front of
#                              the EXIT trap.  Its processes' titles carry
#                              $PG_DIR/standby, so pg_kill, pg_restart,
#                              pg_cleanup and the watchdog reap them too.
#   pg_standby_stop            immediate shutdown of the standby
#
# After pg_start (exported):
#   PGPORT_TEST   the port
#   PG_DSN        host=127.0.0.1 port=$PGPORT_TEST dbname=postgres user=dbpulse
#   PG_PASSWORD   dbpulse-secret (the dbpulse role's password)
#   PG_SUPER_DSN  host=$PG_SOCKDIR port=$PGPORT_TEST dbname=postgres user=postgres
#   PG_DIR, PG_DATA, PG_SOCKDIR, PG_LOG (server log), PG_BINDIR, PG_PID
#   (postmaster)
# After pg_start_standby: PG_STANDBY_PORT, PG_STANDBY_DSN (host=127.0.0.1
# port=$PG_STANDBY_PORT dbname=postgres user=dbpulse), PG_STANDBY_DIR,
# PG_STANDBY_DATA, PG_STANDBY_SOCKDIR, PG_STANDBY_LOG, PG_STANDBY_PID
# Authentication (pg_hba.conf): unix socket: "postgres" trust, other roles
# scram-sha-256; TCP 127.0.0.1 only, scram-sha-256 for every role (the
# superuser has no password, so it cannot log in over TCP).
#
# Outside the tests (scripts/demo): set TMP to a fresh directory, source
# this file, set PG_PORT_FIRST=N to take the first free port from N upwards
# instead of a random one, and set your own EXIT trap calling pg_cleanup.

: "${PG_BINDIR:=}"
if [ -z "$PG_BINDIR" ]; then
	if [ -x /usr/lib/postgresql/15/bin/postgres ]; then
		PG_BINDIR=/usr/lib/postgresql/15/bin
	elif command -v pg_config >/dev/null 2>&1; then
		PG_BINDIR=$(pg_config --bindir)
	fi
fi
: "${PG_PORT_FIRST:=}"
PG_DIR=
PG_DATA=
PG_SOCKDIR=
PG_LOG=
PG_PID=
PG_WATCHDOG=
PG_PASSWORD=dbpulse-secret
PGPORT_TEST=
PG_DSN=
PG_SUPER_DSN=
PG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_STANDBY_DIR=
PG_STANDBY_DATA=
PG_STANDBY_SOCKDIR=
PG_STANDBY_LOG=
PG_STANDBY_PORT=
PG_STANDBY_DSN=
PG_STANDBY_PID=
export PG_PASSWORD

# libpq and pg_wrapper read these; none of them may steer the harness
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE PGSERVICEFILE \
	PGOPTIONS PGAPPNAME PGSSLMODE PGREQUIRESSL PGGSSENCMODE PGTARGETSESSIONATTRS \
	PGCONNECT_TIMEOUT PGCLIENTENCODING PGDATA PGCLUSTER PGCLUSTERNAME PGTZ PGDATESTYLE

pg_diag() {
	if declare -F diag >/dev/null; then diag "$@"; else printf '# %s\n' "$@" >&2; fi
}

pg_is_root() { [ "$(id -u)" = 0 ]; }

# pg_as_owner CMD...: runs CMD as the cluster's owner, in $PG_DIR
pg_as_owner() {
	(
		cd "${PG_DIR:-/}" 2>/dev/null || cd /
		if ! pg_is_root; then
			exec "$@"
		elif command -v setpriv >/dev/null 2>&1; then
			exec setpriv --reuid=postgres --regid="$(id -g postgres)" --init-groups -- "$@"
		else
			exec runuser -u postgres -- "$@"
		fi
	)
}

pg_require() {
	local reason='' b lib
	if [ -z "$PG_BINDIR" ]; then
		reason="PostgreSQL is not installed (postgresql-15)"
	else
		for b in initdb pg_ctl postgres psql; do
			[ -x "$PG_BINDIR/$b" ] || { reason="$PG_BINDIR/$b is missing (postgresql-15)"; break; }
		done
	fi
	if [ -z "$reason" ]; then
		lib=$("$PG_BINDIR/pg_config" --pkglibdir 2>/dev/null) || lib=$PG_BINDIR/../lib
		[ -f "$lib/pg_stat_statements.so" ] || reason="pg_stat_statements is not installed ($lib)"
	fi
	if [ -z "$reason" ] && pg_is_root && ! id postgres >/dev/null 2>&1; then
		reason="running as root and there is no postgres user to run PostgreSQL as"
	fi
	[ -z "$reason" ] && return 0
	if declare -F skip_all >/dev/null; then skip_all "$reason"; fi
	pg_diag "$reason"
	return 1
}

# pg_alive PID: true while the process exists and is not a zombie (pg_ctl's
# children are reparented to PID 1, which may reap them late)
pg_alive() {
	local st
	if [ -r "/proc/$1/stat" ]; then
		st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
		st=${st##*) }
		[ "${st%% *}" != Z ]
	else
		kill -0 "$1" 2>/dev/null
	fi
}

pg_running() { [ -n "$PG_PID" ] && pg_alive "$PG_PID"; }

# pg_port_range: prints "LOW HIGH", a range out of the kernel's ephemeral ports
pg_port_range() {
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

# pg_port_busy PORT: true when something accepts connections on it
pg_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pg_procs: PIDs of every process of the cluster (the postmaster and its
# children, whose titles carry cluster_name = $PG_DIR), owner's only
pg_procs() {
	[ -n "$PG_DIR" ] || return 0
	local uid pat
	uid=$(if pg_is_root; then id -u postgres; else id -u; fi)
	pat=$(printf '%s' "$PG_DIR" | sed 's/[][\.*^$+?(){}|]/\\&/g')
	{
		pgrep -u "$uid" -f -- "$pat( |/|:|$)"
		[ -n "$PG_PID" ] && pgrep -P "$PG_PID"
	} 2>/dev/null | sort -u | while read -r pid; do pg_alive "$pid" && echo "$pid"; done
}

# pg_wait_gone SECONDS PID...: waits until none of the PIDs exists
pg_wait_gone() {
	local tries=$(($1 * 20)) p alive
	shift
	while :; do
		alive=
		for p in "$@"; do pg_alive "$p" && alive=1 && break; done
		[ -z "$alive" ] && return 0
		[ "$tries" -le 0 ] && return 1
		sleep 0.05
		tries=$((tries - 1))
	done
}

# pg_reap: SIGKILL to every process of the cluster; waits for them
pg_reap() {
	local pids
	pids=$(pg_procs)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	# shellcheck disable=SC2086
	pg_wait_gone 5 $pids
}

pg_ctl_start() { # pg_ctl_start PORT: 0 started, 1 failed, 2 port taken
	local before
	before=$( (wc -l <"$PG_LOG") 2>/dev/null || echo 0)
	if pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 30 -o "-p $1" start \
		>"$PG_DIR/pg_ctl.out" 2>&1; then
		PG_PID=$(head -n 1 "$PG_DATA/postmaster.pid")
		return 0
	fi
	if tail -n +"$((before + 1))" "$PG_LOG" 2>/dev/null |
		grep -qE 'could not bind|could not create any TCP/IP sockets|Address already in use'; then
		return 2
	fi
	pg_diag "pg_ctl start on port $1 failed:" "$(cat "$PG_DIR/pg_ctl.out")" \
		"$(tail -n +"$((before + 1))" "$PG_LOG" 2>/dev/null | tail -n 20)"
	return 1
}

# pg_watchdog_start: a process outside this shell's jobs (no `wait` waits
# for it) that removes the cluster if this shell dies without its EXIT trap
pg_watchdog_start() {
	local parent=$$
	pg_watchdog_stop
	PG_WATCHDOG=$(
		(
			trap '' HUP INT TERM
			# pg_cleanup ends it with SIGUSR1 (with its sleep)
			trap 'kill -KILL $! 2>/dev/null; exit 0' USR1
			while kill -0 "$parent" 2>/dev/null; do
				sleep 1 &
				wait $!
			done
			pg_reap
			rm -rf "$PG_DIR"
			[ -n "${TMP:-}" ] && rm -rf "$TMP"
		) </dev/null >/dev/null 2>&1 &
		echo $!
	)
}

pg_start() {
	if [ -n "$PGPORT_TEST" ]; then
		pg_diag "pg_start: this script has its cluster already (port $PGPORT_TEST); pg_restart starts it again"
		return 1
	fi
	[ -n "${TMP:-}" ] && [ -d "$TMP" ] || { pg_diag "pg_start: \$TMP is not a directory"; return 1; }
	pg_require || return 1
	local owner
	owner=$(if pg_is_root; then echo postgres; else id -un; fi)

	# $TMP/pg, unless the owner cannot reach it or the path is too long for
	# cluster_name (63 bytes, it marks the processes' titles): then a short
	# directory in /tmp
	PG_DIR=$TMP/pg
	pg_is_root && chmod o+x "$TMP"
	mkdir -p "$PG_DIR" && { ! pg_is_root || chown postgres: "$PG_DIR"; } || return 1
	if ! pg_as_owner test -w "$PG_DIR" || [ ${#PG_DIR} -gt 63 ]; then
		rmdir "$PG_DIR"
		PG_DIR=$(mktemp -d /tmp/dbpulse-pg.XXXXXX) || return 1
		chmod 755 "$PG_DIR"
		pg_is_root && chown postgres: "$PG_DIR"
	fi
	PG_DATA=$PG_DIR/data
	PG_SOCKDIR=$PG_DIR/sock
	PG_LOG=$PG_DIR/postgres.log
	pg_as_owner mkdir -m 755 "$PG_SOCKDIR" || return 1
	pg_watchdog_start

	if ! pg_as_owner "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C \
		--no-sync --no-instructions >"$PG_DIR/initdb.out" 2>&1; then
		pg_diag "initdb as $owner failed:" "$(cat "$PG_DIR/initdb.out")"
		return 1
	fi
	# appending (>>) and truncating (>) keep the files' owner
	{
		echo
		echo "# ---- dbpulse test harness (tests/integration/pg_lib.sh)"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$PG_SOCKDIR'"
		echo "cluster_name = '$PG_DIR'"
		echo "max_connections = 50"
		echo "shared_buffers = 16MB"
		echo "fsync = off"
		echo "full_page_writes = off"
		echo "shared_preload_libraries = 'pg_stat_statements'"
		echo "pg_stat_statements.track = all"
		echo "pg_stat_statements.max = 10000"
		echo "password_encryption = scram-sha-256"
		echo "log_line_prefix = '%m [%p] %q%u@%d '"
		[ $# -gt 0 ] && echo "# ---- the test's own lines" && printf '%s\n' "$@"
	} >>"$PG_DATA/postgresql.conf"
	cat >"$PG_DATA/pg_hba.conf" <<-'HBA'
	# dbpulse test harness: the superuser over the unix socket without a
	# password; everyone else, and everyone over TCP, with a password
	local   all          postgres                    trust
	local   replication  postgres                    trust
	local   all          all                         scram-sha-256
	host    all          all          127.0.0.1/32   scram-sha-256
	host    replication  all          127.0.0.1/32   scram-sha-256
	HBA

	local attempt port rc range lo hi
	range=$(pg_port_range)
	lo=${range% *}
	hi=${range#* }
	port=${PG_PORT_FIRST:-}
	for attempt in $(seq 1 100); do
		if [ -n "$PG_PORT_FIRST" ]; then
			[ "$attempt" -gt 1 ] && port=$((port + 1))
		else
			port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		fi
		pg_port_busy "$port" && continue
		pg_ctl_start "$port"
		rc=$?
		[ $rc = 2 ] && continue
		break
	done
	[ "${rc:-1}" = 0 ] || { [ "${rc:-1}" = 2 ] && pg_diag "pg_start: no free port found"; return 1; }

	PGPORT_TEST=$port
	PG_DSN="host=127.0.0.1 port=$port dbname=postgres user=dbpulse"
	PG_SUPER_DSN="host=$PG_SOCKDIR port=$port dbname=postgres user=postgres"
	export PGPORT_TEST PG_DSN PG_SUPER_DSN PG_DIR PG_DATA PG_SOCKDIR PG_LOG PG_BINDIR
	pg_sql <<-SQL || { pg_diag "pg_start: setting up the roles failed"; return 1; }
	CREATE EXTENSION pg_stat_statements;
	CREATE ROLE dbpulse LOGIN PASSWORD '$PG_PASSWORD';
	GRANT pg_monitor TO dbpulse;
	SQL
}

pg_stop() {
	pg_running || return 0
	pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >"$PG_DIR/pg_ctl.out" 2>&1 ||
		{ pg_diag "pg_ctl stop failed:" "$(cat "$PG_DIR/pg_ctl.out")"; return 1; }
	pg_wait_gone 10 "$PG_PID"
}

pg_kill() {
	pg_running || { pg_diag "pg_kill: the cluster is not running"; return 1; }
	local pids
	pids=$(pg_procs)
	kill -KILL "$PG_PID"
	# the children notice the postmaster's death and exit on their own; the
	# shared memory must be free of them before the cluster can start again
	# shellcheck disable=SC2086
	pg_wait_gone 5 $pids || pg_reap
	pg_reap
	return 0
}

pg_restart() {
	[ -n "$PGPORT_TEST" ] || { pg_diag "pg_restart: no cluster was started"; return 1; }
	pg_running && { pg_stop || return 1; }
	pg_reap
	# after a SIGKILL the lock files name a dead postmaster, which may still
	# be a zombie (kill -0 succeeds) or whose PID another process may have by
	# now: either would stop the start.  No process of the cluster runs.
	rm -f "$PG_DATA/postmaster.pid" "$PG_SOCKDIR"/.s.PGSQL.*
	pg_ctl_start "$PGPORT_TEST" || { pg_diag "pg_restart: port $PGPORT_TEST: start failed"; return 1; }
}

pg_sql_db() {
	local db=$1
	shift
	if [ $# -gt 0 ]; then
		pg_sql_db "$db" <<<"$1"
		return
	fi
	"$PG_BINDIR/psql" -X -A -t -q -w -v ON_ERROR_STOP=1 \
		"host=$PG_SOCKDIR port=$PGPORT_TEST dbname=$db user=postgres" -f -
}

pg_sql() { pg_sql_db postgres "$@"; }

# pg_target_section [NAME]: the [postgres "NAME"] lines (default "main") for
# this script's cluster as the dbpulse role, password in $PGTEST_PASSWORD,
# 1 s interval, timeout and slow_interval
pg_target_section() {
	printf '[postgres "%s"]\ndsn = %s\npassword_env = PGTEST_PASSWORD\n' "${1:-main}" "$PG_DSN"
	printf 'interval = 1s\ntimeout = 1s\nslow_interval = 1s\n'
}

pg_sql_as() {
	local role=$1 password=$2
	shift 2
	if [ $# -gt 0 ]; then
		pg_sql_as "$role" "$password" <<<"$1"
		return
	fi
	PGPASSWORD=$password PGCONNECT_TIMEOUT=5 "$PG_BINDIR/psql" -X -A -t -q -w -v ON_ERROR_STOP=1 \
		"host=127.0.0.1 port=$PGPORT_TEST dbname=postgres user=$role" -f -
}

pg_load_statements() {
	PG_BINDIR=$PG_BINDIR "$PG_LIB_DIR/../../bench/pg_load.sh" -q -h "$PG_SOCKDIR" -U postgres \
		"$PGPORT_TEST" "$@"
}

pg_watchdog_stop() {
	[ -n "$PG_WATCHDOG" ] || return 0
	kill -USR1 "$PG_WATCHDOG" 2>/dev/null
	pg_wait_gone 2 "$PG_WATCHDOG" || kill -KILL "$PG_WATCHDOG" 2>/dev/null
	PG_WATCHDOG=
}

pg_cleanup() {
	pg_watchdog_stop
	[ -n "$PG_DIR" ] || return 0
	if pg_running; then
		pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 stop >/dev/null 2>&1
		pg_wait_gone 5 "$PG_PID"
	fi
	pg_reap
	rm -rf "$PG_DIR"
	PG_PID=
}

# pg_standby_launch: pg_ctl start of the standby on a free port (retried
# when one is taken meanwhile); 0 started
pg_standby_launch() {
	local attempt port before range lo hi
	range=$(pg_port_range)
	lo=${range% *}
	hi=${range#* }
	for attempt in $(seq 1 100); do
		if [ -n "$PG_PORT_FIRST" ]; then
			port=$((PGPORT_TEST + attempt))
		else
			port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		fi
		[ "$port" = "$PGPORT_TEST" ] && continue
		pg_port_busy "$port" && continue
		before=$( (wc -l <"$PG_STANDBY_LOG") 2>/dev/null || echo 0)
		if pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_STANDBY_DATA" -l "$PG_STANDBY_LOG" -w -t 30 \
			-o "-p $port" start >"$PG_STANDBY_DIR/pg_ctl.out" 2>&1; then
			PG_STANDBY_PORT=$port
			PG_STANDBY_PID=$(head -n 1 "$PG_STANDBY_DATA/postmaster.pid")
			return 0
		fi
		tail -n +"$((before + 1))" "$PG_STANDBY_LOG" 2>/dev/null |
			grep -qE 'could not bind|could not create any TCP/IP sockets|Address already in use' &&
			continue
		pg_diag "the standby's pg_ctl start on port $port failed:" \
			"$(cat "$PG_STANDBY_DIR/pg_ctl.out")" "$(tail -n 20 "$PG_STANDBY_LOG" 2>/dev/null)"
		return 1
	done
	pg_diag "pg_start_standby: no free port found"
	return 1
}

pg_start_standby() {
	pg_running || { pg_diag "pg_start_standby: the cluster does not run"; return 1; }
	[ -z "$PG_STANDBY_DIR" ] || { pg_diag "pg_start_standby: this script has its standby already"; return 1; }
	PG_STANDBY_DIR=$PG_DIR/standby
	PG_STANDBY_DATA=$PG_STANDBY_DIR/data
	PG_STANDBY_SOCKDIR=$PG_STANDBY_DIR/sock
	PG_STANDBY_LOG=$PG_STANDBY_DIR/postgres.log
	pg_as_owner mkdir -m 755 "$PG_STANDBY_DIR" "$PG_STANDBY_SOCKDIR" || return 1
	local prev
	prev=$(trap -p EXIT)
	prev=${prev#trap -- }
	eval "prev=${prev% EXIT}"
	# shellcheck disable=SC2064
	trap "pg_standby_stop; ${prev:-:}" EXIT

	# the primary's settings (wal_level replica, max_wal_senders 10 by
	# default) and pg_hba.conf ("local replication postgres trust") allow
	# it; through a physical slot, "standby" (-C -S), as most standbys run:
	# postgres_exporter's stat_wal_receiver skips a receiver without one
	if ! pg_as_owner "$PG_BINDIR/pg_basebackup" -D "$PG_STANDBY_DATA" -R -X stream -c fast -N \
		-C -S standby \
		-h "$PG_SOCKDIR" -p "$PGPORT_TEST" -U postgres -w >"$PG_STANDBY_DIR/basebackup.out" 2>&1; then
		pg_diag "pg_basebackup failed:" "$(cat "$PG_STANDBY_DIR/basebackup.out")"
		return 1
	fi
	{
		echo
		echo "# ---- the standby (tests/integration/pg_lib.sh pg_start_standby)"
		echo "unix_socket_directories = '$PG_STANDBY_SOCKDIR'"
		echo "cluster_name = '$PG_STANDBY_DIR'"
	} >>"$PG_STANDBY_DATA/postgresql.conf"
	pg_standby_launch || return 1
	PG_STANDBY_DSN="host=127.0.0.1 port=$PG_STANDBY_PORT dbname=postgres user=dbpulse"
	export PG_STANDBY_PORT PG_STANDBY_DSN PG_STANDBY_DIR PG_STANDBY_DATA PG_STANDBY_SOCKDIR \
		PG_STANDBY_LOG
	local tries=300
	until [ "$(pg_sql "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ] \
		2>/dev/null; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || {
			pg_diag "pg_start_standby: the standby does not stream" "$(tail -n 20 "$PG_STANDBY_LOG")"
			return 1
		}
		sleep 0.1
	done
}

pg_standby_stop() {
	[ -n "$PG_STANDBY_PID" ] && pg_alive "$PG_STANDBY_PID" || return 0
	pg_as_owner "$PG_BINDIR/pg_ctl" -D "$PG_STANDBY_DATA" -m immediate -w -t 10 stop \
		>/dev/null 2>&1
	pg_wait_gone 5 "$PG_STANDBY_PID"
}

# pg_cleanup first, then whatever the EXIT trap did before (lib.sh's cleanup)
pg_prev_exit_trap=$(trap -p EXIT)
if [ -n "$pg_prev_exit_trap" ]; then # trap -- 'cleanup' EXIT
	pg_prev_exit_trap=${pg_prev_exit_trap#trap -- }
	eval "pg_prev_exit_trap=${pg_prev_exit_trap% EXIT}"
fi
# shellcheck disable=SC2064
trap "pg_cleanup; ${pg_prev_exit_trap:-:}" EXIT
