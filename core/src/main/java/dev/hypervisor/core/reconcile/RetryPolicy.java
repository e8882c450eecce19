package dev.hypervisor.core.reconcile;

import java.time.Duration;

/**
 * How often a step that failed in a way worth retrying is tried again, and how long apart:
 * {@code initial}, doubling up to {@code max}; after {@code attempts} failures the instance is
 * in ERROR.
 */
public record RetryPolicy(int attempts, Duration initial, Duration max) {

    public static RetryPolicy defaults() {
        return new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    /** The wait before the next try, after {@code failed} failures (1 for the first). */
    Duration delay(int failed) {
        Duration delay = initial;
        for (int i = 1; i < failed && delay.compareTo(max) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(max) > 0 ? max : delay;
    }
}
