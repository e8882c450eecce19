package dev.hypervisor.bench.vm;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: the very QEMU command line hypervisord ran for a VM (read from its
 * {@code /proc/<pid>/cmdline}), started directly on that VM's files while the VM is stopped,
 * and its serial console read straight from QEMU's socket. No cgroup, no API, no store.
 */
final class DirectQemu {

    private final List<String> command;
    private final Path vmDir;
    private final Path log;
    private volatile long pid;
    private volatile String firstLine = "";
    private volatile SocketChannel console;

    DirectQemu(List<String> command, Path vmDir, Path log) {
        this.command = command;
        this.vmDir = vmDir;
        this.log = log;
    }

    /** The command line of a running process, as it was exec'd. */
    static List<String> commandLineOf(long pid) throws IOException {
        String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        return Arrays.asList(raw.split("\0"));
    }

    /** Starts QEMU, reads its console, and returns when the first line (and then {@code marker}) showed; {sent, first line, marker}. */
    long[] boot(String marker, Duration timeout) throws IOException, InterruptedException {
        for (String leftover : List.of("qemu.pid", "qmp.sock", "console.sock")) {
            Files.deleteIfExists(vmDir.resolve(leftover));
        }
        ConsoleClock clock = new ConsoleClock(marker);
        long sent = System.nanoTime();
        Process qemu = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        // -daemonize: it returns once the VM is set up, with the console socket listening.
        if (!qemu.waitFor(60, TimeUnit.SECONDS) || qemu.exitValue() != 0) {
            qemu.destroyForcibly();
            throw new IllegalStateException("QEMU started directly failed (" + log + "):\n" + tail(log)
                    + tail(vmDir.resolve("qemu.log")));
        }
        pid = Long.parseLong(Files.readString(vmDir.resolve("qemu.pid")).strip());
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(vmDir.resolve("console.sock")));
        console = channel;
        Thread reader = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            try {
                while (channel.read(buffer.clear()) >= 0) {
                    buffer.flip();
                    byte[] data = new byte[buffer.remaining()];
                    buffer.get(data);
                    clock.onData(data);
                }
            } catch (IOException e) {
                // closed by kill()
            }
            clock.fail("the console closed");
        }, "direct-qemu-console");
        reader.setDaemon(true);
        reader.start();
        long lineAt = clock.awaitFirstLine(timeout);
        firstLine = clock.firstLineText();
        long ready = clock.awaitMarker(timeout);
        return new long[] {sent, lineAt, ready};
    }

    /** The first line of the last boot, without control characters. */
    String firstLine() {
        return firstLine;
    }

    long pid() {
        return pid;
    }

    private static String tail(Path file) {
        try {
            String text = Files.readString(file);
            return text.substring(Math.max(0, text.length() - 2000));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * SIGKILLs QEMU and waits until it is reaped, so that its TAP and disks are free for the next
     * start: a dying process drops its memory (and so its command line) before its files.
     */
    void kill() throws InterruptedException {
        SocketChannel channel = console;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        long target = pid;
        if (target == 0) {
            return;
        }
        ProcessHandle.of(target).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // After -daemonize its parent is init, which reaps it.
        while (Files.exists(Path.of("/proc", Long.toString(target))) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        pid = 0;
    }
}
