#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs COMMAND and checks that it exits 0 and that its output (stdout and
# stderr together) matches every extended regular expression PATTERN.
#   expect_output.sh PATTERN... -- COMMAND [ARGS...]
set -u
patterns=""
count=0
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	count=$((count + 1))
	eval "pattern_$count=\$1"
	shift
done
if [ $# -eq 0 ]; then
	echo "usage: expect_output.sh PATTERN... -- COMMAND [ARGS...]" >&2
	exit 2
fi
shift
out=$("$@" 2>&1)
status=$?
printf '%s\n' "$out"
failed=0
if [ $status -ne 0 ]; then
	echo "FAIL: expected '$*' to exit 0, it exited $status" >&2
	failed=1
fi
i=1
while [ $i -le $count ]; do
	eval "pattern=\$pattern_$i"
	if ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
		echo "FAIL: expected the output of '$*' to match: $pattern" >&2
		failed=1
	fi
	i=$((i + 1))
done
exit $failed
