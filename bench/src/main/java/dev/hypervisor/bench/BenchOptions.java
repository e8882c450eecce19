package dev.hypervisor.bench;

import java.nio.file.Path;
import java.util.Map;

/** The sizes and durations of one control-plane run: the full sizes, or small ones with {@code --quick}. */
record BenchOptions(
        boolean quick,
        int largeStore,
        int smallStore,
        int latencyCalls,
        int rounds,
        double throughputSeconds,
        int throughputCallers,
        int pagesPerFilter,
        double createSeconds,
        double createWarmUpSeconds,
        int createClients,
        int watchers,
        int watchChannels,
        int watchCreates,
        double watchRate,
        Path workDir,
        boolean keep) {

    static final int MAX_COUNT = 10_000_000;

    static final String USAGE = """
            usage: bench/run.sh control-plane [--quick] [options]
              --quick                 small sizes for a smoke run (defaults below are the full sizes)
              --instances N           instances in the large store (figures 2, 5)        [100000; quick 10000]
              --small-instances N     instances in the small store (figure 2 baseline)   [1000]
              --latency-calls N       sequential calls per RPC per round (figure 1)      [5000; quick 1000]
              --rounds N              rounds of figure 1 (throughput alternates per round) [3; quick 2]
              --throughput-seconds S  closed-loop time per RPC per round (figure 1)      [3; quick 1]
              --callers N             concurrent callers for throughput (figure 1)       [16]
              --pages N               measured pages per filter per store (figure 2)     [400; quick 100]
                                      (after a warm-up of at least 500 pages each)
              --create-seconds S      measured time per side (figure 3)                  [10; quick 3]
              --create-warm-up S      unmeasured creates first (figure 3): the JIT still [10; quick 1]
                                      compiles the create path for ~10 s; 2 s measured it half interpreted
              --create-clients N      concurrent CreateInstance clients (figure 3)       [64]
              --watchers N            WatchInstance streams (figure 4)                   [1000; quick 100]
              --watch-channels N      channels the watchers share (figure 4)             [10]
              --watch-creates N       instances created while watched (figure 4)         [200; quick 50]
              --watch-rate R          creates per second while watched (figure 4)        [20]
              --work-dir DIR          data dirs and logs                                 [bench/target/control-plane]
              --keep                  keep the work dir afterwards
            """;

    /** Parses the command line; throws IllegalArgumentException with the usage on a bad one. */
    static BenchOptions parse(String[] args) {
        BenchArgs parsed = BenchArgs.parse(args, USAGE);
        boolean quick = parsed.quick();
        boolean keep = parsed.keep();
        Map<String, String> values = parsed.values();
        BenchOptions options = new BenchOptions(quick,
                BenchArgs.integer(values, "--instances", quick ? 10_000 : 100_000, MAX_COUNT),
                BenchArgs.integer(values, "--small-instances", 1_000, MAX_COUNT),
                BenchArgs.integer(values, "--latency-calls", quick ? 1_000 : 5_000, MAX_COUNT),
                BenchArgs.integer(values, "--rounds", quick ? 2 : 3, MAX_COUNT),
                decimal(values, "--throughput-seconds", quick ? 1 : 3),
                BenchArgs.integer(values, "--callers", 16, MAX_COUNT),
                BenchArgs.integer(values, "--pages", quick ? 100 : 400, MAX_COUNT),
                decimal(values, "--create-seconds", quick ? 3 : 10),
                decimal(values, "--create-warm-up", quick ? 1 : 10),
                BenchArgs.integer(values, "--create-clients", 64, MAX_COUNT),
                BenchArgs.integer(values, "--watchers", quick ? 100 : 1_000, MAX_COUNT),
                BenchArgs.integer(values, "--watch-channels", 10, MAX_COUNT),
                BenchArgs.integer(values, "--watch-creates", quick ? 50 : 200, MAX_COUNT),
                decimal(values, "--watch-rate", 20),
                Path.of(text(values, "--work-dir", "bench/target/control-plane")),
                keep);
        BenchArgs.requireAllUsed(values, USAGE);
        return options;
    }

    private static String text(Map<String, String> values, String name, String fallback) {
        String value = values.remove(name);
        return value == null ? fallback : value;
    }
    private static double decimal(Map<String, String> values, String name, double fallback) {
        String value = values.remove(name);
        if (value == null) {
            return fallback;
        }
        try {
            double parsed = Double.parseDouble(value);
            if (!(parsed > 0 && parsed <= 3600)) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": expected a positive number up to 3600, got " + value);
        }
    }
}
