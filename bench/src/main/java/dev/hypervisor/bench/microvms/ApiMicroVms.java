package dev.hypervisor.bench.microvms;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.bench.TimedInstances;
import dev.hypervisor.testkit.DaemonProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * MicroVMs through the daemon's API (network "none", 1 vCPU), with one WatchInstance stream
 * opened before the first create that stamps RUNNING and DELETED events on arrival; and where
 * the daemon keeps each microVM's files ({@code <data>/microvms/<id>}: console log, QEMU pid).
 */
final class ApiMicroVms {

    /** What the workload prints first, on the serial console; the boot figure times to it. */
    static final String MARKER = "first-line";
    /** A workload that prints the marker and then sleeps (busybox sleep, as the container benchmark's). */
    static final List<String> WORKLOAD = List.of("sh", "-c", "echo " + MARKER + "; exec sleep 100000");

    private final Path root;
    private final TimedInstances events;

    /** {@code root}: the daemon's microVM root, {@code <data dir>/microvms}. */
    ApiMicroVms(DaemonProcess daemon, Path root) throws InterruptedException {
        this.root = root;
        this.events = new TimedInstances(daemon, InstanceType.INSTANCE_TYPE_MICROVM, 1);
    }

    /**
     * Sends CreateInstance for a microVM of {@code image} running {@link #WORKLOAD}; with
     * {@code bootDiskBytes} > 0 its root disk has that size (the driver caches one ext4 image
     * per image digest and size). Returns its id.
     */
    String create(String name, String image, long memoryBytes, long bootDiskBytes) {
        return create(name, image, memoryBytes, bootDiskBytes, "");
    }

    /** As above, booting {@code kernel} (a bzImage on the node) rather than the daemon's default kernel when not empty. */
    String create(String name, String image, long memoryBytes, long bootDiskBytes, String kernel) {
        InstanceSpec.Builder spec = InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(memoryBytes)
                .setNetwork(NetworkSpec.newBuilder().setNetworkId("none")).addAllCommand(WORKLOAD);
        if (bootDiskBytes > 0) {
            spec.addDisks(DiskSpec.newBuilder().setName("root").setSizeBytes(bootDiskBytes).setType("ssd").setBoot(true));
        }
        if (!kernel.isEmpty()) {
            spec.setKernel(kernel);
        }
        return events.create(CreateInstanceRequest.newBuilder().setName(name)
                .setType(InstanceType.INSTANCE_TYPE_MICROVM).setSpec(spec).build());
    }

    /** The nanoTime at which the RUNNING event of {@code id} arrived; throws if it failed or did not come in time. */
    long awaitRunning(String id, Duration timeout) {
        return events.awaitRunning(id, timeout);
    }

    /** Why the microVM will never run its workload (it went ERROR or STOPPED, or was deleted); empty while it may. */
    String failure(String id) {
        return events.failure(id);
    }

    /** The microVM's files: console.log, qemu.args, qemu.pid, its disks. */
    Path dir(String id) {
        return root.resolve(id);
    }

    Path consoleLog(String id) {
        return dir(id).resolve("console.log");
    }

    long qemuPid(String id) throws IOException {
        return Long.parseLong(Files.readString(dir(id).resolve("qemu.pid")).strip());
    }

    /** Deletes the microVMs (force) and waits until each is gone. */
    void deleteAll(List<String> ids, Duration timeout) {
        events.deleteAll(ids, timeout);
    }

    /** MicroVMs created through this client and not yet seen deleted. */
    List<String> live() {
        return events.live();
    }

}
