package dev.hypervisor.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.testkit.etcd.EtcdCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compaction of etcd's history to a window, against a real etcd member. */
class EtcdCompactorTest {

    private static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    Path tmp;

    private EtcdCluster etcd;
    private EtcdStore store;

    @BeforeEach
    void start() {
        etcd = EtcdCluster.start(tmp, 1);
    }

    @AfterEach
    void stop() {
        if (store != null) {
            store.close();
        }
        etcd.close();
    }

    private EtcdStore open(Duration history) {
        return EtcdStore.open(EtcdStoreOptions.of(etcd.members().stream().map(EtcdCluster.Member::clientAddress).toList())
                .withHistory(history));
    }

    private long write(int n) {
        long revision = 0;
        for (int i = 0; i < n; i++) {
            revision = store.commitAndWait(Txn.create().put("/k/" + i, ("v" + revision).getBytes(UTF_8))).revision();
        }
        return revision;
    }

    @Test
    void compactsToTheNewestRevisionNotedAWindowAgo() {
        store = open(Duration.ZERO);
        EtcdCompactor compactor = new EtcdCompactor(store, HOUR);
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        long r0 = write(3);
        assertThat(compactor.tick(t0)).isEqualTo(-1);
        long r1 = write(3);
        assertThat(compactor.tick(t0.plus(Duration.ofMinutes(30)))).isEqualTo(-1);
        write(3);
        assertThat(store.compactedRevision()).as("nothing is a window old yet").isZero();

        assertThat(compactor.tick(t0.plus(Duration.ofMinutes(61)))).isEqualTo(r0);
        assertThat(store.compactedRevision()).isEqualTo(r0);
        // A watcher that heard of r0 resumes; one from before it must relist.
        try (Watch resumed = store.watch("/k/", r0, events -> {})) {
            assertThat(resumed).isNotNull();
        }
        assertThatThrownBy(() -> store.watch("/k/", r0 - 1, events -> {}))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE));

        assertThat(compactor.tick(t0.plus(Duration.ofMinutes(91)))).isEqualTo(r1);
        assertThat(store.get("/k/0")).as("current values stay").isPresent();
    }

    @Test
    void aStoreWithAHistoryWindowCompactsOnItsOwn() throws InterruptedException {
        store = open(Duration.ofSeconds(2));
        long written = write(5);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (store.compactedRevision() < written && System.nanoTime() < deadline) {
            write(1);
            Thread.sleep(200);
        }
        assertThat(store.compactedRevision()).as("compacted within 20 s with a 2 s window").isGreaterThanOrEqualTo(written);
    }

    @Test
    void anUnreachableEtcdIsSkippedAndCompactionResumesAfterwards() {
        store = open(Duration.ZERO);
        EtcdCompactor compactor = new EtcdCompactor(store, HOUR);
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        long r0 = write(2);
        compactor.tick(t0);
        EtcdCluster.Member member = etcd.members().get(0);
        etcd.stop(member);
        assertThat(compactor.tick(t0.plus(Duration.ofMinutes(61)))).as("etcd is down").isEqualTo(-1);
        etcd.restart(member);
        etcd.awaitHealthy(member);
        writeOnceReconnected();
        compactor.tick(t0.plus(Duration.ofMinutes(62)));
        assertThat(compactor.tick(t0.plus(Duration.ofMinutes(125)))).isGreaterThan(r0);
    }

    /** The client reconnects with a backoff after etcd restarts; until then calls fail UNAVAILABLE. */
    private void writeOnceReconnected() {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            try {
                write(1);
                return;
            } catch (DomainException e) {
                if (e.code() != ErrorCode.UNAVAILABLE || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void ticksATenthOfTheWindowWithinBounds() {
        assertThat(EtcdCompactor.interval(HOUR)).isEqualTo(Duration.ofMinutes(5));
        assertThat(EtcdCompactor.interval(Duration.ofMinutes(10))).isEqualTo(Duration.ofMinutes(1));
        assertThat(EtcdCompactor.interval(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(1));
    }
}
