package dev.hypervisor.store.sqlite;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Brings a database file to the schema this code writes: {@code PRAGMA user_version} is the
 * number of steps applied, and each missing step runs in its own transaction. Steps are only
 * ever appended; a released step is never edited.
 */
final class Migrations {

    /** Step i takes the schema from user_version i to i + 1. */
    static final List<List<String>> STEPS = List.of(
            // 1: current values and the change log that watches replay (DELETE rows keep the prior value).
            List.of(
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
            List.of(
                    "CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
                    """
                    INSERT INTO meta (name, value) VALUES ('revision', max(
                      coalesce((SELECT max(rev) FROM events), 0),
                      coalesce((SELECT max(mod_rev) FROM kv), 0)))""",
                    """
                    INSERT INTO meta (name, value) VALUES ('compacted', coalesce(
                      (SELECT min(rev) - 1 FROM events),
                      (SELECT value FROM meta WHERE name = 'revision')))"""));

    private Migrations() {}

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
                    try (Statement st = session.connection().createStatement()) {
                        for (String sql : STEPS.get(onDisk)) {
                            st.execute(sql);
                        }
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
