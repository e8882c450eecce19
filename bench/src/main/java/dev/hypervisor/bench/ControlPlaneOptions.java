package dev.hypervisor.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The sizes and durations of one control-plane run: the issue's full sizes, or small ones with {@code --quick}. */
@Command(name = "control-plane", sortOptions = false, usageHelpWidth = 110,
        description = "hypervisord (with a no-op driver) driven over loopback gRPC, every figure beside its baseline.")
final class ControlPlaneOptions extends CommonOptions {

    @Option(names = "--instances", paramLabel = "N", description = "instances in the large store (figures 2, 5) [${DEFAULT-VALUE}; quick 10000]")
    int largeStore = 100_000;

    @Option(names = "--small-instances", paramLabel = "N", description = "instances in the small store (figure 2 baseline) [${DEFAULT-VALUE}]")
    int smallStore = 1_000;

    @Option(names = "--latency-calls", paramLabel = "N", description = "sequential calls per RPC per round (figure 1) [${DEFAULT-VALUE}; quick 1000]")
    int latencyCalls = 5_000;

    @Option(names = "--rounds", paramLabel = "N", description = "rounds of figure 1 (throughput alternates per round) [${DEFAULT-VALUE}; quick 2]")
    int rounds = 3;

    @Option(names = "--throughput-seconds", paramLabel = "S", description = "closed-loop time per RPC per round (figure 1) [3; quick 1]")
    double throughputSeconds = 3;

    @Option(names = "--callers", paramLabel = "N", description = "concurrent callers for throughput (figure 1) [${DEFAULT-VALUE}]")
    int throughputCallers = 16;

    @Option(names = "--pages", paramLabel = "N", description = "measured pages per filter per store (figure 2), after a warm-up of at least 500 pages each [${DEFAULT-VALUE}; quick 100]")
    int pagesPerFilter = 400;

    @Option(names = "--create-seconds", paramLabel = "S", description = "measured time per side (figure 3) [10; quick 3]")
    double createSeconds = 10;

    @Option(names = "--create-warm-up", paramLabel = "S", description = "unmeasured creates first (figure 3), at least this long and then until the daemon's JIT is quiet (at most 180 s) [20; quick 1]")
    double createWarmUpSeconds = 20;

    @Option(names = "--create-clients", paramLabel = "N", description = "concurrent CreateInstance clients (figure 3) [${DEFAULT-VALUE}]")
    int createClients = 64;

    @Option(names = "--watchers", paramLabel = "N", description = "WatchInstance streams (figure 4) [${DEFAULT-VALUE}; quick 100]")
    int watchers = 1_000;

    @Option(names = "--watch-channels", paramLabel = "N", description = "channels the watchers share (figure 4) [${DEFAULT-VALUE}]")
    int watchChannels = 10;

    @Option(names = "--watch-creates", paramLabel = "N", description = "instances created while watched (figure 4) [${DEFAULT-VALUE}; quick 50]")
    int watchCreates = 200;

    @Option(names = "--watch-rate", paramLabel = "R", description = "creates per second while watched (figure 4) [20]")
    double watchRate = 20;
}
