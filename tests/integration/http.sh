#!/bin/bash
# http.sh -- the HTTP endpoint of a host-only agent: the metric names of
# node_exporter and dbpulse, promtool's verdict, gzip, HEAD, 404, 405,
# the index page and the idle-connection limit.
. "$(dirname "$0")/lib.sh"
require curl gzip
[ -n "$PROMTOOL" ] || skip_all "promtool is not installed (Debian package prometheus)"

host_config "$TMP/agent.ini"
sed -i 's/^state_dir.*/&\nhttp_timeout = 1s/' "$TMP/agent.ini"
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }
ok "agent starts and logs its address ($URL)"
check "first collection is published" wait_for 10 has_metric 'dbpulse_up{target="host",collector="host"} 1'

curl -sS -D "$TMP/h" -o "$TMP/m" "$URL/metrics"
check "/metrics answers 200" grep -q '^HTTP/1.1 200' "$TMP/h"
check "/metrics has the text format's content type" \
	grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$TMP/h"

for name in \
	'node_cpu_seconds_total{cpu="0",mode="idle"}' 'node_cpu_seconds_total{cpu="0",mode="user"}' \
	node_memory_MemTotal_bytes node_memory_MemAvailable_bytes node_load1 node_load5 node_load15 \
	'node_filesystem_size_bytes{' 'node_filesystem_avail_bytes{' 'node_filesystem_free_bytes{' \
	'node_filesystem_files{' 'node_filesystem_files_free{' 'node_filesystem_readonly{' \
	'node_network_receive_bytes_total{device="lo"}' 'node_network_transmit_packets_total{device="lo"}' \
	'node_network_receive_errs_total{' 'node_network_transmit_drop_total{' \
	node_boot_time_seconds node_context_switches_total node_forks_total node_procs_running \
	node_procs_blocked node_filefd_allocated node_filefd_maximum 'node_uname_info{' \
	'dbpulse_build_info{version="' 'dbpulse_up{target="host",collector="host"}' \
	'dbpulse_collect_duration_seconds{target="host"}' 'dbpulse_collect_errors_total{target="host"}' \
	'dbpulse_collect_skipped_total{target="host"}' 'dbpulse_last_collect_timestamp_seconds{target="host"}' \
	dbpulse_scrapes_total dbpulse_config_last_reload_successful \
	dbpulse_config_last_reload_success_timestamp_seconds process_cpu_seconds_total \
	process_resident_memory_bytes process_open_fds process_max_fds process_start_time_seconds; do
	check "exposes $name" grep -qF -- "$name" "$TMP/m"
done
if [ -r /proc/diskstats ] && awk '$3 !~ /^(loop|ram|zram)/ {f=1} END {exit !f}' /proc/diskstats; then
	check "exposes node_disk_* for a disk" grep -q '^node_disk_reads_completed_total{device=' "$TMP/m"
	check "exposes node_disk_io_time_weighted_seconds_total" \
		grep -q '^node_disk_io_time_weighted_seconds_total{' "$TMP/m"
else
	skip "exposes node_disk_* for a disk" "no disk in /proc/diskstats on this machine"
fi
if [ -r /proc/pressure/cpu ]; then
	check "exposes node_pressure_cpu_waiting_seconds_total" \
		grep -q '^node_pressure_cpu_waiting_seconds_total ' "$TMP/m"
else
	skip "exposes node_pressure_cpu_waiting_seconds_total" "no /proc/pressure (a kernel without PSI)"
fi

# promtool: nothing to say but on node_exporter's own names (tests/compat/promtool.txt)
out=$(promtool_clean "$TMP/m")
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
	ok "promtool check metrics remarks only on the peers' names"
else
	not_ok "promtool check metrics remarks only on the peers' names"
	diag "exit $rc" "$out"
fi

# HEAD, 404, 405, index, healthz
curl -sS -I "$URL/metrics" >"$TMP/head"
check "HEAD /metrics answers 200 with the content type" \
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$TMP/head"
# HEAD over a raw socket (curl --head never reads a body): nothing may
# follow the headers' blank line, though the connection stays open a while
head_reply() {
	python3 - "${URL##*:}" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"HEAD /metrics HTTP/1.1\r\nHost: dbpulse\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, sep, body = data.partition(b"\r\n\r\n")
print("status=%s separator=%d body=%d length=%s" % (
    head.split(b"\r\n")[0].decode(), len(sep), len(body),
    [l.split(b":", 1)[1].strip().decode() for l in head.split(b"\r\n")
     if l.lower().startswith(b"content-length:")]))
PY
}
reply=$(head_reply)
check "HEAD /metrics sends headers and no body ($reply)" \
	grep -qE '^status=HTTP/1.1 200 OK separator=4 body=0 ' <<<"$reply"
check "unknown path is 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")" = 404
check "POST is 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$URL/metrics")" = 405
check "405 says which methods are allowed" \
	sh -c "curl -s -D - -o /dev/null -X DELETE '$URL/metrics' | grep -qi '^Allow: GET, HEAD'"
check "/healthz answers ok" test "$(curl -sS "$URL/healthz")" = ok
check "/ links to /metrics" sh -c "curl -sS '$URL/' | grep -q 'href=\"/metrics\"'"

# gzip
curl -sS -H 'Accept-Encoding: gzip' -D "$TMP/gzh" -o "$TMP/m.gz" "$URL/metrics"
check "gzip is used when the client accepts it" grep -qi '^Content-Encoding: gzip' "$TMP/gzh"
check "Vary: Accept-Encoding is set" grep -qi '^Vary: Accept-Encoding' "$TMP/gzh"
check "the gzip stream is intact" gzip -t "$TMP/m.gz"
gzip -dc "$TMP/m.gz" >"$TMP/m.unz"
check "the gzip body is the same exposition" \
	test "$(grep -v '^#' "$TMP/m.unz" | cut -d' ' -f1 | sort | md5sum)" = \
	"$(grep -v '^#' "$TMP/m" | cut -d' ' -f1 | sort | md5sum)"
check "promtool accepts the decompressed body" promtool_clean "$TMP/m.unz"
# plain_answer ACCEPT_ENCODING: a 200 without Content-Encoding (the headers
# of a scrape that answered: a failed one has none, and proves nothing)
plain_answer() {
	local h
	h=$(curl -sS -D - -o /dev/null ${1:+-H "Accept-Encoding: $1"} "$URL/metrics") &&
		grep -q '^HTTP/1.1 200' <<<"$h" && ! grep -qi '^Content-Encoding' <<<"$h"
}
check "gzip;q=0 is not gzip" plain_answer 'gzip;q=0'
check "'*, gzip;q=0' refuses gzip" plain_answer '*, gzip;q=0'
check "'*' allows gzip" \
	sh -c "curl -sS -D - -o /dev/null -H 'Accept-Encoding: identity;q=0.5, *' '$URL/metrics' | grep -qi '^Content-Encoding: gzip'"
check "no Accept-Encoding, no gzip" plain_answer ''

# keep-alive: a second scrape reuses the connection
curl -sS -v -o /dev/null -o /dev/null "$URL/metrics" "$URL/metrics" 2>"$TMP/keepalive"
check "a second scrape reuses the connection (keep-alive)" grep -q 'Re-using existing connection' "$TMP/keepalive"
check "responses do not ask to close the connection" sh -c "! grep -qi '^< Connection: close' '$TMP/keepalive'"

# counters move between scrapes
s1=$(metric_value dbpulse_scrapes_total)
s2=$(metric_value dbpulse_scrapes_total)
check "dbpulse_scrapes_total counts scrapes ($s1 -> $s2)" test "$s2" -gt "$s1"

# an idle connection is closed after http_timeout (1s here)
port=${URL##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port"
sleep 2.5
if timeout 2 cat <&3 >/dev/null; then ok "an idle connection is closed after http_timeout"; else not_ok "an idle connection is closed after http_timeout"; fi
exec 3<&-

kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
check "agent exits 0 on SIGTERM" test $? = 0
AGENT_PID=

# listen = :port serves IPv4 and, where the host has it, IPv6
host_config "$TMP/any.ini"
sed -i 's/^listen = 127.0.0.1:0$/listen = :0/' "$TMP/any.ini"
start_agent "$TMP/any.ini" || { not_ok "agent starts on every interface"; done_testing; }
port=${URL##*:}
check "':port' answers on 127.0.0.1" test "$(curl -sS "http://127.0.0.1:$port/healthz")" = ok
if curl -sS -g "http://[::1]:$port/healthz" >/dev/null 2>&1 || ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	check "':port' answers on [::1]" test "$(curl -sS -g "http://[::1]:$port/healthz")" = ok
else
	skip "':port' answers on [::1]" "no IPv6 on the loopback interface"
fi
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
AGENT_PID=

# the default names are node_exporter's (node_memory_HugePages_Total: no
# _bytes on a unit-less field); memory_names = snake_case gives dbpulse's
# earlier names, which promtool has nothing to say about
check "node_exporter names: node_memory_HugePages_Total" grep -q '^node_memory_HugePages_Total ' "$TMP/m"
check "node_exporter names: no node_memory_mem_total_bytes" sh -c "! grep -q '^node_memory_mem_total_bytes ' '$TMP/m'"
host_config "$TMP/snake.ini" "memory_names = snake_case"
start_agent "$TMP/snake.ini" || { not_ok "agent starts with snake_case names"; done_testing; }
wait_for 10 has_metric 'dbpulse_up{' >/dev/null
scrape >"$TMP/snake"
check "snake_case names: node_memory_mem_total_bytes" grep -q '^node_memory_mem_total_bytes ' "$TMP/snake"
check "snake_case names: node_memory_mem_available_bytes" grep -q '^node_memory_mem_available_bytes ' "$TMP/snake"
check "snake_case names: node_memory_huge_pages" grep -q '^node_memory_huge_pages ' "$TMP/snake"
check "snake_case names: no node_memory_MemTotal_bytes" sh -c "! grep -q '^node_memory_MemTotal_bytes ' '$TMP/snake'"
"$PROMTOOL" check metrics <"$TMP/snake" 2>&1 | grep '^node_memory_' >"$TMP/lint.memory"
check "snake_case names: promtool has nothing to say about node_memory_*" test ! -s "$TMP/lint.memory" ||
	diag "$(cat "$TMP/lint.memory")"
done_testing
