package dev.hypervisor.qemu;

import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceType;
import java.io.IOException;
import java.util.List;

/**
 * What differs between the QEMU machines {@link QemuDriver} runs (q35 VMs, microVMs): how an
 * instance's disks, files and command line are made, and what a guest's power-off means.
 * Everything else (starting, QMP, console, stop, stats, live restore) is the driver's, once.
 */
public interface Machine {

    /** Words the guest kernel's command line gets, added to the machine's own. */
    String CMDLINE_ANNOTATION = "hypervisor.dev/kernel-cmdline";

    InstanceType type();

    /** What its instances are called in messages: "VM", "microVM". */
    String noun();

    /**
     * Provisions what the instance boots from under {@code dirs} (image, disks, network) and
     * returns its QEMU command line without the accelerator. Repeatable: keeps what exists.
     */
    Prepared prepare(Instance instance, VmDirs dirs) throws IOException;

    /** The command line written at prepare, completed for {@code accelerator} ({@code kvm} or {@code tcg}) at start. */
    default List<String> forAccelerator(List<String> arguments, String accelerator) {
        return QemuCommand.withAccelerator(arguments, accelerator);
    }

    /** Called before every boot of a prepared instance. */
    default void beforeBoot(VmDirs dirs) throws IOException {
    }

    /**
     * How a run ended whose guest powered itself off; {@code reason} is QEMU's SHUTDOWN reason.
     * By default a clean power-off unless QEMU saw the guest panic.
     */
    default RuntimeStatus poweredOff(VmDirs dirs, String reason) {
        return reason.equals("guest-panic")
                ? RuntimeStatus.exited(1, "the guest kernel panicked") : RuntimeStatus.exited(0, "");
    }

    /** Lets go of what {@link #prepare} took outside the instance's directory (images, addresses). */
    void release(Instance instance);

    /** A prepared instance: its command line and its address on its network (empty without one). */
    record Prepared(List<String> arguments, String ipAddress) {}
}
