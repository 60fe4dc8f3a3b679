#!/bin/sh
# tests/check.sh [--sanitizers]: install what the suite needs, build
# from scratch in a separate build directory and run "make check".
# This is the README's test command; .ci/run runs it twice (plain and
# with ASan+UBSan).  automake's test-suite.log ends up in the build
# directory (_build or _build-san).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/_build" opts=""
if [ "${1:-}" = "--sanitizers" ]; then
	build="$top/_build-san" opts="--enable-sanitizers"
fi
"$top/tests/deps.sh"
(cd "$top" && ./autogen.sh)
rm -rf "$build"
mkdir -p "$build"
cd "$build"
# shellcheck disable=SC2086
"$top/configure" --enable-werror $opts
make -j"$(nproc)"
make -j"$(nproc)" check
