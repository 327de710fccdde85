package dev.berth.engine.runtime.conmon;

import dev.berth.engine.metadata.MetadataStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The runtime's own record of each task in the metadata database (table {@code tasks}): what was
 * created, by which runtime binary, its monitor, and, once known, its exit. The record is written
 * before conmon starts, so a task on the node always has one. Rows read by {@link #get} are kept in
 * memory until this instance changes them (the runtime that owns a root is its only writer), since
 * each reconcile of a running container reads its row several times. Thread-safe (the store
 * serialises; a read that raced with a write of the same process is not kept).
 */
final class TaskRecords {
    static final String DOMAIN = "tasks";
    static final List<String> MIGRATIONS = List.of(
            "CREATE TABLE tasks (namespace TEXT NOT NULL, id TEXT NOT NULL, bundle TEXT NOT NULL, "
                    + "runtime TEXT NOT NULL, cgroup_path TEXT NOT NULL, log_path TEXT NOT NULL, "
                    + "pid INTEGER NOT NULL DEFAULT 0, monitor_pid INTEGER NOT NULL DEFAULT 0, "
                    + "created_at TEXT NOT NULL, started_at TEXT, exit_code INTEGER, exited_at TEXT, "
                    + "oom_killed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (namespace, id))");

    /** One row. */
    record Row(String namespace, String id, String bundle, String runtime, String cgroupPath, String logPath,
            long pid, long monitorPid, Instant createdAt, Instant startedAt, Integer exitCode, Instant exitedAt,
            boolean oomKilled) {
        String key() {
            return namespace + "/" + id;
        }
    }

    private final MetadataStore store;
    private final Map<String, Optional<Row>> rows = new ConcurrentHashMap<>();
    /** Bumped by every write, so a read that overlapped a write is not kept. */
    private final AtomicLong writes = new AtomicLong();

    TaskRecords(MetadataStore store) {
        this.store = store;
        store.migrate(DOMAIN, MIGRATIONS);
    }

    /** Inserts; false when the task already has a record. */
    boolean insert(Row r) {
        return write(r.namespace(), r.id(), c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO tasks(namespace, id, bundle, runtime, "
                    + "cgroup_path, log_path, created_at) VALUES(?,?,?,?,?,?,?) ON CONFLICT DO NOTHING")) {
                ps.setString(1, r.namespace());
                ps.setString(2, r.id());
                ps.setString(3, r.bundle());
                ps.setString(4, r.runtime());
                ps.setString(5, r.cgroupPath());
                ps.setString(6, r.logPath());
                ps.setString(7, r.createdAt().toString());
                return ps.executeUpdate() == 1;
            }
        });
    }

    void setPids(String ns, String id, long pid, long monitorPid) {
        update(ns, id, "UPDATE tasks SET pid=?, monitor_pid=? WHERE namespace=? AND id=?", pid, monitorPid, ns, id);
    }

    /** Records the exit once; false when an exit was already recorded. */
    boolean setExit(String ns, String id, int code, Instant at, boolean oom) {
        return update(ns, id, "UPDATE tasks SET exit_code=?, exited_at=?, oom_killed=? WHERE namespace=? AND id=? "
                + "AND exit_code IS NULL", code, at.toString(), oom ? 1 : 0, ns, id) == 1;
    }

    void delete(String ns, String id) {
        update(ns, id, "DELETE FROM tasks WHERE namespace=? AND id=?", ns, id);
    }

    Optional<Row> get(String ns, String id) {
        String key = ns + "/" + id;
        Optional<Row> known = rows.get(key);
        if (known != null) {
            return known;
        }
        long before = writes.get();
        List<Row> found = query("SELECT * FROM tasks WHERE namespace=? AND id=?", ns, id);
        Optional<Row> row = found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
        synchronized (rows) {
            if (writes.get() == before) {
                rows.put(key, row);
            }
        }
        return row;
    }

    /** Rows of {@code ns}, or all when null, ordered by namespace and id. */
    List<Row> list(String ns) {
        return ns == null ? query("SELECT * FROM tasks ORDER BY namespace, id")
                : query("SELECT * FROM tasks WHERE namespace=? ORDER BY id", ns);
    }

    /** Rows without a recorded exit. */
    List<Row> pending() {
        return query("SELECT * FROM tasks WHERE exit_code IS NULL ORDER BY namespace, id");
    }

    /** One write transaction about task {@code ns/id}; its kept row is dropped whatever happens. */
    private <T> T write(String ns, String id, MetadataStore.SqlWork<T> work) {
        try {
            // a task row describes processes and /run files that a machine crash ends too: no fsync on the
            // create, start, exit and delete path (each cost 1-20 ms of every ctr run --rm); a crash of Berth
            // itself loses nothing, and after a machine crash adoption finds the monitor gone (docs/runtime.md)
            return store.inTransaction(work, MetadataStore.Durability.PROCESS_CRASH);
        } finally {
            synchronized (rows) {
                writes.incrementAndGet();
                rows.remove(ns + "/" + id);
            }
        }
    }

    private int update(String ns, String id, String sql, Object... args) {
        return write(ns, id, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, args);
                return ps.executeUpdate();
            }
        });
    }

    private List<Row> query(String sql, Object... args) {
        return store.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, args);
                List<Row> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
                return out;
            }
        });
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
    }

    private static Row row(ResultSet rs) throws SQLException {
        int code = rs.getInt("exit_code");
        Integer exit = rs.wasNull() ? null : code;
        return new Row(rs.getString("namespace"), rs.getString("id"), rs.getString("bundle"), rs.getString("runtime"),
                rs.getString("cgroup_path"), rs.getString("log_path"), rs.getLong("pid"), rs.getLong("monitor_pid"),
                instant(rs.getString("created_at")), instant(rs.getString("started_at")), exit,
                instant(rs.getString("exited_at")), rs.getInt("oom_killed") != 0);
    }

    private static Instant instant(String s) {
        return s == null ? null : Instant.parse(s);
    }
}
