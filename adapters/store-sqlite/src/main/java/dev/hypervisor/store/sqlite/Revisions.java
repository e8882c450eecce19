package dev.hypervisor.store.sqlite;

import java.util.concurrent.atomic.AtomicLong;

/** The last committed and the compacted revision, kept in memory so reading them never touches SQLite. */
final class Revisions {

    private final AtomicLong current;
    private final AtomicLong compacted;

    Revisions(long current, long compacted) {
        this.current = new AtomicLong(current);
        this.compacted = new AtomicLong(compacted);
    }

    long current() {
        return current.get();
    }

    long compacted() {
        return compacted.get();
    }

    /** Called by the writer only after the COMMIT that made {@code revision} durable returned. */
    void committed(long revision) {
        current.accumulateAndGet(revision, Math::max);
    }

    void compactedTo(long revision) {
        compacted.accumulateAndGet(revision, Math::max);
    }
}
