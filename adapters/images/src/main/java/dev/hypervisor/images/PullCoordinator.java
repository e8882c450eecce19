package dev.hypervisor.images;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.image.PullListener;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs each pull once however many callers ask for it at the same time: later callers join
 * the pull in flight and see its progress. Pulls run on their own threads, so a caller that
 * disconnects does not stop them and its retry finds the work done or still going.
 */
final class PullCoordinator implements AutoCloseable {

    private final ExecutorService workers;
    private final ScheduledExecutorService ticker;
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();

    private record InFlight(PullProgress progress, CompletableFuture<ImageRecord> result) {}

    PullCoordinator(ExecutorService workers, ScheduledExecutorService ticker) {
        this.workers = workers;
        this.ticker = ticker;
    }

    /** Pulls {@code key} with {@code task}, or joins the pull of it in flight; blocks until done. */
    ImageRecord pull(String key, Function<PullProgress, ImageRecord> task, PullListener listener) {
        InFlight pull = inFlight.computeIfAbsent(key, k -> start(k, task));
        pull.progress().attach(listener);
        try {
            return pull.result().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new DomainException(ErrorCode.INTERNAL, "pull of " + key + " failed", e.getCause());
        } finally {
            pull.progress().detach(listener);
        }
    }


    private InFlight start(String key, Function<PullProgress, ImageRecord> task) {
        PullProgress progress = new PullProgress();
        CompletableFuture<ImageRecord> result = new CompletableFuture<>();
        InFlight pull = new InFlight(progress, result);
        var ticks = ticker.scheduleAtFixedRate(progress::tick, 250, 250, TimeUnit.MILLISECONDS);
        workers.execute(() -> {
            try {
                result.complete(task.apply(progress));
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
            } finally {
                ticks.cancel(false);
                progress.tick();
                inFlight.remove(key, pull);
            }
        });
        return pull;
    }

    @Override
    public void close() {
        workers.shutdownNow();
        ticker.shutdownNow();
    }
}
