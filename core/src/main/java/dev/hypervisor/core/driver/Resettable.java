package dev.hypervisor.core.driver;

import dev.hypervisor.core.instance.Instance;

/**
 * A driver that can reset a running instance in place, as a machine's reset button does: the
 * guest reboots while its runtime process (and so its console, disks and network) stays. A
 * forced restart uses it where the driver has it; others kill and start.
 */
public interface Resettable {

    /**
     * Resets the instance in place; false when that cannot be done now (it does not run, or
     * its machine has no reset, as a microVM under -no-reboot): the caller kills and starts it.
     */
    boolean reset(Instance instance);
}
