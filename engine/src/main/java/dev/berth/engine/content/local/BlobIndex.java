package dev.berth.engine.content.local;

import dev.berth.engine.content.Info;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.LabelTable;
import dev.berth.engine.metadata.MemoryMirror;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.metadata.Tx;
import dev.berth.engine.oci.Digest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Blob records and labels in the metadata store (tables {@code content_blobs} and
 * {@code content_labels}, domain {@code content}), read from a {@link MemoryMirror} of both: a
 * client checks a blob's info on every step of a pull or run (ctr makes ~20 Content Info and Read
 * calls per {@code ctr run}), and a blob's record changes only when it is written, relabelled or
 * removed. Thread-safe.
 */
final class BlobIndex {
    private static final LabelTable LABELS = new LabelTable("content_labels", "digest", "key", "value");
    private static final String SELECT = "SELECT digest, size, created_at, updated_at FROM content_blobs";

    private final MetadataStore md;
    private final MemoryMirror<String, Info> mirror;

    BlobIndex(MetadataStore md) {
        this.md = md;
        md.migrate("content", List.of(
                "CREATE TABLE content_blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL, "
                        + "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
                "CREATE TABLE content_labels (digest TEXT NOT NULL REFERENCES content_blobs(digest) ON DELETE CASCADE, "
                        + "key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (digest, key))"));
        Map<String, Map<String, String>> labels = md.query(LABELS::all);
        this.mirror = MemoryMirror.load(md, SELECT, rs -> row(rs, labels.getOrDefault(rs.getString(1), Map.of())),
                i -> i.digest().toString());
    }

    static void validateLabels(Map<String, String> labels) {
        LabelTable.check("content", labels);
    }

    /** Inserts (or refreshes) the record of a committed blob, adding {@code labels}. */
    void put(Digest d, long size, Instant now, Map<String, String> labels) {
        mirror.write(() -> md.transaction(tx -> {
            tx.update("INSERT INTO content_blobs(digest, size, created_at, updated_at) VALUES(?,?,?,?) "
                    + "ON CONFLICT(digest) DO UPDATE SET size=excluded.size", d.toString(), size, now, now);
            LABELS.merge(tx, d.toString(), labels);
            return read(tx, d).orElseThrow();
        }), (info, changes) -> changes.put(info));
    }

    Optional<Info> get(Digest d) {
        return mirror.get(d.toString());
    }

    /** All records, by digest. */
    List<Info> all() {
        return mirror.list(i -> true);
    }

    /** The record as the transaction sees it. */
    private static Optional<Info> read(Tx tx, Digest d) throws SQLException {
        Optional<Info> bare = tx.first(SELECT + " WHERE digest=?", rs -> row(rs, Map.of()), d.toString());
        if (bare.isEmpty()) {
            return bare;
        }
        Info i = bare.get();
        return Optional.of(new Info(i.digest(), i.size(), i.createdAt(), i.updatedAt(), LABELS.get(tx, d.toString())));
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
        return mirror.write(() -> md.transaction(tx -> {
            if (tx.update("UPDATE content_blobs SET updated_at=? WHERE digest=?", now, d.toString()) == 0) {
                return Optional.<Info>empty();
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
            return read(tx, d);
        }), (info, changes) -> info.ifPresent(changes::put));
    }

    boolean delete(Digest d) {
        return mirror.write(() -> md.transaction(tx -> tx.update("DELETE FROM content_blobs WHERE digest=?", d.toString()) > 0),
                (deleted, changes) -> {
                    if (deleted) {
                        changes.remove(d.toString());
                    }
                });
    }

    private static Info row(ResultSet rs, Map<String, String> labels) throws SQLException {
        return new Info(Digest.parse(rs.getString(1)), rs.getLong(2), Instant.parse(rs.getString(3)),
                Instant.parse(rs.getString(4)), labels);
    }
}
