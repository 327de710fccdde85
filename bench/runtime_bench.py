#!/usr/bin/env python3
"""Runtime benchmark: Berth (conmon + runc) against containerd (shim + runc) in one run, on the
same busybox root filesystem (no images or snapshots involved, so only the runtime is measured).

Metrics (median of the repetitions unless said otherwise):
  run_rm_true         wall of `ctr run --rm --rootfs DIR ID true` vs `berth run --rm --rootfs DIR ID true`
                      (both are whole CLI invocations; berth's includes JVM start-up)
  start_each          create -> running of one container, N in a row:
                      containerd: `ctr run -d --rootfs DIR ID sleep 3600` (client + daemon + shim)
                      berth:      create+start through the engine API in a warm JVM (what the daemon does)
                      berth_cli:  `berth run -d --rootfs DIR ID sleep 3600` (a cold JVM per container)
  start_total         all N starts
  rss_with_N          VmRSS with N running: containerd + shims vs the Berth JVM + conmons,
                      and the monitors alone (PSS too)
Writes JSON lines to --out and prints a table with berth/containerd ratios.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def status_kib(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def pids_matching(pred):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            argv = cmdline(int(d))
            if argv and pred(argv):
                out.append(int(d))
    return out


def timed(argv, env=None):
    t0 = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    t = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
    return t


def make_rootfs(d):
    os.makedirs(os.path.join(d, "bin"))
    shutil.copy2("/bin/busybox", os.path.join(d, "bin", "busybox"))
    for a in ("sh", "true", "sleep", "echo"):
        os.symlink("busybox", os.path.join(d, "bin", a))
    os.makedirs(os.path.join(d, "etc"))
    with open(os.path.join(d, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(d, "etc", "group"), "w") as f:
        f.write("root:x:0:\n")
    for x in ("proc", "sys", "dev", "tmp", "run"):
        os.makedirs(os.path.join(d, x))


class Containerd:
    def __init__(self, work):
        self.dir = os.path.join(work, "containerd")
        self.sock = os.path.join(self.dir, "containerd.sock")
        os.makedirs(self.dir)
        self.config = os.path.join(self.dir, "config.toml")
        with open(self.config, "w") as f:
            f.write(f"""version = 2
root = "{self.dir}/root"
state = "{self.dir}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{self.sock}"
[ttrpc]
  address = "{self.sock}.ttrpc"
[debug]
  level = "warn"
[plugins."io.containerd.internal.v1.opt"]
  path = "{self.dir}/opt"
""")
        self.proc = None

    def start(self):
        logf = open(os.path.join(self.dir, "containerd.log"), "ab")
        self.proc = subprocess.Popen(["containerd", "--config", self.config], stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(self.sock) and subprocess.run(self.ctr("version"), capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("containerd did not start")

    def ctr(self, *args):
        return ["ctr", "--address", self.sock, "--namespace", "bench", *args]

    def shims(self):
        return pids_matching(lambda a: os.path.basename(a[0]) == "containerd-shim-runc-v2" and self.sock in a
                             and "start" not in a)

    def remove_all(self, ids):
        if ids:
            subprocess.run(self.ctr("tasks", "rm", "-f", *ids), capture_output=True)
            subprocess.run(self.ctr("containers", "rm", *ids), capture_output=True)

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        for p in self.shims():
            os.kill(p, signal.SIGKILL)


class Results:
    def __init__(self, path):
        self.path = path
        self.rows = []

    def add(self, impl, metric, values, unit, **extra):
        row = {"impl": impl, "metric": metric, "unit": unit, "n": len(values),
               "median": statistics.median(values) if values else None,
               "min": min(values) if values else None, "max": max(values) if values else None, **extra}
        self.rows.append(row)
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
        log(f"{impl:10} {metric:24} median {row['median']} {unit}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=10, help="run --rm repetitions")
    ap.add_argument("--containers", type=int, default=50)
    ap.add_argument("--cli-starts", type=int, default=10, help="berth run -d CLI starts to time")
    ap.add_argument("--settle", type=float, default=2.0)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="berth-bench-")
    out = a.out or os.path.join(work, "results.jsonl")
    res = Results(out)
    rootfs = os.path.join(work, "rootfs")
    make_rootfs(rootfs)
    berth = os.path.join(REPO, "bin", "berth")
    cfg = os.path.join(work, "berth.toml")
    parent = "/berth-bench-" + uuid.uuid4().hex[:6]
    with open(cfg, "w") as f:
        f.write(f'version = 3\nroot = "{work}/berth/root"\nstate = "{work}/berth/state"\n'
                f'[plugins."dev.berth.v1"]\nlog_dir = "{work}/berth/logs"\ncgroup_parent = "{parent}"\n')
    bcli = [berth, "--config", cfg]
    cd = Containerd(work)
    ctr_ids, berth_ids = [], []
    harness = None
    try:
        log(f"work dir {work}")
        subprocess.run([berth, "version"], check=True, capture_output=True)  # builds the jar if needed
        cd.start()

        # ---- run --rm true: whole CLI invocations, alternating, one warm-up each
        walls = {"containerd": [], "berth": []}
        for i in range(a.reps + 1):
            t_c = timed(cd.ctr("run", "--rm", "--rootfs", rootfs, f"rm-{i}", "/bin/true"))
            t_b = timed(bcli + ["run", "--rm", "--rootfs", rootfs, f"rm-{i}", "true"])
            if i:
                walls["containerd"].append(t_c)
                walls["berth"].append(t_b)
        res.add("containerd", "run_rm_true", walls["containerd"], "s", cmd="ctr run --rm --rootfs DIR ID true")
        res.add("berth", "run_rm_true", walls["berth"], "s", cmd="berth run --rm --rootfs DIR ID true (cold JVM)")

        # ---- containerd: N in a row, RSS with N running
        n = a.containers
        each = []
        t0 = time.monotonic()
        for i in range(n):
            cid = f"c-{i:03d}"
            each.append(timed(cd.ctr("run", "-d", "--rootfs", rootfs, cid, "/bin/sleep", "3600")))
            ctr_ids.append(cid)
        total = time.monotonic() - t0
        res.add("containerd", "start_each", each, "s", cmd="ctr run -d --rootfs DIR ID sleep 3600")
        res.add("containerd", f"start{n}_total", [total], "s")
        time.sleep(a.settle)
        shims = cd.shims()
        rss_d = status_kib(cd.proc.pid)
        rss_h = sum(status_kib(p) for p in shims)
        res.add("containerd", f"rss{n}_daemon_plus_monitors", [rss_d + rss_h], "KiB", daemon=rss_d, monitors=rss_h,
                monitor_count=len(shims))
        res.add("containerd", f"rss{n}_monitors", [rss_h], "KiB", per_monitor=rss_h / max(1, len(shims)))
        res.add("containerd", f"pss{n}_monitors", [sum(pss_kib(p) for p in shims)], "KiB")
        cd.remove_all(ctr_ids)
        ctr_ids = []

        # ---- berth CLI: run -d per container (cold JVM each)
        each = []
        for i in range(a.cli_starts):
            cid = f"cli-{i:03d}"
            each.append(timed(bcli + ["run", "-d", "--rootfs", rootfs, cid, "/bin/sleep", "3600"]))
            berth_ids.append(cid)
        res.add("berth", "start_each_cli", each, "s", cmd="berth run -d --rootfs DIR ID sleep 3600 (cold JVM)")
        subprocess.run(bcli + ["containers", "rm", "-f", *berth_ids], capture_output=True)
        berth_ids = []

        # ---- berth engine in a warm JVM (the daemon's path): N in a row, RSS with N running
        bench_dir = os.path.join(work, "harness")
        os.makedirs(bench_dir)
        lib = os.path.join(REPO, "controller", "target", "lib", "*")
        subprocess.run(["javac", "-d", bench_dir, "-cp", lib, os.path.join(HERE, "RuntimeBench.java")], check=True)
        harness = subprocess.Popen(["java", *os.environ.get("BERTH_JAVA_OPTS", "").split(), "-cp",
                                    f"{lib}:{bench_dir}", "RuntimeBench", cfg, rootfs, str(n), "h"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        rows = []
        while True:
            line = harness.stdout.readline()
            if not line:
                raise RuntimeError("harness ended early")
            rows.append(json.loads(line))
            if "total_s" in rows[-1]:
                break
        starts = [r for r in rows if "running_s" in r]
        summary = rows[-1]
        if summary["running"] != n:
            raise RuntimeError(f"only {summary['running']}/{n} berth tasks running")
        res.add("berth", "start_each", [r["running_s"] for r in starts], "s",
                cmd="TaskRuntime.create+start in a warm JVM (daemon path)",
                create_median=statistics.median(r["create_s"] for r in starts),
                start_median=statistics.median(r["start_s"] for r in starts))
        res.add("berth", f"start{n}_total", [summary["total_s"]], "s")
        time.sleep(a.settle)
        state = os.path.join(work, "berth", "state")
        conmons = pids_matching(lambda x: os.path.basename(x[0]) == "conmon" and any(state in y for y in x))
        rss_j = status_kib(harness.pid)
        rss_m = sum(status_kib(p) for p in conmons)
        res.add("berth", f"rss{n}_daemon_plus_monitors", [rss_j + rss_m], "KiB", daemon=rss_j, monitors=rss_m,
                monitor_count=len(conmons))
        res.add("berth", f"rss{n}_monitors", [rss_m], "KiB", per_monitor=rss_m / max(1, len(conmons)))
        res.add("berth", f"pss{n}_monitors", [sum(pss_kib(p) for p in conmons)], "KiB")
        harness.stdin.write("stop\n")
        harness.stdin.flush()
        harness.wait(timeout=300)
        harness = None
    finally:
        if harness:
            harness.kill()
        cd.remove_all(ctr_ids)
        if berth_ids:
            subprocess.run(bcli + ["containers", "rm", "-f", *berth_ids], capture_output=True)
        cd.stop()
        left = subprocess.run(bcli + ["tasks", "ls"], capture_output=True, text=True).stdout.strip().splitlines()[1:]
        if left:
            log(f"berth tasks left: {left}")
            ids = [l.split()[1] for l in left]
            for ns in {l.split()[0] for l in left}:
                subprocess.run(bcli + ["-n", ns, "containers", "rm", "-f", *ids], capture_output=True)
        for root, dirs, _ in os.walk("/sys/fs/cgroup"):
            if os.path.basename(root) == parent.strip("/"):
                for r2, _, _ in sorted(os.walk(root), key=lambda x: -len(x[0])):
                    try:
                        os.rmdir(r2)
                    except OSError:
                        pass
                dirs[:] = []
            elif root.count("/") > 4:
                dirs[:] = []
        subprocess.run(["umount", "-R", os.path.join(work, "containerd")], capture_output=True)
        shutil.copy(out, os.path.join(HERE, "last-results.jsonl")) if os.path.exists(out) else None
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'metric':28} {'containerd':>12} {'berth':>12} {'ratio':>7}")
    by = {(r["impl"], r["metric"]): r for r in res.rows}
    for metric in dict.fromkeys(r["metric"] for r in res.rows):
        c, b = by.get(("containerd", metric)), by.get(("berth", metric))
        cv = c["median"] if c else None
        bv = b["median"] if b else None
        ratio = f"{bv / cv:.2f}" if cv and bv else ""
        fmt = lambda v: "" if v is None else (f"{v:.4f}" if isinstance(v, float) and v < 100 else f"{v:.0f}")
        print(f"{metric:28} {fmt(cv):>12} {fmt(bv):>12} {ratio:>7}")
    print(f"\nresults: {os.path.join(HERE, 'last-results.jsonl')}")


if __name__ == "__main__":
    main()
