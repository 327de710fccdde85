#!/usr/bin/env python3
"""Robustness benchmark (issue 12, "Done when"): a Berth daemon on a private root, state and socket,
side by side with a private containerd (runtime_bench.Containerd), on the same busybox image.

Metrics:
  remonitor_20     20 running containers (Berth: 20 Container objects; containerd: 20 `ctr run -d`);
                   the daemon is SIGKILLed (its monitors, conmon or the shims, live on) and started
                   again; the time from spawning the new daemon until `ctr tasks ls` against it lists
                   all 20 RUNNING. The same Debian `ctr` asks both (Berth's gRPC socket answers only
                   once the runtime has re-adopted every task and checked that each has a live monitor
                   of its own). --reps rounds, medians.
  stall_detection  a pull through a TCP proxy in front of a real docker-registry process: the
                   first GET of every blob is stalled after --stall-after bytes (the connection stays
                   open and silent); the time from the stall to the next request for that blob (the
                   Range resume). Berth with its default progress timeout (30 s); containerd's
                   `ctr content fetch` for reference, given --ctr-cap seconds (it has no stall timeout:
                   it waits on the socket, so the row says "not detected" when the cap passes).
Everything lives under a temp dir and is removed at the end, also on failure.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from declarative_bench import (CMD, IMAGE_REF, REPO, Bench, container_yaml, execute, image_yaml,  # noqa: E402
                               log, ready)


class StallingProxy:
    """127.0.0.1:<port> -> 127.0.0.1:<target>; the first GET of each /blobs/ path gets `stall_after`
    bytes of its response, then silence. Records (time, request line, range) of every request and
    the time each stall began."""

    def __init__(self, target, stall_after):
        self.target = target
        self.stall_after = stall_after
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.stalls = {}
        self.seen = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.closed:
            try:
                down, _ = self.sock.accept()
            except OSError:
                return
            up = socket.create_connection(("127.0.0.1", self.target))
            state = {"budget": None, "path": None}
            threading.Thread(target=self.upstream, args=(down, up, state), daemon=True).start()
            threading.Thread(target=self.downstream, args=(down, up, state), daemon=True).start()

    def upstream(self, down, up, state):
        buf = b""
        try:
            while True:
                data = down.recv(65536)
                if not data:
                    break
                buf += data
                while b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    lines = head.decode("latin-1").split("\r\n")
                    rng = next((x.split(":", 1)[1].strip() for x in lines[1:] if x.lower().startswith("range:")), None)
                    line = lines[0]
                    with self.lock:
                        self.requests.append((time.monotonic(), line, rng))
                        path = line.split(" ")[1] if " " in line else ""
                        first = line.startswith("GET ") and "/blobs/" in path and path not in self.seen
                        if first:
                            self.seen.add(path)
                    state["budget"] = self.stall_after if first else None
                    state["path"] = path
                    up.sendall(head + b"\r\n\r\n")
        except OSError:
            pass
        finally:
            for s in (down, up):
                try:
                    s.close()
                except OSError:
                    pass

    def downstream(self, down, up, state):
        try:
            while True:
                data = up.recv(65536)
                if not data:
                    break
                b = state["budget"]
                if b is not None:
                    if len(data) >= b:
                        down.sendall(data[:b])
                        state["budget"] = 0
                        with self.lock:
                            self.stalls[state["path"]] = time.monotonic()
                        # silence until the client gives up on this connection
                        while True:
                            if down.recv(1, socket.MSG_PEEK) == b"":
                                return
                    state["budget"] = b - len(data)
                down.sendall(data)
        except OSError:
            pass

    def resumes(self):
        """(blob path, seconds from its stall to the next request for it) for every stalled blob."""
        out = []
        with self.lock:
            for path, t in self.stalls.items():
                later = [r for r in self.requests if r[0] > t and r[1].split(" ")[1] == path]
                out.append((path, later[0][0] - t if later else None, later[0][2] if later else None))
        return out

    def close(self):
        self.closed = True
        self.sock.close()


class RobustnessBench(Bench):
    def run(self):
        a = self.a
        log(f"work dir {self.work}, cgroup parent {self.parent}")
        cfg = self.config("30s")
        subprocess.run([os.path.join(REPO, "bin", "build-example-image"), "--config", cfg], check=True,
                       capture_output=True)
        self.oci = os.path.join(self.work, "busybox-oci.tar")
        self.cli(cfg, "images", "export", self.oci, IMAGE_REF)
        self.cd.start()
        r = subprocess.run(self.cd.ctr("images", "import", self.oci), capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"ctr images import: {r.stderr}")
        self.ctr_image = subprocess.run(self.cd.ctr("images", "ls", "-q"), capture_output=True,
                                        text=True).stdout.split()[0]
        phases = set(a.phases.split(","))
        if "remonitor" in phases:
            self.remonitor(cfg)
        if "stall" in phases:
            self.stall(cfg)

    # ------------------------------------------------------------ remonitor
    def running(self, ctr_argv, n):
        out = subprocess.run(ctr_argv, capture_output=True, text=True)
        if out.returncode:
            return False
        return sum(1 for line in out.stdout.splitlines()[1:] if "RUNNING" in line) >= n

    def until_running(self, ctr_argv, n, t0, timeout=300):
        while time.monotonic() - t0 < timeout:
            if self.running(ctr_argv, n):
                return time.monotonic() - t0
            time.sleep(0.02)
        raise RuntimeError(f"{n} tasks not RUNNING within {timeout} s: {' '.join(ctr_argv)}")

    def remonitor(self, cfg):
        a = self.a
        n = a.containers
        ids = [f"re-{i:02d}" for i in range(n)]
        for cid in ids:
            r = subprocess.run(self.cd.ctr("run", "-d", self.ctr_image, cid, *CMD), stdin=subprocess.DEVNULL,
                               capture_output=True)
            if r.returncode:
                raise RuntimeError(f"ctr run {cid}: {r.stderr.decode()}")
        self.ctr_ids.extend(ids)
        ctrd = []
        for rep in range(a.reps):
            self.cd.proc.kill()
            self.cd.proc.wait()
            t0 = time.monotonic()
            self.cd.start()
            ctrd.append(self.until_running(self.cd.ctr("tasks", "ls"), n, t0))
            log(f"containerd rep {rep}: {n} tasks RUNNING {ctrd[-1]:.3f} s after the restart")
        self.ctr_rm(ids)

        self.start_daemon(cfg)
        self.api.apply(image_yaml("bb"))
        self.wait_until(lambda: ready(self.api.get("images", "bb")[1] or {"metadata": {}}), 60, "Image bb Ready")
        self.api.apply("---\n".join(container_yaml(x) for x in ids))
        grpc = os.path.join(self.bdir, "state", "containerd.sock")
        berth_ctr = ["ctr", "--address", grpc, "--namespace", "default", "tasks", "ls"]
        self.wait_until(lambda: self.running(berth_ctr, n), 600, f"{n} Berth tasks RUNNING", every=0.5)
        berth = []
        for rep in range(a.reps):
            self.daemon.kill()
            self.daemon.wait()
            self.daemon = None
            if self.api.conn:
                self.api.conn.close()
                self.api.conn = None
            t0 = time.monotonic()
            self.start_daemon(cfg)  # returns once the local API answers (polled every 0.1 s)
            berth.append(self.until_running(berth_ctr, n, t0))
            log(f"berth rep {rep}: {n} tasks RUNNING {berth[-1]:.3f} s after the restart")
        self.add(f"remonitor_{n}", "containerd", ctrd, "s", how="SIGKILL containerd, start it, until ctr tasks ls "
                 f"shows {n} RUNNING (shims re-connected)")
        self.add(f"remonitor_{n}", "berth", berth, "s", how="SIGKILL the daemon, start it, until ctr tasks ls on its "
                 f"gRPC socket shows {n} RUNNING (tasks adopted, each monitor checked)")
        self.berth_rm(ids, timeout=600)
        self.stop_daemon()

    # ------------------------------------------------------------ stall
    def registry(self):
        d = os.path.join(self.work, "registry")
        os.makedirs(os.path.join(d, "storage"))
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        cfgf = os.path.join(d, "config.yml")
        with open(cfgf, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
                    f"    rootdirectory: {d}/storage\nhttp:\n  addr: 127.0.0.1:{port}\n")
        self.reg = subprocess.Popen(["docker-registry", "serve", cfgf], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.wait_until(lambda: subprocess.run(["curl", "-sf", f"http://127.0.0.1:{port}/v2/"],
                                               capture_output=True).returncode == 0, 30, "docker-registry up")
        subprocess.run(["skopeo", "copy", "--dest-tls-verify=false", f"oci-archive:{self.oci}",
                        f"docker://127.0.0.1:{port}/bench/stall:1"], check=True, capture_output=True)
        return port

    def stall(self, cfg):
        a = self.a
        port = self.registry()
        # Both stores start without the image's blobs (the remonitor phase left them in both, and a
        # blob already present is never fetched, so nothing would stall): Berth on a root of its
        # own, containerd with its images and content removed.
        fresh = os.path.join(self.bdir, "stall")
        cfg = os.path.join(self.bdir, "config-stall.toml")
        with open(cfg, "w") as f:
            f.write(f'version = 3\nroot = "{fresh}/root"\nstate = "{fresh}/state"\n'
                    f'[plugins."dev.berth.v1"]\n  api_address = "{self.sock}"\n  manifest_dir = "{self.bdir}/manifests"\n'
                    f'  log_dir = "{fresh}/logs"\n  cgroup_parent = "{self.parent}"\n')
        for ref in subprocess.run(self.cd.ctr("images", "ls", "-q"), capture_output=True, text=True).stdout.split():
            subprocess.run(self.cd.ctr("images", "rm", "--sync", ref), capture_output=True)
        for dgst in subprocess.run(self.cd.ctr("content", "ls", "-q"), capture_output=True, text=True).stdout.split():
            subprocess.run(self.cd.ctr("content", "rm", dgst), capture_output=True)
        # Berth: its default progress timeout; the pull runs in the daemon
        self.start_daemon(cfg)
        proxy = StallingProxy(port, a.stall_after)
        t0 = time.monotonic()
        self.cli(cfg, "pull", f"127.0.0.1:{proxy.port}/bench/stall:1")
        total = time.monotonic() - t0
        res = proxy.resumes()
        proxy.close()
        self.stop_daemon()
        berth = [d for _, d, _ in res if d is not None]
        log(f"berth: stalls {res}; pull took {total:.1f} s")
        if berth:
            self.add("stall_detection", "berth", berth, "s", how="stall to the Range resume, default progress "
                     f"timeout; whole pull {total:.1f} s", stalled_blobs=len(res),
                     ranges=[r for _, _, r in res])
        # containerd: no stall timeout; give it --ctr-cap seconds
        proxy = StallingProxy(port, a.stall_after)
        p = subprocess.Popen(self.cd.ctr("content", "fetch", "--plain-http", f"127.0.0.1:{proxy.port}/bench/stall:1"),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        try:
            p.wait(timeout=a.ctr_cap)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        res = proxy.resumes()
        proxy.close()
        ctrd = [d for _, d, _ in res if d is not None]
        log(f"containerd: stalls {res}")
        self.add("stall_detection", "containerd", ctrd or [a.ctr_cap], "s",
                 how="ctr content fetch --plain-http" + ("" if ctrd else f": not detected within {a.ctr_cap} s"),
                 detected=bool(ctrd), stalled_blobs=len(res))

    def cleanup(self):
        reg = getattr(self, "reg", None)
        if reg and reg.poll() is None:
            reg.kill()
            reg.wait()
        super().cleanup()


def table(rows):
    lines = ["| metric | containerd | berth | berth/containerd |", "|---|---|---|---|"]
    for metric, impls in rows.items():
        c, b = impls.get("containerd"), impls.get("berth")
        cv = f"{c['median']:.3f} {c['unit']}" if c else "—"
        if c and c.get("detected") is False:
            cv = f"not detected in {c['median']:.0f} s"
        bv = f"{b['median']:.3f} {b['unit']}" if b else "—"
        ratio = f"{b['median'] / c['median']:.2f}" if c and b and c.get("detected") is not False else ""
        lines.append(f"| {metric} | {cv} | {bv} | {ratio} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--containers", type=int, default=20)
    ap.add_argument("--reps", type=int, default=3, help="daemon restarts per engine")
    ap.add_argument("--stall-after", type=int, default=60_000, help="bytes of each blob's first response")
    ap.add_argument("--ctr-cap", type=float, default=90, help="seconds ctr content fetch is given")
    ap.add_argument("--phases", default="remonitor,stall", help="comma-separated subset of remonitor,stall")
    ap.add_argument("--out", default=os.path.join(HERE, "last-robustness.json"))
    a = ap.parse_args()
    execute(RobustnessBench(a), a.out, table)


if __name__ == "__main__":
    main()
