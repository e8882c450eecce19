package dev.hypervisor.bench.microvms;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.HostTools;
import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.Rotation;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Figure 2 (bench/README.md, MicroVMs): a ~50 MB image's root filesystem, built and cached. Each round takes a boot
 * disk size not used before: the driver caches one ext4 image per image digest and size, so that size finds it cold.
 */
record RootfsFigure(BenchRun run, MicroVms api, String image, String small, Path tree) {

    private static final long MEMORY = 128L << 20;
    private static final long BASE_SIZE = 256L << 20;
    private static final Duration RUNNING = Duration.ofSeconds(180);
    private static final double MAX_BUILD_RATIO = 1.5;
    private static final double MAX_CACHED_RATIO = 1.1;
    private static final long CACHED_SLACK_NANOS = 100_000_000;

    void measure(int rounds) throws Exception {
        Report report = run.report();
        create(small, "rootfs-small-warm-up", BASE_SIZE); // its ext4 into the cache
        Rotation rotation = new Rotation();
        Percentiles cached = new Percentiles();
        Percentiles cold = rotation.side((r, measured) -> {
            long first = create(image, "rootfs-cold-" + r, size(r));
            cached.add(create(image, "rootfs-cached-" + r, size(r)));
            return first;
        });
        Percentiles smallCached = rotation.side((r, measured) -> create(small, "rootfs-small-" + r, BASE_SIZE));
        Percentiles mkfs = rotation.side((r, measured) -> mkfs(size(r), r));
        rotation.run(0, rounds, (r, values) -> run.progress("figure 2: round %d/%d: first %s, cached %s, mkfs.ext4 -d %s,"
                + " busybox cached %s", r, rounds, Report.millis(values[0]), Report.millis(cached.values()[r - 1]),
                Report.millis(values[2]), Report.millis(values[1])));
        long coldMedian = cold.p50();
        long cachedMedian = cached.p50();
        long mkfsMedian = mkfs.p50();
        long smallMedian = smallCached.p50();
        long cachedLimit = (long) (MAX_CACHED_RATIO * smallMedian) + CACHED_SLACK_NANOS;
        long build = Math.max(0, coldMedian - cachedMedian);
        long treeBytes = treeBytes(tree);
        report.add(new Report.Row(String.format(Locale.ROOT, "2 rootfs build of a %.0f MB image, first time"
                + " (create->RUNNING, cold minus cached)", treeBytes / 1e6), Report.millis(build), Report.millis(mkfsMedian),
                (double) build / mkfsMedian, "<= " + Report.times(MAX_BUILD_RATIO),
                build <= MAX_BUILD_RATIO * mkfsMedian));
        report.add(new Report.Row("2 rootfs cached: create->RUNNING of a second microVM of the image (vs busybox's,"
                + " also cached)", Report.millis(cachedMedian), Report.millis(smallMedian),
                (double) cachedMedian / smallMedian, "<= 1.10x + 100 ms", cachedMedian <= cachedLimit));
        report.note("figure 2: the tree holds %.1f MB; create->RUNNING first %s, cached %s, busybox cached %s;"
                + " mkfs.ext4 -d %s (medians of %d round(s); per round %s / %s / %s / %s).", treeBytes / 1e6,
                Report.millis(coldMedian), Report.millis(cachedMedian), Report.millis(smallMedian),
                Report.millis(mkfsMedian), rounds, list(cold), list(cached), list(smallCached), list(mkfs));
    }

    /** Round {@code round}'s boot disk size: one not used before. */
    private static long size(int round) {
        return BASE_SIZE + ((long) round << 20);
    }

    /** CreateInstance to RUNNING; the microVM is deleted before the next step, so its boot loads no other step. */
    private long create(String reference, String name, long size) {
        long sent = System.nanoTime();
        String id = api.create(name, reference, MEMORY, size, "");
        try {
            return api.timed().awaitRunning(id, RUNNING) - sent;
        } finally {
            api.timed().delete(id, Duration.ofSeconds(120));
        }
    }

    /** mkfs.ext4 with the driver's options (RootfsImages) into a fresh sparse file; fork to exit. */
    private long mkfs(long size, int round) throws IOException {
        Path file = run.work().resolve("mkfs-" + round + ".ext4");
        Files.deleteIfExists(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size / 4096 * 4096);
        }
        long nanos = HostTools.run(List.of("mkfs.ext4", "-q", "-F", "-t", "ext4", "-L", "rootfs", "-m", "0", "-E",
                "root_owner=0:0", "-d", tree.toString(), file.toString()), run.dir("logs").resolve("mkfs-" + round + ".log"),
                Duration.ofSeconds(300));
        Files.delete(file);
        return nanos;
    }

    /** The bytes of the tree's regular files, each hard-linked file once (busybox's applets are links). */
    private static long treeBytes(Path tree) throws IOException {
        Set<Object> seen = new HashSet<>();
        long total = 0;
        try (var files = Files.walk(tree)) {
            for (Path p : files.toList()) {
                BasicFileAttributes attributes = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (attributes.isRegularFile() && seen.add(attributes.fileKey())) {
                    total += attributes.size();
                }
            }
        }
        return total;
    }

    private static String list(Percentiles samples) {
        return "[" + samples.join(Report::millis) + "]";
    }
}
