package dev.hypervisor.bench.images;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.HostTools;
import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.Rotation;
import dev.hypervisor.core.image.PullListener.Phase;
import dev.hypervisor.host.FileTrees;
import dev.hypervisor.images.ImageOptions;
import dev.hypervisor.images.LocalImageStore;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** Figure 1: our image store's pull and unpack against skopeo copy + umoci unpack, alternating by round. */
final class PullUnpackRace {

    /** One side's wall time, and how long its first step (download, or skopeo copy) took. */
    record Timing(long totalNanos, long fetchNanos) {}

    private final BenchRun run;
    private final String reference;
    private final Path work;
    private final Duration timeout;
    // What the first measured round of each side (ours, baseline) left on disk, and unpacked.
    private final TreeTally[] total = new TreeTally[2];
    private final TreeTally[] unpacked = new TreeTally[2];

    PullUnpackRace(BenchRun run, String reference, Path work, Duration timeout) {
        this.run = run;
        this.reference = reference;
        this.work = work;
        this.timeout = timeout;
    }

    /** One unmeasured warm-up round, then {@code rounds} measured ones; adds the row and notes to the report. */
    void measure(int rounds, BenchImages.Pushed image) throws Exception {
        Report table = run.report();
        run.progress("figure 1: warm-up round");
        side(true, 0, new Percentiles());
        side(false, 0, new Percentiles());
        // Rounds alternate the side that goes first, so neither always runs right after the other's writes.
        Rotation rotation = new Rotation();
        Percentiles oursFetch = new Percentiles();
        Percentiles baseFetch = new Percentiles();
        Percentiles ours = rotation.side((r, measured) -> side(true, r + 1, oursFetch));
        Percentiles base = rotation.side((r, measured) -> side(false, r + 1, baseFetch));
        rotation.run(0, rounds, (r, values) -> run.progress("figure 1: round %d of %d: ours %.2f s, skopeo+umoci %.2f s",
                r, rounds, values[0] / 1e9, values[1] / 1e9));
        long oursMedian = median(ours);
        long baseMedian = median(base);
        double ratio = (double) oursMedian / baseMedian;
        table.add(new Report.Row(String.format(Locale.ROOT, "1 pull+unpack %.0f MiB image, %d layers (median of %d)",
                image.compressedBytes() / 1048576.0, image.layers(), rounds), Report.seconds(oursMedian),
                Report.seconds(baseMedian), ratio, "<= 1.00x", ratio <= 1.0));
        table.note("1: medians: ours download %.2f s + unpack %.2f s; baseline skopeo copy %.2f s + umoci unpack %.2f s",
                median(oursFetch) / 1e9, (oursMedian - median(oursFetch)) / 1e9, median(baseFetch) / 1e9,
                (baseMedian - median(baseFetch)) / 1e9);
        table.note("1: every round: ours %s; baseline %s", ours.join(Report::seconds), base.join(Report::seconds));
        table.note("1: on disk after one pull: ours %s (blobs, store, %d files unpacked into layer dirs);"
                + " baseline %s (OCI layout, bundle with %d files, umoci's mtree)", Report.mebibytes(total[0].bytes()),
                unpacked[0].files(), Report.mebibytes(total[1].bytes()), unpacked[1].files());
    }

    /** One side's round (0: the warm-up): its wall time, its fetch time into {@code fetch}; round 1 is tallied. */
    private long side(boolean ours, int round, Percentiles fetch) throws IOException {
        Path dir = work.resolve((ours ? "ours-" : "baseline-") + round);
        Files.createDirectories(dir);
        // Earlier rounds' writes and deletes are flushed first, so that neither side pays for the other's.
        HostTools.run(List.of("sync"), work.resolve("sync.log"), Duration.ofSeconds(120));
        Timing timing = ours ? ours(dir) : baseline(dir);
        if (round == 1) {
            tally(dir, ours ? 0 : 1);
        }
        FileTrees.delete(dir);
        fetch.add(timing.fetchNanos());
        return timing.totalNanos();
    }

    private Timing ours(Path dir) {
        try (SqliteStore store = SqliteStore.open(dir.resolve("store.db"), SqliteStoreOptions.defaults());
                LocalImageStore images = LocalImageStore.open(dir.resolve("images"), store, ImageOptions.defaults(),
                        "bench-node")) {
            AtomicLong unpacking = new AtomicLong();
            long start = System.nanoTime();
            images.pull(reference, "", (phase, done, total, blobs, message) -> {
                if (phase == Phase.UNPACKING) {
                    unpacking.compareAndSet(0, System.nanoTime());
                }
            });
            long end = System.nanoTime();
            return new Timing(end - start, (unpacking.get() == 0 ? end : unpacking.get()) - start);
        }
    }

    private Timing baseline(Path dir) {
        Path layout = dir.resolve("oci");
        long copy = HostTools.run(List.of("skopeo", "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false",
                "docker://" + reference, "oci:" + layout + ":v1"), dir.resolve("skopeo.log"), timeout);
        long unpack = HostTools.run(List.of("umoci", "unpack", "--image", layout + ":v1", dir.resolve("bundle").toString()),
                dir.resolve("umoci.log"), timeout);
        return new Timing(copy + unpack, copy);
    }

    /**
     * Notes what one pull left on disk, and refuses a run where our store did not unpack the files umoci did: without
     * overlayfs, layers are only unpacked when a container is created.
     */
    private void tally(Path dir, int side) throws IOException {
        total[side] = TreeTally.of(dir);
        unpacked[side] = side == 0 ? layerDiffs(dir.resolve("images/snapshots/layers")) : TreeTally.of(dir.resolve("bundle/rootfs"));
        run.progress("figure 1: %s left %s on disk, %d regular files unpacked (%s)", side == 0 ? "ours" : "baseline",
                Report.mebibytes(total[side].bytes()), unpacked[side].files(), Report.mebibytes(unpacked[side].bytes()));
        if (unpacked[0] != null && unpacked[1] != null && !unpacked[0].equals(unpacked[1])) {
            throw new IllegalStateException("ours unpacked " + unpacked[0] + ", umoci " + unpacked[1]
                    + ": the sides did not do the same work (is overlayfs usable here?)");
        }
    }

    private static TreeTally layerDiffs(Path layers) throws IOException {
        TreeTally sum = new TreeTally(0, 0);
        try (DirectoryStream<Path> chains = Files.newDirectoryStream(layers)) {
            for (Path chain : chains) {
                sum = sum.plus(TreeTally.of(chain.resolve("diff")));
            }
        }
        return sum;
    }

    /** The median, the mean of the middle two of an even count. */
    static long median(Percentiles samples) {
        long[] sorted = samples.values();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
