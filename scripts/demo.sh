#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what is needed, builds udrm (in build/) and runs an unmodified
# DRM program on its virtual devices: libdrm's drmdevice lists
# /dev/dri/card0 (vkms), card1 and renderD128 (vgem) as the kernel would.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build

echo
echo "=== udrm run -- drmdevice"
build/src/tools/udrm/udrm run -- drmdevice
