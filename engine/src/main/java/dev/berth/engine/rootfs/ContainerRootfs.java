package dev.berth.engine.rootfs;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.mount.Unmount;
import dev.berth.engine.snapshots.Kind;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.engine.unpack.Unpacker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A container's writable root file system: an active snapshot on its image's top chainID, mounted
 * on a directory (the task bundle's {@code rootfs}), as containerd's {@code WithNewSnapshot} plus the
 * shim's rootfs mount do. Every method observes before it acts, so each is idempotent and safe to
 * call again after a crash half way: {@link #prepare} unpacks only what is missing, reuses an
 * existing snapshot and mounts only when the directory is not a mount point; {@link #remove}
 * tolerates what is already gone. Used by the Container reconciler; {@code berth run IMAGE} uses
 * {@code ImageMounter}, which refuses a mounted target instead of reusing it. Thread-safe as long as
 * callers do not prepare the same key concurrently.
 */
public final class ContainerRootfs {
    /** Label on the snapshot naming the image record it was made from. */
    public static final String IMAGE_LABEL = "berth.dev/image";

    private final ContentStore content;
    private final ImageStore images;
    private final Unpacker unpacker;
    private final Function<String, Snapshotter> snapshotters;

    public ContainerRootfs(ContentStore content, ImageStore images, Unpacker unpacker,
            Function<String, Snapshotter> snapshotters) {
        this.content = content;
        this.images = images;
        this.unpacker = unpacker;
        this.snapshotters = snapshotters;
    }

    /** A mounted root file system: where, which snapshot, and the image it came from. Immutable. */
    public record Prepared(Path rootfs, String snapshotter, String key, ResolvedImage image,
            boolean createdSnapshot, boolean mounted) {
    }

    /** The image record {@code name} resolved for {@code matcher} (NOT_FOUND when absent). */
    public ResolvedImage resolve(String name, PlatformMatcher matcher) {
        Image image = images.get(name);
        return Images.resolve(content, image.target(), matcher);
    }

    /**
     * Makes {@code target} show the active snapshot {@code key} of image {@code name}: unpacks the
     * image into {@code snapshotter} when needed, prepares the snapshot when absent, and mounts it
     * when {@code target} is not already a mount point. A {@code key} that exists but is not an
     * active snapshot is FAILED_PRECONDITION.
     */
    public Prepared prepare(String name, String snapshotter, PlatformMatcher matcher, String key, Path target) {
        ResolvedImage image = resolve(name, matcher);
        Snapshotter sn = snapshotters.apply(snapshotter);
        Optional<SnapshotInfo> existing = stat(sn, key);
        boolean created = false;
        List<Mount> mounts;
        if (existing.isPresent()) {
            if (existing.get().kind() != Kind.ACTIVE) {
                throw BerthException.precondition("snapshot %s in %s is %s, not an active snapshot; remove it with: "
                        + "berth snapshots rm %s", key, sn.name(), existing.get().kind().label(), key);
            }
            mounts = sn.mounts(key);
        } else {
            Unpacker.Result r = unpacker.unpack(name, snapshotter, matcher);
            String parent = r.chainId() == null ? null : r.chainId().toString();
            mounts = sn.prepare(key, parent, Map.of(IMAGE_LABEL, name));
            created = true;
        }
        boolean mounted = false;
        try {
            Files.createDirectories(target);
            if (!MountTable.isMountPoint(target)) {
                Mount.mountAll(mounts, target);
                mounted = true;
            }
        } catch (IOException e) {
            throw BerthException.unavailable("cannot create rootfs directory %s: %s", target, e.getMessage());
        } catch (RuntimeException e) {
            Unmount.unmountAll(target);
            if (created) {
                removeSnapshot(sn, key);
            }
            throw e;
        }
        return new Prepared(target, sn.name(), key, image, created, mounted);
    }

    /** Whether snapshot {@code key} exists in {@code snapshotter}. */
    public boolean exists(String snapshotter, String key) {
        return snapshotters.apply(snapshotter).exists(key);
    }

    /** Whether {@code target} is a mount point now. */
    public static boolean isMounted(Path target) {
        return MountTable.isMountPoint(target);
    }

    /**
     * Unmounts {@code target}, removes snapshot {@code key} and then {@code target} itself when it is
     * an empty directory. Idempotent.
     */
    public void remove(String snapshotter, String key, Path target) {
        Unmount.unmountAll(target);
        removeSnapshot(snapshotters.apply(snapshotter), key);
        try {
            if (Files.isDirectory(target)) {
                try (var s = Files.list(target)) {
                    if (s.findAny().isEmpty()) {
                        Files.deleteIfExists(target);
                    }
                }
            }
        } catch (IOException e) {
            throw BerthException.unavailable("cannot remove rootfs directory %s: %s", target, e.getMessage());
        }
    }

    private static void removeSnapshot(Snapshotter sn, String key) {
        try {
            sn.remove(key);
        } catch (BerthException e) {
            if (e.category() != ErrorCategory.NOT_FOUND) {
                throw e;
            }
        }
    }

    private static Optional<SnapshotInfo> stat(Snapshotter sn, String key) {
        return sn.find(key);
    }
}
