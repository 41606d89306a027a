#!/bin/bash
# layering.sh -- the dependency arrows of the source folders run one way:
#
#   cmd/ (the program) -> collectors/, exporters/, alerts/ -> agent/ (the core)
#
# Every #include "x.h" of a folder's .c and .h files must name a header of
# that folder or of a folder below it: agent/ includes only agent/;
# collectors/, exporters/ and alerts/ include their own and agent/; cmd/
# may include anything.  A header found in no source folder is a generated
# one (autoconfig.h, page_assets.h of the build) and is allowed.  Also
# checked: every C file of the source folders includes agent/banned.h
# after all its other headers (so a banned call fails to compile), and none
# uses a function it bans.
. "$(dirname "$0")/lib.sh"

cd "$top_srcdir" || exit 1
folders="agent collectors exporters alerts cmd"
# allowed FOLDER: the folders whose headers FOLDER may include
allowed() {
	case $1 in
	agent) echo agent ;;
	collectors | exporters | alerts) echo "$1 agent" ;;
	cmd) echo "$folders" ;;
	esac
}
# home HEADER: the folder that holds it, or nothing
home() {
	local f
	for f in $folders; do
		[ -f "$f/$1" ] && { echo "$f"; return; }
	done
}

for folder in $folders; do
	bad=
	for file in "$folder"/*.[ch]; do
		for header in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file"); do
			where=$(home "$header")
			[ -z "$where" ] && continue
			case " $(allowed "$folder") " in
			*" $where "*) ;;
			*) bad="$bad $file:$where/$header" ;;
			esac
		done
	done
	case $folder in
	agent) what="includes only the core's headers" ;;
	cmd) what="(the program) may include every folder" ;;
	*) what="includes only its own headers and the core's (agent/)" ;;
	esac
	check "$folder/ $what" test -z "$bad" || diag $bad
done

not_last=
for file in $(for f in $folders; do echo "$f"/*.c; done); do
	[ "$(sed -n 's/^#include [<"]\([^">]*\)[">].*/\1/p' "$file" | tail -1)" = banned.h ] ||
		not_last="$not_last $file"
done
check "every C file of the source folders includes banned.h, after every other header" \
	test -z "$not_last" || diag "banned.h missing or not last:$not_last"
banned=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strncpy|gets)[[:space:]]*\(' \
	$(for f in $folders; do echo "$f"/*.[ch]; done) | grep -v '^agent/banned\.h:' || true)
check "no source file calls strcpy, strcat, sprintf, vsprintf, strncpy or gets" test -z "$banned" ||
	diag "$banned"
done_testing
