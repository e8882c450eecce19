package dev.hypervisor.microvm;

import dev.hypervisor.core.image.ProcessSpec;
import dev.hypervisor.core.network.NetworkAttachment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The microVM's config disk: a raw 2 MiB disk with the serial {@value #SERIAL}. Its first MiB
 * holds shell assignments the init sources (the hostname, the stop signal, the files it writes
 * under {@code /etc}, and the script that runs the workload); the init writes
 * {@code HV-EXIT <status>} at its second MiB when the workload has exited, and the driver
 * reads it there once the guest has powered off.
 */
final class MicroVmConfig {

    static final String SERIAL = "hv-config";
    static final int SETTINGS_BYTES = 1 << 20;
    private static final Pattern EXIT = Pattern.compile("HV-EXIT (\\d+)\n");

    private MicroVmConfig() {}

    static void write(Path disk, ProcessSpec process, String hostname, NetworkAttachment network) throws IOException {
        String settings = settings(process, hostname, network);
        byte[] bytes = settings.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= SETTINGS_BYTES) {
            throw new IllegalArgumentException("the command and environment take " + bytes.length
                    + " bytes; a microVM takes at most " + (SETTINGS_BYTES - 1));
        }
        Path temp = disk.resolveSibling(disk.getFileName() + ".tmp");
        try (FileChannel file = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            file.write(ByteBuffer.wrap(bytes));
            file.truncate(2L * SETTINGS_BYTES);
            file.write(ByteBuffer.wrap(new byte[1]), 2L * SETTINGS_BYTES - 1); // the full size, sparse
        }
        Files.move(temp, disk, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Forgets the last run's exit status, before a boot. */
    static void clearExit(Path disk) throws IOException {
        try (FileChannel file = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[512]), SETTINGS_BYTES);
            file.force(false);
        }
    }

    /** The workload's exit status the init recorded, if it did. */
    static Optional<Integer> exitStatus(Path disk) {
        try (FileChannel file = FileChannel.open(disk, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(64);
            file.read(buffer, SETTINGS_BYTES);
            Matcher matcher = EXIT.matcher(new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII));
            return matcher.lookingAt() ? Optional.of(Integer.parseInt(matcher.group(1))) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static String settings(ProcessSpec process, String hostname, NetworkAttachment network) {
        StringBuilder hosts = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        hosts.append(network.hasAddress() ? network.ipAddress() : "127.0.1.1").append('\t').append(hostname).append('\n');
        StringBuilder resolv = new StringBuilder();
        network.nameservers().forEach(ns -> resolv.append("nameserver ").append(ns).append('\n'));
        if (!network.searchDomains().isEmpty()) {
            resolv.append("search ").append(String.join(" ", network.searchDomains())).append('\n');
        }
        String signal = process.stopSignal().toUpperCase(Locale.ROOT);
        signal = signal.startsWith("SIG") ? signal.substring(3) : signal;
        return "hv_hostname=" + quote(hostname) + "\n"
                + "hv_stop_signal=" + quote(signal) + "\n"
                + "hv_hosts=" + quote(hosts.toString()) + "\n"
                + "hv_resolv=" + quote(resolv.toString()) + "\n"
                + "hv_run=" + quote(runScript(process)) + "\n";
    }

    /**
     * The script the init runs in the root filesystem with busybox's shell: into the working
     * directory, then the workload with exactly the image's and the spec's environment, as the
     * image's user.
     */
    static String runScript(ProcessSpec process) {
        List<String> exec = new ArrayList<>(List.of("exec", "/.hv/busybox", "env", "-i"));
        process.env().forEach(entry -> exec.add(quote(entry)));
        if (!process.user().isEmpty()) {
            exec.addAll(List.of("/.hv/busybox", "chpst", "-u", quote(process.user())));
        }
        process.args().forEach(arg -> exec.add(quote(arg)));
        return "mkdir -p " + quote(process.cwd()) + " 2>/dev/null\n"
                + "cd " + quote(process.cwd()) + " || exit 126\n"
                + String.join(" ", exec) + "\n";
    }

    /** A POSIX shell single-quoted word: safe for any text without NUL. */
    static String quote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
