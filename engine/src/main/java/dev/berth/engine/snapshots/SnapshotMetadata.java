package dev.berth.engine.snapshots;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.MetadataStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        Row r = find(c, key);
        if (r == null) {
            throw BerthException.notFound("snapshot %s does not exist in snapshotter %s", key, snapshotter);
        }
        return r;
    }

    /** Creates an active or view record; checks the key is free and the parent is committed. */
    public Row create(Connection c, String key, String parent, Kind kind, Map<String, String> labels)
            throws SQLException {
        if (key == null || key.isEmpty()) {
            throw BerthException.invalid("snapshot key must not be empty");
        }
        if (find(c, key) != null) {
            throw BerthException.alreadyExists("snapshot %s already exists in snapshotter %s", key, snapshotter);
        }
        Long parentId = null;
        if (parent != null && !parent.isEmpty()) {
            Row p = find(c, parent);
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
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO snapshots(snapshotter, key, parent_id, kind, "
                + "created, updated) VALUES(?,?,?,?,?,?)")) {
            ps.setString(1, snapshotter);
            ps.setString(2, key);
            ps.setObject(3, parentId);
            ps.setString(4, kind.label());
            ps.setLong(5, now);
            ps.setLong(6, now);
            ps.executeUpdate();
        }
        Row r = get(c, key);
        writeLabels(c, r.id(), labels);
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
        if (find(c, name) != null) {
            throw BerthException.alreadyExists("snapshot %s already exists in snapshotter %s", name, snapshotter);
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE snapshots SET key=?, kind=?, updated=?, size=?, inodes=? WHERE id=?")) {
            ps.setString(1, name);
            ps.setString(2, Kind.COMMITTED.label());
            ps.setLong(3, clock.millis());
            ps.setLong(4, usage.size());
            ps.setLong(5, usage.inodes());
            ps.setLong(6, r.id());
            ps.executeUpdate();
        }
        if (labels != null) {
            writeLabels(c, r.id(), labels);
        }
        return get(c, name);
    }

    /** Deletes the record of {@code key}; FAILED_PRECONDITION while children exist. */
    public Row remove(Connection c, String key) throws SQLException {
        Row r = get(c, key);
        try (PreparedStatement ps = c.prepareStatement("SELECT key FROM snapshots WHERE parent_id=? LIMIT 1")) {
            ps.setLong(1, r.id());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    throw BerthException.precondition("snapshot %s has children (e.g. %s); remove them first",
                            key, rs.getString(1));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM snapshots WHERE id=?")) {
            ps.setLong(1, r.id());
            ps.executeUpdate();
        }
        return r;
    }

    /** Replaces the labels of {@code key}. */
    public Row updateLabels(Connection c, String key, Map<String, String> labels) throws SQLException {
        Row r = get(c, key);
        writeLabels(c, r.id(), labels);
        try (PreparedStatement ps = c.prepareStatement("UPDATE snapshots SET updated=? WHERE id=?")) {
            ps.setLong(1, clock.millis());
            ps.setLong(2, r.id());
            ps.executeUpdate();
        }
        return get(c, key);
    }

    /** All records of this snapshotter, in creation order. */
    public List<Row> list(Connection c) throws SQLException {
        List<String> keys = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT key FROM snapshots WHERE snapshotter=? ORDER BY id")) {
            ps.setString(1, snapshotter);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
        }
        List<Row> out = new ArrayList<>();
        for (String k : keys) {
            out.add(get(c, k));
        }
        return out;
    }

    private Row find(Connection c, String key) throws SQLException {
        long id;
        Long parentId;
        Kind kind;
        Instant created;
        Instant updated;
        Usage usage;
        try (PreparedStatement ps = c.prepareStatement("SELECT id, parent_id, kind, created, updated, size, inodes "
                + "FROM snapshots WHERE snapshotter=? AND key=?")) {
            ps.setString(1, snapshotter);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                id = rs.getLong(1);
                long pid = rs.getLong(2);
                parentId = rs.wasNull() ? null : pid;
                kind = Kind.parse(rs.getString(3));
                created = Instant.ofEpochMilli(rs.getLong(4));
                updated = Instant.ofEpochMilli(rs.getLong(5));
                usage = new Usage(rs.getLong(6), rs.getLong(7));
            }
        }
        List<Long> chain = new ArrayList<>();
        String parentName = null;
        Long p = parentId;
        while (p != null) {
            chain.add(p);
            try (PreparedStatement ps = c.prepareStatement("SELECT key, parent_id FROM snapshots WHERE id=?")) {
                ps.setLong(1, p);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw BerthException.internal("snapshot " + key + " has a dangling parent id " + p, null);
                    }
                    if (parentName == null) {
                        parentName = rs.getString(1);
                    }
                    long next = rs.getLong(2);
                    p = rs.wasNull() ? null : next;
                }
            }
        }
        return new Row(id, new SnapshotInfo(key, parentName, kind, labels(c, id), created, updated), chain, usage);
    }

    private static Map<String, String> labels(Connection c, long id) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT name, value FROM snapshot_labels WHERE snapshot_id=?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    private static void writeLabels(Connection c, long id, Map<String, String> labels) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM snapshot_labels WHERE snapshot_id=?")) {
            ps.setLong(1, id);
            ps.executeUpdate();
        }
        if (labels == null) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO snapshot_labels(snapshot_id, name, value) VALUES(?,?,?)")) {
            for (Map.Entry<String, String> e : new LinkedHashMap<>(labels).entrySet()) {
                ps.setLong(1, id);
                ps.setString(2, e.getKey());
                ps.setString(3, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
