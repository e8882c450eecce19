package dev.hypervisor.qemu;

import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.runtime.RuntimePlugin;
import java.time.Duration;

/**
 * What the runtime plugins of QEMU guests share: a name and a type, the options their driver
 * runs on, the node's kernel directories that specs may boot from, and a guest's graceful
 * stop timeout. Each plugin adds what its specs may carry and which machine it opens.
 */
public abstract class QemuRuntime implements RuntimePlugin {

    /** Long enough for a guest OS to shut down on the ACPI power button, or a microVM's init to end its workload. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final InstanceType type;
    protected final VmOptions options;
    protected final KernelPaths kernelPaths;

    protected QemuRuntime(String name, InstanceType type, VmOptions options) {
        this.name = name;
        this.type = type;
        this.options = options;
        this.kernelPaths = new KernelPaths(options.kernelDirs());
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final InstanceType type() {
        return type;
    }

    @Override
    public final Duration stopTimeout() {
        return STOP_TIMEOUT;
    }
}
