#!/bin/bash
# layout.sh -- every file and folder at the top of the source tree is one
# that the README's Layout section names: a newcomer finds what each is
# for, and nothing lies there unexplained (a forgotten scratch config once
# did).  The tree is what git tracks (a checkout); in a release tarball,
# which holds generated files too, the test is skipped.
. "$(dirname "$0")/lib.sh"
require git
git -C "$top_srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
	[ "$(git -C "$top_srcdir" rev-parse --show-toplevel)" = "$(cd "$top_srcdir" && pwd -P)" ] ||
	skip_all "$top_srcdir is not a git checkout"

# the names the Layout's code block starts its lines with ("agent/", "NEWS")
awk '/^## Layout/ { s = 1; next } s && /^## / { exit } s && /^```/ { b = !b; next }
	s && b && /^[^ ]/ { sub(/\/$/, "", $1); print $1 }' "$top_srcdir/README.md" | sort -u >"$TMP/named"
git -C "$top_srcdir" ls-files | cut -d/ -f1 | sort -u >"$TMP/tracked"
check "the README's Layout names some entries" test -s "$TMP/named"
missing=$(comm -23 "$TMP/tracked" "$TMP/named")
check "every top-level entry of the tree is in the README's Layout" test -z "$missing" ||
	diag "not in the Layout: $(echo $missing)"
stale=$(comm -13 "$TMP/tracked" "$TMP/named")
check "the Layout names nothing the tree lacks" test -z "$stale" || diag "not in the tree: $(echo $stale)"
done_testing
