#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
#
# campaign.sh: run every libFuzzer target (ASan + UBSan) for a while, one
# at a time, and report executions and coverage per target; then
# minimise what it found against the committed corpus (-merge=1, with
# -use_counters=0 so that only new edges count, not new hit counts) and
# copy the inputs that add coverage, if small, into tests/fuzz/corpus/.
#
# usage: tests/fuzz/campaign.sh [-t seconds] [-k] BUILDDIR [target...]
#   -t seconds  CPU time per target (default 1200, the 20 CPU-minutes of
#               a full campaign; one target runs at a time, one process).
#               libFuzzer's -max_total_time counts wall time, so on a busy
#               machine the target is run again, on its own new corpus,
#               until its user+system time reaches this
#   -k          keep the new corpus entries out of the source tree (only
#               report them)
#   BUILDDIR    a build configured with: CC=clang ../configure
#               --enable-fuzzers (README.md), already built
#   target      e.g. stspol; default every tests/fuzz/fuzz_*.c
# Work files go to a temporary directory, removed at the end.  Prints
# one line per target: executions, execs/s, coverage (libFuzzer's "cov"
# edges and "ft" features) of the committed corpus at the start and at
# the end, corpus entries added; cpu-s and exec/s are CPU seconds.  A crash
# stops the campaign with libFuzzer's report and the crashing input.
set -eu

secs=1200
keep=0
while getopts t:k opt; do
	case $opt in
	t) secs=$OPTARG ;;
	k) keep=1 ;;
	*) echo "usage: $0 [-t seconds] [-k] BUILDDIR [target...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-t seconds] [-k] BUILDDIR [target...]" >&2; exit 2; }
build=$1
shift
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -eq 0 ]; then
	set -- $(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
MAXLEN=4096		# largest corpus entry committed
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-campaign.XXXXXX")
trap 'rm -rf "$work"' EXIT

printf '%-10s %6s %12s %9s %13s %13s %7s\n' target cpu-s execs exec/s \
    'cov start>end' 'ft start>end' added
for t in "$@"; do
	bin="$build/tests/fuzz/fuzz_$t"
	corpus="$src/tests/fuzz/corpus/$t"
	[ -x "$bin" ] || { echo "campaign: no $bin (--enable-fuzzers?)" >&2; exit 1; }
	mkdir -p "$work/$t/new" "$work/$t/min" "$work/$t/art"
	# The new finds go to new/; the committed corpus is read only.  Each
	# run's log is kept (run.N.log): the first has the coverage of the
	# committed corpus (INITED), the last the coverage at the end.
	cpu=0 runs=0 execs=0
	while [ "$cpu" -lt "$secs" ]; do
		runs=$((runs + 1))
		log="$work/$t/run.$runs.log"
		if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
		    /usr/bin/time -f '%U %S' -o "$work/$t/time" \
		    "$bin" -max_total_time=$((secs - cpu)) -print_final_stats=1 \
		    -max_len=$MAXLEN -artifact_prefix="$work/$t/art/" \
		    "$work/$t/new" "$corpus" >"$log" 2>&1; then
			echo "campaign: $t: libFuzzer failed; its report:" >&2
			tail -40 "$log" >&2
			ls "$work/$t/art" >&2
			exit 1
		fi
		cpu=$((cpu + $(awk '{ printf "%d", $1 + $2 }' "$work/$t/time")))
		execs=$((execs + $(sed -n 's/^stat::number_of_executed_units: *//p' "$log")))
		[ $runs -lt 20 ] || break
	done
	rate=$((execs / (cpu > 0 ? cpu : 1)))	# per CPU second
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	cov0=$(grep 'INITED' "$work/$t/run.1.log" | grep -o 'cov: [0-9]*' | cut -d' ' -f2)
	ft0=$(grep 'INITED' "$work/$t/run.1.log" | grep -o 'ft: [0-9]*' | cut -d' ' -f2)
	# Inputs of new/ that add coverage to the committed corpus: min/
	# starts as the corpus and -merge=1 adds only those.
	cp "$corpus"/* "$work/$t/min/"
	"$bin" -merge=1 -use_counters=0 "$work/$t/min" "$work/$t/new" \
	    >"$work/$t/merge.log" 2>&1
	added=0
	for f in "$work/$t/min"/*; do
		[ -f "$f" ] || continue
		[ -e "$corpus/$(basename "$f")" ] && continue
		[ "$(wc -c <"$f")" -le $MAXLEN ] || continue
		added=$((added + 1))
		[ $keep -eq 1 ] || cp "$f" "$corpus/"
	done
	printf '%-10s %6s %12s %9s %13s %13s %7s\n' "$t" "$cpu" "$execs" \
	    "${rate:-?}" "${cov0:-?}>${cov:-?}" "${ft0:-?}>${ft:-?}" "$added"
done
