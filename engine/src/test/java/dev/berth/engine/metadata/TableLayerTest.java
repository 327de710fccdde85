package dev.berth.engine.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tx, LabelTable and MemoryMirror on a real SQLite file. */
class TableLayerTest {
    record Thing(String name, long size, Instant at) {
    }

    @TempDir
    Path tmp;

    private static MetadataStore open(Path file) {
        MetadataStore md = MetadataStore.open(file);
        md.migrate("things", List.of(
                "CREATE TABLE things (name TEXT PRIMARY KEY, size INTEGER NOT NULL, at TEXT)",
                "CREATE TABLE thing_labels (name TEXT NOT NULL REFERENCES things(name) ON DELETE CASCADE, "
                        + "key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (name, key))"));
        return md;
    }

    private static Thing row(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Thing(rs.getString("name"), rs.getLong("size"), Tx.instant(rs, "at"));
    }

    @Test
    void rowsLabelsAndRollback() {
        LabelTable labels = new LabelTable("thing_labels", "name", "key", "value");
        Instant t = Instant.parse("2026-12-02T10:00:00.123Z");
        try (MetadataStore md = open(tmp.resolve("meta.db"))) {
            md.transaction(tx -> {
                tx.update("INSERT INTO things(name, size, at) VALUES(?,?,?)", "a", 3L, t);
                tx.update("INSERT INTO things(name, size, at) VALUES(?,?,?)", "b", 4, null);
                labels.replace(tx, "a", Map.of("x", "1", "y", "2"));
                labels.merge(tx, "a", Map.of("y", "3"));
                labels.remove(tx, "a", "x");
                return null;
            });
            assertEquals(List.of(new Thing("a", 3, t), new Thing("b", 4, null)),
                    md.query(tx -> tx.query("SELECT * FROM things ORDER BY name", TableLayerTest::row)));
            assertEquals(Map.of("y", "3"), md.query(tx -> labels.get(tx, "a")));
            assertEquals(Map.of("a", Map.of("y", "3")), md.query(labels::all));
            assertThrows(IllegalStateException.class, () -> md.transaction(tx -> {
                tx.update("DELETE FROM things WHERE name=?", "a");
                throw new IllegalStateException("roll back");
            }));
            boolean kept = md.query(tx -> tx.exists("SELECT 1 FROM things WHERE name=?", "a"));
            assertTrue(kept, "rolled back");
            md.transaction(tx -> tx.update("DELETE FROM things WHERE name=?", "a"));
            assertEquals(Map.of(), md.query(tx -> labels.get(tx, "a")), "labels go with their owner");
        }
        assertEquals("label k is 4097 bytes (key plus value); the limit is 4096",
                LabelTable.problem(Map.of("k", "v".repeat(4096))));
        assertNull(LabelTable.problem(Map.of("k", "v")));
    }

    /** PRAGMA synchronous: 2 is FULL, 1 NORMAL. */
    private static int synchronous(MetadataStore md) {
        return md.read(c -> {
            try (var s = c.createStatement(); var rs = s.executeQuery("PRAGMA synchronous")) {
                return rs.next() ? rs.getInt(1) : -1;
            }
        });
    }

    @Test
    void aCommitWithoutFsyncIsStillATransactionAndLeavesTheDefaultInForce() {
        try (MetadataStore md = open(tmp.resolve("meta.db"))) {
            assertEquals(2, synchronous(md));
            int seen = md.inTransaction(c -> {
                try (var s = c.createStatement(); var rs = s.executeQuery("PRAGMA synchronous")) {
                    rs.next();
                    int mode = rs.getInt(1);
                    s.executeUpdate("INSERT INTO things(name, size) VALUES('p', 1)");
                    return mode;
                }
            }, MetadataStore.Durability.PROCESS_CRASH);
            assertEquals(1, seen, "the relaxed commit runs with synchronous=NORMAL");
            assertEquals(2, synchronous(md), "and FULL is back for every other transaction");
            assertThrows(IllegalStateException.class, () -> md.inTransaction(c -> {
                try (var s = c.createStatement()) {
                    s.executeUpdate("DELETE FROM things WHERE name='p'");
                }
                throw new IllegalStateException("roll back");
            }, MetadataStore.Durability.PROCESS_CRASH));
            assertEquals(2, synchronous(md), "restored after a rollback too");
            boolean kept = md.query(tx -> tx.exists("SELECT 1 FROM things WHERE name=?", "p"));
            assertTrue(kept, "rolled back");
        }
        try (MetadataStore md = open(tmp.resolve("meta.db"))) {
            boolean there = md.query(tx -> tx.exists("SELECT 1 FROM things WHERE name=?", "p"));
            assertTrue(there, "the relaxed commit is in the database when it is opened again");
        }
    }

    @Test
    void aMirrorFollowsCommitsOnly() {
        try (MetadataStore md = open(tmp.resolve("meta.db"))) {
            md.transaction(tx -> tx.update("INSERT INTO things(name, size) VALUES(?,?)", "a", 1));
            MemoryMirror<String, Thing> m = MemoryMirror.load(md, "SELECT * FROM things", TableLayerTest::row, Thing::name);
            assertEquals(1, m.get("a").orElseThrow().size());
            Thing b = new Thing("b", 2, null);
            m.write(() -> md.transaction(tx -> tx.update("INSERT INTO things(name, size) VALUES(?,?)", "b", 2)),
                    (n, changes) -> changes.put(b));
            assertThrows(RuntimeException.class, () -> m.write(() -> md.transaction(
                    tx -> tx.update("INSERT INTO things(name, size) VALUES(?,?)", "b", 3)), // duplicate key
                    (n, changes) -> changes.put(new Thing("b", 3, null))));
            assertEquals(b, m.get("b").orElseThrow(), "a failed transaction does not reach the copy");
            assertEquals(List.of("a", "b"), m.list(x -> true).stream().map(Thing::name).toList());
            assertEquals(List.of("b"), m.range("b", "c").stream().map(Thing::name).toList());
            m.write(() -> md.transaction(tx -> tx.update("DELETE FROM things WHERE name=?", "a")),
                    (n, changes) -> changes.remove("a"));
            assertEquals(m.list(x -> true), MemoryMirror.load(md, "SELECT * FROM things", TableLayerTest::row,
                    Thing::name).list(x -> true), "the copy and the table agree");
        }
    }
}
