#!/usr/bin/env bash
# The check for a machine with hardware virtualization (the "device" machine
# some sessions are lent).  It has no network and may lack our libraries, so
# it runs what was built here: `make`, then relink statically
# (rm build/lguest build/unit; make build/lguest build/unit LDFLAGS=-static)
# and carry build/lguest, build/unit, build/guest/test, build/guest/vmlinux,
# build/guest/initramfs.cpio and, for the side-by-side benchmarks and the
# host tools a bare machine may lack, .dev/q.tar.xz (QEMU with its library
# closure and loader, its ROMs, GNU time, busybox; see docs/DEVICE.md).
# Prints what the host is, then the whole suite (the Linux user-space tests
# run where VMX/SVM is there), `-- true` end to end, and the benchmarks.
# Logs go to $OUT (or /tmp/lguest-device).
set -u
cd "$(dirname "$0")/.."
O=${OUT:-/tmp/lguest-device}; mkdir -p "$O"
echo "host: $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-?}"), kernel $(uname -r), $(nproc) CPUs"
echo "cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2-), $(grep -m1 -o -w -E 'vmx|svm' /proc/cpuinfo || echo 'no vmx/svm')"
if [ ! -c /dev/kvm ]; then
	modprobe kvm_intel 2>/dev/null || modprobe kvm_amd 2>/dev/null
	[ -c /dev/kvm ] || { echo "no /dev/kvm here (modules: $(ls /sys/module | grep -E '^kvm' | tr '\n' ' ')): nothing to check"; exit 1; }
fi
echo "kvm: $(ls -l /dev/kvm), modules: $(ls /sys/module | grep -E '^kvm' | tr '\n' ' ')"
[ -d /sys/module/kvm_pvm ] && echo "note: this host's KVM is kvm-pvm"

# A bare machine: QEMU through its own loader, busybox for missing tools.
if [ -f .dev/q.tar.xz ]; then
	tar xJf .dev/q.tar.xz -C /tmp && mkdir -p /tmp/q/bin
	for t in mkfs.ext2 truncate timeout setpriv sha256sum xxd; do
		command -v $t >/dev/null || ln -sf /tmp/q/busybox /tmp/q/bin/$t
	done
	[ -x /usr/bin/time ] || cp /tmp/q/time /usr/bin/time
	export PATH=$PATH:/tmp/q/bin
	command -v qemu-system-x86_64 >/dev/null ||
		export BENCH_QEMU="/tmp/q/ld-linux-x86-64.so.2 --library-path /tmp/q/lib /tmp/q/qemu-system-x86_64 -L /tmp/q/share"
fi
for t in python3 make setpriv mkfs.ext2 /usr/bin/time; do command -v $t >/dev/null || echo "missing: $t"; done

set -o pipefail
timeout -k 5 240 tests/run.sh build 2>&1 | tee "$O/suite.log" | grep -v '^ok '
for i in 1 2 3 4 5; do
	s=$(date +%s%N)
	timeout -k 2 20 build/lguest run -q -- true </dev/null >/dev/null 2>&1
	echo "-- true: status $?, $(( ($(date +%s%N) - s) / 1000000 )) ms"
done
for b in "start 11:60" "boot 5:100" "exits:45"; do
	t=${b#*:} b=${b%:*}; echo "== bench/$b"
	timeout -k 5 $t bench/$b 2>&1 | tee "$O/bench-${b%% *}.md"
done
