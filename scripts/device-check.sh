#!/usr/bin/env bash
# The check for a machine with hardware virtualization (the "device" machine
# some sessions are lent).  It has no network and may lack our libraries, so
# it runs what was built here: scripts/device-bundle.sh prepares it (a static
# lguest, QEMU with its libraries for the side-by-side benchmarks, busybox
# for host tools the machine may lack) and prints the paths to carry.
# Prints what the host is, then the whole suite (the Linux user-space tests
# run where VMX/SVM is there), `-- true` end to end, and the benchmarks.
# Logs go to $OUT (or /tmp/lguest-device).
# Usage: scripts/device-check.sh ["BENCH ARGS:SECONDS"]...: with arguments,
# only those benchmarks (e.g. "net 2:300" "control 2 --blk:200"), no suite.
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
	for t in mkfs.ext2 truncate timeout setpriv sha256sum xxd taskset; do
		command -v $t >/dev/null || ln -sf /tmp/q/busybox /tmp/q/bin/$t
	done
	[ -x /usr/bin/time ] || cp /tmp/q/time /usr/bin/time
	export LD_LIBRARY_PATH=/tmp/q/lgl	# lguest's libslirp, with its glib
	export PATH=$PATH:/tmp/q/bin
	export BENCH_MEMCPY=/tmp/q/memcpy
	if ! command -v qemu-system-x86_64 >/dev/null; then
		# The benchmarks start it through its loader; the tests by name.
		export BENCH_QEMU="/tmp/q/ld-linux-x86-64.so.2 --library-path /tmp/q/lib /tmp/q/qemu-system-x86_64 -L /tmp/q/share"
		printf '#!/bin/sh\nexec %s "$@"\n' "$BENCH_QEMU" >/tmp/q/bin/qemu-system-x86_64
		chmod 755 /tmp/q/bin/qemu-system-x86_64
	fi
fi
for t in python3 make setpriv mkfs.ext2 /usr/bin/time; do command -v $t >/dev/null || echo "missing: $t"; done

set -o pipefail
bench() {
	local t=${1##*:} b=${1%:*}; echo "== bench/$b"
	timeout -k 5 "$t" bench/$b 2>&1 | tee "$O/bench-${b%% *}.md"
}
if [ $# -gt 0 ]; then
	for b in "$@"; do bench "$b"; done
	exit 0
fi
timeout -k 5 300 tests/run.sh build 2>&1 | tee "$O/suite.log" | grep -v '^ok '
pvm=; [ -d /sys/module/kvm_pvm ] && pvm=1
# Guest user space and a Linux boot in seconds need VMX/SVM.
[ -n "$pvm" ] || for i in 1 2 3 4 5; do
	s=$(date +%s%N)
	timeout -k 2 20 build/lguest run -q -- true </dev/null >/dev/null 2>&1
	echo "-- true: status $?, $(( ($(date +%s%N) - s) / 1000000 )) ms"
done
benches=("start 11:60" "exits:45")
[ -n "$pvm" ] || benches+=("boot 5:100")
for b in "${benches[@]}"; do bench "$b"; done
