package dev.berth.reconcilers.container;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.MetadataStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Container reconciler's persisted state, one {@link ContainerRecord} per container in table
 * {@code container_state} (domain {@code container_state}) of the engine's metadata database, as
 * JSON. Written before each step that changes the node, so a daemon restart neither loses the last
 * applied spec nor resets the crash-loop backoff. The daemon is the only writer of its root, so
 * records are also kept in memory once read or written (a resync reads every one of them).
 * Thread-safe (the dispatcher never runs two reconciles of one container at once; the store
 * serialises access).
 */
public final class ContainerStates {
    static final String DOMAIN = "container_state";
    static final List<String> MIGRATIONS = List.of(
            "CREATE TABLE container_state (namespace TEXT NOT NULL, name TEXT NOT NULL, record TEXT NOT NULL, "
                    + "PRIMARY KEY (namespace, name))");

    private final MetadataStore store;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Map<String, Optional<ContainerRecord>> cache = new ConcurrentHashMap<>();

    public ContainerStates(MetadataStore store) {
        this.store = store;
        store.migrate(DOMAIN, MIGRATIONS);
    }

    /** The record of {@code namespace/name}, if any. */
    public Optional<ContainerRecord> get(String namespace, String name) {
        String key = namespace + "/" + name;
        Optional<ContainerRecord> known = cache.get(key);
        if (known != null) {
            return known;
        }
        Optional<ContainerRecord> read = read(namespace, name);
        cache.put(key, read);
        return read;
    }

    private Optional<ContainerRecord> read(String namespace, String name) {
        String text = store.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT record FROM container_state WHERE namespace=? AND name=?")) {
                ps.setString(1, namespace);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(json.readValue(text, ContainerRecord.class));
        } catch (JacksonException e) {
            throw BerthException.internal("container_state record of " + namespace + "/" + name
                    + " in " + store.file() + " is unreadable (" + e.getOriginalMessage()
                    + "); delete the row to have the container recreated", e);
        }
    }

    /** Stores {@code record} for {@code namespace/name}, replacing any previous one. */
    public void put(String namespace, String name, ContainerRecord record) {
        String text = json.writeValueAsString(record);
        store.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO container_state(namespace, name, record) "
                    + "VALUES(?,?,?) ON CONFLICT(namespace, name) DO UPDATE SET record=excluded.record")) {
                ps.setString(1, namespace);
                ps.setString(2, name);
                ps.setString(3, text);
                return ps.executeUpdate();
            }
        });
        cache.put(namespace + "/" + name, Optional.of(record));
    }

    /** Forgets {@code namespace/name}; fine when unknown. */
    public void delete(String namespace, String name) {
        store.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM container_state WHERE namespace=? AND name=?")) {
                ps.setString(1, namespace);
                ps.setString(2, name);
                return ps.executeUpdate();
            }
        });
        cache.put(namespace + "/" + name, Optional.empty());
    }
}
