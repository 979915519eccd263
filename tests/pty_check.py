#!/usr/bin/env python3
"""lguest on a terminal: raw mode while the guest runs, the user's settings
back on every way out (guest exit, guest crash, SIGTERM, Ctrl-A x), given
back on Ctrl-Z and taken again on fg, left alone when started in the
background, modes the guest set reset, and Ctrl-A x heard whatever the guest
does with its input.  Prints one "ok"/"FAIL" line per case; exit 0 if all
passed.  pty_check.py LGUEST GUESTS"""
import os, pty, signal, sys, termios, time
from ptyproc import spawn, wait

lguest, guests = sys.argv[1], sys.argv[2]
LONG = ["-a", "count=100000000", guests + "/ioloop.elf"]
failed = 0


def report(name, good, detail=""):
    global failed
    print(("ok   " if good else "FAIL ") + "terminal: " + name + ("" if good else ": " + detail))
    failed += not good


def is_raw(fd):
    return not (termios.tcgetattr(fd)[3] & (termios.ICANON | termios.ECHO | termios.ISIG))


def start(args):
    return spawn([lguest, "run"] + args)


def ends(name, args, action, want, quick=False):
    pid, fd, out = start(args)
    time.sleep(1.0)
    raw = quick or is_raw(fd)           # a quick guest may be gone by now
    action(pid, fd)
    rc = wait(pid)
    restored = not is_raw(fd)
    report(name, raw and restored and rc == want, f"raw during run={raw} restored={restored} status={rc} (want {want})")
    os.close(fd)
    return bytes(out)


ends("SIGTERM: raw while running, restored, 143", LONG, lambda p, f: os.kill(p, signal.SIGTERM), 143)
out = ends("Ctrl-A x: restored, 0", LONG, lambda p, f: os.write(f, b"\x01x"), 0)
report("Ctrl-A x: a newline and how lguest ended", b"\r\nlguest: ended by Ctrl-A x, exit status 0" in out, repr(out[-80:]))
ends("guest exit: restored", [guests + "/hello.elf"], lambda p, f: None, 0, True)
ends("guest fault: restored, its status", ["-a", "mode=ud", guests + "/reset.elf"], lambda p, f: None, 3, True)


def help_then_quit(pid, fd):
    os.write(fd, b"\x01h\x01q")
    time.sleep(0.5)
    os.write(fd, b"\x01x")
out = ends("Ctrl-A h, Ctrl-A q: the escapes explained", LONG, help_then_quit, 0)
report("Ctrl-A h and an unknown key print the escapes", out.count(b"lguest: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A") == 2, repr(out[-200:]))


def flood_then_quit(pid, fd):        # the guest never reads: 100 KB, then the escape
    os.set_blocking(fd, False)
    data = b"z" * 100000 + b"\x01x"
    end = time.time() + 10
    while data and time.time() < end:
        try:
            data = data[os.write(fd, data[:4096]):]
        except BlockingIOError:
            time.sleep(0.01)
for console in ("virtio", "serial"):
    ends(f"Ctrl-A x after 100 KB the guest never reads ({console})",
         ["--console", console] + LONG, flood_then_quit, 0)


def suspend(pid, fd):                # kill -TSTP (Ctrl-Z when the terminal is not raw), then fg
    os.kill(pid, signal.SIGTSTP)
    stopped = False
    for _ in range(40):
        p, status = os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
        if p:
            stopped = os.WIFSTOPPED(status)
            break
        time.sleep(0.05)
    cooked = not is_raw(fd)
    os.kill(pid, signal.SIGCONT)
    time.sleep(0.5)
    report("Ctrl-Z gives the terminal back, fg takes it again", stopped and cooked and is_raw(fd),
           f"stopped={stopped} cooked while stopped={cooked} raw after fg={is_raw(fd)}")
    os.write(fd, b"\x01x")
ends("Ctrl-Z, fg, Ctrl-A x: restored, 0", LONG, suspend, 0)

# The guest sets the alternate screen, mouse reporting, bracketed paste and
# hides the cursor (and sets and resets mode 47); lguest resets what it left.
out = ends("full-screen modes: restored", ["-a", "term=1", guests + "/hello.elf"], lambda p, f: None, 0, True)
tail = out[out.rfind(b"full screen"):]
want = [b"\x1b[?25h", b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?1006l", b"\x1b[?2004l"]
report("modes the guest left set are reset at exit", all(w in tail for w in want) and b"\x1b[?47l" not in tail, repr(tail))

# Started in the background of a shell: the guest runs to its end, the
# terminal stays the shell's; fg (the job's group in the foreground, and
# SIGCONT) makes it raw.
pid, fd = pty.fork()
if pid == 0:
    child = os.fork()
    if child == 0:
        os.setpgid(0, 0)
        os.execv(lguest, [lguest, "run"] + LONG)
    os.setpgid(child, child)
    time.sleep(1.5)
    p, status = os.waitpid(child, os.WNOHANG | os.WUNTRACED)
    bg_ok = p == 0 and not is_raw(0)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    os.tcsetpgrp(0, child)
    os.kill(child, signal.SIGCONT)
    time.sleep(0.5)
    fg_raw = is_raw(0)
    os.kill(child, signal.SIGTERM)
    _, status = os.waitpid(child, 0)
    os._exit(0 if bg_ok and fg_raw and os.waitstatus_to_exitcode(status) == 143 else
             1 + bg_ok * 2 + fg_raw * 4)
rc = wait(pid, 30)
report("started in the background: not stopped, terminal left alone; fg: raw", rc == 0,
       f"child status {rc} (1 + 2*running-and-cooked-in-background + 4*raw-after-fg)")
os.close(fd)
sys.exit(1 if failed else 0)
