package dev.hypervisor.bench;

import dev.hypervisor.core.driver.Driver;
import dev.hypervisor.core.driver.ExitListener;
import dev.hypervisor.core.driver.Provisioned;
import dev.hypervisor.core.driver.RuntimeStatus;
import dev.hypervisor.core.instance.Instance;
import dev.hypervisor.core.instance.InstanceSpec;
import dev.hypervisor.core.instance.InstanceType;
import dev.hypervisor.core.instance.Metadata;
import dev.hypervisor.core.runtime.RuntimeContext;
import dev.hypervisor.core.runtime.RuntimePlugin;
import java.time.Duration;
import java.util.Optional;

/**
 * A container runtime that does nothing and returns at once, so the benchmark measures only the
 * control plane; its own plugin, which the production daemon never registers.
 */
final class NoopDriver implements Driver, RuntimePlugin {

    @Override
    public InstanceType type() {
        return InstanceType.CONTAINER;
    }

    @Override
    public String name() {
        return "noop";
    }

    @Override
    public Optional<String> unavailable() {
        return Optional.empty();
    }

    @Override
    public Duration stopTimeout() {
        return Duration.ofSeconds(10);
    }

    @Override
    public InstanceSpec admit(InstanceSpec spec, Metadata metadata) {
        return spec;
    }

    @Override
    public Driver open(RuntimeContext context) {
        return this;
    }

    @Override
    public Provisioned prepare(Instance instance) {
        return Provisioned.NOTHING;
    }

    @Override
    public void start(Instance instance) {}

    @Override
    public void stop(Instance instance, Duration timeout) {}

    @Override
    public void kill(Instance instance) {}

    @Override
    public void destroy(Instance instance) {}

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
