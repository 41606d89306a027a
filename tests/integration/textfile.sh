#!/bin/bash
# textfile.sh -- [textfile]: the *.prom files of a directory served as
# node_exporter's textfile collector serves them.  --check-config refuses a
# directory that is not there; a file a cron-style writer replaces
# atomically is read whole every time (never half of it); a bad file is
# skipped whole and reported (node_textfile_scrape_error 1, the log) while
# the others stay; a family dbpulse serves itself (node_load1, dbpulse_up)
# is refused and never served twice; recovery clears the error.
. "$(dirname "$0")/lib.sh"
require curl python3

DIR="$TMP/textfile"
mkdir -p "$DIR"
cat >"$DIR/backup.prom" <<-'PROM'
	# HELP backup_last_success_timestamp_seconds When the last backup succeeded.
	# TYPE backup_last_success_timestamp_seconds gauge
	backup_last_success_timestamp_seconds{job="db"} 1.7e+09
PROM
# absent PATTERN TEXT: no line of TEXT matches PATTERN (grep -E)
absent() { ! grep -qE -- "$1" <<<"$2"; }
tf_config() {
	host_config "$1"
	printf '[textfile]\ndirectory = %s\ninterval = 1s\ntimeout = 1s\n' "$2" >>"$1"
}

# ---- --check-config ---------------------------------------------------------
tf_config "$TMP/missing.ini" "$TMP/nowhere"
out=$("$DBPULSE" --check-config -c "$TMP/missing.ini" 2>&1)
check "--check-config refuses a directory that is not there" test $? = 1
check "... and names it" \
	grep -qF "[textfile] directory: cannot read '$TMP/nowhere': No such file or directory" <<<"$out" ||
	diag "$out"
tf_config "$TMP/agent.ini" "$DIR"
out=$("$DBPULSE" --check-config -c "$TMP/agent.ini" 2>&1)
check "--check-config accepts a readable directory" test $? = 0
check "... and lists what it reads" \
	grep -qF "[textfile] every 1s, timeout 1s: $DIR/*.prom" <<<"$out" || diag "$out"

# ---- served as written ------------------------------------------------------
start_agent "$TMP/agent.ini" || { not_ok "the agent starts"; done_testing; }
check "the file's family is served" \
	wait_for 10 has_metric 'backup_last_success_timestamp_seconds{job="db"} 1700000000$'
m=$(scrape)
check "without a target label" grep -qF 'backup_last_success_timestamp_seconds{job="db"} ' <<<"$m"
check "its HELP is the file's" \
	grep -qF '# HELP backup_last_success_timestamp_seconds When the last backup succeeded.' <<<"$m"
check "node_textfile_scrape_error 0" grep -q '^node_textfile_scrape_error 0$' <<<"$m"
mtime=$(stat -c %Y "$DIR/backup.prom")
check "node_textfile_mtime_seconds is the file's mtime" \
	grep -qF "node_textfile_mtime_seconds{file=\"$DIR/backup.prom\"} $mtime" <<<"$m"
check "the collector's own series" \
	grep -q '^node_scrape_collector_success{collector="textfile"} 1$' <<<"$m"

# ---- a writer replacing its file atomically, as cron jobs should -------------
(
	for i in $(seq 1 200); do
		{
			echo "# HELP cron_runs_total Runs of the job."
			echo "# TYPE cron_runs_total counter"
			for k in $(seq 1 50); do echo "cron_runs_total{shard=\"$k\"} $i"; done
		} >"$DIR/.cron.prom.tmp"
		mv "$DIR/.cron.prom.tmp" "$DIR/cron.prom"
		sleep 0.02
	done
) &
WRITER=$!
bg_track "$WRITER"
torn=0 seen=0
for n in $(seq 1 40); do
	m=$(scrape)
	c=$(grep -c '^cron_runs_total{' <<<"$m")
	if [ "$c" != 0 ]; then
		seen=$((seen + 1))
		# whole: the 50 shards, all of one run
		vals=$(grep '^cron_runs_total{' <<<"$m" | awk '{print $2}' | sort -u | wc -l)
		[ "$c" = 50 ] && [ "$vals" = 1 ] || torn=$((torn + 1))
		grep -q '^node_textfile_scrape_error 0$' <<<"$m" || torn=$((torn + 1))
	fi
	sleep 0.1
done
wait "$WRITER"
check "an atomically replaced file is read whole every time ($seen scrapes saw it)" \
	test "$torn" = 0 -a "$seen" -gt 0

# ---- a bad file: skipped whole, reported, the others stay --------------------
printf 'half_written{a="1"} 1\nhalf_written{a="2"' >"$DIR/bad.prom"
check "a bad file sets node_textfile_scrape_error 1" wait_for 10 has_metric 'node_textfile_scrape_error 1$'
m=$(scrape)
check "... none of it is served" absent '^half_written' "$m"
check "... the good files still are" grep -q '^backup_last_success_timestamp_seconds{' <<<"$m"
check "... and it has no mtime" absent "file=\"$DIR/bad.prom\"" "$m"
check "... the log says why" grep -qF "cannot parse '$DIR/bad.prom': line 2: unexpected end of input stream" \
	"$TMP/agent.log"
rm "$DIR/bad.prom"
check "fixed: node_textfile_scrape_error 0 again" wait_for 10 has_metric 'node_textfile_scrape_error 0$'

# ---- families dbpulse serves itself: refused, never served twice -------------
cat >"$DIR/clash.prom" <<-'PROM'
	# HELP node_load1 Mine.
	# TYPE node_load1 counter
	node_load1{from="file"} 99
	dbpulse_up{target="fake"} 1
	clash_ok 1
PROM
check "a clash sets node_textfile_scrape_error 1" wait_for 10 has_metric 'node_textfile_scrape_error 1$'
wait_collections textfile 2
m=$(scrape)
check "node_load1 comes out once, the host's" test "$(grep -c '^# TYPE node_load1 ' <<<"$m")" = 1
check "... as a gauge" grep -q '^# TYPE node_load1 gauge$' <<<"$m"
check "... without the file's sample" absent 'from="file"' "$m"
check "dbpulse_up of the file is refused" absent 'target="fake"' "$m"
check "the rest of the file is served" grep -q '^clash_ok 1$' <<<"$m"
check "the log says why" grep -qF "'node_load1' left out: dbpulse serves that family itself" \
	"$TMP/agent.log"
types=$(grep '^# TYPE ' <<<"$m" | awk '{print $3}' | sort | uniq -d)
check "no family appears twice in the exposition" test -z "$types" || diag "$types"
if [ -n "$PROMTOOL" ]; then
	scrape >"$TMP/m.prom"
	out=$(promtool_clean "$TMP/m.prom")
	check "promtool remarks only on the peers' names" test -z "$out" || diag "$out"
fi
rm "$DIR/clash.prom"
check "fixed again: node_textfile_scrape_error 0" wait_for 10 has_metric 'node_textfile_scrape_error 0$'

# ---- the directory goes away: reported, the agent carries on -----------------
mv "$DIR" "$DIR.away"
check "a missing directory is reported" wait_for 10 has_metric 'node_textfile_scrape_error 1$'
check "... and its files' metrics are gone" absent '^backup_last' "$(scrape)"
mv "$DIR.away" "$DIR"
check "back: read again" wait_for 10 has_metric 'backup_last_success_timestamp_seconds{job="db"} '
stop_agent
done_testing
