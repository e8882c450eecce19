package dev.hypervisor.vm;

import com.sun.net.httpserver.HttpServer;
import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.instance.Placement;
import dev.hypervisor.core.store.Store;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.images.ImageOptions;
import dev.hypervisor.images.LocalImageStore;
import dev.hypervisor.network.testing.TestNetwork;
import dev.hypervisor.qemu.Machine;
import dev.hypervisor.qemu.QemuDriver;
import dev.hypervisor.qemu.ResettableQemuDriver;
import dev.hypervisor.qemu.VmOptions;
import dev.hypervisor.store.sqlite.SqliteStore;
import dev.hypervisor.store.sqlite.SqliteStoreOptions;
import dev.hypervisor.testkit.guest.GuestInitramfs;
import dev.hypervisor.testkit.guest.GuestKernel;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What VM driver tests run on: a Debian kernel and a busybox initramfs built here, a small qcow2
 * "image" served over HTTP on loopback and pulled by the real image store (over a real SQLite
 * file), a real bridge network, and drivers under TCG. Fails with a clear message when the
 * machine lacks what CI installs.
 */
final class VmFixture implements AutoCloseable {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    final Path dir;
    final GuestKernel kernel;
    final Path initramfs;
    final Store store;
    final TestNetwork network;
    final LocalImageStore images;
    final HttpServer http;
    final String image;

    private VmFixture(Path dir, GuestKernel kernel, Path initramfs, Store store, TestNetwork network,
            LocalImageStore images, HttpServer http, String image) {
        this.dir = dir;
        this.kernel = kernel;
        this.initramfs = initramfs;
        this.store = store;
        this.network = network;
        this.images = images;
        this.http = http;
        this.image = image;
    }

    static VmFixture start(Path dir) throws IOException {
        requireHost();
        GuestKernel kernel = GuestKernel.get();
        Path initramfs = dir.resolve("initramfs.gz");
        GuestInitramfs.write(kernel, initramfs);
        Path www = Files.createDirectories(dir.resolve("www"));
        HostCommand.run(null, List.of("qemu-img", "create", "-q", "-f", "qcow2", www.resolve("disk.qcow2").toString(),
                "32M"));
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            Path file = www.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            if (!file.startsWith(www) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(200, Files.size(file));
            try (OutputStream body = exchange.getResponseBody()) {
                Files.copy(file, body);
            }
        });
        http.start();
        Store store = SqliteStore.open(dir.resolve("state.db"), SqliteStoreOptions.defaults());
        TestNetwork network = TestNetwork.open(store);
        LocalImageStore images = LocalImageStore.open(dir.resolve("images"), store, ImageOptions.defaults().withLocalUrlsAllowed(), "node-1");
        String image = "http://127.0.0.1:" + http.getAddress().getPort() + "/disk.qcow2";
        return new VmFixture(dir, kernel, initramfs, store, network, images, http, image);
    }

    VmOptions options() {
        return VmOptions.defaults(dir.resolve("vms")).withAccelerator(VmOptions.Accelerator.TCG)
                .withKernelDirs(List.of(kernel.vmlinuz().getParent(), initramfs.getParent()));
    }

    ResettableQemuDriver driver() {
        return QemuDriver.openResettable(options(), new Q35Machine(options(), images, images.diskImages(), network.network()),
                network.network());
    }

    /** A 1-vCPU, 256 MiB VM booting the test kernel, on the test bridge, with an ssd boot disk of 64 MiB and a 16 MiB hdd. */
    Instance instance(boolean honoursPowerButton) {
        return instance(honoursPowerButton, "");
    }

    /** The same, with {@code cmdline} added to the guest kernel's command line. */
    Instance instance(boolean honoursPowerButton, String cmdline) {
        int n = SEQUENCE.incrementAndGet();
        String id = "inst-v" + Long.toString(System.nanoTime() % 1_000_000_000L, 36) + n;
        Map<String, String> annotations = new HashMap<>();
        annotations.put(Q35Machine.INITRD_ANNOTATION, initramfs.toString());
        // quiet: under TCG every line on the emulated UART costs boot time.
        annotations.put(Machine.CMDLINE_ANNOTATION, "console=ttyS0 panic=-1 quiet"
                + (honoursPowerButton ? "" : " " + GuestInitramfs.IGNORE_POWER_BUTTON) + (cmdline.isEmpty() ? "" : " " + cmdline));
        annotations.put(CloudInitSeed.USER_DATA_ANNOTATION, "#cloud-config\nhostname: vm-" + n + "\n");
        InstanceSpec spec = new InstanceSpec(image, 1, 256L << 20,
                List.of(new DiskSpec("root", 64L << 20, "ssd", true), new DiskSpec("data", 16L << 20, "hdd", false)),
                new NetworkSpec(NetworkSpec.DEFAULT, ""), kernel.vmlinuz().toString(), List.of(), Map.of());
        return Instance.newInstance(id, "vm-" + n, InstanceType.VM, spec, new Metadata(Map.of(), annotations),
                new Placement("", "", ""), "node-1", Instant.now());
    }

    static void requireHost() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("VM tests need root (CI runs as root)");
        }
        for (String tool : List.of("qemu-system-x86_64", "qemu-img", "genisoimage", "dpkg-deb", "ip")) {
            if (List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin").stream().noneMatch(d -> Files.isExecutable(Path.of(d, tool)))) {
                throw new IllegalStateException(tool + " is missing: apt-get install qemu-system-x86 qemu-utils "
                        + "genisoimage busybox-static iproute2");
            }
        }
    }

    @Override
    public void close() {
        try {
            network.close();
        } finally {
            images.close();
            store.close();
            http.stop(0);
        }
    }
}
