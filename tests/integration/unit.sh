#!/bin/bash
# unit.sh -- the systemd unit make builds (dbpulse.service): hardened as
# doc/install.md says, accepted by systemd-analyze, and its ExecStart line run
# as an unprivileged user (nobody) with nothing but read access to /proc
# and its own state directory: the host is monitored, /metrics served, a
# clean exit on SIGTERM.
. "$(dirname "$0")/lib.sh"
require curl
UNIT=$top_builddir/dbpulse.service
[ -f "$UNIT" ] || { not_ok "make built dbpulse.service"; done_testing; }
ok "make built dbpulse.service"

for line in 'User=dbpulse' 'StateDirectory=dbpulse' 'ProtectSystem=strict' 'ProtectHome=read-only' \
	'NoNewPrivileges=yes' 'PrivateTmp=yes' 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	'MemoryMax=' 'Restart=on-failure' 'ExecReload=/bin/kill -HUP $MAINPID' 'CapabilityBoundingSet=' \
	'UMask=0077'; do
	check "the unit has $line" grep -qF -- "$line" "$UNIT"
done
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
check "ExecStart runs the installed binary with the config in sysconfdir" \
	grep -qE '^/.*/dbpulse -c /.*/dbpulse/agent.ini$' <<<"$exec_start"

if command -v systemd-analyze >/dev/null 2>&1; then
	# the same unit with this build's binary, for verify to find it
	sed "s|^ExecStart=[^ ]*|ExecStart=$DBPULSE|" "$UNIT" >"$TMP/dbpulse.service"
	out=$(systemd-analyze verify --man=no "$TMP/dbpulse.service" 2>&1)
	check "systemd-analyze verify accepts it" test -z "$out" || diag "$out"
else
	skip "systemd-analyze verify accepts it" "systemd-analyze is not installed (Debian package systemd)"
fi

# ExecStart as nobody: the config and a state directory it owns, nothing else
[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 ||
	{ skip "ExecStart as nobody" "needs root, the user nobody and setpriv"; done_testing; }
chmod 711 "$TMP"
mkdir -p "$TMP/etc" "$TMP/state"
chown nobody "$TMP/state"
chmod 700 "$TMP/state"
host_config "$TMP/etc/agent.ini"
chmod 644 "$TMP/etc/agent.ini"
start_agent_cmd setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups --no-new-privs \
	"$DBPULSE" -c "$TMP/etc/agent.ini"
check "as nobody: the agent starts" test -n "$URL"
check "as nobody: the process runs with uid nobody" \
	test "$(awk '/^Uid:/ {print $2}' "/proc/$AGENT_PID/status")" = "$(id -u nobody)"
check "as nobody: the host is monitored" wait_for 10 has_metric 'dbpulse_up{target="host",collector="host"} 1'
m=$(scrape)
for name in node_cpu_seconds_total node_memory_MemTotal_bytes node_load1 node_filesystem_size_bytes \
	node_network_receive_bytes_total process_open_fds; do
	check "as nobody: $name is there" grep -q "^$name" <<<"$m"
done
check "as nobody: no permission error in the log" sh -c "! grep -qi 'permission denied' '$TMP/agent.log'" ||
	diag "$(grep -i 'permission denied' "$TMP/agent.log")"
stop_agent
done_testing
