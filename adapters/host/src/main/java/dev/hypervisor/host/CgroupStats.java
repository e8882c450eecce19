package dev.hypervisor.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resource usage of an instance from its cgroup ({@link InstanceCgroups}: {@code /hypervisord/<id>},
 * as a container's OCI config names it), on cgroup v1 (one hierarchy per controller) or v2 (one
 * unified tree).
 *
 * <p>CPU percent is the usage between this sample and the previous one of the same container
 * (in percent of one core); the first sample of a container measures over a short interval.
 * Memory usage leaves out the inactive page cache, as {@code docker stats} and podman do.
 */
public final class CgroupStats {

    private static final long FIRST_INTERVAL_MILLIS = 200;
    private static final long UNLIMITED_V1 = 0x7FFFFFFFFFFFF000L;

    /** One reading: cumulative counters plus the CPU percent since the last reading. */
    public record Sample(float cpuPercent, long cpuNanos, long memoryBytes, long memoryLimitBytes, long readBytes,
            long writeBytes) {}

    private record CpuReading(long cpuNanos, long atNanos) {}

    private final InstanceCgroups cgroups;
    private final boolean unified;
    private final Map<String, CpuReading> lastCpu = new ConcurrentHashMap<>();

    public CgroupStats(InstanceCgroups cgroups) {
        this.cgroups = cgroups;
        this.unified = cgroups.unified();
    }

    public boolean unified() {
        return unified;
    }

    public Sample sample(String id) throws IOException {
        long cpu = cpuNanos(id);
        long now = System.nanoTime();
        CpuReading previous = lastCpu.get(id);
        if (previous == null || now - previous.atNanos() < 50_000_000L) {
            // No earlier reading worth using: measure over a short interval now.
            sleep(FIRST_INTERVAL_MILLIS);
            previous = new CpuReading(cpu, now);
            cpu = cpuNanos(id);
            now = System.nanoTime();
        }
        lastCpu.put(id, new CpuReading(cpu, now));
        float percent = (float) (100.0 * Math.max(0, cpu - previous.cpuNanos()) / (now - previous.atNanos()));
        long[] io = unified ? ioV2(id) : ioV1(id);
        return new Sample(percent, cpu, memoryBytes(id), memoryLimit(id), io[0], io[1]);
    }

    public void forget(String id) {
        lastCpu.remove(id);
    }

    private long cpuNanos(String id) throws IOException {
        if (unified) {
            return keyed(v2(id).resolve("cpu.stat")).getOrDefault("usage_usec", 0L) * 1000;
        }
        return number(v1("cpuacct", id).resolve("cpuacct.usage"));
    }

    private long memoryBytes(String id) throws IOException {
        if (unified) {
            long current = number(v2(id).resolve("memory.current"));
            return Math.max(0, current - keyed(v2(id).resolve("memory.stat")).getOrDefault("inactive_file", 0L));
        }
        Path dir = v1("memory", id);
        long usage = number(dir.resolve("memory.usage_in_bytes"));
        return Math.max(0, usage - keyed(dir.resolve("memory.stat")).getOrDefault("total_inactive_file", 0L));
    }

    private long memoryLimit(String id) throws IOException {
        if (unified) {
            String max = read(v2(id).resolve("memory.max"));
            return max.equals("max") ? 0 : Long.parseLong(max);
        }
        long limit = number(v1("memory", id).resolve("memory.limit_in_bytes"));
        return limit >= UNLIMITED_V1 ? 0 : limit;
    }

    /** blkio.throttle.io_service_bytes: "MAJ:MIN Read N" lines per device, and a Total. */
    private long[] ioV1(String id) throws IOException {
        long read = 0;
        long write = 0;
        for (String line : lines(v1("blkio", id).resolve("blkio.throttle.io_service_bytes"))) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length == 3 && fields[1].equals("Read")) {
                read += Long.parseLong(fields[2]);
            } else if (fields.length == 3 && fields[1].equals("Write")) {
                write += Long.parseLong(fields[2]);
            }
        }
        return new long[] {read, write};
    }

    /** io.stat: "MAJ:MIN rbytes=N wbytes=N ..." per device. */
    private long[] ioV2(String id) throws IOException {
        long read = 0;
        long write = 0;
        for (String line : lines(v2(id).resolve("io.stat"))) {
            for (String field : line.trim().split("\\s+")) {
                if (field.startsWith("rbytes=")) {
                    read += Long.parseLong(field.substring(7));
                } else if (field.startsWith("wbytes=")) {
                    write += Long.parseLong(field.substring(7));
                }
            }
        }
        return new long[] {read, write};
    }

    private Path v1(String controller, String id) {
        return cgroups.v1(controller, id);
    }

    private Path v2(String id) {
        return cgroups.v2(id);
    }

    private static long number(Path file) throws IOException {
        return Long.parseLong(read(file));
    }

    private static Map<String, Long> keyed(Path file) throws IOException {
        Map<String, Long> values = new java.util.HashMap<>();
        for (String line : lines(file)) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length == 2) {
                try {
                    values.put(fields[0], Long.parseLong(fields[1]));
                } catch (NumberFormatException e) {
                    // not a counter
                }
            }
        }
        return values;
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8).strip();
    }

    private static List<String> lines(Path file) throws IOException {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
