package dev.berth.engine.snapshots;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.metadata.LabelTable;
import dev.berth.engine.metadata.Tx;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The snapshot records of one snapshotter in the engine's SQLite store: key, kind, parent, labels,
 * times, and the usage measured at commit. Enforces the key-space rules of {@link Snapshotter}; the
 * snapshotter owns the directories. Every method takes the connection of a transaction the caller
 * opened with {@link MetadataStore#inTransaction}, so directory work and record changes commit or
 * roll back together. Thread-safe through the store's serialisation.
 */
public final class SnapshotMetadata {
    private static final List<String> MIGRATIONS = List.of(
            "CREATE TABLE snapshots (id INTEGER PRIMARY KEY AUTOINCREMENT, snapshotter TEXT NOT NULL, "
                    + "key TEXT NOT NULL, parent_id INTEGER REFERENCES snapshots(id), kind TEXT NOT NULL, "
                    + "created INTEGER NOT NULL, updated INTEGER NOT NULL, size INTEGER NOT NULL DEFAULT 0, "
                    + "inodes INTEGER NOT NULL DEFAULT 0, UNIQUE(snapshotter, key))",
            "CREATE TABLE snapshot_labels (snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE, "
                    + "name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(snapshot_id, name))",
            "CREATE INDEX snapshots_parent ON snapshots(parent_id)");

    /** One stored snapshot; {@code parentIds} lists the whole chain, nearest parent first. */
    public record Row(long id, SnapshotInfo info, List<Long> parentIds, Usage usage) {
    }

    private static final LabelTable LABELS = new LabelTable("snapshot_labels", "snapshot_id", "name", "value");

    private final MetadataStore store;
    private final String snapshotter;
    private final Clock clock;

    public SnapshotMetadata(MetadataStore store, String snapshotter, Clock clock) {
        this.store = store;
        this.snapshotter = snapshotter;
        this.clock = clock;
        store.migrate("snapshots", MIGRATIONS);
    }

    public MetadataStore store() {
        return store;
    }

    /** The record of {@code key}; NOT_FOUND when absent. */
    public Row get(Connection c, String key) throws SQLException {
        return find(c, key).orElseThrow(
                () -> BerthException.notFound("snapshot %s does not exist in snapshotter %s", key, snapshotter));
    }

    /** Creates an active or view record; checks the key is free and the parent is committed. */
    public Row create(Connection c, String key, String parent, Kind kind, Map<String, String> labels)
            throws SQLException {
        if (key == null || key.isEmpty()) {
            throw BerthException.invalid("snapshot key must not be empty");
        }
        if (find(c, key).isPresent()) {
            throw BerthException.alreadyExists("snapshot %s already exists in snapshotter %s", key, snapshotter);
        }
        Long parentId = null;
        if (parent != null && !parent.isEmpty()) {
            Row p = find(c, parent).orElse(null);
            if (p == null) {
                throw BerthException.notFound("parent snapshot %s of %s does not exist in snapshotter %s",
                        parent, key, snapshotter);
            }
            if (p.info().kind() != Kind.COMMITTED) {
                throw BerthException.precondition("parent %s of snapshot %s is %s; only committed snapshots can be "
                        + "parents (commit it first)", parent, key, p.info().kind().label());
            }
            parentId = p.id();
        }
        long now = clock.millis();
        long id = Tx.on(c).insert("INSERT INTO snapshots(snapshotter, key, parent_id, kind, created, updated) "
                + "VALUES(?,?,?,?,?,?)", snapshotter, key, parentId, kind.label(), now, now);
        writeLabels(c, id, key, labels);
        return get(c, key);
    }

    /** Turns active {@code key} into committed {@code name}, keeping its id and parent. */
    public Row commit(Connection c, String name, String key, Map<String, String> labels, Usage usage)
            throws SQLException {
        Row r = get(c, key);
        if (r.info().kind() != Kind.ACTIVE) {
            throw BerthException.precondition("snapshot %s is %s; only active snapshots can be committed",
                    key, r.info().kind().label());
        }
        if (find(c, name).isPresent()) {
            throw BerthException.alreadyExists("snapshot %s already exists in snapshotter %s", name, snapshotter);
        }
        Tx.on(c).update("UPDATE snapshots SET key=?, kind=?, updated=?, size=?, inodes=? WHERE id=?", name,
                Kind.COMMITTED.label(), clock.millis(), usage.size(), usage.inodes(), r.id());
        if (labels != null) {
            writeLabels(c, r.id(), name, labels);
        }
        return get(c, name);
    }

    /** Deletes the record of {@code key}; FAILED_PRECONDITION while children exist. */
    public Row remove(Connection c, String key) throws SQLException {
        Row r = get(c, key);
        Tx tx = Tx.on(c);
        Optional<String> child = tx.first("SELECT key FROM snapshots WHERE parent_id=? LIMIT 1", rs -> rs.getString(1),
                r.id());
        if (child.isPresent()) {
            throw BerthException.precondition("snapshot %s has children (e.g. %s); remove them first", key, child.get());
        }
        tx.update("DELETE FROM snapshots WHERE id=?", r.id());
        return r;
    }

    /** Replaces the labels of {@code key}. */
    public Row updateLabels(Connection c, String key, Map<String, String> labels) throws SQLException {
        Row r = get(c, key);
        writeLabels(c, r.id(), key, labels);
        Tx.on(c).update("UPDATE snapshots SET updated=? WHERE id=?", clock.millis(), r.id());
        return get(c, key);
    }

    /** All records of this snapshotter, in creation order. */
    public List<Row> list(Connection c) throws SQLException {
        List<String> keys = Tx.on(c).query("SELECT key FROM snapshots WHERE snapshotter=? ORDER BY id",
                rs -> rs.getString(1), snapshotter);
        List<Row> out = new ArrayList<>();
        for (String k : keys) {
            out.add(get(c, k));
        }
        return out;
    }

    /** The columns of one snapshots row, before its parent chain and labels are read. */
    private record Record(long id, Long parentId, Kind kind, Instant created, Instant updated, Usage usage) {
    }

    /** Whether {@code key} has a record. */
    public boolean exists(Connection c, String key) throws SQLException {
        return Tx.on(c).first("SELECT 1 FROM snapshots WHERE snapshotter=? AND key=?", rs -> Boolean.TRUE,
                snapshotter, key).isPresent();
    }

    /** The record of {@code key}, if there is one. */
    public Optional<Row> find(Connection c, String key) throws SQLException {
        Tx tx = Tx.on(c);
        Optional<Record> found = tx.first("SELECT id, parent_id, kind, created, updated, size, inodes "
                + "FROM snapshots WHERE snapshotter=? AND key=?", rs -> new Record(rs.getLong(1),
                        Tx.nullableLong(rs, "parent_id"), Kind.parse(rs.getString(3)), Instant.ofEpochMilli(rs.getLong(4)),
                        Instant.ofEpochMilli(rs.getLong(5)), new Usage(rs.getLong(6), rs.getLong(7))),
                snapshotter, key);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Record r = found.get();
        List<Long> chain = new ArrayList<>();
        String parentName = null;
        Long p = r.parentId();
        while (p != null) {
            chain.add(p);
            long at = p;
            String[] link = tx.first("SELECT key, parent_id FROM snapshots WHERE id=?",
                    rs -> new String[] {rs.getString(1), rs.getString(2)}, at)
                    .orElseThrow(() -> BerthException.internal("snapshot " + key + " has a dangling parent id " + at, null));
            if (parentName == null) {
                parentName = link[0];
            }
            p = link[1] == null ? null : Long.valueOf(link[1]);
        }
        Map<String, String> labels = new TreeMap<>(LABELS.get(tx, r.id()));
        return Optional.of(new Row(r.id(), new SnapshotInfo(key, parentName, r.kind(), labels, r.created(), r.updated()),
                chain, r.usage()));
    }

    private void writeLabels(Connection c, long id, String key, Map<String, String> labels) throws SQLException {
        LabelTable.check("snapshot " + key + " (" + snapshotter + ")", labels);
        LABELS.replace(Tx.on(c), id, labels == null ? null : new LinkedHashMap<>(labels));
    }
}
