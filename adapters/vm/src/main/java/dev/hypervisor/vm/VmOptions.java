package dev.hypervisor.vm;

import dev.hypervisor.host.Executables;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How this node runs VMs.
 *
 * @param root where VMs keep their disks, sockets, logs and seed; one directory per instance id
 * @param qemu the {@code qemu-system-x86_64} binary
 * @param qemuImg the {@code qemu-img} binary
 * @param genisoimage the {@code genisoimage} binary that writes cloud-init seeds
 * @param accelerator KVM, TCG, or AUTO: KVM when a probe boots a kernel under it (cached under the root)
 * @param probeKernel the kernel AUTO boots to probe KVM; empty: the host's own under {@code /boot}
 * @param probeTimeout how long the KVM probe may take to show the kernel booting
 */
public record VmOptions(Path root, Path qemu, Path qemuImg, Path genisoimage, Accelerator accelerator,
        Optional<Path> probeKernel, Duration probeTimeout) {

    /** What executes a VM's CPUs. */
    public enum Accelerator { AUTO, KVM, TCG }

    public static VmOptions defaults(Path root) {
        return new VmOptions(root, Executables.findOr("qemu-system-x86_64", Path.of("/usr/bin/qemu-system-x86_64")),
                Executables.findOr("qemu-img", Path.of("/usr/bin/qemu-img")),
                Executables.findOr("genisoimage", Path.of("/usr/bin/genisoimage")),
                Accelerator.AUTO, Optional.empty(), Duration.ofSeconds(10));
    }

    public VmOptions withAccelerator(Accelerator newAccelerator) {
        return new VmOptions(root, qemu, qemuImg, genisoimage, newAccelerator, probeKernel, probeTimeout);
    }

    public VmOptions withProbeKernel(Path kernel, Duration timeout) {
        return new VmOptions(root, qemu, qemuImg, genisoimage, accelerator, Optional.of(kernel), timeout);
    }
}
