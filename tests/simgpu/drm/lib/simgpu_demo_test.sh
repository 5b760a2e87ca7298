#!/bin/sh
# SPDX-License-Identifier: MIT
# simgpu-demo under "udrm run --capture" with the default configuration:
# it must exit 0, say what it did, and leave on vkms's display the
# Mandelbrot picture simgpu rendered, pixel for pixel.
# usage: simgpu_demo_test.sh UDRM SIMGPU_DEMO PNG_CHECK
set -u
UDRM=$1
DEMO=$2
PNG_CHECK=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/udrm-simgpu-demo.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

env -u UDRM_CONFIG "$UDRM" run --capture "$tmp/demo.png" -- "$DEMO" \
	> "$tmp/out" 2>&1
status=$?
cat "$tmp/out"
if [ $status -ne 0 ]; then
	echo "FAIL: simgpu-demo exited with status $status, expected 0" >&2
	exit 1
fi
for want in '^simgpu: [0-9]+ cores' '^simgpu: rendered 1024x768' \
	'^vkms: showing fb [0-9]+ .*1024x768'; do
	grep -Eq -- "$want" "$tmp/out" ||
		{ echo "FAIL: no line matching '$want' in the output" >&2; exit 1; }
done
[ -f "$tmp/demo.png" ] ||
	{ echo "FAIL: udrm run --capture wrote no $tmp/demo.png" >&2; exit 1; }
"$PNG_CHECK" "$tmp/demo.png" 1024 768
