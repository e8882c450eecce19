package dev.hypervisor.bench.microvms;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.DirectQemu;
import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.Rotation;
import dev.hypervisor.host.FileTrees;
import dev.hypervisor.qemu.QemuProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Figure 1 (bench/README.md, MicroVMs): CreateInstance to the workload's first line on the serial console, against
 * {@link DirectQemu}; every boot, the samples' and the rest through the daemon, counts toward the hangs.
 */
final class BootFigure {

    private static final long MEMORY = 128L << 20; // as the microVM tests
    private static final double MAX_RATIO = 1.1;
    private static final long SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final BenchRun run;
    private final MicroVms api;
    private final String image;
    private final Path work;
    private final Path logs;
    private final long timeoutNanos;
    private final Percentiles toRunning = new Percentiles();
    private DirectQemu direct;
    private int boots;
    private int hangs;
    private int oursBoots;
    private int oursHangs;

    BootFigure(BenchRun run, MicroVms api, String image, int timeoutSeconds) throws IOException {
        this.run = run;
        this.api = api;
        this.image = image;
        this.work = run.dir("direct");
        this.logs = run.dir("logs");
        this.timeoutNanos = TimeUnit.SECONDS.toNanos(timeoutSeconds);
    }

    void measure(int samples, int totalBoots) throws Exception {
        ours(true); // warm-up; it also lends its command line and disks to the baseline
        direct(); // warm-up
        Rotation rotation = new Rotation();
        Percentiles ours = rotation.side((i, measured) -> ours(false));
        Percentiles baseline = rotation.side((i, measured) -> direct());
        rotation.run(0, samples, (i, values) -> run.progress("figure 1: sample %d/%d: ours %s, direct %s", i, samples,
                show(values[0]), show(values[1])));
        Percentiles more = new Percentiles();
        while (boots < totalBoots) {
            long a = ours(false);
            if (a > 0) {
                more.add(a);
            }
            if (boots % 10 == 0) {
                run.progress("figure 1: %d/%d boots, %d hang(s)", boots, totalBoots, hangs);
            }
        }
        Report report = run.report();
        String figure = "1 boot to the workload's first line, p50 of " + ours.count() + " (CreateInstance -> serial console)";
        long p50 = Report.percentile(figure, "ours, every boot hung: see " + logs + "/hang-*.log", ours, 50);
        long limit = (long) (MAX_RATIO * Report.percentile(figure, "baseline, every boot hung", baseline, 50))
                + SLACK_NANOS;
        report.latency(figure, p50, baseline.p50(), "<= 1.10x + 100 ms", p50 <= limit);
        report.add(new Report.Row("1 boots that hung or failed (no first line within " + timeoutNanos / 1_000_000_000L + " s)",
                "hangs: " + hangs + "/" + boots, "0/" + boots, Double.NaN, "0", hangs == 0));
        report.note("figure 1: min / p50 / max: ours %s over %d samples, direct QEMU %s over %d; the limit was %s.",
                ours.spread(), ours.count(), baseline.spread(), baseline.count(), Report.millis(limit));
        report.note("figure 1: %d boots in all (%d through the daemon, %d direct), %d hang(s) (%d through the daemon);"
                + " the %d boots after the samples: p50 %s; CreateInstance -> RUNNING event (QEMU daemonized) p50 %s.",
                boots, oursBoots, boots - oursBoots, hangs, oursHangs, more.count(),
                more.count() == 0 ? "-" : Report.millis(more.p50()), Report.millis(toRunning.p50()));
        report.note("figure 1: the direct command line: %s", String.join(" ", direct.arguments()));
    }

    /** One boot through the daemon: nanos from CreateInstance to the first line, or -1 when it hung. */
    private long ours(boolean template) throws Exception {
        boots++;
        oursBoots++;
        long sent = System.nanoTime();
        String id = api.create("boot-" + boots, image, MEMORY, 0, "");
        try {
            long seen = MicroVms.awaitMarker(api.consoleLog(id), sent + timeoutNanos, () -> !api.timed().failure(id).isEmpty());
            if (seen < 0) {
                hangs++;
                oursHangs++;
                Files.writeString(logs.resolve("hang-" + id + ".log"), QemuProcesses.logTail(api.consoleLog(id), 8192));
                run.progress("figure 1: HANG: %s printed no first line within the timeout %s", id, api.timed().failure(id));
                return -1;
            }
            toRunning.add(api.timed().awaitRunning(id, Duration.ofSeconds(30)) - sent);
            if (template) {
                direct = DirectQemu.onFreshDisks(api.qemuPid(id), api.dir(id), work.resolve("template"));
            }
            return seen - sent;
        } finally {
            api.timed().delete(id, Duration.ofSeconds(60));
        }
    }

    /** One direct boot of the same command line on fresh disks: nanos from the fork to the first line, or -1. */
    private long direct() throws Exception {
        boots++;
        Path dir = work.resolve("direct-" + boots);
        DirectQemu.Started qemu = direct.start(dir, dir.resolve("qemu.out"));
        try {
            long seen = MicroVms.awaitMarker(dir.resolve("console.log"), qemu.forkedAt() + timeoutNanos, () -> false);
            if (seen < 0) {
                hangs++;
                Files.writeString(logs.resolve("hang-direct-" + boots + ".log"),
                        QemuProcesses.logTail(dir.resolve("console.log"), 8192));
                run.progress("figure 1: HANG: direct boot %d printed no first line within the timeout", boots);
                return -1;
            }
            return seen - qemu.forkedAt();
        } finally {
            DirectQemu.kill(qemu.pid());
            FileTrees.delete(dir);
        }
    }

    private static String show(long nanos) {
        return nanos < 0 ? "HANG" : Report.millis(nanos);
    }
}
