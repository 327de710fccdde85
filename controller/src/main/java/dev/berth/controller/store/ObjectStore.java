package dev.berth.controller.store;

import dev.berth.crd.ObjectRef;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.metadata.MetadataStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The daemon's objects (specs with their status), kept in the metadata database so that a restart
 * resumes with the last applied specs and the last written status.
 *
 * <p>Semantics follow the Kubernetes API server for resources with a status subresource: an apply
 * that changes {@code spec} bumps {@code metadata.generation}; status writes never do; every write
 * bumps the store-wide {@code resourceVersion}; delete marks the object ({@code deletionTimestamp})
 * and {@link #remove} drops it once the reconciler has cleaned up the node. Each object remembers the
 * source that created it, so a source prunes only its own objects. Listeners are told of every change
 * after it is committed, on the writing thread.
 *
 * <p>The daemon is the only writer of its root (see the root lock), so every object is also kept in
 * memory: reads ({@link #get}, {@link #list}) never touch SQLite or parse JSON, and a status write
 * that changes nothing is recognised from its text without a transaction. Writes go to the database
 * first and reach the memory copy only once committed. Thread-safe.
 */
public final class ObjectStore {
    /** What happened to an object. */
    public enum Change { ADDED, MODIFIED, DELETED }

    /** What a write touched: the spec/metadata (an apply), the status, or the deletion request. */
    public enum Cause { APPLY, STATUS, DELETION, REMOVAL }

    /** A committed change; {@code object} is the new state (the last state for DELETED). */
    public record Event(Change change, Cause cause, StoredObject object) {
    }

    /** What an apply did. */
    public enum ApplyOutcome { CREATED, CONFIGURED, UNCHANGED }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final MetadataStore db;
    private final Clock clock;
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    /** Committed objects by key, in key order (the order of the SQL listings). */
    private final ConcurrentSkipListMap<ObjectRef, StoredObject> objects = new ConcurrentSkipListMap<>();
    /** The committed status of each object as JSON text, for the no-change check of status writes. */
    private final Map<ObjectRef, String> statusText = new ConcurrentHashMap<>();
    /** Serialises writers so the memory copy is updated in commit order. */
    private final Object writes = new Object();

    public ObjectStore(MetadataStore db, Clock clock) {
        this.db = db;
        this.clock = clock;
        db.migrate("objects", List.of(
                "CREATE TABLE objects (kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, "
                        + "uid TEXT NOT NULL, generation INTEGER NOT NULL, resource_version INTEGER NOT NULL, "
                        + "source TEXT NOT NULL, object TEXT NOT NULL, created TEXT NOT NULL, deletion TEXT, "
                        + "PRIMARY KEY (kind, namespace, name))",
                "CREATE TABLE object_counter (id INTEGER PRIMARY KEY CHECK (id = 1), resource_version INTEGER NOT NULL)",
                "INSERT INTO object_counter VALUES (1, 0)"));
        for (StoredObject o : query("SELECT * FROM objects", null)) {
            remember(o);
        }
    }

    private void remember(StoredObject o) {
        objects.put(o.key(), o);
        statusText.put(o.key(), JSON.writeValueAsString(o.status()));
    }

    private void forget(ObjectRef key) {
        objects.remove(key);
        statusText.remove(key);
    }

    public void addListener(Consumer<Event> l) {
        listeners.add(l);
    }

    public void removeListener(Consumer<Event> l) {
        listeners.remove(l);
    }

    /**
     * Creates or updates the spec (and labels/annotations) of an object from {@code source}. The
     * object must carry kind, metadata.name and metadata.namespace; its status is ignored. Fails with
     * FAILED_PRECONDITION when another source owns the object, unless {@code takeOver}.
     */
    public ApplyOutcome apply(ObjectNode given, String source, boolean takeOver) {
        ObjectNode desired = canonical(given);
        ObjectRef key = keyOf(desired);
        Event[] event = new Event[1];
        return commit(event, c -> {
            Optional<StoredObject> current = get(key);
            if (current.isEmpty()) {
                ObjectNode obj = desired.deepCopy();
                obj.remove("status");
                long rv = nextResourceVersion(c);
                Instant now = clock.instant();
                String uid = UUID.randomUUID().toString();
                ObjectNode meta = (ObjectNode) obj.get("metadata");
                meta.put("uid", uid).put("generation", 1).put("resourceVersion", Long.toString(rv))
                        .put("creationTimestamp", now.toString());
                StoredObject s = new StoredObject(key, uid, 1, rv, source, obj, now, null);
                write(c, s, true);
                event[0] = new Event(Change.ADDED, Cause.APPLY, s);
                return ApplyOutcome.CREATED;
            }
            StoredObject cur = current.get();
            if (!cur.source().equals(source) && !takeOver) {
                throw new BerthException(ErrorCategory.FAILED_PRECONDITION, key + " is managed by " + cur.source()
                        + "; change it there, or delete it there before applying it from " + source);
            }
            if (cur.deleting()) {
                throw new BerthException(ErrorCategory.FAILED_PRECONDITION, key
                        + " is being deleted; apply it again once the deletion has finished");
            }
            boolean specChanged = !cur.spec().equals(desired.path("spec"));
            boolean metaChanged = !cur.object().path("metadata").path("labels").equals(desired.path("metadata").path("labels"))
                    || !cur.object().path("metadata").path("annotations").equals(desired.path("metadata").path("annotations"));
            if (!specChanged && !metaChanged && cur.source().equals(source)) {
                return ApplyOutcome.UNCHANGED;
            }
            ObjectNode obj = cur.object().deepCopy();
            obj.set("spec", desired.path("spec").deepCopy());
            ObjectNode meta = (ObjectNode) obj.get("metadata");
            copyOrRemove(desired.path("metadata"), meta, "labels");
            copyOrRemove(desired.path("metadata"), meta, "annotations");
            long gen = cur.generation() + (specChanged ? 1 : 0);
            long rv = nextResourceVersion(c);
            meta.put("generation", gen).put("resourceVersion", Long.toString(rv));
            StoredObject s = new StoredObject(key, cur.uid(), gen, rv, source, obj, cur.created(), null);
            write(c, s, false);
            event[0] = new Event(Change.MODIFIED, Cause.APPLY, s);
            return ApplyOutcome.CONFIGURED;
        });
    }

    /**
     * The object as it reads back from the database: numbers parsed from text the same way (an int
     * 32 and a long 32 are different JSON nodes), so an unchanged spec compares equal.
     */
    public static ObjectNode canonical(ObjectNode o) {
        return (ObjectNode) JSON.readTree(JSON.writeValueAsString(o));
    }

    /**
     * Replaces the status of an object; never changes its generation. Returns the new state. A status
     * equal to the stored one (as JSON text) is not written.
     */
    public Optional<StoredObject> updateStatus(ObjectRef key, JsonNode given) {
        return updateStatus(key, JSON.writeValueAsString(given));
    }

    /** {@link #updateStatus(ObjectRef, JsonNode)} with the status as JSON text (an object). */
    public Optional<StoredObject> updateStatus(ObjectRef key, String text) {
        return updateStatus(key, text, -1).map(StatusUpdate::object);
    }

    /**
     * The outcome of a status write.
     *
     * @param object the object now
     * @param onBase whether the object was at the given base resourceVersion when the status was
     *     written, i.e. nothing but this status write changed it since the caller read it
     */
    public record StatusUpdate(StoredObject object, boolean onBase) {
    }

    /**
     * Replaces the status of an object read at {@code baseResourceVersion}; never changes its
     * generation. A status equal to the stored one (as JSON text) is not written. Empty when the
     * object does not exist.
     */
    public Optional<StatusUpdate> updateStatus(ObjectRef key, String text, long baseResourceVersion) {
        Event[] event = new Event[1];
        StatusUpdate result;
        synchronized (writes) {
            StoredObject cur = objects.get(key);
            if (cur == null) {
                return Optional.empty();
            }
            boolean onBase = cur.resourceVersion() == baseResourceVersion;
            if (text.equals(statusText.get(key))) {
                return Optional.of(new StatusUpdate(cur, onBase));
            }
            JsonNode status = JSON.readTree(text);
            if (cur.status().equals(status)) {
                statusText.put(key, text);
                return Optional.of(new StatusUpdate(cur, onBase));
            }
            db.inTransaction(c -> {
                ObjectNode obj = cur.object().deepCopy();
                obj.set("status", status);
                long rv = nextResourceVersion(c);
                ((ObjectNode) obj.get("metadata")).put("resourceVersion", Long.toString(rv));
                StoredObject s = new StoredObject(key, cur.uid(), cur.generation(), rv, cur.source(), obj,
                        cur.created(), cur.deletionTimestamp());
                write(c, s, false);
                event[0] = new Event(Change.MODIFIED, Cause.STATUS, s);
                return null;
            });
            objects.put(key, event[0].object());
            statusText.put(key, text);
            result = new StatusUpdate(event[0].object(), onBase);
        }
        fire(event[0]);
        return Optional.of(result);
    }

    /** Requests deletion: marks the object; returns false when it does not exist. Idempotent. */
    public boolean requestDeletion(ObjectRef key) {
        Event[] event = new Event[1];
        return commit(event, c -> {
            Optional<StoredObject> current = get(key);
            if (current.isEmpty()) {
                return false;
            }
            StoredObject cur = current.get();
            if (cur.deleting()) {
                return true;
            }
            Instant now = clock.instant();
            ObjectNode obj = cur.object().deepCopy();
            long rv = nextResourceVersion(c);
            ((ObjectNode) obj.get("metadata")).put("resourceVersion", Long.toString(rv))
                    .put("deletionTimestamp", now.toString());
            StoredObject s = new StoredObject(key, cur.uid(), cur.generation(), rv, cur.source(), obj, cur.created(), now);
            write(c, s, false);
            event[0] = new Event(Change.MODIFIED, Cause.DELETION, s);
            return true;
        });
    }

    /** Drops an object for good (after its cleanup). Idempotent. */
    public void remove(ObjectRef key) {
        Event[] event = new Event[1];
        commit(event, c -> {
            Optional<StoredObject> current = get(key);
            if (current.isPresent()) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM objects WHERE kind=? AND namespace=? AND name=?")) {
                    bindKey(ps, key);
                    ps.executeUpdate();
                }
                event[0] = new Event(Change.DELETED, Cause.REMOVAL, current.get());
            }
            return null;
        });
    }

    /**
     * Runs one write transaction under the writers' lock; the {@code event} it sets reaches the memory
     * copy once committed and the listeners after the lock is released.
     */
    private <T> T commit(Event[] event, MetadataStore.SqlWork<T> work) {
        T result;
        synchronized (writes) {
            result = db.inTransaction(work);
            Event e = event[0];
            if (e != null && e.change() == Change.DELETED) {
                forget(e.object().key());
            } else if (e != null) {
                remember(e.object());
            }
        }
        fire(event[0]);
        return result;
    }

    public Optional<StoredObject> get(ObjectRef key) {
        return Optional.ofNullable(objects.get(key));
    }

    /** Objects of {@code kind} (all kinds when null) in key order. */
    public List<StoredObject> list(String kind) {
        if (kind == null) {
            return List.copyOf(objects.values());
        }
        // "\0" sorts before every real namespace (an empty one would mean the default namespace)
        return List.copyOf(objects.subMap(new ObjectRef(kind, "\0", ""), true, new ObjectRef(kind + "\0", "\0", ""),
                false).values());
    }

    /** Objects created by {@code source}, in key order. */
    public List<StoredObject> listBySource(String source) {
        return objects.values().stream().filter(o -> o.source().equals(source)).toList();
    }

    /** The store-wide resourceVersion of the last write. */
    public long resourceVersion() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT resource_version FROM object_counter WHERE id=1");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    private List<StoredObject> query(String sql, String arg) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                if (arg != null) {
                    ps.setString(1, arg);
                }
                List<StoredObject> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
                return out;
            }
        });
    }

    private void fire(Event e) {
        if (e != null) {
            listeners.forEach(l -> l.accept(e));
        }
    }

    private static ObjectRef keyOf(ObjectNode o) {
        String kind = o.path("kind").asText("");
        String name = o.path("metadata").path("name").asText("");
        String ns = o.path("metadata").path("namespace").asText("");
        if (kind.isEmpty() || name.isEmpty() || ns.isEmpty()) {
            throw BerthException.invalid("an object needs kind, metadata.name and metadata.namespace (got %s/%s/%s)",
                    kind, ns, name);
        }
        return new ObjectRef(kind, ns, name);
    }

    private static void copyOrRemove(JsonNode from, ObjectNode to, String field) {
        if (from.has(field)) {
            to.set(field, from.get(field).deepCopy());
        } else {
            to.remove(field);
        }
    }

    private static long nextResourceVersion(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE object_counter SET resource_version = resource_version + 1 WHERE id=1 RETURNING resource_version");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void bindKey(PreparedStatement ps, ObjectRef key) throws SQLException {
        ps.setString(1, key.kind());
        ps.setString(2, key.namespace());
        ps.setString(3, key.name());
    }

    private static StoredObject row(ResultSet rs) throws SQLException {
        String deletion = rs.getString("deletion");
        return new StoredObject(
                new ObjectRef(rs.getString("kind"), rs.getString("namespace"), rs.getString("name")),
                rs.getString("uid"), rs.getLong("generation"), rs.getLong("resource_version"), rs.getString("source"),
                (ObjectNode) JSON.readTree(rs.getString("object")), Instant.parse(rs.getString("created")),
                deletion == null ? null : Instant.parse(deletion));
    }

    private static void write(Connection c, StoredObject s, boolean insert) throws SQLException {
        String sql = insert
                ? "INSERT INTO objects (uid, generation, resource_version, source, object, created, deletion, kind, namespace, name) "
                        + "VALUES (?,?,?,?,?,?,?,?,?,?)"
                : "UPDATE objects SET uid=?, generation=?, resource_version=?, source=?, object=?, created=?, deletion=? "
                        + "WHERE kind=? AND namespace=? AND name=?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, s.uid());
            ps.setLong(2, s.generation());
            ps.setLong(3, s.resourceVersion());
            ps.setString(4, s.source());
            ps.setString(5, JSON.writeValueAsString(s.object()));
            ps.setString(6, s.created().toString());
            ps.setString(7, s.deletionTimestamp() == null ? null : s.deletionTimestamp().toString());
            ps.setString(8, s.key().kind());
            ps.setString(9, s.key().namespace());
            ps.setString(10, s.key().name());
            ps.executeUpdate();
        }
    }
}
