#!/bin/bash
# backup.sh -- [backup "NAME"] against real backups: pg_dump files of a
# throwaway PostgreSQL 15 in a directory, and a real pgBackRest repository
# of the same cluster (stanza-create, full, incr and diff backups).
#
# --check-config names the file, line and key of every bad [backup] key.
# Files: the series equal what stat(1) says of the newest two dumps; the
# default rules, as agent.ini has them (without their `for`), fire in the
# agent and resolve: BackupTooOld for dumps aged with touch -d and gone
# with a fresh one, BackupTooSmall and BackupUnderMinSize for a truncated
# newest dump, BackupMissing for an empty directory, BackupDown while the
# directory is removed (logged once, and its return once).  An unreadable
# directory, honestly: the agent runs as nobody (setpriv) against a
# directory of mode 0700 owned by root, until it is opened up.
# pgBackRest: every series equals what `pgbackrest info --output=json`
# says, a new backup shows at the next collection, a backup.info cut short
# is replaced by backup.info.copy, and both cut short fail the collection;
# a FIFO named backup.info (whose open blocks, as a hung mount's does)
# fails it at the timeout with one thread blocked, not one per collection.
# WAL archiving and Redis persistence: with archive_command = 'false' the
# archiver fails and PostgresArchiverFailing fires, and with nothing
# archived for twice archive_timeout PostgresArchiverStale; a Redis whose
# directory is gone fails BGSAVE and RedisRdbSaveFailing fires, a BGSAVE
# that works again resolves it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/redis_lib.sh"
require curl python3 stat touch
pg_require
redis_require
command -v pgbackrest >/dev/null 2>&1 || skip_all "pgbackrest is not installed (Debian package pgbackrest)"

DUMPS=$TMP/dumps
mkdir -p "$DUMPS"
# default_rule NAME: agent.ini's commented rule NAME, uncommented, without
# its `for` (so that it fires at the first collection that shows it)
default_rule() {
	awk -v h="; [alert \"$1\"]" '
		$0 == h { on = 1; print substr($0, 3); next }
		on && /^; [a-z_]+ = / { if ($2 != "for") print substr($0, 3); next }
		on { exit }' "$top_srcdir/agent.ini"
}
# value SERIES: the value of the series written exactly as in /metrics
value() { metric_value "$1"; }
# firing NAME TARGET / quiet NAME TARGET: the agent's ALERTS series
firing() { has_metric "ALERTS{alertname=\"$1\",.*target=\"$2\",alertstate=\"firing\"}"; }
quiet() { ! has_metric "ALERTS{alertname=\"$1\",.*target=\"$2\""; }
absent() { ! grep -qE -- "$1" <<<"$2"; }

# ---- --check-config ------------------------------------------------------------
host_config "$TMP/bad.ini"
cat >>"$TMP/bad.ini" <<INI
[backup "rel"]
path = backups/*.dump
[backup "keys"]
path = $DUMPS/*.dump
maxage = 1d
min_size = lots
[backup "stanza"]
format = pgbackrest
path = /var/lib/pgbackrest/backup/*
INI
out=$("$DBPULSE" --check-config -c "$TMP/bad.ini" 2>&1)
check "--check-config refuses bad [backup] sections" test $? = 1
check "... a relative path, with its section" \
	grep -qF "bad.ini:9: [backup \"rel\"] path: expected an absolute path, got 'backups/*.dump'" <<<"$out" ||
	diag "$out"
check "... an unknown key, with its line and the key meant" \
	grep -qF "bad.ini:12: [backup \"keys\"] maxage: unknown key; did you mean 'max_age'?" <<<"$out"
check "... a bad size, with its line" \
	grep -qF "bad.ini:13: [backup \"keys\"] min_size: expected a size like '64MiB'" <<<"$out"
check "... a pgBackRest path with a wildcard" \
	grep -qF "[backup \"stanza\"] path: expected the stanza's directory (REPO/backup/STANZA) without wildcards" <<<"$out"

# ---- a real cluster, its dumps and its pgBackRest repository ---------------------
at "a real cluster, its dumps"
REPO=$TMP/pgbr/repo
mkdir -p "$REPO" "$TMP/pgbr/log" "$TMP/pgbr/lock"
PGBR_CONF=$TMP/pgbr/pgbackrest.conf
pg_is_root && chown -R postgres "$TMP/pgbr"
pg_start "archive_mode = on" \
	"archive_command = 'pgbackrest --config=$PGBR_CONF --stanza=demo archive-push %p'" ||
	{ not_ok "PostgreSQL starts"; done_testing; }
cat >"$PGBR_CONF" <<CONF
[global]
repo1-path=$REPO
repo1-retention-full=10
log-path=$TMP/pgbr/log
lock-path=$TMP/pgbr/lock
log-level-console=warn
log-level-file=off
start-fast=y
archive-timeout=30

[demo]
pg1-path=$PG_DATA
pg1-socket-path=$PG_SOCKDIR
pg1-port=$PGPORT_TEST
CONF
pgbr() { pg_as_owner pgbackrest --config="$PGBR_CONF" --stanza=demo "$@"; }
pg_sql "CREATE TABLE t AS SELECT g, md5(g::text) AS h FROM generate_series(1, 50000) g"
# dump NAME: pg_dump -Fc into a dot-name, renamed when complete (as
# doc/configuration.md advises: the pattern never sees it half written)
dump() {
	pg_as_owner "$PG_BINDIR/pg_dump" -h "$PG_SOCKDIR" -p "$PGPORT_TEST" -Fc postgres >"$DUMPS/.$1.tmp" &&
		mv "$DUMPS/.$1.tmp" "$DUMPS/$1"
}
check "pg_dump makes two dumps" dump db-1.dump && dump db-2.dump
touch -d '3 hours ago' "$DUMPS/db-1.dump"
touch -d '2 hours ago' "$DUMPS/db-2.dump"
printf 'not a dump\n' >"$DUMPS/notes.txt"
size=$(stat -c %s "$DUMPS/db-2.dump")

host_config "$TMP/agent.ini"
sed -i 's/^interval = 1s$/enabled = false/' "$TMP/agent.ini"
cat >>"$TMP/agent.ini" <<INI
[backup "dumps"]
path = $DUMPS/*.dump
max_age = 1h
min_size = $((size / 2))
interval = 1s
timeout = 1s
[backup "pitr"]
format = pgbackrest
path = $REPO/backup/demo
interval = 1s
timeout = 1s
$(for r in BackupDown BackupTooOld BackupTooSmall BackupUnderMinSize BackupMissing; do default_rule "$r"; done)
INI
check "the default backup rules are in agent.ini" test "$(grep -c '^\[alert "Backup' "$TMP/agent.ini")" = 5
out=$("$DBPULSE" --check-config -c "$TMP/agent.ini" 2>&1)
check "--check-config accepts the sections" test $? = 0 || diag "$out"
check "... and says what each watches" \
	grep -qF "[backup \"dumps\"] every 1s, timeout 1s: $DUMPS/*.dump, newest within 1h, at least $((size / 2)) bytes" <<<"$out" ||
	diag "$out"
check "... a pgBackRest stanza too" \
	grep -qF "[backup \"pitr\"] every 1s, timeout 1s: pgBackRest $REPO/backup/demo/backup.info, newest within 1d2h" <<<"$out"

# ---- files: the series are what stat says --------------------------------------
at "files"
start_agent "$TMP/agent.ini" || { not_ok "the agent starts"; done_testing; }
check "the dumps are read" wait_for 10 has_metric 'backup_up{target="dumps"} 1'
check "no stanza yet: the pitr target is down" has_metric 'backup_up{target="pitr"} 0'
m=$(scrape)
check "backup_files counts the two dumps (not notes.txt)" grep -qx 'backup_files{target="dumps"} 2' <<<"$m"
check "backup_newest_timestamp_seconds is the newest dump's mtime (stat -c %Y)" \
	grep -qx "backup_newest_timestamp_seconds{target=\"dumps\"} $(stat -c %Y "$DUMPS/db-2.dump")" <<<"$m" ||
	diag "$(grep '^backup_.*dumps' <<<"$m")"
check "backup_newest_size_bytes is its size (stat -c %s)" \
	grep -qx "backup_newest_size_bytes{target=\"dumps\"} $size" <<<"$m"
check "backup_previous_size_bytes is the other dump's size" \
	grep -qx "backup_previous_size_bytes{target=\"dumps\"} $(stat -c %s "$DUMPS/db-1.dump")" <<<"$m"
age=$(value 'backup_newest_age_seconds{target="dumps"}')
check "backup_newest_age_seconds is about two hours ($age)" \
	python3 -c "import sys; sys.exit(not 7190 < float('$age') < 7260)"
check "the bounds: max_age and min_size" \
	grep -qx 'backup_max_age_seconds{target="dumps"} 3600' <<<"$m"
check "... min_size" grep -qx "backup_min_size_bytes{target=\"dumps\"} $((size / 2))" <<<"$m"
if [ -n "$PROMTOOL" ]; then
	grep -E '^(# (HELP|TYPE) )?backup_' <<<"$m" | "$PROMTOOL" check metrics >"$TMP/lint" 2>&1
	check "promtool check metrics has nothing to say of backup_*" test ! -s "$TMP/lint" || diag "$(cat "$TMP/lint")"
fi

# ---- the default rules, in the agent ---------------------------------------------
at "the default rules, in the agent"
check "two hours old: BackupTooOld fires" wait_for 10 firing BackupTooOld dumps
check "... and nothing else for the dumps" \
	test "$(scrape | grep -c '^ALERTS{.*target="dumps"')" = 1 || diag "$(scrape | grep '^ALERTS')"
dump db-3.dump
check "a fresh dump: BackupTooOld resolves" wait_for 10 quiet BackupTooOld dumps
check "... and the fresh one is the newest" \
	wait_for 5 has_metric "backup_newest_timestamp_seconds{target=\"dumps\"} $(stat -c %Y "$DUMPS/db-3.dump")"
head -c $((size / 4)) "$DUMPS/db-3.dump" >"$DUMPS/db-4.dump"
check "a truncated newest dump: BackupTooSmall fires" wait_for 10 firing BackupTooSmall dumps
check "... and BackupUnderMinSize" wait_for 10 firing BackupUnderMinSize dumps
check "... the previous size is the good dump's" has_metric "backup_previous_size_bytes{target=\"dumps\"} $(stat -c %s "$DUMPS/db-3.dump")"
rm "$DUMPS/db-4.dump"
check "removed: both resolve" wait_for 10 sh -c "! curl -sS '$URL/metrics' | grep -qE '^ALERTS\{alertname=\"Backup(TooSmall|UnderMinSize)\"'"
mkdir -p "$TMP/aside"
mv "$DUMPS"/*.dump "$TMP/aside/"
check "no dump at all: BackupMissing fires" wait_for 10 firing BackupMissing dumps
check "... backup_files 0, backup_up 1" has_metric 'backup_files{target="dumps"} 0'
check "... and no newest series" sh -c "! curl -sS '$URL/metrics' | grep -q '^backup_newest_size_bytes{target=\"dumps\"}'"
mv "$TMP/aside"/*.dump "$DUMPS/"

# ---- the directory removed and restored --------------------------------------------
mv "$DUMPS" "$TMP/dumps.away"
check "the directory gone: backup_up 0" wait_for 10 has_metric 'backup_up{target="dumps"} 0'
check "... BackupDown fires" wait_for 10 firing BackupDown dumps
m=$(scrape)
check "... the bounds stay, the readings go" absent '^backup_files\{target="dumps"\}' "$m"
check "... dbpulse_up 0" grep -qx 'dbpulse_up{target="dumps",collector="backup"} 0' <<<"$m"
wait_collections dumps 3
check "... the reason logged once" \
	test "$(grep -c "target=dumps msg=\"collection failed: cannot read directory '$DUMPS': No such file or directory\"" "$TMP/agent.log")" = 1 ||
	diag "$(grep 'target=dumps' "$TMP/agent.log" | grep -v debug | tail -5)"
mv "$TMP/dumps.away" "$DUMPS"
check "restored: backup_up 1" wait_for 10 has_metric 'backup_up{target="dumps"} 1'
check "... BackupDown resolves" wait_for 10 quiet BackupDown dumps
check "... the recovery logged once" \
	test "$(grep -c 'target=dumps msg="target is up again"' "$TMP/agent.log")" = 1

# ---- pgBackRest: a stanza, a full and an incremental backup --------------------
at "pgBackRest"
check "pgbackrest stanza-create" pgbr stanza-create
check "a stanza without backups: backup_files 0, BackupMissing" wait_for 10 firing BackupMissing pitr
check "pgbackrest backup --type=full" pgbr --type=full backup
pg_sql "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g"
check "pgbackrest backup --type=incr" pgbr --type=incr backup
pgbr info --output=json >"$TMP/info.json"
# agrees PREFIX: every pitr series equals what pgbackrest info says
agrees() {
	scrape >"$TMP/m.prom"
	python3 - "$TMP/info.json" "$TMP/m.prom" <<'PY'
import json, re, sys
info = json.load(open(sys.argv[1]))[0]["backup"]
series = {}
for line in open(sys.argv[2]):
    m = re.match(r'^(backup_\w+)\{(.*)\} (\S+)$', line.strip())
    if m and 'target="pitr"' in m.group(2):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        labels.pop("target")
        series[(m.group(1), tuple(sorted(labels.items())))] = float(m.group(3))
want = {("backup_up", ()): 1, ("backup_files", ()): len(info)}
newest_stop = 0
for t in ("full", "diff", "incr"):
    of = [b for b in info if b["type"] == t]
    if not of:
        continue
    n = max(of, key=lambda b: (b["timestamp"]["stop"], b["label"]))
    k = (("type", t),)
    want[("backup_newest_timestamp_seconds", k)] = n["timestamp"]["stop"]
    want[("backup_newest_start_timestamp_seconds", k)] = n["timestamp"]["start"]
    want[("backup_newest_size_bytes", k)] = n["info"]["repository"]["delta"]
    want[("backup_newest_database_size_bytes", k)] = n["info"]["size"]
    want[("backup_newest_info", tuple(sorted({"type": t, "label": n["label"],
        "wal_start": n["archive"]["start"], "wal_stop": n["archive"]["stop"]}.items())))] = 1
    if len(of) > 1:
        p = sorted(of, key=lambda b: (b["timestamp"]["stop"], b["label"]))[-2]
        want[("backup_previous_size_bytes", k)] = p["info"]["repository"]["delta"]
    newest_stop = max(newest_stop, n["timestamp"]["stop"])
got = {k: v for k, v in series.items() if k[0] not in
       ("backup_newest_age_seconds", "backup_max_age_seconds", "backup_min_size_bytes")}
if got != want:
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print("# %s: agent %s, pgbackrest info %s" % (k, got.get(k), want.get(k)))
    sys.exit(1)
PY
}
agrees_quietly() { agrees >/dev/null; }
check "after full + incr: every pitr series is what pgbackrest info --output=json says" \
	within 10 agrees_quietly || agrees
check "... BackupMissing resolves" wait_for 10 quiet BackupMissing pitr
check "pgbackrest backup --type=diff" pgbr --type=diff backup
pgbr info --output=json >"$TMP/info.json"
check "a new diff backup shows at the next collections, all series still agree" \
	within 10 agrees_quietly || agrees

INFO=$REPO/backup/demo/backup.info
cp -p "$INFO" "$TMP/backup.info.good"
head -c 1000 "$TMP/backup.info.good" >"$INFO"
wait_collections pitr 2
check "a backup.info cut short: backup.info.copy is read, the series stay" agrees
check "... and the log says so" \
	grep -qF "target=pitr msg=\"'$INFO' refused: " "$TMP/agent.log"
check "... (read backup.info.copy instead)" grep -q 'target=pitr .*read backup.info.copy instead' "$TMP/agent.log"
cp -p "$INFO.copy" "$TMP/backup.info.copy.good"
head -c 2000 "$TMP/backup.info.copy.good" >"$INFO.copy"
check "both cut short: backup_up 0" wait_for 10 has_metric 'backup_up{target="pitr"} 0'
check "... BackupDown fires" wait_for 10 firing BackupDown pitr
check "... the log says why" grep -q "target=pitr msg=\"collection failed: '$INFO' refused: .*(and backup.info.copy: " "$TMP/agent.log"
cp -p "$TMP/backup.info.good" "$INFO"
cp -p "$TMP/backup.info.copy.good" "$INFO.copy"
check "mended: read again" wait_for 10 has_metric 'backup_up{target="pitr"} 1'

# A FIFO named backup.info: open() blocks until a writer comes, as a read
# on a hung network mount blocks until the server is back.
threads=$(agent_threads)
rm "$INFO" && mkfifo "$INFO"
check "a FIFO named backup.info (open blocks, as on a hung mount): backup_up 0 at the timeout" \
	wait_for 10 has_metric 'backup_up{target="pitr"} 0'
check "... the log says the read did not return" \
	grep -q "target=pitr msg=\"collection failed: reading '$REPO/backup/demo' did not return within the timeout" "$TMP/agent.log"
wait_collections pitr 3
d=$(value 'dbpulse_collect_duration_seconds{target="pitr"}')
check "... the next collections fail at once, not at the timeout (${d} s)" \
	python3 -c "import sys; sys.exit(not float('$d') < 0.5)"
check "... one thread stays blocked, not one per collection ($(agent_threads) threads, $threads before)" \
	test "$(agent_threads)" -le "$threads"
check "... the other section is read as before" has_metric 'backup_up{target="dumps"} 1'
mv "$INFO" "$TMP/blocking.fifo" && cp -p "$TMP/backup.info.good" "$INFO"
: >"$TMP/blocking.fifo" # a writer: the blocked open returns
check "the blocked read returned: read again" wait_for 10 has_metric 'backup_up{target="pitr"} 1'
check "... with as many threads as before ($(agent_threads))" test "$(agent_threads)" -le "$threads"
stop_agent

# ---- WAL archiving and Redis persistence -----------------------------------------
at "WAL archiving and Redis"
mkdir -p "$TMP/rdb"
redis_start "dir $TMP/rdb" "enable-protected-configs local" || { not_ok "Redis starts"; done_testing; }
export PGTEST_PASSWORD="$PG_PASSWORD" REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD"
host_config "$TMP/persist.ini"
sed -i 's/^interval = 1s$/enabled = false/' "$TMP/persist.ini"
{
	pg_target_section main
	printf '[redis "cache"]\naddress = %s\nusername = dbpulse\npassword_env = REDISTEST_PASSWORD\n' \
		"$REDIS_ADDRESS"
	printf 'interval = 1s\ntimeout = 1s\n'
	for r in PostgresArchiverFailing PostgresArchiverStale RedisRdbSaveFailing RedisAofWriteFailing \
		RedisRdbSaveTooOld; do
		default_rule "$r"
	done
} >>"$TMP/persist.ini"
check "the default archiving and Redis persistence rules are in agent.ini" \
	test "$(grep -c '^\[alert "' "$TMP/persist.ini")" = 5
start_agent "$TMP/persist.ini" || { not_ok "the agent starts"; done_testing; }
check "archiving works: pg_stat_archiver_failed_count 0" \
	wait_for 20 has_metric 'pg_stat_archiver_failed_count{target="main"} 0'
check "Redis is watched, its last save fine" wait_for 10 has_metric 'redis_rdb_last_bgsave_status{target="cache"} 1'
pg_sql "ALTER SYSTEM SET archive_command = 'false'; ALTER SYSTEM SET archive_timeout = '2s'"
pg_sql "SELECT pg_reload_conf()" >/dev/null
pg_sql "INSERT INTO t SELECT g, 'x' FROM generate_series(1, 1000) g; SELECT pg_switch_wal()" >/dev/null
check "archive_command = 'false': PostgresArchiverFailing fires" wait_for 30 firing PostgresArchiverFailing main ||
	diag "$(scrape | grep -E '^(pg_stat_archiver|ALERTS)')"
check "nothing archived for twice archive_timeout: PostgresArchiverStale fires" \
	wait_for 30 firing PostgresArchiverStale main || diag "$(scrape | grep -E '^(pg_stat_archiver|pg_settings_archive)')"
pg_sql "ALTER SYSTEM RESET archive_command; ALTER SYSTEM RESET archive_timeout" # back to postgresql.conf's
pg_sql "SELECT pg_reload_conf()" >/dev/null
check "archiving again: PostgresArchiverStale resolves" wait_for 30 quiet PostgresArchiverStale main
rmdir "$TMP/rdb"
redis_cli BGSAVE >/dev/null
check "Redis' directory gone: BGSAVE fails and RedisRdbSaveFailing fires" wait_for 20 firing RedisRdbSaveFailing cache ||
	diag "$(tail -5 "$REDIS_LOG")"
check "... the AOF is off: RedisAofWriteFailing stays quiet" quiet RedisAofWriteFailing cache
mkdir -p "$TMP/rdb2"
redis_cli CONFIG SET dir "$TMP/rdb2" >/dev/null
redis_cli BGSAVE >/dev/null
check "a directory again (CONFIG SET dir): BGSAVE works, RedisRdbSaveFailing resolves" wait_for 20 quiet RedisRdbSaveFailing cache
check "... a fresh save: RedisRdbSaveTooOld stays quiet" quiet RedisRdbSaveTooOld cache
stop_agent

# ---- an unreadable directory: the agent as nobody -------------------------------
at "an unreadable directory"
if pg_is_root && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
	chmod 711 "$TMP"
	mkdir -p "$TMP/nobody/state" "$TMP/locked"
	chown nobody "$TMP/nobody/state"
	cp "$DUMPS/db-3.dump" "$TMP/locked/"
	chmod 700 "$TMP/locked"
	cat >"$TMP/nobody/agent.ini" <<INI
[agent]
listen = 127.0.0.1:0
state_dir = $TMP/nobody/state
log_level = debug
[host]
enabled = false
[backup "locked"]
path = $TMP/locked/*.dump
interval = 1s
timeout = 1s
INI
	chmod 755 "$TMP/nobody"
	chmod 644 "$TMP/nobody/agent.ini"
	start_agent_cmd setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups --no-new-privs \
		"$DBPULSE" -c "$TMP/nobody/agent.ini"
	check "as nobody: the agent starts" test -n "$URL"
	check "as nobody, a directory of mode 0700 owned by root: backup_up 0" \
		wait_for 10 has_metric 'backup_up{target="locked"} 0'
	check "... the log says why" \
		grep -qF "target=locked msg=\"collection failed: cannot read directory '$TMP/locked': Permission denied\"" "$TMP/agent.log"
	chmod 755 "$TMP/locked"
	check "opened up: backup_up 1, the dump counted" wait_for 10 has_metric 'backup_files{target="locked"} 1'
	check "... its size" has_metric "backup_newest_size_bytes{target=\"locked\"} $(stat -c %s "$TMP/locked/db-3.dump")"
	stop_agent
else
	skip "an unreadable directory" "needs root, the user nobody and setpriv"
fi
at "done"
done_testing
