package dev.berth.engine.cgroups;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which cgroup hierarchy a node runs. {@link #V1} includes the "hybrid" layout (v1 controllers plus
 * an empty v2 tree at {@code unified/}), because every controller Berth uses is on v1 there.
 */
public enum CgroupVersion {
    /** Legacy or hybrid: one hierarchy per controller under {@code /sys/fs/cgroup/<controller>}. */
    V1,
    /** Unified: one hierarchy, {@code cgroup.controllers} at the mount root. */
    V2;

    /** Detects the layout of the cgroup tree mounted at {@code mountRoot} (normally /sys/fs/cgroup). */
    public static CgroupVersion detect(Path mountRoot) {
        return Files.exists(mountRoot.resolve("cgroup.controllers")) ? V2 : V1;
    }
}
