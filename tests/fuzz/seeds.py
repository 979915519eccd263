#!/usr/bin/env python3
"""The fuzz targets' seed corpora, a handful of small inputs each that take
the code a good way in: seeds.py OUTDIR writes OUTDIR/TARGET/seed-N.
The layouts are those the targets' comments describe (tests/fuzz/*.c)."""
import os, struct, sys

out = sys.argv[1]
seeds = {}


def add(target, data):
    seeds.setdefault(target, []).append(bytes(data))


def desc(addr, length, flags, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


N, W, I = 1, 2, 4          # VRING_DESC_F_NEXT, _WRITE, _INDIRECT

# --- fuzz_virtqueue: size, features, desc/avail/used (low RAM, or high with
# bit 15), then RAM (32 KiB low, 32 KiB high).
for features, high in ((0, 0), (1, 0), (2, 0), (3, 0x8000)):
    ram = bytearray(0x800)                                  # desc 0, avail 0x100, used 0x200
    ram[0:48] = desc(0x400, 16, N, 1) + desc(0x500, 512, W | N, 2) + desc(0x700, 1, W)
    ram[48:64] = desc(0x780, 32, I)                         # head 3: indirect, two entries
    ram[0x780:0x7a0] = desc(0x400, 16, N, 1) + desc(0x700, 1, W)
    ram[0x100:0x108] = struct.pack("<HHHH", 0, 2, 0, 3)     # avail: idx 2, heads 0 and 3
    ram[0x114:0x116] = struct.pack("<H", 1)                 # used_event
    if high:                                                # the same at 4 GiB: high RAM
        ram = bytes(0x8000) + bytes(ram)
    add("virtqueue", struct.pack("<HBHHH", 8, features, high, high | 0x100, high | 0x200) + ram)

# --- fuzz_pci: operations (see pci.c).
def conf1(dev, reg):
    return bytes([0x80, 2]) + struct.pack("<I", 0x80000000 | dev << 11 | reg)


def cfg(rw, port, length, value=0):
    lg = {1: 0, 2: 1, 4: 2}[length]
    return bytes([rw | 1, lg, port]) + value.to_bytes(length, "little")


def bar(rw, dev, off, length, value=0):
    lg = {1: 0, 2: 1, 4: 2, 8: 3}[length]
    return bytes([rw | 2, lg]) + struct.pack("<HB", off, dev) + value.to_bytes(length, "little")


def ram8(off, value):
    return bytes([4, 0]) + off.to_bytes(3, "little") + value.to_bytes(8, "little")


R, WR = 0, 0x80
ops = conf1(1, 0) + cfg(R, 0, 4) + conf1(1, 0x10) + cfg(WR, 0, 4, 0xffffffff) + cfg(R, 0, 4)
ops += conf1(1, 0x34) + cfg(R, 0, 1) + conf1(1, 0x40) + cfg(R, 0, 4) + conf1(2, 0x04) + cfg(WR, 0, 2, 6)
add("pci", ops)
for dev in (0, 1):                         # rng, console: the spec's start-up, a chain, a kick
    ops = bar(WR, dev, 0x14, 1, 0) + bar(WR, dev, 0x14, 1, 1) + bar(WR, dev, 0x14, 1, 3)
    ops += bar(R, dev, 0x04, 4) + bar(WR, dev, 0x08, 4, 1) + bar(WR, dev, 0x0c, 4, 1)
    ops += bar(WR, dev, 0x14, 1, 0xb) + bar(WR, dev, 0x16, 2, dev) + bar(WR, dev, 0x18, 2, 8)
    ops += bar(WR, dev, 0x20, 8, 0x1000) + bar(WR, dev, 0x28, 8, 0x2000) + bar(WR, dev, 0x30, 8, 0x3000)
    ops += bar(WR, dev, 0x1c, 2, 1) + bar(WR, dev, 0x14, 1, 0xf)
    ops += ram8(0x1000, 0x4000) + ram8(0x1008, 64 | (W if dev == 0 else 0) << 32) + ram8(0x2000, 1 << 16)
    ops += bar(WR, dev, 0x3000 + 4 * dev, 2, dev) + bytes([5, 0])
    ops += bar(WR, dev, 0x3400, 8, 0xfee00000) + bar(WR, dev, 0x3408, 8, 0x41) + bar(R, dev, 0x1000, 1)
    add("pci", ops)

# --- fuzz_blk: queue size, features, avail.idx, RAM from 0x1000 (the
# descriptor table; the avail ring's head 0 is there already, in zeros).
def req(t, sector):
    return struct.pack("<IIQ", t, 0, sector)


for t, dflag, dlen in ((0, W, 512), (1, 0, 512), (4, None, 0), (8, W, 20), (11, 0, 16), (13, 0, 16)):
    ram = bytearray(0x600)                                  # gpa 0x1000..0x1600
    chain = [desc(0x1100, 16, N, 1)] + ([desc(0x1200, dlen, dflag | N, 2)] if dflag is not None else [])
    ram[0:48] = b"".join(chain) + desc(0x1500, 1, W) + b"\0" * (48 - 16 * len(chain) - 16)
    ram[0x100:0x110] = req(t, 8)
    ram[0x200:0x210] = struct.pack("<QII", 8, 2, 0)         # a discard/write-zeroes segment
    add("blk", struct.pack("<HBH", 8, 0, 1) + ram)
ram = bytearray(0x600)                                      # an indirect read, its table at 0x1580
ram[0:16] = desc(0x1580, 48, I)
ram[0x100:0x110] = req(0, 0)
ram[0x580:0x5b0] = desc(0x1100, 16, N, 1) + desc(0x1200, 512, W | N, 2) + desc(0x1500, 1, W)
add("blk", struct.pack("<HBH", 8, 2, 1) + ram)

# --- fuzz_serial: register operations (see serial.c).
def reg(r, value=None):
    return bytes([r | 0x80, value]) if value is not None else bytes([r])


add("serial", reg(3, 0x80) + reg(0, 1) + reg(1, 0) + reg(3, 3) + reg(2, 0xc7) + reg(4, 0x0b)
    + reg(1, 0x03) + reg(0, ord("h")) + reg(2) + reg(5) + reg(6))
add("serial", reg(4, 0x1b) + reg(0, 0x41) + reg(5) + reg(0) + reg(6) + reg(7, 0x5a) + reg(7)
    + bytes([0x48, 5]) + b"typed" + reg(1, 1) + reg(4, 8) + reg(2) + reg(0) + reg(0) + reg(2, 2))

# --- fuzz_bzimage: a boot-protocol 2.15 header (as guest/test/bz/mkbzimage.py).
def bzimage(version=0x020F, xlf=1, payload=b"\xf4" * 64, init_size=0x20000, initrd=False):
    hdr = bytearray(1024)
    struct.pack_into("<B", hdr, 0x1f1, 1)
    struct.pack_into("<H", hdr, 0x1fe, 0xAA55)
    struct.pack_into("<BB4sH", hdr, 0x200, 0xEB, 0x6A, b"HdrS", version)
    struct.pack_into("<B", hdr, 0x211, 1)
    struct.pack_into("<I", hdr, 0x214, 0x1000000)
    struct.pack_into("<III", hdr, 0x22C, 0x7FFFFFFF, 0x200000, 0)
    struct.pack_into("<H", hdr, 0x236, xlf)
    struct.pack_into("<I", hdr, 0x238, 2047)
    struct.pack_into("<QI", hdr, 0x258, 0x1000000, init_size)
    data = bytes(hdr) + payload
    return data + (b"\x01" if initrd else b"\x00")


add("bzimage", bzimage())
add("bzimage", bzimage(initrd=True))
add("bzimage", bzimage(version=0x020C, init_size=0))
add("bzimage", bzimage(version=0x020B))

# --- fuzz_elf: a PVH ELF (64- and 32-bit) and a Linux vmlinux.
def elf64(notes, addr=0x100000, entry=0x100000):
    code = b"\xf4" * 16
    ehdr_size, phdr_size = 64, 56
    note_off = ehdr_size + 2 * phdr_size
    code_off = note_off + len(notes)
    ehdr = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                       2, 62, 1, entry, ehdr_size, 0, 0, ehdr_size, phdr_size, 2, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 5, code_off, addr, addr, len(code), len(code) + 64, 16)
    pnote = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(notes), len(notes), 4)
    return ehdr + load + pnote + notes + code


def elf32(notes, addr=0x100000):
    code = b"\xf4" * 16
    ehdr_size, phdr_size = 52, 32
    note_off = ehdr_size + 2 * phdr_size
    code_off = note_off + len(notes)
    ehdr = struct.pack("<4sBBBBB7xHHIIIIIHHHHHH", b"\x7fELF", 1, 1, 1, 0, 0,
                       2, 3, 1, addr, ehdr_size, 0, 0, ehdr_size, phdr_size, 2, 40, 0, 0)
    load = struct.pack("<IIIIIIII", 1, code_off, addr, addr, len(code), len(code), 5, 16)
    pnote = struct.pack("<IIIIIIII", 4, note_off, 0, 0, len(notes), len(notes), 4, 4)
    return ehdr + load + pnote + notes + code


pvh = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", 0x100000)
linux = struct.pack("<III", 6, 4, 1) + b"Linux\0\0\0" + b"\0" * 4
add("elf", elf64(pvh) + b"\x00")
add("elf", elf64(pvh) + b"\x01")                            # with an initrd
add("elf", elf64(linux) + b"\x00")
add("elf", elf32(pvh) + b"\x00")

# --- fuzz_vhost_user: operations (see vhost_user.c); two front-ends, each
# with 64 KiB of RAM at user address UA, guest-physical 0.
UA = 0x7F0000000000
NONE, MEMFD, EVENTFD, UNSEALED = 0, 1, 2, 3
(GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE, SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE,
 GET_VRING_BASE, SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR, GET_PROTOCOL_FEATURES,
 SET_PROTOCOL_FEATURES, SET_VRING_ENABLE, SEND_RARP) = 1, 2, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19


def vu(port, req, payload=b"", fds=NONE, nfds=1, flags=1, split=False, size=None):
    o = fds | (nfds - 1) << 2 if fds else 0
    o |= 0x40 if split else 0
    size = len(payload) if size is None else size
    return bytes([o, port << 7 | req, flags]) + struct.pack("<H", size) + payload


def vu_ram(port, off, data):
    return bytes([0x80 | port]) + struct.pack("<HH", off, len(data)) + data


def vu_state(port, req, q, num, **kw):
    return vu(port, req, struct.pack("<II", q, num), **kw)


def vu_ring(port, q, size=8):
    base = 0x1000 * q                          # desc, avail +0x100, used +0x200
    return (vu_state(port, SET_VRING_NUM, q, size) + vu_state(port, SET_VRING_BASE, q, 0)
            + vu(port, SET_VRING_ADDR, struct.pack("<IIQQQQ", q, 0, UA + base, UA + base + 0x200, UA + base + 0x100, 0))
            + vu(port, SET_VRING_CALL, struct.pack("<Q", q), EVENTFD)
            + vu(port, SET_VRING_KICK, struct.pack("<Q", q), EVENTFD)
            + vu_state(port, SET_VRING_ENABLE, q, 1))


def vu_setup(port, features=(1 << 32) | (1 << 29) | (1 << 30) | (1 << 15), protocol=1 << 3):
    return (vu(port, GET_FEATURES) + vu(port, GET_PROTOCOL_FEATURES)
            + vu(port, SET_FEATURES, struct.pack("<Q", features))
            + vu(port, SET_PROTOCOL_FEATURES, struct.pack("<Q", protocol)) + vu(port, SET_OWNER)
            + vu(port, SET_MEM_TABLE, struct.pack("<II", 1, 0) + struct.pack("<QQQQ", 0, 0x10000, UA, 0), MEMFD)
            + vu_ring(port, 0) + vu_ring(port, 1))


def frame(dst, src, n=60):
    return bytes(12) + dst + src + b"\x08\x00" + bytes(n - 14)


MAC1, MAC2, BCAST = bytes([2, 0, 0, 0, 0, 1]), bytes([2, 0, 0, 0, 0, 2]), b"\xff" * 6
rx = b"".join(desc(0x4000 + 0x800 * i, 0x800, W) for i in range(4))
rx_avail = struct.pack("<HHHHHH", 0, 4, 0, 1, 2, 3)
tx = desc(0x2000, 72, 0) + desc(0x2100, 72, 0) + desc(0x2200, 12, N, 3) + desc(0x2300, 60, 0)
# eventfds, as made: port 0's rx call, rx kick, tx call, tx kick, then port 1's
KICK0_TX, KICK1_TX = 0xC0 | 3, 0xC0 | 7
both = vu_setup(0) + vu_setup(1) + vu_ram(1, 0, rx) + vu_ram(1, 0x100, rx_avail) + vu_ram(0, 0, rx) + vu_ram(0, 0x100, rx_avail)
frames = vu_ram(0, 0x1000, tx) + vu_ram(0, 0x2000, frame(BCAST, MAC1)) + vu_ram(0, 0x2100, frame(MAC2, MAC1))
frames += vu_ram(0, 0x2200, bytes(12)) + vu_ram(0, 0x2300, frame(MAC2, MAC1)[12:])
add("vhost_user", both + frames + vu_ram(0, 0x1100, struct.pack("<HHHHH", 0, 3, 0, 1, 2)) + bytes([KICK0_TX])
    + vu(1, SEND_RARP, MAC2 + b"\0\0", flags=1 | 8) + vu_ram(1, 0x1000, desc(0x2000, 72, 0))
    + vu_ram(1, 0x2000, frame(MAC1, MAC2)) + vu_ram(1, 0x1100, struct.pack("<HHH", 0, 1, 0)) + bytes([KICK1_TX])
    + vu_state(0, GET_VRING_BASE, 1, 0) + vu_state(1, GET_VRING_BASE, 0, 0))
add("vhost_user", vu_setup(0, features=(1 << 32) | (1 << 15), protocol=0) + vu_ram(0, 0x1000, tx)
    + vu_ram(0, 0x2000, frame(BCAST, MAC1)) + vu_ram(0, 0x1100, struct.pack("<HHH", 0, 1, 0)) + bytes([KICK0_TX]))
add("vhost_user", vu(0, GET_FEATURES, split=True) + vu(0, SET_MEM_TABLE, struct.pack("<II", 1, 0)
    + struct.pack("<QQQQ", 0, 0x1000, UA, 0), UNSEALED)
    + vu(1, SET_MEM_TABLE, struct.pack("<II", 2, 0) + struct.pack("<QQQQ", 0, 0x8000, UA, 0)
         + struct.pack("<QQQQ", 0x8000, 0x8000, UA + 0x8000, 0x8000), MEMFD, nfds=2, split=True)
    + vu(1, SET_VRING_ERR, struct.pack("<Q", 0), EVENTFD, nfds=9) + vu(1, SET_FEATURES, b"", size=300))

add("vhost_user", vu_setup(0) + vu(0, 99, bytes(8)) + bytes([KICK0_TX]))  # dropped, then kicked: no spin

add("vhost_user", vu_setup(0) + vu_state(0, SET_VRING_ENABLE, 0x101, 0))  # the NOFD flag in an index

# --- fuzz_control: operations (see control.c): client c sends n bytes
# (op c, n), the guest prints (op 0x80 | repeats, n), client c hangs up.
def ctl_send(c, data):
    return bytes([c, len(data)]) + data if len(data) < 256 else bytes([0x40 | c]) + struct.pack("<H", len(data)) + data


def ctl_print(data, times=1):
    return bytes([0x80 | (times - 1), len(data)]) + data


add("control", ctl_send(0, b'{"cmd":"stat"}\n') + ctl_send(1, b' { "cmd" : "pause" } \n{"cmd":"resume"}\n')
    + ctl_send(0, b'{"cmd":"nope"}\nnot json\n{"cmd":"stop","timeout":0.001}\n') + ctl_send(0, b'{"cmd":"kill"}\n'))
add("control", ctl_print(b"boot log\r\n", 64) + ctl_send(2, b'{"cmd":"console"}\n') + ctl_send(3, b'{"cmd":"console"}\n')
    + ctl_send(2, b"typed") + ctl_print(b"more output") + bytes([0xC0 | 2]) + ctl_send(3, b'{"cmd":"console"}\nls\n'))
add("control", ctl_send(0, b'{"cmd":"st') + ctl_send(0, b'at"}\n{"cmd":"stop","timeout":1e9}') + ctl_send(0, b"x" * 5000)
    + b"".join(ctl_send(c, b'{"cmd":"stat"}\n') for c in range(1, 18)) + ctl_send(1, b'{"cmd":"kill"}\n'))
add("control", ctl_send(0, b'{"cmd":"stop","timeout":2e29}\n{"cmd":"stop","timeout":nan}\n'))   # refused, not converted

for target, items in seeds.items():
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for i, s in enumerate(items):
        with open(os.path.join(d, f"seed-{i}"), "wb") as f:
            f.write(s)
