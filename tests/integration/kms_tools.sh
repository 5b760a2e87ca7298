#!/bin/sh
# SPDX-License-Identifier: MIT
# libdrm's KMS tools, unmodified, on vkms under "udrm run": each check reads
# what the tool printed and, where it displays something, the picture
# "udrm run --capture" took of the screen.
# usage: kms_tools.sh UDRM PNG_CHECK CHECK [MODE]
#   CHECK: modetest-list | modetest-setmode | modetest-overlay |
#          modetest-vsync | modetest-atomic | proptest | vbltest
#   MODE: --server (the default) or --in-process
set -u
UDRM=$1
PNG_CHECK=$2
CHECK=$3
MODE=${4:---server}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/udrm-kms-tools.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect FILE REGEX WHAT: FILE must contain a line matching REGEX.
expect() {
	grep -Eq -- "$2" "$1" || fail "$3 (no line matching '$2' in the output)"
}

run() {
	"$UDRM" run "$MODE" "$@"
}

# The ids modetest lists: the first connector, CRTC and the planes of
# each type ("type" property: 0 overlay, 1 primary, 2 cursor).
run -- modetest -M vkms < /dev/null > "$tmp/list" 2>&1
conn=$(awk '/^Connectors:/ { on = 1; next }
	    on && $1 ~ /^[0-9]+$/ { print $1; exit }' "$tmp/list")
crtc=$(awk '/^CRTCs:/ { on = 1; next }
	    on && $1 ~ /^[0-9]+$/ { print $1; exit }' "$tmp/list")
plane_of_type() {
	awk -v want="$1" '
		/^Planes:/ { on = 1; next }
		/^Frame buffers:/ { on = 0 }
		on && $1 ~ /^[0-9]+$/ && NF >= 6 { plane = $1 }
		on && / type:$/ { intype = 1; next }
		on && intype && /value:/ { if ($2 == want) { print plane; exit }
					   intype = 0 }' "$tmp/list"
}
primary=$(plane_of_type 1)
overlay=$(plane_of_type 0)
if [ -z "$conn" ] || [ -z "$crtc" ] || [ -z "$primary" ] ||
	[ -z "$overlay" ]; then
	cat "$tmp/list" >&2
	echo "FAIL: modetest's listing lacks a connector, CRTC, primary or" \
		"overlay plane (got '$conn' '$crtc' '$primary' '$overlay')" >&2
	exit 1
fi

# The colour bars of modetest's SMPTE pattern at 1024x768: the seven top
# bars, 146 pixels wide, in 75 % grey, yellow, cyan, green, magenta, red
# and blue.
bars_ok() {
	set -- $("$PNG_CHECK" "$1" 70 10 220 10 365 10 510 10 660 10 800 10 \
		950 10) || { fail "$1 is not a readable PNG"; return; }
	[ "$1 $2" = "1024 768" ] || fail "capture is ${1}x$2, expected 1024x768"
	[ "$3" -ge 8 ] || fail "capture has $3 colours, expected the pattern"
	shift 3
	[ "$*" = "c0c0c0 c0c000 00c0c0 00c000 c000c0 c00000 0000c0" ] ||
		fail "top bars are '$*', expected the SMPTE colours" \
			"c0c0c0 c0c000 00c0c0 00c000 c000c0 c00000 0000c0"
}

# freq_ok FILE: modetest/vbltest print "freq: <Hz>Hz" every 60 frames.
freq_ok() {
	expect "$1" '^freq: [0-9.]+Hz' "$2 reports a frame rate"
	awk '/^freq: / { sub(/Hz/, "", $2); n++
			 if ($2 < 55 || $2 > 65) bad++ }
	     END { exit !(n > 0 && !bad) }' "$1" ||
		fail "$2: every rate should be 60 Hz within 5 Hz: $(grep freq "$1")"
}

case $CHECK in
modetest-list)
	f=$tmp/list
	for section in Encoders Connectors CRTCs Planes 'Frame buffers'; do
		expect "$f" "^$section:" "modetest lists $section"
	done
	expect "$f" "^$conn[[:space:]]+[0-9]+[[:space:]]+connected[[:space:]]+Virtual-1" \
		"the Virtual-1 connector is connected"
	expect "$f" '#0 1024x768 60.00 1024 1048 1184 1344 768 771 777 806 65000 .*preferred' \
		"1024x768 is the preferred mode, first"
	expect "$f" '#[0-9]+ 4096x2160 ' "the largest DMT mode is offered"
	# Atomic-only properties stay hidden from a legacy client, as in
	# the kernel; modetest -a is an atomic client and sees them.
	for prop in DPMS link-status GAMMA_LUT GAMMA_LUT_SIZE IN_FORMATS \
		rotation alpha 'pixel blend mode' zpos COLOR_ENCODING \
		COLOR_RANGE type; do
		expect "$f" "^[[:space:]]+[0-9]+ $prop:" "property $prop is listed"
	done
	for prop in CRTC_ID ACTIVE MODE_ID OUT_FENCE_PTR FB_ID SRC_X CRTC_W \
		IN_FENCE_FD; do
		grep -Eq "^[[:space:]]+[0-9]+ $prop:" "$f" &&
			fail "atomic property $prop shown to a legacy client"
	done
	run -- modetest -M vkms -a < /dev/null > "$tmp/alist" 2>&1 ||
		fail "modetest -a (listing) failed"
	for prop in CRTC_ID ACTIVE MODE_ID OUT_FENCE_PTR FB_ID SRC_X CRTC_W \
		IN_FENCE_FD; do
		expect "$tmp/alist" "^[[:space:]]+[0-9]+ $prop:" \
			"atomic property $prop is listed to an atomic client"
	done
	expect "$f" 'formats: .*XR24.*NV12.*P010.*R8' "planes list the vkms formats"
	;;
modetest-setmode)
	# stdin at end of file: modetest shows the mode, then cleans up.
	run --capture "$tmp/s.png" -- modetest -M vkms -s "$conn@$crtc:1024x768" \
		< /dev/null > "$tmp/out" 2>&1 || fail "modetest -s failed"
	cat "$tmp/out"
	expect "$tmp/out" "setting mode 1024x768-60.00Hz.*crtc $crtc" \
		"modetest sets the mode"
	bars_ok "$tmp/s.png"
	;;
modetest-overlay)
	run --capture "$tmp/p.png" -- modetest -M vkms \
		-s "$conn@$crtc:1024x768" -P "$overlay@$crtc:300x200+100+100" \
		< /dev/null > "$tmp/out" 2>&1 || fail "modetest -P failed"
	cat "$tmp/out"
	expect "$tmp/out" "testing 300x200@XR24 overlay plane $overlay" \
		"modetest sets the overlay"
	bars_ok "$tmp/p.png"
	# Inside the overlay: its own (dark blue) pattern over the grey and
	# yellow bars; just outside: the bars.
	set -- $("$PNG_CHECK" "$tmp/p.png" 101 101 398 298 99 99 400 300 \
		250 150)
	[ "$4" != c0c0c0 ] || fail "overlay's top-left pixel shows the bar"
	[ "$5" != c0c000 ] || fail "overlay's bottom-right pixel shows the bar"
	[ "$6" = c0c0c0 ] || fail "left of/above the overlay is $6, not the bar"
	[ "$7" = 00c0c0 ] || fail "right of/below the overlay is $7, not the bar"
	[ "$8" != 00c0c0 ] || fail "overlay's middle shows the cyan bar"
	;;
modetest-vsync)
	# -v flips until stdin has input; the pipe gives EOF after 6 s, so
	# at least one "freq:" report (every 5 s) comes.
	(sleep 6) | run -- modetest -M vkms -s "$conn@$crtc:1024x768" -v \
		> "$tmp/out" 2>&1 || fail "modetest -v failed"
	cat "$tmp/out"
	freq_ok "$tmp/out" "modetest -v"
	if grep -q 'select timed out' "$tmp/out"; then
		fail "a page-flip event never came"
	fi
	;;
modetest-atomic)
	# modetest's atomic path needs a mode and a plane. Without -v it
	# commits them, waits for a key and tears down.
	run --capture "$tmp/a.png" -- modetest -M vkms -a \
		-s "$conn@$crtc:1024x768" -P "$primary@$crtc:1024x768" \
		< /dev/null > "$tmp/out" 2>&1 || fail "modetest -a failed"
	cat "$tmp/out"
	expect "$tmp/out" "setting mode 1024x768-60.00Hz on connectors $conn, crtc $crtc" \
		"modetest -a sets the mode"
	bars_ok "$tmp/a.png"
	# With -v it flips with blocking atomic commits forever (libdrm's
	# atomic_test_page_flip never reads stdin): stop it after 5 s and
	# look at every 30th frame the display showed meanwhile.
	mkdir "$tmp/frames"
	timeout 5 "$UDRM" run "$MODE" --capture-every 30 "$tmp/frames" -- modetest \
		-M vkms -a -s "$conn@$crtc:1024x768" \
		-P "$primary@$crtc:1024x768" -v < /dev/null > "$tmp/out" 2>&1
	status=$?
	[ $status -eq 124 ] ||
		fail "modetest -a -v ended with $status before the time-out"
	cat "$tmp/out"
	freq_ok "$tmp/out" "modetest -a -v"
	# (a PNG being written when modetest was killed is a *.tmp.* file)
	last=$(ls "$tmp/frames" | grep '\.png$' | tail -n 1)
	if [ -z "$last" ]; then
		fail "--capture-every wrote no frame of modetest -a -v"
	else
		echo "frames captured: $(ls "$tmp/frames" | grep -c '\.png$')"
		bars_ok "$tmp/frames/$last"
	fi
	;;
proptest)
	run -- proptest -M vkms > "$tmp/props" 2>&1 || fail "proptest failed"
	cat "$tmp/props"
	expect "$tmp/props" "^Connector $conn \\(Virtual-1\\)" \
		"proptest lists the connector"
	expect "$tmp/props" "^CRTC $crtc" "proptest lists the CRTC"
	dpms=$(awk '/^Connector / { c = $2 } c && / DPMS:$/ { print $1; exit }' \
		"$tmp/props")
	vrr=$(awk '/^CRTC / { c = $2 } c && / VRR_ENABLED:$/ { print $1; exit }' \
		"$tmp/props")
	[ -n "$dpms" ] && [ -n "$vrr" ] ||
		fail "no DPMS or VRR_ENABLED property id in the listing"
	run -- proptest -M vkms "$conn" connector "$dpms" 0 ||
		fail "proptest could not set DPMS On"
	run -- proptest -M vkms "$crtc" crtc "$vrr" 1 ||
		fail "proptest could not set VRR_ENABLED"
	# Out of the property's range: the kernel's EINVAL.
	run -- proptest -M vkms "$crtc" crtc "$vrr" 5 > /dev/null 2>&1 &&
		fail "proptest set VRR_ENABLED to 5 (range 0..1)"
	;;
vbltest)
	# vbltest waits for vblanks on the first CRTC, which must be lit: as
	# on a kernel with fbdev emulation, the console's mode.
	printf '[device]\ndriver = vkms\nfbdev = true\n' > "$tmp/fbdev.conf"
	(sleep 3) | run --config "$tmp/fbdev.conf" -- vbltest -M vkms \
		> "$tmp/out" 2>&1 || fail "vbltest failed"
	cat "$tmp/out"
	freq_ok "$tmp/out" vbltest
	;;
*)
	echo "kms_tools.sh: unknown check '$CHECK'" >&2
	exit 2
	;;
esac
[ $failures -eq 0 ] || exit 1
echo "ok: $CHECK"
