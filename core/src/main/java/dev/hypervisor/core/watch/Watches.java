package dev.hypervisor.core.watch;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.store.Store;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * WatchInstance: opens {@link InstanceWatch}es on the store's watch and sends bookmarks to
 * idle ones, so that a watcher can resume cheaply after a disconnect or a daemon restart.
 */
public final class Watches implements AutoCloseable {

    public static final Duration DEFAULT_BOOKMARK_INTERVAL = Duration.ofSeconds(30);
    public static final int DEFAULT_CAPACITY = 10_000;

    private final InstanceRepository repository;
    private final Clock clock;
    private final int capacity;
    private final Set<InstanceWatch> open = ConcurrentHashMap.newKeySet();
    private final EventDecoder decoder;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "watch-bookmarks");
        t.setDaemon(true);
        return t;
    });

    public Watches(InstanceRepository repository, Clock clock, int capacity) {
        this.repository = repository;
        this.clock = clock;
        this.capacity = capacity;
        this.decoder = new EventDecoder(repository, clock);
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Starts a watch; {@code onAvailable} runs (on a store thread; it must not block) whenever
     * events wait to be polled or the watch failed.
     *
     * @throws DomainException OUT_OF_RANGE for a compacted or future revision
     */
    public InstanceWatch open(WatchRequest request, Runnable onAvailable) {
        if (request.afterRevision() < 0) {
            throw DomainException.invalidArgument("after_revision", "must not be negative");
        }
        Store store = repository.store();
        long current = store.revision();
        if (request.afterRevision() > current) {
            throw new DomainException(ErrorCode.OUT_OF_RANGE, "after_revision " + request.afterRevision()
                    + " is in the future; the current revision is " + current);
        }
        // From an explicit revision, not "from now", so nothing between reading the current
        // revision and registering can slip through.
        long start = request.afterRevision() > 0 ? request.afterRevision() : current;
        InstanceWatch watch = new InstanceWatch(repository, request, capacity, onAvailable, clock, start, decoder);
        watch.attach(store.watch(InstanceRepository.INSTANCES, start, watch));
        open.add(watch);
        return watch;
    }

    /** Stops tracking a watch the transport has finished with, and closes it. */
    public void release(InstanceWatch watch) {
        open.remove(watch);
        watch.close();
    }


    private void tick() {
        var now = clock.instant();
        for (InstanceWatch watch : open) {
            if (watch.closed()) {
                open.remove(watch);
            } else {
                watch.bookmarkIfIdle(now);
            }
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        open.forEach(InstanceWatch::close);
        open.clear();
    }
}
