#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a libFuzzer target for a bounded time.
#   run-fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS [EXTRA_LIBFUZZER_ARGS...]
# New corpus entries go to WORK_DIR/corpus (never into the source tree) and
# crash, leak and timeout reproducers to WORK_DIR/; the seeds are read-only.
# UDRM_FUZZ_SECONDS, if set, overrides SECONDS (scripts/test.sh uses it).
# A finding exits 1: libFuzzer's own default (77) is what Meson reads as
# "skipped", which would let a crash or leak pass CI unseen.
set -eu

if [ $# -lt 4 ]; then
	echo "usage: $0 FUZZER SEED_DIR WORK_DIR SECONDS [ARGS...]" >&2
	exit 2
fi
fuzzer=$1
seeds=$2
work=$3
seconds=${UDRM_FUZZ_SECONDS:-$4}
shift 4

mkdir -p "$work/corpus"
exec "$fuzzer" \
	-max_total_time="$seconds" \
	-timeout=20 \
	-error_exitcode=1 \
	-timeout_exitcode=1 \
	-rss_limit_mb=2048 \
	-max_len=4096 \
	-print_final_stats=1 \
	-artifact_prefix="$work/" \
	"$@" \
	"$work/corpus" "$seeds"
