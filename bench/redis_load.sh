#!/bin/bash
# bench/redis_load.sh -- prepares a running Redis (7.0+) for a benchmark:
# 200+ distinct commands in INFO commandstats and keys in all 16 databases.
#
# Usage: bench/redis_load.sh [-h HOST] [-u USER] [-n KEYS] [-q] PORT [PASSWORD]
#   PORT      the server's port
#   PASSWORD  the user's password (default: $REDISCLI_AUTH, or none)
#   -h HOST   host name or address (default 127.0.0.1)
#   -u USER   ACL user (default: the default user); it needs the commands
#             below on the keys redis_load:* and queue:*
#   -n KEYS   keys written in each database (default 100)
#   -q        print nothing unless it fails
#
# Harmless on a server you care about, but meant for a throwaway one: it
# writes and deletes only keys named redis_load:* and queue:*, loads (and
# deletes again) a function library "redis_load" and a script, publishes on
# redis_load:* channels, and changes no configuration, no other key, no
# statistic (no CONFIG RESETSTAT, SLOWLOG RESET, FLUSH*, DEBUG...).
#
# Commands: one pipelined connection (redis-cli --pipe) calls every command
# of the list below once or more -- data-type commands on its own keys,
# server, CLIENT, CONFIG GET, MEMORY, OBJECT, XINFO, XGROUP, ACL, LATENCY,
# FUNCTION, SCRIPT, PUBSUB, COMMAND... subcommands, each of which INFO
# commandstats counts apart (cmdstat_client|id).  On Redis 7.0.15 a fresh
# server shows 273 cmdstat_ lines afterwards, none with failed or rejected
# calls.
# Keys: in each database 0..15, KEYS keys redis_load:<db>:<type>:<i> of every
# type (strings, lists, hashes, sets, sorted sets, streams), a quarter of
# them expiring in a day, and six queue:* keys of every type with sizes that
# differ per database (queue:list is a list of 10 + db items, ...), for
# check_keys = queue:*.  Running it again with the same KEYS gives the same
# key set.
#
# Any error reply is an error: it prints them and exits 1.
set -u

host=127.0.0.1 user='' keys=100 quiet=''
usage() { sed -n '5,13s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while getopts h:u:n:q opt; do
	case $opt in
	h) host=$OPTARG ;;
	u) user=$OPTARG ;;
	n) keys=$OPTARG ;;
	q) quiet=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] && [ $# -le 2 ] || usage
port=$1
[ $# = 2 ] && export REDISCLI_AUTH=$2
case $port$keys in *[!0-9]*) echo "redis_load.sh: PORT and KEYS are numbers" >&2; exit 2 ;; esac

cli=${REDIS_CLI:-redis-cli}
say() { [ -n "$quiet" ] || printf '%s\n' "$*"; }
r() { # one command, error replies are errors
	REDISCLI_HISTFILE=/dev/null "$cli" -h "$host" -p "$port" ${user:+--user "$user"} \
		--no-auth-warning -e "$@"
}
pipe() { # inline commands on stdin, one connection; prints the errors
	local out rc
	out=$(REDISCLI_HISTFILE=/dev/null "$cli" -h "$host" -p "$port" ${user:+--user "$user"} \
		--no-auth-warning --pipe 2>&1)
	rc=$?
	[ $rc = 0 ] && grep -q 'errors: 0,' <<<"$out" && return 0
	grep -vE '^(All data transferred|Last reply received)' <<<"$out" | sed 's/^/redis_load.sh: /' >&2
	return 1
}

start=$(date +%s%N)
pong=$(r PING 2>&1)
[ "$pong" = PONG ] || { echo "redis_load.sh: $host:$port: ${pong:-no answer}" >&2; exit 1; }
version=$(r INFO server | tr -d '\r' | sed -n 's/^redis_version://p')
[ "${version%%.*}" -ge 7 ] 2>/dev/null || { echo "redis_load.sh: Redis $version: 7.0 or later needed" >&2; exit 1; }
dbs=$(r INFO keyspace >/dev/null && r SELECT 15 >/dev/null 2>&1 && echo 16)
[ "$dbs" = 16 ] || { echo "redis_load.sh: the server has fewer than 16 databases" >&2; exit 1; }

# ---- the commands (inline protocol: one command a line, "..." quoting)
K=redis_load
commands() {
	# a clean slate for the scratch keys, so that every run is the same
	echo "DEL $K:s $K:s2 $K:s3 $K:n $K:f $K:bits $K:bits2 $K:bitop $K:l $K:l2 $K:l3 $K:h $K:set $K:set2 \
$K:setstore $K:z $K:z2 $K:zstore $K:x $K:x2 $K:hll $K:hll2 $K:hllm $K:geo $K:geostore $K:copy \
$K:renamed $K:renamed2 $K:tmp $K:tmp2 $K:ms1 $K:ms2 $K:nx1 $K:nx2 $K:restored $K:sorted $K:lm"
	# server and connection
	cat <<-EOF
	PING
	ECHO redis_load
	TIME
	DBSIZE
	INFO
	LASTSAVE
	ROLE
	HELLO 2
	SELECT 0
	LOLWUT VERSION 5 1 1 1
	WAIT 0 0
	CLIENT ID
	CLIENT INFO
	CLIENT LIST TYPE normal
	CLIENT GETNAME
	CLIENT SETNAME redis_load
	CLIENT HELP
	CLIENT GETREDIR
	CLIENT TRACKINGINFO
	CLIENT TRACKING on OPTIN
	CLIENT CACHING yes
	CLIENT TRACKING off
	CLIENT NO-EVICT off
	CLIENT REPLY ON
	CONFIG GET maxmemory*
	CONFIG HELP
	MEMORY STATS
	MEMORY DOCTOR
	MEMORY MALLOC-STATS
	MEMORY HELP
	MEMORY PURGE
	LATENCY LATEST
	LATENCY HISTORY command
	LATENCY DOCTOR
	LATENCY HISTOGRAM get set
	LATENCY HELP
	SLOWLOG GET 1
	SLOWLOG LEN
	SLOWLOG HELP
	ACL WHOAMI
	ACL USERS
	ACL LIST
	ACL CAT
	ACL HELP
	ACL LOG 1
	ACL GENPASS
	ACL GETUSER default
	ACL DRYRUN default PING
	COMMAND COUNT
	COMMAND INFO get set
	COMMAND DOCS get
	COMMAND LIST FILTERBY ACLCAT keyspace
	COMMAND GETKEYS SET a b
	COMMAND GETKEYSANDFLAGS LMOVE a b LEFT RIGHT
	COMMAND HELP
	MODULE LIST
	MODULE HELP
	PUBSUB CHANNELS $K:*
	PUBSUB NUMSUB $K:chan
	PUBSUB NUMPAT
	PUBSUB SHARDCHANNELS $K:*
	PUBSUB SHARDNUMSUB $K:chan
	PUBSUB HELP
	PUBLISH $K:chan hello
	SPUBLISH $K:chan hello
	UNSUBSCRIBE
	PUNSUBSCRIBE
	SUNSUBSCRIBE
	SCRIPT LOAD "return 1"
	SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db
	SCRIPT HELP
	EVAL "return 1" 0
	EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
	EVAL_RO "return redis.call('EXISTS', KEYS[1])" 1 $K:s
	EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
	FUNCTION LOAD REPLACE "#!lua name=redis_load\nredis.register_function('redis_load_rw', function(keys, args) return 1 end)\nredis.register_function{function_name='redis_load_ro', callback=function(keys, args) return 2 end, flags={'no-writes'}}"
	FCALL redis_load_rw 0
	FCALL_RO redis_load_ro 0
	FUNCTION LIST LIBRARYNAME redis_load
	FUNCTION STATS
	FUNCTION DUMP
	FUNCTION HELP
	FUNCTION DELETE redis_load
	MULTI
	PING
	EXEC
	WATCH $K:s
	UNWATCH
	MULTI
	DISCARD
	EOF
	# strings and bits
	cat <<-EOF
	SET $K:s hello
	GET $K:s
	SETNX $K:s2 world
	SETEX $K:s3 86400 v
	PSETEX $K:tmp 86400000 v
	MSET $K:ms1 a $K:ms2 b
	MSETNX $K:nx1 a $K:nx2 b
	MGET $K:s $K:s2
	APPEND $K:s !
	STRLEN $K:s
	GETRANGE $K:s 0 2
	SUBSTR $K:s 0 2
	SETRANGE $K:s2 0 W
	LCS $K:s $K:s2
	GETSET $K:tmp2 v
	GETEX $K:tmp2 PERSIST
	GETDEL $K:tmp2
	SET $K:n 10
	INCR $K:n
	DECR $K:n
	INCRBY $K:n 5
	DECRBY $K:n 5
	INCRBYFLOAT $K:f 1.5
	SETBIT $K:bits 7 1
	GETBIT $K:bits 7
	BITCOUNT $K:bits
	BITPOS $K:bits 1
	SET $K:bits2 ab
	BITOP AND $K:bitop $K:bits $K:bits2
	BITFIELD $K:bits INCRBY u8 8 1
	BITFIELD_RO $K:bits GET u8 0
	EOF
	# keyspace
	cat <<-EOF
	EXISTS $K:s $K:none
	TYPE $K:s
	TOUCH $K:s
	EXPIRE $K:s 86400
	PEXPIRE $K:s 86400000
	EXPIREAT $K:s 4102444800
	PEXPIREAT $K:s 4102444800000
	TTL $K:s
	PTTL $K:s
	EXPIRETIME $K:s
	PEXPIRETIME $K:s
	PERSIST $K:s
	COPY $K:s $K:copy REPLACE
	RENAME $K:copy $K:renamed
	RENAMENX $K:renamed $K:renamed2
	OBJECT ENCODING $K:s
	OBJECT IDLETIME $K:s
	OBJECT REFCOUNT $K:s
	OBJECT HELP
	DUMP $K:s
	RANDOMKEY
	SCAN 0 MATCH $K:* COUNT 100
	UNLINK $K:renamed2
	SELECT 1
	DEL $K:moved
	SELECT 0
	SET $K:moved v
	MOVE $K:moved 1
	EOF
	# lists
	cat <<-EOF
	RPUSH $K:l 3 1 2 5 4 6 7 8 9 10
	LPUSH $K:l 0
	LPUSHX $K:l -1
	RPUSHX $K:l 11
	LINSERT $K:l BEFORE 5 4.5
	LSET $K:l 0 -2
	LINDEX $K:l 0
	LRANGE $K:l 0 -1
	LLEN $K:l
	LPOS $K:l 5
	LREM $K:l 1 4.5
	LPOP $K:l
	RPOP $K:l
	RPOPLPUSH $K:l $K:l2
	LMOVE $K:l $K:l2 LEFT RIGHT
	LMPOP 1 $K:l LEFT COUNT 1
	BLPOP $K:l 1
	BRPOP $K:l 1
	BRPOPLPUSH $K:l $K:l2 1
	BLMOVE $K:l $K:l2 LEFT LEFT 1
	BLMPOP 1 1 $K:l RIGHT
	LTRIM $K:l2 0 99
	RPUSH $K:lm 3 1 2
	SORT $K:lm
	SORT_RO $K:lm DESC
	SORT $K:lm STORE $K:sorted
	EOF
	# hashes
	cat <<-EOF
	HSET $K:h a 1 b 2
	HSETNX $K:h c 3
	HMSET $K:h d 4
	HGET $K:h a
	HMGET $K:h a b
	HGETALL $K:h
	HKEYS $K:h
	HVALS $K:h
	HLEN $K:h
	HEXISTS $K:h a
	HSTRLEN $K:h a
	HINCRBY $K:h a 1
	HINCRBYFLOAT $K:h b 0.5
	HDEL $K:h d
	HRANDFIELD $K:h 2
	HSCAN $K:h 0
	EOF
	# sets
	cat <<-EOF
	SADD $K:set a b c d
	SADD $K:set2 c d e
	SREM $K:set d
	SCARD $K:set
	SMEMBERS $K:set
	SISMEMBER $K:set a
	SMISMEMBER $K:set a z
	SRANDMEMBER $K:set
	SPOP $K:set2
	SMOVE $K:set $K:set2 a
	SINTER $K:set $K:set2
	SINTERCARD 2 $K:set $K:set2
	SINTERSTORE $K:setstore $K:set $K:set2
	SUNION $K:set $K:set2
	SUNIONSTORE $K:setstore $K:set $K:set2
	SDIFF $K:set $K:set2
	SDIFFSTORE $K:setstore $K:set $K:set2
	SSCAN $K:set 0
	EOF
	# sorted sets
	cat <<-EOF
	ZADD $K:z 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h
	ZADD $K:z2 0 a 0 b 0 c
	ZCARD $K:z
	ZCOUNT $K:z 1 3
	ZLEXCOUNT $K:z2 - +
	ZSCORE $K:z a
	ZMSCORE $K:z a b
	ZRANK $K:z c
	ZREVRANK $K:z c
	ZINCRBY $K:z 1 a
	ZRANGE $K:z 0 -1 WITHSCORES
	ZRANGEBYSCORE $K:z 1 3
	ZRANGEBYLEX $K:z2 - +
	ZREVRANGE $K:z 0 -1
	ZREVRANGEBYSCORE $K:z 3 1
	ZREVRANGEBYLEX $K:z2 + -
	ZRANGESTORE $K:zstore $K:z 0 2
	ZRANDMEMBER $K:z
	ZUNION 2 $K:z $K:z2
	ZUNIONSTORE $K:zstore 2 $K:z $K:z2
	ZINTER 2 $K:z $K:z2
	ZINTERSTORE $K:zstore 2 $K:z $K:z2
	ZINTERCARD 2 $K:z $K:z2
	ZDIFF 2 $K:z $K:z2
	ZDIFFSTORE $K:zstore 2 $K:z $K:z2
	ZSCAN $K:z 0
	ZREM $K:z h
	ZREMRANGEBYSCORE $K:z 100 200
	ZREMRANGEBYRANK $K:z 100 200
	ZREMRANGEBYLEX $K:z2 [zz [zzz
	ZPOPMIN $K:z
	ZPOPMAX $K:z
	ZMPOP 1 $K:z MIN
	BZPOPMIN $K:z 1
	BZPOPMAX $K:z 1
	BZMPOP 1 1 $K:z MAX
	EOF
	# streams
	cat <<-EOF
	XADD $K:x 1-1 f v
	XADD $K:x 1-2 f v
	XADD $K:x 1-3 f v
	XLEN $K:x
	XRANGE $K:x - +
	XREVRANGE $K:x + -
	XREAD COUNT 2 STREAMS $K:x 0
	XGROUP CREATE $K:x g 0
	XGROUP CREATE $K:x g2 0
	XGROUP CREATECONSUMER $K:x g c1
	XREADGROUP GROUP g c1 COUNT 2 STREAMS $K:x >
	XPENDING $K:x g
	XCLAIM $K:x g c2 0 1-1
	XAUTOCLAIM $K:x g c2 0 0-0
	XACK $K:x g 1-1
	XINFO STREAM $K:x
	XINFO GROUPS $K:x
	XINFO CONSUMERS $K:x g
	XINFO HELP
	XGROUP DELCONSUMER $K:x g c1
	XGROUP SETID $K:x g 0
	XGROUP DESTROY $K:x g2
	XGROUP HELP
	XDEL $K:x 1-3
	XTRIM $K:x MAXLEN 10
	XADD $K:x2 5-1 f v
	XSETID $K:x2 9-0
	EOF
	# HyperLogLog and geo
	cat <<-EOF
	PFADD $K:hll a b c
	PFADD $K:hll2 c d
	PFCOUNT $K:hll
	PFMERGE $K:hllm $K:hll $K:hll2
	GEOADD $K:geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
	GEODIST $K:geo Palermo Catania km
	GEOHASH $K:geo Palermo
	GEOPOS $K:geo Palermo
	GEORADIUS $K:geo 15 37 200 km
	GEORADIUS_RO $K:geo 15 37 200 km
	GEORADIUSBYMEMBER $K:geo Palermo 200 km
	GEORADIUSBYMEMBER_RO $K:geo Palermo 200 km
	GEOSEARCH $K:geo FROMLONLAT 15 37 BYRADIUS 200 km
	GEOSEARCHSTORE $K:geostore $K:geo FROMLONLAT 15 37 BYRADIUS 200 km
	EOF
	# RESET drops the connection's authentication: authenticate again
	echo "RESET"
	if [ -n "${REDISCLI_AUTH:-}" ]; then
		printf 'AUTH %s%s\n' "${user:+$user }" "$REDISCLI_AUTH"
	fi
	echo "PING"
}

# ---- the keys: every database, every type
keyspace() {
	local db i t n
	for db in $(seq 0 15); do
		echo "SELECT $db"
		echo "DEL queue:list queue:stream queue:set queue:zset queue:hash queue:string"
		n=$((10 + db))
		echo "RPUSH queue:list $(seq -s ' ' 1 $n)"
		for i in $(seq 1 $((5 + db))); do echo "XADD queue:stream * job $i"; done
		echo "SADD queue:set $(seq -s ' ' 1 $((3 + db)))"
		echo "ZADD queue:zset $(for i in $(seq 1 $((4 + db))); do printf '%s m%s ' "$i" "$i"; done)"
		echo "HSET queue:hash $(for i in $(seq 1 $((2 + db))); do printf 'f%s %s ' "$i" "$i"; done)"
		echo "SET queue:string $(printf '%*s' $((20 + db)) '' | tr ' ' x)"
		for i in $(seq 1 "$keys"); do
			case $((i % 6)) in
			0) t=string; echo "SET $K:$db:$t:$i value-$i" ;;
			1) t=list; echo "DEL $K:$db:$t:$i"; echo "RPUSH $K:$db:$t:$i a b c" ;;
			2) t='hash'; echo "HSET $K:$db:$t:$i f1 v1 f2 v2" ;;
			3) t='set'; echo "SADD $K:$db:$t:$i a b c" ;;
			4) t=zset; echo "ZADD $K:$db:$t:$i 1 a 2 b" ;;
			5) t=stream; echo "DEL $K:$db:$t:$i"; echo "XADD $K:$db:$t:$i * f v" ;;
			esac
			# a quarter expiring, in a day: redis_db_keys_expiring, avg_ttl
			[ $((i % 4)) = 0 ] && echo "EXPIRE $K:$db:$t:$i 86400"
		done
	done
	echo "SELECT 0"
}

{ commands; keyspace; } | pipe || exit 1
# DUMP and RESTORE carry binary payloads, beyond the inline protocol
r -D "" --raw DUMP "$K:s" >"${TMPDIR:-/tmp}/redis_load.$$.dump" &&
	r -X dump RESTORE "$K:restored" 0 dump REPLACE <"${TMPDIR:-/tmp}/redis_load.$$.dump" >/dev/null
rc=$?
rm -f "${TMPDIR:-/tmp}/redis_load.$$.dump"
[ $rc = 0 ] || { echo "redis_load.sh: DUMP / RESTORE failed" >&2; exit 1; }
r QUIT >/dev/null || exit 1

ms=$((($(date +%s%N) - start) / 1000000))
n=$(r INFO commandstats | grep -c '^cmdstat_')
dbs=$(r INFO keyspace | grep -c '^db[0-9]*:keys=')
say "redis_load.sh: $host:$port (Redis $version): $n commands in commandstats, keys in $dbs databases ($ms ms)"
