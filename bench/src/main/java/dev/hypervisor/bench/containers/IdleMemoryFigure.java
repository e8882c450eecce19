package dev.hypervisor.bench.containers;

import dev.hypervisor.bench.BenchDaemon;
import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.HostTools;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.TimedInstances;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.ProcessMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Figure 3 (bench/README.md, Containers): memory per idle container against a conmon's PSS alone. */
record IdleMemoryFigure(BenchRun run, DaemonProcess daemon, TimedInstances api, String image, Path containersRoot) {

    private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(120);
    private static final int BATCH = 10;
    private static final long BYTES_PER_CONTAINER = 1_000_000; // the issue: 100 containers, under 100 MB
    private static final Pattern GENERATION = Pattern.compile("(?:new|tenured) generation\\s+total \\d+K, used (\\d+)K");

    void measure(int n) throws Exception {
        Report report = run.report();
        Path logs = run.dir("logs");
        BenchDaemon.settle(daemon, 60);
        long heapBefore = heapUsedAfterGc(logs.resolve("jcmd-before.log"));
        long rssBefore = daemon.rssBytes();
        long threadsBefore = ProcessMemory.threads(daemon.pid());
        List<String> ids = new ArrayList<>();
        try {
            for (int first = 0; first < n; first += BATCH) {
                for (int i = first; i < Math.min(n, first + BATCH); i++) {
                    ids.add(api.create(ContainersBench.container("idle-" + i, image, "sleep", "100000")));
                }
                for (String id : ids.subList(first, ids.size())) {
                    api.awaitRunning(id, RUNNING_TIMEOUT);
                }
                if ((first + BATCH) % 50 == 0) {
                    run.progress("figure 3: %d of %d containers running", ids.size(), n);
                }
            }
            BenchDaemon.settle(daemon, 60);
            long heapAfter = heapUsedAfterGc(logs.resolve("jcmd-after.log"));
            long rssAfter = daemon.rssBytes();
            long threadsAfter = ProcessMemory.threads(daemon.pid());
            long conmonPss = 0;
            long conmonRss = 0;
            for (String id : ids) {
                long pid = Long.parseLong(Files.readString(containersRoot.resolve(id).resolve("conmon.pid")).strip());
                conmonPss += ProcessMemory.pssBytes(pid);
                conmonRss += ProcessMemory.rssBytes(pid);
            }
            long pssPerConmon = conmonPss / n;
            long heapPerContainer = (heapAfter - heapBefore) / n;
            // A shrinking heap is noise (a cache emptied, a warm-up object freed), not a saving per container.
            long oursPerContainer = pssPerConmon + Math.max(0, heapPerContainer);
            double ratio = (double) oursPerContainer / pssPerConmon;
            report.add(new Report.Row("3 memory per idle container (conmon PSS + daemon heap) vs conmon PSS",
                    Report.kibibytes(oursPerContainer), Report.kibibytes(pssPerConmon), ratio, "<= 1.50x", ratio <= 1.5));
            long rssGrowth = rssAfter - rssBefore;
            long limit = BYTES_PER_CONTAINER * n;
            report.add(new Report.Row("3 daemon RSS growth, " + n + " running containers", Report.megabytes(rssGrowth),
                    Report.megabytes(conmonPss), (double) rssGrowth / conmonPss, "< " + Report.megabytes(limit), rssGrowth < limit));
            report.note("figure 3: daemon live heap %s -> %s (%s per container, counted as 0 when negative); RSS %s -> %s; threads %d -> %d;"
                    + " conmon PSS %s and RSS %s per container (the RSS row's baseline is all %d conmons' PSS).",
                    Report.mebibytes(heapBefore), Report.mebibytes(heapAfter), Report.kibibytes(heapPerContainer),
                    Report.mebibytes(rssBefore), Report.mebibytes(rssAfter), threadsBefore, threadsAfter,
                    Report.kibibytes(pssPerConmon), Report.kibibytes(conmonRss / n), n);
            if (n < 100) {
                report.note("figure 3: the RSS target is the issue's 100 MB for 100 containers, scaled to %d.", n);
            }
        } finally {
            run.progress("figure 3: deleting %d containers", ids.size());
            api.deleteAll(ids, RUNNING_TIMEOUT.multipliedBy(2));
        }
    }

    /**
     * The daemon's used heap right after two full collections ({@code jcmd GC.run}, then {@code GC.heap_info}): what
     * it still references. SerialGC's says "def new generation   total 19648K, used 5234K [...]", and "tenured".
     */
    private long heapUsedAfterGc(Path log) throws IOException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        String pid = Long.toString(daemon.pid());
        for (String command : List.of("GC.run", "GC.run", "GC.heap_info")) {
            HostTools.run(List.of(jcmd, pid, command), log, Duration.ofSeconds(60));
        }
        List<Long> generations = GENERATION.matcher(Files.readString(log)).results()
                .map(m -> Long.parseLong(m.group(1)) * 1024).toList();
        if (generations.size() != 2) {
            throw new IOException("unexpected jcmd GC.heap_info output (is the daemon on -XX:+UseSerialGC?):\n"
                    + Files.readString(log));
        }
        return generations.get(0) + generations.get(1);
    }
}
