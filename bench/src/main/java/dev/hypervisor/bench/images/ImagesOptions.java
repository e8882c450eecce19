package dev.hypervisor.bench.images;

import dev.hypervisor.bench.BenchArgs;
import java.nio.file.Path;
import java.util.Map;

/** The sizes of one image run: the full sizes, or small ones with {@code --quick}. */
record ImagesOptions(boolean quick, int imageMib, int rounds, int layerMib, int childHeapMib, Path workDir, boolean keep) {

    static final String USAGE = """
            usage: bench/run.sh images [--quick] [options]
              --quick               small sizes for a smoke run (defaults below are the full sizes)
              --image-mib N         compressed size of the multi-layer image (figure 1)  [200; quick 30]
              --rounds N            measured rounds of figure 1, ours and baseline       [5; quick 1]
                                    alternating (after one unmeasured warm-up round)
              --layer-mib N         size of the single-layer image (figure 2)            [1024; quick 200]
              --child-heap-mib N    -Xmx of the JVM that pulls in figure 2               [256]
              --work-dir DIR        registry storage, layouts, pulled images             [bench/target/images]
              --keep                keep the work dir afterwards
            """;

    /** Parses the command line; throws IllegalArgumentException with the usage on a bad one. */
    static ImagesOptions parse(String[] args) {
        BenchArgs parsed = BenchArgs.parse(args, USAGE);
        boolean quick = parsed.quick();
        boolean keep = parsed.keep();
        Map<String, String> values = parsed.values();
        ImagesOptions options = new ImagesOptions(quick,
                BenchArgs.integer(values, "--image-mib", quick ? 30 : 200, 4096),
                BenchArgs.integer(values, "--rounds", quick ? 1 : 5, 100),
                BenchArgs.integer(values, "--layer-mib", quick ? 200 : 1024, 16384),
                BenchArgs.integer(values, "--child-heap-mib", 256, 16384),
                Path.of(values.getOrDefault("--work-dir", "bench/target/images")),
                keep);
        values.remove("--work-dir");
        BenchArgs.requireAllUsed(values, USAGE);
        return options;
    }
}
