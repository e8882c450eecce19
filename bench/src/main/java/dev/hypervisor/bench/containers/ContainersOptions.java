package dev.hypervisor.bench.containers;

import dev.hypervisor.bench.BenchArgs;
import java.nio.file.Path;
import java.util.Map;

/** The sizes of one containers run: the full sizes, or small ones with {@code --quick}. */
record ContainersOptions(boolean quick, int latencySamples, int latencyWarmUp, int concurrent, int concurrentRounds, int idle,
        int floodSeconds, Path workDir, boolean keep) {

    static final String USAGE = """
            usage: bench/run.sh containers [--quick] [options]
              --quick               small sizes for a smoke run (defaults below are the full sizes)
              --latency-samples N   measured creates per side (figure 1), alternating     [40; quick 10]
              --latency-warm-up N   unmeasured creates per side before them (figure 1)    [100; quick 3]
                                    (the daemon's create path runs mostly interpreted for its first
                                    ~100 creates; the first 20 are printed on their own row)
              --concurrent N        containers created at once (figure 2)                 [50; quick 10]
              --rounds N            rounds of figure 2, ours and baseline alternating     [3; quick 1]
              --idle N              idle containers for the memory figure (figure 3)      [100; quick 20]
              --flood-seconds N     a stalled console viewer on `yes` this long (figure 4) [120; quick 20]
              --work-dir DIR        daemon data dir, registry, bundles, logs              [bench/target/containers]
              --keep                keep the work dir afterwards
            """;

    /** Parses the command line; throws IllegalArgumentException with the usage on a bad one. */
    static ContainersOptions parse(String[] args) {
        BenchArgs parsed = BenchArgs.parse(args, USAGE);
        boolean quick = parsed.quick();
        Map<String, String> values = parsed.values();
        ContainersOptions options = new ContainersOptions(quick,
                BenchArgs.integer(values, "--latency-samples", quick ? 10 : 40, 1000),
                BenchArgs.integer(values, "--latency-warm-up", quick ? 3 : 100, 1000),
                BenchArgs.integer(values, "--concurrent", quick ? 10 : 50, 200),
                BenchArgs.integer(values, "--rounds", quick ? 1 : 3, 20),
                BenchArgs.integer(values, "--idle", quick ? 20 : 100, 500),
                BenchArgs.integer(values, "--flood-seconds", quick ? 20 : 120, 3600),
                Path.of(values.getOrDefault("--work-dir", "bench/target/containers")),
                parsed.keep());
        values.remove("--work-dir");
        BenchArgs.requireAllUsed(values, USAGE);
        return options;
    }
}
