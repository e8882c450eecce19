package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreLocationTest {

    @TempDir
    Path data;

    @Test
    void sqliteAloneIsTheDataDirectorysStateFileAndAPathIsTakenRelativeToIt() {
        try (Store store = StoreLocation.parse("sqlite").open(data)) {
            store.commitAndWait(Txn.create().put("/k", new byte[] {1}));
        }
        assertThat(data.resolve("state.db")).exists();
        try (Store store = StoreLocation.parse("sqlite:elsewhere/other.db").open(data)) {
            assertThat(store.get("/k")).isEmpty();
        }
        assertThat(data.resolve("elsewhere/other.db")).exists();
        Path absolute = data.resolve("abs.db").toAbsolutePath();
        try (Store store = StoreLocation.parse("sqlite:" + absolute).open(Path.of("/nonexistent"))) {
            assertThat(store.revision()).isZero();
        }
        assertThat(absolute).exists();
        assertThat(StoreLocation.parse("sqlite:x.db")).hasToString("sqlite:x.db");
    }

    @Test
    void anUnknownSchemeIsRefusedSayingWhatIsAccepted() {
        assertThatThrownBy(() -> StoreLocation.parse("mysql://127.0.0.1:3306"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--store: expected sqlite, sqlite:PATH or etcd://host:port[,host:port...], got \"mysql://127.0.0.1:3306\"");
    }

    @Test
    void etcdTakesItsMembersAndRefusesAnAddressThatIsNoHostAndPort() {
        StoreLocation etcd = StoreLocation.parse("etcd://10.0.0.1:2379,10.0.0.2:2379")
                .withAccess(new StoreLocation.Access("/hv", null, null, null, null, null, null));
        assertThat(etcd.scheme()).isEqualTo("etcd");
        assertThat(etcd).hasToString("etcd://10.0.0.1:2379,10.0.0.2:2379 (prefix /hv)");
        assertThatThrownBy(() -> StoreLocation.parse("etcd://10.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not host:port");
        assertThatThrownBy(() -> StoreLocation.parse("etcd:10.0.0.1:2379"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected etcd://host:port");
    }

    @Test
    void storeSettingsForANetworkedStoreAreRefusedWithSqlite() {
        assertThatThrownBy(() -> StoreLocation.parse("sqlite")
                .withAccess(new StoreLocation.Access("/hv", null, null, null, null, null, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apply to --store etcd://... only");
    }

    @Test
    void storeHistoryIsADurationAsEtcdWritesIt() {
        DurationConverter durations = new DurationConverter();
        assertThat(durations.convert("1h")).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(durations.convert("90s")).isEqualTo(java.time.Duration.ofSeconds(90));
        assertThat(durations.convert("30m")).isEqualTo(java.time.Duration.ofMinutes(30));
        assertThat(durations.convert("0")).isZero();
        assertThatThrownBy(() -> durations.convert("1 hour"))
                .isInstanceOf(picocli.CommandLine.TypeConversionException.class).hasMessageContaining("such as 90s");
        assertThatThrownBy(() -> StoreLocation.parse("sqlite")
                .withAccess(new StoreLocation.Access("", null, null, null, null, null, java.time.Duration.ofHours(2))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--store-history");
    }

    @Test
    void aPasswordFileOtherUsersCanReadIsRefusedBeforeEtcdIsAsked() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("hv-secret");
        java.nio.file.Path password = java.nio.file.Files.writeString(dir.resolve("password"), "secret");
        java.nio.file.Files.setPosixFilePermissions(password, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        StoreLocation etcd = StoreLocation.parse("etcd://127.0.0.1:9").withAccess(
                new StoreLocation.Access("", null, null, null, "hv", password, null));
        assertThatThrownBy(() -> etcd.open(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--store-password-file " + password + " is open to other users");
    }
}
