#!/usr/bin/env python3
"""Metrics scrape cost: Berth's /v1/metrics against containerd's /v1/metrics, same N running busybox
containers each (default 100), one run. Each engine serves [metrics] address on 127.0.0.1 (a free
port); after warm-up scrapes, SCRAPES scrapes (default 20) are taken one at a time, and each one's
CPU cost is the engine's CPU time over that scrape, read from /proc/<pid>/task/*/schedstat (ns):
Berth = the daemon JVM (it reads the cgroup files itself; conmon takes no part); containerd =
containerd plus every runc shim (containerd asks each shim for its task's cgroup stats over ttrpc).

Metrics (medians):
  scrape_cpu_N         CPU of one scrape, ms (with the median per thread group, e.g. the HTTP handler, GC, JIT)
  scrape_cpu_net_N     that less the engine's CPU over an equal window right after without a scrape
                       (its own background work: resyncs, exit scans), ms
  scrape_wall_N        wall time of one scrape (HTTP GET to last byte), ms
  scrape_bytes_N       bytes of one text-format exposition
  scrape15s_core_pct_N that CPU every 15 s, as % of one core (the idle cost of a 15 s scrape interval)
Targets (issue 15): Berth's scrape_cpu < 30 ms with 100 containers; 15 s interval < 0.2 % of a core.
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import declarative_bench as db  # noqa: E402  (the daemon, API and containerd helpers)
from runtime_bench import log  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def thread_cpu_ns(pids):
    """CPU time (ns) of every thread of pids by thread group (the thread name without its number)."""
    out = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for t in tids:
            try:
                with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                    ns = int(f.read().split()[0])
                with open(f"/proc/{pid}/task/{t}/comm") as f:
                    name = re.sub(r"[-#_ ]*\d+$", "", f.read().strip()) or "?"
            except OSError:
                continue
            out[name] = out.get(name, 0) + ns
    return out


def scrape(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/metrics")
    t0 = time.monotonic()
    with urllib.request.urlopen(req, timeout=60) as r:
        body = r.read()
    return time.monotonic() - t0, body


class MetricsBench(db.Bench):
    def __init__(self, a):
        super().__init__(a)
        self.berth_port = free_port()
        self.ctr_port = free_port()
        with open(self.cd.config, "a") as f:
            f.write(f'[metrics]\n  address = "127.0.0.1:{self.ctr_port}"\n')

    def config(self, resync):
        path = super().config(resync)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("version = 3\n", f'version = 3\n[metrics]\n  address = "127.0.0.1:{self.berth_port}"\n', 1))
        return path

    def measure(self, impl, port, pids_of, series_of):
        n = self.a.containers
        for _ in range(self.a.warmup):
            scrape(port)
        cpu, net, wall, size = [], [], [], 0
        groups = {}
        for _ in range(self.a.scrapes):
            time.sleep(self.a.gap)
            pids = pids_of()
            t0 = thread_cpu_ns(pids)
            m0 = time.monotonic()
            w, body = scrape(port)
            # the server may still be finishing its write when the client has the last byte
            time.sleep(0.05)
            window = time.monotonic() - m0
            t1 = thread_cpu_ns(pids)
            c = (sum(t1.values()) - sum(t0.values())) / 1e6
            # the same engine over an equal window without a scrape: what it spends anyway (its
            # resyncs, exit scans, GC of earlier work), taken off to leave the scrape's own cost
            time.sleep(window)
            t2 = thread_cpu_ns(pids)
            idle = (sum(t2.values()) - sum(t1.values())) / 1e6
            cpu.append(c)
            net.append(c - idle)
            for g in t1:
                groups.setdefault(g, []).append((t1[g] - t0.get(g, 0)) / 1e6)
            wall.append(w * 1000)
            size = len(body)
        text = body.decode()
        seen = series_of(text)
        if seen < n:
            raise RuntimeError(f"{impl}: the scrape shows {seen} containers, expected {n}")
        top = sorted(groups.items(), key=lambda kv: -statistics.median(kv[1]))[:6]
        self.add(f"scrape_cpu_{n}", impl, cpu, "ms", per_scrape=[round(x, 1) for x in cpu],
                 by_thread={g: round(statistics.median(v), 1) for g, v in top})
        self.add(f"scrape_cpu_net_{n}", impl, net, "ms", per_scrape=[round(x, 1) for x in net])
        self.add(f"scrape_wall_{n}", impl, wall, "ms")
        self.add(f"scrape_bytes_{n}", impl, [size], "bytes", series=text.count("\n") - text.count("\n#"))
        self.add(f"scrape15s_core_pct_{n}", impl, [100 * c / 1000 / 15 for c in cpu], "% of a core")

    def run(self):
        a = self.a
        log(f"work dir {self.work}, cgroup parent {self.parent}, ports berth {self.berth_port} containerd {self.ctr_port}")
        cfg = self.config("30s")
        subprocess.run([os.path.join(db.REPO, "bin", "build-example-image"), "--config", cfg], check=True,
                       capture_output=True)
        oci = os.path.join(self.work, "busybox-oci.tar")
        self.cli(cfg, "images", "export", oci, db.IMAGE_REF)
        self.cd.start()
        r = subprocess.run(self.cd.ctr("images", "import", oci), capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"ctr images import: {r.stderr}")
        names = subprocess.run(self.cd.ctr("images", "ls", "-q"), capture_output=True, text=True).stdout.split()
        self.ctr_image = db.IMAGE_REF if db.IMAGE_REF in names else names[0]
        self.start_daemon(cfg)
        self.api.apply(db.image_yaml("bb"))
        self.wait_until(lambda: db.ready(self.api.get("images", "bb")[1] or {"metadata": {}}), 60, "Image bb Ready")
        n = a.containers
        bnames = [f"scrape-{i:03d}" for i in range(n)]
        self.watch = db.Watcher(self.sock)
        self.api.apply("---\n".join(db.container_yaml(x) for x in bnames))
        self.watch.wait_running(bnames, 900)
        self.watch.close()
        self.watch = None
        ids = [f"scrape-{i:03d}" for i in range(n)]

        def run(cid):
            r = subprocess.run(self.cd.ctr("run", "-d", self.ctr_image, cid, *db.CMD), stdin=subprocess.DEVNULL,
                               capture_output=True)
            if r.returncode:
                raise RuntimeError(f"ctr run {cid}: {r.stderr.decode()}")
        self.ctr_ids.extend(ids)
        with ThreadPoolExecutor(4) as ex:
            list(ex.map(run, ids))
        log(f"{n} containers running in each engine; settling {a.settle} s")
        time.sleep(a.settle)

        def count(text, metric):
            return len({l.split('container_id="', 1)[1].split('"', 1)[0] for l in text.splitlines()
                        if l.startswith(metric + "{") and 'container_id="' in l})
        self.measure("berth", self.berth_port, lambda: [self.daemon_pid],
                     lambda t: count(t, "container_memory_usage_usage_bytes") or count(t, "container_memory_usage_bytes"))
        self.measure("containerd", self.ctr_port, lambda: [self.cd.proc.pid, *self.cd.shims()],
                     lambda t: count(t, "container_memory_usage_usage_bytes") or count(t, "container_memory_usage_bytes"))
        self.ctr_rm(ids)
        self.berth_rm(bnames, timeout=900)
        self.stop_daemon()


def table(rows):
    lines = ["| metric | containerd | berth | berth/containerd | target |", "|---|---|---|---|---|"]
    for metric, impls in rows.items():
        c, b = impls.get("containerd"), impls.get("berth")
        cv = f"{c['median']:.2f} {c['unit']}" if c else "—"
        bv = f"{b['median']:.2f} {b['unit']}" if b else "—"
        ratio = b["median"] / c["median"] if c and b and c["median"] else None
        target = ""
        if b and metric.startswith("scrape_cpu_") and not metric.startswith("scrape_cpu_net_"):
            target = f"< 30 ms: {'met' if b['median'] < 30 else 'NOT met'}"
        if b and metric.startswith("scrape15s_core_pct_"):
            target = f"< 0.2 %: {'met' if b['median'] < 0.2 else 'NOT met'}"
        lines.append(f"| {metric} | {cv} | {bv} | {f'{ratio:.2f}' if ratio else ''} | {target} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--containers", type=int, default=100)
    ap.add_argument("--scrapes", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=300,
                    help="scrapes before measuring: a daemon scraped every 15 s is past its JIT compilation within"
                         " the hour; Berth's C2 work settles after ~150-200 scrapes (back to back, ~10 s)")
    ap.add_argument("--gap", type=float, default=0.5, help="seconds between measured scrapes")
    ap.add_argument("--settle", type=float, default=20, help="seconds after all are running, before scraping")
    ap.add_argument("--out", default=os.path.join(HERE, "last-metrics.json"))
    a = ap.parse_args()
    db.execute(MetricsBench(a), a.out, table)

if __name__ == "__main__":
    main()
