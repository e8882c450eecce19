package dev.hypervisor.bench.microvms;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.DirectQemu;
import dev.hypervisor.bench.Report;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.ProcessMemory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.concurrent.TimeUnit;

/**
 * Figure 3 (bench/README.md, MicroVMs): N microVMs running at once, and each QEMU's host memory beside one QEMU
 * started directly. When they do not come up at {@code mib} (a kernel too big for them), memory is measured at
 * {@code fallbackMib} instead, and the rows say so.
 */
record DensityFigure(BenchRun run, DaemonProcess daemon, MicroVms api, String image, Path kernel) {

    private static final int SETTLE_SECONDS = 10;
    private static final double MAX_RATIO = 1.1;
    private static final long SLACK_BYTES = 2L << 20;

    /** {@code kernel}: the bzImage these microVMs boot (their spec.kernel). */
    void measure(int n, int mib, int fallbackMib) throws Exception {
        if (!attempt(n, mib, true) && fallbackMib > 0 && fallbackMib != mib) {
            run.progress("figure 3: %d MiB microVMs did not come up; measuring memory at %d MiB", mib, fallbackMib);
            attempt(n, fallbackMib, false);
        }
    }

    /** Runs n microVMs of {@code mib}; adds the rows; returns whether all came up. */
    private boolean attempt(int n, int mib, boolean required) throws Exception {
        Report report = run.report();
        long memory = (long) mib << 20;
        String size = mib + " MiB";
        long daemonRssBefore = daemon.rssBytes();
        List<String> ids = new ArrayList<>();
        long directPid = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120L + 30L * n);
        try {
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                ids.add(api.create("dense-" + mib + "-" + i, image, memory, 0, kernel.toString()));
            }
            int lines = 0;
            StringBuilder missing = new StringBuilder();
            for (String id : ids) {
                long seen = MicroVms.awaitMarker(api.consoleLog(id), deadline, () -> !api.timed().failure(id).isEmpty());
                if (seen > 0) {
                    api.timed().awaitRunning(id, Duration.ofSeconds(30)); // RUNNING is reported once QEMU runs: before the line
                    lines++;
                } else if (missing.length() < 600) {
                    String why = api.timed().failure(id);
                    missing.append(' ').append(id).append(" (").append(why.isEmpty() ? "no first line in time" : why)
                            .append(')');
                }
            }
            long allUp = System.nanoTime() - start;
            run.progress("figure 3: %d/%d microVMs of %s printed their first line, in %s", lines, n, size, Report.seconds(allUp));
            if (required || lines < n) {
                report.add(new Report.Row("3 microVMs of " + size + " running at once (RUNNING and first line)",
                        lines + "/" + n, n + "/" + n, Double.NaN, "all " + n, lines == n));
            }
            if (lines < n) {
                report.note("figure 3: %s microVMs that did not come up:%s", size, missing);
                return false;
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(SETTLE_SECONDS));

            run.progress("figure 3: one QEMU started directly with the same command line, beside them");
            DirectQemu direct = DirectQemu.onFreshDisks(api.qemuPid(ids.get(0)), api.dir(ids.get(0)),
                    run.work().resolve("density-template-" + mib));
            Path dir = run.work().resolve("density-direct-" + mib);
            DirectQemu.Started qemu = direct.start(dir, dir.resolve("qemu.out"));
            directPid = qemu.pid();
            if (MicroVms.awaitMarker(dir.resolve("console.log"), qemu.forkedAt() + TimeUnit.SECONDS.toNanos(120),
                    () -> false) < 0) {
                throw new IllegalStateException("figure 3: the direct QEMU printed no first line within 120 s");
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(SETTLE_SECONDS));

            LongSummaryStatistics qemuPss = new LongSummaryStatistics();
            long rss = 0;
            for (String id : ids) {
                long pid = api.qemuPid(id);
                qemuPss.accept(ProcessMemory.pssBytes(pid));
                rss += ProcessMemory.rssBytes(pid);
            }
            long pss = qemuPss.getSum();
            long directPss = ProcessMemory.pssBytes(directPid);
            long directRss = ProcessMemory.rssBytes(directPid);
            long beyond = pss / n - memory;
            long directBeyond = directPss - memory;
            long daemonRssAfter = daemon.rssBytes();
            String of = required ? "" : " (at " + size + ", see notes)";
            report.add(new Report.Row("3 host memory per microVM beyond memory_bytes: QEMU PSS - " + size + ", mean of "
                    + n + of, Report.signedMebibytes(beyond), Report.signedMebibytes(directBeyond),
                    directBeyond == 0 ? Double.NaN : (double) beyond / directBeyond, "<= 1.10x + 2 MiB",
                    beyond <= MAX_RATIO * Math.max(0, directBeyond) + SLACK_BYTES));
            report.add(new Report.Row("3 QEMU PSS / RSS per microVM, mean of " + n + of,
                    Report.mebibytes(pss / n) + " / " + Report.mebibytes(rss / n),
                    Report.mebibytes(directPss) + " / " + Report.mebibytes(directRss), (double) pss / n / directPss,
                    "(printed)", true));
            report.note("figure 3: %d microVMs of %s up (RUNNING and first line) %s after the first create; QEMU PSS min %s,"
                    + " max %s; the daemon's RSS %s -> %s with them running (its own JVM, not per QEMU); kernel %s.", n, size,
                    Report.seconds(allUp), Report.mebibytes(qemuPss.getMin()), Report.mebibytes(qemuPss.getMax()),
                    Report.mebibytes(daemonRssBefore), Report.mebibytes(daemonRssAfter), kernel);
            return true;
        } finally {
            if (directPid > 0) {
                DirectQemu.kill(directPid);
            }
            run.progress("figure 3: deleting %d microVMs", ids.size());
            api.timed().deleteAll(ids, Duration.ofSeconds(60L + 10L * ids.size()));
        }
    }
}
