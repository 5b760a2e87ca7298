#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: installs what is needed, builds udrm (in build/) and runs an
# unmodified KMS program on the virtual display. libdrm's modetest finds the
# vkms connector and CRTC, sets the preferred 1024x768 mode with its test
# pattern, and "udrm run --capture" writes what the display showed to
# demo.png (or the file given as the first argument).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/demo.png}
cd "$root"

scripts/setup.sh
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build
udrm=build/src/tools/udrm/udrm

echo
echo "=== udrm run -- modetest -M vkms -c   (the connectors)"
"$udrm" run -- modetest -M vkms -c < /dev/null | sed -n '1,3p'
conn=$("$udrm" run -- modetest -M vkms -c < /dev/null |
	awk '/^Connectors:/ { on = 1; next }
	     on && $1 ~ /^[0-9]+$/ { print $1; exit }')

echo
echo "=== udrm run --capture $out -- modetest -M vkms -s $conn:1024x768"
# modetest shows the mode until a key is pressed: stdin at end of file.
"$udrm" run --capture "$out" -- modetest -M vkms -s "$conn:1024x768" \
	< /dev/null
echo
echo "The display showed: $out"
