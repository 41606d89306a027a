#!/bin/bash
# package.sh -- the Debian package (scripts/package) installed on this
# machine: apt-get installs the .deb (its Depends resolved), the files, the
# conffile, the man pages, the user dbpulse and /var/lib/dbpulse are
# checked, and the libraries the agent loads at run time load; the unit's
# ExecStart line runs as dbpulse, as systemd would run it (no systemd
# needed), and is scraped; then apt-get purge removes it all and the test
# checks nothing is left but the user.  The package is never left
# installed (the EXIT trap purges it).  TAP; root only.
#
#   tests/package.sh build-deb/dbpulse_0.1.0-1_amd64.deb
. "$(dirname "$0")/integration/lib.sh"

DEB=${1:-}
[ -n "$DEB" ] && [ -f "$DEB" ] || { echo "Bail out! usage: $0 DBPULSE.deb"; exit 1; }
DEB=$(realpath "$DEB")
# run by scripts/test as root: anything else is a failure, not a skip
[ "$(id -u)" = 0 ] || { echo "Bail out! installing a package needs root"; exit 1; }
require apt-get dpkg-query setpriv curl man python3

UNIT=/lib/systemd/system/dbpulse.service
CONF=/etc/dbpulse/agent.ini
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive

status() { dpkg-query -W -f='${db:Status-Abbrev}' dbpulse 2>/dev/null; }
purge() { "${APT[@]}" purge dbpulse >>"$TMP/apt.log" 2>&1; }
pkg_cleanup() { # the agent first, then the package, then lib.sh's cleanup
	if agent_alive; then kill -KILL "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null; fi
	AGENT_PID=
	case "$(status)" in ?[icHUFWt]*) purge || dpkg --purge dbpulse >/dev/null 2>&1 ;; esac
	cleanup
}

# a dbpulse installed before this test is not the test's to remove
case "$(status)" in
?[icHUFWt]*)
	echo "Bail out! dbpulse is installed already ($(status)); apt-get purge dbpulse first"
	exit 1
	;;
esac
trap pkg_cleanup EXIT

# ---- install ------------------------------------------------------------------

install_deb() { "${APT[@]}" install "$DEB" >"$TMP/apt.log" 2>&1; }
check "apt-get install $(basename "$DEB")" install_deb ||
	{ diag "$(tail -n 20 "$TMP/apt.log")"; done_testing; }
check "dpkg says installed" test "$(status)" = "ii "
check "/usr/bin/dbpulse runs ($(/usr/bin/dbpulse --version 2>&1 | head -n 1))" \
	sh -c '/usr/bin/dbpulse --version | grep -q "^dbpulse [0-9]"'

check "$CONF is a conffile" \
	sh -c "dpkg-query -W -f='\${Conffiles}\n' dbpulse | grep -q '^ $CONF [0-9a-f]\{32\}$'"
check "every line of $CONF is a comment or blank" sh -c "! grep -qv '^[;#]\|^\$' $CONF" ||
	diag "$(grep -nv '^[;#]\|^$' "$CONF" | head -n 5)"
check "$CONF is root:dbpulse 0640" test "$(stat -c %U:%G:%a "$CONF")" = root:dbpulse:640
check "/etc/dbpulse is root:dbpulse 0750" test "$(stat -c %U:%G:%a /etc/dbpulse)" = root:dbpulse:750
check "the example config is in the doc dir" test -f /usr/share/doc/dbpulse/examples/agent.ini

check "the unit is $UNIT" test -f "$UNIT"
check "the unit runs as dbpulse" grep -qx 'User=dbpulse' "$UNIT"
check "the unit is enabled (multi-user.target.wants)" \
	test -L /etc/systemd/system/multi-user.target.wants/dbpulse.service
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify --man=no "$UNIT" 2>&1)
	check "systemd-analyze verify accepts the installed unit" test -z "$out" || diag "$out"
fi

# the man pages the package has (make install's dist_man_MANS), each
# present and rendered by man without a warning
mapfile -t MANS < <(dpkg-query -L dbpulse | grep '^/usr/share/man/man[1-9]/.')
check "the package has man pages (${MANS[*]##*/})" test "${#MANS[@]}" -gt 0
for page in "${MANS[@]}"; do
	check "$page is there" test -f "$page" || continue
	out=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	check "man -l ${page##*/} renders without a warning" test -z "$out" || diag "$out"
done

system_user() { # uid below 1000, home /var/lib/dbpulse, nologin
	getent passwd dbpulse |
		awk -F: '$3 < 1000 && $6 == "/var/lib/dbpulse" && $7 ~ /nologin$/ { f = 1 } END { exit !f }'
}
check "the user dbpulse exists (system user, home /var/lib/dbpulse, no login shell)" system_user ||
	diag "$(getent passwd dbpulse)"
check "its primary group is dbpulse" test "$(id -gn dbpulse)" = dbpulse
check "/var/lib/dbpulse is dbpulse:dbpulse 0700" \
	test "$(stat -c %U:%G:%a /var/lib/dbpulse)" = dbpulse:dbpulse:700

check_config() {
	setpriv --reuid=dbpulse --regid=dbpulse --clear-groups --no-new-privs \
		/usr/bin/dbpulse -c "$CONF" --check-config >"$TMP/check.out" 2>&1
}
check "as dbpulse: --check-config accepts $CONF" check_config || diag "$(cat "$TMP/check.out")"

# libpq, libcurl and libcrypto are loaded at run time (Depends: libpq5,
# libcurl4, libssl3): a PostgreSQL target and a webhook on a closed port
# fail to connect, not to load
chmod 711 "$TMP"
closed=$(free_port)
printf '[agent]\nlisten = 127.0.0.1:0\n[host]\nenabled = false\n[postgres "closed"]\n%s\n%s\n[webhook "closed"]\n%s\n' \
	"dsn = host=127.0.0.1 port=$closed dbname=postgres user=dbpulse" "timeout = 2s" \
	"url = http://127.0.0.1:$closed/hook" >"$TMP/libs.ini"
chmod 644 "$TMP/libs.ini"
LC_ALL=C setpriv --reuid=dbpulse --regid=dbpulse --clear-groups --no-new-privs \
	/usr/bin/dbpulse -c "$TMP/libs.ini" --once >/dev/null 2>"$TMP/once.log"
check "libpq loads: a PostgreSQL target on a closed port is refused" grep -q 'Connection refused' "$TMP/once.log" ||
	diag "$(cat "$TMP/once.log")"
LC_ALL=C setpriv --reuid=dbpulse --regid=dbpulse --clear-groups --no-new-privs \
	/usr/bin/dbpulse -c "$TMP/libs.ini" --test-webhook closed >"$TMP/webhook.log" 2>&1
check "libcurl and libcrypto load: a webhook on a closed port cannot connect" \
	grep -q "Couldn't connect" "$TMP/webhook.log" || diag "$(cat "$TMP/webhook.log")"

# ---- the unit's ExecStart, as the unit's user -----------------------------------

exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
check "ExecStart is /usr/bin/dbpulse -c $CONF" test "$exec_start" = "/usr/bin/dbpulse -c $CONF"
read -ra argv <<<"$exec_start"
# as installed (its defaults: 127.0.0.1:9930) when 9930 is free; else the
# same file with one [agent] listen line more, on a free port
if python3 -c 'import socket; socket.socket().bind(("127.0.0.1", 9930))' 2>/dev/null; then
	how="the installed $CONF, port 9930"
else
	port=$(free_port)
	cp "$CONF" "$TMP/agent.ini"
	printf '[agent]\nlisten = 127.0.0.1:%s\n' "$port" >>"$TMP/agent.ini"
	chgrp dbpulse "$TMP/agent.ini"
	for i in "${!argv[@]}"; do [ "${argv[$i]}" = "$CONF" ] && argv[i]=$TMP/agent.ini; done
	how="$CONF plus listen = 127.0.0.1:$port (9930 is taken)"
fi
# (the unit's UMask=0077 through sh, which execs setpriv, which execs the agent)
start_agent_cmd sh -c 'umask 0077 && exec "$@"' sh \
	setpriv --reuid=dbpulse --regid=dbpulse --clear-groups --no-new-privs "${argv[@]}"
check "ExecStart as dbpulse starts the agent ($how)" test -n "$URL"
check "it runs with uid dbpulse" \
	test "$(awk '/^Uid:/ { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null)" = "$(id -u dbpulse)"
check "the host is monitored" wait_for 10 has_metric 'dbpulse_up{target="host",collector="host"} 1'
m=$(scrape)
for name in dbpulse_build_info node_cpu_seconds_total node_memory_MemTotal_bytes node_load1 \
	node_filesystem_size_bytes node_network_receive_bytes_total process_open_fds; do
	check "/metrics has $name" grep -q "^$name" <<<"$m"
done
check "no permission error in the log" sh -c "! grep -qi 'permission denied' '$TMP/agent.log'" ||
	diag "$(grep -i 'permission denied' "$TMP/agent.log")"
stop_agent

# ---- purge ------------------------------------------------------------------------

check "apt-get purge dbpulse" purge || diag "$(tail -n 20 "$TMP/apt.log")"
check "dpkg says not installed" sh -c "! dpkg-query -W -f='\${db:Status-Abbrev}' dbpulse 2>/dev/null |
	grep -q '^.[^n]'"
for path in /usr/bin/dbpulse "$UNIT" /etc/systemd/system/multi-user.target.wants/dbpulse.service \
	/etc/dbpulse /var/lib/dbpulse /usr/share/doc/dbpulse "${MANS[@]}"; do
	check "$path is gone" test ! -e "$path" -a ! -L "$path"
done
check "no dpkg-statoverride is left" sh -c '! dpkg-statoverride --list | grep -q " /etc/dbpulse"'
check "the user dbpulse stays (Debian practice)" sh -c "getent passwd dbpulse >/dev/null"
done_testing
