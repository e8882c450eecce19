package dev.hypervisor.bench;

import dev.hypervisor.host.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A benchmark's work directory: emptied at the start, marked as the benchmark's own, and
 * never a directory it did not make (a mistyped {@code --work-dir} must not wipe real data).
 */
public final class WorkDir {

    private WorkDir() {}

    /** The work dir, emptied; refuses a non-empty directory without this benchmark's marker. */
    public static Path prepare(Path dir, String marker) throws IOException {
        Path work = dir.toAbsolutePath().normalize();
        if (Files.isDirectory(work)) {
            try (Stream<Path> entries = Files.list(work)) {
                if (entries.findAny().isPresent() && !Files.exists(work.resolve(marker))) {
                    throw new IllegalArgumentException(work + " is not empty and was not made by this benchmark");
                }
            }
            delete(work);
        }
        Files.createDirectories(work);
        Files.createFile(work.resolve(marker));
        return work;
    }

    /** Deletes the tree without following links or entering a mount left inside (an overlay, a volume). */
    public static void delete(Path dir) throws IOException {
        FileTrees.delete(dir);
    }
}
