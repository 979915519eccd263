#!/usr/bin/env python3
"""Write a minimal PVH ELF whose one segment loads at ADDR (for the
"segments don't fit in RAM" test): mkelf.py OUT ADDR"""
import struct, sys

out, addr = sys.argv[1], int(sys.argv[2], 0)
code = b"\xf4" * 16                      # hlt
note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", addr)
ehdr_size, phdr_size = 64, 56
data_off = ehdr_size + 2 * phdr_size
note_off, code_off = data_off, data_off + len(note)
ehdr = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                   2, 62, 1, addr, ehdr_size, 0, 0, ehdr_size, phdr_size, 2, 64, 0, 0)
load = struct.pack("<IIQQQQQQ", 1, 5, code_off, addr, addr, len(code), len(code), 16)
pnote = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(note), len(note), 4)
with open(out, "wb") as f:
    f.write(ehdr + load + pnote + note + code)
