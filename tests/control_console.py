#!/usr/bin/env python3
"""lguest console on a terminal (tests/control.sh): attach to a detached
guest, see what it printed while nobody looked, type to it (raw mode),
Ctrl-A d detaches and leaves it running, one terminal at a time, attach
again and see what it printed meanwhile.  Prints "ok   ..." / "FAIL ...".
   control_console.py LGUEST GUESTS"""
import os, re, subprocess, sys, termios, time
from ptyproc import spawn, wait

L, G = sys.argv[1], sys.argv[2]

def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + "console: " + name + ("" if cond else "\n     " + repr(detail)[-300:]))

def attach(name):
    return spawn([L, "console", name])

def until(out, pattern, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if re.search(pattern, out.replace(b"\r", b"")):
            return True
        time.sleep(0.05)
    return False

def status(pid):
    return wait(pid, 10)

def run(*args):
    return subprocess.run([L] + list(args), capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)

def raw(fd):
    return not (termios.tcgetattr(fd)[3] & (termios.ICANON | termios.ECHO))

# A guest that echoes what it is typed, upper-cased; '.' ends it.
r = run("run", "-d", "--name", "echo1", G + "/echo.elf")
check("run -d: 0 once the guest runs, its name said", r.returncode == 0 and "echo1" in r.stderr, r)
time.sleep(0.5)
pid, fd, out = attach("echo1")
check("attach: what the guest printed before, replayed", until(out, rb"echo: ready"), out)
check("attach: the terminal is in raw mode", raw(fd))
other = run("console", "echo1")
check("a second attach: refused, status 1, one line saying so",
      other.returncode == 1 and "attached already" in other.stderr and other.stderr.count("\n") == 1, other)
os.write(fd, b"abc")
check("typed bytes reach the guest, its answer comes back", until(out, rb"ABC"), out)
os.write(fd, b"\x01d")
st = status(pid)
check("Ctrl-A d detaches: status 0, said", st == 0 and until(out, rb"detached from echo1"), (st, out))
check("...and the guest still runs", "echo1 " in run("list").stdout)
pid, fd, out = attach("echo1")
check("attach again: the earlier output replayed", until(out, rb"ABC"), out)
os.write(fd, b"x\x01\x01.")
check("the guest ends: the console says so, status 0", until(out, rb"echo1 has ended") and status(pid) == 0, out)
check("Ctrl-A Ctrl-A sends one Ctrl-A (abc, then x ^A .: 6 bytes, sum 461)", until(out, rb"bytes=6 sum=461 "), out)
time.sleep(0.3)
check("its name is free again, its socket gone", "echo1" not in run("list").stdout)

# Output while nobody is attached: a guest that ticks.
run("run", "-d", "--name", "tick1", "-a", "seconds=30 tick_ms=200", G + "/ctl.elf")
time.sleep(1.5)
pid, fd, out = attach("tick1")
check("ticks printed while detached are replayed", until(out, rb"ctl: tick [3-9]"), out)
os.write(fd, b"\x01d")
status(pid)
n = int(re.findall(rb"ctl: tick (\d+)", bytes(out))[-1])
time.sleep(1.5)
pid, fd, out = attach("tick1")
check("re-attach: the ticks since the detach replayed too",
      until(out, rb"ctl: tick %d\b" % (n + 3)), out)
os.write(fd, b"\x01d")
status(pid)
r = run("kill", "tick1")
check("kill: status 0; the guest is gone", r.returncode == 0 and "tick1" not in run("list").stdout, r)
fg = subprocess.Popen([L, "run", "--name", "fg1", "-a", "seconds=30", G + "/ctl.elf"], stdin=subprocess.DEVNULL,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.5)
r = run("console", "fg1")
check("console of a guest in the foreground: refused, status 1, says whose terminal it is",
      r.returncode == 1 and "foreground" in r.stderr and r.stderr.count("\n") == 1, r)
fg.terminate()
fg.wait()
