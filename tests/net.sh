# tests/net.sh: the network tests, sourced by tests/run.sh (its ok, bad,
# guest, usage; L, G, T, BUILD).  Test guests (guest/test/net.c) on a LAN
# (the switch, `lguest lan`), QEMU and DPDK as the other end of
# vhost-user, TAP in a network namespace of the test's own, libslirp with
# restrict.  Traffic stays on the guests' own segments, loopback, or the
# test's namespace; every sender is bounded in count and time.

NET=$G/net.elf
lan_id=0
# A LAN of this test run's own.
new_lan() { lan_id=$((lan_id + 1)); LAN=t$$-${BUILD//\//_}-$lan_id; }
# bg ID ARGS...: an lguest in the background, its output in $T/ID.out, its
# pid in BGP (bgwait waits for these alone: the suite has others).
BGP=()
bg() { local id=$1; shift; (timeout -k 5 120 "$L" run "$@" </dev/null >"$T/$id.out" 2>&1; exit $?) 2>/dev/null & BGP+=($!); }
bgwait() { [ ${#BGP[@]} = 0 ] || wait "${BGP[@]}"; BGP=(); }
bgkill() { local p; for p in "${BGP[@]}"; do pkill -P "$p"; done; bgwait; }   # (timeout passes it on)
# The LAN's switch, for the tests that kill it.
switch_pid() { pgrep -f "lan $LAN --auto" | head -n 1; }

net_lan_basics() {
	new_lan
	bg a --net lan=$LAN -a "mode=answer count=5 ip=10.0.0.2" $NET
	guest "LAN: two guests ping each other (one copy, an interrupt)" 0 'ping sent=5 received=5' \
		--net lan=$LAN -a "mode=ping peer=10.0.0.2 count=5 ip=10.0.0.1" $NET
	bgwait
	grep -q 'answer echoes=5' "$T/a.out" && ok "LAN: the other guest answered 5 echoes" \
		|| bad "LAN: the other guest answered 5 echoes" "$(tail -2 "$T/a.out")"
	[ -z "$(switch_pid)" ] && [ ! -e "$XDG_RUNTIME_DIR/lguest/lan/$LAN.sock" ] && ok "LAN: its switch ended with its last port, socket gone" \
		|| bad "LAN: its switch ended with its last port, socket gone"

	new_lan
	for i in 1 2 3 4 5 6 7 8; do bg b$i --net lan=$LAN -a "mode=bcast expect=7 secs=60" $NET; done
	bgwait
	local heard=0
	for i in 1 2 3 4 5 6 7 8; do grep -q 'bcast heard=7 ' "$T/b$i.out" && heard=$((heard + 1)); done
	[ $heard = 8 ] && ok "LAN: eight guests each hear the seven others' broadcasts" \
		|| bad "LAN: eight guests each hear the seven others' broadcasts" "$heard of 8 heard all" "$(tail -1 "$T/b1.out")"

	# C only sees the ARP broadcast: unicast goes to the port that has the MAC.
	new_lan
	bg a --net lan=$LAN -a "mode=answer count=20 ip=10.0.0.2" $NET
	bg c --net lan=$LAN -a "mode=answer secs=6 ip=10.0.0.3" $NET
	guest "LAN: 20 pings" 0 'ping sent=20 received=20' --net lan=$LAN -a "mode=ping peer=10.0.0.2 count=20 ip=10.0.0.1" $NET
	bgwait
	local seen; seen=$(sed -n 's/.*rx_frames=\([0-9]*\).*/\1/p' "$T/c.out")
	[ -n "$seen" ] && [ "$seen" -le 5 ] && ok "LAN: MAC learning: a third guest saw $seen broadcasts, none of the 40 unicast frames" \
		|| bad "LAN: MAC learning: a third guest saw ${seen:-?} frames, want the broadcasts alone (at most 5)" "$(tail -1 "$T/c.out")"

	new_lan
	bg a --net lan=$LAN,mac=52:54:00:00:00:2a -a "mode=answer secs=5" $NET
	sleep 0.5
	usage "--net lan: a MAC already on the LAN" "52:54:00:00:00:2a is already on that LAN" \
		"$L" run --net lan=$LAN,mac=52:54:00:00:00:2a $NET
	bgwait
}

net_lan_hostile() {
	new_lan
	bg a --net lan=$LAN -a "mode=answer secs=100 ip=10.0.0.2" $NET
	timeout 110 "$L" run --net lan=$LAN -a "mode=hostile case=all peer=10.0.0.2 ip=10.0.0.1" $NET </dev/null >"$T/h.out" 2>&1
	local rc=$? n; n=$(tr -d '\r' <"$T/h.out" | sed -n 's/^hostile cases=\([0-9]*\) survived=\1$/\1/p')
	[ $rc = 0 ] && [ -n "$n" ] && [ "$n" -ge 25 ] && ok "LAN: $n hostile TX cases, each followed by a good ping through the switch" \
		|| bad "LAN: hostile TX cases, each followed by a good ping through the switch" "status $rc" \
			"$(grep 'survived=0' "$T/h.out" | head -3)" "$(tail -2 "$T/h.out")"
	# A front-end that speaks vhost-user badly, while a guest waits on the LAN.
	python3 tests/vu_client.py "$XDG_RUNTIME_DIR/lguest/lan/$LAN.sock" >"$T/vu.out" 2>&1 &&
		ok "LAN: $(grep -c '^ok' "$T/vu.out") bad vhost-user front-ends dropped, the switch serves on" \
		|| bad "LAN: bad vhost-user front-ends dropped, the switch serves on" "$(grep FAIL "$T/vu.out")"
	guest "LAN: after all that, a new guest still pings the first" 0 'ping sent=3 received=3' \
		--net lan=$LAN -a "mode=ping peer=10.0.0.2 count=3 ip=10.0.0.1" $NET
	bgkill
}

net_lan_survives() {
	# A guest flooding broadcasts does not starve two others.
	new_lan
	bg a --net lan=$LAN -a "mode=answer count=20 ip=10.0.0.2" $NET
	bg f --net lan=$LAN -a "mode=blast dst=bcast count=3000000 size=64 linger_ms=0 txwait=0 ip=10.0.0.9" $NET
	sleep 0.5
	guest "LAN: one guest floods broadcasts, two others still ping (20 of 20)" 0 'ping sent=20 received=20' \
		--net lan=$LAN -a "mode=ping peer=10.0.0.2 count=20 ip=10.0.0.1" $NET
	bgkill
	# SIGKILL a sender mid-transfer: its port goes, the rest go on.
	new_lan
	bg a --net lan=$LAN -a "mode=answer count=5 ip=10.0.0.2" $NET
	bg x --net lan=$LAN -a "mode=blast dst=bcast count=100000000 size=1514 txwait=0 ip=10.0.0.9" $NET
	sleep 1
	pkill -KILL -f "^$L run --net lan=$LAN -a mode=blast"
	guest "LAN: a sender killed mid-transfer; the others ping on" 0 'ping sent=5 received=5' \
		--net lan=$LAN -a "mode=ping peer=10.0.0.2 count=5 ip=10.0.0.1" $NET
	bgwait
	# The switch killed: the guests run on; a new switch, and they are back.
	new_lan
	bg a --net lan=$LAN -a "mode=answer count=3 secs=60 ip=10.0.0.2" $NET
	sleep 1
	kill -KILL "$(switch_pid)"
	sleep 2
	if kill -0 "${BGP[0]}" 2>/dev/null; then ok "LAN: its switch killed, the guest runs on"
	else bad "LAN: its switch killed, the guest runs on" "$(tail -2 "$T/a.out")"; fi
	guest "LAN: a new switch; the first guest is back on it (link up again)" 0 'ping sent=3 received=3' \
		--net lan=$LAN -a "mode=ping peer=10.0.0.2 count=3 arp_secs=20 ip=10.0.0.1" $NET
	bgwait
}

net_peers() {
	new_lan
	"$L" lan $LAN >"$T/lan.out" 2>&1 &
	local sw=$! q
	sleep 0.5
	timeout -k 5 60 qemu-system-x86_64 -accel kvm -M q35 -m 128 -nodefaults -no-user-config -display none \
		-serial stdio -no-reboot -object memory-backend-memfd,id=mem,size=128M,share=on -numa node,memdev=mem \
		-chardev socket,id=c0,path=$XDG_RUNTIME_DIR/lguest/lan/$LAN.sock -netdev vhost-user,id=n0,chardev=c0 \
		-device virtio-net-pci,netdev=n0,disable-legacy=on,mac=52:54:00:00:00:99 \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel $NET -append "mode=answer count=5 ip=10.0.0.9" \
		</dev/null >"$T/q.out" 2>&1 &
	q=$!
	guest "LAN: an lguest guest pings a QEMU guest on the same switch (vhost-user)" 0 'ping sent=5 received=5' \
		--net lan=$LAN -a "mode=ping peer=10.0.0.9 count=5 arp_secs=30 ip=10.0.0.1" $NET
	wait $q
	grep -q 'answer echoes=5' "$T/q.out" && ok "LAN: the QEMU guest answered 5 echoes" \
		|| bad "LAN: the QEMU guest answered 5 echoes" "$(tail -2 "$T/q.out")"
	kill -INT $sw; wait $sw
	[ ! -e "$XDG_RUNTIME_DIR/lguest/lan/$LAN.sock" ] && ok "lguest lan: Ctrl-C ends it, its socket removed" \
		|| bad "lguest lan: Ctrl-C ends it, its socket removed"
	# lguest as the front-end of DPDK's vhost PMD (testpmd answers ARP and ping).
	if command -v dpdk-testpmd >/dev/null; then
		timeout 70 dpdk-testpmd --no-huge -m 256 --no-pci --file-prefix=lg$BASHPID \
			--vdev "net_vhost0,iface=$T/vh.sock,queues=1" -- --forward-mode=icmpecho \
			--total-num-mbufs=2048 --nb-cores=1 < <(sleep 60) >"$T/pmd.out" 2>&1 &
		local pmd=$!
		for i in $(seq 50); do [ -S "$T/vh.sock" ] && break; sleep 0.1; done
		guest "--net vhost-user=: DPDK testpmd as the back-end, frames both ways" 0 'ping sent=5 received=5' \
			--net vhost-user=$T/vh.sock -a "mode=ping peer=10.0.0.77 count=5 ip=10.0.0.1" $NET
		kill $pmd; wait $pmd
	else
		bad "--net vhost-user=: DPDK testpmd as the back-end" "dpdk-testpmd is missing: scripts/deps.sh installs dpdk-dev"
	fi
}

net_host() {
	# TAP, in a network namespace of the test's own: it pings the guest.
	unshare -n sh -c "
		'$L' run --net tap=lgtap0 -a 'mode=answer count=3 secs=30 ip=10.9.0.2' $NET </dev/null >$T/tap.out 2>&1 &
		for i in \$(seq 50); do ip link show lgtap0 >/dev/null 2>&1 && break; sleep 0.1; done
		ip addr add 10.9.0.1/24 dev lgtap0 && ip link set lgtap0 up && ping -c 3 -W 5 10.9.0.2 >$T/ping.out 2>&1
		s=\$?; wait; exit \$s"
	[ $? = 0 ] && grep -q 'answer echoes=3' "$T/tap.out" && ok "--net tap: the host pings the guest (a namespace of the test's own)" \
		|| bad "--net tap: the host pings the guest" "$(tail -2 "$T/ping.out")" "$(tail -2 "$T/tap.out")"
	usage "--net tap without the right to make one" "no right to make or open a TAP device" \
		setpriv --bounding-set -net_admin "$L" run --net tap $NET
	# libslirp, cut off from everything (restrict): its gateway answers ARP.
	guest "--net user,restrict: libslirp's gateway 10.0.2.2 answers" 0 'net arp=ok peer=10.0.2.2' \
		--net user,restrict -a "mode=ping peer=10.0.2.2 count=1 timeout_ms=500 ip=10.0.2.15" $NET
	timeout 20 python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1]); sys.stdout.flush(); import time; time.sleep(5)' >"$T/port" &
	local held=$! i
	for i in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
	usage "--net user: hostfwd to a host port in use" "cannot listen on 127.0.0.1:$(cat "$T/port")" \
		"$L" run --net "user,restrict,hostfwd=tcp:127.0.0.1:$(cat "$T/port")-:22" $NET
	kill $held; wait $held
}

net_bad_input() {
	usage "--net unknown kind"       "--net bridge=br0: unknown kind" "$L" run --net bridge=br0 $NET
	usage "--net unknown option"     "unknown option 'speed=10'"     "$L" run --net lan=x,speed=10 $NET
	usage "--net bad MAC"            "mac=52:54:00:zz:00:01: give a unicast MAC" "$L" run --net lan=x,mac=52:54:00:zz:00:01 $NET
	usage "--net multicast MAC"      "give a unicast MAC"            "$L" run --net tap,mac=01:00:5e:00:00:01 $NET
	usage "--net LAN name with /"    "LAN name 'a/b'"                "$L" run --net lan=a/b $NET
	usage "--net LAN name over 64"   "give 1 to 64 characters"       "$L" run --net lan=$(printf 'x%.0s' $(seq 65)) $NET
	usage "--net lan without a name" "--net lan needs a value"       "$L" run --net lan $NET
	usage "--net malformed hostfwd"  "hostfwd=tcp::22: give"         "$L" run --net user,hostfwd=tcp::22 $NET
	usage "--net vhost-user: no such socket" "cannot connect to $T/none.sock" "$L" run --net vhost-user=$T/none.sock $NET
	echo x >"$T/file.sock"
	usage "--net vhost-user: not a socket" "cannot connect to $T/file.sock" "$L" run --net vhost-user=$T/file.sock $NET
	rm -f "$T/mute.sock" "$T/mute.sock.up"
	timeout 20 python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); open(sys.argv[1] + ".up", "w"); c=s.accept(); time.sleep(4)' "$T/mute.sock" &
	local mute=$! i
	for i in $(seq 100); do [ -e "$T/mute.sock.up" ] && break; sleep 0.05; done
	usage "--net vhost-user: a socket that does not speak vhost-user" "is not a vhost-user-net back-end" \
		"$L" run --net vhost-user=$T/mute.sock $NET
	wait $mute
	usage "lguest lan: a bad name" "LAN name" "$L" lan a/b
}

# A card's default MAC comes from the guest's name (the same each run);
# lguest stat counts a card's frames.
net_name() {
	local n m=() args=(--net user,restrict -a "mode=ping peer=10.0.2.2 count=1 timeout_ms=500 ip=10.0.2.15" $NET)
	for n in mac-a mac-a mac-b; do
		m+=("$("$L" run --name $n "${args[@]}" 2>&1 </dev/null | sed -n 's/.*net mac=\([0-9a-f:]*\).*/\1/p')")
	done
	[[ ${m[0]} == 52:54:00:* ]] && [ "${m[0]}" = "${m[1]}" ] && [ "${m[0]}" != "${m[2]}" ] \
		&& ok "--net: the default MAC is the guest name's, the same each run (${m[0]}), another for another name" \
		|| bad "--net: the default MAC is the guest name's, the same each run" "mac-a: ${m[0]}, again: ${m[1]}, mac-b: ${m[2]}"
	"$L" run -d --name nstat --net user,restrict -a "mode=answer secs=30 ip=10.0.2.15" $NET >/dev/null 2>&1
	for n in $(seq 50); do "$L" stat nstat 2>/dev/null | grep -q '^net0_tx_frames: [1-9]' && break; sleep 0.1; done
	"$L" stat nstat >"$T/nstat.out" 2>&1
	grep -q '^net0_link: 1$' "$T/nstat.out" && grep -q '^net0_tx_frames: [1-9]' "$T/nstat.out" && grep -q '^net0_rx_drops: 0$' "$T/nstat.out" \
		&& ok "lguest stat: a NIC's link, frames each way and drops" || bad "lguest stat: a NIC's link, frames each way and drops" "$(grep net0 "$T/nstat.out")"
	"$L" kill nstat >/dev/null 2>&1
}

net_suite() {
	net_name
	net_lan_basics
	net_lan_hostile
	net_lan_survives
	net_peers
	net_host
	net_bad_input
}
