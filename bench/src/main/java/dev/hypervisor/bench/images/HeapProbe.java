package dev.hypervisor.bench.images;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.HostTools;
import dev.hypervisor.bench.Report;
import dev.hypervisor.core.image.PullListener;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.images.ImageOptions;
import dev.hypervisor.images.LocalImageStore;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import dev.hypervisor.testkit.ProcessMemory;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Figure 2: a child JVM with a small heap and the daemon's collector ({@link #main}) pulls busybox (the baseline), then
 * the image with one large layer, watching its used heap every 20 ms (garbage included) and right after each
 * collection (what is live). It prints a {@code probe} line per pull, which {@link #measure} reads.
 */
public final class HeapProbe {

    private static final long LIMIT = 64L << 20;

    /** One pull: peak used heap minus the used heap before it; the same after a collection (-1: none ran); peak RSS. */
    private record Pull(long growth, long liveGrowth, long peakRss, long nanos, long unpacked) {}

    private HeapProbe() {}

    /** Runs the child with an -Xmx of {@code heap} MiB; adds the row and notes. */
    static void measure(BenchRun run, int layerMib, int heap, BenchImages.Pushed small, BenchImages.Pushed large)
            throws IOException {
        Path dir = run.dir("heap");
        Report table = run.report();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // bin/hypervisord's collector and initial heap, so that young garbage is bounded as in the daemon.
                "-Xms" + Math.min(64, heap) + "m", "-Xmx" + heap + "m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), HeapProbe.class.getName(),
                dir.resolve("pulls").toString(), small.reference(), large.reference());
        HostCommand.Result result = HostCommand.of(command).separatingErrors()
                .timeout(Duration.ofSeconds(180 + layerMib / 5)).call();
        Path log = Files.writeString(dir.resolve("probe.log"), result.errors());
        Map<String, Pull> pulls = new HashMap<>();
        for (String line : result.output().lines().toList()) {
            String[] f = line.trim().split(" ");
            if (f.length == 7 && f[0].equals("probe")) {
                pulls.put(f[1], new Pull(Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                        Long.parseLong(f[5]), Long.parseLong(f[6])));
            }
        }
        Pull base = pulls.get("small");
        Pull ours = pulls.get("large");
        if (result.exitCode() != 0 || base == null || ours == null) {
            throw new IllegalStateException("the heap probe (exit " + result.exitCode() + ") reported " + pulls.keySet()
                    + ":\n" + HostTools.tail(log));
        }
        long layerBytes = (long) layerMib << 20;
        if (ours.unpacked() < layerBytes) {
            throw new IllegalStateException("the probe unpacked " + ours.unpacked() + " bytes of a " + layerBytes
                    + "-byte layer: it did not do the work measured (is overlayfs usable here?)");
        }
        table.add(new Report.Row(String.format(Locale.ROOT, "2 heap growth pulling a %d MiB layer (-Xmx%dm)",
                layerMib, heap), Report.mebibytes(ours.growth()), Report.mebibytes(base.growth()),
                (double) ours.growth() / Math.max(1, base.growth()), "< 64 MiB", ours.growth() < LIMIT));
        table.note("2: baseline = busybox pulled in the same child JVM (-Xms%dm -Xmx%dm -XX:+UseSerialGC); growth = peak used"
                + " heap, sampled every 20 ms, minus the used heap after System.gc() just before the pull", Math.min(64, heap), heap);
        table.note("2: live heap after a collection peaked at %s (busybox: %s); peak RSS (VmHWM) during the pull %s"
                + " (busybox: %s); the large pull took %.1f s (%.0f MiB/s)", live(ours), live(base),
                Report.mebibytes(ours.peakRss()), Report.mebibytes(base.peakRss()), ours.nanos() / 1e9,
                layerMib / (ours.nanos() / 1e9));
    }

    private static String live(Pull p) {
        return p.liveGrowth() >= 0 ? "+" + Report.mebibytes(p.liveGrowth()) : "- (no collection ran)";
    }

    /** The child: {@code HeapProbe <dir> <small> <large>} prints a {@code probe} line per measured pull. */
    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Path dir = Path.of(args[0]);
        // Loads and initialises the whole pull path once, so neither measured pull pays for it.
        pull(dir.resolve("warm-up"), args[1], null);
        pull(dir.resolve("small"), args[1], "small");
        pull(dir.resolve("large"), args[2], "large");
        System.exit(0);
    }

    /** Pulls {@code image} into a fresh store under {@code root}; prints its probe line unless {@code label} is null. */
    private static void pull(Path root, String image, String label) throws Exception {
        Files.createDirectories(root);
        try (SqliteStore store = SqliteStore.open(root.resolve("store.db"), SqliteStoreOptions.defaults());
                LocalImageStore images = LocalImageStore.open(root.resolve("images"), store, ImageOptions.defaults(),
                        "bench-node")) {
            try { // VmHWM back to the current RSS (Linux 4.0+), so each pull's peak is its own
                Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            } catch (IOException e) {
                System.err.println("cannot reset VmHWM (" + e.getMessage() + "); peaks are since the JVM started");
            }
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(100);
            }
            long baseline = used();
            AtomicLong peakUsed = new AtomicLong();
            AtomicLong peakAfterGc = new AtomicLong();
            Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
            NotificationListener collected = (notification, handback) -> {
                if (notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    peakAfterGc.accumulateAndGet(GarbageCollectionNotificationInfo.from((CompositeData) notification
                            .getUserData()).getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                            .filter(e -> heapPools.contains(e.getKey())).mapToLong(e -> e.getValue().getUsed()).sum(),
                            Math::max);
                }
            };
            List<NotificationEmitter> emitters = ManagementFactory.getGarbageCollectorMXBeans().stream()
                    .filter(NotificationEmitter.class::isInstance).map(NotificationEmitter.class::cast).toList();
            emitters.forEach(emitter -> emitter.addNotificationListener(collected, null, null));
            var sampler = Executors.newSingleThreadScheduledExecutor();
            long start = System.nanoTime();
            sampler.scheduleWithFixedDelay(() -> peakUsed.accumulateAndGet(used(), Math::max), 0, 20,
                    TimeUnit.MILLISECONDS);
            try {
                images.pull(image, "", PullListener.NONE);
                peakUsed.accumulateAndGet(used(), Math::max);
            } finally {
                sampler.shutdownNow();
                sampler.awaitTermination(1, TimeUnit.SECONDS);
                for (NotificationEmitter emitter : emitters) {
                    emitter.removeNotificationListener(collected);
                }
            }
            long nanos = System.nanoTime() - start;
            long unpacked = TreeTally.of(root.resolve("images/snapshots/layers")).bytes();
            if (label != null) {
                System.out.printf(Locale.ROOT, "probe %s %d %d %d %d %d%n", label, peakUsed.get() - baseline,
                        peakAfterGc.get() > 0 ? Math.max(0, peakAfterGc.get() - baseline) : -1,
                        ProcessMemory.peakRssBytes(ProcessHandle.current().pid()), nanos, unpacked);
                System.out.flush();
            }
        }
    }

    private static long used() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
