package dev.hypervisor.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CPU time and resident memory of QEMU processes from {@code /proc}: everything a VM costs the
 * host's CPUs and memory is spent by its QEMU. CPU percent is the usage between this sample and
 * the previous one of the same VM (in percent of one core); the first sample measures over a
 * short interval.
 */
final class ProcessUsage {

    /** Linux reports utime and stime in USER_HZ, which is 100 on every architecture the JDK runs on. */
    private static final long NANOS_PER_TICK = 10_000_000L;
    private static final long FIRST_INTERVAL_MILLIS = 100;

    record Sample(float cpuPercent, long cpuNanos, long residentBytes) {}

    private record Reading(long cpuNanos, long atNanos) {}

    private final Map<String, Reading> previous = new ConcurrentHashMap<>();

    Sample sample(String id, long pid) throws IOException {
        Reading last = previous.get(id);
        if (last == null) {
            last = new Reading(cpuNanos(pid), System.nanoTime());
            try {
                Thread.sleep(FIRST_INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long cpu = cpuNanos(pid);
        long now = System.nanoTime();
        previous.put(id, new Reading(cpu, now));
        float percent = (float) (100.0 * Math.max(0, cpu - last.cpuNanos()) / Math.max(1, now - last.atNanos()));
        return new Sample(percent, cpu, residentBytes(pid));
    }

    void forget(String id) {
        previous.remove(id);
    }

    /** utime + stime, fields 14 and 15 of /proc/PID/stat, counted after the parenthesised command name. */
    static long cpuNanos(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[0] is field 3 (state), so field N is fields[N - 3]
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
    }

    static long residentBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).strip().split("\\s+")[0]) * 1024;
            }
        }
        return 0;
    }
}
