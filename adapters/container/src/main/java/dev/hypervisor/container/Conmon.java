package dev.hypervisor.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hypervisor.host.HostCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;

/**
 * Launches conmon, the small monitor that stays with each container for its whole life: it
 * runs the runtime's {@code create}, holds the container's pty and output, serves the attach
 * socket, writes the console log, and records the exit code (and an OOM kill) in files even
 * while the daemon is down. conmon detaches from the daemon (double fork, own session), so
 * containers survive daemon restarts and crashes.
 *
 * <p>conmon reports the container's pid, or the runtime's error, as JSON on the file descriptor
 * named by {@code _OCI_SYNCPIPE}. Java cannot hand a child any descriptor but 0-2, so a shell
 * gives conmon a pipe on fd 3 and relays its first line to our stdout. Reading conmon's fd 3
 * directly would race: the conmon we start exits at once (it forks), and the JDK then drains
 * and closes the stdout pipe of the exited process, often before the report arrives.
 */
final class Conmon {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CREATE_TIMEOUT_SECONDS = 60;

    private final Path binary;
    private final OciRuntime runtime;

    Conmon(Path binary, OciRuntime runtime) {
        this.binary = binary;
        this.runtime = runtime;
    }

    /** Creates the container under a new conmon; returns the container's init pid once it is created. */
    long create(ContainerDirs dirs, String name) throws IOException {
        // The shell's own read takes conmon's first report off the sync pipe and prints it (no
        // head process to fork and exec); the shell exits after it, so the report is in our
        // pipe before the process we started ends.
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c",
                "exec 2>>\"$0\"; \"$@\" 3>&1 1>/dev/null | { IFS= read -r report; printf '%s\\n' \"$report\"; }",
                dirs.dir().resolve("conmon.err").toString()));
        command.addAll(arguments(dirs, name));
        // In the container's own directory: conmon leaves files in its working directory (an
        // oom file), which must not land wherever the daemon was started.
        String line = HostCommand.of(command).in(dirs.dir()).env("_OCI_SYNCPIPE", "3").discardingErrors()
                .timeout(Duration.ofSeconds(CREATE_TIMEOUT_SECONDS)).call().output();
        if (line.isEmpty()) {
            throw new IOException("conmon exited without creating the container: " + errors(dirs));
        }
        JsonNode report = JSON.readTree(line);
        long pid = report.path("data").asLong(-1);
        if (pid <= 0) {
            String message = report.path("message").asText("");
            throw new IOException(runtime.binary().getFileName() + " create failed: "
                    + (message.isEmpty() ? errors(dirs) : message.strip()));
        }
        return pid;
    }

    private List<String> arguments(ContainerDirs dirs, String name) {
        List<String> args = new ArrayList<>(List.of(
                binary.toString(), "--api-version", "1",
                "--cid", dirs.id(), "--cuuid", dirs.id(), "--name", name,
                "--runtime", runtime.binary().toString(),
                "--bundle", dirs.bundle().toString(),
                "--container-pidfile", dirs.containerPidFile().toString(),
                "--conmon-pidfile", dirs.conmonPidFile().toString(),
                "--log-path", "k8s-file:" + dirs.consoleLog(),
                "--log-size-max", String.valueOf(ConsoleLog.MAX_BYTES),
                "--exit-dir", ContainerDirs.exitDir(dirs.root()).toString(),
                "--persist-dir", dirs.dir().toString(),
                "--socket-dir-path", dirs.dir().toString(),
                "--full-attach",
                // conmon would otherwise sync() every filesystem when the container exits: about a
                // second on a busy host, during which the container cannot be removed or restarted.
                "--no-sync-log",
                "--terminal", "--stdin", "--leave-stdin-open",
                "--log-level", "warn"));
        for (String arg : runtime.globalArgs()) {
            args.add("--runtime-arg");
            args.add(arg);
        }
        return args;
    }

    /** The last lines conmon wrote to its error file, for error messages. */
    private static String errors(ContainerDirs dirs) {
        try {
            Path file = dirs.dir().resolve("conmon.err");
            if (!Files.exists(file)) {
                return "(no output)";
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join(" ", lines.subList(Math.max(0, lines.size() - 5), lines.size())).strip();
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
