package dev.hypervisor.microvm;

import dev.hypervisor.core.image.RootFilesystems;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ext4 images of container images, for microVMs to boot from: the image's layers, merged by
 * the image store's snapshotter, written by {@code mkfs.ext4 -d} (no loop mount), built once
 * per image digest and size and cached under the driver's root. Each microVM boots a qcow2
 * overlay of one, so the image's files are stored once however many microVMs use it.
 *
 * <p>The size is the instance's boot disk, or {@value #DEFAULT_SIZE_GIB} GiB (or what the
 * files need, if more); the file is sparse, so only what is written takes space.
 */
final class RootfsImages {

    static final long DEFAULT_SIZE_GIB = 1;
    private static final long BLOCK = 4096;

    private final Path cache;
    private final RootFilesystems rootFilesystems;
    private final Path mkfs;
    private final Map<String, Object> building = new ConcurrentHashMap<>();

    RootfsImages(Path cache, RootFilesystems rootFilesystems, Path mkfs) {
        this.cache = cache;
        this.rootFilesystems = rootFilesystems;
        this.mkfs = mkfs;
    }

    /** The ext4 image of the container image with this digest, {@code sizeBytes} big (0: the default). */
    Path image(String digest, long sizeBytes) throws IOException {
        String hex = digest.substring(digest.indexOf(':') + 1);
        String key = hex + "-" + (sizeBytes > 0 ? Long.toString(sizeBytes) : "default");
        Path target = cache.resolve(key + ".ext4");
        synchronized (building.computeIfAbsent(key, k -> new Object())) {
            if (Files.exists(target)) {
                return target;
            }
            Files.createDirectories(cache);
            String snapshot = "microvm-rootfs-" + key;
            Path temp = target.resolveSibling(target.getFileName() + ".tmp");
            try {
                Path tree = rootFilesystems.create(snapshot, digest);
                Files.createDirectories(tree.resolve(".hv")); // where the init mounts its own tools
                long needed = needed(tree);
                long size = sizeBytes > 0 ? sizeBytes : Math.max(DEFAULT_SIZE_GIB << 30, needed);
                if (size < needed) {
                    throw new IllegalArgumentException("the boot disk's size_bytes " + sizeBytes
                            + " is smaller than the image's files need (" + needed + " bytes)");
                }
                Files.deleteIfExists(temp);
                try (RandomAccessFile file = new RandomAccessFile(temp.toFile(), "rw")) {
                    file.setLength(size / BLOCK * BLOCK);
                }
                HostCommand.run(null, List.of(mkfs.toString(), "-q", "-F", "-t", "ext4", "-L", "rootfs", "-m", "0",
                        "-E", "root_owner=0:0", "-d", tree.toString(), temp.toString()));
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                return target;
            } finally {
                Files.deleteIfExists(temp);
                rootFilesystems.remove(snapshot);
            }
        }
    }

    /** What the files take as ext4 with room to spare: blocks, an inode each, the journal and metadata. */
    static long needed(Path tree) throws IOException {
        long[] total = {0, 0};
        Files.walkFileTree(tree, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                total[0] += BLOCK;
                total[1]++;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                total[0] += (attrs.size() + BLOCK - 1) / BLOCK * BLOCK;
                total[1]++;
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0] + total[0] / 4 + total[1] * 256 + (64L << 20);
    }
}
