package dev.berth.engine.content;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Digest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Information about committed blobs, their labels, and their removal. Only labels are mutable.
 * Thread-safe.
 *
 * <p>Labels follow containerd's rules: key plus value at most 4096 bytes; keys under
 * {@code containerd.io/} keep their containerd meaning (e.g. {@code containerd.io/gc.ref.content.l.0},
 * {@code containerd.io/uncompressed}, {@code containerd.io/distribution.source.<host>}).
 */
public interface ContentManager {

    /**
     * Returns the blob's info.
     *
     * @throws BerthException NOT_FOUND when the blob is not in the store
     */
    Info info(Digest digest);

    /** Whether the blob is committed in the store. */
    boolean exists(Digest digest);

    /**
     * Changes labels. With no {@code fieldPaths} the labels are replaced by {@code labels}; with
     * paths {@code labels.<key>} only those keys change (set from {@code labels}, or removed when
     * {@code labels} has no such key); the path {@code labels} replaces all.
     *
     * @return the updated info
     * @throws BerthException NOT_FOUND when absent; INVALID_ARGUMENT for an unknown field path or a
     *     label over the size limit
     */
    Info update(Digest digest, Map<String, String> labels, Set<String> fieldPaths);

    /** Sets one label, or removes it when {@code value} is null. */
    default Info setLabel(Digest digest, String key, String value) {
        return update(digest, value == null ? Map.of() : Map.of(key, value), Set.of("labels." + key));
    }

    /**
     * Calls {@code fn} with each blob that {@code filter} accepts, in digest order. {@link
     * ContentFilters} builds filters, including from containerd's filter syntax.
     */
    void walk(Predicate<Info> filter, Consumer<Info> fn);

    /** The blobs {@code filter} accepts, in digest order. */
    default List<Info> list(Predicate<Info> filter) {
        List<Info> out = new ArrayList<>();
        walk(filter, out::add);
        return out;
    }

    /**
     * Removes the blob and its labels.
     *
     * @throws BerthException NOT_FOUND when absent
     */
    void delete(Digest digest);

    /**
     * Re-reads the blob and checks it still hashes to {@code digest} (drift: a damaged disk or a
     * hand-edited file).
     *
     * @throws BerthException NOT_FOUND when absent; FAILED_PRECONDITION naming both digests when the
     *     bytes no longer match
     */
    void verify(Digest digest);
}
