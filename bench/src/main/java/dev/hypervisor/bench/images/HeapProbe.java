package dev.hypervisor.bench.images;

import dev.hypervisor.core.image.PullListener;
import dev.hypervisor.images.ImageOptions;
import dev.hypervisor.images.LocalImageStore;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import dev.hypervisor.testkit.ProcessMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Figure 2's child JVM: {@code HeapProbe <dir> <small> <large>} prints a {@code probe ...} line per pull. */
public final class HeapProbe {

    private HeapProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: HeapProbe <dir> <small-image> <large-image>");
            System.exit(2);
        }
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
            resetPeakRss();
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(100);
            }
            long baseline = HeapWatch.used();
            long start = System.nanoTime();
            long peakUsed;
            long peakAfterGc;
            try (HeapWatch watch = HeapWatch.start()) {
                images.pull(image, "", PullListener.NONE);
                peakUsed = watch.peakUsed();
                peakAfterGc = watch.peakAfterGc();
            }
            long nanos = System.nanoTime() - start;
            long unpacked = TreeTally.of(root.resolve("images/snapshots/layers")).bytes();
            if (label != null) {
                System.out.printf(Locale.ROOT, "probe %s baseline=%d peakUsed=%d peakAfterGc=%d peakRss=%d nanos=%d"
                        + " unpacked=%d%n", label, baseline, peakUsed, peakAfterGc,
                        ProcessMemory.peakRssBytes(ProcessHandle.current().pid()), nanos, unpacked);
                System.out.flush();
            }
        }
    }

    /** Resets VmHWM to the current RSS (Linux 4.0+, clear_refs "5"), so each pull's peak is its own. */
    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            System.err.println("cannot reset VmHWM (" + e.getMessage() + "); peaks are since the JVM started");
        }
    }
}
