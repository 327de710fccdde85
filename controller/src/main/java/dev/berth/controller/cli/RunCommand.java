package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.containers.ContainerConfig;
import dev.berth.engine.containers.Containers;
import dev.berth.engine.snapshots.SnapshotSettings;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.logs.CriLog;
import dev.berth.engine.runtime.spec.ContainerSpec;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth run [--rm] [-d] [--rootfs DIR] IMAGE ID [ARGS...]}, like {@code ctr run}: creates and
 * starts a task. In the foreground it streams the container's output and exits with its exit status;
 * {@code -d} returns once it runs. With {@code --rootfs} there is no IMAGE argument. The container is
 * made by the engine's containers service, as a Container object's is, whether this runs in-process
 * or in the daemon (forwarded).
 */
@Command(name = "run", description = "Run a container (in-process engine; the container outlives this command with -d).")
public final class RunCommand extends EngineCommand {
    @Option(names = "--rm", description = "Delete the task when it exits (not with -d).")
    boolean rm;

    @Option(names = {"-d", "--detach"}, description = "Return once the task runs.")
    boolean detach;

    @Option(names = "--rootfs", paramLabel = "DIR", description = "Run this unpacked root filesystem instead of an image.")
    Path rootfs;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE")
    List<String> env = new ArrayList<>();

    @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]")
    String user;

    @Option(names = {"-w", "--cwd"}, paramLabel = "DIR")
    String cwd;

    @Option(names = "--hostname")
    String hostname;

    @Option(names = "--entrypoint", paramLabel = "CMD", description = "Replace the image's entrypoint (drops its cmd).")
    String entrypoint;

    @Option(names = "--memory-limit", paramLabel = "SIZE", description = "Memory limit, e.g. 64m or 1073741824.")
    String memoryLimit;

    @Option(names = "--memory-reservation", paramLabel = "SIZE")
    String memoryReservation;

    @Option(names = "--cpu-shares")
    Long cpuShares;

    @Option(names = "--cpu-quota", paramLabel = "US")
    Long cpuQuota;

    @Option(names = "--cpu-period", paramLabel = "US")
    Long cpuPeriod;

    @Option(names = "--cpuset-cpus", paramLabel = "LIST")
    String cpusetCpus;

    @Option(names = "--pids-limit")
    Long pidsLimit;

    @Option(names = "--mount", paramLabel = "SRC:DST[:ro]", description = "Bind mount a host path.")
    List<String> mounts = new ArrayList<>();

    @Option(names = "--read-only", description = "Mount the root filesystem read-only.")
    boolean readOnly;

    @Option(names = "--net-host", description = "Share the host's network namespace (same as --net host).")
    boolean netHost;

    @Option(names = "--net", paramLabel = "host|none",
            description = "host: the host's network namespace; none (default): a namespace of its own with loopback only.")
    String net;

    @Parameters(paramLabel = "IMAGE ID [ARGS...]", arity = "1..*",
            description = "The image (omitted with --rootfs), the container id, and the command to run.")
    List<String> positional = new ArrayList<>();

    @Override
    protected int run(Engine engine) throws Exception {
        if (rm && detach) {
            throw BerthException.invalid("--rm and --detach cannot be used together");
        }
        List<String> pos = new ArrayList<>(positional);
        String image = rootfs == null ? pos.remove(0) : null;
        if (pos.isEmpty()) {
            throw BerthException.invalid("missing container ID: berth run %sID [ARGS...]", rootfs == null ? "IMAGE " : "--rootfs DIR ");
        }
        String id = pos.remove(0);
        TaskRuntime runtime = engine.runtime();
        Containers containers = engine.containers();
        ContainerConfig.Builder config = ContainerConfig.builder().spec(containerSpec(pos));
        if (image != null) {
            config.image(image).snapshotter(engine.config().get(SnapshotSettings.SNAPSHOTTER));
        } else {
            config.rootfs(rootfs.toAbsolutePath());
        }
        // the same path as the Container reconciler's: record, rootfs snapshot, bundle, spec, cgroup
        containers.create(namespace, id, config.build());
        try {
            containers.start(namespace, id);
        } catch (RuntimeException e) {
            containers.teardown(namespace, id, Duration.ZERO);
            throw e;
        }
        if (detach) {
            out().println(id);
            return 0;
        }
        if (Forwarding.forClient()) {
            // the client's signals are the client's: it forwards them (see ThinClient), not this daemon
            Forwarding.attached(namespace, id);
        } else {
            forwardSignals(runtime, id);
        }
        AtomicBoolean stopped = new AtomicBoolean();
        Thread follower = new Thread(() -> CriLog.follow(runtime.logPath(namespace, id), -1, e -> {
            (e.stderr() ? err() : out()).println(e.text());
            (e.stderr() ? err() : out()).flush();
        }, stopped::get, Duration.ofMillis(20)), "berth-run-logs");
        follower.start();
        TaskStatus done;
        do {
            done = runtime.waitForExit(namespace, id, Duration.ofHours(1));
        } while (done.exitCode() == null);
        stopped.set(true);
        follower.join();
        if (rm) {
            containers.teardown(namespace, id, Duration.ZERO);
        }
        if (done.oomKilled()) {
            err().println("berth: container " + id + " was killed by the OOM killer");
        }
        return done.exitCode();
    }

    /** Like ctr run: SIGINT, SIGTERM and SIGHUP sent to this command go to the container's init. */
    @SuppressWarnings("restriction")
    private void forwardSignals(TaskRuntime runtime, String id) {
        for (String name : List.of("INT", "TERM", "HUP")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                    try {
                        runtime.kill(namespace, id, s.getNumber(), false);
                    } catch (RuntimeException e) {
                        err().println("berth: forwarding SIG" + name + ": " + e.getMessage());
                    }
                });
            } catch (IllegalArgumentException e) {
                // the JVM reserves this signal here; leave its default
            }
        }
    }

    private ContainerSpec containerSpec(List<String> args) {
        ContainerSpec.Builder b = ContainerSpec.builder().args(args).env(env).user(user).workingDir(cwd)
                .hostname(hostname).readOnlyRootfs(readOnly);
        if (entrypoint != null) {
            b.command(entrypoint);
        }
        for (String m : mounts) {
            String[] p = m.split(":");
            if (p.length < 2 || p.length > 3 || p.length == 3 && !p[2].equals("ro") && !p[2].equals("rw")) {
                throw BerthException.invalid("--mount '%s' must be SRC:DST or SRC:DST:ro", m);
            }
            b.mount(RuntimeSpec.Mount.bind(Forwarding.path(p[0]).toAbsolutePath().toString(), p[1], p.length == 3 && p[2].equals("ro")));
        }
        if (net != null && !net.equals("host") && !net.equals("none")) {
            throw BerthException.invalid("--net '%s' must be host or none", net);
        }
        if (netHost && "none".equals(net)) {
            throw BerthException.invalid("--net-host and --net none contradict each other; give one");
        }
        if (netHost || "host".equals(net)) {
            b.hostNamespace("network");
        }
        b.resources(new Resources(size(memoryLimit, "--memory-limit"), size(memoryReservation, "--memory-reservation"),
                cpuShares, cpuQuota, cpuPeriod, cpusetCpus, pidsLimit));
        return b.build();
    }

    /** Parses 1024, 64k, 64m, 1g (binary units; an optional trailing "b"/"ib"). */
    static Long size(String s, String option) {
        if (s == null) {
            return null;
        }
        String t = s.trim().toLowerCase(Locale.ROOT).replaceAll("i?b$", "");
        long mult = 1;
        if (!t.isEmpty() && "kmgt".indexOf(t.charAt(t.length() - 1)) >= 0) {
            mult = 1L << (10 * ("kmgt".indexOf(t.charAt(t.length() - 1)) + 1));
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Long.parseLong(t) * mult;
        } catch (NumberFormatException e) {
            throw BerthException.invalid("%s '%s' is not a size such as 64m or 1073741824", option, s);
        }
    }
}
