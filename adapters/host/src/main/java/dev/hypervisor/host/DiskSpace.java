package dev.hypervisor.host;

import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The free space of the file system under a data directory, and the floor the node keeps
 * free there: below it the node is full (its health says so, pulls are refused), and work
 * that would take it below is refused before it starts rather than failing half-way.
 * Asked on every create: the file system is looked up once (finding it reads the whole mount
 * table, which took 4% of the daemon's CPU under 64 creating clients), its free space each time.
 */
public final class DiskSpace {

    private static final long MIB = 1024L * 1024;

    private final Path dir;
    private final long minFreeBytes;
    /** The file system last found and the existing directory it was found for. */
    private volatile Located located;

    private record Located(Path at, FileStore store) {}

    public DiskSpace(Path dir, long minFreeBytes) {
        this.dir = dir;
        this.minFreeBytes = minFreeBytes;
    }

    public Path dir() {
        return dir;
    }

    public long minFreeBytes() {
        return minFreeBytes;
    }

    /** Nothing kept free: only a file system that is completely full counts as full. */
    public static DiskSpace unlimited(Path dir) {
        return new DiskSpace(dir, 0);
    }

    /** Bytes an unprivileged writer could still add there; Long.MAX_VALUE when the directory cannot be looked at. */
    public long usableBytes() {
        try {
            Path at = existing(dir);
            Located known = located;
            if (known == null || !known.at().equals(at)) {
                // Found again once the directory (or a parent nearer to it) exists: it may be another file system.
                known = new Located(at, Files.getFileStore(at));
                located = known;
            }
            return known.store().getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // not knowing is not full; the write itself will say
        }
    }

    /** Why the directory counts as full now, or empty when it does not. */
    public Optional<String> shortage() {
        long usable = usableBytes();
        if (usable >= minFreeBytes && usable > 0) {
            return Optional.empty();
        }
        return Optional.of("the data directory " + dir + " has " + mebibytes(usable) + " free, under the "
                + mebibytes(minFreeBytes) + " kept free");
    }

    /** RESOURCE_EXHAUSTED naming {@code what} when writing {@code bytes} more would leave less than the floor free. */
    public void requireRoom(long bytes, String what) {
        long usable = usableBytes();
        if (usable == Long.MAX_VALUE) {
            return;
        }
        if (usable - bytes < minFreeBytes) {
            throw new DomainException(ErrorCode.RESOURCE_EXHAUSTED, what + " needs " + mebibytes(bytes) + " but the data"
                    + " directory " + dir + " has " + mebibytes(usable) + " free, " + mebibytes(minFreeBytes)
                    + " of which it keeps free");
        }
    }

    /** RESOURCE_EXHAUSTED naming {@code what} while the directory is full. */
    public void requireNotFull(String what) {
        shortage().ifPresent(reason -> {
            throw new DomainException(ErrorCode.RESOURCE_EXHAUSTED, what + ": " + reason);
        });
    }

    private static Path existing(Path path) {
        Path at = path.toAbsolutePath();
        while (at != null && !Files.exists(at)) {
            at = at.getParent();
        }
        return at == null ? path : at;
    }

    static String mebibytes(long bytes) {
        return bytes == Long.MAX_VALUE ? "unknown" : String.format("%.1f MiB", bytes / (double) MIB);
    }
}
