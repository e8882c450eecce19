package dev.hypervisor.bench;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceState;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Lifecycle;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.store.Txn;
import dev.hypervisor.core.store.TxnResult;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fills a daemon's data dir straight through the store, hundreds of instances per transaction: half RUNNING and half
 * STOPPED (stopped on request, so the reconciler leaves them be), {@code tier=a|b} apart from the state, ids random.
 */
final class Populate {

    static final String NODE_ID = "bench-node";
    private static final int PER_TXN = 500;
    private static final int IN_FLIGHT = 4;
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    static final InstanceSpec SPEC = new InstanceSpec("docker.io/library/busybox:1.36", 1, 64L << 20,
            List.of(), new NetworkSpec(NetworkSpec.DEFAULT, ""), "", List.of("sleep", "infinity"), Map.of());

    private Populate() {}

    /** Writes {@code count} instances into {@code dataDir}/state.db, which must not be in use; returns seconds taken. */
    static double fill(Path dataDir, int count, long seed) throws Exception {
        Files.createDirectories(dataDir);
        long began = System.nanoTime();
        Random random = new Random(seed);
        try (SqliteStore store = SqliteStore.open(dataDir.resolve("state.db"), SqliteStoreOptions.defaults())) {
            InstanceRepository repository = new InstanceRepository(store);
            ArrayDeque<CompletableFuture<TxnResult>> pending = new ArrayDeque<>();
            Instant now = Instant.now();
            for (int from = 0; from < count; from += PER_TXN) {
                Txn txn = Txn.create();
                for (int i = from; i < Math.min(count, from + PER_TXN); i++) {
                    repository.create(txn, instance(i, randomId(random), now));
                }
                pending.add(store.commit(txn));
                if (pending.size() >= IN_FLIGHT) {
                    requireSucceeded(pending.poll());
                }
            }
            while (!pending.isEmpty()) {
                requireSucceeded(pending.poll());
            }
        }
        return (System.nanoTime() - began) / 1e9;
    }

    private static void requireSucceeded(CompletableFuture<TxnResult> commit) throws Exception {
        if (!commit.get(120, TimeUnit.SECONDS).succeeded()) {
            throw new IllegalStateException("populate: a transaction's compare failed (duplicate id or name?)");
        }
    }

    /** Instance {@code i}: even ones RUNNING, odd ones STOPPED; tier a for i mod 4 in {0, 1}, else b. */
    static Instance instance(int i, String id, Instant now) {
        String tier = (i / 2) % 2 == 0 ? "a" : "b";
        Metadata metadata = new Metadata(Map.of("app", "bench", "tier", tier), Map.of("bench/populated", "true"));
        Instance created = Instance.newInstance(id, "p-" + i, InstanceType.CONTAINER, SPEC, metadata,
                Placement.ANY, NODE_ID, now);
        Instance running = Lifecycle.transition(
                Lifecycle.transition(created, InstanceState.STARTING, "provisioned", now),
                InstanceState.RUNNING, "started", now);
        if (i % 2 == 0) {
            return running;
        }
        Instance stopping = Lifecycle.stop(running, false, 0, now);
        return Lifecycle.transition(stopping, InstanceState.STOPPED, "stopped", now);
    }

    private static String randomId(Random random) {
        char[] suffix = new char[12];
        for (int i = 0; i < suffix.length; i++) {
            suffix[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return "inst-" + new String(suffix);
    }
}
