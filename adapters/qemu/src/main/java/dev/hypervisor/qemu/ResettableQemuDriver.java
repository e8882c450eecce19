package dev.hypervisor.qemu;

import dev.hypervisor.core.driver.DriverException;
import dev.hypervisor.core.driver.Resettable;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.network.Networks;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver of a machine with a reset button (q35): a forced restart presses it over QMP, and
 * the guest reboots in the same QEMU, with its console, disks and TAP. Machines without one
 * (a microVM under -no-reboot) get the plain {@link QemuDriver}, which is not {@link Resettable}.
 */
public final class ResettableQemuDriver extends QemuDriver implements Resettable {

    private static final Logger LOG = LoggerFactory.getLogger(ResettableQemuDriver.class);

    ResettableQemuDriver(VmOptions options, Machine machine, Networks networks) {
        super(options, machine, networks);
    }

    /** QMP {@code system_reset} of a running guest; false when QEMU is gone or its guest already powered off. */
    @Override
    public boolean reset(Instance instance) {
        VmDirs dirs = dirs(instance);
        Optional<Long> pid = QemuProcesses.livePid(dirs);
        if (pid.isEmpty() || QemuProcesses.recordedExit(dirs).isPresent()) {
            return false;
        }
        try {
            attached(instance, pid.get()).reset();
        } catch (IOException e) {
            if (!QemuProcesses.alive(pid.get(), dirs)) {
                return false; // it died meanwhile: the caller starts it
            }
            throw new DriverException("resetting the " + noun() + " failed: " + e.getMessage(), e);
        }
        LOG.info("{} {} reset (QEMU pid {})", noun(), instance.id(), pid.get());
        return true;
    }
}
