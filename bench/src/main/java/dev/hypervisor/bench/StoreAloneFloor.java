package dev.hypervisor.bench;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Lifecycle;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.core.usecase.InstanceIds;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Figure 3's store floor: what the SQLite store alone takes for creates. As many threads as
 * clients each commit what one create comes to in the store (the record, name and index keys
 * under create-only compares, then the STARTING and RUNNING updates, encoded as the daemon
 * encodes them, durably, one after the other), in this JVM on a fresh file. No gRPC,
 * validation, reconciler reads or watches.
 */
record StoreAloneFloor(Path file, int threads) {

    private static final Metadata METADATA = new Metadata(Map.of("app", "bench", "tier", "a"), Map.of());
    private static final List<InstanceState> FOLLOW_UPS = List.of(InstanceState.STARTING, InstanceState.RUNNING);

    /** Creates per second over {@code seconds}, after an unmeasured run as long. */
    double run(double seconds) throws Exception {
        Files.deleteIfExists(file);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (SqliteStore store = SqliteStore.open(file, SqliteStoreOptions.defaults())) {
            InstanceRepository repository = new InstanceRepository(store);
            InstanceIds ids = new InstanceIds();
            AtomicLong names = new AtomicLong();
            rate(pool, repository, ids, names, seconds); // warm-up
            return rate(pool, repository, ids, names, seconds);
        } finally {
            pool.shutdownNow();
        }
    }

    private double rate(ExecutorService pool, InstanceRepository repository, InstanceIds ids, AtomicLong names,
            double seconds) throws InterruptedException, ExecutionException {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        List<Future<Long>> loops = IntStream.range(0, threads).mapToObj(t -> pool.submit(() -> {
            long done = 0;
            while (System.nanoTime() < end) {
                create(repository, ids.next(), "s-" + names.incrementAndGet());
                done++;
            }
            return done;
        })).toList();
        long total = 0;
        for (Future<Long> loop : loops) {
            total += loop.get();
        }
        return total / ((System.nanoTime() - start) / 1e9);
    }

    private static void create(InstanceRepository repository, String id, String name) {
        Instant now = Instant.now();
        Instance created = Instance.newInstance(id, name, InstanceType.CONTAINER, Populate.SPEC, METADATA,
                Placement.ANY, Populate.NODE_ID, now);
        Txn txn = Txn.create();
        repository.create(txn, created);
        Instance before = created.withRevision(committed(repository.store(), txn));
        for (InstanceState next : FOLLOW_UPS) {
            Instance after = Lifecycle.transition(before, next, "bench", now);
            Txn update = Txn.create();
            repository.update(update, before, after);
            before = after.withRevision(committed(repository.store(), update));
        }
    }

    private static long committed(Store store, Txn txn) {
        TxnResult result = store.commitAndWait(txn);
        if (!result.succeeded()) {
            throw new IllegalStateException("the store-alone floor: a compare failed at " + result.failedKey());
        }
        return result.revision();
    }
}
