package dev.hypervisor.server;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.RangeResult;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.core.store.Watch;
import dev.hypervisor.core.store.WatchListener;
import dev.hypervisor.host.DiskReserve;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The daemon's store, whose writes survive a full disk once: a commit that fails for lack of
 * space gives up the node's {@link DiskReserve} and is tried again, so the delete that frees
 * the space still goes through; so is one that failed while another commit gave it up. A
 * failed commit changed nothing, so trying it again is safe.
 */
final class ReserveBackedStore implements Store {

    private final Store store;
    private final DiskReserve reserve;

    ReserveBackedStore(Store store, DiskReserve reserve) {
        this.store = store;
        this.reserve = reserve;
    }

    @Override
    public CompletableFuture<TxnResult> commit(Txn txn) {
        long releases = reserve.releases();
        return store.commit(txn).handle((result, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(result);
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof DomainException e && e.code() == ErrorCode.RESOURCE_EXHAUSTED
                    && (reserve.release() || reserve.releases() != releases)) {
                return store.commit(txn); // the reserve was given up, by this commit or by one that failed beside it
            }
            return CompletableFuture.<TxnResult>failedFuture(cause);
        }).thenCompose(next -> next);
    }

    @Override
    public long revision() {
        return store.revision();
    }

    @Override
    public Optional<KeyValue> get(String key) {
        return store.get(key);
    }

    @Override
    public List<KeyValue> getAll(Collection<String> keys) {
        return store.getAll(keys);
    }

    @Override
    public RangeResult range(String prefix, String startAfter, int limit) {
        return store.range(prefix, startAfter, limit);
    }

    @Override
    public Watch watch(String prefix, long afterRevision, WatchListener listener) {
        return store.watch(prefix, afterRevision, listener);
    }

    @Override
    public long compactedRevision() {
        return store.compactedRevision();
    }

    @Override
    public void compact(long revision) {
        store.compact(revision);
    }

    @Override
    public void close() {
        store.close();
    }
}
