package dev.hypervisor.vm;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.runtime.RuntimeContext;
import dev.hypervisor.core.network.Networks;
import dev.hypervisor.host.Executables;
import dev.hypervisor.qemu.QemuDriver;
import dev.hypervisor.qemu.QemuRuntime;
import dev.hypervisor.qemu.VmOptions;
import java.util.Optional;

/**
 * q35 VMs under QEMU, booting the operating system on their disk (or a kernel of the node's
 * kernel directories with its initrd). A VM takes no command or environment: its guest does.
 */
public final class VmRuntime extends QemuRuntime {

    public VmRuntime(VmOptions options) {
        super("qemu", InstanceType.VM, options);
    }

    @Override
    public Optional<String> unavailable() {
        return Executables.missing("qemu-system-x86 qemu-utils genisoimage", options.qemu(), options.qemuImg(),
                options.genisoimage());
    }

    @Override
    public InstanceSpec admit(InstanceSpec spec, Metadata metadata) {
        if (!spec.command().isEmpty()) {
            throw DomainException.invalidArgument("spec.command", "a VM runs the system on its disk, not a command"
                    + " (containers and microVMs take one)");
        }
        if (!spec.env().isEmpty()) {
            throw DomainException.invalidArgument("spec.env", "a VM takes no environment variables"
                    + " (containers and microVMs do)");
        }
        String initrd = metadata.annotations().getOrDefault(Q35Machine.INITRD_ANNOTATION, "");
        if (spec.kernel().isEmpty()) {
            if (!initrd.isEmpty()) {
                throw DomainException.invalidArgument("metadata.annotations", Q35Machine.INITRD_ANNOTATION
                        + " needs spec.kernel");
            }
            return spec;
        }
        if (!spec.kernel().startsWith("/")) {
            throw DomainException.invalidArgument("spec.kernel", "a VM boots a kernel file of the node (kernel images"
                    + " are for microVMs)");
        }
        kernelPaths.check("spec.kernel", spec.kernel());
        if (!initrd.isEmpty()) {
            kernelPaths.check("metadata.annotations[" + Q35Machine.INITRD_ANNOTATION + "]", initrd);
        }
        return spec;
    }

    @Override
    public Driver open(RuntimeContext context) {
        Networks networks = context.networks();
        return QemuDriver.openResettable(options, new Q35Machine(options, context.images(), context.diskImages(), networks),
                networks);
    }
}
