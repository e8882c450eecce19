package dev.hypervisor.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A kernel for direct boot and the modules built for it. The release is read from the
 * bzImage header (the string its {@code kernel_version} field points at), and the modules
 * are looked for where Debian's kernel package puts them beside the kernel
 * ({@code X/boot/vmlinuz-R} and {@code X/lib/modules/R}, also when the package is only
 * unpacked) and under the host's {@code /lib/modules/R}. A kernel without modules is
 * taken to have what a microVM needs built in.
 */
public record KernelFiles(Path kernel, String release, Optional<Path> modules) {

    private static final int HEADER_MAGIC_OFFSET = 0x202;
    private static final int VERSION_POINTER_OFFSET = 0x20E;

    public static KernelFiles of(Path kernel) throws IOException {
        if (!Files.isRegularFile(kernel)) {
            throw new IllegalArgumentException(kernel + " is no file on this node");
        }
        String release = release(kernel);
        List<Path> candidates = new ArrayList<>();
        Path parent = kernel.toAbsolutePath().getParent();
        if (parent != null && parent.getParent() != null) {
            candidates.add(parent.getParent().resolve("lib/modules").resolve(release));
            candidates.add(parent.getParent().resolve("usr/lib/modules").resolve(release));
        }
        candidates.add(Path.of("/lib/modules").resolve(release));
        Optional<Path> modules = candidates.stream().filter(Files::isDirectory).findFirst();
        return new KernelFiles(kernel, release, modules);
    }

    /** The release a bzImage names in its header ("6.1.0-27-cloud-amd64"). */
    public static String release(Path kernel) throws IOException {
        byte[] head = new byte[64 * 1024];
        int length;
        try (InputStream in = Files.newInputStream(kernel)) {
            length = in.readNBytes(head, 0, head.length);
        }
        ByteBuffer header = ByteBuffer.wrap(head, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        if (length < 0x210 || header.getInt(HEADER_MAGIC_OFFSET) != 0x53726448) { // "HdrS"
            throw new IllegalArgumentException(kernel + " is not a bzImage kernel (no HdrS header)");
        }
        int at = (header.getShort(VERSION_POINTER_OFFSET) & 0xffff) + 0x200;
        int end = at;
        while (end < length && head[end] != 0 && head[end] != ' ') {
            end++;
        }
        if (at >= length || end == at) {
            throw new IllegalArgumentException(kernel + " names no kernel release in its header");
        }
        return new String(head, at, end - at, StandardCharsets.US_ASCII);
    }
}
