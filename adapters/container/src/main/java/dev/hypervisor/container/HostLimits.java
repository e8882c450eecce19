package dev.hypervisor.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Limits of the daemon's own process that a container cannot exceed (runc may not raise a hard rlimit). */
final class HostLimits {

    private static final long FALLBACK_OPEN_FILES = 1024;

    private HostLimits() {}

    /** The hard RLIMIT_NOFILE of this process, from /proc/self/limits. */
    static long openFilesHardLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                    return fields[1].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(fields[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return FALLBACK_OPEN_FILES;
    }
}
