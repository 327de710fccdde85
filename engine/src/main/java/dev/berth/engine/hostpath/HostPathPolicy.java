package dev.berth.engine.hostpath;

import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.RuntimeSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one policy for host paths a spec names: where a Snapshot may be mounted ({@link #checkMountPath})
 * and what a container may bind ({@link #checkBindSource}). Berth mounts as root, so without it anyone
 * allowed to write a spec could mount over {@code /etc} or hide Berth's own store.
 *
 * <p>Rules. A mount path must lie under one of {@code mount_path_roots} and must not be, lie under, or
 * contain a system directory ({@link #SYSTEM}) or one of Berth's own directories (root, state, log
 * directory, and whatever the daemon adds with {@link #protect}, e.g. the manifest directory). A bind
 * source must not be, lie under or contain one of Berth's own directories; a system directory there is
 * a warning, or refused with {@code refuse_system_bind_sources}. Paths are judged both as written and
 * with the symlinks of their existing part resolved, so a link under an allowed directory cannot point
 * elsewhere. Thread-safe.
 */
public final class HostPathPolicy {
    /** Host directories no spec may mount over, and whose binding into a container deserves a warning. */
    public static final List<Path> SYSTEM = List.of("/", "/etc", "/proc", "/sys", "/dev", "/run", "/boot", "/usr",
            "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var/run").stream().map(Path::of).toList();

    private final List<Path> mountRoots;
    private final boolean refuseSystemBinds;
    private final Map<Path, String> own = new ConcurrentHashMap<>();

    private HostPathPolicy(List<Path> mountRoots, boolean refuseSystemBinds) {
        this.mountRoots = List.copyOf(mountRoots);
        this.refuseSystemBinds = refuseSystemBinds;
    }

    /** The policy of {@code config}, protecting its root, state and log directories. */
    public static HostPathPolicy from(Config config, Path root, Path state) {
        HostPathPolicy p = new HostPathPolicy(config.get(HostPathSettings.MOUNT_PATH_ROOTS).stream().map(Path::of)
                .toList(), config.get(HostPathSettings.REFUSE_SYSTEM_BIND_SOURCES));
        p.protect(root, "Berth's root directory");
        p.protect(state, "Berth's state directory");
        p.protect(Path.of(config.get(RuntimeSettings.LOG_DIR)), "Berth's log directory (log_dir)");
        return p;
    }

    /** Adds one of Berth's own directories (e.g. the daemon's manifest directory), named {@code what}. */
    public void protect(Path dir, String what) {
        own.put(dir.toAbsolutePath().normalize(), what);
        resolved(dir).ifPresent(r -> own.putIfAbsent(r, what));
    }

    /**
     * Refuses (INVALID_ARGUMENT naming {@code field}) a mount path outside the allowed directories or
     * reaching a system or Berth directory.
     */
    public void checkMountPath(String field, String path) {
        Path p = Path.of(path).toAbsolutePath().normalize();
        List<Path> forms = forms(p);
        for (Path f : forms) {
            clash(f, SYSTEM, null).ifPresent(c -> {
                throw refused(field, path, c + "; mount snapshots under " + roots());
            });
            clash(f, List.copyOf(own.keySet()), own).ifPresent(c -> {
                throw refused(field, path, c + "; mount snapshots under " + roots());
            });
        }
        for (Path f : forms) {
            if (mountRoots.stream().noneMatch(r -> f.startsWith(r) || resolved(r).map(f::startsWith).orElse(false))) {
                throw refused(field, path, (f.equals(p) ? "it" : "it resolves to " + f + ", which")
                        + " is not under an allowed mount directory (" + roots() + "); add its directory to "
                        + "[plugins.\"dev.berth.v1\"] mount_path_roots to allow it");
            }
        }
    }

    /**
     * Refuses a bind source that reaches Berth's own directories (or, with
     * {@code refuse_system_bind_sources}, a system directory); returns the warning to show for a
     * system directory otherwise.
     */
    public Optional<String> checkBindSource(String field, String path) {
        Path p = Path.of(path).toAbsolutePath().normalize();
        String warning = null;
        for (Path f : forms(p)) {
            clash(f, List.copyOf(own.keySet()), own).ifPresent(c -> {
                throw refused(field, path, c + "; a container must not see or change Berth's own files");
            });
            Optional<String> sys = clash(f, SYSTEM, null);
            if (sys.isPresent()) {
                if (refuseSystemBinds) {
                    throw refused(field, path, sys.get() + " (refuse_system_bind_sources is set)");
                }
                warning = field + ": bind source " + path + ": " + sys.get() + "; the container can read"
                        + " (and without readOnly change) the host's own files";
            }
        }
        return Optional.ofNullable(warning);
    }

    private String roots() {
        List<String> s = new ArrayList<>();
        mountRoots.forEach(r -> s.add(r.toString()));
        return String.join(", ", s);
    }

    private static BerthException refused(String field, String path, String why) {
        return BerthException.invalid("%s: host path %s is refused: %s", field, path, why);
    }

    /** How {@code p} relates to one of {@code dirs}: is it, is under it, or contains it. */
    private static Optional<String> clash(Path p, List<Path> dirs, Map<Path, String> names) {
        for (Path d : dirs) {
            String name = names == null ? "the system directory " + d : names.get(d) + " " + d;
            if (p.equals(d)) {
                return Optional.of("it is " + name);
            }
            if (d.getNameCount() > 0 && p.startsWith(d)) {
                return Optional.of("it lies under " + name);
            }
            if (d.startsWith(p)) {
                return Optional.of("it contains " + name);
            }
        }
        return Optional.empty();
    }

    /** {@code p} as written, and with the symlinks of its existing part resolved when that differs. */
    private static List<Path> forms(Path p) {
        Optional<Path> r = resolved(p);
        return r.isEmpty() || r.get().equals(p) ? List.of(p) : List.of(p, r.get());
    }

    /** {@code p} with its longest existing prefix resolved by the kernel; empty when that fails. */
    private static Optional<Path> resolved(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(existing.toRealPath().resolve(existing.relativize(abs)).normalize());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
