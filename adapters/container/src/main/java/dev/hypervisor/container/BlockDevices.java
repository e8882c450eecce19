package dev.hypervisor.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The host's block devices as {@code major:minor} numbers. On cgroup v1, recent kernels count a
 * cgroup's block I/O bytes only for devices that carry a throttle rule, so each container gets
 * a rule far above any real bandwidth on every device: nothing is throttled and the bytes show
 * up in {@code blkio.throttle.io_service_bytes}.
 */
final class BlockDevices {

    /** 1 PiB/s: a limit no device reaches, so the rule only turns accounting on. */
    static final long UNREACHABLE_BYTES_PER_SECOND = 1L << 50;

    record Device(long major, long minor) {}

    private BlockDevices() {}

    static List<Device> all() {
        List<Device> devices = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/sys/block"))) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (name.startsWith("ram") || name.startsWith("zram")) {
                    continue; // memory-backed, not disk I/O
                }
                if (Files.readString(entry.resolve("size")).strip().equals("0")) {
                    continue; // nothing behind it, such as a loop device with no file attached
                }
                String[] numbers = Files.readString(entry.resolve("dev")).strip().split(":");
                devices.add(new Device(Long.parseLong(numbers[0]), Long.parseLong(numbers[1])));
            }
        } catch (IOException | RuntimeException e) {
            return List.of(); // no accounting beats no container
        }
        return devices;
    }
}
