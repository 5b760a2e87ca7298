#!/bin/sh
# SPDX-License-Identifier: MIT
# The udrm command line: exit statuses, messages, environment and signal
# forwarding of "udrm run", "udrm info" and its mode, "udrm serve" and
# "udrm run --connect".
# usage: cli_test.sh UDRM
set -u
# Absolute: some checks run from another directory.
UDRM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/udrm-cli-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect_status WHAT EXPECTED ACTUAL
expect_status() {
	[ "$3" -eq "$2" ] || fail "$1: exit status $3, expected $2"
}

"$UDRM" help > "$tmp/out" 2>&1
expect_status "udrm help" 0 $?
grep -q "usage: udrm run" "$tmp/out" || fail "udrm help does not print usage"

"$UDRM" bogus > /dev/null 2>&1
expect_status "udrm bogus" 2 $?

"$UDRM" info > "$tmp/out" 2>&1
expect_status "udrm info" 0 $?
for want in "device 0: vkms" "card0 (226:0)" "renderD128 (226:128)" \
	"bus id: vgem" "device 2: simgpu" "card2 (226:2)" \
	"renderD129 (226:129)" "privileged: no" "version: "; do
	grep -qF "$want" "$tmp/out" || fail "udrm info lacks \"$want\""
done

"$UDRM" run -- sh -c 'exit 7'
expect_status "program exiting 7" 7 $?

"$UDRM" run -- sh -c 'kill -TERM $$'
expect_status "program killed by SIGTERM" 143 $?

"$UDRM" run -- "$tmp/no-such-program" 2> "$tmp/err"
expect_status "missing program" 127 $?
grep -q "udrm: cannot run $tmp/no-such-program" "$tmp/err" ||
	fail "no clear message for a missing program: $(cat "$tmp/err")"

printf '[device]\ndriver = vkms\nthis is not a key\n' > "$tmp/bad.conf"
"$UDRM" run --config "$tmp/bad.conf" -- true 2> "$tmp/err"
expect_status "bad configuration" 2 $?
grep -q "^udrm: $tmp/bad.conf: line 3: " "$tmp/err" ||
	fail "bad configuration message is \"$(cat "$tmp/err")\", expected \"udrm: FILE: line 3: ...\""

"$UDRM" run --config "$tmp/missing.conf" -- true 2> /dev/null
expect_status "missing configuration" 2 $?

# The configuration path is made absolute; LD_PRELOAD is prepended to.
printf '[device]\ndriver = vgem\n' > "$tmp/vgem.conf"
(cd "$tmp" && LD_PRELOAD= "$UDRM" run --config vgem.conf -- \
	sh -c 'echo "$UDRM_CONFIG"; echo "$LD_PRELOAD"') > "$tmp/out" 2>&1
expect_status "run with a relative config" 0 $?
[ "$(sed -n 1p "$tmp/out")" = "$tmp/vgem.conf" ] ||
	fail "UDRM_CONFIG is \"$(sed -n 1p "$tmp/out")\", expected $tmp/vgem.conf"
case "$(sed -n 2p "$tmp/out")" in
*libudrm-preload.so) ;;
*) fail "LD_PRELOAD is \"$(sed -n 2p "$tmp/out")\", expected the preload library" ;;
esac

# Signals sent to udrm reach the program.
"$UDRM" run -- sh -c 'trap "exit 42" USR1; kill -USR1 $PPID; i=0;
	while [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; exit 1'
expect_status "SIGUSR1 forwarded" 42 $?

# The program sees the configured devices only.
"$UDRM" run --config "$tmp/vgem.conf" -- sh -c \
	'test -e /dev/dri/card0 && test -e /dev/dri/renderD128 && ! test -e /dev/dri/card1'
expect_status "devices of the configuration" 0 $?

# Trees live under a directory udrm removes when the program ends (a private
# TMPDIR, so that concurrent runs do not disturb the count).
mkdir "$tmp/rt"
TMPDIR="$tmp/rt" "$UDRM" run -- sh -c 'test -d "$UDRM_TMPDIR" && ls /dev/dri > /dev/null'
expect_status "runtime directory" 0 $?
left=$(ls -A "$tmp/rt" | wc -l)
[ "$left" -eq 0 ] || fail "udrm run left its runtime directory behind"

# The mode "udrm info" reports under each kind of run.
"$UDRM" run -- "$UDRM" info > "$tmp/out" 2>&1
grep -q "^mode: server (devices shared by every process, served at /.*/socket)$" "$tmp/out" ||
	fail "udrm info under udrm run: $(sed -n 1p "$tmp/out")"
"$UDRM" run --in-process -- "$UDRM" info > "$tmp/out" 2>&1
grep -q "^mode: in-process" "$tmp/out" ||
	fail "udrm info under --in-process: $(sed -n 1p "$tmp/out")"
"$UDRM" info > "$tmp/out" 2>&1
grep -q "^mode: none" "$tmp/out" || fail "udrm info alone: $(sed -n 1p "$tmp/out")"

# udrm serve prints its socket, serves "run --connect" programs, and at
# SIGTERM exits 0 leaving nothing behind.
mkdir "$tmp/srt"
TMPDIR="$tmp/srt" "$UDRM" serve > "$tmp/serve.out" 2> "$tmp/serve.err" &
serve=$!
i=0
while [ ! -s "$tmp/serve.out" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
sock=$(sed -n 1p "$tmp/serve.out")
[ -S "$sock" ] || fail "udrm serve printed \"$sock\", not a socket"
"$UDRM" run --connect "$sock" -- "$UDRM" info > "$tmp/out" 2>&1
expect_status "run --connect" 0 $?
grep -qF "mode: server (devices shared by every process, served at $sock)" "$tmp/out" ||
	fail "udrm info under --connect: $(sed -n 1p "$tmp/out")"
"$UDRM" run --connect "$sock" -- sh -c 'test -e /dev/dri/card0 && test -e /sys/class/drm/card0-Virtual-1/status'
expect_status "run --connect sees the server's devices" 0 $?
"$UDRM" run --connect "$sock" --capture "$tmp/x.png" -- true 2> "$tmp/err"
expect_status "--capture with --connect" 2 $?
kill -TERM $serve
wait $serve
expect_status "udrm serve stopped by SIGTERM" 0 $?
left=$(ls -A "$tmp/srt" | wc -l)
[ "$left" -eq 0 ] || fail "udrm serve left $(ls -A "$tmp/srt") behind"
"$UDRM" run --connect "$sock" -- true 2> "$tmp/err"
expect_status "run --connect to a stopped server" 127 $?
grep -q "udrm: no device server at $sock" "$tmp/err" ||
	fail "no clear message for a missing server: $(cat "$tmp/err")"

if [ $failures -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "all udrm CLI checks passed"
