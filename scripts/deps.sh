#!/bin/sh
# Install, from Debian's archive, what lguest needs to build and test.
# Idempotent: installs only what is missing.  Needs root (or sudo).
set -e
need=""
for p in make gcc libc6-dev clang python3 util-linux liburing-dev libseccomp-dev; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
# Where the host's KVM cannot run a Linux guest's user space (kvm-pvm), the
# tests run it nested, under QEMU's software CPU (tests/nested.sh).
qemu=""
if [ -d /sys/module/kvm_pvm ] && ! dpkg -s qemu-system-x86 >/dev/null 2>&1; then
	qemu=qemu-system-x86
fi
[ -z "$need$qemu" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "lguest: installing from Debian:$need${qemu:+ $qemu}"
$SUDO apt-get update -qq
[ -z "$need" ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
[ -z "$qemu" ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $qemu >/dev/null
