#!/bin/bash
# advice.sh -- the optimization advisor against a real PostgreSQL that this
# script starts, with a database made on purpose with one of each problem
# (advice_fixture.sql) beside a healthy schema: every planted finding and
# no other in /api/advice, pg_advice_findings and `dbpulse advise`;
# hostile identifiers through the JSON and the terminal, and the suggested
# SQL quoting them right (the suggested CREATE INDEX is run and makes the
# right index); what a role without table privileges is told; statistics
# too young for unused indexes; sequential scans judged over the window
# between two passes; the advisor changes nothing in the database and its
# statements are the agent's own; advice = false; parameter errors.  With
# advice_plans (target "plans"): what EXPLAIN needs said; the generic plan
# of a costly statement with its sequential scan; the index that would
# serve it, unverified, then verified by a real hypopg; the suggested
# CREATE INDEX run, after which the next pass suggests nothing there; the
# plans' statements are the agent's own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
require curl python3
pg_require

# autovacuum off: the bloated table stays bloated; autovacuum_freeze_max_age
# at its maximum (2 billion): the wraparound check at the end moves the
# transaction IDs past 80 % of 2^31, and nothing must freeze them meanwhile
pg_start "autovacuum = off" "autovacuum_freeze_max_age = 2000000000" ||
	{ not_ok "PostgreSQL starts"; done_testing; }
export PGTEST_PASSWORD="$PG_PASSWORD"
pg_sql "CREATE DATABASE advice" >/dev/null
pg_sql_db advice <"$(dirname "$0")/advice_fixture.sql" >"$TMP/fixture.out" 2>&1 ||
	{ not_ok "the fixture loads"; diag "$(tail -5 "$TMP/fixture.out")"; done_testing; }
ok "the fixture database loads"

# what the database holds before the advisor ever ran (its objects)
objects() { pg_sql_db advice "SELECT oid, relname, relkind FROM pg_class ORDER BY oid"; }
objects >"$TMP/objects.before"

host_config "$TMP/agent.ini" "enabled = false"
{
	pg_target_section
	printf 'databases = postgres, advice\nadvice_interval = 2s\nadvice_min_stats_age = 0s\n'
	pg_target_section young | sed 's/^slow_interval = .*/slow_interval = 1m/'
	printf 'databases = advice\nadvice_interval = 1h\n'
	pg_target_section quiet
	printf 'advice = false\n'
	pg_target_section plans
	printf 'databases = advice\nadvice_interval = 2s\nadvice_plans = true\n'
} >>"$TMP/agent.ini"
start_agent "$TMP/agent.ini" || { not_ok "agent starts"; done_testing; }

# get PATH: the body in $TMP/body, the status in $TMP/status
get() { curl -sS --max-time 5 -o "$TMP/body" -w '%{http_code}' "$URL$1" >"$TMP/status"; }
status() { cat "$TMP/status"; }
# py EXPR: EXPR evaluated with j = the last body's JSON
py() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$TMP/body" "${@:2}"; }
advice_ready() { get "/api/advice?target=${1:-main}" && [ "$(status)" = 200 ]; }
passes() { metric_value "pg_advice_last_run_timestamp_seconds{target=\"${1:-main}\"}"; }
# wait_pass [TARGET]: until a pass has ended after the one seen now
wait_pass() {
	local last t=${1:-main}
	last=$(passes "$t")
	wait_for 20 sh -c "curl -s '$URL/metrics' | grep -q '^pg_advice_last_run_timestamp_seconds{target=\"$t\"} ' &&
		test \"\$(curl -s '$URL/metrics' | awk '/^pg_advice_last_run_timestamp_seconds\\{target=\"$t\"\\}/ { print \$2 }')\" != '$last'"
}

check "the first pass ends: /api/advice answers 200" wait_for 20 advice_ready
# (kind, schema, table, object) of each finding of the advice database
found() { py 'sorted("%s|%s|%s|%s" % (f["kind"], f["schema"], f["table"], f["object"]) for f in j["findings"] if f["datname"] == "advice")' | tr -d "[]'" ; }
get '/api/advice?target=main'
check "invalid_index: the failed CREATE INDEX CONCURRENTLY, critical" \
	test "$(py '[(f["table"], f["object"], f["severity"]) for f in j["findings"] if f["kind"] == "invalid_index"]')" = "[('inv_t', 'inv_a_uniq', 'critical')]"
check "duplicate_index: the second of the pair, the first kept" \
	test "$(py '[(f["object"], f["evidence"]["kept_index"]) for f in j["findings"] if f["kind"] == "duplicate_index"]')" = "[('dup_a_2', 'dup_a_1')]"
check "redundant_index: the prefix of a longer index" \
	test "$(py '[(f["object"], f["evidence"]["kept_index"]) for f in j["findings"] if f["kind"] == "redundant_index"]')" = "[('red_a', 'red_ab')]"
check "fk_without_index: the foreign key no index leads with" \
	test "$(py '[(f["table"], f["object"]) for f in j["findings"] if f["kind"] == "fk_without_index"]')" = "[('fk_child', 'fk_child_parent')]"
check "unused_index: the index never scanned (statistics old enough at 0s)" \
	test "$(py '[f["object"] for f in j["findings"] if f["kind"] == "unused_index"]')" = "['idx unused \"ü\"']"
check "hostile identifiers round-trip as text in the JSON" \
	test "$(py '[(f["schema"], f["table"]) for f in j["findings"] if f["kind"] == "unused_index"]')" = "[('odd schema \"q\" ñ', 'x\"; DROP TABLE t; --')]"
check "the healthy schema and the postgres database give no finding" \
	test "$(py '[f for f in j["findings"] if f["schema"] == "healthy" or f["datname"] != "advice"]')" = "[]"
check "each finding has a summary, evidence and severity" \
	test "$(py 'all(f["summary"] and isinstance(f["evidence"], dict) and f["severity"] in ("critical", "warning", "info") for f in j["findings"])')" = True
check "its CPU is given" test "$(py 'j["cpu_seconds"] > 0')" = True
check "the pass visited both databases" \
	test "$(py '[(d["datname"], d["ok"]) for d in j["databases"]]')" = "[('postgres', True), ('advice', True)]"
check "without table privileges: bloat and sequences say what they need, once each" \
	test "$(py 'sorted(n["kind"] for n in j["notes"] if n["datname"] == "advice" and ("SELECT" in n["text"] or "USAGE" in n["text"]))')" = "['index_bloat', 'sequence_exhaustion', 'table_bloat']" ||
	diag "$(py 'j["notes"]')"
check "counts by severity" test "$(py 'j["counts"]')" = "{'critical': 1, 'warning': 4, 'info': 0}"
get '/api/advice?target=main&severity=critical'
check "?severity=critical: only the invalid index" test "$(py '[f["kind"] for f in j["findings"]]')" = "['invalid_index']"
get '/api/advice?target=main&kind=fk_without_index&db=advice'
check "?kind= and ?db=" test "$(py '[f["object"] for f in j["findings"]]')" = "['fk_child_parent']"
get '/api/advice?target=main&kind=nope'
check "?kind=nope: 400 naming the parameter and the kinds" \
	test "$(status) $(py 'j["parameter"], "invalid_index" in j["allowed"]')" = "400 kind True"
get '/api/advice?target=quiet'
check "advice = false: 404 that says so" test "$(status) $(py '"advice = false" in j["error"]')" = "404 True"
check "statistics younger than advice_min_stats_age (7d): no unused_index, a note instead" \
	sh -c "curl -s '$URL/api/advice?target=young' | python3 -c 'import json,sys; j=json.load(sys.stdin)
sys.exit(not (all(f[\"kind\"] != \"unused_index\" for f in j[\"findings\"]) and any(\"advice_min_stats_age\" in n[\"text\"] for n in j[\"notes\"])))'"

scrape >"$TMP/m"
check "pg_advice_findings counts each kind and severity" \
	grep -q '^pg_advice_findings{target="main",datname="advice",kind="invalid_index",severity="critical"} 1$' "$TMP/m"
check "and zeros where there is none" \
	grep -q '^pg_advice_findings{target="main",datname="postgres",kind="invalid_index",severity="critical"} 0$' "$TMP/m"
check "pg_advice_duration_seconds and the last run's time" \
	sh -c "grep -q '^pg_advice_duration_seconds{target=\"main\"} ' '$TMP/m' && grep -q '^pg_advice_last_run_timestamp_seconds{target=\"main\"} ' '$TMP/m'"
check "no pg_advice_* series of the target with advice = false" sh -c "! grep -q '^pg_advice_[a-z_]*{target=\"quiet\"' '$TMP/m'"

# the terminal: dbpulse advise
"$DBPULSE" advise --url "$URL" -t main >"$TMP/advise.txt" 2>&1
check "dbpulse advise: exit 0, the invalid index first" \
	sh -c "test \$(grep -c . '$TMP/advise.txt') -gt 10 && grep -m1 '^CRITICAL' '$TMP/advise.txt' | grep -q 'invalid_index'"
check "dbpulse advise: hostile names quoted as SQL writes them" \
	grep -qF 'table "odd schema ""q"" ñ"."x""; DROP TABLE t; --" "idx unused ""ü"""' "$TMP/advise.txt"
check "dbpulse advise: the SQL to act on, a statement a line" \
	grep -qxF '    DROP INDEX CONCURRENTLY "odd schema ""q"" ñ"."idx unused ""ü""";' "$TMP/advise.txt"
check "dbpulse advise --format json: the API's answer" \
	sh -c "'$DBPULSE' advise --url '$URL' --format json --severity critical | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(j[\"counts\"][\"critical\"] != 1)'"
"$DBPULSE" advise --url "$URL" -t quiet >/dev/null 2>"$TMP/advise.err"
rc=$?
check "dbpulse advise on a target without the advisor: exit 1 and why" \
	sh -c "test $rc -eq 1 && grep -q 'advice = false' '$TMP/advise.err'"

# sequential scans over the window between two passes
wait_pass
for _ in $(seq 12); do echo "SELECT count(*) FROM public.big_t WHERE payload LIKE '%zz%';"; done |
	pg_sql_db advice >/dev/null
wait_pass
get '/api/advice?target=main&kind=seq_scan_heavy'
check "seq_scan_heavy: big_t, scanned 12 times since the last pass" \
	test "$(py '[(f["table"], f["evidence"]["seq_scan"] >= 12) for f in j["findings"]]')" = "[('big_t', True)]" ||
	diag "$(py 'j')"

# nothing changed by the advisor
objects >"$TMP/objects.after"
check "the advisor created or dropped nothing (pg_class before and after)" \
	cmp -s "$TMP/objects.before" "$TMP/objects.after"
check "its statements carry their mark in pg_stat_statements" \
	test "$(pg_sql "SELECT count(*) > 5 FROM pg_stat_statements WHERE query LIKE '/* dbpulse advisor */%'")" = t
get '/api/queries?target=main&window=1m&limit=1000'
check "and are not among the DBA's" \
	test "$(py 'any("idx_scan" in (s["query"] or "") or "indisvalid" in (s["query"] or "") for s in j["statements"])')" = False

# plans before the role may read the tables: EXPLAIN is refused, said once
advice_ready plans
check "advice_plans without SELECT: a note says what EXPLAIN needs" \
	test "$(py 'any(n["kind"] == "plan" and "pg_read_all_data" in n["text"] for n in j["notes"])')" = True ||
	diag "$(py 'j["notes"]')"

# with the right to read tables and sequences: bloat and exhaustion
pg_sql "GRANT pg_read_all_data TO dbpulse" >/dev/null
pg_sql_db advice "ANALYZE" >/dev/null
wait_pass
get '/api/advice?target=main&db=advice'
check "table_bloat: the table updated four times without vacuum" \
	test "$(py '[(f["table"], f["evidence"]["method"]) for f in j["findings"] if f["kind"] == "table_bloat"]')" = "[('bloat_t', 'estimate')]" ||
	diag "$(py '[(f["kind"], f["object"]) for f in j["findings"]], j["notes"]')"
check "index_bloat: its primary key" \
	test "$(py '[f["object"] for f in j["findings"] if f["kind"] == "index_bloat"]')" = "['bloat_t_pkey']"
check "sequence_exhaustion: an int4 serial at 93 % critical, an int2 identity at 80 % warning, a MAXVALUE one" \
	test "$(py 'sorted((f["object"], f["severity"]) for f in j["findings"] if f["kind"] == "sequence_exhaustion")')" = "[('seq2_t_id_seq', 'warning'), ('seq_t_id_seq', 'critical'), ('ticket seq', 'critical')]" ||
	diag "$(py '[(f["kind"], f["object"], f["severity"]) for f in j["findings"]]')"
check "no privilege note left" test "$(py '[n for n in j["notes"] if "SELECT" in n["text"]]')" = "[]"

# the suggested SQL acts on the right object: the index for the foreign key
sql=$(py '[f["action_sql"] for f in j["findings"] if f["kind"] == "fk_without_index"][0]')
pg_sql_db advice "$sql" >/dev/null 2>"$TMP/create.err"
check "the suggested CREATE INDEX runs" test ! -s "$TMP/create.err"
check "and indexes the foreign key's column" \
	test "$(pg_sql_db advice "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
		WHERE c.relname = 'fk_child' AND NOT i.indisprimary")" = 'Parent "Id"'
wait_pass && wait_pass # the first may have begun before the index
get '/api/advice?target=main&kind=fk_without_index'
check "the next pass no longer finds it" test "$(py 'j["findings"]')" = "[]"

# plans and suggested indexes (target "plans"): a costly statement that
# filters big_t on a column no index has, run in the collector's window
for i in $(seq 30); do echo "SELECT count(*) FROM public.big_t WHERE payload = 'p$i';"; done |
	pg_sql_db advice >/dev/null
qid=$(pg_sql "SELECT queryid FROM pg_stat_statements WHERE query LIKE 'SELECT count(*) FROM public.big_t WHERE payload = \$1%'
	AND dbid = (SELECT oid FROM pg_database WHERE datname = 'advice')")
wait_pass plans && wait_pass plans
get '/api/advice?target=plans&kind=plan'
check "plan: the statement's generic plan, its sequential scan of big_t" \
	test "$(py '[(f["severity"], [s["table"] for s in f["evidence"]["seq_scans"]], f["evidence"]["plan"]["Node Type"]) for f in j["findings"] if f["object"] == sys.argv[2]]' "$qid")" = "[('info', ['big_t'], 'Aggregate')]" ||
	diag "qid $qid: $(head -c 2000 "$TMP/body")"
check "plans are listed only when asked for by kind" \
	sh -c "curl -s '$URL/api/advice?target=plans' | python3 -c 'import json,sys; sys.exit(any(f[\"kind\"] == \"plan\" for f in json.load(sys.stdin)[\"findings\"]))'"
get '/api/advice?target=plans&kind=suggested_index'
check "suggested_index: big_t (payload), unverified without hypopg" \
	test "$(py '[(f["table"], [c["column"] for c in f["evidence"]["columns"]], f["evidence"]["method"], f["severity"], sys.argv[2] in [s["queryid"] for s in f["evidence"]["statements"]]) for f in j["findings"]]' "$qid")" = "[('big_t', ['payload'], 'unverified', 'info', True)]" ||
	diag "$(head -c 2000 "$TMP/body")"
check "and a note says hypopg would verify it" \
	test "$(py 'any("hypopg" in n["text"] for n in j["notes"])')" = True
pg_sql_db advice "CREATE EXTENSION hypopg" >/dev/null
wait_pass plans && wait_pass plans
get '/api/advice?target=plans&kind=suggested_index'
check "with hypopg: verified, the plan much cheaper, a warning" \
	test "$(py '[(f["table"], f["evidence"]["method"], f["evidence"]["cost_reduction_ratio"] > 0.5, f["severity"]) for f in j["findings"]]')" = "[('big_t', 'hypopg', True, 'warning')]" ||
	diag "$(head -c 2000 "$TMP/body")"
sql=$(py 'j["findings"][0]["action_sql"]')
pg_sql_db advice "$sql" >/dev/null 2>"$TMP/create.err"
check "the suggested CREATE INDEX CONCURRENTLY runs" test ! -s "$TMP/create.err" || diag "$sql: $(cat "$TMP/create.err")"
for i in $(seq 30); do echo "SELECT count(*) FROM public.big_t WHERE payload = 'q$i';"; done |
	pg_sql_db advice >/dev/null
wait_pass plans && wait_pass plans
get '/api/advice?target=plans&kind=suggested_index'
check "with the index made, nothing is suggested for big_t" test "$(py '[f["table"] for f in j["findings"]]')" = "[]"
get '/api/queries?target=plans&window=1m&limit=1000'
check "the plans' statements are the agent's own, not among the DBA's" \
	test "$(py '[s["query"] for s in j["statements"] if (s["query"] or "").startswith("/* dbpulse advisor */")]')" = "[]" ||
	diag "$(py '[(s["queryid"], s["query"]) for s in j["statements"] if "dbpulse" in (s["query"] or "")]')"

# wraparound: the next transaction ID moved to 1.8 billion (the cluster
# stopped, pg_resetwal; the commit log segment it needs made), so every
# database's oldest unfrozen ID is that old: 84 % of the way to 2^31
pg_stop
xid=1800000000
pg_as_owner dd if=/dev/zero of="$PG_DATA/pg_xact/$(printf '%04X' $((xid / 1048576)))" bs=262144 count=1 \
	status=none
pg_as_owner "$PG_BINDIR/pg_resetwal" -x "$xid" "$PG_DATA" >"$TMP/resetwal.out" 2>&1
check "pg_resetwal moves the next transaction ID on" test $? = 0 || diag "$(cat "$TMP/resetwal.out")"
pg_restart
wait_pass && wait_pass
get '/api/advice?target=main&kind=wraparound&db=advice'
check "wraparound: the database, critical, past 80 % of 2^31" \
	test "$(py '[(f["object"], f["severity"], f["evidence"]["xid_percent"] > 80) for f in j["findings"] if f["schema"] is None]')" = "[('advice', 'critical', True)]" ||
	diag "$(head -c 1500 "$TMP/body")"
check "and its tables, each with the VACUUM (FREEZE) to run" \
	test "$(py 'len([f for f in j["findings"] if f["table"] == "big_t" and "FREEZE" in f["action_sql"]])')" = 1
check "pg_advice_findings counts them, for the rule PostgresWraparoundNear" \
	within 10 sh -c "curl -s '$URL/metrics' | grep -q '^pg_advice_findings{target=\"main\",datname=\"advice\",kind=\"wraparound\",severity=\"critical\"} [1-9]'"

stop_agent
done_testing
