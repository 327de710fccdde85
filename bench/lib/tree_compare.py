#!/usr/bin/env python3
"""Compares two mounted root file systems entry by entry.

usage: tree_compare.py EXPECTED_ROOT ACTUAL_ROOT

Each entry is listed with type, mode (incl. setuid/setgid/sticky), owner, size
and sha256 of files, hardlink group, symlink target, device numbers, every
xattr, and the mtime of non-directories (directory mtimes are what an unpacker
sets at unpack time for directories a layer writes into, so they are left
out). Prints '-' (expected) / '+' (actual) lines; exit status 1 when they
differ.
"""
import hashlib
import os
import stat
import sys


def listing(root):
    entries, inodes = [], {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            rel = "/" + os.path.relpath(p, root)
            entries.append((rel, p, st))
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
                inodes.setdefault(st.st_ino, []).append(rel)
    out = {}
    for rel, p, st in entries:
        m = st.st_mode
        f = [f"mode={stat.S_IFMT(m):o}/{stat.S_IMODE(m):04o}", f"uid={st.st_uid}", f"gid={st.st_gid}"]
        if stat.S_ISREG(m):
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
            f += [f"size={st.st_size}", f"sha256={h.hexdigest()}"]
        if not stat.S_ISDIR(m):
            f.append(f"mtime={st.st_mtime_ns}")
            if st.st_nlink > 1:
                f.append(f"nlink={st.st_nlink} hardlink={min(inodes[st.st_ino])}")
        if stat.S_ISLNK(m):
            f.append(f"target={os.readlink(p)}")
        if stat.S_ISCHR(m) or stat.S_ISBLK(m):
            f.append(f"rdev={os.major(st.st_rdev)}:{os.minor(st.st_rdev)}")
        for x in sorted(os.listxattr(p, follow_symlinks=False)):
            f.append(f"xattr.{x}={os.getxattr(p, x, follow_symlinks=False).hex()}")
        out[rel] = " ".join(f)
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    want, got = listing(sys.argv[1]), listing(sys.argv[2])
    bad = 0
    for path in sorted(set(want) | set(got)):
        if want.get(path) != got.get(path):
            bad += 1
            if path in want:
                print(f"- {path} {want[path]}")
            if path in got:
                print(f"+ {path} {got[path]}")
    print(f"{len(want)} expected entries, {len(got)} actual, {bad} differ", file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
