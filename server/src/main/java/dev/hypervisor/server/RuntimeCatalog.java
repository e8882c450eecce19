package dev.hypervisor.server;

import dev.hypervisor.container.ContainerOptions;
import dev.hypervisor.container.ContainerRuntime;
import dev.hypervisor.core.runtime.RuntimePlugin;
import dev.hypervisor.microvm.MicroVmRuntime;
import dev.hypervisor.qemu.VmOptions;
import dev.hypervisor.vm.VmRuntime;
import java.util.List;

/**
 * Every runtime this daemon knows, in the order that makes the first of each type its default.
 * A new runtime is a {@link RuntimePlugin} and one line here; the daemon opens those the host
 * can run and refuses the others' instances with the reason.
 */
final class RuntimeCatalog {

    private RuntimeCatalog() {}

    /**
     * What the runtimes are set up with, from the daemon's options; {@code gvisorNetworked}:
     * whether runsc's own network stack runs on this host (not on kernels from 6.10 with
     * Debian 12's runsc), else its containers take network {@code none} only.
     */
    record Settings(ContainerOptions containers, ContainerOptions gvisor, boolean gvisorNetworked, VmOptions vms,
            VmOptions microVms, String defaultKernel) {}

    static List<RuntimePlugin> all(Settings settings) {
        return List.of(
                new ContainerRuntime("runc", settings.containers()),
                new ContainerRuntime("runsc", settings.gvisor(), settings.gvisorNetworked()),
                new VmRuntime(settings.vms()),
                new MicroVmRuntime(settings.microVms(), settings.defaultKernel()));
    }
}
