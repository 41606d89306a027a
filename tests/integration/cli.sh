#!/bin/bash
# cli.sh -- the command line: --version, --help, --check-config on good and
# bad files (exit codes and messages), --once, bad options.
. "$(dirname "$0")/lib.sh"

out=$("$DBPULSE" --version)
version=$(sed -n 's/^AC_INIT(\[dbpulse\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
# the git revision when built from a git checkout (or a tarball made from
# one: its .git-revision), as scripts/revision finds it
revision=$(sh "$top_srcdir/scripts/revision" --plain "$top_srcdir")
if [ -n "$revision" ]; then
	check "--version prints the version and the git revision ($revision)" \
		test "$out" = "dbpulse $version (git $revision)"
else
	check "--version prints the version (built from no git checkout)" test "$out" = "dbpulse $version"
fi
if git -C "$top_srcdir" rev-parse --show-toplevel >/dev/null 2>&1 &&
	[ "$(cd "$(git -C "$top_srcdir" rev-parse --show-toplevel)" && pwd -P)" = "$(cd "$top_srcdir" && pwd -P)" ]; then
	check "a build from git names its commit" \
		grep -q "$(git -C "$top_srcdir" rev-parse --short=7 HEAD)" <<<"$out"
fi
check "--help exits 0 and lists the options" sh -c "'$DBPULSE' --help | grep -q -- --check-config"
"$DBPULSE" --bogus >/dev/null 2>&1
check "an unknown option exits 2" test $? = 2

out=$("$DBPULSE" --check-config -c "$top_srcdir/agent.ini" 2>&1)
rc=$?
check "--check-config accepts agent.ini" test $rc = 0
check "--check-config says the file is valid" grep -q "configuration is valid" <<<"$out"
check "--check-config summarises [agent]" grep -q '^  \[agent\] listen http://127.0.0.1:9930' <<<"$out"
check "--check-config summarises [host]" grep -q '^  \[host\] every 15s' <<<"$out"
check "--check-config counts the targets" grep -q '^1 target enabled$' <<<"$out"

# The commented default rule set and receivers at the end of agent.ini,
# uncommented as a user would: every rule and webhook must be accepted.
default_rules_config "$TMP/all.ini"
out=$("$DBPULSE" --check-config -c "$TMP/all.ini" 2>&1)
rc=$?
check "agent.ini's default rules and webhooks, uncommented, are valid" test $rc = 0 || diag "$out"
rules=$(grep -c '^  \[alert "' <<<"$out")
check "the default rule set has at least 30 rules ($rules)" test "$rules" -ge 30
check "the default webhooks cover every format" \
	test "$(grep -cE '^  \[webhook "[a-z]+"\]: (alertmanager|alertmanager-api|slack|pagerduty|json) to' <<<"$out")" = 5

cat >"$TMP/bad.ini" <<'INI'
[agent]
listen = 127.0.0.1:9930
log_level = chatty

[host]
intervall = 15s
timeout = soon

[hots]
enabled = true
INI
out=$("$DBPULSE" --check-config -c "$TMP/bad.ini" 2>&1)
rc=$?
check "--check-config rejects a bad file with exit 1" test $rc = 1
check "names the bad enum with file and line" \
	grep -qF "$TMP/bad.ini:3: [agent] log_level: expected one of debug, info, warn, error, got 'chatty'" <<<"$out"
check "suggests the nearest key" \
	grep -qF "$TMP/bad.ini:6: [host] intervall: unknown key; did you mean 'interval'?" <<<"$out"
check "names the bad duration" \
	grep -qF "$TMP/bad.ini:7: [host] timeout: expected a duration like '15s' (units ms, s, m, h, d), got 'soon'" <<<"$out"
check "suggests the nearest section" \
	grep -qF "$TMP/bad.ini:9: [hots]: unknown section; did you mean [host]?" <<<"$out"
check "counts the errors" grep -qF "$TMP/bad.ini: 4 errors; the configuration is not valid" <<<"$out"

out=$("$DBPULSE" --check-config -c "$TMP/missing.ini" 2>&1)
check "a missing file exits 1" test $? = 1
check "a missing file is named" grep -qF "$TMP/missing.ini: cannot read: No such file or directory" <<<"$out"

# Every file the configuration names is checked as the running agent would
# read it, with its message, and without printing what is in it; an
# Alertmanager's base URL is shown as it will be posted to.
printf 'whsec_c2VjcmV0LW5vdC10by1wcmludA==\n' >"$TMP/hook.secret"
chmod 644 "$TMP/hook.secret"
: >"$TMP/not-a-dir"
cat >"$TMP/files.ini" <<INI
[agent]
listen = 127.0.0.1:0
state_dir = $TMP/not-a-dir/state
[host]
enabled = false
[redis "cache"]
address = 127.0.0.1:6379
password_file = $TMP/no-such-file
[webhook "signed"]
url = http://127.0.0.1:1/hook
format = json
secret_file = $TMP/hook.secret
[webhook "am"]
url = http://127.0.0.1:9093
format = alertmanager-api
[alert "A"]
expr = redis_up == 0
INI
out=$("$DBPULSE" --check-config -c "$TMP/files.ini" 2>&1)
check "--check-config checks the files the configuration names: exit 1" test $? = 1
check "a state_dir that cannot be created" \
	grep -qF "$TMP/files.ini:1: [agent] state_dir: cannot create $TMP/not-a-dir/state: Not a directory" <<<"$out"
check "a password file that does not exist" \
	grep -qF "[redis \"cache\"] cannot read password_file '$TMP/no-such-file': No such file or directory" <<<"$out"
check "a secret file others may read" \
	grep -qF "[webhook \"signed\"] secret_file '$TMP/hook.secret' has group or world access" <<<"$out"
lacks() { ! grep -qF -- "$1" <<<"$2"; }
check "--check-config prints no secret" lacks c2VjcmV0 "$out"
chmod 600 "$TMP/hook.secret"
printf 'pw\n' >"$TMP/no-such-file"
chmod 600 "$TMP/no-such-file"
sed -i "s|^state_dir = .*|state_dir = $TMP/state|" "$TMP/files.ini"
out=$("$DBPULSE" --check-config -c "$TMP/files.ini" 2>&1)
check "the same files made right: valid" test $? = 0 || diag "$out"
check "--check-config shows the Alertmanager URL it will post to" \
	grep -qF '[webhook "am"]: alertmanager-api to 1 URL: http://127.0.0.1:9093/api/v2/alerts' <<<"$out"

host_config "$TMP/once.ini" "memory_names = snake_case"
"$DBPULSE" --once -c "$TMP/once.ini" >"$TMP/once.out" 2>"$TMP/once.err"
check "--once exits 0 when every target works" test $? = 0
check "--once prints host metrics" grep -q '^node_cpu_seconds_total{cpu="0",mode="user"} ' "$TMP/once.out"
check "--once prints dbpulse_up" grep -q '^dbpulse_up{target="host",collector="host"} 1$' "$TMP/once.out"
if [ -n "$PROMTOOL" ]; then
	out=$(promtool_clean "$TMP/once.out")
	check "promtool has nothing to say about --once output (but on the peers' names)" test -z "$out"
else
	skip "promtool has nothing to say about --once output" "promtool is not installed (Debian package prometheus)"
fi

host_config "$TMP/json.ini"
sed -i 's/^log_level = debug$/&\nlog_format = json/' "$TMP/json.ini"
"$DBPULSE" --once -c "$TMP/json.ini" >/dev/null 2>"$TMP/json.err"
check "log_format = json writes one JSON object per line with time, level, module and msg" \
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no log lines"
for line in lines:
    o = json.loads(line)
    assert all(k in o for k in ("time", "level", "module", "msg")), line
' "$TMP/json.err"

mkdir -p "$TMP/emptyproc"
host_config "$TMP/broken.ini" "procfs = $TMP/emptyproc"
"$DBPULSE" --once -c "$TMP/broken.ini" >"$TMP/broken.out" 2>"$TMP/broken.err"
check "--once exits non-zero when a target fails" test $? != 0
check "--once still prints dbpulse_up 0 for it" \
	grep -q '^dbpulse_up{target="host",collector="host"} 0$' "$TMP/broken.out"
check "the failure is logged with its target" grep -q 'level=warn module=host target=host' "$TMP/broken.err"
done_testing
