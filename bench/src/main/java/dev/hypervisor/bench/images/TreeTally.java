package dev.hypervisor.bench.images;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** The regular files under a directory and their total size: what a pull left on disk. */
record TreeTally(long files, long bytes) {

    static TreeTally of(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return new TreeTally(0, 0);
        }
        long[] counts = new long[2];
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    counts[0]++;
                    counts[1] += attrs.size();
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return new TreeTally(counts[0], counts[1]);
    }

    TreeTally plus(TreeTally other) {
        return new TreeTally(files + other.files, bytes + other.bytes);
    }
}
