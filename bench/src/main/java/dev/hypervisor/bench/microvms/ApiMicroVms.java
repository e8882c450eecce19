package dev.hypervisor.bench.microvms;

import dev.hypervisor.api.v1.ComputeServiceGrpc;
import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DeleteInstanceRequest;
import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.bench.DaemonUnderTest;
import dev.hypervisor.bench.InstanceEvents;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

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

    private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);

    private final ComputeServiceGrpc.ComputeServiceBlockingStub stub;
    private final Path root;
    private final InstanceEvents events;
    private final Set<String> live = ConcurrentHashMap.newKeySet();

    /** {@code root}: the daemon's microVM root, {@code <data dir>/microvms}. */
    ApiMicroVms(DaemonUnderTest daemon, Path root) throws InterruptedException {
        this.stub = ComputeServiceGrpc.newBlockingStub(daemon.channel());
        this.root = root;
        this.events = new InstanceEvents(daemon, InstanceType.INSTANCE_TYPE_MICROVM);
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
        String id = stub.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .createInstance(CreateInstanceRequest.newBuilder().setName(name)
                        .setType(InstanceType.INSTANCE_TYPE_MICROVM).setSpec(spec).build())
                .getId();
        live.add(id);
        return id;
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

    /** Deletes the microVMs (force) and waits for every DELETED event. */
    void deleteAll(List<String> ids, Duration timeout) {
        for (String id : ids) {
            stub.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .deleteInstance(DeleteInstanceRequest.newBuilder().setInstanceId(id).setForce(true).build());
        }
        events.awaitAllDeleted(ids, timeout);
        live.removeAll(ids);
    }

    /** MicroVMs created through this client and not yet seen deleted. */
    List<String> live() {
        return List.copyOf(live);
    }

}
