package dev.berth.engine.netns;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.mount.Unmount;
import dev.berth.engine.sys.Sys;
import dev.berth.engine.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Network namespaces pinned as files under one directory ({@code <state>/netns}), as containerd
 * pins a pod's namespace before CNI ADD: a new namespace is made by a thread of its own that
 * unshares its network namespace, bind-mounts {@code /proc/thread-self/ns/net} onto
 * {@code <dir>/<name>} and goes back to the namespace it came from. The bind mount keeps the
 * namespace alive without any process in it, so CNI plugins configure it before the pause process
 * exists, and it survives a restart of the daemon.
 *
 * <p>Thread-safe; {@link #create} and {@link #remove} are idempotent (a crash between creating the
 * file and mounting leaves an empty file that the next {@link #create} mounts over).
 */
public final class NetNamespaces {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,200}");
    private final Path dir;

    public NetNamespaces(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** The directory the namespaces are pinned in. */
    public Path dir() {
        return dir;
    }

    /** Where {@code name} is (or would be) pinned. */
    public Path path(String name) {
        if (!NAME.matcher(name).matches()) {
            throw BerthException.invalid("\"%s\" is not a network namespace name (letters, digits, '_', '.', '-')", name);
        }
        return dir.resolve(name);
    }

    /** Whether {@code path} is a pinned network namespace (an nsfs mount) now. */
    public static boolean isPinned(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        return MountTable.read().stream().anyMatch(m -> m.mountPoint().equals(abs) && "nsfs".equals(m.fsType()));
    }

    /** Creates and pins namespace {@code name} unless it is pinned already; its path. */
    public Path create(String name) {
        Path p = path(name);
        if (isPinned(p)) {
            return p;
        }
        try {
            Files.createDirectories(dir);
            if (!Files.exists(p)) {
                Files.createFile(p);
            }
        } catch (IOException e) {
            throw BerthException.unavailable("cannot create the network namespace file %s: %s", p, e.getMessage());
        }
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        // namespaces belong to a thread: a fresh one unshares, so no pooled thread is left inside
        Thread t = new Thread(() -> {
            try {
                pinNew(p);
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "berth-netns-" + name);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BerthException.internal("interrupted while creating network namespace " + p, e);
        }
        if (failure.get() != null) {
            throw BerthException.unavailable("cannot create network namespace %s: %s", p, failure.get().getMessage());
        }
        return p;
    }

    private static void pinNew(Path p) {
        int home = Sys.openNamespace(Path.of("/proc/thread-self/ns/net"));
        try {
            Sys.unshare(Sys.CLONE_NEWNET);
            try {
                Sys.mount("/proc/thread-self/ns/net", p, null, Sys.MS_BIND, null);
            } finally {
                // back home, so the thread (ending now anyway) never runs Java code in the new one
                Sys.setns(home, Sys.CLONE_NEWNET);
            }
        } finally {
            Sys.close(home);
        }
    }

    /** Unpins {@code name} and removes its file; the namespace ends with its last process. Idempotent. */
    public void remove(String name) {
        remove(path(name));
    }

    /** {@link #remove(String)} by path (a path from a Sandbox's status). */
    public void remove(Path p) {
        try {
            Unmount.unmountAll(p);
        } catch (SysException e) {
            Sys.umount(p, Sys.MNT_DETACH);
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw BerthException.unavailable("cannot remove the network namespace file %s: %s", p, e.getMessage());
        }
    }

    /** The names pinned (or left as empty files by a crash) in the directory. */
    public List<String> list() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<String> out = new ArrayList<>();
            s.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().forEach(out::add);
            return out;
        } catch (IOException e) {
            throw BerthException.unavailable("cannot list %s: %s", dir, e.getMessage());
        }
    }

    /** The pinned path of {@code name} when it is pinned now. */
    public Optional<Path> find(String name) {
        Path p = path(name);
        return isPinned(p) ? Optional.of(p) : Optional.empty();
    }
}
