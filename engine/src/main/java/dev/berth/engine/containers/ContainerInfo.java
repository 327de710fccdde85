package dev.berth.engine.containers;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The one record of a container (table {@code containers}), as containerd's containers store keeps
 * it: what it runs, where its root file system and bundle are, its cgroup, labels, and the
 * extensions its owner keeps with it. The task (process, exit) is the runtime's, read through
 * {@link Containers#task}. Immutable.
 *
 * @param image        the image record it was made from; null for a rootfs directory
 * @param snapshotter  the snapshotter holding {@code snapshotKey}
 * @param snapshotKey  the active snapshot mounted on {@code rootfs}; null when the rootfs was given
 * @param rootfs       the root file system directory (the bundle's {@code rootfs} for an image)
 * @param bundle       the task bundle directory
 * @param cgroupsPath  the {@code linux.cgroupsPath} its task was given (null before the first task)
 * @param runtime      the runtime name ({@link Containers#RUNTIME})
 * @param platform     the platform the image was resolved for (null: the node's default)
 */
public record ContainerInfo(String namespace, String id, String image, String snapshotter, String snapshotKey,
        Path rootfs, Path bundle, String cgroupsPath, String runtime, String platform, Map<String, String> labels,
        Map<String, String> extensions, Instant createdAt, Instant updatedAt) {

    public ContainerInfo {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
    }

    /** The same record with extension {@code name} set to {@code value} (removed when null). */
    public ContainerInfo withExtension(String name, String value, Instant at) {
        Map<String, String> ext = new HashMap<>(extensions);
        if (value == null) {
            ext.remove(name);
        } else {
            ext.put(name, value);
        }
        return new ContainerInfo(namespace, id, image, snapshotter, snapshotKey, rootfs, bundle, cgroupsPath, runtime,
                platform, labels, ext, createdAt, at);
    }

    /** The same record after a new task was given {@code cgroups}. */
    public ContainerInfo withCgroupsPath(String cgroups, Instant at) {
        return new ContainerInfo(namespace, id, image, snapshotter, snapshotKey, rootfs, bundle, cgroups, runtime,
                platform, labels, extensions, createdAt, at);
    }

    /** The same record with {@code newLabels} in place of its labels. */
    public ContainerInfo withLabels(Map<String, String> newLabels, Instant at) {
        return new ContainerInfo(namespace, id, image, snapshotter, snapshotKey, rootfs, bundle, cgroupsPath, runtime,
                platform, newLabels, extensions, createdAt, at);
    }
}
