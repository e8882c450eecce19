package dev.hypervisor.bench;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.ExitListener;
import dev.hypervisor.core.driver.Provisioned;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceType;
import java.time.Duration;

/** A container runtime that does nothing and returns at once, so the benchmark measures only the control plane. */
final class NoopDriver implements Driver {

    @Override
    public InstanceType type() {
        return InstanceType.CONTAINER;
    }

    @Override
    public Provisioned prepare(Instance instance) {
        return Provisioned.NOTHING;
    }

    @Override
    public void start(Instance instance) {
    }

    @Override
    public void stop(Instance instance, Duration timeout) {
    }

    @Override
    public void kill(Instance instance) {
    }

    @Override
    public void destroy(Instance instance) {
    }

    @Override
    public RuntimeStatus recover(Instance instance) {
        return RuntimeStatus.RUNNING;
    }

    @Override
    public RuntimeStatus inspect(Instance instance) {
        return RuntimeStatus.RUNNING;
    }

    @Override
    public void setExitListener(ExitListener listener) {
        // nothing ever exits on its own
    }
}
