package dev.hypervisor.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hypervisor.api.v1.ConsoleInput;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.GetInstanceStatsRequest;
import dev.hypervisor.api.v1.Instance;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceState;
import dev.hypervisor.api.v1.InstanceStats;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.Metadata;
import dev.hypervisor.api.v1.RestartInstanceRequest;
import dev.hypervisor.api.v1.StopInstanceRequest;
import dev.hypervisor.core.store.InMemoryStore;
import dev.hypervisor.host.InstanceCgroups;
import dev.hypervisor.host.SystemUser;
import dev.hypervisor.network.testing.TestNetwork;
import dev.hypervisor.qemu.Machine;
import dev.hypervisor.qemu.QemuSandbox;
import dev.hypervisor.testkit.DaemonProcess;
import dev.hypervisor.testkit.Instances;
import dev.hypervisor.testkit.guest.GuestDisk;
import dev.hypervisor.testkit.guest.GuestInitramfs;
import dev.hypervisor.testkit.guest.GuestKernel;
import dev.hypervisor.vm.Q35Machine;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM through the API of a real hypervisord process: its disk image is a qcow2 file served
 * over HTTP on loopback and pulled by the images code, QEMU runs under TCG booting Debian's
 * cloud kernel with a busybox initramfs (direct kernel boot), on a bridge of the test's own.
 */
class VmsE2ETest {

    private static final String MARKER = "disk-from-http-" + Long.toString(System.nanoTime(), 36);
    private static final Duration BOOT = Duration.ofSeconds(90);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // a failure leaves the daemon's log behind
    static Path tmp;
    static GuestDisk.Served http;
    static GuestKernel kernel;
    static Path initramfs;
    static TestNetwork network;
    static DaemonProcess daemon;
    static final Instances INSTANCES = new Instances(() -> daemon.channel(), BOOT);

    @BeforeAll
    static void start() throws IOException {
        kernel = GuestKernel.get();
        initramfs = tmp.resolve("initramfs.gz");
        GuestInitramfs.write(kernel, initramfs);
        Path www = Files.createDirectories(tmp.resolve("www"));
        http = GuestDisk.serve(GuestDisk.write(www.resolve("disk.qcow2"), MARKER));
        network = TestNetwork.open(new InMemoryStore());
        daemon = startDaemon();
    }

    static DaemonProcess startDaemon() {
        return E2eDaemons.start(tmp.resolve("data"), false, "--bridge", network.options().bridgeName(),
                "--subnet", network.subnet().toString(), "--accelerator", "tcg", "--allow-local-image-urls",
                "--kernel-dir", kernel.vmlinuz().getParent().toString(), "--kernel-dir", initramfs.getParent().toString());
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
            if (http != null) {
                http.close();
            }
            if (network != null) {
                network.close();
            }
        }
    }

    @Test
    void aVmFromADiskUrlBootsResetsOutlivesADaemonKillAndStopsOnThePowerButton() throws Exception {
        String image = http.url();
        Instance created = daemon.blocking().createInstance(CreateInstanceRequest.newBuilder().setName("e2e-vm")
                .setType(InstanceType.INSTANCE_TYPE_VM)
                .setSpec(InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(256L << 20)
                        .addDisks(DiskSpec.newBuilder().setName("root").setSizeBytes(64L << 20).setType("ssd").setBoot(true))
                        .setKernel(kernel.vmlinuz().toString()))
                .setMetadata(Metadata.newBuilder()
                        .putAnnotations(Q35Machine.INITRD_ANNOTATION, initramfs.toString())
                        .putAnnotations(Machine.CMDLINE_ANNOTATION, "console=ttyS0 panic=-1 quiet"))
                .build());
        assertThat(created.getState()).isEqualTo(InstanceState.INSTANCE_STATE_CREATING);
        String id = created.getId();
        assertThat(INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING).getIpAddress()).isNotEmpty();

        // The pulled image is the guest's boot disk; the guest reads and writes it.
        ConsoleViewer viewer = new ConsoleViewer();
        StreamObserver<ConsoleInput> input = viewer.attach(daemon, id);
        viewer.awaitText(GuestInitramfs.READY, BOOT);
        ConsoleViewer.type(input, "mkdir -p /mnt && mount /dev/sda /mnt && cat /mnt/" + GuestDisk.MARKER_FILE
                + " && dd if=/dev/zero of=/mnt/fill bs=64k count=16 conv=fsync 2>/dev/null && echo written-$((6*7))");
        viewer.awaitText("written-42", Duration.ofSeconds(30));
        assertThat(viewer.text()).contains(MARKER);
        InstanceStats stats = daemon.blocking().getInstanceStats(
                GetInstanceStatsRequest.newBuilder().setInstanceId(id).build());
        assertThat(stats.getDiskReadBytes()).as("the guest read its disk").isPositive();
        assertThat(stats.getDiskWriteBytes()).as("the guest wrote 1 MiB").isGreaterThanOrEqualTo(1L << 20);
        assertThat(stats.getMemoryUsageBytes()).isPositive();
        long pid = qemuPid(id);
        assertThat(InstanceCgroups.detect().contains(id, pid)).as("QEMU runs in its cgroup").isTrue();

        // A forced restart resets the guest: it boots again in the same QEMU.
        daemon.blocking().restartInstance(RestartInstanceRequest.newBuilder().setInstanceId(id).setForce(true).build());
        await().atMost(BOOT).until(() -> ConsoleViewer.occurrences(viewer.text(), GuestInitramfs.READY) == 2);
        INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_RUNNING);
        assertThat(qemuPid(id)).isEqualTo(pid);
        input.onCompleted();

        // The daemon dies without a word; the VM runs on and the next daemon re-attaches.
        daemon.kill9();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
        daemon = startDaemon();
        assertThat(INSTANCES.get(id).getState()).isEqualTo(InstanceState.INSTANCE_STATE_RUNNING);
        ConsoleViewer after = new ConsoleViewer();
        StreamObserver<ConsoleInput> again = after.attach(daemon, id);
        ConsoleViewer.type(again, "echo again-$((2+3))");
        after.awaitText("again-5", Duration.ofSeconds(30));
        assertThat(after.text()).as("the scrollback survived").contains(MARKER);
        assertThat(qemuPid(id)).isEqualTo(pid);
        int uid = SystemUser.lookup(QemuSandbox.USER).orElseThrow().uid(); // the daemon made the user on demand
        assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
                .as("QEMU is sandboxed").contains("Seccomp:\t2", "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid);

        // Stop presses the power button, which this guest's init honours.
        daemon.blocking().stopInstance(StopInstanceRequest.newBuilder().setInstanceId(id).setTimeoutSeconds(60).build());
        long stopping = System.nanoTime();
        INSTANCES.awaitState(id, InstanceState.INSTANCE_STATE_STOPPED);
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(Duration.ofSeconds(30));
        assertThat(after.text()).contains("POWER-BUTTON");
        await().atMost(Duration.ofSeconds(10)) // gone, once whoever inherited the detached QEMU has reaped it
                .until(() -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        again.onCompleted();

        INSTANCES.delete(id);
        assertThat(tmp.resolve("data/vms").resolve(id)).doesNotExist();
        assertThat(InstanceCgroups.detect().dirs(id)).allSatisfy(dir -> assertThat(dir).doesNotExist());
    }

    private static long qemuPid(String id) throws IOException {
        return Long.parseLong(Files.readString(tmp.resolve("data/vms").resolve(id).resolve("run")).strip());
    }
}
