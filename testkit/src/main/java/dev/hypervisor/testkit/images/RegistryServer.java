package dev.hypervisor.testkit.images;

import dev.hypervisor.host.Executables;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real distribution registry ({@code /usr/bin/docker-registry}, Debian's distribution 2.8) on a
 * free 127.0.0.1 port with filesystem storage, for tests that push with {@link Skopeo} and pull
 * with the registry client; stopped by {@link #close()}.
 *
 * <pre>{@code
 * try (RegistryServer registry = RegistryServer.start(tempDir)) {
 *     image.writeTo(layout, "v1").push(registry.host() + "/demo/app:v1");
 * }
 * }</pre>
 */
public final class RegistryServer implements AutoCloseable {

    private static final String BINARY = "docker-registry";
    private static final Duration STARTUP = Duration.ofSeconds(20);

    private final Process process;
    private final String host;
    private final Path dir;

    private RegistryServer(Process process, String host, Path dir) {
        this.process = process;
        this.host = host;
        this.dir = dir;
    }

    /** Starts an open (no auth) registry storing under {@code dir}, which must exist. */
    public static RegistryServer start(Path dir) {
        return start(dir, null);
    }

    /** Whether {@link #startWithHtpasswd} can work here: it needs {@code htpasswd} (apache2-utils) for bcrypt. */
    public static boolean htpasswdAvailable() {
        return Executables.find("htpasswd").isPresent();
    }

    /**
     * Starts a registry that demands Basic auth for {@code user}/{@code password} (distribution's
     * {@code auth: htpasswd}, bcrypt only).
     *
     * @throws IllegalStateException when htpasswd is not installed; check {@link #htpasswdAvailable()} first
     */
    public static RegistryServer startWithHtpasswd(Path dir, String user, String password) {
        Path htpasswd = Executables.find("htpasswd").orElseThrow(() -> new IllegalStateException(
                "htpasswd is not installed: apt-get install apache2-utils; ./test.sh installs it"));
        String line;
        try {
            line = HostCommand.of(htpasswd.toString(), "-nbB", user, password).separatingErrors().output();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        Path file = dir.resolve("htpasswd");
        write(file, line + "\n");
        return start(dir, file);
    }

    private static RegistryServer start(Path dir, Path htpasswd) {
        Path binary = Executables.find(BINARY)
                .orElseThrow(() -> new IllegalStateException(BINARY + " is not installed: apt-get install docker-registry; "
                        + "./test.sh installs it"));
        IllegalStateException last = null;
        // A free port can be taken between probing it and the registry binding it: try a few.
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            Path storage = dir.resolve("storage");
            Path config = dir.resolve("registry-" + port + ".yml");
            write(config, config(port, storage, htpasswd));
            Path log = dir.resolve("registry-" + port + ".log");
            Process process;
            try {
                process = new ProcessBuilder(binary.toString(), "serve", config.toString())
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start " + binary + ": " + e, e);
            }
            RegistryServer server = new RegistryServer(process, "127.0.0.1:" + port, dir);
            try {
                server.awaitReady(log);
                return server;
            } catch (IllegalStateException e) {
                server.close();
                last = e;
            }
        }
        throw last;
    }

    private static String config(int port, Path storage, Path htpasswd) {
        // https://distribution.github.io/distribution/about/configuration/ (2.8 accepts these keys)
        StringBuilder yml = new StringBuilder()
                .append("version: 0.1\n")
                .append("log:\n  level: warn\n  accesslog:\n    disabled: true\n")
                .append("storage:\n  filesystem:\n    rootdirectory: ").append(storage).append('\n')
                .append("  delete:\n    enabled: true\n")
                .append("http:\n  addr: 127.0.0.1:").append(port).append('\n')
                .append("  secret: hypervisord-test-secret\n");
        if (htpasswd != null) {
            yml.append("auth:\n  htpasswd:\n    realm: hypervisord-test\n    path: ").append(htpasswd).append('\n');
        }
        return yml.toString();
    }

    private void awaitReady(Path log) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("docker-registry exited with " + process.exitValue() + ":\n" + read(log));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200 || r.statusCode() == 401) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for docker-registry", e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for docker-registry", e);
            }
        }
        throw new IllegalStateException("docker-registry did not answer GET /v2/ on " + host + " within " + STARTUP + ":\n" + read(log));
    }

    /** {@code 127.0.0.1:PORT}: the registry part of references to images pushed here. */
    public String host() {
        return host;
    }

    /** The directory the registry's files (config, log, storage) live in. */
    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        process.destroy();
        dev.hypervisor.testkit.Processes.awaitOrKill(process, java.time.Duration.ofSeconds(5));
    }

    /** A port that was free a moment ago; also useful as a closed port to prove nothing connects there. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port: " + e, e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file + ": " + e, e);
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
