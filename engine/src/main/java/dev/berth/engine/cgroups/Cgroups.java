package dev.berth.engine.cgroups;

import java.nio.file.Path;

/**
 * Reads container cgroups on one node: usage ({@link #stats}) and the limits actually in force
 * ({@link #limits}, which a reconciler compares with the spec to find drift). A cgroup is named by
 * its path relative to the hierarchy root, e.g. {@code berth/default/web} (see {@link CgroupPaths}).
 * Implementations exist for v1 and v2 and read plain files only, so they work over a fixture tree.
 * Thread-safe; every call reads the files afresh.
 */
public interface Cgroups {

    /** The hierarchy version these files follow. */
    CgroupVersion version();

    /** Whether the cgroup exists (for v1: in the memory or pids hierarchy). */
    boolean exists(String relativePath);

    /** Current usage; NOT_FOUND when the cgroup does not exist. */
    CgroupStats stats(String relativePath);

    /** The limits written in the cgroup files now; NOT_FOUND when the cgroup does not exist. */
    Resources limits(String relativePath);

    /**
     * Removes the cgroup directory and its empty children in every hierarchy (runc removes the
     * container's own cgroup but never the parents it created). Ignores what does not exist; fails
     * when a cgroup still has processes.
     */
    void removeEmpty(String relativePath);

    /** The reader for the tree mounted at {@code mountRoot}, by its detected version. */
    static Cgroups at(Path mountRoot) {
        return CgroupVersion.detect(mountRoot) == CgroupVersion.V2 ? new V2Cgroups(mountRoot) : new V1Cgroups(mountRoot);
    }

    /** The node's own tree at /sys/fs/cgroup. */
    static Cgroups host() {
        return at(Path.of("/sys/fs/cgroup"));
    }
}
