package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.WatchEvent;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Brings a database file to the schema this code writes: {@code PRAGMA user_version} is the
 * number of steps applied, and each missing step runs in its own transaction. Steps are only
 * ever appended; a released step is never edited.
 */
final class Migrations {

    /** One step of the schema, run inside the migration's transaction. */
    @FunctionalInterface
    interface Step {
        void apply(Session session) throws SQLException;
    }

    /** Step i takes the schema from user_version i to i + 1. */
    static final List<Step> STEPS = List.of(
            // 1: current values and the change log that watches replay (DELETE rows keep the prior value).
            sql(
                    """
                    CREATE TABLE kv (
                      key        TEXT    PRIMARY KEY,
                      value      BLOB    NOT NULL,
                      create_rev INTEGER NOT NULL,
                      mod_rev    INTEGER NOT NULL
                    ) WITHOUT ROWID""",
                    """
                    CREATE TABLE events (
                      rev   INTEGER NOT NULL,
                      seq   INTEGER NOT NULL,
                      type  TEXT    NOT NULL CHECK (type IN ('PUT', 'DELETE')),
                      key   TEXT    NOT NULL,
                      value BLOB    NOT NULL,
                      PRIMARY KEY (rev, seq)
                    ) WITHOUT ROWID"""),
            // 2: the revision lived only in max(events.rev), so compacting every event lost it;
            // meta keeps it (and the compacted revision), updated in the same transaction as the data.
            sql(
                    "CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
                    """
                    INSERT INTO meta (name, value) VALUES ('revision', max(
                      coalesce((SELECT max(rev) FROM events), 0),
                      coalesce((SELECT max(mod_rev) FROM kv), 0)))""",
                    """
                    INSERT INTO meta (name, value) VALUES ('compacted', coalesce(
                      (SELECT min(rev) - 1 FROM events),
                      (SELECT value FROM meta WHERE name = 'revision')))"""),
            // 3: the history as one row per revision instead of one per key: a create wrote seven
            // event rows, and those statements were a third of the writer's.
            Migrations::historyByRevision);

    private Migrations() {}

    private static Step sql(String... statements) {
        return session -> {
            try (Statement st = session.connection().createStatement()) {
                for (String sql : statements) {
                    st.execute(sql);
                }
            }
        };
    }

    /** Step 3: the events table's rows regrouped into one {@link RevisionRecord} per revision. */
    private static void historyByRevision(Session session) throws SQLException {
        sql("CREATE TABLE history (rev INTEGER PRIMARY KEY, changes BLOB NOT NULL)").apply(session);
        try (Statement read = session.connection().createStatement();
                ResultSet rs = read.executeQuery("SELECT rev, type, key, value FROM events ORDER BY rev, seq");
                PreparedStatement insert = session.connection().prepareStatement(
                        "INSERT INTO history (rev, changes) VALUES (?, ?)")) {
            List<WatchEvent> revision = new ArrayList<>();
            while (rs.next()) {
                long rev = rs.getLong(1);
                if (!revision.isEmpty() && revision.get(0).revision() != rev) {
                    insertRevision(insert, revision);
                }
                byte[] value = rs.getBytes(4);
                revision.add(new WatchEvent(WatchEvent.Type.valueOf(rs.getString(2)), rs.getString(3),
                        value == null ? new byte[0] : value, rev));
            }
            if (!revision.isEmpty()) {
                insertRevision(insert, revision);
            }
        }
        sql("DROP TABLE events").apply(session);
    }

    private static void insertRevision(PreparedStatement insert, List<WatchEvent> revision) throws SQLException {
        insert.setLong(1, revision.get(0).revision());
        insert.setBytes(2, RevisionRecord.encode(revision));
        insert.executeUpdate();
        revision.clear();
    }

    static int latestVersion() {
        return STEPS.size();
    }

    /** Applies the missing steps; refuses a file written by a newer version of this code. */
    static void migrate(Session session, Path file) throws SQLException {
        int onDisk = userVersion(session);
        if (onDisk > latestVersion()) {
            throw newerThanCode(file, onDisk);
        }
        while (onDisk < latestVersion()) {
            session.exec("BEGIN IMMEDIATE");
            try {
                // Re-read under the write lock: another process may have migrated meanwhile.
                onDisk = userVersion(session);
                if (onDisk < latestVersion()) {
                    STEPS.get(onDisk).apply(session);
                    try (Statement st = session.connection().createStatement()) {
                        // user_version lives in the file header, so it commits or rolls back with the step.
                        st.execute("PRAGMA user_version = " + (onDisk + 1));
                    }
                    onDisk++;
                }
                session.exec("COMMIT");
            } catch (SQLException | RuntimeException e) {
                session.rollbackQuietly();
                throw e;
            }
        }
        if (onDisk > latestVersion()) {
            throw newerThanCode(file, onDisk);
        }
    }

    private static DomainException newerThanCode(Path file, int onDisk) {
        return new DomainException(ErrorCode.FAILED_PRECONDITION, file + " has schema version " + onDisk
                + " but this build knows versions up to " + latestVersion()
                + "; it was written by a newer hypervisord, refusing to open it");
    }

    static int userVersion(Session session) throws SQLException {
        return (int) session.queryLong("PRAGMA user_version", null, 0);
    }
}
