#!/usr/bin/env bash
# make check-long: the Linux user-space tests (tests/userspace.sh) with the
# full 100 MiB over TCP between two guests on a LAN, which make check's
# nested host shortens to 4 MiB (every instruction of both guests is
# emulated there, ~0.4 MB/s).  CI runs it after make check.  On a host with
# VMX/SVM it runs directly.  Closes with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/lguest-long.XXXXXX)
trap 'rm -rf "$T"' EXIT
if [ -d /sys/module/kvm_pvm ]; then
	NET_MIB=100 NESTED_LIMIT=1500 tests/nested.sh build >"$T/out" 2>&1
else
	NET_MIB=100 tests/userspace.sh build/lguest build/nested >"$T/out" 2>&1
fi
grep -E '^(ok|FAIL) |^     |^nested: ' "$T/out"
pass=$(grep -c '^ok ' "$T/out") fail=$(grep -c '^FAIL ' "$T/out")
if [ -d /sys/module/kvm_pvm ] && ! grep -q '^nested: done' "$T/out"; then
	echo "FAIL the nested host ran every test to the end"; tail -5 "$T/out"; fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
