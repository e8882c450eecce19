package dev.hypervisor.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.sqlite.SQLiteConfig;

/** One SQLite connection with its prepared statements, reused across calls; used by one thread at a time. */
final class Session implements AutoCloseable {

    /** Work against a session that may fail with an SQLException. */
    @FunctionalInterface
    interface Work<T> {
        T apply(Session session) throws SQLException;
    }

    private final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    private Session(Connection connection) {
        this.connection = connection;
    }

    /** The one connection that writes: WAL and synchronous=FULL, so an acknowledged commit survives power loss. */
    static Session openWriter(Path file, Duration busyTimeout) throws SQLException {
        Session s = open(file, busyTimeout);
        try (Statement st = s.connection.createStatement()) {
            // WAL lets the read connections see a consistent snapshot while the writer commits.
            try (ResultSet rs = st.executeQuery("PRAGMA journal_mode = WAL")) {
                if (!rs.next() || !"wal".equalsIgnoreCase(rs.getString(1))) {
                    s.close();
                    throw new SQLException("cannot switch " + file + " to WAL journal mode");
                }
            }
            // FULL syncs the WAL at every COMMIT; NORMAL would lose the last commits on power loss.
            st.execute("PRAGMA synchronous = FULL");
            // The writer checkpoints between group commits (GroupCommitWriter.checkpoint), never inside one.
            st.execute("PRAGMA wal_autocheckpoint = 0");
            st.execute("PRAGMA journal_size_limit = 67108864");
            st.execute("PRAGMA cache_size = -65536");
            // Each transaction of a group commit runs in a savepoint, and SQLite copies every page
            // a savepoint first touches into a statement journal, a temp file by default: those
            // pwrite calls were over a third of the writer's CPU under 64 concurrent creates.
            // The journal only serves ROLLBACK TO inside the open batch (a crash rolls the whole
            // batch back from the WAL), so memory loses nothing.
            st.execute("PRAGMA temp_store = MEMORY");
        }
        return s;
    }

    /** A connection that refuses writes, so a bug cannot bypass the writer's revision accounting. */
    static Session openReader(Path file, Duration busyTimeout) throws SQLException {
        Session s = open(file, busyTimeout);
        try (Statement st = s.connection.createStatement()) {
            st.execute("PRAGMA query_only = ON");
            st.execute("PRAGMA cache_size = -16384");
        }
        return s;
    }

    private static Session open(Path file, Duration busyTimeout) throws SQLException {
        // Nothing here reads generated keys; left on, sqlite-jdbc runs an extra
        // "SELECT last_insert_rowid()" (prepared anew each time) after every INSERT, UPDATE and
        // DELETE, which was a quarter of the group-commit writer's CPU.
        Properties properties = new Properties();
        properties.setProperty(SQLiteConfig.Pragma.JDBC_GET_GENERATED_KEYS.pragmaName, "false");
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), properties);
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout = " + busyTimeout.toMillis());
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return new Session(c);
    }

    /** A prepared statement for {@code sql}, prepared once per session; keep the set of SQL strings small. */
    PreparedStatement prepare(String sql) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    /** Runs a statement without parameters, such as BEGIN or SAVEPOINT. */
    void exec(String sql) throws SQLException {
        prepare(sql).execute();
    }

    /** The first column of the first row as a long, or {@code absent} when there is no row. */
    long queryLong(String sql, String param, long absent) throws SQLException {
        PreparedStatement ps = prepare(sql);
        if (param != null) {
            ps.setString(1, param);
        }
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : absent;
        }
    }

    /** A PASSIVE WAL checkpoint; its result row is read to the end so the statement is not left active. */
    void checkpointWal() throws SQLException {
        try (ResultSet rs = prepare("PRAGMA wal_checkpoint(PASSIVE)").executeQuery()) {
            while (rs.next()) {
                // busy, frames in the log, frames checkpointed: nothing to act on
            }
        }
    }

    long metaValue(String name) throws SQLException {
        return queryLong("SELECT value FROM meta WHERE name = ?", name, 0);
    }

    /** Runs reads in one transaction, so they all see the same snapshot of the file. */
    <T> T inReadTransaction(Work<T> work) throws SQLException {
        exec("BEGIN");
        T result;
        try {
            result = work.apply(this);
        } catch (SQLException | RuntimeException e) {
            // End the snapshot even on failure: an open read transaction would pin the WAL.
            rollbackQuietly();
            throw e;
        }
        exec("COMMIT");
        return result;
    }

    /**
     * Ends an open transaction after a failure; the failure being reported matters more than this
     * one. Also discards the cached statements, because sqlite-jdbc finalizes a statement that
     * fails with most error codes and a cached dead statement would fail every later use.
     */
    void rollbackQuietly() {
        discardStatements();
        try {
            exec("ROLLBACK");
        } catch (SQLException ignored) {
            discardStatements(); // no transaction was open: SQLite may already have rolled it back
        }
    }

    /** Closes the cached statements; the next use prepares them again. See {@link #rollbackQuietly()}. */
    void discardStatements() {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // Already finalized by the driver.
            }
        }
        statements.clear();
    }

    /** Raw access for migrations and tests. */
    Connection connection() {
        return connection;
    }

    @Override
    public void close() {
        discardStatements();
        try {
            connection.close();
        } catch (SQLException ignored) {
            // Nothing useful to do while shutting down.
        }
    }
}
