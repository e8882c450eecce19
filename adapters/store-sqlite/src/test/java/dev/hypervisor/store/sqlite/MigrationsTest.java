package dev.hypervisor.store.sqlite;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.RecordingListener;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchEvent;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a file migrates its schema step by step and refuses one from the future. */
class MigrationsTest {

    @TempDir
    Path dir;

    @Test
    void newFileGetsTheLatestSchema() throws Exception {
        Path file = dir.resolve("new.db");
        SqliteStore.open(file, SqliteStoreOptions.defaults()).close();

        try (Connection c = connect(file)) {
            assertThat(userVersion(c)).isEqualTo(Migrations.latestVersion());
            assertThat(tables(c)).containsExactlyInAnyOrder("kv", "history", "meta");
        }
    }

    @Test
    void versionOneFileIsMigratedAndKeepsItsDataAndHistory() throws Exception {
        Path file = dir.resolve("v1.db");
        // The v1 layout as released: no meta table; the revision was max(events.rev), revision 1 compacted away.
        try (Connection c = connect(file); Statement st = c.createStatement()) {
            createVersionOneTables(st);
            st.execute("INSERT INTO kv VALUES ('/a', CAST('a3' AS BLOB), 1, 3), ('/b', CAST('b2' AS BLOB), 2, 2)");
            st.execute("INSERT INTO events VALUES (2, 0, 'PUT', '/b', CAST('b2' AS BLOB)),"
                    + " (3, 0, 'PUT', '/a', CAST('a3' AS BLOB))");
            st.execute("PRAGMA user_version = 1");
        }

        try (SqliteStore store = SqliteStore.open(file, SqliteStoreOptions.defaults())) {
            assertThat(store.revision()).isEqualTo(3);
            assertThat(store.compactedRevision()).isEqualTo(1);
            assertThat(new String(store.get("/a").orElseThrow().value(), UTF_8)).isEqualTo("a3");
            RecordingListener rec = new RecordingListener();
            try (Watch ignored = store.watch("/", 1, rec)) {
                rec.awaitRevision(3, Duration.ofSeconds(10));
            }
            assertThat(rec.events()).extracting(WatchEvent::key).containsExactly("/b", "/a");
            assertThat(store.commit(Txn.create().put("/c", new byte[] {1})).join().revision()).isEqualTo(4);
        }
        try (Connection c = connect(file)) {
            assertThat(userVersion(c)).isEqualTo(Migrations.latestVersion());
        }
    }

    @Test
    void versionTwoHistoryIsRegroupedOneRowPerRevisionAndReplaysTheSame() throws Exception {
        Path file = dir.resolve("v2.db");
        // The v2 layout as released: one events row per changed key, meta holding the revisions.
        try (Connection c = connect(file); Statement st = c.createStatement()) {
            createVersionOneTables(st);
            st.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID");
            st.execute("INSERT INTO kv VALUES ('/x/2', CAST('x2' AS BLOB), 3, 3), ('/y/1', CAST('y1' AS BLOB), 2, 2)");
            st.execute("INSERT INTO events VALUES (2, 0, 'PUT', '/x/1', CAST('x1' AS BLOB)),"
                    + " (2, 1, 'PUT', '/y/1', CAST('y1' AS BLOB)),"
                    + " (3, 0, 'DELETE', '/x/1', CAST('x1' AS BLOB)), (3, 1, 'PUT', '/x/2', CAST('x2' AS BLOB))");
            st.execute("INSERT INTO meta VALUES ('revision', 3), ('compacted', 1)");
            st.execute("PRAGMA user_version = 2");
        }

        try (SqliteStore store = SqliteStore.open(file, SqliteStoreOptions.defaults())) {
            assertThat(store.revision()).isEqualTo(3);
            RecordingListener rec = new RecordingListener();
            try (Watch ignored = store.watch("/x/", 1, rec)) {
                rec.awaitRevision(3, Duration.ofSeconds(10));
            }
            assertThat(rec.calls()).as("one delivery per revision, only the keys under the prefix")
                    .extracting(call -> call.stream().map(e -> e.type() + " " + e.key() + "=" + new String(e.value(), UTF_8)
                            + "@" + e.revision()).toList())
                    .containsExactly(List.of("PUT /x/1=x1@2"), List.of("DELETE /x/1=x1@3", "PUT /x/2=x2@3"));
            assertThat(store.commit(Txn.create().delete("/y/1")).join().revision()).isEqualTo(4);
            RecordingListener after = new RecordingListener();
            try (Watch ignored = store.watch("/y/", 3, after)) {
                after.awaitRevision(4, Duration.ofSeconds(10));
            }
            assertThat(after.events()).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo(WatchEvent.Type.DELETE);
                assertThat(new String(e.value(), UTF_8)).as("the value it held, from DELETE ... RETURNING").isEqualTo("y1");
            });
        }
        try (Connection c = connect(file)) {
            assertThat(tables(c)).containsExactlyInAnyOrder("kv", "history", "meta");
            assertThat(userVersion(c)).isEqualTo(Migrations.latestVersion());
        }
    }

    @Test
    void fileFromANewerVersionIsRefused() throws Exception {
        Path file = dir.resolve("future.db");
        SqliteStore.open(file, SqliteStoreOptions.defaults()).close();
        int future = Migrations.latestVersion() + 1;
        try (Connection c = connect(file); Statement st = c.createStatement()) {
            st.execute("PRAGMA user_version = " + future);
        }

        assertThatThrownBy(() -> SqliteStore.open(file, SqliteStoreOptions.defaults()))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
                    assertThat(e.getMessage()).contains("schema version " + future)
                            .contains("up to " + Migrations.latestVersion());
                });
        try (Connection c = connect(file)) {
            assertThat(userVersion(c)).as("left untouched").isEqualTo(future);
        }
    }

    /** The kv and events tables as step 1 made them. */
    private static void createVersionOneTables(Statement st) throws SQLException {
        st.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL,"
                + " create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL) WITHOUT ROWID");
        st.execute("CREATE TABLE events (rev INTEGER NOT NULL, seq INTEGER NOT NULL,"
                + " type TEXT NOT NULL CHECK (type IN ('PUT', 'DELETE')), key TEXT NOT NULL,"
                + " value BLOB NOT NULL, PRIMARY KEY (rev, seq)) WITHOUT ROWID");
    }

    private static Connection connect(Path file) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    private static int userVersion(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA user_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static List<String> tables(Connection c) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT name FROM sqlite_schema WHERE type = 'table'")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
