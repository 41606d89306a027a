#!/bin/bash
# faults_agent.sh -- the agent killed with SIGKILL at random points while
# it delivers notifications, FAULTS_AGENT_KILLS (20) times.  Each cycle adds
# three Redis keys flip:CYCLE-{a,b,c}; a rule over their sizes
# (redis_key_size{key=~"flip:.*"} >= 0) makes each one an alert that fires
# at the next collection; the receiver (receiver.py --delay 0.3) is slow
# enough that kills land in the middle of requests.  After every kill the
# outbox is copied aside; after the last, the agent runs until the outbox
# is empty.  Then:
#   - every notification that was seen in the outbox (fingerprint, seq) was
#     delivered at least once (the receiver answered 200 to a request
#     carrying it), or a newer one of its alert was (outbox.h: a newer
#     state replaces an unsent older one; a kill after the note was stored
#     but before alerts.state was saved makes the restarted agent notify
#     the alert again, and that note takes the unsent one's place);
#   - every key's alert was delivered firing;
#   - a notification delivered more than once carried the same webhook-id
#     (the json format's idempotency key) every time;
#   - nothing was set aside as corrupt (outbox files, alerts.state).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis_lib.sh"
require curl python3
redis_require

KILLS=${FAULTS_AGENT_KILLS:-20}
redis_start || { not_ok "Redis starts"; done_testing; }
export REDISTEST_PASSWORD="$REDIS_DBPULSE_PASSWORD"
receiver_start recv 200 0 --delay 0.3 || { not_ok "receiver starts"; done_testing; }
STATE=$TMP/state
cat >"$TMP/agent.ini" <<INI
[agent]
listen = 127.0.0.1:0
log_level = info
state_dir = $STATE
[host]
enabled = false
[redis "rd"]
address = $REDIS_ADDRESS
username = dbpulse
password_env = REDISTEST_PASSWORD
interval = 1s
timeout = 500ms
check_keys = flip:*
check_keys_limit = 1000
[alert "Flip"]
expr = redis_key_size{key=~"flip:.*"} >= 0
severity = info
summary = {{ \$labels.key }}
[webhook "hook"]
url = $RECV_URL
format = json
timeout = 2s
max_backoff = 1s
INI

mkdir -p "$TMP/seen"
kill_points=
for i in $(seq 1 "$KILLS"); do
	for k in a b c; do echo "SET flip:$i-$k x"; done | redis_cli >/dev/null
	start_agent "$TMP/agent.ini" || { not_ok "agent starts (cycle $i)"; break; }
	# a random point in the first 1.5 s: collection, rule, outbox, requests
	ms=$((RANDOM % 1500))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
	kill_points="$kill_points $ms"
	for f in "$STATE"/outbox/hook/*.json; do
		[ -e "$f" ] && cp "$f" "$TMP/seen/$i-$(basename "$f")"
	done
done
diag "killed after (ms):$kill_points"
check "$KILLS kills: the agent restarted every time" test "$i" = "$KILLS"

# the last start: everything must get out
start_agent "$TMP/agent.ini" || { not_ok "agent starts after the kills"; done_testing; }
outbox_empty() { ! ls "$STATE/outbox/hook/" 2>/dev/null | grep -q '\.json$'; }
check "after the last start the outbox empties" wait_for 30 outbox_empty
sleep 1
check "the queue length says so" test "$(metric_value 'dbpulse_notification_queue_length{receiver="hook"}')" = 0
stop_agent

python3 - "$TMP/seen" "$TMP/recv.log" "$KILLS" >"$TMP/verdict" <<'PY'
import collections, glob, json, os, sys
seen_dir, log, kills = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen = set()
for f in glob.glob(os.path.join(seen_dir, "*.json")):
    try:
        n = json.load(open(f))
    except ValueError:
        print("unreadable %s" % f)
        continue
    seen.add((n["fingerprint"], n["seq"]))
delivered = collections.defaultdict(set)   # (fp, seq) -> webhook-ids
copies = collections.Counter()
keys = set()
reqs = 0
without_id = 0
for l in open(log):
    r = json.loads(l)
    reqs += 1
    if r["status"] != 200 or not isinstance(r["body"], dict):
        continue
    wid = r["headers"].get("webhook-id")
    if not wid:
        without_id += 1
    for a in r["body"].get("alerts", []):
        k = (a["fingerprint"], a["seq"])
        delivered[k].add(wid)
        copies[k] += 1
        if a["status"] == "firing":
            keys.add(a["labels"].get("key"))
newest = {}
for fp, seq in delivered:
    newest[fp] = max(seq, newest.get(fp, seq))
replaced = sorted(k for k in seen if k not in delivered and newest.get(k[0], -1) > k[1])
lost = sorted(k for k in seen if k not in delivered and k not in replaced)
want = set("flip:%d-%s" % (i, c) for i in range(1, kills + 1) for c in "abc")
missing = sorted(want - keys)
dups = {k: v for k, v in copies.items() if v > 1}
split = {k: sorted(delivered[k]) for k in dups if len(delivered[k]) > 1}
print("requests %d, notifications seen in the outbox %d, delivered %d, delivered more than once %d, "
      "of which under different webhook-ids %d" % (reqs, len(seen), len(delivered), len(dups), len(split)))
print("deliveries without a webhook-id %d" % without_id)
print("replaced by a newer note of their alert, delivered %d: %s" % (len(replaced), replaced[:10]))
print("lost %d: %s" % (len(lost), lost[:10]))
print("keys without a firing notification %d: %s" % (len(missing), missing[:10]))
for k, v in list(split.items())[:5]:
    print("split %s seq %s: %s" % (k[0], k[1], " ".join(v)))
PY
cat "$TMP/verdict" | sed 's/^/# /'
lost=$(sed -n 's/^lost \([0-9]*\):.*/\1/p' "$TMP/verdict")
missing=$(sed -n 's/^keys without a firing notification \([0-9]*\):.*/\1/p' "$TMP/verdict")
split=$(sed -n 's/.*of which under different webhook-ids \([0-9]*\)$/\1/p' "$TMP/verdict")
check "every notification seen in the outbox was delivered at least once ($lost lost)" test "$lost" = 0
check "every key's alert was delivered firing ($missing missing)" test "$missing" = 0
without_id=$(sed -n 's/^deliveries without a webhook-id \([0-9]*\)$/\1/p' "$TMP/verdict")
check "every delivery carries a webhook-id ($without_id without)" test "$without_id" = 0
check "duplicates carry the same webhook-id ($split notifications delivered under several ids)" test "$split" = 0
check "no outbox file was set aside as corrupt" sh -c "! ls -A '$STATE/corrupt' 2>/dev/null | grep -q ."
check "alerts.state was never found damaged" sh -c "! ls '$STATE' | grep -q 'alerts.state.corrupt'"
check "nothing was dead-lettered" sh -c "! ls -A '$STATE/deadletter/hook' 2>/dev/null | grep -q ."
done_testing
