package dev.berth.engine.cgroups;

import java.nio.file.Path;
import java.util.Optional;

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

    /**
     * Every value containerd's cgroups metrics plugin reports for this cgroup, with its names and
     * labels, read from the files now; empty when the cgroup does not exist (a task that just went).
     */
    java.util.List<CgroupSample> samples(String relativePath);

    /**
     * The processes in the cgroup now ({@code cgroup.procs}: v1 from the pids hierarchy, else memory or
     * freezer), as {@code runc ps} lists them; empty when the cgroup does not exist.
     */
    java.util.List<Long> procs(String relativePath);

    /** A sampler for reading the same families of many cgroups repeatedly (metrics scrapes); close it after use. */
    CgroupSampler sampler();

    /** The limits written in the cgroup files now; NOT_FOUND when the cgroup does not exist. */
    Resources limits(String relativePath);

    /**
     * Whether the cgroup's freezer holds it frozen, read as runc reads it for {@code runc state}:
     * v1 {@code freezer.state} FROZEN with {@code freezer.self_freezing} 1 (frozen only through an
     * ancestor counts as thawed), v2 {@code cgroup.freeze} 1 with {@code frozen 1} in
     * {@code cgroup.events}. Empty when the files cannot settle it: missing or unreadable files, a
     * freeze still in progress ({@code FREEZING}, or {@code cgroup.freeze} 1 not yet frozen), or
     * content this reader does not know. Callers then ask the runtime itself.
     */
    Optional<Boolean> frozen(String relativePath);

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
