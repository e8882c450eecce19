package dev.hypervisor.bench.images;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.HostTools;
import dev.hypervisor.bench.Report;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figure 2: runs {@link HeapProbe} in a child JVM with a small heap and the daemon's collector,
 * pulling busybox (the baseline) and then the image with one large layer, and reads its report.
 */
final class HeapFigure {

    private static final long LIMIT = 64L << 20;

    /** One pull as the probe reported it. */
    private record Probe(long growth, long liveGrowth, boolean collected, long peakRss, long nanos, long unpacked) {}

    private final BenchRun run;
    private final int layerMib;
    private final int heap;

    /** {@code heap}: the child's -Xmx in MiB. */
    HeapFigure(BenchRun run, int layerMib, int heap) {
        this.run = run;
        this.layerMib = layerMib;
        this.heap = heap;
    }

    void measure(BenchImages.Pushed small, BenchImages.Pushed large) throws IOException {
        Path dir = run.dir("heap");
        Report table = run.report();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // bin/hypervisord's collector and initial heap, so that young garbage is bounded as in the daemon.
                "-Xms" + Math.min(64, heap) + "m", "-Xmx" + heap + "m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), HeapProbe.class.getName(),
                dir.resolve("pulls").toString(), small.reference(), large.reference()));
        Path log = dir.resolve("probe.log");
        HostCommand.Result result = HostCommand.of(command).separatingErrors()
                .timeout(Duration.ofSeconds(180 + layerMib / 5)).call();
        Files.writeString(log, result.errors());
        Map<String, Probe> probes = parse(result.output());
        Probe base = probes.get("small");
        Probe ours = probes.get("large");
        if (result.exitCode() != 0 || base == null || ours == null) {
            throw new IllegalStateException("the heap probe (exit " + result.exitCode() + ") reported " + probes.keySet()
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

    private static String live(Probe p) {
        return p.collected() ? "+" + Report.mebibytes(p.liveGrowth()) : "- (no collection ran)";
    }

    private static Map<String, Probe> parse(String out) {
        Map<String, Probe> probes = new HashMap<>();
        for (String line : out.lines().toList()) {
            String[] fields = line.trim().split(" ");
            if (fields.length < 3 || !fields[0].equals("probe")) {
                continue;
            }
            Map<String, Long> values = new HashMap<>();
            for (int i = 2; i < fields.length; i++) {
                String[] kv = fields[i].split("=", 2);
                values.put(kv[0], Long.parseLong(kv[1]));
            }
            long baseline = values.get("baseline");
            long afterGc = values.get("peakAfterGc");
            probes.put(fields[1], new Probe(values.get("peakUsed") - baseline, Math.max(0, afterGc - baseline), afterGc > 0,
                    values.get("peakRss"), values.get("nanos"), values.get("unpacked")));
        }
        return probes;
    }
}
