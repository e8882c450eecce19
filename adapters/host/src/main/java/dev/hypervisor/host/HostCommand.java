package dev.hypervisor.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one way the daemon starts host processes (mount, ip, iptables, mkfs, runc, conmon,
 * qemu-img, QEMU): the command, its directory and environment, where its output goes, and a
 * deadline that always holds. Output is drained on a thread of its own while the process runs,
 * so a tool that hangs, or leaves a child holding its pipe open, cannot block the caller past
 * the deadline: it is killed (with its descendants) and the failure names the tool.
 */
public final class HostCommand {

    /** What a command printed and how it exited. */
    public record Result(int exitCode, String output, String errors) {
        public Result(int exitCode, String output) {
            this(exitCode, output, "");
        }
    }

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** After the process exits, how long a child that inherited its output may keep the pipe open. */
    private static final Duration DRAIN_AFTER_EXIT = Duration.ofSeconds(2);
    private static final int MAX_CAPTURED = 1 << 20;
    private static final ExecutorService DRAINS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "host-command-output");
        t.setDaemon(true);
        return t;
    });

    private final List<String> command;
    private Path directory;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Duration timeout = DEFAULT_TIMEOUT;
    private Path appendTo;
    private boolean separateErrors;
    private boolean discardErrors;

    private HostCommand(List<String> command) {
        this.command = List.copyOf(command);
    }

    public static HostCommand of(List<String> command) {
        return new HostCommand(command);
    }

    public static HostCommand of(String... command) {
        return new HostCommand(List.of(command));
    }

    /** Runs in {@code dir} (null: the daemon's). */
    public HostCommand in(Path dir) {
        this.directory = dir;
        return this;
    }

    public HostCommand env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    public HostCommand timeout(Duration limit) {
        this.timeout = limit;
        return this;
    }

    /** stdout and stderr go to the end of {@code log} instead of the result. */
    public HostCommand appendingOutputTo(Path log) {
        this.appendTo = log;
        return this;
    }

    /** stderr is kept apart from stdout (for tools whose stdout is data, such as {@code qemu-img --output=json}). */
    public HostCommand separatingErrors() {
        this.separateErrors = true;
        return this;
    }

    /** stderr is thrown away (a tool that writes its errors somewhere of its own). */
    public HostCommand discardingErrors() {
        this.discardErrors = true;
        return this;
    }

    /** Runs the command to its end or its deadline; the result whatever the exit code. */
    public Result call() throws IOException {
        Process process = start();
        Drain out = appendTo == null ? Drain.of(process.getInputStream()) : Drain.none();
        Drain err = separateErrors && appendTo == null ? Drain.of(process.getErrorStream()) : Drain.none();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                destroyTree(process);
                throw new IOException(name() + " did not finish within " + seconds(timeout) + ": killed");
            }
            return new Result(process.exitValue(), out.text(), err.text());
        } catch (InterruptedException e) {
            destroyTree(process);
            Thread.currentThread().interrupt();
            throw new IOException(name() + " interrupted", e);
        }
    }

    /** Runs the command; IOException with its output when it fails. */
    public void run() throws IOException {
        output();
    }

    /** Runs the command and returns what it printed, stripped; IOException with its output on a non-zero exit. */
    public String output() throws IOException {
        Result result = call();
        if (result.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + result.exitCode() + "): "
                    + (result.errors().isEmpty() ? result.output() : result.errors()));
        }
        return result.output();
    }

    /**
     * Starts the command for a caller that reads its output as it comes (a probe watching a
     * console) and ends it itself; its deadline is the caller's to keep.
     */
    public Process start() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        builder.environment().putAll(environment);
        if (appendTo != null) {
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(appendTo.toFile()));
        } else if (discardErrors) {
            builder.redirectError(ProcessBuilder.Redirect.DISCARD);
        } else {
            builder.redirectErrorStream(!separateErrors);
        }
        try {
            return builder.start();
        } catch (IOException e) {
            throw new IOException("cannot run " + name() + ": " + e.getMessage(), e);
        }
    }

    private static final java.io.File DEV_NULL = new java.io.File("/dev/null");

    /** What one stream printed, read on a thread of its own as it comes. */
    private static final class Drain {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final CompletableFuture<Void> ended = new CompletableFuture<>();

        static Drain none() {
            Drain drain = new Drain();
            drain.ended.complete(null);
            return drain;
        }

        static Drain of(InputStream stream) {
            Drain drain = new Drain();
            DRAINS.execute(() -> {
                byte[] buffer = new byte[8192];
                try (InputStream in = stream) {
                    for (int n; (n = in.read(buffer)) >= 0;) {
                        drain.append(buffer, n);
                    }
                } catch (IOException e) {
                    // the stream broke; what came is what there is
                } finally {
                    drain.ended.complete(null);
                }
            });
            return drain;
        }

        private synchronized void append(byte[] bytes, int length) {
            if (kept.size() < MAX_CAPTURED) {
                kept.write(bytes, 0, Math.min(length, MAX_CAPTURED - kept.size()));
            }
        }

        /**
         * What was printed, once the stream ended; a child that inherited the pipe and outlives
         * the process gets a short grace, then what came so far is taken and the reader left to
         * end with that child.
         */
        String text() {
            try {
                ended.get(DRAIN_AFTER_EXIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // a child holds the pipe open
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                return kept.toString(StandardCharsets.UTF_8).strip();
            }
        }
    }

    private static void destroyTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private String name() {
        return Path.of(command.get(0)).getFileName().toString();
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }

    // The short forms most callers need.

    /** Runs the command in {@code cwd} (null: inherit); fails with its output on a non-zero exit. */
    public static void run(Path cwd, List<String> command) throws IOException {
        of(command).in(cwd).run();
    }

    /** Runs the command and returns what it printed (stdout and stderr together), stripped. */
    public static String output(Path cwd, List<String> command) throws IOException {
        return of(command).in(cwd).output();
    }

    /** Runs the command and returns its exit code and output, whatever the exit code. */
    public static Result call(Path cwd, List<String> command) throws IOException {
        return of(command).in(cwd).call();
    }
}
