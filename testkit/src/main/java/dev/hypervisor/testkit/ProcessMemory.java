package dev.hypervisor.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a process holds, read from {@code /proc/<pid>}: resident and proportional set sizes, threads. */
public final class ProcessMemory {

    private ProcessMemory() {}

    /** VmRSS, in bytes. */
    public static long rssBytes(long pid) {
        return field(pid, "status", "VmRSS:") * 1024;
    }

    /** VmHWM, the peak RSS since start or since it was reset through {@code clear_refs}, in bytes. */
    public static long peakRssBytes(long pid) {
        return field(pid, "status", "VmHWM:") * 1024;
    }

    /** Proportional set size from {@code smaps_rollup}: shared pages are split among the processes that map them. */
    public static long pssBytes(long pid) {
        return field(pid, "smaps_rollup", "Pss:") * 1024;
    }

    public static long threads(long pid) {
        return field(pid, "status", "Threads:");
    }

    /** The number in a "Field:   123 kB" line of {@code /proc/<pid>/<file>}. */
    private static long field(long pid, String file, String field) {
        Path path = Path.of("/proc", Long.toString(pid), file);
        try {
            for (String line : Files.readAllLines(path)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no " + field + " in " + path);
    }
}
