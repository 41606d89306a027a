#!/bin/bash
# bench/pg_load.sh -- fills pg_stat_statements of a running PostgreSQL with N
# distinct statements (N distinct query ids), for benchmarks and tests.
#
# Usage: bench/pg_load.sh [-h HOST] [-U USER] [-d DB] [-r] [-q] PORT [N]
#   PORT     the server's port
#   N        how many distinct statements, default 5500
#   -h HOST  host name, address or unix socket directory (default 127.0.0.1)
#   -U USER  the role that runs them (default postgres); a password is found
#            the libpq way (PGPASSWORD, ~/.pgpass)
#   -d DB    database (default postgres)
#   -r       pg_stat_statements_reset() first
#   -q       print nothing unless it fails
#
# pg_stat_statements normalizes constants away ("SELECT 1 + x" and
# "SELECT 2 + x" are one entry), so the statements differ in their operators
# instead: statement i is
#     SELECT x+1-1+1... FROM generate_series(1,1) AS pg_load_L(x)
# whose L operators spell i in binary (+ for 0, - for 1), L the bits
# needed for N (13 for 5,500).  All of them go through one psql session.
# Then the distinct query ids of pg_load_L statements in pg_stat_statements
# are counted; fewer than N (evicted: pg_stat_statements.max too small) is
# an error.  The role's statements are tracked under its own user id, so
# an agent's role does not mix with them.
set -u

host=127.0.0.1 user=postgres db=postgres reset='' quiet=''
while getopts h:U:d:rq opt; do
	case $opt in
	h) host=$OPTARG ;;
	U) user=$OPTARG ;;
	d) db=$OPTARG ;;
	r) reset=1 ;;
	q) quiet=1 ;;
	*) sed -n '5,14s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '5,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }
port=$1
n=${2:-5500}
case $port$n in *[!0-9]*) echo "pg_load.sh: PORT and N are numbers" >&2; exit 2 ;; esac
[ "$n" -ge 1 ] || { echo "pg_load.sh: N must be at least 1" >&2; exit 2; }

psql=${PG_BINDIR:+$PG_BINDIR/psql}
[ -n "$psql" ] || { [ -x /usr/lib/postgresql/15/bin/psql ] && psql=/usr/lib/postgresql/15/bin/psql; }
psql=${psql:-psql}
conn="host=$host port=$port dbname=$db user=$user"
q() { "$psql" -X -A -t -q -w -v ON_ERROR_STOP=1 "$conn" "$@"; }
say() { [ -n "$quiet" ] || printf '%s\n' "$*"; }

bits=1
while [ $((1 << bits)) -lt "$n" ]; do bits=$((bits + 1)); done
tag=pg_load_$bits

max=$(q -c "SHOW pg_stat_statements.max") || {
	echo "pg_load.sh: pg_stat_statements is not loaded on $host:$port (shared_preload_libraries)" >&2
	exit 1
}
[ "$max" -lt "$n" ] && echo "pg_load.sh: pg_stat_statements.max is $max, fewer than $n: entries will be evicted" >&2
if [ -n "$reset" ]; then
	q -c "SELECT pg_stat_statements_reset()" >/dev/null || exit 1
fi
count_all="SELECT count(*) FROM pg_stat_statements"
before=$(q -c "$count_all") || exit 1

start=$(date +%s%N)
awk -v n="$n" -v bits="$bits" -v tag="$tag" 'BEGIN {
	for (i = 0; i < n; i++) {
		s = "SELECT x"
		for (b = bits - 1; b >= 0; b--)
			s = s (int(i / 2 ^ b) % 2 ? "-" : "+") "1"
		print s " FROM generate_series(1,1) AS " tag "(x);"
	}
}' | q -f - >/dev/null || { echo "pg_load.sh: the statements failed" >&2; exit 1; }
ms=$((($(date +%s%N) - start) / 1000000))

after=$(q -c "$count_all") || exit 1
distinct=$(q -c "SELECT count(DISTINCT queryid) FROM pg_stat_statements WHERE query LIKE '%AS ${tag}(x)'") || exit 1
say "pg_load.sh: $n statements in ${ms} ms; pg_stat_statements: $before -> $after entries, $distinct distinct ${tag} statements"
if [ "$distinct" -lt "$n" ]; then
	echo "pg_load.sh: only $distinct of $n statements are in pg_stat_statements" >&2
	exit 1
fi
