package dev.hypervisor.core.usecase;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.store.RecordCodec;
import dev.hypervisor.core.store.KeyValue;
import dev.hypervisor.core.store.RangeResult;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;

/**
 * Idempotent retries (AIP-155): a mutation with a request id is committed together with a
 * record of the request's fingerprint and its response, in one transaction. A retry finds
 * the record and gets the first response back without acting again, also after a restart;
 * the same id with another request is INVALID_ARGUMENT. Records are kept for
 * {@link #RETENTION}, then swept.
 */
public final class RequestLog {

    static final String PREFIX = "/requests/";
    public static final Duration RETENTION = Duration.ofHours(24);
    private static final int MAX_ATTEMPTS = 8;

    /** What one attempt of an operation wants to commit, and its response at the new revision. */
    public interface Attempt {
        /** The writes; an empty transaction means nothing changes and no revision is taken. */
        Txn txn();

        /** The response once {@link #txn()} committed at {@code revision} (ignored when nothing changes). */
        Instance response(long revision);
    }

    /** The stored form of a request record. */
    record Entry(String fingerprint, Instant createdAt, Instance response, long responseRevision) {}

    private final Store store;
    private final Clock clock;

    public RequestLog(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * Runs {@code attempt} (re-planned on a lost compare-and-swap, since it reads current state)
     * at most once per request id. The response may be null (operations that return nothing).
     */
    public Instance execute(String requestId, String fingerprint, Function<Integer, Attempt> attempt) {
        validate(requestId);
        for (int round = 0; round < MAX_ATTEMPTS; round++) {
            if (!requestId.isEmpty()) {
                Optional<Instance> earlier = replay(requestId, fingerprint);
                if (earlier != null) {
                    return earlier.orElse(null);
                }
            }
            Attempt planned = attempt.apply(round);
            Txn txn = planned.txn();
            boolean changes = !txn.ops().isEmpty();
            Instance unchanged = changes ? null : planned.response(0);
            if (!changes && requestId.isEmpty()) {
                return unchanged;
            }
            if (!requestId.isEmpty()) {
                Entry entry = changes
                        ? new Entry(fingerprint, clock.instant(), planned.response(0), 0)
                        : new Entry(fingerprint, clock.instant(), unchanged, unchanged == null ? 0 : unchanged.revision());
                txn.ifAbsent(PREFIX + requestId).put(PREFIX + requestId, RecordCodec.encode(entry));
            }
            TxnResult result = store.commitAndWait(txn);
            if (result.succeeded()) {
                return changes ? planned.response(result.revision()) : unchanged;
            }
        }
        throw DomainException.aborted("too many concurrent updates; retry");
    }

    /** Null when the id is new; otherwise the first response (empty for operations without one). */
    private Optional<Instance> replay(String requestId, String fingerprint) {
        Optional<KeyValue> kv = store.get(PREFIX + requestId);
        if (kv.isEmpty()) {
            return null;
        }
        Entry entry = RecordCodec.decode(kv.get().value(), Entry.class);
        if (!entry.fingerprint().equals(fingerprint)) {
            throw DomainException.invalidArgument("request_id",
                    "already used by a different request; use a new request_id for a new request");
        }
        long revision = entry.responseRevision() != 0 ? entry.responseRevision() : kv.get().modRevision();
        return Optional.ofNullable(entry.response()).map(r -> r.withRevision(revision));
    }

    private static void validate(String requestId) {
        if (requestId.length() > 128) {
            throw DomainException.invalidArgument("request_id", "at most 128 characters");
        }
        for (int i = 0; i < requestId.length(); i++) {
            char c = requestId.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw DomainException.invalidArgument("request_id", "printable ASCII without spaces only");
            }
        }
    }

    /** Deletes records older than the retention; returns how many went. */
    public int sweep() {
        Instant cutoff = clock.instant().minus(RETENTION);
        int removed = 0;
        String after = "";
        while (true) {
            // Pages of 100: each is one transaction, and etcd takes at most 128 operations in one by default.
            RangeResult page = store.range(PREFIX, after, 100);
            Txn txn = Txn.create();
            for (KeyValue kv : page.kvs()) {
                Entry entry = RecordCodec.decode(kv.value(), Entry.class);
                if (entry.createdAt().isBefore(cutoff)) {
                    txn.ifModRevision(kv.key(), kv.modRevision()).delete(kv.key());
                    removed++;
                }
            }
            if (!txn.ops().isEmpty() && !store.commitAndWait(txn).succeeded()) {
                throw new DomainException(ErrorCode.ABORTED, "request record changed during sweep");
            }
            if (!page.more() || page.kvs().isEmpty()) {
                return removed;
            }
            after = page.kvs().get(page.kvs().size() - 1).key();
        }
    }
}
