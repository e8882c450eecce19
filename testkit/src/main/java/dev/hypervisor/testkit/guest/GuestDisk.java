package dev.hypervisor.testkit.guest;

import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A small disk image for test guests: an ext4 filesystem (no partition table, so the guest
 * mounts {@code /dev/sda} itself) holding {@value #MARKER_FILE} with the given text, as a qcow2
 * file. Made with mke2fs's {@code -d} and qemu-img, no loop mounts.
 */
public final class GuestDisk {

    public static final String MARKER_FILE = "marker";

    private GuestDisk() {}

    /** Writes the qcow2 disk to {@code target}. */
    public static Path write(Path target, String marker) throws IOException {
        Path content = Files.createDirectories(target.resolveSibling(target.getFileName() + ".d"));
        Files.writeString(content.resolve(MARKER_FILE), marker + "\n", StandardCharsets.UTF_8);
        Path raw = target.resolveSibling(target.getFileName() + ".raw");
        HostCommand.run(null, List.of("mkfs.ext4", "-q", "-F", "-d", content.toString(), raw.toString(), "16M"));
        HostCommand.run(null, List.of("qemu-img", "convert", "-q", "-O", "qcow2", raw.toString(), target.toString()));
        Files.delete(raw);
        Files.delete(content.resolve(MARKER_FILE));
        Files.delete(content);
        return target;
    }
}
