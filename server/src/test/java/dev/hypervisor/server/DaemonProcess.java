package dev.hypervisor.server;

import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.network.testing.TestNetwork;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** hypervisord started as a real process from the built classes, on a free loopback port. */
final class DaemonProcess implements AutoCloseable {

    final int port;
    final int metricsPort;
    final Path dataDir;
    final Path log;
    private final Process process;
    private final TestNetwork network; // owned: removed from the host when the daemon is gone
    private final java.util.concurrent.atomic.AtomicBoolean networkReleased = new java.util.concurrent.atomic.AtomicBoolean();
    final ManagedChannel channel;

    private DaemonProcess(Process process, int port, int metricsPort, Path dataDir, Path log, TestNetwork network) {
        this.process = process;
        this.network = network;
        this.port = port;
        this.metricsPort = metricsPort;
        this.dataDir = dataDir;
        this.log = log;
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    /** Starts the daemon's real main class, or the test main with the test driver, and waits until it serves. */
    static DaemonProcess start(Path dataDir, boolean withTestDriver, String... extraArgs) {
        return start(dataDir, withTestDriver, freePort(), extraArgs);
    }

    static DaemonProcess start(Path dataDir, boolean withTestDriver, int port, String... extraArgs) {
        // A real daemon sets up the default network: give it a bridge and subnet of its own,
        // never the host's hv0, unless the test brings one that must outlive this process.
        TestNetwork network = withTestDriver || List.of(extraArgs).contains("--bridge")
                ? null : TestNetwork.open(new InMemoryStore());
        if (network != null) {
            List<String> args = new ArrayList<>(List.of(extraArgs));
            args.addAll(List.of("--bridge", network.options().bridgeName(), "--subnet", network.subnet().toString()));
            extraArgs = args.toArray(String[]::new);
        }
        try {
            return start(dataDir, withTestDriver, port, network, extraArgs);
        } catch (RuntimeException e) {
            if (network != null) {
                network.close();
            }
            throw e;
        }
    }

    private static DaemonProcess start(Path dataDir, boolean withTestDriver, int port, TestNetwork network,
            String... extraArgs) {
        int metricsPort = freePort();
        Path log = dataDir.resolveSibling(dataDir.getFileName() + "-" + Instant.now().toEpochMilli() + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx256m",
                withTestDriver ? TestDaemonMain.class.getName() : Hypervisord.class.getName(),
                "--listen", "127.0.0.1:" + port, "--data-dir", dataDir.toString(),
                "--metrics-listen", "127.0.0.1:" + metricsPort, "--node-id", "e2e-node"));
        command.addAll(List.of("--registry-config", isolatedRegistryConfig(dataDir).toString()));
        if (!List.of(extraArgs).contains("--image-catalog")) {
            command.addAll(List.of("--image-catalog", isolatedCatalog(dataDir).toString()));
        }
        if (!List.of(extraArgs).contains("--retry-attempts")) {
            // Fewer and faster retries than by default: a pull from a registry out of reach (which the registry
            // client tries for 6 s itself) is an ERROR in 13 s, not in 50.
            command.addAll(List.of("--retry-attempts", "2", "--retry-delay-ms", "50"));
        }
        command.addAll(List.of(extraArgs));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            DaemonProcess daemon = new DaemonProcess(process, port, metricsPort, dataDir, log, network);
            daemon.awaitServing(Duration.ofSeconds(60));
            return daemon;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Points Docker Hub at a closed loopback port, so that nothing a test does can make the
     * daemon reach past this machine (an image pull of "busybox" fails fast instead).
     */
    private static Path isolatedRegistryConfig(Path dataDir) {
        try {
            Path file = dataDir.resolveSibling(dataDir.getFileName() + "-registries.json");
            Files.writeString(file, "{\"servers\": {\"docker.io\": \"127.0.0.1:9\"}}");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Points every shipped alias that names a URL (ubuntu-22.04, debian-12...) at a closed
     * loopback port, for the same reason: a test creating the spec's VM must not download it.
     */
    private static Path isolatedCatalog(Path dataDir) {
        try (var shipped = DaemonProcess.class.getResourceAsStream("/image-catalog.json")) {
            var aliases = new com.fasterxml.jackson.databind.ObjectMapper().readTree(shipped).path("aliases");
            var isolated = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            var entries = isolated.putObject("aliases");
            aliases.fields().forEachRemaining(alias -> {
                if (alias.getValue().path("source").asText().startsWith("http")) {
                    entries.putObject(alias.getKey()).put("source", "http://127.0.0.1:9/" + alias.getKey() + ".img");
                }
            });
            Path file = dataDir.resolveSibling(dataDir.getFileName() + "-catalog.json");
            Files.writeString(file, isolated.toString());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ComputeServiceGrpc.ComputeServiceBlockingStub blocking() {
        return ComputeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    ComputeServiceGrpc.ComputeServiceStub async() {
        return ComputeServiceGrpc.newStub(channel);
    }

    private void awaitServing(Duration timeout) {
        Instant until = Instant.now().plus(timeout);
        while (Instant.now().isBefore(until)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("hypervisord exited with " + process.exitValue() + ":\n" + logText());
            }
            try {
                HealthCheckResponse health = HealthGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(1, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
                if (health.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // still starting
            }
            sleep(100);
        }
        throw new IllegalStateException("hypervisord did not serve within " + timeout + ":\n" + logText());
    }

    /** The daemon process's resident memory now, from {@code /proc/PID/status}. */
    long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS for hypervisord pid " + process.pid());
    }

    /** SIGKILL: no shutdown hook runs. */
    void kill9() {
        process.destroyForcibly();
        waitFor();
    }

    /** SIGTERM, then the exit code. */
    int terminate() {
        process.destroy();
        return waitFor();
    }

    int waitFor() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("hypervisord did not exit within 30 s:\n" + logText());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            channel.shutdownNow();
            releaseNetwork();
        }
    }

    private void releaseNetwork() {
        if (network != null && networkReleased.compareAndSet(false, true)) {
            network.close();
        }
    }

    String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        if (process.isAlive()) {
            process.destroyForcibly();
            waitFor();
        }
        releaseNetwork();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String pathSeparator() {
        return File.pathSeparator;
    }
}
