package dev.hypervisor.bench.containers;

import dev.hypervisor.bench.CommonOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The sizes of one containers run: the full sizes, or small ones with {@code --quick}. */
@Command(name = "containers", sortOptions = false, usageHelpWidth = 110,
        description = "Containers on the real driver (runc under conmon) beside plain runc and podman.")
final class ContainersOptions extends CommonOptions {

    @Option(names = "--latency-samples", paramLabel = "N", description = "measured creates per side (figure 1), alternating [${DEFAULT-VALUE}; quick 10]")
    int latencySamples = 40;

    @Option(names = "--latency-warm-up", paramLabel = "N", description = "unmeasured creates per side before them (figure 1): the daemon's create path runs mostly interpreted for its first ~100 creates; the first 20 are printed on their own row [${DEFAULT-VALUE}; quick 3]")
    int latencyWarmUp = 100;

    @Option(names = "--concurrent", paramLabel = "N", description = "containers created at once (figure 2) [${DEFAULT-VALUE}; quick 10]")
    int concurrent = 50;

    @Option(names = "--rounds", paramLabel = "N", description = "rounds of figure 2, ours and baseline alternating [${DEFAULT-VALUE}; quick 1]")
    int concurrentRounds = 3;

    @Option(names = "--concurrent-warm-up", paramLabel = "N", description = "unmeasured rounds of figure 2 before them, every side; then more of ours until the daemon's JIT compiler is quiet (at most 10 in all): the first bursts compile the daemon's concurrent paths [${DEFAULT-VALUE}; quick 1]")
    int concurrentWarmUp = 1;

    @Option(names = "--idle", paramLabel = "N", description = "idle containers for the memory figure (figure 3) [${DEFAULT-VALUE}; quick 20]")
    int idle = 100;

    @Option(names = "--flood-seconds", paramLabel = "N", description = "a stalled console viewer on `yes` this long (figure 4) [${DEFAULT-VALUE}; quick 20]")
    int floodSeconds = 120;
}
