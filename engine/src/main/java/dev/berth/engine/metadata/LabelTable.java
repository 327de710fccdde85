package dev.berth.engine.metadata;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Labels kept one row per key in a side table ({@code owner, key, value}, primary key
 * {@code (owner, key)}, rows deleted with their owner by {@code ON DELETE CASCADE}), as
 * containerd's bolt buckets keep them: read, merge, replace and remove per owner, with
 * containerd's size rule checked in one place. The table and column names are the existing
 * schema's (e.g. {@code content_labels(digest, key, value)}, {@code snapshot_labels(snapshot_id,
 * name, value)}). Immutable and thread-safe; the work runs in the caller's {@link Tx}.
 */
public final class LabelTable {
    /** containerd's limit: key plus value of one label. */
    public static final int MAX_LABEL_BYTES = 4096;
    private static final Pattern NAME = Pattern.compile("[a-z_]+");

    private final String table;
    private final String owner;
    private final String key;
    private final String value;

    /** The label table {@code table} with its owner, key and value column names. */
    public LabelTable(String table, String ownerColumn, String keyColumn, String valueColumn) {
        for (String n : new String[] {table, ownerColumn, keyColumn, valueColumn}) {
            if (!NAME.matcher(n).matches()) {
                throw new IllegalArgumentException("not a table or column name: " + n);
            }
        }
        this.table = table;
        this.owner = ownerColumn;
        this.key = keyColumn;
        this.value = valueColumn;
    }

    /** The labels of {@code ownerId}, by key. */
    public Map<String, String> get(Tx tx, Object ownerId) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String[] kv : tx.query("SELECT " + key + ", " + value + " FROM " + table + " WHERE " + owner + "=? ORDER BY "
                + key, rs -> new String[] {rs.getString(1), rs.getString(2)}, ownerId)) {
            out.put(kv[0], kv[1]);
        }
        return out;
    }

    /** Every owner's labels, by owner (as the owner column reads back as text). */
    public Map<String, Map<String, String>> all(Tx tx) throws SQLException {
        Map<String, Map<String, String>> out = new HashMap<>();
        for (String[] r : tx.query("SELECT " + owner + ", " + key + ", " + value + " FROM " + table + " ORDER BY " + key,
                rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})) {
            out.computeIfAbsent(r[0], k -> new LinkedHashMap<>()).put(r[1], r[2]);
        }
        return out;
    }

    /** Sets {@code labels} on {@code ownerId}, keeping its other labels. */
    public void merge(Tx tx, Object ownerId, Map<String, String> labels) throws SQLException {
        if (labels == null || labels.isEmpty()) {
            return;
        }
        // the stores check with their object's name first; this catches a store that forgot
        check(table.replace("_labels", "") + " " + ownerId, labels);
        try (PreparedStatement ps = tx.connection().prepareStatement("INSERT INTO " + table + "(" + owner + ", " + key
                + ", " + value + ") VALUES(?,?,?) ON CONFLICT(" + owner + ", " + key + ") DO UPDATE SET " + value
                + "=excluded." + value)) {
            for (Map.Entry<String, String> e : labels.entrySet()) {
                ps.setObject(1, ownerId);
                ps.setString(2, e.getKey());
                ps.setString(3, e.getValue());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Makes {@code labels} the whole label set of {@code ownerId}. */
    public void replace(Tx tx, Object ownerId, Map<String, String> labels) throws SQLException {
        tx.update("DELETE FROM " + table + " WHERE " + owner + "=?", ownerId);
        merge(tx, ownerId, labels);
    }

    /** Removes one label of {@code ownerId}, if set. */
    public void remove(Tx tx, Object ownerId, String labelKey) throws SQLException {
        tx.update("DELETE FROM " + table + " WHERE " + owner + "=? AND " + key + "=?", ownerId, labelKey);
    }

    /**
     * The first problem with {@code labels} under containerd's rule (non-empty key, a value, key plus
     * value at most {@link #MAX_LABEL_BYTES} bytes), or null when there is none.
     */
    public static String problem(Map<String, String> labels) {
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) {
                return "label keys must not be empty";
            }
            if (e.getValue() == null) {
                return "label " + e.getKey() + " has no value";
            }
            int n = e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
            if (n > MAX_LABEL_BYTES) {
                return "label " + e.getKey() + " is " + n + " bytes (key plus value); the limit is " + MAX_LABEL_BYTES;
            }
        }
        return null;
    }

    /**
     * Refuses {@code labels} of {@code object} (e.g. {@code container default/web}) that break
     * containerd's rule, with an error naming the object, the field and the fix. Every store that
     * keeps labels calls this before it writes them, as containerd's metadata store does.
     */
    public static void check(String object, Map<String, String> labels) {
        String problem = labels == null ? null : problem(labels);
        if (problem != null) {
            throw dev.berth.engine.errdefs.BerthException.invalid("%s: labels: %s; containerd's rule is a non-empty "
                    + "key and a value of at most %d bytes together: shorten it, or keep large data in a content "
                    + "blob and name its digest in the label", object, problem, MAX_LABEL_BYTES);
        }
    }
}
