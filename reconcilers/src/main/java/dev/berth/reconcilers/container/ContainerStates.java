package dev.berth.reconcilers.container;

import dev.berth.engine.containers.ContainerExtensions;
import dev.berth.engine.containers.ContainerRecords;
import dev.berth.engine.errdefs.BerthException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Container reconciler's persisted state: one {@link ContainerRecord}, as JSON, kept in the
 * engine's container record as the extension {@value #EXTENSION} (so one record holds a container's
 * state; an older Berth's {@code container_state} rows are imported into it). Written before each
 * step that changes the node, so a daemon restart neither loses the last applied spec nor resets
 * the crash-loop backoff. Decoded records are kept while their text is unchanged (a resync reads
 * every one). Thread-safe (the dispatcher never runs two reconciles of one container at once).
 */
public final class ContainerStates {
    /** The extension name in the container record. */
    public static final String EXTENSION = ContainerRecords.LEGACY_STATE_EXTENSION;

    private record Decoded(String text, ContainerRecord record) {
    }

    private final ContainerExtensions store;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Map<String, Decoded> decoded = new ConcurrentHashMap<>();

    public ContainerStates(ContainerExtensions store) {
        this.store = store;
    }

    /** The record of {@code namespace/name}, if any. */
    public Optional<ContainerRecord> get(String namespace, String name) {
        Optional<String> text = store.extension(namespace, name, EXTENSION);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String key = namespace + "/" + name;
        Decoded d = decoded.get(key);
        if (d != null && d.text().equals(text.get())) {
            return Optional.of(d.record());
        }
        ContainerRecord rec = decode(namespace, name, text.get());
        decoded.put(key, new Decoded(text.get(), rec));
        return Optional.of(rec);
    }

    private ContainerRecord decode(String namespace, String name, String text) {
        try {
            return json.readValue(text, ContainerRecord.class);
        } catch (JacksonException e) {
            throw BerthException.internal("the Container reconciler's record of " + namespace + "/" + name
                    + " (container extension " + EXTENSION + ") is unreadable (" + e.getOriginalMessage()
                    + "); delete the container (berth containers rm " + name + ") to have it recreated", e);
        }
    }

    /** The text {@code record} is kept as (for a new container's config). */
    String encode(ContainerRecord record) {
        return json.writeValueAsString(record);
    }

    /** Stores {@code record} for {@code namespace/name}, whose container must exist, replacing any previous one. */
    public void put(String namespace, String name, ContainerRecord record) {
        store.setExtension(namespace, name, EXTENSION, encode(record));
    }

    /** Forgets {@code namespace/name}; fine when unknown or when its container is gone. */
    public void delete(String namespace, String name) {
        if (store.extension(namespace, name, EXTENSION).isPresent()) {
            store.setExtension(namespace, name, EXTENSION, null);
        }
        decoded.remove(namespace + "/" + name);
    }
}
