package dev.hypervisor.bench.microvms;

import dev.hypervisor.api.v1.CreateInstanceRequest;
import dev.hypervisor.api.v1.DiskSpec;
import dev.hypervisor.api.v1.InstanceSpec;
import dev.hypervisor.api.v1.InstanceType;
import dev.hypervisor.api.v1.NetworkSpec;
import dev.hypervisor.bench.TimedInstances;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;

/** MicroVMs through the daemon's API (network "none", 1 vCPU), timed by {@link TimedInstances}, and their files. */
record MicroVms(TimedInstances timed, Path root) {

    /** What the workload prints first, on the serial console; the boot figure times to it. */
    static final String MARKER = "first-line";
    /** A workload that prints the marker and then sleeps (busybox sleep, as the container benchmark's). */
    static final List<String> WORKLOAD = List.of("sh", "-c", "echo " + MARKER + "; exec sleep 100000");

    /** Creates a microVM of {@code image} running {@link #WORKLOAD}, booting {@code kernel} unless it is empty. */
    String create(String name, String image, long memoryBytes, long bootDiskBytes, String kernel) {
        InstanceSpec.Builder spec = InstanceSpec.newBuilder().setImage(image).setCpuCores(1).setMemoryBytes(memoryBytes)
                .setNetwork(NetworkSpec.newBuilder().setNetworkId("none")).addAllCommand(WORKLOAD).setKernel(kernel);
        if (bootDiskBytes > 0) {
            spec.addDisks(DiskSpec.newBuilder().setName("root").setSizeBytes(bootDiskBytes).setType("ssd").setBoot(true));
        }
        return timed.create(CreateInstanceRequest.newBuilder().setName(name).setType(InstanceType.INSTANCE_TYPE_MICROVM)
                .setSpec(spec).build());
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

    /**
     * Follows a serial console's {@code log} as {@code tail -f} (both sides of a boot are timed by it): the nanoTime
     * {@link #MARKER} first shows, or -1 if not before {@code deadline} (nanoTime) or once {@code gaveUp}.
     */
    static long awaitMarker(Path log, long deadline, BooleanSupplier gaveUp) throws IOException, InterruptedException {
        StringBuilder tail = new StringBuilder();
        long offset = 0;
        while (System.nanoTime() - deadline < 0) {
            if (Files.exists(log)) {
                try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
                    long length = file.length();
                    if (length > offset) {
                        byte[] chunk = new byte[(int) Math.min(length - offset, 1 << 20)];
                        file.seek(offset);
                        file.readFully(chunk);
                        offset += chunk.length;
                        tail.append(new String(chunk, StandardCharsets.ISO_8859_1));
                        if (tail.indexOf(MARKER) >= 0) {
                            return System.nanoTime();
                        }
                        // Keep only what could begin the marker across the next read.
                        tail.delete(0, Math.max(0, tail.length() - MARKER.length()));
                    }
                }
            }
            if (gaveUp.getAsBoolean()) {
                return -1;
            }
            Thread.sleep(5);
        }
        return -1;
    }
}
