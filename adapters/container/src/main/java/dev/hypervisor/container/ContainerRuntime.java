package dev.hypervisor.container;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.runtime.RuntimeContext;
import dev.hypervisor.core.runtime.RuntimePlugin;
import dev.hypervisor.host.Executables;
import java.time.Duration;
import java.util.Optional;

/**
 * Containers under conmon with one OCI runtime: {@code runc} (or {@code crun}) by default, and
 * other runtimes that take the same commands, each a runtime class of its own with its own
 * state. A container takes a command and environment, and no kernel.
 */
public final class ContainerRuntime implements RuntimePlugin {

    /** Docker's and podman's: SIGTERM, 10 s, SIGKILL. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final ContainerOptions options;

    public ContainerRuntime(String name, ContainerOptions options) {
        this.name = name;
        this.options = options;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public InstanceType type() {
        return InstanceType.CONTAINER;
    }

    @Override
    public Optional<String> unavailable() {
        return Executables.missing(options.runtimeName() + " conmon", options.runtime(), options.conmon());
    }

    @Override
    public Duration stopTimeout() {
        return STOP_TIMEOUT;
    }

    @Override
    public InstanceSpec admit(InstanceSpec spec, Metadata metadata) {
        if (!spec.kernel().isEmpty()) {
            throw DomainException.invalidArgument("spec.kernel", "a container boots no kernel (VMs and microVMs do)");
        }
        return spec;
    }

    @Override
    public Driver open(RuntimeContext context) {
        return ContainerDriver.open(options, context.images(), context.rootFilesystems(), context.networks());
    }
}
