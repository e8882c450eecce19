package dev.hypervisor.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the host tools Java has no API for (mount, ip, iptables, mkfs, runc): one way, with their output in errors. */
public final class HostCommand {

    private static final long TIMEOUT_SECONDS = 60;

    private HostCommand() {}

    /** Runs the command in {@code cwd} (null: inherit); fails with its output on a non-zero exit. */
    public static void run(Path cwd, List<String> command) throws IOException {
        output(cwd, command);
    }

    /** Runs the command and returns what it printed (stdout and stderr together), stripped. */
    public static String output(Path cwd, List<String> command) throws IOException {
        Result result = call(cwd, command);
        if (result.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + result.exitCode() + "): "
                    + result.output());
        }
        return result.output();
    }

    /** What a command printed and how it exited. */
    public record Result(int exitCode, String output) {}

    /** Runs the command and returns its exit code and output, whatever the exit code. */
    public static Result call(Path cwd, List<String> command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (cwd != null) {
            builder.directory(cwd.toFile());
        }
        Process process = builder.start();
        process.getOutputStream().close();
        String output;
        try (InputStream out = process.getInputStream()) {
            output = new String(out.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(command.get(0) + " interrupted", e);
        }
        return new Result(process.exitValue(), output);
    }
}
