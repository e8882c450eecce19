package dev.hypervisor.bench;

import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Runs the host tools a benchmark times or prepares with (runc, skopeo, umoci, mkfs.ext4...), each with a deadline. */
public final class HostTools {

    private HostTools() {}

    /**
     * Runs {@code command} with stdout and stderr appended to {@code log}; returns its wall time in nanoseconds, fork
     * to exit. Fails with the end of its log when it fails or outlives {@code timeout} (then it is killed).
     */
    public static long run(List<String> command, Path log, Duration timeout) {
        long start = System.nanoTime();
        HostCommand.Result result;
        try {
            result = HostCommand.of(command).appendingOutputTo(log).timeout(timeout).call();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage() + ": " + String.join(" ", command) + "\n" + tail(log), e);
        }
        long nanos = System.nanoTime() - start;
        if (result.exitCode() != 0) {
            throw new IllegalStateException("exit " + result.exitCode() + ": " + String.join(" ", command) + "\n" + tail(log));
        }
        return nanos;
    }

    /** The last lines of a log, for error messages. */
    public static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
