#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what udrm's build, tests, fuzzing and benchmarks need on Debian 12
# (as root, or through sudo). Idempotent: when everything is installed it
# only says so, without touching the network.
set -eu

# build-essential, meson, ninja-build, pkg-config: the build (gcc).
# python3: tools/fwabi (the firmware-ABI generator, standard library only)
#   and its tests; meson depends on it anyway, named here because we run it.
# clang, libclang-rt-14-dev: the sanitizer build and libFuzzer (clang 14's
#   ASan/UBSan and libFuzzer runtimes live in libclang-rt-14-dev).
# libdrm-dev: the uapi headers and libdrm for tests.
# libdrm-tests (modetest, drmdevice...), drm-info: integration tests, demo.
# libcmocka-dev: unit tests.
# libpixman-1-dev, libpng-dev, zlib1g-dev: vkms composition and captures.
packages="build-essential meson ninja-build pkg-config python3
	libdrm-dev libdrm-tests drm-info libcmocka-dev
	clang libclang-rt-14-dev
	libpixman-1-dev libpng-dev zlib1g-dev"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "setup: all build, test, fuzz and bench packages are installed"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "setup: missing packages:$missing" >&2
	echo "setup: run as root (or install sudo) to install them" >&2
	exit 1
fi

echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the list is intended
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "setup: done"
