#!/usr/bin/env python3
"""Wrap a flat 64-bit kernel (loaded at 16 MiB, entry at +0x200) in a Linux
boot-protocol 2.15 header: mkbzimage.py PAYLOAD.bin OUT.bzImage"""
import struct, sys

payload = open(sys.argv[1], "rb").read()
payload += bytes(-len(payload) % 16)          # syssize counts 16-byte paragraphs
setup_sects = 1
hdr = bytearray(512 * (setup_sects + 1))

def put(off, fmt, *v):
    struct.pack_into("<" + fmt, hdr, off, *v)

put(0x1f1, "B", setup_sects)
put(0x1fe, "H", 0xAA55)
put(0x200, "BB", 0xEB, 0x6A)               # jmp; header ends at 0x202 + 0x6a
put(0x202, "4s", b"HdrS")
put(0x206, "H", 0x020F)                    # boot protocol 2.15
put(0x211, "B", 0x01)                      # LOADED_HIGH
put(0x214, "I", 0x1000000)                 # code32_start
put(0x22C, "I", 0x7FFFFFFF)                # initrd_addr_max
put(0x230, "I", 0x200000)                  # kernel_alignment
put(0x236, "H", 0x0001)                    # XLF_KERNEL_64
put(0x238, "I", 2047)                      # cmdline_size
put(0x258, "Q", 0x1000000)                 # pref_address
put(0x260, "I", (len(payload) + 0x10000 + 0xFFF) & ~0xFFF)   # init_size: + bss
put(0x1f4, "I", (len(payload) + 15) // 16) # syssize
open(sys.argv[2], "wb").write(bytes(hdr) + payload)
