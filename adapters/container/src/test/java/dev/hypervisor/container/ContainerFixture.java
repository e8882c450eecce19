package dev.hypervisor.container;

import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.host.Executables;
import dev.hypervisor.images.ImageOptions;
import dev.hypervisor.images.LocalImageStore;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import dev.hypervisor.testkit.images.Compression;
import dev.hypervisor.testkit.images.LayerTree;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What container runtime tests run on: a real registry on loopback serving a busybox image,
 * the real image store over a real SQLite file, and a driver with real runc and conmon.
 * Fails with a clear message when the machine lacks what CI installs (root, runc, conmon).
 */
final class ContainerFixture implements AutoCloseable {

    static final String[] APPLETS = {"httpd", "wget", "stty", "dd", "hostname", "kill", "yes", "nc", "ping", "ip",
        "grep", "tail", "seq", "df", "cut", "tr", "pidof", "sync", "ifconfig", "route", "awk"};

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    final Path dir;
    final RegistryServer registry;
    final Store store;
    final LocalImageStore images;
    final String image;

    private ContainerFixture(Path dir, RegistryServer registry, Store store, LocalImageStore images, String image) {
        this.dir = dir;
        this.registry = registry;
        this.store = store;
        this.images = images;
        this.image = image;
    }

    static ContainerFixture start(Path dir) throws IOException {
        requireHost();
        RegistryServer registry = RegistryServer.start(Files.createDirectories(dir.resolve("registry")));
        OciImageBuilder.busyboxImage()
                .layer(LayerTree.create().dir("www").file("www/index.html", "hello from busybox httpd\n")
                        .applets(APPLETS), Compression.GZIP)
                .writeTo(dir.resolve("layout"), "busybox")
                .push(registry.host() + "/library/busybox:test");
        Store store = SqliteStore.open(dir.resolve("state.db"), SqliteStoreOptions.defaults());
        LocalImageStore images = LocalImageStore.open(dir.resolve("images"), store, ImageOptions.defaults(), "node-1");
        return new ContainerFixture(dir, registry, store, images, registry.host() + "/library/busybox:test");
    }

    ContainerDriver driver(Networks networks) {
        return driver(ContainerOptions.defaults(dir.resolve("containers")), networks);
    }

    ContainerDriver driver(ContainerOptions options, Networks networks) {
        return ContainerDriver.open(options, images, images.rootFilesystems(), networks);
    }

    /** gVisor's runsc under conmon, its state apart from runc's, with no network of its own (as this host needs). */
    ContainerOptions runsc() {
        return ContainerOptions.defaults(dir.resolve("containers-runsc"))
                .withRuntime(dev.hypervisor.host.Executables.findOr("runsc", Path.of("/usr/bin/runsc")))
                .withRuntimeArgs(ContainerRuntime.RUNSC_WITHOUT_NETWORK);
    }

    Instance instance(List<String> command) {
        return instance(command, 1, 256L << 20, List.of(), NetworkSpec.NONE);
    }

    Instance instance(List<String> command, int cpus, long memory, List<DiskSpec> disks, String network) {
        int n = SEQUENCE.incrementAndGet();
        String id = "inst-t" + Long.toString(System.nanoTime() % 1_000_000_000L, 36) + n;
        InstanceSpec spec = new InstanceSpec(image, cpus, memory, disks, new NetworkSpec(network, ""), "", command,
                Map.of("GREETING", "hello"));
        return Instance.newInstance(id, "ctr-" + n, InstanceType.CONTAINER, spec, Metadata.EMPTY,
                new Placement("", "", ""), "node-1", Instant.now());
    }

    static void requireHost() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("container tests need root (CI runs as root)");
        }
        for (String tool : List.of("runc", "runsc", "conmon", "ip", "mkfs.ext4")) {
            if (Executables.find(tool).isEmpty()) {
                throw new IllegalStateException(tool + " is missing: ./test.sh installs runc, runsc, conmon, iproute2, e2fsprogs");
            }
        }
    }

    @Override
    public void close() {
        images.close();
        store.close();
        registry.close();
    }
}
