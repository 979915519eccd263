"""A program on a terminal of its own, for the tests that need one
(pty_check.py, control_console.py): spawn it on a pty, keep reading what it
writes (so it never waits on us), and wait for its end with a bound."""
import os, pty, signal, threading, time


def spawn(argv):
    """Start argv on a new pty: (pid, the pty's fd, what it wrote so far)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = bytearray()

    def drain():
        try:
            while True:
                b = os.read(fd, 65536)
                if not b:
                    return
                out.extend(b)
        except OSError:
            return
    threading.Thread(target=drain, daemon=True).start()
    return pid, fd, out


def wait(pid, timeout=20):
    """Its exit status, or "hung" (then killed) after timeout seconds."""
    end = time.time() + timeout
    while time.time() < end:
        p, status = os.waitpid(pid, os.WNOHANG)
        if p:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "hung"
