package dev.hypervisor.bench.images;

import dev.hypervisor.bench.CommonOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The sizes of one image run: the full sizes, or small ones with {@code --quick}. */
@Command(name = "images", sortOptions = false, usageHelpWidth = 110,
        description = "Image pulls from a registry on loopback, ours beside skopeo copy + umoci unpack.")
final class ImagesOptions extends CommonOptions {

    @Option(names = "--image-mib", paramLabel = "N", description = "compressed size of the multi-layer image (figure 1) [${DEFAULT-VALUE}; quick 30]")
    int imageMib = 200;

    @Option(names = "--rounds", paramLabel = "N", description = "measured rounds of figure 1, ours and baseline alternating (after one unmeasured warm-up round) [${DEFAULT-VALUE}; quick 1]")
    int rounds = 5;

    @Option(names = "--layer-mib", paramLabel = "N", description = "size of the single-layer image (figure 2) [${DEFAULT-VALUE}; quick 200]")
    int layerMib = 1024;

    @Option(names = "--child-heap-mib", paramLabel = "N", description = "-Xmx of the JVM that pulls in figure 2 [${DEFAULT-VALUE}]")
    int childHeapMib = 256;
}
