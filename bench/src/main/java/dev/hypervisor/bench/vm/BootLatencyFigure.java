package dev.hypervisor.bench.vm;

import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Figure 1: from before CreateInstance is sent until the guest's first console line arrives
 * over AttachConsole, against the same QEMU command line started directly until its first line
 * arrives on QEMU's console socket. The sides alternate sample by sample, the first side
 * rotating; removal (ours) and SIGKILL (baseline) between samples are not timed.
 */
final class BootLatencyFigure {

    static final long SLACK_NANOS = 200_000_000L;
    static final double MAX_RATIO = 1.1;
    private static final int WARM_UP = 1;
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);

    private final ApiVms api;
    private final DirectQemu direct;
    private final String marker;
    private final Consumer<String> progress;

    BootLatencyFigure(ApiVms api, DirectQemu direct, String marker, Consumer<String> progress) {
        this.api = api;
        this.direct = direct;
        this.marker = marker;
        this.progress = progress;
    }

    void run(int samples, Report report) throws Exception {
        Percentiles ours = new Percentiles(samples);
        Percentiles raw = new Percentiles(samples);
        Percentiles oursReady = new Percentiles(samples);
        Percentiles rawReady = new Percentiles(samples);
        Percentiles acknowledged = new Percentiles(samples);
        Percentiles toRunning = new Percentiles(samples);
        Map<String, Integer> oursLines = new TreeMap<>();
        Map<String, Integer> rawLines = new TreeMap<>();
        for (int i = 0; i < WARM_UP + samples; i++) {
            boolean measured = i >= WARM_UP;
            for (int k = 0; k < 2; k++) {
                if ((i + k) % 2 == 0) {
                    ApiVms.Boot boot = api.createAndBoot("boot-" + i, BOOT_TIMEOUT);
                    api.deleteAll(List.of(boot.id()), BOOT_TIMEOUT);
                    if (measured) {
                        oursLines.merge(boot.line(), 1, Integer::sum);
                        ours.add(boot.firstLine() - boot.sent());
                        oursReady.add(boot.ready() - boot.sent());
                        acknowledged.add(boot.acknowledged() - boot.sent());
                        toRunning.add(boot.running() - boot.sent());
                    }
                } else {
                    long[] times = direct.boot(marker, BOOT_TIMEOUT);
                    direct.kill();
                    if (measured) {
                        rawLines.merge(direct.firstLine(), 1, Integer::sum);
                        raw.add(times[1] - times[0]);
                        rawReady.add(times[2] - times[0]);
                    }
                }
            }
            if (measured) {
                progress.accept(String.format(Locale.ROOT, "figure 1: %d of %d samples; p50 so far: ours %s, QEMU %s",
                        i - WARM_UP + 1, samples, Report.millis(ours.p50()), Report.millis(raw.p50())));
            }
        }
        add(report, "1 CreateInstance->first console line p50 vs QEMU started directly", ours, raw);
        add(report, "1 CreateInstance->" + marker + " (init's line) p50 vs QEMU started directly", oursReady, rawReady);
        report.note("figure 1: %d samples per side after %d warm-up; first lines (times seen) ours %s, baseline %s."
                + " The kernel's line only shows in some boots, so the first line's time is bimodal; the %s row is"
                + " the steady one.", samples, WARM_UP, oursLines, rawLines, marker);
        report.note("figure 1: ours, p50 as the client saw it: CreateInstance acknowledged %s, RUNNING event %s"
                + " (image, overlays, seed, TAP, cgroup, QEMU daemonized), first line %s, %s %s; baseline first line %s,"
                + " %s %s.", Report.millis(acknowledged.p50()), Report.millis(toRunning.p50()), Report.millis(ours.p50()),
                marker, Report.millis(oursReady.p50()), Report.millis(raw.p50()), marker, Report.millis(rawReady.p50()));
        report.note("figure 1: per side min / p50 / max, first line: ours %s, QEMU %s; %s: ours %s, QEMU %s.",
                ours.spread(), raw.spread(), marker, oursReady.spread(), rawReady.spread());
    }

    private static void add(Report report, String figure, Percentiles oursSamples, Percentiles baselineSamples) {
        long ours = Report.percentile(figure, "ours", oursSamples, 50);
        long baseline = Report.percentile(figure, "baseline", baselineSamples, 50);
        long target = (long) (MAX_RATIO * baseline) + SLACK_NANOS;
        report.latency(figure, ours, baseline, "<= 1.10x + 200 ms (" + Report.millis(target) + ")", ours <= target);
    }
}
