#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
# tests/check.sh [--sanitizers | --demo]: install what the suite
# needs, build from scratch in a separate build directory and run
# "make check".  This is the README's test command; .ci/run runs it
# twice (plain and with ASan+UBSan).  automake's test-suite.log ends up
# in the build directory (_build or _build-san).  --demo builds without
# testing and runs tests/demo.py instead (the README's first command).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/_build" opts="" target=check
case "${1:-}" in
--sanitizers)	build="$top/_build-san" opts="--enable-sanitizers" ;;
--demo)		target=demo ;;
"")		;;
*)		echo "usage: tests/check.sh [--sanitizers | --demo]" >&2; exit 2 ;;
esac
"$top/tests/deps.sh"
(cd "$top" && ./autogen.sh)
rm -rf "$build"
mkdir -p "$build"
cd "$build"
# shellcheck disable=SC2086
"$top/configure" --enable-werror $opts
make -j"$(nproc)"
if [ "$target" = demo ]; then
	MTASTS_BUILDDIR="$build" exec /usr/bin/python3 "$top/tests/demo.py"
fi
make -j"$(nproc)" check
