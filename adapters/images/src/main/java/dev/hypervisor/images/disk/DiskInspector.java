package dev.hypervisor.images.disk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

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
        HostCommand.Result result;
        try {
            // -f is not given on purpose: detection is what we ask for; --force-share reads a file in use.
            result = HostCommand.of(qemuImg, "info", "--output=json", "--force-share", file.toString())
                    .separatingErrors().timeout(Duration.ofSeconds(60)).call();
        } catch (IOException e) {
            throw new DiskImageException(e.getMessage() + " (qemu-img is in qemu-utils)");
        }
        if (result.exitCode() != 0) {
            throw new DiskImageException("not a disk image qemu-img can read: " + result.errors());
        }
        try {
            JsonNode info = JSON.readTree(result.output());
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
        }
    }
}
