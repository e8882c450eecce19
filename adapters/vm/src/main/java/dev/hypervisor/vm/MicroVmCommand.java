package dev.hypervisor.vm;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The QEMU command line of one microVM, without the accelerator: {@code -M microvm} with
 * virtio-mmio devices only (no PCI, no firmware beyond qboot, ACPI on so that the power
 * button works), a direct kernel boot, the root disk first ({@code /dev/vda}), the config
 * disk ({@link MicroVmConfig}), then the spec's other disks, each with its name (its first 20
 * characters) as the virtio serial. {@code -no-reboot} turns a guest's reboot or panic ({@code panic=-1}) into
 * a shutdown the driver sees, instead of a boot loop.
 */
record MicroVmCommand(String name, int cpus, long memoryBytes, Path rootDisk, Path configDisk,
        List<NamedDisk> disks, Optional<String> tap, String mac, QemuCommand.Kernel kernel) {

    /**
     * Under TCG only: without HPET or a PM timer, microvm's TSC calibration sometimes never
     * ends; with the rate given, 0 hangs in 50 boots.
     */
    static final String TCG_TSC = "tsc_early_khz=2500000 tsc=reliable";

    /** The command line for {@code accelerator}: as every machine's, plus {@link #TCG_TSC} on the kernel's under TCG. */
    static List<String> withAccelerator(List<String> arguments, String accelerator) {
        List<String> all = QemuCommand.withAccelerator(arguments, accelerator);
        int append = all.indexOf("-append");
        if (accelerator.equals("tcg") && append >= 0) {
            all.set(append + 1, all.get(append + 1) + " " + TCG_TSC);
        }
        return all;
    }

    /** A disk beyond the root disk, seen by the guest with its name as serial. */
    record NamedDisk(String name, Path file, boolean ssd) {}

    List<String> arguments(Path qemu, VmDirs dirs) {
        List<String> args = QemuCommand.head(qemu, dirs, name, "microvm,acpi=on", cpus,
                memoryBytes);
        args.addAll(List.of("-no-reboot"));
        args.addAll(QemuCommand.kernelArguments(kernel));
        args.addAll(disk("root", rootDisk, "qcow2", "hv-root", true));
        args.addAll(disk("config", configDisk, "raw", MicroVmConfig.SERIAL, false));
        for (int i = 0; i < disks.size(); i++) {
            NamedDisk disk = disks.get(i);
            String serial = disk.name().length() > 20 ? disk.name().substring(0, 20) : disk.name(); // virtio's limit
            args.addAll(disk("disk" + i, disk.file(), "qcow2", serial, disk.ssd()));
        }
        tap.ifPresent(ifname -> args.addAll(List.of(
                "-netdev", "tap,id=net0,ifname=" + ifname + ",script=no,downscript=no",
                "-device", "virtio-net-device,netdev=net0,mac=" + mac)));
        args.addAll(QemuCommand.tail(dirs));
        return args;
    }

    private static List<String> disk(String id, Path file, String format, String serial, boolean discard) {
        String drive = "file=" + QemuCommand.escape(file) + ",if=none,id=" + id + ",format=" + format;
        if (discard) {
            drive += ",discard=unmap,detect-zeroes=unmap";
        }
        return List.of("-drive", drive, "-device", "virtio-blk-device,drive=" + id + ",serial=" + serial);
    }
}
