package dev.hypervisor.core.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A watch listener that records every call so tests can wait for deliveries and inspect them. */
public final class RecordingListener implements WatchListener {

    private final List<List<WatchEvent>> calls = new ArrayList<>();
    private final List<RuntimeException> errors = new ArrayList<>();

    @Override
    public synchronized void onEvents(List<WatchEvent> events) {
        calls.add(List.copyOf(events));
        notifyAll();
    }

    @Override
    public synchronized void onError(RuntimeException error) {
        errors.add(error);
        notifyAll();
    }

    /** Every onEvents call so far, in order. */
    public synchronized List<List<WatchEvent>> calls() {
        return List.copyOf(calls);
    }

    /** Every delivered event so far, in order. */
    public synchronized List<WatchEvent> events() {
        return calls.stream().flatMap(List::stream).toList();
    }

    /** The revision of each onEvents call, in order. */
    public synchronized List<Long> revisions() {
        return calls.stream().map(c -> c.get(0).revision()).toList();
    }

    public synchronized List<RuntimeException> errors() {
        return List.copyOf(errors);
    }

    /** Waits until a call for {@code revision} or later has arrived. */
    public synchronized void awaitRevision(long revision, Duration timeout) {
        awaitUntil(() -> !calls.isEmpty() && calls.get(calls.size() - 1).get(0).revision() >= revision,
                timeout, "revision " + revision);
    }

    /** Waits for onError and returns its exception. */
    public synchronized RuntimeException awaitError(Duration timeout) {
        awaitUntil(() -> !errors.isEmpty(), timeout, "an error");
        return errors.get(0);
    }

    private void awaitUntil(java.util.function.BooleanSupplier done, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no " + what + " within " + timeout + "; calls so far: "
                        + revisions() + ", errors: " + errors);
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }
}
