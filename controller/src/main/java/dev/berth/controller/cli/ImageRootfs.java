package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.snapshots.SnapshotSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The root filesystem of {@code berth run IMAGE ID}: the image is unpacked if needed and a writable
 * snapshot on its top chainID is mounted at {@code <state>/tasks/<namespace>/<id>/rootfs} (the task's
 * bundle), as ctr does. {@link #release} takes it down after the task is deleted. Stateless.
 */
final class ImageRootfs {
    private ImageRootfs() {
    }

    /** A mounted rootfs and the image config that goes with it. */
    record Prepared(Path rootfs, ImageConfig config) {
    }

    /** The rootfs mount point of task {@code namespace/id}. */
    static Path target(Engine engine, String namespace, String id) {
        return engine.state().resolve("tasks").resolve(namespace).resolve(id).resolve("rootfs");
    }

    /** Unpacks and mounts {@code image} for task {@code namespace/id}. */
    static Prepared prepare(Engine engine, String namespace, String id, String image) {
        Path target = target(engine, namespace, id);
        if (MountTable.isMountPoint(target)) {
            throw BerthException.alreadyExists("%s is already mounted: container %s/%s exists; remove it with "
                    + "'berth containers rm %s' first", target, namespace, id, id);
        }
        PlatformMatcher matcher = Platforms.defaultMatcher();
        ImageConfig config = Images.resolve(engine.content(), engine.images().get(image).target(), matcher).config();
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw BerthException.unavailable("cannot create %s: %s", target, e.getMessage());
        }
        engine.imageMounter().mount(image, target, snapshotter(engine), matcher, true);
        return new Prepared(target, config);
    }

    /** Unmounts the task's image rootfs and removes its snapshot and directory; nothing to do when there is none. */
    static void release(Engine engine, String namespace, String id) {
        Path target = target(engine, namespace, id);
        if (!Files.isDirectory(target)) {
            return;
        }
        engine.imageMounter().unmount(target, snapshotter(engine));
        try {
            Files.deleteIfExists(target);
            Files.deleteIfExists(target.getParent());
        } catch (IOException e) {
            // a non-empty bundle or rootfs dir is not ours to remove
        }
    }

    private static String snapshotter(Engine engine) {
        return engine.config().get(SnapshotSettings.SNAPSHOTTER);
    }
}
