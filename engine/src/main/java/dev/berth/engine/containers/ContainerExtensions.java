package dev.berth.engine.containers;

import java.util.Optional;

/**
 * The part of a container record its owner keeps for itself: named opaque values (containerd's
 * container extensions), e.g. the Container reconciler's applied spec and restart state. Separate
 * from {@link Containers} so an owner's codec can be tested on the record table alone.
 * Implementations are thread-safe.
 */
public interface ContainerExtensions {

    /** Extension {@code name} of container {@code namespace/id}; empty when the container or value is absent. */
    Optional<String> extension(String namespace, String id, String name);

    /**
     * Sets extension {@code name} (removes it when {@code value} is null) and publishes
     * {@code /containers/update}. NOT_FOUND when the container has no record.
     */
    void setExtension(String namespace, String id, String name, String value);
}
