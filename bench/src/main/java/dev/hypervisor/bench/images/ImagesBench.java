package dev.hypervisor.bench.images;

import dev.hypervisor.bench.BenchMain;
import dev.hypervisor.bench.Report;
import dev.hypervisor.bench.RunLog;
import dev.hypervisor.bench.WorkDir;
import dev.hypervisor.testkit.images.RegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code bench/run.sh images}: pulls images from a real registry on loopback with our image
 * store and prints each figure of the image issue beside a baseline measured in the same run
 * ({@code skopeo copy} + {@code umoci unpack}; a busybox pull).
 */
public final class ImagesBench {

    // Exit code: 0 when every figure passes, 1 when one misses its target, 2 on a usage error
    // or a broken run.

    private static final String MARKER = ".images-bench";
    private static final List<String> TOOLS = List.of("docker-registry", "skopeo", "umoci");

    private final ImagesOptions options;
    private final Report table = new Report();
    private final RunLog log = new RunLog();

    private ImagesBench(ImagesOptions options) {
        this.options = options;
    }

    public static void main(String[] args) {
        BenchMain.main(new ImagesOptions(), args, options -> new ImagesBench(options).run());
    }

    private int run() throws Exception {
        for (String tool : TOOLS) {
            if (Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
                    .noneMatch(d -> Files.isExecutable(Path.of(d, tool)))) {
                throw new IllegalStateException(tool + " is not installed: apt-get install " + String.join(" ", TOOLS)
                        + " (bench/run.sh images installs them)");
            }
        }
        Path work = WorkDir.prepare(options.common.workDir(), MARKER);
        System.out.printf(Locale.ROOT, "images benchmark%s: %d cores, load average %s, work dir %s%n",
                options.common.quick() ? " (--quick)" : "", Runtime.getRuntime().availableProcessors(), RunLog.loadAverage(), work);
        RegistryServer registry = RegistryServer.start(Files.createDirectories(work.resolve("registry")));
        Thread stopRegistry = new Thread(registry::close, "stop-registry");
        Runtime.getRuntime().addShutdownHook(stopRegistry);
        try {
            log.progress("registry on %s; building and pushing busybox and a %d MiB image", registry.host(), options.imageMib);
            BenchImages images = new BenchImages(work.resolve("layout"), registry.host(), Files.createDirectories(work.resolve("logs")));
            BenchImages.Pushed busybox = images.busybox();
            BenchImages.Pushed big = images.multiLayer(options.imageMib);
            log.progress("pushed %s: %d layers, %s", big.reference(), big.layers(), Report.mebibytes(big.compressedBytes()));
            new PullUnpackRace(big.reference(), Files.createDirectories(work.resolve("race")),
                    Duration.ofSeconds(120 + options.imageMib), log::progress).run(options.rounds, big, table);

            log.progress("figure 2: building and pushing one %d MiB layer", options.layerMib);
            BenchImages.Pushed layer = images.singleLayer(options.layerMib);
            log.progress("figure 2: pulling busybox and the %d MiB layer in a child JVM", options.layerMib);
            new HeapFigure(options, work.resolve("heap")).run(busybox, layer, table);
        } finally {
            registry.close();
            Runtime.getRuntime().removeShutdownHook(stopRegistry);
        }

        System.out.println();
        table.print(System.out);
        System.out.printf(Locale.ROOT, "%nbaselines: 1 = skopeo copy (registry -> OCI layout) then umoci unpack (layout ->"
                + " bundle), each round into fresh directories; 2 = a busybox pull in the same child JVM.%n"
                + "the registry's blobs are warm in the page cache for both sides; total time %.0fs; other processes may"
                + " have used the CPU meanwhile (load average now %s).%n", log.seconds(), RunLog.loadAverage());
        if (!options.common.keep()) {
            WorkDir.delete(work);
        }
        return table.allPass() ? 0 : 1;
    }
}
