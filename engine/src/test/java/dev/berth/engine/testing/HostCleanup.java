package dev.berth.engine.testing;

import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.mount.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a root test leaves on the host, removed in one place even when the test failed: the
 * containers runc still knows under a private runc root, a private cgroup parent, every mount under
 * the test's directory, and the directory itself. Steps run in reverse order of registration (the
 * test's own first), the fixed ones after them in dependency order (runc, then cgroups, then
 * mounts, then files); every step runs even when one before failed, and the failures are thrown
 * together at the end. Not thread-safe: one per test.
 */
public final class HostCleanup implements AutoCloseable {
    /** A clean-up step that may fail. */
    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    private final Path dir;
    private final Deque<Step> own = new ArrayDeque<>();
    private final List<String[]> runcRoots = new ArrayList<>();
    private final List<String> cgroups = new ArrayList<>();

    private HostCleanup(Path dir) {
        this.dir = dir;
    }

    /** Clean-up for {@code dir} (a private temp directory the test made): its mounts and its files. */
    public static HostCleanup under(Path dir) {
        return new HostCleanup(dir);
    }

    /** Also runs {@code step}, before the fixed steps and before steps registered earlier. */
    public HostCleanup then(Step step) {
        own.push(step);
        return this;
    }

    /**
     * Also force-deletes every container {@code runtime} (runc, crun) knows under {@code runcRoot},
     * one level of namespaces deep when {@code perNamespace} (Berth keeps one runc root per namespace).
     */
    public HostCleanup runcRoot(String runtime, Path runcRoot, boolean perNamespace) {
        runcRoots.add(new String[] {runtime, runcRoot.toString(), Boolean.toString(perNamespace)});
        return this;
    }

    /** Also removes the (empty once its tasks are gone) cgroup {@code parent} and what is under it. */
    public HostCleanup cgroup(String parent) {
        cgroups.add(parent);
        return this;
    }

    @Override
    public void close() {
        List<Throwable> errors = new ArrayList<>();
        for (Step s : own) {
            run(s, errors);
        }
        for (String[] r : runcRoots) {
            run(() -> deleteRuncContainers(r[0], Path.of(r[1]), Boolean.parseBoolean(r[2])), errors);
        }
        for (String c : cgroups) {
            run(() -> Cgroups.host().removeEmpty(c), errors);
        }
        if (dir != null && Files.exists(dir)) {
            run(() -> MountTable.cleanUnder(dir), errors);
            run(() -> FileTree.deleteRecursively(dir), errors);
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError("host clean-up failed: " + errors.get(0), errors.get(0));
            errors.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    private static void run(Step s, List<Throwable> errors) {
        try {
            s.run();
        } catch (Exception | AssertionError e) {
            errors.add(e);
        }
    }

    private static void deleteRuncContainers(String runtime, Path root, boolean perNamespace) throws Exception {
        if (!Files.isDirectory(root)) {
            return;
        }
        List<Path> roots = perNamespace ? list(root) : List.of(root);
        for (Path r : roots) {
            for (Path id : list(r)) {
                Process p = new ProcessBuilder(runtime, "--root", r.toString(), "delete", "--force",
                        id.getFileName().toString()).inheritIO().start();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(runtime + " delete --force " + id.getFileName() + " hung");
                }
            }
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).toList();
        }
    }
}
