package dev.berth.reconcilers;

import dev.berth.crd.ObjectRef;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Optional;

/**
 * Read access to the other objects the daemon holds (with their last written status), for
 * reconcilers that depend on another object: a Container on its Image, a Snapshot on its Image or
 * parent Snapshot. The objects returned may be shared with other callers: read them, keep them, but
 * never modify them. Thread-safe.
 */
public interface ObjectLookup {
    /** The object at {@code ref} decoded as {@code type}, if it exists (also while it is being deleted). */
    <T extends HasMetadata> Optional<T> get(ObjectRef ref, Class<T> type);

    /** Every object of {@code type} in every namespace. */
    <T extends HasMetadata> List<T> list(Class<T> type);
}
