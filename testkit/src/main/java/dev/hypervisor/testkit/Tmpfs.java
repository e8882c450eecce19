package dev.hypervisor.testkit;

import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A small tmpfs mounted on a test's directory: a file system that fills up for real. Needs root. */
public final class Tmpfs implements AutoCloseable {

    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} (mount's syntax: "1m", "64m") on {@code dir}, created when missing. */
    public static Tmpfs mount(Path dir, String size) {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("this test mounts a tmpfs and needs root (CI runs as root)");
        }
        try {
            Files.createDirectories(dir);
            HostCommand.run(null, List.of("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Tmpfs(dir);
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        try {
            HostCommand.run(null, List.of("umount", "-l", dir.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
