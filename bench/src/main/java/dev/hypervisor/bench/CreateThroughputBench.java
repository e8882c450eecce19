package dev.hypervisor.bench;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.Metadata;
import dev.hypervisor.testkit.DaemonProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/** Figure 3: durable CreateInstance throughput of many clients against one client's one-row SQLite commits. */
final class CreateThroughputBench {

    private static final int CLIENTS_PER_CHANNEL = 16;
    private static final double WARM_UP_SLICE_SECONDS = 5;
    private static final double WARM_UP_LIMIT_SECONDS = 180;
    private static final double QUIET_JIT_CORES = 0.1;
    private final DaemonProcess daemon;
    private final Path baselineFile;
    private final ControlPlaneOptions options;
    private final List<ComputeServiceGrpc.ComputeServiceFutureStub> stubs;
    private int phase;

    CreateThroughputBench(DaemonProcess daemon, Path baselineFile, ControlPlaneOptions options) {
        this.daemon = daemon;
        this.baselineFile = baselineFile;
        this.options = options;
        int channels = Math.max(1, (options.createClients + CLIENTS_PER_CHANNEL - 1) / CLIENTS_PER_CHANNEL);
        this.stubs = IntStream.range(0, channels).mapToObj(i -> ComputeServiceGrpc.newFutureStub(daemon.newChannel()))
                .toList();
    }

    /** Figure 3 alone: {@code bench/run.sh creates}. */
    public static void main(String[] args) {
        BenchRun.main(args, new ControlPlaneOptions(), List.of(), (o, r) -> {
            r.header("");
            measure(o, r);
            return "3 = one client, one-row autocommit INSERTs into SQLite (WAL, synchronous=FULL).";
        });
    }

    /** Figure 3 on a daemon of its own with an empty store. */
    static void measure(ControlPlaneOptions options, BenchRun run) throws Exception {
        run.progress("figure 3: %d CreateInstance clients for %.0fs against SQLite inserts", options.createClients,
                options.createSeconds);
        try (DaemonProcess daemon = ControlPlaneBench.daemon(run.work(), "create", 10)) {
            daemon.awaitQuiet(java.time.Duration.ofSeconds(60));
            new CreateThroughputBench(daemon, run.work().resolve("create/baseline.db"), options).run(run.report());
        }
    }

    void run(Report report) throws Exception {
        double half = options.createSeconds / 2;
        try (SqliteInsertBaseline baseline = new SqliteInsertBaseline(baselineFile)) {
            warmUp();
            BenchDaemon.settle(daemon, 120);
            baseline.run(Math.min(2.0, options.createWarmUpSeconds));
            // Ours then SQLite, then SQLite then ours, each side only once the daemon has caught up, so that neither
            // inherits the other's backlog of writes.
            ClosedLoop.Result first = measuredHalf(1, half);
            double baselineRows = baseline.run(half) * half + baseline.run(half) * half;
            ClosedLoop.Result second = measuredHalf(2, half);
            report.rate("3 CreateInstance, " + options.createClients + " clients vs 1-row SQLite txns",
                    (first.completed() + second.completed()) / (first.seconds() + second.seconds()),
                    baselineRows / (2 * half), "/s", 1.0);
            double store = storeAlone(2 * half);
            double storeBaseline = baseline.run(half);
            report.add(new Report.Row("3 floor: the SQLite store alone, a create's 3 txns, vs 1-row SQLite txns",
                    String.format(java.util.Locale.ROOT, "%.0f /s", store),
                    String.format(java.util.Locale.ROOT, "%.0f /s", storeBaseline), store / storeBaseline,
                    Report.PRINTED, true));
            double bare = bareGrpc(2 * half);
            double sqlite = baseline.run(half);
            report.add(new Report.Row("3 floor: bare grpc-java CreateInstance, no store, vs 1-row SQLite txns",
                    String.format(java.util.Locale.ROOT, "%.0f /s", bare),
                    String.format(java.util.Locale.ROOT, "%.0f /s", sqlite), bare / sqlite, Report.PRINTED, true));
        }
    }

    /**
     * What the store alone takes: as many threads as clients, each doing what one create comes to
     * in the store (the record, name and index keys under create-only compares, then the STARTING
     * and RUNNING updates, each encoded as the daemon encodes it and committed durably, one after
     * the other), in this JVM on a fresh file beside the baseline's. No gRPC, validation or reconciler.
     */
    private double storeAlone(double seconds) throws Exception {
        Path file = baselineFile.resolveSibling("store-alone.db");
        Files.deleteIfExists(file);
        try (dev.hypervisor.store.sqlite.SqliteStore store = dev.hypervisor.store.sqlite.SqliteStore.open(file,
                dev.hypervisor.store.sqlite.SqliteStoreOptions.defaults())) {
            var repository = new dev.hypervisor.core.instance.InstanceRepository(store);
            var ids = new dev.hypervisor.core.usecase.InstanceIds();
            var metadata = new dev.hypervisor.core.instance.Metadata(java.util.Map.of("app", "bench", "tier", "a"),
                    java.util.Map.of());
            java.util.concurrent.atomic.AtomicLong names = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(
                    options.createClients);
            try {
                java.util.function.DoubleSupplier run = () -> {
                    long end = System.nanoTime() + (long) (seconds * 1e9);
                    long start = System.nanoTime();
                    List<java.util.concurrent.Future<Long>> loops = IntStream.range(0, options.createClients)
                            .mapToObj(t -> threads.submit(() -> {
                                long done = 0;
                                while (System.nanoTime() < end) {
                                    java.time.Instant now = java.time.Instant.now();
                                    var created = dev.hypervisor.core.instance.Instance.newInstance(ids.next(),
                                            "s-" + names.incrementAndGet(), dev.hypervisor.core.instance.InstanceType.CONTAINER,
                                            Populate.SPEC, metadata, dev.hypervisor.core.instance.Placement.ANY,
                                            Populate.NODE_ID, now);
                                    var txn = dev.hypervisor.core.store.Txn.create();
                                    repository.create(txn, created);
                                    var before = created.withRevision(committed(store, txn));
                                    for (var next : List.of(dev.hypervisor.core.instance.InstanceState.STARTING,
                                            dev.hypervisor.core.instance.InstanceState.RUNNING)) {
                                        var after = dev.hypervisor.core.instance.Lifecycle.transition(before, next, "bench", now);
                                        var update = dev.hypervisor.core.store.Txn.create();
                                        repository.update(update, before, after);
                                        before = after.withRevision(committed(store, update));
                                    }
                                    done++;
                                }
                                return done;
                            })).toList();
                    long total = 0;
                    for (var loop : loops) {
                        try {
                            total += loop.get();
                        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                            throw new IllegalStateException("the store-alone floor failed: " + e, e);
                        }
                    }
                    return total / ((System.nanoTime() - start) / 1e9);
                };
                run.getAsDouble(); // warm-up, as long as the measurement
                return run.getAsDouble();
            } finally {
                threads.shutdownNow();
            }
        }
    }

    private static long committed(dev.hypervisor.core.store.Store store, dev.hypervisor.core.store.Txn txn) {
        var result = store.commitAndWait(txn);
        if (!result.succeeded()) {
            throw new IllegalStateException("the store-alone floor: a compare failed at " + result.failedKey());
        }
        return result.revision();
    }

    /**
     * The floor: the same clients and calls against a bare grpc-java server in this JVM whose
     * CreateInstance answers at once with an instance of the daemon's size (no validation, store,
     * reconciler or interceptors). No daemon built on grpc-java can create faster than that here.
     */
    private double bareGrpc(double seconds) throws Exception {
        io.grpc.Server server = io.grpc.Grpc.newServerBuilderForPort(0, io.grpc.InsecureServerCredentials.create())
                .addService(new ComputeServiceGrpc.ComputeServiceImplBase() {
                    @Override
                    public void createInstance(CreateInstanceRequest request,
                            io.grpc.stub.StreamObserver<dev.hypervisor.api.v1.Instance> response) {
                        response.onNext(dev.hypervisor.api.v1.Instance.newBuilder().setId("0123456789abcdef")
                                .setName(request.getName()).setType(request.getType()).setSpec(request.getSpec())
                                .setMetadata(request.getMetadata()).setNodeId(Populate.NODE_ID)
                                .setState(dev.hypervisor.api.v1.InstanceState.INSTANCE_STATE_CREATING).build());
                        response.onCompleted();
                    }
                }).build().start();
        int channelCount = stubs.size();
        List<io.grpc.ManagedChannel> channels = IntStream.range(0, channelCount).mapToObj(i -> io.grpc.Grpc
                .newChannelBuilder("127.0.0.1:" + server.getPort(), io.grpc.InsecureChannelCredentials.create())
                .build()).toList();
        try {
            List<ComputeServiceGrpc.ComputeServiceFutureStub> bare = channels.stream()
                    .map(ComputeServiceGrpc::newFutureStub).toList();
            java.util.function.IntFunction<com.google.common.util.concurrent.ListenableFuture<?>> call = n -> bare
                    .get(n % bare.size()).withDeadlineAfter(30, TimeUnit.SECONDS).createInstance(request("bare-" + n));
            ClosedLoop.run("bare CreateInstance", options.createClients, Math.min(10, seconds), call); // warm-up
            ClosedLoop.Result result = ClosedLoop.run("bare CreateInstance", options.createClients, seconds, call);
            return result.completed() / result.seconds();
        } finally {
            channels.forEach(io.grpc.ManagedChannel::shutdownNow);
            server.shutdownNow();
        }
    }

    /**
     * Unmeasured creates for at least {@code --create-warm-up} seconds and then until the daemon's JIT
     * has gone quiet (its compiler threads under a tenth of a core over the last slice), at most
     * {@link #WARM_UP_LIMIT_SECONDS}: on 2 cores C2 compiled the create path for 10 to 50 s from one run
     * to the next, taking a third of a core from the measured halves when a fixed warm-up was too short.
     * A {@code --quick} run does not wait for the JIT.
     */
    private void warmUp() throws InterruptedException {
        long start = System.nanoTime();
        double elapsed = 0;
        double compiling;
        do {
            long before = JitActivity.compilerTicks(daemon.pid());
            long sliceStart = System.nanoTime();
            creates(WARM_UP_SLICE_SECONDS);
            compiling = (JitActivity.compilerTicks(daemon.pid()) - before) / 100.0
                    / ((System.nanoTime() - sliceStart) / 1e9);
            elapsed = (System.nanoTime() - start) / 1e9;
        } while (elapsed < WARM_UP_LIMIT_SECONDS && (elapsed < options.createWarmUpSeconds
                || (compiling > QUIET_JIT_CORES && !options.quick())));
        System.out.printf(java.util.Locale.ROOT, "  figure 3, warm-up: %.0f s of creates; the daemon's JIT compilers"
                + " used %.2f cores in its last %.0f s%s%n", elapsed, compiling, WARM_UP_SLICE_SECONDS,
                compiling > QUIET_JIT_CORES ? " (still compiling: the figure is low)" : "");
    }

    /** One half of ours, measured, then a wait until the daemon has caught up. */
    private ClosedLoop.Result measuredHalf(int number, double seconds) throws Exception {
        CpuShare cpu = new CpuShare(daemon);
        ClosedLoop.Result result = creates(seconds);
        System.out.println("  figure 3, half " + number + ": while creating, " + cpu.describe());
        BenchDaemon.settle(daemon, 120);
        return result;
    }

    private ClosedLoop.Result creates(double seconds) throws InterruptedException {
        int current = phase++;
        return ClosedLoop.run("CreateInstance", options.createClients, seconds, n -> stubs.get(n % stubs.size())
                .withDeadlineAfter(30, TimeUnit.SECONDS).createInstance(request("c" + current + "-" + n)));
    }

    static CreateInstanceRequest request(String name) {
        return CreateInstanceRequest.newBuilder()
                .setName(name)
                .setType(InstanceType.INSTANCE_TYPE_CONTAINER)
                .setSpec(InstanceSpec.newBuilder().setImage("docker.io/library/busybox:1.36").setCpuCores(1)
                        .setMemoryBytes(64L << 20).addCommand("sleep").addCommand("infinity"))
                .setMetadata(Metadata.newBuilder().putLabels("app", "bench").putLabels("tier", "a"))
                .build();
    }

    /** Figure 3's baseline: one-row autocommit INSERTs into SQLite (WAL, synchronous=FULL) on the daemon's disk. */
    static final class SqliteInsertBaseline implements AutoCloseable {

        private static final int PAYLOAD_BYTES = 256;
        private final Connection connection;
        private final PreparedStatement insert;
        private final byte[] payload = new byte[PAYLOAD_BYTES];
        private long next;

        SqliteInsertBaseline(Path file) throws SQLException, java.io.IOException {
            Files.deleteIfExists(file);
            connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (var st = connection.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=FULL");
                st.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value BLOB NOT NULL)");
            }
            connection.setAutoCommit(true);
            insert = connection.prepareStatement("INSERT INTO rows (name, value) VALUES (?, ?)");
            new Random(7).nextBytes(payload);
        }

        /** Inserts rows one transaction each for {@code seconds}; returns the rows committed per second. */
        double run(double seconds) throws SQLException {
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long rows = 0;
            while (System.nanoTime() < end) {
                // ~40 characters of name plus 256 bytes of value: a row of ~300 bytes.
                insert.setString(1, String.format("baseline-row-%027d", next++));
                insert.setBytes(2, payload);
                insert.executeUpdate();
                rows++;
            }
            return rows / ((System.nanoTime() - start) / 1e9);
        }

        @Override
        public void close() throws SQLException {
            insert.close();
            connection.close();
        }
    }
}
