package dev.berth.engine.runtime.conmon;

import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.runtime.BusyboxRootfs;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskRuntimeContract;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.spec.ContainerSpec;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import dev.berth.engine.runtime.spec.SpecGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A runtime on private temp dirs (state, logs, metadata) and a private cgroup parent, with a busybox
 * rootfs; {@link #close()} removes every task, runc container, conmon, cgroup and dir it made, even
 * when a test failed half way.
 */
final class RuntimeFixture implements TaskRuntimeContract.Opened {
    final Path dir;
    final Path rootfs;
    final String cgroupParent;
    final String runtimeBinary;
    final boolean systemdCgroup;
    MetadataStore metadata;
    ConmonRuntime runtime;
    final String suffix = UUID.randomUUID().toString().substring(0, 8);

    RuntimeFixture(String runtimeBinary) throws IOException {
        this(runtimeBinary, false);
    }

    /** With {@code systemdCgroup}, tasks get scopes in system.slice (the cgroup parent is not used). */
    RuntimeFixture(String runtimeBinary, boolean systemdCgroup) throws IOException {
        this.runtimeBinary = runtimeBinary;
        this.systemdCgroup = systemdCgroup;
        this.dir = Files.createTempDirectory("berth-rt-");
        this.rootfs = BusyboxRootfs.create(dir.resolve("rootfs"));
        this.cgroupParent = "/berth-it-" + suffix;
        open();
    }

    RuntimeOptions options() {
        return new RuntimeOptions(dir.resolve("state"), dir.resolve("logs"), RuntimeOptions.which(runtimeBinary, "BinaryName"),
                RuntimeOptions.which("conmon", "conmon"), systemdCgroup, cgroupParent, 1024 * 1024, Clock.systemUTC());
    }

    void open() {
        metadata = MetadataStore.open(dir.resolve("root/meta.db"));
        runtime = ConmonRuntime.open(options(), metadata, "test");
    }

    /** Closes the runtime and store as a daemon shutdown does; tasks keep running. */
    void closeRuntime() {
        runtime.close();
        metadata.close();
        runtime = null;
        metadata = null;
    }

    @Override
    public TaskRuntime runtime() {
        return runtime;
    }

    @Override
    public Path rootfs() {
        return rootfs;
    }

    @Override
    public void shutDown() {
        closeRuntime();
    }

    @Override
    public TaskRuntime reopen() {
        if (runtime != null) {
            closeRuntime();
        }
        open();
        return runtime;
    }

    String id(String name) {
        return name + "-" + suffix;
    }

    RuntimeSpec spec(String id, ContainerSpec spec) {
        return SpecGenerator.generate(id, spec, null, rootfs, runtime.cgroupPaths().specPath("default", id));
    }

    TaskStatus run(String id, ContainerSpec spec) {
        runtime.create("default", id, spec(id, spec));
        runtime.start("default", id);
        return runtime.state("default", id);
    }

    @Override
    public void close() throws IOException {
        List<Throwable> errors = new ArrayList<>();
        if (runtime == null) {
            try {
                open();
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        if (runtime != null) {
            for (TaskStatus t : runtime.list(null)) {
                try {
                    runtime.delete(t.namespace(), t.id(), true);
                } catch (RuntimeException e) {
                    errors.add(e);
                }
            }
            closeRuntime();
        }
        // anything runc still knows in our private roots
        Path runcRoot = dir.resolve("state/runc");
        if (Files.isDirectory(runcRoot)) {
            try (Stream<Path> namespaces = Files.list(runcRoot)) {
                for (Path ns : namespaces.toList()) {
                    try (Stream<Path> ids = Files.list(ns)) {
                        for (Path id : ids.toList()) {
                            new ProcessBuilder(runtimeBinary, "--root", ns.toString(), "delete", "--force",
                                    id.getFileName().toString()).inheritIO().start().waitFor();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }
        // conmons whose pid files live in our bundles
        Path tasks = dir.resolve("state/tasks");
        if (Files.isDirectory(tasks)) {
            try (Stream<Path> s = Files.walk(tasks)) {
                for (Path p : s.filter(f -> f.getFileName().toString().equals("conmon.pid")).toList()) {
                    long pid = TaskFiles.readPid(p);
                    if (TaskFiles.alive(pid, "conmon")) {
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            }
        }
        try {
            Cgroups.host().removeEmpty(cgroupParent);
        } catch (RuntimeException e) {
            errors.add(e);
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError("cleanup failed: " + errors.get(0), errors.get(0));
            errors.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }
}
