package dev.hypervisor.core.runtime;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import java.time.Duration;
import java.util.Optional;

/**
 * The one interface a runtime implements to exist on a node (runc under conmon, gVisor, QEMU
 * q35, QEMU microvm): its name, which instances choose it by as their runtime class; the
 * instance type it runs; what it needs of the host; its defaults and the rules a spec must
 * follow for it; and how its driver opens on the node's shared services. Several may run one
 * type; the node's default for the type is used when a spec names none.
 */
public interface RuntimePlugin {

    /** A short stable name, also the runtime class that selects it ("runc", "runsc", "qemu", "qemu-microvm"). */
    String name();

    /** The instance type it runs. */
    InstanceType type();

    /** Why it cannot run on this host (a missing tool and the package that has it); empty when it can. */
    Optional<String> unavailable();

    /** How long a graceful stop may take before the instance is killed, when the call gives no timeout. */
    Duration stopTimeout();

    /**
     * The spec as this runtime takes it at CreateInstance: what only it knows is checked (a
     * command for a VM, a kernel outside the node's kernel directories) as INVALID_ARGUMENT
     * naming the field, and its defaults are filled in (a microVM's default kernel).
     */
    InstanceSpec admit(InstanceSpec spec, Metadata metadata);

    /** Opens its driver on the node's services; called once, when it is available. */
    Driver open(RuntimeContext context);
}
