package dev.hypervisor.host;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** How long a wait on the host may take: every wait of a driver ends by one, and says so. */
public final class Deadline {

    private final long endNanos;

    private Deadline(long endNanos) {
        this.endNanos = endNanos;
    }

    public static Deadline after(Duration duration) {
        return new Deadline(System.nanoTime() + duration.toNanos());
    }

    public boolean passed() {
        return System.nanoTime() - endNanos >= 0;
    }

    /** Time left, zero once passed. */
    public Duration left() {
        return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
    }

    /**
     * Checks {@code condition} every {@code poll} until it holds (true) or the deadline passes
     * (false). An interrupt ends the wait as a passed deadline, with the flag kept.
     */
    public boolean await(BooleanSupplier condition, Duration poll) {
        while (!condition.getAsBoolean()) {
            if (passed()) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(poll.toNanos(), left().toNanos()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return condition.getAsBoolean();
            }
        }
        return true;
    }

    /** Waits up to {@code timeout} for the process to exit; true when it did (or was gone already). */
    public static boolean awaitExit(ProcessHandle process, Duration timeout) {
        try {
            process.onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }
}
