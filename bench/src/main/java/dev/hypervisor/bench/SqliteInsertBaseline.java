package dev.hypervisor.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;

/** Figure 3's baseline: one-row autocommit INSERTs into SQLite (WAL, synchronous=FULL) on the daemon's disk. */
final class SqliteInsertBaseline implements AutoCloseable {

    private static final int PAYLOAD_BYTES = 256;
    private final Connection connection;
    private final PreparedStatement insert;
    private final byte[] payload = new byte[PAYLOAD_BYTES];
    private long next;

    SqliteInsertBaseline(Path file) throws SQLException, java.io.IOException {
        Files.deleteIfExists(file);
        connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try (Statement st = connection.createStatement()) {
            st.execute("PRAGMA journal_mode=WAL");
            st.execute("PRAGMA synchronous=FULL");
            st.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value BLOB NOT NULL)");
        }
        connection.setAutoCommit(true);
        insert = connection.prepareStatement("INSERT INTO rows (name, value) VALUES (?, ?)");
        new Random(7).nextBytes(payload);
    }

    /** Inserts rows one transaction each for {@code seconds}; returns the rows committed per second. */
    double run(double seconds) throws SQLException {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long rows = 0;
        while (System.nanoTime() < end) {
            // ~40 characters of name plus 256 bytes of value: a row of ~300 bytes.
            insert.setString(1, String.format("baseline-row-%027d", next++));
            insert.setBytes(2, payload);
            insert.executeUpdate();
            rows++;
        }
        return rows / ((System.nanoTime() - start) / 1e9);
    }

    @Override
    public void close() throws SQLException {
        insert.close();
        connection.close();
    }
}
