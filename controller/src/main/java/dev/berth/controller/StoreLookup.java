package dev.berth.controller;

import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.reconcilers.ObjectLookup;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link ObjectLookup} over the daemon's {@link ObjectStore}: the store's typed objects themselves,
 * shared with every other reader, so they must be treated as read-only. Thread-safe.
 */
public final class StoreLookup implements ObjectLookup {
    private final ObjectStore store;

    public StoreLookup(ObjectStore store) {
        this.store = store;
    }

    @Override
    public <T extends HasMetadata> Optional<T> get(ObjectRef ref, Class<T> type) {
        return store.get(ref).map(o -> type.cast(o.object()));
    }

    @Override
    public <T extends HasMetadata> List<T> list(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (StoredObject o : store.list(type.getSimpleName())) {
            out.add(type.cast(o.object()));
        }
        return out;
    }
}
