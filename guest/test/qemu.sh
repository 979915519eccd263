#!/bin/sh
# Run one test guest under QEMU, for comparison with lguest.
# usage: guest/test/qemu.sh <guest.elf> [cmdline]
# env:   ACCEL=tcg|kvm (default tcg)  MACHINE=q35|pc|microvm (default q35)
#        SMP=4  MEM=256  TIMEOUT=60 (seconds)
#        QEMU_ARGS="..." more QEMU options (e.g. -netdev and -device for net.elf)
# The guest's status byte s written to port 0xf4 makes QEMU exit with
# (s << 1) | 1; this script turns that back into s.  A plain QEMU exit
# (reset or triple fault, thanks to -no-reboot) gives 0; other QEMU failures
# (e.g. KVM internal errors) are reported as 100 + QEMU's status.
elf=$1
[ -f "$elf" ] || { echo "qemu.sh: no such file: $elf" >&2; exit 127; }
shift
append=${1:-}
machine=${MACHINE:-q35}
[ "$machine" = microvm ] && machine="microvm,rtc=on"
timeout "${TIMEOUT:-60}" qemu-system-x86_64 -accel "${ACCEL:-tcg}" \
	-machine "$machine" -m "${MEM:-256}" -smp "${SMP:-4}" \
	-display none -monitor none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$elf" -append "$append" ${QEMU_ARGS:-} </dev/null
rc=$?
if [ $((rc & 1)) -eq 1 ] && [ $rc -lt 256 ]; then
	s=$((rc >> 1))
	echo "[qemu.sh: guest exit status $s]" >&2
	exit $s
fi
echo "[qemu.sh: qemu exit status $rc]" >&2
[ $rc -eq 0 ] && exit 0
exit $((100 + rc))
