package dev.hypervisor.core.store;

import dev.hypervisor.core.error.DomainException;

/**
 * Copies every key of one store into another that is empty: a single host's state (instances,
 * image records, addresses, the request log) moved from SQLite into etcd. Values are copied
 * byte for byte; revisions are the target's own, as they always are (nothing the daemon keeps
 * in a value depends on them, and a logged response keeps the revision its client saw).
 *
 * <p>The source must not change meanwhile (the caller holds the daemon's lock on it). Each
 * page is one transaction that puts its keys only if they are absent, so that a copy racing
 * another writer on the target stops instead of overwriting; a copy that stops half-way
 * leaves a non-empty target, which the next attempt refuses, to be cleared by hand.
 */
public final class StoreCopy {

    /** Keys per transaction, below etcd's default limit of 128 operations in one. */
    public static final int PAGE = 100;

    /** What was copied: keys and the transactions they took. */
    public record Copied(long keys, long transactions) {}

    private StoreCopy() {}

    /** Copies all of {@code from} into {@code to}; FAILED_PRECONDITION when {@code to} holds any key. */
    public static Copied copy(Store from, Store to) {
        RangeResult existing = to.range("", "", 1);
        if (!existing.kvs().isEmpty()) {
            throw DomainException.failedPrecondition("the target store is not empty (it holds "
                    + existing.kvs().get(0).key() + (existing.more() ? " and more" : "")
                    + "); copy into an empty store or a new --store-prefix");
        }
        long keys = 0;
        long transactions = 0;
        String after = "";
        RangeResult page;
        do {
            page = from.range("", after, PAGE);
            if (page.kvs().isEmpty()) {
                break;
            }
            Txn txn = Txn.create();
            for (KeyValue kv : page.kvs()) {
                txn.ifAbsent(kv.key()).put(kv.key(), kv.value());
            }
            TxnResult result = to.commitAndWait(txn);
            if (!result.succeeded()) {
                throw DomainException.failedPrecondition("the key " + result.failedKey()
                        + " appeared in the target store during the copy: something else writes there; "
                        + keys + " keys were copied before it");
            }
            keys += page.kvs().size();
            transactions++;
            after = page.kvs().get(page.kvs().size() - 1).key();
        } while (page.more());
        return new Copied(keys, transactions);
    }
}
