#!/bin/sh
# Runs the fence conformance tests (suite "sync") under ThreadSanitizer and
# under AddressSanitizer + UndefinedBehaviorSanitizer, in build directories
# of their own (default: the source tree's build-tsan/ and build-asan/).
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$src}

run() {
	dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		CC=${CC:-clang} meson setup "$dir" "$src" -Db_lundef=false "$@"
	fi
	meson test -C "$dir" --suite sync --print-errorlogs
}

TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
	run "$out/build-tsan" -Db_sanitize=thread
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	run "$out/build-asan" -Db_sanitize=address,undefined
