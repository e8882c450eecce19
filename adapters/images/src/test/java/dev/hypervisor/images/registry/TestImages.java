package dev.hypervisor.images.registry;

import dev.hypervisor.testkit.images.Blob;
import dev.hypervisor.testkit.images.BuiltImage;
import dev.hypervisor.testkit.images.Compression;
import dev.hypervisor.testkit.images.LayerTree;
import dev.hypervisor.testkit.images.OciImageBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Images and settings the registry tests share. */
final class TestImages {

    /** Fast retries so that failure paths stay quick; a short stall timeout for the stall test. */
    static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(2));

    private TestImages() {}

    /** What the registry client resolves for a blob the fixture wrote. */
    static Descriptor descriptor(Blob blob) {
        return Descriptor.of(blob.mediaType(), blob.digest(), blob.size());
    }

    static List<Descriptor> layerDescriptors(BuiltImage image) {
        return image.layerDescriptors().stream().map(TestImages::descriptor).toList();
    }

    /** Busybox (gzip), an app layer (zstd) and a layer with a 1 MiB incompressible file, links and whiteouts (uncompressed). */
    static BuiltImage multiLayer(Path layout, String tag) throws IOException {
        return OciImageBuilder.image()
                .busyboxLayer(Compression.GZIP)
                .layer(LayerTree.create().dir("app").file("app/hello.txt", "hello\n")
                        .file("app/run.sh", "#!/bin/sh\necho hi\n".getBytes(), 0755, 1000, 1000), Compression.ZSTD)
                .layer(LayerTree.create().dir("data").randomFile("data/blob.bin", 1 << 20, 42)
                        .hardlink("data/again.bin", "data/blob.bin").symlink("data/link", "blob.bin")
                        .whiteout("app/hello.txt").opaque("tmp"), Compression.NONE)
                .entrypoint("/bin/sh", "-c").cmd("echo hi").workingDir("/app").user("1000:1000").stopSignal("SIGINT")
                .writeTo(layout, tag);
    }
}
