package dev.hypervisor.microvm;

import dev.hypervisor.qemu.QemuProcesses;
import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.image.ImageInfo;
import dev.hypervisor.core.image.ImageStore;
import dev.hypervisor.core.image.ProcessSpec;
import dev.hypervisor.core.image.PullListener;
import dev.hypervisor.core.image.RootFilesystems;
import dev.hypervisor.core.instance.DiskSpec;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.network.NetworkAttachment;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.core.network.TapAttachment;
import dev.hypervisor.host.FileTrees;
import dev.hypervisor.qemu.KernelFiles;
import dev.hypervisor.qemu.KernelPaths;
import dev.hypervisor.qemu.Machine;
import dev.hypervisor.qemu.QemuCommand;
import dev.hypervisor.qemu.VmDirs;
import dev.hypervisor.qemu.VmDisks;
import dev.hypervisor.qemu.VmOptions;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code INSTANCE_TYPE_MICROVM}: a container image booted as a QEMU microvm, Firecracker
 * style. The image becomes an ext4 root disk ({@link RootfsImages}, once per image and size),
 * booted through a qcow2 overlay of its own; the kernel boots directly with our initramfs
 * ({@link MicroVmInitramfs}), whose init runs the image's process ({@link ProcessSpec}, as for
 * a container) and reports its exit status on the config disk ({@link MicroVmConfig}).
 *
 * <p>{@code spec.kernel} is a bzImage on this node, or a reference to an image in the image
 * store holding {@code /boot/vmlinuz-RELEASE} (or {@code /boot/vmlinuz}, {@code /vmlinuz}) and
 * its modules under {@code /lib/modules/RELEASE}. The annotation
 * {@value Machine#CMDLINE_ANNOTATION} adds to the kernel command line.
 */
public final class MicroVmMachine implements Machine {

    /** The image users a microVM's kernel image is acquired under: the instance id and this. */
    static final String KERNEL_USER_SUFFIX = "/kernel";

    private final VmOptions options;
    private final ImageStore images;
    private final RootFilesystems rootFilesystems;
    private final Networks networks;
    private final VmDisks disks;
    private final RootfsImages rootfs;
    private final MicroVmInitramfs initramfs;
    private final Path kernels;
    private final KernelPaths kernelPaths;

    MicroVmMachine(VmOptions options, ImageStore images, RootFilesystems rootFilesystems, Networks networks) {
        this.options = options;
        this.images = images;
        this.rootFilesystems = rootFilesystems;
        this.networks = networks;
        this.disks = new VmDisks(options.qemuImg());
        Path cache = options.root().resolve("_cache");
        this.rootfs = new RootfsImages(cache.resolve("rootfs"), rootFilesystems, options.mkfs());
        this.initramfs = new MicroVmInitramfs(cache.resolve("initramfs"));
        this.kernels = cache.resolve("kernels");
        this.kernelPaths = new KernelPaths(options.kernelDirs());
    }

    @Override
    public InstanceType type() {
        return InstanceType.MICROVM;
    }

    @Override
    public String noun() {
        return "microVM";
    }

    @Override
    public Prepared prepare(Instance instance, VmDirs dirs) throws IOException {
        ImageInfo image = images.acquire(instance.spec().image(), instance.id(), PullListener.NONE)
                .require(ImageInfo.Kind.CONTAINER, instance.spec().image(), "a microVM boots a container image");
        ProcessSpec process = ProcessSpec.of(rootFilesystems.config(image.digest()), instance.spec(), instance.name());
        KernelFiles kernel = kernel(instance);
        Path initrd = initramfs.forKernel(kernel);
        List<DiskSpec> specs = instance.spec().disks();
        long bootSize = specs.stream().filter(DiskSpec::boot).mapToLong(DiskSpec::sizeBytes).findFirst().orElse(0);
        Path base = rootfs.image(image.digest(), bootSize);
        List<QemuCommand.Disk> files = disks.ensure(dirs, specs, base, "raw");
        List<MicroVmCommand.NamedDisk> others = new ArrayList<>();
        List<DiskSpec> named = specs.stream().filter(d -> !d.boot()).toList();
        for (int i = 0; i < named.size(); i++) {
            QemuCommand.Disk file = files.get(i + 1);
            others.add(new MicroVmCommand.NamedDisk(named.get(i).name(), file.file(), file.ssd()));
        }
        TapAttachment network = networks.attachTap(instance);
        MicroVmConfig.write(dirs.configDisk(), process, instance.name(), network.network());
        String commandLine = commandLine(instance, network.network());
        MicroVmCommand command = new MicroVmCommand(instance.name(), instance.spec().cpuCores(),
                instance.spec().memoryBytes(), dirs.bootDisk(), dirs.configDisk(), others,
                network.hasTap() ? Optional.of(network.tapName()) : Optional.empty(),
                QemuCommand.macOf(instance.id()), new QemuCommand.Kernel(kernel.kernel(), Optional.of(initrd),
                        commandLine));
        return new Prepared(command.arguments(options.qemu(), dirs), network.network().ipAddress());
    }

    /** The serial console, the root disk, quiet, a panic ends the microVM, and the address in the kernel's ip= syntax. */
    static String commandLine(Instance instance, NetworkAttachment network) {
        StringBuilder line = new StringBuilder("console=ttyS0 root=/dev/vda rw quiet panic=-1 pci=off");
        if (network.hasAddress()) {
            line.append(" ip=").append(network.ipAddress()).append("::").append(network.gateway()).append(':')
                    .append(netmask(network.prefixLength())).append(':').append(instance.name()).append(":eth0:off");
        }
        String extra = instance.metadata().annotations().getOrDefault(CMDLINE_ANNOTATION, "").strip();
        if (!extra.isEmpty()) {
            line.append(' ').append(extra);
        }
        return line.toString();
    }

    static String netmask(int prefixLength) {
        long mask = prefixLength == 0 ? 0 : (0xffffffffL << (32 - prefixLength)) & 0xffffffffL;
        return (mask >> 24) + "." + ((mask >> 16) & 0xff) + "." + ((mask >> 8) & 0xff) + "." + (mask & 0xff);
    }

    private KernelFiles kernel(Instance instance) throws IOException {
        String kernel = instance.spec().kernel();
        if (kernel.isEmpty()) {
            throw new IllegalArgumentException("a microVM needs spec.kernel (or a default kernel on the node)");
        }
        if (kernel.startsWith("/")) {
            return KernelFiles.of(kernelPaths.resolve("spec.kernel", kernel));
        }
        ImageInfo image;
        try {
            image = images.acquire(kernel, instance.id() + KERNEL_USER_SUFFIX, PullListener.NONE);
        } catch (DomainException e) { // the instance's error, as for its own image (Step.acquireImage)
            throw new DriverException("spec.kernel " + kernel + ": " + e.getMessage(), e);
        }
        if (image.kind() != ImageInfo.Kind.CONTAINER) {
            throw new IllegalArgumentException("spec.kernel " + kernel + " is a disk image, not an image holding a kernel");
        }
        return KernelFiles.of(unpackedKernel(image.digest(), kernel));
    }

    /** The kernel and modules of a kernel image, copied out of it once into the cache. */
    private synchronized Path unpackedKernel(String digest, String reference) throws IOException {
        Path dir = kernels.resolve(digest.substring(digest.indexOf(':') + 1));
        Optional<Path> cached = findKernel(dir);
        if (cached.isPresent()) {
            return cached.get();
        }
        String snapshot = "microvm-kernel-" + dir.getFileName();
        Path temp = dir.resolveSibling(dir.getFileName() + ".tmp");
        try {
            Path tree = rootFilesystems.create(snapshot, digest);
            Path found = findKernel(tree).orElseThrow(() -> new IllegalArgumentException("spec.kernel " + reference
                    + " holds no /boot/vmlinuz-*, /boot/vmlinuz or /vmlinuz"));
            FileTrees.delete(temp);
            String release = KernelFiles.release(found);
            Files.createDirectories(temp.resolve("boot"));
            Files.copy(found, temp.resolve("boot/vmlinuz-" + release));
            Path modules = tree.resolve("lib/modules").resolve(release);
            if (Files.isDirectory(modules, LinkOption.NOFOLLOW_LINKS)) {
                copyTree(modules, temp.resolve("lib/modules").resolve(release));
            }
            Files.createDirectories(kernels);
            Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            FileTrees.delete(temp);
            rootFilesystems.remove(snapshot);
        }
        return findKernel(dir).orElseThrow();
    }

    private static Optional<Path> findKernel(Path root) throws IOException {
        Path boot = root.resolve("boot");
        if (Files.isDirectory(boot, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> kernels = Files.newDirectoryStream(boot, "vmlinuz-*")) {
                for (Path kernel : kernels) {
                    if (Files.isRegularFile(kernel, LinkOption.NOFOLLOW_LINKS)) {
                        return Optional.of(kernel);
                    }
                }
            }
        }
        return Stream.of(boot.resolve("vmlinuz"), root.resolve("vmlinuz"))
                .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).findFirst();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                    Files.copy(path, target);
                }
            }
        }
    }

    /**
     * Under TCG the kernel also gets the TSC rate: without HPET or a PM timer, microvm's TSC
     * calibration sometimes never ends (0 hangs in 50 boots with it).
     */
    @Override
    public List<String> forAccelerator(List<String> arguments, String accelerator) {
        return MicroVmCommand.withAccelerator(arguments, accelerator);
    }


    @Override
    public void beforeBoot(VmDirs dirs) throws IOException {
        MicroVmConfig.clearExit(dirs.configDisk());
    }

    @Override
    public RuntimeStatus poweredOff(VmDirs dirs, String reason) {
        Optional<Integer> status = MicroVmConfig.exitStatus(dirs.configDisk());
        if (status.isPresent()) {
            return RuntimeStatus.exited(status.get(), "");
        }
        if (!reason.equals("guest-shutdown")) { // -no-reboot: a reboot or panic=-1 ends here
            return RuntimeStatus.exited(1, "the guest kernel stopped (" + reason + ") before the workload exited: "
                    + whyTheGuestStopped(dirs));
        }
        return RuntimeStatus.exited(0, "");
    }

    /**
     * The init's own last word when it gave up ("hypervisord init: ..."), which the kernel's
     * panic dump after it would otherwise push out of a short tail; else the console's last lines.
     */
    private static String whyTheGuestStopped(VmDirs dirs) {
        String tail = QemuProcesses.logTail(dirs.consoleLog(), 64 * 1024);
        String said = null;
        for (String line : tail.split("\r?\n")) {
            int at = line.indexOf("hypervisord init: ");
            if (at >= 0) {
                said = line.substring(at).strip();
            }
        }
        if (said != null) {
            return said;
        }
        return tail.substring(Math.max(0, tail.length() - 400)).strip();
    }

    @Override
    public void release(Instance instance) {
        networks.detach(instance);
        images.release(instance.id());
        images.release(instance.id() + KERNEL_USER_SUFFIX);
    }
}
