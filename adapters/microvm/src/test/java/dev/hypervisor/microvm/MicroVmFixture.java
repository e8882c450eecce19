package dev.hypervisor.microvm;

import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.host.Executables;
import dev.hypervisor.images.ImageOptions;
import dev.hypervisor.images.LocalImageStore;
import dev.hypervisor.network.testing.TestNetwork;
import dev.hypervisor.qemu.QemuDriver;
import dev.hypervisor.qemu.VmOptions;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import dev.hypervisor.testkit.guest.GuestKernel;
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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What microVM tests run on: a busybox image in a real registry on loopback, the real image
 * store over a real SQLite file, a test bridge, and Debian's cloud kernel (its modules
 * beside it, as {@link GuestKernel} unpacks the package). Everything under TCG.
 *
 * <p>Another kernel and memory size, for trying a kernel against the whole driver test: the
 * system property {@value #KERNEL_PROPERTY} (or the environment variable {@value #KERNEL_ENV}) names
 * a bzImage, e.g. the one {@code scripts/microvm-kernel.sh} builds, and {@value #MEMORY_PROPERTY}
 * (or {@value #MEMORY_ENV}) the microVMs' memory in MiB (default 128):
 * {@code mvn -B -o -pl adapters/vm -am test -Dtest=MicroVmDriverTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dhv.microvm.kernel=/var/cache/hypervisor-microvm-kernel/boot/vmlinuz-6.1.192-hv-microvm -Dhv.microvm.memory-mib=64}.
 */
final class MicroVmFixture implements AutoCloseable {

    static final String KERNEL_PROPERTY = "hv.microvm.kernel";
    static final String KERNEL_ENV = "HV_MICROVM_KERNEL";
    static final String MEMORY_PROPERTY = "hv.microvm.memory-mib";
    static final String MEMORY_ENV = "HV_MICROVM_MEMORY_MIB";
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    final Path dir;
    /** The bzImage the microVMs boot: Debian's cloud kernel unless {@value #KERNEL_PROPERTY} names another. */
    final Path kernel;
    /** The microVMs' memory_bytes: 128 MiB unless {@value #MEMORY_PROPERTY} says otherwise. */
    final long memoryBytes;
    final RegistryServer registry;
    final Store store;
    final TestNetwork network;
    final LocalImageStore images;
    final String image;

    private MicroVmFixture(Path dir, Path kernel, long memoryBytes, RegistryServer registry, Store store,
            TestNetwork network, LocalImageStore images, String image) {
        this.dir = dir;
        this.kernel = kernel;
        this.memoryBytes = memoryBytes;
        this.registry = registry;
        this.store = store;
        this.network = network;
        this.images = images;
        this.image = image;
    }

    static MicroVmFixture start(Path dir) throws IOException {
        GuestKernel.requireQemu();
        if (Executables.find("mkfs.ext4").isEmpty()) {
            throw new IllegalStateException("mkfs.ext4 is missing: apt-get install e2fsprogs");
        }
        Path kernel = setting(KERNEL_PROPERTY, KERNEL_ENV).map(Path::of).orElse(null);
        if (kernel == null) {
            kernel = GuestKernel.get().vmlinuz();
        } else if (!Files.isRegularFile(kernel)) {
            throw new IllegalStateException(KERNEL_PROPERTY + " names " + kernel
                    + ", which is no file (scripts/microvm-kernel.sh builds one)");
        }
        long memoryBytes = Long.parseLong(setting(MEMORY_PROPERTY, MEMORY_ENV).orElse("128")) << 20;
        RegistryServer registry = RegistryServer.start(Files.createDirectories(dir.resolve("registry")));
        OciImageBuilder.busyboxImage()
                .env("FROM_IMAGE=yes")
                .layer(LayerTree.create().applets("hostname", "ifconfig", "dd", "sync", "ping"), Compression.GZIP)
                .writeTo(dir.resolve("layout"), "busybox")
                .push(registry.host() + "/library/busybox:test");
        Store store = SqliteStore.open(dir.resolve("state.db"), SqliteStoreOptions.defaults());
        TestNetwork network = TestNetwork.open(store);
        LocalImageStore images = LocalImageStore.open(dir.resolve("images"), store, ImageOptions.defaults(), "node-1");
        return new MicroVmFixture(dir, kernel, memoryBytes, registry, store, network, images,
                registry.host() + "/library/busybox:test");
    }

    private static Optional<String> setting(String property, String env) {
        String value = System.getProperty(property, "");
        if (value.isBlank()) {
            value = System.getenv().getOrDefault(env, "");
        }
        return value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    VmOptions options() {
        return VmOptions.defaults(dir.resolve("microvms")).withAccelerator(VmOptions.Accelerator.TCG)
                .withKernelDirs(List.of(kernel.getParent()));
    }

    QemuDriver driver() {
        return QemuDriver.open(options(), new MicroVmMachine(options(), images, images.rootFilesystems(), network.network()),
                network.network());
    }

    /** A 1-vCPU microVM of {@link #memoryBytes} of the busybox image running {@code command}, on the test bridge. */
    Instance instance(List<String> command) {
        return instance(command, kernel.toString());
    }

    Instance instance(List<String> command, String kernelPath) {
        return instance(command, kernelPath, Metadata.EMPTY);
    }

    Instance instance(List<String> command, String kernelPath, Metadata metadata) {
        int n = SEQUENCE.incrementAndGet();
        String id = "inst-m" + Long.toString(System.nanoTime() % 1_000_000_000L, 36) + n;
        InstanceSpec spec = new InstanceSpec(image, 1, memoryBytes,
                List.of(new DiskSpec("root", 256L << 20, "ssd", true), new DiskSpec("data", 16L << 20, "hdd", false)),
                new NetworkSpec(NetworkSpec.DEFAULT, ""), kernelPath, command,
                Map.of("GREETING", "hello"));
        return Instance.newInstance(id, "micro-" + n, InstanceType.MICROVM, spec, metadata,
                new Placement("", "", ""), "node-1", Instant.now());
    }

    @Override
    public void close() {
        try {
            network.close();
        } finally {
            images.close();
            store.close();
            registry.close();
        }
    }
}
