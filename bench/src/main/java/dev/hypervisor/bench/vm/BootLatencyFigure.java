package dev.hypervisor.bench.vm;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.Rotation;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/** Figure 1 (bench/README.md, VMs): CreateInstance to the guest's first console line against QEMU started directly. */
record BootLatencyFigure(BenchRun run, VmBoots boots, String marker) {

    private static final long SLACK_NANOS = 200_000_000L;
    private static final double MAX_RATIO = 1.1;
    private static final int WARM_UP = 1;

    void measure(int samples) throws Exception {
        Percentiles oursReady = new Percentiles(samples);
        Percentiles rawReady = new Percentiles(samples);
        Percentiles acknowledged = new Percentiles(samples);
        Percentiles toRunning = new Percentiles(samples);
        Map<String, Integer> oursLines = new TreeMap<>();
        Map<String, Integer> rawLines = new TreeMap<>();
        Rotation rotation = new Rotation();
        Percentiles ours = rotation.side((i, measured) -> {
            VmBoots.Boot boot = boots.ours("boot-" + i, Duration.ofSeconds(120));
            boots.delete(boot);
            if (measured) {
                oursLines.merge(boot.line(), 1, Integer::sum);
                oursReady.add(boot.ready() - boot.sent());
                acknowledged.add(boot.acknowledged() - boot.sent());
                toRunning.add(boot.running() - boot.sent());
            }
            return boot.firstLine() - boot.sent();
        });
        Percentiles raw = rotation.side((i, measured) -> {
            VmBoots.Boot boot = boots.direct();
            boots.killDirect();
            if (measured) {
                rawLines.merge(boot.line(), 1, Integer::sum);
                rawReady.add(boot.ready() - boot.sent());
            }
            return boot.firstLine() - boot.sent();
        });
        rotation.run(WARM_UP, samples, (n, values) -> run.progress("figure 1: %d of %d samples; p50 so far: ours %s,"
                + " QEMU %s", n, samples, Report.millis(ours.p50()), Report.millis(raw.p50())));
        add("1 CreateInstance->first console line p50 vs QEMU started directly", ours, raw);
        add("1 CreateInstance->" + marker + " (init's line) p50 vs QEMU started directly", oursReady, rawReady);
        run.report().note("figure 1: %d samples per side after %d warm-up; first lines (times seen) ours %s, baseline %s."
                + " The kernel's line only shows in some boots, so the first line's time is bimodal; the %s row is"
                + " the steady one.", samples, WARM_UP, oursLines, rawLines, marker);
        run.report().note("figure 1: ours, p50 as the client saw it: CreateInstance acknowledged %s, RUNNING event %s"
                + " (image, overlays, seed, TAP, cgroup, QEMU daemonized), first line %s, %s %s; baseline first line %s,"
                + " %s %s.", Report.millis(acknowledged.p50()), Report.millis(toRunning.p50()), Report.millis(ours.p50()),
                marker, Report.millis(oursReady.p50()), Report.millis(raw.p50()), marker, Report.millis(rawReady.p50()));
        run.report().note("figure 1: per side min / p50 / max, first line: ours %s, QEMU %s; %s: ours %s, QEMU %s.",
                ours.spread(), raw.spread(), marker, oursReady.spread(), rawReady.spread());
    }

    private void add(String figure, Percentiles oursSamples, Percentiles baselineSamples) {
        long ours = Report.percentile(figure, "ours", oursSamples, 50);
        long baseline = Report.percentile(figure, "baseline", baselineSamples, 50);
        long target = (long) (MAX_RATIO * baseline) + SLACK_NANOS;
        run.report().latency(figure, ours, baseline, "<= 1.10x + 200 ms (" + Report.millis(target) + ")", ours <= target);
    }
}
