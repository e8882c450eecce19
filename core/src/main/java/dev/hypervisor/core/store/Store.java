package dev.hypervisor.core.store;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A revisioned key-value store, the one persistence port: SQLite now, etcd later.
 *
 * <p>Every committed transaction gets the next revision (one revision for all of its
 * operations, as in etcd); writes are compare-and-swap on a key's mod revision; reads
 * range over a prefix in key order with keyset pagination; a watch delivers every change
 * after a revision, in revision order. A commit is acknowledged only once it is durable.
 *
 * <p>Failures of the backing store are {@link dev.hypervisor.core.error.DomainException}s
 * with code UNAVAILABLE, or RESOURCE_EXHAUSTED when it has no space left to write; a watch
 * from a compacted revision fails with OUT_OF_RANGE.
 */
public interface Store extends AutoCloseable {

    /** The revision of the last committed transaction (0 for an empty store). */
    long revision();

    /** The current value of a key. */
    Optional<KeyValue> get(String key);

    /** The current values of the keys that exist, in key order. */
    List<KeyValue> getAll(Collection<String> keys);

    /**
     * Keys that start with {@code prefix} and sort after {@code startAfter} (empty: from the
     * first), ascending, at most {@code limit}; {@link RangeResult#more()} says whether more follow.
     */
    RangeResult range(String prefix, String startAfter, int limit);

    /**
     * Applies the transaction's operations atomically if all of its comparisons hold.
     * Completes when the outcome is durable; concurrent commits may share one sync.
     */
    CompletableFuture<TxnResult> commit(Txn txn);

    /** {@link #commit} and wait for the outcome, rethrowing the store's own failure. */
    default TxnResult commitAndWait(Txn txn) {
        try {
            return commit(txn).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /**
     * Delivers every change to keys under {@code prefix} with a revision greater than
     * {@code afterRevision} (0: only changes from now on), in revision order, to the listener.
     *
     * @throws dev.hypervisor.core.error.DomainException OUT_OF_RANGE when afterRevision is
     *     older than {@link #compactedRevision()}
     */
    Watch watch(String prefix, long afterRevision, WatchListener listener);

    /** Revisions at or below this one are gone from the change history. */
    long compactedRevision();

    /** Drops change history at or below {@code revision}; current values are kept. */
    void compact(long revision);

    @Override
    void close();
}
