# tests/control.sh: the control socket and its commands (issue 10): names,
# -d, list, stat, pause, resume, stop, kill, console, bad clients, stale
# sockets.  Sourced by tests/run.sh; suite() calls control_tests with L, G,
# T and BUILD set, and ok/bad to count.  Each guest here is bounded (a
# timeout, or killed at the end of its case).

# cmd NAME STATUS REGEX ARGS...: `lguest ARGS` exits STATUS and its output
# (stdout and stderr) matches REGEX (";;" joins several); "one line" in
# NAME: stderr is one line.
cmd() {
	local name=$1 want=$2 re=$3; shift 3
	timeout 60 "$L" "$@" </dev/null >"$T/cout" 2>"$T/cerr"
	local rc=$? lines; lines=$(wc -l <"$T/cerr")
	cat "$T/cout" "$T/cerr" >"$T/call"
	if [ "$rc" = "$want" ] && matches "$re" "$T/call" && { [[ $name != *"one line"* ]] || [ "$lines" = 1 ]; }
	then ok "$name"; else bad "$name" "status $rc (want $want), $lines stderr lines, output must match: $re" "$(head -4 "$T/call")"; fi
}
# wait_for FILE REGEX [SECONDS]: until FILE (a guest's output) matches.
wait_for() {
	local i=0
	until tr -d '\r' 2>/dev/null <"$1" | grep -Eq -- "$2" || [ $i -ge $(( ${3:-60} * 10 )) ]; do sleep 0.1; i=$((i + 1)); done
}
wait_sock() {    # NAME: until its socket is there
	local i=0
	until [ -S "$XDG_RUNTIME_DIR/lguest/$1.sock" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
}
# stat_of NAME KEY: one value of lguest stat NAME.
stat_of() { "$L" stat "$1" 2>/dev/null | sed -n "s/^$2: //p"; }
pid_of() { "$L" list --json | python3 -c 'import json,sys; print(next((g["pid"] for g in json.load(sys.stdin) if g["name"] == sys.argv[1]), ""))' "$1"; }
no_socket() {   # NAME WHY: NAME's socket is gone
	[ ! -e "$XDG_RUNTIME_DIR/lguest/$1.sock" ] && ok "no socket left: $2" || bad "no socket left: $2" "$(ls "$XDG_RUNTIME_DIR/lguest")"
}

control_tests() {
	local D=$XDG_RUNTIME_DIR/lguest BUSY=(-a count=1000000000 $G/ioloop.elf) p rc n a b t0

	# --- names, the socket, list ---------------------------------------------
	"$L" run --name c-1 "${BUSY[@]}" </dev/null >/dev/null 2>&1 & p=$!
	wait_sock c-1
	[ -S "$D/c-1.sock" ] && [ "$(stat -c %a "$D")" = 700 ] && ok "run --name: the socket NAME.sock in a directory of mode 0700" \
		|| bad "run --name: the socket NAME.sock in a directory of mode 0700" "$(ls -la "$D")"
	cmd "run --name: a running guest's name is refused, one line, 125" 125 "^lguest: a guest named c-1 is running already" run --name c-1 $G/hello.elf
	cmd "run --name: a bad name, one line, 125" 125 "^lguest: --name a/b: letters, digits" run --name a/b $G/hello.elf
	# (The suite's Linux boots may be listed too.)
	cmd "list: name, pid, running, vCPUs, memory, uptime, devices" 0 "^c-1 +$p +running +1 +256M +0:00:0[0-9] +rng0$" list
	cmd "list --json: the guests' greetings, with the protocol's version" 0 \
		"^\[\{;;\}\]$;;\{\"lguest\":1,\"version\":\"[0-9.]+\",\"name\":\"c-1\",\"pid\":$p,\"state\":\"running\",\"cpus\":1,\"memory\":268435456,\"uptime\":[0-9.]+,\"devices\":\"rng0\"\}" list --json
	kill $p; wait $p; rc=$?
	[ $rc = 143 ] && ok "a guest in the foreground has the socket too; SIGTERM still 143" || bad "SIGTERM: 143" "status $rc"
	no_socket c-1 "SIGTERM"
	"$L" run "${BUSY[@]}" </dev/null >/dev/null 2>&1 & p=$!
	wait_sock "lg-$p"
	cmd "no --name: the default name lg-PID" 0 "^lg-$p +$p +running" list
	kill -QUIT $p; wait $p
	no_socket "lg-$p" "SIGQUIT"
	timeout 20 "$L" run --name h-1 $G/hello.elf </dev/null >/dev/null 2>&1
	no_socket h-1 "the guest's own end"
	LGUEST_SECCOMP_SELFTEST=loop timeout 20 "$L" run --name s-1 "${BUSY[@]}" </dev/null >/dev/null 2>&1; rc=$?
	[ $rc = 159 ] && no_socket s-1 "a seccomp filter's kill (159)" || bad "no socket left: a seccomp filter's kill (159)" "status $rc"
	"$L" run --name v-1 "${BUSY[@]}" </dev/null >/dev/null 2>&1 & p=$!
	wait_sock v-1; kill -SEGV $p; { wait $p; } 2>/dev/null; rc=$?
	[ $rc = 139 ] && no_socket v-1 "a crash (SIGSEGV)" || bad "no socket left: a crash (SIGSEGV)" "status $rc"

	# --- -d, stat ---------------------------------------------------------------
	cmd "run -d: 0 once the guest runs, its name and pid on stderr, one line" 0 "^lguest: d-1 runs in the background, process [0-9]+$" \
		run -d --name d-1 -a "count=20000 hold=1" $G/ioloop.elf
	cmd "run -d: a failure before the guest runs: 2, one line" 2 "^lguest: kernel /nonexistent: No such file" run -d /nonexistent
	cmd "run -d: a usage mistake: 2, one line" 2 "^lguest: unknown option --bogus" run -d --bogus
	for i in $(seq 100); do n=$(stat_of d-1 vcpu0_io); [ "${n:-0}" -ge 20000 ] && break; sleep 0.1; done
	[ "${n:-0}" -ge 20000 ] && ok "stat: >= 20,000 port exits after 20,000 outb ($n)" || bad "stat: >= 20,000 port exits after 20,000 outb" "vcpu0_io=$n"
	cmd "stat: state, uptime, RAM, RAM touched, lguest's own, each vCPU's exits by reason" 0 \
		'^state: running;;^uptime: [0-9.]+$;;^memory: 268435456$;;^ram_touched: [1-9][0-9]*$;;^lguest_rss: [1-9][0-9]*$;;^vcpu0_mmio: [0-9]+$;;^vcpu0_intr: [0-9]+$;;^rng0_requests: 0$' stat d-1
	cmd "stat --json: one object" 0 '^\{"ok":true,"name":"d-1",.*"vcpu0_io":[0-9]+,.*"rng0_errors":0\}$' stat --json d-1
	cmd "kill: status 0" 0 "" kill d-1
	sleep 0.2; no_socket d-1 "kill"
	python3 guest/test/mkdisk.py "$T/ctl.img" 4096          # (its own image: others may still hold disk.img)
	cmd "run -d: the blk guest, held after its reads" 0 "b-1 runs" run -d --name b-1 --disk "$T/ctl.img" -a "sectors=512 hold=1" $G/blk.elf
	for i in $(seq 100); do n=$(stat_of b-1 blk0_bytes); [ "${n:-0}" -ge 262144 ] && break; sleep 0.1; done
	cmd "stat: the blk guest's requests, bytes (512 sectors read), no errors, none in flight" 0 \
		'^blk0_requests: ([6-9][0-9]|[1-9][0-9]{2,})$;;^blk0_bytes: (26[2-9]|2[7-9][0-9]|[3-9][0-9]{2})[0-9]{3}$;;^blk0_errors: 0$;;^blk0_inflight: 0$' stat b-1
	"$L" kill b-1 >/dev/null 2>&1
	# kill: the writes the guest saw completed are in the file when kill returns.
	python3 guest/test/mkdisk.py "$T/ctl.img" 4096
	"$L" run -d --name w-1 --disk "$T/ctl.img" -a "write=1 write_from=100 write_count=16 hold=1" $G/blk.elf 2>/dev/null
	for i in $(seq 100); do n=$(stat_of w-1 blk0_requests); [ "${n:-0}" -ge 18 ] && break; sleep 0.1; done
	"$L" kill w-1 >/dev/null 2>&1
	python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); sys.exit(any(struct.unpack_from("<Q",d,s*512)[0] != (s<<16|0xA5A5000000000000) for s in range(100,116)))' "$T/ctl.img" \
		&& ok "kill: the writes the guest saw completed are in the file" || bad "kill: the writes the guest saw completed are in the file"

	# --- pause, resume: the counting guest stops and goes on, its clock with it -
	"$L" run --name p-1 -a "seconds=4" $G/ctl.elf </dev/null >"$T/p.out" 2>&1 & p=$!
	wait_for "$T/p.out" 'ctl: tick 5'
	cmd "pause: 0" 0 "" pause p-1
	a=$(grep -c 'ctl: tick' "$T/p.out"); sleep 2; b=$(grep -c 'ctl: tick' "$T/p.out")
	[ "$a" = "$b" ] && ok "pause: the guest counts nothing while paused ($a ticks)" || bad "pause: the guest counts nothing while paused" "$a -> $b ticks"
	cmd "pause of a paused guest: 1, one line" 1 "^lguest: p-1: it is paused" pause p-1
	cmd "stat: a paused guest says so" 0 "^state: paused$" stat p-1
	cmd "stop of a paused guest: 1, one line" 1 "^lguest: p-1: it is paused \(resume or kill it\)$" stop p-1
	cmd "resume: 0" 0 "" resume p-1
	cmd "resume of a running guest: 1, one line" 1 "^lguest: p-1: it is not paused$" resume p-1
	wait $p; rc=$?
	if [ $rc = 0 ] && python3 - "$T/p.out" <<-'EOF'
		import re, sys
		m = re.search(r"clock_ms=(\d+) tsc_ms=(\d+) max_gap_ms=(\d+)", open(sys.argv[1]).read())
		clock, tsc, gap = map(int, m.groups())
		sys.exit(not (gap < 500 and tsc - clock >= 1500))
	EOF
	then ok "resume: the guest goes on, kvm-clock without the pause: $(grep -o 'clock_ms.*' "$T/p.out")"
	else bad "resume: the guest goes on, kvm-clock without the pause" "status $rc" "$(tail -2 "$T/p.out")"; fi

	# --- stop: Ctrl-Alt-Del on the keyboard, then kill after the timeout ---------
	"$L" run --name k-1 -a mode=kbd $G/ctl.elf </dev/null >"$T/k.out" 2>&1 & p=$!
	wait_for "$T/k.out" 'keyboard ready'
	cmd "stop: a guest that hears Ctrl-Alt-Del shuts down: said, status 0" 0 "^k-1 shut down \(status 0\)$" stop k-1
	wait $p; rc=$?
	[ $rc = 0 ] && grep -q 'ctl: ctrl-alt-del' "$T/k.out" && ok "stop: the guest heard Ctrl-Alt-Del (i8042, IRQ 1); lguest exits 0" \
		|| bad "stop: the guest heard Ctrl-Alt-Del; lguest exits 0" "status $rc" "$(tail -2 "$T/k.out")"
	"$L" run --name k-2 -a "mode=kbd ignore=1" $G/ctl.elf </dev/null >"$T/k.out" 2>&1 & p=$!
	wait_for "$T/k.out" 'keyboard ready'
	t0=$(date +%s%N)
	"$L" stop k-2 --timeout 2 >"$T/stop.out" 2>&1 & b=$!
	wait_for "$T/k.out" 'ignoring'
	cmd "stop of a stopping guest: 1, one line" 1 "^lguest: k-2: it is stopping already$" stop k-2
	wait $b; a=$?; wait $p; rc=$?; t0=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ $a = 0 ] && [ $rc = 137 ] && [ $t0 -ge 1900 ] && [ $t0 -lt 6000 ] && grep -q '^k-2 did not shut down within 2 s: killed (status 137)$' "$T/stop.out" \
		&& ok "stop --timeout 2: a guest that ignores it is killed after 2 s (${t0} ms), lguest exits 137" \
		|| bad "stop --timeout 2: a guest that ignores it is killed after 2 s" "stop $a, run $rc, $t0 ms" "$(cat "$T/stop.out")"

	# --- the clients' mistakes ------------------------------------------------
	cmd "stat of an unknown guest: 1, one line" 1 "^lguest: no guest named nosuch is running \(lguest list shows the running ones\)$" stat nosuch
	cmd "stat without NAME: 2, one line" 2 "^lguest: which guest\? give its NAME" stat
	cmd "stop --timeout 0: 2, one line" 2 "^lguest: --timeout 0: give a number of seconds above 0" stop x --timeout 0
	cmd "stop --timeout without a value: 2" 2 "needs a number" stop x --timeout
	cmd "an unknown option: 2, one line" 2 "^lguest: unknown option --bogus \(see lguest pause --help\)$" pause --bogus x
	cmd "list with an argument: 2" 2 "unexpected argument x" list x
	cmd "a NAME that cannot be one: 2" 2 "a/b is not a guest's name" kill a/b
	cmd "--json where it means nothing: 2" 2 "unknown option --json" kill --json x
	for a in list stat pause resume stop kill console; do
		cmd "lguest $a --help: the commands, their options, the exit statuses" 0 "^usage: lguest list;;--timeout;;Exit status" $a --help
	done

	# --- stale sockets: after SIGKILL the next lguest cleans up --------------------
	"$L" run -d --name z-1 "${BUSY[@]}" 2>/dev/null
	p=$(pid_of z-1); kill -9 "$p"; sleep 0.3
	[ -S "$D/z-1.sock" ] && ok "SIGKILL leaves the socket (nothing can remove it)" || bad "SIGKILL leaves the socket"
	cmd "list: a guest that died is not listed" 0 "^NAME" list
	grep -q z-1 "$T/cout" && bad "list: a guest that died is not listed" "$(cat "$T/cout")"
	no_socket z-1 "the next lguest call removed the dead guest's"
	cmd "its name is free again" 0 "z-1 runs" run -d --name z-1 "${BUSY[@]}"
	"$L" run -d --name z-2 "${BUSY[@]}" 2>/dev/null
	p=$(pid_of z-2); kill -9 "$p"; sleep 0.3
	cmd "stat of a guest that died: 1, one line; its socket cleaned" 1 "^lguest: no guest named z-2 is running" stat z-2
	no_socket z-2 "stat removed the dead guest's"

	# --- bad clients, on a busy guest ----------------------------------------------
	while IFS= read -r line; do
		case "$line" in "ok   "*) ok "control socket: ${line#ok   }" ;; "FAIL "*) bad "control socket: ${line#FAIL }" ;; "     "*) echo "$line" ;; *) bad "control_bad.py: $line" ;; esac
	done < <(timeout 120 python3 tests/control_bad.py "$D/z-1.sock" "$(pid_of z-1)" 2>&1)
	# Only its user: a directory others may enter is refused; so is another
	# user who gets to the socket anyway (SO_PEERCRED).
	chmod 711 "$D"
	cmd "a socket directory others may enter: refused, 1" 1 "must be a directory of yours alone \(mode 0700\)" list
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		chmod 711 "$XDG_RUNTIME_DIR" "$T"
		chmod 777 "$D/z-1.sock"
		out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); print(repr(s.recv(100)))' "$D/z-1.sock" 2>&1)
		[ "$out" = "b''" ] && ok "another user at the socket: closed, no greeting (SO_PEERCRED)" || bad "another user at the socket: closed (SO_PEERCRED)" "$out"
		chmod 700 "$XDG_RUNTIME_DIR"
	fi
	chmod 700 "$D"
	"$L" kill z-1 >/dev/null 2>&1

	# --- console: attach, detach, attach again, one terminal at a time -------------
	while IFS= read -r line; do
		case "$line" in "ok   "*) ok "${line#ok   }" ;; "FAIL "*) bad "${line#FAIL }" ;; "     "*) echo "$line" ;; *) bad "control_console.py: $line" ;; esac
	done < <(timeout 120 python3 tests/control_console.py "$L" $G 2>&1)
	sleep 0.3
	"$L" list >/dev/null 2>&1                              # (cleans what a SIGKILL left: the net tests kill one)
	local left; left=$(ls "$D" | grep -v '^linux-\|^lan$')          # (the suite's Linux boots are not ours)
	[ -z "$left" ] && ok "control: every guest gone, nothing left in $D" || bad "control: nothing left in the directory" "$left"
	for n in $left; do "$L" kill "${n%.sock}" >/dev/null 2>&1; done
}

# Linux on this host: the default kernel hears `lguest stop` (its i8042
# driver logs the scancodes of Ctrl-Alt-Del as they arrive, by interrupt).
# It has no VT to act on them by itself, and here no user space: it waits
# for a root disk that never comes, and is killed after --timeout.  (The
# default guest's /init shuts down on it: tests/userspace.sh.)  Started by
# linux_begin, with the other boots; checked by linux_end.
control_linux_begin() {
	linux_start stop --name linux-stop -a "console=ttyS0 root=/dev/vda rootwait i8042.debug=1 i8042.unmask_kbd_data=1 ignore_loglevel" $K
}
control_linux_end() {
	wait_for "$T/linux-stop.out" 'Waiting for root device' 400
	"$L" stop linux-stop --timeout 3 >"$T/linux-stop.stop" 2>&1
	wait_for "$T/linux-stop.rc" '.' 30
	linux_check stop "Linux: the kernel's i8042 and atkbd drivers bind (PNP-less: ports 0x60, 0x64, IRQ 1)" '*' \
		'serio: i8042 KBD port at 0x60,0x64 irq 1;;input: AT Translated Set 2 keyboard'
	linux_check stop "Linux: lguest stop: the kernel hears Ctrl-Alt-Del by interrupt (1d 38 e0 53), then is killed (137)" 137 \
		'i8042: \[[0-9]+\] 1d <- i8042 \(interrupt, 0, 1\);;\] 38 <- i8042;;\] e0 <- i8042;;\] 53 <- i8042'
}
