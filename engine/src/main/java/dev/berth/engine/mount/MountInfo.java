package dev.berth.engine.mount;

import java.nio.file.Path;

/**
 * One line of {@code /proc/self/mountinfo}: a mount in this process's mount namespace. Immutable.
 *
 * @param id          mount id
 * @param parentId    id of the mount this one is on
 * @param root        the directory of the source file system that is mounted (a bind mount of a
 *                    sub-directory shows it here)
 * @param mountPoint  where it is mounted
 * @param options     per-mount options (ro, nosuid, …)
 * @param fsType      file-system type (overlay, ext4, tmpfs, …)
 * @param source      mount source (device, "overlay", …)
 * @param superOptions per-superblock options (for overlay: lowerdir, upperdir, workdir, …)
 */
public record MountInfo(int id, int parentId, String root, Path mountPoint, String options, String fsType,
        String source, String superOptions) {

    /** Whether this mount point is {@code dir} itself or lies below it. */
    public boolean isAtOrUnder(Path dir) {
        return mountPoint.startsWith(dir.toAbsolutePath().normalize());
    }
}
