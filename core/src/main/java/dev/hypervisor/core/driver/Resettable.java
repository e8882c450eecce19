package dev.hypervisor.core.driver;

import dev.hypervisor.core.instance.Instance;

/**
 * A driver that can reset a running instance in place, as a machine's reset button does: the
 * guest reboots while its runtime process (and so its console, disks and network) stays. A
 * forced restart uses it where the driver has it; others kill and start.
 */
public interface Resettable {

    /** Resets the instance if it runs; false when it does not run (the caller then starts it). */
    boolean reset(Instance instance);
}
