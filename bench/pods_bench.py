#!/usr/bin/env python3
"""Pod benchmark (issue 13): one networked pod (a sandbox with a published port + one busybox httpd
container) from apply until its host port answers on 127.0.0.1, Berth side by side with podman 4.3
(Debian), alternating rounds, medians.

  berth   one POST .../apply of a Sandbox (ports: 8080 -> a free host port) and a Container in it,
          to a private daemon (bench/declarative_bench.Bench: own root, state, socket, cgroup
          parent), its CNI network a conflist of its own (bridge, host-local, portmap, firewall,
          loopback; bridge name and /24 of its own), sandbox image Berth's pause (bin/pause).
  podman  `podman pod create -p HOSTPORT:8080 --infra-image <the same pause> --network <own net>`
          then `podman run -d --pod POD <the same busybox> ...` (two CLI calls, as a user types them),
          private --root/--runroot/--network-config-dir, a bridge network of its own (/24 of its own).
Then the 50-pod rows (--pods N, 0 to skip), one side after the other on the same machine:
  podsN_apply_to_ports  berth: one POST of N Sandboxes + N Containers; podman: N (pod create + run)
                        pairs from --podman-parallel workers; until every host port answers.
  podsN_memory          with the N pods running: PSS (and RSS) of the daemon + every conmon and pause
                        process of the N pods (podman: every conmon + pause, it has no daemon); the
                        workload (sh + httpd, the same on both sides) is reported apart; berth also
                        reports the daemon's PSS before the pods and the marginal PSS per pod.
  podsN_resync_cpu      berth: CPU of one no-change resync of the N pods (daemon + reaped children:
                        the CNI CHECK execs and iptables-save), daemon at resync_interval
                        --resync-interval; podman: nothing periodic, its conmons' CPU over the window.
podman runs runc, as Berth does (crun 1.8 refuses this host's hybrid cgroup layout). Both time
from the first call to the first HTTP answer with the page (polled every 10 ms). Each round
deletes its pod afterwards (not timed). Everything lives under a temp dir and is removed at the end,
also on failure: pods, containers, bridges, host-local reservations, mounts, cgroups.
"""
import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import time

from declarative_bench import Bench, REPO, IMAGE_REF, TICK, bursts_of, cpu_ticks, execute, log, ready, sample_cpu  # noqa: E402
from concurrent.futures import ThreadPoolExecutor

PAUSE_REF = "localhost/berth/pause:bench"
PAGE = "pod-bench"
# httpd as pid 1 ignores SIGTERM, which would make every pod deletion wait the stop grace; the shell
# exits on TERM. Both engines run the same command.
SERVER = f"mkdir -p /www && echo {PAGE} > /www/index.html && trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"


def proc_table():
    """{pid: (ppid, comm, cmdline)} of every process now."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                raw = f.read()
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        out[int(d)] = (int(raw.rsplit(")", 1)[1].split()[1]), comm, cmd)
    return out


def mem_kb(pid):
    """(PSS, RSS) of pid in KiB from smaps_rollup (0, 0 when it is gone)."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def pod_processes(marker):
    """conmon processes whose command line holds `marker` (the engine's private state/run dir) and
    their descendants, split into runtime overhead (conmon, pause) and the workload (the rest)."""
    table = proc_table()
    conmons = [p for p, (_, comm, cmd) in table.items() if comm == "conmon" and marker in cmd]
    children = {}
    for p, (pp, _, _) in table.items():
        children.setdefault(pp, []).append(p)
    overhead, workload = list(conmons), []
    stack = list(conmons)
    while stack:
        for c in children.get(stack.pop(), []):
            stack.append(c)
            (overhead if table[c][1] == "pause" else workload).append(c)
    return overhead, workload, table


_ports_given = set()


def free_port():
    """A free TCP port on 127.0.0.1, never one this run handed out before (the kernel may offer the
    same ephemeral port twice once the probing socket is closed, and two pods asking for one host
    port is a HostPortConflict, not a benchmark)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port


def answers(port):
    """Whether 127.0.0.1:port answers a GET with the page."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return PAGE.encode() in data
    except OSError:
        return False


class PodBench(Bench):
    def __init__(self, a):
        super().__init__(a)
        tag = "%05x" % random.randrange(0x10000, 0xfffff)
        self.bridge_berth = "bb" + tag
        self.bridge_podman = None
        self.prefix_berth = f"10.{random.randrange(200, 250)}.{random.randrange(1, 255)}"
        self.prefix_podman = f"10.{random.randrange(200, 250)}.{random.randrange(1, 255)}"
        self.net_podman = "berth-bench-" + tag
        self.netdir = os.path.join(self.work, "net.d")
        os.makedirs(self.netdir)
        ipam = f'{{"type":"host-local","dataDir":"{self.work}/ipam","ranges":[[{{"subnet":"{self.prefix_berth}.0/24",' \
               f'"gateway":"{self.prefix_berth}.1"}}]],"routes":[{{"dst":"0.0.0.0/0"}}]}}'
        with open(os.path.join(self.netdir, "10-bench.conflist"), "w") as f:
            f.write('{"cniVersion":"1.0.0","name":"berth-bench","plugins":['
                    f'{{"type":"bridge","bridge":"{self.bridge_berth}","isGateway":true,"ipMasq":false,'
                    f'"hairpinMode":true,"ipam":{ipam}}},'
                    '{"type":"portmap","capabilities":{"portMappings":true}},{"type":"firewall"},{"type":"loopback"}]}\n')
        p = os.path.join(self.work, "podman")
        self.podman_base = ["podman", "--root", f"{p}/root", "--runroot", f"{p}/run", "--tmpdir", f"{p}/tmp",
                            "--network-config-dir", f"{p}/net", "--cgroup-manager", "cgroupfs", "--runtime", "runc",
                            "--storage-driver", "overlay"]
        self.podman_pods = []
        # podman's rootful default RLIMIT_NOFILE and NPROC (1048576) are above what this host lets a
        # container set: the bench's own NOFILE hard limit and 4096 processes instead, for every container
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]

        self.podman_env = dict(os.environ, CONTAINERS_CONF=os.path.join(p, "containers.conf"))
        os.makedirs(p)
        with open(self.podman_env["CONTAINERS_CONF"], "w") as f:
            f.write(f'[containers]\ndefault_ulimits = ["nofile={hard}:{hard}", "nproc=4096:4096"]\n')

    def start_daemon(self, cfg, home=None):
        """The daemon from this checkout, or (home) from a baseline build: home/bin/berth with
        BERTH_HOME=home (its own launcher, its jars)."""
        saved, env_saved = self.berth, os.environ.get("BERTH_HOME")
        if home:
            self.berth = os.path.join(home, "bin", "berth")
            os.environ["BERTH_HOME"] = home
        try:
            super().start_daemon(cfg)
        finally:
            self.berth = saved
            if env_saved is None:
                os.environ.pop("BERTH_HOME", None)
            else:
                os.environ["BERTH_HOME"] = env_saved

    def config(self, resync):
        path = super().config(resync)
        with open(path, "a") as f:
            if self.a.workers is not None:  # still in Berth's own table, which the base config ends with
                f.write(f"  reconcile_workers = {self.a.workers}\n")
            f.write(f'[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "{PAUSE_REF}"\n'
                    f'[plugins."io.containerd.cri.v1.runtime".cni]\n  conf_dir = "{self.netdir}"\n')
        return path

    def podman(self, *args, check=True):
        r = subprocess.run(self.podman_base + list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=self.podman_env)
        if check and r.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
        return r

    def wait_port(self, port, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if answers(port):
                return time.monotonic()
            time.sleep(0.01)
        raise RuntimeError(f"127.0.0.1:{port} did not answer in {timeout}s")

    def berth_round(self, i):
        name, port = f"pod{i}", free_port()
        yaml = (f"apiVersion: berth.dev/v1alpha1\nkind: Sandbox\nmetadata: {{name: {name}}}\n"
                f"spec:\n  ports: [{{containerPort: 8080, hostPort: {port}, protocol: TCP}}]\n---\n"
                f"apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata: {{name: {name}}}\n"
                f"spec:\n  image: bb\n  sandbox: {name}\n  command: [sh, -c]\n  args: [\"{SERVER}\"]\n")
        t0 = time.monotonic()
        self.api.apply(yaml)
        t = self.wait_port(port) - t0
        self.api.delete("containers", name)
        self.api.delete("sandboxes", name)
        self.wait_until(lambda: self.api.get("sandboxes", name)[0] == 404 and self.api.get("containers", name)[0] == 404,
                        120, f"pod {name} deleted")
        return t

    def podman_round(self, i):
        name, port = f"ppod{i}", free_port()
        t0 = time.monotonic()
        self.podman("pod", "create", "--name", name, "--infra-image", PAUSE_REF, "--network", self.net_podman,
                    "-p", f"{port}:8080")
        self.podman_pods.append(name)
        self.podman("run", "-d", "--pod", name, IMAGE_REF, "sh", "-c", SERVER)
        t = self.wait_port(port) - t0
        self.podman("pod", "rm", "-f", "-t", "0", name)
        self.podman_pods.remove(name)
        return t

    def run(self):
        a = self.a
        log(f"work dir {self.work}, cgroup parent {self.parent}")
        cfg = self.config("30s")
        subprocess.run([os.path.join(REPO, "bin", "build-example-image"), "--config", cfg], check=True,
                       capture_output=True)
        subprocess.run([os.path.join(REPO, "bin", "build-pause-image"), "--config", cfg, "--name", PAUSE_REF],
                       check=True, capture_output=True)
        for ref in (IMAGE_REF, PAUSE_REF):
            tar = os.path.join(self.work, ref.rsplit("/", 1)[1].replace(":", "-") + ".tar")
            self.cli(cfg, "images", "export", tar, ref)
            self.podman("load", "-i", tar)
        self.podman("network", "create", "--driver", "bridge", "--subnet", f"{self.prefix_podman}.0/24",
                    self.net_podman)
        # podman 4.3 names the bridge itself (cni-podmanN); the clean-up deletes that one
        self.bridge_podman = self.podman("network", "inspect", "-f", "{{.NetworkInterface}}",
                                         self.net_podman).stdout.strip() or None
        self.start_daemon(cfg)
        self.api.apply("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: bb}\n"
                       f"spec: {{ref: \"{IMAGE_REF}\", pullPolicy: Never}}\n")
        self.wait_until(lambda: ready(self.api.get("images", "bb")[1] or {"metadata": {}}), 60, "Image bb Ready")
        b, p = [], []
        for i in range(a.warmup + a.reps):
            tb = self.berth_round(i)
            tp = self.podman_round(i) if not a.no_podman else 0.0
            log(f"round {i}{' (warm-up)' if i < a.warmup else ''}: berth {tb:.3f} s, podman {tp:.3f} s")
            if i >= a.warmup:
                b.append(tb)
                p.append(tp)
        self.add("pod_apply_to_port", "berth", b, "s")
        if not a.no_podman:
            self.add("pod_apply_to_port", "podman", p, "s")
        self.stop_daemon()
        if a.pods:
            if a.baseline:
                self.fifty_berth(a.pods, "berth-before", a.baseline)
            self.fifty_berth(a.pods, "berth", None)
            if not a.no_podman:
                self.fifty_podman(a.pods)

    # ------------------------------------------------------------ N pods at once
    def berth_pods(self, n):
        names = [f"many{i:02d}" for i in range(n)]
        ports = [free_port() for _ in names]
        docs = []
        for name, port in zip(names, ports):
            docs.append(f"apiVersion: berth.dev/v1alpha1\nkind: Sandbox\nmetadata: {{name: {name}}}\n"
                        f"spec:\n  ports: [{{containerPort: 8080, hostPort: {port}, protocol: TCP}}]\n")
            docs.append(f"apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata: {{name: {name}}}\n"
                        f"spec:\n  image: bb\n  sandbox: {name}\n  command: [sh, -c]\n  args: [\"{SERVER}\"]\n")
        t0 = time.monotonic()
        self.api.apply("---\n".join(docs))
        for port in ports:
            self.wait_port(port, timeout=900)
        return names, time.monotonic() - t0

    def podman_pods_at_once(self, n):
        names = [f"pmany{i:02d}" for i in range(n)]
        ports = [free_port() for _ in names]

        def one(i):
            self.podman("pod", "create", "--name", names[i], "--infra-image", PAUSE_REF, "--network", self.net_podman,
                        "-p", f"{ports[i]}:8080")
            self.podman_pods.append(names[i])
            self.podman("run", "-d", "--pod", names[i], IMAGE_REF, "sh", "-c", SERVER)
        t0 = time.monotonic()
        with ThreadPoolExecutor(self.a.podman_parallel) as ex:
            list(ex.map(one, range(n)))
        for port in ports:
            self.wait_port(port, timeout=900)
        return names, time.monotonic() - t0

    def memory(self, impl, marker, daemon_pid):
        overhead, workload, table = pod_processes(marker)
        pss = rss = 0
        for p in overhead + ([daemon_pid] if daemon_pid else []):
            a, b = mem_kb(p)
            pss, rss = pss + a, rss + b
        w_pss = sum(mem_kb(p)[0] for p in workload)
        d_pss, d_rss = mem_kb(daemon_pid) if daemon_pid else (0, 0)
        kinds = {}
        for p in overhead:
            kinds[table[p][1]] = kinds.get(table[p][1], 0) + 1
        log(f"{impl} memory: PSS {pss / 1024:.1f} MiB (daemon {d_pss / 1024:.1f}), RSS {rss / 1024:.1f} MiB,"
            f" processes {kinds}, workload PSS {w_pss / 1024:.1f} MiB")
        return pss, rss, d_pss, d_rss, kinds, w_pss

    def conmon_cpu_s(self, marker):
        overhead, _, _ = pod_processes(marker)
        total = 0
        for p in overhead:
            try:
                own, ch = cpu_ticks(p)
                total += own + ch
            except OSError:
                pass
        return total / TICK

    def fifty_berth(self, n, impl, home):
        a = self.a
        cfg = self.config(f"{a.resync_interval}s")
        self.start_daemon(cfg, home)
        self.api.apply("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: bb}\n"
                       f"spec: {{ref: \"{IMAGE_REF}\", pullPolicy: Never}}\n")
        self.wait_until(lambda: ready(self.api.get("images", "bb")[1] or {"metadata": {}}), 60, "Image bb Ready")
        idle_pss = mem_kb(self.daemon_pid)[0]
        names, tb = self.berth_pods(n)
        log(f"{n} {impl} pods answering after {tb:.2f} s (load {os.getloadavg()[0]:.1f})")
        self.add(f"pods{n}_apply_to_ports", impl, [tb], "s", how="one POST of N Sandboxes + N Containers")
        time.sleep(3)
        state = os.path.join(self.bdir, "state")
        pss, rss, d_pss, d_rss, kinds, w = self.memory(impl, state, self.daemon_pid)
        # per pod: the pod's own processes (conmon x2 + pause) and what the daemon grew by from 0 pods
        per_pod = ((pss - d_pss) + (d_pss - idle_pss)) / n
        log(f"{impl} daemon PSS with 0 pods {idle_pss / 1024:.1f} MiB, per pod {per_pod / 1024:.2f} MiB")
        self.add(f"pods{n}_memory", impl, [pss / 1024], "MiB PSS", rss_mib=round(rss / 1024, 1),
                 daemon_pss_mib=round(d_pss / 1024, 1), daemon_rss_mib=round(d_rss / 1024, 1), processes=kinds,
                 workload_pss_mib=round(w / 1024, 1), daemon_idle_pss_mib=round(idle_pss / 1024, 1),
                 per_pod_pss_mib=round(per_pod / 1024, 2))
        # the no-change resync: every sandbox's CNI CHECK (plugin execs + iptables-save) and every container
        pid = self.daemon_pid
        samples, threads = sample_cpu(pid, a.resync_interval * (a.resyncs + 1) + 1)
        bursts, rate = bursts_of(samples)
        # the window of CPU samples, for podman's conmons over the same span
        self.window = samples[-1][0] - samples[0][0]
        for dt, raw, net in bursts:
            log(f"{impl} resync burst with {n} pods: {dt:.2f} s, {raw:.3f} CPU s raw, {net:.3f} net")
        if not bursts:
            raise RuntimeError("no complete resync burst seen")
        window = samples[-1][0] - samples[0][0]
        berth_cpu = samples[-1][1] - samples[0][1]
        self.add(f"pods{n}_resync_cpu", impl, [b[2] for b in bursts], "CPU s", durations=[round(b[0], 2) for b in bursts],
                 idle_rate_pct=round(100 * rate, 2), window_s=round(window, 1), window_cpu_s=round(berth_cpu, 3),
                 window_pct=round(100 * berth_cpu / window, 2), thread_cpu_s=threads)
        self.berth_rm(names, timeout=900)
        for name in names:
            self.api.delete("sandboxes", name)
        self.wait_until(lambda: not self.api.list("sandboxes") and not self.api.list("containers"), 900,
                        f"deletion of {n} berth pods")
        self.stop_daemon()


    def fifty_podman(self, n):
        a = self.a
        window = getattr(self, "window", a.resync_interval * (a.resyncs + 1) + 1)
        pnames, tp = self.podman_pods_at_once(n)
        log(f"{n} podman pods answering after {tp:.2f} s")
        self.add(f"pods{n}_apply_to_ports", "podman", [tp], "s",
                 how=f"N x (pod create -p + run -d --pod), {a.podman_parallel} at a time")
        time.sleep(3)
        prun = os.path.join(self.work, "podman", "run")
        pss, rss, _, _, kinds, w = self.memory("podman", prun, None)
        self.add(f"pods{n}_memory", "podman", [pss / 1024], "MiB PSS", rss_mib=round(rss / 1024, 1), processes=kinds,
                 workload_pss_mib=round(w / 1024, 1), per_pod_pss_mib=round(pss / 1024 / n, 2))
        c0, t0 = self.conmon_cpu_s(prun), time.monotonic()
        time.sleep(window)
        c1, t1 = self.conmon_cpu_s(prun), time.monotonic()
        self.add(f"pods{n}_resync_cpu", "podman", [0.0], "CPU s", how="podman has no resync; conmons' CPU over the window",
                 window_s=round(t1 - t0, 1), window_cpu_s=round(c1 - c0, 3), window_pct=round(100 * (c1 - c0) / (t1 - t0), 2))
        for name in list(self.podman_pods):
            self.podman("pod", "rm", "-f", "-t", "0", name)
            self.podman_pods.remove(name)

    def cleanup(self):
        for name in list(self.podman_pods):
            self.podman("pod", "rm", "-f", "-t", "0", name, check=False)
        self.podman("network", "rm", "-f", self.net_podman, check=False)
        if self.daemon and self.daemon.poll() is None:
            # pods a failed round left: deleted through the daemon, so CNI DEL releases their state
            try:
                for plural in ("containers", "sandboxes"):
                    for o in self.api.list(plural):
                        self.api.delete(plural, o["metadata"]["name"])
                self.wait_until(lambda: not self.api.list("sandboxes") and not self.api.list("containers"), 120,
                                "deletion of the pods left")
            except Exception as e:  # keep cleaning
                log(f"cleanup berth pods: {e}")
        super().cleanup()
        for br in filter(None, (self.bridge_berth, self.bridge_podman)):
            subprocess.run(["ip", "link", "del", "dev", br], capture_output=True)
        shutil.rmtree(f"/var/lib/cni/networks/{self.net_podman}", ignore_errors=True)


TARGETS = {"pod_apply_to_port": 1.0, "apply_to_ports": 0.8, "memory": 0.5}


def table(rows):
    lines = ["| metric | podman 4.3 | berth | berth/podman | target |", "|---|---|---|---|---|"]
    for metric, impls in rows.items():
        if "berth-before" in impls:
            lines.append(row(metric + " (before)", impls.get("podman"), impls["berth-before"]))
        lines.append(row(metric, impls.get("podman"), impls.get("berth")))
    return "\n".join(lines)


def row(metric, p, b):
    """One table line: berth row b against podman row p (either may be missing)."""
    if not b:
        return f"| {metric} | | | | |"
    if not p:
        return f"| {metric} | | {b['median']:.3f} {b.get('unit', '')} | | |"
    target = next((t for k, t in TARGETS.items() if metric.split(" ")[0].endswith(k)), None)
    ratio = b["median"] / p["median"] if p["median"] else None
    verdict = "" if ratio is None or target is None else ("met" if ratio <= target else "NOT met")
    unit = b.get("unit", "")
    return (f"| {metric} | {p['median']:.3f} {unit} | {b['median']:.3f} {unit} | "
            f"{f'{ratio:.2f}' if ratio is not None else 'n/a'} | "
            f"{f'≤ {target}×: {verdict}' if target else 'report'} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=7, help="counted rounds (each: one berth pod, one podman pod)")
    ap.add_argument("--warmup", type=int, default=2, help="uncounted rounds first")
    ap.add_argument("--pods", type=int, default=50, help="pods at once for the N-pod rows (0: skip them)")
    ap.add_argument("--podman-parallel", type=int, default=8, help="podman CLI pairs run at a time for the N pods")
    ap.add_argument("--resync-interval", type=int, default=10, help="daemon resync_interval (s) for the N-pod rows")
    ap.add_argument("--resyncs", type=int, default=3, help="resync intervals sampled with N pods")
    ap.add_argument("--baseline", help="also run the N-pod rows on a baseline build first (a directory with"
                    " bin/berth and berth.jar, run with BERTH_HOME=DIR): rows 'berth-before'")
    ap.add_argument("--workers", type=int, help="reconcile_workers for the daemons (default: the daemon's, 0 = 4 per CPU)")
    ap.add_argument("--no-podman", action="store_true", help="skip podman (Berth rows only)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "last-pods.json"))
    a = ap.parse_args()
    execute(PodBench(a), a.out, table)


if __name__ == "__main__":
    main()
