#!/usr/bin/env bash
# Every lguest test, one runner: unit tests, then integration tests that boot
# the test guests through BUILD/lguest, then the bad-input cases, for each
# BUILD given (build, and build-san for ASan+UBSan).  Closes with
# "N passed, N failed".  Needs KVM: without /dev/kvm it fails loudly.
#   tests/run.sh [BUILD...]        (default: build)
#   tests/run.sh --long BUILD      the Linux boots make check leaves to
#                                  make check-long (tests/long.sh)
set -u
LONG=
[ "${1:-}" != --long ] || { LONG=1; shift; }
[ $# -gt 0 ] || set -- build
BUILDS=("$@")
G=build/guest/test
T=$(mktemp -d /tmp/lguest-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_RUNTIME_DIR=$T/xdg            # the guests' control sockets: ours alone
mkdir -m 700 "$XDG_RUNTIME_DIR"
source tests/control.sh
pass=0 fail=0 reruns= nested_pid=
not_runnable=()

ok()  { pass=$((pass + 1)); echo "ok   [$BUILD] $1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
bad() { fail=$((fail + 1)); echo "FAIL [$BUILD] $1"; shift; for l in "$@"; do echo "     $l"; done; }

if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ]; then
	echo "FATAL: /dev/kvm is missing or unreadable: lguest's tests need KVM (load kvm_intel/kvm_amd or run on a host with KVM)"
	echo "0 passed, 1 failed"
	exit 1
fi

# --- the tour is in step with the code ---------------------------------------
if scripts/tour.sh | diff -q - docs/TOUR.md >/dev/null; then pass=$((pass + 1)); echo "ok   docs/TOUR.md matches the code's tour stops"
else fail=$((fail + 1)); echo "FAIL docs/TOUR.md is stale: run make tour"; fi
nostop=$(for f in src/*.c src/*/*.c; do head -1 "$f" | grep -q '^/\*T:[0-9]' || echo "$f"; done)
if [ -z "$nostop" ]; then pass=$((pass + 1)); echo "ok   every .c file in src/ starts with a tour stop"
else fail=$((fail + 1)); echo "FAIL no tour stop at the top of:" $nostop; fi

. tests/net.sh

# matches REGEX FILE: each of the regexes (joined by ";;") matches a line.
matches() {
	local IFS=$'\x01' r
	for r in ${1//;;/$'\x01'}; do grep -Eq -- "$r" "$2" || return 1; done
}

suite() {
BUILD=$1
L=$BUILD/lguest
LONG=(-a count=100000000 $G/ioloop.elf)     # a guest that runs for minutes, silent
# --- unit tests -------------------------------------------------------------
if out=$("$BUILD/unit" 2>&1); then :; fi
echo "$out" | grep -v '^unit:'
u_pass=$(echo "$out" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
u_fail=$(echo "$out" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$u_pass" ]; then bad "unit tests did not finish" "$out"; else
	pass=$((pass + u_pass - 1)); fail=$((fail + u_fail))
	if [ "$u_fail" = 0 ]; then ok "unit: $u_pass checks passed"; else bad "unit: $u_fail of $((u_pass + u_fail)) checks failed"; fail=$((fail - 1)); pass=$((pass + 1)); fi; fi
# The output watch, printed to by two threads at once, under ThreadSanitizer
# (make builds build/race with the unit tests).
if [ "$BUILD" = "${BUILDS[0]}" ]; then
	if out=$(build/race 2>&1) && ! grep -q ThreadSanitizer <<<"$out"; then ok "output watch: two threads print at once, no data race (TSan)"
	else bad "output watch: two threads print at once, no data race (TSan)" "$(grep -m3 -E 'WARNING|#0|race' <<<"$out")"; fi
fi

# --- running guests ---------------------------------------------------------
# guest NAME STATUS REGEX [lguest run args...]: exit status and output match
# (STATUS may be a pattern; REGEX may be several, joined by ";;").
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
# lguest's own statuses stay out of the way of the guest's (and a command's)
guest "debug-exit status 2 is the guest's (lguest's own failures are 125)" 2 'hello' -a status=2 $G/hello.elf
# A kernel that panics without panic= ends lguest with 123 once its report is
# out, or after a short grace; Ctrl-A x after a panic is still 123.
guest "kernel panic report: 123 at once, said on stderr" 123 '^lguest: the guest kernel panicked: Kernel panic - not syncing: hello panics$' -a panic=1 $G/hello.elf
guest "kernel panic without its end line: 123 after a grace" 123 'Kernel panic - not syncing' -a panic=2 $G/hello.elf
{ sleep 0.5; printf '\001x'; } | timeout 20 "$L" run -a panic=2 $G/hello.elf >"$T/out" 2>&1
rc=$?; [ $rc = 123 ] && ok "Ctrl-A x after a kernel panic: still 123" || bad "Ctrl-A x after a kernel panic: still 123" "status $rc"
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
guest "triple fault ends with 0, said on stderr" 0 'reset: triple;;^lguest: vCPU 0 triple-faulted at rip 0x[0-9a-f]+: the guest reset$' -a mode=triple $G/reset.elf
guest "guest exception handler reports"   3  'vector=6'                             -a mode=ud $G/reset.elf
# Instructions kvm-pvm cannot emulate, which lguest completes there.
if [ -d /sys/module/kvm_pvm ]; then
	LGUEST_REPORT=1 guest "pvm: int3, stac/clac, fwait, ldmxcsr (loaded, or #GP) completed" 0 'pvmops int3=1 stac_ac=(1|-1) clac_ac=(0|-1) fwait=1 ldmxcsr=2 mxcsr=0x7f80 reserved_gp=1 kept=0x7f80;;pvm_completed=([5-9]|[1-9][0-9])' $G/pvmops.elf
else
	guest "int3, stac/clac, fwait, ldmxcsr run at ring 0" 0 'pvmops int3=1 stac_ac=(1|-1) clac_ac=(0|-1) fwait=1 ldmxcsr=2 mxcsr=0x7f80 reserved_gp=1 kept=0x7f80' $G/pvmops.elf
fi
# An SSE instruction in the guest kernel: kvm-pvm's emulator has none, so the
# vCPU stops (status 122, registers and code bytes on stderr); hardware runs it.
if [ -d /sys/module/kvm_pvm ]; then
	guest "vCPU internal error: status 122 and a register dump" 122 'code at gpa 0x[0-9a-f]+: 66 0f 6e c0' -a mode=sse $G/reset.elf
else
	guest "SSE in the guest kernel runs (or #UD)" '[34]' 'sse: (ran|.*vector=6)' -a mode=sse $G/reset.elf
fi

# A PVH kernel in a 32-bit ELF (ELFCLASS32, EM_386), as QEMU and Xen boot.
objcopy -O elf32-i386 $G/hello.elf "$T/hello32.elf"
guest "32-bit PVH ELF (i386) boots"       7  '^hello from the lguest test guest'  -a status=7 "$T/hello32.elf"

# --- a bzImage, through the real boot protocol (guest/test/bz) ----------------
B=$G/test.bzImage
head -c 300000 /dev/urandom >"$T/initrd"
sum=$(python3 -c 'import sys; print(sum(open(sys.argv[1],"rb").read()))' "$T/initrd")
guest "bzImage: 64-bit entry, zero page, cmdline" 9 'cmdline=(.* )?status=9 root=x$' -a "status=9 root=x" $B
if [ -d /sys/module/kvm_pvm ]; then   # kvm-pvm: Linux gets the parameters this host needs, first
	guest "pvm host: Linux kernels get noxsave, clearcpuid=, said once" 0 'cmdline=noxsave .*clearcpuid=[0-9,]+ status=0$;;^lguest: note: this host.s KVM is kvm-pvm, so Linux.s command line starts with "noxsave ' -a status=0 $B
	guest "pvm host: -q, no note" 0 '' -q -a status=0 $B
	grep -q "lguest: note" "$T/out" && bad "pvm host: -q: the note is not there" || ok "pvm host: -q: the note is not there"
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
# stdin still open when the guest drains the buffer: the vCPU thread asks the
# loop to watch stdin again (allowed by its seccomp filter).
(sleep 1; printf 'abc.'; sleep 2) | timeout 60 "$L" run $G/echo.elf 2>&1 | tr -d '\r' >"$T/out"
rc=${PIPESTATUS[1]}
if [ $rc = 0 ] && grep -q '^ABC\.$' "$T/out"; then ok "serial input: the guest drains it while stdin stays open"
else bad "serial input: the guest drains it while stdin stays open" "status $rc" "$(tail -2 "$T/out")"; fi
# More than the UART's 4 KiB buffer: stdin waits for the guest, nothing is lost.
{ head -c 20000 /dev/zero | tr '\0' 'a'; printf '.'; } | timeout 60 "$L" run -a quiet=1 $G/echo.elf >"$T/out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "bytes=20001 sum=$((20000 * 97 + 46)) " "$T/out"; then ok "serial input: 20 KB pasted, none lost"
else bad "serial input: 20 KB pasted, none lost" "status $rc" "$(tail -2 "$T/out")"; fi
# The guest clears the receive FIFO while 16 KB more wait (Linux's 8250
# driver does at start-up): input must flow again (the writer stays open).
timeout 60 "$L" run -a "quiet=1 fcr_wait=2000000000 tsc_limit=10000000000" $G/echo.elf \
	< <(head -c 20000 /dev/zero | tr '\0' a; printf .; sleep 15) >"$T/out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "bytes=15905 " "$T/out"; then ok "serial input: flows again after the guest clears the FIFO"
else bad "serial input: flows again after the guest clears the FIFO" "status $rc" "$(tail -2 "$T/out")"; fi
# stdin from a regular file (epoll cannot watch one) is fed too.
printf 'file.' >"$T/in"
timeout 60 "$L" run -a tsc_limit=10000000000 $G/echo.elf <"$T/in" 2>&1 | tr -d '\r' >"$T/out"
rc=${PIPESTATUS[0]}
if [ $rc = 0 ] && grep -q '^FILE\.$' "$T/out"; then ok "serial input from a regular file"
else bad "serial input from a regular file" "status $rc" "$(tail -2 "$T/out")"; fi
# Input the guest never takes, then EOF: lguest waits without spinning (the
# main thread's CPU time over 2 s), and Ctrl-A x is heard behind 10 KB.
for n in 20000 100000; do        # more than the device takes; then more than lguest holds too
	"$L" run --console virtio "${LONG[@]}" < <(head -c $n /dev/zero) >/dev/null 2>&1 &
	lp=$!; sleep 1
	t0=$(awk '{ print $14 + $15 }' /proc/$lp/task/$lp/stat); sleep 2; t1=$(awk '{ print $14 + $15 }' /proc/$lp/task/$lp/stat)
	kill $lp; wait $lp 2>/dev/null
	[ $((t1 - t0)) -lt 20 ] && ok "stdin at EOF after $n bytes the guest does not take: no spinning" \
		|| bad "stdin at EOF after $n bytes the guest does not take: no spinning" "main thread: $((t1 - t0)) ticks of CPU in 2 s"
done
timeout 20 "$L" run --console virtio "${LONG[@]}" < <(head -c 10000 /dev/zero; printf '\001x'; sleep 30) >/dev/null 2>&1
rc=$?; [ $rc = 0 ] && ok "Ctrl-A x behind 10 KB a virtio-console guest never takes" \
	|| bad "Ctrl-A x behind 10 KB a virtio-console guest never takes" "status $rc"

# --- virtio-blk and virtio-rng through the test guests' driver --------------
disk() { python3 guest/test/mkdisk.py "$T/disk.img" "${1:-4096}"; }
disk; guest "virtio-blk: capacity, serial, pattern read" 0 'capacity=4096 ;;serial=SER-9;;checked_sectors=64 pattern=ok' --disk "$T/disk.img,serial=SER-9" $G/blk.elf
disk; mv "$T/disk.img" "$T/a,b.img"
guest "virtio-blk: a path with a comma (,, in --disk)" 0 'serial=S;;pattern=ok' --disk "$T/a,,b.img,serial=S" $G/blk.elf
disk; guest "virtio-blk: 32 in flight, indirect descriptors" 0 'checked_sectors=4096 pattern=ok qd=32;;indirect=1' --disk "$T/disk.img" -a "qd=32 indirect=1 sectors=4096" $G/blk.elf
disk; guest "virtio-blk: MSI-X interrupts by irqfd"  0 'irq=msix;;pattern=ok;;irqs=[1-9]' --disk "$T/disk.img" -a "irq=msix qd=8 bs=65536 sectors=4096" $G/blk.elf
disk; guest "virtio-blk: ring 3 waits in HLT for MSI-X"  0 'pattern=ok;;irqs=[1-9][0-9]* halts=[1-9]' --disk "$T/disk.img" -a "irq=msix halt=1 qd=4 sectors=4096" $G/blk.elf
disk; guest "virtio-blk: INTx through the IOAPIC (ISR read-to-clear)" 0 'irq=intx;;pattern=ok;;irqs=[1-9]' --disk "$T/disk.img" -a "irq=intx qd=8 sectors=1024" $G/blk.elf
# Eight disks put virtio-rng in slot 9, on slot 1's INTx line (16 + slot % 8).
eight=(); for i in 1 2 3 4 5 6 7 8; do python3 guest/test/mkdisk.py "$T/small$i.img" 64; eight+=(--disk "$T/small$i.img,ro"); done
guest "PCI INTx: slots 1 and 9 share a line, up while either asserts" 0 'intx: line=shared .*pending=1' "${eight[@]}" $G/intx.elf
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
# Chains that finish at once, republished for ever: one turn of the loop
# serves a bounded share, so SIGTERM still ends lguest at once; an rng chain
# asking for 16 GiB gets 64 KiB (its used length is no 32-bit wrap).
for dev in rng vcon blk; do
	args=; case $dev in vcon) args="--console virtio" ;; blk) disk; args="--disk $T/disk.img" ;; esac
	want=' '; [ $dev = rng ] && want=' first_len=65536 '
	out=$(python3 tests/flood_term.py "$L" $G $dev 1.0 $args 2>&1)
	if [ $? = 0 ] && [[ "$out" == *"$want"* ]]; then ok "event loop: a $dev flood, SIGTERM still ends lguest within 1 s"
	else bad "event loop: a $dev flood, SIGTERM still ends lguest within 1 s" "$out"; fi
done
python3 tests/flush_kill.py "$L" $G 20 && ok "data safety: SIGKILL right after FLUSH, 20 rounds, nothing lost" \
	|| bad "data safety: SIGKILL right after FLUSH, 20 rounds, nothing lost"
if [ -f $G/hostile.elf ]; then
	disk
	cases=$(timeout 60 "$L" run --disk "$T/disk.img" -a case=list $G/hostile.elf 2>/dev/null | tr -d '\r' | sed -n 's/^hostile case_name=//p')
	[ -n "$cases" ] || bad "hostile: the guest lists its cases"
	# What some cases must also see: a read into a readable buffer or a
	# write from a writable one fails; nothing lands after a reset (the image
	# out of the page cache, so the reads are still in flight); 8-byte MSI-X.
	declare -A want=( [data_readonly]='req_status=0x1 ' [write_data_writable]='req_status=0x1 '
			  [reset_inflight]='buffers_after_reset=zero' [msix_qword]='qword=ok' )
	for c in $cases; do
		disk
		[ $c = reset_inflight ] && python3 -c 'import os,sys; fd=os.open(sys.argv[1],os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED)' "$T/disk.img"
		ro=; case $c in *_ro_*) ro=,ro;; esac
		guest "hostile driver: $c; VMM alive and serving" 0 "hostile case=$c .*survived=1${want[$c]+;;hostile case=$c .*${want[$c]}}" --disk "$T/disk.img$ro" -a "case=$c" $G/hostile.elf
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

# --- the terminal -----------------------------------------------------------
while IFS= read -r line; do
	case "$line" in "ok   "*) ok "${line#ok   }" ;; "FAIL "*) bad "${line#FAIL }" ;; *) bad "pty_check: $line" ;; esac
done < <(python3 tests/pty_check.py "$L" "$G" 2>&1)
printf 'abc\001xdef' | timeout 60 "$L" run "${LONG[@]}" >"$T/out" 2>&1
rc=$?; [ $rc = 0 ] && ok "Ctrl-A x quits with 0" || bad "Ctrl-A x quits with 0" "status $rc"
"$L" run "${LONG[@]}" </dev/null >/dev/null 2>&1 & lp=$!
sleep 0.5; kill -QUIT $lp; wait $lp; rc=$?
[ $rc = 131 ] && ok "SIGQUIT ends lguest with 131" || bad "SIGQUIT ends lguest with 131" "status $rc"

# On kvm-pvm a guest kernel can be silent for minutes: lguest says why, once
# (not with -q); elsewhere it says nothing.
timeout 7 "$L" run "${LONG[@]}" </dev/null >/dev/null 2>"$T/note" & lp=$!
timeout 7 "$L" run -q "${LONG[@]}" </dev/null >/dev/null 2>"$T/note-q"; wait $lp
note="^lguest: note: no output from the guest yet; this host's KVM \(kvm-pvm\) emulates"
if [ -d /sys/module/kvm_pvm ]; then grep -Eq "$note" "$T/note" && [ "$(wc -l <"$T/note")" = 1 ]; else [ ! -s "$T/note" ]; fi \
	&& ok "a silent guest: one note on kvm-pvm hosts, none elsewhere" || bad "a silent guest: one note on kvm-pvm hosts, none elsewhere" "$(head -2 "$T/note")"
[ ! -s "$T/note-q" ] && ok "-q: no notes" || bad "-q: no notes" "$(head -2 "$T/note-q")"

# --- stdout that nobody reads ------------------------------------------------
# A chatty guest into a pipe whose reader stalls: SIGTERM still ends lguest
# promptly (no vCPU stuck in a write), and the disk is unlocked.
disk; rm -f "$T/fifo"; mkfifo "$T/fifo"
sleep 30 <"$T/fifo" & sp=$!
"$L" run --disk "$T/disk.img" -a lines=1000000 $G/hello.elf >"$T/fifo" 2>/dev/null & lp=$!
sleep 5; s=$(date +%s%N); kill -TERM $lp; wait $lp; rc=$?; ms=$(( ($(date +%s%N) - s) / 1000000 ))
# (A vCPU stuck in the write would hold it until the reader's 30 s are up;
# 10 s leaves room for a busy machine.)
if [ $rc = 143 ] && [ $ms -lt 10000 ] && flock -n "$T/disk.img" true; then ok "stalled stdout: SIGTERM ends lguest at once (${ms} ms), disk unlocked"
else bad "stalled stdout: SIGTERM ends lguest at once, disk unlocked" "status $rc after $ms ms"; fi
kill $sp 2>/dev/null; wait $sp 2>/dev/null

# --- the sandbox -------------------------------------------------------------
# Each thread kind has a seccomp filter: a forbidden call (a socket, an
# ioctl request we never send) ends lguest with 128+SIGSYS and one line.
for k in vcpu loop ioctl; do
	LGUEST_SECCOMP_SELFTEST=$k timeout 60 "$L" run -a count=100000000 $G/ioloop.elf </dev/null >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc = 159 ] && grep -Eq '^lguest: the (vCPU|event loop) thread made a system call its seccomp filter forbids: (socket|ioctl) ' "$T/err"
	then ok "seccomp: a forbidden call from the $k selftest ends lguest, named"
	else bad "seccomp: a forbidden call from the $k selftest ends lguest, named" "status $rc" "$(head -2 "$T/err")"; fi
done
LGUEST_SECCOMP_SELFTEST=vcpu guest "seccomp: --seccomp=off lifts the filters" 0 'hello' --seccomp=off $G/hello.elf
guest "seccomp: the CMOS clock read under the filter (the time zone file read before)" 0 'rtc_seconds=0x[0-5]?[0-9]$' -a rtc=1 $G/hello.elf
# A running guest: every thread filtered, no capability, no file descriptor
# but the guest's (KVM's VM and vCPUs, RAM, eventfds, epoll, io_uring, disk).
disk
"$L" run --disk "$T/disk.img" -c 2 -a count=100000000 $G/ioloop.elf </dev/null >/dev/null 2>&1 &
pid=$!
sleep 1
out1=$(readlink /proc/$pid/fd/1)    # (guest output goes through a non-blocking second handle on it)
extra=$(for f in /proc/$pid/fd/*; do n=${f##*/} l=$(readlink "$f")
	case "$n:$l" in [012]:*|*:anon_inode:kvm-vm|*:anon_inode:kvm-vcpu:[01]|*:/memfd:lguest-ram*|*:"$out1") ;;
	*:"anon_inode:[eventfd]"|*:"anon_inode:[eventpoll]"|*:"anon_inode:[io_uring]"|*:"anon_inode:[timerfd]"|*:"$T/disk.img") ;;
	*:socket:\[*\]|*:"$XDG_RUNTIME_DIR/lguest"|*:/proc/$pid/status) ;;    # the control socket, its directory; stat
	*) echo "$n:$l" ;; esac; done)
caps=$(grep -hE "^Cap(Inh|Prm|Eff|Amb$([ "$(id -u)" = 0 ] && echo '|Bnd')):" /proc/$pid/task/*/status | grep -vc '0000000000000000$')
threads=$(ls /proc/$pid/task | wc -l) filtered=$(grep -h '^Seccomp:' /proc/$pid/task/*/status | grep -c '2$')
kill $pid; wait $pid 2>/dev/null
[ -z "$extra" ] && ok "sandbox: a running guest holds only its own file descriptors" \
	|| bad "sandbox: a running guest holds only its own file descriptors" $extra
[ "$caps" = 0 ] && ok "sandbox: no capability in any thread" || bad "sandbox: no capability in any thread" "$caps sets not empty"
# (KVM's own workers, such as kvm-nx-lpage-recovery, count as threads too)
[ "$threads" -ge 3 ] && [ "$filtered" = "$threads" ] && ok "sandbox: every thread (2 vCPUs, the loop, ...) under seccomp" \
	|| bad "sandbox: every thread (2 vCPUs, the loop, ...) under seccomp" "$filtered of $threads"

# --- bad input: one line on stderr, status 125 -------------------------------
# usage NAME REGEX [lguest args...]
usage() {
	local name=$1 re=$2; shift 2
	timeout 60 "$@" </dev/null >"$T/out" 2>"$T/err"
	local rc=$? lines
	lines=$(wc -l <"$T/err")
	if [ $rc = 125 ] && [ "$lines" = 1 ] && grep -Eq -- "^lguest: .*$re" "$T/err" && [ ! -s "$T/out" ]; then ok "bad input: $name"
	else bad "bad input: $name" "status $rc, $lines stderr lines, want 125 and 1 matching: $re" "$(head -3 "$T/err")"; fi
}
echo "just text" >"$T/text"
mkdir -p "$T/dir"
truncate -s 40M "$T/big.img"
cp $G/hello.elf "$T/secret.elf"; chmod 000 "$T/secret.elf"; chmod 755 "$T"
python3 tests/mkelf.py "$T/far.elf" 0x10000000
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[18]=183; open(sys.argv[2],"wb").write(d)' $G/hello.elf "$T/arm.elf"
usage "no command"            "no command"            "$L"
usage "unknown command"       "unknown command 'fly'" "$L" fly
usage "unknown option"        "unknown option --bogus" "$L" run --bogus $G/hello.elf
usage "unknown short option in a bundle" "unknown option -x " "$L" run -qx $G/hello.elf
usage "ambiguous long option" "--c is ambiguous: --cpus or --console" "$L" run --c 2 $G/hello.elf
usage "a value to an option that takes none" "--quiet takes no value" "$L" run --quiet=1 $G/hello.elf
usage "option without value"  "needs a value"         "$L" run -m
usage "no KERNEL, no default guest kit" "no default guest found" env LGUEST_GUEST_DIR=/nonexistent "$L" run
usage "-- without a command"  "needs a command"       "$L" run $G/hello.elf --
usage "kernel missing"        "No such file"          "$L" run /nonexistent/kernel
usage "kernel is a directory" "not a regular file"    "$L" run "$T/dir"
usage "kernel not a kernel"   "neither a bzImage nor an ELF" "$L" run "$T/text"
usage "kernel a PIE program" "an ELF shared object or position-independent program, not an executable kernel" "$L" run /bin/true
usage "kernel an ARM ELF"     "not an x86 ELF"        "$L" run "$T/arm.elf"
objcopy -O elf32-i386 -R .note.Xen $G/hello.elf "$T/h32.elf"
usage "32-bit ELF without a PVH note" "a 32-bit ELF without a PVH entry note" "$L" run "$T/h32.elf"
# What a kernel's headers promise must be in the file (cut: one line, 125).
bzs=$(stat -c %s $G/test.bzImage)
head -c $((bzs - 1)) $G/test.bzImage >"$T/cut.bz"
usage "bzImage cut by one byte" "kernel .*cut.bz is truncated: its header promises $bzs bytes, the file has $((bzs - 1))" "$L" run "$T/cut.bz"
head -c 1100 $G/test.bzImage >"$T/cut.bz"
usage "bzImage cut after its setup" "is truncated: its header promises $bzs bytes, the file has 1100" "$L" run "$T/cut.bz"
head -c 30000 $G/hello.elf >"$T/cut.elf"
usage "PVH ELF cut short" "cut.elf is truncated: its program headers promise [0-9]+ bytes, the file has 30000" "$L" run "$T/cut.elf"
head -c 40 $G/hello.elf >"$T/cut.elf"
usage "ELF cut inside its header" "is truncated: no room for its ELF header" "$L" run "$T/cut.elf"
head -c 8000000 build/guest/vmlinux >"$T/cut.elf"
usage "vmlinux cut at 8 MB"   "is truncated: its program headers promise [0-9]+ bytes, the file has 8000000" "$L" run "$T/cut.elf"
usage "ELF beyond RAM"        "does not fit.*raise -m" "$L" run -m 64M "$T/far.elf"
usage "initrd missing"        "initrd /nonexistent"   "$L" run -i /nonexistent $G/hello.elf
usage "initrd too big"        "does not fit .*and 32 MiB \(raise -m\)" "$L" run -m 32M -i "$T/big.img" $G/hello.elf
usage "bzImage initrd too big" "does not fit .*\(raise -m\)" "$L" run -m 48M -i "$T/big.img" $G/test.bzImage
truncate -s 2500M "$T/huge.img"
usage "initrd above what the kernel reaches" "does not fit .*and 2048 MiB \(the kernel takes it no higher: give a smaller initrd\)" \
	"$L" run -m 3G -i "$T/huge.img" $G/test.bzImage
rm -f "$T/huge.img"
usage "bzImage beyond RAM"    "needs .* raise -m"     "$L" run -m 16M $G/test.bzImage
usage "-m unparsable"         "-m lots"               "$L" run -m lots $G/hello.elf
usage "-m zero"               "-m 0"                  "$L" run -m 0 $G/hello.elf
usage "-m beyond the host"    "more than this host"   "$L" run -m 64T $G/hello.elf
usage "-m too small"          "at least"              "$L" run -m 1M $G/hello.elf
usage "-c 0"                  "-c 0"                  "$L" run -c 0 $G/hello.elf
usage "-c above the maximum"  "-c 65"                 "$L" run -c 65 $G/hello.elf
usage "-m not whole pages"     "-m 1000001: give a whole number of 4 KiB pages, such as 980K" "$L" run -m 1000001 $G/hello.elf
usage "over-long command line" "command line is 3000 bytes; this kernel takes at most 2047: shorten -a$" "$L" run -a "$(printf 'x%.0s' $(seq 3000))" $G/hello.elf
usage "over-long -a for Linux, counted honestly" "command line is (2000 bytes|2[0-9]{3} bytes \([0-9]+ of them this host's kvm-pvm parameters\)); this kernel takes at most 2047: shorten -a$" \
	"$L" run -a "$(printf 'x%.0s' $(seq 2000))" $G/test.bzImage
usage "over-long -- command, no -a: says so" "command line is [0-9]+ bytes.*: shorten the command after --$" \
	env LGUEST_GUEST_DIR=build/guest "$L" run -- $(printf 'y%.0s' $(seq 1500))
disk; truncate -s 1000 "$T/odd.img"
usage "--disk missing"        "disk /nonexistent.img: No such file" "$L" run --disk /nonexistent.img $G/hello.elf
usage "--disk with no path"   "--disk needs a path" "$L" run --disk "" $G/hello.elf
usage "--disk with only options" "--disk needs a path" "$L" run --disk ,ro $G/hello.elf
usage "--disk given twice"    "disk .*disk.img is given twice \(also as --disk .*disk.img\)" "$L" run --disk "$T/disk.img" --disk "$T/../${T##*/}/disk.img,ro" $G/hello.elf
usage "--disk a directory"    "Is a directory|not a regular file" "$L" run --disk "$T/dir" $G/hello.elf
usage "--disk size not a multiple of 512" "not a multiple of 512" "$L" run --disk "$T/odd.img" $G/hello.elf
usage "--disk unknown option" "unknown option 'rw'"   "$L" run --disk "$T/disk.img,rw" $G/hello.elf
usage "--disk serial too long" "unknown option"       "$L" run --disk "$T/disk.img,serial=123456789012345678901" $G/hello.elf
usage "--console bogus"       "--console bogus"       "$L" run --console bogus $G/hello.elf
usage "--seccomp bogus"       "--seccomp maybe"       "$L" run --seccomp=maybe $G/hello.elf
"$L" run --disk "$T/disk.img" -a count=100000000 $G/ioloop.elf </dev/null >/dev/null 2>&1 &
holder=$!
sleep 0.5
usage "--disk in use by another lguest" "disk .* is in use: process $holder \(lguest\) holds a lock on it" "$L" run --disk "$T/disk.img" $G/hello.elf
usage "--disk ,ro while another writes" "is in use: process $holder \(lguest\)" "$L" run --disk "$T/disk.img,ro" $G/hello.elf
kill $holder; wait $holder 2>/dev/null
flock -x "$T/disk.img" sleep 5 & holder=$!
sleep 0.3
usage "--disk locked by another program" "is in use: process $holder \(flock\) holds a lock on it" "$L" run --disk "$T/disk.img" $G/hello.elf
kill $holder; wait $holder 2>/dev/null
if command -v unshare >/dev/null; then
	usage "no /dev/kvm" "/dev/kvm does not exist" unshare -m sh -c "mount -t tmpfs none /dev && exec $L run $G/hello.elf"
fi
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	# As nobody: the checkout may sit in a directory only root can enter,
	# so the readable guest goes through $T (mode 755).
	# nobody's control sockets go in a directory of its own.
	cp $G/hello.elf "$T/hello.elf"; chmod 644 "$T/hello.elf"
	mkdir -p -m 700 "$T/xdg-nobody"; chown nobody "$T/xdg-nobody"
	usage "kernel unreadable"  "Permission denied" setpriv --reuid=nobody --regid=nogroup --clear-groups "$L" run "$T/secret.elf"
	XDG_RUNTIME_DIR=$T/xdg-nobody usage "no permission to /dev/kvm" "no permission to open /dev/kvm" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$L" run "$T/hello.elf"
	chmod 644 "$T/disk.img"
	usage "--disk read-only, no ,ro: says to add it" "disk .*: Permission denied for writing \(add ,ro to use it read-only\)" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$L" run --disk "$T/disk.img" "$T/hello.elf"
	chmod 600 "$T/disk.img"
	usage "--disk unreadable"  "disk .*: Permission denied$" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$L" run --disk "$T/disk.img" "$T/hello.elf"
fi

# --- the network (tests/net.sh) ----------------------------------------------
echo "     [$BUILD] info: the network's tests begin at ${SECONDS} s"
net_suite
echo "     [$BUILD] info: the control socket's tests begin at ${SECONDS} s"
control_tests
}

# --- Linux: the default guest kit, the kernel alone -----------------------------
# A kernel boots in ~30 s on kvm-pvm hosts, so these run once, with the first
# build, several at a time.  pvm: guest user space cannot make system calls
# there (shared/notes/PVM-HOST.md), so we prove what the kernel does alone and
# list the user-space tests as not runnable.
K=build/guest/vmlinux I=build/guest/initramfs.cpio
PVM=; [ -d /sys/module/kvm_pvm ] && PVM=1
linux_start() {           # ID ARGS...: boot in the background (pid in linux_pids)
	local id=$1; shift
	# (tr unbuffered: wait_for reads the file while the kernel runs)
	( timeout -k 5 400 "$L" run "$@" </dev/null 2>&1 | stdbuf -o0 tr -d '\r' >"$T/linux-$id.out"
	  echo "${PIPESTATUS[0]}" >"$T/linux-$id.rc" ) &
	linux_pids+=($!)
}
linux_check() {           # ID NAME STATUS REGEX (";;" joins several)
	local id=$1 name=$2 want=$3 re=$4 rc
	rc=$(cat "$T/linux-$id.rc" 2>/dev/null)
	if [[ "$rc" == $want ]] && matches "$re" "$T/linux-$id.out"; then ok "$name"
	else bad "$name" "status $rc (want $want), output must match: $re" "$(grep -E 'panic|lguest:|Run ' "$T/linux-$id.out" | tail -4)"; fi
}
# Guest user space: tests/userspace.sh, each test a boot of the default guest.
# Counted here, each line named; "build B" lines say whose lines follow
# (tests/nested.sh serves every build), "info:" and "nested:" lines are shown.
userspace_count() {       # PREFIX < userspace.sh's output
	local line name= detail=()
	flush() { [ -z "$name" ] && return
		case "$name" in ok*) ok "$1: ${name#ok   }" ;; *) bad "$1: ${name#FAIL }" "${detail[@]}" ;; esac
		name= detail=(); }
	while IFS= read -r line; do
		case "$line" in
		"build "*) flush "$1"; BUILD=${line#build } ;;
		"ok   "*|"FAIL "*) flush "$1"; name=$line ;;
		"     "*) detail+=("${line#     }") ;;
		info:*|"nested: "*) flush "$1"; echo "     [$BUILD] $line" ;;
		esac
	done
	flush "$1"
}

# The Linux tests start first and run beside the test guests' suites: a
# kernel boots in ~30 s on kvm-pvm hosts, and the nested host (below) takes
# minutes of one core.  Each boot runs once, with the first build.
linux_begin() {
	BUILD=${BUILDS[0]} L=${BUILDS[0]}/lguest linux_pids=()
	[ -f $K ] && [ -f $I ] || return
	# Where this host's KVM cannot run guest user space (kvm-pvm), the
	# user-space tests run one level down, in one nested host for every
	# build (tests/nested.sh: KVM inside QEMU's software CPU with SVM).
	if [ -n "$PVM" ] && command -v qemu-system-x86_64 >/dev/null && [ -f build/nested/initramfs.cpio ]; then
		tests/nested.sh "${BUILDS[@]}" >"$T/nested.out" 2>&1 &
		nested_pid=$!
	fi
	truncate -s 8M "$T/root.img" "$T/root-ro.img"
	mkfs.ext2 -q -F "$T/root.img" && mkfs.ext2 -q -F "$T/root-ro.img" || bad "mkfs.ext2"
	rw_before=$(sha "$T/root.img") ro_before=$(sha "$T/root-ro.img")
	# 1: the default guest, -c 2 -m 512M, a command for its user space.
	LGUEST_REPORT=1 linux_start boot -c 2 -m 512M -- sh -c 'exit 3'
	# 2: no initramfs init: the kernel mounts an ext2 root from virtio-blk, rw.
	linux_start rootrw -m 256M -i $I --disk "$T/root.img" \
		-a "console=ttyS0 rdinit=/nonexistent root=/dev/vda rw panic=-1" $K
	# 3: the same, read-only disk; kernel messages on hvc0 (virtio-console).
	linux_start rootro -m 256M -i $I --disk "$T/root-ro.img,ro" --console virtio \
		-a "console=hvc0 rdinit=/nonexistent root=/dev/vda ro panic=-1" $K
}

# make check-long's Linux boots (tests/long.sh): the network's, and lguest
# stop's.  Each is a kernel alone, ~30 s of a core on kvm-pvm hosts: make
# check has room for three beside its suites.
linux_long_begin() {
	BUILD=${BUILDS[0]} L=${BUILDS[0]}/lguest linux_pids=()
	[ -f $K ] && [ -f $I ] || return
	control_linux_begin
	# 4: virtio-net and libslirp: the kernel's own DHCP client.
	linux_start dhcp -m 256M -i $I --net user,restrict -a "console=ttyS0 ip=dhcp panic=-1" $K
	# 5: a LAN: the kernel alone answers a test guest's ARP and pings (it
	# waits for a root disk that never comes, so it stays up: killed after).
	local ip="ip=10.0.0.5:::255.255.255.0::eth0:off rdinit=/nonexistent root=/dev/vdz rootwait"
	linux_start lanlinux -m 256M -i $I --net lan=lk$$ -a "console=ttyS0 $ip" $K
	# (the test guest spins while it waits: it starts once the kernel is up)
	wait_for "$T/linux-lanlinux.out" 'IP-Config: Complete' 400
	linux_start lanping --net lan=lk$$ -a "mode=ping peer=10.0.0.5 count=3 arp_secs=300 timeout_ms=10000 ip=10.0.0.1" $G/net.elf
	lanping_pid=${linux_pids[-1]}
	# 6: TAP, in a network namespace of the test's own: it pings the kernel.
	( unshare -n sh -c "
		'$L' run -m 256M -i $I --net tap=lgtap0 -a 'console=ttyS0 ${ip/10.0.0.5/10.9.0.5}' $K </dev/null >$T/linux-tap.out 2>&1 & lp=\$!
		for i in \$(seq 50); do ip link show lgtap0 >/dev/null 2>&1 && break; sleep 0.1; done
		ip addr add 10.9.0.1/24 dev lgtap0 && ip link set lgtap0 up
		for i in \$(seq 300); do grep -q 'IP-Config: Complete' $T/linux-tap.out && break; sleep 1; done
		ping -c 3 -W 5 10.9.0.5 >$T/linux-tapping.out 2>&1; echo \$? >$T/linux-tapping.rc; kill \$lp; wait" ) &
	linux_pids+=($!)
}

linux_long_end() {
	BUILD=${BUILDS[0]}
	if [ ! -f $K ] || [ ! -f $I ]; then bad "Linux: the default guest kit is built (make)"; return; fi
	wait $lanping_pid
	pkill -f "lan=lk$$ -a console=ttyS0"
	control_linux_end
	wait "${linux_pids[@]}"
	linux_check dhcp "Linux: virtio_net's eth0 gets 10.0.2.15 from libslirp by the kernel's DHCP" '*' \
		'IP-Config: Got DHCP answer from 10.0.2.2, my address is 10.0.2.15;;device=eth0, hwaddr=52:54:00'
	linux_check lanping "Linux on a LAN: its kernel answers a test guest's ARP and 3 pings" 0 'ping sent=3 received=3'
	[ "$(cat "$T/linux-tapping.rc" 2>/dev/null)" = 0 ] && ok "Linux over TAP: a namespace of the test's own pings the guest's kernel" \
		|| bad "Linux over TAP: a namespace of the test's own pings the guest's kernel" "$(tail -2 "$T/linux-tapping.out")" \
			"$(grep -E 'IP-Config|lguest:' "$T/linux-tap.out" | tail -2)"
}

linux_end() {
	BUILD=${BUILDS[0]}
	if [ ! -f $K ] || [ ! -f $I ]; then bad "Linux: the default guest kit is built (make)"; return; fi
	wait "${linux_pids[@]}"
	echo "     info: the Linux boots ended at ${SECONDS} s"
	linux_check boot "Linux: the default kernel reaches Run /init" '*' 'Run /init as init process'
	local t; t=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] Run \/init as init process/\1/p' "$T/linux-boot.out")
	# A bound that catches a stall (ptp_kvm's hypercall once cost minutes),
	# not a benchmark: ~30 s alone here, ~90-130 s beside both suites, more with other
	# work; bench/boot measures it.
	[ -n "$t" ] && [ "$t" -le 300 ] && ok "Linux: Run /init within 300 s of guest time, no stall (took ${t} s)" \
		|| bad "Linux: Run /init within 300 s of guest time, no stall (took ${t:-?} s)"
	linux_check boot "Linux: -c 2 brings up 2 CPUs" '*' 'smp: Brought up 1 node, 2 CPUs'
	linux_check boot "Linux: -m 512M is the memory it reports" '*' 'Memory: [0-9]+K/52[0-9]{4}K available'
	linux_check boot "Linux: virtio_pci binds virtio-rng, the driver reads it" '*' 'virtio type=4 slot=[0-9]+ status=0xf used=[1-9]'
	linux_check rootrw "Linux: virtio_blk reports vda with the image's capacity" '*' '\[vda\] 16384 512-byte logical blocks'
	linux_check rootrw "Linux: ext2 root mounted read-write from virtio-blk" '*' 'VFS: Mounted root \(ext[24] filesystem\) on device'
	[ "$(sha "$T/root.img")" != "$rw_before" ] && ok "Linux: the rw mount's superblock write reached the host file" \
		|| bad "Linux: the rw mount's superblock write reached the host file"
	linux_check rootro "Linux: console=hvc0 carries the kernel's messages" '*' 'VFS: Mounted root'
	linux_check rootro "Linux: a ,ro disk mounts read-only" '*' 'VFS: Mounted root \(ext[24] filesystem\) readonly'
	[ "$(sha "$T/root-ro.img")" = "$ro_before" ] && ok "Linux: the ,ro image is unchanged" \
		|| bad "Linux: the ,ro image is unchanged"
	linux_check rootrw "Linux: no init on the disk is a panic, status 123" 123 'No working init found'
	if [ -z "$PVM" ]; then
		linux_check boot "Linux: -- sh -c 'exit 3' exits 3" 3 'Run /init'
		for BUILD in "${BUILDS[@]}"; do
			userspace_count "Linux user space" < <(tests/userspace.sh "$BUILD/lguest" build/nested)
		done
		return
	fi
	linux_check boot "Linux on kvm-pvm: one line says user space cannot run here, status 121" 121 \
		"^lguest: this host's KVM \(kvm-pvm\) cannot run a Linux guest's user space; the kernel booted in [0-9.]+ s"
	local what="Linux user space (nested: KVM on QEMU's emulated SVM)"
	not_runnable+=("Linux user space on this host's own KVM (kvm-pvm); the same tests ran nested, above")
	if ! command -v qemu-system-x86_64 >/dev/null; then
		bad "$what" "qemu-system-x86_64 is missing: scripts/deps.sh installs qemu-system-x86"; return; fi
	if [ ! -f build/nested/initramfs.cpio ]; then bad "$what" "build/nested is missing: make nested-kit"; return; fi
	local t0=$SECONDS
	wait $nested_pid
	echo "     info: the nested host ended at ${SECONDS} s (waited $((SECONDS - t0)) s for it)"
	userspace_count "$what" <"$T/nested.out"
	BUILD=${BUILDS[0]}
	grep -q '^nested: done' "$T/nested.out" && ok "$what: the nested host ran every test to the end" \
		|| bad "$what: the nested host ran every test to the end" "$(tail -5 "$T/nested.out")"
	reruns=$(sed -n 's/^nested: reruns //p' "$T/nested.out")
}

if [ -n "$LONG" ]; then
	linux_long_begin
	linux_long_end
	echo "$pass passed, $fail failed"
	[ $fail = 0 ]
	exit
fi
# Each build's suite runs beside the others (most of a suite is waiting on
# guests), in a subshell with its own T and control directory; its output
# comes after, in order, and its ok and FAIL lines are counted here.
suite_apart() {
	local b=$1
	chmod 711 "$T"                 # (the tests as another user reach into their T)
	T=$T/suite-${b//\//_}; mkdir -p "$T/xdg"; chmod 700 "$T/xdg"
	export XDG_RUNTIME_DIR=$T/xdg
	pass=0 fail=0
	suite "$b"
	echo "     [$b] info: the suite's end at ${SECONDS} s"
	echo "suite: $pass passed, $fail failed"
}
linux_begin
suite_pids=()
for b in "$@"; do suite_apart "$b" >"$T/suite-${b//\//_}.out" 2>&1 & suite_pids+=($!); done
wait "${suite_pids[@]}"
for b in "$@"; do
	out=$T/suite-${b//\//_}.out
	grep -v '^suite: ' "$out"
	n=$(sed -n 's/^suite: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out")
	[ -n "$n" ] || { n="0 1"; echo "FAIL [$b] the suite did not run to its end"; }
	pass=$((pass + ${n% *})) fail=$((fail + ${n#* }))
done
# make install puts the launcher, its man page and bash completion, hello.elf
# and the default guest kit where they are found; make uninstall removes them.
BUILD=$1
if make -s install PREFIX="$T/inst" BUILD="$1" >/dev/null 2>&1 && [ -x "$T/inst/bin/lguest" ] &&
   [ -f "$T/inst/share/lguest/vmlinux" ] && [ -f "$T/inst/share/lguest/initramfs.cpio" ] &&
   [ -f "$T/inst/share/man/man1/lguest.1" ] && [ -f "$T/inst/share/bash-completion/completions/lguest" ] &&
   "$T/inst/bin/lguest" run -a status=6 "$T/inst/share/lguest/hello.elf" </dev/null >/dev/null 2>&1; [ $? = 6 ]
then ok "make install PREFIX=...: bin/lguest, man page, bash completion, share/lguest/ with hello.elf"
else bad "make install PREFIX=...: bin/lguest, man page, bash completion, share/lguest/ with hello.elf"; fi
make -s uninstall PREFIX="$T/inst" >/dev/null 2>&1 && [ -z "$(find "$T/inst" -type f)" ] \
	&& ok "make uninstall PREFIX=...: nothing left" || bad "make uninstall PREFIX=...: nothing left" "$(find "$T/inst" -type f)"
# --help, README, man page and completion in step; --version; completion works.
out=$(python3 tests/docs_check.py "$1/lguest" 2>&1) && ok "--help, README, man page, bash completion: the same options, statuses, version" \
	|| bad "--help, README, man page, bash completion: the same options, statuses, version" "missing: $out"
[[ "$("$1/lguest" --version)" =~ ^lguest\ [0-9]+\.[0-9]+ ]] && "$1/lguest" --help | grep -q -- --version \
	&& ok "lguest --version, and --help names it" || bad "lguest --version, and --help names it"
MANWIDTH=80 man --warnings -l docs/lguest.1 2>"$T/manerr" | grep -q "lguest run \[options\]" && [ ! -s "$T/manerr" ] \
	&& ok "man -l docs/lguest.1 renders without warnings" || bad "man -l docs/lguest.1 renders without warnings" "$(head -3 "$T/manerr")"
comp() { bash -c 'source docs/lguest.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lguest; echo "${COMPREPLY[*]}"' _ "$@"; }
[ "$(comp lguest r)" = "run resume" ] && [ "$(comp lguest l)" = "lan list" ] && [ "$(comp lguest run --con)" = --console ] && [ "$(comp lguest run --console '')" = "serial virtio" ] &&
	[ -z "$(comp lguest run -- --c)" ] && ok "bash completion: subcommands, options, --console values, nothing after --" \
	|| bad "bash completion: subcommands, options, --console values, nothing after --"
linux_end
echo
for t in "${not_runnable[@]+"${not_runnable[@]}"}"; do echo "not runnable here: $t"; done
[ -z "$reruns" ] || echo "nested host reruns: $reruns (a nested host that froze is booted again from the test it stopped in, at most twice)"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
