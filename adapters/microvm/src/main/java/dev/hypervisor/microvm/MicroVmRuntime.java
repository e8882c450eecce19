package dev.hypervisor.microvm;

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
import java.io.IOException;
import java.util.Optional;

/**
 * microVMs under QEMU's microvm machine: a container image booted with a kernel, the spec's or
 * the node's default, by host path from the kernel directories or by reference from the image
 * store. A microVM takes a command and environment, as a container does.
 */
public final class MicroVmRuntime extends QemuRuntime {

    private final String defaultKernel;

    /**
     * {@code options}' root is the microVMs' own (beside the VMs', not among them); {@code
     * defaultKernel}: what microVMs that name no kernel boot, empty when they must name one.
     */
    public MicroVmRuntime(VmOptions options, String defaultKernel) {
        super("qemu-microvm", InstanceType.MICROVM, options);
        this.defaultKernel = defaultKernel;
    }

    @Override
    public Optional<String> unavailable() {
        Optional<String> tools = Executables.missing("qemu-system-x86 qemu-utils e2fsprogs", options.qemu(),
                options.qemuImg(), options.mkfs());
        if (tools.isPresent()) {
            return tools;
        }
        try {
            MicroVmInitramfs.requireStaticBusybox();
            return Optional.empty();
        } catch (IllegalStateException e) {
            return Optional.of(e.getMessage());
        } catch (IOException e) {
            return Optional.of("cannot read /bin/busybox: " + e.getMessage());
        }
    }

    @Override
    public InstanceSpec admit(InstanceSpec spec, Metadata metadata) {
        String kernel = spec.kernel().isEmpty() ? defaultKernel : spec.kernel();
        if (kernel.isEmpty()) {
            throw DomainException.invalidArgument("spec.kernel", "required for a microVM: this node has no default kernel"
                    + " configured");
        }
        if (kernel.startsWith("/")) {
            kernelPaths.check("spec.kernel", kernel);
        }
        return kernel.equals(spec.kernel()) ? spec : spec.withKernel(kernel);
    }

    @Override
    public Driver open(RuntimeContext context) {
        Networks networks = context.networks();
        return QemuDriver.open(options, new MicroVmMachine(options, context.images(), context.rootFilesystems(), networks),
                networks);
    }
}
