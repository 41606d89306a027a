#!/bin/bash
# compat.sh -- dbpulse is a drop-in for the exporters it replaces: Debian's
# prometheus-node-exporter, prometheus-postgres-exporter and
# prometheus-redis-exporter, run with their defaults against the same test
# servers as dbpulse (a PostgreSQL 15 with a streaming standby, a Redis 7, a
# PgBouncer, this host; node_exporter's textfile directory is dbpulse's
# [textfile] one), serve no family that dbpulse's /metrics lacks: the
# same name, TYPE and label names, bar the reviewed lines of
# tests/compat/exceptions.txt.  The names of the peers' current upstream
# releases that Debian's packages predate (tests/compat/upstream.txt) are
# served too.  promtool check metrics remarks only on the peers' own names
# (tests/compat/promtool.txt).  Prints the coverage of each peer.
# COMPAT_KEEP=DIR keeps the expositions compared (dbpulse.prom and each
# peer's) there.
# (Debian's PgBouncer exporter, a Python one, fails on PgBouncer 1.18 with
# KeyError: 'total_requests': pgbouncer_exporter's names come from
# upstream.txt alone.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/redis_lib.sh"
. "$(dirname "$0")/pgbouncer_lib.sh"
require curl python3
pg_require
redis_require
pgbouncer_require
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
POSTGRES_EXPORTER=${POSTGRES_EXPORTER:-/usr/bin/prometheus-postgres-exporter}
REDIS_EXPORTER=${REDIS_EXPORTER:-/usr/bin/prometheus-redis-exporter}
for exe in "$NODE_EXPORTER" "$POSTGRES_EXPORTER" "$REDIS_EXPORTER"; do
	[ -x "$exe" ] || skip_all "$exe is not installed (Debian's prometheus-*-exporter packages)"
done
[ -n "$PROMTOOL" ] || skip_all "promtool is not installed (Debian package prometheus)"
FAMILIES="$top_srcdir/tests/compat/families.py"
EXCEPTIONS="$top_srcdir/tests/compat/exceptions.txt"
UPSTREAM="$top_srcdir/tests/compat/upstream.txt"

# ---- the servers, with something in each view the peers read ------------------------------------
# archive_command 'true': pg_stat_archiver has an archived file (its age);
# max_slot_wal_keep_size: the slots have a safe_wal_size
pg_start "track_io_timing = on" "track_functions = all" "archive_mode = on" "archive_command = 'true'" \
	"max_slot_wal_keep_size = 1GB" ||
	{ not_ok "PostgreSQL starts"; done_testing; }
pg_start_standby || { not_ok "a streaming standby of it starts"; done_testing; }
redis_start || { not_ok "Redis starts"; done_testing; }
pgbouncer_start || { not_ok "PgBouncer starts"; done_testing; }
# Redis: the default user for dbpulse as for redis_exporter (CONFIG GET,
# which doc/configuration.md's least-privileged user lacks, serves redis_config_*)
export PGTEST_PASSWORD="$PG_PASSWORD" REDISTEST_PASSWORD="$REDIS_PASSWORD"
pg_sql >/dev/null <<-'SQL'
	CREATE TABLE orders (id int PRIMARY KEY, note text);
	INSERT INTO orders SELECT i, 'n' || i FROM generate_series(1, 2000) i;
	DELETE FROM orders WHERE id % 3 = 0;
	CREATE INDEX orders_note ON orders (note);
	VACUUM ANALYZE orders;
	SELECT count(*) FROM orders WHERE note = 'n1';
	SELECT pg_create_physical_replication_slot('compat', true);
	SELECT pg_switch_wal();
	CREATE TABLE vacuumed (i int) WITH (autovacuum_enabled = false);
	INSERT INTO vacuumed SELECT generate_series(1, 100000);
	DELETE FROM vacuumed WHERE i % 2 = 0;
SQL
# a vacuum that runs throughout (100 ms a page): pg_stat_progress_vacuum has a row
pg_sql "SET vacuum_cost_delay = 100; SET vacuum_cost_limit = 1; VACUUM vacuumed" >/dev/null 2>&1 &
bg_track $!
pgbouncer_psql "SELECT 1" >/dev/null
for i in $(seq 1 50); do echo "SET key:$i v"; echo "GET key:$i"; echo "EXPIRE key:$i 3600"; done |
	redis_cli >/dev/null
redis_cli -n 2 SET in-db2 1 >/dev/null
# a textfile directory both node_exporter and dbpulse ([textfile]) read
mkdir -p "$TMP/textfile"
cat >"$TMP/textfile/compat.prom" <<-'PROM'
	# HELP compat_backup_last_success_timestamp_seconds When the last backup succeeded.
	# TYPE compat_backup_last_success_timestamp_seconds gauge
	compat_backup_last_success_timestamp_seconds{job="db"} 1.7e+09
	compat_apt_upgrades_pending{origin="Debian"} 3
PROM

# ---- the peers, each on a free loopback port ----------------------------------------------------
# launch NAME URL_PORT COMMAND...: starts a peer (@PORT@ in its arguments)
launch() {
	local name=$1 port pid
	shift
	port=$(free_port)
	"${@//@PORT@/$port}" >"$TMP/$name.log" 2>&1 &
	pid=$!
	bg_track "$pid"
	if within 15 curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; then
		eval "PEER_URL_$name=http://127.0.0.1:$port/metrics"
		return 0
	fi
	diag "$name did not start:" "$(cat "$TMP/$name.log")"
	return 1
}
launch node "$NODE_EXPORTER" --web.listen-address=127.0.0.1:@PORT@ \
	--collector.textfile.directory="$TMP/textfile" ||
	{ not_ok "node_exporter starts"; done_testing; }
DATA_SOURCE_NAME="postgresql://dbpulse:$PG_PASSWORD@127.0.0.1:$PGPORT_TEST/postgres?sslmode=disable" \
	launch postgres "$POSTGRES_EXPORTER" --web.listen-address=127.0.0.1:@PORT@ ||
	{ not_ok "postgres_exporter starts"; done_testing; }
REDIS_ADDR="redis://$REDIS_ADDRESS" REDIS_PASSWORD="$REDIS_PASSWORD" \
	launch redis "$REDIS_EXPORTER" -web.listen-address=127.0.0.1:@PORT@ ||
	{ not_ok "redis_exporter starts"; done_testing; }

# ---- dbpulse: every kind of target, at its defaults but the interval ----------------------------
host_config "$TMP/agent.ini"
{
	pg_target_section pg
	printf '[postgres "standby"]\ndsn = %s\npassword_env = PGTEST_PASSWORD\n' "$PG_STANDBY_DSN"
	printf 'interval = 1s\ntimeout = 1s\n'
	printf '[redis "redis"]\naddress = %s\npassword_env = REDISTEST_PASSWORD\n' "$REDIS_ADDRESS"
	printf 'interval = 1s\ntimeout = 1s\n'
	pgbouncer_section pool
	printf '[textfile]\ndirectory = %s\ninterval = 1s\ntimeout = 1s\n' "$TMP/textfile"
} >>"$TMP/agent.ini"
start_agent "$TMP/agent.ini" || { not_ok "the agent starts"; done_testing; }
check "every target is up" within 30 sh -c "
	curl -s '$URL/metrics' >'$TMP/up.prom' &&
	grep -q '^pg_up{target=\"pg\"} 1' '$TMP/up.prom' &&
	grep -q '^pg_up{target=\"standby\"} 1' '$TMP/up.prom' &&
	grep -q '^redis_up{target=\"redis\"} 1' '$TMP/up.prom' &&
	grep -q '^pgbouncer_up{target=\"pool\"} 1' '$TMP/up.prom'" ||
	diag "$(grep -E '^(pg|redis|pgbouncer)_up' "$TMP/up.prom")" "$(tail -n 20 "$TMP/agent.log")"
# two more collections of each: the slow queries (settings, sizes) have run
for t in host pg standby redis pool textfile; do wait_collections "$t" 2; done

# ---- the comparison -----------------------------------------------------------------------------
scrape >"$TMP/dbpulse.prom"
for peer in node postgres redis; do
	url=PEER_URL_$peer
	curl -sf "${!url}" >"$TMP/$peer.prom" || { not_ok "$peer exporter answers"; continue; }
	python3 "$FAMILIES" compare "$peer" "$TMP/$peer.prom" "$TMP/dbpulse.prom" "$EXCEPTIONS" \
		>"$TMP/$peer.cmp"
	rc=$?
	summary=$(tail -n 1 "$TMP/$peer.cmp")
	check "$peer: every family of Debian's exporter is served alike ($summary)" test $rc = 0
	out=$(grep -vE '^(ok|excepted) ' "$TMP/$peer.cmp" | sed '$d')
	[ -z "$out" ] || diag "$out"
done
for peer in node postgres redis pgbouncer; do
	python3 "$FAMILIES" upstream "$peer" "$TMP/dbpulse.prom" "$UPSTREAM" >"$TMP/$peer.up"
	rc=$?
	check "$peer: the names of the current upstream release are served ($(tail -n 1 "$TMP/$peer.up"))" \
		test $rc = 0
	out=$(grep -v '^ok ' "$TMP/$peer.up" | sed '$d')
	[ -z "$out" ] || diag "$out"
done
ours=$(python3 "$FAMILIES" list "$TMP/dbpulse.prom" | wc -l)
cat "$TMP/node.prom" "$TMP/postgres.prom" "$TMP/redis.prom" >"$TMP/peers.prom"
theirs=$(python3 "$FAMILIES" list "$TMP/peers.prom" | grep -cvE '^(go|promhttp|process)_')
diag "families: dbpulse $ours, the three Debian peers $theirs (without go_*, promhttp_*, process_*)"

out=$(promtool_clean "$TMP/dbpulse.prom")
check "promtool check metrics remarks only on the peers' names (tests/compat/promtool.txt)" test -z "$out" ||
	diag "$out"

[ -n "${COMPAT_KEEP:-}" ] && mkdir -p "$COMPAT_KEEP" && cp "$TMP"/*.prom "$COMPAT_KEEP"/
stop_agent
done_testing
