#!/usr/bin/env python3
"""A vhost-user front-end that breaks the rules, one case per connection,
against the LAN switch at SOCKET.  After each case the switch must have
dropped that connection (or ignored what it could not use) and still
answer a new one.  Prints "ok CASE" / "FAIL CASE" per case; exit status 0
when all passed.   usage: tests/vu_client.py SOCKET [CASE...]"""
import os, socket, struct, sys, time

GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 1, 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, SET_VRING_KICK, SET_VRING_CALL = 8, 9, 10, 12, 13
SET_VRING_ENABLE = 18
F_SEAL_SHRINK, F_ADD_SEALS = 2, 1033


def msg(req, payload=b"", size=None, flags=1):
    return struct.pack("<III", req, flags, len(payload) if size is None else size) + payload


def conn(path):
    """Connect, waiting up to 3 s while the switch's backlog is full."""
    for _ in range(300):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            time.sleep(0.01)
    raise OSError("the switch accepts no connection")


def memfd(size, seal=True):
    fd = os.memfd_create("vu", os.MFD_ALLOW_SEALING if seal else 0)
    os.ftruncate(fd, size)
    if seal:
        import fcntl
        fcntl.fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)
    return fd


def region(gpa, size, uaddr, off):
    return struct.pack("<QQQQ", gpa, size, uaddr, off)


def mem_table(regions):
    return msg(SET_MEM_TABLE, struct.pack("<II", len(regions), 0) + b"".join(regions))


def dropped(s):
    """The switch closed this connection (it may first answer what came before)."""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def alive(path):
    """A new front-end still gets its features (within 3 s: a full switch
    turns one away until it has seen the others leave)."""
    for _ in range(30):
        try:
            s = conn(path)
            s.sendall(msg(GET_FEATURES))
            h = s.recv(20)
            s.close()
            if len(h) == 20 and struct.unpack("<III", h[:12])[0] == GET_FEATURES:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def send(s, data, fds=()):
    if fds:
        socket.send_fds(s, [data], list(fds))
    else:
        s.sendall(data)


def ring_setup(s, fd):
    send(s, msg(SET_OWNER))
    send(s, mem_table([region(0, 1 << 20, 0x7000000000, 0)]), [fd])
    send(s, msg(SET_VRING_NUM, struct.pack("<II", 1, 256)))


CASES = {
    "wrong_size": lambda s: send(s, msg(SET_FEATURES, b"\0" * 4)),
    "huge_size": lambda s: send(s, msg(SET_FEATURES, b"", size=1 << 20)),
    "unknown_request": lambda s: send(s, msg(99, b"\0" * 8)),
    "too_many_regions": lambda s: send(s, mem_table([region(i << 20, 1 << 20, i << 30, 0) for i in range(9)]),
                                       [memfd(1 << 20) for _ in range(8)]),
    "regions_fds_mismatch": lambda s: send(s, mem_table([region(0, 1 << 20, 0, 0), region(1 << 20, 1 << 20, 1 << 30, 0)]),
                                           [memfd(1 << 20)]),
    "regions_overlap": lambda s: send(s, mem_table([region(0, 2 << 20, 0, 0), region(1 << 20, 1 << 20, 1 << 30, 0)]),
                                      [memfd(2 << 20), memfd(1 << 20)]),
    "region_beyond_file": lambda s: send(s, mem_table([region(0, 1 << 30, 0, 0)]), [memfd(4096)]),
    "region_unsealed": lambda s: send(s, mem_table([region(0, 1 << 20, 0, 0)]), [memfd(1 << 20, seal=False)]),
    "region_wraps": lambda s: send(s, mem_table([region(0, 1 << 20, 0, (1 << 64) - 4096)]), [memfd(1 << 20)]),
    "region_gpa_wraps": lambda s: send(s, mem_table([region((1 << 64) - 4096, 1 << 20, 0, 0)]), [memfd(1 << 20)]),
    "queue_out_of_range": lambda s: send(s, msg(SET_VRING_NUM, struct.pack("<II", 5, 256))),
    "queue_too_big": lambda s: send(s, msg(SET_VRING_NUM, struct.pack("<II", 0, 65536))),
    "vring_outside_regions": lambda s: (ring_setup(s, memfd(1 << 20)),
                                        send(s, msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", 1, 0, 0x7000000000 + (2 << 20), 0x7000000000, 0x7000000000, 0)))),
    "kick_not_eventfd": lambda s: send(s, msg(SET_VRING_KICK, struct.pack("<Q", 1)), [os.pipe()[0]]),
    "call_not_eventfd": lambda s: send(s, msg(SET_VRING_CALL, struct.pack("<Q", 1)), [memfd(4096)]),
    "kick_without_fd": lambda s: send(s, msg(SET_VRING_KICK, struct.pack("<Q", 1))),
    "kick_before_mem_table": lambda s: (send(s, msg(SET_VRING_KICK, struct.pack("<Q", 1)), [os.eventfd(1)]),
                                        time.sleep(0.2), send(s, msg(12345))),
    "enable_nofd_index": lambda s: (send(s, msg(SET_VRING_ENABLE, struct.pack("<II", 0x100, 1))),
                                    time.sleep(0.2), send(s, msg(12345))),
    "half_message_then_gone": lambda s: send(s, msg(SET_FEATURES, b"\0" * 8)[:6]),
}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        t = f.read().rsplit(")", 1)[1].split()
    return (int(t[11]) + int(t[12])) / os.sysconf("SC_CLK_TCK")


def kick_after_drop(s):
    """A front-end dropped with its kick eventfd still open, its guest still
    kicking: the switch must not spin on an eventfd it closed."""
    pid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
    kick = os.eventfd(0)
    send(s, msg(SET_VRING_KICK, struct.pack("<Q", 1)), [kick])
    send(s, msg(12345))                      # dropped: the switch closes its copy of kick
    dropped(s)
    os.eventfd_write(kick, 1)
    t0 = cpu_seconds(pid)
    time.sleep(0.5)
    spun = cpu_seconds(pid) - t0
    os.close(kick)
    if spun > 0.2:
        print(f"     the switch spun: {spun:.2f} s of CPU in 0.5 s", flush=True)
    return spun <= 0.2


CASES["kick_after_drop"] = kick_after_drop


def main():
    path = sys.argv[1]
    names = sys.argv[2:] or list(CASES)
    bad = 0
    for name in names:
        s = conn(path)
        fine = CASES[name](s) is not False
        if name == "half_message_then_gone":
            ok = alive(path)             # the switch serves others while this one stalls
            s.close()
        else:
            ok = dropped(s)
            s.close()
        ok = ok and fine and alive(path)
        print(("ok   " if ok else "FAIL ") + name, flush=True)
        bad += not ok
    # 100 front-ends at once: the switch takes what it can and stays up.
    many = []
    for _ in range(100):
        try:
            many.append(conn(path))
        except OSError:
            pass
    for s in many:
        s.close()
    ok = alive(path)
    print(("ok   " if ok else "FAIL ") + "hundred_connections", flush=True)
    return 1 if bad or not ok else 0


if __name__ == "__main__":
    sys.exit(main())
