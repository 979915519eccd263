#!/usr/bin/env python3
"""Data safety: a guest writes sectors and flushes; the moment it reports
the flush done, lguest is killed with SIGKILL.  The written data must be in
the image every time.  Usage: flush_kill.py LGUEST GUESTS ROUNDS
Exit 0 when no round lost data; prints one line per lost round."""
import os, signal, struct, subprocess, sys, tempfile

lguest, guests, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
mkdisk = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest", "test", "mkdisk.py")
lost = 0
with tempfile.TemporaryDirectory() as d:
    img = os.path.join(d, "disk.img")
    for r in range(rounds):
        subprocess.run([sys.executable, mkdisk, img, "1024"], check=True)
        start, count = 16 * r, 16
        p = subprocess.Popen([lguest, "run", "--disk", img, "-a",
                              f"write=1 write_from={start} write_count={count} sectors=1",
                              os.path.join(guests, "blk.elf")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        flushed = False
        for line in p.stdout:
            if b"flushed=1" in line:
                os.kill(p.pid, signal.SIGKILL)
                flushed = True
                break
        p.wait()
        data = open(img, "rb").read()
        bad = [s for s in range(start, start + count)
               for w in (0, 63)
               if struct.unpack_from("<Q", data, s * 512 + w * 8)[0] != ((s << 16) | w | 0xA5A5000000000000)]
        if not flushed or bad or p.returncode != -signal.SIGKILL:
            lost += 1
            print(f"     round {r}: flushed={flushed} status={p.returncode} bad sectors={sorted(set(bad))[:4]}")
sys.exit(1 if lost else 0)
