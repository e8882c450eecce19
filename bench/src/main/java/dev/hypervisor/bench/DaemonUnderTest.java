package dev.hypervisor.bench;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.PullImageProgress;
import dev.hypervisor.api.v1.PullImageRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link BenchDaemon} (or, for the containers benchmark, the production main class) in its
 * own JVM, started with the JVM options of bin/hypervisord on a loopback port it picks itself;
 * stopped with SIGTERM, and killed by a shutdown hook if the benchmark dies first.
 */
public final class DaemonUnderTest implements AutoCloseable {

    static final List<String> JVM_OPTIONS = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError");
    private static final Pattern SERVING = Pattern.compile("hypervisord serving \\S+ on ([0-9.]+):(\\d+)");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "kill-daemons"));
    }

    private final String name;
    private final Process process;
    private final int port;
    private final List<ManagedChannel> channels = new ArrayList<>();

    private DaemonUnderTest(String name, Process process, int port) {
        this.name = name;
        this.process = process;
        this.port = port;
    }

    /** Starts a daemon on {@code dataDir}; returns once it logs that it serves, or fails after {@code timeoutSeconds}. */
    static DaemonUnderTest start(String name, Path dataDir, int relistSeconds, Path log, int timeoutSeconds)
            throws IOException, InterruptedException {
        return start(name, BenchDaemon.class.getName(), List.of("--data-dir", dataDir.toString(),
                "--node-id", Populate.NODE_ID, "--relist-interval", Integer.toString(relistSeconds)), log, timeoutSeconds);
    }

    /**
     * Starts {@code mainClass} (a hypervisord main) from this JVM's class path with
     * {@code --listen 127.0.0.1:0 --metrics-listen off} and {@code args}; returns once it logs
     * that it serves, or fails after {@code timeoutSeconds}.
     */
    public static DaemonUnderTest start(String name, String mainClass, List<String> args, Path log, int timeoutSeconds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        // Extra JVM options for the daemon under test, e.g. a flight recording to profile it;
        // "{name}" becomes the daemon's name, so each daemon of a run can write its own file.
        String extra = System.getenv("HV_BENCH_DAEMON_OPTS");
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.trim().replace("{name}", name).split("\\s+")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass,
                "--listen", "127.0.0.1:0", "--metrics-listen", "off"));
        command.addAll(args);
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        LIVE.add(process);
        CountDownLatch serving = new CountDownLatch(1);
        int[] port = {-1};
        Thread pump = new Thread(() -> pumpLog(process, log, serving, port), name + "-log");
        pump.setDaemon(true);
        pump.start();
        if (!serving.await(timeoutSeconds, TimeUnit.SECONDS) || port[0] < 0) {
            boolean exited = process.waitFor(5, TimeUnit.SECONDS);
            process.destroyForcibly();
            LIVE.remove(process);
            pump.join(5_000);
            throw new IllegalStateException("daemon " + name + " did not start serving within " + timeoutSeconds
                    + "s" + (exited ? " (exit code " + process.exitValue() + ")" : "") + "; " + log + " begins:\n"
                    + String.join("\n", Files.readAllLines(log).stream().limit(8).toList()));
        }
        return new DaemonUnderTest(name, process, port[0]);
    }

    private static void pumpLog(Process process, Path log, CountDownLatch serving, int[] port) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                Matcher m = SERVING.matcher(line);
                if (serving.getCount() > 0 && m.find()) {
                    port[0] = Integer.parseInt(m.group(2));
                    serving.countDown();
                }
            }
        } catch (IOException e) {
            // the process went away; start() reports it
        } finally {
            serving.countDown();
        }
    }

    /** PullImage of {@code image} to its end, so that every create finds it cached; fails unless it ends DONE. */
    public void pullImage(String image, RunLog log) {
        long start = System.nanoTime();
        Iterator<PullImageProgress> progress = ComputeServiceGrpc.newBlockingStub(channel())
                .withDeadlineAfter(120, TimeUnit.SECONDS).pullImage(PullImageRequest.newBuilder().setImage(image).build());
        PullImageProgress last = null;
        while (progress.hasNext()) {
            last = progress.next();
        }
        if (last == null || last.getPhase() != PullImageProgress.Phase.DONE) {
            throw new IllegalStateException("PullImage of " + image + " ended in " + (last == null ? "nothing" : last.getPhase()));
        }
        log.progress("pulled %s into the daemon in %s", image, Report.seconds(System.nanoTime() - start));
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    /** A new plaintext loopback channel whose callbacks run on the transport threads; closed with the daemon. */
    public synchronized ManagedChannel channel() {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .directExecutor().maxInboundMessageSize(16 << 20).build();
        channels.add(channel);
        return channel;
    }

    /** VmRSS of the daemon process, in bytes. */
    public long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid() + "/status");
    }

    /** User plus system CPU the daemon used so far, in clock ticks (1/100 s on Linux). */
    public long cpuTicks() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /**
     * Waits until the daemon is idle (under 5% of a core over half a second), so start-up
     * work such as the reconciler's first pass does not leak into a measurement.
     */
    public boolean awaitQuiet(int timeoutSeconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
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

    /** SIGTERM, as an operator would; killed if it does not exit within 20 seconds. */
    @Override
    public void close() {
        synchronized (this) {
            channels.forEach(ManagedChannel::shutdownNow);
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        LIVE.remove(process);
    }
}
