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
the difference.

The peer row (--podman, on when podman is installed): the same N sleeping busybox containers under
podman 4.3 (runc, cgroupfs, no network), each with the same exec health check (`/bin/busybox true`)
every --period seconds. podman has no daemon: a check is `podman healthcheck run NAME`, which
podman's systemd timer starts per container; this host has no systemd as PID 1, so the bench is the
timer (a scheduler process that starts the same command at the same rate, spread over the period,
as the timers would, and never waits for one check before starting the next). What a check costs
is what those processes cost: every `podman healthcheck run` is started in a cgroup of its own
(cpuacct), and with `--cgroups no-conmon` the exec session's conmon and its `runc exec` stay there,
so the cgroup's CPU over the window is the whole check (the command run in the container, as on
Berth's side, is the container's). Forks are counted by `strace -f` on the scheduler in a separate
window: the scheduler's own (one per check, the timer's) and those of everything under it (podman,
conmon, runc). podman's rootful default ulimits (1048576) are above what this host lets a container
set, so containers.conf gives it the bench's NOFILE hard limit and 4096 processes, as
pods_bench.py does. Everything lives under a temp dir and is removed at the end, also on failure.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from declarative_bench import IMAGE_REF, REPO, TICK, Bench, cpu_ticks, execute, image_yaml, log  # noqa: E402

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


# The timer podman's healthcheck needs: starts `podman healthcheck run NAME` for every name once per
# period, spread evenly, each in the cgroup whose cgroup.procs is given, never waiting for a check to
# end; writes how many it started and how they ended to a JSON file after each start.
SCHEDULER = r"""
import json, os, subprocess, sys, time
base, names, period, procs, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
def join():
    with open(procs, "w") as f:
        f.write(str(os.getpid()))
started, ok, failed, running, k, t0 = 0, 0, 0, [], 0, time.monotonic()
def write():
    with open(out + ".tmp", "w") as f:
        json.dump({"started": started, "ok": ok, "failed": failed, "running": len(running)}, f)
    os.replace(out + ".tmp", out)
write()
while True:
    for i, name in enumerate(names):
        due = t0 + k * period + i * period / len(names)
        time.sleep(max(0.0, due - time.monotonic()))
        running.append(subprocess.Popen(base + ["healthcheck", "run", name], preexec_fn=join, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        started += 1
        still = []
        for p in running:
            rc = p.poll()
            if rc is None:
                still.append(p)
            elif rc == 0:
                ok += 1
            else:
                failed += 1
        running = still
        write()
    k += 1
"""


class ProbeBench(Bench):
    def __init__(self, a):
        super().__init__(a)
        p = os.path.join(self.work, "podman")
        self.podman_base = ["podman", "--root", f"{p}/root", "--runroot", f"{p}/run", "--tmpdir", f"{p}/tmp",
                            "--cgroup-manager", "cgroupfs", "--runtime", "runc", "--storage-driver", "overlay"]
        self.podman_names = []
        self.scheduler = None
        self.hc_cgroup = f"/sys/fs/cgroup/cpuacct/berth-probes-hc-{os.getpid()}"
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        self.podman_env = dict(os.environ, CONTAINERS_CONF=os.path.join(p, "containers.conf"))
        os.makedirs(p)
        with open(self.podman_env["CONTAINERS_CONF"], "w") as f:
            f.write(f'[containers]\ndefault_ulimits = ["nofile={hard}:{hard}", "nproc=4096:4096"]\n')

    def podman(self, *args, check=True):
        r = subprocess.run(self.podman_base + list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=self.podman_env)
        if check and r.returncode != 0:
            raise RuntimeError(f"podman {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
        return r

    def run(self):
        a = self.a
        log(f"work dir {self.work}, cgroup parent {self.parent}")
        cfg = self.config("30s")
        subprocess.run([os.path.join(REPO, "bin", "build-example-image"), "--config", cfg], check=True,
                       capture_output=True)
        if a.podman:
            tar = os.path.join(self.work, "busybox.tar")
            self.cli(cfg, "images", "export", tar, IMAGE_REF)
            self.podman("load", "-i", tar)
        if a.berth:
            self.berth_rows(cfg)
        if a.podman:
            self.podman_exec_row()

    def berth_rows(self, cfg):
        a = self.a
        self.start_daemon(cfg)
        self.api.apply(image_yaml("bb"))
        self.wait_until(lambda: ready_named(self.api, "images", "bb"), 120, "Image bb Ready")
        http = [f"http-{i:03d}" for i in range(a.containers)]
        self.step("http", http, HTTPD, http_probe(a.period))
        execs = [f"exec-{i:03d}" for i in range(a.containers)]
        self.step("http+exec", execs, SLEEP, exec_probe(a.period))
        self.berth_rm(http + execs, timeout=900)
        self.stop_daemon()

    def podman_exec_row(self):
        """The same N exec-checked sleeping containers under podman, checked by `podman healthcheck run`."""
        a = self.a
        names = [f"hc-{i:03d}" for i in range(a.containers)]
        t0 = time.monotonic()
        for n in names:
            # --health-interval disable: the check is defined, and run by the bench's timer (no systemd here)
            self.podman("run", "-d", "--name", n, "--network", "none", "--cgroups", "no-conmon",
                        "--health-cmd", json.dumps(["/bin/busybox", "true"]), "--health-interval", "disable",
                        IMAGE_REF, *SLEEP)
            self.podman_names.append(n)
        log(f"podman: {len(names)} containers running in {time.monotonic() - t0:.1f} s")
        r = self.podman("healthcheck", "run", names[0], check=False)
        if r.returncode != 0:
            raise RuntimeError(f"podman healthcheck run {names[0]} failed ({r.returncode}): {r.stderr.strip()}")
        os.makedirs(self.hc_cgroup, exist_ok=True)
        status = os.path.join(self.work, "scheduler.json")
        self.scheduler = subprocess.Popen([sys.executable, "-c", SCHEDULER, json.dumps(self.podman_base),
                                           json.dumps(names), str(a.period), os.path.join(self.hc_cgroup, "cgroup.procs"),
                                           status], env=self.podman_env, stdin=subprocess.DEVNULL)
        time.sleep(a.settle)

        def done():
            with open(status) as f:
                return json.load(f)
        usage = os.path.join(self.hc_cgroup, "cpuacct.usage")
        d0, u0, w0 = done(), int(open(usage).read()), time.monotonic()
        time.sleep(a.window)
        d1, u1, w = done(), int(open(usage).read()), time.monotonic() - w0
        cpu = (u1 - u0) / 1e9
        pct = 100 * cpu / w
        checks = (d1["ok"] + d1["failed"] - d0["ok"] - d0["failed"]) * 60 / w
        log(f"podman exec: CPU {pct:.2f}% of a core over {w:.0f} s ({cpu:.2f} s in the checks' cgroup), checks"
            f" {checks:.0f}/min ({d1['failed'] - d0['failed']} failed), {d1['running']} running at the last tick")
        if d1["failed"] > d0["failed"]:
            raise RuntimeError(f"podman health checks failed: {d1}")
        timer, theirs, _ = count_forks(self.scheduler.pid, a.fork_window)
        log(f"podman exec: the timer forks {timer * 60 / a.fork_window:.0f}/min (one per check), everything under it"
            f" {theirs * 60 / a.fork_window:.0f}/min (podman, conmon, runc)")
        self.add("probe_cpu", "podman exec", [pct], "% of a core", window_s=round(w, 1), cpu_s=round(cpu, 2),
                 checks_per_min=round(checks), load=open("/proc/loadavg").read().split()[0],
                 how="podman healthcheck run per check from the bench's timer; its cgroup's CPU")
        self.add("probe_forks", "podman exec", [(timer + theirs) * 60 / a.fork_window], "forks/min",
                 timer_forks_per_min=timer * 60 / a.fork_window, children_forks_per_min=theirs * 60 / a.fork_window)
        self.stop_scheduler()
        for n in list(self.podman_names):
            self.podman("rm", "-f", "-t", "0", n)
            self.podman_names.remove(n)

    def stop_scheduler(self):
        if self.scheduler and self.scheduler.poll() is None:
            self.scheduler.kill()
            self.scheduler.wait()
        # the checks it started end on their own (each is one podman process); wait for the cgroup to empty
        deadline = time.monotonic() + 60
        while os.path.isdir(self.hc_cgroup) and time.monotonic() < deadline:
            try:
                os.rmdir(self.hc_cgroup)
            except OSError:
                time.sleep(0.5)

    def cleanup(self):
        try:
            self.stop_scheduler()
            for n in list(self.podman_names):
                self.podman("rm", "-f", "-t", "0", n, check=False)
            if self.a.podman:
                self.podman("rmi", "-a", "-f", check=False)
                # podman keeps its storage root mounted (a private bind of root/overlay); let it go
                subprocess.run(["umount", "-R", os.path.join(self.work, "podman", "root", "overlay")],
                               capture_output=True)
        finally:
            super().cleanup()

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
    ap.add_argument("--podman", action=argparse.BooleanOptionalAction, default=shutil.which("podman") is not None,
                    help="the podman healthcheck peer row (default: when podman is installed)")
    ap.add_argument("--berth", action=argparse.BooleanOptionalAction, default=True,
                    help="Berth's rows (--no-berth: the podman row alone)")
    ap.add_argument("--out", default=os.path.join(HERE, "last-probes.json"))
    a = ap.parse_args()
    execute(ProbeBench(a), a.out, table)


def table(rows):
    """One line per measurement: metric, step, value; then Berth's exec probes beside podman's checks."""
    out = [f"{metric:12} {step:11} {r['median']:.2f} {r['unit']}" for metric, steps in rows.items()
           for step, r in steps.items()]
    cpu, forks = rows.get("probe_cpu", {}), rows.get("probe_forks", {})
    if {"http", "http+exec", "podman exec"} <= cpu.keys():
        berth = cpu["http+exec"]["median"] - cpu["http"]["median"]
        podman = cpu["podman exec"]["median"]
        out.append(f"exec checks, CPU: Berth {berth:.1f} % of a core (http+exec less http), podman {podman:.1f} %;"
                   f" Berth / podman {berth / podman:.2f}")
    if {"http+exec", "podman exec"} <= forks.keys():
        b, p = forks["http+exec"], forks["podman exec"]
        # while traced each side ran fewer checks than its rate: per check, then at 600 checks a minute
        b_own, b_all = b["median"], b["median"] + b["children_forks_per_min"]
        p_timer, p_all = p["timer_forks_per_min"], p["median"]
        if b_own and p_timer:
            per_b, per_p = b_all / b_own, p_all / p_timer
            out.append(f"exec checks, forks: Berth {per_b:.2f} a check (1 by the daemon), podman {per_p:.2f} a check"
                       f" (1 by the timer); Berth / podman {per_b / per_p:.2f}")
    return "\n".join(out)


if __name__ == "__main__":
    main()
