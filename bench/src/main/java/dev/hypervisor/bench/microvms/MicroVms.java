package dev.hypervisor.bench.microvms;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.bench.TimedInstances;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * MicroVMs through the daemon's API (network "none", 1 vCPU), timed by {@link TimedInstances};
 * and where the daemon keeps each microVM's files ({@code <data>/microvms/<id>}: console log,
 * QEMU pid, disks).
 */
record MicroVms(TimedInstances timed, Path root) {

    /** What the workload prints first, on the serial console; the boot figure times to it. */
    static final String MARKER = "first-line";
    /** A workload that prints the marker and then sleeps (busybox sleep, as the container benchmark's). */
    static final List<String> WORKLOAD = List.of("sh", "-c", "echo " + MARKER + "; exec sleep 100000");

    /**
     * Sends CreateInstance for a microVM of {@code image} running {@link #WORKLOAD}; with
     * {@code bootDiskBytes} > 0 its root disk has that size (the driver caches one ext4 image per
     * image digest and size); booting {@code kernel} (a bzImage on the node) when not empty,
     * else the daemon's default kernel. Returns its id.
     */
    String create(String name, String image, long memoryBytes, long bootDiskBytes, String kernel) {
        InstanceSpec.Builder spec = InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(memoryBytes)
                .setNetwork(NetworkSpec.newBuilder().setNetworkId("none")).addAllCommand(WORKLOAD).setKernel(kernel);
        if (bootDiskBytes > 0) {
            spec.addDisks(DiskSpec.newBuilder().setName("root").setSizeBytes(bootDiskBytes).setType("ssd").setBoot(true));
        }
        return timed.create(CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_MICROVM)
                .setSpec(spec).build());
    }

    /** Deletes one (untimed) and waits until it is gone. */
    void delete(String id, Duration timeout) {
        timed.deleteAll(List.of(id), timeout);
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
}
