#!/bin/sh
# SPDX-License-Identifier: MIT
# "udrm run --capture" end to end: modetest sets a 1024x768 mode on vkms
# and shows its test pattern; when it exits the PNG must exist, have the
# mode's size and show more than one colour.
# usage: capture_modetest.sh UDRM MODETEST PNG_CHECK
set -u
UDRM=$1
MODETEST=$2
PNG_CHECK=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/udrm-capture.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# The first connector's id, from modetest's own listing.
conn=$("$UDRM" run -- "$MODETEST" -M vkms -c < /dev/null 2> "$tmp/err" |
	awk '/^Connectors:/ { on = 1; next }
	     on && $1 ~ /^[0-9]+$/ { print $1; exit }')
if [ -z "$conn" ]; then
	echo "FAIL: modetest lists no vkms connector: $(cat "$tmp/err")" >&2
	exit 1
fi

# modetest -s waits for a key: stdin from /dev/null makes it exit at once.
"$UDRM" run --capture "$tmp/x.png" -- \
	"$MODETEST" -M vkms -s "$conn:1024x768" < /dev/null > "$tmp/out" 2>&1
status=$?
if [ $status -ne 0 ]; then
	echo "FAIL: modetest exited with $status:" >&2
	cat "$tmp/out" >&2
	exit 1
fi
if [ ! -f "$tmp/x.png" ]; then
	echo "FAIL: no capture written; modetest said:" >&2
	cat "$tmp/out" >&2
	exit 1
fi
set -- $("$PNG_CHECK" "$tmp/x.png") || exit 1
if [ "$1" != 1024 ] || [ "$2" != 768 ]; then
	echo "FAIL: capture is ${1}x$2, expected 1024x768" >&2
	exit 1
fi
if [ "$3" -lt 2 ]; then
	echo "FAIL: capture is one uniform colour, expected modetest's pattern" >&2
	exit 1
fi
echo "capture: $1x$2, $3 colours"
