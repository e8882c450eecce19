package dev.hypervisor.images.disk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Checks a disk image with {@code qemu-img info}: only qcow2 and raw are accepted, and a
 * qcow2 that names a backing file is refused, since it would make QEMU open a host path
 * the image's author chose.
 */
public final class DiskInspector {

    /** What qemu-img says about an image. */
    public record DiskInfo(String format, long virtualSize) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String qemuImg;

    public DiskInspector(String qemuImg) {
        this.qemuImg = qemuImg;
    }

    public DiskInfo inspect(Path file) {
        Process process;
        try {
            // -f is not given on purpose: detection is what we ask for; --force-share reads a file in use.
            process = new ProcessBuilder(qemuImg, "info", "--output=json", "--force-share", file.toString())
                    .redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new DiskImageException("cannot run " + qemuImg + " (install qemu-utils): " + e.getMessage());
        }
        try {
            byte[] out = process.getInputStream().readAllBytes();
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new DiskImageException("not a disk image qemu-img can read: " + err);
            }
            JsonNode info = JSON.readTree(out);
            String format = info.path("format").asText("");
            if (!format.equals("qcow2") && !format.equals("raw")) {
                throw new DiskImageException("unsupported disk format \"" + format + "\": qcow2 or raw only");
            }
            if (info.hasNonNull("backing-filename") || info.hasNonNull("full-backing-filename")) {
                throw new DiskImageException("refusing a qcow2 image with a backing file ("
                        + info.path("backing-filename").asText() + ")");
            }
            return new DiskInfo(format, info.path("virtual-size").asLong());
        } catch (IOException e) {
            throw new DiskImageException("cannot read qemu-img output: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new DiskImageException("interrupted while inspecting a disk image");
        }
    }
}
