#!/usr/bin/env python3
"""lguest on a terminal: raw mode while the guest runs, the user's settings
back on every way out (guest exit, guest crash, SIGTERM).  Exit 0 if so."""
import os, pty, signal, sys, termios, time

lguest, guests = sys.argv[1], sys.argv[2]

def run(args, action):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(lguest, [lguest, "run"] + args)
    before = termios.tcgetattr(fd)          # the child may not be raw yet
    time.sleep(1.0)
    during = termios.tcgetattr(fd)
    if action:
        action(pid, fd)
    _, status = os.waitpid(pid, 0)
    after = termios.tcgetattr(fd)
    os.close(fd)
    raw = not (during[3] & (termios.ICANON | termios.ECHO | termios.ISIG))
    restored = bool(after[3] & termios.ICANON) and bool(after[3] & termios.ECHO)
    return raw, restored, os.waitstatus_to_exitcode(status)

def term(pid, fd):
    os.kill(pid, signal.SIGTERM)

def escape(pid, fd):
    os.write(fd, b"\x01x")

cases = [
    ("SIGTERM", ["-a", "count=100000000", guests + "/ioloop.elf"], term, 128 + 15),
    ("Ctrl-A x", ["-a", "count=100000000", guests + "/ioloop.elf"], escape, 0),
]
good = True
for name, args, action, want in cases:
    raw, restored, rc = run(args, action)
    if not (raw and restored and rc == want):
        print(f"     {name}: raw during run={raw} restored={restored} status={rc} (want {want})")
        good = False
# A guest that ends by itself, and one that crashes: restored too.
for name, args, want in [("guest exit", [guests + "/hello.elf"], 0),
                         ("guest fault", ["-a", "mode=ud", guests + "/reset.elf"], 3)]:
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(lguest, [lguest, "run"] + args)
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    after = termios.tcgetattr(fd)
    rc = os.waitstatus_to_exitcode(status)
    if not (after[3] & termios.ICANON and rc == want):
        print(f"     {name}: restored={bool(after[3] & termios.ICANON)} status={rc} (want {want})")
        good = False
sys.exit(0 if good else 1)
