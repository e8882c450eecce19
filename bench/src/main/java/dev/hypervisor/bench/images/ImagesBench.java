package dev.hypervisor.bench.images;

import dev.hypervisor.bench.BenchRun;
import dev.hypervisor.bench.Report;
import dev.hypervisor.testkit.images.RegistryServer;
import java.time.Duration;
import java.util.List;

/** {@code bench/run.sh images}: pulls by our image store beside skopeo copy + umoci unpack, and a busybox pull. */
public final class ImagesBench {

    private static final List<String> TOOLS = List.of("docker-registry", "skopeo", "umoci");

    private ImagesBench() {}

    public static void main(String[] args) {
        BenchRun.main(args, new ImagesOptions(), TOOLS, ImagesBench::run);
    }

    private static String run(ImagesOptions options, BenchRun run) throws Exception {
        run.header("");
        RegistryServer registry = run.closing(RegistryServer.start(run.dir("registry")));
        run.progress("registry on %s; building and pushing busybox and a %d MiB image", registry.host(), options.imageMib);
        BenchImages images = new BenchImages(run.work().resolve("layout"), registry.host());
        BenchImages.Pushed busybox = images.busybox();
        BenchImages.Pushed big = images.multiLayer(options.imageMib);
        run.progress("pushed %s: %d layers, %s", big.reference(), big.layers(), Report.mebibytes(big.compressedBytes()));
        new PullUnpackRace(run, big.reference(), run.dir("race"), Duration.ofSeconds(120 + options.imageMib))
                .measure(options.rounds, big);

        run.progress("figure 2: building and pushing one %d MiB layer", options.layerMib);
        BenchImages.Pushed layer = images.singleLayer(options.layerMib);
        run.progress("figure 2: pulling busybox and the %d MiB layer in a child JVM", options.layerMib);
        HeapProbe.measure(run, options.layerMib, options.childHeapMib, busybox, layer);
        return "1 = skopeo copy (registry -> OCI layout) then umoci unpack (layout -> bundle), each round"
                + " into fresh directories; 2 = a busybox pull in the same child JVM; the registry's blobs are warm in"
                + " the page cache for both sides.";
    }
}
