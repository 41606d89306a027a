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
AGENT_PID=
URL=

cleanup() {
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
start_agent() {
	: >"$TMP/agent.log"
	"$DBPULSE" -c "$1" 2>>"$TMP/agent.log" &
	AGENT_PID=$!
	local i
	for i in $(seq 1 100); do
		URL=$(sed -n 's/.*msg="listening on \(http:[^ "]*\)\/".*/\1/p' "$TMP/agent.log" | tail -n 1)
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

# stop_agent: SIGTERM, and a test that it exited with status 0 (under the
# sanitizers a leak or an error report makes the status non-zero)
stop_agent() {
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID"
	local rc=$?
	AGENT_PID=
	check "the agent exits cleanly (status $rc)" test "$rc" = 0 ||
		diag "the agent's last words:" "$(tail -n 40 "$TMP/agent.log")"
}

scrape() { curl -sS --max-time 5 "$URL/metrics"; }
has_metric() { local m; m=$(scrape) && grep -q "^$1" <<<"$m"; }
metric_value() { scrape | awk -v m="$1" 'index($0, m " ") == 1 { print $NF; exit }'; }
# collections_of TARGET: the collections of TARGET the agent has published
collections_of() { metric_value "dbpulse_collections_total{target=\"$1\"}"; }
# wait_collections TARGET N: waits (10 s at most) for N more of them
wait_collections() {
	local want=$(($(collections_of "$1") + $2)) i
	for i in $(seq 1 100); do
		[ "$(collections_of "$1")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
