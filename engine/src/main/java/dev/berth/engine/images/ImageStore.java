package dev.berth.engine.images;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Image records: name → target descriptor, labels, created/updated times, kept in the metadata
 * store. The store does not check that the target's blobs exist; writers (pull, import) commit the
 * content first and the record last. Thread-safe; each call is one transaction.
 */
public interface ImageStore {

    /**
     * The image {@code name}.
     *
     * @throws BerthException NOT_FOUND when there is none
     */
    Image get(String name);

    /** The image {@code name}, if present. */
    Optional<Image> find(String name);

    /** Images {@code filter} accepts, ordered by name. */
    List<Image> list(Predicate<Image> filter);

    /** All images, ordered by name. */
    default List<Image> list() {
        return list(i -> true);
    }

    /**
     * Creates a record; timestamps are set to now.
     *
     * @throws BerthException ALREADY_EXISTS when the name is taken; INVALID_ARGUMENT for an empty
     *     name, a missing target or an invalid label
     */
    Image create(Image image);

    /**
     * Updates a record. {@code fieldPaths} empty means target and labels; otherwise any of
     * {@code target}, {@code labels} (all labels), {@code labels.<key>} (one label, removed when
     * absent from {@code image.labels()}).
     *
     * @throws BerthException NOT_FOUND when absent; INVALID_ARGUMENT for an unknown field path
     */
    Image update(Image image, Set<String> fieldPaths);

    /** Creates the record, or replaces target and labels of an existing one (keeping createdAt). */
    default Image put(Image image) {
        try {
            return create(image);
        } catch (BerthException e) {
            if (e.category() != ErrorCategory.ALREADY_EXISTS) {
                throw e;
            }
            return update(image, Set.of());
        }
    }

    /**
     * Deletes the record (not its content: that goes at garbage collection).
     *
     * @throws BerthException NOT_FOUND when absent
     */
    void delete(String name);
}
