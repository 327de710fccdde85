package dev.berth.engine.content.local;

import dev.berth.engine.content.Info;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Blob records and labels in the metadata store (tables {@code content_blobs} and
 * {@code content_labels}, domain {@code content}). Thread-safe through the metadata store.
 */
final class BlobIndex {
    static final int MAX_LABEL_BYTES = 4096;

    private final MetadataStore md;

    BlobIndex(MetadataStore md) {
        this.md = md;
        md.migrate("content", List.of(
                "CREATE TABLE content_blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL, "
                        + "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
                "CREATE TABLE content_labels (digest TEXT NOT NULL REFERENCES content_blobs(digest) ON DELETE CASCADE, "
                        + "key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (digest, key))"));
    }

    static void validateLabels(Map<String, String> labels) {
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) {
                throw BerthException.invalid("label keys must not be empty");
            }
            if (e.getValue() == null) {
                throw BerthException.invalid("label %s has no value", e.getKey());
            }
            int n = e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
            if (n > MAX_LABEL_BYTES) {
                throw BerthException.invalid("label %s is %d bytes (key plus value); the limit is %d",
                        e.getKey(), n, MAX_LABEL_BYTES);
            }
        }
    }

    /** Inserts (or refreshes) the record of a committed blob, adding {@code labels}. */
    void put(Digest d, long size, Instant now, Map<String, String> labels) {
        md.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO content_blobs(digest, size, created_at, updated_at) "
                    + "VALUES(?,?,?,?) ON CONFLICT(digest) DO UPDATE SET size=excluded.size")) {
                ps.setString(1, d.toString());
                ps.setLong(2, size);
                ps.setString(3, now.toString());
                ps.setString(4, now.toString());
                ps.executeUpdate();
            }
            setLabels(c, d, labels);
            return null;
        });
    }

    Optional<Info> get(Digest d) {
        return md.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT size, created_at, updated_at FROM content_blobs WHERE digest=?")) {
                ps.setString(1, d.toString());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new Info(d, rs.getLong(1), Instant.parse(rs.getString(2)),
                            Instant.parse(rs.getString(3)), labels(c, d)));
                }
            }
        });
    }

    /** All records, by digest. */
    List<Info> all() {
        return md.read(c -> {
            Map<String, Map<String, String>> labels = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT digest, key, value FROM content_labels");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    labels.computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>()).put(rs.getString(2), rs.getString(3));
                }
            }
            List<Info> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT digest, size, created_at, updated_at FROM content_blobs ORDER BY digest");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Info(Digest.parse(rs.getString(1)), rs.getLong(2), Instant.parse(rs.getString(3)),
                            Instant.parse(rs.getString(4)), labels.getOrDefault(rs.getString(1), Map.of())));
                }
            }
            return out;
        });
    }

    /** Applies a label update (see ContentManager#update); empty when the blob has no record. */
    Optional<Info> update(Digest d, Map<String, String> labels, Set<String> fieldPaths, Instant now) {
        validateLabels(labels);
        boolean replaceAll = fieldPaths.isEmpty() || fieldPaths.contains("labels");
        for (String p : fieldPaths) {
            if (!p.equals("labels") && !p.startsWith("labels.")) {
                throw BerthException.invalid("cannot update field \"%s\" of content %s: only labels are mutable", p, d);
            }
        }
        boolean found = md.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE content_blobs SET updated_at=? WHERE digest=?")) {
                ps.setString(1, now.toString());
                ps.setString(2, d.toString());
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            if (replaceAll) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM content_labels WHERE digest=?")) {
                    ps.setString(1, d.toString());
                    ps.executeUpdate();
                }
                setLabels(c, d, labels);
            } else {
                for (String p : fieldPaths) {
                    String key = p.substring("labels.".length());
                    String value = labels.get(key);
                    if (value == null) {
                        try (PreparedStatement ps = c.prepareStatement("DELETE FROM content_labels WHERE digest=? AND key=?")) {
                            ps.setString(1, d.toString());
                            ps.setString(2, key);
                            ps.executeUpdate();
                        }
                    } else {
                        setLabels(c, d, Map.of(key, value));
                    }
                }
            }
            return true;
        });
        return found ? get(d) : Optional.empty();
    }

    boolean delete(Digest d) {
        return md.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM content_blobs WHERE digest=?")) {
                ps.setString(1, d.toString());
                return ps.executeUpdate() > 0;
            }
        });
    }

    private static void setLabels(Connection c, Digest d, Map<String, String> labels) throws SQLException {
        if (labels == null || labels.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO content_labels(digest, key, value) VALUES(?,?,?) "
                + "ON CONFLICT(digest, key) DO UPDATE SET value=excluded.value")) {
            for (Map.Entry<String, String> e : labels.entrySet()) {
                ps.setString(1, d.toString());
                ps.setString(2, e.getKey());
                ps.setString(3, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static Map<String, String> labels(Connection c, Digest d) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT key, value FROM content_labels WHERE digest=? ORDER BY key")) {
            ps.setString(1, d.toString());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }
}
