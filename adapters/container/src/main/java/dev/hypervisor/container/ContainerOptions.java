package dev.hypervisor.container;

import dev.hypervisor.host.Executables;
import java.nio.file.Path;
import java.util.List;

/**
 * How this node runs containers.
 *
 * @param root where containers keep their bundles, logs, exit files and volumes
 * @param runtime the OCI runtime binary ({@code runc} by default; {@code crun} works where it supports the host's cgroups)
 * @param conmon the conmon binary that monitors each container
 * @param pidsLimit the most processes one container may have
 * @param runtimeArgs global flags every call of the runtime gets, after its {@code --root} (runsc's {@code --network=none})
 */
public record ContainerOptions(Path root, Path runtime, Path conmon, long pidsLimit, List<String> runtimeArgs) {

    public ContainerOptions {
        runtimeArgs = List.copyOf(runtimeArgs);
    }

    public static ContainerOptions defaults(Path root) {
        return new ContainerOptions(root, Executables.findOr("runc", Path.of("/usr/sbin/runc")),
                Executables.findOr("conmon", Path.of("/usr/bin/conmon")), 4096, List.of());
    }

    public ContainerOptions withRuntime(Path newRuntime) {
        return new ContainerOptions(root, newRuntime, conmon, pidsLimit, runtimeArgs);
    }

    public ContainerOptions withRuntimeArgs(List<String> args) {
        return new ContainerOptions(root, runtime, conmon, pidsLimit, args);
    }

    /** The runtime's name as it calls itself (runc, crun). */
    public String runtimeName() {
        return runtime.getFileName().toString();
    }
}
