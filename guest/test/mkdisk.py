#!/usr/bin/env python3
"""Make a raw disk image holding the test pattern the blk guests check:
sector s (512 bytes) is 64 little-endian u64 words, word w = (s << 16) | w.
usage: mkdisk.py IMAGE SECTORS"""
import struct
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
with open(sys.argv[1], "wb") as f:
    for s in range(int(sys.argv[2], 0)):
        f.write(struct.pack("<64Q", *((s << 16) | w for w in range(64))))
