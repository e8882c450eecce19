package dev.hypervisor.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Throughput with a fixed number of callers, each issuing its next call as soon as the last one completed (a closed
 * loop), for a fixed time; asynchronous, so the client needs no thread per caller on a small machine.
 */
final class ClosedLoop {

    record Result(long completed, double seconds) {}

    private ClosedLoop() {}

    /**
     * Runs {@code callers} loops of {@code call} (given a sequence number) for {@code seconds}; counts only calls that
     * complete within the time. Waits at most 30 seconds more for the calls in flight; fails, naming {@code what}.
     */
    static Result run(String what, int callers, double seconds, IntFunction<ListenableFuture<?>> call)
            throws InterruptedException {
        AtomicLong completed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicInteger sequence = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>("");
        CountDownLatch finished = new CountDownLatch(callers);
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        for (int c = 0; c < callers; c++) {
            new Caller(call, sequence, end, completed, failed, firstFailure, finished).next();
        }
        if (!finished.await((long) (seconds * 1000) + 30_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("calls still in flight 30s after the measurement ended");
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(what + ": " + failed.get() + " calls failed, first: " + firstFailure.get());
        }
        return new Result(completed.get(), (end - start) / 1e9);
    }

    /** One caller: issues a call, and on its completion the next, until the end time. */
    private record Caller(IntFunction<ListenableFuture<?>> call, AtomicInteger sequence,
            long end, AtomicLong completed, AtomicLong failed, AtomicReference<String> firstFailure,
            CountDownLatch finished) implements FutureCallback<Object> {

        void next() {
            if (System.nanoTime() >= end) {
                finished.countDown();
                return;
            }
            ListenableFuture<?> future;
            try {
                future = call.apply(sequence.getAndIncrement());
            } catch (RuntimeException e) {
                onFailure(e);
                return;
            }
            Futures.addCallback(future, this, MoreExecutors.directExecutor());
        }

        @Override
        public void onSuccess(Object result) {
            if (System.nanoTime() < end) {
                completed.incrementAndGet();
            }
            next();
        }

        @Override
        public void onFailure(Throwable t) {
            failed.incrementAndGet();
            firstFailure.compareAndSet("", t.toString());
            // Off this stack, and a little later, so a failing server does not turn the loop into a spin.
            CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS).execute(this::next);
        }
    }
}
