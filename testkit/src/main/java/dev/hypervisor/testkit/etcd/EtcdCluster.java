package dev.hypervisor.testkit.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.host.Executables;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.testkit.images.RegistryServer;
import dev.hypervisor.testkit.tls.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Real etcd members ({@code /usr/bin/etcd}, Debian's etcd-server 3.4) on free loopback ports,
 * each with its data directory under the given one, in the spirit of jetcd-test's cluster:
 * one member for contract suites, three for fault tests that stop, kill and restart members.
 * Elections are tuned short (heartbeat 25 ms, election 250 ms) so a lost leader is replaced
 * within a second.
 *
 * <pre>{@code
 * try (EtcdCluster etcd = EtcdCluster.start(tempDir, 3)) {
 *     daemon("--store", etcd.storeUri());
 *     etcd.kill(etcd.leader());
 * }
 * }</pre>
 */
public final class EtcdCluster implements AutoCloseable {

    private static final String BINARY = "etcd";
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One member: its name, ports, data directory and, while it runs, its process. */
    public static final class Member {
        private final String name;
        private final int clientPort;
        private final int peerPort;
        private final int metricsPort;
        private final Path dir;
        private Process process;

        private Member(String name, int clientPort, int peerPort, int metricsPort, Path dir) {
            this.name = name;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
            this.metricsPort = metricsPort;
            this.dir = dir;
        }

        public String name() {
            return name;
        }

        /** {@code 127.0.0.1:PORT}, where clients reach this member. */
        public String clientAddress() {
            return "127.0.0.1:" + clientPort;
        }

        public boolean running() {
            return process != null && process.isAlive();
        }

        @Override
        public String toString() {
            return name + "@" + clientAddress();
        }
    }

    private final List<Member> members;
    /** The server certificate of a cluster whose clients speak TLS and must show a certificate; null: plain. */
    private final TestCertificates.Pair tls;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    private EtcdCluster(List<Member> members, TestCertificates.Pair tls) {
        this.members = members;
        this.tls = tls;
    }

    /** Whether etcd is installed here; {@link #start} fails saying how to install it otherwise. */
    public static boolean available() {
        return Executables.find(BINARY).isPresent();
    }

    /** Starts {@code size} members under {@code dir} (which must exist) and waits until each answers /health. */
    public static EtcdCluster start(Path dir, int size) {
        return start(dir, size, null);
    }

    /**
     * As {@link #start}, with client ports on TLS that take only clients with a certificate
     * {@code server}'s CA signed ({@code --client-cert-auth}). {@link #leader()} needs a plain cluster.
     */
    public static EtcdCluster startWithTls(Path dir, int size, TestCertificates.Pair server) {
        return start(dir, size, server);
    }

    private static EtcdCluster start(Path dir, int size, TestCertificates.Pair tls) {
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            members.add(new Member("m" + i, RegistryServer.freePort(), RegistryServer.freePort(), RegistryServer.freePort(),
                    dir.resolve("m" + i)));
        }
        EtcdCluster cluster = new EtcdCluster(members, tls);
        try {
            members.forEach(cluster::launch);
            members.forEach(cluster::awaitHealthy);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public List<Member> members() {
        return List.copyOf(members);
    }

    /** {@code etcd://127.0.0.1:P1,127.0.0.1:P2,...}: the daemon's {@code --store} value for this cluster. */
    public String storeUri() {
        return "etcd://" + members.stream().map(Member::clientAddress).collect(Collectors.joining(","));
    }

    /** {@code http://127.0.0.1:P1,...}: the endpoints a client library is given. */
    public List<String> endpoints() {
        return members.stream().map(m -> "http://" + m.clientAddress()).toList();
    }

    /** The member that is leader now, waiting up to the startup time for one to be elected. */
    public Member leader() {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            for (Member m : members) {
                if (!m.running()) {
                    continue;
                }
                JsonNode status = post(m, "/v3/maintenance/status", "{}");
                if (status != null && status.path("leader").asText().equals(status.path("header").path("member_id").asText())
                        && !status.path("leader").asText().isEmpty()) {
                    return m;
                }
            }
            pause(50);
        }
        throw new IllegalStateException("no etcd leader among " + members + " within " + STARTUP);
    }

    /** SIGKILL: the member dies without a chance to tell its peers, as on a power cut. */
    public void kill(Member m) {
        if (m.process != null) {
            m.process.destroyForcibly();
            waitFor(m.process);
        }
    }

    /** SIGTERM and wait for the member to exit. */
    public void stop(Member m) {
        if (m.process != null) {
            m.process.destroy();
            waitFor(m.process);
        }
    }

    /** Starts a stopped or killed member again on its data directory and ports, without waiting for it. */
    public void restart(Member m) {
        if (m.running()) {
            throw new IllegalStateException(m + " is still running");
        }
        launch(m);
    }

    /** Waits until the member answers /health with true (it has a leader and serves reads). */
    public void awaitHealthy(Member m) {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            if (!m.running()) {
                throw new IllegalStateException("etcd " + m + " exited with " + m.process.exitValue() + ":\n" + log(m));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.metricsPort + "/health"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for etcd " + m, e);
            }
            pause(20);
        }
        throw new IllegalStateException("etcd " + m + " was not healthy within " + STARTUP + ":\n" + log(m));
    }

    private void launch(Member m) {
        Path binary = Executables.find(BINARY).orElseThrow(() -> new IllegalStateException(
                "etcd is not installed: apt-get install etcd-server; ./test.sh installs it"));
        String initialCluster = members.stream().map(x -> x.name + "=http://127.0.0.1:" + x.peerPort)
                .collect(Collectors.joining(","));
        String scheme = tls == null ? "http://" : "https://";
        List<String> command = new ArrayList<>(List.of(binary.toString(),
                "--name", m.name,
                "--data-dir", m.dir.resolve("data").toString(),
                "--listen-client-urls", scheme + m.clientAddress(),
                "--advertise-client-urls", scheme + m.clientAddress(),
                // /health and /metrics in plain HTTP whatever the client port speaks
                "--listen-metrics-urls", "http://127.0.0.1:" + m.metricsPort,
                "--listen-peer-urls", "http://127.0.0.1:" + m.peerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + m.peerPort,
                "--initial-cluster", initialCluster,
                "--initial-cluster-token", "hv-test-" + members.get(0).peerPort,
                "--heartbeat-interval", "25",
                "--election-timeout", "250",
                // The store contract commits 2,500 puts at once; the daemon's own transactions stay under the default 128.
                "--max-txn-ops", "4096",
                "--logger", "zap", "--log-level", "warn"));
        if (tls != null) {
            command.addAll(List.of("--cert-file", tls.cert().toString(), "--key-file", tls.key().toString(),
                    "--trusted-ca-file", tls.ca().toString(), "--client-cert-auth"));
        }
        try {
            Files.createDirectories(m.dir);
            m.process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(m.dir.resolve("etcd.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start etcd " + m + ": " + e, e);
        }
    }

    private JsonNode post(Member m, String path, String body) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + m.clientAddress() + path))
                    .timeout(Duration.ofSeconds(1)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted asking etcd " + m, e);
        }
    }

    /**
     * Runs {@code etcdctl} (API v3) against the first member of a plain cluster, e.g. to add
     * users and turn auth on; returns its output, or fails with it.
     */
    public String etcdctl(String... args) {
        List<String> command = new ArrayList<>(List.of("etcdctl", "--endpoints", "http://" + members.get(0).clientAddress()));
        command.addAll(List.of(args));
        try {
            return HostCommand.of(command).env("ETCDCTL_API", "3").timeout(Duration.ofSeconds(30)).output();
        } catch (IOException e) {
            throw new IllegalStateException("etcdctl (etcd-client, installed with etcd-server): " + e.getMessage(), e);
        }
    }

    /** The member's log so far, for failure messages. */
    public String log(Member m) {
        try {
            return Files.readString(m.dir.resolve("etcd.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        for (Member m : members) {
            if (m.process != null) {
                m.process.destroyForcibly();
            }
        }
        members.forEach(m -> {
            if (m.process != null) {
                waitFor(m.process);
            }
        });
    }

    private static void waitFor(Process p) {
        dev.hypervisor.testkit.Processes.awaitOrKill(p, Duration.ofSeconds(10));
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
