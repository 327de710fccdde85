package dev.berth.engine.snapshots;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.mount.Mount;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A snapshotter keeps file-system snapshots in parent chains, with containerd's contract:
 *
 * <ul>
 *   <li>{@link #prepare} makes an <em>active</em> (writable) snapshot on top of a committed parent
 *       and returns the mounts that show it; {@link #view} makes a read-only <em>view</em>.</li>
 *   <li>{@link #commit} turns an active snapshot into a <em>committed</em> one under a new name
 *       (the chainID, for unpacked layers); the active key is gone afterwards. Views cannot be
 *       committed; actives and views can never be parents.</li>
 *   <li>Keys and names share one space. Prepare/View/Commit onto a taken key fail with
 *       ALREADY_EXISTS; an unknown key or parent fails with NOT_FOUND; a parent that is not
 *       committed, or a {@link #remove} of a snapshot that still has children, fails with
 *       FAILED_PRECONDITION.</li>
 *   <li>{@link #mounts} is defined for actives and views only. {@link #usage} counts what the
 *       snapshot itself holds, not its parents.</li>
 * </ul>
 *
 * <p>Implementations are thread-safe. The snapshotter never mounts anything itself: callers mount the
 * returned {@link Mount}s and unmount them before {@link #remove}.
 */
public interface Snapshotter extends AutoCloseable {
    /** The snapshotter's name ({@code overlayfs}, {@code native}). */
    String name();

    /** Information about {@code key}; NOT_FOUND when absent. */
    SnapshotInfo stat(String key);

    /**
     * Information about {@code key}, empty when absent: {@link #stat} for callers that ask whether a
     * snapshot exists (a reconcile does, every time) and should not pay for an exception.
     */
    default Optional<SnapshotInfo> find(String key) {
        try {
            return Optional.of(stat(key));
        } catch (BerthException e) {
            if (e.category() == ErrorCategory.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Whether snapshot {@code key} is recorded: {@link #find} without its parent chain and labels, for
     * a reconcile that only asks whether a container's rootfs snapshot is still there.
     */
    default boolean exists(String key) {
        return find(key).isPresent();
    }

    /** Replaces the labels of {@code key}; returns the updated information. */
    SnapshotInfo updateLabels(String key, Map<String, String> labels);

    /** Space used by {@code key} alone. */
    Usage usage(String key);

    /** The mounts of an active snapshot or a view. */
    List<Mount> mounts(String key);

    /** Creates an active snapshot {@code key} on {@code parent} (null for none); returns its mounts. */
    List<Mount> prepare(String key, String parent, Map<String, String> labels);

    /** Creates a read-only view {@code key} of {@code parent} (null for an empty one); returns its mounts. */
    List<Mount> view(String key, String parent, Map<String, String> labels);

    /** Commits active {@code key} as {@code name}, keeping its parent; {@code key} is removed. */
    void commit(String name, String key, Map<String, String> labels);

    /** Removes {@code key} and its data. Fails while it has children. */
    void remove(String key);

    /** Calls {@code fn} for every snapshot, in creation order. */
    void walk(Consumer<SnapshotInfo> fn);

    /**
     * Whether the files of snapshot {@code key} are where its record says (false: somebody removed them
     * behind the record's back, a drift to repair); NOT_FOUND without a record. True by default, for
     * snapshotters that keep no files of their own.
     */
    default boolean filesPresent(String key) {
        stat(key);
        return true;
    }

    /**
     * Deletes directories that no snapshot owns any more (left by a crash), unmounting anything left
     * mounted inside them. Idempotent. Run it when no prepare or unpack is in flight (at daemon
     * start): directories being built for a snapshot are not recorded yet.
     */
    void cleanup();

    @Override
    void close();
}
