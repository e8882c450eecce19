package dev.hypervisor.qemu;

import dev.hypervisor.host.Executables;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How this node runs VMs.
 *
 * @param root where VMs keep their disks, sockets, logs and seed; one directory per instance id
 * @param qemu the {@code qemu-system-x86_64} binary
 * @param qemuImg the {@code qemu-img} binary
 * @param genisoimage the {@code genisoimage} binary that writes cloud-init seeds
 * @param mkfs the {@code mkfs.ext4} binary that writes microVM root filesystems
 * @param accelerator KVM, TCG, or AUTO: KVM when a probe boots a kernel under it
 * @param verdictFile where AUTO caches the probe's verdict; one per node (VMs and microVMs share it)
 * @param probeKernel the kernel AUTO boots to probe KVM; empty: the host's own under {@code /boot}
 * @param probeTimeout how long the KVM probe may take to show the kernel booting
 * @param kernelDirs the directories whose files instances may boot by host path (kernels, initrds)
 */
public record VmOptions(Path root, Path qemu, Path qemuImg, Path genisoimage, Path mkfs, Accelerator accelerator,
        Path verdictFile, Optional<Path> probeKernel, Duration probeTimeout, List<Path> kernelDirs) {

    public VmOptions {
        kernelDirs = List.copyOf(kernelDirs);
    }

    /** What executes a VM's CPUs. */
    public enum Accelerator { AUTO, KVM, TCG }

    public static VmOptions defaults(Path root) {
        return new VmOptions(root, Executables.findOr("qemu-system-x86_64", Path.of("/usr/bin/qemu-system-x86_64")),
                Executables.findOr("qemu-img", Path.of("/usr/bin/qemu-img")),
                Executables.findOr("genisoimage", Path.of("/usr/bin/genisoimage")),
                Executables.findOr("mkfs.ext4", Path.of("/sbin/mkfs.ext4")),
                Accelerator.AUTO, root.resolve(KvmProbe.CACHE_FILE), Optional.empty(), Duration.ofSeconds(10), List.of());
    }

    public VmOptions withAccelerator(Accelerator newAccelerator) {
        return new VmOptions(root, qemu, qemuImg, genisoimage, mkfs, newAccelerator, verdictFile, probeKernel, probeTimeout,
                kernelDirs);
    }

    /**
     * The same, keeping instances (and caches) under {@code newRoot}: microVMs live beside VMs,
     * not among them. The KVM verdict stays where it was: one probe per node.
     */
    public VmOptions withRoot(Path newRoot) {
        return new VmOptions(newRoot, qemu, qemuImg, genisoimage, mkfs, accelerator, verdictFile, probeKernel,
                probeTimeout, kernelDirs);
    }

    public VmOptions withProbeKernel(Path kernel, Duration timeout) {
        return new VmOptions(root, qemu, qemuImg, genisoimage, mkfs, accelerator, verdictFile, Optional.of(kernel), timeout,
                kernelDirs);
    }

    /** Instances may boot files in these directories by host path (spec.kernel, the initrd annotation); none by default. */
    public VmOptions withKernelDirs(List<Path> dirs) {
        return new VmOptions(root, qemu, qemuImg, genisoimage, mkfs, accelerator, verdictFile, probeKernel, probeTimeout,
                dirs);
    }
}
