package dev.hypervisor.bench;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Figure 4: many unfiltered WatchInstance streams over a few channels while a separate client
 * creates instances at a steady rate; the p99 of commit-to-delivery latency over all
 * deliveries against the unary ping-pong p99, and a check that every watcher saw exactly the
 * expected events of every created instance, in revision order.
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
            CpuShare cpu = CpuShare.start(daemon);
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
        long p99 = Report.percentile(figure, "ours", all, 99);
        System.out.printf(Locale.ROOT, "  figure 4: %d deliveries measured: p50 %s, p99 %s, max %s%n", all.count(),
                Report.millis(all.p50()), Report.millis(p99), Report.millis(all.max()));
        if (troubled > 0) {
            System.out.printf("  figure 4: %d of %d watchers saw wrong events; first: %s%n", troubled,
                    watchers.size(), firstProblem);
        }
        report.latency(figure, p99, pingP99Nanos, 2.0);
        // The floor: the same fan-out from a bare grpc-java server, as many events at the same pace.
        Percentiles floor = WatchFanoutFloor.measure(watchers.size(), options.watchChannels, 3 * options.watchCreates,
                3 * options.watchRate);
        String floorFigure = String.format("4 floor: bare grpc-java fan-out p99, %d streams vs unary p99", watchers.size());
        long floorP99 = Report.percentile(floorFigure, "ours", floor, 99);
        System.out.printf(Locale.ROOT, "  figure 4 floor: %d deliveries measured: p50 %s, p99 %s, max %s%n",
                floor.count(), Report.millis(floor.p50()), Report.millis(floorP99), Report.millis(floor.max()));
        report.printed(floorFigure, floorP99, pingP99Nanos);
        report.add(new Report.Row(String.format("4 WatchInstance no event lost (%d watchers x %d creates x 3)",
                watchers.size(), created.size()), exact + " exact", expected + " expected",
                (double) exact / expected, "= 1.00x, in order", troubled == 0 && exact == expected));
    }

    private void openWatchers() throws InterruptedException {
        List<ComputeServiceGrpc.ComputeServiceStub> stubs = new ArrayList<>();
        for (int i = 0; i < options.watchChannels; i++) {
            ManagedChannel channel = daemon.newChannel();
            stubs.add(ComputeServiceGrpc.newStub(channel));
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
        long intervalNanos = (long) (1e9 / options.watchRate);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long wait = start + i * intervalNanos - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            created.add(creator.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .createInstance(CreateThroughputBench.request(prefix + i)).getId());
        }
    }

    /** Waits until every watcher got the three events of {@code instances} instances; at most 120 seconds. */
    private void awaitDeliveries(int instances) throws InterruptedException {
        long target = 3L * instances * watchers.size();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (delivered.get() < target && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        if (delivered.get() < target) {
            System.out.printf("  figure 4: only %d of %d deliveries after 120s%n", delivered.get(), target);
        }
    }
}
