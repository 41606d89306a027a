# lib.sh -- helpers for dbpulse's integration tests (sourced, bash).
#
# Tests print TAP (ok / not ok lines and a plan at the end) for automake's
# tap-driver.  They start the real agent on a free loopback port and talk
# to it with curl; each test gets a temporary directory that is removed,
# with every process it started, when the test exits.

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${DBPULSE:=$top_builddir/dbpulse}"
: "${PROMTOOL:=$(command -v promtool || true)}"


TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dbpulse-test.XXXXXX")
# Debian's python3 (a test dependency), not a version manager's shim that
# comes first in PATH: a shim costs up to seconds per start on a loaded
# machine, and the tests start python3 often (free_port, receivers, fakes).
# A link first in PATH, not a function: `cmd &` then `$!` must stay the
# python process itself, which cleanup kills.
if [ -x /usr/bin/python3 ]; then
	mkdir -p "$TMP/bin" && ln -sf /usr/bin/python3 "$TMP/bin/python3" && PATH="$TMP/bin:$PATH"
fi
AGENT_PID=
URL=
BG_PIDS= # background helpers (fakes, receivers, load) that cleanup ends

cleanup() {
	local p
	for p in $BG_PIDS; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; then
		kill -KILL "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); echo "not ok $TAP_N - $*"; TAP_FAILED=1; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; return 1; fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
# skip DESCRIPTION REASON: one check that this environment cannot make, as
# a TAP skip (scripts/test fails on skips tests/expected_skips.txt does not
# list)
skip() { ok "$1 # SKIP $2"; }
done_testing() { echo "1..$TAP_N"; exit "$TAP_FAILED"; }

require() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
	done
}

# host_config FILE [extra [host] lines...]: a host-only config on a free port
host_config() {
	local file=$1
	shift
	{
		echo "[agent]"
		echo "listen = 127.0.0.1:0"
		echo "log_level = debug"
		echo "state_dir = $TMP/state"
		echo "[host]"
		echo "interval = 1s"
		echo "timeout = 1s"
		for line in "$@"; do echo "$line"; done
	} >"$file"
}

# start_agent CONFIG: runs dbpulse in the background, sets AGENT_PID and URL
start_agent() { start_agent_cmd "$DBPULSE" -c "$1"; }

# start_agent_cmd COMMAND...: start_agent with a command line of its own
# (the agent as another user through setpriv, which execs it: AGENT_PID is
# the agent's)
start_agent_cmd() {
	: >"$TMP/agent.log"
	"$@" 2>>"$TMP/agent.log" &
	AGENT_PID=$!
	local i
	for i in $(seq 1 100); do
		# "listening on http://HOST:PORT/", or with the port the kernel
		# picked: "listening on http://HOST:0/ (port N...)"
		URL=$(sed -n -e 's/.*msg="listening on \(https\{0,1\}:\/\/[^ "]*\):[0-9]*\/ (port \([0-9]*\).*/\1:\2/p' \
			-e 't' -e 's/.*msg="listening on \(https\{0,1\}:[^ "]*\)\/".*/\1/p' "$TMP/agent.log" | tail -n 1)
		[ -n "$URL" ] && return 0
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "the agent did not start:" "$(cat "$TMP/agent.log")"
	return 1
}

# wait_for SECONDS COMMAND...: polls every 100 ms
wait_for() {
	local tries=$(($1 * 10))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# default_rules_config OUT: agent.ini with the commented default rule set
# and receivers at its end uncommented, as a user would, their key files
# made in TMP
default_rules_config() {
	awk '/^; =+$/ && !s {s=1} s && /^; (\[|[a-z_]+ = )/ {sub(/^; /,"")} {print}' \
		"$top_srcdir/agent.ini" >"$1"
	printf 'routing-key\n' >"$TMP/pd.key"
	printf 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n' >"$TMP/audit.whsec"
	chmod 600 "$TMP/pd.key" "$TMP/audit.whsec"
	sed -i "s#/etc/dbpulse/pagerduty.key#$TMP/pd.key#; s#/etc/dbpulse/audit.whsec#$TMP/audit.whsec#" "$1"
}

# within SECONDS COMMAND...: polls every 0.25 s until COMMAND succeeds or
# SECONDS of wall-clock time have passed (wait_for counts its 100 ms
# steps, which stretch on a loaded machine when each poll is slow)
within() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.25
	done
}
TEST_BEGIN=$(date +%s.%N)
# at MESSAGE...: a diagnostic line with the seconds since the test began
at() { diag "$(awk -v a="$TEST_BEGIN" -v b="$(date +%s.%N)" 'BEGIN { printf "%5.1f s", b - a }'): $*"; }

# stop_agent: SIGTERM, and a test that it exited with status 0 (under the
# sanitizers a leak or an error report makes the status non-zero)
stop_agent() {
	kill -TERM "$AGENT_PID"
	wait_exit "$AGENT_PID" 120 "the agent"
	wait "$AGENT_PID"
	local rc=$?
	AGENT_PID=
	check "the agent exits cleanly (status $rc)" test "$rc" = 0 ||
		diag "the agent's last words:" "$(tail -n 40 "$TMP/agent.log")"
}

# alive PID: the process runs (a child that exited and was not waited for
# is a zombie, which kill -0 still finds)
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}

# wait_exit PID SECONDS WHAT: waits for a process told to stop; one still
# running after SECONDS is shown (its threads' stacks, when gdb is there)
# and killed, so that a hang fails the check that follows in seconds
# instead of stalling the script until TEST_TIMEOUT
wait_exit() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		alive "$1" || return 0
		sleep 0.1
	done
	diag "$3 (pid $1) still runs $2 s after it was told to stop; its threads:" \
		"$(command -v gdb >/dev/null &&
			timeout 60 gdb -batch -p "$1" -ex 'thread apply all bt' 2>&1 | grep -E '^(Thread|#)' | head -n 300)"
	kill -KILL "$1" 2>/dev/null
	return 1
}

scrape() { curl -sS --max-time 5 "$URL/metrics"; }
has_metric() { local m; m=$(scrape) && grep -q "^$1" <<<"$m"; }
metric_value() { scrape | awk -v m="$1" 'index($0, m " ") == 1 { print $NF; exit }'; }
# collections_of TARGET: the collections of TARGET the agent has published
collections_of() { metric_value "dbpulse_collections_total{target=\"$1\"}"; }
# wait_collections TARGET N: waits (10 s at most) for N more of them (a
# target not collected yet, as for a moment after a reload, counts 0)
wait_collections() {
	local have want i
	have=$(collections_of "$1")
	want=$((${have:-0} + $2))
	for i in $(seq 1 100); do
		have=$(collections_of "$1")
		[ "${have:-0}" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# browser_copy NAME...: tests/integration/NAME (a page check) into
# $DBPULSE_BROWSER_DIR, with browser_lib.mjs, which they import; renamed
# into place, so that a test starting its check at the same moment never
# reads a file half written
browser_copy() {
	local f
	for f in browser_lib.mjs "$@"; do
		cp "$top_srcdir/tests/integration/$f" "$DBPULSE_BROWSER_DIR/$f.$$" &&
			mv -f "$DBPULSE_BROWSER_DIR/$f.$$" "$DBPULSE_BROWSER_DIR/$f" || return 1
	done
}

# ---- helpers of the fault tests (faults_*.sh) ----------------------------------

FAKES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/fakes.py"
RECEIVER_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/receiver.py"

# bg_track PID: cleanup kills it (SIGKILL) when the test exits
bg_track() { BG_PIDS="$BG_PIDS $1"; }
# bg_stop PID: SIGTERM, then SIGKILL after 2 s; waits for it
bg_stop() {
	local i
	kill "$1" 2>/dev/null
	for i in $(seq 1 20); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_port_file FILE: waits (5 s) until a server wrote its port there; prints it
wait_port_file() {
	local i
	for i in $(seq 1 50); do
		[ -s "$1" ] && { cat "$1"; return 0; }
		sleep 0.1
	done
	return 1
}

# start_fake NAME KIND [MODE] [fakes.py options...]: a fake server of fakes.py;
# sets FAKE_PID and FAKE_PORT; its events go to $TMP/NAME.fake.log
start_fake() {
	local name=$1
	shift
	rm -f "$TMP/$name.port"
	python3 "$FAKES" "$@" --port-file "$TMP/$name.port" --log "$TMP/$name.fake.log" </dev/null &
	FAKE_PID=$!
	bg_track "$FAKE_PID"
	FAKE_PORT=$(wait_port_file "$TMP/$name.port") || { diag "fake $name did not start"; return 1; }
}

# receiver_start NAME RESPOND [PORT] [receiver.py options...]: receiver.py
# in the background; sets RECV_PID and RECV_URL (.../hook); requests go to
# $TMP/NAME.log
receiver_start() {
	local name=$1 respond=$2 port=${3:-0}
	shift 3 2>/dev/null || shift $#
	rm -f "$TMP/$name.port"
	: >>"$TMP/$name.log"
	python3 "$RECEIVER_PY" --port "$port" --port-file "$TMP/$name.port" --log "$TMP/$name.log" \
		--respond "$respond" "$@" </dev/null 2>>"$TMP/$name.err" &
	RECV_PID=$!
	bg_track "$RECV_PID"
	port=$(wait_port_file "$TMP/$name.port") || { diag "receiver $name did not start"; return 1; }
	RECV_URL="http://127.0.0.1:$port/hook"
}

# the agent's resources, from /proc (default: $AGENT_PID)
agent_fds() { ls "/proc/${1:-$AGENT_PID}/fd" 2>/dev/null | wc -l; }
agent_threads() { ls "/proc/${1:-$AGENT_PID}/task" 2>/dev/null | wc -l; }
agent_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/${1:-$AGENT_PID}/status" 2>/dev/null; }
agent_alive() { [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null; }

# promtool_clean FILE: `promtool check metrics` of the exposition in FILE,
# less the remarks tests/compat/promtool.txt lists (the peers' own names);
# prints what is left and succeeds when nothing is
promtool_clean() {
	"$PROMTOOL" check metrics <"$1" >"$1.lint" 2>&1
	python3 "$top_srcdir/tests/compat/families.py" lint "$1.lint" "$top_srcdir/tests/compat/promtool.txt"
}

# sanitizer_build: true when $DBPULSE is built with ASan (RSS figures mean
# little there: the allocator keeps a quarantine of freed memory)
sanitizer_build() { grep -q __asan_init "$DBPULSE" 2>/dev/null; }

# scrape_ms [PATH]: the time_total of one request, in whole milliseconds
# (prints "fail" when it did not answer 200)
scrape_ms() {
	curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$URL${1:-/metrics}" |
		awk '$1 == 200 { printf "%d\n", $2 * 1000; next } { print "fail" }'
}

# scraper_start FILE [SERIES...]: scrapes $URL/metrics 10 times a second
# (one curl, --rate 10/s, a new connection each time) until scraper_stop;
# appends one line per scrape to FILE: "START CODE MS V1 V2 ..." with START
# the epoch time the request began, CODE its HTTP status (000: no answer),
# MS curl's time_total in milliseconds and Vi the value of SERIES i ("-"
# when absent), then "c=MS" (time_connect), "f=MS" (time_starttransfer)
# and "s=MS": how long, since the previous line, some task of the machine
# waited for a CPU (/proc/pressure/cpu "some"; "-" without PSI) -- the
# scrapes are sequential, so that window holds the whole scrape.
# Sets SCRAPER_PID.
SCRAPER_PY='
import os, sys, time
fifo, bodies, want = sys.argv[1], sys.argv[2], sys.argv[3:]
open(fifo + ".ready", "w").close()
def cpu_stall_us():
    try:
        with open("/proc/pressure/cpu") as f:
            return int(f.readline().rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None
stall = cpu_stall_us()
for line in open(fifo):
    if not line.startswith("SCRAPE "):
        continue
    _, code, total, conn, first, url = line.split()
    end = time.time()
    path = os.path.join(bodies, url.rsplit("=", 1)[1])
    vals = {}
    try:
        with open(path) as f:
            for m in f:
                if m[0] != "#":
                    name, _, value = m.rstrip("\n").rpartition(" ")
                    if name in want:
                        vals[name] = value
        os.unlink(path)
    except OSError:
        pass
    out = ["%.3f" % (end - float(total)), code, "%d" % int(float(total) * 1000)]
    out += [vals.get(w, "-") for w in want]
    out += ["c=%d" % int(float(conn) * 1000), "f=%d" % int(float(first) * 1000)]
    now = cpu_stall_us()
    out.append("s=-" if now is None or stall is None else "s=%d" % ((now - stall) // 1000))
    stall = now
    print(" ".join(out), flush=True)
'
scraper_start() {
	local file=$1 fifo dir
	shift
	: >"$file"
	fifo=$(mktemp -u "$TMP/scrape.XXXXXX")
	dir=$(mktemp -d "$TMP/scrape-bodies.XXXXXX")
	mkfifo "$fifo" || return 1
	python3 -u -c "$SCRAPER_PY" "$fifo" "$dir" "$@" </dev/null >>"$file" 2>>"$TMP/scraper.err" &
	SCRAPER_PID=$!
	bg_track "$SCRAPER_PID"
	wait_for 10 test -e "$fifo.ready" # it stamps the lines: it must be there from the first
	# each body goes to a file (a write that never waits for the reader, so
	# time_total is the agent's), the -w line to the reader (line-buffered)
	stdbuf -oL curl -s --rate 10/s -H 'Connection: close' --max-time 2 -o "$dir/#1" \
		-w 'SCRAPE %{http_code} %{time_total} %{time_connect} %{time_starttransfer} %{url}\n' \
		"$URL/metrics?scrape=[1-100000]" >"$fifo" 2>/dev/null &
	SCRAPER_CURL_PID=$!
	bg_track "$SCRAPER_CURL_PID"
}
# scraper_stop: ends the scraper (its curl, then its reader)
scraper_stop() {
	[ -n "${SCRAPER_PID:-}" ] || return 0
	bg_stop "$SCRAPER_CURL_PID"
	bg_stop "$SCRAPER_PID"
	SCRAPER_PID=
	SCRAPER_CURL_PID=
}

# scrape_latency_check FILE BOUND_MS WHAT: one TAP line: every scrape in
# FILE (scraper_start's lines) answered 200 in under BOUND_MS.  A noisy
# machine (load average above the number of cores at the end, or in
# $SCRAPE_LOAD0 taken at the start) gets a documented slack: the 99th
# percentile under BOUND_MS and the maximum under 1 s.  So does a single
# scrape during which the machine had tasks waiting for a CPU at least
# half the time (its s= at least half its MS: the suite runs two tests at
# once on two cores): it is named, and must still be under 1 s -- a
# scrape that waits for a collector waits its timeout, seconds.  Sets
# SCRAPE_MAX and SCRAPE_P99 (ms) and SCRAPE_N.
scrape_latency_check() {
	local file=$1 bound=$2 what=$3 fails
	SCRAPE_N=$(wc -l <"$file")
	fails=$(awk '$2 != 200' "$file" | wc -l)
	check "$what: $SCRAPE_N scrapes, all answered 200 ($fails did not)" test "$fails" = 0 -a "$SCRAPE_N" -gt 0 ||
		diag "$(awk '$2 != 200' "$file" | head -n 5)"
	scrape_bound_check "$file" "$bound" "$what: "
	[ "$SCRAPE_MAX" -ge "$bound" ] && diag "the slowest scrapes:" "$(sort -k3,3n "$file" | tail -n 5)"
	return 0
}
# scrape_bound_check FILE BOUND_MS PREFIX: the latency line of
# scrape_latency_check alone (its text begins with PREFIX); sets
# SCRAPE_MAX and SCRAPE_P99.
scrape_bound_check() {
	local file=$1 bound=$2 what=$3 load cores
	SCRAPE_MAX=$(awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }' "$file")
	SCRAPE_P99=$(awk '{ print $3 }' "$file" | sort -n |
		awk '{ a[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; print a[i] + 0 }')
	load=$(cut -d' ' -f1 /proc/loadavg)
	cores=$(nproc)
	if awk -v l="$load" -v a="${SCRAPE_LOAD0:-0}" -v c="$cores" 'BEGIN { exit !(l > c || a > c) }'; then
		check "${what}scrapes under $bound ms; noisy machine (load ${SCRAPE_LOAD0:-?} -> $load on $cores cores): p99 $SCRAPE_P99 ms < $bound ms, max $SCRAPE_MAX ms < 1000 ms" \
			test "$SCRAPE_P99" -lt "$bound" -a "$SCRAPE_MAX" -lt 1000
	else
		# the slowest scrape the machine does not explain
		local own contended
		own=$(awk 'BEGIN { m = 0 } { s = $NF; sub(/^s=/, "", s) }
			!(s != "-" && 2 * s >= $3) && $3 > m { m = $3 } END { print m }' "$file")
		contended=$(awk -v b="$bound" '{ s = $NF; sub(/^s=/, "", s) }
			$3 >= b && s != "-" && 2 * s >= $3 { printf "%s%d ms (CPU wait %d ms)", n++ ? ", " : "", $3, s }' "$file")
		if [ -z "$contended" ]; then
			check "${what}every scrape under $bound ms (max $SCRAPE_MAX ms, p99 $SCRAPE_P99 ms)" test "$SCRAPE_MAX" -lt "$bound"
		else
			check "${what}every scrape under $bound ms but those while the machine made tasks wait for a CPU, under 1 s: $contended (the others: max $own ms; p99 $SCRAPE_P99 ms)" \
				test "$own" -lt "$bound" -a "$SCRAPE_MAX" -lt 1000
		fi
	fi
	return 0
}
