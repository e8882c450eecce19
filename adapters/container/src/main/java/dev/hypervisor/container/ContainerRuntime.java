package dev.hypervisor.container;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.NetworkSpec;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.runtime.RuntimeContext;
import dev.hypervisor.core.runtime.RuntimePlugin;
import dev.hypervisor.host.Executables;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Containers under conmon with one OCI runtime: {@code runc} (or {@code crun}) by default, and
 * other runtimes that take the same commands, each a runtime class of its own with its own
 * state: gVisor's {@code runsc} puts a user-space kernel between the workload and the host. A
 * container takes a command and environment, and no kernel. A runtime without networking on
 * this node (runsc with {@code --network=none}) takes only instances on network {@code none}
 * ({@code networked} false: its containers have loopback only).
 */
public record ContainerRuntime(String name, ContainerOptions options, boolean networked) implements RuntimePlugin {

    /** Docker's and podman's: SIGTERM, 10 s, SIGKILL. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /**
     * runsc's flags where its own network stack cannot run: runsc 20221219 (Debian 12) takes
     * every network namespace for the host's on kernels from 6.10 on, which show
     * net.core.rmem_default in all of them (google/gvisor#10704), and refuses to start.
     */
    public static final List<String> RUNSC_WITHOUT_NETWORK = List.of("--network=none");

    /** A runtime whose containers join the node's networks. */
    public ContainerRuntime(String name, ContainerOptions options) {
        this(name, options, true);
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
        String network = spec.network() == null || spec.network().networkId().isEmpty()
                ? NetworkSpec.DEFAULT : spec.network().networkId();
        if (!networked && !network.equals(NetworkSpec.NONE)) {
            throw DomainException.failedPrecondition("spec.network.network_id: runtime class " + name + " has no"
                    + " network on this node (its containers get loopback only): set it to \"none\"");
        }
        return spec;
    }

    @Override
    public Driver open(RuntimeContext context) {
        return ContainerDriver.open(options, context.images(), context.rootFilesystems(), context.networks(),
                context.timings());
    }
}
