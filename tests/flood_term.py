#!/usr/bin/env python3
"""A guest that keeps a virtio queue full of chains that finish at once
(guest/test/flood.c) must not keep lguest's event loop from SIGTERM: 1.5 s
after the flood starts, SIGTERM; lguest must be gone within LIMIT seconds
with status 143.  Usage: flood_term.py LGUEST GUESTS DEV [LIMIT] [lguest args]
Prints "flood dev=DEV first_len=N exit_after=S status=N" and exits 0 when
it ended in time."""
import os, signal, subprocess, sys, threading, time

lguest, guests, dev = sys.argv[1:4]
limit = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
extra = sys.argv[5:]
p = subprocess.Popen([lguest, "run", *extra, "-a", f"dev={dev}", os.path.join(guests, "flood.elf")],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
started = threading.Event()
first_len = []


def drain():                # the console flood prints a lot: read it all, keep the lines we want
    tail = b""
    while True:
        buf = p.stdout.read1(1 << 20)
        if not buf:
            return
        lines = (tail + buf).split(b"\n")
        tail = lines.pop()[-4096:]          # a line not yet ended
        for line in lines:
            if b"first_len=" in line and not first_len:
                first_len.append(line.split(b"first_len=")[1].split()[0].decode(errors="replace"))
            if b"flood: dev=" in line and b" started" in line:
                started.set()


threading.Thread(target=drain, daemon=True).start()
ok = started.wait(60)
time.sleep(1.5)
t0 = time.monotonic()
p.send_signal(signal.SIGTERM)
try:
    status = p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    status = p.wait()
took = time.monotonic() - t0
print(f"flood dev={dev} first_len={first_len[0] if first_len else '?'} started={int(ok)} "
      f"exit_after={took:.2f} status={status}")
sys.exit(0 if ok and took <= limit and status == 143 else 1)
