package dev.hypervisor.server;

import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.network.testing.TestNetwork;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.etcd.EtcdCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * hypervisord as the end-to-end tests start it: the real main class (or the test main with
 * the test driver), a bridge and subnet of its own, and nothing that could reach past this
 * machine, its log beside its data dir.
 */
final class E2eDaemons {

    private E2eDaemons() {}

    /** Starts the daemon's real main class, or the test main with the test driver, and waits until it serves. */
    static DaemonProcess start(Path dataDir, boolean withTestDriver, String... extraArgs) {
        return start(dataDir, withTestDriver, 0, extraArgs);
    }

    /** As above on {@code port} (0: any free one), as a restarted daemon comes back where its clients expect it. */
    static DaemonProcess start(Path dataDir, boolean withTestDriver, int port, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:" + port, "--data-dir", dataDir.toString(),
                "--metrics-listen", "127.0.0.1:0", "--node-id", "e2e-node",
                "--registry-config", isolatedRegistryConfig(dataDir).toString()));
        if (!List.of(extraArgs).contains("--image-catalog")) {
            args.addAll(List.of("--image-catalog", isolatedCatalog(dataDir).toString()));
        }
        if (!List.of(extraArgs).contains("--retry-attempts")) {
            // Fewer and faster retries than by default: a pull from a registry out of reach (which the registry
            // client tries for 6 s itself) is an ERROR in 13 s, not in 50.
            args.addAll(List.of("--retry-attempts", "2", "--retry-delay-ms", "50"));
        }
        args.addAll(List.of(extraArgs));
        args.addAll(storeArgs(dataDir, args));
        // A real daemon sets up the default network: give it a bridge and subnet of its own,
        // never the host's hv0, unless the test brings one that must outlive this process.
        TestNetwork network = withTestDriver || args.contains("--bridge") ? null : TestNetwork.open(new InMemoryStore());
        if (network != null) {
            args.addAll(List.of("--bridge", network.options().bridgeName(), "--subnet", network.subnet().toString()));
        }
        Path log = dataDir.resolveSibling(dataDir.getFileName() + "-" + Instant.now().toEpochMilli() + ".log");
        try {
            DaemonProcess daemon = DaemonProcess.start(
                    withTestDriver ? TestDaemonMain.class.getName() : Hypervisord.class.getName(),
                    List.of("-Xmx256m"), args, log, Duration.ofSeconds(60));
            return network == null ? daemon : daemon.owning(network);
        } catch (RuntimeException e) {
            if (network != null) {
                network.close();
            }
            throw e;
        }
    }

    /** The etcd member of this test JVM when the suite runs on etcd ({@code -Dhv.e2e.store=etcd}). */
    private static EtcdCluster etcd;

    /** Whether this run puts the daemons on etcd (the build's e2e-on-etcd execution). */
    static boolean onEtcd() {
        return "etcd".equals(System.getProperty("hv.e2e.store"));
    }

    /**
     * With {@code -Dhv.e2e.store=etcd}: {@code --store} on this JVM's etcd member (started on first
     * use) and a key prefix named after the data directory, so that each daemon has a state of
     * its own and one restarted on the same data directory finds its state again, as on SQLite.
     */
    private static List<String> storeArgs(Path dataDir, List<String> args) {
        if (!onEtcd() || args.contains("--store")) {
            return List.of();
        }
        return List.of("--store", etcd().storeUri(), "--store-prefix", prefixOf(dataDir));
    }

    /** The store a daemon started on {@code dataDir} by {@link #start} keeps its state in, opened beside it. */
    static dev.hypervisor.core.store.Store openStore(Path dataDir) {
        if (onEtcd()) {
            return dev.hypervisor.store.etcd.EtcdStore.open(dev.hypervisor.store.etcd.EtcdStoreOptions.of(
                    etcd().members().stream().map(EtcdCluster.Member::clientAddress).toList()).withPrefix(prefixOf(dataDir)));
        }
        return dev.hypervisor.store.sqlite.SqliteStore.open(dataDir.resolve("state.db"),
                dev.hypervisor.store.sqlite.SqliteStoreOptions.defaults());
    }

    private static String prefixOf(Path dataDir) {
        return "/e2e" + dataDir.toAbsolutePath().normalize();
    }

    /** This JVM's etcd member, started on first use and killed when the JVM exits. */
    static synchronized EtcdCluster etcd() {
        if (etcd == null) {
            try {
                etcd = EtcdCluster.start(Files.createTempDirectory("hv-e2e-etcd"), 1);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            EtcdCluster started = etcd;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "stop-e2e-etcd"));
        }
        return etcd;
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
        try (var shipped = E2eDaemons.class.getResourceAsStream("/image-catalog.json")) {
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
}
