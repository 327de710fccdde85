#!/usr/bin/env python3
"""Writes the unpack benchmark image as an OCI layout tar, deterministically.

usage: manyfiles.py OUT.tar [REF_TAG]

Four gzip layers, ~250 MB uncompressed, every byte from a seeded PRNG and every
time fixed, so the same command gives the same digests on every machine:
  1. a small base (busybox from the host when present) + 20,000 random files
     of 1-8 KiB in data/aNN/bN/
  2. 10 x 15 MiB random files in blobs/
  3. a changeset: file whiteouts, a directory whiteout, an opaque directory,
     type changes, a whiteout plus a new file of the same name
  4. hardlinks, symlinks, setuid/setgid/sticky, odd owners and modes, xattrs,
     a fifo and device nodes, long/UTF-8/spaced names
The shape follows the shared containerd baseline's manyfiles fixture.
"""
import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile

EPOCH = 1700000000


class Layer:
    def __init__(self):
        self.buf = io.BytesIO()
        self.tf = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def add(self, name, typ=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, link="", dev=(0, 0),
            xattrs=None, mtime=EPOCH):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.mtime, ti.uid, ti.gid = typ, mode, mtime, uid, gid
        ti.uname = ti.gname = ""
        ti.linkname = link
        ti.devmajor, ti.devminor = dev
        ti.size = len(data) if typ == tarfile.REGTYPE else 0
        if xattrs:
            ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
        self.tf.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)

    def dir(self, name, mode=0o755, **kw):
        self.add(name.rstrip("/") + "/", tarfile.DIRTYPE, mode=mode, **kw)

    def wh(self, path):
        d, base = os.path.split(path)
        self.add(os.path.join(d, ".wh." + base))

    def tar(self):
        self.tf.close()
        return self.buf.getvalue()


def layer1():
    l, rng = Layer(), random.Random(1)
    for d, mode in [("bin", 0o755), ("etc", 0o755), ("tmp", 0o1777), ("root", 0o700), ("dev", 0o755),
                    ("proc", 0o755), ("sys", 0o755), ("var", 0o755), ("usr", 0o755), ("usr/bin", 0o755)]:
        l.dir(d, mode)
    if os.path.exists("/bin/busybox"):
        with open("/bin/busybox", "rb") as f:
            l.add("bin/busybox", data=f.read(), mode=0o755)
        for a in ["sh", "ls", "cat", "echo", "sleep", "true", "env", "id", "ps", "mkdir", "rm", "cp", "mv"]:
            l.add("bin/" + a, tarfile.SYMTYPE, link="/bin/busybox", mode=0o777)
    l.add("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n")
    l.dir("data")
    for a in range(20):
        l.dir(f"data/a{a:02d}")
        for b in range(10):
            l.dir(f"data/a{a:02d}/b{b}")
            for f in range(100):
                l.add(f"data/a{a:02d}/b{b}/f{f:02d}.bin", data=rng.randbytes(rng.randint(1024, 8192)))
    return l.tar()


def layer2():
    l, rng = Layer(), random.Random(2)
    l.dir("blobs")
    for i in range(10):
        l.add(f"blobs/big{i:02d}.bin", data=rng.randbytes(15 * 1024 * 1024))
    return l.tar()


def layer3():
    l, rng = Layer(), random.Random(3)
    l.dir("data")
    l.dir("data/a00")
    l.dir("data/a00/b0")
    for f in range(10):
        l.wh(f"data/a00/b0/f{f:02d}.bin")
    for f in range(5):
        l.wh(f"data/a00/b1/f{f:02d}.bin")
    l.wh("data/a01")
    l.dir("data/a02")
    l.dir("data/a02/b3")
    l.add("data/a02/b3/.wh..wh..opq")
    for i in range(5):
        l.add(f"data/a02/b3/new{i}.txt", data=rng.randbytes(100 + i))
    l.dir("data/a02/b3/sub", 0o750)
    l.add("data/a02/b3/sub/inner.txt", data=b"inner\n")
    l.dir("data/a03")
    l.add("data/a03/b9", data=b"directory b9 became a file\n")
    l.dir("data/a03/b8")
    l.dir("data/a03/b8/f00.bin")
    l.add("data/a03/b8/f00.bin/child", data=b"child\n")
    l.add("data/a03/b8/f01.bin", tarfile.SYMTYPE, link="f02.bin", mode=0o777)
    l.dir("data/a04")
    l.dir("data/a04/b0")
    l.wh("data/a04/b0/f00.bin")
    l.add("data/a04/b0/f00.bin", data=b"recreated in layer 3\n")
    l.dir("data/a05")
    l.dir("data/a05/b0", 0o700)
    return l.tar()


def layer4():
    l, rng = Layer(), random.Random(4)
    l.dir("links")
    l.dir("other")
    l.add("links/target.txt", data=rng.randbytes(3000))
    l.add("links/hl1", tarfile.LNKTYPE, link="links/target.txt")
    l.add("other/hl2", tarfile.LNKTYPE, link="links/target.txt")
    l.add("links/owned.txt", data=b"owned\n", mode=0o640, uid=1000, gid=1000)
    l.add("links/owned-hl", tarfile.LNKTYPE, link="links/owned.txt", mode=0o640, uid=1000, gid=1000)
    for name, target in [("rel-file", "../data/a00/b5/f00.bin"), ("abs-file", "/blobs/big00.bin"),
                         ("dangling", "/does/not/exist"), ("dir-rel", "../data/a00"),
                         ("dir-abs", "/data/a02/b3"), ("chain", "rel-file")]:
        l.add("links/" + name, tarfile.SYMTYPE, link=target, mode=0o777, uid=1000 if name == "chain" else 0,
              gid=1000 if name == "chain" else 0)
    l.dir("perm")
    l.add("perm/suid", data=b"#!/bin/sh\ntrue\n", mode=0o4755)
    l.add("perm/sgid", data=b"#!/bin/sh\ntrue\n", mode=0o2755, gid=50)
    l.add("perm/mode000", data=b"no access\n", mode=0o000)
    l.add("perm/readonly", data=b"read only\n", mode=0o444)
    l.dir("perm/sticky", 0o1777)
    l.dir("perm/private", 0o700, uid=1000, gid=1000)
    l.add("perm/private/secret", data=b"secret\n", mode=0o600, uid=1000, gid=1000)
    l.dir("owners")
    l.add("owners/u1000", data=b"1000\n", mode=0o640, uid=1000, gid=1000)
    l.add("owners/nobody", data=b"nobody\n", mode=0o600, uid=65534, gid=65534)
    l.add("owners/bigid", data=b"big ids\n", uid=3000000, gid=3000001)
    l.dir("owners/dir1000", 0o2775, uid=1000, gid=100)
    l.dir("xattr")
    l.add("xattr/user-attr", data=b"xattr\n", xattrs={"user.bench": "hello", "user.other": "v=1"})
    l.dir("xattr/dir", xattrs={"user.on-dir": "dir value"})
    l.add("xattr/cap-file", data=b"#!/bin/sh\ntrue\n", mode=0o755,
          xattrs={"security.capability": bytes.fromhex("0100000200200000000000000000000000000000").decode()})
    l.dir("special")
    l.add("special/fifo", tarfile.FIFOTYPE, mode=0o644)
    l.add("special/null", tarfile.CHRTYPE, mode=0o666, dev=(1, 3))
    l.add("special/blk", tarfile.BLKTYPE, mode=0o660, dev=(7, 200))
    l.dir("names")
    l.add("names/" + "n" * 200 + ".txt", data=b"long name\n")
    l.add("names/" + "/".join(["d" * 40] * 4) + "/deep.txt", data=b"deep path over 100 bytes\n")
    l.add("names/ünïcødé-文件.txt", data=b"utf-8 name\n")
    l.add("names/with space.txt", data=b"space\n")
    l.add("names/x.wh.y", data=b"contains .wh. but is no whiteout\n")
    l.dir("names/empty-dir")
    l.add("names/empty-file")
    l.dir("times")
    l.add("times/zero", data=b"mtime 0\n", mtime=0)
    l.add("times/y2100", data=b"mtime 2100\n", mtime=4102444800)
    return l.tar()


def blob(files, data, media_type):
    d = hashlib.sha256(data).hexdigest()
    files["blobs/sha256/" + d] = data
    return {"mediaType": media_type, "digest": "sha256:" + d, "size": len(data)}


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out, tag = sys.argv[1], (sys.argv[2] if len(sys.argv) == 3 else "1")
    files, layers, diff_ids = {}, [], []
    for make in (layer1, layer2, layer3, layer4):
        tar = make()
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        gz = gzip.compress(tar, compresslevel=6, mtime=0)
        layers.append(blob(files, gz, "application/vnd.oci.image.layer.v1.tar+gzip"))
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    config = {"created": "2023-11-14T22:13:20Z", "architecture": arch, "os": "linux",
              "config": {"Cmd": ["/bin/sh"]}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cfg = blob(files, json.dumps(config, separators=(",", ":")).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": cfg, "layers": layers}
    m = blob(files, json.dumps(manifest, separators=(",", ":")).encode(), manifest["mediaType"])
    m["annotations"] = {"org.opencontainers.image.ref.name": tag}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [m]}
    files["index.json"] = json.dumps(index, separators=(",", ":")).encode()
    files["oci-layout"] = b'{"imageLayoutVersion":"1.0.0"}'
    with tarfile.open(out + ".tmp", "w", format=tarfile.PAX_FORMAT) as tf:
        for name in ["oci-layout", "index.json"] + sorted(k for k in files if k.startswith("blobs/")):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(files[name]), EPOCH, 0o644
            tf.addfile(ti, io.BytesIO(files[name]))
    os.replace(out + ".tmp", out)
    total = sum(len(v) for k, v in files.items() if k.startswith("blobs/"))
    print(f"{out}: manifest {m['digest']}, {len(layers)} layers, {total} bytes of blobs", file=sys.stderr)


if __name__ == "__main__":
    main()
