"""Shared by the benchmarks: run lguest and QEMU on the same test guest,
alternating, and take medians.  Nothing here is a test: it measures."""
import os, re, shlex, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LGUEST = os.path.join(ROOT, "build", "lguest")
GUESTS = os.path.join(ROOT, "build", "guest", "test")
# BENCH_QEMU: another QEMU command, e.g. one carried to a machine without it
# ("/q/ld-linux-x86-64.so.2 --library-path /q/lib /q/qemu-system-x86_64 -L /q/share").
QEMU = shlex.split(os.environ.get("BENCH_QEMU", "")) or [shutil.which("qemu-system-x86_64")]

# lguest's own kernel command line for the default guest's `-q -- true`
# (lg.cmd is base64 of "'true'"), given to QEMU too, with a debug-exit port.
TRUE_APPEND = "console=ttyS0 panic=-1 pci=noearly quiet lg.quiet lg.cmd=J3RydWUn"
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]

def need_qemu():
    if not QEMU[0]:
        sys.exit("bench: qemu-system-x86_64 is missing: apt-get install qemu-system-x86")
    if not os.path.exists(LGUEST):
        sys.exit("bench: build/lguest is missing: run make first")

def lguest_cmd(guest, append, mem="256M"):
    return [LGUEST, "run", "-m", mem, "-a", append, os.path.join(GUESTS, guest)]

def qemu_cmd(guest, append, mem="256M"):
    return QEMU + ["-M", "microvm", "-accel", "kvm", "-m", mem.rstrip("M"),
            "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio"] + DEBUG_EXIT + [
            "-kernel", os.path.join(GUESTS, guest), "-append", append]

def run(cmd, env=None):
    """Run cmd; return (wall seconds, stdout+stderr text, peak RSS KiB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    return wall, out.decode(errors="replace"), ru.ru_maxrss

def field(text, name):
    m = re.search(name + r"=(\d+)", text)
    if not m:
        sys.exit("bench: no %s= in output:\n%s" % (name, text))
    return int(m.group(1))

def median(xs):
    return statistics.median(xs)
