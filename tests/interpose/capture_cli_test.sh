#!/bin/sh
# SPDX-License-Identifier: MIT
# "udrm run --capture FILE" and "--capture-every N DIR": option parsing,
# usage errors (exit status 2 with a clear message) and the environment the
# preload library reads (UDRM_CAPTURE, UDRM_CAPTURE_EVERY, UDRM_CAPTURE_DIR).
# usage: capture_cli_test.sh UDRM
set -u
UDRM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/udrm-capture-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# usage_error WHAT MESSAGE-REGEX ARGS...: exit status 2 and the message.
usage_error() {
	what=$1
	want=$2
	shift 2
	"$UDRM" run "$@" > "$tmp/out" 2> "$tmp/err"
	status=$?
	[ $status -eq 2 ] || fail "$what: exit status $status, expected 2"
	grep -q -e "$want" "$tmp/err" ||
		fail "$what: message \"$(cat "$tmp/err")\", expected /$want/"
	[ ! -s "$tmp/out" ] || fail "$what: the program ran"
}

usage_error "--capture-every 0" 'frame count must be a positive integer, not "0"' \
	--capture-every 0 "$tmp/d" -- echo ran
usage_error "--capture-every -3" 'positive integer, not "-3"' \
	--capture-every -3 "$tmp/d" -- echo ran
usage_error "--capture-every abc" 'positive integer, not "abc"' \
	--capture-every abc "$tmp/d" -- echo ran
usage_error "--capture-every 5x" 'positive integer, not "5x"' \
	--capture-every 5x "$tmp/d" -- echo ran
usage_error "--capture-every without DIR" 'needs a directory' \
	--capture-every 3 -- echo ran
usage_error "--capture-every at the end" 'needs a frame count and a directory' \
	--capture-every 3
usage_error "--capture without FILE" '--capture needs a file name' --capture
usage_error "--capture= empty" '--capture needs a file name' --capture= -- echo ran
: > "$tmp/plain"
usage_error "--capture-every onto a file" 'is not a directory' \
	--capture-every 2 "$tmp/plain" -- echo ran
[ -d "$tmp/d" ] && fail "a refused --capture-every made its directory"

"$UDRM" info --capture "$tmp/x.png" > /dev/null 2>&1
[ $? -eq 2 ] || fail "udrm info accepts --capture"

"$UDRM" help | grep -q -- "--capture-every N DIR" ||
	fail "udrm help does not describe --capture-every"

# Relative names become absolute; DIR is made; the options reach the
# program's environment (the preload library reads them there).
(cd "$tmp" && "$UDRM" run --capture shot.png --capture-every 7 frames -- \
	sh -c 'echo "$UDRM_CAPTURE"; echo "$UDRM_CAPTURE_EVERY"; echo "$UDRM_CAPTURE_DIR"') \
	> "$tmp/out" 2> "$tmp/err"
status=$?
[ $status -eq 0 ] || fail "run with capture options: exit status $status ($(cat "$tmp/err"))"
real=$(cd "$tmp" && pwd -P)
[ "$(sed -n 1p "$tmp/out")" = "$tmp/shot.png" ] ||
	fail "UDRM_CAPTURE is \"$(sed -n 1p "$tmp/out")\", expected $tmp/shot.png"
[ "$(sed -n 2p "$tmp/out")" = 7 ] ||
	fail "UDRM_CAPTURE_EVERY is \"$(sed -n 2p "$tmp/out")\", expected 7"
[ "$(sed -n 3p "$tmp/out")" = "$real/frames" ] ||
	fail "UDRM_CAPTURE_DIR is \"$(sed -n 3p "$tmp/out")\", expected $real/frames"
[ -d "$tmp/frames" ] || fail "--capture-every did not make its directory"
# A program that shows nothing leaves no file, and udrm says so.
grep -q "showed no frame, shot.png not written" "$tmp/err" ||
	fail "no message for a capture without frames: \"$(cat "$tmp/err")\""
[ ! -e "$tmp/shot.png" ] || fail "a program without frames wrote shot.png"

# --capture= form; the program's exit status is kept.
"$UDRM" run --capture="$tmp/y.png" -- sh -c 'exit 5' 2> /dev/null
status=$?
[ $status -eq 5 ] || fail "exit status with --capture: $status, expected 5"

# Without the options the environment carries none.
UDRM_CAPTURE=stale "$UDRM" run -- sh -c 'echo "${UDRM_CAPTURE-unset}"' > "$tmp/out"
[ "$(cat "$tmp/out")" = unset ] ||
	fail "a stale UDRM_CAPTURE reached the program: $(cat "$tmp/out")"

if [ $failures -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "all capture CLI checks passed"
