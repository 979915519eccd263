#!/usr/bin/env bash
# make check-long: what make check leaves out for time, run by CI after it.
#  - The Linux kernel-alone boots of the network and of lguest stop
#    (tests/run.sh --long: DHCP from libslirp, a LAN and TAP ping to the
#    kernel, Ctrl-Alt-Del through the i8042): each is ~30 s of a core on a
#    kvm-pvm host, where make check has room for three.
#  - The Linux user-space tests (tests/userspace.sh) with the full 100 MiB
#    over TCP between two guests on a LAN, which make check's nested host
#    shortens to 4 MiB (every instruction of both guests is emulated there,
#    ~0.4 MB/s).  On a host with VMX/SVM they run directly.
# Closes with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/lguest-long.XXXXXX)
trap 'rm -rf "$T"' EXIT
tests/run.sh --long build >"$T/linux" 2>&1       # (alone: four kernels on two cores)
if [ -d /sys/module/kvm_pvm ]; then
	NET_MIB=100 NESTED_LIMIT=1500 tests/nested.sh build >"$T/out" 2>&1
else
	NET_MIB=100 tests/userspace.sh build/lguest build/nested >"$T/out" 2>&1
fi
grep -E '^(ok|FAIL)|^     ' "$T/linux"
grep -E '^(ok|FAIL) |^     |^nested: ' "$T/out"
pass=$(cat "$T/linux" "$T/out" | grep -c '^ok ') fail=$(cat "$T/linux" "$T/out" | grep -c '^FAIL ')
if [ -d /sys/module/kvm_pvm ] && ! grep -q '^nested: done' "$T/out"; then
	echo "FAIL the nested host ran every test to the end"; tail -5 "$T/out"; fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
