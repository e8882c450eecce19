package dev.hypervisor.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.testkit.etcd.EtcdCluster;
import dev.hypervisor.testkit.net.TcpProxy;
import dev.hypervisor.testkit.tls.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the etcd adapter does beyond the store contract, against a real etcd member: key
 * prefixes that keep installations apart, a write whose answer the network lost (read back,
 * never resent), TLS with client certificates, and etcd's own users.
 */
class EtcdStoreAdapterTest {

    @TempDir
    Path tmp;

    private EtcdCluster etcd;

    @AfterEach
    void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private EtcdStoreOptions plain() {
        return EtcdStoreOptions.of(List.of(etcd.members().get(0).clientAddress()));
    }

    private static Txn put(String key, String value) {
        return Txn.create().put(key, value.getBytes(UTF_8));
    }

    @Test
    void aPrefixSeesOnlyItsOwnKeysNotThoseOfALongerPrefix() {
        etcd = EtcdCluster.start(tmp, 1);
        try (EtcdStore hv = EtcdStore.open(plain().withPrefix("/hv"));
             EtcdStore hv2 = EtcdStore.open(plain().withPrefix("/hv2"))) {
            hv.commitAndWait(put("/instances/a", "mine"));
            hv2.commitAndWait(put("/instances/b", "theirs"));

            assertThat(hv.range("", "", 100).kvs()).extracting(KeyValue::key).containsExactly("/instances/a");
            assertThat(hv2.range("", "", 100).kvs()).extracting(KeyValue::key).containsExactly("/instances/b");
            assertThatThrownBy(() -> hv.commitAndWait(put("instances/c", "x")))
                    .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("start with /");
        }
    }

    @Test
    void watchesOfOnePrefixShareAStreamAndOneStartingBehindItIsCaughtUpInOrder() throws Exception {
        etcd = EtcdCluster.start(tmp, 1);
        try (EtcdStore store = EtcdStore.open(plain())) {
            long start = store.revision();
            List<List<Long>> seen = new java.util.ArrayList<>();
            List<dev.hypervisor.core.store.Watch> watches = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                List<Long> mine = new java.util.concurrent.CopyOnWriteArrayList<>();
                seen.add(mine);
                watches.add(store.watch("/w/", start, events -> mine.add(events.get(0).revision())));
            }
            List<Long> committed = new java.util.ArrayList<>();
            for (int i = 0; i < 10; i++) {
                committed.add(store.commitAndWait(put("/w/" + i, "v")).revision());
            }
            store.commitAndWait(put("/elsewhere", "x"));
            // Starts three revisions behind the shared stream: served from its buffer, then live.
            List<Long> late = new java.util.concurrent.CopyOnWriteArrayList<>();
            watches.add(store.watch("/w/", committed.get(6), events -> late.add(events.get(0).revision())));
            for (int i = 10; i < 15; i++) {
                committed.add(store.commitAndWait(put("/w/" + i, "v")).revision());
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && (late.size() < 8 || seen.stream().anyMatch(l -> l.size() < 15))) {
                Thread.sleep(20);
            }
            for (List<Long> mine : seen) {
                assertThat(mine).isEqualTo(committed);
            }
            assertThat(late).isEqualTo(committed.subList(7, 15));
            watches.forEach(dev.hypervisor.core.store.Watch::close);
        }
    }

    @Test
    void aWatcherThatClosesItselfWhileBeingDeliveredToLeavesTheOthersUntouched() throws Exception {
        etcd = EtcdCluster.start(tmp, 1);
        try (EtcdStore store = EtcdStore.open(plain())) {
            long start = store.revision();
            java.util.concurrent.atomic.AtomicReference<dev.hypervisor.core.store.Watch> self = new java.util.concurrent.atomic.AtomicReference<>();
            List<Long> quitter = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Long> stayer = new java.util.concurrent.CopyOnWriteArrayList<>();
            dev.hypervisor.core.store.Watch first = store.watch("/q/", start, events -> stayer.add(events.get(0).revision()));
            self.set(store.watch("/q/", start, events -> {
                quitter.add(events.get(0).revision());
                self.get().close(); // as a watcher whose queue overflowed does
            }));
            long r1 = store.commitAndWait(put("/q/1", "v")).revision();
            long r2 = store.commitAndWait(put("/q/2", "v")).revision();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && stayer.size() < 2) {
                Thread.sleep(20);
            }
            assertThat(stayer).containsExactly(r1, r2);
            assertThat(quitter).containsExactly(r1);
            first.close();
        }
    }

    @Test
    void aWriteWhoseAnswerIsLostIsReadBackAndReportedCommittedOnce() {
        etcd = EtcdCluster.start(tmp, 1);
        try (TcpProxy proxy = TcpProxy.to(etcd.members().get(0).clientAddress());
             EtcdStore store = EtcdStore.open(EtcdStoreOptions.of(List.of(proxy.address())));
             EtcdStore direct = EtcdStore.open(plain())) {
            long before = store.revision();
            // etcd applies the put, its answer is swallowed, then the connection is cut.
            proxy.swallowThenCut(TcpProxy.Direction.RESPONSES, Duration.ofMillis(500));
            TxnResult result = store.commitAndWait(put("/lost-answer", "v1").ifAbsent("/lost-answer"));

            assertThat(result.succeeded()).isTrue();
            KeyValue stored = direct.get("/lost-answer").orElseThrow();
            assertThat(result.revision()).as("the revision it committed at").isEqualTo(stored.modRevision());
            assertThat(direct.revision()).as("applied once, not resent").isEqualTo(before + 1);
        }
    }

    @Test
    void aWriteThatNeverArrivedIsUnavailableAndLeavesNothing() {
        etcd = EtcdCluster.start(tmp, 1);
        try (TcpProxy proxy = TcpProxy.to(etcd.members().get(0).clientAddress());
             EtcdStore store = EtcdStore.open(EtcdStoreOptions.of(List.of(proxy.address())));
             EtcdStore direct = EtcdStore.open(plain())) {
            long before = direct.revision();
            proxy.swallowThenCut(TcpProxy.Direction.REQUESTS, Duration.ofMillis(500));

            assertThatThrownBy(() -> store.commitAndWait(put("/never-arrived", "v1")))
                    .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
                    .hasMessageContaining("retry it (with the same request_id)");
            assertThat(direct.get("/never-arrived")).isEmpty();
            assertThat(direct.revision()).isEqualTo(before);
        }
    }

    @Test
    void aLostWriteOfValuesAlreadyStoredIsNotTakenForCommitted() {
        etcd = EtcdCluster.start(tmp, 1);
        try (TcpProxy proxy = TcpProxy.to(etcd.members().get(0).clientAddress());
             EtcdStore store = EtcdStore.open(EtcdStoreOptions.of(List.of(proxy.address())));
             EtcdStore direct = EtcdStore.open(plain())) {
            store.commitAndWait(put("/same", "v1"));
            long before = direct.revision();
            // The same value again, lost on the way: the stored one is the earlier write's, not this one's.
            proxy.swallowThenCut(TcpProxy.Direction.REQUESTS, Duration.ofMillis(500));
            assertThatThrownBy(() -> store.commitAndWait(put("/same", "v1")))
                    .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
            // A delete of an absent key leaves nothing to tell it from no write at all.
            proxy.swallowThenCut(TcpProxy.Direction.REQUESTS, Duration.ofMillis(500));
            assertThatThrownBy(() -> store.commitAndWait(Txn.create().delete("/absent")))
                    .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
            assertThat(direct.revision()).as("neither write arrived").isEqualTo(before);
        }
    }

    @Test
    void tlsWithAClientCertificateWorksAndWithoutOneIsRefused() {
        TestCertificates ca = TestCertificates.authority(tmp.resolve("pki"));
        etcd = EtcdCluster.startWithTls(tmp.resolve("etcd"), 1, ca.server("etcd"));
        TestCertificates.Pair daemon = ca.client("hypervisord");

        try (EtcdStore store = EtcdStore.open(plain().withTls(ca.ca(), daemon.cert(), daemon.key()))) {
            long revision = store.commitAndWait(put("/tls", "yes")).revision();
            assertThat(store.get("/tls").orElseThrow().modRevision()).isEqualTo(revision);
        }
        assertThatThrownBy(() -> EtcdStore.open(plain().withTls(ca.ca(), null, null).withTimeouts(Duration.ofSeconds(2),
                Duration.ofSeconds(5))))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
                .hasMessageContaining("cannot reach the store");
        TestCertificates other = TestCertificates.authority(tmp.resolve("other-pki"));
        assertThatThrownBy(() -> EtcdStore.open(plain().withTls(other.ca(), daemon.cert(), daemon.key())
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5))))
                .as("etcd's certificate is not signed by the CA we trust")
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }

    @Test
    void etcdUsersWithTheirPasswordFromAFileAndAWrongOneIsRefusedClearly() throws Exception {
        etcd = EtcdCluster.start(tmp.resolve("etcd"), 1);
        etcd.etcdctl("user", "add", "root", "--new-user-password=root-secret");
        etcd.etcdctl("user", "add", "hypervisord", "--new-user-password=hv-secret");
        etcd.etcdctl("role", "add", "hypervisor");
        etcd.etcdctl("role", "grant-permission", "hypervisor", "--prefix=true", "readwrite", "/hv");
        etcd.etcdctl("user", "grant-role", "hypervisord", "hypervisor");
        etcd.etcdctl("auth", "enable");
        Path password = Files.writeString(tmp.resolve("password"), "hv-secret\n");
        Path wrong = Files.writeString(tmp.resolve("wrong"), "guess\n");

        try (EtcdStore store = EtcdStore.open(plain().withPrefix("/hv").withAuth("hypervisord", password))) {
            long revision = store.commitAndWait(put("/instances/x", "authorized")).revision();
            assertThat(store.get("/instances/x").orElseThrow().modRevision()).isEqualTo(revision);
            store.compact(revision);
            assertThat(store.compactedRevision()).as("the periodic compaction works as a user, not only as root")
                    .isEqualTo(revision);
        }
        assertThatThrownBy(() -> EtcdStore.open(plain().withPrefix("/hv").withAuth("hypervisord", wrong)))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
                .hasMessageContaining("credentials");
        assertThatThrownBy(() -> EtcdStore.open(plain().withPrefix("/other").withAuth("hypervisord", password)))
                .as("a prefix the user has no permission on")
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
                .hasMessageContaining("refused the daemon's credentials");
    }
}
