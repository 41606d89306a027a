#!/bin/bash
# security.sh -- the secured endpoint: TLS with a minimum version, client
# certificates, basic auth with bcrypt hashes (401 + WWW-Authenticate,
# /healthz exempt, no user enumeration by status), certificates and users
# re-read on SIGHUP, secret files refused when others may read them, the
# security headers on every answer, 405/413, and no secret anywhere the
# agent writes (log at debug level, /metrics, the API, the page, the
# process title, --check-config).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis_lib.sh"
require curl openssl python3
RECEIVER="$(cd "$(dirname "$0")" && pwd)/receiver.py"

cd "$TMP" || exit 1
ssl() { openssl "$@" >/dev/null 2>&1; }
# the test CA, the server's certificate for 127.0.0.1, a client signed by
# the CA and one that is not
ssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=dbpulse-test-ca
server_cert() { # server_cert NAME: NAME.pem + NAME.key signed by the CA
	ssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj /CN=127.0.0.1 &&
		printf 'subjectAltName=IP:127.0.0.1\n' >"$1.ext" &&
		ssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \
			-days 2 -extfile "$1.ext" && chmod 600 "$1.key"
}
server_cert server
server_cert renewed
ssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=prometheus
ssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2
ssl req -x509 -newkey rsa:2048 -nodes -keyout stranger.key -out stranger.pem -days 2 -subj /CN=x
[ -s server.pem ] && [ -s renewed.pem ] && [ -s client.pem ] || { not_ok "openssl makes the test certificates"; done_testing; }

# users: prometheus with a password, a second user, hashes by the agent itself
PROM_PASSWORD="scrape-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
hash=$(printf '%s\n' "$PROM_PASSWORD" | "$DBPULSE" hash-password 4)
check "dbpulse hash-password prints a bcrypt hash" grep -qE '^\$2y\$04\$[./A-Za-z0-9]{53}$' <<<"$hash"
printf '# who may scrape\nprometheus:%s\ngrafana:%s\n' "$hash" \
	"$(printf 'other\n' | "$DBPULSE" hash-password 4)" >users
chmod 600 users

tls_config() { # tls_config FILE [extra [agent] lines]
	local file=$1
	shift
	host_config "$file" "$@"
	sed -i "s|^state_dir = .*|&\ntls_cert_file = $TMP/server.pem\ntls_key_file = $TMP/server.key|" "$file"
}
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
C="--cacert $TMP/ca.pem"

# ---- TLS ----------------------------------------------------------------------
tls_config tls.ini
start_agent tls.ini || { not_ok "agent starts with TLS"; done_testing; }
check "the log names an https address ($URL)" grep -q '^https://127.0.0.1:' <<<"$URL"
check "TLS: /metrics answers 200 over https" test "$(code $C "$URL/metrics")" = 200
check "TLS: the certificate is the configured one" sh -c \
	"openssl s_client -connect ${URL#https://} -CAfile ca.pem </dev/null 2>/dev/null | grep -q 'Verify return code: 0'"
check "TLS: plain HTTP on the port gets no answer" test "$(code "http://${URL#https://}/metrics")" = 000
# TLS 1.1 asked by a client that may speak it (OpenSSL 3 refuses it at its
# default security level, so curl's 000 proves nothing): the same client
# gets a 1.1 session from an openssl s_server that allows it, and none
# from the agent (GnuTLS under libmicrohttpd ends the handshake without an
# alert; no cipher is agreed)
s_client() { # s_client HOST:PORT ARGS...
	local at=$1
	shift
	openssl s_client -connect "$at" -cipher 'DEFAULT@SECLEVEL=0' "$@" </dev/null 2>&1
}
OLD_TLS_PORT=$(free_port)
openssl s_server -accept "$OLD_TLS_PORT" -cert server.pem -key server.key -tls1_1 \
	-cipher 'DEFAULT@SECLEVEL=0' -www >/dev/null 2>&1 &
bg_track $!
wait_for 5 sh -c "exec 3<>/dev/tcp/127.0.0.1/$OLD_TLS_PORT" 2>/dev/null
out=$(s_client "127.0.0.1:$OLD_TLS_PORT" -tls1_1)
check "TLS: the test's client speaks 1.1 where a server allows it" \
	grep -q 'New, TLSv1.0, Cipher is [A-Z]' <<<"$out" || diag "$(head -n 5 <<<"$out")"
out=$(s_client "${URL#https://}" -tls1_1)
check "TLS: 1.1 is refused by the agent (tls_min_version 1.2): no cipher agreed" \
	grep -q 'New, (NONE), Cipher is (NONE)' <<<"$out" || diag "$(head -n 5 <<<"$out")"
check "TLS: 1.2 is served" test "$(code $C --tlsv1.2 --tls-max 1.2 "$URL/healthz")" = 200
curl -s -D hsts -o /dev/null $C "$URL/metrics"
check "TLS: answers carry Strict-Transport-Security" grep -qi '^Strict-Transport-Security: max-age=' hsts

# a renewed certificate, same file names: SIGHUP serves it, the port never closes
cp renewed.pem server.pem && cp renewed.key server.key && chmod 600 server.key
fp() { openssl s_client -connect "${URL#https://}" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint; }
want=$(openssl x509 -in renewed.pem -noout -fingerprint)
kill -HUP "$AGENT_PID"
wait_for 5 sh -c "grep -q 'serving with the new settings' agent.log"
check "SIGHUP: the renewed certificate is served" wait_for 5 sh -c "test \"\$(openssl s_client -connect ${URL#https://} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint)\" = '$want'"
chmod 644 server.key
kill -HUP "$AGENT_PID"
check "SIGHUP with a key others may read: reload refused, named" wait_for 5 \
	grep -q "tls_key_file '$TMP/server.key' has group or world access" agent.log
check "... and the running certificate keeps serving" test "$(code $C "$URL/healthz")" = 200
check "... dbpulse_config_last_reload_successful 0" sh -c \
	"curl -s $C '$URL/metrics' | grep -q '^dbpulse_config_last_reload_successful 0'"
chmod 600 server.key
stop_agent

# ---- client certificates --------------------------------------------------------
tls_config mtls.ini
sed -i "s|^tls_key_file = .*|&\ntls_client_ca_file = $TMP/ca.pem|" mtls.ini
start_agent mtls.ini || { not_ok "agent starts with tls_client_ca_file"; done_testing; }
check "mTLS: no client certificate: 403" test "$(code $C "$URL/metrics")" = 403
check "mTLS: a certificate of the CA: 200" test "$(code $C --cert client.pem --key client.key "$URL/metrics")" = 200
check "mTLS: a certificate of no known CA: refused" sh -c \
	"c=\$(curl -s -o /dev/null -w '%{http_code}' $C --cert stranger.pem --key stranger.key '$URL/metrics'); [ \"\$c\" = 403 ] || [ \"\$c\" = 000 ]"
check "mTLS: refusals are counted" sh -c \
	"curl -s $C --cert client.pem --key client.key '$URL/metrics' | grep -qE '^dbpulse_http_client_certificate_refused_total [1-9]'"
stop_agent

# ---- basic auth -------------------------------------------------------------------
tls_config auth.ini
sed -i "s|^tls_key_file = .*|&\nbasic_auth_users_file = $TMP/users|" auth.ini
start_agent auth.ini || { not_ok "agent starts with basic_auth_users_file"; done_testing; }
check "auth: no credentials: 401" test "$(code $C "$URL/metrics")" = 401
curl -s -D h401 -o /dev/null $C "$URL/metrics"
check "auth: 401 carries WWW-Authenticate: Basic realm" grep -qi '^WWW-Authenticate: Basic realm="dbpulse"' h401
check "auth: the right password: 200" test "$(code $C -u "prometheus:$PROM_PASSWORD" "$URL/metrics")" = 200
check "auth: a second user: 200" test "$(code $C -u grafana:other "$URL/api/targets")" = 200
check "auth: a wrong password: 401" test "$(code $C -u "prometheus:wrong" "$URL/metrics")" = 401
check "auth: an unknown user: 401, the same answer" test "$(code $C -u "nobody:$PROM_PASSWORD" "$URL/metrics")" = 401
check "auth: a bearer token is no credential: 401" test "$(code $C -H 'Authorization: Bearer x' "$URL/metrics")" = 401
for path in / /api/alerts /api/targets /api/queries /queries /queries.js /nonexistent; do
	check "auth: $path needs it too" test "$(code $C "$URL$path")" = 401
done
check "auth: /healthz is exempt (basic_auth_exempt)" test "$(code $C "$URL/healthz")" = 200
check "auth: failures are counted" sh -c \
	"curl -s $C -u 'prometheus:$PROM_PASSWORD' '$URL/metrics' | grep -qE '^dbpulse_http_auth_failures_total [1-9]'"
"$DBPULSE" top --once --url "$URL" --cacert ca.pem >top.out 2>&1
check "dbpulse top without credentials: told 401" grep -q 'HTTP 401' top.out
DBPULSE_PASSWORD=$PROM_PASSWORD "$DBPULSE" top --once --url "$URL" --cacert ca.pem --user prometheus >top.out 2>&1
check "dbpulse top --cacert --user (DBPULSE_PASSWORD): gets in" grep -q 'has no postgres target' top.out ||
	diag "$(cat top.out)"
# the users file re-read on SIGHUP: grafana removed
printf 'prometheus:%s\n' "$hash" >users
kill -HUP "$AGENT_PID"
check "SIGHUP: a user removed from the file is refused" wait_for 5 sh -c \
	"test \"\$(curl -s -o /dev/null -w '%{http_code}' $C -u grafana:other '$URL/metrics')\" = 401"
check "SIGHUP: the others still get in" test "$(code $C -u "prometheus:$PROM_PASSWORD" "$URL/metrics")" = 200
stop_agent

# ---- refusals at start and in --check-config ------------------------------------------
chmod 644 users
out=$("$DBPULSE" -c auth.ini --check-config 2>&1)
check "--check-config: a users file others may read is refused, named" \
	grep -q "auth.ini:1: \[agent\] basic_auth_users_file '$TMP/users' has group or world access" <<<"$out"
"$DBPULSE" -c auth.ini >start.out 2>&1
rc=$?
check "start with that file: exit 1 with the same message" sh -c \
	"[ $rc = 1 ] && grep -q 'has group or world access' start.out"
chmod 600 users
tls_config wrongkey.ini
sed -i "s|^tls_key_file = .*|tls_key_file = $TMP/client.key|" wrongkey.ini
chmod 600 client.key
out=$("$DBPULSE" -c wrongkey.ini --check-config 2>&1)
check "--check-config: a key of another certificate is named" \
	grep -q "tls_cert_file '$TMP/server.pem' with tls_key_file '$TMP/client.key'" <<<"$out" ||
	diag "$out"
host_config half.ini "tls_cert_file = $TMP/server.pem"
sed -i '/^\[host\]/,$ {/^tls_cert_file/d}' half.ini
sed -i "s|^state_dir = .*|&\ntls_cert_file = $TMP/server.pem|" half.ini
out=$("$DBPULSE" -c half.ini --check-config 2>&1)
check "--check-config: a certificate without a key is named" grep -q 'tls_cert_file: needs tls_key_file' <<<"$out"

# ---- headers, methods, bodies (plain HTTP) ------------------------------------------------
host_config plain.ini
start_agent plain.ini || { not_ok "agent starts"; done_testing; }
wait_for 10 has_metric 'dbpulse_up{target="host",collector="host"} 1'
for path in /metrics / /healthz /api/targets /api/alerts /queries /nope; do
	curl -s -D hdr -o /dev/null "$URL$path"
	check "headers on $path: nosniff, DENY, no-referrer, a CSP" sh -c \
		"grep -qi '^X-Content-Type-Options: nosniff' hdr && grep -qi '^X-Frame-Options: DENY' hdr &&
		 grep -qi '^Referrer-Policy: no-referrer' hdr && grep -qi '^Content-Security-Policy: ' hdr"
done
curl -s -D hdr -o /dev/null "$URL/api/targets"
check "the API is Cache-Control: no-store" grep -qi '^Cache-Control: no-store' hdr
check "POST: 405" test "$(code -X POST -d x "$URL/metrics")" = 405
check "a GET with a body: 413" test "$(code -X GET -H 'Content-Type: text/plain' --data-binary @users "$URL/metrics")" = 413
long=$(head -c 70000 /dev/zero | tr '\0' a)
check "a request larger than http_memory_limit is refused, not served" sh -c \
	"c=\$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Long: $long' '$URL/metrics'); [ \"\$c\" = 431 ] || [ \"\$c\" = 413 ] || [ \"\$c\" = 400 ] || [ \"\$c\" = 000 ]"
check "the agent still serves after that" test "$(code "$URL/healthz")" = 200
stop_agent

# ---- no secret anywhere -----------------------------------------------------------------
redis_start || { not_ok "redis starts"; done_testing; }
TOKEN="tok$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
HMAC="whsec_$(head -c 24 /dev/urandom | base64)"
printf '%s\n' "$HMAC" >hmac && chmod 600 hmac
python3 "$RECEIVER" --port-file hook.port --log hook.log --respond "503x2,200" &
RECV_PID=$!
trap 'kill $RECV_PID 2>/dev/null; redis_cleanup; cleanup' EXIT
wait_for 5 test -s hook.port
export REDISTEST_PASSWORD=$REDIS_DBPULSE_PASSWORD REDISTEST_WRONG="wrong-$TOKEN-pw"
tls_config secrets.ini
sed -i "s|^tls_key_file = .*|&\nbasic_auth_users_file = $TMP/users|; s|^log_level = .*|log_level = debug|" secrets.ini
cat >>secrets.ini <<EOT
[redis "cache"]
address = $REDIS_ADDRESS
username = dbpulse
password_env = REDISTEST_PASSWORD
interval = 1s
timeout = 1s
[redis "wrong"]
address = $REDIS_ADDRESS
username = dbpulse
password_env = REDISTEST_WRONG
interval = 1s
timeout = 1s
[alert "HostUp"]
expr = dbpulse_up{target="host"} == 1
severity = info
summary = {{ \$labels.target }} collects
[webhook "hook"]
url = http://127.0.0.1:$(cat hook.port)/hook/$TOKEN?token=$TOKEN
format = json
secret_file = $TMP/hmac
max_backoff = 1s
EOT
"$DBPULSE" -c secrets.ini --check-config >check.out 2>&1
start_agent secrets.ini || { not_ok "agent starts with secrets"; done_testing; }
A="-u prometheus:$PROM_PASSWORD $C"
check "the webhook gets its notification after two 503s" wait_for 20 sh -c "grep -q HostUp hook.log && [ \$(wc -l <hook.log) -ge 3 ]"
check "the wrong Redis password is reported" wait_for 10 sh -c \
	"curl -s $A '$URL/metrics' | grep -q '^redis_up{target=\"wrong\"} 0'"
# Every place a secret could leak to, each fetched and proven to hold what
# it should before it is searched for what it must not hold
fetched=0
fetch() { # fetch NAME PATH MUST_HOLD: 200 and the expected text, into NAME.out
	if curl -sf $A -o "$1.out" "$URL$2" && grep -qF -- "$3" "$1.out"; then
		fetched=$((fetched + 1))
	else
		diag "$2 did not answer 200 with '$3'"
	fi
}
fetch metrics /metrics 'redis_up{target="wrong"} 0'
fetch root / '/metrics'
fetch alerts /api/alerts HostUp
fetch targets /api/targets '"wrong"'
fetch page /queries '<html'
fetch script /queries.js 'function'
fetch slowlog "/api/slowlog?target=cache" '['
tr '\0' ' ' <"/proc/$AGENT_PID/cmdline" >cmdline.out
cat "/proc/$AGENT_PID/comm" >comm.out
check "every page searched was fetched and holds what it should ($fetched of 7)" test "$fetched" = 7
check "the log, --check-config's output and the process title are there to search" sh -c \
	"grep -q 'listening on' agent.log && grep -q 'configuration is valid' check.out &&
	 grep -q secrets.ini cmdline.out && test -s comm.out"
cat agent.log check.out metrics.out root.out alerts.out targets.out page.out script.out slowlog.out \
	cmdline.out comm.out >everything.out
for what in PROM_PASSWORD TOKEN HMAC REDISTEST_PASSWORD REDISTEST_WRONG; do
	check "no $what in the log, metrics, API, page, title or --check-config" sh -c \
		"! grep -qF -- '${!what}' everything.out" || grep -nF -- "${!what}" everything.out | head -3 | diag
done
check "the private key is nowhere either" sh -c \
	"! grep -qF -- '$(sed -n 2p server.key)' everything.out"
stop_agent
done_testing
