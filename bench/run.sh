#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the benchmarks under "udrm run" and prints a Markdown table of the
# figures next to their same-run baselines, ready to paste in README.md.
#
#   bench/run.sh [BUILD_DIR] [REPETITIONS]     (or: ninja -C BUILD_DIR bench)
#
# The raw output of every benchmark goes to stderr; the table to stdout.
set -eu

build=${1:-build}
reps=${2:-11}
udrm=$build/src/tools/udrm/udrm

if [ ! -x "$udrm" ]; then
	echo "run.sh: $udrm not found; build first (ninja -C $build)" >&2
	exit 1
fi

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT INT TERM

found=0
# Every benchmark the build made (bench/bench-*), in name order.
for exe in "$build"/bench/bench-*; do
	if [ ! -f "$exe" ] || [ ! -x "$exe" ]; then
		continue
	fi
	found=1
	b=$(basename "$exe")
	# Every benchmark in-process; the interposer's round trips also
	# through the device server (bench-server measures it apart).
	modes=--in-process
	case $b in
	bench-getcap | bench-dumb) modes="--in-process --server" ;;
	esac
	for mode in $modes; do
		echo "== $b ($mode)" >&2
		out=$("$udrm" run "$mode" -- "$exe" "$reps") || {
			printf '%s\n' "$out" >&2
			echo "run.sh: $b failed" >&2
			exit 1
		}
		printf '%s\n' "$out" | grep -v '^|' >&2
		printf '%s\n' "$out" | grep '^|' >>"$rows" || true
	done
done

if [ "$found" -eq 0 ]; then
	echo "run.sh: no benchmarks in $build/bench; build first" >&2
	exit 1
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "Median of $reps repetitions; each baseline measured in the same run."
echo "${cpu:-unknown CPU}, $(nproc) CPUs, Linux $(uname -r)."
echo
echo "| Benchmark | udrm | Baseline | udrm cost vs baseline |"
echo "|---|---|---|---|"
cat "$rows"
