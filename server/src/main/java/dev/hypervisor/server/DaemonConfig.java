package dev.hypervisor.server;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.core.usecase.Limits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything a daemon is started with. The drivers and the image store are the runtimes
 * this node really has; the daemon never invents one.
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
        List<DriverFactory> drivers,
        Optional<ImageStoreFactory> imageStore,
        DiskPolicy disk,
        StoreLocation store) {

    /**
     * Opens one runtime of this node once the store and the image store are open; empty when the
     * host cannot run it (a missing binary), which leaves that instance type refused, never faked.
     */
    @FunctionalInterface
    public interface DriverFactory {
        Optional<Driver> open(Store store, Optional<ImageStore> images);
    }

    /** Opens this node's image store on the daemon's revisioned store (images keep their records there). */
    @FunctionalInterface
    public interface ImageStoreFactory {
        ImageStore open(Store store);
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
                Duration.ofSeconds(10), Duration.ofSeconds(60), ServerLimits.defaults(), List.of(), Optional.empty(),
                DiskPolicy.none(), StoreLocation.embedded());
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

    /** Exactly these drivers, already open (tests and embedders), in place of the configured ones. */
    public DaemonConfig withDrivers(List<Driver> newDrivers) {
        List<DriverFactory> opened = newDrivers.stream()
                .map(driver -> (DriverFactory) (store, images) -> Optional.of(driver)).toList();
        return withDriverFactories(opened);
    }

    public DaemonConfig withDriverFactories(List<DriverFactory> factories) {
        return edit(b -> b.drivers = List.copyOf(factories));
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
        List<DriverFactory> drivers;
        Optional<ImageStoreFactory> imageStore;
        DiskPolicy disk;
        StoreLocation store;

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
            drivers = c.drivers;
            imageStore = c.imageStore;
            disk = c.disk;
            store = c.store;
        }

        DaemonConfig build() {
            return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, limits, metricsHost, metricsPort,
                    relistInterval, defaultDeadline, serverLimits, drivers, imageStore, disk, store);
        }
    }
}
