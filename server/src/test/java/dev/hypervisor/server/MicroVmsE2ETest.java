package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.GetInstanceStatsRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceStats;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.RestartInstanceRequest;
import dev.hypervisor.api.v1.StopInstanceRequest;
import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.network.testing.TestNetwork;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Instances;
import dev.hypervisor.testkit.guest.GuestKernel;
import dev.hypervisor.testkit.images.Compression;
import dev.hypervisor.testkit.images.LayerTree;
import dev.hypervisor.testkit.images.OciImageBuilder;
import dev.hypervisor.testkit.images.RegistryServer;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * MicroVMs through the API of a real hypervisord process under TCG: the busybox image and the
 * kernel both come from a registry on loopback (the kernel as an image holding
 * {@code /boot/vmlinuz-R} and its modules, named by {@code --default-kernel}), on a bridge of
 * the test's own.
 */
class MicroVmsE2ETest {

    private static final Duration BOOT = Duration.ofSeconds(90);
    /** The modules a microVM needs from Debian's cloud kernel, and what they depend on. */
    private static final Set<String> MODULES = Set.of("virtio", "virtio_ring", "virtio_mmio", "virtio_blk",
            "virtio_net", "failover", "net_failover", "button", "evdev");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // a failure leaves the daemon's log behind
    static Path tmp;
    static RegistryServer registry;
    static String image;
    static TestNetwork network;
    static DaemonProcess daemon;
    static final Instances INSTANCES = new Instances(() -> daemon.channel(), BOOT);

    @BeforeAll
    static void start() throws IOException {
        GuestKernel kernel = GuestKernel.get();
        registry = RegistryServer.start(Files.createDirectories(tmp.resolve("registry")));
        OciImageBuilder.busyboxImage()
                .layer(LayerTree.create().applets("hostname", "ping"), Compression.GZIP)
                .writeTo(tmp.resolve("layout"), "busybox")
                .push(registry.host() + "/library/busybox:micro");
        image = registry.host() + "/library/busybox:micro";
        LayerTree kernelTree = LayerTree.create().dir("boot")
                .file("boot/" + kernel.vmlinuz().getFileName(), kernel.vmlinuz(), 0644);
        Path modulesRoot = kernel.modules().getParent().getParent().getParent(); // X of X/lib/modules/R
        try (Stream<Path> files = Files.walk(kernel.modules())) {
            for (Path file : files.toList()) {
                String relative = modulesRoot.relativize(file).toString();
                if (Files.isDirectory(file)) {
                    kernelTree.dir(relative);
                } else if (MODULES.contains(file.getFileName().toString().replace(".ko", ""))) {
                    kernelTree.file(relative, file, 0644);
                }
            }
        }
        OciImageBuilder.image().layer(kernelTree, Compression.GZIP)
                .writeTo(tmp.resolve("kernel-layout"), "kernel")
                .push(registry.host() + "/library/kernel:micro");
        network = TestNetwork.open(new InMemoryStore());
        daemon = startDaemon();
    }

    static DaemonProcess startDaemon() {
        return E2eDaemons.start(tmp.resolve("data"), false, "--bridge", network.options().bridgeName(),
                "--subnet", network.subnet().toString(), "--accelerator", "tcg",
                "--default-kernel", registry.host() + "/library/kernel:micro");
    }

    @AfterAll
    static void stop() {
        try {
            if (daemon != null) {
                try {
                    INSTANCES.deleteAll(Duration.ofSeconds(120)); // a failed test must not leave QEMU running on the host
                } finally {
                    daemon.close();
                }
            }
        } finally {
            if (registry != null) {
                registry.close();
            }
            if (network != null) {
                network.close();
            }
        }
    }

    private static CreateInstanceRequest microVm(String name, String... command) {
        return CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_MICROVM)
                .setSpec(InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(128L << 20)
                        .addAllCommand(List.of(command)).putEnv("GREETING", "hello"))
                .build();
    }

    @Test
    void aMicroVmRunsItsShellAnswersOnItsAddressOutlivesADaemonKillAndEndsWithItsExitCode() throws Exception {
        Instance created = daemon.blocking().createInstance(microVm("e2e-micro"));
        assertThat(created.getState()).isEqualTo(InstanceState.INSTANCE_STATE_CREATING);
        String id = created.getId();
        Instance running = INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        assertThat(running.getSpec().getKernel()).isEqualTo(registry.host() + "/library/kernel:micro");

        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = viewer.attach(daemon, id);
        viewer.awaitText("/ # ", BOOT); // typed earlier, a line would answer the shell's cursor query
        ConsoleViewer.type(input, "echo micro-$((6*7)) $GREETING $(hostname)");
        viewer.awaitText("micro-42 hello e2e-micro", BOOT);
        HostCommand.run(null, List.of("ping", "-c", "1", "-W", "20", running.getIpAddress()));
        InstanceStats stats = daemon.blocking().getInstanceStats(
                GetInstanceStatsRequest.newBuilder().setInstanceId(id).build());
        assertThat(stats.getDiskReadBytes()).as("the guest read its root disk").isPositive();
        assertThat(stats.getNetworkRxBytes() + stats.getNetworkTxBytes()).isPositive();
        assertThat(stats.getMemoryUsageBytes()).isPositive();
        long pid = qemuPid(id);
        input.onCompleted();

        // The daemon dies without a word; the microVM runs on and the next daemon re-attaches.
        daemon.kill9();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
        daemon = startDaemon();
        assertThat(INSTANCES.get(id).getState()).isEqualTo(InstanceState.INSTANCE_STATE_RUNNING);
        ConsoleViewer after = new ConsoleViewer();
        StreamObserver<ConsoleInput> again = after.attach(daemon, id);
        ConsoleViewer.type(again, "echo again-$((2+3))");
        after.awaitText("again-5", Duration.ofSeconds(30));
        assertThat(after.text()).as("the scrollback survived").contains("micro-42");

        // A forced restart boots it anew (a microVM does not reset in place).
        daemon.blocking().restartInstance(RestartInstanceRequest.newBuilder().setInstanceId(id).setForce(true).build());
        await().atMost(BOOT).until(() -> qemuPid(id) != pid && INSTANCES.get(id).getState() == InstanceState.INSTANCE_STATE_RUNNING);
        again.onCompleted();
        ConsoleViewer third = new ConsoleViewer();
        StreamObserver<ConsoleInput> last = third.attach(daemon, id);
        await().atMost(BOOT).until(() -> third.text().split("built-in shell", -1).length > 2); // the second boot's shell
        ConsoleViewer.type(last, "echo third-$((1+1))");
        third.awaitText("third-2", BOOT);

        // The workload's exit is the microVM's: it powers off and reports the code.
        ConsoleViewer.type(last, "exit 5");
        Instance exited = INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_ERROR);
        assertThat(exited.getErrorMessage()).isEqualTo("exited with code 5");
        last.onCompleted();
        INSTANCES.delete(id);
        assertThat(tmp.resolve("data/microvms").resolve(id)).doesNotExist();
    }

    @Test
    void aStopEndsAWorkloadThatHonoursSigtermAndACleanExitIsStopped() {
        String id = daemon.blocking().createInstance(microVm("e2e-term", "sh", "-c",
                "trap 'echo got-term; exit 0' TERM; echo workload-up; while true; do sleep 0.2; done")).getId();
        INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = viewer.attach(daemon, id);
        viewer.awaitText("workload-up", BOOT); // the trap is set: "up" alone matches boot messages
        daemon.blocking().stopInstance(StopInstanceRequest.newBuilder().setInstanceId(id).setTimeoutSeconds(60).build());
        INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_STOPPED);
        viewer.awaitText("got-term", Duration.ofSeconds(5));
        input.onCompleted();

        String done = daemon.blocking().createInstance(microVm("e2e-done", "sh", "-c", "echo done")).getId();
        assertThat(INSTANCES.awaitState(done, InstanceState.INSTANCE_STATE_STOPPED).getErrorMessage()).isEmpty();
        INSTANCES.delete(id);
        INSTANCES.delete(done);
    }

    private static long qemuPid(String id) throws IOException {
        return Long.parseLong(Files.readString(tmp.resolve("data/microvms").resolve(id).resolve("run")).strip());
    }
}
