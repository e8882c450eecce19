package dev.hypervisor.bench.containers;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.HostCpu;
import dev.hypervisor.bench.Percentiles;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.Rotation;
import dev.hypervisor.bench.TimedInstances;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.stream.IntStream;

/** Figure 2 (bench/README.md, Containers): N containers at once against N {@code runc run -d} and N conmon floors. */
record ConcurrentCreateFigure(BenchRun run, TimedInstances api, String image, RuncBundle runc,
        java.util.function.LongSupplier daemonTicks, java.util.function.LongSupplier compilerTicks) {

    private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(180);
    // The machine's busy CPU-seconds during each side's timed part, per round: ours, runc run -d, the floor.
    private static final List<List<Double>> CPU = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    private static final List<Double> DAEMON_CPU = new ArrayList<>(); // the daemon's own part of ours
    private static final List<Double> COMPILER_CPU = new ArrayList<>(); // its JIT compiler threads' part of that
    // Warm-up rounds go on until the daemon's compiler threads use less than this in one of ours, or the cap.
    private static final double QUIET_COMPILER_SECONDS = 0.05;
    private static final int MAX_WARM_UP_ROUNDS = 10;

    void measure(int n, int warmUp, int rounds) throws Exception {
        Report report = run.report();
        ExecutorService threads = Executors.newFixedThreadPool(n);
        try {
            int warmRounds = 0;
            for (double compiling = Double.MAX_VALUE; warmRounds < warmUp
                    || (compiling >= QUIET_COMPILER_SECONDS && warmRounds < MAX_WARM_UP_ROUNDS); warmRounds++) {
                long ticks = compilerTicks.getAsLong();
                long elapsed = ours(threads, n, "warm-" + warmRounds + "-");
                compiling = (compilerTicks.getAsLong() - ticks) / 100.0;
                String baselines = "";
                if (warmRounds < warmUp) {
                    baselines = String.format(", runc run -d %s, conmon + runc create + start %s",
                            Report.seconds(raw(threads, n, "hvbench-warm-" + warmRounds + "-", runc::runDetached,
                                    new ArrayList<>())),
                            Report.seconds(raw(threads, n, "hvbench-warmfloor-" + warmRounds + "-",
                                    runc::conmonCreateAndStart, new ArrayList<>())));
                }
                run.progress("figure 2: warm-up round %d: ours %s (the daemon's JIT compiler %.2f CPU-s)%s",
                        warmRounds + 1, Report.seconds(elapsed), compiling, baselines);
            }
            Rotation rotation = new Rotation();
            CPU.forEach(List::clear);
            DAEMON_CPU.clear();
            COMPILER_CPU.clear();
            Percentiles ours = rotation.side((r, measured) -> ours(threads, n, "burst-" + r + "-"));
            Percentiles raw = rotation.side((r, measured) -> raw(threads, n, "hvbench-burst-" + r + "-",
                    runc::runDetached, CPU.get(1)));
            Percentiles floor = rotation.side((r, measured) -> raw(threads, n, "hvbench-floor-" + r + "-",
                    runc::conmonCreateAndStart, CPU.get(2)));
            rotation.run(0, rounds, (r, values) -> run.progress("figure 2: round %d of %d: ours %s, runc run -d %s,"
                    + " conmon + runc create + start %s", r, rounds, Report.seconds(values[0]), Report.seconds(values[1]),
                    Report.seconds(values[2])));
            report.latency("2 " + n + " concurrent creates->RUNNING vs " + n + " runc run -d", ours.p50(), raw.p50(), 1.3);
            report.printed("2 floor: " + n + " conmon + runc create + runc start vs " + n + " runc run -d",
                    floor.p50(), raw.p50());
            report.note("figure 2: the median of %d round(s) after %d unmeasured (at least %d of every side, then ours"
                    + " until the daemon's JIT compiler used under %.2f CPU-s in one, at most %d); every round, ours: %s;"
                    + " runc run -d: %s; conmon + runc create + runc start: %s.", rounds, warmRounds, warmUp,
                    QUIET_COMPILER_SECONDS, MAX_WARM_UP_ROUNDS, ours.join(Report::seconds),
                    raw.join(Report::seconds), floor.join(Report::seconds));
            report.note("figure 2: the floor row is the part of our path that the issue prescribes (runc under conmon),"
                    + " run from %d threads with no daemon, store, overlay or network: nothing above it can be faster.", n);
            int cores = Runtime.getRuntime().availableProcessors();
            report.note("figure 2: the machine's busy CPU per round, ours / runc run -d / floor: %s / %s / %s CPU-s"
                    + " (%d cores: a round that keeps them all busy lasts at least its CPU-s / %d); of ours, the daemon's"
                    + " JVM: %s CPU-s, of which its JIT compiler threads: %s.", cpu(0), cpu(1), cpu(2), cores, cores,
                    seconds(DAEMON_CPU), seconds(COMPILER_CPU));
        } finally {
            threads.shutdownNow();
        }
    }

    /** Wall time until all N creates are RUNNING; then deletes them (untimed). */
    private long ours(ExecutorService threads, int n, String prefix) throws Exception {
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        try {
            double cpu = HostCpu.busySeconds();
            long ticks = daemonTicks.getAsLong();
            long compiler = compilerTicks.getAsLong();
            long elapsed = gate(threads, n, i -> {
                String id = api.create(ContainersBench.container(prefix + i, image, "sleep", "100000"));
                ids.add(id);
                return api.awaitRunning(id, RUNNING_TIMEOUT);
            });
            CPU.get(0).add(HostCpu.busySeconds() - cpu);
            DAEMON_CPU.add((daemonTicks.getAsLong() - ticks) / 100.0);
            COMPILER_CPU.add((compilerTicks.getAsLong() - compiler) / 100.0);
            return elapsed;
        } finally {
            api.deleteAll(List.copyOf(ids), RUNNING_TIMEOUT);
        }
    }

    /** Wall time until all N containers {@code start} starts have returned; checks they run, deletes them (untimed). */
    private long raw(ExecutorService threads, int n, String prefix, ToLongFunction<String> start, List<Double> cpuPerRound)
            throws Exception {
        try {
            double cpu = HostCpu.busySeconds();
            long elapsed = gate(threads, n, i -> {
                start.applyAsLong(prefix + i);
                return System.nanoTime();
            });
            cpuPerRound.add(HostCpu.busySeconds() - cpu);
            long running = runc.running(IntStream.range(0, n).mapToObj(i -> prefix + i).toList());
            if (running != n) {
                throw new IllegalStateException("runc reports " + running + " of " + n + " baseline containers running");
            }
            return elapsed;
        } finally {
            gate(threads, n, i -> {
                runc.delete(prefix + i);
                return 0L;
            });
        }
    }

    private static String cpu(int side) {
        return seconds(CPU.get(side));
    }

    private static String seconds(List<Double> values) {
        return values.stream().map(s -> String.format(java.util.Locale.ROOT, "%.2f", s))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    interface Task {
        /** Task {@code index}'s work; returns when it ended (nanoTime). */
        long run(int index) throws Exception;
    }

    /** Runs N tasks released together; returns the time from their release to the last one's end. */
    private static long gate(ExecutorService threads, int n, Task task) throws Exception {
        long[] start = new long[1];
        CyclicBarrier release = new CyclicBarrier(n, () -> start[0] = System.nanoTime());
        List<Callable<Long>> tasks = IntStream.range(0, n).<Callable<Long>>mapToObj(i -> () -> {
            release.await(30, TimeUnit.SECONDS);
            return task.run(i);
        }).toList();
        List<Long> results = new ArrayList<>();
        Exception first = null;
        for (var f : threads.invokeAll(tasks, RUNNING_TIMEOUT.toSeconds() + 60, TimeUnit.SECONDS)) {
            try {
                results.add(f.get());
            } catch (ExecutionException | CancellationException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw new IllegalStateException((n - results.size()) + " of " + n + " concurrent tasks failed, first: "
                    + (first.getCause() != null ? first.getCause() : first), first);
        }
        return results.stream().mapToLong(Long::longValue).max().orElseThrow() - start[0];
    }
}
