package dev.hypervisor.bench;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.host.Deadline;
import dev.hypervisor.testkit.DaemonProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Figure 4: commit-to-delivery p99 of many WatchInstance streams while instances are created at a
 * steady rate, against the unary p99; and that every watcher saw exactly the expected events.
 */
final class WatchFanoutBench {

    private final DaemonProcess daemon;
    private final ControlPlaneOptions options;
    private final List<Watcher> watchers = new ArrayList<>();
    private final AtomicLong delivered = new AtomicLong();
    private final List<String> created = new ArrayList<>();

    WatchFanoutBench(DaemonProcess daemon, ControlPlaneOptions options) {
        this.daemon = daemon;
        this.options = options;
    }

    void run(Report report, long pingP99Nanos) throws Exception {
        openWatchers();
        try {
            ComputeServiceGrpc.ComputeServiceBlockingStub creator = ComputeServiceGrpc.newBlockingStub(daemon.newChannel());
            int warmUp = Math.max(10, options.watchCreates / 10);
            createSteadily(creator, "w0-", warmUp);
            awaitDeliveries(warmUp);
            watchers.forEach(Watcher::startMeasuring);
            CpuShare cpu = new CpuShare(daemon);
            createSteadily(creator, "w1-", options.watchCreates);
            awaitDeliveries(created.size());
            System.out.println("  figure 4: while creating and delivering, " + cpu.describe());
        } finally {
            watchers.forEach(Watcher::cancel);
        }
        Percentiles all = new Percentiles(watchers.size() * options.watchCreates * 3);
        long exact = 0;
        String firstProblem = "";
        int troubled = 0;
        for (Watcher watcher : watchers) {
            all.addAll(watcher.latencies());
            exact += watcher.exact(created);
            String problem = watcher.problem(created);
            if (!problem.isEmpty()) {
                troubled++;
                firstProblem = firstProblem.isEmpty() ? problem : firstProblem;
            }
        }
        long expected = 3L * created.size() * watchers.size();
        String figure = String.format("4 WatchInstance commit-to-delivery p99, %d watchers vs unary p99", watchers.size());
        long p99 = p99(figure, "figure 4", all);
        if (troubled > 0) {
            System.out.printf("  figure 4: %d of %d watchers saw wrong events; first: %s%n", troubled,
                    watchers.size(), firstProblem);
        }
        report.latency(figure, p99, pingP99Nanos, 2.0);
        // The floor: the same fan-out from a bare grpc-java server, as many events at the same pace.
        Percentiles floor = WatchFanoutFloor.measure(watchers.size(), options.watchChannels, 3 * options.watchCreates,
                3 * options.watchRate);
        String floorFigure = String.format("4 floor: bare grpc-java fan-out p99, %d streams vs unary p99", watchers.size());
        report.printed(floorFigure, p99(floorFigure, "figure 4 floor", floor), pingP99Nanos);
        report.add(new Report.Row(String.format("4 WatchInstance no event lost (%d watchers x %d creates x 3)",
                watchers.size(), created.size()), exact + " exact", expected + " expected",
                (double) exact / expected, "= 1.00x, in order", troubled == 0 && exact == expected));
    }

    /** The p99 of {@code figure}'s deliveries, printed with their count, p50 and maximum. */
    private static long p99(String figure, String label, Percentiles deliveries) {
        long p99 = Report.percentile(figure, "ours", deliveries, 99);
        System.out.printf(Locale.ROOT, "  %s: %d deliveries measured: p50 %s, p99 %s, max %s%n", label,
                deliveries.count(), Report.millis(deliveries.p50()), Report.millis(p99), Report.millis(deliveries.max()));
        return p99;
    }

    private void openWatchers() throws InterruptedException {
        List<ComputeServiceGrpc.ComputeServiceStub> stubs = new ArrayList<>();
        for (int i = 0; i < options.watchChannels; i++) {
            stubs.add(ComputeServiceGrpc.newStub(daemon.newChannel()));
        }
        CountDownLatch ready = new CountDownLatch(options.watchers);
        WatchInstanceRequest request = WatchInstanceRequest.newBuilder().setSendInitial(true).build();
        for (int i = 0; i < options.watchers; i++) {
            Watcher watcher = new Watcher(ready, delivered);
            watchers.add(watcher);
            stubs.get(i % stubs.size()).watchInstance(request, watcher);
        }
        if (!ready.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException(ready.getCount() + " watchers did not get their initial state in 120s");
        }
    }

    /** Creates {@code count} instances at the configured rate, one call at a time, from its own channel. */
    private void createSteadily(ComputeServiceGrpc.ComputeServiceBlockingStub creator, String prefix, int count)
            throws InterruptedException {
        WatchFanoutFloor.paced(count, options.watchRate, i -> created.add(creator.withDeadlineAfter(30, TimeUnit.SECONDS)
                .createInstance(CreateThroughputBench.request(prefix + i)).getId()));
    }

    /** Waits until every watcher got the three events of {@code instances} instances; at most 120 seconds. */
    private void awaitDeliveries(int instances) {
        long target = 3L * instances * watchers.size();
        if (!Deadline.after(Duration.ofSeconds(120)).await(() -> delivered.get() >= target, Duration.ofMillis(20))) {
            System.out.printf("  figure 4: only %d of %d deliveries after 120s%n", delivered.get(), target);
        }
    }
}
