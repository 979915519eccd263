#!/bin/sh
# Install, from Debian's archive, what lguest needs to build and test.
# Idempotent: installs only what is missing.  Needs root (or sudo).
set -e
# To build: the launcher (liburing, libslirp, libseccomp) and the test guests.
build="make gcc libc6-dev clang python3 util-linux liburing-dev libslirp-dev libseccomp-dev"
# To test: QEMU (a vhost-user peer on our LAN, the side-by-side peer, and
# where the host's KVM cannot run a Linux guest's user space (kvm-pvm), the
# nested host of tests/nested.sh), DPDK's testpmd (a vhost-user back-end),
# ip and ping (TAP in a network namespace).
test="qemu-system-x86 dpdk-dev iproute2 iputils-ping"
need="" need_test=""
for p in $build; do dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"; done
for p in $test; do dpkg -s "$p" >/dev/null 2>&1 || need_test="$need_test $p"; done
[ -z "$need$need_test" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "lguest: installing from Debian:$need$need_test"
$SUDO apt-get update -qq
[ -z "$need" ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
[ -z "$need_test" ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need_test >/dev/null
