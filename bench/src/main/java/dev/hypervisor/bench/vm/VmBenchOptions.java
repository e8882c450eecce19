package dev.hypervisor.bench.vm;

import dev.hypervisor.bench.BenchArgs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The sizes of one VM run: the full ones, or small ones with {@code --quick}. */
record VmBenchOptions(boolean quick, int samples, int memorySamples, String accelerator, Path workDir, boolean keep) {

    static final String USAGE = """
            usage: bench/run.sh vm [--quick] [options]
              --quick               small sizes for a smoke run (defaults below are the full sizes)
              --samples N           measured boots per side (figure 1), alternating        [10; quick 3]
                                    (after 1 unmeasured warm-up per side)
              --memory-samples N    idle VMs per side for the memory figure (figure 2)     [3; quick 1]
              --accelerator A       hypervisord's --accelerator: auto, kvm or tcg; the      [auto]
                                    baseline runs the command line it chose
              --work-dir DIR        daemon data dir, guest files, logs                     [bench/target/vm]
              --keep                keep the work dir afterwards
            """;

    /** Parses the command line; throws IllegalArgumentException with the usage on a bad one. */
    static VmBenchOptions parse(String[] args) {
        BenchArgs parsed = BenchArgs.parse(args, USAGE);
        boolean quick = parsed.quick();
        Map<String, String> values = parsed.values();
        String accelerator = values.getOrDefault("--accelerator", "auto");
        if (!List.of("auto", "kvm", "tcg").contains(accelerator)) {
            throw new IllegalArgumentException("--accelerator: expected auto, kvm or tcg, got " + accelerator);
        }
        VmBenchOptions options = new VmBenchOptions(quick,
                BenchArgs.integer(values, "--samples", quick ? 3 : 10, 200),
                BenchArgs.integer(values, "--memory-samples", quick ? 1 : 3, 20),
                accelerator,
                Path.of(values.getOrDefault("--work-dir", "bench/target/vm")),
                parsed.keep());
        values.remove("--accelerator");
        values.remove("--work-dir");
        BenchArgs.requireAllUsed(values, USAGE);
        return options;
    }
}
