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
        DiskPolicy disk) {

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
                DiskPolicy.none());
    }

    public DaemonConfig withListen(String host, int port) {
        return new DaemonConfig(host, port, dataDir, nodeId, limits, metricsHost, metricsPort, relistInterval,
                defaultDeadline, serverLimits, drivers, imageStore, disk);
    }

    public DaemonConfig withMetrics(String host, int port) {
        return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, limits, host, port, relistInterval,
                defaultDeadline, serverLimits, drivers, imageStore, disk);
    }

    public DaemonConfig withLimits(Limits newLimits) {
        return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, newLimits, metricsHost, metricsPort,
                relistInterval, defaultDeadline, serverLimits, drivers, imageStore, disk);
    }

    /** Exactly these drivers, already open (tests and embedders), in place of the configured ones. */
    public DaemonConfig withDrivers(List<Driver> newDrivers) {
        List<DriverFactory> opened = newDrivers.stream()
                .map(driver -> (DriverFactory) (store, images) -> Optional.of(driver)).toList();
        return withDriverFactories(opened);
    }

    public DaemonConfig withDriverFactories(List<DriverFactory> factories) {
        return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, limits, metricsHost, metricsPort,
                relistInterval, defaultDeadline, serverLimits, List.copyOf(factories), imageStore, disk);
    }

    public DaemonConfig withImageStore(ImageStoreFactory store) {
        return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, limits, metricsHost, metricsPort,
                relistInterval, defaultDeadline, serverLimits, drivers, Optional.of(store), disk);
    }

    /** No image store: instances get no implicit pulls and image calls are refused (embedders, benchmarks). */
    public DaemonConfig withoutImageStore() {
        return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, limits, metricsHost, metricsPort,
                relistInterval, defaultDeadline, serverLimits, drivers, Optional.empty(), disk);
    }

    public DaemonConfig withRelistInterval(Duration interval) {
        return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, limits, metricsHost, metricsPort,
                interval, defaultDeadline, serverLimits, drivers, imageStore, disk);
    }

    public DaemonConfig withServerLimits(ServerLimits newLimits) {
        return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, limits, metricsHost, metricsPort,
                relistInterval, defaultDeadline, newLimits, drivers, imageStore, disk);
    }

    public DaemonConfig withDisk(DiskPolicy policy) {
        return new DaemonConfig(listenHost, listenPort, dataDir, nodeId, limits, metricsHost, metricsPort,
                relistInterval, defaultDeadline, serverLimits, drivers, imageStore, policy);
    }
}
