package dev.berth.engine.cgroups;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a container's cgroup lives under the two drivers, both as the {@code linux.cgroupsPath} the
 * OCI runtime is given and as the directory relative to the hierarchy root that {@link Cgroups}
 * reads.
 *
 * <ul>
 *   <li>cgroupfs: {@code <cgroup_parent>/<namespace>/<id>} (ctr's default is {@code /<namespace>/<id>}).
 *   <li>systemd ({@code SystemdCgroup = true}): {@code system.slice:berth:<namespace>-<id>}; runc then
 *       creates the transient unit {@code berth-<namespace>-<id>.scope} in {@code system.slice}.
 * </ul>
 * Immutable and thread-safe.
 */
public final class CgroupPaths {
    public static final String SYSTEMD_SLICE = "system.slice";
    public static final String SYSTEMD_PREFIX = "berth";

    private final boolean systemd;
    private final String parent;

    public CgroupPaths(boolean systemd, String parent) {
        this.systemd = systemd;
        this.parent = parent == null || parent.equals("/") ? "" : stripTrailing(parent);
    }

    private static String stripTrailing(String p) {
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    public boolean systemd() {
        return systemd;
    }

    /** The value for the OCI spec's {@code linux.cgroupsPath}. */
    public String specPath(String namespace, String id) {
        return systemd ? SYSTEMD_SLICE + ":" + SYSTEMD_PREFIX + ":" + namespace + "-" + id
                : parent + "/" + namespace + "/" + id;
    }

    /** The cgroup directory relative to the hierarchy root, for {@link Cgroups}. */
    public String relativePath(String namespace, String id) {
        return toRelative(specPath(namespace, id));
    }

    /** The directory holding all of one namespace's cgroups under the cgroupfs driver (null for systemd). */
    public String namespaceRelativePath(String namespace) {
        return systemd ? null : V1Cgroups.strip(parent + "/" + namespace);
    }

    /** Converts a {@code cgroupsPath} (either driver's form) to a path relative to the hierarchy root. */
    public static String toRelative(String specPath) {
        if (specPath.startsWith("/") || !specPath.contains(":")) {
            return V1Cgroups.strip(specPath);
        }
        String[] parts = specPath.split(":", -1);
        if (parts.length != 3) {
            throw BerthException.invalid("cgroupsPath '%s' must be /path or slice:prefix:name", specPath);
        }
        String slice = parts[0].isEmpty() ? SYSTEMD_SLICE : parts[0];
        String unit = parts[1].isEmpty() ? parts[2] + ".scope" : parts[1] + "-" + parts[2] + ".scope";
        return expandSlice(slice) + "/" + unit;
    }

    /** systemd nests {@code a-b-c.slice} as {@code a.slice/a-b.slice/a-b-c.slice}; {@code -.slice} is the root. */
    static String expandSlice(String slice) {
        if (slice.equals("-.slice")) {
            return "";
        }
        if (!slice.endsWith(".slice")) {
            throw BerthException.invalid("systemd slice '%s' must end in .slice", slice);
        }
        String name = slice.substring(0, slice.length() - ".slice".length());
        StringBuilder path = new StringBuilder();
        String prefix = "";
        for (String part : name.split("-")) {
            prefix = prefix.isEmpty() ? part : prefix + "-" + part;
            if (path.length() > 0) {
                path.append('/');
            }
            path.append(prefix).append(".slice");
        }
        return path.toString();
    }

    /**
     * Fails with a message naming the config key when the systemd driver is asked for on a node whose
     * PID 1 is not systemd. {@code procRoot} and {@code runRoot} are /proc and /run normally.
     */
    public static void requireSystemd(Path procRoot, Path runRoot, String configSource) {
        String comm = null;
        try {
            comm = Files.readString(procRoot.resolve("1/comm"), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            comm = "(unknown)";
        }
        if (comm.equals("systemd") && Files.isDirectory(runRoot.resolve("systemd/system"))) {
            return;
        }
        throw new BerthException(ErrorCategory.FAILED_PRECONDITION, "SystemdCgroup = true in " + configSource
                + " asks runc to let systemd manage container cgroups, but PID 1 on this node is '" + comm
                + "', not systemd. Set SystemdCgroup = false under [plugins.\"io.containerd.cri.v1.runtime\""
                + ".containerd.runtimes.runc.options] (version 3; [plugins.\"io.containerd.grpc.v1.cri\""
                + ".containerd.runtimes.runc.options] in version 2) to use the cgroupfs driver, or boot the "
                + "node with systemd.");
    }
}
