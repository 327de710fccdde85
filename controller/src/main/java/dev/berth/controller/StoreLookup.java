package dev.berth.controller;

import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.reconcilers.ObjectLookup;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link ObjectLookup} over the daemon's {@link ObjectStore}. Decoded objects are kept per key and
 * resourceVersion and shared between callers (a resync looks up the same Image for each of its
 * Containers), so they must be treated as read-only; {@link #decodeCopy} gives a private instance.
 * Thread-safe.
 */
public final class StoreLookup implements ObjectLookup {
    private final ObjectStore store;
    private final SpecCodec codec;
    private final Map<ObjectRef, Decoded> shared = new ConcurrentHashMap<>();

    private record Decoded(long resourceVersion, Object object) {
    }

    public StoreLookup(ObjectStore store, SpecCodec codec) {
        this.store = store;
        this.codec = codec;
    }

    @Override
    public <T extends HasMetadata> Optional<T> get(ObjectRef ref, Class<T> type) {
        return store.get(ref).map(o -> decodeShared(o, type));
    }

    @Override
    public <T extends HasMetadata> List<T> list(Class<T> type) {
        String kind = kindOf(type);
        List<T> out = new ArrayList<>();
        for (StoredObject o : store.list(kind)) {
            out.add(decodeShared(o, type));
        }
        return out;
    }

    /** Decodes a stored object as {@code type} into a new instance the caller owns. */
    public <T> T decodeCopy(StoredObject o, Class<T> type) {
        return codec.jsonMapper().treeToValue(o.object(), type);
    }

    private <T> T decodeShared(StoredObject o, Class<T> type) {
        Decoded d = shared.get(o.key());
        if (d != null && d.resourceVersion() == o.resourceVersion() && type.isInstance(d.object())) {
            return type.cast(d.object());
        }
        T t = decodeCopy(o, type);
        shared.put(o.key(), new Decoded(o.resourceVersion(), t));
        return t;
    }

    /** Drops what is kept of a removed object. */
    public void forget(ObjectRef ref) {
        shared.remove(ref);
    }

    static String kindOf(Class<?> type) {
        return type.getSimpleName();
    }

}
