package dev.hypervisor.bench.containers;

import dev.hypervisor.bench.HostTools;
import dev.hypervisor.host.Executables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The second baseline of figure 1: {@code podman run --rm -d} with the flags that work on this host (vfs storage,
 * runc, explicit ulimits), on storage of its own so that the host's podman images and containers stay untouched.
 */
record PodmanBaseline(List<String> global, String image, Path logs) {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** The command line of a run, for the notes. */
    static final String COMMAND = "podman --storage-driver vfs --cgroup-manager cgroupfs run --rm -d --network none"
            + " --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 <image> sleep 100000";

    /**
     * Pulls {@code image} into podman's private storage under {@code dir}, its run root {@code runRoot} (podman refuses
     * one over 50 characters); empty, with the reason in {@code why}, when podman is missing or cannot pull here.
     */
    static Optional<PodmanBaseline> open(Path dir, Path runRoot, String image, StringBuilder why) {
        if (Executables.find("podman").isEmpty()) {
            why.append("podman is not installed (apt-get install podman)");
            return Optional.empty();
        }
        try {
            Path logs = Files.createDirectories(dir.resolve("logs"));
            List<String> global = List.of("podman", "--root", dir.resolve("storage").toString(),
                    "--runroot", runRoot.toString(), "--storage-driver", "vfs",
                    "--cgroup-manager", "cgroupfs", "--events-backend", "file");
            PodmanBaseline podman = new PodmanBaseline(global, image, logs);
            HostTools.run(podman.command("pull", "--quiet", "--tls-verify=false", "docker://" + image),
                    logs.resolve("pull.log"), Duration.ofSeconds(120));
            return Optional.of(podman);
        } catch (IOException | RuntimeException e) {
            // The message is the command line, then the end of its log: the last line says why.
            String message = String.valueOf(e.getMessage()).strip();
            why.append("podman cannot pull here: ").append(message.substring(message.lastIndexOf('\n') + 1));
            return Optional.empty();
        }
    }

    /** {@code podman run --rm -d --network none ... sleep 100000}: its wall time, fork to exit, in nanoseconds. */
    long run(String name) {
        return HostTools.run(command("run", "--rm", "-d", "--name", name, "--network", "none", "--runtime", "runc",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", image, "sleep", "100000"),
                logs.resolve(name + ".log"), TIMEOUT);
    }

    /** Removes the container at once (sleep ignores SIGTERM). */
    void remove(String name) {
        HostTools.run(command("rm", "-f", "-t", "0", name), logs.resolve(name + "-rm.log"), TIMEOUT);
    }

    /** Removes every container of this private storage; quiet, for clean-up. */
    void removeAll() {
        try {
            HostTools.run(command("rm", "-a", "-f", "-t", "0"), logs.resolve("rm-all.log"), TIMEOUT);
        } catch (RuntimeException e) {
            System.err.println("warning: podman rm -a failed: " + e.getMessage());
        }
    }

    private List<String> command(String... args) {
        return Stream.concat(global.stream(), Stream.of(args)).toList();
    }
}
