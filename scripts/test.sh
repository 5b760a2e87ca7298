#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole check, as CI runs it (.ci/run):
#   (a) gcc build with -Werror, every test suite but fuzz;
#   (b) clang build with ASan+UBSan and -Werror, every suite but fuzz;
#   (c) clang libFuzzer build: replay the seeds and reproducers, then fuzz
#       for UDRM_FUZZ_SECONDS (default 60);
#   (d) gcc ThreadSanitizer build: the concurrency tests (fences, syncobj
#       threads, sync_file, reservations, vgem fences, fork/threads, the
#       interposer's fd table). gcc, because clang 14's TSan runtime does not
#       start on recent kernels' address-space layout; the bad-pointer tests
#       are left out because TSan's own SIGSEGV handling defeats the fault
#       guard, and so is the device server's test, whose client processes
#       are forked from the multi-threaded server (TSan does not support
#       threads after such a fork, and defers signal handlers).
# Every stage runs even if an earlier one failed; the summary says which
# failed and the exit status is non-zero if any did.
#
# Build directories: build-test-gcc, build-test-asan, build-test-fuzz (kept
# between runs, reconfigured each time). UDRM_SKIP_SETUP=1 skips
# scripts/setup.sh.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

fuzz_seconds=${UDRM_FUZZ_SECONDS:-60}
summary=""
failed=0

now()
{
	date +%s
}

# stage NAME COMMAND...: runs a stage, records its result and duration.
stage()
{
	name=$1
	shift
	echo
	echo "=== $name"
	start=$(now)
	if "$@"; then
		result=ok
	else
		result=FAILED
		failed=1
	fi
	summary="$summary$(printf '%-44s %-7s %4ss' "$name" "$result" \
		"$(($(now) - start))")
"
}

# configure DIR CC OPTIONS...: a fresh or reconfigured meson build dir.
configure()
{
	dir=$1
	compiler=$2
	shift 2
	if [ -f "$dir/build.ninja" ]; then
		CC=$compiler meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		CC=$compiler meson setup "$dir" "$@" >/dev/null
	fi
}

gcc_build()
{
	configure build-test-gcc gcc -Dwerror=true -Dfuzz=false &&
		ninja -C build-test-gcc &&
		meson test -C build-test-gcc --print-errorlogs --no-suite fuzz
}

asan_build()
{
	configure build-test-asan clang -Dwerror=true -Dfuzz=false \
		-Db_sanitize=address,undefined -Db_lundef=false &&
		ninja -C build-test-asan &&
		meson test -C build-test-asan --print-errorlogs --no-suite fuzz \
			--timeout-multiplier 3
}

fuzz_build()
{
	configure build-test-fuzz clang -Dwerror=true -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false &&
		ninja -C build-test-fuzz &&
		UDRM_FUZZ_SECONDS=$fuzz_seconds meson test -C build-test-fuzz \
			--print-errorlogs --suite fuzz
}

tsan_build()
{
	configure build-test-tsan gcc -Dwerror=true -Dfuzz=false -Dbench=false \
		-Db_sanitize=thread -Db_lundef=false &&
		ninja -C build-test-tsan &&
		TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
			meson test -C build-test-tsan --print-errorlogs \
			--timeout-multiplier 4 \
			sync/dma_fence sync/dma_fence_chain sync/dma_fence_array \
			sync/dma_resv sync/syncobj_threads sync/sync_file \
			core/vgem_fence core/fork_threads interpose/fdtable \
			sched/basic sched/lifetime sched/timeslice \
			kms/kms_atomic core/vfile fwabi/layouts \
			simgpu/gpu_kernels simgpu/fw simgpu/queue
}

if [ "${UDRM_SKIP_SETUP:-0}" != 1 ]; then
	stage "setup (scripts/setup.sh)" scripts/setup.sh
fi

# Sanitizer settings for (b) and (c): stop at the first report, with a
# stack. Leak checking stays on (the default on x86-64).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:print_summary=1"

stage "(a) gcc -Werror build + tests" gcc_build
stage "(b) clang ASan+UBSan build + tests" asan_build
stage "(c) clang libFuzzer build + fuzz (${fuzz_seconds}s)" fuzz_build
stage "(d) gcc ThreadSanitizer build + concurrency tests" tsan_build

echo
echo "=== summary"
printf '%s' "$summary"
if [ "$failed" -ne 0 ]; then
	echo "FAILED"
	exit 1
fi
echo "all stages passed"
