package dev.hypervisor.images.registry;

import java.time.Duration;
import java.util.Objects;

/**
 * How hard a {@link RegistryClient} tries: attempts per request, exponential back-off between
 * them, and how long a transfer may move no byte before it counts as a broken connection.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration stallTimeout) {

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(stallTimeout, "stallTimeout");
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0 || stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff and a positive stallTimeout");
        }
    }

    /** Six attempts (five retries) from 200 ms up to 5 s apart; a minute without a byte is a stall. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(6, Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(60));
    }

    /** The pause before retry number {@code retry} (1-based). */
    Duration backoff(int retry) {
        long millis = initialBackoff.toMillis() << Math.min(retry - 1, 20);
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }
}
