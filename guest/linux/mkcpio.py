#!/usr/bin/env python3
"""mkcpio.py LIST OUT - write an uncompressed newc cpio archive (an initramfs).

LIST uses the kernel's usr/gen_init_cpio format, one entry a line:
    dir   NAME MODE UID GID
    file  NAME SOURCE MODE UID GID
    slink NAME TARGET MODE UID GID
    nod   NAME MODE UID GID c|b MAJOR MINOR
MODE is octal. Owners and device nodes come from the list, not the build
host, so no root is needed; mtimes are 0 so the archive is reproducible.
"""
import stat
import sys

KIND = {"dir": stat.S_IFDIR, "file": stat.S_IFREG, "slink": stat.S_IFLNK,
        "nod": None}


def entry(out, ino, name, mode, uid, gid, data=b"", rdev=(0, 0), nlink=1):
    name_b = name.lstrip("/").encode() + b"\0"
    fields = [ino, mode, uid, gid, nlink, 0, len(data), 0, 0,
              rdev[0], rdev[1], len(name_b), 0]
    out.write(b"070701" + b"".join(b"%08x" % f for f in fields))
    out.write(name_b + b"\0" * (-(110 + len(name_b)) % 4))
    out.write(data + b"\0" * (-len(data) % 4))


def main(list_path, out_path):
    with open(list_path) as lst, open(out_path, "wb") as out:
        ino = 1
        for lineno, line in enumerate(lst, 1):
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            kind, name, rest = w[0], w[1], w[2:]
            if kind not in KIND:
                sys.exit(f"{list_path}:{lineno}: unknown entry type {kind}")
            data, rdev = b"", (0, 0)
            if kind == "file":
                with open(rest.pop(0), "rb") as f:
                    data = f.read()
            elif kind == "slink":
                data = rest.pop(0).encode()
            mode, uid, gid = int(rest[0], 8), int(rest[1]), int(rest[2])
            if kind == "nod":
                ftype = stat.S_IFCHR if rest[3] == "c" else stat.S_IFBLK
                rdev = (int(rest[4]), int(rest[5]))
            else:
                ftype = KIND[kind]
            nlink = 2 if kind == "dir" else 1
            entry(out, ino, name, ftype | mode, uid, gid, data, rdev, nlink)
            ino += 1
        entry(out, 0, "TRAILER!!!", 0, 0, 0)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
