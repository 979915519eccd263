#!/bin/sh
# The Linux user-space tests: each boots the default guest with LGUEST and
# checks what a user sees: the command's output, its exit status, the shell.
# POSIX sh (busybox too): it runs on a host with VMX/SVM, and inside the
# nested host of tests/nested.sh where this host's KVM cannot run guest user
# space.  Prints "ok   NAME" / "FAIL NAME" (+ indented detail) per test.
# DEBIAN: a folder with Debian's stock kernel (vmlinuz) and its initramfs
# (build/nested, make nested-kit): a distribution kernel boots too.
# Each test is a numbered step ("step N" before it, "step done" at the end):
# FROM, when given, skips the steps before it (tests/nested.sh reruns a
# nested host that froze from the step that was running).
# TO, when given, is the last step run.  NET_MIB: the MiB one guest sends
# another over TCP (100; the nested host of make check sends 4: there every
# instruction of both guests is emulated, ~0.4 MB/s; make check-long, 100).
#   tests/userspace.sh LGUEST DEBIAN [FROM [TO]]
L=${1:?usage: tests/userspace.sh LGUEST DEBIAN [FROM [TO]]}
DEB=${2:?usage: tests/userspace.sh LGUEST DEBIAN [FROM [TO]]}
FROM=${3:-1} TO=${4:-999} n=0 MIB=${NET_MIB:-100}
T=$(mktemp -d "${TMPDIR:-/tmp}/lguest-us.XXXXXX")
trap 'rm -rf "$T"' EXIT

# step: the next test, false when it comes before FROM.
step() { n=$((n + 1)); [ $n -ge "$FROM" ] && [ $n -le "$TO" ] || return 1; echo "step $n"; }

# us NAME STATUS REGEX [lguest run args...] (stdin is the guest's console input)
us() {
	name=$1 want=$2 re=$3 try=1; shift 3
	while :; do
		timeout "${limit:-120}" "$L" run "$@" >"$T/raw" 2>&1
		rc=$?
		# In the nested host (US_RETRY=1) QEMU's software SVM now and then
		# loses an L2 guest's wake-up (tests/nested.sh): a guest that timed
		# out there runs once more, and the log says so.
		[ "${US_RETRY:-0}" = 1 ] && [ $try = 1 ] && { [ $rc = 124 ] || [ $rc = 143 ]; } || break
		echo "info: $name: timed out (status $rc), run once more"; try=2
	done
	tr -d '\r' <"$T/raw" >"$T/out"
	if [ "$rc" = "$want" ] && grep -Eq -- "$re" "$T/out"; then echo "ok   $name"
	else echo "FAIL $name"; echo "     status $rc (want $want), output must match: $re"
		tail -n 5 "$T/out" | sed 's/^/     /'; fi
}

# shell NAME INPUT: the interactive shell, typed to once its prompt is up.
shell() {
	rm -f "$T/in" && mkfifo "$T/in"
	timeout 120 "$L" run <"$T/in" >"$T/raw" 2>&1 &
	pid=$!
	exec 3>"$T/in"
	i=0
	until tr -d '\r' <"$T/raw" | grep -Eq '^[^ ]* # ' || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
	printf "$2" >&3
	exec 3>&-
	wait $pid
	echo $? >"$T/rc"
}
step && us "-- echo: output and status 0"  0   '^hello from the guest$' -- echo hello from the guest </dev/null
step && us "-- exit status passed through" 42  ''                        -- sh -c 'exit 42' </dev/null
step && us "-- a missing command is 127"   127 'not found'               -- no-such-command </dev/null
step && us "-- quoting kept"               0   "<a  b>\|<c>\|<>\|<it's>\|" -q -- printf '<%s>|' 'a  b' c '' "it's" </dev/null
if step; then
	us "-q: only the command's output" 0   '^quiet-output$'          -q -- echo quiet-output </dev/null
	if [ "$(grep -cv '^quiet-output$' "$T/out")" = 0 ]; then echo "ok   -q hides the kernel's messages"
	else echo "FAIL -q hides the kernel's messages"; head -n 3 "$T/out" | sed 's/^/     /'; fi
fi
step && us "-c 3: nproc is 3"              0   '^3$'                     -q -c 3 -- nproc </dev/null
step && us "-m 512M: MemTotal within 10%"  0   '^MemTotal: +(4[7-9][0-9]|5[0-6][0-9])[0-9]{3} kB$' -q -m 512M -- grep MemTotal /proc/meminfo </dev/null
step && us "--console virtio: the command on hvc0" 0 '^via-hvc0$'       -q --console virtio -- echo via-hvc0 </dev/null
if step; then
	truncate -s 64M "$T/fs.img"
	us "mkfs, mount, write, sync, read back on vda" 0 '^data-survives$' -q --disk "$T/fs.img" -- \
		sh -c 'mke2fs -q /dev/vda >/dev/null && mount /dev/vda /mnt && echo data-survives >/mnt/f && sync && umount /mnt && mount /dev/vda /mnt && cat /mnt/f' </dev/null
fi
step && us "a guest kernel panic: status 123 and one line" 123 '^lguest: the guest kernel panicked' -q -- sh -c 'echo c >/proc/sysrq-trigger' </dev/null
if step; then
	shell "interactive shell" 'echo from-the-shell\nexit\n'
	if [ "$(cat "$T/rc")" = 0 ] && tr -d '\r' <"$T/raw" | grep -q '^from-the-shell$'; then echo "ok   interactive shell: typed command runs, exit ends with 0"
	else echo "FAIL interactive shell: typed command runs, exit ends with 0"; echo "     status $(cat "$T/rc")"; tail -n 5 "$T/raw" | sed 's/^/     /'; fi
fi
if step; then
	shell "poweroff" 'poweroff\n'
	if [ "$(cat "$T/rc")" = 0 ]; then echo "ok   poweroff in the shell ends lguest with 0"
	else echo "FAIL poweroff in the shell ends lguest with 0"; echo "     status $(cat "$T/rc")"; tail -n 5 "$T/raw" | sed 's/^/     /'; fi
fi
# lguest stop types Ctrl-Alt-Del on the guest's keyboard: /init hears it,
# syncs and powers off within 5 s, and what was written before is in the image.
if step; then
	truncate -s 64M "$T/stop.img"
	: >"$T/raw"
	timeout 120 "$L" run --name us-stop -q --disk "$T/stop.img" -- sh -c \
		'mke2fs -q /dev/vda >/dev/null && mount /dev/vda /mnt && echo written-before-stop >/mnt/f && echo ready; sleep 600' \
		</dev/null >"$T/raw" 2>&1 &
	pid=$! i=0
	until tr -d '\r' <"$T/raw" | grep -q '^ready$' || [ $i -ge 1200 ]; do sleep 0.1; i=$((i + 1)); done
	s=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
	"$L" stop us-stop >"$T/stop" 2>&1
	e=$(awk '{ printf "%d", $1 * 1000 }' /proc/uptime)
	wait $pid
	rc=$?
	if [ $rc = 0 ] && grep -q '^us-stop shut down (status 0)$' "$T/stop" && [ $((e - s)) -lt 5000 ]; then
		echo "ok   lguest stop: the default guest shuts down in $((e - s)) ms, status 0"
	else echo "FAIL lguest stop: the default guest shuts down within 5 s, status 0"
		echo "     status $rc, $((e - s)) ms: $(cat "$T/stop")"; tail -n 3 "$T/raw" | sed 's/^/     /'; fi
	us "lguest stop: the file written before it is in the image (synced)" 0 '^written-before-stop$' -q --disk "$T/stop.img" -- \
		sh -c 'mount /dev/vda /mnt && cat /mnt/f' </dev/null
fi
# Debian's kernel boots with ACPI: it finds COM1, the clock, the PCI bridge
# and its interrupts in our DSDT (src/boot/dsdt.c), loads its virtio modules.
if step; then
	mkdir "$T/deb" && ln -s "$(cd "$DEB" && pwd)/vmlinuz" "$T/deb/vmlinux" &&
		ln -s "$(cd "$DEB" && pwd)/initramfs.cpio" "$T/deb/initramfs.cpio"
	truncate -s 16M "$T/deb.img"
	export LGUEST_GUEST_DIR="$T/deb"
	limit=200	# (a distribution kernel's modules take the nested host longer)
	us "Debian's stock kernel: console, virtio-blk, virtio-rng, the RTC, the status" 7 \
		'^6\.[0-9.]+-[0-9]+-amd64 vda=32768 rng=8 rtc=rtc_cmos$' -q -m 512M --disk "$T/deb.img" -- \
		sh -c 'echo "$(uname -r) vda=$(cat /sys/block/vda/size) rng=$(head -c 8 /dev/hwrng | wc -c) rtc=$(cut -d" " -f1 /sys/class/rtc/rtc0/name)"; exit 7' </dev/null
	unset LGUEST_GUEST_DIR; limit=
fi
# --- the network: two guests on a LAN, libslirp's port forward, the link ---
# ip: give eth0 ADDR and bring it up (the guests' addresses live on their LAN).
IPUP='ip addr add $1/24 dev eth0 && ip link set eth0 up'
# wait_for FILE REGEX [TENTHS]: until FILE has a line matching REGEX.
wait_for() { i=0; until tr -d '\r' <"$1" 2>/dev/null | grep -Eq "$2" || [ $i -ge "${3:-1200}" ]; do sleep 0.1; i=$((i + 1)); done; }
if step; then
	# NET_MIB over TCP (busybox nc) from one guest to another, one copy each
	# way through the switch; both ends checksum the stream.
	gen="yes 0123456789abcdef | head -c $((MIB << 20))"
	timeout $((120 + MIB * 4)) "$L" run -q --net lan=us$$ -- sh -c "set -- 10.1.0.2; $IPUP && nc -l -p 5000 | md5sum" \
		</dev/null >"$T/rx" 2>&1 &
	rx=$!
	limit=$((120 + MIB * 4))
	us "LAN: two guests ping each other, then $MIB MiB over TCP" 0 '^sent [0-9a-f]{32}$' -q --net lan=us$$ -- sh -c \
		"set -- 10.1.0.1; $IPUP && ping -c 2 -W 5 10.1.0.2 >/dev/null && sleep 1 &&
		 $gen | nc 10.1.0.2 5000 && echo sent \$($gen | md5sum | cut -d' ' -f1)" </dev/null
	wait $rx
	limit=
	sent=$(sed -n 's/^sent //p' "$T/out"); got=$(tr -d '\r' <"$T/rx" | sed -n 's/^\([0-9a-f]\{32\}\) .*/\1/p')
	if [ -n "$sent" ] && [ "$sent" = "$got" ]; then echo "ok   LAN: the $MIB MiB arrived whole (md5 $got)"
	else echo "FAIL LAN: the $MIB MiB arrived whole"; echo "     sent ${sent:-?}, received ${got:-?}"; tail -n 3 "$T/rx" | sed 's/^/     /'; fi
fi
if step; then
	# libslirp: a connection to the host's port reaches the guest's nc -l.
	: >"$T/fwd"
	timeout 120 "$L" run -q --net user,restrict,hostfwd=tcp:127.0.0.1:5555-:5000 -- sh -c \
		"set -- 10.0.2.15; $IPUP && nc -l -p 5000" </dev/null >"$T/fwd" 2>&1 &
	fwd=$!
	i=0     # until the guest listens, libslirp takes the connection and the guest refuses it
	until tr -d '\r' <"$T/fwd" | grep -q '^hello-through-hostfwd$' || [ $i -ge 200 ]; do
		echo hello-through-hostfwd | nc -w 2 127.0.0.1 5555 >/dev/null 2>&1; sleep 0.5; i=$((i + 1))
	done
	wait $fwd
	if tr -d '\r' <"$T/fwd" | grep -q '^hello-through-hostfwd$'; then echo "ok   --net user,hostfwd: the host's connection reaches the guest's nc -l"
	else echo "FAIL --net user,hostfwd: the host's connection reaches the guest's nc -l"; tail -n 3 "$T/fwd" | sed 's/^/     /'; fi
fi
if step; then
	# The switch killed: the guest's link goes down and it runs on; a new
	# switch: lguest calls again and the link comes up.
	c=/sys/class/net/eth0/carrier
	: >"$T/link"
	timeout 200 "$L" run -q --net lan=lk$$ -- sh -c "set -- 10.1.0.3; $IPUP && sleep 1 && echo carrier=\$(cat $c) &&
		while [ \$(cat $c) = 1 ]; do sleep 0.2; done && echo carrier=down &&
		while [ \$(cat $c) = 0 ]; do sleep 0.2; done && echo carrier=up-again" </dev/null >"$T/link" 2>&1 &
	lk=$!
	wait_for "$T/link" '^carrier=1$'
	for d in /proc/[0-9]*; do          # the switch (busybox has no pkill)
		tr '\0' ' ' <$d/cmdline 2>/dev/null | grep -q "lan lk$$ --auto" && kill -KILL ${d#/proc/}
	done
	wait_for "$T/link" '^carrier=down$'
	"$L" lan lk$$ >/dev/null 2>&1 &
	sw=$!
	wait $lk
	kill $sw 2>/dev/null
	if tr -d '\r' <"$T/link" | grep -q '^carrier=up-again$'; then echo "ok   LAN: the switch killed, link down, the guest runs on; a new switch, link up"
	else echo "FAIL LAN: the switch killed, link down, the guest runs on; a new switch, link up"; tail -n 3 "$T/link" | sed 's/^/     /'; fi
fi
# Not a test: what `-- true` costs end to end here (the boot benchmark is bench/boot).
if step; then
	ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
	s=$(ms); "$L" run -q -- true </dev/null >/dev/null 2>&1; rc=$?; e=$(ms)
	echo "info: -- true, start to exit: $((e - s)) ms (status $rc)"
fi
echo "step done"
