#!/usr/bin/env python3
"""Probe cost benchmark (issue 18, "Probe cost"): one Berth daemon on a private root, state, socket
and cgroup parent runs N busybox httpd containers, each with an HTTP readiness probe every 10 s,
then N more sleeping containers, each with an exec readiness probe every 10 s. After each step
settles, it measures over a window (default 60 s):

  cpu      the daemon's CPU (utime+stime of its threads, and of the children it reaped: the
           `runc exec` of each exec probe), as % of one core, read from /proc only;
  forks    processes the daemon forks per minute, counted with `strace -f` on the daemon in a
           separate window (strace slows what it traces, so never during the CPU window): clone,
           clone3, fork and vfork calls by the daemon's own threads that make a process, not a
           thread. The forks of the children themselves (runc's own `runc init`) are not the
           daemon's and are listed apart.

The "http" row is N HTTP-probed containers; "http+exec" adds N exec-probed ones; the exec cost is
the difference. kubelet and podman are not installed on the build machines, so there is no side by
side row: podman's healthcheck runs `podman healthcheck run` from a systemd timer per container
(a whole podman process, then conmon and runc exec, per check), which is the comparison to make
where it is installed. Everything lives under a temp dir and is removed at the end, also on failure.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from declarative_bench import REPO, TICK, Bench, cpu_ticks, execute, image_yaml, log  # noqa: E402

HTTPD = ["/bin/busybox", "sh", "-c",
         "/bin/busybox mkdir -p /www && echo ok > /www/healthz && exec /bin/busybox httpd -f -p 8080 -h /www"]
SLEEP = ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; /bin/busybox sleep 100000 & wait"]


def probed_yaml(name, command, probe):
    return (f"apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata:\n  name: {name}\nspec:\n"
            f"  image: bb\n  command: {json.dumps(command)}\n  readinessProbe: {json.dumps(probe)}\n")


def http_probe(period):
    return {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": period}


def exec_probe(period):
    return {"exec": {"command": ["/bin/busybox", "true"]}, "periodSeconds": period}


CALL = re.compile(r"^(\d+)\s+(clone3?|vfork|fork)\((.*)")
RESUMED = re.compile(r"^(\d+)\s+<\.\.\. (clone3?|vfork|fork) resumed>.*=\s+(\d+)")
DONE = re.compile(r"=\s+(\d+)\s*$")


def count_forks(pid, seconds, at_end=lambda: None):
    """Runs strace -f on pid for `seconds`; (forks by the daemon's threads, forks by its children).
    A call counts as a fork unless its flags carry CLONE_THREAD; a vfork-style clone suspends its
    caller, so strace often splits it into an "unfinished" and a "resumed" line."""
    out = os.path.join("/tmp", f"berth-probes-strace-{os.getpid()}.txt")
    daemon_tids = {int(t) for t in os.listdir(f"/proc/{pid}/task")}
    p = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=clone,clone3,fork,vfork", "-o", out, "-p", str(pid)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    end = at_end()
    daemon_tids |= {int(t) for t in os.listdir(f"/proc/{pid}/task")}
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        # seen once: strace stuck detaching from ~1,000 short-lived children; the kernel detaches
        # the tracees when the tracer dies
        p.kill()
        p.wait()
    own = others = 0
    pending = {}  # caller -> whether its unfinished call makes a thread
    with open(out) as f:
        lines = f.readlines()
    os.unlink(out)
    for line in lines:
        line = line.strip()
        m = CALL.match(line)
        if m:
            caller, thread = int(m.group(1)), "CLONE_THREAD" in m.group(3)
            if caller in daemon_tids and not thread:
                own += 1
            elif not thread:
                others += 1
            d = DONE.search(line)
            if d and thread and caller in daemon_tids:
                daemon_tids.add(int(d.group(1)))  # a new daemon thread: its forks are the daemon's too
            elif not d:
                pending[caller] = thread
            continue
        m = RESUMED.match(line)
        if m and pending.pop(int(m.group(1)), False) and int(m.group(1)) in daemon_tids:
            daemon_tids.add(int(m.group(3)))
    return own, others, end


class ProbeBench(Bench):
    def run(self):
        a = self.a
        log(f"work dir {self.work}, cgroup parent {self.parent}")
        cfg = self.config("30s")
        subprocess.run([os.path.join(REPO, "bin", "build-example-image"), "--config", cfg], check=True,
                       capture_output=True)
        self.start_daemon(cfg)
        self.api.apply(image_yaml("bb"))
        self.wait_until(lambda: ready_named(self.api, "images", "bb"), 120, "Image bb Ready")
        http = [f"http-{i:03d}" for i in range(a.containers)]
        self.step("http", http, HTTPD, http_probe(a.period))
        execs = [f"exec-{i:03d}" for i in range(a.containers)]
        self.step("http+exec", execs, SLEEP, exec_probe(a.period))
        self.berth_rm(http + execs, timeout=900)

    def step(self, label, names, command, probe):
        a = self.a
        t0 = time.monotonic()
        for i in range(0, len(names), 20):
            self.api.apply("---\n".join(probed_yaml(n, command, probe) for n in names[i:i + 20]))

        def all_ready():
            items = {o["metadata"]["name"]: o for o in self.api.list("containers")}
            return all(n in items and is_ready(items[n]) for n in names)
        self.wait_until(all_ready, 1800, f"{len(names)} probed containers Ready", every=2)
        log(f"{label}: {len(names)} more containers Ready in {time.monotonic() - t0:.1f} s; settling {a.settle} s")
        time.sleep(a.settle)
        pid = self.daemon_pid
        s0 = self.api.stats()
        o0, c0 = cpu_ticks(pid)
        w0 = time.monotonic()
        time.sleep(a.window)
        o1, c1 = cpu_ticks(pid)
        w = time.monotonic() - w0
        s1 = self.api.stats()
        own, children = (o1 - o0) / TICK, (c1 - c0) / TICK
        pct = 100 * (own + children) / w
        attempts = (s1["probeAttempts"] - s0["probeAttempts"]) * 60 / w
        log(f"{label}: daemon CPU {pct:.2f}% of a core over {w:.0f} s (own {own:.2f} s, reaped children"
            f" {children:.2f} s), reconciles {s1['reconciles'] - s0['reconciles']}, probe attempts {attempts:.0f}/min")
        t0 = self.api.stats()["probeAttempts"]
        forks, theirs, t1 = count_forks(pid, a.fork_window, lambda: self.api.stats()["probeAttempts"])
        traced = t1 - t0
        per_min = forks * 60 / a.fork_window
        log(f"{label}: daemon forks {per_min:.0f}/min ({forks} in {a.fork_window:.0f} s, while {traced} probe attempts"
            f" ran under strace); its children forked {theirs * 60 / a.fork_window:.0f}/min (runc init and the like)")
        self.add("probe_cpu", label, [pct], "% of a core", window_s=round(w, 1), own_cpu_s=own,
                 children_cpu_s=children, reconciles=s1["reconciles"] - s0["reconciles"],
                 attempts_per_min=round(attempts), load=open("/proc/loadavg").read().split()[0])
        self.add("probe_forks", label, [per_min], "forks/min", children_forks_per_min=theirs * 60 / a.fork_window,
                 attempts_while_traced=traced)


def is_ready(obj):
    st = obj.get("status") or {}
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or [])


def ready_named(api, plural, name):
    st, js = api.get(plural, name)
    return st == 200 and is_ready(js)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--containers", type=int, default=100, help="containers per probe kind")
    ap.add_argument("--period", type=int, default=10, help="periodSeconds of every probe")
    ap.add_argument("--settle", type=float, default=30, help="seconds after all are Ready before measuring")
    ap.add_argument("--window", type=float, default=60, help="CPU window, seconds")
    ap.add_argument("--fork-window", type=float, default=60, help="strace window, seconds")
    ap.add_argument("--out", default=os.path.join(HERE, "last-probes.json"))
    a = ap.parse_args()
    execute(ProbeBench(a), a.out, table)


def table(rows):
    """One line per measurement: metric, step, value, and what else was recorded."""
    return "\n".join(f"{metric:12} {step:10} {r['median']:.2f} {r['unit']}" for metric, steps in rows.items()
                     for step, r in steps.items())


if __name__ == "__main__":
    main()
