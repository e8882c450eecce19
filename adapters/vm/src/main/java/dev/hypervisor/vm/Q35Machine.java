package dev.hypervisor.vm;

import dev.hypervisor.core.image.DiskImages;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.image.PullListener;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.network.TapAttachment;
import dev.hypervisor.qemu.KernelPaths;
import dev.hypervisor.qemu.Machine;
import dev.hypervisor.qemu.QemuCommand;
import dev.hypervisor.qemu.VmDirs;
import dev.hypervisor.qemu.VmDisks;
import dev.hypervisor.qemu.VmOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code INSTANCE_TYPE_VM}: a q35 guest booting a disk image (a qcow2 overlay on the image's
 * base disk), with a cloud-init seed, or a kernel given in the spec.
 *
 * <p>Per-instance inputs beyond the spec: {@code spec.kernel} is a kernel file on this node for
 * direct kernel boot, with the annotations {@value #INITRD_ANNOTATION} (an initrd file)
 * and {@value Machine#CMDLINE_ANNOTATION} (the command line, default
 * {@value #DEFAULT_CMDLINE}); {@value CloudInitSeed#USER_DATA_ANNOTATION} is the
 * cloud-init user-data.
 */
public final class Q35Machine implements Machine {

    /** The initrd of a kernel booted directly: a file in the node's kernel directories. */
    public static final String INITRD_ANNOTATION = "hypervisor.dev/initrd";
    static final String DEFAULT_CMDLINE = "console=ttyS0";


    private final VmOptions options;
    private final ImageStore images;
    private final DiskImages diskImages;
    private final Networks networks;
    private final VmDisks disks;
    private final KernelPaths kernelPaths;

    Q35Machine(VmOptions options, ImageStore images, DiskImages diskImages, Networks networks) {
        this.options = options;
        this.images = images;
        this.diskImages = diskImages;
        this.networks = networks;
        this.disks = new VmDisks(options.qemuImg());
        this.kernelPaths = new KernelPaths(options.kernelDirs());
    }

    @Override
    public InstanceType type() {
        return InstanceType.VM;
    }

    @Override
    public String noun() {
        return "VM";
    }

    @Override
    public Prepared prepare(Instance instance, VmDirs dirs) throws IOException {
        ImageInfo image = images.acquire(instance.spec().image(), instance.id(), PullListener.NONE)
                .require(ImageInfo.Kind.DISK, instance.spec().image(), "a VM needs a disk image");
        List<QemuCommand.Disk> files = disks.ensure(dirs, instance.spec().disks(),
                diskImages.baseDisk(image.digest()), diskImages.format(image.digest()));
        TapAttachment network = networks.attachTap(instance);
        String mac = QemuCommand.macOf(instance.id());
        Map<String, String> annotations = instance.metadata().annotations();
        CloudInitSeed.write(options.genisoimage(), dirs, instance.id(), instance.name(),
                annotations.getOrDefault(CloudInitSeed.USER_DATA_ANNOTATION, ""), network.network(), mac);
        QemuCommand command = new QemuCommand(instance.name(), instance.spec().cpuCores(),
                instance.spec().memoryBytes(), files, Optional.of(dirs.seedIso()),
                network.hasTap() ? Optional.of(network.tapName()) : Optional.empty(), mac, kernel(instance));
        return new Prepared(command.arguments(options.qemu(), dirs), network.network().ipAddress());
    }

    private Optional<QemuCommand.Kernel> kernel(Instance instance) {
        String kernel = instance.spec().kernel();
        if (kernel == null || kernel.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> annotations = instance.metadata().annotations();
        Optional<Path> initrd = Optional.ofNullable(annotations.get(INITRD_ANNOTATION))
                .filter(s -> !s.isEmpty()).map(s -> kernelPaths.resolve("the " + INITRD_ANNOTATION + " annotation", s));
        return Optional.of(new QemuCommand.Kernel(kernelPaths.resolve("spec.kernel", kernel), initrd,
                annotations.getOrDefault(CMDLINE_ANNOTATION, DEFAULT_CMDLINE)));
    }

    @Override
    public void release(Instance instance) {
        networks.detach(instance);
        images.release(instance.id());
    }
}
