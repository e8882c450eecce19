package dev.hypervisor.bench;

import com.google.protobuf.Timestamp;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceEvent;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.WatchInstanceRequest;
import dev.hypervisor.host.Deadline;
import dev.hypervisor.testkit.DaemonProcess;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/** Figure 4: commit-to-delivery p99 of many watch streams, and that every watcher saw exactly what it should. */
final class WatchFanoutBench {

    /** How many watch, on how many channels, while how many instances are created at what rate. */
    record Sizes(int watchers, int channels, int creates, double rate) {}

    /** The deliveries measured, the events that came exactly as expected (of how many), and each troubled watcher's problem. */
    record Fanout(Percentiles latencies, long exact, long expected, List<String> problems) {}

    private final DaemonProcess daemon;
    private final Sizes sizes;
    private final List<Watcher> watchers = new ArrayList<>();
    private final List<ManagedChannel> channels;
    private final AtomicLong delivered = new AtomicLong();
    private final List<String> created = new ArrayList<>();
    private volatile boolean done;

    WatchFanoutBench(DaemonProcess daemon, Sizes sizes) {
        this.daemon = daemon;
        this.sizes = sizes;
        this.channels = IntStream.range(0, sizes.channels()).mapToObj(i -> daemon.newChannel()).toList();
    }

    void run(Report report, long pingP99Nanos) throws Exception {
        Fanout fanout = measure("figure 4");
        String figure = String.format("4 WatchInstance commit-to-delivery p99, %d watchers vs unary p99", watchers.size());
        report.latency(figure, p99(figure, "figure 4", fanout.latencies()), pingP99Nanos, 2.0);
        // The floor: the same fan-out from a bare grpc-java server, as many events at the same pace.
        Percentiles floor = WatchFanoutFloor.measure(watchers.size(), sizes.channels(), 3 * sizes.creates(), 3 * sizes.rate());
        String floorFigure = String.format("4 floor: bare grpc-java fan-out p99, %d streams vs unary p99", watchers.size());
        report.printed(floorFigure, p99(floorFigure, "figure 4 floor", floor), pingP99Nanos);
        report.add(new Report.Row(String.format("4 WatchInstance no event lost (%d watchers x %d creates x 3)",
                watchers.size(), created.size()), fanout.exact() + " exact", fanout.expected() + " expected",
                (double) fanout.exact() / fanout.expected(), "= 1.00x, in order",
                fanout.problems().isEmpty() && fanout.exact() == fanout.expected()));
    }

    /**
     * Opens the watchers (each with the initial state), creates a tenth of the instances unmeasured and then all of
     * them measured, one at a time at the rate, and closes the watchers once each has had every event.
     */
    Fanout measure(String label) throws Exception {
        openWatchers();
        try {
            ComputeServiceGrpc.ComputeServiceBlockingStub creator = ComputeServiceGrpc.newBlockingStub(daemon.newChannel());
            int warmUp = Math.max(10, sizes.creates() / 10);
            createSteadily(creator, "w0-", warmUp);
            awaitDeliveries(warmUp);
            watchers.forEach(Watcher::startMeasuring);
            CpuShare cpu = new CpuShare(daemon);
            createSteadily(creator, "w1-", sizes.creates());
            awaitDeliveries(created.size());
            System.out.println("  " + label + ": while creating and delivering, " + cpu.describe());
        } finally {
            done = true;
            channels.forEach(ManagedChannel::shutdownNow); // which cancels the watches
        }
        Percentiles all = new Percentiles(watchers.size() * sizes.creates() * 3);
        watchers.forEach(w -> all.addAll(w.latencies()));
        long exact = watchers.stream().mapToLong(w -> w.exact(created)).sum();
        List<String> problems = watchers.stream().map(w -> w.problem(created)).filter(p -> !p.isEmpty()).toList();
        if (!problems.isEmpty()) {
            System.out.printf("  %s: %d of %d watchers saw wrong events; first: %s%n", label, problems.size(),
                    watchers.size(), problems.get(0));
        }
        return new Fanout(all, exact, 3L * created.size() * watchers.size(), problems);
    }

    /** The p99 of {@code figure}'s deliveries, printed with their count, p50 and maximum. */
    private static long p99(String figure, String label, Percentiles deliveries) {
        long p99 = Report.percentile(figure, "ours", deliveries, 99);
        System.out.printf(Locale.ROOT, "  %s: %d deliveries measured: p50 %s, p99 %s, max %s%n", label,
                deliveries.count(), Report.millis(deliveries.p50()), Report.millis(p99), Report.millis(deliveries.max()));
        return p99;
    }

    /** From {@code sent} to {@code received}, both wall-clock times of this host. */
    static long nanosSince(Timestamp sent, Instant received) {
        return (received.getEpochSecond() - sent.getSeconds()) * 1_000_000_000L + received.getNano() - sent.getNanos();
    }

    private void openWatchers() throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(sizes.watchers());
        WatchInstanceRequest request = WatchInstanceRequest.newBuilder().setSendInitial(true).build();
        for (int i = 0; i < sizes.watchers(); i++) {
            Watcher watcher = new Watcher(ready);
            watchers.add(watcher);
            ComputeServiceGrpc.newStub(channels.get(i % channels.size())).watchInstance(request,
                    Async.observer(watcher::onNext, watcher::ended));
        }
        if (!ready.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException(ready.getCount() + " watchers did not get their initial state in 120s");
        }
    }

    /** Creates {@code count} instances at the configured rate, one call at a time, from its own channel. */
    private void createSteadily(ComputeServiceGrpc.ComputeServiceBlockingStub creator, String prefix, int count)
            throws InterruptedException {
        WatchFanoutFloor.paced(count, sizes.rate(), i -> created.add(creator.withDeadlineAfter(30, TimeUnit.SECONDS)
                .createInstance(CreateThroughputBench.request(prefix + i)).getId()));
    }

    /** Waits until every watcher got the three events of {@code instances} instances; at most 120 seconds. */
    private void awaitDeliveries(int instances) {
        long target = 3L * instances * watchers.size();
        if (!Deadline.after(Duration.ofSeconds(120)).await(() -> delivered.get() >= target, Duration.ofMillis(20))) {
            System.out.printf("  figure 4: only %d of %d deliveries after 120s%n", delivered.get(), target);
        }
    }

    /**
     * One WatchInstance stream: skips the initial state, then records every change by instance id (event type and
     * state, in arrival order), checks that revisions strictly increase, and samples receive time minus updated_at.
     */
    final class Watcher {

        /** CREATED in CREATING, UPDATED to STARTING, UPDATED to RUNNING: what a create should show. */
        private static final List<Integer> EXPECTED = List.of(
                code(InstanceEvent.Type.CREATED, InstanceState.INSTANCE_STATE_CREATING),
                code(InstanceEvent.Type.UPDATED, InstanceState.INSTANCE_STATE_STARTING),
                code(InstanceEvent.Type.UPDATED, InstanceState.INSTANCE_STATE_RUNNING));

        private final CountDownLatch ready;
        private final Map<String, List<Integer>> seen = new HashMap<>();
        private final Percentiles latencies = new Percentiles(4096);
        private boolean initialDone;
        private boolean measuring;
        private long lastRevision;
        private String disorder = "";
        private volatile String failure = "";

        Watcher(CountDownLatch ready) {
            this.ready = ready;
        }

        private static int code(InstanceEvent.Type type, InstanceState state) {
            return type.getNumber() * 100 + state.getNumber();
        }

        synchronized void onNext(InstanceEvent event) {
            Instant received = Instant.now();
            if (!initialDone) {
                if (event.getType() == InstanceEvent.Type.BOOKMARK) {
                    initialDone = true; // the bookmark that ends the initial state
                    ready.countDown();
                }
                return;
            }
            if (event.getType() == InstanceEvent.Type.BOOKMARK || event.getType() == InstanceEvent.Type.INITIAL) {
                return;
            }
            if (event.getRevision() <= lastRevision && disorder.isEmpty()) {
                disorder = "revision " + event.getRevision() + " after " + lastRevision;
            }
            lastRevision = Math.max(lastRevision, event.getRevision());
            if (measuring) {
                latencies.add(nanosSince(event.getInstance().getUpdatedAt(), received));
            }
            seen.computeIfAbsent(event.getInstance().getId(), id -> new ArrayList<>(3))
                    .add(code(event.getType(), event.getInstance().getState()));
            delivered.incrementAndGet();
        }

        /** The stream ended: {@code t} its error, null when the server completed it; expected only once done. */
        void ended(Throwable t) {
            if (!done) {
                failure = t == null ? "the server ended the stream" : Status.fromThrowable(t).toString();
            }
            ready.countDown();
        }

        synchronized void startMeasuring() {
            measuring = true;
        }

        synchronized Percentiles latencies() {
            return latencies;
        }

        /** What went wrong for this watcher, or empty: a stream error, disorder, or an id without exactly the expected events. */
        synchronized String problem(List<String> createdIds) {
            if (!failure.isEmpty()) {
                return failure;
            }
            if (!disorder.isEmpty()) {
                return disorder;
            }
            for (String id : createdIds) {
                List<Integer> events = seen.get(id);
                if (!EXPECTED.equals(events)) {
                    return events == null ? "no events for " + id : id + ": " + events.size() + " events "
                            + events.subList(0, Math.min(3, events.size())) + ", expected " + EXPECTED;
                }
            }
            if (seen.size() != createdIds.size()) {
                return "events for " + (seen.size() - createdIds.size()) + " instances not created by this benchmark";
            }
            return "";
        }

        /** Events for the given instances that arrived as expected. */
        synchronized long exact(List<String> createdIds) {
            return 3 * createdIds.stream().filter(id -> EXPECTED.equals(seen.get(id))).count();
        }
    }

    /**
     * The floor under figure 4: a bare grpc-java server in this JVM whose WatchInstance only keeps the stream, one
     * thread pushing each event, encoded once, to every stream: the least any daemon on grpc-java could show here.
     */
    static final class WatchFanoutFloor {

        private static final MethodDescriptor.Marshaller<byte[]> ENCODED = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(byte[] value) {
                return new Known(value);
            }

            @Override
            public byte[] parse(InputStream stream) {
                throw new UnsupportedOperationException("the floor server only sends");
            }
        };

        private static final class Known extends ByteArrayInputStream implements KnownLength {
            Known(byte[] bytes) {
                super(bytes);
            }
        }

        private WatchFanoutFloor() {}

        /** Send-to-delivery latencies of {@code events} events pushed at {@code perSecond} to {@code watchers} streams. */
        static Percentiles measure(int watchers, int channels, int events, double perSecond) throws Exception {
            List<ServerCallStreamObserver<byte[]>> streams = new CopyOnWriteArrayList<>();
            CountDownLatch open = new CountDownLatch(watchers);
            MethodDescriptor<WatchInstanceRequest, byte[]> method = ComputeServiceGrpc.getWatchInstanceMethod()
                    .toBuilder(ProtoUtils.marshaller(WatchInstanceRequest.getDefaultInstance()), ENCODED).build();
            ServerServiceDefinition service = ServerServiceDefinition.builder(ComputeServiceGrpc.SERVICE_NAME)
                    .addMethod(method, ServerCalls.asyncServerStreamingCall((request, observer) -> {
                        streams.add((ServerCallStreamObserver<byte[]>) observer);
                        open.countDown();
                    }))
                    .build();
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor()
                    .addService(service).build().start();
            List<ManagedChannel> clients = new ArrayList<>();
            List<Percentiles> latencies = new ArrayList<>();
            AtomicLong delivered = new AtomicLong();
            try {
                for (int i = 0; i < channels; i++) {
                    clients.add(NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
                            .directExecutor().build());
                }
                for (int i = 0; i < watchers; i++) {
                    Percentiles mine = new Percentiles(events);
                    latencies.add(mine);
                    ComputeServiceGrpc.newStub(clients.get(i % channels)).watchInstance(
                            WatchInstanceRequest.getDefaultInstance(), Async.observer(event -> {
                                long nanos = nanosSince(event.getEventTime(), Instant.now());
                                synchronized (mine) {
                                    mine.add(nanos);
                                }
                                delivered.incrementAndGet();
                            }, t -> { })); // cancelled at the end
                }
                if (!open.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException(open.getCount() + " floor streams did not open in 60 s");
                }
                paced(events, perSecond, i -> {
                    byte[] encoded = event(i).toByteArray();
                    for (ServerCallStreamObserver<byte[]> stream : streams) {
                        stream.onNext(encoded);
                    }
                });
                long expected = (long) events * watchers;
                if (!Deadline.after(Duration.ofSeconds(60)).await(() -> delivered.get() >= expected, Duration.ofMillis(10))) {
                    throw new IllegalStateException("the floor delivered " + delivered.get() + " of " + expected + " events");
                }
            } finally {
                clients.forEach(ManagedChannel::shutdownNow);
                server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
            Percentiles all = new Percentiles(events * watchers);
            latencies.forEach(all::addAll);
            return all;
        }

        /** Runs {@code each} for 0 to {@code count - 1}, the i-th at {@code i / perSecond} seconds from now. */
        static void paced(int count, double perSecond, IntConsumer each) throws InterruptedException {
            long interval = (long) (1e9 / perSecond);
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long wait = start + i * interval - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                each.accept(i);
            }
        }

        /** An event the size of the daemon's: a container instance going RUNNING, stamped with the send time. */
        private static InstanceEvent event(int i) {
            Instant now = Instant.now();
            Timestamp sent = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
            var request = CreateThroughputBench.request("floor-" + i);
            Instance instance = Instance.newBuilder().setId("inst-0floor" + i).setName(request.getName())
                    .setType(InstanceType.INSTANCE_TYPE_CONTAINER).setState(InstanceState.INSTANCE_STATE_RUNNING)
                    .setSpec(request.getSpec()).setMetadata(request.getMetadata()).setNodeId("bench-node")
                    .setIpAddress("10.88.0.7").setCreatedAt(sent).setUpdatedAt(sent).setRevision(i + 1).build();
            return InstanceEvent.newBuilder().setType(InstanceEvent.Type.UPDATED).setInstance(instance)
                    .setPreviousState(InstanceState.INSTANCE_STATE_STARTING).setRevision(i + 1).setEventTime(sent).build();
        }
    }
}
