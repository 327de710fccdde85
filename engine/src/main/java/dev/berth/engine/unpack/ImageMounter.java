package dev.berth.engine.unpack;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.mount.Unmount;
import dev.berth.engine.snapshots.Snapshotter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Mounts an image's root file system on a directory and takes it down again, like
 * {@code ctr images mount} / {@code ctr images unmount}: the image is unpacked if needed, a
 * snapshot keyed {@code mount:<dir>} is made on its top chainID (a read-only view, or a writable
 * active snapshot with {@code rw}), and its mounts are mounted on the directory. Unmounting removes
 * that snapshot again. Thread-safe.
 */
public final class ImageMounter {
    private static final String PREFIX = "mount:";

    private final Unpacker unpacker;
    private final Function<String, Snapshotter> snapshotters;

    public ImageMounter(Unpacker unpacker, Function<String, Snapshotter> snapshotters) {
        this.unpacker = unpacker;
        this.snapshotters = snapshotters;
    }

    /** The snapshot key used for a mount on {@code dir}. */
    public static String key(Path dir) {
        return PREFIX + dir.toAbsolutePath().normalize();
    }

    /** Unpacks (if needed) and mounts {@code image} on {@code dir}; returns the mounts made. */
    public List<Mount> mount(String image, Path dir, String snapshotter, PlatformMatcher matcher, boolean rw) {
        if (!Files.isDirectory(dir)) {
            throw BerthException.invalid("mount point %s is not a directory; create it first", dir);
        }
        if (MountTable.isMountPoint(dir)) {
            throw BerthException.alreadyExists("%s is already a mount point; unmount it first", dir);
        }
        Unpacker.Result r = unpacker.unpack(image, snapshotter, matcher);
        Snapshotter sn = snapshotters.apply(snapshotter);
        String key = key(dir);
        String parent = r.chainId() == null ? null : r.chainId().toString();
        List<Mount> mounts = rw ? sn.prepare(key, parent, Map.of()) : sn.view(key, parent, Map.of());
        try {
            Mount.mountAll(mounts, dir);
        } catch (RuntimeException e) {
            Unmount.unmountAll(dir);
            sn.remove(key);
            throw e;
        }
        return mounts;
    }

    /** Unmounts {@code dir} and removes its snapshot; fine when either is already gone. */
    public void unmount(Path dir, String snapshotter) {
        Unmount.unmountAll(dir);
        try {
            snapshotters.apply(snapshotter).remove(key(dir));
        } catch (BerthException e) {
            if (e.category() != ErrorCategory.NOT_FOUND) {
                throw e;
            }
        }
    }
}
