package dev.hypervisor.container;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How this node runs containers.
 *
 * @param root where containers keep their bundles, logs, exit files and volumes
 * @param runtime the OCI runtime binary ({@code runc} by default; {@code crun} works where it supports the host's cgroups)
 * @param conmon the conmon binary that monitors each container
 * @param pidsLimit the most processes one container may have
 */
public record ContainerOptions(Path root, Path runtime, Path conmon, long pidsLimit) {

    public static ContainerOptions defaults(Path root) {
        return new ContainerOptions(root, which("runc").orElse(Path.of("/usr/sbin/runc")),
                which("conmon").orElse(Path.of("/usr/bin/conmon")), 4096);
    }

    public ContainerOptions withRuntime(Path newRuntime) {
        return new ContainerOptions(root, newRuntime, conmon, pidsLimit);
    }

    /** The runtime's name as it calls itself (runc, crun). */
    public String runtimeName() {
        return runtime.getFileName().toString();
    }

    /** The first executable of that name on the PATH (or in the sbin directories, which root's PATH may lack). */
    public static Optional<Path> which(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
