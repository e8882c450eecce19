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
import java.time.Duration;
import java.util.List;
import java.util.Locale;
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
            daemon.awaitQuiet(Duration.ofSeconds(60));
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
            double store = new StoreAloneFloor(baselineFile.resolveSibling("store-alone.db"), options.createClients)
                    .run(2 * half);
            double storeBaseline = baseline.run(half);
            report.add(new Report.Row("3 floor: the SQLite store alone, a create's 3 txns, vs 1-row SQLite txns",
                    String.format(Locale.ROOT, "%.0f /s", store),
                    String.format(Locale.ROOT, "%.0f /s", storeBaseline), store / storeBaseline,
                    Report.PRINTED, true));
            double bare = new BareCreateFloor(options.createClients, stubs.size()).run(2 * half);
            double sqlite = baseline.run(half);
            report.add(new Report.Row("3 floor: bare grpc-java CreateInstance, no store, vs 1-row SQLite txns",
                    String.format(Locale.ROOT, "%.0f /s", bare),
                    String.format(Locale.ROOT, "%.0f /s", sqlite), bare / sqlite, Report.PRINTED, true));
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
        System.out.printf(Locale.ROOT, "  figure 3, warm-up: %.0f s of creates; the daemon's JIT compilers"
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
