package dev.hypervisor.store.sqlite;

import java.time.Duration;

/**
 * Tuning for {@link SqliteStore}: how much change history to keep, how many read connections,
 * how many queued transactions one group commit may take, and how long to wait on a locked file.
 */
public record SqliteStoreOptions(long historyRevisions, int readPoolSize, int maxBatchSize, Duration busyTimeout) {

    public SqliteStoreOptions {
        if (historyRevisions < 1 || readPoolSize < 1 || maxBatchSize < 1) {
            throw new IllegalArgumentException("historyRevisions, readPoolSize and maxBatchSize must be positive");
        }
        if (busyTimeout == null || busyTimeout.isNegative()) {
            throw new IllegalArgumentException("busyTimeout must be zero or positive");
        }
    }

    public static SqliteStoreOptions defaults() {
        return new SqliteStoreOptions(1_000_000, 4, 512, Duration.ofSeconds(5));
    }

    public SqliteStoreOptions withHistoryRevisions(long revisions) {
        return new SqliteStoreOptions(revisions, readPoolSize, maxBatchSize, busyTimeout);
    }

    public SqliteStoreOptions withReadPoolSize(int size) {
        return new SqliteStoreOptions(historyRevisions, size, maxBatchSize, busyTimeout);
    }

    public SqliteStoreOptions withMaxBatchSize(int size) {
        return new SqliteStoreOptions(historyRevisions, readPoolSize, size, busyTimeout);
    }

    public SqliteStoreOptions withBusyTimeout(Duration timeout) {
        return new SqliteStoreOptions(historyRevisions, readPoolSize, maxBatchSize, timeout);
    }
}
