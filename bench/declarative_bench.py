#!/usr/bin/env python3
"""Declarative-core benchmark (issue 6, "Performance"): a Berth daemon on a private root, state and
socket, side by side with a private containerd (runtime_bench.Containerd) on the same busybox image.

Metrics:
  apply_to_running     one Container: POST .../apply on the daemon's unix socket until the Container
                       watch stream (GET ...?watch=true, opened before) shows status.phase == Running
                       (no CLI, so no JVM start-up; no polling load on the daemon), against
                       `ctr run -d IMAGE ID CMD` (whole Go CLI: client + containerd + shim + runc).
                       Alternating, --warmup uncounted rounds first, medians; target berth/containerd <= 1.2.
  apply_cli_wait       the same through `berth apply -f FILE --wait` (cold JVM client, 200 ms poll).
  apply100_running     100 Containers in one multi-document YAML (one POST) until all are Running;
                       containerd reference: 100 `ctr run -d` on 4 client threads.
  idle_cpu_100         daemon CPU (utime+stime, plus reaped children) over 60 s with 100 running
                       Containers + 1 Image and nothing changing, default resync (30 s): % of a core.
  resync_cpu_1000      1,000 objects that converge without tasks (100 Images with pullPolicy Never
                       for the imported image + 900 Containers with state Stopped), resync_interval
                       10 s: /proc/PID/stat sampled every 50 ms (no API calls meanwhile); each burst
                       of CPU is one resync; its CPU minus the idle rate (the samples between bursts)
                       over the same span. /stats before and after checks the reconcile count.
Everything lives under a temp dir and is removed at the end, also on failure. BENCH_DAEMON_JAVA_OPTS
adds JVM options to the daemon only (e.g. -XX:StartFlightRecording=...).
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from runtime_bench import Containerd, log, pids_matching  # noqa: E402  (shared helpers)

BASE = "/apis/berth.dev/v1alpha1"
IMAGE_REF = "localhost/berth/busybox:latest"
# sleep as pid 1 ignores SIGTERM, which would make every delete wait the 10 s grace period; the
# shell exits on TERM. Both engines run the same command.
CMD = ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; /bin/busybox sleep 1000 & wait"]
TICK = os.sysconf("SC_CLK_TCK")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(self.path)
        self.sock = s


class Api:
    """Minimal client of the daemon's HTTP/JSON API over its unix socket (one kept-alive connection)."""

    def __init__(self, sock):
        self.sock = sock
        self.conn = None

    def call(self, method, path, body=None, ctype="application/json"):
        for attempt in range(2):
            if self.conn is None:
                self.conn = UnixHTTPConnection(self.sock)
            try:
                headers = {"Content-Type": ctype} if body is not None else {}
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, (json.loads(data) if data else None)
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def ok(self, method, path, body=None, ctype="application/json"):
        st, js = self.call(method, path, body, ctype)
        if st >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {st}: {js}")
        return js

    def apply(self, yaml_text):
        return self.ok("POST", BASE + "/apply?filename=bench.yaml", yaml_text.encode(), "application/yaml")

    def get(self, plural, name, ns="default"):
        return self.call("GET", f"{BASE}/namespaces/{ns}/{plural}/{name}")

    def list(self, plural):
        return self.ok("GET", f"{BASE}/{plural}")["items"]

    def delete(self, plural, name, ns="default"):
        return self.call("DELETE", f"{BASE}/namespaces/{ns}/{plural}/{name}")

    def stats(self):
        return self.ok("GET", "/stats")


class Watcher:
    """Follows `GET .../containers?watch=true` (JSON lines) on its own connection in a thread and
    records, per container name, the monotonic time its status.phase was first seen Running."""

    def __init__(self, sock):
        import threading
        self.conn = UnixHTTPConnection(sock)
        self.conn.request("GET", BASE + "/containers?watch=true")
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise RuntimeError(f"watch: HTTP {self.resp.status}")
        self.running = {}
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    continue
                t = time.monotonic()
                ev = json.loads(line)
                obj = ev.get("object") or {}
                name = obj.get("metadata", {}).get("name")
                with self.cond:
                    if ev.get("type") == "DELETED":
                        self.running.pop(name, None)
                    elif phase(obj) == "Running":
                        self.running.setdefault(name, t)
                    else:
                        self.running.pop(name, None)
                    self.cond.notify_all()
        except Exception:  # the connection closes at the end of the run
            return

    def wait_running(self, names, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(n in self.running for n in names):
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = [n for n in names if n not in self.running]
                    raise RuntimeError(f"{len(missing)} containers not Running after {timeout} s, e.g. {missing[:3]}")
                self.cond.wait(left)
            return max(self.running[n] for n in names)

    def close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def cpu_ticks(pid):
    """(own utime+stime, reaped children cutime+cstime) in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def thread_ticks(pid):
    """CPU ticks per thread of a JVM, by thread id: {tid: (group, ticks)}; groups are reconcile
    workers, JIT compiler, GC, other."""
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        group = ("workers" if name.startswith("berth-worker") else "jit" if "Compiler" in name
                 else "gc" if name.startswith(("GC ", "G1 ", "VM Thread")) else "other")
        out[t] = (group, int(fields[11]) + int(fields[12]))
    return out


def thread_cpu(pid, before, own_before):
    """CPU s per thread group since `before` (a thread_ticks result) and own CPU ticks `own_before`.
    Threads are matched by id, so one that started in the span counts from zero; one that ended in
    it is lost to /proc/PID/task, and its share shows as "ended" (the process's own CPU minus what
    the live threads account for)."""
    after = thread_ticks(pid)
    own_after = cpu_ticks(pid)[0]
    out = {}
    for t, (group, ticks) in after.items():
        out[group] = out.get(group, 0) + ticks - before.get(t, (group, 0))[1]
    out["ended"] = (own_after - own_before) - sum(out.values())
    return {k: round(v / TICK, 2) for k, v in out.items()}


def cpu_s(pid):
    own, children = cpu_ticks(pid)
    return (own + children) / TICK


def sample_cpu(pid, seconds, every=0.05):
    """Samples (monotonic time, CPU s incl. reaped children) of pid for `seconds`, reading /proc only
    (an API call would itself cost the daemon CPU), plus the CPU per thread group over the span."""
    th0 = thread_ticks(pid)
    own0 = cpu_ticks(pid)[0]
    samples = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        samples.append((time.monotonic(), cpu_s(pid)))
        time.sleep(every)
    return samples, thread_cpu(pid, th0, own0)


def bursts_of(samples):
    """Splits samples into bursts of CPU (resyncs) and the quiet rest. A sample is busy when it used
    >= 20 ms of CPU since the previous one (>= 40% of a core); a burst is a run of busy samples with
    gaps < 0.5 s that used > 30 ms in all, bounded by the samples around it. Returns
    ([(seconds, raw CPU s, net CPU s)] of complete bursts, quiet CPU rate in cores)."""
    busy = [i for i in range(1, len(samples)) if samples[i][1] - samples[i - 1][1] >= 0.02]
    clusters = []
    for i in busy:
        if clusters and samples[i][0] - samples[clusters[-1][1]][0] < 0.5:
            clusters[-1][1] = i
        else:
            clusters.append([i, i])
    bursts = [(a - 1, b) for a, b in clusters if samples[b][1] - samples[a - 1][1] > 0.03]
    inside = set()
    for a, b in bursts:
        inside.update(range(a, b + 1))
    q_cpu = q_t = 0.0
    for i in range(1, len(samples)):
        if i not in inside and i - 1 not in inside:
            q_cpu += samples[i][1] - samples[i - 1][1]
            q_t += samples[i][0] - samples[i - 1][0]
    rate = q_cpu / q_t if q_t else 0.0
    out = []
    for a, b in bursts:
        if a > 0 and b < len(samples) - 1:  # complete ones only
            dt = samples[b][0] - samples[a][0]
            raw = samples[b][1] - samples[a][1]
            out.append((dt, raw, raw - rate * dt))
    return out, rate


def phase(obj):
    return ((obj or {}).get("status") or {}).get("phase")


def ready(obj):
    st = obj.get("status") or {}
    gen = obj["metadata"].get("generation", 0)
    if (st.get("observedGeneration") or -1) < gen:
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or [])


def container_yaml(name, state="Running", image="bb"):
    cmd = json.dumps(CMD)
    return (f"apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata:\n  name: {name}\nspec:\n"
            f"  image: {image}\n  command: {cmd}\n  state: {state}\n")


def image_yaml(name):
    return (f"apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata:\n  name: {name}\nspec:\n"
            f"  ref: {IMAGE_REF}\n  pullPolicy: Never\n")


class Bench:
    def __init__(self, a):
        self.a = a
        self.work = tempfile.mkdtemp(prefix="berth-decl-")
        self.bdir = os.path.join(self.work, "berth")
        os.makedirs(os.path.join(self.bdir, "manifests"))
        self.sock = os.path.join(self.bdir, "berth.sock")
        self.parent = f"/berth-bench-{os.getpid()}"
        self.berth = os.path.join(REPO, "bin", "berth")
        self.daemon = None
        self.daemon_pid = None
        self.cd = Containerd(self.work)
        self.ctr_ids = []
        self.rows = {}
        self.api = Api(self.sock)
        self.watch = None

    # ---------------------------------------------------------------- setup
    def config(self, resync):
        path = os.path.join(self.bdir, f"config-{resync}.toml")
        with open(path, "w") as f:
            f.write(f'version = 3\nroot = "{self.bdir}/root"\nstate = "{self.bdir}/state"\n'
                    f'[plugins."dev.berth.v1"]\n  api_address = "{self.sock}"\n  manifest_dir = "{self.bdir}/manifests"\n'
                    f'  log_dir = "{self.bdir}/logs"\n  cgroup_parent = "{self.parent}"\n'
                    f'  resync_interval = "{resync}"\n')
        return path

    def cli(self, cfg, *args, check=True):
        r = subprocess.run([self.berth, "--config", cfg, *args], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"berth {' '.join(args)} failed ({r.returncode}): {r.stderr}")
        return r

    def start_daemon(self, cfg):
        logf = open(os.path.join(self.bdir, "daemon.log"), "ab")
        env = dict(os.environ)
        # BENCH_DAEMON_JAVA_OPTS: JVM options for the daemon only (e.g. a JFR recording)
        extra = os.environ.get("BENCH_DAEMON_JAVA_OPTS")
        if extra:
            env["BERTH_JAVA_OPTS"] = (env.get("BERTH_JAVA_OPTS", "") + " " + extra).strip()
        self.daemon = subprocess.Popen([self.berth, "--config", cfg, "daemon"], stdin=subprocess.DEVNULL,
                                       stdout=logf, stderr=logf, start_new_session=True, env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.daemon.returncode}; see {self.bdir}/daemon.log")
            if os.path.exists(self.sock):
                try:
                    st, js = self.api.call("GET", "/version")
                    if st == 200:
                        self.daemon_pid = int(js["pid"])
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError("daemon did not answer on its socket in 120 s")

    def stop_daemon(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        self.daemon = None
        if self.api.conn:
            self.api.conn.close()
            self.api.conn = None

    def wait_until(self, pred, timeout, what, every=0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = pred()
            if v:
                return v
            time.sleep(every)
        raise RuntimeError(f"timed out after {timeout}s waiting for {what}")

    def add(self, metric, impl, values, unit, **extra):
        self.rows.setdefault(metric, {})[impl] = {"median": statistics.median(values), "n": len(values),
                                                  "min": min(values), "max": max(values), "unit": unit, **extra}
        log(f"{metric:22} {impl:10} median {statistics.median(values):.4f} {unit} (n={len(values)}, "
            f"min {min(values):.4f}, max {max(values):.4f}) {extra if extra else ''}")

    # ---------------------------------------------------------------- metrics
    def latency(self, cfg):
        reps = self.a.reps
        ctr_t, berth_t = [], []
        warm = self.a.warmup
        for i in range(reps + warm):
            cid = f"lat-{i}"
            t0 = time.monotonic()
            r = subprocess.run(self.cd.ctr("run", "-d", self.ctr_image, cid, *CMD), stdin=subprocess.DEVNULL,
                               capture_output=True)
            t_c = time.monotonic() - t0
            if r.returncode:
                raise RuntimeError(f"ctr run failed: {r.stderr.decode()}")
            self.ctr_ids.append(cid)
            doc = container_yaml(cid)
            t0 = time.monotonic()
            self.api.apply(doc)
            t_b = self.watch.wait_running([cid], 60) - t0
            log(f"rep {i}: ctr run -d {t_c:.3f} s, berth apply->Running {t_b:.3f} s")
            if i >= warm:
                ctr_t.append(t_c)
                berth_t.append(t_b)
            self.ctr_rm([cid])
            self.berth_rm(["lat-" + str(i)])
        self.add("apply_to_running", "containerd", ctr_t, "s", how="ctr run -d IMAGE ID sh (whole CLI)")
        self.add("apply_to_running", "berth", berth_t, "s",
                 how="POST /apply on the socket until a watch event shows status.phase=Running")
        # the CLI path, a few times: cold JVM + apply + --wait (200 ms poll)
        cli_t = []
        for i in range(self.a.cli_reps):
            cid = f"cli-{i}"
            f = os.path.join(self.work, f"{cid}.yaml")
            with open(f, "w") as fh:
                fh.write(container_yaml(cid))
            t0 = time.monotonic()
            self.cli(cfg, "apply", "-f", f, "--wait", "--timeout", "60s")
            cli_t.append(time.monotonic() - t0)
            self.berth_rm([cid])
        if cli_t:
            self.add("apply_cli_wait", "berth", cli_t, "s", how="berth apply -f FILE --wait (cold JVM client)")

    def ctr_rm(self, ids):
        if ids:
            subprocess.run(self.cd.ctr("tasks", "kill", "-s", "SIGKILL", *ids), capture_output=True)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                out = subprocess.run(self.cd.ctr("tasks", "ls"), capture_output=True, text=True).stdout
                if not any(line.split()[0] in ids and "RUNNING" in line for line in out.splitlines()[1:] if line.split()):
                    break
                time.sleep(0.05)
            subprocess.run(self.cd.ctr("tasks", "rm", "-f", *ids), capture_output=True)
            subprocess.run(self.cd.ctr("containers", "rm", *ids), capture_output=True)
            self.ctr_ids = [c for c in self.ctr_ids if c not in ids]

    def berth_rm(self, names, timeout=120):
        for n in names:
            self.api.delete("containers", n)

        def gone():
            have = {o["metadata"]["name"] for o in self.api.list("containers")}
            return not (have & set(names))
        self.wait_until(gone, timeout, f"deletion of {len(names)} containers", every=0.1)

    def hundred(self):
        n = self.a.containers
        names = [f"many-{i:03d}" for i in range(n)]
        doc = "---\n".join(container_yaml(x) for x in names)
        t0 = time.monotonic()
        self.api.apply(doc)
        t_b = self.watch.wait_running(names, 600) - t0
        # containerd reference: the same N through ctr run -d, 4 at a time (Berth reconciles with 4 workers)
        ids = [f"many-{i:03d}" for i in range(n)]

        def run(cid):
            r = subprocess.run(self.cd.ctr("run", "-d", self.ctr_image, cid, *CMD), stdin=subprocess.DEVNULL,
                               capture_output=True)
            if r.returncode:
                raise RuntimeError(f"ctr run {cid}: {r.stderr.decode()}")
        t0 = time.monotonic()
        self.ctr_ids.extend(ids)
        with ThreadPoolExecutor(4) as ex:
            list(ex.map(run, ids))
        t_c = time.monotonic() - t0
        self.add(f"apply{n}_running", "containerd", [t_c], "s", how=f"{n} x ctr run -d, 4 client threads")
        self.add(f"apply{n}_running", "berth", [t_b], "s", how="one POST of a 100-document YAML until all Running")
        self.ctr_rm(ids)
        return names

    def idle(self, names):
        time.sleep(self.a.settle)
        s0 = self.api.stats()
        pid = self.daemon_pid
        o0, c0 = cpu_ticks(pid)
        samples, threads = sample_cpu(pid, self.a.idle_seconds)
        o1, c1 = cpu_ticks(pid)
        t = samples[-1][0] - samples[0][0]
        s1 = self.api.stats()
        own, children = (o1 - o0) / TICK, (c1 - c0) / TICK
        pct = 100 * (samples[-1][1] - samples[0][1]) / t
        bursts, rate = bursts_of(samples)
        for dt, raw, net in bursts:
            log(f"idle: resync burst {dt:.2f} s, {raw:.3f} CPU s raw, {net:.3f} net")
        self.add("idle_cpu_100", "berth", [pct], "% of a core", window_s=round(t, 1), own_cpu_s=own,
                 children_cpu_s=children, objects=s1["objects"], reconciles=s1["reconciles"] - s0["reconciles"],
                 between_resyncs_pct=round(100 * rate, 2), resync_bursts_cpu_s=[round(b[2], 3) for b in bursts],
                 thread_cpu_s=threads)
        t0 = time.monotonic()
        self.berth_rm(names, timeout=600)
        self.add(f"delete{len(names)}", "berth", [time.monotonic() - t0], "s", how="DELETE each until all gone")

    def resync(self, interval):
        nimg, nctr = self.a.resync_images, self.a.resync_objects - self.a.resync_images
        docs = [image_yaml(f"img-{i:03d}") for i in range(nimg)]
        docs += [container_yaml(f"stopped-{i:04d}", state="Stopped", image=f"img-{i % nimg:03d}") for i in range(nctr)]
        t0 = time.monotonic()
        self.api.apply("---\n".join(docs))
        t_apply = time.monotonic() - t0

        def converged():
            items = self.api.list("images") + self.api.list("containers")
            return len(items) >= nimg + nctr and all(ready(o) for o in items) and self.api.stats()["queueDepth"] == 0
        self.wait_until(converged, 900, f"{nimg + nctr} objects converged", every=1.0)
        t_conv = time.monotonic() - t0
        self.add(f"apply{nimg + nctr}_converged", "berth", [t_conv], "s", post_s=round(t_apply, 3),
                 how=f"{nimg} Images (Never) + {nctr} Containers (Stopped), one POST")
        time.sleep(1)
        s0 = self.api.stats()
        total = s0["objects"]
        time.sleep(1)
        pid = self.daemon_pid
        samples, threads = sample_cpu(pid, interval * (self.a.resyncs + 1) + 1)
        time.sleep(1)
        s1 = self.api.stats()
        bursts, rate = bursts_of(samples)
        for dt, raw, net in bursts:
            log(f"resync burst: {dt:.2f} s, {raw:.3f} CPU s raw, {net:.3f} s net")
        if not bursts:
            raise RuntimeError("no complete resync burst seen")
        window = samples[-1][0] - samples[0][0]
        per = [b[2] for b in bursts]
        # the first resyncs of a fresh JVM also pay for JIT compilation: the later half is the steady state
        late = per[len(per) // 2:]
        self.add(f"resync_cpu_{total}", "berth", per, "CPU s", idle_rate_pct=round(100 * rate, 2),
                 per_resync=[round(x, 3) for x in per], steady_median=round(statistics.median(late), 3),
                 durations=[round(b[0], 2) for b in bursts],
                 reconciles_between_stats=s1["reconciles"] - s0["reconciles"],
                 resyncs_in_window=round((window + 4) / interval, 1),
                 total_cpu_s=round(samples[-1][1] - samples[0][1], 3), window_s=round(window, 1),
                 thread_cpu_s=threads)

    # ---------------------------------------------------------------- run
    def run(self):
        a = self.a
        log(f"work dir {self.work}, cgroup parent {self.parent}")
        cfg30 = self.config("30s")
        cfg_fast = self.config(f"{a.resync_interval}s")
        subprocess.run([os.path.join(REPO, "bin", "build-example-image"), "--config", cfg30], check=True,
                       capture_output=True)
        oci = os.path.join(self.work, "busybox-oci.tar")
        self.cli(cfg30, "images", "export", oci, IMAGE_REF)
        self.cd.start()
        r = subprocess.run(self.cd.ctr("images", "import", oci), capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"ctr images import: {r.stderr}")
        names = subprocess.run(self.cd.ctr("images", "ls", "-q"), capture_output=True, text=True).stdout.split()
        if not names:
            raise RuntimeError("ctr images import imported nothing")
        self.ctr_image = IMAGE_REF if IMAGE_REF in names else names[0]
        log(f"containerd image {self.ctr_image}")

        self.start_daemon(cfg30)
        self.api.apply(image_yaml("bb"))
        self.wait_until(lambda: ready(self.api.get("images", "bb")[1] or {"metadata": {}}), 60, "Image bb Ready")
        phases = set(a.phases.split(","))
        self.watch = Watcher(self.sock)
        if "latency" in phases:
            self.latency(cfg30)
        if phases & {"hundred", "idle"}:
            names = self.hundred()
            self.watch.close()
            self.watch = None
            if "idle" in phases:
                self.idle(names)
            else:
                self.berth_rm(names, timeout=600)
        if self.watch:
            self.watch.close()
            self.watch = None
        self.stop_daemon()

        if "resync" in phases:
            self.start_daemon(cfg_fast)
            self.resync(a.resync_interval)
            self.stop_daemon()

    def cleanup(self):
        if self.watch:
            self.watch.close()
        try:
            self.ctr_rm(list(self.ctr_ids))
        except Exception as e:  # keep cleaning
            log(f"cleanup ctr: {e}")
        self.stop_daemon()
        try:
            self.cd.stop()
        except Exception as e:
            log(f"cleanup containerd: {e}")
        cfg = os.path.join(self.bdir, "config-30s.toml")
        if os.path.exists(cfg):
            r = self.cli(cfg, "tasks", "ls", check=False)
            for line in r.stdout.strip().splitlines()[1:]:
                parts = line.split()
                if len(parts) >= 2:
                    log(f"berth task left: {parts[0]}/{parts[1]}; removing")
                    self.cli(cfg, "-n", parts[0], "containers", "rm", "-f", parts[1], check=False)
        # conmons of this run that are still there (by pid, only those naming our state dir)
        for p in pids_matching(lambda x: os.path.basename(x[0]) == "conmon" and any(self.bdir in y for y in x)):
            log(f"conmon {p} left; killing it")
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        with open("/proc/self/mounts") as f:
            mounts = [line.split()[1] for line in f if self.work in line.split()[1]]
        for m in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        for root, dirs, _ in os.walk("/sys/fs/cgroup"):
            if os.path.basename(root) == self.parent.strip("/"):
                for r2, _, _ in sorted(os.walk(root), key=lambda x: -len(x[0])):
                    try:
                        os.rmdir(r2)
                    except OSError:
                        pass
                dirs[:] = []
            elif root.count("/") > 4:
                dirs[:] = []
        shutil.rmtree(self.work, ignore_errors=True)


def table(rows):
    lines = ["| metric | containerd | berth | berth/containerd | target |", "|---|---|---|---|---|"]
    targets = {"apply_to_running": ("ratio", 1.2), "resync_cpu": ("abs", 1.0), "idle_cpu": ("abs", 1.0)}
    for metric, impls in rows.items():
        c, b = impls.get("containerd"), impls.get("berth")
        cv = f"{c['median']:.3f} {c['unit']}" if c else "—"
        bv = f"{b['median']:.3f} {b['unit']}" if b else "—"
        ratio = b["median"] / c["median"] if c and b else None
        target = ""
        for prefix, (kind, limit) in targets.items():
            if metric.startswith(prefix) and b:
                v = ratio if kind == "ratio" else b["median"]
                op = "≤" if kind == "ratio" else "<"
                unit = "×" if kind == "ratio" else (" CPU s" if prefix == "resync_cpu" else " % of a core")
                target = f"{op} {limit}{unit}: {'met' if v is not None and v <= limit else 'NOT met'}"
        lines.append(f"| {metric} | {cv} | {bv} | {f'{ratio:.2f}' if ratio else ''} | {target} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=10, help="apply->Running repetitions (after the warm-ups)")
    ap.add_argument("--warmup", type=int, default=3, help="apply->Running warm-up repetitions (not counted)")
    ap.add_argument("--cli-reps", type=int, default=3, help="berth apply --wait CLI repetitions")
    ap.add_argument("--containers", type=int, default=100)
    ap.add_argument("--idle-seconds", type=float, default=60)
    ap.add_argument("--settle", type=float, default=65,
                    help="seconds between the last container Running and the idle window (two default resyncs: the JIT warms up)")
    ap.add_argument("--resync-objects", type=int, default=1000)
    ap.add_argument("--resync-images", type=int, default=100)
    ap.add_argument("--resync-interval", type=int, default=10)
    ap.add_argument("--resyncs", type=int, default=8, help="resync bursts to measure")
    ap.add_argument("--phases", default="latency,hundred,idle,resync",
                    help="comma-separated subset of latency,hundred,idle,resync (idle includes hundred)")
    ap.add_argument("--out", default=os.path.join(HERE, "last-declarative.json"))
    a = ap.parse_args()
    execute(Bench(a), a.out, table)


def execute(b, out, table_of):
    """Runs bench b, always cleans up, writes its rows to out, prints the table; exits 1 on failure."""
    failed = None
    try:
        b.run()
    except BaseException as e:  # report, clean up, exit non-zero
        failed = e
        log(f"FAILED: {e!r}; daemon log: last lines follow")
        try:
            with open(os.path.join(b.bdir, "daemon.log")) as f:
                for line in f.readlines()[-30:]:
                    log("  " + line.rstrip())
        except OSError:
            pass
    finally:
        b.cleanup()
    with open(out, "w") as f:
        json.dump(b.rows, f, indent=1)
    print(table_of(b.rows))
    for metric, impls in b.rows.items():
        for impl, r in impls.items():
            extra = {k: v for k, v in r.items() if k not in ("median", "n", "min", "max", "unit", "how")}
            if extra:
                print(f"  {metric} {impl}: {json.dumps(extra)}")
    print(f"\nresults: {out}")
    if failed:
        sys.exit(1)

if __name__ == "__main__":
    main()
