package dev.hypervisor.bench.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Runs the host tools and child JVMs of this benchmark with a deadline each, and kills any still running when the JVM exits. */
public final class HostProcesses {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(HostProcesses::killAll, "kill-bench-children"));
    }

    private HostProcesses() {}

    /**
     * Runs {@code command} to completion with stdout and stderr in {@code log}; returns its wall time
     * in nanoseconds, from before the fork until it has exited.
     *
     * @throws IllegalStateException when it fails or outlives {@code timeout}, with the end of its log
     */
    public static long run(List<String> command, Path log, Duration timeout) {
        long start = System.nanoTime();
        Process process = start(command, log, log);
        await(process, command, log, timeout);
        return System.nanoTime() - start;
    }

    /** Starts {@code command}, tracked so that it is killed at exit; stdout and stderr go to the given files. */
    public static Process start(List<String> command, Path stdout, Path stderr) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile());
        if (stdout.equals(stderr)) {
            builder.redirectErrorStream(true);
        } else {
            builder.redirectError(stderr.toFile());
        }
        try {
            Process process = builder.start();
            LIVE.add(process);
            process.getOutputStream().close();
            return process;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }

    /** Waits for {@code process}; kills it and throws on timeout, throws on a non-zero exit. */
    public static void await(Process process, List<String> command, Path log, Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + "s: " + String.join(" ", command)
                        + "\n" + tail(log));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        } finally {
            LIVE.remove(process);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("exit " + process.exitValue() + ": " + String.join(" ", command) + "\n" + tail(log));
        }
    }

    public static void killAll() {
        for (Process process : LIVE) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
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
