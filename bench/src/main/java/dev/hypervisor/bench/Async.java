package dev.hypervisor.bench;

import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** The stream observer and the bounded wait for a future that the benchmarks share. */
public final class Async {

    private Async() {}

    /** Hands each message to {@code next}, and the end of the stream to {@code end}: its error, or null once completed. */
    public static <T> StreamObserver<T> observer(Consumer<T> next, Consumer<Throwable> end) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                next.accept(value);
            }

            @Override
            public void onError(Throwable t) {
                end.accept(t);
            }

            @Override
            public void onCompleted() {
                end.accept(null);
            }
        };
    }

    /** The value of {@code future} within {@code timeout}; else fails naming {@code what}, and {@code shown} on a timeout. */
    public static <T> T await(CompletableFuture<T> future, String what, Duration timeout, Supplier<String> shown) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what
                    + shown.get());
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + what, e);
        }
    }
}
