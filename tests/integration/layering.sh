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
# checked: no C file of the source folders uses a function that
# agent/banned.h bans, whatever the build does with it.
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

banned=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strncpy|gets)[[:space:]]*\(' \
	$(for f in $folders; do echo "$f"/*.[ch]; done) | grep -v '^agent/banned\.h:' || true)
check "no source file calls strcpy, strcat, sprintf, vsprintf, strncpy or gets" test -z "$banned" ||
	diag "$banned"
done_testing
