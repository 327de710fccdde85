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

from declarative_bench import Bench, REPO, IMAGE_REF, execute, log, ready  # noqa: E402

PAUSE_REF = "localhost/berth/pause:bench"
PAGE = "pod-bench"
# httpd as pid 1 ignores SIGTERM, which would make every pod deletion wait the stop grace; the shell
# exits on TERM. Both engines run the same command.
SERVER = f"mkdir -p /www && echo {PAGE} > /www/index.html && trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

    def config(self, resync):
        path = super().config(resync)
        with open(path, "a") as f:
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
            tp = self.podman_round(i)
            log(f"round {i}{' (warm-up)' if i < a.warmup else ''}: berth {tb:.3f} s, podman {tp:.3f} s")
            if i >= a.warmup:
                b.append(tb)
                p.append(tp)
        self.add("pod_apply_to_port", "berth", b, "s")
        self.add("pod_apply_to_port", "podman", p, "s")
        self.stop_daemon()

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


def table(rows):
    lines = ["| metric | podman 4.3 | berth | berth/podman | target |", "|---|---|---|---|---|"]
    for metric, impls in rows.items():
        p, b = impls.get("podman"), impls.get("berth")
        ratio = b["median"] / p["median"] if p and b else None
        verdict = "" if ratio is None else ("met" if ratio <= 1.0 else "NOT met")
        lines.append(f"| {metric} | {p['median']:.3f} s | {b['median']:.3f} s | "
                     f"{f'{ratio:.2f}' if ratio else ''} | ≤ 1.0×: {verdict} |" if p and b else f"| {metric} | | | | |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=7, help="counted rounds (each: one berth pod, one podman pod)")
    ap.add_argument("--warmup", type=int, default=2, help="uncounted rounds first")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "last-pods.json"))
    a = ap.parse_args()
    execute(PodBench(a), a.out, table)


if __name__ == "__main__":
    main()
