package dev.hypervisor.bench;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.ListInstancesRequest;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Instances;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** {@code bench/run.sh control-plane}: hypervisord with a no-op driver, driven over loopback gRPC from this JVM. */
public record ControlPlaneBench(ControlPlaneOptions options, BenchRun run) {

    private static final long RSS_LIMIT = 512L << 20;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(300);

    public static void main(String[] args) {
        BenchRun.main(args, new ControlPlaneOptions(), List.of(), (o, r) -> new ControlPlaneBench(o, r).measure());
    }

    private String measure() throws Exception {
        run.header("");
        Path work = run.work();
        run.progress("populating %d and %d instances", options.smallStore, options.largeStore);
        run.progress("small store filled in %.1fs", Populate.fill(work.resolve("small/data"), options.smallStore, 1));
        run.progress("large store filled in %.1fs", Populate.fill(work.resolve("large/data"), options.largeStore, 2));

        long emptyRss = unaryAndWatch(work);
        CreateThroughputBench.measure(options, run);
        listingAndMemory(work, emptyRss);
        run.progress("figure 6: GetInstance over mTLS against plaintext on the same daemon");
        new MtlsBench(options).run(work, run.report());

        return String.format(Locale.ROOT, "1 = grpc.health.v1.Health/Check on the same daemon; 2 = the"
                + " same page on a %d-instance store; 3 = one client, one-row autocommit INSERTs into SQLite (WAL,"
                + " synchronous=FULL); 4 = Health/Check p99 of figure 1 / the events expected; 5 = the same daemon"
                + " with an empty store; 6 = the same call in plaintext on the same daemon's unix socket.", options.smallStore);
    }

    /** A {@link BenchDaemon} on {@code work/name/data}, its log beside. */
    static DaemonProcess daemon(Path work, String name, int relistSeconds) {
        return BenchDaemon.start(name, BenchDaemon.class.getName(), List.of("--data-dir",
                work.resolve(name + "/data").toString(), "--node-id", Populate.NODE_ID, "--relist-interval",
                Integer.toString(relistSeconds)), work.resolve(name + "/daemon.log"), START_TIMEOUT);
    }

    /** Figures 1 and 4 on a daemon with an empty store; returns that daemon's RSS before anything was created. */
    private long unaryAndWatch(Path work) throws Exception {
        run.progress("figure 1: starting the daemon on an empty store");
        try (DaemonProcess daemon = daemon(work, "empty", 10)) {
            daemon.awaitQuiet(Duration.ofSeconds(60));
            var channel = daemon.newChannel();
            long emptyRss = warmUpEmpty(daemon, channel);
            // The instance GetInstance reads, created through the API and driven to RUNNING.
            Instances instances = new Instances(() -> channel, Duration.ofSeconds(30));
            String id = instances.create(CreateThroughputBench.request("latency-target"));
            instances.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
            run.progress("figure 1: latency and throughput (%d rounds)", options.rounds);
            long pingP99 = LatencyBench.of(channel, id, options).run(run.report());
            run.progress("figure 4: %d watchers, %d creates at %.0f/s", options.watchers, options.watchCreates,
                    options.watchRate);
            daemon.awaitQuiet(Duration.ofSeconds(60));
            new WatchFanoutBench(daemon, new WatchFanoutBench.Sizes(options.watchers, options.watchChannels,
                    options.watchCreates, options.watchRate)).run(run.report(), pingP99);
            return emptyRss;
        }
    }

    /** Traffic like the large daemon's (unary calls, an initial-state watch) on an empty store; returns its RSS. */
    private static long warmUpEmpty(DaemonProcess daemon, io.grpc.Channel channel) throws Exception {
        var health = HealthGrpc.newBlockingStub(channel);
        var compute = ComputeServiceGrpc.newBlockingStub(channel);
        ListInstancesRequest none = ListInstancesRequest.newBuilder().setType(InstanceType.INSTANCE_TYPE_VM).build();
        for (int i = 0; i < 2000; i++) {
            health.withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
            compute.withDeadlineAfter(10, TimeUnit.SECONDS).listInstances(none);
        }
        drainInitialState(daemon);
        daemon.awaitQuiet(Duration.ofSeconds(30));
        return daemon.rssBytes();
    }

    /** Figure 2 on the two pre-populated stores, then figure 5 on the large one. */
    private void listingAndMemory(Path work, long emptyRss) throws Exception {
        run.progress("figure 2: starting daemons on %d and %d instances", options.smallStore, options.largeStore);
        try (DaemonProcess large = daemon(work, "large", 3600)) {
            try (DaemonProcess small = daemon(work, "small", 3600)) {
                BenchDaemon.settle(large, 180);
                BenchDaemon.settle(small, 60);
                run.progress("figure 2: paging");
                new ListPagingBench(small, large, options).run(run.report(), options.smallStore, options.largeStore);
            }
            run.progress("figure 5: draining the initial state of %d instances", options.largeStore);
            long initial = drainInitialState(large);
            if (initial != options.largeStore) {
                throw new IllegalStateException("the initial state held " + initial + " instances, expected "
                        + options.largeStore);
            }
            large.awaitQuiet(Duration.ofSeconds(30));
            long rss = large.rssBytes();
            run.report().add(new Report.Row("5 daemon RSS, " + Report.count(options.largeStore)
                    + " instances vs empty store", Report.mebibytes(rss), Report.mebibytes(emptyRss),
                    (double) rss / emptyRss, "< 512 MiB", rss < RSS_LIMIT));
        }
    }

    /**
     * Reads a daemon's whole state through one unfiltered WatchInstance with send_initial, as a client that resyncs
     * would, up to the bookmark that ends it; returns how many instances it carried.
     */
    private static long drainInitialState(DaemonProcess daemon) {
        var channel = daemon.newChannel();
        try {
            var events = ComputeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300,
                    TimeUnit.SECONDS).watchInstance(WatchInstanceRequest.newBuilder().setSendInitial(true).build());
            long initial = 0;
            while (events.hasNext()) {
                InstanceEvent event = events.next();
                if (event.getType() == InstanceEvent.Type.INITIAL) {
                    initial++;
                } else if (event.getType() == InstanceEvent.Type.BOOKMARK) {
                    return initial;
                }
            }
            throw new IllegalStateException("the watch ended before its initial state did");
        } finally {
            channel.shutdownNow(); // which cancels the watch
        }
    }
}
