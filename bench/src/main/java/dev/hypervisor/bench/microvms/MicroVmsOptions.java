package dev.hypervisor.bench.microvms;

import dev.hypervisor.bench.BenchArgs;
import java.nio.file.Path;
import java.util.Map;

/** The sizes of one microVM run: the full sizes, or small ones with {@code --quick}. */
record MicroVmsOptions(boolean quick, int samples, int boots, int bootTimeoutSeconds, int rootfsRounds,
        int randomFiles, int density, int densityMib, int fallbackMib, String kernel, String densityKernel, Path workDir,
        boolean keep) {

    static final String USAGE = """
            usage: bench/run.sh microvm [--quick] [options]
              --quick               small sizes for a smoke run (defaults below are the full sizes)
              --samples N           measured boots per side (figure 1), alternating           [10; quick 3]
              --boots N             all boots of figure 1 (one warm-up per side, the samples,  [50; quick 10]
                                    then more through the daemon), each counted as a hang when
                                    its first line does not come within --boot-timeout
              --boot-timeout S      seconds one boot may take to its first line               [60]
              --rootfs-rounds N     rounds of figure 2 (cold build, cached, mkfs.ext4 -d)     [3; quick 1]
              --random-mib N        MiB of random files in figure 2's image (8 MiB files)     [48]
              --density N           microVMs running at once (figure 3)                       [20; quick 5]
              --density-mib N       their memory_bytes in MiB                                 [64]
              --fallback-mib N      if those do not come up, measure memory at this size too  [96]
              --kernel K            the daemon's default kernel, booted by figures 1 and 2:   [small]
                                    small (the one scripts/microvm-kernel.sh builds, run to
                                    build it when missing: about 4 minutes on 2 cores), debian
                                    (Debian's cloud kernel and its modules) or a bzImage path
              --density-kernel K    the kernel figure 3's microVMs boot (spec.kernel), as above [small]
                                    (Debian's does not boot in 64 MiB)
              --work-dir DIR        daemon data dir, registry, baseline copies, logs          [bench/target/microvm]
              --keep                keep the work dir afterwards
            """;

    /** Parses the command line; throws IllegalArgumentException with the usage on a bad one. */
    static MicroVmsOptions parse(String[] args) {
        BenchArgs parsed = BenchArgs.parse(args, USAGE);
        boolean quick = parsed.quick();
        Map<String, String> values = parsed.values();
        int samples = BenchArgs.integer(values, "--samples", quick ? 3 : 10, 200);
        int boots = BenchArgs.integer(values, "--boots", quick ? 10 : 50, 1000);
        if (boots < 2 * samples + 2) {
            throw new IllegalArgumentException("--boots must be at least 2 x --samples + 2 (the warm-ups), got " + boots);
        }
        MicroVmsOptions options = new MicroVmsOptions(quick, samples, boots,
                BenchArgs.integer(values, "--boot-timeout", 60, 600),
                BenchArgs.integer(values, "--rootfs-rounds", quick ? 1 : 3, 20),
                BenchArgs.integer(values, "--random-mib", 48, 1024) / 8,
                BenchArgs.integer(values, "--density", quick ? 5 : 20, 100),
                BenchArgs.integer(values, "--density-mib", 64, 4096),
                BenchArgs.integer(values, "--fallback-mib", 96, 4096),
                values.getOrDefault("--kernel", BenchKernels.SMALL),
                values.getOrDefault("--density-kernel", BenchKernels.SMALL),
                Path.of(values.getOrDefault("--work-dir", "bench/target/microvm")),
                parsed.keep());
        if (options.randomFiles() < 1) {
            throw new IllegalArgumentException("--random-mib: at least 8");
        }
        values.remove("--work-dir");
        values.remove("--kernel");
        values.remove("--density-kernel");
        BenchArgs.requireAllUsed(values, USAGE);
        return options;
    }
}
