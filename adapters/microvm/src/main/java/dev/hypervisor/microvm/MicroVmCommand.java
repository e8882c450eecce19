package dev.hypervisor.microvm;

import dev.hypervisor.qemu.QemuCommand;
import dev.hypervisor.qemu.VmDirs;
import dev.hypervisor.qemu.VmOptions;
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
     * ends; with the rate given, 0 hangs in 50 boots. TCG's guest TSC ticks at the host's TSC
     * rate, so the rate given is the host's: {@link #hostTscKhz}.
     */
    static String tcgTscArguments(long khz) {
        return "tsc_early_khz=" + khz + " tsc=reliable";
    }

    /** The command line for {@code accelerator}: as every machine's, plus the TSC rate on the kernel's under TCG. */
    static List<String> withAccelerator(List<String> arguments, String accelerator) {
        List<String> all = QemuCommand.withAccelerator(arguments, accelerator);
        int append = all.indexOf("-append");
        if (accelerator.equals("tcg") && append >= 0) {
            all.set(append + 1, all.get(append + 1) + " " + tcgTscArguments(HOST_TSC_KHZ));
        }
        return all;
    }

    private static final long HOST_TSC_KHZ = hostTscKhz(Path.of("/proc/cpuinfo"));

    /**
     * The host's TSC rate in kHz, from the first {@code cpu MHz} of {@code cpuinfo}: in a VM or
     * without frequency scaling that is the TSC rate; with scaling it is the current clock, off
     * by the difference (the guest's clock then drifts by as much). 2.5 GHz when unreadable.
     */
    static long hostTscKhz(Path cpuinfo) {
        try (var lines = java.nio.file.Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("cpu MHz")).findFirst()
                    .map(l -> Math.round(Double.parseDouble(l.substring(l.indexOf(':') + 1).strip()) * 1000))
                    .filter(khz -> khz > 0).orElse(2_500_000L);
        } catch (java.io.IOException | RuntimeException e) {
            return 2_500_000L;
        }
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
