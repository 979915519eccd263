#!/usr/bin/env bash
# Every lguest test, one runner: unit tests, then integration tests that boot
# the test guests through BUILD/lguest, then the bad-input cases, for each
# BUILD given (build, and build-san for ASan+UBSan).  Closes with
# "N passed, N failed".  Needs KVM: without /dev/kvm it fails loudly.
#   tests/run.sh [BUILD...]        (default: build)
set -u
[ $# -gt 0 ] || set -- build
BUILDS=("$@")
G=build/guest/test
T=$(mktemp -d /tmp/lguest-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
not_runnable=()

ok()  { pass=$((pass + 1)); echo "ok   [$BUILD] $1"; }
bad() { fail=$((fail + 1)); echo "FAIL [$BUILD] $1"; shift; for l in "$@"; do echo "     $l"; done; }

if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ]; then
	echo "FATAL: /dev/kvm is missing or unreadable: lguest's tests need KVM (load kvm_intel/kvm_amd or run on a host with KVM)"
	echo "0 passed, 1 failed"
	exit 1
fi

# --- the tour is in step with the code ---------------------------------------
if scripts/tour.sh | diff -q - docs/TOUR.md >/dev/null; then pass=$((pass + 1)); echo "ok   docs/TOUR.md matches the code's tour stops"
else fail=$((fail + 1)); echo "FAIL docs/TOUR.md is stale: run make tour"; fi

. tests/net.sh

suite() {
BUILD=$1
L=$BUILD/lguest
# --- unit tests -------------------------------------------------------------
if out=$("$BUILD/unit" 2>&1); then :; fi
echo "$out" | grep -v '^unit:'
u_pass=$(echo "$out" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
u_fail=$(echo "$out" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$u_pass" ]; then bad "unit tests did not finish" "$out"; else
	pass=$((pass + u_pass - 1)); fail=$((fail + u_fail))
	if [ "$u_fail" = 0 ]; then ok "unit: $u_pass checks passed"; else bad "unit: $u_fail of $((u_pass + u_fail)) checks failed"; fail=$((fail - 1)); pass=$((pass + 1)); fi; fi

# --- running guests ---------------------------------------------------------
# guest NAME STATUS REGEX [lguest run args...]: exit status and output match
# (STATUS may be a pattern; REGEX may be several, joined by ";;").
matches() {
	local IFS=$'\x01' r
	for r in ${1//;;/$'\x01'}; do grep -Eq -- "$r" "$2" || return 1; done
}
guest() {
	local name=$1 want=$2 re=$3; shift 3
	timeout -k 5 120 "$L" run "$@" </dev/null 2>&1 | tr -d '\r' >"$T/out"
	local rc=${PIPESTATUS[0]}
	if [[ "$rc" == $want ]] && matches "$re" "$T/out"; then ok "$name"
	else bad "$name" "status $rc (want $want), output must match: $re" "$(tail -5 "$T/out")"; fi
}

guest "hello prints and exits 0"          0  '^hello from the lguest test guest'  $G/hello.elf
guest "debug-exit status 5"               5  'hello'                               -a status=5 $G/hello.elf
guest "debug-exit status 255"             255 'hello'                              -a status=255 $G/hello.elf
# RAM the e820 map reports: all of -m but the 0x9fc00-0x100000 hole.
guest "memory map, -m 64M"                0  "ram_bytes=$(( (64<<20) - 0x60400 ))\$"  -m 64M $G/memsize.elf
guest "memory map, -m 512M"               0  "ram_bytes=$(( (512<<20) - 0x60400 ))\$" -m 512M $G/memsize.elf
guest "memory map, -m 5G splits at 3G"    0  "ram_top=$(( 6<<30 ))\$"               -m 5G $G/memsize.elf
guest "beyond RAM is MMIO: reads all ones"  0  'probe=0xffffffff'                   -m 64M -a probe=0x80000000 $G/memsize.elf
guest "RAM probe reads back what it wrote"  0  'probe=0x12345678'                   -m 64M -a probe=0x2000000 $G/memsize.elf
guest "CPUID: KVM paravirt leaves"        0  'signature=KVMKVMKVM\.\.\. max=0x4000000[1-9a-f] kvm_features=0x[1-9a-f]' $G/cpuid.elf
guest "CPUID: hypervisor bit, APIC ID per vCPU" 0 "$(for i in 0 1 2 3; do printf 'cpu=[0-3] lapic=%d leaf1_apic=%d hv=1;;' $i $i; done)cpus=4" -c 4 $G/cpuid.elf
guest "LAPIC timer interrupts arrive"     0  'ticks=10'                             $G/timer.elf
for n in 1 2 4 8 64; do
	guest "smp: $n vCPUs from the MP table, started and counted" 0 "source=mptable;;cpus_started=$n of $n" -c $n -a "topo=mptable tsc_limit=30000000000" $G/smp.elf
done
for n in 4 64; do
	guest "smp: $n vCPUs from the ACPI MADT"  0 "source=madt;;cpus_started=$n of $n" -c $n -a "topo=madt tsc_limit=30000000000" $G/smp.elf
done
guest "ACPI power-off ends with 0"        0  'sleep control space=1 port=0x600 s5=5' $G/poweroff.elf
guest "ring-3 port-I/O loop"              0  'ioloop count=2000 '                   -a count=2000 $G/ioloop.elf
guest "i8042 reset ends with 0"           0  'reset: i8042'                         -a mode=i8042 $G/reset.elf
guest "triple fault ends with 0"          0  'reset: triple'                        -a mode=triple $G/reset.elf
guest "guest exception handler reports"   3  'vector=6'                             -a mode=ud $G/reset.elf
# Instructions kvm-pvm cannot emulate, which lguest completes there.
if [ -d /sys/module/kvm_pvm ]; then
	LGUEST_REPORT=1 guest "pvm: int3, stac/clac, fwait, ldmxcsr completed" 0 'pvmops int3=1 stac_ac=(1|-1) clac_ac=(0|-1) fwait=1 ldmxcsr=2;;pvm_completed=([5-9]|[1-9][0-9])' $G/pvmops.elf
else
	guest "int3, stac/clac, fwait, ldmxcsr run at ring 0" 0 'pvmops int3=1 stac_ac=(1|-1) clac_ac=(0|-1) fwait=1 ldmxcsr=2' $G/pvmops.elf
fi
# An SSE instruction in the guest kernel: kvm-pvm's emulator has none, so the
# vCPU stops (status 70, registers and code bytes on stderr); hardware runs it.
if [ -d /sys/module/kvm_pvm ]; then
	guest "vCPU internal error: status 70 and a register dump" 70 'code at gpa 0x[0-9a-f]+: 66 0f 6e c0' -a mode=sse $G/reset.elf
else
	guest "SSE in the guest kernel runs (or #UD)" '[34]' 'sse: (ran|.*vector=6)' -a mode=sse $G/reset.elf
fi

# --- a bzImage, through the real boot protocol (guest/test/bz) ----------------
B=$G/test.bzImage
head -c 300000 /dev/urandom >"$T/initrd"
sum=$(python3 -c 'import sys; print(sum(open(sys.argv[1],"rb").read()))' "$T/initrd")
guest "bzImage: 64-bit entry, zero page, cmdline" 9 'cmdline=(.* )?status=9 root=x$' -a "status=9 root=x" $B
if [ -d /sys/module/kvm_pvm ]; then   # kvm-pvm: Linux gets the parameters this host needs, first
	guest "pvm host: Linux kernels get noxsave, clearcpuid=" 0 'cmdline=noxsave .*clearcpuid=[0-9,]+ status=0$' -a status=0 $B
else
	guest "VMX/SVM host: the command line is the user's alone" 0 'cmdline=status=0$' -a status=0 $B
fi
guest "bzImage: e820 in the zero page"    0  "ram_bytes=$(( (128<<20) - 0x60400 ))\$" -m 128M $B
guest "bzImage: initrd loaded intact"     0  "initrd_sum=$sum\$" -i "$T/initrd" $B
# As high as it goes: the top of RAM, rounded down to a page.
guest "bzImage: initrd at the top of RAM"  0 "initrd_end=$(( (((128<<20) - 300000) & ~0xfff) + 300000 ))\$" -m 128M -i "$T/initrd" $B

# --- the serial port's receive side, by interrupt (IOAPIC pin 4) -------------
printf 'hello.' | timeout 60 "$L" run $G/echo.elf 2>&1 | tr -d '\r' >"$T/out"
rc=${PIPESTATUS[1]}
if [ $rc = 0 ] && grep -q '^HELLO\.$' "$T/out" && grep -q 'bytes=6 sum=578' "$T/out"; then ok "serial input reaches the guest by interrupt"
else bad "serial input reaches the guest by interrupt" "status $rc" "$(tail -3 "$T/out")"; fi
# More than the UART's 4 KiB buffer: stdin waits for the guest, nothing is lost.
{ head -c 20000 /dev/zero | tr '\0' 'a'; printf '.'; } | timeout 60 "$L" run -a quiet=1 $G/echo.elf >"$T/out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "bytes=20001 sum=$((20000 * 97 + 46)) " "$T/out"; then ok "serial input: 20 KB pasted, none lost"
else bad "serial input: 20 KB pasted, none lost" "status $rc" "$(tail -2 "$T/out")"; fi

# --- virtio-blk and virtio-rng through the test guests' driver --------------
disk() { python3 guest/test/mkdisk.py "$T/disk.img" "${1:-4096}"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
disk; guest "virtio-blk: capacity, serial, pattern read" 0 'capacity=4096 ;;serial=SER-9;;checked_sectors=64 pattern=ok' --disk "$T/disk.img,serial=SER-9" $G/blk.elf
disk; guest "virtio-blk: 32 in flight, indirect descriptors" 0 'checked_sectors=4096 pattern=ok qd=32;;indirect=1' --disk "$T/disk.img" -a "qd=32 indirect=1 sectors=4096" $G/blk.elf
disk; guest "virtio-blk: MSI-X interrupts by irqfd"  0 'irq=msix;;pattern=ok;;irqs=[1-9]' --disk "$T/disk.img" -a "irq=msix qd=8 bs=65536 sectors=4096" $G/blk.elf
disk; guest "virtio-blk: INTx through the IOAPIC (ISR read-to-clear)" 0 'irq=intx;;pattern=ok;;irqs=[1-9]' --disk "$T/disk.img" -a "irq=intx qd=8 sectors=1024" $G/blk.elf
disk; guest "virtio-blk: write, flush, read back"     0 'flushed=1;;write_verified=1' --disk "$T/disk.img" -a "write=1 write_from=100 write_count=16" $G/blk.elf
if python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); sys.exit(any(struct.unpack_from("<Q",d,s*512)[0] != (s<<16|0xA5A5000000000000) for s in range(100,116)))' "$T/disk.img"
then ok "virtio-blk: the written sectors are in the host file"; else bad "virtio-blk: the written sectors are in the host file"; fi
disk; before=$(sha "$T/disk.img")
guest "virtio-blk: ,ro rejects writes with IOERR" 0 'write_rejected=1' --disk "$T/disk.img,ro" -a "ro=1" $G/blk.elf
[ "$(sha "$T/disk.img")" = "$before" ] && ok "virtio-blk: ,ro leaves the file untouched" || bad "virtio-blk: ,ro leaves the file untouched"
disk; guest "virtio-blk: discard and write-zeroes"   0 'discard=1 sectors=8 readback=zeroes;;write_zeroes=1 sectors=8 readback=zeroes' --disk "$T/disk.img" -a "discard=1 zeroes=1" $G/blk.elf
disk; guest "virtio-blk: BAR moved by the guest, in the 4G hole" 0 'pattern=ok;;result=ok' --disk "$T/disk.img" -a "reassign=1" $G/blk.elf
disk; guest "virtio-blk: 64-bit BAR moved above 4 GiB" 0 'pattern=ok;;result=ok' --disk "$T/disk.img" -a "reassign=1 bar_window64=0x10000000000" $G/blk.elf
guest "virtio-rng: random bytes"                  0 'bytes=128 ok=1' $G/rng.elf
python3 tests/flush_kill.py "$L" $G 20 && ok "data safety: SIGKILL right after FLUSH, 20 rounds, nothing lost" \
	|| bad "data safety: SIGKILL right after FLUSH, 20 rounds, nothing lost"
if [ -f $G/hostile.elf ]; then
	disk
	cases=$(timeout 60 "$L" run --disk "$T/disk.img" -a case=list $G/hostile.elf 2>/dev/null | tr -d '\r' | sed -n 's/^hostile case_name=//p')
	[ -n "$cases" ] || bad "hostile: the guest lists its cases"
	for c in $cases; do
		disk
		ro=; case $c in *_ro_*) ro=,ro;; esac
		guest "hostile driver: $c; VMM alive and serving" 0 "hostile case=$c .*survived=1" --disk "$T/disk.img$ro" -a "case=$c" $G/hostile.elf
	done
fi

# --- virtio-console's receive side: typed (even before the driver is up) ---
printf 'hi\001\001there.' | timeout 60 "$L" run --console virtio $G/vcon.elf 2>&1 | tr -d '\r' >"$T/out"
rc=${PIPESTATUS[1]}
if [ $rc = 0 ] && grep -q 'text=hi^Athere. ctrl_a=1 bytes=9' "$T/out"; then ok "virtio-console: input reaches hvc0, Ctrl-A Ctrl-A is one Ctrl-A"
else bad "virtio-console: input reaches hvc0, Ctrl-A Ctrl-A is one Ctrl-A" "status $rc" "$(tail -2 "$T/out")"; fi
{ head -c 6000 /dev/zero | tr '\0' z; printf .; } | timeout 60 "$L" run --console virtio $G/vcon.elf >"$T/out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q 'ctrl_a=0 bytes=6001' "$T/out"; then ok "virtio-console: 6 KB pasted, none lost"
else bad "virtio-console: 6 KB pasted, none lost" "status $rc" "$(tail -2 "$T/out")"; fi

# --- the network (tests/net.sh) ----------------------------------------------
net_suite

# --- the terminal -----------------------------------------------------------
python3 tests/pty_check.py "$L" "$G" && ok "terminal: raw while running, restored on every exit" \
	|| bad "terminal: raw while running, restored on every exit"
printf 'abc\001xdef' | timeout 60 "$L" run -a count=100000000 $G/ioloop.elf >"$T/out" 2>&1
rc=$?; [ $rc = 0 ] && ok "Ctrl-A x quits with 0" || bad "Ctrl-A x quits with 0" "status $rc"

# --- bad input: one line on stderr, status 2 ---------------------------------
# usage NAME REGEX [lguest args...]
usage() {
	local name=$1 re=$2; shift 2
	timeout 60 "$@" </dev/null >"$T/out" 2>"$T/err"
	local rc=$? lines
	lines=$(wc -l <"$T/err")
	if [ $rc = 2 ] && [ "$lines" = 1 ] && grep -Eq -- "^lguest: .*$re" "$T/err" && [ ! -s "$T/out" ]; then ok "bad input: $name"
	else bad "bad input: $name" "status $rc, $lines stderr lines, want 2 and 1 matching: $re" "$(head -3 "$T/err")"; fi
}
echo "just text" >"$T/text"
mkdir -p "$T/dir"
truncate -s 40M "$T/big.img"
cp $G/hello.elf "$T/secret.elf"; chmod 000 "$T/secret.elf"; chmod 755 "$T"
python3 tests/mkelf.py "$T/far.elf" 0x10000000
usage "no command"            "no command"            "$L"
usage "unknown command"       "unknown command 'fly'" "$L" fly
usage "unknown option"        "unknown option --bogus" "$L" run --bogus $G/hello.elf
usage "option without value"  "needs a value"         "$L" run -m
usage "no KERNEL, no default guest kit" "no default guest found" env LGUEST_GUEST_DIR=/nonexistent "$L" run
usage "-- without a command"  "needs a command"       "$L" run $G/hello.elf --
usage "kernel missing"        "No such file"          "$L" run /nonexistent/kernel
usage "kernel is a directory" "not a regular file"    "$L" run "$T/dir"
usage "kernel not a kernel"   "neither a bzImage nor an ELF" "$L" run "$T/text"
usage "kernel an ELF program" "not a 64-bit x86 executable ELF" "$L" run /bin/true
usage "ELF beyond RAM"        "does not fit.*raise -m" "$L" run -m 64M "$T/far.elf"
usage "initrd missing"        "initrd /nonexistent"   "$L" run -i /nonexistent $G/hello.elf
usage "initrd too big"        "does not fit"          "$L" run -m 32M -i "$T/big.img" $G/hello.elf
usage "bzImage initrd too big" "does not fit"         "$L" run -m 48M -i "$T/big.img" $G/test.bzImage
usage "bzImage beyond RAM"    "needs .* raise -m"     "$L" run -m 16M $G/test.bzImage
usage "-m unparsable"         "-m lots"               "$L" run -m lots $G/hello.elf
usage "-m zero"               "-m 0"                  "$L" run -m 0 $G/hello.elf
usage "-m beyond the host"    "more than this host"   "$L" run -m 64T $G/hello.elf
usage "-m too small"          "at least"              "$L" run -m 1M $G/hello.elf
usage "-c 0"                  "-c 0"                  "$L" run -c 0 $G/hello.elf
usage "-c above the maximum"  "-c 65"                 "$L" run -c 65 $G/hello.elf
usage "over-long command line" "command line is 3000 bytes" "$L" run -a "$(printf 'x%.0s' $(seq 3000))" $G/hello.elf
disk; truncate -s 1000 "$T/odd.img"
usage "--disk missing"        "disk /nonexistent.img: No such file" "$L" run --disk /nonexistent.img $G/hello.elf
usage "--disk a directory"    "Is a directory|not a regular file" "$L" run --disk "$T/dir" $G/hello.elf
usage "--disk size not a multiple of 512" "not a multiple of 512" "$L" run --disk "$T/odd.img" $G/hello.elf
usage "--disk unknown option" "unknown option 'rw'"   "$L" run --disk "$T/disk.img,rw" $G/hello.elf
usage "--disk serial too long" "unknown option"       "$L" run --disk "$T/disk.img,serial=123456789012345678901" $G/hello.elf
usage "--console bogus"       "--console bogus"       "$L" run --console bogus $G/hello.elf
"$L" run --disk "$T/disk.img" -a count=100000000 $G/ioloop.elf </dev/null >/dev/null 2>&1 &
holder=$!
sleep 0.5
usage "--disk in use by another lguest" "in use by another lguest" "$L" run --disk "$T/disk.img" $G/hello.elf
usage "--disk ,ro while another writes" "in use by another lguest" "$L" run --disk "$T/disk.img,ro" $G/hello.elf
kill $holder; wait $holder 2>/dev/null
if command -v unshare >/dev/null; then
	usage "no /dev/kvm" "/dev/kvm does not exist" unshare -m sh -c "mount -t tmpfs none /dev && exec $L run $G/hello.elf"
fi
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	# As nobody: the checkout may sit in a directory only root can enter,
	# so the readable guest goes through $T (mode 755).
	cp $G/hello.elf "$T/hello.elf"; chmod 644 "$T/hello.elf"
	usage "kernel unreadable"  "Permission denied" setpriv --reuid=nobody --regid=nogroup --clear-groups "$L" run "$T/secret.elf"
	usage "no permission to /dev/kvm" "no permission to open /dev/kvm" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$L" run "$T/hello.elf"
	chmod 600 "$T/disk.img"
	usage "--disk unreadable"  "disk .*: Permission denied" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$L" run --disk "$T/disk.img" "$T/hello.elf"
fi
}

# --- Linux: the default guest kit, the kernel alone -----------------------------
# A kernel boots in ~30 s on kvm-pvm hosts, so these run once, with the first
# build, several at a time.  pvm: guest user space cannot make system calls
# there (shared/notes/PVM-HOST.md), so we prove what the kernel does alone and
# list the user-space tests as not runnable.
K=build/guest/vmlinux I=build/guest/initramfs.cpio
linux_start() {           # ID ARGS...: boot in the background
	local id=$1; shift
	( timeout -k 5 400 "$L" run "$@" </dev/null 2>&1 | tr -d '\r' >"$T/linux-$id.out"
	  echo "${PIPESTATUS[0]}" >"$T/linux-$id.rc" ) &
}
linux_check() {           # ID NAME STATUS REGEX (";;" joins several)
	local id=$1 name=$2 want=$3 re=$4 rc
	rc=$(cat "$T/linux-$id.rc" 2>/dev/null)
	if [[ "$rc" == $want ]] && matches "$re" "$T/linux-$id.out"; then ok "$name"
	else bad "$name" "status $rc (want $want), output must match: $re" "$(grep -E 'panic|lguest:|Run ' "$T/linux-$id.out" | tail -4)"; fi
}
# Guest user space: tests/userspace.sh, each test a boot of the default guest.
# Counted here, each line named; its "info:" lines are shown as they are.
userspace_count() {       # PREFIX < userspace.sh's output
	local line name= detail=()
	flush() { [ -z "$name" ] && return
		case "$name" in ok*) ok "$1: ${name#ok   }" ;; *) bad "$1: ${name#FAIL }" "${detail[@]}" ;; esac
		name= detail=(); }
	while IFS= read -r line; do
		case "$line" in
		"ok   "*|"FAIL "*) flush "$1"; name=$line ;;
		"     "*) detail+=("${line#     }") ;;
		info:*) flush "$1"; echo "     [$BUILD] $line" ;;
		esac
	done
	flush "$1"
}
# Where this host's KVM cannot run guest user space (kvm-pvm), one level
# down: KVM inside QEMU's software CPU with SVM (tests/nested.sh).
linux_userspace_nested() {
	local what="Linux user space (nested: KVM on QEMU's emulated SVM)"
	if ! command -v qemu-system-x86_64 >/dev/null; then
		bad "$what" "qemu-system-x86_64 is missing: scripts/deps.sh installs qemu-system-x86"; return; fi
	if [ ! -f build/nested/initramfs.cpio ]; then bad "$what" "build/nested is missing: make nested-kit"; return; fi
	tests/nested.sh "$BUILD" >"$T/nested.out" 2>&1
	userspace_count "$what" <"$T/nested.out"
	grep -q '^nested: done' "$T/nested.out" && ok "$what: the nested host ran every test to the end" \
		|| bad "$what: the nested host ran every test to the end" "$(tail -5 "$T/nested.out")"
}

linux_tests() {
	BUILD=$1 L=$1/lguest
	if [ ! -f $K ] || [ ! -f $I ]; then bad "Linux: the default guest kit is built (make)"; return; fi
	local pvm=; [ -d /sys/module/kvm_pvm ] && pvm=1
	truncate -s 8M "$T/root.img" "$T/root-ro.img"
	mkfs.ext2 -q -F "$T/root.img" && mkfs.ext2 -q -F "$T/root-ro.img" || bad "mkfs.ext2"
	local rw_before ro_before; rw_before=$(sha "$T/root.img"); ro_before=$(sha "$T/root-ro.img")
	# 1: the default guest, -c 2 -m 512M, a command for its user space.
	LGUEST_REPORT=1 linux_start boot -c 2 -m 512M -- sh -c 'exit 3'
	wait                  # alone: its boot time is measured
	# 2: no initramfs init: the kernel mounts an ext2 root from virtio-blk, rw.
	linux_start rootrw -m 256M -i $I --disk "$T/root.img" \
		-a "console=ttyS0 rdinit=/nonexistent root=/dev/vda rw panic=-1" $K
	# 3: the same, read-only disk; kernel messages on hvc0 (virtio-console).
	linux_start rootro -m 256M -i $I --disk "$T/root-ro.img,ro" --console virtio \
		-a "console=hvc0 rdinit=/nonexistent root=/dev/vda ro panic=-1" $K
	wait
	linux_check boot "Linux: the default kernel reaches Run /init" '*' 'Run /init as init process'
	local t; t=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] Run \/init as init process/\1/p' "$T/linux-boot.out")
	[ -n "$t" ] && [ "$t" -le 60 ] && ok "Linux: Run /init within 60 s of guest time (took ${t} s)" \
		|| bad "Linux: Run /init within 60 s of guest time (took ${t:-?} s)"
	linux_check boot "Linux: -c 2 brings up 2 CPUs" '*' 'smp: Brought up 1 node, 2 CPUs'
	linux_check boot "Linux: -m 512M is the memory it reports" '*' 'Memory: [0-9]+K/52[0-9]{4}K available'
	linux_check boot "Linux: virtio_pci binds virtio-rng, the driver reads it" '*' 'virtio type=4 slot=[0-9]+ status=0xf used=[1-9]'
	if [ -n "$pvm" ]; then
		linux_check boot "Linux on kvm-pvm: one line says user space cannot run here, status 72" 72 \
			"^lguest: this host's KVM \(kvm-pvm\) cannot run a Linux guest's user space; the kernel booted in [0-9.]+ s"
		for BUILD in "${BUILDS[@]}"; do linux_userspace_nested; done
		not_runnable+=("Linux user space on this host's own KVM (kvm-pvm); the same tests ran nested, above")
	else
		linux_check boot "Linux: -- sh -c 'exit 3' exits 3" 3 'Run /init'
		for BUILD in "${BUILDS[@]}"; do
			userspace_count "Linux user space" < <(tests/userspace.sh "$BUILD/lguest" build/nested)
		done
	fi
	BUILD=$1
	linux_check rootrw "Linux: virtio_blk reports vda with the image's capacity" '*' '\[vda\] 16384 512-byte logical blocks'
	linux_check rootrw "Linux: ext2 root mounted read-write from virtio-blk" '*' 'VFS: Mounted root \(ext[24] filesystem\) on device'
	[ "$(sha "$T/root.img")" != "$rw_before" ] && ok "Linux: the rw mount's superblock write reached the host file" \
		|| bad "Linux: the rw mount's superblock write reached the host file"
	linux_check rootro "Linux: console=hvc0 carries the kernel's messages" '*' 'VFS: Mounted root'
	linux_check rootro "Linux: a ,ro disk mounts read-only" '*' 'VFS: Mounted root \(ext[24] filesystem\) readonly'
	[ "$(sha "$T/root-ro.img")" = "$ro_before" ] && ok "Linux: the ,ro image is unchanged" \
		|| bad "Linux: the ,ro image is unchanged"
	linux_check rootrw "Linux: no init on the disk is a panic, status 71" 71 'No working init found'
}

for b in "$@"; do suite "$b"; done
# make install puts the launcher and the default guest kit where it finds them.
BUILD=$1
if make -s install PREFIX="$T/inst" BUILD="$1" >/dev/null 2>&1 && [ -x "$T/inst/bin/lguest" ] &&
   [ -f "$T/inst/share/lguest/vmlinux" ] && [ -f "$T/inst/share/lguest/initramfs.cpio" ] &&
   "$T/inst/bin/lguest" run -a status=6 $G/hello.elf >/dev/null 2>&1; [ $? = 6 ]; then ok "make install PREFIX=...: bin/lguest and share/lguest/"
else bad "make install PREFIX=...: bin/lguest and share/lguest/"; fi
linux_tests "$1"
echo
for t in "${not_runnable[@]+"${not_runnable[@]}"}"; do echo "not runnable here: $t"; done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
