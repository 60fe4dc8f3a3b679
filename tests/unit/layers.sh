#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
# layers.sh: TAP test that includes point down only (docs/DESIGN.md
# §Layers): store/ includes store/, resolver/ includes resolver/ and
# store/, src/ and bench/ include those and src/, and only tests include
# tests/lib/.  The per-layer include paths of Makefile.am already make
# such an include fail to compile, except one that names a path
# ("../src/log.h", "src/log.h"), which a compiler resolves from the
# including file's directory: this test refuses every quoted include
# with a "/" outside tests, and checks each header name against the
# layers.  Then it plants a violation in a scratch tree and checks that
# it is caught, so the test can fail.
#
# usage: layers.sh [TOP]   (default: $MTASTS_SRCDIR, else the checkout)
set -u

# The directories each source directory may include from.
allowed() {
	case "$1" in
	store)		echo "store" ;;
	resolver)	echo "resolver store" ;;
	src|bench)	echo "src resolver store" ;;
	tests/*)	echo "tests/lib src resolver store" ;;
	*)		echo "" ;;
	esac
}

# check ROOT: print one line per violation; exit status 1 if any.
check() {
	root=$1 bad=0
	for dir in store resolver src bench tests/unit tests/fuzz \
	    tests/integ tests/lib; do
		ok=$(allowed "$dir")
		for f in "$root/$dir"/*.[ch]; do
			[ -f "$f" ] || continue
			# '#  include' and '#include' alike; quoted names only.
			sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' \
			    "$f" >"$scratch/inc"
			while read -r name; do
				[ "$name" = config.h ] && continue
				case "$name" in
				*/*)
					case "$dir" in
					tests/*) continue ;;
					esac
					echo "$dir/${f##*/}: \"$name\": a path, not a header of an allowed layer"
					bad=1
					continue ;;
				esac
				found=""
				for d in store resolver src tests/lib; do
					[ -f "$root/$d/$name" ] && found=$d && break
				done
				if [ -z "$found" ]; then
					echo "$dir/${f##*/}: \"$name\": no such header in any layer"
					bad=1
					continue
				fi
				case " $ok " in
				*" $found "*) ;;
				*)	echo "$dir/${f##*/}: \"$name\" is in $found/, above $dir/"
					bad=1 ;;
				esac
			done <"$scratch/inc"
		done
	done
	return $bad
}

top=${1:-${MTASTS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}}
scratch=$(mktemp -d) || exit 99
trap 'rm -rf "$scratch"' EXIT

echo "1..3"
if out=$(check "$top"); then
	echo "ok 1 - every include of $top points down"
else
	echo "not ok 1 - includes that point up:"
	echo "$out" | sed 's/^/# /'
fi

# A scratch tree with one header per layer and planted violations.
t="$scratch/tree"
mkdir -p "$t/store" "$t/resolver" "$t/src" "$t/tests/lib"
: >"$t/store/low.h"; : >"$t/resolver/mid.h"; : >"$t/src/high.h"
: >"$t/tests/lib/tap.h"
printf '#include "low.h"\n' >"$t/resolver/ok.c"
printf '#include "mid.h"\n#include "low.h"\n' >"$t/src/ok.c"
if check "$t" >"$scratch/out"; then
	echo "ok 2 - a tree without violations passes"
else
	echo "not ok 2 - a tree without violations fails:"
	sed 's/^/# /' "$scratch/out"
fi
printf '#include "high.h"\n' >"$t/resolver/up.c"
printf '#  include "../src/high.h"\n' >"$t/store/path.c"
printf '#include "tap.h"\n' >"$t/src/test.c"
check "$t" >"$scratch/out"
if [ "$(wc -l <"$scratch/out")" -eq 3 ] &&
    grep -q 'resolver/up.c: "high.h" is in src/' "$scratch/out" &&
    grep -q 'store/path.c: "../src/high.h": a path' "$scratch/out" &&
    grep -q 'src/test.c: "tap.h" is in tests/lib/' "$scratch/out"; then
	echo "ok 3 - planted violations are each reported"
else
	echo "not ok 3 - planted violations, got:"
	sed 's/^/# /' "$scratch/out"
fi
