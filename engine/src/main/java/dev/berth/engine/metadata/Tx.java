package dev.berth.engine.metadata;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One unit of work on the metadata database, inside {@link MetadataStore#transaction} (a write
 * transaction) or {@link MetadataStore#query} (reads). Statements take their arguments as values
 * ({@code String}, {@code Long}/{@code Integer}, {@code Boolean}, {@link Instant} as its ISO text,
 * the form every Berth table stores times in, or null), so callers write no binding code. Valid
 * only during the work it was given to; not thread-safe (the store runs one unit of work at a time).
 */
public final class Tx {
    private final Connection c;

    Tx(Connection c) {
        this.c = c;
    }

    /** The unit of work on a connection a caller already holds (inside {@link MetadataStore#inTransaction}). */
    public static Tx on(Connection c) {
        return new Tx(c);
    }

    /** Reads one row of a result into a typed value. */
    @FunctionalInterface
    public interface RowReader<R> {
        R read(ResultSet rs) throws SQLException;
    }

    /** Every row {@code sql} selects, in its order. */
    public <R> List<R> query(String sql, RowReader<R> reader, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(sql, args); ResultSet rs = ps.executeQuery()) {
            List<R> out = new ArrayList<>();
            while (rs.next()) {
                out.add(reader.read(rs));
            }
            return out;
        }
    }

    /** The first row {@code sql} selects, if any. */
    public <R> Optional<R> first(String sql, RowReader<R> reader, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(sql, args); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(reader.read(rs)) : Optional.empty();
        }
    }

    /** Whether {@code sql} selects any row. */
    public boolean exists(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(sql, args); ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    /** Runs an INSERT, UPDATE or DELETE; returns the number of rows it changed. */
    public int update(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(sql, args)) {
            return ps.executeUpdate();
        }
    }

    /** Runs an INSERT; returns the row id SQLite gave the new row. */
    public long insert(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
            bind(ps, args);
            ps.executeUpdate();
            try (ResultSet rs = ps.getGeneratedKeys()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The connection itself, for work the methods above do not cover. */
    public Connection connection() {
        return c;
    }

    private PreparedStatement prepare(String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        try {
            bind(ps, args);
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
        return ps;
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                ps.setNull(i + 1, Types.NULL);
            } else if (a instanceof String s) {
                ps.setString(i + 1, s);
            } else if (a instanceof Long || a instanceof Integer) {
                ps.setLong(i + 1, ((Number) a).longValue());
            } else if (a instanceof Boolean b) {
                ps.setInt(i + 1, b ? 1 : 0);
            } else if (a instanceof Instant t) {
                ps.setString(i + 1, t.toString());
            } else {
                throw new IllegalArgumentException("cannot bind a " + a.getClass().getName()
                        + " (argument " + (i + 1) + " of " + args.length + ")");
            }
        }
    }

    /** {@code rs.getString(column)} as an Instant; null stays null. */
    public static Instant instant(ResultSet rs, String column) throws SQLException {
        String s = rs.getString(column);
        return s == null ? null : Instant.parse(s);
    }

    /** {@code rs.getLong(column)}, or null when the column is NULL. */
    public static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }
}
