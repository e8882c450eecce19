package dev.hypervisor.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Something on the host that one daemon owns while it runs (its data directory, its bridge and
 * the addresses handed out on it), held as an advisory lock on a file that also names the
 * holder's pid. The kernel drops the lock when the process dies, so a crashed daemon never
 * keeps its successor out.
 */
public final class HostLock implements AutoCloseable {

    /** What is to be owned belongs to another running process. */
    public static final class Held extends dev.hypervisor.core.runtime.HostConflict {
        public Held(String message) {
            super(message);
        }
    }

    private final FileChannel channel;
    private final FileLock lock;

    private HostLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock, or {@link Held} naming {@code what} and the pid that holds it (IllegalStateException when it cannot be tried). */
    public static HostLock acquire(Path file, String what) {
        FileChannel channel = null;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = tryLock(channel);
            if (lock == null) {
                throw new Held(what + " belongs to another hypervisord" + holder(channel) + ": it holds " + file);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            HostLock held = new HostLock(channel, lock);
            channel = null;
            return held;
        } catch (IOException e) {
            throw new IllegalStateException("cannot lock " + what + " (" + file + "): " + e.getMessage(), e);
        } finally {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // nothing was locked through it
                }
            }
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // this process holds it already
        }
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer pid = ByteBuffer.allocate(32);
            channel.read(pid, 0);
            String text = new String(pid.array(), 0, pid.position(), StandardCharsets.US_ASCII).strip();
            return text.isEmpty() ? "" : " (pid " + text + ")";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the lock goes with the channel, and with the process
        }
    }
}
