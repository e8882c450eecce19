package dev.hypervisor.bench.microvms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: the QEMU microvm command line a daemon's microVM ran, started directly. The
 * arguments are the ones the driver wrote to {@code qemu.args}; the accelerator it adds at start
 * is taken from the running QEMU's {@code /proc/PID/cmdline} (and checked to be just that). Each
 * boot gets a fresh copy of the instance's disks in a directory of its own: a new qcow2 overlay
 * on the same cached ext4 image, and the config disk with no exit status, as the driver makes them.
 */
final class DirectQemu {

    /** One direct boot: QEMU's pid (0 if it never daemonized) and the nanos from fork to the line, or -1. */
    record Boot(long pid, long nanos, Path dir) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SETTINGS_BYTES = 1 << 20; // where the init writes its exit status on the config disk

    private final List<String> arguments;
    private final String instanceDir;
    private final Path template;

    private DirectQemu(List<String> arguments, String instanceDir, Path template) {
        this.arguments = arguments;
        this.instanceDir = instanceDir;
        this.template = template;
    }

    /**
     * Takes the command line of the microVM whose files are in {@code instanceDir} and whose QEMU
     * runs as {@code pid}, and makes pristine copies of its disks under {@code template}.
     */
    static DirectQemu of(Path instanceDir, long pid, Path template) throws IOException {
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
        String dir = instanceDir.toAbsolutePath().toString();
        List<String> files = ran.stream().filter(a -> a.contains(dir + "/")).toList();
        for (String a : files) {
            if (a.contains(".qcow2") && !a.contains(dir + "/boot.qcow2")) {
                throw new IllegalStateException("the baseline copies only the boot and config disks; QEMU also has " + a);
            }
        }
        Files.createDirectories(template);
        Path boot = instanceDir.resolve("boot.qcow2");
        JsonNode info = JSON.readTree(HostCommand.output(null, List.of("qemu-img", "info", "--output=json", "-U",
                boot.toString())));
        String backing = info.path("full-backing-filename").asText(info.path("backing-filename").asText());
        HostCommand.run(null, List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", backing,
                template.resolve("boot.qcow2").toString(), Long.toString(info.path("virtual-size").asLong())));
        Files.copy(instanceDir.resolve("config.img"), template.resolve("config.img"));
        try (RandomAccessFile config = new RandomAccessFile(template.resolve("config.img").toFile(), "rw")) {
            config.seek(SETTINGS_BYTES);
            config.write(new byte[512]); // no exit status from an earlier run, as the driver's beforeBoot
        }
        return new DirectQemu(ran, dir, template);
    }

    /** The arguments as they were run, for the notes. */
    List<String> arguments() {
        return arguments;
    }

    /**
     * Copies the pristine disks into {@code dir}, starts QEMU there (it daemonizes, as under the
     * driver) and waits for {@code marker} on its console until {@code timeoutNanos} after the fork.
     */
    Boot boot(Path dir, String marker, long timeoutNanos) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (String file : List.of("boot.qcow2", "config.img")) {
            Files.copy(template.resolve(file), dir.resolve(file));
        }
        List<String> command = new ArrayList<>();
        for (String a : arguments) {
            command.add(a.replace(instanceDir + "/", dir.toAbsolutePath() + "/"));
        }
        long start = System.nanoTime();
        Process qemu = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.out").toFile()).start();
        if (!qemu.waitFor(60, TimeUnit.SECONDS) || qemu.exitValue() != 0) {
            qemu.destroyForcibly();
            throw new IllegalStateException("direct QEMU failed to start: " + Files.readString(dir.resolve("qemu.out")));
        }
        long pid = Long.parseLong(Files.readString(dir.resolve("qemu.pid")).strip());
        long seen = ConsoleLine.await(dir.resolve("console.log"), marker, start + timeoutNanos);
        return new Boot(pid, seen < 0 ? -1 : seen - start, dir);
    }

    /** SIGKILL, then waits until it is gone. */
    static void kill(long pid) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        handle.ifPresent(ProcessHandle::destroyForcibly);
        handle.ifPresent(h -> {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("warning: QEMU " + pid + " did not exit after SIGKILL: " + e);
            }
        });
    }

    static List<String> cmdline(long pid) throws IOException {
        String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        if (raw.endsWith("\0")) {
            raw = raw.substring(0, raw.length() - 1);
        }
        return List.of(raw.split("\0", -1));
    }
}
