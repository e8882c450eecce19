package dev.hypervisor.server;

import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.reconcile.RetryPolicy;
import dev.hypervisor.core.runtime.RuntimePlugin;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.usecase.Limits;
import dev.hypervisor.images.LocalImageStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a daemon is started with. The runtimes are the plugins it knows (opened when the
 * host can run them; each type's first, or the one {@code defaultRuntimes} names, is its
 * default); the image store and the network are opened on the daemon's store when a runtime
 * needs them. The daemon never invents a runtime.
 */
public record DaemonConfig(
        String listenHost,
        int listenPort,
        Path dataDir,
        String nodeId,
        Limits limits,
        String metricsHost,
        int metricsPort,
        Duration relistInterval,
        Duration defaultDeadline,
        ServerLimits serverLimits,
        List<RuntimePlugin> runtimes,
        Map<InstanceType, String> defaultRuntimes,
        Optional<ImageStoreFactory> imageStore,
        Optional<NetworksFactory> networks,
        DiskPolicy disk,
        StoreLocation store,
        RetryPolicy retries,
        Transport transport,
        Path auditLog) {

    /**
     * How the gRPC listeners are secured: TLS with this certificate and key, client certificates
     * checked against {@code clientCa}; or plaintext, which a listener on a non-loopback address
     * gets only with {@code insecure}. A unix socket at {@code socket} (null: none) is plaintext,
     * guarded by its file mode: root and {@code socketGroup} may connect, and are admin there.
     */
    public record Transport(Path tlsCert, Path tlsKey, Path clientCa, Path peerCa, boolean insecure, Path socket,
            String socketGroup) {

        public static Transport plaintext() {
            return new Transport(null, null, null, null, false, null, null);
        }

        /** The same, with a unix socket at {@code path} (mode 0660, group {@code group} or the daemon's own). */
        public Transport withSocket(Path path, String group) {
            return new Transport(tlsCert, tlsKey, clientCa, peerCa, insecure, path, group);
        }

        public boolean tls() {
            return tlsCert != null;
        }
    }

    /** Opens this node's image store on the daemon's revisioned store (images keep their records there). */
    @FunctionalInterface
    public interface ImageStoreFactory {
        LocalImageStore open(Store store);
    }

    /** Opens this node's networks on the daemon's store (the IPAM keeps its addresses there). */
    @FunctionalInterface
    public interface NetworksFactory {
        Networks open(Store store);
    }

    /** Abuse limits of the gRPC server. */
    public record ServerLimits(
            int maxMessageBytes, int maxHeaderBytes, int maxConcurrentCallsPerConnection,
            Duration permitKeepAliveTime, int maxRstFramesPerWindow, int rstWindowSeconds, int watchQueueCapacity) {

        public static ServerLimits defaults() {
            return new ServerLimits(4 * 1024 * 1024, 16 * 1024, 1000, Duration.ofSeconds(20), 200, 10, 10_000);
        }
    }

    /**
     * What the daemon keeps free in its data directory: below {@code minFreeBytes} the node is
     * full (NOT_SERVING, pulls refused), and {@code reserveBytes} are held in a file to give up
     * when a store write finds the disk full, so deletes still go through.
     */
    public record DiskPolicy(long minFreeBytes, long reserveBytes) {
        public static DiskPolicy none() {
            return new DiskPolicy(0, 0);
        }
    }

    public static DaemonConfig defaults(Path dataDir, String nodeId) {
        return new DaemonConfig("127.0.0.1", 50051, dataDir, nodeId, Limits.defaults(), "127.0.0.1", 9464,
                Duration.ofSeconds(10), Duration.ofSeconds(60), ServerLimits.defaults(), List.of(), Map.of(),
                Optional.empty(), Optional.empty(), DiskPolicy.none(), StoreLocation.embedded(),
                RetryPolicy.defaults(), Transport.plaintext(), dataDir.resolve("audit.log"));
    }

    public DaemonConfig withListen(String host, int port) {
        return edit(b -> {
            b.listenHost = host;
            b.listenPort = port;
        });
    }

    public DaemonConfig withMetrics(String host, int port) {
        return edit(b -> {
            b.metricsHost = host;
            b.metricsPort = port;
        });
    }

    public DaemonConfig withLimits(Limits newLimits) {
        return edit(b -> b.limits = newLimits);
    }

    /**
     * Exactly these runtimes (test doubles are their own plugins), in place of the configured
     * ones; the defaults named for the old ones are dropped, so each type's first is its default.
     */
    public DaemonConfig withRuntimes(List<? extends RuntimePlugin> plugins) {
        return edit(b -> {
            b.runtimes = List.copyOf(plugins);
            b.defaultRuntimes = Map.of();
        });
    }

    /** The runtime each type runs on when a spec names no runtime class (else the type's first). */
    public DaemonConfig withDefaultRuntimes(Map<InstanceType, String> defaults) {
        return edit(b -> b.defaultRuntimes = Map.copyOf(defaults));
    }

    public DaemonConfig withNetworks(NetworksFactory factory) {
        return edit(b -> b.networks = Optional.of(factory));
    }

    public DaemonConfig withImageStore(ImageStoreFactory factory) {
        return edit(b -> b.imageStore = Optional.of(factory));
    }

    /** No image store: instances get no implicit pulls and image calls are refused (embedders, benchmarks). */
    public DaemonConfig withoutImageStore() {
        return edit(b -> b.imageStore = Optional.empty());
    }

    public DaemonConfig withRelistInterval(Duration interval) {
        return edit(b -> b.relistInterval = interval);
    }

    /** How often a step that failed in a way worth retrying is tried again before the instance is in ERROR. */
    public DaemonConfig withRetries(RetryPolicy policy) {
        return edit(b -> b.retries = policy);
    }

    public DaemonConfig withServerLimits(ServerLimits newLimits) {
        return edit(b -> b.serverLimits = newLimits);
    }

    public DaemonConfig withDisk(DiskPolicy policy) {
        return edit(b -> b.disk = policy);
    }

    /** Where the daemon's state is kept (default: SQLite under the data directory). */
    public DaemonConfig withStore(StoreLocation location) {
        return edit(b -> b.store = location);
    }

    /** How the gRPC listener is secured (default: plaintext, which only loopback gets without asking). */
    public DaemonConfig withTransport(Transport transport) {
        return edit(b -> b.transport = transport);
    }

    /** Where the audit log of mutating calls goes (null: none; default DATA/audit.log). */
    public DaemonConfig withAuditLog(Path file) {
        return edit(b -> b.auditLog = file);
    }

    /** A copy with {@code change} applied to its fields. */
    private DaemonConfig edit(java.util.function.Consumer<Fields> change) {
        Fields b = new Fields(this);
        change.accept(b);
        return b.build();
    }

    /** The fields of a config being changed: one place that lists them all. */
    private static final class Fields {
        String listenHost;
        int listenPort;
        Path dataDir;
        String nodeId;
        Limits limits;
        String metricsHost;
        int metricsPort;
        Duration relistInterval;
        Duration defaultDeadline;
        ServerLimits serverLimits;
        List<RuntimePlugin> runtimes;
        Map<InstanceType, String> defaultRuntimes;
        Optional<ImageStoreFactory> imageStore;
        Optional<NetworksFactory> networks;
        DiskPolicy disk;
        StoreLocation store;
        RetryPolicy retries;
        Transport transport;
        Path auditLog;

        Fields(DaemonConfig c) {
            listenHost = c.listenHost;
            listenPort = c.listenPort;
            dataDir = c.dataDir;
            nodeId = c.nodeId;
            limits = c.limits;
            metricsHost = c.metricsHost;
            metricsPort = c.metricsPort;
            relistInterval = c.relistInterval;
            defaultDeadline = c.defaultDeadline;
            serverLimits = c.serverLimits;
            runtimes = c.runtimes;
            defaultRuntimes = c.defaultRuntimes;
            imageStore = c.imageStore;
            networks = c.networks;
            disk = c.disk;
            store = c.store;
            retries = c.retries;
            transport = c.transport;
            auditLog = c.auditLog;
        }

        DaemonConfig build() {
            return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, limits, metricsHost, metricsPort,
                    relistInterval, defaultDeadline, serverLimits, runtimes, defaultRuntimes, imageStore, networks, disk,
                    store, retries, transport, auditLog);
        }
    }
}
