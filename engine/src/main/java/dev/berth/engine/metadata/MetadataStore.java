package dev.berth.engine.metadata;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The engine's metadata database: one SQLite file ({@code <root>/meta.db}) in WAL mode with
 * {@code synchronous=FULL}, shared by every domain (images, snapshots, containers, leases, specs); a
 * transaction may ask for less ({@link Durability#PROCESS_CRASH}: no fsync) when its rows describe
 * what a machine crash ends anyway.
 *
 * <p>Each domain owns its tables and brings them up to date with {@link #migrate(String, List)}: the
 * store remembers the last applied step per domain, so steps run once and in order. Work runs in
 * {@link #inTransaction(SqlWork)} or {@link #read(SqlWork)}; both are serialised on one connection,
 * which is what SQLite allows for writers anyway. Domains write their SQL through {@link Tx}
 * ({@link #transaction}, {@link #query}): values in, typed rows out, no binding code; labels kept one
 * row per key go through a {@link LabelTable}. Thread-safe.
 */
public final class MetadataStore implements AutoCloseable {

    /** A unit of work on the connection. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    private final Path file;
    private final Connection connection;

    private MetadataStore(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Opens (creating if needed) the database at {@code file}. */
    public static MetadataStore open(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA foreign_keys=ON");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS schema_versions (domain TEXT PRIMARY KEY, version INTEGER NOT NULL)");
            }
            return new MetadataStore(file, c);
        } catch (SQLException | IOException e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE,
                    "cannot open metadata database " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /**
     * Applies the steps of {@code domain} that have not run yet. Step {@code i} (0-based) is version
     * {@code i+1}; steps are never edited once released, only appended.
     */
    public synchronized void migrate(String domain, List<String> steps) {
        inTransaction(c -> {
            int current = 0;
            try (PreparedStatement ps = c.prepareStatement("SELECT version FROM schema_versions WHERE domain=?")) {
                ps.setString(1, domain);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        current = rs.getInt(1);
                    }
                }
            }
            if (current > steps.size()) {
                throw new BerthException(ErrorCategory.FAILED_PRECONDITION, "metadata database " + file
                        + " has " + domain + " schema version " + current + " but this Berth knows only "
                        + steps.size() + "; it was written by a newer Berth, upgrade this one");
            }
            try (Statement s = c.createStatement()) {
                for (int i = current; i < steps.size(); i++) {
                    s.executeUpdate(steps.get(i));
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO schema_versions(domain, version) VALUES(?, ?) "
                            + "ON CONFLICT(domain) DO UPDATE SET version=excluded.version")) {
                ps.setString(1, domain);
                ps.setInt(2, steps.size());
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * How far a commit must have gone before it returns. The database's default is {@link #POWER_LOSS};
     * {@link #PROCESS_CRASH} is for rows that mirror state which a machine crash ends anyway.
     */
    public enum Durability {
        /** fsync'd: the commit survives a power loss ({@code synchronous=FULL}). */
        POWER_LOSS,
        /**
         * In the operating system's hands, not fsync'd: the commit survives a crash of this process but
         * maybe not of the machine ({@code synchronous=NORMAL} in WAL mode, so the database itself stays
         * consistent either way). For rows about processes and files on the tmpfs state directory (task
         * pids and exits), which a machine crash ends as well; a task row lost that way reads as a task
         * whose monitor is gone, which adoption settles.
         */
        PROCESS_CRASH
    }

    /** Runs {@code work} in one transaction; commits on return, rolls back on any exception. */
    public <T> T inTransaction(SqlWork<T> work) {
        return inTransaction(work, Durability.POWER_LOSS);
    }

    /** {@link #inTransaction(SqlWork)} whose commit returns once it has reached {@code durability}. */
    public synchronized <T> T inTransaction(SqlWork<T> work, Durability durability) {
        boolean relaxed = durability == Durability.PROCESS_CRASH;
        try {
            if (relaxed) {
                synchronous("NORMAL");
            }
            try {
                return transactionOnConnection(work);
            } finally {
                if (relaxed) {
                    synchronous("FULL");
                }
            }
        } catch (SQLException e) {
            throw BerthException.internal("metadata database " + file + ": " + e.getMessage(), e);
        }
    }

    /** Sets the connection's commit mode (outside a transaction, where SQLite takes it). */
    private void synchronous(String mode) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA synchronous=" + mode);
        }
    }

    private <T> T transactionOnConnection(SqlWork<T> work) throws SQLException {
        connection.setAutoCommit(false);
        try {
            T result = work.run(connection);
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /** A unit of work through a {@link Tx}. */
    @FunctionalInterface
    public interface TxWork<T> {
        T run(Tx tx) throws SQLException;
    }

    /** {@link #inTransaction} through a {@link Tx}: one write transaction, rolled back on any exception. */
    public <T> T transaction(TxWork<T> work) {
        return inTransaction(c -> work.run(new Tx(c)));
    }

    /** {@link #read} through a {@link Tx}. */
    public <T> T query(TxWork<T> work) {
        return read(c -> work.run(new Tx(c)));
    }

    /** Runs read-only {@code work} outside an explicit transaction. */
    public synchronized <T> T read(SqlWork<T> work) {
        try {
            return work.run(connection);
        } catch (SQLException e) {
            throw BerthException.internal("metadata database " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw BerthException.internal("closing " + file, e);
        }
    }
}
