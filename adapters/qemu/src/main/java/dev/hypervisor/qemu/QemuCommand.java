package dev.hypervisor.qemu;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The QEMU command line of one VM, without the accelerator (decided when it starts).
 *
 * <p>Choices that matter: {@code -no-shutdown} keeps QEMU alive after the guest powers off, so
 * that a power-off is always seen over QMP (as the {@code SHUTDOWN} event, or as status
 * {@code shutdown} after a daemon restart) and told apart from QEMU dying; the driver then
 * quits it. Reboots stay in-process. Disks are {@code scsi-hd} on a virtio-scsi controller, as
 * Proxmox does, because only SCSI (and IDE) disks can tell the guest they do not rotate.
 * QEMU runs confined ({@link QemuSandbox}) and does not daemonize ({@link QemuLaunch} detaches
 * it, its stderr on its log); {@code -pidfile} is for people and tools, the driver knows the pid.
 */
public record QemuCommand(String name, int cpus, long memoryBytes, List<Disk> disks, Optional<Path> seedIso,
        Optional<String> tap, String mac, Optional<Kernel> kernel) {

    /** A disk file, and whether the guest is to see a non-rotational disk with discard. */
    public record Disk(Path file, boolean ssd) {}

    /** Direct kernel boot. */
    public record Kernel(Path kernel, Optional<Path> initrd, String commandLine) {}

    /** The arguments without the accelerator: those are written at prepare, the accelerator added at start. */
    public List<String> arguments(Path qemu, VmDirs dirs) {
        List<String> args = head(qemu, dirs, name, "q35", cpus, memoryBytes);
        args.addAll(List.of("-device", "virtio-scsi-pci,id=scsi0"));
        for (int i = 0; i < disks.size(); i++) {
            Disk disk = disks.get(i);
            String drive = "file=" + escape(disk.file()) + ",if=none,id=disk" + i + ",format=qcow2";
            String device = "scsi-hd,drive=disk" + i + ",bus=scsi0.0,scsi-id=" + i + ",lun=0";
            if (disk.ssd()) {
                drive += ",discard=unmap,detect-zeroes=unmap";
                device += ",rotation_rate=1";
            }
            if (i == 0) {
                device += ",bootindex=1"; // 0 is taken by the option ROM of -kernel
            }
            args.addAll(List.of("-drive", drive, "-device", device));
        }
        seedIso.ifPresent(iso -> args.addAll(List.of(
                "-drive", "file=" + escape(iso) + ",if=none,id=seed,media=cdrom,readonly=on",
                "-device", "ide-cd,drive=seed")));
        tap.ifPresent(ifname -> args.addAll(List.of(
                "-netdev", "tap,id=net0,ifname=" + ifname + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=net0,mac=" + mac)));
        kernel.ifPresent(k -> args.addAll(kernelArguments(k)));
        args.addAll(tail(dirs));
        return args;
    }

    /** What every machine starts with: name, machine, CPUs, memory, no default devices, QMP, the serial console. */
    public static List<String> head(Path qemu, VmDirs dirs, String name, String machine, int cpus, long memoryBytes) {
        return new ArrayList<>(List.of(qemu.toString(),
                "-name", name.replace(",", ",,"),
                "-machine", machine,
                "-smp", Integer.toString(Math.max(1, cpus)),
                "-m", Math.max(16, memoryBytes >> 20) + "M",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-shutdown",
                "-qmp", "unix:" + dirs.qmpSocket() + ",server=on,wait=off",
                "-chardev", "socket,id=serial0,path=" + dirs.consoleSocket() + ",server=on,wait=off,logfile="
                        + dirs.consoleLog() + ",logappend=on",
                "-serial", "chardev:serial0"));
    }

    public static List<String> kernelArguments(Kernel kernel) {
        List<String> args = new ArrayList<>(List.of("-kernel", kernel.kernel().toString()));
        kernel.initrd().ifPresent(initrd -> args.addAll(List.of("-initrd", initrd.toString())));
        args.addAll(List.of("-append", kernel.commandLine()));
        return args;
    }

    /** What every machine ends with: the sandbox, the user QEMU drops to, the pid file. */
    public static List<String> tail(VmDirs dirs) {
        List<String> args = new ArrayList<>(QemuSandbox.arguments());
        args.addAll(List.of("-pidfile", dirs.pidFile().toString()));
        return args;
    }

    /** Whether a command line was written before QEMU ran sandboxed, when it still daemonized: it is to be written anew. */
    public static boolean predatesTheSandbox(List<String> arguments) {
        return arguments.contains("-daemonize");
    }

    /** A file name as a value in QEMU's comma-separated options. */
    public static String escape(Path file) {
        return file.toString().replace(",", ",,");
    }

    /** The command line to run under {@code accelerator} ({@code kvm} or {@code tcg}). */
    public static List<String> withAccelerator(List<String> arguments, String accelerator) {
        List<String> all = new ArrayList<>(arguments);
        all.addAll(List.of("-accel", accelerator));
        if (accelerator.equals("kvm")) {
            all.addAll(List.of("-cpu", "host")); // TCG keeps QEMU's default model, which it emulates fastest
        }
        return all;
    }

    /** A locally administered MAC in QEMU's 52:54:00 range, the same for the same instance id. */
    public static String macOf(String instanceId) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(instanceId.getBytes(StandardCharsets.UTF_8));
            return String.format("52:54:00:%02x:%02x:%02x", hash[0], hash[1], hash[2]);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
