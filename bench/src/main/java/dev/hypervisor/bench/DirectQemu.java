package dev.hypervisor.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.host.Deadline;
import dev.hypervisor.host.HostCommand;
import dev.hypervisor.qemu.QemuLaunch;
import dev.hypervisor.qemu.VmDirs;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The baseline of the VM and microVM benchmarks: the QEMU command line the driver ran for an instance ({@code
 * arguments}, from its {@code /proc/<pid>/cmdline}) started directly, with no daemon, API, store or cgroup: in place
 * on the stopped instance's files, or on fresh copies of its disks ({@code pristine}) per start.
 */
public record DirectQemu(List<String> arguments, Path instanceDir, Path pristine) {

    /** A QEMU started directly: its pid, when it was forked (nanoTime), the directory it runs in. */
    public record Started(long pid, long forkedAt, Path dir) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The disks a fresh start copies: a qcow2 overlay on the cached ext4 image, and the config disk. */
    private static final List<String> DISKS = List.of("boot.qcow2", "config.img");
    private static final long SETTINGS_BYTES = 1 << 20; // where the init writes its exit status on the config disk

    public DirectQemu {
        instanceDir = instanceDir.toAbsolutePath();
    }

    /** The command line QEMU {@code pid} runs for the instance in {@code instanceDir}, to start in place. */
    public static DirectQemu inPlace(long pid, Path instanceDir) throws IOException {
        return new DirectQemu(cmdline(pid), instanceDir, null);
    }

    /**
     * The command line of the microVM in {@code instanceDir} whose QEMU runs as {@code pid}: its {@code qemu.args} plus
     * the accelerator the driver adds (checked), with copies of its disks as the driver makes them in {@code pristine}.
     */
    public static DirectQemu onFreshDisks(long pid, Path instanceDir, Path pristine) throws IOException {
        List<String> written = Arrays.asList(JSON.readValue(instanceDir.resolve("qemu.args").toFile(), String[].class));
        List<String> ran = cmdline(pid);
        if (ran.size() != written.size() + 2 || !ran.subList(written.size(), ran.size()).equals(List.of("-accel", "tcg"))) {
            throw new IllegalStateException("QEMU " + pid + " ran " + ran + ", not qemu.args " + written + " + -accel tcg");
        }
        for (int i = 0; i < written.size(); i++) {
            boolean append = i > 0 && written.get(i - 1).equals("-append");
            if (append ? !ran.get(i).startsWith(written.get(i)) : !ran.get(i).equals(written.get(i))) {
                throw new IllegalStateException("QEMU " + pid + " argument " + i + " is " + ran.get(i) + ", qemu.args has "
                        + written.get(i));
            }
        }
        String dir = instanceDir.toAbsolutePath() + "/";
        for (String a : ran) {
            if (a.contains(dir) && a.contains(".qcow2") && !a.contains(dir + "boot.qcow2")) {
                throw new IllegalStateException("the baseline copies only the boot and config disks; QEMU also has " + a);
            }
        }
        Files.createDirectories(pristine);
        Path boot = instanceDir.resolve("boot.qcow2");
        var info = JSON.readTree(HostCommand.of("qemu-img", "info", "--output=json", "-U", boot.toString())
                .separatingErrors().output());
        String backing = info.path("full-backing-filename").asText(info.path("backing-filename").asText());
        HostCommand.run(null, List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", backing,
                pristine.resolve("boot.qcow2").toString(), Long.toString(info.path("virtual-size").asLong())));
        Files.copy(instanceDir.resolve("config.img"), pristine.resolve("config.img"));
        try (RandomAccessFile config = new RandomAccessFile(pristine.resolve("config.img").toFile(), "rw")) {
            config.seek(SETTINGS_BYTES);
            config.write(new byte[512]); // no exit status from an earlier run, as the driver's beforeBoot
        }
        return new DirectQemu(ran, instanceDir, pristine);
    }

    /**
     * Starts QEMU, in place ({@code dir} unused) or in {@code dir} on fresh copies of the disks, its output appended
     * to {@code log}; returns once it answers QMP, as the driver's start does (then its console is there to be read).
     */
    public Started start(Path dir, Path log) throws IOException {
        Path runIn = pristine == null ? instanceDir : Files.createDirectories(dir.toAbsolutePath());
        if (pristine == null) {
            for (String leftover : List.of("qemu.pid", "qmp.sock", "console.sock")) {
                Files.deleteIfExists(runIn.resolve(leftover));
            }
        } else {
            for (String disk : DISKS) {
                Files.copy(pristine.resolve(disk), runIn.resolve(disk), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        List<String> command = arguments.stream().map(a -> a.replace(instanceDir + "/", runIn + "/")).toList();
        long forkedAt = System.nanoTime();
        long pid = QemuLaunch.start(command, log, new VmDirs(runIn.getParent(), runIn.getFileName().toString()),
                Duration.ofSeconds(60));
        return new Started(pid, forkedAt, runIn);
    }

    /**
     * SIGKILLs QEMU {@code pid} and waits until it is gone, so that its TAP and disks are free for the next start: a
     * dying process drops its memory (and so its command line) before its files.
     */
    public static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        // Detached (QemuLaunch), its parent is init, which reaps it.
        Deadline.after(Duration.ofSeconds(10)).await(() -> !Files.exists(Path.of("/proc", Long.toString(pid))),
                Duration.ofMillis(10));
    }

    /** The command line of a running process, as it was exec'd. */
    public static List<String> cmdline(long pid) throws IOException {
        String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        return List.of((raw.endsWith("\0") ? raw.substring(0, raw.length() - 1) : raw).split("\0", -1));
    }
}
