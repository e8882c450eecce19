package dev.hypervisor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Progress lines on stderr stamped with the seconds since the run began, and the machine's load average. */
public final class RunLog {

    private final long began = System.nanoTime();

    public void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[%5.1fs] %s%n", seconds(), String.format(Locale.ROOT, format, args));
    }

    public double seconds() {
        return (System.nanoTime() - began) / 1e9;
    }

    /** The 1, 5 and 15 minute load averages, so a reader can judge how busy the machine was. */
    public static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
