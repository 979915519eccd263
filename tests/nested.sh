#!/usr/bin/env bash
# tests/nested.sh BUILD...: the Linux user-space tests (tests/userspace.sh) on
# a host whose KVM cannot run guest user space (kvm-pvm).  They run one level
# down instead: QEMU's software CPU with SVM boots Debian's kernel with its
# KVM modules (build/nested, `make nested-kit`), and each BUILD/lguest runs
# the default guest there, on KVM as it runs on AMD hardware.  Everything
# lguest does is the same code as on a host with SVM; only the speed is not.
# One nested host serves every BUILD given.
#
# Why the nested host froze (1 run in 3 before): QEMU 7.2's software CPU
# with SVM loses interrupts.  Its VMRUN and #VMEXIT helpers update the vCPU's
# interrupt_request word (the virtual-interrupt bit) without the lock, on the
# vCPU thread, while the main thread sets CPU_INTERRUPT_POLL there when the
# APIC timer expires: one write undoes the other, the timer's vector stays
# in the IRR, nothing re-reads it, and with a one-shot timer nothing ever
# will: the nested host halts for good (IRR 236, ISR empty, HLT, IF=1; a
# keypress, any other APIC event, wakes it: measured).  So the nested host
# runs its tick periodically (nohz=off highres=off): a lost poll is picked
# up by the next tick, 4 ms later.
#
# In case it still stops, it prints a heartbeat from its own clock; no
# heartbeat for NESTED_SILENCE seconds (default 30; 150 for the first, while
# it boots beside a busy suite) means it froze, and it is
# booted again from the test that was running, at most twice.  A test that
# hangs inside a live nested host is different: the heartbeat goes on, the
# test's own timeout fires, it fails.
#
# Prints, for each BUILD, "build BUILD" and then userspace.sh's lines for
# it, only those of tests that ran to their end; "nested: reruns N" (with a
# line for each freeze); "nested: done" if every test ran.
#   NET_MIB: the MiB userspace.sh sends over TCP between two guests (4 here,
#   where everything is emulated; make check-long: 100).
#   NESTED_CMD=...: run that instead, print everything, no watchdog (and
#   NESTED_LIST: gen_init_cpio lines of more files for it), as bench/nested.
set -u
[ $# -gt 0 ] || { echo "usage: tests/nested.sh BUILD..." >&2; exit 2; }
N=build/nested
T=$(mktemp -d /tmp/lguest-nested.XXXXXX)
qpid=
trap '[ -z "$qpid" ] || kill $qpid 2>/dev/null; rm -rf "$T"' EXIT
SILENCE=${NESTED_SILENCE:-30}
LIMIT=${NESTED_LIMIT:-900}       # seconds for one boot of the nested host
RERUNS=2

# The nested host's initramfs: the default guest's (busybox, /init), the KVM
# modules, and each lguest (as /usr/bin/lguest-I) with the libraries it
# links, the guest kit, Debian's kernel as a guest too, the tests.
{
	for d in /lib /lib64 /lib/x86_64-linux-gnu /usr/share /usr/share/lguest /usr/share/debian; do echo "dir $d 755 0 0"; done
	i=0
	for b in "$@"; do
		echo "file /usr/bin/lguest-$i $b/lguest 755 0 0"
		[ $i = 0 ] && echo "slink /usr/bin/lguest /usr/bin/lguest-0 777 0 0"
		i=$((i + 1))
	done
	for b in "$@"; do ldd "$b/lguest"; done |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' | sort -u |
		while read -r lib; do echo "file $lib $lib 755 0 0"; done
	echo "file /usr/share/lguest/vmlinux build/guest/vmlinux 644 0 0"
	echo "file /usr/share/lguest/initramfs.cpio build/guest/initramfs.cpio 644 0 0"
	echo "file /usr/share/debian/vmlinuz $N/vmlinuz 644 0 0"
	echo "file /usr/share/debian/initramfs.cpio $N/initramfs.cpio 644 0 0"
	echo "file /usr/bin/userspace.sh tests/userspace.sh 755 0 0"
	[ -z "${NESTED_LIST:-}" ] || cat "$NESTED_LIST"     # more, e.g. bench/nested's QEMU
} >"$T/list"
python3 guest/linux/mkcpio.py "$T/list" "$T/payload.cpio" || exit 1
cat build/guest/initramfs.cpio "$N/kvm.cpio" "$T/payload.cpio" >"$T/host.cpio"

# boot CMD: the nested host runs the shell command CMD, its console on stdout.
# One CPU: with two, QEMU's threaded TCG hung more often.  NESTED_SMP=N to
# try again.
boot() {
	local cmd; cmd=$(printf '%s' "$1" | base64 -w0)
	exec qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -smp ${NESTED_SMP:-1} -m 2G \
		-M pc -nodefaults -no-user-config -display none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$N/vmlinuz" -initrd "$T/host.cpio" \
		-append "console=ttyS0 panic=-1 quiet loglevel=1 nohz=off highres=off lg.cmd=$cmd" </dev/null 2>&1
}

if [ -n "${NESTED_CMD:-}" ]; then
	(boot "$NESTED_CMD; echo nested: done") | sed -u 's/\r//g'
	exit
fi

# The command in the nested host, from build FB's step FS on: a heartbeat
# every 2 s from the nested host's own clock, then userspace.sh per build.
nested_cmd() {
	local i=0 c='(while :; do echo "hb $(cut -d" " -f1 /proc/uptime)"; sleep 2; done) & '
	for b in "$@"; do
		[ $i -ge $FB ] && c="$c echo 'build $b'; NET_MIB=${NET_MIB:-4} US_RETRY=1 userspace.sh /usr/bin/lguest-$i /usr/share/debian $([ $i = $FB ] && echo $FS || echo 1) | tee /tmp/us; echo results \$(grep -cE '^(ok   |FAIL )' /tmp/us);"
		i=$((i + 1))
	done
	echo "$c echo nested: done"
}

# QEMU's CPU time so far, in ticks (a frozen host uses next to none).
qemu_cpu() { awk '{ print $14 + $15 }' /proc/$qpid/stat 2>/dev/null || echo 0; }

# A step's lines are shown once it ended: a rerun repeats a step cut short.
flush() { [ ${#step[@]} = 0 ] || printf '%s\n' "${step[@]}"; step=(); }

# attempt BUILD...: boot the nested host once, from build FB's step FS; keep
# the lines of finished steps, the current one's until it ends.  Returns 0
# when every test ran, 3 when the host froze (FB/FS then say where), 1 else.
attempt() {
	local line step=() last now bi=$((FB - 1)) fb0=$FB quiet=150 cpu0 seen=0
	rm -f "$T/fifo" && mkfifo "$T/fifo"
	boot "$(nested_cmd "$@")" >"$T/fifo" &
	qpid=$!
	exec 4<"$T/fifo"
	last=$SECONDS
	while :; do
		if IFS= read -r -t 2 line <&4; then
			line=${line%$'\r'}
			echo "$line" >>"$T/raw"
			case "$line" in
			"hb "*) last=$SECONDS quiet=$SILENCE cpu0=$(qemu_cpu) ;;
			"build "*) bi=$((bi + 1)) FB=$bi seen=0; [ $bi = $fb0 ] || FS=1; echo "$line" ;;
			"results "*) [ "${line#results }" = $seen ] ||    # a line the console garbled
				echo "FAIL the nested host's console lost $((${line#results } - seen)) of this build's ${line#results } result lines" ;;
			"step done") flush; FB=$((bi + 1)) FS=1 ;;
			"step "*) flush; FS=${line#step } ;;
			"ok   "*|"FAIL "*) step+=("$line") seen=$((seen + 1)) ;;
			"     "*|info:*) step+=("$line") ;;
			"nested: done") exec 4<&-; wait $qpid; qpid=; return 0 ;;
			esac
		elif [ $? -le 128 ]; then           # end of file: QEMU is gone
			break
		fi
		now=$SECONDS
		if [ $((now - last)) -ge $quiet ]; then
			local cpu=$(( $(qemu_cpu) - ${cpu0:-0} ))
			kill -9 $qpid 2>/dev/null; wait $qpid 2>/dev/null; qpid=; exec 4<&-
			echo "nested: the nested host froze in build $((FB + 1)) at step $FS (no heartbeat from its clock for $quiet s; QEMU used $((cpu / 100)) s of CPU meanwhile); its last lines:"
			grep -v '^hb ' "$T/raw" | tail -n 3 | sed 's/^/nested:   /'; grep '^hb ' "$T/raw" | tail -n 1 | sed 's/^/nested:   last /'
			return 3
		fi
		if [ $now -ge $LIMIT ]; then
			echo "nested: the nested host ran past ${LIMIT} s; its last lines:"; tail -n 5 "$T/raw"; break
		fi
	done
	kill -9 $qpid 2>/dev/null; wait $qpid 2>/dev/null; qpid=; exec 4<&-
	echo "nested: the nested host ended before its last test; its last lines:"; tail -n 5 "$T/raw"
	return 1
}

FB=0 FS=1 reruns=0
while :; do
	SECONDS=0
	attempt "$@"
	rc=$?
	[ $rc = 3 ] && [ $reruns -lt $RERUNS ] || break
	reruns=$((reruns + 1))
	echo "nested: rerun $reruns of $RERUNS, from there"
done
echo "nested: reruns $reruns"
[ $rc = 0 ] && echo "nested: done"
exit $rc
