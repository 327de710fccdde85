package dev.berth.engine.content.local;

import dev.berth.engine.content.Info;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.metadata.LabelTable;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Blob records and labels in the metadata store (tables {@code content_blobs} and
 * {@code content_labels}, domain {@code content}). Thread-safe through the metadata store.
 */
final class BlobIndex {
    private static final LabelTable LABELS = new LabelTable("content_labels", "digest", "key", "value");

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
        LabelTable.check("content", labels);
    }

    /** Inserts (or refreshes) the record of a committed blob, adding {@code labels}. */
    void put(Digest d, long size, Instant now, Map<String, String> labels) {
        md.transaction(tx -> {
            tx.update("INSERT INTO content_blobs(digest, size, created_at, updated_at) VALUES(?,?,?,?) "
                    + "ON CONFLICT(digest) DO UPDATE SET size=excluded.size", d.toString(), size, now, now);
            LABELS.merge(tx, d.toString(), labels);
            return null;
        });
    }

    Optional<Info> get(Digest d) {
        return md.query(tx -> {
            Optional<Info> bare = tx.first("SELECT digest, size, created_at, updated_at FROM content_blobs WHERE digest=?",
                    rs -> row(rs, Map.of()), d.toString());
            if (bare.isEmpty()) {
                return bare;
            }
            Info i = bare.get();
            return Optional.of(new Info(i.digest(), i.size(), i.createdAt(), i.updatedAt(), LABELS.get(tx, d.toString())));
        });
    }

    /** All records, by digest. */
    List<Info> all() {
        return md.query(tx -> {
            Map<String, Map<String, String>> labels = LABELS.all(tx);
            return tx.query("SELECT digest, size, created_at, updated_at FROM content_blobs ORDER BY digest",
                    rs -> row(rs, labels.getOrDefault(rs.getString(1), Map.of())));
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
        boolean found = md.transaction(tx -> {
            if (tx.update("UPDATE content_blobs SET updated_at=? WHERE digest=?", now, d.toString()) == 0) {
                return false;
            }
            if (replaceAll) {
                LABELS.replace(tx, d.toString(), labels);
            } else {
                for (String p : fieldPaths) {
                    String key = p.substring("labels.".length());
                    String value = labels.get(key);
                    if (value == null) {
                        LABELS.remove(tx, d.toString(), key);
                    } else {
                        LABELS.merge(tx, d.toString(), Map.of(key, value));
                    }
                }
            }
            return true;
        });
        return found ? get(d) : Optional.empty();
    }

    boolean delete(Digest d) {
        return md.transaction(tx -> tx.update("DELETE FROM content_blobs WHERE digest=?", d.toString()) > 0);
    }

    private static Info row(ResultSet rs, Map<String, String> labels) throws SQLException {
        return new Info(Digest.parse(rs.getString(1)), rs.getLong(2), Instant.parse(rs.getString(3)),
                Instant.parse(rs.getString(4)), labels);
    }
}
