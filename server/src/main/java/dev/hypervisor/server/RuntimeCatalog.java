package dev.hypervisor.server;

import dev.hypervisor.container.ContainerOptions;
import dev.hypervisor.container.ContainerRuntime;
import dev.hypervisor.core.runtime.RuntimePlugin;
import dev.hypervisor.vm.MicroVmRuntime;
import dev.hypervisor.vm.VmOptions;
import dev.hypervisor.vm.VmRuntime;
import java.util.List;

/**
 * Every runtime this daemon knows, in the order that makes the first of each type its default.
 * A new runtime is a {@link RuntimePlugin} and one line here; the daemon opens those the host
 * can run and refuses the others' instances with the reason.
 */
final class RuntimeCatalog {

    private RuntimeCatalog() {}

    /** What the runtimes are set up with, from the daemon's options. */
    record Settings(ContainerOptions containers, VmOptions vms, VmOptions microVms, String defaultKernel) {}

    static List<RuntimePlugin> all(Settings settings) {
        return List.of(
                new ContainerRuntime("runc", settings.containers()),
                new VmRuntime(settings.vms()),
                new MicroVmRuntime(settings.microVms(), settings.defaultKernel()));
    }
}
