package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.host.DiskReserve;
import dev.hypervisor.host.DiskSpace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReserveBackedStoreTest {

    @TempDir
    Path data;

    /** A store whose disk is full until the reserve file is gone. */
    private final class FullUntilReleased extends InMemoryStore {
        final AtomicInteger refused = new AtomicInteger();

        @Override
        public CompletableFuture<TxnResult> commit(Txn txn) {
            if (Files.exists(data.resolve("reserve"))) {
                refused.incrementAndGet();
                return CompletableFuture.failedFuture(new DomainException(ErrorCode.RESOURCE_EXHAUSTED, "the store's disk is full"));
            }
            return super.commit(txn);
        }
    }

    @Test
    void aWriteThatFindsTheDiskFullGivesUpTheReserveAndGoesThrough() {
        DiskReserve reserve = new DiskReserve(data.resolve("reserve"), 1 << 20, DiskSpace.unlimited(data));
        assertThat(reserve.restore()).isTrue();
        assertThat(data.resolve("reserve")).hasSize(1 << 20);
        FullUntilReleased full = new FullUntilReleased();
        ReserveBackedStore store = new ReserveBackedStore(full, reserve);

        TxnResult result = store.commitAndWait(Txn.create().put("/instances/x", "deleting".getBytes(StandardCharsets.UTF_8)));

        assertThat(result.succeeded()).isTrue();
        assertThat(full.refused).hasValue(1);
        assertThat(data.resolve("reserve")).doesNotExist();
        assertThat(reserve.restore()).as("written again once there is room").isTrue();
        assertThat(reserve.held()).isTrue();
    }

    @Test
    void aWriteThatFailedWhileAnotherGaveTheReserveUpIsTriedAgainToo() {
        DiskReserve reserve = new DiskReserve(data.resolve("reserve"), 1 << 20, DiskSpace.unlimited(data));
        assertThat(reserve.restore()).isTrue();
        CompletableFuture<TxnResult> failedFirst = new CompletableFuture<>();
        AtomicInteger commits = new AtomicInteger();
        InMemoryStore full = new InMemoryStore() {
            @Override
            public CompletableFuture<TxnResult> commit(Txn txn) {
                if (commits.incrementAndGet() == 1) {
                    return failedFirst; // fails later, after the second commit has given the reserve up
                }
                return Files.exists(data.resolve("reserve"))
                        ? CompletableFuture.failedFuture(new DomainException(ErrorCode.RESOURCE_EXHAUSTED, "full"))
                        : super.commit(txn);
            }
        };
        ReserveBackedStore store = new ReserveBackedStore(full, reserve);
        CompletableFuture<TxnResult> first = store.commit(Txn.create().put("/a", new byte[1]));
        assertThat(store.commitAndWait(Txn.create().put("/b", new byte[1])).succeeded()).isTrue();
        assertThat(reserve.releases()).isEqualTo(1);

        failedFirst.completeExceptionally(new DomainException(ErrorCode.RESOURCE_EXHAUSTED, "full"));

        assertThat(first.join().succeeded()).isTrue();
    }

    @Test
    void withoutAReserveLeftTheFullDiskIsReportedAsItIs() {
        DiskReserve none = new DiskReserve(data.resolve("reserve"), 1 << 20, DiskSpace.unlimited(data));
        InMemoryStore alwaysFull = new InMemoryStore() {
            @Override
            public CompletableFuture<TxnResult> commit(Txn txn) {
                return CompletableFuture.failedFuture(new DomainException(ErrorCode.RESOURCE_EXHAUSTED, "the store's disk is full"));
            }
        };
        assertThatThrownBy(() -> new ReserveBackedStore(alwaysFull, none).commitAndWait(Txn.create().put("/k", new byte[1])))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED));
    }

    @Test
    void noReserveIsWrittenWhereItWouldEatIntoTheSpaceKeptFree() {
        DiskReserve reserve = new DiskReserve(data.resolve("reserve"), 1 << 20, new DiskSpace(data, Long.MAX_VALUE / 2));
        assertThat(reserve.restore()).isFalse();
        assertThat(data.resolve("reserve")).doesNotExist();
    }
}
