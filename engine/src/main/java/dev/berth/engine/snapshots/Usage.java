package dev.berth.engine.snapshots;

/**
 * Resources one snapshot uses on its own, excluding its parents. Immutable.
 *
 * @param size   bytes (apparent size of each distinct inode)
 * @param inodes distinct inodes
 */
public record Usage(long size, long inodes) {
    public static final Usage ZERO = new Usage(0, 0);
}
