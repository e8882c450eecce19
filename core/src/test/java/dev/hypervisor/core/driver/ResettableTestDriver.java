package dev.hypervisor.core.driver;

import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceType;

/** The {@link TestDriver} with a reset button, as the VM driver has: a reset keeps a running instance running. */
public final class ResettableTestDriver extends TestDriver implements Resettable {

    public ResettableTestDriver(InstanceType type) {
        super(type);
    }

    private volatile boolean goneAtReset;

    /** Makes the instance's process vanish just as a reset comes, as one that dies at that moment would. */
    public void vanishAtReset() {
        goneAtReset = true;
    }

    @Override
    public boolean reset(Instance instance) {
        if (goneAtReset) {
            vanish(instance.id());
        }
        boolean runs = isRunning(instance.id());
        record((runs ? "reset " : "reset-not-running ") + instance.id());
        return runs;
    }
}
