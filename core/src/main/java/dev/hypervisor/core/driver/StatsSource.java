package dev.hypervisor.core.driver;

import dev.hypervisor.core.instance.Instance;

/** A driver that can sample an instance's resource usage. */
public interface StatsSource {
    InstanceStats stats(Instance instance);
}
