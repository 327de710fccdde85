package dev.berth.controller;

import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.reconcilers.ObjectLookup;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@link ObjectLookup} over the daemon's {@link ObjectStore}: typed copies via the codec. Thread-safe. */
public final class StoreLookup implements ObjectLookup {
    private final ObjectStore store;
    private final SpecCodec codec;

    public StoreLookup(ObjectStore store, SpecCodec codec) {
        this.store = store;
        this.codec = codec;
    }

    @Override
    public <T extends HasMetadata> Optional<T> get(ObjectRef ref, Class<T> type) {
        return store.get(ref).map(o -> decode(o, type));
    }

    @Override
    public <T extends HasMetadata> List<T> list(Class<T> type) {
        String kind = kindOf(type);
        List<T> out = new ArrayList<>();
        for (StoredObject o : store.list(kind)) {
            out.add(decode(o, type));
        }
        return out;
    }

    /** Decodes a stored object as {@code type}. */
    public <T> T decode(StoredObject o, Class<T> type) {
        return codec.jsonMapper().treeToValue(o.object(), type);
    }

    static String kindOf(Class<?> type) {
        return type.getSimpleName();
    }

}
