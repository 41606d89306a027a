#!/bin/bash
# timescaledb.sh -- TimescaleDB in a [postgres] target (issue 20), against
# a real TimescaleDB 2.23 (PGlite, tsdb_lib.sh) holding
# timescaledb_fixture.sql: a hypertable of 1-day chunks over 10 days, some
# compressed, a compression policy (compress_after 3 days) whose job last
# succeeded 2 days ago, chunks overdue for it, a continuous aggregate with
# its refresh policy, run once, a user-defined action that failed (its runs
# recorded in _timescaledb_internal.bgw_job_stat and
# bgw_job_stat_history, as the scheduler PGlite lacks would), a paused
# job that never ran, and a hypertable without compression with a
# continuous aggregate never refreshed (the series that need a policy or a
# refresh are absent for them).
#
# Every timescaledb_* family of the contract (doc: issue 20) holds exactly
# the series TimescaleDB's own views say, with their values: chunks and
# compressed chunks as timescaledb_information.chunks counts them, sizes as
# hypertable_detailed_size, before/after as hypertable_compression_stats,
# runs, failures and last success as job_stats, the watermark as
# cagg_watermark, the overdue chunks as computed here.  The four default
# rules, with the contract's expressions (without their `for`):
# TimescaleJobFailing fires for the failed action and resolves once it is
# fixed and a success recorded; TimescaleCompressionBehind (and
# TimescaleJobNotRunning for the compression job) fire until the policy
# compresses the chunks (CALL run_job) and its success is recorded;
# TimescaleContinuousAggregateLagging stays quiet.  /api/timescaledb lists
# the jobs and the job error with its message, and the page's TimescaleDB
# panel shows them (Chromium, tsdb_page_check.mjs).  A real PostgreSQL 15
# without the extension, watched by a second section, gives no
# timescaledb_* series and no log line about TimescaleDB.  A reload with
# `timescaledb = false` removes the series.  About 20 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/tsdb_lib.sh"
require curl python3
tsdb_require
pg_require
trap 'tsdb_stop; pg_cleanup; cleanup' EXIT

FIXTURE="$(dirname "$0")/timescaledb_fixture.sql"

# ---- the contract's default rules, its expressions verbatim ---------------------
RULE_NAMES="TimescaleJobFailing TimescaleJobNotRunning TimescaleContinuousAggregateLagging TimescaleCompressionBehind"
rule_expr() {
	case $1 in
	TimescaleJobFailing) echo 'timescaledb_job_last_run_success == 0' ;;
	TimescaleJobNotRunning) echo 'timescaledb_job_last_success_age_seconds / timescaledb_job_schedule_interval_seconds > 2 and timescaledb_job_scheduled == 1' ;;
	TimescaleContinuousAggregateLagging) echo 'timescaledb_continuous_aggregate_lag_seconds / timescaledb_continuous_aggregate_expected_lag_seconds > 2' ;;
	TimescaleCompressionBehind) echo 'timescaledb_hypertable_compression_overdue_chunks > 0' ;;
	esac
}

# ---- helpers ---------------------------------------------------------------------
# fam_check FAMILY: the series of FAMILY for target "ts" in $TMP/m.prom are
# exactly those $TMP/expected lists for it ("family<TAB>k=v,k=v<TAB>value
# <TAB>tolerance"; labels with an empty value count as absent), each with
# its value within the tolerance
cat >"$TMP/fam_check.py" <<'PY'
import re, sys
prom, expected, family = sys.argv[1:4]
lab_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
def unesc(v):
    return v.replace('\\"', '"').replace('\\n', '\n').replace('\\\\', '\\')
got = {}
for line in open(prom):
    if line.startswith('#') or not line.strip():
        continue
    head, _, value = line.rstrip('\n').rpartition(' ')
    name, _, labels = head.partition('{')
    if name != family:
        continue
    ls = {k: unesc(v) for k, v in lab_re.findall(labels)}
    if ls.get('target') != 'ts':
        continue
    key = tuple(sorted((k, v) for k, v in ls.items() if v != ''))
    if key in got:
        print('series twice: %s%s' % (name, dict(key)))
        sys.exit(1)
    got[key] = float(value)
want = {}
for line in open(expected):
    f, labels, value, tol = line.rstrip('\n').split('\t')
    if f != family:
        continue
    ls = dict(kv.split('=', 1) for kv in labels.split(',') if kv)
    ls.update(target='ts', datname='postgres')
    want[tuple(sorted((k, v) for k, v in ls.items() if v != ''))] = (float(value), float(tol))
bad = []
for k, (v, tol) in sorted(want.items()):
    if k not in got:
        bad.append('missing %s (want %r)' % (dict(k), v))
    elif abs(got[k] - v) > tol:
        bad.append('%s: got %r, want %r (+-%g)' % (dict(k), got[k], v, tol))
for k in sorted(set(got) - set(want)):
    bad.append('unexpected %s = %r' % (dict(k), got[k]))
if not want:
    bad.append('the SQL expects no series: the fixture is wrong')
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
fam_check() {
	local out
	out=$(python3 "$TMP/fam_check.py" "$TMP/m.prom" "$TMP/expected" "$1" 2>&1)
	local rc=$?
	[ $rc = 0 ] || diag "$1:" "$out"
	return $rc
}
# alerts NAME: the "label=value,..." lines of the alerts /api/alerts lists
# as firing for rule NAME (the labels job_id, hypertable,
# continuous_aggregate and target), sorted
alerts() {
	curl -sf --max-time 5 "$URL/api/alerts" | python3 -c '
import json, sys
name = sys.argv[1]
out = []
for a in json.load(sys.stdin)["data"]["alerts"]:
    l = a["labels"]
    if l.get("alertname") == name and a["state"] == "firing":
        out.append(",".join("%s=%s" % (k, l[k]) for k in ("target", "job_id", "hypertable", "continuous_aggregate") if l.get(k)))
print("\n".join(sorted(out)))' "$1"
}
# firing_exactly NAME LINES: alerts NAME prints LINES
firing_exactly() { [ "$(alerts "$1")" = "$2" ]; }
value() { metric_value "$1"; }
ts_series() { scrape | grep -c '^timescaledb_[a-z_]*{[^}]*target="ts"'; }
no_ts_series() { [ "$(ts_series)" = 0 ]; }
epoch() { tsdb_sql "SELECT extract(epoch FROM ($1))"; }
# tsql PSQL_OPTION...: tsdb_sql with psql's options (-v, -F, -f -)
tsql() {
	PGPASSWORD=x PGOPTIONS= psql -X -At -q -v ON_ERROR_STOP=1 \
		"host=127.0.0.1 port=$TSDB_PORT dbname=postgres user=postgres sslmode=disable" \
		-c 'SET client_min_messages = warning' "$@" 2>"$TMP/tsql.err"
	local rc=$?
	grep -v '^\(psql:[^ ]* \)\?\(DEBUG\|LOG\|INFO\|NOTICE\|WARNING\): ' "$TMP/tsql.err" >&2
	return $rc
}

# ---- TimescaleDB with the fixture, and a PostgreSQL 15 without it ---------------------
at "TimescaleDB"
tsdb_start || { not_ok "TimescaleDB (PGlite) starts"; done_testing; }
load_fixture() { tsdb_sql <"$FIXTURE" >/dev/null; }
check "the fixture loads" load_fixture
COMPRESSION_JOB=$(tsdb_sql "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression'")
REFRESH_JOB=$(tsdb_sql "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'")
FAILING_JOB=$(tsdb_sql "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'failing_action'")
check "it has compressed and uncompressed chunks, overdue ones, 4 jobs, a failure in job_errors" \
	test "$(tsdb_sql "SELECT count(*) FILTER (WHERE is_compressed), count(*) FILTER (WHERE NOT is_compressed),
		count(*) FILTER (WHERE NOT is_compressed AND range_end < now() - INTERVAL '3 days 12 hours')
		FROM timescaledb_information.chunks WHERE hypertable_name = 'metrics'")|$(tsdb_sql \
		"SELECT count(*) FROM timescaledb_information.jobs")|$(tsdb_sql \
		"SELECT string_agg(job_id || ' ' || err_message, ',') FROM timescaledb_information.job_errors")" = \
		"4|7|3|4|$FAILING_JOB disk quota exceeded in archive <img src=x onerror=alert(1)>"
at "PostgreSQL 15"
pg_start || { not_ok "PostgreSQL starts"; done_testing; }
export PGTEST_PASSWORD="$PG_PASSWORD" TSDB_PASSWORD=x

host_config "$TMP/agent.ini"
{
	# the agent refuses a password in a DSN: PGlite takes any, from the environment
	printf '[postgres "ts"]\ndsn = %s\npassword_env = TSDB_PASSWORD\nadvice = false\n' "${TSDB_DSN/ password=x/}"
	printf 'interval = 1s\nslow_interval = 1s\ntimeout = 1s\n'
	pg_target_section pg
	for r in $RULE_NAMES; do
		printf '[alert "%s"]\nexpr = %s\nseverity = warning\n' "$r" "$(rule_expr "$r")"
	done
} >>"$TMP/agent.ini"
out=$("$DBPULSE" --check-config -c "$TMP/agent.ini" 2>&1)
check "--check-config accepts the sections and the four rules" test $? = 0 || diag "$out"
# agent.ini documents the same four rules (commented)
agent_ini_rules() {
	local r e
	for r in $RULE_NAMES; do
		e=$(awk -v h="; [alert \"$r\"]" '$0 == h { on = 1; next }
			on && /^; expr = / { print substr($0, 10); exit } on && /^; \[/ { exit }' "$top_srcdir/agent.ini")
		[ "$e" = "$(rule_expr "$r")" ] || { diag "agent.ini's $r: '$e'"; return 1; }
	done
}
check "agent.ini's default rules have the contract's expressions" agent_ini_rules

# ---- every series, as TimescaleDB's views say -----------------------------------
at "the agent"
start_agent "$TMP/agent.ini" || { not_ok "the agent starts"; done_testing; }
check "timescaledb_info for the ts target" \
	within 30 has_metric 'timescaledb_info{[^}]*target="ts"'
check "two more collections of ts" wait_collections ts 2
scrape >"$TMP/m.prom"
# what TimescaleDB says, taken right after the scrape (nothing changes in
# between but the clock: ages get 5 s of slack)
tsql -F "$(printf '\t')" -f - >"$TMP/expected" <<'SQL' || not_ok "the expected values"
-- one statement, no temporary object: PGlite's one session is the agent's too
WITH ht AS (
	SELECT h.hypertable_schema || '.' || h.hypertable_name AS name,
	       format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass AS rel,
	       h.hypertable_schema AS s, h.hypertable_name AS n
	FROM timescaledb_information.hypertables h
), ch AS (
	SELECT ht.name, count(c.*) AS chunks, count(*) FILTER (WHERE c.is_compressed) AS compressed,
	       extract(epoch FROM max(c.range_end)) AS newest
	FROM ht LEFT JOIN timescaledb_information.chunks c
		ON c.hypertable_schema = ht.s AND c.hypertable_name = ht.n
	GROUP BY ht.name
), jb AS (
	SELECT format('job_id=%s,application_name=%s,proc_name=%s.%s,hypertable=%s', j.job_id,
		      j.application_name, j.proc_schema, j.proc_name,
		      coalesce(j.hypertable_schema || '.' || j.hypertable_name, '')) AS l,
	       j.scheduled, j.schedule_interval, coalesce(st.next_start, j.next_start) AS next,
	       st.last_run_status, st.total_runs, st.total_failures,
	       CASE WHEN isfinite(st.last_successful_finish) THEN st.last_successful_finish END AS last_success
	FROM timescaledb_information.jobs j
	LEFT JOIN timescaledb_information.job_stats st USING (job_id)
), ca AS (
	SELECT format('continuous_aggregate=%s.%s,hypertable=%s.%s', c.view_schema, c.view_name,
		      c.hypertable_schema, c.hypertable_name) AS l,
	       format('%I.%I', c.materialization_hypertable_schema,
		      c.materialization_hypertable_name)::regclass AS mat,
	       _timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(k.mat_hypertable_id)) AS watermark,
	       (j.config ->> 'end_offset')::interval + j.schedule_interval AS expected_lag
	FROM timescaledb_information.continuous_aggregates c
	JOIN _timescaledb_catalog.continuous_agg k
		ON k.user_view_schema = c.view_schema AND k.user_view_name = c.view_name
	LEFT JOIN timescaledb_information.jobs j
		ON j.proc_name = 'policy_refresh_continuous_aggregate'
		   AND j.hypertable_schema = c.view_schema AND j.hypertable_name = c.view_name
)
SELECT 'timescaledb_info', 'version=' || extversion, 1::numeric, 0::numeric
FROM pg_extension WHERE extname = 'timescaledb'
UNION ALL
SELECT 'timescaledb_hypertable_chunks', 'hypertable=' || name, chunks, 0 FROM ch
UNION ALL
SELECT 'timescaledb_hypertable_compressed_chunks', 'hypertable=' || name, compressed, 0 FROM ch
UNION ALL
SELECT 'timescaledb_hypertable_newest_chunk_end_timestamp_seconds', 'hypertable=' || name, newest, 0.001
FROM ch WHERE newest IS NOT NULL
UNION ALL
SELECT 'timescaledb_hypertable_size_bytes', 'hypertable=' || name || ',kind=' || k, v, 0
FROM ht, hypertable_detailed_size(rel) d,
     LATERAL (VALUES ('table', d.table_bytes), ('index', d.index_bytes),
		     ('toast', d.toast_bytes), ('total', d.total_bytes)) AS x(k, v)
UNION ALL
SELECT 'timescaledb_hypertable_compression_before_bytes', 'hypertable=' || name,
       st.before_compression_total_bytes, 0
FROM ht, hypertable_compression_stats(rel) st WHERE st.number_compressed_chunks > 0
UNION ALL
SELECT 'timescaledb_hypertable_compression_after_bytes', 'hypertable=' || name,
       st.after_compression_total_bytes, 0
FROM ht, hypertable_compression_stats(rel) st WHERE st.number_compressed_chunks > 0
UNION ALL
-- the contract's number, not TimescaleDB's
SELECT 'timescaledb_hypertable_compress_after_seconds', 'hypertable=public.metrics', 259200, 0
UNION ALL
SELECT 'timescaledb_hypertable_compression_overdue_chunks', 'hypertable=' || name,
       (SELECT count(*) FROM timescaledb_information.chunks c
	WHERE c.hypertable_schema = s AND c.hypertable_name = n AND NOT c.is_compressed
	  AND c.range_end < now() - (j.config ->> 'compress_after')::interval - j.schedule_interval), 0
FROM ht JOIN timescaledb_information.jobs j
	ON j.hypertable_schema = s AND j.hypertable_name = n AND j.proc_name = 'policy_compression'
UNION ALL
SELECT 'timescaledb_job_last_run_success', l, CASE last_run_status WHEN 'Success' THEN 1 ELSE 0 END, 0
FROM jb WHERE last_run_status IS NOT NULL
UNION ALL
SELECT 'timescaledb_job_runs_total', l, coalesce(total_runs, 0), 0 FROM jb
UNION ALL
SELECT 'timescaledb_job_failures_total', l, coalesce(total_failures, 0), 0 FROM jb
UNION ALL
SELECT 'timescaledb_job_last_success_timestamp_seconds', l, extract(epoch FROM last_success), 0.001
FROM jb WHERE last_success IS NOT NULL
UNION ALL
SELECT 'timescaledb_job_last_success_age_seconds', l, extract(epoch FROM now() - last_success), 5
FROM jb WHERE last_success IS NOT NULL
UNION ALL
SELECT 'timescaledb_job_next_start_timestamp_seconds', l, extract(epoch FROM next), 0.001
FROM jb WHERE isfinite(next)
UNION ALL
SELECT 'timescaledb_job_schedule_interval_seconds', l, extract(epoch FROM schedule_interval), 0 FROM jb
UNION ALL
SELECT 'timescaledb_job_scheduled', l, scheduled::int, 0 FROM jb
UNION ALL
SELECT 'timescaledb_continuous_aggregate_size_bytes', l,
       (SELECT total_bytes FROM hypertable_detailed_size(mat)), 0
FROM ca
UNION ALL
-- before the first refresh, cagg_watermark is the least time there is
-- (4714-11-24 BC, the first day of PostgreSQL's timestamps): no watermark
SELECT 'timescaledb_continuous_aggregate_watermark_timestamp_seconds', l, extract(epoch FROM watermark), 0.001
FROM ca WHERE watermark > '4714-11-24 00:00:00+00 BC'
UNION ALL
SELECT 'timescaledb_continuous_aggregate_lag_seconds', l, extract(epoch FROM now() - watermark), 5
FROM ca WHERE watermark > '4714-11-24 00:00:00+00 BC'
UNION ALL
SELECT 'timescaledb_continuous_aggregate_expected_lag_seconds', l, extract(epoch FROM expected_lag), 0
FROM ca WHERE expected_lag IS NOT NULL;
SQL
FAMILIES="timescaledb_info
timescaledb_hypertable_chunks timescaledb_hypertable_compressed_chunks
timescaledb_hypertable_size_bytes
timescaledb_hypertable_compression_before_bytes timescaledb_hypertable_compression_after_bytes
timescaledb_hypertable_newest_chunk_end_timestamp_seconds
timescaledb_hypertable_compress_after_seconds timescaledb_hypertable_compression_overdue_chunks
timescaledb_job_last_run_success timescaledb_job_runs_total timescaledb_job_failures_total
timescaledb_job_last_success_timestamp_seconds timescaledb_job_last_success_age_seconds
timescaledb_job_next_start_timestamp_seconds timescaledb_job_schedule_interval_seconds
timescaledb_job_scheduled
timescaledb_continuous_aggregate_size_bytes
timescaledb_continuous_aggregate_watermark_timestamp_seconds
timescaledb_continuous_aggregate_lag_seconds timescaledb_continuous_aggregate_expected_lag_seconds"
for f in $FAMILIES; do
	n=$(grep -c "^$f	" "$TMP/expected")
	check "$f: the $n series TimescaleDB's views give, no other" fam_check "$f"
done
check "the fixture's own numbers, as the SQL gives them: 11 chunks, 4 compressed, 3 overdue" \
	test "$(grep -P '^timescaledb_hypertable_(chunks|compressed_chunks|compression_overdue_chunks)\thypertable=public.metrics\t' "$TMP/expected" | cut -f3 | tr '\n' ' ')" = "11 4 3 "
check "the two job counters are counters, the other families gauges" python3 - "$TMP/m.prom" $FAMILIES <<'PY'
import sys
types = {}
for line in open(sys.argv[1]):
    if line.startswith('# TYPE '):
        _, _, name, t = line.split()
        types[name] = t
bad = [(f, types.get(f)) for f in sys.argv[2:]
       if types.get(f) != ('counter' if f.endswith('_total') else 'gauge')]
if bad:
    print('# wrong TYPE:', bad)
sys.exit(1 if bad else 0)
PY
if [ -n "$PROMTOOL" ]; then
	grep -E '^(# (HELP|TYPE) )?timescaledb_' "$TMP/m.prom" >"$TMP/tsdb.prom"
	out=$(promtool_clean "$TMP/tsdb.prom")
	check "the timescaledb_* families are promtool-clean" test -z "$out" || diag "$(head -5 <<<"$out")"
else
	skip "the timescaledb_* families are promtool-clean" "promtool is not installed (Debian package prometheus)"
fi

# ---- the rules ---------------------------------------------------------------------
at "the rules"
FIRED=
fires() { # fires NAME LINES DESCRIPTION
	if within 10 firing_exactly "$1" "$2"; then
		ok "$3"
		FIRED="$FIRED $1"
	else
		not_ok "$3"
		diag "firing: $(alerts "$1")"
	fi
}
# resolves NAME: it fired above and fires no more
resolves() {
	case " $FIRED " in
	*" $1 "*) check "$1 resolves" within 10 firing_exactly "$1" "" || diag "firing: $(alerts "$1")" ;;
	*) not_ok "$1 resolves (it never fired)" ;;
	esac
}
fires TimescaleJobFailing "target=ts,job_id=$FAILING_JOB" \
	"TimescaleJobFailing fires for the failed action alone"
fires TimescaleCompressionBehind "target=ts,hypertable=public.metrics" \
	"TimescaleCompressionBehind fires for public.metrics"
fires TimescaleJobNotRunning "target=ts,job_id=$COMPRESSION_JOB,hypertable=public.metrics" \
	"TimescaleJobNotRunning fires for the compression job alone (last success 2 days ago, every 12 h)"
check "TimescaleContinuousAggregateLagging is quiet (lag under 2 h, expected 2 h)" \
	firing_exactly TimescaleContinuousAggregateLagging "" || diag "$(alerts TimescaleContinuousAggregateLagging)"

# ---- /api/timescaledb ---------------------------------------------------------------------
at "/api/timescaledb"
API_STATUS=$(curl -sS --max-time 5 -o "$TMP/api.json" -w '%{http_code}' "$URL/api/timescaledb?target=ts")
# api_py DESCRIPTION ARGS...: a check by the python program on stdin (its
# assertion, when it fails, as diagnostics); needs a 200 from /api/timescaledb
api_py() {
	local desc=$1 out
	shift
	[ "$API_STATUS" = 200 ] || { not_ok "$desc"; diag "/api/timescaledb?target=ts answered $API_STATUS: $(head -c 300 "$TMP/api.json")"; return 1; }
	out=$(python3 - "$@" 2>&1)
	check "$desc" test $? = 0 || diag "$(tail -n 3 <<<"$out")"
}
tsql -F "$(printf '\t')" -f - >"$TMP/api_expected" <<'SQL'
SELECT j.job_id, j.application_name, j.proc_schema || '.' || j.proc_name,
       coalesce(j.hypertable_schema || '.' || j.hypertable_name, ''), j.scheduled,
       CASE st.last_run_status WHEN 'Success' THEN 'success' WHEN 'Failed' THEN 'failure' ELSE '' END, coalesce(st.total_runs, 0), coalesce(st.total_failures, 0),
       extract(epoch FROM j.schedule_interval),
       coalesce(CASE WHEN isfinite(st.last_successful_finish) THEN extract(epoch FROM st.last_successful_finish)::text END, '')
FROM timescaledb_information.jobs j LEFT JOIN timescaledb_information.job_stats st USING (job_id)
ORDER BY j.job_id;
SELECT 'error', job_id, proc_schema || '.' || proc_name, extract(epoch FROM start_time),
       extract(epoch FROM finish_time), sqlerrcode, err_message
FROM timescaledb_information.job_errors;
SQL
api_py "/api/timescaledb?target=ts: the database, its version, ok, job_errors" "$TMP/api.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["target"] == "ts" and isinstance(d["collected_at"], str) and d["collected_at"].endswith("Z"), d
assert d["databases"] == [{"datname": "postgres", "version": "2.23.0-dev", "ok": True, "job_errors": True}], d["databases"]
PY
api_py "... every job with the job_stats figures" "$TMP/api.json" "$TMP/api_expected" <<'PY'
import json, sys
from datetime import datetime
epoch = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
d = json.load(open(sys.argv[1]))
want = []
for line in open(sys.argv[2]):
    f = line.rstrip('\n').split('\t')
    if f[0] == 'error':
        continue
    want.append(f)
jobs = d["jobs"]
ok = len(jobs) == len(want)
for w, j in zip(want, jobs):
    job_id, app, proc, ht, sched, last, runs, fails, interval, succ = w
    exp = {"datname": "postgres", "job_id": int(job_id), "application_name": app, "proc_name": proc,
           "hypertable": ht or None, "scheduled": sched == 't', "last_run": last or None,
           "runs": int(runs), "failures": int(fails), "schedule_interval_seconds": float(interval)}
    for k, v in exp.items():
        if j.get(k) != v:
            print("# job %s: %s = %r, want %r" % (job_id, k, j.get(k), v)); ok = False
    if succ:
        if not isinstance(j.get("last_success"), str) or abs(epoch(j["last_success"]) - float(succ)) > 0.002:
            print("# job %s: last_success = %r, want %s" % (job_id, j.get("last_success"), succ)); ok = False
    elif j.get("last_success", 0) is not None:
        print("# job %s: last_success = %r, want null" % (job_id, j.get("last_success"))); ok = False
    if "next_start" not in j:
        print("# job %s: no next_start" % job_id); ok = False
if len(jobs) != len(want):
    print("# %d jobs, want %d" % (len(jobs), len(want)))
sys.exit(0 if ok else 1)
PY
api_py "... the job error with its message, code and times" "$TMP/api.json" "$TMP/api_expected" <<'PY'
import json, sys
from datetime import datetime
epoch = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
d = json.load(open(sys.argv[1]))
want = [l.rstrip('\n').split('\t')[1:] for l in open(sys.argv[2]) if l.startswith('error\t')]
errs = d["job_errors"]
assert len(want) == 1 and len(errs) == 1, (want, errs)
job_id, proc, start, finish, code, msg = want[0]
e = errs[0]
assert e["datname"] == "postgres" and e["job_id"] == int(job_id) and e["proc_name"] == proc == "public.failing_action", e
assert e["hypertable"] is None and e["sqlerrcode"] == code == "P0001", e
assert e["message"] == msg == "disk quota exceeded in archive <img src=x onerror=alert(1)>", e
assert abs(epoch(e["start_time"]) - float(start)) < 0.002 and abs(epoch(e["finish_time"]) - float(finish)) < 0.002, (e, start, finish)
PY
pg_api() {
	local body
	body=$(curl -sS --max-time 5 -w ' %{http_code}' "$URL/api/timescaledb?target=pg")
	python3 -c 'import json, sys
body, _, status = sys.argv[1].rpartition(" ")
assert status == "200", sys.argv[1]
d = json.loads(body)
assert d == {"target": "pg", "collected_at": None, "databases": [], "jobs": [], "job_errors": []}, d' "$body" 2>&1 |
		tail -n 1 | grep . | sed 's/^/# /'
	return "${PIPESTATUS[0]}"
}
check "/api/timescaledb?target=pg (no extension): empty arrays, collected_at null" pg_api
# an unknown target and one that is not PostgreSQL: the contract's 404
# with a JSON error (/api/activity and the others answer 400 there)
json_404() {
	local a
	a=$(curl -s --max-time 5 -w ' %{http_code}' "$URL/api/timescaledb?target=$1")
	[ "${a##* }" = 404 ] &&
		python3 -c 'import json,sys; assert json.loads(sys.argv[1])["error"]' "${a% *}" 2>/dev/null ||
		{ diag "answered: $a"; return 1; }
}
check "?target=nosuch: 404 with a JSON error" json_404 nosuch
check "?target=host (not PostgreSQL): 404 with a JSON error" json_404 host
# the page: its TimescaleDB panel as the API says, in Chromium
if [ -n "${DBPULSE_BROWSER_DIR:-}" ] && [ -x "${CHROMIUM:-/usr/bin/chromium}" ] &&
	[ -d "$DBPULSE_BROWSER_DIR/node_modules/playwright-core" ]; then
	browser_copy tsdb_page_check.mjs
	out=$(cd "$DBPULSE_BROWSER_DIR" && node tsdb_page_check.mjs "$URL/queries" ts pg 2>&1)
	check "/queries: the TimescaleDB panel shows the API's jobs, failing first, and the job error, its HTML-looking message as text; no panel for the PostgreSQL 15 target (Chromium)" \
		test $? = 0 || diag "$out"
else
	skip "/queries: the TimescaleDB panel (Chromium)" \
		"set DBPULSE_BROWSER_DIR to a directory with playwright-core (scripts/test does)"
fi

# ---- the action fixed: TimescaleJobFailing resolves -------------------------------------------
at "the action fixed"
tsql -v job="$FAILING_JOB" -f - >/dev/null <<'SQL'
CREATE OR REPLACE PROCEDURE failing_action(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM config ->> 'bucket';
END $$;
CALL run_job(:job);
UPDATE _timescaledb_internal.bgw_job_stat
SET last_start = now(), last_finish = now() + INTERVAL '0.125 s',
    last_successful_finish = now() + INTERVAL '0.125 s', next_start = now() + INTERVAL '1 hour',
    last_run_success = true, total_runs = total_runs + 1, total_successes = total_successes + 1,
    total_duration = total_duration + INTERVAL '0.125 s', consecutive_failures = 0
WHERE job_id = :job;
INSERT INTO _timescaledb_internal.bgw_job_stat_history
	(job_id, pid, execution_start, execution_finish, succeeded, data)
VALUES (:job, 4243, now(), now() + INTERVAL '0.125 s', true,
	'{"job": {"proc_schema": "public", "proc_name": "failing_action"}}');
SQL
check "the fixed action runs (CALL run_job) and its success is recorded" test $? = 0
resolves TimescaleJobFailing
jl="job_id=\"$FAILING_JOB\""
job_series() { scrape | grep "^$1{[^}]*target=\"ts\"" | grep -F "$jl" | awk '{ print $NF }'; }
success=$(epoch "SELECT last_successful_finish FROM timescaledb_information.job_stats WHERE job_id = $FAILING_JOB")
check "its last_run_success 1, 3 runs, 1 failure, last success as job_stats says" \
	test "$(job_series timescaledb_job_last_run_success) $(job_series timescaledb_job_runs_total) $(job_series timescaledb_job_failures_total)" = "1 3 1" -a \
	"$(python3 -c 'import sys; print(abs(float(sys.argv[1]) - float(sys.argv[2])) < 0.001)' "$(job_series timescaledb_job_last_success_timestamp_seconds)" "$success" 2>&1)" = True ||
	diag "$(scrape | grep "^timescaledb_job.*$jl")" "job_stats: $success"

# ---- the overdue chunks compressed: TimescaleCompressionBehind resolves ------------------------
at "compression"
tsql -v job="$COMPRESSION_JOB" -f - >/dev/null <<'SQL'
CALL run_job(:job);
UPDATE _timescaledb_internal.bgw_job_stat
SET last_start = now(), last_finish = now() + INTERVAL '2 s',
    last_successful_finish = now() + INTERVAL '2 s', next_start = now() + INTERVAL '12 hours',
    last_run_success = true, total_runs = total_runs + 1, total_successes = total_successes + 1,
    total_duration = total_duration + INTERVAL '2 s'
WHERE job_id = :job;
SQL
check "the compression policy runs (CALL run_job) and its success is recorded" test $? = 0
resolves TimescaleCompressionBehind
resolves TimescaleJobNotRunning
wait_collections ts 2
ml='hypertable="public.metrics"'
ht_series() { scrape | grep "^$1{[^}]*target=\"ts\"" | grep -F "$ml" | awk '{ print $NF }'; }
want=$(tsdb_sql "SELECT count(*) FILTER (WHERE is_compressed) || ' ' || count(*) FILTER (WHERE NOT is_compressed
	AND range_end < now() - INTERVAL '3 days 12 hours') FROM timescaledb_information.chunks WHERE hypertable_name = 'metrics'")
check "compressed chunks and overdue chunks as the chunks view says ($want)" \
	test "$(ht_series timescaledb_hypertable_compressed_chunks) $(ht_series timescaledb_hypertable_compression_overdue_chunks)" = "$want"
want=$(tsdb_sql "SELECT before_compression_total_bytes || ' ' || after_compression_total_bytes FROM hypertable_compression_stats('metrics')")
check "before/after bytes follow hypertable_compression_stats ($want)" \
	test "$(ht_series timescaledb_hypertable_compression_before_bytes) $(ht_series timescaledb_hypertable_compression_after_bytes)" = "$want"

# ---- PostgreSQL 15 without the extension ------------------------------------------------------
at "PostgreSQL without TimescaleDB"
check "the pg target collects" has_metric 'pg_up{target="pg"} 1'
check "... and has collected several times" test "$(collections_of pg)" -ge 5
check "it has no timescaledb_* series" \
	test "$(scrape | grep -c '^timescaledb_[a-z_]*{[^}]*target="pg"')" = 0
check "and the log has no line about TimescaleDB for it, nor a warning or error about it at all" \
	test "$(grep -i timescale "$TMP/agent.log" | grep -cE ' target=("?)pg\1 | level=(warn|error) ')" = 0 ||
	diag "$(grep -i timescale "$TMP/agent.log" | grep -E ' target=("?)pg\1 | level=(warn|error) ' | head -5)"

# ---- timescaledb = false ------------------------------------------------------------------------
at "timescaledb = false"
sed -i 's/^\[postgres "ts"\]$/&\ntimescaledb = false/' "$TMP/agent.ini"
reloaded_since() {
	[ "$(metric_value dbpulse_config_last_reload_successful)" = 1 ] &&
		[ "$(metric_value dbpulse_config_last_reload_success_timestamp_seconds)" != "$1" ]
}
before=$(metric_value dbpulse_config_last_reload_success_timestamp_seconds)
had=$(ts_series)
kill -HUP "$AGENT_PID"
check "the reload is taken" within 10 reloaded_since "$before" || diag "$(grep -i reload "$TMP/agent.log" | tail -n 3)"
removed() { [ "$had" -gt 0 ] && within 15 no_ts_series; }
check "it removes the ts target's $had timescaledb_* series" removed
# (the target's counters may start again from 0 with the new section)
collects_again() {
	local c
	c=$(collections_of ts)
	[ -n "$c0" ] || { c0=$c; return 1; }
	[ -n "$c" ] && [ "$c" -ge $((c0 + 2)) ]
}
c0=$(collections_of ts)
check "... while the target still collects" within 10 collects_again

stop_agent
at "done"
done_testing
