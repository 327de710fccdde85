package dev.berth.engine.containers;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.events.EngineEvent;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.metadata.LabelTable;
import dev.berth.engine.metadata.MemoryMirror;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.metadata.Tx;
import dev.berth.engine.oci.OciJson;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import tools.jackson.core.type.TypeReference;

/**
 * The container records (table {@code containers}, domain {@code containers}) of the metadata
 * database: one row per container, labels and extensions as JSON objects. Reads come from a
 * {@link MemoryMirror} (a resync reads every record; the engine owns its root alone), writes go to
 * SQLite first. Opening imports what an older Berth kept elsewhere (see {@link LegacyImport}).
 * Thread-safe.
 */
public final class ContainerRecords implements ContainerExtensions {
    static final String DDL = "CREATE TABLE IF NOT EXISTS containers (namespace TEXT NOT NULL, id TEXT NOT NULL, "
            + "image TEXT, snapshotter TEXT, snapshot_key TEXT, rootfs TEXT NOT NULL, bundle TEXT NOT NULL, "
            + "cgroups_path TEXT, runtime TEXT, platform TEXT, labels TEXT NOT NULL, extensions TEXT NOT NULL, "
            + "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (namespace, id))";
    private static final String SELECT = "SELECT namespace, id, image, snapshotter, snapshot_key, rootfs, bundle, "
            + "cgroups_path, runtime, platform, labels, extensions, created_at, updated_at FROM containers";
    private static final TypeReference<Map<String, String>> MAP = new TypeReference<>() { };

    private final MetadataStore md;
    private final Clock clock;
    private final EventBus events;
    private final MemoryMirror<String, ContainerInfo> mirror;

    private ContainerRecords(MetadataStore md, Clock clock, EventBus events) {
        this.md = md;
        this.clock = clock;
        this.events = events;
        md.migrate("containers", List.of(DDL));
        this.mirror = MemoryMirror.load(md, SELECT, ContainerRecords::row, ContainerRecords::key);
    }

    /** The extension that the rows of an older Berth's {@code container_state} table are imported into. */
    public static final String LEGACY_STATE_EXTENSION = LegacyImport.RECONCILER_EXTENSION;

    /**
     * Opens the table, first importing an older Berth's {@code container_state} and {@code tasks}
     * rows once (see {@link LegacyImport}); the containers service opens it so, and an owner's codec
     * can be tested on it alone.
     *
     * @param bundleOf the runtime's bundle directory of a container ({@code TaskRuntime::bundle})
     * @param defaultSnapshotter the snapshotter of imported rows that name none
     */
    public static ContainerRecords open(MetadataStore md, Clock clock, EventBus events,
            BiFunction<String, String, Path> bundleOf, String defaultSnapshotter) {
        new LegacyImport(bundleOf, defaultSnapshotter).run(md, clock);
        return new ContainerRecords(md, clock, events);
    }

    private static String key(String ns, String id) {
        return ns + "\u0000" + id;
    }

    private static String key(ContainerInfo c) {
        return key(c.namespace(), c.id());
    }

    private static ContainerInfo row(ResultSet rs) throws SQLException {
        String rootfs = rs.getString("rootfs");
        return new ContainerInfo(rs.getString("namespace"), rs.getString("id"), rs.getString("image"),
                rs.getString("snapshotter"), rs.getString("snapshot_key"), Path.of(rootfs), Path.of(rs.getString("bundle")),
                rs.getString("cgroups_path"), rs.getString("runtime"), rs.getString("platform"),
                map(rs.getString("labels")), map(rs.getString("extensions")), Tx.instant(rs, "created_at"),
                Tx.instant(rs, "updated_at"));
    }

    static Map<String, String> map(String json) {
        return json == null || json.isEmpty() ? Map.of() : OciJson.MAPPER.readValue(json, MAP);
    }

    static String json(Map<String, String> m) {
        return OciJson.MAPPER.writeValueAsString(m);
    }

    /** Inserts {@code c}; ALREADY_EXISTS when {@code namespace/id} has a record. */
    ContainerInfo insert(ContainerInfo c) {
        mirror.write(() -> md.transaction(tx -> {
            if (tx.exists("SELECT 1 FROM containers WHERE namespace=? AND id=?", c.namespace(), c.id())) {
                throw BerthException.alreadyExists("container %s/%s already exists; remove it first (berth containers "
                        + "rm %s, or delete its Container object)", c.namespace(), c.id(), c.id());
            }
            insert(tx, c);
            return c;
        }), (r, changes) -> changes.put(r));
        return c;
    }

    static void insert(Tx tx, ContainerInfo c) throws SQLException {
        LabelTable.check("container " + c.namespace() + "/" + c.id(), c.labels());
        tx.update("INSERT INTO containers(namespace, id, image, snapshotter, snapshot_key, rootfs, bundle, cgroups_path, "
                + "runtime, platform, labels, extensions, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                c.namespace(), c.id(), c.image(), c.snapshotter(), c.snapshotKey(), c.rootfs().toString(),
                c.bundle().toString(), c.cgroupsPath(), c.runtime(), c.platform(), json(c.labels()),
                json(c.extensions()), c.createdAt(), c.updatedAt());
    }

    /** Replaces the stored record of {@code c}'s id (labels, extensions, cgroups path may change). */
    void update(ContainerInfo c) {
        LabelTable.check("container " + c.namespace() + "/" + c.id(), c.labels());
        mirror.write(() -> md.transaction(tx -> {
            int n = tx.update("UPDATE containers SET cgroups_path=?, labels=?, extensions=?, updated_at=? "
                    + "WHERE namespace=? AND id=?", c.cgroupsPath(), json(c.labels()), json(c.extensions()),
                    c.updatedAt(), c.namespace(), c.id());
            if (n == 0) {
                throw BerthException.notFound("container %s/%s does not exist", c.namespace(), c.id());
            }
            return c;
        }), (r, changes) -> changes.put(r));
        events.publishIn(c.namespace(), EngineEvent.CONTAINER_UPDATE, Map.of("id", c.id(),
                "image", c.image() == null ? "" : c.image(), "snapshot_key",
                c.snapshotKey() == null ? "" : c.snapshotKey()), c.labels());
    }

    /** Removes the record; false when there was none. */
    boolean delete(String ns, String id) {
        return mirror.write(() -> md.transaction(tx -> tx.update("DELETE FROM containers WHERE namespace=? AND id=?",
                ns, id) > 0), (gone, changes) -> changes.remove(key(ns, id)));
    }

    public Optional<ContainerInfo> get(String ns, String id) {
        return mirror.get(key(ns, id));
    }

    /** Every record of {@code ns} (all when null), in namespace and id order. */
    public List<ContainerInfo> list(String ns) {
        return ns == null ? mirror.list(c -> true) : mirror.range(key(ns, ""), ns + "\u0001");
    }

    @Override
    public Optional<String> extension(String ns, String id, String name) {
        return get(ns, id).map(c -> c.extensions().get(name));
    }

    @Override
    public void setExtension(String ns, String id, String name, String value) {
        ContainerInfo c = get(ns, id).orElseThrow(() -> BerthException.notFound(
                "container %s/%s has no record to keep extension %s in", ns, id, name));
        if (java.util.Objects.equals(c.extensions().get(name), value)) {
            return;
        }
        update(c.withExtension(name, value, clock.instant()));
    }
}
