package dev.hypervisor.testkit;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.PullImageProgress;
import dev.hypervisor.api.v1.PullImageRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A hypervisord in a JVM of its own, started from this JVM's class path with a main class
 * that runs it (the production one, or one that adds a test driver), as the end-to-end tests
 * and the benchmarks drive it: on a loopback port, its output in a log file, ready once it
 * logs that it serves. Stopped with SIGTERM; a shutdown hook kills any left when this JVM dies.
 */
public final class DaemonProcess implements AutoCloseable {

    private static final Pattern SERVING = Pattern.compile(
            "hypervisord serving \\S+ on [0-9.]+:(\\d+) \\(.*metrics (?:off|[0-9.]+:(\\d+))\\)");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-daemons"));
    }

    private final Process process;
    private final Path log;
    private final int port;
    private final int metricsPort;
    private final ManagedChannel channel;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<AutoCloseable> owned = new ArrayList<>();

    private DaemonProcess(Process process, Path log, int port, int metricsPort) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.metricsPort = metricsPort;
        this.channel = newChannel();
    }

    /**
     * Runs {@code mainClass} with {@code jvmOptions} and {@code args} (plus {@code --listen
     * 127.0.0.1:0} unless they say where to listen), stdout and stderr into {@code log}; returns
     * once it logs that it serves. Fails with "hypervisord exited with N" and its log when it
     * exits first, and kills it when it does not serve within {@code timeout}.
     */
    public static DaemonProcess start(String mainClass, List<String> jvmOptions, List<String> args, Path log,
            Duration timeout) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        if (!args.contains("--listen")) {
            command.addAll(List.of("--listen", "127.0.0.1:0"));
        }
        if (!args.contains("--socket")) {
            // Not the shared /run/hypervisord socket a daemon run as root serves by default: tests run many at once.
            command.addAll(List.of("--socket", "off"));
        }
        command.addAll(args);
        Process process;
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start hypervisord: " + e.getMessage(), e);
        }
        LIVE.add(process);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                Matcher serving = SERVING.matcher(read(log));
                if (serving.find()) {
                    return new DaemonProcess(process, log, Integer.parseInt(serving.group(1)),
                            serving.group(2) == null ? -1 : Integer.parseInt(serving.group(2)));
                }
                if (process.waitFor(20, TimeUnit.MILLISECONDS)) {
                    LIVE.remove(process);
                    throw new IllegalStateException("hypervisord exited with " + process.exitValue() + ":\n" + read(log));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
        LIVE.remove(process);
        throw new IllegalStateException("hypervisord did not serve within " + timeout.toSeconds() + " s:\n" + read(log));
    }

    /** Closes {@code resource} (the daemon's own bridge, say) once the daemon has exited; returns this. */
    public synchronized DaemonProcess owning(AutoCloseable resource) {
        owned.add(resource);
        return this;
    }

    public int port() {
        return port;
    }

    /** The port of its Prometheus endpoint; -1 when it runs with {@code --metrics-listen off}. */
    public int metricsPort() {
        return metricsPort;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public String logText() {
        return read(log);
    }

    /** The daemon's plaintext loopback channel; its callbacks run on the transport threads. */
    public ManagedChannel channel() {
        return channel;
    }

    /** Another channel (its own connection) to the daemon, closed with it. */
    public synchronized ManagedChannel newChannel() {
        ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .directExecutor().maxInboundMessageSize(16 << 20).build();
        channels.add(c);
        return c;
    }

    /** A blocking stub on {@link #channel()} with a 30 s deadline. */
    public ComputeServiceGrpc.ComputeServiceBlockingStub blocking() {
        return ComputeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public ComputeServiceGrpc.ComputeServiceStub async() {
        return ComputeServiceGrpc.newStub(channel);
    }

    /** PullImage of {@code image} to its end; fails unless it ends DONE. */
    public void pullImage(String image, Duration timeout) {
        Iterator<PullImageProgress> progress = ComputeServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .pullImage(PullImageRequest.newBuilder().setImage(image).build());
        PullImageProgress last = null;
        while (progress.hasNext()) {
            last = progress.next();
        }
        if (last == null || last.getPhase() != PullImageProgress.Phase.DONE) {
            throw new IllegalStateException("PullImage of " + image + " ended in " + (last == null ? "nothing" : last.getPhase()));
        }
    }

    /** VmRSS of the daemon, in bytes. */
    public long rssBytes() {
        return ProcessMemory.rssBytes(pid());
    }

    /** User plus system CPU the daemon used so far, in clock ticks (1/100 s on Linux). */
    public long cpuTicks() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until the daemon is idle (under 5% of a core over half a second), so that start-up
     * work such as the reconciler's first pass does not leak into what comes next; false when it
     * is still busy after {@code timeout}.
     */
    public boolean awaitQuiet(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long before = cpuTicks();
        while (System.nanoTime() < deadline) {
            Thread.sleep(500);
            long after = cpuTicks();
            if (after - before <= 2) {
                return true;
            }
            before = after;
        }
        return false;
    }

    /** SIGKILL, as a crash would: no shutdown hook runs. */
    public void kill9() {
        process.destroyForcibly();
        waitFor();
    }

    /** SIGTERM, as an operator would; returns the exit code. */
    public int terminate() {
        process.destroy();
        return waitFor();
    }

    /**
     * Waits up to 30 s for the daemon to exit (then kills it and fails), closes the channels and
     * what it owns; returns the exit code.
     */
    public int waitFor() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                String threads = threadDump();
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException("hypervisord did not exit within 30 s:\n" + logText() + "\nits threads:\n" + threads);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted waiting for hypervisord to exit", e);
        } finally {
            LIVE.remove(process);
            release();
        }
    }

    /** The daemon's threads as {@code jcmd Thread.print} shows them, to say where it hangs. */
    private String threadDump() {
        try {
            Process jcmd = new ProcessBuilder("jcmd", Long.toString(process.pid()), "Thread.print").redirectErrorStream(true).start();
            String out = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            jcmd.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (java.io.IOException e) {
            return "(no thread dump: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(no thread dump: interrupted)";
        }
    }

    /** SIGTERM unless it has exited already, then as {@link #waitFor}. */
    @Override
    public void close() {
        synchronized (this) {
            channels.forEach(ManagedChannel::shutdownNow);
        }
        if (process.isAlive()) {
            process.destroy();
        }
        waitFor();
    }

    private synchronized void release() {
        channels.forEach(ManagedChannel::shutdownNow);
        RuntimeException first = null;
        for (AutoCloseable resource : owned) {
            try {
                resource.close();
            } catch (Exception e) {
                first = first == null ? new IllegalStateException("closing " + resource + ": " + e, e) : first;
            }
        }
        owned.clear();
        if (first != null) {
            throw first;
        }
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }
}
