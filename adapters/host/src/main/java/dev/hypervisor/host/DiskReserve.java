package dev.hypervisor.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file of real blocks kept in the data directory so that a full disk still has room for the
 * writes that free space (a delete): when a store write fails for lack of space, the reserve
 * is given up and the write retried; it is written again once the file system has room to
 * spare. The same idea as CockroachDB's ballast file: an instance filling the disk must not
 * leave the node unable to remove it.
 */
public final class DiskReserve {

    private static final Logger LOG = LoggerFactory.getLogger(DiskReserve.class);
    private static final int BLOCK = 1 << 20;

    private final Path file;
    private final long bytes;
    private final DiskSpace space;
    private long releases;

    public DiskReserve(Path file, long bytes, DiskSpace space) {
        this.file = file;
        this.bytes = bytes;
        this.space = space;
    }

    public long bytes() {
        return bytes;
    }

    public synchronized boolean held() {
        try {
            return bytes > 0 && Files.isRegularFile(file) && Files.size(file) == bytes;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Writes the reserve when it is missing and the file system has room for it on top of what
     * it keeps free; true when the reserve is held afterwards. Written to a temporary file and
     * synced, so a crash never leaves a short reserve under its name.
     */
    public synchronized boolean restore() {
        if (bytes <= 0 || held()) {
            return bytes > 0;
        }
        if (space.usableBytes() < space.minFreeBytes() + 2 * bytes) {
            return false;
        }
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            ByteBuffer zeros = ByteBuffer.allocate(BLOCK);
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                for (long written = 0; written < bytes; written += BLOCK) {
                    zeros.clear().limit((int) Math.min(BLOCK, bytes - written));
                    while (zeros.hasRemaining()) {
                        out.write(zeros);
                    }
                }
                out.force(true); // real blocks, not a promise of them: this is what frees space later
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("holding {} in reserve at {} for writes on a full disk", DiskSpace.mebibytes(bytes), file);
            return true;
        } catch (IOException e) {
            deleteQuietly(temp);
            LOG.warn("cannot write the disk reserve {}: {}", file, e.getMessage());
            return false;
        }
    }

    /** Gives the reserve up so that a write on a full disk can go through; true when it freed space. */
    public synchronized boolean release() {
        if (!Files.exists(file)) {
            return false;
        }
        deleteQuietly(file);
        releases++;
        LOG.warn("the data directory is full: released the {} disk reserve so that deletes can go through",
                DiskSpace.mebibytes(bytes));
        return true;
    }

    /**
     * How often the reserve was given up so far: a write that failed while another gave it up
     * (two commits finding the disk full at once) is worth trying again too.
     */
    public synchronized long releases() {
        return releases;
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", path, e.getMessage());
        }
    }
}
