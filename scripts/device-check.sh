#!/usr/bin/env bash
# The check for a machine with hardware virtualization (the "device" machine
# some sessions are lent): it has no network, so it runs what was built here.
# Carry build/lguest, build/unit, build/guest (the test guests and the
# default Linux guest kit) and run:  scripts/device-check.sh
# Prints what the host is, then the whole suite (the Linux user-space tests
# run where VMX/SVM is there), then `-- true` end to end, timed.
set -u
cd "$(dirname "$0")/.."
echo "kvm: $(ls -l /dev/kvm 2>&1)"
echo "cpu: $(grep -m1 -o -w -E 'vmx|svm' /proc/cpuinfo || echo 'no vmx/svm')"
[ -d /sys/module/kvm_pvm ] && echo "note: this host's KVM is kvm-pvm"
tests/run.sh build
for i in 1 2 3; do
	s=$(date +%s%N)
	build/lguest run -q -- true </dev/null >/dev/null 2>&1
	echo "-- true: status $?, $(( ($(date +%s%N) - s) / 1000000 )) ms"
done
