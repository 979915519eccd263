#!/bin/sh
# Two QEMU guests on one Ethernet segment: QEMU's "-netdev stream" over a
# unix socket (what a QEMU user has without root or DPDK), for comparison
# with lguest's LAN.  Guest A (52:54:00:00:00:01, 10.0.0.1 by default)
# listens, guest B (52:54:00:00:00:02) connects; A gets GRACE seconds after B
# ends, then is stopped.
# usage: guest/test/qemu-net.sh <guest.elf> "<A's cmdline>" "<B's cmdline>"
#   e.g. guest/test/qemu-net.sh build/guest/test/net.elf "mode=answer count=100" \
#            "mode=ping peer=10.0.0.1 count=100"
# env:   as guest/test/qemu.sh (ACCEL, MACHINE, SMP, MEM, TIMEOUT), GRACE=5
# Output: A's lines prefixed "A: ", B's "B: "; exit status: B's, or A's when
# B's is 0.
elf=$1 a=$2 b=$3
[ -f "$elf" ] && [ $# -eq 3 ] || { echo "usage: $0 <guest.elf> <A cmdline> <B cmdline>" >&2; exit 127; }
here=$(dirname "$0")
dir=$(mktemp -d "${TMPDIR:-/tmp}/qemu-net.XXXXXX") || exit 1
sock=$dir/segment
nic() {
	echo "-netdev stream,id=n0,server=$1,addr.type=unix,addr.path=$sock" \
	     "-device virtio-net-pci,disable-legacy=on,netdev=n0,mac=52:54:00:00:00:0$2"
}
QEMU_ARGS=$(nic on 1) "$here/qemu.sh" "$elf" "$a" >"$dir/a" 2>&1 &
apid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
QEMU_ARGS=$(nic off 2) "$here/qemu.sh" "$elf" "$b" >"$dir/b" 2>&1
brc=$?
for _ in $(seq $((${GRACE:-5} * 10))); do kill -0 $apid 2>/dev/null || break; sleep 0.1; done
# qemu.sh runs timeout(1), which passes a TERM on to QEMU.
for c in $(pgrep -P $apid); do kill -TERM "$c" 2>/dev/null; done
wait $apid
arc=$?
sed 's/^/A: /' "$dir/a"
sed 's/^/B: /' "$dir/b"
rm -rf "$dir"
[ $brc -ne 0 ] && exit $brc
exit $arc
