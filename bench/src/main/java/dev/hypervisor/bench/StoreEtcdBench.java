package dev.hypervisor.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.SettableFuture;
import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.GetInstanceRequest;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.core.instance.InstanceRepository;
import dev.hypervisor.host.Deadline;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Instances;
import dev.hypervisor.testkit.etcd.EtcdCluster;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench/run.sh store-etcd}: hypervisord (with a no-op driver) on a real etcd member,
 * each figure beside the same work done directly on that etcd with jetcd from this JVM.
 */
public final class StoreEtcdBench {

    private static final String PREFIX = "/bench";

    @Command(name = "store-etcd", sortOptions = false, usageHelpWidth = 110,
            description = "hypervisord on etcd (a no-op driver) beside raw jetcd calls on the same etcd member.")
    static final class Options extends CommonOptions {
        @Option(names = "--latency-calls", paramLabel = "N", description = "sequential calls per side per round (figure 1) [${DEFAULT-VALUE}; quick 500]")
        int latencyCalls = 3_000;

        @Option(names = "--latency-warm-up", paramLabel = "N", description = "unmeasured calls per side first (figure 1): the daemon's etcd client path is JIT-compiled only after some thousands [${DEFAULT-VALUE}; quick 5000]")
        int latencyWarmUp = 20_000;

        @Option(names = "--rounds", paramLabel = "N", description = "rounds of figure 1, the sides alternating [${DEFAULT-VALUE}; quick 2]")
        int rounds = 3;

        @Option(names = "--watchers", paramLabel = "N", description = "watch streams per side (figure 2) [${DEFAULT-VALUE}; quick 100]")
        int watchers = 1_000;

        @Option(names = "--watch-channels", paramLabel = "N", description = "connections the watchers share, per side (figure 2) [${DEFAULT-VALUE}]")
        int watchChannels = 10;

        @Option(names = "--watch-creates", paramLabel = "N", description = "instances created while watched, per side (figure 2) [${DEFAULT-VALUE}; quick 30]")
        int watchCreates = 150;

        @Option(names = "--watch-rate", paramLabel = "R", description = "creates per second while watched (figure 2) [${DEFAULT-VALUE}]")
        double watchRate = 20;

        @Option(names = "--create-clients", paramLabel = "N", description = "concurrent clients per side (figure 3) [${DEFAULT-VALUE}]")
        int createClients = 64;

        @Option(names = "--create-seconds", paramLabel = "S", description = "measured time per side (figure 3) [10; quick 3]")
        double createSeconds = 10;

        @Option(names = "--create-warm-up", paramLabel = "S", description = "unmeasured creates first (figure 3) [10; quick 2]")
        double createWarmUpSeconds = 10;
    }

    private final Options options;
    private final BenchRun run;
    private final Report report;
    private EtcdCluster etcd;
    private DaemonProcess daemon;
    private final List<Client> clients = new ArrayList<>();

    private StoreEtcdBench(Options options, BenchRun run) {
        this.options = options;
        this.run = run;
        this.report = run.report();
    }

    public static void main(String[] args) {
        BenchRun.main(args, new Options(), List.of("etcd"), (options, run) -> new StoreEtcdBench(options, run).run());
    }

    private String run() throws Exception {
        run.header("");
        Path work = run.work();
        etcd = EtcdCluster.start(work, 1);
        try {
            daemon = BenchDaemon.start("etcd", BenchDaemon.class.getName(), List.of("--data-dir",
                    work.resolve("data").toString(), "--node-id", Populate.NODE_ID, "--store", etcd.storeUri(),
                    "--store-prefix", PREFIX), work.resolve("daemon.log"), Duration.ofSeconds(120));
            for (int i = 0; i < Math.max(1, options.watchChannels); i++) {
                clients.add(Client.builder().endpoints("http://" + etcd.members().get(0).clientAddress()).build());
            }
            getLatency();
            watchLatency();
            createThroughput();
        } finally {
            try {
                clients.forEach(Client::close);
                if (daemon != null) {
                    daemon.close();
                }
            } finally {
                etcd.close();
            }
        }
        return "1 = a jetcd range read of the same instance's key; 2 = as many jetcd watches on the instances' prefix,"
                + " the same creates through the daemon at the same rate; 3 = jetcd puts of one key each (an instance"
                + " record's size) from as many clients; all on the same etcd 3.4 member, from this JVM.";
    }

    private KV kv() {
        return clients.get(0).getKVClient();
    }

    private static ByteSequence bytes(String key) {
        return ByteSequence.from(PREFIX + key, UTF_8);
    }

    /** Figure 1: sequential GetInstance against a jetcd get of the instance's key, alternating in rounds. */
    private void getLatency() throws Exception {
        run.progress("figure 1: %d warm-up and %d rounds of %d GetInstance, etcd gets and Health/Check",
                options.latencyWarmUp, options.rounds, options.latencyCalls);
        var channel = daemon.newChannel();
        Instances instances = new Instances(() -> channel, Duration.ofSeconds(30));
        String id = instances.create(CreateThroughputBench.request("latency-target"));
        instances.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        var stub = ComputeServiceGrpc.newBlockingStub(channel);
        var health = HealthGrpc.newBlockingStub(channel);
        GetInstanceRequest request = GetInstanceRequest.newBuilder().setInstanceId(id).build();
        ByteSequence key = bytes(InstanceRepository.key(id));
        Runnable ours = () -> stub.withDeadlineAfter(10, TimeUnit.SECONDS).getInstance(request);
        Runnable raw = () -> kv().get(key).orTimeout(10, TimeUnit.SECONDS).join();
        Percentiles oursTimes = new Percentiles();
        Percentiles rawTimes = new Percentiles();
        Runnable ping = () -> health.withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
        Percentiles pingTimes = new Percentiles();
        time(ours, options.latencyWarmUp, null);
        time(raw, options.latencyWarmUp, null);
        time(ping, options.latencyWarmUp, null);
        for (int round = 0; round < options.rounds; round++) {
            boolean oursFirst = round % 2 == 0;
            time(oursFirst ? ours : raw, options.latencyCalls, oursFirst ? oursTimes : rawTimes);
            time(oursFirst ? raw : ours, options.latencyCalls, oursFirst ? rawTimes : oursTimes);
            time(ping, options.latencyCalls, pingTimes);
        }
        report.latency("1 GetInstance p50 vs etcd get of its key", oursTimes, rawTimes, 50, 1.5);
        report.latency("1 GetInstance p99 vs etcd get of its key", oursTimes, rawTimes, 99, 1.5);
        // The floor: no daemon can answer faster than one gRPC round trip to it plus the etcd read.
        long floor = Report.percentile("1 floor", "ping", pingTimes, 50) + rawTimes.p50();
        report.latency("1 floor: Health/Check p50 + etcd get p50 vs etcd get", floor, rawTimes.p50(), Report.PRINTED, true);
    }

    private static void time(Runnable call, int calls, Percentiles into) {
        for (int i = 0; i < calls; i++) {
            long start = System.nanoTime();
            call.run();
            if (into != null) {
                into.add(System.nanoTime() - start);
            }
        }
    }

    /**
     * Figure 2: commit-to-delivery of W WatchInstance streams, then of W etcd watches on the
     * instances' keys, while the daemon creates instances at the same rate; both from updated_at.
     */
    private void watchLatency() throws Exception {
        run.progress("figure 2: %d WatchInstance streams, %d creates at %.0f/s", options.watchers, options.watchCreates,
                options.watchRate);
        WatchFanoutBench.Fanout ours = new WatchFanoutBench(daemon, new WatchFanoutBench.Sizes(options.watchers,
                options.watchChannels, options.watchCreates, options.watchRate)).measure("figure 2");
        Percentiles oursTimes = ours.latencies();
        var creator = ComputeServiceGrpc.newBlockingStub(daemon.newChannel());

        run.progress("figure 2: %d etcd watches, %d creates at %.0f/s", options.watchers, options.watchCreates,
                options.watchRate);
        daemon.awaitQuiet(Duration.ofSeconds(60));
        DirectWatches direct = new DirectWatches(options.watchers);
        long from = kv().get(bytes("/")).join().getHeader().getRevision() + 1;
        direct.open(clients, bytes(InstanceRepository.INSTANCES), from);
        List<String> rawWarmUp = new ArrayList<>();
        createSteadily(creator, "dw-", Math.max(10, options.watchCreates / 10), rawWarmUp);
        awaitCount(direct.delivered, 3L * rawWarmUp.size() * options.watchers, "etcd warm-up deliveries");
        direct.measuring = true;
        List<String> rawCreated = new ArrayList<>();
        createSteadily(creator, "dm-", options.watchCreates, rawCreated);
        awaitCount(direct.delivered, 3L * (rawWarmUp.size() + rawCreated.size()) * options.watchers, "etcd deliveries");
        direct.close();
        long directExpected = 3L * (rawWarmUp.size() + rawCreated.size()) * options.watchers;
        String directProblem = direct.problem(3 * (rawWarmUp.size() + rawCreated.size()));

        String figure = String.format(Locale.ROOT, "2 watch commit-to-delivery p99, %d WatchInstance vs %d etcd watches",
                options.watchers, options.watchers);
        System.out.printf(Locale.ROOT, "  figure 2: ours %d deliveries: p50 %s, p99 %s, max %s; etcd %d: p50 %s, p99 %s, max %s%n",
                oursTimes.count(), Report.millis(oursTimes.p50()), Report.millis(oursTimes.percentile(99)),
                Report.millis(oursTimes.max()), direct.times.count(), Report.millis(direct.times.p50()),
                Report.millis(direct.times.percentile(99)), Report.millis(direct.times.max()));
        report.latency(figure, oursTimes, direct.times, 99, 1.0);
        if (!directProblem.isEmpty()) {
            System.out.println("  figure 2: first problem of the etcd watches: " + directProblem);
        }
        long directExact = direct.delivered.get();
        report.add(new Report.Row(String.format(Locale.ROOT, "2 no event lost (%d watchers, warm-up and %d creates x 3)",
                options.watchers, options.watchCreates), ours.exact() + " of " + ours.expected(),
                directExact + " of " + directExpected, (double) ours.exact() / ours.expected(), "all, in order",
                ours.exact() == ours.expected() && ours.problems().isEmpty() && directExact == directExpected
                        && directProblem.isEmpty()));
    }

    private void createSteadily(ComputeServiceGrpc.ComputeServiceBlockingStub creator, String prefix, int count,
            List<String> ids) throws InterruptedException {
        WatchFanoutBench.WatchFanoutFloor.paced(count, options.watchRate, i -> ids.add(creator.withDeadlineAfter(30, TimeUnit.SECONDS)
                .createInstance(CreateThroughputBench.request(prefix + i)).getId()));
    }

    private static void awaitCount(AtomicLong counter, long target, String what) {
        if (!Deadline.after(Duration.ofSeconds(120)).await(() -> counter.get() >= target, Duration.ofMillis(20))) {
            System.out.printf("  figure 2: only %d of %d %s after 120 s%n", counter.get(), target, what);
        }
    }

    /**
     * Figure 2's baseline: watches opened directly on etcd, shared over the clients as the
     * daemon's watchers share channels. Each records its events' (key, revision) in order and
     * the delay from the record's updated_at, which is decoded once per revision, not per watch.
     */
    private static final class DirectWatches {
        final Percentiles times = new Percentiles();
        final AtomicLong delivered = new AtomicLong();
        volatile boolean measuring;
        private final int count;
        private final List<Watch.Watcher> watchers = new ArrayList<>();
        private final List<List<Long>> revisions = new ArrayList<>();
        private final Map<Long, Instant> updatedAt = new ConcurrentHashMap<>();

        DirectWatches(int count) {
            this.count = count;
        }

        void open(List<Client> clients, ByteSequence prefix, long fromRevision) {
            WatchOption option = WatchOption.builder().isPrefix(true).withRevision(fromRevision).build();
            for (int i = 0; i < count; i++) {
                List<Long> mine = new ArrayList<>();
                revisions.add(mine);
                watchers.add(clients.get(i % clients.size()).getWatchClient().watch(prefix, option, response -> {
                    Instant received = Instant.now();
                    for (WatchEvent e : response.getEvents()) {
                        if (e.getEventType() != WatchEvent.EventType.PUT) {
                            continue;
                        }
                        long revision = e.getKeyValue().getModRevision();
                        Instant sent = updatedAt.computeIfAbsent(revision, r -> InstanceRepository.decode(
                                e.getKeyValue().getValue().getBytes(), r).updatedAt());
                        synchronized (mine) {
                            mine.add(revision);
                        }
                        if (measuring) {
                            long nanos = Duration.between(sent, received).toNanos();
                            synchronized (times) {
                                times.add(nanos);
                            }
                        }
                        delivered.incrementAndGet();
                    }
                }));
            }
        }

        /** The first watch whose revisions are not {@code expected} strictly increasing ones, or empty. */
        String problem(int expected) {
            for (int i = 0; i < revisions.size(); i++) {
                List<Long> mine = revisions.get(i);
                synchronized (mine) {
                    if (mine.size() != expected) {
                        return "watch " + i + " saw " + mine.size() + " events, expected " + expected;
                    }
                    for (int j = 1; j < mine.size(); j++) {
                        if (mine.get(j) <= mine.get(j - 1)) {
                            return "watch " + i + ": revision " + mine.get(j) + " after " + mine.get(j - 1);
                        }
                    }
                }
            }
            return "";
        }

        void close() {
            watchers.forEach(Watch.Watcher::close);
        }
    }

    /** Figure 3: durable creates through the daemon against raw puts of one key each, as many clients. */
    private void createThroughput() throws Exception {
        run.progress("figure 3: %d CreateInstance clients and %d etcd put clients, %.0f s each",
                options.createClients, options.createClients, options.createSeconds);
        List<ComputeServiceGrpc.ComputeServiceFutureStub> stubs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            stubs.add(ComputeServiceGrpc.newFutureStub(daemon.newChannel()));
        }
        byte[] record = kv().get(bytes(InstanceRepository.INSTANCES),
                io.etcd.jetcd.options.GetOption.builder().isPrefix(true).withLimit(1).build()).join()
                .getKvs().get(0).getValue().getBytes();
        byte[] value = new byte[record.length];
        new Random(7).nextBytes(value);
        AtomicLong phase = new AtomicLong();
        java.util.function.DoubleFunction<ClosedLoop.Result> creates = seconds -> {
            long p = phase.incrementAndGet();
            try {
                return ClosedLoop.run("CreateInstance", options.createClients, seconds, n -> stubs.get(n % stubs.size())
                        .withDeadlineAfter(30, TimeUnit.SECONDS).createInstance(CreateThroughputBench.request("c" + p + "-" + n)));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        java.util.function.DoubleFunction<ClosedLoop.Result> puts = seconds -> {
            long p = phase.incrementAndGet();
            try {
                return ClosedLoop.run("etcd put", options.createClients, seconds, n -> listenable(
                        kv().put(bytes("/raw/" + p + "-" + n), ByteSequence.from(value))));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        creates.apply(options.createWarmUpSeconds);
        daemon.awaitQuiet(Duration.ofSeconds(120));
        puts.apply(Math.min(2, options.createWarmUpSeconds));
        List<Integer> shape = new ArrayList<>();
        String perCreate = txnsPerCreate(stubs.get(0), shape);
        // The floor: a create's transactions, as many keys each, sent raw (one after another per client).
        java.util.function.DoubleFunction<ClosedLoop.Result> shaped = seconds -> {
            long p = phase.incrementAndGet();
            try {
                return ClosedLoop.run("etcd txns shaped like a create", options.createClients, seconds,
                        n -> listenable(shapedCreate(p + "-" + n, shape, value)));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        shaped.apply(Math.min(2, options.createWarmUpSeconds));

        double half = options.createSeconds / 2;
        double oursDone = 0;
        double oursSeconds = 0;
        double rawDone = 0;
        double rawSeconds = 0;
        double floorDone = 0;
        double floorSeconds = 0;
        for (int round = 0; round < 2; round++) {
            ClosedLoop.Result f = shaped.apply(half);
            floorDone += f.completed();
            floorSeconds += f.seconds();
            for (boolean oursTurn : round == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                if (oursTurn) {
                    CpuShare cpu = new CpuShare(daemon);
                    ClosedLoop.Result r = creates.apply(half);
                    System.out.println("  figure 3: while creating, " + cpu.describe());
                    oursDone += r.completed();
                    oursSeconds += r.seconds();
                    daemon.awaitQuiet(Duration.ofSeconds(120));
                } else {
                    ClosedLoop.Result r = puts.apply(half);
                    rawDone += r.completed();
                    rawSeconds += r.seconds();
                }
            }
        }
        System.out.println("  figure 3: " + perCreate);
        report.rate("3 CreateInstance, " + options.createClients + " clients vs etcd puts", oursDone / oursSeconds,
                rawDone / rawSeconds, "/s", 0.5);
        double floor = floorDone / floorSeconds;
        report.add(new Report.Row("3 floor: raw etcd txns shaped like a create vs etcd puts",
                String.format(Locale.ROOT, "%.0f /s", floor), String.format(Locale.ROOT, "%.0f /s", rawDone / rawSeconds),
                floor / (rawDone / rawSeconds), Report.PRINTED, true));
    }

    /**
     * A create's etcd transactions without the daemon: the first puts its keys if absent, the
     * others overwrite as many keys, one after another, as one create's do.
     */
    private CompletableFuture<?> shapedCreate(String name, List<Integer> shape, byte[] value) {
        CompletableFuture<?> chain = CompletableFuture.completedFuture(null);
        for (int t = 0; t < shape.size(); t++) {
            int txn = t;
            chain = chain.thenCompose(ignored -> {
                List<io.etcd.jetcd.op.Op> puts = new ArrayList<>();
                List<io.etcd.jetcd.op.Cmp> absent = new ArrayList<>();
                for (int k = 0; k < shape.get(txn); k++) {
                    ByteSequence key = bytes("/shaped/" + name + "/" + k);
                    puts.add(io.etcd.jetcd.op.Op.put(key, ByteSequence.from(value), io.etcd.jetcd.options.PutOption.DEFAULT));
                    if (txn == 0) {
                        absent.add(new io.etcd.jetcd.op.Cmp(key, io.etcd.jetcd.op.Cmp.Op.EQUAL,
                                io.etcd.jetcd.op.CmpTarget.modRevision(0)));
                    }
                }
                return kv().txn().If(absent.toArray(io.etcd.jetcd.op.Cmp[]::new))
                        .Then(puts.toArray(io.etcd.jetcd.op.Op[]::new)).commit();
            });
        }
        return chain;
    }

    /** What one create costs in etcd: watched from its revision until the daemon is quiet again. */
    private String txnsPerCreate(ComputeServiceGrpc.ComputeServiceFutureStub stub, List<Integer> shape) throws Exception {
        long from = kv().get(bytes("/")).join().getHeader().getRevision() + 1;
        Map<Long, Integer> keysPerRevision = new TreeMap<>();
        Watch.Watcher watcher = clients.get(0).getWatchClient().watch(bytes("/"),
                WatchOption.builder().isPrefix(true).withRevision(from).build(), response -> {
                    synchronized (keysPerRevision) {
                        response.getEvents().forEach(e -> keysPerRevision.merge(e.getKeyValue().getModRevision() == 0
                                ? response.getHeader().getRevision() : e.getKeyValue().getModRevision(), 1, Integer::sum));
                    }
                });
        try {
            stub.createInstance(CreateThroughputBench.request("one-create")).get(30, TimeUnit.SECONDS);
            daemon.awaitQuiet(Duration.ofSeconds(30));
            Thread.sleep(500);
        } finally {
            watcher.close();
        }
        synchronized (keysPerRevision) {
            List<Integer> keys = new ArrayList<>(keysPerRevision.values());
            shape.addAll(keys);
            return String.format(Locale.ROOT, "one create = %d etcd txns until RUNNING, with %s keys each (the first:"
                    + " the create with its name, indexes and request log)", keys.size(), keys);
        }
    }

    private static ListenableFuture<Object> listenable(CompletableFuture<?> future) {
        SettableFuture<Object> settable = SettableFuture.create();
        future.whenComplete((value, error) -> {
            if (error != null) {
                settable.setException(error);
            } else {
                settable.set(value);
            }
        });
        return settable;
    }
}
