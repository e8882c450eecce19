package dev.hypervisor.bench.images;

import dev.hypervisor.testkit.images.BuiltImage;
import dev.hypervisor.testkit.images.Compression;
import dev.hypervisor.testkit.images.LayerTree;
import dev.hypervisor.testkit.images.OciImageBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The images the benchmarks pull, built deterministically into one OCI layout and pushed to the loopback registry.
 * Every layer is gzip or uncompressed: Debian's umoci 0.4.7, a baseline, rejects zstd ("blob is not correct
 * mediatype").
 */
public record BenchImages(Path layout, String registryHost) {

    /** An image in the registry: its reference, compressed size and layer count. */
    public record Pushed(String reference, long compressedBytes, int layers) {}

    /** busybox: the image of the baselines and warm-ups. */
    public Pushed busybox() throws IOException {
        return push(OciImageBuilder.busyboxImage().writeTo(layout, "busybox"), "bench/busybox:v1");
    }

    /** busybox with {@code yes}: a container that prints as fast as its console takes it. */
    public Pushed busyboxWithYes() throws IOException {
        return push(OciImageBuilder.busyboxImage().layer(LayerTree.create().applets("yes"), Compression.GZIP)
                .writeTo(layout, "flood"), "bench/flood:v1");
    }

    /** busybox plus {@code files} random files of {@code fileMib} MiB (tag "random"): a rootfs compression cannot shrink. */
    public Pushed busyboxWithRandomFiles(int files, int fileMib) throws IOException {
        LayerTree tree = LayerTree.create().dir("srv").dir("srv/random");
        for (int i = 0; i < files; i++) {
            tree.randomFile("srv/random/r" + i + ".bin", (long) fileMib << 20, 31 + i);
        }
        return push(OciImageBuilder.busyboxImage().layer(tree, Compression.GZIP).writeTo(layout, "random"),
                "bench/random:v1");
    }

    /** About {@code mib} MiB compressed in the five layers of the README's images figure 1. */
    Pushed multiLayer(int mib) throws IOException {
        long budget = (long) mib << 20;
        OciImageBuilder image = OciImageBuilder.busyboxImage()
                .layer(smallFiles(mib * 100, 11), Compression.GZIP)
                .layer(bigFiles(3, budget * 55 / 100, 12), Compression.GZIP)
                .layer(mediumFiles(mib * 10, 13), Compression.GZIP)
                .layer(plainLayer(budget * 5 / 100, 14), Compression.NONE);
        return push(image.writeTo(layout, "big"), "bench/big:v1");
    }

    Pushed singleLayer(int mib) throws IOException {
        LayerTree tree = LayerTree.create().dir("data").randomFile("data/big.bin", (long) mib << 20, 21);
        return push(OciImageBuilder.image().layer(tree, Compression.GZIP).cmd("sh").writeTo(layout, "layer"),
                "bench/layer:v1");
    }

    /** Pushes it with skopeo, keeping its digests. */
    private Pushed push(BuiltImage image, String repository) {
        String reference = registryHost + "/" + repository;
        image.push(reference);
        return new Pushed(reference, image.compressedBytes(), image.layers().size());
    }

    private static LayerTree smallFiles(int count, long seed) {
        LayerTree tree = LayerTree.create().dir("srv").dir("srv/small");
        SplittableRandom sizes = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            String dir = String.format(Locale.ROOT, "srv/small/d%03d", i / 100);
            if (i % 100 == 0) {
                tree.dir(dir);
            }
            int size = 1024 + sizes.nextInt(7 * 1024 + 1);
            tree.textFile(dir + String.format(Locale.ROOT, "/f%05d.txt", i), size, seed * 1_000_003 + i);
        }
        return tree;
    }

    private static LayerTree bigFiles(int count, long total, long seed) {
        LayerTree tree = LayerTree.create().dir("srv").dir("srv/blobs");
        for (int i = 0; i < count; i++) {
            tree.randomFile("srv/blobs/blob-" + i + ".bin", total / count, seed * 100 + i);
        }
        return tree;
    }

    private static LayerTree mediumFiles(int count, long seed) {
        LayerTree tree = LayerTree.create().dir("srv").dir("srv/medium");
        SplittableRandom sizes = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            String dir = String.format(Locale.ROOT, "srv/medium/d%02d", i / 100);
            if (i % 100 == 0) {
                tree.dir(dir);
            }
            int size = 8 * 1024 + sizes.nextInt(56 * 1024 + 1);
            long fileSeed = seed * 1_000_003 + i;
            String path = dir + String.format(Locale.ROOT, "/m%04d.dat", i);
            if (i % 2 == 0) {
                tree.randomFile(path, size, fileSeed);
            } else {
                tree.textFile(path, size, fileSeed);
            }
        }
        return tree;
    }

    private static LayerTree plainLayer(long randomBytes, long seed) {
        LayerTree tree = LayerTree.create().dir("etc").dir("etc/bench").dir("srv").dir("srv/plain");
        for (int i = 0; i < 10; i++) {
            tree.textFile("etc/bench/conf-" + i + ".conf", 4096, seed * 100 + i);
        }
        return tree.randomFile("srv/plain/data.bin", randomBytes, seed);
    }
}
