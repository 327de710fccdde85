package dev.berth.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Debian 12 booted with a real systemd under {@code systemd-nspawn}, for tests of the package and
 * of {@code SystemdCgroup = true} on a node whose PID 1 is systemd (docs/packaging.md has the why of
 * each flag). The machine runs in child cgroups of its own in every v1 hierarchy (so the systemd
 * inside builds its slices there, not at the host's roots), on a private network (which also gives
 * it CAP_NET_ADMIN, without which runc cannot bring up a container's loopback), with the keyring
 * calls runc makes allowed. Commands run through {@code nsenter} into all of the machine's
 * namespaces, the cgroup namespace included. {@link #close()} powers it off (SIGKILL when it does
 * not stop) and removes its cgroups and nspawn's propagation directory; the caller removes the
 * directory it booted from. Not thread-safe: one test drives one machine.
 */
final class NspawnMachine implements AutoCloseable {
    /** One command's outcome inside the machine. */
    record Result(int exitCode, String stdout, String stderr) {
        String out() {
            return stdout.trim();
        }
    }

    private static final List<String> V1_CONTROLLERS = List.of("cpu", "cpuacct", "cpuset", "memory", "devices",
            "freezer", "blkio", "pids", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "cpu,cpuacct",
            "net_cls,net_prio");

    private final String name;
    private final Path log;
    private final List<Path> cgroups;
    private Process nspawn;
    private long pid1;
    private boolean forcedOff;

    private NspawnMachine(String name, Path log, List<Path> cgroups) {
        this.name = name;
        this.log = log;
        this.cgroups = cgroups;
    }

    /**
     * Boots {@code root} (a directory) as machine {@code name}, with {@code share} bound read-only at
     * /mnt/pkg, and waits until systemd reports the boot finished; then makes the cgroup controllers
     * writable inside and re-executes systemd so its units get real limits.
     */
    static NspawnMachine boot(String name, Path root, Path share, Path log) throws Exception {
        List<Path> cgroups = childCgroups(name);
        NspawnMachine m = new NspawnMachine(name, log, cgroups);
        try {
            m.start(root, share);
            m.waitBooted();
            m.writableCgroups();
            return m;
        } catch (Exception | Error e) {
            m.close();
            throw e;
        }
    }

    /** One directory per mounted v1 hierarchy: our own cgroup there plus {@code name}. */
    private static List<Path> childCgroups(String name) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length < 3 || f[1].isEmpty()) {
                continue; // the v2 tree has no memory controller here; nspawn does not need it
            }
            String dir = f[1].equals("name=systemd") ? "systemd" : f[1];
            if (!dir.equals("systemd") && !V1_CONTROLLERS.contains(dir)) {
                continue;
            }
            Path hierarchy = Path.of("/sys/fs/cgroup", dir);
            if (!Files.isDirectory(hierarchy)) {
                continue;
            }
            out.add(hierarchy.resolve(f[2].substring(1)).resolve(name));
        }
        return out;
    }

    private void start(Path root, Path share) throws IOException {
        for (Path c : cgroups) {
            Files.createDirectories(c);
            if (c.toString().startsWith("/sys/fs/cgroup/cpuset/")) {
                // a new cpuset has no CPUs and no memory nodes until told: take the parent's
                for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
                    Files.writeString(c.resolve(f), Files.readString(c.getParent().resolve(f)));
                }
            }
        }
        List<String> cmd = new ArrayList<>(List.of("sh", "-c",
                // the shell joins the machine's cgroups, then becomes nspawn
                "for d in \"$@\"; do echo $$ > \"$d/cgroup.procs\"; done; exec systemd-nspawn --keep-unit"
                        + " --register=no --quiet -b -D \"$ROOT\" -M \"$NAME\" --bind-ro=\"$SHARE:/mnt/pkg\""
                        + " --console=passive --private-network --system-call-filter='add_key keyctl request_key'",
                "nspawn-in-cgroups"));
        cgroups.forEach(c -> cmd.add(c.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("ROOT", root.toString());
        pb.environment().put("NAME", name);
        pb.environment().put("SHARE", share.toString());
        nspawn = pb.start();
    }

    private void waitBooted() throws Exception {
        // the machine's PID 1 is nspawn's child whose comm is systemd (a bounded wait: a hang guard,
        // not a timing assertion)
        for (int i = 0; i < 600 && pid1 == 0; i++) {
            if (!nspawn.isAlive()) {
                throw new AssertionError("systemd-nspawn exited " + nspawn.exitValue() + ": " + Files.readString(log));
            }
            for (ProcessHandle c : nspawn.toHandle().children().toList()) {
                if (comm(c.pid()).equals("systemd")) {
                    pid1 = c.pid();
                }
            }
            Thread.sleep(100);
        }
        if (pid1 == 0) {
            throw new AssertionError("no systemd came up in " + name + ": " + Files.readString(log));
        }
        awaitRunning();
    }

    private void awaitRunning() throws InterruptedException {
        // until systemd's bus is up, systemctl answers "offline" or nothing at all; --wait then waits
        // for the boot to finish (a bounded loop: a hang guard, not a timing assertion)
        Result r = null;
        for (int i = 0; i < 240; i++) {
            r = exec("systemctl", "is-system-running", "--wait");
            if (List.of("running", "degraded", "maintenance", "stopping").contains(r.out())) {
                break;
            }
            Thread.sleep(500);
        }
        // "degraded" is a booted system with a failed unit; say which, it may matter to the test
        if (!r.out().equals("running")) {
            throw new AssertionError("machine " + name + " booted '" + r.out() + "' (" + r.stderr().trim() + "): "
                    + exec("systemctl", "--failed", "--no-pager").out());
        }
    }

    /**
     * nspawn mounts the v1 controllers read-only: units would start and report limits that the
     * kernel never gets. Remounted read-write and with systemd re-executed, scopes get real cgroups.
     */
    private void writableCgroups() throws InterruptedException {
        String mounts = check("awk '$3 == \"cgroup\" && $4 ~ /(^|,)ro(,|$)/ { print $2 }' /proc/self/mounts");
        for (String m : mounts.lines().toList()) {
            check("mount -o remount,bind,rw " + m);
        }
        check("systemctl daemon-reexec");
        awaitRunning();
    }

    /** Runs {@code argv} in the machine's namespaces and returns what it did. */
    Result exec(String... argv) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(pid1), "-m", "-u", "-i", "-n",
                "-p", "-C", "--", "env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"));
        cmd.addAll(List.of(argv));
        try {
            Path out = Files.createTempFile("nspawn-out", ".txt");
            Path err = Files.createTempFile("nspawn-err", ".txt");
            try {
                Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                if (!p.waitFor(10, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new AssertionError("hung in " + name + ": " + String.join(" ", argv));
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs a shell line in the machine, which must succeed; returns its trimmed stdout. */
    String check(String script) {
        Result r = exec("sh", "-c", script);
        assertEquals(0, r.exitCode(), () -> "in " + name + ": " + script + "\nstdout: " + r.stdout() + "\nstderr: "
                + r.stderr());
        return r.out();
    }

    /** A shell line's trimmed stdout whatever its exit code. */
    String output(String script) {
        return exec("sh", "-c", script).out();
    }

    /**
     * Polls {@code script} until its output equals {@code expected}; fails with the last output (and
     * {@code context}'s) after {@code seconds}: a guard against hanging, not a speed assertion.
     */
    void await(String script, String expected, int seconds, String context) throws InterruptedException {
        String last = null;
        for (int i = 0; i < seconds * 2; i++) {
            last = output(script);
            if (last.equals(expected)) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(script + " printed '" + last + "', not '" + expected + "'\n" + output(context));
    }

    @Override
    public void close() throws Exception {
        List<Throwable> errors = new ArrayList<>();
        if (nspawn != null && nspawn.isAlive()) {
            // nspawn turns SIGTERM into a clean poweroff of the machine; a container left running (a
            // failed test) is a PID 1 that ignores SIGTERM, which systemd-shutdown waits 90 s for
            nspawn.destroy();
            if (!nspawn.waitFor(30, TimeUnit.SECONDS)) {
                forcedOff = true;
                killAll();
                if (!nspawn.waitFor(30, TimeUnit.SECONDS)) {
                    nspawn.destroyForcibly();
                    nspawn.waitFor(30, TimeUnit.SECONDS);
                    killAll();
                    errors.add(new AssertionError("machine " + name + " did not power off; killed"));
                }
            }
        }
        for (Path c : cgroups) {
            try {
                removeTree(c);
            } catch (IOException | RuntimeException e) {
                errors.add(e);
            }
        }
        try {
            Path propagate = Path.of("/run/systemd/nspawn/propagate", name);
            if (Files.exists(propagate)) {
                try (Stream<Path> s = Files.walk(propagate)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        } catch (IOException e) {
            errors.add(e);
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError("machine clean-up: " + errors.get(0), errors.get(0));
            errors.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    /** SIGKILL to every process in the machine's cgroups: nothing else runs there. */
    private void killAll() throws IOException {
        for (Path c : cgroups) {
            if (!Files.isDirectory(c)) {
                continue;
            }
            List<Path> procs;
            try (Stream<Path> s = Files.walk(c)) {
                procs = s.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList();
            }
            for (Path f : procs) {
                for (String pid : Files.readAllLines(f)) {
                    if (!pid.isBlank() && Long.parseLong(pid.trim()) != nspawn.pid()) {
                        ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            }
        }
    }

    /** The cgroup directories of the machine, deepest first (rmdir is the only way to remove one). */
    private static void removeTree(Path c) throws IOException {
        if (!Files.isDirectory(c)) {
            return;
        }
        List<Path> dirs;
        try (Stream<Path> s = Files.walk(c)) {
            dirs = s.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
        }
        for (Path d : dirs) {
            for (int i = 0; i < 50 && Files.exists(d); i++) {
                try {
                    Files.delete(d);
                } catch (IOException e) {
                    // still populated for a moment after the machine's last process exits
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted removing " + d, ie);
                    }
                }
            }
            if (Files.exists(d)) {
                throw new IOException("cgroup " + d + " is still in use");
            }
        }
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Whether this host can boot a machine: root, systemd-nspawn present (install-deps --test). */
    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/systemd-nspawn")) && Files.isExecutable(Path.of("/usr/sbin/debootstrap"));
    }

    String name() {
        return name;
    }

    /** After {@link #close()}: whether the machine powered off on SIGTERM, without a SIGKILL to its processes. */
    boolean poweredOffCleanly() {
        return nspawn != null && !nspawn.isAlive() && !forcedOff;
    }

    /** The host cgroup directories the machine ran in (gone after {@link #close()}). */
    List<Path> cgroups() {
        return List.copyOf(cgroups);
    }
}
