package dev.berth.controller.store;

import dev.berth.crd.Berth;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.status.BerthObject;
import dev.berth.crd.status.BerthStatus;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.metadata.MemoryMirror;
import dev.berth.engine.metadata.MetadataStore;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import dev.berth.engine.metadata.Tx;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;

/**
 * The daemon's objects (validated typed specs with their status), kept in the metadata database so
 * that a restart resumes with the last applied specs and the last written status.
 *
 * <p>Semantics follow the Kubernetes API server for resources with a status subresource: an apply
 * that changes {@code spec} bumps {@code metadata.generation}; status writes never do; every write
 * bumps the store-wide {@code resourceVersion}; delete marks the object ({@code deletionTimestamp})
 * and {@link #remove} drops it once the reconciler has cleaned up the node. Each object remembers the
 * source that created it, so a source prunes only its own objects. Listeners are told of every change
 * after it is committed, on the writing thread.
 *
 * <p>Objects are kept typed: sources hand in decoded, validated {@link CustomResource}s, readers get
 * {@link StoredObject}s holding typed objects that nobody changes (a write makes a new object; the
 * spec records are shared between versions). JSON is made only where bytes leave the process: the
 * row written to SQLite (and read back once, when the store opens) here, the local API and
 * Kubernetes elsewhere. Spec and status changes are recognised by the records' and status beans'
 * {@code equals}, so an unchanged apply or status write costs no transaction. The daemon is the
 * only writer of its root (see the root lock), so the memory copy is the truth once committed.
 * Thread-safe.
 */
public final class ObjectStore {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectStore.class);

    /** What happened to an object. */
    public enum Change { ADDED, MODIFIED, DELETED }

    /** What a write touched: the spec/metadata (an apply), the status, or the deletion request. */
    public enum Cause { APPLY, STATUS, DELETION, REMOVAL }

    /** A committed change; {@code object} is the new state (the last state for DELETED). */
    public record Event(Change change, Cause cause, StoredObject object) {
    }

    /** What an apply did. */
    public enum ApplyOutcome { CREATED, CONFIGURED, UNCHANGED }

    private static final SpecCodec CODEC = new SpecCodec();
    /** Rows are compact JSON in the codec's shape (null fields left out), as earlier versions wrote them. */
    private static final ObjectWriter ROW_WRITER = CODEC.jsonMapper().writer().without(SerializationFeature.INDENT_OUTPUT);

    private final MetadataStore db;
    private final Clock clock;
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    /** Committed objects by key, in key order (the order of the SQL listings); writers serialise on it. */
    private final MemoryMirror<ObjectRef, StoredObject> objects;
    private volatile long resourceVersion;

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
        objects = MemoryMirror.load(db, "SELECT * FROM objects", ObjectStore::row, StoredObject::key);
        db.query(tx -> {
            resourceVersion = tx.first("SELECT resource_version FROM object_counter WHERE id=1", rs -> rs.getLong(1))
                    .orElseThrow();
            return null;
        });
    }

    public void addListener(Consumer<Event> l) {
        listeners.add(l);
    }

    public void removeListener(Consumer<Event> l) {
        listeners.remove(l);
    }

    /**
     * Creates or updates the spec (and labels/annotations) of an object from {@code source}. The
     * object must carry metadata.name and metadata.namespace; its status is ignored, and the store
     * keeps its spec record (never change it afterwards). Fails with FAILED_PRECONDITION when another
     * source owns the object, unless {@code takeOver}.
     */
    public ApplyOutcome apply(CustomResource<?, ?> desired, String source, boolean takeOver) {
        ObjectRef key = keyOf(desired);
        Event[] event = new Event[1];
        return commit(event, c -> {
            StoredObject cur = objects.get(key).orElse(null);
            if (cur == null) {
                long rv = nextResourceVersion(c);
                Instant now = clock.instant();
                String uid = UUID.randomUUID().toString();
                ObjectMeta meta = new ObjectMetaBuilder(desired.getMetadata())
                        .withLabels(copy(orEmpty(desired.getMetadata().getLabels())))
                        .withAnnotations(copy(orEmpty(desired.getMetadata().getAnnotations()))).withUid(uid).withGeneration(1L)
                        .withResourceVersion(Long.toString(rv)).withCreationTimestamp(now.toString())
                        .withDeletionTimestamp(null).build();
                StoredObject s = new StoredObject(key, uid, 1, rv, source, build(desired, meta, null), now, null);
                // REPLACE: a row the store could not read back (see row) gives way to the new declaration
                write(c, s, true);
                event[0] = new Event(Change.ADDED, Cause.APPLY, s);
                return ApplyOutcome.CREATED;
            }
            if (!cur.source().equals(source) && !takeOver) {
                throw new BerthException(ErrorCategory.FAILED_PRECONDITION, key + " is managed by " + cur.source()
                        + "; change it there, or delete it there before applying it from " + source);
            }
            if (cur.deleting()) {
                throw new BerthException(ErrorCategory.FAILED_PRECONDITION, key
                        + " is being deleted; apply it again once the deletion has finished");
            }
            boolean specChanged = !Objects.equals(cur.spec(), desired.getSpec());
            Map<String, String> labels = orEmpty(desired.getMetadata().getLabels());
            Map<String, String> annotations = orEmpty(desired.getMetadata().getAnnotations());
            boolean metaChanged = !cur.labels().equals(labels) || !cur.annotations().equals(annotations);
            if (!specChanged && !metaChanged && cur.source().equals(source)) {
                return ApplyOutcome.UNCHANGED;
            }
            long gen = cur.generation() + (specChanged ? 1 : 0);
            long rv = nextResourceVersion(c);
            ObjectMeta meta = new ObjectMetaBuilder(cur.object().getMetadata()).withLabels(copy(labels))
                    .withAnnotations(copy(annotations)).withGeneration(gen).withResourceVersion(Long.toString(rv)).build();
            StoredObject s = new StoredObject(key, cur.uid(), gen, rv, source,
                    build(cur.object(), meta, specChanged ? desired.getSpec() : cur.spec(), cur.status()),
                    cur.created(), null);
            write(c, s, false);
            event[0] = new Event(Change.MODIFIED, Cause.APPLY, s);
            return ApplyOutcome.CONFIGURED;
        });
    }

    /**
     * Replaces the status of an object; never changes its generation. The store keeps {@code status}
     * itself: the caller hands it over and must not change it afterwards. A status equal to the
     * stored one is not written. Returns the object now; empty when it does not exist.
     */
    public Optional<StoredObject> updateStatus(ObjectRef key, BerthStatus status) {
        Event[] event = new Event[1];
        StoredObject now = objects.write(() -> {
            StoredObject cur = objects.get(key).orElse(null);
            if (cur == null || Objects.equals(cur.status(), status)) {
                return cur;
            }
            db.transaction(c -> {
                long rv = nextResourceVersion(c);
                ObjectMeta meta = new ObjectMetaBuilder(cur.object().getMetadata())
                        .withResourceVersion(Long.toString(rv)).build();
                StoredObject s = new StoredObject(key, cur.uid(), cur.generation(), rv, cur.source(),
                        build(cur.object(), meta, cur.spec(), status), cur.created(), cur.deletionTimestamp());
                write(c, s, false);
                event[0] = new Event(Change.MODIFIED, Cause.STATUS, s);
                return null;
            });
            return event[0].object();
        }, (o, changes) -> remember(event[0], changes));
        fire(event[0]);
        return Optional.ofNullable(now);
    }

    /** Requests deletion: marks the object; returns false when it does not exist. Idempotent. */
    public boolean requestDeletion(ObjectRef key) {
        Event[] event = new Event[1];
        return commit(event, c -> {
            StoredObject cur = objects.get(key).orElse(null);
            if (cur == null) {
                return false;
            }
            if (cur.deleting()) {
                return true;
            }
            Instant now = clock.instant();
            long rv = nextResourceVersion(c);
            ObjectMeta meta = new ObjectMetaBuilder(cur.object().getMetadata()).withResourceVersion(Long.toString(rv))
                    .withDeletionTimestamp(now.toString()).build();
            StoredObject s = new StoredObject(key, cur.uid(), cur.generation(), rv, cur.source(),
                    build(cur.object(), meta, cur.spec(), cur.status()), cur.created(), now);
            write(c, s, false);
            event[0] = new Event(Change.MODIFIED, Cause.DELETION, s);
            return true;
        });
    }

    /** Drops an object for good (after its cleanup). Idempotent. */
    public void remove(ObjectRef key) {
        Event[] event = new Event[1];
        commit(event, c -> {
            StoredObject cur = objects.get(key).orElse(null);
            if (cur != null) {
                c.update("DELETE FROM objects WHERE kind=? AND namespace=? AND name=?", key.kind(), key.namespace(),
                        key.name());
                event[0] = new Event(Change.DELETED, Cause.REMOVAL, cur);
            }
            return null;
        });
    }

    /**
     * Runs one write transaction under the writers' lock; the {@code event} it sets reaches the memory
     * copy once committed and the listeners after the lock is released.
     */
    private <T> T commit(Event[] event, MetadataStore.TxWork<T> work) {
        T result = objects.write(() -> db.transaction(work), (r, changes) -> remember(event[0], changes));
        fire(event[0]);
        return result;
    }

    /** Puts a committed change into the memory copy. */
    private void remember(Event e, MemoryMirror<ObjectRef, StoredObject>.Changes changes) {
        if (e == null) {
            return;
        }
        if (e.change() == Change.DELETED) {
            changes.remove(e.object().key());
        } else {
            changes.put(e.object());
            resourceVersion = e.object().resourceVersion();
        }
    }

    public Optional<StoredObject> get(ObjectRef key) {
        return objects.get(key);
    }

    /** Objects of {@code kind} (all kinds when null) in key order. */
    public List<StoredObject> list(String kind) {
        if (kind == null) {
            return objects.list(o -> true);
        }
        // "\0" sorts before every real namespace (an empty one would mean the default namespace)
        return objects.range(new ObjectRef(kind, "\0", ""), new ObjectRef(kind + "\0", "\0", ""));
    }

    /** Objects created by {@code source}, in key order. */
    public List<StoredObject> listBySource(String source) {
        return objects.list(o -> o.source().equals(source));
    }

    /** The store-wide resourceVersion of the last write. */
    public long resourceVersion() {
        return resourceVersion;
    }

    /** The object as JSON in the shape the local API serves and SQLite keeps (compact). */
    public static String toJson(StoredObject o) {
        return ROW_WRITER.writeValueAsString(o.object());
    }

    private void fire(Event e) {
        if (e != null) {
            listeners.forEach(l -> l.accept(e));
        }
    }

    /** The key of a decoded object; the kind comes from its class, so it is always a served one. */
    public static ObjectRef keyOf(CustomResource<?, ?> o) {
        String name = o.getMetadata() == null ? null : o.getMetadata().getName();
        String ns = o.getMetadata() == null ? null : o.getMetadata().getNamespace();
        if (name == null || name.isEmpty() || ns == null || ns.isEmpty()) {
            throw BerthException.invalid("an object needs kind, metadata.name and metadata.namespace (got %s/%s/%s)",
                    o.getKind(), ns, name);
        }
        return new ObjectRef(o.getKind(), ns, name);
    }

    /** A new object of {@code like}'s kind from its parts (the parts are shared, not copied). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static CustomResource<?, ?> build(CustomResource<?, ?> like, ObjectMeta meta, Object spec, Object status) {
        CustomResource o = ((BerthObject) like).shallowCopy();
        o.setMetadata(meta);
        o.setSpec(spec);
        o.setStatus(status);
        return o;
    }

    private static CustomResource<?, ?> build(CustomResource<?, ?> desired, ObjectMeta meta, Object status) {
        return build(desired, meta, desired.getSpec(), status);
    }

    private static Map<String, String> orEmpty(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }

    /** A map of the store's own (empty rather than null: what a row reads back as). */
    private static Map<String, String> copy(Map<String, String> m) {
        return new LinkedHashMap<>(m);
    }

    private static long nextResourceVersion(Tx tx) throws SQLException {
        return tx.first("UPDATE object_counter SET resource_version = resource_version + 1 WHERE id=1 "
                + "RETURNING resource_version", rs -> rs.getLong(1)).orElseThrow();
    }

    /** The row as a typed object; null (logged, row left as it is) when it no longer decodes. */
    private static StoredObject row(ResultSet rs) throws SQLException {
        ObjectRef key = new ObjectRef(rs.getString("kind"), rs.getString("namespace"), rs.getString("name"));
        Optional<Class<? extends CustomResource<?, ?>>> type = Berth.kindClass(key.kind());
        CustomResource<?, ?> object;
        try {
            object = reader(type.orElseThrow(() -> BerthException.invalid("kind %s is not served", key.kind())))
                    .readValue(rs.getString("object"));
        } catch (RuntimeException e) {
            LOG.error("stored object {} cannot be read ({}); it is left in the database untouched and not reconciled; "
                    + "apply it again to replace it", key, e.getMessage());
            return null;
        }
        String deletion = rs.getString("deletion");
        return new StoredObject(key, rs.getString("uid"), rs.getLong("generation"), rs.getLong("resource_version"),
                rs.getString("source"), object, Instant.parse(rs.getString("created")),
                deletion == null ? null : Instant.parse(deletion));
    }

    private static ObjectReader reader(Class<?> type) {
        return CODEC.jsonMapper().readerFor(type);
    }

    private static void write(Tx tx, StoredObject s, boolean insert) throws SQLException {
        String sql = insert
                ? "INSERT OR REPLACE INTO objects (uid, generation, resource_version, source, object, created, deletion, "
                        + "kind, namespace, name) VALUES (?,?,?,?,?,?,?,?,?,?)"
                : "UPDATE objects SET uid=?, generation=?, resource_version=?, source=?, object=?, created=?, deletion=? "
                        + "WHERE kind=? AND namespace=? AND name=?";
        tx.update(sql, s.uid(), s.generation(), s.resourceVersion(), s.source(), toJson(s), s.created(),
                s.deletionTimestamp(), s.key().kind(), s.key().namespace(), s.key().name());
    }
}
