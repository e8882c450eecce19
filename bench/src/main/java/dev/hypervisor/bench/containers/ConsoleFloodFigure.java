package dev.hypervisor.bench.containers;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.ConsoleOutput;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.bench.Async;
import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.TimedInstances;
import dev.hypervisor.host.Deadline;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Figure 4 (bench/README.md, Containers): GetInstance p99 and the daemon's RSS while a console viewer never reads. */
record ConsoleFloodFigure(BenchRun run, DaemonProcess daemon, TimedInstances api, String image) {

    private static final long P99_TARGET_NANOS = 50_000_000L;
    private static final long RSS_GROWTH_TARGET = 100L * 1000 * 1000;
    private static final Duration BASELINE = Duration.ofSeconds(10);
    private static final String DROP_MARKER = "bytes of output dropped";

    void measure(Duration duration) throws InterruptedException {
        Report report = run.report();
        String id = api.create(ContainersBench.container("flood", image, "yes"));
        api.awaitRunning(id, Duration.ofSeconds(60));
        ComputeServiceGrpc.ComputeServiceBlockingStub stub = ComputeServiceGrpc.newBlockingStub(daemon.newChannel());
        ComputeServiceGrpc.ComputeServiceStub async = ComputeServiceGrpc.newStub(daemon.newChannel());
        try {
            run.progress("figure 4: GetInstance every 10 ms for %d s, no viewer", BASELINE.toSeconds());
            Percentiles quiet = sample(stub, id, BASELINE, new long[1]);

            long rssBefore = daemon.rssBytes();
            Stalled stalled = new Stalled();
            var stalledInput = async.attachConsole(stalled);
            stalledInput.onNext(ConsoleInput.newBuilder().setInstanceId(id).build());
            run.progress("figure 4: a viewer that never reads on yes, GetInstance every 10 ms for %d s",
                    duration.toSeconds());
            long[] peakRss = {rssBefore};
            Percentiles flooded = sample(stub, id, duration, peakRss);
            long growth = peakRss[0] - rssBefore;

            AtomicLong liveBytes = new AtomicLong();
            var liveInput = async.attachConsole(Async.observer(
                    (ConsoleOutput value) -> liveBytes.addAndGet(value.getData().size()), t -> { }));
            liveInput.onNext(ConsoleInput.newBuilder().setInstanceId(id).build());
            Deadline.after(Duration.ofSeconds(10)).await(() -> liveBytes.get() >= (1 << 20), Duration.ofMillis(20));
            liveInput.onCompleted();
            stalled.read();
            Deadline.after(Duration.ofSeconds(20)).await(() -> stalled.marker, Duration.ofMillis(20));
            stalledInput.onCompleted();

            String figure = "4 GetInstance p99, stalled viewer on yes, " + duration.toSeconds() + " s";
            long p99 = Report.percentile(figure, "ours", flooded, 99);
            boolean live = liveBytes.get() >= (1 << 20);
            report.latency(figure, p99, Report.percentile(figure, "baseline", quiet, 99), "< 50 ms",
                    p99 < P99_TARGET_NANOS && live);
            report.add(new Report.Row("4 daemon RSS growth meanwhile", Report.mebibytes(growth),
                    Report.mebibytes(rssBefore) + " before", (double) peakRss[0] / rssBefore, "< 100 MB",
                    growth < RSS_GROWTH_TARGET && stalled.marker));
            report.note("figure 4: %d GetInstance calls with the stalled viewer (p50 %s, max %s), %d without"
                    + " (p50 %s); a second viewer read %s of live output in 10 s (>= 1 MiB: %s); the stalled one, once"
                    + " it read, %s the drop marker.", flooded.count(), Report.millis(flooded.p50()),
                    Report.millis(flooded.max()), quiet.count(), Report.millis(quiet.p50()),
                    Report.mebibytes(liveBytes.get()), live ? "yes" : "NO", stalled.marker ? "saw" : "did NOT see");
        } finally {
            api.delete(id, Duration.ofSeconds(60));
        }
    }

    /** GetInstance every 10 ms for {@code duration}; the daemon's peak RSS (sampled each second) into {@code peakRss[0]}. */
    private Percentiles sample(ComputeServiceGrpc.ComputeServiceBlockingStub stub, String id, Duration duration,
            long[] peakRss) throws InterruptedException {
        Percentiles latencies = new Percentiles();
        GetInstanceRequest request = GetInstanceRequest.newBuilder().setInstanceId(id).build();
        long end = System.nanoTime() + duration.toNanos();
        long nextRss = 0;
        while (System.nanoTime() < end) {
            long start = System.nanoTime();
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).getInstance(request);
            latencies.add(System.nanoTime() - start);
            if (start >= nextRss) {
                peakRss[0] = Math.max(peakRss[0], daemon.rssBytes());
                nextRss = start + TimeUnit.SECONDS.toNanos(1);
            }
            Thread.sleep(10);
        }
        return latencies;
    }

    /** A viewer that asks for no output until {@link #read}. */
    private static final class Stalled implements ClientResponseObserver<ConsoleInput, ConsoleOutput> {
        private volatile ClientCallStreamObserver<ConsoleInput> call;
        private volatile boolean marker;
        private final StringBuilder tail = new StringBuilder();

        @Override
        public void beforeStart(ClientCallStreamObserver<ConsoleInput> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(0);
        }

        void read() {
            call.request(Integer.MAX_VALUE);
        }

        @Override
        public synchronized void onNext(ConsoleOutput value) {
            if (marker) {
                return;
            }
            tail.append(value.getData().toString(StandardCharsets.ISO_8859_1));
            marker = tail.indexOf(DROP_MARKER) >= 0;
            if (tail.length() > 4096) {
                tail.delete(0, tail.length() - 64);
            }
        }

        @Override
        public void onError(Throwable t) { }

        @Override
        public void onCompleted() { }
    }
}
