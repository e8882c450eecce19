package dev.hypervisor.bench.containers;

import dev.hypervisor.bench.images.HostProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a process holds in memory, read from /proc and, for a JVM, through jcmd. */
public final class ProcessMemory {

    // SerialGC's heap_info: "def new generation   total 19648K, used 5234K [...]", the same for "tenured generation".
    private static final Pattern GENERATION = Pattern.compile("(?:new|tenured) generation\\s+total \\d+K, used (\\d+)K");
    private static final Duration JCMD_TIMEOUT = Duration.ofSeconds(60);

    private ProcessMemory() {}

    /** Proportional set size from /proc/PID/smaps_rollup: shared pages are split among the processes that map them. */
    public static long pssBytes(long pid) throws IOException {
        return number(Path.of("/proc", Long.toString(pid), "smaps_rollup"), "Pss:") * 1024;
    }

    public static long rssBytes(long pid) throws IOException {
        return number(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:") * 1024;
    }

    static long threads(long pid) throws IOException {
        return number(Path.of("/proc", Long.toString(pid), "status"), "Threads:");
    }

    /**
     * The used heap of a JVM with the serial collector right after two full collections
     * ({@code jcmd GC.run}, then {@code GC.heap_info}): what it still references, without garbage.
     */
    static long heapUsedAfterGc(long pid, Path log) throws IOException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        for (int i = 0; i < 2; i++) {
            HostProcesses.run(List.of(jcmd, Long.toString(pid), "GC.run"), log, JCMD_TIMEOUT);
        }
        HostProcesses.run(List.of(jcmd, Long.toString(pid), "GC.heap_info"), log, JCMD_TIMEOUT);
        Matcher m = GENERATION.matcher(Files.readString(log));
        long used = 0;
        int generations = 0;
        while (m.find()) {
            used += Long.parseLong(m.group(1)) * 1024;
            generations++;
        }
        if (generations != 2) {
            throw new IOException("unexpected jcmd GC.heap_info output (is the daemon on -XX:+UseSerialGC?):\n"
                    + Files.readString(log));
        }
        return used;
    }

    /** The number in a "Field:   123 kB" line. */
    private static long number(Path file, String field) throws IOException {
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no " + field + " in " + file);
    }
}
